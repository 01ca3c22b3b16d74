// qualys-sim's Host List Detection, WAS scan schedule and web app endpoints
// over HTTP: the API v2 protocol (X-Requested-With, rate-limit headers,
// SIMPLE_RETURN errors), the XML shape, filters and paging, faults, and the
// scan coverage fields of host assets.
#include <Poco/AutoPtr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/Node.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/SAX/XMLReader.h>
#include <Poco/StreamCopier.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "qx/sim/simulator.h"
#include "qx/sim/time_util.h"

namespace qx::sim {
namespace {

using Poco::XML::Element;
using ::testing::HasSubstr;

constexpr char kDetPath[] = "/api/2.0/fo/asset/host/vm/detection/";
constexpr char kSchedPath[] = "/qps/rest/3.0/search/was/wasscanschedule";
constexpr char kAppPath[] = "/qps/rest/3.0/search/was/webapp";
constexpr Seconds kBase = UtcSeconds(2024, 6, 3, 6);

struct Reply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
};

Reply Call(std::uint16_t port, const std::string& method,
           const std::string& path, const std::string& body,
           const std::string& content_type, bool xrw = true,
           const std::string& password = "demo") {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  session.setTimeout(Poco::Timespan(20, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  Poco::Net::HTTPBasicCredentials("demo", password).authenticate(req);
  if (xrw) req.set("X-Requested-With", "sim_detection_test");
  if (method == "POST") {
    req.setContentType(content_type);
    req.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  Reply r;
  r.status = static_cast<int>(resp.getStatus());
  Poco::StreamCopier::copyToString(in, r.body);
  for (const auto& [k, v] : resp) r.headers[k] = v;
  return r;
}

Reply Detections(std::uint16_t port, const std::string& form, bool xrw = true) {
  return Call(port, "POST", kDetPath, form, "application/x-www-form-urlencoded",
              xrw);
}

Reply Search(std::uint16_t port, const std::string& path,
             const std::string& body = "<ServiceRequest/>") {
  return Call(port, "POST", path, body, "text/xml");
}

Poco::AutoPtr<Poco::XML::Document> Xml(const std::string& body) {
  Poco::XML::DOMParser parser;
  parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_GENERAL_ENTITIES,
                    false);
  parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_PARAMETER_ENTITIES,
                    false);
  return parser.parseString(body);
}

// Every element named `name`, in document order, in one walk (Poco's
// getElementsByTagName list costs a tree walk per item).
void Collect(Poco::XML::Node* n, const std::string& name,
             std::vector<Element*>* out) {
  for (Poco::XML::Node* c = n->firstChild(); c != nullptr;
       c = c->nextSibling()) {
    if (c->nodeType() != Poco::XML::Node::ELEMENT_NODE) continue;
    if (c->nodeName() == name) out->push_back(static_cast<Element*>(c));
    Collect(c, name, out);
  }
}

std::vector<Element*> All(Poco::XML::Node* root, const std::string& name) {
  std::vector<Element*> out;
  Collect(root, name, &out);
  return out;
}

std::string Text(Element* e, const std::string& child) {
  Element* c = e->getChildElement(child);
  return c == nullptr ? std::string("<absent>") : c->innerText();
}

class SimDetectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SimOptions opts;
    opts.host_assets = 300;
    opts.webapps = 4;
    opts.findings_per_webapp = 3;
    opts.time_base = kBase;
    opts.seed = 9;
    sim_ = std::make_unique<Simulator>(opts);
  }
  std::uint16_t port() const { return sim_->port(); }

  // Every (host id, detection) over all pages of `form`, following the
  // WARNING URLs; pages counts them.
  std::vector<std::pair<std::string, Element*>> WalkAll(const std::string& form,
                                                        int* pages = nullptr) {
    std::vector<std::pair<std::string, Element*>> out;
    std::string next = form;
    int n = 0;
    while (!next.empty()) {
      const Reply r = Detections(port(), next);
      EXPECT_EQ(r.status, 200) << r.body;
      docs_.push_back(Xml(r.body));
      Poco::XML::Document* doc = docs_.back();
      for (Element* host : All(doc, "HOST")) {
        for (Element* d : All(host, "DETECTION")) {
          out.emplace_back(Text(host, "ID"), d);
        }
      }
      next.clear();
      const auto urls = All(doc, "URL");
      if (!urls.empty()) {
        const std::string url = urls.front()->innerText();
        EXPECT_THAT(url, HasSubstr("/api/2.0/fo/asset/host/vm/detection/?"));
        next = url.substr(url.find('?') + 1);
        EXPECT_EQ(
            Text(static_cast<Element*>(urls.front()->parentNode()), "CODE"),
            "1980");
      }
      ++n;
    }
    if (pages != nullptr) *pages = n;
    return out;
  }

