// Host vulnerabilities from open detections, and scan coverage: pure
// functions from the stores to metric families. No I/O, no clock (the API's
// "now" is an argument).
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <vector>

#include "qx/store/host_asset_store.h"
#include "qx/store/host_detection_store.h"

namespace qx {

// qualys_azure_host_vulnerabilities {subscription_id, vnet, subnet, severity,
// type} and qualys_host_vulnerabilities {cloud_provider, severity, type}:
// the counted detections (open, Confirmed or Potential) of each Host List
// Detection host, joined to the host asset whose qwebHostId is its ID; a
// detection host no host asset claims counts as cloud_provider="none".
// Severities 1-5 of both types are exported for every provider and every
// Azure subnet the host assets know, 0 included; a detection without a
// severity counts as severity="unknown".
std::vector<prometheus::MetricFamily> AggregateHostVulnerabilities(
    const HostAssetStore& hosts, const HostDetectionStore& detections);

// qualys_host_assets_unscanned {cloud_provider},
// qualys_azure_host_assets_unscanned {subscription_id, vnet, subnet} (every
// Azure subnet, 0 included): hosts whose lastVulnScan is absent or older
// than max_scan_age_seconds before now; and
// qualys_host_last_vuln_scan_age_seconds {cloud_provider} (a histogram,
// buckets 1d, 7d, 30d, 90d, +Inf): the age of each scanned host's last
// scan (never-scanned hosts are only in the unscanned counts).
std::vector<prometheus::MetricFamily> AggregateScanCoverage(
    const HostAssetStore& hosts, std::int64_t now,
    std::int64_t max_scan_age_seconds);

}  // namespace qx
