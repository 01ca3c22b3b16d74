// End-to-end tests of qualys-sim over HTTP: each test starts a Simulator on
// an ephemeral loopback port and stops it when done.
#include <Poco/AutoPtr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/Node.h>
#include <Poco/DOM/NodeList.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/SAX/XMLReader.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "qx/sim/simulator.h"
#include "qx/sim/time_util.h"

namespace qx::sim {
namespace {

using Poco::XML::Element;
using Poco::XML::Node;

struct Reply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
};

struct Call {
  std::string method = "POST";
  std::string path;
  std::string body;
  std::string content_type = "text/xml";
  std::optional<std::pair<std::string, std::string>> auth =
      std::pair<std::string, std::string>{"demo", "demo"};
  std::map<std::string, std::string> headers;
};

Reply Send(std::uint16_t port, const Call& call) {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  session.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest req(call.method, call.path,
                             Poco::Net::HTTPMessage::HTTP_1_1);
  if (call.auth) {
    Poco::Net::HTTPBasicCredentials(call.auth->first, call.auth->second)
        .authenticate(req);
  }
  for (const auto& [k, v] : call.headers) req.set(k, v);
  if (call.method == "POST") {
    req.setContentType(call.content_type);
    req.setContentLength(static_cast<std::streamsize>(call.body.size()));
  }
  std::ostream& os = session.sendRequest(req);
  os << call.body;
  Poco::Net::HTTPResponse resp;
  std::istream& is = session.receiveResponse(resp);
  Reply r;
  r.status = static_cast<int>(resp.getStatus());
  Poco::StreamCopier::copyToString(is, r.body);
  for (const auto& [k, v] : resp) r.headers[k] = v;
  return r;
}

Poco::AutoPtr<Poco::XML::Document> ParseXml(const std::string& body) {
  Poco::XML::DOMParser parser;
  parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_GENERAL_ENTITIES,
                    false);
  parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_PARAMETER_ENTITIES,
                    false);
  return parser.parseString(body);
}

Element* Child(const Element* e, const std::string& name) {
  return e == nullptr ? nullptr : e->getChildElement(name);
}

std::string ChildText(const Element* e, const std::string& name) {
  Element* c = Child(e, name);
  return c == nullptr ? std::string() : c->innerText();
}

std::vector<Element*> Children(const Element* e, const std::string& name) {
  std::vector<Element*> out;
  if (e == nullptr) return out;
  for (Node* n = e->firstChild(); n != nullptr; n = n->nextSibling()) {
    if (n->nodeType() == Node::ELEMENT_NODE && n->nodeName() == name) {
      out.push_back(static_cast<Element*>(n));
    }
  }
  return out;
}

// Element by a slash-separated path of child names.
Element* Path(const Element* e, const std::string& path) {
  const Element* cur = e;
  std::stringstream ss(path);
  std::string part;
  while (cur != nullptr && std::getline(ss, part, '/')) cur = Child(cur, part);
  return const_cast<Element*>(cur);
}

std::string SearchBody(std::uint64_t limit, const std::string& criteria,
                       bool verbose = false,
                       std::optional<int> limit_histories = std::nullopt) {
  std::string body = "<ServiceRequest><preferences>";
  if (limit > 0) {
    body += "<limitResults>" + std::to_string(limit) + "</limitResults>";
  }
  if (verbose) body += "<verbose>true</verbose>";
  if (limit_histories) {
    body += "<limitHistories>" + std::to_string(*limit_histories) +
            "</limitHistories>";
  }
  body += "</preferences><filters>" + criteria + "</filters></ServiceRequest>";
  return body;
}

std::string Criteria(const std::string& field, const std::string& op,
                     const std::string& value) {
  return "<Criteria field=\"" + field + "\" operator=\"" + op + "\">" + value +
         "</Criteria>";
}

struct Walk {
  std::vector<std::string> records;  // serialized per-record XML kept as DOM
  Poco::AutoPtr<Poco::XML::Document> last_doc;
  std::vector<Poco::AutoPtr<Poco::XML::Document>> docs;
  std::vector<Element*> elements;
  int pages = 0;
  int empty_pages = 0;
};

