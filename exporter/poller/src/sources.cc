#include "qx/poller/sources.h"

#include <glog/logging.h>

#include <cmath>
#include <set>

#include "qx/aggregate/host_aggregation.h"
#include "qx/client/errors.h"
#include "qx/client/knowledge_base_client.h"
#include "qx/client/qps_search.h"
#include "qx/poller/incremental_sync.h"
#include "qx/store/atomic_file.h"
#include "qx/store/host_asset_store.h"
#include "qx/store/state_file.h"
#include "qx/store/was_finding_store.h"

namespace qx {
namespace {

constexpr char kKnowledgeBaseFile[] = "knowledge_base.state";
constexpr char kRecurrenceFile[] = "was_recurrence.state";

// Changed-since search fields, each named once: the incremental walks ask
// for them and the records report their values under the same names.
// Host asset `updated` is the record's <modified>.
constexpr char kHostUpdated[] = "updated";
constexpr char kHostVulnsUpdated[] = "vulnsUpdated";
constexpr char kFindingUpdated[] = "updatedDate";
constexpr char kFindingLastTested[] = "lastTestedDate";

// Loads a state file; a corrupt or foreign one is moved aside (kept for
// inspection) and the exporter starts fresh instead of crashing.
template <typename State>
void LoadOrReset(State& state, const std::filesystem::path& path) {
  try {
    state.Load(path);
  } catch (const StateError& e) {
    auto aside = path;
    aside += ".corrupt";
    std::error_code ec;
    std::filesystem::rename(path, aside, ec);
    LOG(ERROR) << e.what() << "; starting from a fresh baseline (old file "
               << (ec ? "left in place" : "moved to " + aside.string()) << ")";
    state = State{};
  }
}

// Page callback shared by the sources: progress log at a steady pace, the
// API budget reserve, and the sync-progress self-metrics.
class PageWatch {
 public:
  PageWatch(std::string source, std::string_view search_path,
            const QualysClient& client, const SourceOptions& options,
            PollSink& sink, Clock clock, std::optional<std::uint64_t> expected,
            std::uint64_t already)
      : source_(std::move(source)),
        api_(ApiFamilyOfPath(search_path)),
        client_(client),
        options_(options),
        sink_(sink),
        clock_(std::move(clock)),
        expected_(expected),
        already_(already),
        start_(clock_()),
        last_log_(start_) {}

  void operator()(const SearchProgress& p) {
    std::uint64_t have = already_ + p.records;
    sink_.SyncRecords(source_, static_cast<double>(have));
    double now = clock_();
    // Only the API this source calls counts: the KnowledgeBase's budget
    // says nothing about Asset Management's.
    const auto rl = client_.last_rate_limit(api_);
    if (now - last_log_ >= options_.progress_log_seconds || p.done) {
      last_log_ = now;
      std::string eta;
      if (expected_ && *expected_ > have && p.records > 0) {
        double rate =
            static_cast<double>(p.records) / std::max(now - start_, 1e-3);
        eta = ", about " +
              std::to_string(static_cast<long long>(
                  std::ceil(static_cast<double>(*expected_ - have) / rate))) +
              " s to go";
      }
      LOG(INFO) << source_ << ": " << p.pages << " pages, " << have
                << (expected_ ? " of " + std::to_string(*expected_) : "")
                << " records"
                << (rl.remaining
                        ? ", API calls left " + std::to_string(*rl.remaining)
                        : "")
                << eta;
    }
    if (!p.done && rl.remaining && *rl.remaining <= options_.reserve_calls) {
      throw StopSync(
          source_ + ": stopped early: X-RateLimit-Remaining=" +
          std::to_string(*rl.remaining) +
          " <= --api.reserve-calls=" + std::to_string(options_.reserve_calls) +
          "; progress kept, the next poll continues");
    }
  }

