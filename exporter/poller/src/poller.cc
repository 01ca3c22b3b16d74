#include "qx/poller/poller.h"

#include <glog/logging.h>

#include <algorithm>
#include <future>

#include "qx/logging/log_fields.h"

namespace qx {

bool PollContext::Step(std::string_view source,
                       const std::function<void()>& step) {
  const double start = clock_();
  PollOutcome outcome;
  outcome.source = std::string(source);
  try {
    step();
    outcome.ok = true;
  } catch (const std::exception& e) {
    outcome.error = e.what();
  }
  outcome.finished_at = clock_();
  outcome.duration_seconds = outcome.finished_at - start;
  const bool ok = outcome.ok;
  Report(std::move(outcome));
  return ok;
}

void PollContext::Skipped(std::string_view source, std::string_view why) {
  PollOutcome outcome;
  outcome.source = std::string(source);
  outcome.finished_at = clock_();
  outcome.error = "skipped: " + std::string(why);
  Report(std::move(outcome));
}

void PollContext::Publish(const std::string& key, Snapshot families) {
  collector_.Publish(key, std::move(families));
}

void PollContext::Restored(std::string_view source, double fetched_at) {
  LOG(INFO) << "published " << source << " from state"
            << kv("source", source)
            << kv("fetched_at", static_cast<std::int64_t>(fetched_at));
  telemetry_.Restored(source, fetched_at);
}

void PollContext::Report(PollOutcome outcome) {
  if (outcome.ok) {
    LOG(INFO) << "poll of " << outcome.source << " succeeded"
              << kv("source", outcome.source)
              << kv("duration_seconds", outcome.duration_seconds);
  } else {
    LOG(ERROR) << "poll of " << outcome.source
               << " failed (the last good data stays published)"
               << kv("source", outcome.source)
               << kv("duration_seconds", outcome.duration_seconds)
               << kv("error", outcome.error);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    outcomes_.emplace_back(outcome.source, outcome.ok);
  }
  telemetry_.PollFinished(outcome);
}

bool PollContext::Reported(std::string_view source) const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::any_of(outcomes_.begin(), outcomes_.end(),
                     [&](const auto& o) { return o.first == source; });
}

bool PollContext::AllSucceeded() const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::all_of(outcomes_.begin(), outcomes_.end(),
                     [](const auto& o) { return o.second; });
}

Poller::Poller(std::vector<std::unique_ptr<Source>> sources,
               SnapshotCollector& collector, Telemetry& telemetry, Clock clock,
               bool parallel)
    : sources_(std::move(sources)),
      collector_(collector),
      telemetry_(telemetry),
      clock_(std::move(clock)),
      parallel_(parallel) {
  for (const auto& s : sources_) {
    for (const auto& name : s->names()) telemetry_.SourceAdded(name);
  }
}

Poller::~Poller() { Stop(); }

bool Poller::PollOnce() {
  std::lock_guard<std::mutex> single_flight(poll_mu_);
  PollContext context(collector_, telemetry_, clock_);
  auto poll = [&](Source& source) {
    std::string error = "source reported no outcome";
    try {
      source.Poll(context);
    } catch (const std::exception& e) {
      error = e.what();
    }
    // Every name gets an outcome: one the source did not report has failed.
    for (const auto& name : source.names()) {
      if (!context.Reported(name)) {
        context.Step(name, [&] { throw std::runtime_error(error); });
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
  return context.AllSucceeded();
}

void Poller::Restore() {
  std::lock_guard<std::mutex> single_flight(poll_mu_);
  PollContext context(collector_, telemetry_, clock_);
  for (auto& source : sources_) {
    try {
      source->Restore(context);
    } catch (const std::exception& e) {
      // The first poll fetches what the state could not give.
      LOG(ERROR) << "cannot publish from state: " << e.what();
    }
  }
}

void Poller::Start(std::chrono::milliseconds interval) {
  thread_ = std::thread([this, interval] {
    Restore();
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
