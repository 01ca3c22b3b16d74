#include "qx/poller/sync_state.h"

#include <charconv>
#include <chrono>
#include <cstdio>
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
  if (last_full_sync) lines.push_back("last_full_sync\t" + std::to_string(*last_full_sync));
  if (cursor) lines.push_back("cursor\t" + std::to_string(*cursor));
  if (resume_after_id) {
    lines.push_back("resume_after_id\t" + std::to_string(*resume_after_id));
  }
  if (full_sync_started) {
    lines.push_back("full_sync_started\t" + std::to_string(*full_sync_started));
  }
  SaveStateFile(path, kKind, lines);
}

std::string FormatIsoTimestamp(std::int64_t t) {
  using namespace std::chrono;
  sys_seconds tp{seconds{t}};
  auto day = floor<days>(tp);
  year_month_day ymd{day};
  hh_mm_ss hms{tp - day};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02lldZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()),
                static_cast<long>(hms.hours().count()),
                static_cast<long>(hms.minutes().count()),
                static_cast<long long>(hms.seconds().count()));
  return buf;
}

}  // namespace qx
