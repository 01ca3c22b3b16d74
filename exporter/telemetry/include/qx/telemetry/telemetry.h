// Telemetry: the one narrow interface through which the client and the
// poller report on the exporter's own work (requests, rate limits, polls,
// sync progress). SelfMetrics turns it into qualys_exporter_* series; tests
// record it. Implementations must be thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qx {

// Rate-limit and concurrency headers of one answer (absent = not sent).
struct RateLimitInfo {
  std::optional<std::int64_t> limit;
  std::optional<std::int64_t> window_sec;
  std::optional<std::int64_t> remaining;
  std::optional<std::int64_t> to_wait_sec;
  std::optional<std::int64_t> concurrency_limit;
  std::optional<std::int64_t> concurrency_running;
};

// How one poll of one source ended.
struct PollOutcome {
  std::string source;
  bool ok = false;
  double duration_seconds = 0;
  double finished_at = 0;  // unix seconds, by the injected clock
  std::string error;       // empty when ok
};

class Telemetry {
 public:
  virtual ~Telemetry() = default;

  // Client: one API exchange (code: HTTP status, or "error" for a transport
  // failure) and the rate-limit headers of an API family (qps, api_v2).
  virtual void ApiRequest(std::string_view endpoint, std::string_view code) = 0;
  virtual void ApiRateLimit(std::string_view api,
                            const RateLimitInfo& info) = 0;

  // Poller: a source exists (its series show it down before its first
  // poll), a poll of it ended, and how far its sync got.
  virtual void SourceAdded(std::string_view source) = 0;
  virtual void PollFinished(const PollOutcome& outcome) = 0;
  // Before its first poll, a source published what its durable state holds;
  // fetched_at (unix seconds) is when the sync that fetched it began.
  virtual void Restored(std::string_view source, double fetched_at) = 0;
  virtual void RecordsFetched(std::string_view source, std::uint64_t n) = 0;
  virtual void SyncProgress(std::string_view source, std::uint64_t records,
                            std::optional<std::uint64_t> expected) = 0;
  // The API refused a changed-since criterion; the sync fell back.
  virtual void CriterionRefused(std::string_view source,
                                std::string_view field) = 0;
  // Recurring findings left out of the capped info series.
  virtual void InfoSeriesDropped(std::uint64_t n) = 0;
};

}  // namespace qx