  std::unique_ptr<Simulator> sim_;
  std::vector<Poco::AutoPtr<Poco::XML::Document>> docs_;
};

TEST_F(SimDetectionTest, ApiV2ProtocolAndShape) {
  const Reply r = Detections(port(), "action=list&truncation_limit=5");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.body,
              HasSubstr("<!DOCTYPE HOST_LIST_VM_DETECTION_OUTPUT SYSTEM "
                        "\"https://qualysapi.qualys.com/api/2.0/fo/asset/host/"
                        "vm/detection/host_list_vm_detection_output.dtd\">"));
  EXPECT_THAT(r.body, HasSubstr("<![CDATA["));
  for (const char* h :
       {"X-RateLimit-Limit", "X-RateLimit-Window-Sec", "X-RateLimit-Remaining",
        "X-RateLimit-ToWait-Sec", "X-Concurrency-Limit-Limit",
        "X-Concurrency-Limit-Running"}) {
    EXPECT_TRUE(r.headers.count(h)) << h;
  }
  auto doc = Xml(r.body);
  EXPECT_EQ(All(doc, "HOST").size(), 5u);
  EXPECT_EQ(All(doc, "DATETIME").front()->innerText(), "2024-06-03T06:00:00Z");
  // The same request as a GET query string answers the same.
  const Reply get =
      Call(port(), "GET",
           std::string(kDetPath) + "?action=list&truncation_limit=5", "", "");
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(All(Xml(get.body), "HOST").size(), 5u);

  auto error_code = [](const Reply& e) {
    auto d = Xml(e.body);
    return All(d, "CODE").empty() ? std::string()
                                  : All(d, "CODE")[0]->innerText();
  };
  const Reply no_header = Detections(port(), "action=list", /*xrw=*/false);
  EXPECT_EQ(no_header.status, 400);
  EXPECT_EQ(error_code(no_header), "1903");
  const Reply unknown = Detections(port(), "action=list&show_everything=1");
  EXPECT_EQ(error_code(unknown), "1901");
  EXPECT_THAT(unknown.body, HasSubstr("show_everything"));
  const Reply bad_date =
      Detections(port(), "action=list&vm_processed_after=2024-13-01");
  EXPECT_EQ(error_code(bad_date), "1905");
  EXPECT_EQ(error_code(Detections(port(), "truncation_limit=5")), "1903");
  EXPECT_EQ(error_code(Detections(port(), "action=list&show_igs=yes")), "1905");
  const Reply auth = Call(port(), "POST", kDetPath, "action=list",
                          "application/x-www-form-urlencoded", true, "wrong");
  EXPECT_EQ(auth.status, 401);
  EXPECT_THAT(auth.body, HasSubstr("<SIMPLE_RETURN>"));
}

