// ServiceResponse of /qps/rest/3.0/search/was/finding with verbose output:
//
//   ServiceResponse/data/Finding/{id,uniqueId,qid,name,type,severity,status,
//       potential,findingType,firstDetectedDate,lastDetectedDate,
//       lastTestedDate,updatedDate,timesDetected,isIgnored}
//   .../Finding/webApp/{id,name,url}
//   .../Finding/cvssV3/{base,temporal,attackVector}
//   .../Finding/history/set/WebAppFindingHistory/scanData/
//       {id,reference,launchedDate}
//   .../Finding/resultList/list/Result/payloads/list/PayloadInstance/response
//
// History is parsed tolerantly: the release notes' XSD names the child of
// WebAppFindingHistory "scan" while the samples show "scanData", and "list"
// is accepted next to "set"; both spellings are read.
//
// Unknown finding type: the record is skipped (not emitted) and a warning is
// logged once per page. Failing the whole page would stop WAS metrics when
// Qualys adds a type; filing the finding under one of the three known
// categories would publish a wrong label.
#include <glog/logging.h>

#include <algorithm>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "qx/client/parsers.h"
#include "xml_sax.h"

namespace qx {
namespace {

constexpr std::uint64_t kKeywordQid = 150141;

enum Id : int {
  kFinding,
  kId,
  kUniqueId,
  kQid,
  kName,
  kType,
  kSeverity,
  kStatus,
  kPotential,
  kFindingType,
  kWebAppId,
  kWebAppName,
  kWebAppUrl,
  kFirstDetected,
  kLastDetected,
  kLastTested,
  kUpdated,
  kTimesDetected,
  kIsIgnored,
  kCvss,
  kCvssBase,
  kCvssTemporal,
  kCvssAttackVector,
  kScan,
  kScanId,
  kScanReference,
  kScanLaunched,
  kPayloadResponse,
};

const sax::PathTable& Table() {
  static const sax::PathTable table = [] {
    sax::PathTable t;
    sax::QpsEnvelope::AddPaths(t);
    auto add = [&t](int id, std::string_view rest) {
      std::string path = "ServiceResponse/data/Finding";
      if (!rest.empty()) path += "/" + std::string(rest);
      t.Add(id, path);
    };
    add(kFinding, "");
    add(kId, "id");
    add(kUniqueId, "uniqueId");
    add(kQid, "qid");
    add(kName, "name");
    add(kType, "type");
    add(kSeverity, "severity");
    add(kStatus, "status");
    add(kPotential, "potential");
    add(kFindingType, "findingType");
    add(kWebAppId, "webApp/id");
    add(kWebAppName, "webApp/name");
    add(kWebAppUrl, "webApp/url");
    add(kFirstDetected, "firstDetectedDate");
    add(kLastDetected, "lastDetectedDate");
    add(kLastTested, "lastTestedDate");
    add(kUpdated, "updatedDate");
    add(kTimesDetected, "timesDetected");
    add(kIsIgnored, "isIgnored");
    add(kCvss, "cvssV3");
    add(kCvssBase, "cvssV3/base");
    add(kCvssTemporal, "cvssV3/temporal");
    add(kCvssAttackVector, "cvssV3/attackVector");
    for (std::string_view set : {"set", "list"}) {
      for (std::string_view scan : {"scanData", "scan"}) {
        std::string base = "history/" + std::string(set) +
                           "/WebAppFindingHistory/" + std::string(scan);
        add(kScan, base);
        add(kScanId, base + "/id");
        add(kScanReference, base + "/reference");
        add(kScanLaunched, base + "/launchedDate");
      }
    }
    add(kPayloadResponse,
        "resultList/list/Result/payloads/list/PayloadInstance/response");
    return t;
  }();
  return table;
}

// Adds `from` to `into`: blocks of the same regex are merged, links stay
// unique per regex and in the order first seen.
void MergeKeywordMatches(std::vector<KeywordMatch>& into,
                         std::vector<KeywordMatch> from) {
  for (KeywordMatch& m : from) {
    auto it = std::find_if(
        into.begin(), into.end(),
        [&m](const KeywordMatch& k) { return k.regex == m.regex; });
    if (it == into.end()) {
      into.push_back(std::move(m));
      continue;
    }
    std::unordered_set<std::string> seen(it->links.begin(), it->links.end());
    for (std::string& link : m.links) {
      if (seen.insert(link).second) it->links.push_back(std::move(link));
    }
  }
}

class WasFindingHandler final : public sax::PathHandler {
 public:
  explicit WasFindingHandler(const std::function<void(WasFinding&&)>& on_record)
      : PathHandler(Table(), "was finding response"), on_record_(on_record) {}

