// Poller: runs every Source in a background thread, one poll at a time, and
// publishes each result atomically. On failure the last good snapshot stays.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "qx/base/clock.h"
#include "qx/poller/source.h"
#include "qx/snapshot/snapshot_collector.h"
#include "qx/telemetry/telemetry.h"

namespace qx {

class Poller {
 public:
  // parallel: poll the sources concurrently (each still one call at a time;
  // the client caps calls in flight with --api.max-concurrency).
  Poller(std::vector<std::unique_ptr<Source>> sources,
         SnapshotCollector& collector, Telemetry& telemetry,
         Clock clock = SystemClockSeconds, bool parallel = false);
  ~Poller();  // stops the thread

  // One poll of every source, in the calling thread. True if all succeeded.
  // Never runs twice at once: a second caller waits for the first.
  bool PollOnce();

  // Publishes every source's durable state (Source::Restore). Start does
  // this first; --once does not (its output is that one poll).
  void Restore();

  // Restores, polls now and then every interval until Stop().
  void Start(std::chrono::milliseconds interval);
  void Stop();

 private:
  std::vector<std::unique_ptr<Source>> sources_;
  SnapshotCollector& collector_;
  Telemetry& telemetry_;
  Clock clock_;
  bool parallel_;

  std::mutex poll_mu_;  // single flight
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace qx