TEST_F(SimDetectionTest, FiltersAndPagingCoverEveryShape) {
  int pages = 0;
  const auto paged = WalkAll("action=list&truncation_limit=40", &pages);
  EXPECT_GT(pages, 3);
  const auto single = WalkAll("action=list&truncation_limit=0");
  ASSERT_EQ(paged.size(), single.size());
  std::set<std::string> hosts;
  for (std::size_t i = 0; i < paged.size(); ++i) {
    EXPECT_EQ(paged[i].first, single[i].first);
    hosts.insert(paged[i].first);
  }
  // The defaults leave out Info, ignored and disabled detections.
  for (const auto& [host, d] : paged) {
    EXPECT_NE(Text(d, "TYPE"), "Info");
    EXPECT_EQ(Text(d, "IS_IGNORED"), "0");
    EXPECT_EQ(Text(d, "IS_DISABLED"), "0");
    EXPECT_EQ(Text(d, "RESULTS").empty(), false);  // show_results defaults 1
  }
  // Asked for: every status, type, flag; RESULTS left out.
  std::set<std::string> statuses, types;
  int ignored = 0, disabled = 0, no_severity = 0;
  const auto everything = WalkAll(
      "action=list&truncation_limit=0&show_igs=1&include_ignored=1&include_"
      "disabled=1&show_results=0");
  for (const auto& [host, d] : everything) {
    statuses.insert(Text(d, "STATUS"));
    types.insert(Text(d, "TYPE"));
    ignored += Text(d, "IS_IGNORED") == "1";
    disabled += Text(d, "IS_DISABLED") == "1";
    no_severity += Text(d, "SEVERITY") == "<absent>";
    EXPECT_EQ(Text(d, "RESULTS"), "<absent>");
    if (Text(d, "STATUS") == "Fixed") {
      EXPECT_NE(Text(d, "LAST_FIXED_DATETIME"), "<absent>");
    }
  }
  EXPECT_EQ(statuses,
            (std::set<std::string>{"Active", "Fixed", "New", "Re-Opened"}));
  EXPECT_EQ(types, (std::set<std::string>{"Confirmed", "Info", "Potential"}));
  EXPECT_GT(ignored, 0);
  EXPECT_GT(disabled, 0);
  EXPECT_GT(no_severity, 0);
  EXPECT_GT(everything.size(), paged.size());
  // status and ids filters.
  for (const auto& [host, d] : WalkAll("action=list&status=Fixed,Re-Opened")) {
    EXPECT_THAT(Text(d, "STATUS"), ::testing::AnyOf("Fixed", "Re-Opened"));
  }
  const std::string first = *hosts.begin();
  for (const auto& [host, d] : WalkAll("action=list&ids=" + first)) {
    EXPECT_EQ(host, first);
  }
}

TEST_F(SimDetectionTest, IncrementalFiltersFollowTheEvolution) {
  const std::string t0 = "2024-06-03T06:00:00Z";
  EXPECT_TRUE(WalkAll("action=list&vm_processed_after=" + t0).empty());
  sim_->Advance();  // a day later, some hosts are rescanned
  std::set<std::string> changed_hosts;
  const auto changed = WalkAll(
      "action=list&show_igs=1&include_ignored=1&include_disabled=1&vm_"
      "processed_after=" +
      t0);
  ASSERT_FALSE(changed.empty());
  std::map<std::string, int> per_host;
  for (const auto& [host, d] : changed) {
    changed_hosts.insert(host);
    ++per_host[host];
  }
  // A host filter: the hosts come with all their detections.
  const auto all = WalkAll(
      "action=list&show_igs=1&include_ignored=1&include_disabled=1&truncation_"
      "limit=0");
  std::map<std::string, int> per_host_all;
  for (const auto& [host, d] : all) {
    if (changed_hosts.count(host)) ++per_host_all[host];
  }
  EXPECT_EQ(per_host, per_host_all);
  // A detection filter: only detections updated since, on those hosts.
  const auto updated = WalkAll(
      "action=list&show_igs=1&include_ignored=1&include_disabled=1&detection_"
      "updated_since=" +
      t0);
  ASSERT_FALSE(updated.empty());
  for (const auto& [host, d] : updated) {
    EXPECT_TRUE(changed_hosts.count(host)) << host;
    EXPECT_GT(Text(d, "LAST_UPDATE_DATETIME"), t0);
  }
  EXPECT_LE(updated.size(), changed.size());
}

TEST_F(SimDetectionTest, FaultsOnTheNewEndpoints) {
  auto fail = [&](const std::string& query) {
    const Reply r =
        Call(port(), "POST", "/sim/fail?" + query, "", "text/plain", false);
    ASSERT_EQ(r.status, 200) << r.body;
  };
  fail("path=/vm/detection/&status=409&wait=7");
  Reply r = Detections(port(), "action=list");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.headers["X-RateLimit-ToWait-Sec"], "7");
  EXPECT_THAT(r.body, HasSubstr("<CODE>1965</CODE>"));
  fail("path=/vm/detection/&status=503");
  r = Detections(port(), "action=list");
  EXPECT_EQ(r.status, 503);
  EXPECT_THAT(r.headers["Content-Type"], HasSubstr("text/html"));
  fail("path=/vm/detection/&status=200&code=1999");
  r = Detections(port(), "action=list");
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("<SIMPLE_RETURN>"));
  fail("path=wasscanschedule&status=500");
  r = Search(port(), kSchedPath);
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(r.headers["Content-Type"], HasSubstr("text/html"));  // gateway
  fail("path=wasscanschedule&status=400");
  r = Search(port(), kSchedPath);
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("wasscanschedule.xsd"));
  EXPECT_THAT(r.body, HasSubstr("<responseCode>OTHER_ERROR</responseCode>"));
  fail("path=/was/webapp&status=401");
  r = Search(port(), kAppPath);
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(r.body, HasSubstr("INVALID_CREDENTIALS"));
  EXPECT_EQ(Detections(port(), "action=list&truncation_limit=1").status, 200);
}