 private:
  std::string source_;
  std::string_view api_;
  const QualysClient& client_;
  const SourceOptions& options_;
  PollSink& sink_;
  Clock clock_;
  std::optional<std::uint64_t> expected_;
  std::uint64_t already_;
  double start_;
  double last_log_;
};

std::optional<std::uint64_t> ExpectedTotal(QualysClient& client,
                                           const SourceOptions& options,
                                           const std::string& path,
                                           const std::string& source,
                                           PollSink& sink, bool full) {
  if (!full || !options.count_before_full_sync) return std::nullopt;
  try {
    auto n = CountRecords(client, path, source);
    sink.SyncExpectedRecords(source, static_cast<double>(n));
    return n;
  } catch (const ApiError& e) {
    // Rejected credentials or permissions: searching with them again would
    // only add failed logins (and risk an account lockout).
    if (e.http_status() == 401 || e.http_status() == 403) throw;
    LOG(WARNING) << source
                 << ": cannot count records for progress: " << e.what();
    return std::nullopt;
  } catch (const std::exception& e) {
    // Progress only; the sync itself does not depend on it.
    LOG(WARNING) << source
                 << ": cannot count records for progress: " << e.what();
    return std::nullopt;
  }
}

template <typename Store>
bool NextIsFull(const IncrementalSync<Store>& sync, const SourceOptions& o,
                std::int64_t now) {
  const auto& st = sync.state();
  return !sync.has_store() || st.resume_after_id || !st.last_full_sync ||
         now - *st.last_full_sync >= o.full_resync_seconds;
}

SyncOptions MakeSyncOptions(const SourceOptions& o, std::string name,
                            std::vector<std::string> fields) {
  SyncOptions s;
  s.state_dir = o.state_dir;
  s.name = std::move(name);
  s.incremental_fields = std::move(fields);
  s.full_resync_interval_seconds = o.full_resync_seconds;
  return s;
}

class HostAssetSource final : public Source {
 public:
  HostAssetSource(std::shared_ptr<QualysClient> client, SourceOptions options,
                  Clock clock)
      : client_(std::move(client)),
        options_(std::move(options)),
        clock_(std::move(clock)),
        sync_(MakeSyncOptions(options_, kHostAssetSource,
                              {kHostUpdated, kHostVulnsUpdated}),
              clock_) {
    LoadOrReset(kb_, options_.state_dir / kKnowledgeBaseFile);
    LOG(INFO) << "knowledge base cache: " << kb_.size() << " QIDs";
  }

  std::vector<std::string> names() const override {
    return {kHostAssetSource, kKnowledgeBaseSource};
  }

