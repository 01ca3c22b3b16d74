// Poller: runs every Source in a background thread, one poll at a time, and
// publishes each result atomically. On failure the last good snapshot stays.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "qx/poller/source.h"
#include "qx/snapshot/self_metrics.h"
#include "qx/snapshot/snapshot_collector.h"

namespace qx {

// Wall clock as unix seconds; injectable for tests.
using Clock = std::function<double()>;
double SystemClockSeconds();

class Poller {
 public:
  // parallel: poll the sources concurrently (each still one call at a time;
  // the client caps calls in flight with --api.max-concurrency).
  Poller(std::vector<std::unique_ptr<Source>> sources,
         SnapshotCollector& collector, SelfMetrics& self_metrics,
         Clock clock = SystemClockSeconds, bool parallel = false);
  ~Poller();  // stops the thread

  // One poll of every source, in this thread. True if all succeeded.
  bool PollOnce();

  // Polls now and then every interval until Stop().
  void Start(std::chrono::milliseconds interval);
  void Stop();

 private:
  class Sink;

  std::vector<std::unique_ptr<Source>> sources_;
  SnapshotCollector& collector_;
  SelfMetrics& self_metrics_;
  Clock clock_;
  bool parallel_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace qx
