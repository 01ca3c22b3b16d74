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

  // nullopt for QIDs never fetched and for QIDs the KB did not return.
  std::optional<int> Severity(std::uint64_t qid) const;
  void Put(std::uint64_t qid, int severity, std::int64_t now);
  // Remembers that the KB did not return qid, so it is not asked again on
  // every poll, only after the (shorter) negative refresh age.
  void PutAbsent(std::uint64_t qid, std::int64_t now) { Put(qid, 0, now); }

  // Of qids, those not cached, fetched before now - max_age_seconds, or
  // known absent since before now - absent_max_age_seconds. Sorted, unique.
  std::vector<std::uint64_t> Missing(const std::vector<std::uint64_t>& qids,
                                     std::int64_t now,
                                     std::int64_t max_age_seconds,
                                     std::int64_t absent_max_age_seconds) const;

  std::size_t size() const { return entries_.size(); }

  // Throws StateError for a corrupt/foreign file; absent file = empty.
  void Load(const std::filesystem::path& path);
  void Save(const std::filesystem::path& path) const;

 private:
  std::unordered_map<std::uint64_t, Entry> entries_;
};

}  // namespace qx
