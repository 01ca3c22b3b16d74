// Host assets (Asset Management), their open vulnerability detections (VM
// Host List Detection, joined by qwebHostId) and scan coverage. One poll:
// sync the host assets and publish them; sync the detections and publish
// the vulnerability counts and the coverage (ages by the API's clock); ask
// the KnowledgeBase for severities detections came without. After a restart,
// the stored host assets and detections are published before the first poll.
#include <glog/logging.h>

#include "detection_feed.h"
#include "qx/aggregate/coverage_aggregation.h"
#include "qx/aggregate/host_aggregation.h"
#include "qx/client/knowledge_base_client.h"
#include "qx/client/qps_search.h"
#include "qx/sources/run_sync.h"
#include "qx/sources/sources.h"
#include "qx/store/host_asset_store.h"
#include "qx/store/knowledge_base_cache.h"
#include "qx/store/state_file.h"

namespace qx {
namespace {

constexpr char kKnowledgeBaseFile[] = "knowledge_base.state";
// Changed-since fields; `updated` is the record's <modified>. Both are
// stamped when Qualys records a change (not lag-prone): see
// docs/qualys-api.md.
constexpr char kUpdated[] = "updated";
constexpr char kVulnsUpdated[] = "vulnsUpdated";

class HostAssetFeed final : public Feed<HostAssetStore> {
 public:
  HostAssetFeed(QualysClient& client, const SourceOptions& options)
      : client_(client), options_(options) {}

  std::string_view name() const override { return kHostAssetSource; }
  std::string_view search_path() const override { return kHostAssetSearchPath; }
  std::vector<ChangeField> change_fields() const override {
    return {{kUpdated}, {kVulnsUpdated}};
  }
  std::optional<std::uint64_t> Count() override {
    return CountForProgress(client_, kHostAssetCountPath, kHostAssetSource);
  }
  SearchProgress Walk(const WalkRequest& walk, HostAssetStore& into,
                      ChangeStamps& stamps, const PageHook& on_page) override {
    const QpsSearchRequest req =
        QpsWalkRequest(walk, kHostAssetSearchPath, kHostAssetSource,
                       options_.host_page_size, options_.min_page_size);
    return SearchHostAssets(
        client_, req,
        [&](HostAsset&& a) {
          stamps.Saw(kUpdated, a.modified);
          stamps.Saw(kVulnsUpdated, a.vulns_updated);
          into.Upsert(std::move(a));
        },
        on_page);
  }

 private:
  QualysClient& client_;
  const SourceOptions& options_;
};

class HostAssetSource final : public Source {
 public:
  HostAssetSource(std::shared_ptr<QualysClient> client, SourceOptions options,
                  Clock clock)
      : client_(std::move(client)),
        options_(std::move(options)),
        clock_(std::move(clock)),
        hosts_feed_(*client_, options_),
        hosts_(hosts_feed_, options_.sync, clock_),
        detections_feed_(*client_, options_, kb_),
        detections_(detections_feed_, options_.sync, clock_) {
    if (auto error = LoadOrReset(kb_, KbPath()); !error.empty()) {
      LOG(ERROR) << error;
    }
  }

  std::vector<std::string> names() const override {
    return {kHostAssetSource, kDetectionSource, kKnowledgeBaseSource};
  }

  void Restore(PollContext& context) override {
    const auto hosts_synced = hosts_.synced_at();
    if (!hosts_synced) return;
    context.Publish(kHostAssetSource, AggregateHostAssets(hosts_.store()));
    context.Restored(kHostAssetSource, static_cast<double>(*hosts_synced));
    const auto detected = detections_.synced_at();
    if (!detected) return;
    // Ages as of that walk, by the API's clock (its first page's DATETIME).
    const auto& newest = detections_.state().newest;
    const auto api_clock = newest.find(kVmProcessedAfter);
    PublishDetections(
        context, api_clock != newest.end() ? api_clock->second : *detected);
    context.Restored(kDetectionSource, static_cast<double>(*detected));
    // The KnowledgeBase step publishes nothing itself: its severities are
    // in the stored detections and its cache.
    context.Restored(kKnowledgeBaseSource, static_cast<double>(*detected));
  }

  void Poll(PollContext& context) override {
    context.Step(kHostAssetSource, [&] {
      RunSync(hosts_, hosts_feed_, *client_, context, options_);
      context.Publish(kHostAssetSource, AggregateHostAssets(hosts_.store()));
    });
    // The join uses the last good host assets when their poll failed; with
    // none yet, every detection would count as cloud_provider="none".
    if (!hosts_.has_store()) {
      context.Skipped(kDetectionSource, "no host assets synced yet");
      context.Skipped(kKnowledgeBaseSource, "no host assets synced yet");
      return;
    }
    const bool detected = context.Step(kDetectionSource, [&] {
      RunSync(detections_, detections_feed_, *client_, context, options_);
      // Scan ages by the API's clock: a server clock behind ours must not
      // make every host look scanned in the future, or long ago.
      PublishDetections(context, detections_feed_.api_now() > 0
                                     ? detections_feed_.api_now()
                                     : static_cast<std::int64_t>(clock_()));
    });
    if (!detected) {
      context.Skipped(kKnowledgeBaseSource, "detection poll failed");
      return;
    }
    context.Step(kKnowledgeBaseSource, [&] { FillSeverities(context); });
  }

 private:
  std::filesystem::path KbPath() const {
    return options_.sync.state_dir / kKnowledgeBaseFile;
  }

  // The vulnerability counts (detections joined to the host assets) and
  // scan coverage, ages measured at api_now (unix seconds, API clock).
  void PublishDetections(PollContext& context, std::int64_t api_now) {
    context.Publish(
        std::string(kDetectionSource),
        AggregateHostVulnerabilities(hosts_.store(), detections_.store()));
    context.Publish("coverage",
                    AggregateScanCoverage(hosts_.store(), api_now,
                                          options_.coverage_max_scan_age_seconds));
  }

  // Severities for the QIDs detections came without: cached for the next
  // time those hosts are sent (a full resync at the latest).
  void FillSeverities(PollContext& context) {
    const auto now = static_cast<std::int64_t>(context.Now());
    const auto& unknown = detections_feed_.unknown_severity_qids();
    auto missing = kb_.Missing(
        std::vector<std::uint64_t>(unknown.begin(), unknown.end()), now,
        options_.kb_refresh_seconds,
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
      context.telemetry().RecordsFetched(kKnowledgeBaseSource, entries);
      for (auto qid : asked) {
        kb_.PutAbsent(qid, now);
        LOG(WARNING) << "QID " << qid
                     << " has no severity in its detections nor in the "
                        "KnowledgeBase; counted with severity=\""
                     << kUnknownSeverity << "\"";
      }
      kb_.Save(KbPath());
    }
    context.telemetry().SyncProgress(kKnowledgeBaseSource, kb_.size(),
                                     std::nullopt);
  }

  std::shared_ptr<QualysClient> client_;
  SourceOptions options_;
  Clock clock_;
  KnowledgeBaseCache kb_;
  HostAssetFeed hosts_feed_;
  IncrementalSync<HostAssetStore> hosts_;
  DetectionFeed detections_feed_;
  IncrementalSync<HostDetectionStore> detections_;
};

}  // namespace

std::unique_ptr<Source> MakeHostAssetSource(
    std::shared_ptr<QualysClient> client, SourceOptions options, Clock clock) {
  options.sync.state_dir = options.state_dir;
  return std::make_unique<HostAssetSource>(
      std::move(client), std::move(options), std::move(clock));
}

}  // namespace qx
