// RecordingTelemetry: a Telemetry that remembers what it was told, for tests
// of the client, the poller and the sources.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "qx/telemetry/telemetry.h"

namespace qx::testing {

class RecordingTelemetry : public Telemetry {
 public:
  void ApiRequest(std::string_view endpoint, std::string_view code) override {
    std::lock_guard<std::mutex> lock(mu);
    requests.push_back(std::string(endpoint) + ":" + std::string(code));
  }
  void ApiRateLimit(std::string_view api, const RateLimitInfo& info) override {
    std::lock_guard<std::mutex> lock(mu);
    rate_limits[std::string(api)] = info;
  }
  void SourceAdded(std::string_view source) override {
    std::lock_guard<std::mutex> lock(mu);
    sources.insert(std::string(source));
  }
  void PollFinished(const PollOutcome& outcome) override {
    std::lock_guard<std::mutex> lock(mu);
    outcomes.push_back(outcome);
  }
  void Restored(std::string_view source, double fetched_at) override {
    std::lock_guard<std::mutex> lock(mu);
    restored[std::string(source)] = fetched_at;
  }
  void RecordsFetched(std::string_view source, std::uint64_t n) override {
    std::lock_guard<std::mutex> lock(mu);
    fetched[std::string(source)] += n;
  }
  void SyncProgress(std::string_view source, std::uint64_t records,
                    std::optional<std::uint64_t>) override {
    std::lock_guard<std::mutex> lock(mu);
    progress[std::string(source)] = records;
  }
  void CriterionRefused(std::string_view source,
                        std::string_view field) override {
    std::lock_guard<std::mutex> lock(mu);
    refused.insert(std::string(source) + ":" + std::string(field));
  }
  void InfoSeriesDropped(std::uint64_t n) override {
    std::lock_guard<std::mutex> lock(mu);
    info_dropped = n;
  }

  std::mutex mu;
  std::vector<std::string> requests;
  std::map<std::string, RateLimitInfo> rate_limits;
  std::set<std::string> sources;
  std::vector<PollOutcome> outcomes;
  std::map<std::string, double> restored;
  std::map<std::string, std::uint64_t> fetched;
  std::map<std::string, std::uint64_t> progress;
  std::set<std::string> refused;
  std::uint64_t info_dropped = 0;
};

}  // namespace qx::testing
