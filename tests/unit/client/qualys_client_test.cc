// QualysClient and QPS pagination against a scripted fake transport.
#include "qx/client/qualys_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <sstream>

#include "fake_transport.h"
#include "qx/client/errors.h"
#include "qx/client/knowledge_base_client.h"
#include "qx/client/qps_search.h"
#include "recording_telemetry.h"

namespace qx {
namespace {

using testing::Harness;
using testing::Host;
using testing::HostPage;
using testing::Scripted;

using ::testing::HasSubstr;
using ::testing::Not;

const char kRateLimited[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><SIMPLE_RETURN><RESPONSE>"
    "<DATETIME>2024-01-01T00:00:00Z</DATETIME><CODE>1965</CODE><TEXT>This "
    "API cannot be run again for another 2 seconds.</TEXT></RESPONSE>"
    "</SIMPLE_RETURN>";

TEST(QualysClient, SendsBasicAuthAndRecordsRateLimitHeaders) {
  Harness h;
  h.transport->script.push_back(
      {200,
       "ok",
       {{"X-RateLimit-Remaining", "41"}, {"X-RateLimit-Limit", "300"}}});
  HttpRequest req;
  req.path = "/api/2.0/fo/knowledge_base/vuln/";
  h.client->Call("kb", req, [](const HttpResponseHead&, std::istream&) {});
  ASSERT_EQ(h.transport->requests.size(), 1u);
  auto& hdrs = h.transport->requests[0].headers;
  ASSERT_FALSE(hdrs.empty());
  EXPECT_EQ(hdrs.back().first, "Authorization");
  EXPECT_EQ(hdrs.back().second, "Basic dXNlcjpzM2NyZXQtcHc=");
  EXPECT_EQ(h.observer.rate_limits.at(kApiV2).remaining, 41);
  EXPECT_EQ(h.client->last_rate_limit(kApiV2).limit, 300);
}

TEST(QualysClient, KeepsRateLimitsPerApiFamily) {
  Harness h;
  // The KnowledgeBase (API v2) says 15 calls are left; a QPS answer sends
  // no headers. QPS must stay unlimited, not inherit API v2's budget.
  h.transport->script.push_back({200, "ok", {{"X-RateLimit-Remaining", "15"}}});
  h.transport->script.push_back({200, "ok", {}});
  HttpRequest kb;
  kb.path = "/api/2.0/fo/knowledge_base/vuln/";
  HttpRequest qps;
  qps.path = "/qps/rest/2.0/search/am/hostasset";
  h.client->Call("kb", kb, [](const HttpResponseHead&, std::istream&) {});
  h.client->Call("hostasset", qps,
                 [](const HttpResponseHead&, std::istream&) {});
  EXPECT_EQ(h.client->last_rate_limit(kApiV2).remaining, 15);
  EXPECT_FALSE(h.client->last_rate_limit(kApiQps).remaining.has_value());
  EXPECT_EQ(ApiFamilyOfPath("/qps/rest/3.0/search/was/finding"), kApiQps);
  EXPECT_EQ(ApiFamilyOfPath("/api/2.0/fo/asset/host/vm/detection/"), kApiV2);
  EXPECT_EQ(ApiFamilyOfPath("/msp/about.php"), kApiOther);
}

TEST(QualysClient, GatewayErrorsThrowAtOnceWhenAskedNotToRetry) {
  Harness h;
  h.transport->script.push_back({504, "<html><title>Gateway Timeout</title>"});
  HttpRequest req;
  req.path = "/qps/rest/3.0/search/was/finding";
  try {
    h.client->Call(
        "was_finding", req, [](const HttpResponseHead&, std::istream&) {},
        CallOptions{.retry_gateway_errors = false});
    FAIL() << "expected GatewayError";
  } catch (const GatewayError& e) {
    EXPECT_EQ(e.http_status(), 504);
  }
  EXPECT_EQ(h.transport->requests.size(), 1u);
  EXPECT_TRUE(h.sleeps.empty());
}

TEST(QualysClient, WaitsWhatThe409Says) {
  Harness h;
  h.transport->script.push_back(
      {409, kRateLimited, {{"X-RateLimit-ToWait-Sec", "2"}}});
  h.transport->script.push_back({200, "ok"});
  HttpRequest req;
  int bodies = 0;
  h.client->Call("kb", req,
                 [&](const HttpResponseHead&, std::istream&) { ++bodies; });
  EXPECT_EQ(bodies, 1);
  ASSERT_EQ(h.sleeps.size(), 1u);
  EXPECT_GE(h.sleeps[0].count(), 2000);
  EXPECT_LE(h.sleeps[0].count(), 3000);
  EXPECT_EQ(h.observer.requests,
            (std::vector<std::string>{"kb:409", "kb:200"}));
}

TEST(QualysClient, WaitsWhatThe1965TextSaysWhenQpsSendsNoHeaders) {
  Harness h;
  std::string body = kRateLimited;
  body.replace(body.find("another 2 seconds"), 17, "another 37 seconds");
  h.transport->script.push_back({409, body});
  h.transport->script.push_back({200, "ok"});
  HttpRequest req;
  h.client->Call("hostasset", req,
                 [](const HttpResponseHead&, std::istream&) {});
  ASSERT_EQ(h.sleeps.size(), 1u);
  EXPECT_GE(h.sleeps[0].count(), 37000);
  EXPECT_LE(h.sleeps[0].count(), 38000);
}

TEST(QualysClient, HonoursRetryAfterOn503) {
  Harness h;
  h.transport->script.push_back({503,
                                 "<html><title>busy</title></html>",
                                 {{"Retry-After", "12"}},
                                 "text/html"});
  h.transport->script.push_back({200, "ok"});
  HttpRequest req;
  h.client->Call("hostasset", req,
                 [](const HttpResponseHead&, std::istream&) {});
  ASSERT_EQ(h.sleeps.size(), 1u);
  EXPECT_GE(h.sleeps[0].count(), 12000);
  EXPECT_LE(h.sleeps[0].count(), 13000);
}

TEST(QualysClient, RetriesTransientFailuresWithGrowingBackoff) {
  Harness h;
  h.transport->script.push_back(
      {503,
       "<html><title>Service Unavailable</title></html>",
       {},
       "text/html"});
  h.transport->script.push_back({0, "", {}, "", true});
  h.transport->script.push_back({429, "slow down"});
  h.transport->script.push_back({200, "ok"});
  HttpRequest req;
  h.client->Call("hostasset", req,
                 [](const HttpResponseHead&, std::istream&) {});
  ASSERT_EQ(h.sleeps.size(), 3u);
  EXPECT_LT(h.sleeps[0], h.sleeps[2]);  // 0.5-1 s, then 2-4 s
}

TEST(QualysClient, GivesUpAfterMaxAttempts) {
  Harness h;
  for (int i = 0; i < 4; ++i)
    h.transport->script.push_back({502, "bad gateway", {}, "text/plain"});
  HttpRequest req;
  try {
    h.client->Call("hostasset", req,
                   [](const HttpResponseHead&, std::istream&) {});
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_THAT(e.what(), HasSubstr("HTTP 502"));
    EXPECT_THAT(e.what(), HasSubstr("gave up after 4 attempts"));
  }
  EXPECT_EQ(h.sleeps.size(), 3u);
}

TEST(QualysClient, NeverRetriesAuthOrClientErrorsAndNeverLeaksPassword) {
  for (int status : {400, 401, 403, 404, 413}) {
    Harness h;
    h.transport->script.push_back(
        {status,
         "<ServiceResponse><responseCode>INVALID_CREDENTIALS</responseCode>"
         "<responseErrorDetails><errorMessage>Bad Login/Password"
         "</errorMessage></responseErrorDetails></ServiceResponse>"});
    HttpRequest req;
    try {
      h.client->Call("hostasset", req,
                     [](const HttpResponseHead&, std::istream&) {});
      FAIL() << status;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.http_status(), status);
      EXPECT_THAT(e.what(), HasSubstr("HTTP " + std::to_string(status)));
      EXPECT_THAT(e.what(), Not(HasSubstr("s3cret-pw")));
      EXPECT_THAT(e.what(), Not(HasSubstr("dXNlcjpzM2NyZXQtcHc")));
      if (status == 401) {
        EXPECT_THAT(e.what(), HasSubstr("Bad Login/Password"));
      }
    }
    EXPECT_TRUE(h.sleeps.empty()) << status;
  }
}

TEST(QualysClient, DescribesHtmlErrorPages) {
  EXPECT_EQ(DescribeErrorBody("text/html",
                              "<html><head><title>414 Request-URI Too Large"
                              "</title></head></html>"),
            "HTML error page \"414 Request-URI Too Large\"");
}

TEST(QpsSearch, BuildsServiceRequestWithEscapedCriteria) {
  QpsSearchRequest r;
  r.limit_results = 250;
  r.verbose = true;
  r.criteria.push_back({"name", "CONTAINS", "a<b&\"c\""});
  EXPECT_EQ(
      BuildServiceRequest(r, 77),
      "<ServiceRequest><preferences><limitResults>250</limitResults>"
      "<verbose>true</verbose></preferences><filters>"
      "<Criteria field=\"name\" operator=\"CONTAINS\">a&lt;b&amp;&quot;c&quot;"
      "</Criteria><Criteria field=\"id\" operator=\"GREATER\">77</Criteria>"
      "</filters></ServiceRequest>");
}

TEST(QpsSearch, FollowsEmptyPagesUntilHasMoreRecordsIsFalse) {
  Harness h;
  h.transport->script.push_back({200, HostPage(Host(1) + Host(5), true, 5, 2)});
  // API 3.2: a page with count 0 and no data, still more to come.
  h.transport->script.push_back({200, HostPage("", true, 4294967301ULL, 0)});
  h.transport->script.push_back(
      {200, HostPage(Host(4294967302ULL), false, std::nullopt, 1)});
  std::vector<std::uint64_t> ids;
  QpsSearchRequest req;
  req.path = kHostAssetSearchPath;
  req.endpoint_label = "hostasset";
  auto progress = SearchHostAssets(*h.client, req,
                                   [&](HostAsset&& a) { ids.push_back(a.id); });
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{1, 5, 4294967302ULL}));
  EXPECT_EQ(progress.pages, 3u);
  ASSERT_EQ(h.transport->requests.size(), 3u);
  EXPECT_THAT(h.transport->requests[0].body, Not(HasSubstr("GREATER")));
  EXPECT_THAT(
      h.transport->requests[1].body,
      HasSubstr("<Criteria field=\"id\" operator=\"GREATER\">5</Criteria>"));
  EXPECT_THAT(h.transport->requests[2].body,
              HasSubstr("operator=\"GREATER\">4294967301</Criteria>"));
}

