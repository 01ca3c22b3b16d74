// Host assets (Asset Management) and the KnowledgeBase severities of their
// vulnerabilities. One poll: sync the host assets, publish them, then fill
// missing QID severities and publish the vulnerability counts.
#include <glog/logging.h>

#include <set>

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
// stamped when Qualys processes a change (not lag-prone): see
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
    QpsSearchRequest req;
    req.path = kHostAssetSearchPath;
    req.endpoint_label = kHostAssetSource;
    req.limit_results =
        walk.limit_results ? walk.limit_results : options_.host_page_size;
    req.min_limit_results = options_.min_page_size;
    req.criteria = walk.criteria;
    req.start_after_id = walk.after_id;
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
        feed_(*client_, options_),
        sync_(feed_, options_.sync, std::move(clock)) {
    if (auto error = LoadOrReset(kb_, KbPath()); !error.empty()) {
      LOG(ERROR) << error;
    }
    LOG(INFO) << "knowledge base cache: " << kb_.size() << " QIDs";
  }

  std::vector<std::string> names() const override {
    return {kHostAssetSource, kKnowledgeBaseSource};
  }

  void Poll(PollContext& context) override {
    const bool synced = context.Step(kHostAssetSource, [&] {
      RunSync(sync_, feed_, *client_, context, options_);
      context.Publish(kHostAssetSource, AggregateHostAssets(sync_.store()));
    });
    if (!synced) {
      context.Skipped(kKnowledgeBaseSource, "host asset poll failed");
      return;
    }
    // Without severities the vulnerability counts would be wrong: on
    // failure the last good ones stay published.
    context.Step(kKnowledgeBaseSource, [&] {
      FillSeverities(context);
      context.Publish(std::string(kHostAssetSource) + "_vulnerabilities",
                      AggregateHostVulnerabilities(sync_.store(),
                                                   [this](std::uint64_t qid) {
                                                     return kb_.Severity(qid);
                                                   }));
    });
  }

 private:
  std::filesystem::path KbPath() const {
    return options_.sync.state_dir / kKnowledgeBaseFile;
  }

  // Asks the KnowledgeBase for the QIDs without a fresh cached severity.
  void FillSeverities(PollContext& context) {
    const auto now = static_cast<std::int64_t>(context.Now());
    auto missing = kb_.Missing(
        sync_.store().DistinctQids(), now, options_.kb_refresh_seconds,
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
        if (logged_unknown_.insert(qid).second) {
          LOG(WARNING) << "QID " << qid
                       << " is not in the KnowledgeBase; its detections are "
                          "counted with severity=\""
                       << kUnknownSeverity << "\"";
        }
      }
      kb_.Save(KbPath());
    }
    context.telemetry().SyncProgress(kKnowledgeBaseSource, kb_.size(),
                                     std::nullopt);
  }

  std::shared_ptr<QualysClient> client_;
  SourceOptions options_;
  HostAssetFeed feed_;
  IncrementalSync<HostAssetStore> sync_;
  KnowledgeBaseCache kb_;
  std::set<std::uint64_t> logged_unknown_;
};

}  // namespace

std::unique_ptr<Source> MakeHostAssetSource(
    std::shared_ptr<QualysClient> client, SourceOptions options, Clock clock) {
  options.sync.state_dir = options.state_dir;
  return std::make_unique<HostAssetSource>(
      std::move(client), std::move(options), std::move(clock));
}

}  // namespace qx