// Follows hasMoreRecords/lastId like the contract says.
Walk WalkAll(std::uint16_t port, const std::string& path,
             const std::string& criteria, std::uint64_t limit,
             bool verbose = false) {
  Walk w;
  std::optional<std::uint64_t> last_id;
  while (true) {
    std::string crit = criteria;
    if (last_id) crit += Criteria("id", "GREATER", std::to_string(*last_id));
    const Reply r =
        Send(port, {.path = path, .body = SearchBody(limit, crit, verbose)});
    EXPECT_EQ(r.status, 200) << r.body;
    auto doc = ParseXml(r.body);
    const Element* root = doc->documentElement();
    EXPECT_EQ(ChildText(root, "responseCode"), "SUCCESS") << r.body;
    const std::uint64_t count = std::stoull(ChildText(root, "count"));
    const auto data = Children(
        Child(root, "data"),
        path.find("hostasset") != std::string::npos ? "HostAsset" : "Finding");
    EXPECT_EQ(count, data.size());
    if (count == 0) {
      EXPECT_EQ(Child(root, "data"), nullptr);
      ++w.empty_pages;
    }
    w.elements.insert(w.elements.end(), data.begin(), data.end());
    w.docs.push_back(doc);
    ++w.pages;
    if (ChildText(root, "hasMoreRecords") != "true") break;
    const std::uint64_t next = std::stoull(ChildText(root, "lastId"));
    if (last_id) {
      EXPECT_GT(next, *last_id);
    }
    last_id = next;
    if (w.pages > 10000) break;
  }
  return w;
}

// Numbers listed under "key":[...] in the expected JSON.
std::vector<std::uint64_t> JsonIdList(const std::string& json,
                                      const std::string& key) {
  std::vector<std::uint64_t> out;
  const std::size_t at = json.find("\"" + key + "\":[");
  if (at == std::string::npos) return out;
  std::size_t pos = at + key.size() + 4;
  const std::size_t end = json.find(']', pos);
  while (pos < end) {
    std::size_t comma = json.find(',', pos);
    if (comma == std::string::npos || comma > end) comma = end;
    if (comma > pos) out.push_back(std::stoull(json.substr(pos, comma - pos)));
    pos = comma + 1;
  }
  return out;
}

std::uint64_t JsonObjectValue(const std::string& json, const std::string& key,
                              const std::string& field) {
  const std::size_t at = json.find("\"" + key + "\":{");
  const std::size_t f = json.find("\"" + field + "\":", at);
  return std::stoull(json.substr(f + field.size() + 3));
}

constexpr char kHostPath[] = "/qps/rest/2.0/search/am/hostasset";
constexpr char kFindingPath[] = "/qps/rest/3.0/search/was/finding";
constexpr char kKbPath[] = "/api/2.0/fo/knowledge_base/vuln/";

class SimServerTest : public ::testing::Test {
 protected:
  void Start(SimOptions opts = {}) {
    sim_ = std::make_unique<Simulator>(std::move(opts));
  }
  void TearDown() override { sim_.reset(); }
  std::uint16_t port() const { return sim_->port(); }

  std::unique_ptr<Simulator> sim_;
};

