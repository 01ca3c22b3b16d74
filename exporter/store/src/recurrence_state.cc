#include "qx/store/recurrence_state.h"

#include <algorithm>
#include <charconv>
#include <string>

#include "qx/store/state_file.h"

namespace qx {
namespace {

constexpr char kKind[] = "was-recurrence";

int ClampSeverity(int s) { return std::clamp(s, 1, 5); }

}  // namespace

std::vector<RecurringFinding> RecurrenceState::Update(
    const std::vector<RecurringFinding>& recurring) {
  std::vector<RecurringFinding> turned;
  std::unordered_map<std::uint64_t, int> next;
  next.reserve(recurring.size());
  for (const auto& f : recurring) {
    next[f.finding_id] = ClampSeverity(f.severity);
    if (has_baseline_ && !known_.contains(f.finding_id)) turned.push_back(f);
  }
  for (const auto& f : turned)
    totals_[static_cast<std::size_t>(ClampSeverity(f.severity))]++;
  known_ = std::move(next);
  has_baseline_ = true;
  std::sort(turned.begin(), turned.end(), [](const auto& a, const auto& b) {
    return a.finding_id < b.finding_id;
  });
  return turned;
}

void RecurrenceState::Load(const std::filesystem::path& path) {
  auto lines = LoadStateFile(path, kKind);
  has_baseline_ = false;
  totals_ = {};
  known_.clear();
  if (!lines) return;
  for (const auto& line : *lines) {
    auto f = SplitTabs(line);
    bool ok = false;
    if (f.size() == 3 && f[0] == "total") {
      int sev = 0;
      std::uint64_t v = 0;
      ok = ParseNumber(f[1], sev) && sev >= 1 && sev <= 5 &&
           ParseNumber(f[2], v);
      if (ok) totals_[static_cast<std::size_t>(sev)] = v;
    } else if (f.size() == 3 && f[0] == "recurring") {
      std::uint64_t id = 0;
      int sev = 0;
      ok = ParseNumber(f[1], id) && ParseNumber(f[2], sev);
      if (ok) known_[id] = sev;
    }
    if (!ok) {
      throw StateError("state file " + path.string() +
                       " has a malformed line: '" + line + "'");
    }
  }
  has_baseline_ = true;
}

void RecurrenceState::Save(const std::filesystem::path& path) const {
  std::vector<std::string> lines;
  for (int sev = 1; sev <= 5; ++sev) {
    lines.push_back("total\t" + std::to_string(sev) + "\t" +
                    std::to_string(totals_[static_cast<std::size_t>(sev)]));
  }
  std::vector<std::pair<std::uint64_t, int>> sorted(known_.begin(),
                                                    known_.end());
  std::sort(sorted.begin(), sorted.end());
  for (const auto& [id, sev] : sorted) {
    lines.push_back("recurring\t" + std::to_string(id) + "\t" +
                    std::to_string(sev));
  }
  SaveStateFile(path, kKind, lines);
}

}  // namespace qx
