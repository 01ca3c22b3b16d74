#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fixtures.h"
#include "qx/client/errors.h"
#include "qx/client/parsers.h"

namespace qx {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

using testing::Fixture;

struct Page {
  QpsPageInfo info;
  std::vector<WasFinding> findings;
};

Page Parse(const std::string& body) {
  Page page;
  std::istringstream in(body);
  page.info = ParseWasFindingPage(
      in, [&page](WasFinding&& f) { page.findings.push_back(std::move(f)); });
  return page;
}

std::string Findings(const std::string& findings) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ServiceResponse>"
         "<responseCode>SUCCESS</responseCode><data>" +
         findings + "</data></ServiceResponse>";
}

std::string ParseErrorOf(const std::string& body) {
  try {
    Parse(body);
  } catch (const ParseError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ParseError";
  return {};
}

TEST(WasFindingParser, HistorySampleAndVerboseFields) {
  Page page = Parse(Fixture("was_finding_history.xml"));
  EXPECT_EQ(page.info.response_code, "SUCCESS");
  EXPECT_EQ(page.info.count, 3u);
  EXPECT_TRUE(page.info.has_more_records);
  EXPECT_EQ(page.info.last_id, 2924970u);
  ASSERT_EQ(page.findings.size(), 3u);

  // The release-notes history sample (information gathered: no status,
  // timesDetected or isIgnored).
  const WasFinding& ig = page.findings[0];
  EXPECT_EQ(ig.id, 701259u);
  EXPECT_EQ(ig.unique_id, "98a6ec79-98e4-4a19-988a-067c81b41dd2");
  EXPECT_EQ(ig.qid, 150210u);
  EXPECT_EQ(ig.name, "Information Disclosure via Response Header");
  EXPECT_EQ(ig.category, FindingCategory::kInformationGathered);
  EXPECT_EQ(ig.severity, 1);
  EXPECT_EQ(ig.status, "");
  EXPECT_FALSE(ig.potential);
  EXPECT_EQ(ig.finding_type, "QUALYS");
  EXPECT_EQ(ig.webapp_id, 4830580u);
  EXPECT_EQ(ig.webapp_name, "Shop & \"Checkout\"");
  EXPECT_EQ(ig.webapp_url, "https://shop.example.com/");
  EXPECT_EQ(ig.first_detected_date, "2020-10-29T15:15:09Z");
  EXPECT_EQ(ig.last_detected_date, "2020-11-02T15:20:21Z");
  EXPECT_EQ(ig.last_tested_date, "2020-11-02T15:20:21Z");
  EXPECT_EQ(ig.updated_date, "2020-11-02T15:25:00Z");
  EXPECT_EQ(ig.times_detected, 0);
  EXPECT_FALSE(ig.is_ignored);
  EXPECT_FALSE(ig.cvss_v3.has_value());
  EXPECT_THAT(ig.history,
              ElementsAre(ScanData{3683803, "was/1604327406233.961814.4",
                                   "2020-11-02T15:20:21Z"},
                          ScanData{3682382, "was/1604154619159.959569.4",
                                   "2020-10-31T15:21:50Z"},
                          ScanData{3679966, "was/1603981827556.956713.4",
                                   "2020-10-29T15:15:09Z"}));
  EXPECT_TRUE(ig.keyword_matches.empty());

  // A vulnerability with every verbose block; the XSD's "scan" spelling of
  // the history child is read too; owasp/wasc names, Finding/url and
  // payload texts must not leak into the record.
  const WasFinding& v = page.findings[1];
  EXPECT_EQ(v.id, 5000000007u);
  EXPECT_EQ(v.qid, 150117u);
  EXPECT_EQ(v.name, "Path-Based Cross-Site Scripting (XSS)");
  EXPECT_EQ(v.category, FindingCategory::kVulnerability);
  EXPECT_EQ(v.severity, 4);
  EXPECT_EQ(v.status, "REOPENED");
  EXPECT_TRUE(v.potential);
  EXPECT_EQ(v.webapp_id, 4294967299u);
  EXPECT_EQ(v.webapp_name, "Zürich Portal \\ 東京");
  EXPECT_EQ(v.webapp_url, "https://zürich.example.com/");
  EXPECT_EQ(v.times_detected, 3);
  EXPECT_FALSE(v.is_ignored);
  ASSERT_TRUE(v.cvss_v3.has_value());
  EXPECT_DOUBLE_EQ(v.cvss_v3->base, 6.1);
  EXPECT_DOUBLE_EQ(v.cvss_v3->temporal, 5.8);
  EXPECT_EQ(v.cvss_v3->attack_vector, "Network");
  ASSERT_EQ(v.history.size(), 3u);
  EXPECT_EQ(v.history[0].id, 4010576u);
  EXPECT_EQ(v.history[1], (ScanData{4003754, "was/1615905009787.1092030.4",
                                    "2021-03-16T15:30:21Z"}));
  EXPECT_EQ(v.history[2].id, 3972937u);
  EXPECT_EQ(v.updated_date, "2021-03-18T16:00:00Z");
  EXPECT_TRUE(v.keyword_matches.empty());

  const WasFinding& sc = page.findings[2];
  EXPECT_EQ(sc.category, FindingCategory::kSensitiveContent);
  EXPECT_EQ(sc.status, "ACTIVE");
  EXPECT_TRUE(sc.is_ignored);
  EXPECT_EQ(sc.times_detected, 1);
  EXPECT_EQ(sc.severity, 2);
  EXPECT_TRUE(sc.history.empty());
}

TEST(WasFindingParser, KeywordFindingMergesPayloads) {
  Page page = Parse(Fixture("was_finding_keywords.xml"));
  EXPECT_FALSE(page.info.has_more_records);
  ASSERT_EQ(page.findings.size(), 1u);
  const WasFinding& f = page.findings[0];
  EXPECT_EQ(f.qid, 150141u);
  EXPECT_EQ(f.name,
            "List of links/files identified by regex(s)\nprovided by "
            "customer.");
  EXPECT_EQ(f.category, FindingCategory::kInformationGathered);
  EXPECT_EQ(f.webapp_id, 3344556u);
  const std::string base =
      "http://10.11.68.80/cassium/regression/links/"
      "was-3216-airfrance-crawl/airfrance/";
  EXPECT_THAT(
      f.keyword_matches,
      ElementsAre(
          KeywordMatch{R"(.*/([^\?]+)data([^\?]*?\.\.html$))", {}},
          KeywordMatch{"regression",
                       {base, base + "af-envol.er4di.com/get0ab4.html",
                        base + "af-envol.er4di.com/getf987.html",
                        "http://10.11.68.80/cassium/regression/new.html"}},
          KeywordMatch{"admin", {"https://10.11.68.80/admin/login.jsp"}}));
}

TEST(WasFindingParser, KeywordPayloadReadEvenIfQidComesLate) {
  Page page = Parse(Findings(
      "<Finding><id>1</id><type>INFORMATION_GATHERED</type><resultList><list>"
      "<Result><payloads><list><PayloadInstance><response><![CDATA["
      "Regex: x\nList of internal links matching with this regex are:\n"
      "http://h/x\n]]></response></PayloadInstance></list></payloads>"
      "</Result></list></resultList><qid>150141</qid></Finding>"
      "<Finding><id>2</id><type>VULNERABILITY</type><qid>150001</qid>"
      "<resultList><list><Result><payloads><list><PayloadInstance><response>"
      "Regex: y\nList of internal links matching with this regex are:\n"
      "http://h/y</response></PayloadInstance></list></payloads></Result>"
      "</list></resultList></Finding>"));
  ASSERT_EQ(page.findings.size(), 2u);
  EXPECT_THAT(page.findings[0].keyword_matches,
              ElementsAre(KeywordMatch{"x", {"http://h/x"}}));
  EXPECT_TRUE(page.findings[1].keyword_matches.empty());
}

TEST(WasFindingParser, UnknownTypeIsSkippedOthersKept) {
  Page page = Parse(Findings(
      "<Finding><id>1</id><qid>1</qid><type>SOMETHING_NEW</type></Finding>"
      "<Finding><id>2</id><qid>2</qid></Finding>"
      "<Finding><id>3</id><qid>3</qid><type>INFORMATION GATHERED</type>"
      "</Finding>"
      "<Finding><id>4</id><qid>4</qid><type> SENSITIVE_CONTENT </type>"
      "<futureBlock><type>VULNERABILITY</type></futureBlock></Finding>"));
  ASSERT_EQ(page.findings.size(), 2u);
  EXPECT_EQ(page.findings[0].id, 3u);
  EXPECT_EQ(page.findings[0].category, FindingCategory::kInformationGathered);
  EXPECT_EQ(page.findings[1].id, 4u);
  EXPECT_EQ(page.findings[1].category, FindingCategory::kSensitiveContent);
}

TEST(WasFindingParser, ErrorResponse) {
  Page page = Parse(
      "<ServiceResponse><responseCode>INVALID_REQUEST</responseCode>"
      "<responseErrorDetails><errorMessage>Invalid Request</errorMessage>"
      "<errorResolution>Check the criteria.</errorResolution>"
      "</responseErrorDetails></ServiceResponse>");
  EXPECT_EQ(page.info.response_code, "INVALID_REQUEST");
  EXPECT_EQ(page.info.error_message, "Invalid Request (Check the criteria.)");
  EXPECT_TRUE(page.findings.empty());
}

TEST(WasFindingParser, MalformedValuesAndBodies) {
  std::string err = ParseErrorOf(
      Findings("<Finding><id>1</id><type>VULNERABILITY</type><severity>high"
               "</severity></Finding>"));
  EXPECT_THAT(err, HasSubstr("was finding response"));
  EXPECT_THAT(err, HasSubstr("ServiceResponse/data/Finding/severity"));
  EXPECT_THAT(err, HasSubstr("\"high\""));
  EXPECT_THAT(ParseErrorOf(Findings("<Finding><id>1</id><potential>yes"
                                    "</potential></Finding>")),
              HasSubstr("Finding/potential"));
  EXPECT_THAT(ParseErrorOf(Findings("<Finding><id>1</id><cvssV3><base>n/a"
                                    "</base></cvssV3></Finding>")),
              HasSubstr("Finding/cvssV3/base"));
  EXPECT_THAT(ParseErrorOf(Findings("<Finding><history><set>"
                                    "<WebAppFindingHistory><scanData><id>x"
                                    "</id></scanData></WebAppFindingHistory>"
                                    "</set></history></Finding>")),
              HasSubstr("WebAppFindingHistory/scanData/id"));
  EXPECT_THAT(ParseErrorOf(Findings("<Finding><qid>1</qid></Finding>")),
              HasSubstr("without <id>"));

  const std::string body = Fixture("was_finding_history.xml");
  EXPECT_THAT(ParseErrorOf(body.substr(0, body.size() / 2)),
              HasSubstr("truncated"));
  EXPECT_THAT(ParseErrorOf(Fixture("html_error.html")), HasSubstr("HTML"));
}

}  // namespace
}  // namespace qx
