#include "qx/aggregate/schedule_aggregation.h"

#include <algorithm>
#include <array>
#include <string>

#include "qx/aggregate/family_builder.h"
#include "qx/records/timestamp.h"

namespace qx {

ScheduleAggregation AggregateScanSchedules(
    const std::vector<WasScanSchedule>& schedules,
    const std::map<std::uint64_t, WebApp>& webapps,
    std::size_t max_info_series) {
  auto active = [](const WasScanSchedule& s) {
    return std::string(s.active ? "true" : "false");
  };
  std::map<std::array<std::string, 3>, std::uint64_t> by_kind;
  std::map<std::uint64_t, bool> scheduled;
  for (const auto& [id, app] : webapps) scheduled[id] = false;
  // Info rows: active VULNERABILITY schedules first, so the cap keeps what
  // the alert and the dashboards ask about.
  std::vector<const WasScanSchedule*> order;
  for (const WasScanSchedule& s : schedules) {
    ++by_kind[{s.type, active(s), s.occurrence_type}];
    order.push_back(&s);
  }
  std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) {
    return IsActiveVulnerabilitySchedule(*a) &&
           !IsActiveVulnerabilitySchedule(*b);
  });

  ScheduleAggregation out;
  FamilyBuilder info(
      "qualys_was_scan_schedule_info",
      std::string("WAS scan schedules and the web apps they target, value 1 "
                  "(capped by --was.max-finding-series)") +
          kPollNote,
      prometheus::MetricType::Gauge);
  FamilyBuilder next(
      "qualys_was_scan_schedule_next_launch_timestamp_seconds",
      std::string("Next launch of the WAS scan schedule, as the API gives "
                  "it, unix seconds") +
          kPollNote,
      prometheus::MetricType::Gauge);
  std::size_t rows = 0;
  for (const WasScanSchedule* s : order) {
    std::vector<std::string> targets;
    for (const auto& [id, app] : webapps) {
      if (!ScheduleTargetsWebApp(*s, id, app.tag_ids)) continue;
      targets.push_back(std::to_string(id));
      if (IsActiveVulnerabilitySchedule(*s)) scheduled[id] = true;
    }
    if (targets.empty()) targets.emplace_back();  // e.g. a deleted web app
    for (const std::string& webapp : targets) {
      if (rows++ >= max_info_series) {
        ++out.info_series_dropped;
        continue;
      }
      info.Gauge({{"schedule_id", std::to_string(s->id)},
                  {"name", s->name},
                  {"webapp_id", webapp},
                  {"type", s->type},
                  {"active", active(*s)},
                  {"occurrence_type", s->occurrence_type},
                  {"send_mail_from", s->send_mail_from}},
                 1);
    }
    if (auto t = ParseIsoTimestamp(s->next_launch_date)) {
      next.Gauge({{"schedule_id", std::to_string(s->id)}},
                 static_cast<double>(*t));
    }
  }
  FamilyBuilder kinds("qualys_was_scan_schedules",
                      std::string("WAS scan schedules by type, activity and "
                                  "occurrence") +
                          kPollNote,
                      prometheus::MetricType::Gauge);
  for (const auto& [k, n] : by_kind) {
    kinds.Gauge({{"type", k[0]}, {"active", k[1]}, {"occurrence_type", k[2]}},
                static_cast<double>(n));
  }
  FamilyBuilder f_scheduled(
      "qualys_was_webapp_scheduled",
      std::string("1 if an active VULNERABILITY scan schedule targets the web "
                  "app, directly or by tag, else 0") +
          kPollNote,
      prometheus::MetricType::Gauge);
  for (const auto& [id, yes] : scheduled) {
    f_scheduled.Gauge({{"webapp_id", std::to_string(id)}}, yes ? 1 : 0);
  }
  out.families.push_back(std::move(kinds).Build());
  out.families.push_back(std::move(f_scheduled).Build());
  out.families.push_back(std::move(info).Build());
  out.families.push_back(std::move(next).Build());
  return out;
}

}  // namespace qx
