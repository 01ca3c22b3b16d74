// ParseHostDetectionPage against fixtures shaped like the documented and
// recorded Host List Detection output.
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

using ::testing::HasSubstr;

using testing::Fixture;

struct Parsed {
  HostDetectionPageInfo info;
  std::vector<DetectionHost> hosts;
};

Parsed Parse(const std::string& body) {
  Parsed p;
  std::istringstream in(body);
  p.info = ParseHostDetectionPage(
      in, [&](DetectionHost&& h) { p.hosts.push_back(std::move(h)); });
  return p;
}

TEST(HostDetectionParser, TruncatedPageWithWarningAndEveryShape) {
  const Parsed p = Parse(Fixture("host_detection_page.xml"));
  EXPECT_EQ(p.info.datetime, "2024-03-08T20:20:01Z");
  EXPECT_EQ(p.info.warning_code, "1980");
  EXPECT_EQ(p.info.warning_text,
            "2 record limit exceeded. Use URL to get next batch of results.");
  // CDATA decoded, & kept as is: the URL is ready to follow.
  EXPECT_EQ(p.info.next_url,
            "https://qualysapi.qg3.apps.qualys.com/api/2.0/fo/asset/host/vm/"
            "detection/?action=list&truncation_limit=2&show_results=0&vm_"
            "processed_after=2024-03-01T00%3A00%3A00Z&id_min=8589934594");
  EXPECT_EQ(p.info.hosts, 2u);
  EXPECT_EQ(p.info.detections, 6u);
  EXPECT_EQ(p.info.last_host_id, 8589934593u);
  ASSERT_EQ(p.hosts.size(), 2u);

  const DetectionHost& h = p.hosts[0];
  EXPECT_EQ(h.id, 12048633u);
  EXPECT_EQ(h.asset_id, 84047683u);
  EXPECT_EQ(h.ip, "10.50.2.111");
  EXPECT_EQ(h.tracking_method, "IP");
  EXPECT_EQ(h.last_scan_datetime, "2023-07-03T06:25:17Z");
  EXPECT_EQ(h.last_vm_scanned_date, "2023-07-03T06:23:47Z");
  EXPECT_EQ(h.last_vm_auth_scanned_date, "");
  ASSERT_EQ(h.detections.size(), 5u);

  const HostDetection& active = h.detections[0];
  EXPECT_EQ(active.unique_vuln_id, 5555555555u);
  EXPECT_EQ(active.qid, 197595u);
  EXPECT_EQ(active.type, DetectionType::kConfirmed);
  EXPECT_EQ(active.severity, 3);
  EXPECT_EQ(active.status, DetectionStatus::kActive);
  EXPECT_FALSE(active.ignored);
  EXPECT_FALSE(active.disabled);
  EXPECT_EQ(active.port, 0u);
  EXPECT_FALSE(active.ssl);
  EXPECT_EQ(active.first_found, "2021-02-05T04:50:45Z");
  EXPECT_EQ(active.last_found, "2024-03-08T20:15:41Z");
  EXPECT_EQ(active.last_update, "2024-03-08T20:15:41Z");
  EXPECT_EQ(active.last_processed, "2024-03-08T20:15:41Z");
  EXPECT_EQ(active.last_fixed, "2022-12-14T06:52:57Z");
  EXPECT_TRUE(CountsAsHostVulnerability(active));

  const HostDetection& ignored = h.detections[1];
  EXPECT_EQ(ignored.type, DetectionType::kPotential);
  EXPECT_EQ(ignored.status, DetectionStatus::kNew);
  EXPECT_EQ(ignored.port, 3389u);
  EXPECT_EQ(ignored.protocol, "tcp");
  EXPECT_TRUE(ignored.ssl);
  EXPECT_TRUE(ignored.ignored);
  EXPECT_EQ(ignored.unique_vuln_id, 6666666666u);
  EXPECT_EQ(ignored.last_update, "");  // optional, absent
  EXPECT_FALSE(CountsAsHostVulnerability(ignored));

  const HostDetection& reopened = h.detections[2];
  EXPECT_EQ(reopened.status, DetectionStatus::kReOpened);
  EXPECT_EQ(reopened.unique_vuln_id, 0u);
  EXPECT_TRUE(reopened.disabled);
  EXPECT_FALSE(CountsAsHostVulnerability(reopened));

  const HostDetection& fixed = h.detections[3];
  EXPECT_EQ(fixed.status, DetectionStatus::kFixed);
  EXPECT_EQ(fixed.qid, reopened.qid);
  // Same QID on another port: another detection.
  EXPECT_NE(DetectionKey(fixed), DetectionKey(reopened));
  // IS_IGNORED / IS_DISABLED absent: neither.
  EXPECT_FALSE(fixed.ignored);
  EXPECT_FALSE(fixed.disabled);

  const HostDetection& info = h.detections[4];
  EXPECT_EQ(info.type, DetectionType::kInfo);
  EXPECT_EQ(info.severity, 0);  // SEVERITY absent
  EXPECT_TRUE(IsOpenDetection(info));
  EXPECT_FALSE(CountsAsHostVulnerability(info));

  const DetectionHost& aws = p.hosts[1];
  EXPECT_EQ(aws.id, 8589934593u);  // above 2^32
  EXPECT_EQ(aws.asset_id, 0u);
  ASSERT_EQ(aws.detections.size(), 1u);
  EXPECT_EQ(aws.detections[0].severity, 5);
  EXPECT_EQ(aws.detections[0].port, 22u);
}

