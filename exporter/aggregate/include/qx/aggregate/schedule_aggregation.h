// WAS scan schedules: a pure function from the schedules and the web apps to
// metric families. No I/O.
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <map>
#include <vector>

#include "qx/records/records.h"

namespace qx {

struct ScheduleAggregation {
  std::vector<prometheus::MetricFamily> families;
  std::size_t info_series_dropped = 0;
};

// qualys_was_scan_schedules {type, active, occurrence_type};
// qualys_was_webapp_scheduled {webapp_id}: 1 if an active VULNERABILITY
// schedule targets the web app (directly or by its tags), for every web app
// in webapps (id -> web app with its tag ids);
// qualys_was_scan_schedule_info {schedule_id, name, webapp_id, type, active,
// occurrence_type, send_mail_from}: one row per web app a schedule targets
// (webapp_id "" when it targets none the exporter knows), at most
// max_info_series rows, active VULNERABILITY schedules first;
// qualys_was_scan_schedule_next_launch_timestamp_seconds {schedule_id}: only
// where the API gave nextLaunchDate (never computed).
ScheduleAggregation AggregateScanSchedules(
    const std::vector<WasScanSchedule>& schedules,
    const std::map<std::uint64_t, WebApp>& webapps,
    std::size_t max_info_series);

}  // namespace qx
