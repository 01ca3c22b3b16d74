// HOST_LIST_VM_DETECTION_OUTPUT as /api/2.0/fo/asset/host/vm/detection/
// returns it: the DOCTYPE with the external DTD, the evaluation comments
// around the root, CDATA text, and the elements a parser must skip (RESULTS,
// QDS with its attribute, DNS_DATA, cloud fields, re-open dates).
#include "qx/sim/detection_render.h"
#include "qx/sim/knowledge_base.h"
#include "qx/sim/rng.h"

namespace qx::sim {
namespace {

constexpr std::string_view kComment =
    "<!-- This report was generated with an evaluation version of Qualys "
    "//-->";

std::string Ip(std::uint32_t ip) {
  std::string s;
  for (int shift = 24; shift >= 0; shift -= 8) {
    s += std::to_string((ip >> shift) & 0xff);
    if (shift > 0) s += '.';
  }
  return s;
}

std::string_view QdsSeverity(int qds) {
  return qds >= 90   ? "CRITICAL"
         : qds >= 70 ? "HIGH"
         : qds >= 40 ? "MEDIUM"
                     : "LOW";
}

void WriteDetection(XmlWriter& w, const DetectionRec& d,
                    const DetectionRenderOptions& opts) {
  XmlElement det(w, "DETECTION");
  w.Number("UNIQUE_VULN_ID", d.unique_vuln_id);
  w.Number("QID", d.qid);
  w.Text("TYPE", DetTypeName(d.type));
  if (d.has_severity) w.Number("SEVERITY", d.severity);
  if (d.port != 0) {
    w.Number("PORT", d.port);
    w.Text("PROTOCOL", d.protocol);
  }
  w.Number("SSL", d.ssl ? 1 : 0);
  if (opts.show_results) {
    const KbEntry* kb = FindKbEntry(d.qid);
    w.Cdata("RESULTS",
            std::string(kb != nullptr ? kb->title : "Detected") +
                "\nPackage\tInstalled Version\tRequired Version\n"
                "openssl\t3.0.2-0ubuntu1.10\t3.0.2-0ubuntu1.15 <patch>");
  }
  w.Text("STATUS", DetStatusName(d.status));
  w.Date("FIRST_FOUND_DATETIME", d.first_found);
  w.Date("LAST_FOUND_DATETIME", d.last_found);
  if (d.type != DetType::kInfo) {
    const int qds = 10 * d.severity + static_cast<int>(d.qid % 45);
    // An attribute on a text element: written by hand.
    w.Raw("\n" + std::string(2 * w.depth(), ' ') + "<QDS severity=\"" +
          std::string(QdsSeverity(qds)) + "\">" + std::to_string(qds) +
          "</QDS>");
  }
  w.Number("TIMES_FOUND", d.times_found);
  w.Date("LAST_TEST_DATETIME", d.last_test);
  w.Date("LAST_UPDATE_DATETIME", d.last_update);
  if (d.last_fixed != 0) w.Date("LAST_FIXED_DATETIME", d.last_fixed);
  if (d.reopened != 0) {
    w.Date("FIRST_REOPENED_DATETIME", d.reopened);
    w.Date("LAST_REOPENED_DATETIME", d.reopened);
    w.Number("TIMES_REOPENED", 1);
  }
  w.Number("IS_IGNORED", d.ignored ? 1 : 0);
  w.Number("IS_DISABLED", d.disabled ? 1 : 0);
  w.Date("LAST_PROCESSED_DATETIME", d.last_update);
}

}  // namespace

std::string DetectionDocumentHead() {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n"
         "<!DOCTYPE HOST_LIST_VM_DETECTION_OUTPUT SYSTEM "
         "\"https://qualysapi.qualys.com/api/2.0/fo/asset/host/vm/detection/"
         "host_list_vm_detection_output.dtd\">\n" +
         std::string(kComment);
}

std::string DetectionDocumentTail() {
  return "\n" + std::string(kComment) +
         "\n<!-- CONFIDENTIAL AND PROPRIETARY INFORMATION. Qualys provides "
         "the QualysGuard Service \"As Is,\" without any warranty of any "
         "kind. Qualys makes no warranty that the information contained in "
         "this report is complete or error-free. Copyright 2024, Qualys, "
         "Inc. //-->\n";
}

void WriteDetectionHost(XmlWriter& w, const HostAssetGenerator& gen,
                        const DetectionHostRec& host,
                        const DetectionRenderOptions& opts) {
  const HostAssetRec& a = host.asset;
  const bool windows = OsNames()[a.os].starts_with("Windows");
  XmlElement h(w, "HOST");
  w.Number("ID", host.id);
  if (opts.show_asset_id && host.known_to_am) w.Number("ASSET_ID", a.id);
  w.Text("IP", Ip(a.private_ip));
  w.Text("TRACKING_METHOD", a.agent                  ? "QAGENT"
                            : a.cloud == Cloud::kAws ? "EC2"
                                                     : "IP");
  w.Cdata("OS", OsNames()[a.os]);
  w.Cdata("DNS", a.name);
  {
    XmlElement dns(w, "DNS_DATA");
    const std::size_t dot = a.name.find('.');
    w.Cdata("HOSTNAME", a.name.substr(0, dot));
    if (dot != std::string::npos) w.Cdata("DOMAIN", a.name.substr(dot + 1));
    w.Cdata("FQDN", a.name);
  }
  if (a.cloud == Cloud::kAzure && host.known_to_am) {
    // The detection API's own cloud fields; the exporter joins to Asset
    // Management for the network instead.
    w.Text("CLOUD_PROVIDER", "Azure");
    w.Text("CLOUD_SERVICE", "VM");
    w.Text("CLOUD_RESOURCE_ID", GuidFromHash(gen.seed(), a.salt));
  }
  if (windows) w.Cdata("NETBIOS", a.name.substr(0, 15));
  w.Date("LAST_SCAN_DATETIME", host.last_scan + 60);
  w.Date("LAST_VM_SCANNED_DATE", host.last_scan);
  w.Number("LAST_VM_SCANNED_DURATION", 300 + a.salt % 900);
  if (a.agent) w.Date("LAST_VM_AUTH_SCANNED_DATE", host.last_scan);
  XmlElement list(w, "DETECTION_LIST");
  for (const DetectionRec& d : host.detections) WriteDetection(w, d, opts);
}

void WriteDetectionWarning(XmlWriter& w, std::uint64_t limit,
                           std::string_view next_url) {
  XmlElement warning(w, "WARNING");
  w.Number("CODE", 1980);
  w.Text("TEXT", std::to_string(limit) +
                     " record limit exceeded. Use URL to get next batch of "
                     "results.");
  w.Cdata("URL", next_url);
}

}  // namespace qx::sim
