// DetectionFeed: the VM Host List Detection API (API v2) as a Feed. Full
// walks and vm_processed_after walks both carry each host's complete
// detection list, so every host replaces what the store held for it.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "qx/client/host_detection_client.h"
#include "qx/sources/feed.h"
#include "qx/sources/sources.h"
#include "qx/store/host_detection_store.h"
#include "qx/store/knowledge_base_cache.h"

namespace qx {

inline constexpr char kVmProcessedAfter[] = "vm_processed_after";

class DetectionFeed final : public Feed<HostDetectionStore> {
 public:
  DetectionFeed(QualysClient& client, const SourceOptions& options,
                const KnowledgeBaseCache& kb)
      : client_(client), options_(options), kb_(kb) {}

  std::string_view name() const override { return kDetectionSource; }
  std::string_view search_path() const override { return kHostDetectionPath; }
  std::vector<ChangeField> change_fields() const override {
    return {{kVmProcessedAfter}};
  }
  SearchProgress Walk(const WalkRequest& walk, HostDetectionStore& into,
                      ChangeStamps& stamps, const PageHook& on_page) override;

  // The API server's clock at the start of the last walk (RESPONSE/
  // DATETIME), unix seconds; 0 before any walk. Scan ages are measured
  // against it, not against our clock.
  std::int64_t api_now() const { return api_now_; }
  // QIDs of counted detections that came without a SEVERITY and were not in
  // the KnowledgeBase cache (counted as "unknown" until it has them).
  const std::set<std::uint64_t>& unknown_severity_qids() const {
    return unknown_;
  }

 private:
  QualysClient& client_;
  const SourceOptions& options_;
  const KnowledgeBaseCache& kb_;
  std::int64_t api_now_ = 0;
  std::set<std::uint64_t> unknown_;
};

}  // namespace qx