TEST_F(SimDetectionTest, ScheduleAndWebAppSearches) {
  Reply r = Search(port(), kSchedPath,
                   "<ServiceRequest><preferences><limitResults>100"
                   "</limitResults></preferences><filters><Criteria "
                   "field=\"type\" operator=\"EQUALS\">DISCOVERY</Criteria>"
                   "</filters></ServiceRequest>");
  ASSERT_EQ(r.status, 200) << r.body;
  auto doc = Xml(r.body);
  const auto schedules = All(doc, "WasScanSchedule");
  ASSERT_FALSE(schedules.empty());
  for (Element* s : schedules) EXPECT_EQ(Text(s, "type"), "DISCOVERY");
  r = Search(port(), "/qps/rest/3.0/count/was/wasscanschedule");
  EXPECT_THAT(r.body, HasSubstr("<count>12</count>"));
  r = Search(port(), kSchedPath,
             "<ServiceRequest><filters><Criteria field=\"owner\" "
             "operator=\"EQUALS\">x</Criteria></filters></ServiceRequest>");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("INVALID_REQUEST"));
  r = Call(port(), "GET", kSchedPath, "", "");
  EXPECT_EQ(r.status, 405);

  // Web apps: those with findings and the extra ones, all with tags.
  r = Search(port(), kAppPath);
  ASSERT_EQ(r.status, 200);
  doc = Xml(r.body);
  const auto apps = All(doc, "WebApp");
  EXPECT_EQ(apps.size(), 4u + 2u);
  for (Element* a : apps) {
    EXPECT_NE(Text(a, "tags"), "<absent>");
  }
  r = Search(port(), kAppPath,
             "<ServiceRequest><filters><Criteria field=\"isScheduled\" "
             "operator=\"EQUALS\">false</Criteria></filters></ServiceRequest>");
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(All(Xml(r.body), "WebApp").empty());
}

TEST_F(SimDetectionTest, HostAssetsCarryScanCoverage) {
  std::set<std::string> qweb_ids;
  int without_qweb = 0, never_scanned = 0, stale = 0, agents = 0;
  std::string after;
  while (true) {
    std::string body =
        "<ServiceRequest><preferences><limitResults>100</limitResults>"
        "</preferences>";
    if (!after.empty()) {
      body += "<filters><Criteria field=\"id\" operator=\"GREATER\">" + after +
              "</Criteria></filters>";
    }
    const Reply r = Search(port(), "/qps/rest/2.0/search/am/hostasset",
                           body + "</ServiceRequest>");
    ASSERT_EQ(r.status, 200);
    auto doc = Xml(r.body);
    for (Element* a : All(doc, "HostAsset")) {
      const std::string qweb = Text(a, "qwebHostId");
      const std::string scan = Text(a, "lastVulnScan");
      if (qweb == "<absent>") {
        ++without_qweb;
        EXPECT_EQ(scan, "<absent>");
      } else {
        qweb_ids.insert(qweb);
      }
      never_scanned += scan == "<absent>";
      stale += scan != "<absent>" && scan < "2024-03-05";
      agents += Text(a, "agentInfo") != "<absent>";
    }
    if (All(doc, "hasMoreRecords").front()->innerText() != "true") break;
    after = All(doc, "lastId").front()->innerText();
  }
  EXPECT_GT(without_qweb, 0);
  EXPECT_GT(never_scanned, without_qweb);  // VM hosts never scanned too
  EXPECT_GT(stale, 0);
  EXPECT_GT(agents, 0);
  // The detection API's hosts: most are host assets, some are not.
  int known = 0, unknown = 0;
  for (const auto& [host, d] : WalkAll("action=list&truncation_limit=0")) {
    (qweb_ids.count(host) ? known : unknown) += 1;
  }
  EXPECT_GT(known, 0);
  EXPECT_GT(unknown, 0);
}

}  // namespace
}  // namespace qx::sim
