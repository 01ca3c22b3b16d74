// RunSync: one poll's sync of one kept store, the same for every source:
// count first when a full walk is due (progress and ETA only), walk with a
// PageWatch, report what was fetched.
#pragma once

#include <glog/logging.h>

#include <functional>
#include <optional>
#include <string>

#include "qx/logging/log_fields.h"
#include "qx/poller/source.h"
#include "qx/sources/feed.h"
#include "qx/sources/incremental_sync.h"
#include "qx/sources/page_watch.h"
#include "qx/sources/sources.h"

namespace qx {

// The count of a QPS search for progress; nullopt when it cannot be had.
// Rejected credentials (401/403) throw: searching with them again would
// only add failed logins and risk an account lockout.
std::optional<std::uint64_t> CountForProgress(QualysClient& client,
                                              const std::string& count_path,
                                              const std::string& label);

template <typename Store>
SyncResult RunSync(IncrementalSync<Store>& sync, Feed<Store>& feed,
                   const QualysClient& client, PollContext& context,
                   const SourceOptions& options) {
  const std::string name(feed.name());
  std::optional<std::uint64_t> expected;
  if (options.count_before_full_sync &&
      sync.NextIsFull(static_cast<std::int64_t>(context.Now()))) {
    expected = feed.Count();
  }
  PageWatch watch(name, feed.search_path(), client, context.telemetry(),
                  options.watch, context.clock(), expected);
  SyncResult result;
  try {
    result = sync.Run(context.telemetry(), std::ref(watch));
  } catch (...) {
    context.telemetry().RecordsFetched(name, watch.fetched());
    throw;
  }
  context.telemetry().RecordsFetched(name, watch.fetched());
  context.telemetry().SyncProgress(name, sync.store().size(), expected);
  LOG(INFO) << name << ": " << (result.full ? "full" : "incremental")
            << " sync done" << kv("source", name)
            << kv("sync", result.full ? "full" : "incremental")
            << kv("pages", result.pages)
            << kv("records_fetched", watch.fetched())
            << kv("records_held", sync.store().size());
  return result;
}

}  // namespace qx
