#include "qx/snapshot/self_metrics.h"

#include <chrono>

namespace qx {

using prometheus::BuildCounter;
using prometheus::BuildGauge;

SelfMetrics::SelfMetrics(std::string_view version, std::string_view revision)
    : registry_(std::make_shared<prometheus::Registry>()),
      up_(BuildGauge()
              .Name("qualys_up")
              .Help("1 if the last poll of every Qualys source succeeded")
              .Register(*registry_)),
      source_up_(BuildGauge()
                     .Name("qualys_exporter_source_up")
                     .Help("1 if the last poll of this source succeeded")
                     .Register(*registry_)),
      last_success_(
          BuildGauge()
              .Name("qualys_exporter_last_poll_success_timestamp_seconds")
              .Help("Unix time of the last successful poll of this source")
              .Register(*registry_)),
      duration_(BuildGauge()
                    .Name("qualys_exporter_poll_duration_seconds")
                    .Help("Duration of the last poll of this source")
                    .Register(*registry_)),
      requests_(BuildCounter()
                    .Name("qualys_exporter_api_requests_total")
                    .Help("Qualys API requests by endpoint and HTTP status "
                          "code (\"error\" for transport failures)")
                    .Register(*registry_)),
      rate_remaining_(BuildGauge()
                          .Name("qualys_exporter_api_rate_limit_remaining")
                          .Help("Last X-RateLimit-Remaining the API sent")
                          .Register(*registry_)),
      rate_limit_(
          BuildGauge()
              .Name("qualys_exporter_api_rate_limit")
              .Help("Last X-RateLimit-Limit the API sent (calls per window)")
              .Register(*registry_)),
      concurrency_running_(
          BuildGauge()
              .Name("qualys_exporter_api_concurrency_running")
              .Help("Last X-Concurrency-Limit-Running the API sent")
              .Register(*registry_)),
      records_(BuildCounter()
                   .Name("qualys_exporter_records_fetched_total")
                   .Help("Records fetched from the Qualys API by source")
                   .Register(*registry_)),
      sync_records_(BuildGauge()
                        .Name("qualys_exporter_sync_records")
                        .Help("Records synced for this source so far (updated "
                              "during a sync, so a long first sync shows "
                              "progress)")
                        .Register(*registry_)),
      sync_expected_(BuildGauge()
                         .Name("qualys_exporter_sync_expected_records")
                         .Help("Records the API's count endpoint reported "
                               "before the last full sync")
                         .Register(*registry_)),
      info_dropped_(BuildGauge()
                        .Name("qualys_exporter_recurring_finding_info_dropped")
                        .Help("Recurring findings left out of "
                              "qualys_was_recurring_finding_info by "
                              "--was.max-finding-series in the last poll")
                        .Register(*registry_)),
      build_info_(BuildGauge()
                      .Name("qualys_exporter_build_info")
                      .Help("Build information, value 1")
                      .Register(*registry_)) {
  build_info_
      .Add({{"version", std::string(version)},
            {"revision", std::string(revision)}})
      .Set(1);
  up_.Add({}).Set(0);
  info_dropped_.Add({}).Set(0);
}

void SelfMetrics::AddSource(const std::string& source) {
  std::lock_guard<std::mutex> lock(mu_);
  source_state_.try_emplace(source, false);
  sources_[source].name = source;
  source_up_.Add({{"source", source}}).Set(0);
  records_.Add({{"source", source}});
  UpdateUp();
}

void SelfMetrics::UpdateUp() {
  bool all = !source_state_.empty();
  for (const auto& [s, ok] : source_state_) all = all && ok;
  up_.Add({}).Set(all ? 1 : 0);
}

void SelfMetrics::PollSucceeded(const std::string& source, double duration,
                                double now) {
  std::lock_guard<std::mutex> lock(mu_);
  source_state_[source] = true;
  SourceState& st = sources_[source];
  st.name = source;
  st.polled = st.last_ok = true;
  st.last_poll_unix = st.last_success_unix = now;
  source_up_.Add({{"source", source}}).Set(1);
  last_success_.Add({{"source", source}}).Set(now);
  duration_.Add({{"source", source}}).Set(duration);
  UpdateUp();
}

void SelfMetrics::PollFailed(const std::string& source, double duration) {
  std::lock_guard<std::mutex> lock(mu_);
  source_state_[source] = false;
  SourceState& st = sources_[source];
  st.name = source;
  st.polled = true;
  st.last_ok = false;
  st.last_poll_unix = std::chrono::duration<double>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  source_up_.Add({{"source", source}}).Set(0);
  duration_.Add({{"source", source}}).Set(duration);
  UpdateUp();
}

void SelfMetrics::RecordsFetched(const std::string& source, std::uint64_t n) {
  records_.Add({{"source", source}}).Increment(static_cast<double>(n));
}

void SelfMetrics::SetSyncRecords(const std::string& source, double records) {
  sync_records_.Add({{"source", source}}).Set(records);
  std::lock_guard<std::mutex> lock(mu_);
  sources_[source].name = source;
  sources_[source].records = records;
}

void SelfMetrics::SetSyncExpectedRecords(const std::string& source,
                                         double records) {
  sync_expected_.Add({{"source", source}}).Set(records);
  std::lock_guard<std::mutex> lock(mu_);
  sources_[source].name = source;
  sources_[source].expected_records = records;
}

std::vector<SelfMetrics::SourceState> SelfMetrics::Sources() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SourceState> out;
  for (const auto& [name, state] : sources_) {
    if (source_state_.count(name)) out.push_back(state);
  }
  return out;
}

void SelfMetrics::SetInfoSeriesDropped(double n) {
  info_dropped_.Add({}).Set(n);
}

void SelfMetrics::OnRequest(std::string_view endpoint, std::string_view code) {
  requests_
      .Add({{"endpoint", std::string(endpoint)}, {"code", std::string(code)}})
      .Increment();
}

void SelfMetrics::OnRateLimit(const RateLimitInfo& info) {
  if (info.remaining) {
    rate_remaining_.Add({}).Set(static_cast<double>(*info.remaining));
  }
  if (info.limit) rate_limit_.Add({}).Set(static_cast<double>(*info.limit));
  if (info.concurrency_running) {
    concurrency_running_.Add({}).Set(
        static_cast<double>(*info.concurrency_running));
  }
}

}  // namespace qx