  void Poll(PollSink& sink) override {
    double start = clock_();
    bool full = NextIsFull(sync_, options_, static_cast<std::int64_t>(start));
    std::uint64_t fetched = 0;
    try {
      auto expected = ExpectedTotal(*client_, options_, kHostAssetCountPath,
                                    kHostAssetSource, sink, full);
      PageWatch watch(kHostAssetSource, kHostAssetSearchPath, *client_,
                      options_, sink, clock_, expected, 0);
      auto fetch =
          [&](const std::vector<Criterion>& criteria,
              std::optional<std::uint64_t> after, HostAssetStore& into,
              const std::function<void(const SearchProgress&)>& on_page) {
            QpsSearchRequest req;
            req.path = kHostAssetSearchPath;
            req.endpoint_label = kHostAssetSource;
            req.limit_results = options_.host_page_size;
            req.criteria = criteria;
            req.start_after_id = after;
            return SearchHostAssets(
                *client_, req,
                [&](HostAsset&& a) {
                  ++fetched;
                  sync_.SawChange(kHostUpdated, a.modified);
                  sync_.SawChange(kHostVulnsUpdated, a.vulns_updated);
                  into.Upsert(std::move(a));
                },
                on_page);
          };
      auto r = sync_.Run(fetch, std::ref(watch));
      LOG(INFO) << kHostAssetSource << ": " << (r.full ? "full" : "incremental")
                << " sync, " << r.pages << " pages, " << fetched
                << " records fetched, " << sync_.store().size() << " held";
    } catch (const std::exception& e) {
      sink.RecordsFetched(kHostAssetSource, fetched);
      sink.Failed(kHostAssetSource, clock_() - start, e.what());
      sink.Failed(kKnowledgeBaseSource, 0, "skipped: host asset poll failed");
      return;
    }
    const HostAssetStore& store = sync_.store();
    sink.RecordsFetched(kHostAssetSource, fetched);
    sink.SyncRecords(kHostAssetSource, static_cast<double>(store.size()));
    sink.Publish(kHostAssetSource, AggregateHostAssets(store));
    sink.Succeeded(kHostAssetSource, clock_() - start);

    double kb_start = clock_();
    try {
      auto now = static_cast<std::int64_t>(clock_());
      auto missing = kb_.Missing(
          store.DistinctQids(), now, options_.kb_refresh_seconds,
          std::min<std::int64_t>(options_.kb_refresh_seconds, 24 * 3600));
      if (!missing.empty()) {
        std::uint64_t entries = 0;
        std::set<std::uint64_t> asked(missing.begin(), missing.end());
        FetchKnowledgeBase(*client_, missing, options_.kb_batch_size,
                           [&](KnowledgeBaseEntry&& e) {
                             ++entries;
                             kb_.Put(e.qid, e.severity, now);
                             asked.erase(e.qid);
                           });
        sink.RecordsFetched(kKnowledgeBaseSource, entries);
        for (auto qid : asked) {
          kb_.PutAbsent(qid, now);
          if (logged_unknown_.insert(qid).second) {
            LOG(WARNING) << "QID " << qid
                         << " is not in the KnowledgeBase; its detections "
                            "are counted with severity=\""
                         << kUnknownSeverity << "\"";
          }
        }
        kb_.Save(options_.state_dir / kKnowledgeBaseFile);
      }
    } catch (const std::exception& e) {
      // Without severities the vulnerability counts would be wrong: keep
      // the last good ones published.
      sink.Failed(kKnowledgeBaseSource, clock_() - kb_start, e.what());
      return;
    }
    sink.SyncRecords(kKnowledgeBaseSource, static_cast<double>(kb_.size()));
    sink.Publish(kHostAssetSource + std::string("_vulnerabilities"),
                 AggregateHostVulnerabilities(store, [this](std::uint64_t q) {
                   return kb_.Severity(q);
                 }));
    sink.Succeeded(kKnowledgeBaseSource, clock_() - kb_start);
  }

 private:
  std::shared_ptr<QualysClient> client_;
  SourceOptions options_;
  Clock clock_;
  IncrementalSync<HostAssetStore> sync_;
  KnowledgeBaseCache kb_;
  std::set<std::uint64_t> logged_unknown_;
};

class WasFindingSource final : public Source {
 public:
  WasFindingSource(std::shared_ptr<QualysClient> client, SourceOptions options,
                   Clock clock)
      : client_(std::move(client)),
        options_(std::move(options)),
        clock_(std::move(clock)),
        sync_(MakeSyncOptions(options_, kWasFindingSource,
                              {kFindingUpdated, kFindingLastTested}),
              clock_) {
    LoadOrReset(recurrence_, options_.state_dir / kRecurrenceFile);
    LOG(INFO) << "recurrence state: "
              << (recurrence_.has_baseline()
                      ? std::to_string(recurrence_.known_recurring()) +
                            " known recurring findings"
                      : std::string("no baseline yet"));
  }

  std::vector<std::string> names() const override {
    return {kWasFindingSource};
  }