TEST(HostDetectionParser, LastPageHasNoNextUrl) {
  const Parsed p = Parse(Fixture("host_detection_last_page.xml"));
  EXPECT_EQ(p.info.next_url, "");
  EXPECT_EQ(p.info.warning_code, "");
  ASSERT_EQ(p.hosts.size(), 1u);
  EXPECT_EQ(p.hosts[0].last_vm_auth_scanned_date, "2024-03-02T00:00:00Z");
  const HostDetection& d = p.hosts[0].detections.at(0);
  EXPECT_EQ(d.fqdn, "db.corp.example.com");
  EXPECT_EQ(d.instance, "ORCL1");
  HostDetection other = d;
  other.instance = "ORCL2";
  EXPECT_NE(DetectionKey(d), DetectionKey(other));
}

TEST(HostDetectionParser, AnswerWithoutHosts) {
  // Recorded: a filter that matches nothing gives RESPONSE/DATETIME only.
  const Parsed p = Parse(Fixture("host_detection_empty.xml"));
  EXPECT_TRUE(p.hosts.empty());
  EXPECT_EQ(p.info.datetime, "2020-09-27T01:29:21Z");
  EXPECT_EQ(p.info.hosts, 0u);
  EXPECT_EQ(p.info.last_host_id, std::nullopt);
  EXPECT_EQ(p.info.next_url, "");
}

TEST(HostDetectionParser, SimpleReturnWithHttp200IsApiError) {
  try {
    Parse(Fixture("host_detection_simple_return.xml"));
    FAIL() << "no ApiError";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.api_code(), "1905");
    EXPECT_THAT(e.what(), HasSubstr("vm_processed_after has invalid value"));
  }
  // An error inside the output's own RESPONSE too.
  EXPECT_THROW(Parse("<HOST_LIST_VM_DETECTION_OUTPUT><RESPONSE><CODE>999</CODE>"
                     "<TEXT>Internal error</TEXT></RESPONSE>"
                     "</HOST_LIST_VM_DETECTION_OUTPUT>"),
               ApiError);
}

