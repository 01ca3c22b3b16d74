// SnapshotCollector: serves the families of each source's last successful
// poll. A poll publishes a complete, immutable snapshot in one pointer swap,
// so a scrape never sees half a poll, and series that vanished from the API
// vanish from /metrics (no Family::Add/Remove churn).
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace qx {

using Snapshot = std::vector<prometheus::MetricFamily>;

class SnapshotCollector : public prometheus::Collectable {
 public:
  // Replaces source's snapshot. Families of different sources must not
  // share names.
  void Publish(const std::string& source, Snapshot families);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  mutable std::mutex mu_;  // guards the map of pointers only, never a copy
  std::map<std::string, std::shared_ptr<const Snapshot>> snapshots_;
};

}  // namespace qx
