// The Qualys sources. Each is one file under src/ that says what to ask
// (a Feed per kept store) and how to turn its stores into families:
//   hostasset_source.cc    host assets, their open detections (Host List
//                          Detection, joined by qwebHostId), scan coverage,
//                          and KnowledgeBase severities a detection lacks
//   was_finding_source.cc  WAS findings and their recurrence, and the WAS
//                          scan schedules (which web apps are scheduled)
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "qx/aggregate/was_aggregation.h"
#include "qx/base/clock.h"
#include "qx/client/qualys_client.h"
#include "qx/poller/source.h"
#include "qx/sources/incremental_sync.h"
#include "qx/sources/page_watch.h"

namespace qx {

inline constexpr char kHostAssetSource[] = "hostasset";
inline constexpr char kKnowledgeBaseSource[] = "knowledge_base";
inline constexpr char kWasFindingSource[] = "was_finding";
inline constexpr char kDetectionSource[] = "detection";
inline constexpr char kWasScanScheduleSource[] = "was_scan_schedule";

struct SourceOptions {
  std::filesystem::path state_dir = "state";
  // limitResults per page. Verbose WAS pages carry every scan's history and
  // gateways time out on large ones (integrations that run against real
  // tenants use 50-100); a page that times out is halved anyway.
  std::uint32_t host_page_size = 500;
  std::uint32_t was_page_size = 100;
  std::uint32_t min_page_size = 10;
  // Hosts per Host List Detection page (truncation_limit): one of the
  // slowest Qualys APIs; integrations use 500.
  std::uint32_t detection_page_size = 500;
  // A host with no vulnerability scan within this age is unscanned.
  std::int64_t coverage_max_scan_age_seconds = 30 * 24 * 3600;
  // WAS history entries per finding (limitHistories); 0 = no cap.
  std::uint32_t was_limit_histories = 0;
  std::size_t kb_batch_size = 500;
  std::int64_t kb_refresh_seconds = 7 * 24 * 3600;
  SyncOptions sync;  // state_dir is filled from the above
  PageWatchOptions watch;
  // Ask the count endpoint before a full sync, for progress and ETA.
  bool count_before_full_sync = true;
  WasAggregationOptions was;
};

// Polls /qps/rest/2.0/search/am/hostasset and the Host List Detection API;
// reports hostasset, detection and knowledge_base. The client is shared.
std::unique_ptr<Source> MakeHostAssetSource(
    std::shared_ptr<QualysClient> client, SourceOptions options, Clock clock);

// Polls /qps/rest/3.0/search/was/finding, then the web apps and scan
// schedules; reports was_finding and was_scan_schedule.
std::unique_ptr<Source> MakeWasFindingSource(
    std::shared_ptr<QualysClient> client, SourceOptions options, Clock clock);

}  // namespace qx