TEST_F(SimServerTest, RejectsMissingAndWrongCredentials) {
  Start();
  EXPECT_EQ(sim_->base_url(),
            "http://127.0.0.1:" + std::to_string(sim_->port()));
  for (auto auth :
       {std::optional<std::pair<std::string, std::string>>(),
        std::optional(std::pair<std::string, std::string>{"demo", "wrong"})}) {
    for (const char* path : {kHostPath, kFindingPath}) {
      const Reply r = Send(
          port(), {.path = path, .body = SearchBody(10, ""), .auth = auth});
      EXPECT_EQ(r.status, 401);
      auto doc = ParseXml(r.body);
      EXPECT_EQ(ChildText(doc->documentElement(), "responseCode"),
                "INVALID_CREDENTIALS");
      EXPECT_FALSE(
          ChildText(Child(doc->documentElement(), "responseErrorDetails"),
                    "errorMessage")
              .empty());
    }
    const Reply kb =
        Send(port(), {.path = kKbPath,
                      .body = "action=list&ids=38170",
                      .content_type = "application/x-www-form-urlencoded",
                      .auth = auth,
                      .headers = {{"X-Requested-With", "test"}}});
    EXPECT_EQ(kb.status, 401);
    EXPECT_NE(kb.body.find("<SIMPLE_RETURN>"), std::string::npos);
  }
  EXPECT_EQ(sim_->RequestCounts()[kHostPath], 2u);
}

TEST_F(SimServerTest, HostAssetPaginationReturnsEveryAssetOnce) {
  Start();
  const Walk w = WalkAll(port(), kHostPath, "", 100);
  ASSERT_EQ(w.elements.size(), 500u);
  EXPECT_GE(w.empty_pages, 1) << "API 3.2 empty pages must appear";
  std::vector<std::uint64_t> ids;
  std::map<std::string, std::uint64_t> clouds;
  for (const Element* h : w.elements) {
    ids.push_back(std::stoull(ChildText(h, "id")));
    std::string cloud = "none";
    for (const Element* s :
         Children(Path(h, "sourceInfo/list"), "AzureAssetSourceSimple")) {
      (void)s;
      cloud = "azure";
    }
    if (Path(h, "sourceInfo/list/Ec2AssetSourceSimple") != nullptr) {
      EXPECT_EQ(
          ChildText(Path(h, "sourceInfo/list/Ec2AssetSourceSimple"), "type"),
          "EC_2");
      cloud = "aws";
    }
    if (Path(h, "sourceInfo/list/GcpAssetSourceSimple") != nullptr) {
      cloud = "gcp";
    }
    ++clouds[cloud];
    for (const Element* v : Children(Path(h, "vuln/list"), "HostAssetVuln")) {
      EXPECT_GT(std::stoull(ChildText(v, "hostInstanceVulnId")), 1ULL << 32);
    }
  }
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::set<std::uint64_t>(ids.begin(), ids.end()).size(), 500u);
  EXPECT_GT(ids.back(), 1ULL << 32);
  const std::string expected = sim_->ExpectedJson();
  for (const char* cloud : {"azure", "aws", "gcp", "none"}) {
    EXPECT_EQ(clouds[cloud], JsonObjectValue(expected, "host_assets", cloud))
        << cloud;
  }
  // Every page was one request.
  EXPECT_EQ(sim_->RequestCounts()[kHostPath],
            static_cast<std::uint64_t>(w.pages));
}

TEST_F(SimServerTest, LimitResultsDefaultAndCap) {
  SimOptions opts;
  opts.max_limit_results = 40;
  opts.empty_page_every = 0;
  Start(opts);
  auto first_page_count = [&](std::uint64_t limit) {
    const Reply r =
        Send(port(), {.path = kHostPath, .body = SearchBody(limit, "")});
    auto doc = ParseXml(r.body);
    return std::stoull(ChildText(doc->documentElement(), "count"));
  };
  EXPECT_EQ(first_page_count(7), 7u);
  EXPECT_EQ(first_page_count(5000), 40u);
  const Walk w = WalkAll(port(), kHostPath, "", 7);
  EXPECT_EQ(w.elements.size(), 500u);
  EXPECT_EQ(w.empty_pages, 0);
  // Without limitResults the API's default of 100 applies (capped at 40).
  const Reply r = Send(port(), {.path = std::string(kHostPath) + "/",
                                .body = "<ServiceRequest/>"});
  EXPECT_EQ(
      std::stoull(ChildText(ParseXml(r.body)->documentElement(), "count")),
      40u);
}

constexpr Seconds kBase = UtcSeconds(2024, 6, 3, 6, 0, 0);

SimOptions FixedClock() {
  SimOptions opts;
  opts.time_base = kBase;
  return opts;
}

