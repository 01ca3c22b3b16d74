// <Finding> as /qps/rest/3.0/search/was/finding returns it.
#include <cstdio>

#include "qx/sim/renderers.h"
#include "qx/sim/rng.h"

namespace qx::sim {
namespace {

struct Classification {
  int cwe;
  int owasp_code;
  std::string_view owasp_name;
  std::string_view owasp_url;
  int wasc_code;
  std::string_view wasc_name;
};

Classification ClassificationOf(std::string_view group) {
  if (group == "XSS") {
    return {79,          3,
            "Injection", "https://owasp.org/Top10/A03_2021-Injection/",
            8,           "CROSS-SITE SCRIPTING"};
  }
  if (group == "SQL") {
    return {89,          3,
            "Injection", "https://owasp.org/Top10/A03_2021-Injection/",
            19,          "SQL INJECTION"};
  }
  if (group == "PATH") {
    return {22,
            1,
            "Broken Access Control",
            "https://owasp.org/Top10/A01_2021-Broken_Access_Control/",
            33,
            "PATH TRAVERSAL"};
  }
  return {200,
          5,
          "Security Misconfiguration",
          "https://owasp.org/Top10/A05_2021-Security_Misconfiguration/",
          13,
          "INFORMATION LEAKAGE"};
}

struct Payload {
  std::string payload;
  std::string method;
  std::string link;
  std::string response;
};

Payload MakePayload(const WasFindingRec& f, std::uint64_t n) {
  Rng rng({f.salt, n});
  Payload p;
  const std::string tag = "X" + std::to_string(rng.Below(1'000'000)) + "Y1_1Z";
  const std::string param = f.param.empty() ? "q" : f.param;
  p.method = "GET";
  if (f.group == "XSS") {
    p.payload = param + "=\"'><qss a=" + tag + ">";
    p.link = f.url + (f.url.find('?') == std::string::npos ? "?" : "&") +
             param + "=%22'%3E%3Cqss%20a%3D" + tag + "%3E";
    p.response =
        "comment: A significant portion of the XSS test payload appeared in "
        "the web page.\n<html><script>var s = \"]]>\";</script>"
        "<div id=\"result\">\"'><qss a=" +
        tag + "></div></html>\n";
  } else if (f.group == "SQL") {
    p.payload = param + "=1' AND '1'='1' -- &x=<y>";
    p.link = f.url + "?" + param + "=1'%20AND%20'1'%3D'1'%20--%20";
    p.response =
        "SQL error: You have an error in your SQL syntax; check the manual "
        "near ''1'' at line 1\n";
  } else if (f.group == "CC" || f.group == "SSN" || f.group == "CUSTOM") {
    p.payload = "N/A";
    p.link = f.url;
    p.response = f.group == "CC"    ? "Number found: 4111********1111\n"
                 : f.group == "SSN" ? "Number found: ***-**-6789\n"
                                    : "Content found: \"internal use only\"\n";
  } else {
    p.payload = "N/A";
    p.method = rng.Percent(30) ? "POST" : "GET";
    p.link = f.url;
    p.response =
        "Set-Cookie: JSESSIONID=" + std::to_string(rng.Next() % 100000) +
        "; Path=/\nServer: Apache/2.4.41 (Ubuntu) & mod_ssl\n";
  }
  return p;
}

void WriteResultList(XmlWriter& w, const WasFindingRec& f) {
  XmlElement result_list(w, "resultList");
  w.Number("count", 1);
  XmlElement list(w, "list");
  XmlElement result(w, "Result");
  if (f.qid == kKeywordQid) {
    w.Text("authentication", "false");
    XmlElement payloads(w, "payloads");
    w.Number("count", 1);
    XmlElement plist(w, "list");
    XmlElement inst(w, "PayloadInstance");
    w.Cdata("response", KeywordResponseText(f));
    return;
  }
  if (f.type == FindingType::kVulnerability && f.salt % 3 == 0) {
    XmlElement access(w, "accessPath");
    w.Number("count", 1);
    XmlElement alist(w, "list");
    XmlElement url(w, "Url");
    w.Cdata("value", f.url.substr(0, f.url.find('/', 8) + 1));
  }
  w.Text("ajax", "false");
  w.Text("authentication", f.salt % 4 == 0 ? "true" : "false");
  const std::uint64_t count =
      f.type == FindingType::kInformationGathered ? 1 : 1 + f.salt % 3;
  XmlElement payloads(w, "payloads");
  w.Number("count", count);
  XmlElement plist(w, "list");
  for (std::uint64_t i = 0; i < count; ++i) {
    const Payload p = MakePayload(f, i);
    XmlElement inst(w, "PayloadInstance");
    if (f.type != FindingType::kInformationGathered) {
      w.Cdata("payload", p.payload);
      XmlElement request(w, "request");
      w.Text("method", p.method);
      w.Cdata("link", p.link);
      w.Cdata("headers",
              Base64(p.method + " " + p.link +
                     " HTTP/1.1\r\nUser-Agent: Mozilla/5.0 (Qualys WAS)\r\n"
                     "Accept: */*\r\n"));
    }
    w.Cdata("response", p.response);
    if (f.type == FindingType::kVulnerability) {
      XmlElement pr(w, "payloadResponce");  // sic, as the API spells it
      w.Number("offset", 200 + f.salt % 100);
      w.Number("length", p.payload.size());
    }
  }
}

}  // namespace

std::string KeywordResponseText(const WasFindingRec& f) {
  std::string out = "\n";
  bool first = true;
  for (const KeywordBlock& b : f.keywords) {
    if (!first) out += "\n";
    first = false;
    out += "Regex: " + b.regex + "\n";
    if (b.links.empty()) {
      out += "No internal link found matching with this regex.\n";
      continue;
    }
    out += "List of internal links matching with this regex are:\n";
    for (const KeywordLink& l : b.links) {
      out += l.url;
      out += l.same_line ? " " : "\n";
      out += "seen at following parent(s)\n";
      for (const std::string& parent : l.parents) out += parent + "\n";
    }
  }
  return out;
}

void WriteFinding(XmlWriter& w, const WasDataset& was, const WasFindingRec& f,
                  const FindingRenderOptions& opts) {
  const WasWebApp& app = was.WebAppOf(f);
  const bool ig = f.type == FindingType::kInformationGathered;
  XmlElement finding(w, "Finding");
  w.Number("id", f.id);
  w.Text("uniqueId", f.unique_id);
  w.Number("qid", f.qid);
  w.Cdata("name", f.name);
  w.Text("type", FindingTypeName(f.type));
  w.Bool("potential", f.potential);
  w.Text("findingType", "QUALYS");
  w.Text("group", f.group);
  if (!f.param.empty()) w.Text("param", f.param);
  if (f.type == FindingType::kVulnerability) {
    const Classification c = ClassificationOf(f.group);
    {
      XmlElement cwe(w, "cwe");
      w.Number("count", 1);
      XmlElement list(w, "list");
      w.Number("long", c.cwe);
    }
    {
      XmlElement owasp(w, "owasp");
      w.Number("count", 1);
      XmlElement list(w, "list");
      XmlElement o(w, "OWASP");
      w.Text("name", c.owasp_name);
      w.Number("code", c.owasp_code);
      w.Text("url", c.owasp_url);
    }
    {
      XmlElement wasc(w, "wasc");
      w.Number("count", 1);
      XmlElement list(w, "list");
      XmlElement o(w, "WASC");
      w.Text("name", c.wasc_name);
      w.Number("code", c.wasc_code);
      w.Text("url", "http://projects.webappsec.org/w/page/13246934/WASC");
    }
  }
  if (opts.verbose) WriteResultList(w, f);
  w.Number("severity", f.severity);
  w.Cdata("url", f.url);
  if (!ig) w.Text("status", f.status);
  w.Date("firstDetectedDate", f.first_detected);
  w.Date("lastDetectedDate", f.last_detected);
  w.Date("lastTestedDate", f.last_tested);
  if (!ig) w.Number("timesDetected", f.times_detected);
  {
    XmlElement web(w, "webApp");
    w.Number("id", app.id);
    w.Cdata("name", app.name);
    w.Cdata("url", app.url);
    XmlElement tags(w, "tags");
    w.Number("count", app.tags.size());
    XmlElement list(w, "list");
    for (const auto& [id, name] : app.tags) {
      XmlElement t(w, "Tag");
      w.Number("id", id);
      w.Cdata("name", name);
    }
  }
  if (!ig) {
    w.Bool("isIgnored", f.ignored);
    if (f.ignored) {
      w.Text("ignoredReason", "FALSE_POSITIVE");
      w.Date("ignoredDate", f.ignored_date);
      w.Cdata("ignoredComment", "Reviewed <2024-Q2> & accepted");
    }
  }
  if (!f.severity_comment.empty()) {
    w.Cdata("severityComment", f.severity_comment);
  }
  if (opts.verbose && !f.history.empty()) {
    std::size_t n = f.history.size();
    if (opts.limit_histories && *opts.limit_histories < n) {
      n = static_cast<std::size_t>(*opts.limit_histories);
    }
    XmlElement history(w, "history");
    XmlElement set(w, "set");
    for (std::size_t i = 0; i < n; ++i) {
      const WasScan& scan = was.ScanAt(f, i);
      XmlElement h(w, "WebAppFindingHistory");
      XmlElement data(w, "scanData");
      w.Number("id", scan.id);
      w.Text("reference", scan.reference);
      w.Date("launchedDate", scan.launched);
    }
  }
  if (f.has_cvss) {
    XmlElement cvss(w, "cvssV3");
    w.Decimal("base", f.cvss_base);
    w.Decimal("temporal", f.cvss_temporal);
    w.Text("attackVector", f.attack_vector);
  }
  w.Date("updatedDate", f.updated);
}

}  // namespace qx::sim
