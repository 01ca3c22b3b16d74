// The whole simulated tenant: host assets (generated on demand), WAS data
// (stored, evolving) and the current epoch. Also computes the ground truth
// the exporter's metrics must match, straight from the model.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "qx/sim/host_assets.h"
#include "qx/sim/host_detections.h"
#include "qx/sim/scan_schedules.h"
#include "qx/sim/was_findings.h"

namespace qx::sim {

class Dataset {
 public:
  // time_base: "now" of epoch 0 in seconds since the Unix epoch; 0 = the
  // wall clock. With a fixed time base epoch e happens at time_base + e days
  // and every timestamp is reproducible; otherwise Advance() happens "now".
  Dataset(std::uint64_t seed, std::size_t host_assets, std::size_t webapps,
          std::size_t findings_per_webapp, Seconds time_base = 0,
          HostMix host_mix = {}, unsigned was_rescan_percent = 65,
          DetectionMix detection_mix = {}, std::size_t schedules = 12,
          std::size_t webapps_without_findings = 2,
          Seconds processing_lag = 0);

  const HostAssetGenerator& hosts() const { return hosts_; }
  const DetectionModel& detections() const { return detections_; }
  // Immutable: the epoch is passed to ScheduleModel::Schedules.
  const ScheduleModel& schedules() const { return schedules_; }
  int epoch() const { return epoch_.load(); }
  // The clock the API reports (DATETIME ...): the wall clock, or the
  // current epoch's moment with a fixed time base.
  Seconds now() const;
  // T(0..epoch): when each epoch began (see kStampSpread).
  std::vector<Seconds> EpochTimes() const;

  // Moves to the next epoch; returns it. Thread-safe.
  int Advance();

  // Runs fn(const WasDataset&) under the read lock.
  template <typename Fn>
  decltype(auto) WithWas(Fn&& fn) const {
    std::shared_lock lock(mu_);
    return fn(static_cast<const WasDataset&>(was_));
  }

  // Ground truth as JSON (see Simulator::ExpectedJson).
  std::string ExpectedJson(int recurrence_min_scans,
                           Seconds max_scan_age = 30 * kDay) const;

 private:
  HostAssetGenerator hosts_;
  bool fixed_clock_;
  mutable std::shared_mutex mu_;
  std::atomic<int> epoch_{0};
  std::vector<Seconds> epoch_times_;  // guarded by mu_
  WasDataset was_;
  DetectionModel detections_;
  ScheduleModel schedules_;
};

}  // namespace qx::sim