TEST_F(SimServerTest, HostAssetCriteria) {
  Start(FixedClock());
  sim_->Advance();
  // Only assets changed in epoch 1 are updated after epoch 0's "now".
  const std::string since = FormatIso(kBase);
  const Walk changed =
      WalkAll(port(), kHostPath, Criteria("updated", "GREATER", since), 100);
  EXPECT_GT(changed.elements.size(), 5u);
  EXPECT_LT(changed.elements.size(), 100u);
  for (const Element* h : changed.elements) {
    EXPECT_GT(ParseIso(ChildText(h, "modified")), ParseIso(since));
  }
  const Walk vulns = WalkAll(port(), kHostPath,
                             Criteria("vulnsUpdated", "GREATER", since), 100);
  EXPECT_LE(vulns.elements.size(), changed.elements.size());

  // id GREATER in the middle of the id space.
  const Walk all = WalkAll(port(), kHostPath, "", 1000);
  ASSERT_EQ(all.elements.size(), 500u);
  const std::string mid = ChildText(all.elements[249], "id");
  const Walk tail =
      WalkAll(port(), kHostPath, Criteria("id", "GREATER", mid), 1000);
  EXPECT_EQ(tail.elements.size(), 250u);

  // The count endpoint agrees with the walks.
  auto count = [&](const std::string& path, const std::string& criteria) {
    const Reply c =
        Send(port(), {.path = path, .body = SearchBody(0, criteria)});
    EXPECT_EQ(c.status, 200) << c.body;
    return std::stoull(ChildText(ParseXml(c.body)->documentElement(), "count"));
  };
  EXPECT_EQ(count("/qps/rest/2.0/count/am/hostasset", ""), 500u);
  EXPECT_EQ(count("/qps/rest/2.0/count/am/hostasset/",
                  Criteria("updated", "GREATER", since)),
            changed.elements.size());
  EXPECT_EQ(count("/qps/rest/3.0/count/was/finding", ""),
            WalkAll(port(), kFindingPath, "", 1000).elements.size());
  EXPECT_EQ(
      count("/qps/rest/3.0/count/was/finding",
            Criteria("type", "EQUALS", "INFORMATION_GATHERED")) +
          count("/qps/rest/3.0/count/was/finding",
                Criteria("type", "IN", "VULNERABILITY,SENSITIVE_CONTENT")),
      count("/qps/rest/3.0/count/was/finding", ""));

  // Unknown fields and malformed values are INVALID_REQUEST.
  Reply r =
      Send(port(),
           {.path = kHostPath,
            .body = SearchBody(10, Criteria("trackingMethod", "EQUALS", "X"))});
  EXPECT_EQ(r.status, 400);
  auto doc = ParseXml(r.body);
  EXPECT_EQ(ChildText(doc->documentElement(), "responseCode"),
            "INVALID_REQUEST");
  EXPECT_NE(r.body.find("trackingMethod"), std::string::npos);
  r = Send(port(), {.path = kHostPath,
                    .body = SearchBody(
                        10, Criteria("updated", "GREATER", "2024-06-03"))});
  EXPECT_EQ(ChildText(ParseXml(r.body)->documentElement(), "responseCode"),
            "INVALID_REQUEST");
  r = Send(port(), {.path = kHostPath, .body = "<ServiceRequest><oops>"});
  EXPECT_EQ(ChildText(ParseXml(r.body)->documentElement(), "responseCode"),
            "INVALID_REQUEST");
}

// Recurring per the contract, from what the API sent.
std::set<std::uint64_t> RecurringFromFindings(
    const std::vector<Element*>& findings, std::size_t min_scans) {
  std::set<std::uint64_t> out;
  for (const Element* f : findings) {
    const std::string type = ChildText(f, "type");
    const std::string status = ChildText(f, "status");
    if (type == "INFORMATION_GATHERED" || status == "FIXED") continue;
    std::set<std::string> scans;
    for (const Element* h :
         Children(Path(f, "history/set"), "WebAppFindingHistory")) {
      scans.insert(ChildText(Child(h, "scanData"), "id"));
    }
    if (status == "REOPENED" || scans.size() >= min_scans) {
      out.insert(std::stoull(ChildText(f, "id")));
    }
  }
  return out;
}