  void Poll(PollSink& sink) override {
    double start = clock_();
    bool full = NextIsFull(sync_, options_, static_cast<std::int64_t>(start));
    std::uint64_t fetched = 0;
    try {
      auto expected = ExpectedTotal(*client_, options_, kWasFindingCountPath,
                                    kWasFindingSource, sink, full);
      PageWatch watch(kWasFindingSource, kWasFindingSearchPath, *client_,
                      options_, sink, clock_, expected, 0);
      auto fetch =
          [&](const std::vector<Criterion>& criteria,
              std::optional<std::uint64_t> after, WasFindingStore& into,
              const std::function<void(const SearchProgress&)>& on_page) {
            QpsSearchRequest req;
            req.path = kWasFindingSearchPath;
            req.endpoint_label = kWasFindingSource;
            req.limit_results = options_.was_page_size;
            req.verbose = true;  // history and payloads come only with verbose
            req.criteria = criteria;
            req.start_after_id = after;
            return SearchWasFindings(
                *client_, req,
                [&](WasFinding&& f) {
                  ++fetched;
                  sync_.SawChange(kFindingUpdated, f.updated_date);
                  sync_.SawChange(kFindingLastTested, f.last_tested_date);
                  into.Upsert(std::move(f));
                },
                on_page);
          };
      auto r = sync_.Run(fetch, std::ref(watch));
      LOG(INFO) << kWasFindingSource << ": "
                << (r.full ? "full" : "incremental") << " sync, " << r.pages
                << " pages, " << fetched << " records fetched, "
                << sync_.store().size() << " held";
    } catch (const std::exception& e) {
      sink.RecordsFetched(kWasFindingSource, fetched);
      sink.Failed(kWasFindingSource, clock_() - start, e.what());
      return;
    }
    const WasFindingStore& store = sync_.store();
    sink.RecordsFetched(kWasFindingSource, fetched);
    sink.SyncRecords(kWasFindingSource, static_cast<double>(store.size()));

    bool baseline = !recurrence_.has_baseline();
    auto turned = recurrence_.Update(
        FindRecurring(store, options_.was.recurrence_min_scans));
    if (baseline) {
      LOG(INFO) << "recurrence baseline set: " << recurrence_.known_recurring()
                << " recurring findings (not counted)";
    }
    for (const auto& t : turned) {
      const auto& f = store.findings().at(t.finding_id);
      LOG(INFO) << "WAS finding " << t.finding_id << " (qid " << f.qid
                << ", webapp " << f.webapp_id << ", severity " << f.severity
                << ") turned recurring";
    }
    std::string save_error;
    try {
      recurrence_.Save(options_.state_dir / kRecurrenceFile);
    } catch (const std::exception& e) {
      save_error = e.what();
    }
    auto agg = AggregateWasFindings(store, options_.was,
                                    recurrence_.became_recurring_total());
    if (agg.info_series_dropped > 0) {
      LOG(WARNING) << agg.info_series_dropped
                   << " recurring findings left out of "
                      "qualys_was_recurring_finding_info "
                      "(--was.max-finding-series="
                   << options_.was.max_finding_series << ")";
    }
    sink.InfoSeriesDropped(static_cast<double>(agg.info_series_dropped));
    sink.Publish(kWasFindingSource, std::move(agg.families));
    if (!save_error.empty()) {
      sink.Failed(kWasFindingSource, clock_() - start,
                  "cannot persist recurrence state: " + save_error);
      return;
    }
    sink.Succeeded(kWasFindingSource, clock_() - start);
  }

 private:
  std::shared_ptr<QualysClient> client_;
  SourceOptions options_;
  Clock clock_;
  IncrementalSync<WasFindingStore> sync_;
  RecurrenceState recurrence_;
};

}  // namespace

std::unique_ptr<Source> MakeHostAssetSource(
    std::shared_ptr<QualysClient> client, SourceOptions options, Clock clock) {
  return std::make_unique<HostAssetSource>(
      std::move(client), std::move(options), std::move(clock));
}

std::unique_ptr<Source> MakeWasFindingSource(
    std::shared_ptr<QualysClient> client, SourceOptions options, Clock clock) {
  return std::make_unique<WasFindingSource>(
      std::move(client), std::move(options), std::move(clock));
}

}  // namespace qx
