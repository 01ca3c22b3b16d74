// Writers of the WAS scan schedule and web app search answers
// (render_schedule.cc).
#pragma once

#include <string_view>

#include "qx/sim/scan_schedules.h"
#include "qx/sim/xml_writer.h"

namespace qx::sim {

inline constexpr std::string_view kScheduleXsd =
    "https://qualysapi.qualys.com/qps/xsd/3.0/was/wasscanschedule.xsd";
inline constexpr std::string_view kWebAppXsd =
    "https://qualysapi.qualys.com/qps/xsd/3.0/was/webapp.xsd";

void WriteSchedule(XmlWriter& w, const ScheduleModel& model,
                   const ScheduleRec& s, Seconds now);
// scheduled: what <isScheduled> says (an active schedule targets it).
void WriteWebApp(XmlWriter& w, const ScheduleWebApp& app, bool scheduled);

}  // namespace qx::sim
