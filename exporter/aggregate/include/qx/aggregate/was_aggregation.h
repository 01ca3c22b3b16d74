// WAS finding aggregation: pure functions from the store to metric families
// and to the list of recurring findings. No I/O, no clock.
#pragma once

#include <prometheus/metric_family.h>

#include <array>
#include <cstdint>
#include <map>
#include <vector>

#include "qx/store/recurrence_state.h"
#include "qx/store/was_finding_store.h"

namespace qx {

struct WasAggregationOptions {
  // A finding seen in at least this many distinct scans is recurring.
  std::uint32_t recurrence_min_scans = 2;
  // Cap on qualys_was_recurring_finding_info series.
  std::size_t max_finding_series = 1000;
};

// True for open (not FIXED) VULNERABILITY/SENSITIVE_CONTENT findings that are
// REOPENED or were detected in >= min_scans distinct scans. Without history,
// timesDetected stands in for the scan count.
bool IsRecurring(const WasFindingStore::Finding& f, std::uint32_t min_scans);

// Every recurring finding, sorted by id.
std::vector<RecurringFinding> FindRecurring(const WasFindingStore& store,
                                            std::uint32_t min_scans);

struct WasAggregation {
  std::vector<prometheus::MetricFamily> families;
  // Info series left out by max_finding_series.
  std::size_t info_series_dropped = 0;
};

// became_recurring_total: cumulative counter values per severity (index 1-5),
// from RecurrenceState.
WasAggregation AggregateWasFindings(
    const WasFindingStore& store, const WasAggregationOptions& options,
    const std::array<std::uint64_t, 6>& became_recurring_total);

// qualys_was_webapp_info {webapp_id, name, url}, value 1, for every web app.
prometheus::MetricFamily AggregateWebAppInfo(
    const std::map<std::uint64_t, WebApp>& webapps);

}  // namespace qx
