// WAS findings: web applications, their scans and findings, generated
// deterministically from the seed and evolved one epoch at a time. This part
// is small (webapps x findings), so it is stored and mutated in place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "qx/sim/time_util.h"

namespace qx::sim {

enum class FindingType : std::uint8_t {
  kVulnerability,
  kSensitiveContent,
  kInformationGathered,
};
// VULNERABILITY, SENSITIVE_CONTENT, INFORMATION_GATHERED
std::string_view FindingTypeName(FindingType t);

// The WAS QIDs findings are drawn from.
struct WasQidInfo {
  std::uint64_t qid;
  FindingType type;
  std::string_view group;  // XSS, SQL, INFO, PATH, CC, SSN, CUSTOM, IG_DIAG..
  int severity;
  bool potential;
  bool has_param;
};
std::span<const WasQidInfo> WasQids();
const WasQidInfo* FindWasQid(std::uint64_t qid);

constexpr std::uint64_t kKeywordQid = 150141;

struct WasScan {
  std::uint64_t id = 0;
  std::string reference;  // was/<ms>.<n>.4
  Seconds launched = 0;
};

// One link of a QID 150141 "Regex:" block. The same link may be listed more
// than once in a block (with other parents).
struct KeywordLink {
  std::string url;
  std::vector<std::string> parents;
  bool same_line = true;  // "<url> seen at following parent(s)" on one line
};
struct KeywordBlock {
  std::string regex;
  std::vector<KeywordLink> links;  // empty: "No internal link found ..."
};

struct WasWebApp {
  std::uint64_t id = 0;
  std::string name;
  std::string url;
  std::vector<WasScan> scans;  // ascending launch time
  std::vector<std::pair<std::uint64_t, std::string>> tags;
};

struct WasFindingRec {
  std::uint64_t id = 0;
  std::string unique_id;
  std::uint64_t qid = 0;
  FindingType type = FindingType::kVulnerability;
  int severity = 1;
  bool potential = false;
  std::string name;
  std::string_view group;
  std::string param;  // "" when none
  std::string url;
  bool has_cvss = false;
  double cvss_base = 0;
  double cvss_temporal = 0;
  std::string_view attack_vector;
  std::string status;  // "" for INFORMATION_GATHERED
  Seconds first_detected = 0;
  Seconds last_detected = 0;
  Seconds last_tested = 0;
  Seconds updated = 0;
  int times_detected = 0;
  bool ignored = false;
  Seconds ignored_date = 0;
  std::string severity_comment;
  std::size_t webapp = 0;
  // Indices into the web app's scans, newest first. May repeat a scan (the
  // API does that occasionally); distinct ids are what counts.
  std::vector<std::uint32_t> history;
  std::vector<KeywordBlock> keywords;  // QID 150141 only
  std::uint64_t salt = 0;              // payload variations

  bool is_open() const { return status != "FIXED"; }
};

class WasDataset {
 public:
  // time_base: "now" of epoch 0 (see kStampSpread).
  // rescan_percent: share of the web apps rescanned per epoch (at least
  // one is).
  WasDataset(std::uint64_t seed, std::size_t webapps,
             std::size_t findings_per_webapp, Seconds time_base,
             unsigned rescan_percent = 65, Seconds processing_lag = 0);

  // Evolves to new_epoch (must be epoch()+1) at moment `at`: rescans some
  // web apps; the changes are stamped within (at, at + kStampSpread]. With a
  // processing lag the scans ran that long before `at` (lastTestedDate,
  // launchedDate), as Qualys processes results hours after a scan, while
  // updatedDate is the processing time.
  void Advance(int new_epoch, Seconds at);
  int epoch() const { return epoch_; }

  const std::vector<WasWebApp>& webapps() const { return webapps_; }
  // Ascending by id.
  const std::vector<WasFindingRec>& findings() const { return findings_; }
  const WasWebApp& WebAppOf(const WasFindingRec& f) const {
    return webapps_[f.webapp];
  }
  const WasScan& ScanAt(const WasFindingRec& f, std::size_t pos) const {
    return webapps_[f.webapp].scans[f.history[pos]];
  }
  std::size_t DistinctScans(const WasFindingRec& f) const;
  // Index of the first finding whose id is >= id.
  std::size_t LowerBound(std::uint64_t id) const;

 private:
  void AddScan(std::size_t webapp, Seconds launched);
  WasFindingRec NewFinding(std::size_t webapp, std::uint64_t salt);
  void InitialHistory(WasFindingRec* f, std::uint64_t salt);
  void FillKeywordBlocks(WasFindingRec* f);
  void GrowKeywordBlocks(WasFindingRec* f, std::uint64_t salt);
  KeywordLink MakeKeywordLink(const WasWebApp& app, std::size_t regex,
                              std::uint64_t salt) const;

  std::uint64_t seed_;
  unsigned rescan_percent_;
  Seconds processing_lag_;
  int epoch_ = 0;
  std::uint64_t next_finding_id_;
  std::uint64_t next_scan_id_;
  std::vector<WasWebApp> webapps_;
  std::vector<WasFindingRec> findings_;
};

}  // namespace qx::sim
