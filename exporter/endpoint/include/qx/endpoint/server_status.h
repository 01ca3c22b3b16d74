// What the landing page and /-/ready show: per-source poll status, supplied
// by the program (qx::StatusFromSelfMetrics wires it to SelfMetrics).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace qx {

class SelfMetrics;

struct SourceStatus {
  std::string name;
  std::string last_result;       // "ok", "failed", or "" (not polled yet)
  double last_poll_unix = 0;     // when the last poll ended; 0: never
  double records = -1;           // records held / synced so far; <0 unknown
  double expected_records = -1;  // the API's count of them; <0 unknown
  bool published = false;        // has published data (from state or a poll)
};

struct ServerStatus {
  std::function<std::vector<SourceStatus>()> sources;  // may be empty
  // Ready to serve meaningful data. Unset: every source has published.
  std::function<bool()> ready;
};

// Sources and readiness from SelfMetrics (a source has published once its
// first poll succeeded). self_metrics must outlive the returned functions.
ServerStatus StatusFromSelfMetrics(const SelfMetrics& self_metrics);

}  // namespace qx
