// IncrementalSync: keeps a per-record store current with as few API calls as
// possible. The first poll (or one every full_resync_interval, to catch
// deletions) walks every record into a fresh store; the others ask only for
// records changed since the cursor and merge them. Store and cursor are
// persisted after every successful poll, so a restart resumes instead of
// re-downloading; an interrupted full sync resumes after its last page.
//
// The API may refuse a changed-since criterion (INVALID_REQUEST or HTTP
// 400): the field is dropped with one warning, the other fields take the
// wide (processing-lag) overlap, and with no field left the poll walks
// everything. A refusal never fails the source.
#pragma once

#include <glog/logging.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "qx/base/clock.h"
#include "qx/client/errors.h"
#include "qx/records/timestamp.h"
#include "qx/sources/feed.h"
#include "qx/sources/sync_state.h"
#include "qx/store/atomic_file.h"
#include "qx/telemetry/telemetry.h"

namespace qx {

// Thrown from a page hook to stop a walk early (API budget reserve).
class StopSync : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SyncOptions {
  std::filesystem::path state_dir;
  std::int64_t full_resync_interval_seconds = 24 * 3600;
  // Records changed shortly before a poll may be indexed after it started.
  std::int64_t cursor_overlap_seconds = 300;
  // Lag-prone fields (and every field once another was refused) look back
  // this far: Qualys processes scan results hours after the scan.
  std::int64_t lag_overlap_seconds = 12 * 3600;
};

struct SyncResult {
  bool full = false;
  std::uint64_t pages = 0;
  std::uint64_t records = 0;
};

// True for an answer that refuses the request itself (not a fault): the
// search shape is not accepted and asking again will not change that.
inline bool IsRefusal(const ApiError& e) {
  return e.http_status() == 400 || e.api_code() == "INVALID_REQUEST";
}

template <typename Store>
class IncrementalSync {
 public:
  IncrementalSync(Feed<Store>& feed, SyncOptions options, Clock clock)
      : feed_(feed),
        name_(feed.name()),
        fields_(feed.change_fields()),
        options_(std::move(options)),
        clock_(std::move(clock)) {
    EnsureStateDir(options_.state_dir);
    try {
      state_.Load(Path(".sync"));
      have_store_ = store_.Load(Path(".store"));
      if (state_.resume_after_id && !pending_.Load(Path(".partial"))) {
        state_.resume_after_id.reset();  // progress file gone: start over
      }
      if (!have_store_) state_.last_full_sync.reset();
    } catch (const std::exception& e) {
      LOG(ERROR) << e.what() << "; " << name_
                 << " starts over with a full sync";
      state_ = SyncState{};
      store_ = Store{};
      pending_ = Store{};
      have_store_ = false;
    }
    if (have_store_) {
      LOG(INFO) << name_ << ": resuming from stored state (" << store_.size()
                << " records, cursor "
                << (state_.cursor ? FormatIsoTimestamp(*state_.cursor) : "none")
                << ")";
    }
  }

  const Store& store() const { return store_; }
  bool has_store() const { return have_store_; }
  // When the sync that fetched the complete store began (unix seconds, our
  // clock); nullopt without one.
  std::optional<std::int64_t> synced_at() const {
    return have_store_ ? state_.cursor : std::nullopt;
  }
  const SyncState& state() const { return state_; }
  const std::set<std::string>& refused_fields() const { return refused_; }

  // The one place that decides: a full walk when there is no store yet, a
  // full sync is to be resumed, it is due, or the API accepts none of the
  // changed-since fields.
  bool NextIsFull(std::int64_t now) const {
    return !have_store_ || state_.resume_after_id || !state_.last_full_sync ||
           now - *state_.last_full_sync >=
               options_.full_resync_interval_seconds ||
           refused_.size() >= fields_.size();
  }

  // One sync. Throws (state and published store untouched) on failure;
  // progress of an interrupted full sync is kept for the next call.
  SyncResult Run(Telemetry& telemetry, const PageHook& hook) {
    const PageHook on_page =
        hook ? hook : PageHook([](const SearchProgress&) {});
    const auto start = static_cast<std::int64_t>(clock_());
    stamps_.Clear();
    page_size_ = 0;
    SyncResult result;
    result.full = NextIsFull(start);
    if (!result.full) {
      // A refusal drops that field and starts the changed-since walks over
      // (the remaining fields now carry the wide overlap).
      while (refused_.size() < fields_.size()) {
        try {
          result = RunIncremental(start, on_page);
          break;
        } catch (const FieldRefused& r) {
          refused_.insert(r.field);
          telemetry.CriterionRefused(name_, r.field);
          LOG(WARNING) << name_ << ": the API refused the search field "
                       << r.field << " (" << r.detail << "); "
                       << (refused_.size() < fields_.size()
                               ? "the other changed-since fields now look "
                                 "back the full processing-lag overlap"
                               : "every poll now walks every record");
        }
      }
      result.full = refused_.size() >= fields_.size();
    }
    if (result.full) result = RunFull(start, on_page);
    store_.Save(Path(".store"));
    state_.Save(Path(".sync"));
    return result;
  }

 private:
  struct FieldRefused {
    std::string field;
    std::string detail;
  };

