#include "qx/telemetry/self_metrics.h"

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
      rate_remaining_(
          BuildGauge()
              .Name("qualys_exporter_api_rate_limit_remaining")
              .Help("Last X-RateLimit-Remaining this API family sent")
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
      criterion_refused_(
          BuildGauge()
              .Name("qualys_exporter_sync_criterion_refused")
              .Help("1 if the API refused this changed-since search field; "
                    "the sync falls back to the other fields or a full walk")
              .Register(*registry_)),
      info_dropped_(BuildGauge()
                        .Name("qualys_exporter_recurring_finding_info_dropped")
                        .Help("Recurring findings left out of "
                              "qualys_was_recurring_finding_info by "
                              "--was.max-finding-series in the last poll")
                        .Register(*registry_)),
      poll_interval_(BuildGauge()
                         .Name("qualys_exporter_poll_interval_seconds")
                         .Help("Configured --poll.interval")
                         .Register(*registry_)),
      full_resync_interval_(
          BuildGauge()
              .Name("qualys_exporter_full_resync_interval_seconds")
              .Help("Configured --poll.full-resync-interval")
              .Register(*registry_)),
      build_info_(BuildGauge()
                      .Name("qualys_exporter_build_info")
                      .Help("Build information, value 1")
                      .Register(*registry_)),
      start_time_(BuildGauge()
                      .Name("qualys_exporter_start_time_seconds")
                      .Help("Unix time the exporter started")
                      .Register(*registry_)) {
  // QualysSourcePollFailing counts from here for a source that has not
  // succeeded since the start.
  start_time_.Add({}).Set(
      std::chrono::duration<double>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  build_info_
      .Add({{"version", std::string(version)},
            {"revision", std::string(revision)}})
      .Set(1);
  up_.Add({}).Set(0);
  info_dropped_.Add({}).Set(0);
}

void SelfMetrics::SetPollIntervals(double poll_seconds,
                                   double full_resync_seconds) {
  poll_interval_.Add({}).Set(poll_seconds);
  full_resync_interval_.Add({}).Set(full_resync_seconds);
}

void SelfMetrics::SourceAdded(std::string_view name) {
  const std::string source(name);
  std::lock_guard<std::mutex> lock(mu_);
  sources_[source].name = source;
  source_up_.Add({{"source", source}}).Set(0);
  records_.Add({{"source", source}});
  UpdateUp();
}

void SelfMetrics::UpdateUp() {
  bool all = !sources_.empty();
  for (const auto& [name, state] : sources_) all = all && state.last_ok;
  up_.Add({}).Set(all ? 1 : 0);
}

void SelfMetrics::PollFinished(const PollOutcome& o) {
  const prometheus::Labels labels{{"source", o.source}};
  std::lock_guard<std::mutex> lock(mu_);
  SourceState& state = sources_[o.source];
  state.name = o.source;
  state.polled = true;
  state.last_ok = o.ok;
  state.last_poll_unix = o.finished_at;
  if (o.ok) state.last_success_unix = o.finished_at;
  source_up_.Add(labels).Set(o.ok ? 1 : 0);
  if (o.ok) last_success_.Add(labels).Set(o.finished_at);
  duration_.Add(labels).Set(o.duration_seconds);
  UpdateUp();
}

void SelfMetrics::Restored(std::string_view source, double fetched_at) {
  const std::string name(source);
  std::lock_guard<std::mutex> lock(mu_);
  SourceState& state = sources_[name];
  state.name = name;
  // A poll that already ended knows better (Restore runs before the first).
  if (state.last_success_unix >= fetched_at) return;
  state.last_success_unix = fetched_at;
  // Data age from the state, so QualysDataStale sees a stale restore;
  // source_up stays 0 until a poll of this process succeeds.
  last_success_.Add({{"source", name}}).Set(fetched_at);
}

void SelfMetrics::RecordsFetched(std::string_view source, std::uint64_t n) {
  records_.Add({{"source", std::string(source)}})
      .Increment(static_cast<double>(n));
}

void SelfMetrics::SyncProgress(std::string_view source, std::uint64_t records,
                               std::optional<std::uint64_t> expected) {
  const prometheus::Labels labels{{"source", std::string(source)}};
  sync_records_.Add(labels).Set(static_cast<double>(records));
  if (expected) sync_expected_.Add(labels).Set(static_cast<double>(*expected));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sources_.find(source);
  if (it == sources_.end()) return;  // a part of a source, e.g. its KB step
  it->second.records = static_cast<double>(records);
  if (expected) it->second.expected_records = static_cast<double>(*expected);
}

std::vector<SelfMetrics::SourceState> SelfMetrics::Sources() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SourceState> out;
  for (const auto& [name, state] : sources_) out.push_back(state);
  return out;
}

void SelfMetrics::CriterionRefused(std::string_view source,
                                   std::string_view field) {
  criterion_refused_
      .Add({{"source", std::string(source)}, {"field", std::string(field)}})
      .Set(1);
}

void SelfMetrics::InfoSeriesDropped(std::uint64_t n) {
  info_dropped_.Add({}).Set(static_cast<double>(n));
}

void SelfMetrics::ApiRequest(std::string_view endpoint, std::string_view code) {
  requests_
      .Add({{"endpoint", std::string(endpoint)}, {"code", std::string(code)}})
      .Increment();
}

void SelfMetrics::ApiRateLimit(std::string_view api,
                               const RateLimitInfo& info) {
  const prometheus::Labels labels{{"api", std::string(api)}};
  if (info.remaining) {
    rate_remaining_.Add(labels).Set(static_cast<double>(*info.remaining));
  }
  if (info.limit) rate_limit_.Add(labels).Set(static_cast<double>(*info.limit));
  if (info.concurrency_running) {
    concurrency_running_.Add(labels).Set(
        static_cast<double>(*info.concurrency_running));
  }
}

}  // namespace qx
