// KNOWLEDGE_BASE_VULN_LIST_OUTPUT of /api/2.0/fo/knowledge_base/vuln/.
#include "qx/sim/renderers.h"

namespace qx::sim {

std::string RenderKnowledgeBase(std::span<const KbEntry* const> entries,
                                KbDetails details, Seconds now) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n"
      "<!DOCTYPE KNOWLEDGE_BASE_VULN_LIST_OUTPUT SYSTEM "
      "\"https://qualysapi.qualys.com/api/2.0/fo/knowledge_base/vuln/"
      "knowledge_base_vuln_list_output.dtd\">";
  out.reserve(256 + entries.size() * 900);
  XmlWriter w(&out);
  {
    XmlElement root(w, "KNOWLEDGE_BASE_VULN_LIST_OUTPUT");
    XmlElement response(w, "RESPONSE");
    w.Date("DATETIME", now);
    if (!entries.empty()) {
      XmlElement list(w, "VULN_LIST");
      for (const KbEntry* e : entries) {
        XmlElement vuln(w, "VULN");
        w.Number("QID", e->qid);
        w.Text("VULN_TYPE", e->vuln_type);
        w.Number("SEVERITY_LEVEL", e->severity);
        w.Cdata("TITLE", e->title);
        if (details != KbDetails::kNone) {
          w.Text("CATEGORY", e->category);
          w.Date("LAST_SERVICE_MODIFICATION_DATETIME", e->modified);
          w.Date("PUBLISHED_DATETIME", e->published);
        }
        w.Number("PATCHABLE", e->patchable ? 1 : 0);
        if (details != KbDetails::kNone && !e->cve.empty()) {
          XmlElement cves(w, "CVE_LIST");
          XmlElement cve(w, "CVE");
          w.Cdata("ID", e->cve);
          w.Cdata("URL", "http://cve.mitre.org/cgi-bin/cvename.cgi?name=" +
                             std::string(e->cve));
        }
        if (details == KbDetails::kAll) {
          w.Cdata("DIAGNOSIS",
                  "The scanner detected: " + std::string(e->title) +
                      ". <P>See the vendor advisory & references.");
          w.Cdata("CONSEQUENCE",
                  "Depending on the vulnerability, an attacker may gain "
                  "access to sensitive data or execute code.");
          w.Cdata("SOLUTION",
                  "<B>Note:</B> Apply the vendor's update or configuration "
                  "change.");
        }
        if (details != KbDetails::kNone) {
          if (e->cvss3_base > 0) {
            XmlElement cvss(w, "CVSS_V3");
            w.Decimal("BASE", e->cvss3_base);
            w.Decimal("TEMPORAL", e->cvss3_base * 0.9);
            w.Text("CVSS3_VERSION", "3.1");
          }
          w.Number("PCI_FLAG", e->severity >= 3 ? 1 : 0);
          XmlElement discovery(w, "DISCOVERY");
          w.Number("REMOTE", e->category == "Local" ? 0 : 1);
        }
      }
    }
  }
  out +=
      "\n<!-- CONFIDENTIAL AND PROPRIETARY INFORMATION. Qualys provides the "
      "QualysGuard Service \"As Is,\" without any warranty of any kind. "
      "Qualys makes no warranty that the information contained in this "
      "report is complete or error-free. Copyright 2024, Qualys, Inc. //-->\n";
  return out;
}

}  // namespace qx::sim
