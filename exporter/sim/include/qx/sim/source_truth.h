// Ground truth of the host detection, scan coverage and WAS schedule data
// (part of Simulator::ExpectedJson).
#pragma once

#include <span>

#include "qx/sim/host_assets.h"
#include "qx/sim/host_detections.h"
#include "qx/sim/json_writer.h"
#include "qx/sim/scan_schedules.h"

namespace qx::sim {

// Appends the keys documented in simulator.h (host_detections ...
// was_scan_schedule_next_launch) to the open JSON object.
void WriteSourceTruth(JsonWriter& j, const HostAssetGenerator& gen,
                      const DetectionModel& detections,
                      const ScheduleModel& schedules,
                      std::span<const Seconds> epoch_times, Seconds now,
                      Seconds max_scan_age);

}  // namespace qx::sim
