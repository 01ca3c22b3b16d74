// Records: the compact, API-independent view of what the Qualys API returns.
// Parsers emit one record at a time; stores and aggregation consume them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
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
  // HostAsset/qwebHostId: the VM host id, which is the Host List Detection
  // API's HOST/ID. 0 when absent (an asset that is not a VM host).
  std::uint64_t qweb_host_id = 0;
  // HostAsset/lastVulnScan, ISO-8601 as sent; empty when never scanned.
  std::string last_vuln_scan;
  // HostAsset/agentInfo/lastCheckedIn, ISO-8601 as sent; empty without a
  // cloud agent.
  std::string agent_last_checked_in;
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

// ------------------------------------------------------------------------
// VM Host List Detection API (/api/2.0/fo/asset/host/vm/detection/)

// DETECTION/STATUS. kUnknown: absent or a value this version does not know.
enum class DetectionStatus : std::uint8_t {
  kUnknown,
  kNew,
  kActive,
  kFixed,
  kReOpened,
};
// "New", "Active", "Fixed", "Re-Opened" (also "Reopened"/"Re-opened", any
// case); kUnknown otherwise.
DetectionStatus ParseDetectionStatus(std::string_view text);
// The API's spelling: New, Active, Fixed, Re-Opened; "" for kUnknown.
std::string_view DetectionStatusName(DetectionStatus s);

// DETECTION/TYPE. kUnknown: absent or unknown.
enum class DetectionType : std::uint8_t {
  kUnknown,
  kConfirmed,
  kPotential,
  kInfo,
};
// "Confirmed", "Potential", "Info" (any case); kUnknown otherwise.
DetectionType ParseDetectionType(std::string_view text);
// Label value of qualys_host_vulnerabilities{type}: confirmed, potential,
// info; "" for kUnknown.
std::string_view DetectionTypeLabel(DetectionType t);

// HOST_LIST_VM_DETECTION_OUTPUT/.../HOST/DETECTION_LIST/DETECTION.
struct HostDetection {
  std::uint64_t qid = 0;
  std::uint64_t unique_vuln_id = 0;  // UNIQUE_VULN_ID; 0 when absent
  DetectionType type = DetectionType::kUnknown;
  int severity = 0;  // SEVERITY (1-5); 0 when absent
  DetectionStatus status = DetectionStatus::kUnknown;
  bool ignored = false;   // IS_IGNORED (0/1); false when absent
  bool disabled = false;  // IS_DISABLED (0/1); false when absent
  // What tells two detections of one QID on one host apart.
  std::uint32_t port = 0;  // PORT; 0 when absent
  std::string protocol;    // PROTOCOL (tcp, udp, ...)
  bool ssl = false;        // SSL (0/1)
  std::string fqdn;        // FQDN
  std::string instance;    // INSTANCE (e.g. an Oracle instance)
  // ISO-8601 as sent; empty when absent.
  std::string first_found;     // FIRST_FOUND_DATETIME
  std::string last_found;      // LAST_FOUND_DATETIME
  std::string last_update;     // LAST_UPDATE_DATETIME
  std::string last_processed;  // LAST_PROCESSED_DATETIME
  std::string last_fixed;      // LAST_FIXED_DATETIME

  friend bool operator==(const HostDetection&, const HostDetection&) = default;
};

// The open rule of issue 14: status New, Active or Re-Opened, and neither
// ignored nor disabled. Fixed and unknown statuses are not open.
bool IsOpenDetection(const HostDetection& d);
// What qualys_host_vulnerabilities counts: an open detection of type
// Confirmed or Potential (Info and unknown types never count).
bool CountsAsHostVulnerability(const HostDetection& d);

// Identity of a detection within its host, stable across polls: a 64-bit
// hash of (QID, PORT, PROTOCOL, SSL, FQDN, INSTANCE). UNIQUE_VULN_ID is not
// used because older outputs omit it (so a key could change when Qualys
// starts sending it). Never 0.
std::uint64_t DetectionKey(const HostDetection& d);

// HOST_LIST_VM_DETECTION_OUTPUT/RESPONSE/HOST_LIST/HOST with its detections.
// The parser hands out one host at a time.
struct DetectionHost {
  std::uint64_t id = 0;        // ID (= HostAsset qwebHostId)
  std::uint64_t asset_id = 0;  // ASSET_ID (show_asset_id=1); 0 when absent
  std::string ip;
  std::string tracking_method;
  // ISO-8601 as sent; empty when absent.
  std::string last_scan_datetime;         // LAST_SCAN_DATETIME
  std::string last_vm_scanned_date;       // LAST_VM_SCANNED_DATE
  std::string last_vm_auth_scanned_date;  // LAST_VM_AUTH_SCANNED_DATE
  std::vector<HostDetection> detections;
};

// ------------------------------------------------------------------------
// WAS scan schedules (/qps/rest/3.0/search/was/wasscanschedule) and web
// applications (/qps/rest/3.0/search/was/webapp)

// WasScanSchedule/target/tags/{included,excluded}: option ANY or ALL and
// tagList/{set,list}/Tag/id.
struct ScheduleTagFilter {
  std::string option;  // as sent; "" when absent (read as ANY)
  std::vector<std::uint64_t> tag_ids;

  friend bool operator==(const ScheduleTagFilter&,
                         const ScheduleTagFilter&) = default;
};

// Default of sendMailFromAddressOption when sendMail is true and the
// element is absent (wasscanschedule.xsd).
inline constexpr std::string_view kSendMailFromDefault = "QUALYS_SUPPORT";

struct WasScanSchedule {
  std::uint64_t id = 0;
  std::string name;
  std::string type;      // VULNERABILITY, DISCOVERY; "" when absent
  bool active = false;   // absent: false (an unknown schedule is not counted)
  bool invalid = false;  // its web app was deleted
  std::string occurrence_type;  // scheduling/occurrenceType: ONCE, DAILY,
                                // WEEKLY, MONTHLY; "" when absent
  std::string start_date;       // scheduling/startDate, as sent
  std::string time_zone;        // scheduling/timeZone/code
  // nextLaunchDate as sent; empty when the API gives none (never computed).
  std::string next_launch_date;
  // target/webApp/id and target/webApps/{set,list}/WebApp/id.
  std::vector<std::uint64_t> webapp_ids;
  ScheduleTagFilter included_tags;
  ScheduleTagFilter excluded_tags;
  bool send_mail = true;  // absent: true (the XSD default)
  // sendMailFromAddressOption: QUALYS_SUPPORT or OWNER; QUALYS_SUPPORT when
  // absent and send_mail is true; always "" when send_mail is false.
  std::string send_mail_from;
};

// True if `schedule` scans the web app: listed in the target directly, or
// carrying the included tags (option ALL: every one; ANY or absent: at
// least one) and not excluded by the excluded tags (same option rule).
// Activity and type are not looked at.
bool ScheduleTargetsWebApp(const WasScanSchedule& schedule,
                           std::uint64_t webapp_id,
                           std::span<const std::uint64_t> webapp_tag_ids);
// An active VULNERABILITY schedule (what qualys_was_webapp_scheduled asks).
bool IsActiveVulnerabilitySchedule(const WasScanSchedule& schedule);

// WebApp of /qps/rest/3.0/search/was/webapp: WAS findings name the web app
// but not its tags, so the tags come from here.
struct WebApp {
  std::uint64_t id = 0;
  std::string name;
  std::string url;
  std::vector<std::uint64_t> tag_ids;  // tags/list/Tag/id
};

}  // namespace qx
