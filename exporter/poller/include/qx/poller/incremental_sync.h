// IncrementalSync: keeps a per-record store current with as few API calls as
// possible. The first poll (or one every full_resync_interval, to catch
// deletions) walks every record into a fresh store; the others ask only for
// records changed since the cursor and merge them. Store and cursor are
// persisted after every successful poll, so a restart resumes instead of
// re-downloading; an interrupted full sync resumes after its last page.
#pragma once

#include <glog/logging.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "qx/client/errors.h"
#include "qx/client/qps_search.h"
#include "qx/poller/poller.h"
#include "qx/poller/sync_state.h"
#include "qx/records/timestamp.h"
#include "qx/store/atomic_file.h"
#include "qx/store/state_file.h"

namespace qx {

// Thrown from a page callback to stop a walk early (API budget reserve).
class StopSync : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SyncOptions {
  std::filesystem::path state_dir;
  std::string name;  // source name, file prefix: <name>.store, <name>.sync
  // "changed since" fields; one search per field (QPS criteria are ANDed).
  std::vector<std::string> incremental_fields;
  std::int64_t full_resync_interval_seconds = 24 * 3600;
  // Records changed shortly before a poll may be indexed after it started.
  std::int64_t cursor_overlap_seconds = 300;
};

struct SyncResult {
  bool full = false;
  std::uint64_t pages = 0;
  std::uint64_t records = 0;
};

template <typename Store>
class IncrementalSync {
 public:
  // Walks pages of a search (criteria, resume point) into `into`.
  using Fetch = std::function<SearchProgress(
      const std::vector<Criterion>& criteria,
      std::optional<std::uint64_t> start_after_id, Store& into,
      const std::function<void(const SearchProgress&)>& on_page)>;

  IncrementalSync(SyncOptions options, Clock clock)
      : options_(std::move(options)), clock_(std::move(clock)) {
    EnsureStateDir(options_.state_dir);
    try {
      state_.Load(Path(".sync"));
      have_store_ = store_.Load(Path(".store"));
      if (state_.resume_after_id && !pending_.Load(Path(".partial"))) {
        state_.resume_after_id.reset();  // progress file gone: start over
      }
      if (!have_store_) state_.last_full_sync.reset();
    } catch (const std::exception& e) {
      LOG(ERROR) << e.what() << "; " << options_.name
                 << " starts over with a full sync";
      state_ = SyncState{};
      store_ = Store{};
      pending_ = Store{};
      have_store_ = false;
    }
    if (have_store_) {
      LOG(INFO) << options_.name << ": resuming from stored state ("
                << store_.size() << " records, cursor "
                << (state_.cursor ? FormatIsoTimestamp(*state_.cursor) : "none")
                << ")";
    }
  }

  // Called for every record a fetch delivers, with its value of a
  // changed-since field (ISO-8601 as sent; unparsable or empty is ignored).
  void SawChange(std::string_view field, std::string_view timestamp) {
    auto t = ParseIsoTimestamp(timestamp);
    if (!t) return;
    auto it = run_newest_.find(field);
    if (it == run_newest_.end()) {
      run_newest_.emplace(std::string(field), *t);
    } else if (*t > it->second) {
      it->second = *t;
    }
  }

  const Store& store() const { return store_; }
  bool has_store() const { return have_store_; }
  const SyncState& state() const { return state_; }

