#include "qx/poller/poller.h"

#include <glog/logging.h>

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
    outcome_[source] = true;
    LOG(INFO) << "poll of " << source << " succeeded in " << duration << " s";
  }
  void Failed(const std::string& source, double duration,
              const std::string& error) override {
    metrics_.PollFailed(source, duration);
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
  void InfoSeriesDropped(double n) override { metrics_.SetInfoSeriesDropped(n); }

  bool Reported(const std::string& source) const {
    return outcome_.contains(source);
  }
  bool AllSucceeded() const {
    for (const auto& [s, ok] : outcome_) {
      if (!ok) return false;
    }
    return true;
  }

 private:
  SnapshotCollector& collector_;
  SelfMetrics& metrics_;
  std::map<std::string, bool> outcome_;
};

Poller::Poller(std::vector<std::unique_ptr<Source>> sources,
               SnapshotCollector& collector, SelfMetrics& self_metrics,
               Clock clock)
    : sources_(std::move(sources)),
      collector_(collector),
      self_metrics_(self_metrics),
      clock_(std::move(clock)) {
  for (const auto& s : sources_) {
    for (const auto& name : s->names()) self_metrics_.AddSource(name);
  }
}

Poller::~Poller() { Stop(); }

bool Poller::PollOnce() {
  Sink sink(collector_, self_metrics_);
  for (auto& source : sources_) {
    double start = clock_();
    try {
      source->Poll(sink);
    } catch (const std::exception& e) {
      for (const auto& name : source->names()) {
        if (!sink.Reported(name)) sink.Failed(name, clock_() - start, e.what());
      }
    }
    // A source that reported nothing for a name has failed to do its job.
    for (const auto& name : source->names()) {
      if (!sink.Reported(name)) {
        sink.Failed(name, clock_() - start, "source reported no outcome");
      }
    }
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