TEST(HostDetectionParser, ClearErrorsForBrokenInput) {
  auto error_of = [](const std::string& body) -> std::string {
    try {
      Parse(body);
    } catch (const ParseError& e) {
      return e.what();
    }
    return "no ParseError";
  };
  const std::string head =
      "<HOST_LIST_VM_DETECTION_OUTPUT><RESPONSE><HOST_LIST>";
  const std::string tail =
      "</HOST_LIST></RESPONSE></HOST_LIST_VM_DETECTION_OUTPUT>";
  EXPECT_THAT(error_of(head + "<HOST><IP>1.2.3.4</IP></HOST>" + tail),
              HasSubstr("<HOST> without <ID>"));
  EXPECT_THAT(error_of(head +
                       "<HOST><ID>1</ID><DETECTION_LIST><DETECTION><TYPE>"
                       "Confirmed</TYPE></DETECTION></DETECTION_LIST></HOST>" +
                       tail),
              HasSubstr("<DETECTION> without <QID>"));
  EXPECT_THAT(error_of(head +
                       "<HOST><ID>1</ID><DETECTION_LIST><DETECTION><QID>1</"
                       "QID><SEVERITY>high</SEVERITY></DETECTION></"
                       "DETECTION_LIST></HOST>" +
                       tail),
              HasSubstr("SEVERITY"));
  EXPECT_THAT(error_of(head +
                       "<HOST><ID>1</ID><DETECTION_LIST><DETECTION><QID>1</"
                       "QID><PORT>70000</PORT></DETECTION></DETECTION_LIST></"
                       "HOST>" +
                       tail),
              HasSubstr("invalid port"));
  EXPECT_THAT(error_of(head +
                       "<HOST><ID>1</ID><DETECTION_LIST><DETECTION><QID>1</"
                       "QID><IS_IGNORED>maybe</IS_IGNORED></DETECTION></"
                       "DETECTION_LIST></HOST>" +
                       tail),
              HasSubstr("IS_IGNORED"));
  EXPECT_THAT(
      error_of(head + "<HOST><ID>99999999999999999999</ID></HOST>" + tail),
      HasSubstr("ID"));
  // Truncated mid-host: the hosts before the cut were handed out already,
  // the page still fails.
  const std::string full = Fixture("host_detection_page.xml");
  std::vector<DetectionHost> seen;
  std::istringstream cut(full.substr(0, full.find("<ID>8589934593</ID>")));
  EXPECT_THROW(ParseHostDetectionPage(
                   cut, [&](DetectionHost&& h) { seen.push_back(h); }),
               ParseError);
  EXPECT_EQ(seen.size(), 1u);
  EXPECT_THAT(error_of("<html><body>502 Bad Gateway</body></html>"),
              HasSubstr("host detection response"));
}

TEST(HostDetectionParser, NeverFetchesTheDtdOrExpandsEntities) {
  // An external entity that would read a local file.
  const std::string xxe =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE HOST_LIST_VM_DETECTION_OUTPUT ["
      "<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
      "<HOST_LIST_VM_DETECTION_OUTPUT><RESPONSE><DATETIME>&x;</DATETIME>"
      "</RESPONSE></HOST_LIST_VM_DETECTION_OUTPUT>";
  EXPECT_THROW(Parse(xxe), ParseError);
  // The real DOCTYPE with an unreachable SYSTEM URL parses offline.
  const Parsed p = Parse(
      "<!DOCTYPE HOST_LIST_VM_DETECTION_OUTPUT SYSTEM "
      "\"https://192.0.2.1/unreachable.dtd\">"
      "<HOST_LIST_VM_DETECTION_OUTPUT><RESPONSE><DATETIME>x</DATETIME>"
      "</RESPONSE></HOST_LIST_VM_DETECTION_OUTPUT>");
  EXPECT_EQ(p.info.datetime, "x");
}

TEST(HostDetectionParser, OneHostAtATime) {
  // 20,000 hosts: each is handed out when it ends, before the next starts.
  std::string body = "<HOST_LIST_VM_DETECTION_OUTPUT><RESPONSE><HOST_LIST>";
  for (int i = 1; i <= 20000; ++i) {
    body += "<HOST><ID>" + std::to_string(i) +
            "</ID><DETECTION_LIST><DETECTION><QID>" + std::to_string(i) +
            "</QID><TYPE>Confirmed</TYPE><STATUS>Active</STATUS></DETECTION>"
            "</DETECTION_LIST></HOST>";
  }
  body += "</HOST_LIST></RESPONSE></HOST_LIST_VM_DETECTION_OUTPUT>";
  std::istringstream in(body);
  std::uint64_t n = 0;
  std::size_t max_detections = 0;
  ParseHostDetectionPage(in, [&](DetectionHost&& h) {
    ++n;
    EXPECT_EQ(h.id, n);
    max_detections = std::max(max_detections, h.detections.size());
  });
  EXPECT_EQ(n, 20000u);
  EXPECT_EQ(max_detections, 1u);  // no detection leaks into the next host
}

}  // namespace
}  // namespace qx
