// ParseWasScanSchedulePage / ParseWebAppPage against fixtures, and the
// documented defaults for absent schedule fields.
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

std::vector<WasScanSchedule> Schedules(const std::string& body,
                                       QpsPageInfo* info = nullptr) {
  std::vector<WasScanSchedule> out;
  std::istringstream in(body);
  QpsPageInfo i = ParseWasScanSchedulePage(
      in, [&](WasScanSchedule&& s) { out.push_back(std::move(s)); });
  if (info != nullptr) *info = i;
  return out;
}

TEST(WasScheduleParser, EveryTargetKindAndMailOption) {
  QpsPageInfo info;
  const auto s = Schedules(Fixture("wasscanschedule_page.xml"), &info);
  EXPECT_EQ(info.response_code, "SUCCESS");
  EXPECT_TRUE(info.has_more_records);
  EXPECT_EQ(info.last_id, 807150u);
  ASSERT_EQ(s.size(), 5u);

  EXPECT_EQ(s[0].id, 714393u);
  EXPECT_EQ(s[0].name, "Create Schedule");
  EXPECT_EQ(s[0].type, "VULNERABILITY");
  EXPECT_TRUE(s[0].active);
  EXPECT_FALSE(s[0].invalid);
  EXPECT_EQ(s[0].occurrence_type, "WEEKLY");
  EXPECT_EQ(s[0].start_date, "2021-03-25T09:50:11Z");
  EXPECT_EQ(s[0].time_zone, "America/Vancouver");
  EXPECT_EQ(s[0].next_launch_date, "2021-04-10T16:50:11Z");
  EXPECT_THAT(s[0].webapp_ids, ElementsAre(4830580u));
  EXPECT_TRUE(s[0].included_tags.tag_ids.empty());
  EXPECT_TRUE(s[0].send_mail);
  EXPECT_EQ(s[0].send_mail_from, "OWNER");
  EXPECT_TRUE(IsActiveVulnerabilitySchedule(s[0]));

  // Several web apps and included/excluded tags; sendMail false: no sender.
  EXPECT_EQ(s[1].name, "Multi-scan: shop & portal <prod>");
  EXPECT_FALSE(s[1].active);
  EXPECT_EQ(s[1].occurrence_type, "DAILY");
  EXPECT_EQ(s[1].next_launch_date, "");
  EXPECT_THAT(s[1].webapp_ids, ElementsAre(238483924u, 238483925u));
  EXPECT_EQ(s[1].included_tags.option, "ALL");
  EXPECT_THAT(s[1].included_tags.tag_ids, ElementsAre(68447639u, 68448550u));
  EXPECT_EQ(s[1].excluded_tags.option, "ANY");
  EXPECT_THAT(s[1].excluded_tags.tag_ids, ElementsAre(68449461u));
  EXPECT_FALSE(s[1].send_mail);
  EXPECT_EQ(s[1].send_mail_from, "");

  // Tags by "list", no option (ANY); QUALYS_SUPPORT sent explicitly.
  EXPECT_EQ(s[2].type, "DISCOVERY");
  EXPECT_EQ(s[2].occurrence_type, "ONCE");
  EXPECT_EQ(s[2].included_tags.option, "");
  EXPECT_THAT(s[2].included_tags.tag_ids, ElementsAre(68447639u));
  EXPECT_EQ(s[2].send_mail_from, "QUALYS_SUPPORT");
  const std::uint64_t pci[] = {68447639};
  EXPECT_TRUE(ScheduleTargetsWebApp(s[2], 1, pci));

  // sendMailFromAddressOption absent with sendMail true: the XSD default.
  EXPECT_TRUE(s[3].invalid);
  EXPECT_EQ(s[3].occurrence_type, "MONTHLY");
  EXPECT_EQ(s[3].send_mail_from, "QUALYS_SUPPORT");

  // Nothing but id and name: documented defaults, no crash.
  EXPECT_EQ(s[4].type, "");
  EXPECT_FALSE(s[4].active);
  EXPECT_EQ(s[4].occurrence_type, "");
  EXPECT_TRUE(s[4].send_mail);
  EXPECT_EQ(s[4].send_mail_from, "QUALYS_SUPPORT");
  EXPECT_TRUE(s[4].webapp_ids.empty());
}

