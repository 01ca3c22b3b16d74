// PageWatch: the page hook every walk gets. It reports sync progress, logs
// it at a steady pace with an ETA, and stops the walk (StopSync) when the
// API family the source calls is down to --api.reserve-calls, so the
// customer's other integrations keep their share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "qx/base/clock.h"
#include "qx/client/qps_search.h"
#include "qx/client/qualys_client.h"
#include "qx/telemetry/telemetry.h"

namespace qx {

struct PageWatchOptions {
  std::int64_t reserve_calls = 20;
  double progress_log_seconds = 30;
};

class PageWatch {
 public:
  PageWatch(std::string_view source, std::string_view search_path,
            const QualysClient& client, Telemetry& telemetry,
            PageWatchOptions options, Clock clock,
            std::optional<std::uint64_t> expected);

  // Throws StopSync when the reserve is reached before the last page.
  void operator()(const SearchProgress& progress);

  // Records delivered by every walk seen so far.
  std::uint64_t fetched() const { return earlier_walks_ + walk_records_; }

 private:
  std::string source_;
  std::string_view api_;
  const QualysClient& client_;
  Telemetry& telemetry_;
  PageWatchOptions options_;
  Clock clock_;
  std::optional<std::uint64_t> expected_;
  double start_;
  double last_log_;
  std::uint64_t earlier_walks_ = 0;  // records of the finished walks
  std::uint64_t walk_records_ = 0;   // records of the current walk
};

}  // namespace qx