TEST_F(SimServerTest, WasFindingsShapeAndVerbose) {
  Start();
  const Walk terse = WalkAll(port(), kFindingPath, "", 100, false);
  ASSERT_EQ(terse.elements.size(), 240u);
  EXPECT_GE(terse.empty_pages, 1);
  for (const Element* f : terse.elements) {
    EXPECT_EQ(Child(f, "history"), nullptr);
    EXPECT_EQ(Child(f, "resultList"), nullptr);
  }
  const Walk verbose = WalkAll(port(), kFindingPath, "", 100, true);
  ASSERT_EQ(verbose.elements.size(), 240u);
  std::size_t keyword = 0;
  std::size_t repeated_scan = 0;
  std::set<std::string> statuses;
  std::set<std::string> uniques;
  for (const Element* f : verbose.elements) {
    uniques.insert(ChildText(f, "uniqueId"));
    const auto history =
        Children(Path(f, "history/set"), "WebAppFindingHistory");
    EXPECT_GE(history.size(), 1u);
    std::set<std::string> ids;
    for (const Element* h : history) {
      ids.insert(ChildText(Child(h, "scanData"), "id"));
      EXPECT_TRUE(ParseIso(ChildText(Child(h, "scanData"), "launchedDate")));
      EXPECT_EQ(ChildText(Child(h, "scanData"), "reference").rfind("was/", 0),
                0u);
    }
    if (ids.size() < history.size()) ++repeated_scan;
    EXPECT_FALSE(ChildText(Child(f, "webApp"), "id").empty());
    if (ChildText(f, "type") == "INFORMATION_GATHERED") {
      EXPECT_EQ(Child(f, "status"), nullptr);
      EXPECT_EQ(Child(f, "timesDetected"), nullptr);
      EXPECT_EQ(Child(f, "isIgnored"), nullptr);
    } else {
      statuses.insert(ChildText(f, "status"));
      EXPECT_NE(Child(f, "timesDetected"), nullptr);
      EXPECT_NE(Child(f, "isIgnored"), nullptr);
    }
    if (ChildText(f, "qid") == "150141") {
      ++keyword;
      const std::string response = ChildText(
          Path(f, "resultList/list/Result/payloads/list/PayloadInstance"),
          "response");
      EXPECT_NE(response.find("Regex: "), std::string::npos);
    }
  }
  EXPECT_EQ(uniques.size(), 240u);
  EXPECT_EQ(keyword, 6u);
  EXPECT_GE(repeated_scan, 1u);
  EXPECT_TRUE(statuses.count("NEW") && statuses.count("ACTIVE") &&
              statuses.count("FIXED") && statuses.count("REOPENED"));

  // limitHistories caps the history list.
  const Reply r = Send(
      port(), {.path = kFindingPath, .body = SearchBody(100, "", true, 1)});
  auto doc = ParseXml(r.body);
  for (const Element* f :
       Children(Child(doc->documentElement(), "data"), "Finding")) {
    EXPECT_LE(Children(Path(f, "history/set"), "WebAppFindingHistory").size(),
              1u);
  }
}

// Unique links per regex, parsing the documented 150141 response format.
std::map<std::string, std::set<std::string>> ParseKeywordResponse(
    const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);) lines.push_back(line);
  const std::string seen = "seen at following parent(s)";
  std::map<std::string, std::set<std::string>> out;
  std::string regex;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if (l.rfind("Regex: ", 0) == 0) {
      regex = l.substr(7);
      out[regex];
    } else if (l.size() > seen.size() &&
               l.compare(l.size() - seen.size(), seen.size(), seen) == 0) {
      out[regex].insert(l.substr(0, l.size() - seen.size() - 1));
    } else if (i + 1 < lines.size() && lines[i + 1] == seen) {
      out[regex].insert(l);
    }
  }
  return out;
}