  QpsPageInfo Finish() && {
    if (skipped_ > 0) {
      LOG(WARNING) << "was finding response: skipped " << skipped_
                   << " finding(s) of unknown type, e.g. finding "
                   << skipped_example_id_ << " with type \""
                   << skipped_example_type_ << "\"";
    }
    return std::move(envelope_).Finish();
  }

 private:
  void OnStart(int id) override {
    switch (id) {
      case kFinding:
        finding_ = WasFinding{};
        type_.clear();
        has_id_ = false;
        qid_known_ = false;
        responses_.clear();
        break;
      case kCvss:
        finding_.cvss_v3.emplace();
        break;
      case kScan:
        scan_ = ScanData{};
        break;
      default:
        break;
    }
  }

  bool WantText(int id) override {
    // Payload responses can be large; only QID 150141 needs them.
    return id != kPayloadResponse || !qid_known_ || finding_.qid == kKeywordQid;
  }

  void OnEnd(int id, std::string_view text) override {
    if (envelope_.OnEnd(*this, id, text)) return;
    switch (id) {
      case kFinding:
        EndFinding();
        break;
      case kId:
        finding_.id = ToU64(text);
        has_id_ = !text.empty();
        break;
      case kUniqueId:
        finding_.unique_id = text;
        break;
      case kQid:
        finding_.qid = ToU64(text);
        qid_known_ = !text.empty();
        break;
      case kName:
        finding_.name = text;
        break;
      case kType:
        type_ = text;
        break;
      case kSeverity:
        finding_.severity = ToInt(text);
        break;
      case kStatus:
        finding_.status = text;
        break;
      case kPotential:
        finding_.potential = ToBool(text);
        break;
      case kFindingType:
        finding_.finding_type = text;
        break;
      case kWebAppId:
        finding_.webapp_id = ToU64(text);
        break;
      case kWebAppName:
        finding_.webapp_name = text;
        break;
      case kWebAppUrl:
        finding_.webapp_url = text;
        break;
      case kFirstDetected:
        finding_.first_detected_date = text;
        break;
      case kLastDetected:
        finding_.last_detected_date = text;
        break;
      case kLastTested:
        finding_.last_tested_date = text;
        break;
      case kUpdated:
        finding_.updated_date = text;
        break;
      case kTimesDetected:
        finding_.times_detected = ToInt(text);
        break;
      case kIsIgnored:
        finding_.is_ignored = ToBool(text);
        break;
      case kCvssBase:
        finding_.cvss_v3->base = ToDouble(text);
        break;
      case kCvssTemporal:
        finding_.cvss_v3->temporal = ToDouble(text);
        break;
      case kCvssAttackVector:
        finding_.cvss_v3->attack_vector = text;
        break;
      case kScan:
        finding_.history.push_back(std::move(scan_));
        scan_ = ScanData{};
        break;
      case kScanId:
        scan_.id = ToU64(text);
        break;
      case kScanReference:
        scan_.reference = text;
        break;
      case kScanLaunched:
        scan_.launched_date = text;
        break;
      case kPayloadResponse:
        if (WantText(id) && !text.empty()) responses_.emplace_back(text);
        break;
      default:
        break;
    }
  }

  void EndFinding() {
    if (!has_id_) Fail("<Finding> without <id>");
    if (finding_.qid == kKeywordQid) {
      for (const std::string& response : responses_) {
        MergeKeywordMatches(finding_.keyword_matches,
                            ParseKeywordPayload(response));
      }
    }
    responses_.clear();
    std::optional<FindingCategory> category = ParseFindingCategory(type_);
    if (!category) {
      if (skipped_++ == 0) {
        skipped_example_id_ = finding_.id;
        skipped_example_type_ = type_;
      }
      return;
    }
    finding_.category = *category;
    if (envelope_.emit_records()) on_record_(std::move(finding_));
    finding_ = WasFinding{};
  }

  const std::function<void(WasFinding&&)>& on_record_;
  sax::QpsEnvelope envelope_;
  WasFinding finding_;
  std::string type_;
  bool has_id_ = false;
  bool qid_known_ = false;
  ScanData scan_;
  std::vector<std::string> responses_;  // PayloadInstance/response texts
  int skipped_ = 0;
  std::uint64_t skipped_example_id_ = 0;
  std::string skipped_example_type_;
};

}  // namespace

QpsPageInfo ParseWasFindingPage(
    std::istream& in, const std::function<void(WasFinding&&)>& on_record) {
  WasFindingHandler handler(on_record);
  handler.Parse(in);
  return std::move(handler).Finish();
}

}  // namespace qx
