// Host-asset aggregation: a pure function from the store (and QID
// severities) to metric families. No I/O, no clock.
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "qx/store/host_asset_store.h"

namespace qx {

// Severity label used for detections whose QID the KnowledgeBase did not
// return: counted, never dropped (docs/metrics.md).
inline constexpr char kUnknownSeverity[] = "unknown";

using SeverityLookup = std::function<std::optional<int>(std::uint64_t qid)>;

// qualys_host_assets and qualys_azure_host_assets.
std::vector<prometheus::MetricFamily> AggregateHostAssets(
    const HostAssetStore& store);

// qualys_azure_host_vulnerabilities and qualys_host_vulnerabilities.
// unknown_qids (optional) receives QIDs with no severity, sorted.
std::vector<prometheus::MetricFamily> AggregateHostVulnerabilities(
    const HostAssetStore& store, const SeverityLookup& severity,
    std::vector<std::uint64_t>* unknown_qids = nullptr);

}  // namespace qx