TEST_F(SimServerTest, KeywordLinksAndRecurrenceMatchExpected) {
  Start();
  for (int epoch = 0; epoch < 3; ++epoch) {
    const Walk w = WalkAll(port(), kFindingPath, "", 1000, true);
    const std::string expected = sim_->ExpectedJson(2);
    std::set<std::uint64_t> want;
    for (std::uint64_t id : JsonIdList(expected, "was_recurring_finding_ids")) {
      want.insert(id);
    }
    EXPECT_EQ(RecurringFromFindings(w.elements, 2), want) << "epoch " << epoch;
    EXPECT_FALSE(want.empty());
    for (const Element* f : w.elements) {
      if (ChildText(f, "qid") != "150141") continue;
      const std::string webapp = ChildText(Child(f, "webApp"), "id");
      const auto links = ParseKeywordResponse(ChildText(
          Path(f, "resultList/list/Result/payloads/list/PayloadInstance"),
          "response"));
      ASSERT_FALSE(links.empty());
      for (const auto& [regex, set] : links) {
        std::string row = "{\"webapp_id\":\"" + webapp + "\",\"regex\":\"";
        for (char c : regex) {
          if (c == '\\' || c == '"') row += '\\';
          row += c;
        }
        row += "\",\"value\":" + std::to_string(set.size()) + "}";
        EXPECT_NE(expected.find(row), std::string::npos) << row;
      }
    }
    sim_->Advance();
  }
}

TEST_F(SimServerTest, AdvanceEvolvesFindings) {
  Start(FixedClock());
  const Walk before = WalkAll(port(), kFindingPath, "", 1000, true);
  std::map<std::string, std::pair<std::string, std::size_t>> state;
  for (const Element* f : before.elements) {
    state[ChildText(f, "id")] = {
        ChildText(f, "status"),
        Children(Path(f, "history/set"), "WebAppFindingHistory").size()};
  }
  const Reply adv = Send(port(), {.path = "/sim/advance", .auth = {}});
  EXPECT_EQ(adv.status, 200);
  EXPECT_EQ(adv.body, "{\"epoch\":1}");
  EXPECT_EQ(sim_->epoch(), 1);
  const Walk after = WalkAll(port(), kFindingPath, "", 1000, true);
  EXPECT_GE(after.elements.size(), before.elements.size());
  std::size_t status_changes = 0, grown = 0, fresh = 0;
  for (const Element* f : after.elements) {
    auto it = state.find(ChildText(f, "id"));
    if (it == state.end()) {
      ++fresh;
      EXPECT_EQ(ChildText(f, "status"), "NEW");
      continue;
    }
    status_changes += it->second.first != ChildText(f, "status") ? 1 : 0;
    grown += Children(Path(f, "history/set"), "WebAppFindingHistory").size() >
                     it->second.second
                 ? 1
                 : 0;
  }
  EXPECT_GT(status_changes, 0u);
  EXPECT_GT(grown, 0u);
  // Incremental criteria see exactly the changed findings.
  const std::string since = FormatIso(kBase);
  const Walk updated = WalkAll(port(), kFindingPath,
                               Criteria("updatedDate", "GREATER", since), 1000);
  EXPECT_GT(updated.elements.size(), 0u);
  EXPECT_LT(updated.elements.size(), after.elements.size());
  const Walk tested = WalkAll(
      port(), kFindingPath, Criteria("lastTestedDate", "GREATER", since), 1000);
  EXPECT_GE(tested.elements.size(), updated.elements.size());
  const Reply bad =
      Send(port(), {.path = kFindingPath,
                    .body = SearchBody(10, Criteria("bogus", "EQUALS", "1"))});
  EXPECT_EQ(ChildText(ParseXml(bad.body)->documentElement(), "responseCode"),
            "INVALID_REQUEST");
}

