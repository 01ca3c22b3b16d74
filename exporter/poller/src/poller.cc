#include "qx/poller/poller.h"

#include <glog/logging.h>

#include <future>
#include <map>

namespace qx {

double SystemClockSeconds() {
  return std::chrono::duration<double>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class Poller::Sink final : public PollSink {
 public:
  Sink(SnapshotCollector& c, SelfMetrics& m) : collector_(c), metrics_(m) {}

  void Publish(const std::string& key, Snapshot families) override {
    collector_.Publish(key, std::move(families));
  }
  void Succeeded(const std::string& source, double duration) override {
    metrics_.PollSucceeded(source, duration, SystemClockSeconds());
    std::lock_guard<std::mutex> lock(mu_);
    outcome_[source] = true;
    LOG(INFO) << "poll of " << source << " succeeded in " << duration << " s";
  }
  void Failed(const std::string& source, double duration,
              const std::string& error) override {
    metrics_.PollFailed(source, duration);
    std::lock_guard<std::mutex> lock(mu_);
    outcome_[source] = false;
    LOG(ERROR) << "poll of " << source << " failed after " << duration
               << " s: " << error << " (last good data stays published)";
  }
  void RecordsFetched(const std::string& source, std::uint64_t n) override {
    metrics_.RecordsFetched(source, n);
  }
  void SyncRecords(const std::string& source, double n) override {
    metrics_.SetSyncRecords(source, n);
  }
  void SyncExpectedRecords(const std::string& source, double n) override {
    metrics_.SetSyncExpectedRecords(source, n);
  }
  void InfoSeriesDropped(double n) override {
    metrics_.SetInfoSeriesDropped(n);
  }

  bool Reported(const std::string& source) const {
    std::lock_guard<std::mutex> lock(mu_);
    return outcome_.contains(source);
  }
  bool AllSucceeded() const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [s, ok] : outcome_) {
      if (!ok) return false;
    }
    return true;
  }

 private:
  SnapshotCollector& collector_;
  SelfMetrics& metrics_;
  mutable std::mutex mu_;
  std::map<std::string, bool> outcome_;
};

Poller::Poller(std::vector<std::unique_ptr<Source>> sources,
               SnapshotCollector& collector, SelfMetrics& self_metrics,
               Clock clock, bool parallel)
    : sources_(std::move(sources)),
      collector_(collector),
      self_metrics_(self_metrics),
      clock_(std::move(clock)),
      parallel_(parallel) {
  for (const auto& s : sources_) {
    for (const auto& name : s->names()) self_metrics_.AddSource(name);
  }
}

Poller::~Poller() { Stop(); }

bool Poller::PollOnce() {
  Sink sink(collector_, self_metrics_);
  auto poll = [&](Source& source) {
    double start = clock_();
    try {
      source.Poll(sink);
    } catch (const std::exception& e) {
      for (const auto& name : source.names()) {
        if (!sink.Reported(name)) sink.Failed(name, clock_() - start, e.what());
      }
    }
    // A source that reported nothing for a name has failed to do its job.
    for (const auto& name : source.names()) {
      if (!sink.Reported(name)) {
        sink.Failed(name, clock_() - start, "source reported no outcome");
      }
    }
  };
  if (parallel_) {
    std::vector<std::future<void>> running;
    for (auto& source : sources_) {
      running.push_back(
          std::async(std::launch::async, poll, std::ref(*source)));
    }
    for (auto& r : running) r.get();
  } else {
    for (auto& source : sources_) poll(*source);
  }
  return sink.AllSucceeded();
}

void Poller::Start(std::chrono::milliseconds interval) {
  thread_ = std::thread([this, interval] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      lock.unlock();
      PollOnce();
      lock.lock();
      cv_.wait_for(lock, interval, [this] { return stop_; });
    }
  });
}

void Poller::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace qx
