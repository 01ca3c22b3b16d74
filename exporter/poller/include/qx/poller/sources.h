// The Qualys sources: host assets (+ KnowledgeBase severities for their
// vulnerabilities) and WAS findings.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "qx/aggregate/was_aggregation.h"
#include "qx/client/qualys_client.h"
#include "qx/poller/poller.h"
#include "qx/poller/source.h"
#include "qx/store/knowledge_base_cache.h"
#include "qx/store/recurrence_state.h"

namespace qx {

inline constexpr char kHostAssetSource[] = "hostasset";
inline constexpr char kKnowledgeBaseSource[] = "knowledge_base";
inline constexpr char kWasFindingSource[] = "was_finding";

struct SourceOptions {
  std::filesystem::path state_dir = "state";
  std::uint32_t host_page_size = 1000;
  std::uint32_t was_page_size = 1000;
  std::size_t kb_batch_size = 500;
  std::int64_t kb_refresh_seconds = 7 * 24 * 3600;
  // A full walk (catches deletions) at most this often; else incremental.
  std::int64_t full_resync_seconds = 24 * 3600;
  // Stop a poll early (keeping its progress) when X-RateLimit-Remaining
  // falls to this, so the subscription's other integrations keep working.
  std::int64_t reserve_calls = 20;
  // Ask the count endpoint before a full sync, for progress and ETA.
  bool count_before_full_sync = true;
  double progress_log_seconds = 30;
  WasAggregationOptions was;
};

// Polls /qps/rest/2.0/search/am/hostasset; reports hostasset and
// knowledge_base. The client is shared and used from the poll thread only.
std::unique_ptr<Source> MakeHostAssetSource(
    std::shared_ptr<QualysClient> client, SourceOptions options, Clock clock);

// Polls /qps/rest/3.0/search/was/finding; reports was_finding.
std::unique_ptr<Source> MakeWasFindingSource(
    std::shared_ptr<QualysClient> client, SourceOptions options, Clock clock);

}  // namespace qx
