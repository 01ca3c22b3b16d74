// SelfMetrics: the exporter's own health (qualys_up, qualys_exporter_*),
// kept apart from the Qualys data in an ordinary prometheus-cpp Registry.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "qx/telemetry/telemetry.h"

namespace qx {

class SelfMetrics final : public Telemetry {
 public:
  SelfMetrics(std::string_view version, std::string_view revision);

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // Configuration that alert rules compare against (no hard-coded periods).
  void SetPollIntervals(double poll_seconds, double full_resync_seconds);

  void ApiRequest(std::string_view endpoint, std::string_view code) override;
  void ApiRateLimit(std::string_view api, const RateLimitInfo& info) override;
  void SourceAdded(std::string_view source) override;
  void PollFinished(const PollOutcome& outcome) override;
  void Restored(std::string_view source, double fetched_at) override;
  void RecordsFetched(std::string_view source, std::uint64_t n) override;
  void SyncProgress(std::string_view source, std::uint64_t records,
                    std::optional<std::uint64_t> expected) override;
  void CriterionRefused(std::string_view source,
                        std::string_view field) override;
  void InfoSeriesDropped(std::uint64_t n) override;

  // What the landing page and readiness show per source.
  struct SourceState {
    std::string name;
    bool polled = false;           // a poll of it has ended, either way
    bool last_ok = false;          // the last poll succeeded
    double last_poll_unix = 0;     // when the last poll ended
    // When the published data was fetched: the last successful poll's end,
    // or, restored from state, its sync's start. 0: nothing published.
    double last_success_unix = 0;
    double records = -1;           // records held / synced so far; -1 unknown
    double expected_records = -1;  // the count endpoint's total; -1 unknown
  };
  // Every registered source, in name order.
  std::vector<SourceState> Sources() const;

 private:
  void UpdateUp();  // requires mu_

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Gauge>& up_;
  prometheus::Family<prometheus::Gauge>& source_up_;
  prometheus::Family<prometheus::Gauge>& last_success_;
  prometheus::Family<prometheus::Gauge>& duration_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Gauge>& rate_remaining_;
  prometheus::Family<prometheus::Gauge>& rate_limit_;
  prometheus::Family<prometheus::Gauge>& concurrency_running_;
  prometheus::Family<prometheus::Counter>& records_;
  prometheus::Family<prometheus::Gauge>& sync_records_;
  prometheus::Family<prometheus::Gauge>& sync_expected_;
  prometheus::Family<prometheus::Gauge>& criterion_refused_;
  prometheus::Family<prometheus::Gauge>& info_dropped_;
  prometheus::Family<prometheus::Gauge>& poll_interval_;
  prometheus::Family<prometheus::Gauge>& full_resync_interval_;
  prometheus::Family<prometheus::Gauge>& build_info_;
  prometheus::Family<prometheus::Gauge>& start_time_;

  mutable std::mutex mu_;
  std::map<std::string, SourceState, std::less<>> sources_;
};

}  // namespace qx
