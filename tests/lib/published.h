// Reads what a SnapshotCollector publishes, as a scrape would: the sum of
// the samples of one metric name in its exposition text.
#pragma once

#include <sstream>
#include <string>

#include "qx/snapshot/snapshot_collector.h"

namespace qx::testing {

inline double PublishedSum(const SnapshotCollector& collector,
                           const std::string& name) {
  std::ostringstream text;
  collector.WriteText(text);
  std::istringstream in(text.str());
  double sum = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto end = line.find_first_of("{ ");
    if (line.compare(0, end, name) != 0 || end != name.size()) continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

}  // namespace qx::testing
