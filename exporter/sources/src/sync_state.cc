#include "qx/sources/sync_state.h"

#include <charconv>
#include <vector>

#include "qx/store/state_file.h"

namespace qx {
namespace {
constexpr char kKind[] = "sync";
}  // namespace

void SyncState::Load(const std::filesystem::path& path) {
  *this = SyncState{};
  auto lines = LoadStateFile(path, kKind);
  if (!lines) return;
  for (const auto& line : *lines) {
    auto f = SplitTabs(line);
    std::int64_t v = 0;
    if (f.size() == 3 && f[0] == "newest" && !f[1].empty() &&
        ParseNumber(f[2], v) && v >= 0) {
      newest[std::string(f[1])] = v;
      continue;
    }
    bool ok = f.size() == 2 && ParseNumber(f[1], v) && v >= 0;
    if (ok && f[0] == "last_full_sync") {
      last_full_sync = v;
    } else if (ok && f[0] == "cursor") {
      cursor = v;
    } else if (ok && f[0] == "full_sync_started") {
      full_sync_started = v;
    } else if (ok && f[0] == "resume_after_id") {
      resume_after_id = static_cast<std::uint64_t>(v);
    } else {
      throw StateError("state file " + path.string() +
                       " has a malformed line: '" + line + "'");
    }
  }
}

void SyncState::Save(const std::filesystem::path& path) const {
  std::vector<std::string> lines;
  if (last_full_sync)
    lines.push_back("last_full_sync\t" + std::to_string(*last_full_sync));
  if (cursor) lines.push_back("cursor\t" + std::to_string(*cursor));
  if (resume_after_id) {
    lines.push_back("resume_after_id\t" + std::to_string(*resume_after_id));
  }
  if (full_sync_started) {
    lines.push_back("full_sync_started\t" + std::to_string(*full_sync_started));
  }
  for (const auto& [field, t] : newest) {
    lines.push_back("newest\t" + field + "\t" + std::to_string(t));
  }
  SaveStateFile(path, kKind, lines);
}

}  // namespace qx