TEST_F(SimServerTest, KnowledgeBase) {
  Start();
  const std::map<std::string, std::string> xrw = {{"X-Requested-With", "t"}};
  // 92099 is a QID hosts carry that the KnowledgeBase does not know.
  Reply r = Send(port(), {.path = kKbPath,
                          .body = "action=list&details=Basic&ids=38170,92099,"
                                  "45017,150141",
                          .content_type = "application/x-www-form-urlencoded",
                          .headers = xrw});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("<!DOCTYPE KNOWLEDGE_BASE_VULN_LIST_OUTPUT SYSTEM "
                        "\"https://qualysapi.qualys.com/api/2.0/fo/"
                        "knowledge_base/vuln/"
                        "knowledge_base_vuln_list_output.dtd\">"),
            std::string::npos);
  EXPECT_NE(r.body.find("<TITLE><![CDATA["), std::string::npos);
  for (const char* h :
       {"X-RateLimit-Limit", "X-RateLimit-Window-Sec", "X-RateLimit-Remaining",
        "X-Concurrency-Limit-Limit", "X-Concurrency-Limit-Running"}) {
    EXPECT_TRUE(r.headers.count(h)) << h;
  }
  auto doc = ParseXml(r.body);
  const auto vulns =
      Children(Path(doc->documentElement(), "RESPONSE/VULN_LIST"), "VULN");
  std::vector<std::string> qids;
  for (const Element* v : vulns) {
    qids.push_back(ChildText(v, "QID"));
    EXPECT_FALSE(ChildText(v, "SEVERITY_LEVEL").empty());
    EXPECT_FALSE(ChildText(v, "TITLE").empty());
    EXPECT_FALSE(ChildText(v, "CATEGORY").empty());
  }
  EXPECT_EQ(qids, (std::vector<std::string>{"38170", "45017", "150141"}));

  // GET with a query string works too.
  r = Send(port(), {.method = "GET",
                    .path = std::string(kKbPath) + "?action=list&ids=82003",
                    .headers = xrw});
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("<QID>82003</QID>"), std::string::npos);

  // A long ids list in the POST body.
  std::string ids;
  for (int q = 1; q < 4000; ++q) ids += std::to_string(q * 97) + ",";
  ids += "38170";
  r = Send(port(), {.path = kKbPath,
                    .body = "action=list&ids=" + ids,
                    .content_type = "application/x-www-form-urlencoded",
                    .headers = xrw});
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("<QID>38170</QID>"), std::string::npos);

  // Without X-Requested-With: a SIMPLE_RETURN error.
  r = Send(port(), {.path = kKbPath,
                    .body = "action=list&ids=38170",
                    .content_type = "application/x-www-form-urlencoded"});
  EXPECT_EQ(r.status, 400);
  doc = ParseXml(r.body);
  EXPECT_EQ(doc->documentElement()->nodeName(), "SIMPLE_RETURN");
  EXPECT_FALSE(
      ChildText(Path(doc->documentElement(), "RESPONSE"), "CODE").empty());
  EXPECT_NE(ChildText(Path(doc->documentElement(), "RESPONSE"), "TEXT")
                .find("X-Requested-With"),
            std::string::npos);

  // Unknown parameters and missing action.
  r = Send(port(), {.path = kKbPath,
                    .body = "action=list&bogus=1",
                    .content_type = "application/x-www-form-urlencoded",
                    .headers = xrw});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("<CODE>1901</CODE>"), std::string::npos);
  r = Send(port(), {.path = kKbPath,
                    .body = "ids=1",
                    .content_type = "application/x-www-form-urlencoded",
                    .headers = xrw});
  EXPECT_NE(r.body.find("<CODE>1903</CODE>"), std::string::npos);
  EXPECT_EQ(sim_->RequestCounts()[kKbPath], 6u);
}

