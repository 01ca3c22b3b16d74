// WasFindingStore: the summary of each WAS finding that aggregation needs
// (not its payloads), keyed by finding id, plus web app names and URLs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "qx/records/records.h"

namespace qx {

class WasFindingStore {
 public:
  struct Finding {
    std::uint64_t qid = 0;
    std::uint64_t webapp_id = 0;
    std::string unique_id;
    FindingCategory category = FindingCategory::kVulnerability;
    int severity = 0;
    std::string status;                // "" for INFORMATION_GATHERED
    std::uint32_t distinct_scans = 0;  // distinct scan ids in history
    bool has_history = false;
    int times_detected = 0;
    std::int64_t last_scan_time = 0;  // newest launchedDate, unix seconds
    std::vector<KeywordMatch> keyword_matches;  // QID 150141 only
  };
  struct WebApp {
    std::string name;
    std::string url;
  };

  void Upsert(WasFinding&& finding);

  std::size_t size() const { return findings_.size(); }
  const std::unordered_map<std::uint64_t, Finding>& findings() const {
    return findings_;
  }
  const std::map<std::uint64_t, WebApp>& webapps() const { return webapps_; }

  // Durable copy; same contract as HostAssetStore::Save/Load.
  void Save(const std::filesystem::path& path) const;
  bool Load(const std::filesystem::path& path);

 private:
  std::unordered_map<std::uint64_t, Finding> findings_;
  std::map<std::uint64_t, WebApp> webapps_;
};

}  // namespace qx
