// KnowledgeBaseCache: QID -> severity, persisted in --state.dir so a restart
// asks the KnowledgeBase only for QIDs it has never seen. Entries older than
// the refresh age are re-fetched (KB severities rarely change).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <unordered_map>
#include <vector>

namespace qx {

class KnowledgeBaseCache {
 public:
  // Unix seconds when the entry was fetched.
  struct Entry {
    int severity = 0;
    std::int64_t fetched_at = 0;
  };

  std::optional<int> Severity(std::uint64_t qid) const;
  void Put(std::uint64_t qid, int severity, std::int64_t now);

  // Of qids, those not cached or fetched before now - max_age_seconds.
  // Sorted, unique.
  std::vector<std::uint64_t> Missing(const std::vector<std::uint64_t>& qids,
                                     std::int64_t now,
                                     std::int64_t max_age_seconds) const;

  std::size_t size() const { return entries_.size(); }

  // Throws StateError for a corrupt/foreign file; absent file = empty.
  void Load(const std::filesystem::path& path);
  void Save(const std::filesystem::path& path) const;

 private:
  std::unordered_map<std::uint64_t, Entry> entries_;
};

}  // namespace qx