TEST_F(SimServerTest, ControlEndpointsAndFaults) {
  Start();
  Send(port(), {.path = kHostPath, .body = SearchBody(5, "")});
  Reply r = Send(port(), {.method = "GET", .path = "/sim/stats", .auth = {}});
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"/qps/rest/2.0/search/am/hostasset\":1"),
            std::string::npos)
      << r.body;
  r = Send(port(),
           {.method = "GET", .path = "/sim/expected?min_scans=3", .auth = {}});
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"recurrence_min_scans\":3"), std::string::npos);
  EXPECT_EQ(r.body, sim_->ExpectedJson(3));

  // Gateway error, then normal service.
  r = Send(port(),
           {.path = "/sim/fail?path=hostasset&status=503&times=1", .auth = {}});
  EXPECT_EQ(r.status, 200);
  r = Send(port(), {.path = kHostPath, .body = SearchBody(5, "")});
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.headers["Content-Type"], "text/html");
  r = Send(port(), {.path = kHostPath, .body = SearchBody(5, "")});
  EXPECT_EQ(r.status, 200);

  // Rate limit: 409 with SIMPLE_RETURN 1965 and the wait header.
  Send(port(),
       {.path = "/sim/fail?path=knowledge_base&status=409&wait=7", .auth = {}});
  r = Send(port(), {.path = kKbPath,
                    .body = "action=list&ids=38170",
                    .content_type = "application/x-www-form-urlencoded",
                    .headers = {{"X-Requested-With", "t"}}});
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.headers["X-RateLimit-ToWait-Sec"], "7");
  EXPECT_NE(r.body.find("<CODE>1965</CODE>"), std::string::npos);

  // A non-SUCCESS responseCode with HTTP 200.
  Send(port(), {.path = "/sim/fail?path=finding&status=200&code=OTHER_ERROR",
                .auth = {}});
  r = Send(port(), {.path = kFindingPath, .body = SearchBody(5, "")});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(ChildText(ParseXml(r.body)->documentElement(), "responseCode"),
            "OTHER_ERROR");
  r = Send(port(), {.path = kFindingPath, .body = SearchBody(5, "")});
  EXPECT_EQ(ChildText(ParseXml(r.body)->documentElement(), "responseCode"),
            "SUCCESS");
  EXPECT_EQ(Send(port(), {.path = "/nope", .auth = {}}).status, 404);
}

TEST_F(SimServerTest, EnforcedRateLimit) {
  SimOptions opts;
  opts.enforce_rate_limit = true;
  opts.rate_limit = 2;
  Start(opts);
  const Call call{.path = kKbPath,
                  .body = "action=list&ids=38170",
                  .content_type = "application/x-www-form-urlencoded",
                  .headers = {{"X-Requested-With", "t"}}};
  EXPECT_EQ(Send(port(), call).status, 200);
  const Reply second = Send(port(), call);
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.headers.at("X-RateLimit-Remaining"), "0");
  const Reply third = Send(port(), call);
  EXPECT_EQ(third.status, 409);
  EXPECT_NE(third.body.find("<CODE>1965</CODE>"), std::string::npos);
  EXPECT_GT(std::stoi(third.headers.at("X-RateLimit-ToWait-Sec")), 0);
}

TEST_F(SimServerTest, ConcurrentClientsWhileAdvancing) {
  SimOptions opts;
  opts.host_assets = 200;
  Start(opts);
  std::vector<std::thread> clients;
  std::vector<std::size_t> findings(4, 0);
  std::vector<std::size_t> hosts(4, 0);
  for (std::size_t t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      for (int round = 0; round < 2; ++round) {
        findings[t] =
            WalkAll(port(), kFindingPath, "", 50, true).elements.size();
        hosts[t] = WalkAll(port(), kHostPath, "", 50).elements.size();
      }
    });
  }
  for (int i = 0; i < 3; ++i) {
    sim_->Advance();
    EXPECT_FALSE(sim_->ExpectedJson().empty());
  }
  for (auto& c : clients) c.join();
  for (std::size_t t = 0; t < 4; ++t) {
    EXPECT_GE(findings[t], 240u);
    EXPECT_EQ(hosts[t], 200u);
  }
  EXPECT_EQ(sim_->epoch(), 3);
}

}  // namespace
}  // namespace qx::sim