TEST(QpsSearch, ResponseCodeErrorsCarryTheApiDetails) {
  Harness h;
  h.transport->script.push_back(
      {200,
       "<ServiceResponse><responseCode>INVALID_REQUEST</responseCode>"
       "<responseErrorDetails><errorMessage>Unknown field foo</errorMessage>"
       "<errorResolution>Check the criteria</errorResolution>"
       "</responseErrorDetails></ServiceResponse>"});
  QpsSearchRequest req;
  req.endpoint_label = "hostasset";
  try {
    SearchHostAssets(*h.client, req, [](HostAsset&&) {});
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_THAT(e.what(), HasSubstr("INVALID_REQUEST"));
    EXPECT_THAT(e.what(), HasSubstr("Unknown field foo"));
  }
}

TEST(QpsSearch, RejectsPaginationThatDoesNotAdvance) {
  Harness h;
  h.transport->script.push_back({200, HostPage(Host(9), true, 9, 1)});
  h.transport->script.push_back({200, HostPage("", true, 9, 0)});
  QpsSearchRequest req;
  req.endpoint_label = "hostasset";
  EXPECT_THROW(SearchHostAssets(*h.client, req, [](HostAsset&&) {}), ApiError);
  Harness h2;
  h2.transport->script.push_back(
      {200, HostPage(Host(9), true, std::nullopt, 1)});
  EXPECT_THROW(SearchHostAssets(*h2.client, req, [](HostAsset&&) {}), ApiError);
}

