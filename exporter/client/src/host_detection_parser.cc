// API v2 /api/2.0/fo/asset/host/vm/detection/?action=list (XML):
//
//   HOST_LIST_VM_DETECTION_OUTPUT/RESPONSE/DATETIME
//   .../RESPONSE/HOST_LIST/HOST/{ID,ASSET_ID,IP,TRACKING_METHOD,
//       LAST_SCAN_DATETIME,LAST_VM_SCANNED_DATE,LAST_VM_AUTH_SCANNED_DATE}
//   .../HOST/DETECTION_LIST/DETECTION/{UNIQUE_VULN_ID,QID,TYPE,SEVERITY,PORT,
//       PROTOCOL,SSL,FQDN,INSTANCE,STATUS,FIRST_FOUND_DATETIME,
//       LAST_FOUND_DATETIME,LAST_UPDATE_DATETIME,LAST_PROCESSED_DATETIME,
//       LAST_FIXED_DATETIME,IS_IGNORED,IS_DISABLED}
//   .../RESPONSE/WARNING/{CODE,TEXT,URL}   (more hosts: CODE 1980 and the
//                                           URL of the next page)
//
// The document starts with <!DOCTYPE HOST_LIST_VM_DETECTION_OUTPUT SYSTEM
// "https://.../host_list_vm_detection_output.dtd"> (never fetched) and may
// carry comments around the root. RESULTS, QDS and everything else not
// listed is skipped unread. Each HOST is handed out as soon as it ends, so
// memory holds one host, however long the page. Errors arrive, even with
// HTTP 200, as SIMPLE_RETURN/RESPONSE/{CODE,TEXT}; they throw ApiError once
// the document has been read.
#include <limits>
#include <string>
#include <utility>

#include "qx/client/errors.h"
#include "qx/client/parsers.h"
#include "xml_sax.h"

namespace qx {
namespace {

enum Id : int {
  kOutputRoot,
  kSimpleReturnRoot,
  kDatetime,
  kHost,
  kHostId,
  kHostAssetId,
  kHostIp,
  kHostTracking,
  kHostLastScan,
  kHostLastVmScanned,
  kHostLastVmAuthScanned,
  kDetection,
  kUniqueVulnId,
  kQid,
  kType,
  kSeverity,
  kPort,
  kProtocol,
  kSsl,
  kFqdn,
  kInstance,
  kStatus,
  kFirstFound,
  kLastFound,
  kLastUpdate,
  kLastProcessed,
  kLastFixed,
  kIgnored,
  kDisabled,
  kWarningCode,
  kWarningText,
  kWarningUrl,
  kErrorCode,
  kErrorText,
};

const sax::PathTable& Table() {
  static const sax::PathTable table = [] {
    sax::PathTable t;
    const std::string root = "HOST_LIST_VM_DETECTION_OUTPUT";
    const std::string response = root + "/RESPONSE";
    const std::string host = response + "/HOST_LIST/HOST";
    const std::string det = host + "/DETECTION_LIST/DETECTION";
    t.Add(kOutputRoot, root);
    t.Add(kDatetime, response + "/DATETIME");
    t.Add(kHost, host);
    for (auto [id, name] :
         {std::pair{kHostId, "ID"},
          {kHostAssetId, "ASSET_ID"},
          {kHostIp, "IP"},
          {kHostTracking, "TRACKING_METHOD"},
          {kHostLastScan, "LAST_SCAN_DATETIME"},
          {kHostLastVmScanned, "LAST_VM_SCANNED_DATE"},
          {kHostLastVmAuthScanned, "LAST_VM_AUTH_SCANNED_DATE"}}) {
      t.Add(id, host + "/" + name);
    }
    t.Add(kDetection, det);
    for (auto [id, name] : {std::pair{kUniqueVulnId, "UNIQUE_VULN_ID"},
                            {kQid, "QID"},
                            {kType, "TYPE"},
                            {kSeverity, "SEVERITY"},
                            {kPort, "PORT"},
                            {kProtocol, "PROTOCOL"},
                            {kSsl, "SSL"},
                            {kFqdn, "FQDN"},
                            {kInstance, "INSTANCE"},
                            {kStatus, "STATUS"},
                            {kFirstFound, "FIRST_FOUND_DATETIME"},
                            {kLastFound, "LAST_FOUND_DATETIME"},
                            {kLastUpdate, "LAST_UPDATE_DATETIME"},
                            {kLastProcessed, "LAST_PROCESSED_DATETIME"},
                            {kLastFixed, "LAST_FIXED_DATETIME"},
                            {kIgnored, "IS_IGNORED"},
                            {kDisabled, "IS_DISABLED"}}) {
      t.Add(id, det + "/" + name);
    }
    t.Add(kWarningCode, response + "/WARNING/CODE");
    t.Add(kWarningText, response + "/WARNING/TEXT");
    t.Add(kWarningUrl, response + "/WARNING/URL");
    t.Add(kErrorCode, response + "/CODE");
    t.Add(kErrorText, response + "/TEXT");
    t.Add(kSimpleReturnRoot, "SIMPLE_RETURN");
    t.Add(kErrorCode, "SIMPLE_RETURN/RESPONSE/CODE");
    t.Add(kErrorText, "SIMPLE_RETURN/RESPONSE/TEXT");
    return t;
  }();
  return table;
}

class HostDetectionHandler final : public sax::PathHandler {
 public:
  explicit HostDetectionHandler(
      const std::function<void(DetectionHost&&)>& on_host)
      : PathHandler(Table(), "host detection response"), on_host_(on_host) {}

