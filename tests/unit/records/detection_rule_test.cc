// The open/closed rule of host detections, status/type spellings, detection
// keys, and the schedule-targets-web-app rule.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "qx/records/records.h"

namespace qx {
namespace {

TEST(DetectionRule, EveryStatusTypeIgnoredDisabledCombination) {
  const DetectionStatus statuses[] = {
      DetectionStatus::kUnknown, DetectionStatus::kNew,
      DetectionStatus::kActive, DetectionStatus::kFixed,
      DetectionStatus::kReOpened};
  const DetectionType types[] = {
      DetectionType::kUnknown, DetectionType::kConfirmed,
      DetectionType::kPotential, DetectionType::kInfo};
  int counted = 0;
  int combinations = 0;
  for (DetectionStatus status : statuses) {
    for (DetectionType type : types) {
      for (bool ignored : {false, true}) {
        for (bool disabled : {false, true}) {
          HostDetection d;
          d.qid = 38170;
          d.status = status;
          d.type = type;
          d.ignored = ignored;
          d.disabled = disabled;
          const bool open_status = status == DetectionStatus::kNew ||
                                   status == DetectionStatus::kActive ||
                                   status == DetectionStatus::kReOpened;
          const bool open = open_status && !ignored && !disabled;
          const bool counts = open && (type == DetectionType::kConfirmed ||
                                       type == DetectionType::kPotential);
          SCOPED_TRACE(std::string(DetectionStatusName(status)) + "/" +
                       std::string(DetectionTypeLabel(type)) +
                       " ignored=" + std::to_string(ignored) +
                       " disabled=" + std::to_string(disabled));
          EXPECT_EQ(IsOpenDetection(d), open);
          EXPECT_EQ(CountsAsHostVulnerability(d), counts);
          counted += counts ? 1 : 0;
          ++combinations;
        }
      }
    }
  }
  EXPECT_EQ(combinations, 5 * 4 * 2 * 2);
  // New, Active, Re-Opened x Confirmed, Potential, and nothing else.
  EXPECT_EQ(counted, 6);
}

TEST(DetectionRule, StatusAndTypeSpellings) {
  EXPECT_EQ(ParseDetectionStatus("New"), DetectionStatus::kNew);
  EXPECT_EQ(ParseDetectionStatus("ACTIVE"), DetectionStatus::kActive);
  EXPECT_EQ(ParseDetectionStatus("Fixed"), DetectionStatus::kFixed);
  EXPECT_EQ(ParseDetectionStatus("Re-Opened"), DetectionStatus::kReOpened);
  EXPECT_EQ(ParseDetectionStatus("Reopened"), DetectionStatus::kReOpened);
  EXPECT_EQ(ParseDetectionStatus("re-opened"), DetectionStatus::kReOpened);
  EXPECT_EQ(ParseDetectionStatus(""), DetectionStatus::kUnknown);
  EXPECT_EQ(ParseDetectionStatus("Closed"), DetectionStatus::kUnknown);
  EXPECT_EQ(ParseDetectionType("Confirmed"), DetectionType::kConfirmed);
  EXPECT_EQ(ParseDetectionType("potential"), DetectionType::kPotential);
  EXPECT_EQ(ParseDetectionType("Info"), DetectionType::kInfo);
  EXPECT_EQ(ParseDetectionType("Vulnerability"), DetectionType::kUnknown);
  EXPECT_EQ(DetectionTypeLabel(DetectionType::kConfirmed), "confirmed");
  EXPECT_EQ(DetectionTypeLabel(DetectionType::kPotential), "potential");
  EXPECT_EQ(DetectionStatusName(ParseDetectionStatus("Re-Opened")),
            "Re-Opened");
}

TEST(DetectionRule, KeyIdentifiesTheDetectionOnItsHost) {
  HostDetection a;
  a.qid = 38173;
  a.port = 443;
  a.protocol = "tcp";
  a.ssl = true;
  std::set<std::uint64_t> keys{DetectionKey(a)};
  HostDetection b = a;
  b.status = DetectionStatus::kFixed;  // state does not change identity
  b.severity = 5;
  b.ignored = true;
  b.unique_vuln_id = 77;
  b.last_update = "2024-01-01T00:00:00Z";
  EXPECT_EQ(DetectionKey(a), DetectionKey(b));
  b.protocol = "TCP";
  EXPECT_EQ(DetectionKey(a), DetectionKey(b));
  for (auto change : {+[](HostDetection& d) { d.qid = 38174; },
                      +[](HostDetection& d) { d.port = 3389; },
                      +[](HostDetection& d) { d.protocol = "udp"; },
                      +[](HostDetection& d) { d.ssl = false; },
                      +[](HostDetection& d) { d.fqdn = "a.example"; },
                      +[](HostDetection& d) { d.instance = "ORCL"; }}) {
    HostDetection c = a;
    change(c);
    EXPECT_TRUE(keys.insert(DetectionKey(c)).second);
  }
  // Field boundaries matter: ("ab","") vs ("a","b").
  HostDetection x = a, y = a;
  x.fqdn = "ab";
  y.fqdn = "a";
  y.instance = "b";
  EXPECT_NE(DetectionKey(x), DetectionKey(y));
}

TEST(ScheduleRule, DirectTagsAnyAllAndExclusion) {
  WasScanSchedule s;
  s.webapp_ids = {10, 11};
  const std::uint64_t no_tags[] = {0};
  EXPECT_TRUE(ScheduleTargetsWebApp(s, 11, {}));
  EXPECT_FALSE(ScheduleTargetsWebApp(s, 12, no_tags));

  WasScanSchedule any;
  any.included_tags.tag_ids = {1, 2};  // option absent: ANY
  const std::uint64_t has1[] = {1};
  const std::uint64_t has12[] = {2, 1};
  const std::uint64_t has3[] = {3};
  EXPECT_TRUE(ScheduleTargetsWebApp(any, 5, has1));
  EXPECT_FALSE(ScheduleTargetsWebApp(any, 5, has3));
  any.included_tags.option = "ALL";
  EXPECT_FALSE(ScheduleTargetsWebApp(any, 5, has1));
  EXPECT_TRUE(ScheduleTargetsWebApp(any, 5, has12));
  any.excluded_tags = {"ANY", {2, 9}};
  EXPECT_FALSE(ScheduleTargetsWebApp(any, 5, has12));
  any.excluded_tags.option = "ALL";
  EXPECT_TRUE(ScheduleTargetsWebApp(any, 5, has12));
  // A direct target is scanned whatever its tags.
  any.webapp_ids = {5};
  any.excluded_tags.option = "ANY";
  EXPECT_TRUE(ScheduleTargetsWebApp(any, 5, has12));

  WasScanSchedule active;
  active.type = "VULNERABILITY";
  active.active = true;
  EXPECT_TRUE(IsActiveVulnerabilitySchedule(active));
  active.type = "DISCOVERY";
  EXPECT_FALSE(IsActiveVulnerabilitySchedule(active));
  active.type = "VULNERABILITY";
  active.active = false;
  EXPECT_FALSE(IsActiveVulnerabilitySchedule(active));
}

}  // namespace
}  // namespace qx
