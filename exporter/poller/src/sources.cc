#include "qx/poller/sources.h"

#include <glog/logging.h>

#include <set>

#include "qx/aggregate/host_aggregation.h"
#include "qx/client/knowledge_base_client.h"
#include "qx/client/qps_search.h"
#include "qx/store/atomic_file.h"
#include "qx/store/host_asset_store.h"
#include "qx/store/state_file.h"
#include "qx/store/was_finding_store.h"

namespace qx {
namespace {

constexpr char kKnowledgeBaseFile[] = "knowledge_base.state";
constexpr char kRecurrenceFile[] = "was_recurrence.state";

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

class HostAssetSource final : public Source {
 public:
  HostAssetSource(std::shared_ptr<QualysClient> client, SourceOptions options,
                  Clock clock)
      : client_(std::move(client)),
        options_(std::move(options)),
        clock_(std::move(clock)) {
    EnsureStateDir(options_.state_dir);
    LoadOrReset(kb_, options_.state_dir / kKnowledgeBaseFile);
    LOG(INFO) << "knowledge base cache: " << kb_.size() << " QIDs";
  }

  std::vector<std::string> names() const override {
    return {kHostAssetSource, kKnowledgeBaseSource};
  }

  void Poll(PollSink& sink) override {
    double start = clock_();
    HostAssetStore store;
    std::uint64_t fetched = 0;
    try {
      QpsSearchRequest req;
      req.path = kHostAssetSearchPath;
      req.endpoint_label = kHostAssetSource;
      req.limit_results = options_.host_page_size;
      SearchHostAssets(
          *client_, req,
          [&](HostAsset&& a) {
            ++fetched;
            store.Upsert(std::move(a));
          },
          [&](const SearchProgress& p) {
            VLOG(1) << "hostasset: page " << p.pages << ", " << store.size()
                    << " assets so far";
          });
    } catch (const std::exception& e) {
      sink.RecordsFetched(kHostAssetSource, fetched);
      sink.Failed(kHostAssetSource, clock_() - start, e.what());
      sink.Failed(kKnowledgeBaseSource, 0,
                  "skipped: host asset poll failed");
      return;
    }
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
    sink.Publish(kHostAssetSource + std::string("_vulnerabilities"),
                 AggregateHostVulnerabilities(
                     store, [this](std::uint64_t q) { return kb_.Severity(q); }));
    sink.Succeeded(kKnowledgeBaseSource, clock_() - kb_start);
  }

 private:
  std::shared_ptr<QualysClient> client_;
  SourceOptions options_;
  Clock clock_;
  KnowledgeBaseCache kb_;
  std::set<std::uint64_t> logged_unknown_;
};

class WasFindingSource final : public Source {
 public:
  WasFindingSource(std::shared_ptr<QualysClient> client, SourceOptions options,
                   Clock clock)
      : client_(std::move(client)),
        options_(std::move(options)),
        clock_(std::move(clock)) {
    EnsureStateDir(options_.state_dir);
    LoadOrReset(recurrence_, options_.state_dir / kRecurrenceFile);
    LOG(INFO) << "recurrence state: "
              << (recurrence_.has_baseline()
                      ? std::to_string(recurrence_.known_recurring()) +
                            " known recurring findings"
                      : std::string("no baseline yet"));
  }

  std::vector<std::string> names() const override { return {kWasFindingSource}; }

  void Poll(PollSink& sink) override {
    double start = clock_();
    WasFindingStore store;
    std::uint64_t fetched = 0;
    try {
      QpsSearchRequest req;
      req.path = kWasFindingSearchPath;
      req.endpoint_label = kWasFindingSource;
      req.limit_results = options_.was_page_size;
      req.verbose = true;  // history and payloads come only with verbose
      SearchWasFindings(*client_, req, [&](WasFinding&& f) {
        ++fetched;
        store.Upsert(std::move(f));
      });
    } catch (const std::exception& e) {
      sink.RecordsFetched(kWasFindingSource, fetched);
      sink.Failed(kWasFindingSource, clock_() - start, e.what());
      return;
    }
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
  RecurrenceState recurrence_;
};

}  // namespace

std::unique_ptr<Source> MakeHostAssetSource(std::shared_ptr<QualysClient> client,
                                            SourceOptions options, Clock clock) {
  return std::make_unique<HostAssetSource>(std::move(client), std::move(options),
                                           std::move(clock));
}

std::unique_ptr<Source> MakeWasFindingSource(
    std::shared_ptr<QualysClient> client, SourceOptions options, Clock clock) {
  return std::make_unique<WasFindingSource>(std::move(client),
                                            std::move(options), std::move(clock));
}

}  // namespace qx