  // Throws ApiError if the document was an error answer.
  HostDetectionPageInfo Finish() && {
    if (simple_return_ || !error_code_.empty()) {
      std::string message = "host detection API error";
      if (!error_code_.empty()) message += " " + error_code_;
      message +=
          ": " + (error_text_.empty() ? std::string("(no text)") : error_text_);
      throw ApiError(message, 0, error_code_);
    }
    return std::move(info_);
  }

 private:
  void OnStart(int id) override {
    switch (id) {
      case kSimpleReturnRoot:
        simple_return_ = true;
        break;
      case kHost:
        host_ = DetectionHost{};
        host_has_id_ = false;
        break;
      case kDetection:
        detection_ = HostDetection{};
        detection_has_qid_ = false;
        break;
      default:
        break;
    }
  }

  void OnEnd(int id, std::string_view text) override {
    switch (id) {
      case kDatetime:
        info_.datetime = text;
        break;
      case kHost:
        if (!host_has_id_) Fail("<HOST> without <ID>");
        ++info_.hosts;
        info_.detections += host_.detections.size();
        info_.last_host_id = host_.id;
        on_host_(std::move(host_));
        host_ = DetectionHost{};
        break;
      case kHostId:
        host_.id = ToU64(text);
        host_has_id_ = !text.empty();
        break;
      case kHostAssetId:
        host_.asset_id = ToU64(text);
        break;
      case kHostIp:
        host_.ip = text;
        break;
      case kHostTracking:
        host_.tracking_method = text;
        break;
      case kHostLastScan:
        host_.last_scan_datetime = text;
        break;
      case kHostLastVmScanned:
        host_.last_vm_scanned_date = text;
        break;
      case kHostLastVmAuthScanned:
        host_.last_vm_auth_scanned_date = text;
        break;
      case kDetection:
        if (!detection_has_qid_) Fail("<DETECTION> without <QID>");
        host_.detections.push_back(std::move(detection_));
        detection_ = HostDetection{};
        break;
      default:
        OnDetectionField(id, text);
    }
  }

  void OnDetectionField(int id, std::string_view text) {
    HostDetection& d = detection_;
    switch (id) {
      case kUniqueVulnId:
        d.unique_vuln_id = ToU64(text);
        break;
      case kQid:
        d.qid = ToU64(text);
        detection_has_qid_ = !text.empty();
        break;
      case kType:
        d.type = ParseDetectionType(text);
        break;
      case kSeverity:
        d.severity = ToInt(text);
        break;
      case kPort: {
        const std::uint64_t port = ToU64(text);
        if (port > 65535) Fail("invalid port in <" + CurrentPath() + ">");
        d.port = static_cast<std::uint32_t>(port);
        break;
      }
      case kProtocol:
        d.protocol = text;
        break;
      case kSsl:
        d.ssl = ToBool(text);
        break;
      case kFqdn:
        d.fqdn = text;
        break;
      case kInstance:
        d.instance = text;
        break;
      case kStatus:
        d.status = ParseDetectionStatus(text);
        break;
      case kFirstFound:
        d.first_found = text;
        break;
      case kLastFound:
        d.last_found = text;
        break;
      case kLastUpdate:
        d.last_update = text;
        break;
      case kLastProcessed:
        d.last_processed = text;
        break;
      case kLastFixed:
        d.last_fixed = text;
        break;
      case kIgnored:
        d.ignored = ToBool(text);
        break;
      case kDisabled:
        d.disabled = ToBool(text);
        break;
      case kWarningCode:
        info_.warning_code = text;
        break;
      case kWarningText:
        info_.warning_text = text;
        break;
      case kWarningUrl:
        info_.next_url = text;
        break;
      case kErrorCode:
        error_code_ = text;
        break;
      case kErrorText:
        error_text_ = text;
        break;
      default:
        break;
    }
  }

  const std::function<void(DetectionHost&&)>& on_host_;
  HostDetectionPageInfo info_;
  DetectionHost host_;
  bool host_has_id_ = false;
  HostDetection detection_;
  bool detection_has_qid_ = false;
  bool simple_return_ = false;
  std::string error_code_;
  std::string error_text_;
};

}  // namespace

HostDetectionPageInfo ParseHostDetectionPage(
    std::istream& in, const std::function<void(DetectionHost&&)>& on_host) {
  HostDetectionHandler handler(on_host);
  handler.Parse(in);
  return std::move(handler).Finish();
}

}  // namespace qx
