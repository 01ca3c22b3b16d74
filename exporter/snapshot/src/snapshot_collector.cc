#include "qx/snapshot/snapshot_collector.h"

namespace qx {

void SnapshotCollector::Publish(const std::string& source, Snapshot families) {
  auto next = std::make_shared<const Snapshot>(std::move(families));
  std::lock_guard<std::mutex> lock(mu_);
  snapshots_[source] = std::move(next);
}

std::vector<prometheus::MetricFamily> SnapshotCollector::Collect() const {
  std::vector<std::shared_ptr<const Snapshot>> current;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, snap] : snapshots_) current.push_back(snap);
  }
  std::vector<prometheus::MetricFamily> out;
  for (const auto& snap : current)
    out.insert(out.end(), snap->begin(), snap->end());
  return out;
}

}  // namespace qx
