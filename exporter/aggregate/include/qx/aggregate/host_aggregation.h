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

// Severity label for detections with no severity (neither in the detection
// nor in the KnowledgeBase): counted, never dropped (docs/metrics.md).
inline constexpr char kUnknownSeverity[] = "unknown";

// qualys_host_assets and qualys_azure_host_assets.
std::vector<prometheus::MetricFamily> AggregateHostAssets(
    const HostAssetStore& store);

}  // namespace qx