TEST(QpsSearch, RetriesABodyCutShort) {
  Harness h;
  std::string page = HostPage(Host(1), false, std::nullopt, 1);
  Scripted cut{200, page.substr(0, page.size() / 2)};
  cut.content_length = page.size();
  h.transport->script.push_back(cut);
  h.transport->script.push_back({200, page});
  std::vector<std::uint64_t> ids;
  QpsSearchRequest req;
  req.endpoint_label = "hostasset";
  SearchHostAssets(*h.client, req, [&](HostAsset&& a) { ids.push_back(a.id); });
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{1}));
  // A body cut short is what a gateway giving up mid-answer looks like:
  // the page is asked again at once, with half as many records.
  ASSERT_EQ(h.transport->requests.size(), 2u);
  EXPECT_THAT(h.transport->requests[1].body,
              HasSubstr("<limitResults>500</limitResults>"));
  EXPECT_TRUE(h.sleeps.empty());
}

TEST(KnowledgeBase, PostsBatchedFormWithRequestedWithHeader) {
  Harness h;
  const std::string kb =
      "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n"
      "<KNOWLEDGE_BASE_VULN_LIST_OUTPUT><RESPONSE><DATETIME>2024-01-01T00:00:"
      "00Z"
      "</DATETIME><VULN_LIST><VULN><QID>1</QID><SEVERITY_LEVEL>4</"
      "SEVERITY_LEVEL>"
      "</VULN></VULN_LIST></RESPONSE></KNOWLEDGE_BASE_VULN_LIST_OUTPUT>";
  h.transport->script.push_back({200, kb});
  h.transport->script.push_back({200, kb});
  std::vector<std::uint64_t> qids = {1, 2, 3};
  int entries = 0;
  auto calls = FetchKnowledgeBase(*h.client, qids, 2,
                                  [&](KnowledgeBaseEntry&&) { ++entries; });
  EXPECT_EQ(calls, 2u);
  EXPECT_EQ(entries, 2);
  const auto& r = h.transport->requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, kKnowledgeBasePath);
  EXPECT_EQ(r.content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(r.body, "action=list&details=Basic&ids=1%2C2");
  EXPECT_EQ(h.transport->requests[1].body, "action=list&details=Basic&ids=3");
  bool has_header = false;
  for (const auto& [k, v] : r.headers) has_header |= (k == "X-Requested-With");
  EXPECT_TRUE(has_header);
}

