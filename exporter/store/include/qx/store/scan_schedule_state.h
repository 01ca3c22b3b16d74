// ScanScheduleState: the last successful schedule poll -- every WAS scan
// schedule and every web app (name, URL, tags) -- kept in --state.dir so that a
// restarted exporter publishes the schedule families before it can reach the
// API. Schedules are few (one page); the file is rewritten after each poll.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <vector>

#include "qx/records/records.h"

namespace qx {

struct ScanScheduleState {
  // When the poll that fetched this began, unix seconds; 0: none stored.
  std::int64_t fetched_at = 0;
  std::vector<WasScanSchedule> schedules;
  // Every web app the web app search returned, with its tag ids.
  std::map<std::uint64_t, WebApp> webapps;

  // An absent file leaves the state empty. Throws StateError for a
  // damaged, foreign or malformed file.
  void Load(const std::filesystem::path& path);
  void Save(const std::filesystem::path& path) const;
};

}  // namespace qx
