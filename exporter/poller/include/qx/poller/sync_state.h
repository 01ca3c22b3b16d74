// SyncState: where a source's incremental sync stands, persisted next to its
// store: when the last full sync finished, the cursor for "changed since"
// criteria, and the resume point of a full sync that was interrupted (API
// budget, fault, restart).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace qx {

struct SyncState {
  std::optional<std::int64_t> last_full_sync;  // unix seconds (start time)
  std::optional<std::int64_t> cursor;          // unix seconds (start time)
  std::optional<std::uint64_t> resume_after_id;  // full sync in progress
  std::optional<std::int64_t> full_sync_started;  // of the one in progress

  void Load(const std::filesystem::path& path);  // throws StateError
  void Save(const std::filesystem::path& path) const;
};

// 2021-03-18T15:27:06Z
std::string FormatIsoTimestamp(std::int64_t unix_seconds);

}  // namespace qx
