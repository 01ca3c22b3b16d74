// Records: the compact, API-independent view of what the Qualys API returns.
// Parsers emit one record at a time; stores and aggregation consume them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qx {

enum class CloudProvider : std::uint8_t { kNone, kAzure, kAws, kGcp };

// Label value for qualys_host_assets{cloud_provider}: none, azure, aws, gcp.
std::string_view CloudProviderLabel(CloudProvider p);

// HostAsset/sourceInfo/list/AzureAssetSourceSimple. Every field is the API's
// string verbatim, empty when the API omits it (older tenants omit
// virtualNetwork).
struct AzureSource {
  std::string subscription_id;
  std::string resource_group;
  std::string vnet;
  std::string subnet;
  std::string location;
  std::string state;

  friend bool operator==(const AzureSource&, const AzureSource&) = default;
};

// HostAsset/vuln/list/HostAssetVuln.
struct HostVuln {
  std::uint64_t qid = 0;
  std::uint64_t host_instance_vuln_id = 0;

  friend bool operator==(const HostVuln&, const HostVuln&) = default;
};

struct HostAsset {
  std::uint64_t id = 0;
  std::string name;
  std::string modified;       // ISO-8601 as sent, e.g. 2021-02-19T18:13:41Z
  std::string vulns_updated;  // ISO-8601 as sent; empty when absent
  // Provider of the first known cloud source (Azure wins when several).
  CloudProvider cloud_provider = CloudProvider::kNone;
  std::optional<AzureSource> azure;  // first AzureAssetSourceSimple, if any
  std::vector<HostVuln> vulns;
};

enum class FindingCategory : std::uint8_t {
  kVulnerability,
  kSensitiveContent,
  kInformationGathered,
};

// Label value for qualys_was_findings{category}: VULNERABILITY,
// SENSITIVE_CONTENT, INFORMATION_GATHERED.
std::string_view FindingCategoryLabel(FindingCategory c);

// Parses Finding/type. Accepts "INFORMATION_GATHERED" and the space-separated
// spelling some outputs use. nullopt for unknown types.
std::optional<FindingCategory> ParseFindingCategory(std::string_view type);

// Finding/history/set/WebAppFindingHistory/scanData.
struct ScanData {
  std::uint64_t id = 0;
  std::string reference;
  std::string launched_date;  // ISO-8601 as sent

  friend bool operator==(const ScanData&, const ScanData&) = default;
};

// One "Regex: ..." block of a QID 150141 payload response.
struct KeywordMatch {
  std::string regex;
  std::vector<std::string> links;  // unique internal links, in order seen

  friend bool operator==(const KeywordMatch&, const KeywordMatch&) = default;
};

struct CvssV3 {
  double base = 0;
  double temporal = 0;
  std::string attack_vector;
};

struct WasFinding {
  std::uint64_t id = 0;
  std::string unique_id;
  std::uint64_t qid = 0;
  std::string name;
  FindingCategory category = FindingCategory::kVulnerability;
  int severity = 0;    // 1-5; 0 if absent
  std::string status;  // NEW, ACTIVE, REOPENED, PROTECTED, FIXED; "" for IG
  bool potential = false;
  std::string finding_type;  // QUALYS, BURP, BUGCROWD, ...
  std::uint64_t webapp_id = 0;
  std::string webapp_name;
  std::string webapp_url;
  std::string first_detected_date;
  std::string last_detected_date;
  std::string last_tested_date;
  std::string updated_date;
  int times_detected = 0;  // 0 when absent (IG findings)
  bool is_ignored = false;
  std::optional<CvssV3> cvss_v3;
  std::vector<ScanData> history;
  std::vector<KeywordMatch> keyword_matches;  // QID 150141 only
};

// One KnowledgeBase VULN entry: QID -> severity (1-5).
struct KnowledgeBaseEntry {
  std::uint64_t qid = 0;
  int severity = 0;
  std::string title;
  std::string last_service_modification;  // LAST_SERVICE_MODIFICATION_DATETIME

  friend bool operator==(const KnowledgeBaseEntry&,
                         const KnowledgeBaseEntry&) = default;
};

}  // namespace qx
