#include "qx/store/knowledge_base_cache.h"

#include <algorithm>
#include <charconv>
#include <string>

#include "qx/store/state_file.h"

namespace qx {
namespace {

constexpr char kKind[] = "knowledge-base";

}  // namespace

std::optional<int> KnowledgeBaseCache::Severity(std::uint64_t qid) const {
  auto it = entries_.find(qid);
  if (it == entries_.end() || it->second.severity == 0) return std::nullopt;
  return it->second.severity;
}

void KnowledgeBaseCache::Put(std::uint64_t qid, int severity,
                             std::int64_t now) {
  entries_[qid] = Entry{severity, now};
}

std::vector<std::uint64_t> KnowledgeBaseCache::Missing(
    const std::vector<std::uint64_t>& qids, std::int64_t now,
    std::int64_t max_age_seconds, std::int64_t absent_max_age_seconds) const {
  std::vector<std::uint64_t> out;
  for (auto q : qids) {
    auto it = entries_.find(q);
    if (it == entries_.end()) {
      out.push_back(q);
      continue;
    }
    auto max_age =
        it->second.severity == 0 ? absent_max_age_seconds : max_age_seconds;
    if (now - it->second.fetched_at > max_age) out.push_back(q);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void KnowledgeBaseCache::Load(const std::filesystem::path& path) {
  auto lines = LoadStateFile(path, kKind);
  entries_.clear();
  if (!lines) return;
  for (const auto& line : *lines) {
    auto f = SplitTabs(line);
    std::uint64_t qid = 0;
    Entry e;
    if (f.size() != 3 || !ParseNumber(f[0], qid) ||
        !ParseNumber(f[1], e.severity) || !ParseNumber(f[2], e.fetched_at)) {
      throw StateError("state file " + path.string() +
                       " has a malformed line: '" + line + "'");
    }
    entries_[qid] = e;
  }
}

void KnowledgeBaseCache::Save(const std::filesystem::path& path) const {
  std::vector<std::pair<std::uint64_t, Entry>> sorted(entries_.begin(),
                                                      entries_.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> lines;
  lines.reserve(sorted.size());
  for (const auto& [qid, e] : sorted) {
    lines.push_back(std::to_string(qid) + "\t" + std::to_string(e.severity) +
                    "\t" + std::to_string(e.fetched_at));
  }
  SaveStateFile(path, kKind, lines);
}

}  // namespace qx