  // One sync. Throws (state and published store untouched) on failure;
  // progress of an interrupted full sync is kept for the next call.
  SyncResult Run(const Fetch& fetch,
                 const std::function<void(const SearchProgress&)>& on_page) {
    std::int64_t start = static_cast<std::int64_t>(clock_());
    SyncResult result;
    run_newest_.clear();
    bool full =
        !have_store_ || state_.resume_after_id || !state_.last_full_sync ||
        start - *state_.last_full_sync >= options_.full_resync_interval_seconds;
    result.full = full;
    if (full) {
      if (!state_.resume_after_id) {
        pending_ = Store{};
        state_.full_sync_started = start;
      } else {
        LOG(INFO) << options_.name << ": resuming full sync after id "
                  << *state_.resume_after_id << " (" << pending_.size()
                  << " records so far)";
      }
      std::optional<std::uint64_t> resume = state_.resume_after_id;
      try {
        auto p = fetch({}, resume, pending_, [&](const SearchProgress& pr) {
          resume = pr.last_id;
          if (on_page) on_page(pr);
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
      std::int64_t began = state_.full_sync_started.value_or(start);
      state_.last_full_sync = began;
      state_.cursor = began;
      state_.newest = std::move(run_newest_);
      state_.resume_after_id.reset();
      state_.full_sync_started.reset();
      std::error_code ec;
      std::filesystem::remove(Path(".partial"), ec);
    } else {
      const auto& fields = options_.incremental_fields;
      // Changed since the last poll began, minus an overlap for records
      // indexed late; but never after the newest value already seen, in
      // case the API's clock lags ours (records stamped by it would fall
      // before our cursor and never be asked for).
      std::vector<std::int64_t> since(fields.size());
      for (std::size_t i = 0; i < fields.size(); ++i) {
        since[i] = *state_.cursor - options_.cursor_overlap_seconds;
        if (auto it = state_.newest.find(fields[i]);
            it != state_.newest.end()) {
          since[i] = std::min(since[i], it->second);
        }
      }
      auto forward = [&](const SearchProgress& pr) {
        if (on_page) on_page(pr);
      };
      for (std::size_t i = 0; i < fields.size(); ++i) {
        std::vector<Criterion> criteria = {
            {fields[i], "GREATER", FormatIsoTimestamp(since[i])}};
        // Leave out what an earlier walk of this poll already fetched (a
        // record newer by several fields), so every changed record takes
        // one slot of one page: ceil(changed/limitResults)+1 calls at most.
        // "LESSER since+1s" is "not newer than since" for whole seconds.
        if (disjoint_walks_) {
          for (std::size_t j = 0; j < i; ++j) {
            criteria.push_back(
                {fields[j], "LESSER", FormatIsoTimestamp(since[j] + 1)});
          }
        }
        SearchProgress p;
        try {
          p = fetch(criteria, std::nullopt, store_, forward);
        } catch (const ApiError& e) {
          // An API that refuses LESSER on these fields gets the plain
          // search: duplicates cost calls, never records.
          const bool rejected = !e.api_code().empty() || e.http_status() == 400;
          if (criteria.size() == 1 || !rejected) throw;
          LOG(WARNING) << options_.name << ": the API refused the search "
                       << "that skips records already fetched (" << e.what()
                       << "); asking for every record with a newer "
                       << fields[i] << " from now on";
          disjoint_walks_ = false;
          criteria.resize(1);
          p = fetch(criteria, std::nullopt, store_, forward);
        }
        result.pages += p.pages;
        result.records += p.records;
      }
      state_.cursor = start;
      for (auto& [field, t] : run_newest_) {
        auto& newest = state_.newest[field];
        newest = std::max(newest, t);
      }
    }
    store_.Save(Path(".store"));
    state_.Save(Path(".sync"));
    return result;
  }

 private:
  std::filesystem::path Path(const char* ext) const {
    return options_.state_dir / (options_.name + ext);
  }

  void TryPersistPending() {
    try {
      pending_.Save(Path(".partial"));
      state_.Save(Path(".sync"));
    } catch (const std::exception& e) {
      LOG(WARNING) << options_.name
                   << ": cannot save full sync progress: " << e.what();
    }
  }

  SyncOptions options_;
  Clock clock_;
  SyncState state_;
  Store store_;
  Store pending_;
  bool have_store_ = false;
  bool disjoint_walks_ = true;  // false once the API refused LESSER
  // Newest changed-since values of the records of the current run.
  std::map<std::string, std::int64_t, std::less<>> run_newest_;
};

}  // namespace qx