TEST(WasScheduleParser, BadFieldsAreClearErrors) {
  auto error_of = [](const std::string& schedule) -> std::string {
    try {
      Schedules("<ServiceResponse><responseCode>SUCCESS</responseCode><data>" +
                schedule + "</data></ServiceResponse>");
    } catch (const ParseError& e) {
      return e.what();
    }
    return "no ParseError";
  };
  EXPECT_THAT(error_of("<WasScanSchedule><name>x</name></WasScanSchedule>"),
              HasSubstr("<WasScanSchedule> without <id>"));
  EXPECT_THAT(error_of("<WasScanSchedule><id>1</id><active>yes</active>"
                       "</WasScanSchedule>"),
              HasSubstr("invalid boolean in <ServiceResponse/data/"
                        "WasScanSchedule/active>"));
  EXPECT_THAT(error_of("<WasScanSchedule><id>1</id><target><webApp><id>x</id>"
                       "</webApp></target></WasScanSchedule>"),
              HasSubstr("webApp/id"));
  EXPECT_THAT(error_of("<WasScanSchedule><id>1</id><sendMail>1x</sendMail>"
                       "</WasScanSchedule>"),
              HasSubstr("sendMail"));
  // An empty <sendMail/> keeps the default.
  const auto s = Schedules(
      "<ServiceResponse><responseCode>SUCCESS</responseCode><data>"
      "<WasScanSchedule><id>1</id><sendMail/></WasScanSchedule>"
      "</data></ServiceResponse>");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_TRUE(s[0].send_mail);
}

TEST(WasScheduleParser, ErrorEnvelopeEmitsNothing) {
  QpsPageInfo info;
  const auto s = Schedules(Fixture("qps_error.xml"), &info);
  EXPECT_TRUE(s.empty());
  EXPECT_NE(info.response_code, "SUCCESS");
  EXPECT_FALSE(info.error_message.empty());
}

TEST(WebAppParser, TagsFromTheWebAppSearch) {
  std::vector<WebApp> apps;
  std::istringstream in(Fixture("webapp_page.xml"));
  const QpsPageInfo info =
      ParseWebAppPage(in, [&](WebApp&& a) { apps.push_back(std::move(a)); });
  EXPECT_EQ(info.count, 2u);
  EXPECT_FALSE(info.has_more_records);
  ASSERT_EQ(apps.size(), 2u);
  EXPECT_EQ(apps[0].id, 238483924u);
  EXPECT_EQ(apps[0].name, "http://rest.vulnweb.com/");
  EXPECT_TRUE(apps[0].tag_ids.empty());  // <tags><count>0</count></tags>
  EXPECT_EQ(apps[1].name, "Shop & <Checkout>");
  EXPECT_EQ(apps[1].url, "https://shop.example.com/?lang=de&ref=qualys");
  EXPECT_THAT(apps[1].tag_ids, ElementsAre(68447639u, 68448550u));
  std::istringstream bad(
      "<ServiceResponse><data><WebApp><name>x</name></WebApp></data>"
      "</ServiceResponse>");
  EXPECT_THROW(ParseWebAppPage(bad, [](WebApp&&) {}), ParseError);
}

TEST(HostAssetCoverage, QwebHostIdLastVulnScanAndAgentCheckIn) {
  std::vector<HostAsset> assets;
  std::istringstream in(Fixture("hostasset_coverage.xml"));
  ParseHostAssetPage(in,
                     [&](HostAsset&& a) { assets.push_back(std::move(a)); });
  ASSERT_EQ(assets.size(), 3u);
  EXPECT_EQ(assets[0].qweb_host_id, 107800671u);
  EXPECT_EQ(assets[0].last_vuln_scan, "2020-09-28T12:00:00Z");
  EXPECT_EQ(assets[0].agent_last_checked_in, "2020-09-29T17:50:00Z");
  EXPECT_EQ(assets[0].vulns_updated, "2020-09-28T12:05:00Z");
  EXPECT_EQ(assets[0].cloud_provider, CloudProvider::kAws);
  EXPECT_EQ(assets[1].qweb_host_id, 18446744073709551615u);
  EXPECT_EQ(assets[1].last_vuln_scan, "");
  EXPECT_EQ(assets[1].agent_last_checked_in, "");
  EXPECT_EQ(assets[2].qweb_host_id, 0u);
  std::istringstream bad(
      "<ServiceResponse><data><HostAsset><id>1</id><qwebHostId>-1</qwebHostId>"
      "</HostAsset></data></ServiceResponse>");
  try {
    ParseHostAssetPage(bad, [](HostAsset&&) {});
    FAIL() << "no ParseError";
  } catch (const ParseError& e) {
    EXPECT_THAT(e.what(), HasSubstr("qwebHostId"));
  }
}

}  // namespace
}  // namespace qx