  SyncResult RunFull(std::int64_t start, const PageHook& on_page) {
    SyncResult result;
    result.full = true;
    if (!state_.resume_after_id) {
      pending_ = Store{};
      state_.full_sync_started = start;
    } else {
      LOG(INFO) << name_ << ": resuming full sync after id "
                << *state_.resume_after_id << " (" << pending_.size()
                << " records so far)";
    }
    std::optional<std::uint64_t> resume = state_.resume_after_id;
    try {
      auto p = Walk(WalkRequest{{}, resume, 0}, pending_,
                    [&](const SearchProgress& pr) {
                      resume = pr.last_id;
                      on_page(pr);
                    });
      result.pages += p.pages;
      result.records += p.records;
    } catch (...) {
      // Keep what arrived; continue from the last complete page next time.
      if (resume) {
        state_.resume_after_id = resume;
        TryPersistPending();
      }
      throw;
    }
    store_ = std::move(pending_);
    pending_ = Store{};
    have_store_ = true;
    // The cursor of a resumed full sync is when it began: everything
    // changed since then is asked for by the next incremental poll.
    const std::int64_t began = state_.full_sync_started.value_or(start);
    state_.last_full_sync = began;
    state_.cursor = began;
    state_.newest = stamps_.newest();
    state_.resume_after_id.reset();
    state_.full_sync_started.reset();
    std::error_code ec;
    std::filesystem::remove(Path(".partial"), ec);
    return result;
  }

  SyncResult RunIncremental(std::int64_t start, const PageHook& on_page) {
    SyncResult result;
    std::vector<std::pair<std::string, std::int64_t>> asked;  // field, since
    for (const ChangeField& field : fields_) {
      if (refused_.contains(field.name)) continue;
      const std::int64_t since = Since(field);
      std::vector<Criterion> criteria = {
          {field.name, "GREATER", FormatIsoTimestamp(since)}};
      // Leave out what an earlier walk of this poll already fetched (a
      // record newer by several fields), so every changed record takes one
      // slot of one page: ceil(changed/limitResults)+1 calls at most.
      // "LESSER since+1s" is "not newer than since" for whole seconds.
      if (disjoint_walks_) {
        for (const auto& [earlier, earlier_since] : asked) {
          criteria.push_back(
              {earlier, "LESSER", FormatIsoTimestamp(earlier_since + 1)});
        }
      }
      asked.emplace_back(field.name, since);
      SearchProgress p;
      try {
        p = Walk(WalkRequest{criteria, std::nullopt, 0}, store_, on_page);
      } catch (const ApiError& e) {
        const bool refused = IsRefusal(e) || !e.api_code().empty();
        if (!refused) throw;
        if (criteria.size() == 1) {
          if (IsRefusal(e)) throw FieldRefused{field.name, e.what()};
          throw;
        }
        // An API that refuses LESSER on these fields gets the plain
        // search: duplicates cost calls, never records.
        LOG(WARNING) << name_ << ": the API refused the search that skips "
                     << "records already fetched (" << e.what()
                     << "); asking for every record with a newer " << field.name
                     << " from now on";
        disjoint_walks_ = false;
        criteria.resize(1);
        try {
          p = Walk(WalkRequest{criteria, std::nullopt, 0}, store_, on_page);
        } catch (const ApiError& again) {
          if (IsRefusal(again)) throw FieldRefused{field.name, again.what()};
          throw;
        }
      }
      result.pages += p.pages;
      result.records += p.records;
    }
    state_.cursor = start;
    for (const auto& [field, t] : stamps_.newest()) {
      auto& newest = state_.newest[field];
      newest = std::max(newest, t);
    }
    return result;
  }

  // Changed since the last poll began, minus an overlap (records indexed
  // late; for lag-prone fields the processing lag); but never after the
  // newest value already seen, in case the API's clock lags ours (records
  // stamped by it would fall before our cursor and never be asked for).
  std::int64_t Since(const ChangeField& field) const {
    const bool wide = field.lag_prone || !refused_.empty();
    std::int64_t since =
        *state_.cursor -
        (wide ? options_.lag_overlap_seconds : options_.cursor_overlap_seconds);
    if (auto it = state_.newest.find(field.name); it != state_.newest.end()) {
      since = std::min(since, it->second);
    }
    return since;
  }

  SearchProgress Walk(WalkRequest walk, Store& into, const PageHook& on_page) {
    walk.limit_results = page_size_;
    SearchProgress p = feed_.Walk(walk, into, stamps_, on_page);
    // A page size a gateway forced down stays down for the rest of the poll.
    if (p.limit_results) page_size_ = p.limit_results;
    return p;
  }

  std::filesystem::path Path(const char* ext) const {
    return options_.state_dir / (name_ + ext);
  }

  void TryPersistPending() {
    try {
      pending_.Save(Path(".partial"));
      state_.Save(Path(".sync"));
    } catch (const std::exception& e) {
      LOG(WARNING) << name_ << ": cannot save full sync progress: " << e.what();
    }
  }

  Feed<Store>& feed_;
  std::string name_;
  std::vector<ChangeField> fields_;
  SyncOptions options_;
  Clock clock_;
  SyncState state_;
  Store store_;
  Store pending_;
  bool have_store_ = false;
  bool disjoint_walks_ = true;     // false once the API refused LESSER
  std::set<std::string> refused_;  // fields the API refused (this process)
  ChangeStamps stamps_;            // newest changed-since values of the run
  std::uint32_t page_size_ = 0;    // 0 = the feed's default
};

}  // namespace qx