TEST(QpsSearch, HalvesAPageTheGatewayCannotServeAndKeepsTheSize) {
  Harness h;
  // 400 records per page time out at the gateway, 200 too, 100 are served;
  // the walk keeps 100 for its next page instead of trying 400 again.
  h.transport->script.push_back({504, "<html><title>504</title></html>"});
  Scripted timeout;
  timeout.transport_error = true;
  h.transport->script.push_back(timeout);
  h.transport->script.push_back({200, HostPage(Host(1), true, 1, 1)});
  h.transport->script.push_back({200, HostPage(Host(2), false, 2, 1)});
  QpsSearchRequest req;
  req.endpoint_label = "hostasset";
  req.limit_results = 400;
  req.min_limit_results = 50;
  std::vector<std::uint64_t> ids;
  auto progress = SearchHostAssets(*h.client, req,
                                   [&](HostAsset&& a) { ids.push_back(a.id); });
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(progress.limit_results, 100u);
  ASSERT_EQ(h.transport->requests.size(), 4u);
  EXPECT_THAT(h.transport->requests[0].body,
              HasSubstr("<limitResults>400</limitResults>"));
  EXPECT_THAT(h.transport->requests[1].body,
              HasSubstr("<limitResults>200</limitResults>"));
  EXPECT_THAT(h.transport->requests[2].body,
              HasSubstr("<limitResults>100</limitResults>"));
  EXPECT_THAT(h.transport->requests[3].body,
              HasSubstr("<limitResults>100</limitResults>"));
  EXPECT_TRUE(h.sleeps.empty());  // smaller pages, not the same page later
}

TEST(QpsSearch, FailsClearlyWhenEvenTheSmallestPageIsNotServed) {
  Harness h;
  for (int i = 0; i < 12; ++i) {
    h.transport->script.push_back({504, "<html><title>504</title></html>"});
  }
  QpsSearchRequest req;
  req.endpoint_label = "was_finding";
  req.limit_results = 100;
  req.min_limit_results = 25;
  try {
    SearchHostAssets(*h.client, req, [](HostAsset&&) {});
    FAIL() << "expected ApiError";
  } catch (const ApiError& e) {
    EXPECT_THAT(e.what(), HasSubstr("reduced from 100 to 25"));
  }
  // 100 and 50 once each, then 25 with the client's bounded retries.
  EXPECT_EQ(h.transport->requests.size(), 2u + 4u);  // max_attempts 4
}

}  // namespace
}  // namespace qx
