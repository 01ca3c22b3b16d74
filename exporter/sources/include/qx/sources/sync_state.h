// SyncState: where a source's incremental sync stands, persisted next to its
// store: when the last full sync finished, the cursor for "changed since"
// criteria, and the resume point of a full sync that was interrupted (API
// budget, fault, restart).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "qx/records/timestamp.h"

namespace qx {

struct SyncState {
  std::optional<std::int64_t> last_full_sync;     // unix seconds (start time)
  std::optional<std::int64_t> cursor;             // unix seconds (start time)
  std::optional<std::uint64_t> resume_after_id;   // full sync in progress
  std::optional<std::int64_t> full_sync_started;  // of the one in progress
  // Per changed-since field, the newest value seen in a record, unix
  // seconds by the API's clock. A cursor never runs past it, so changes
  // stamped by a server whose clock lags ours are still asked for.
  std::map<std::string, std::int64_t, std::less<>> newest;

  void Load(const std::filesystem::path& path);  // throws StateError
  void Save(const std::filesystem::path& path) const;
};

}  // namespace qx
