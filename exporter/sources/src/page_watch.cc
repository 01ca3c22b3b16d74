#include "qx/sources/page_watch.h"

#include <glog/logging.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "qx/logging/log_fields.h"
#include "qx/sources/incremental_sync.h"

namespace qx {

PageWatch::PageWatch(std::string_view source, std::string_view search_path,
                     const QualysClient& client, Telemetry& telemetry,
                     PageWatchOptions options, Clock clock,
                     std::optional<std::uint64_t> expected)
    : source_(source),
      api_(ApiFamilyOfPath(search_path)),
      client_(client),
      telemetry_(telemetry),
      options_(options),
      clock_(std::move(clock)),
      expected_(expected),
      start_(clock_()),
      last_log_(start_) {}

void PageWatch::operator()(const SearchProgress& p) {
  if (p.pages == 1) earlier_walks_ += walk_records_;  // a new walk began
  walk_records_ = p.records;
  telemetry_.SyncProgress(source_, fetched(), expected_);
  QX_LOG_DEBUG << source_ << ": page fetched" << kv("source", source_)
               << kv("page", p.pages) << kv("records", fetched());
  const double now = clock_();
  // Only the API this source calls counts: the KnowledgeBase's budget says
  // nothing about Asset Management's. Unknown (no headers) is unlimited.
  const RateLimitInfo rl = client_.last_rate_limit(api_);
  if (now - last_log_ >= options_.progress_log_seconds || p.done) {
    last_log_ = now;
    const std::uint64_t have = fetched();
    std::optional<double> eta_seconds;
    if (expected_ && *expected_ > have && have > 0) {
      const double rate =
          static_cast<double>(have) / std::max(now - start_, 1e-3);
      eta_seconds = std::ceil(static_cast<double>(*expected_ - have) / rate);
    }
    LOG(INFO) << source_ << ": sync progress" << kv("source", source_)
              << kv("pages", p.pages) << kv("records", have)
              << kv("expected_records", expected_) << kv("api", api_)
              << kv("api_calls_left", rl.remaining)
              << kv("eta_seconds", eta_seconds);
  }
  if (!p.done && rl.remaining && *rl.remaining <= options_.reserve_calls) {
    throw StopSync(
        source_ + ": stopped early: " + std::string(api_) +
        " X-RateLimit-Remaining=" + std::to_string(*rl.remaining) +
        " <= --api.reserve-calls=" + std::to_string(options_.reserve_calls) +
        "; progress kept, the next poll continues");
  }
}

}  // namespace qx
