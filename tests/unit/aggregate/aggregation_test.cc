// Aggregation is a pure function: records in, families out.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "qx/aggregate/coverage_aggregation.h"
#include "qx/aggregate/host_aggregation.h"
#include "qx/aggregate/schedule_aggregation.h"
#include "qx/aggregate/was_aggregation.h"
#include "qx/records/timestamp.h"

namespace qx {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

// family name -> (rendered label set -> value)
std::map<std::string, double> Values(
    const std::vector<prometheus::MetricFamily>& families,
    const std::string& name) {
  std::map<std::string, double> out;
  for (const auto& f : families) {
    if (f.name != name) continue;
    for (const auto& m : f.metric) {
      std::string key;
      for (const auto& l : m.label) {
        if (!key.empty()) key += ",";
        key += l.name + "=" + l.value;
      }
      out[key] = f.type == prometheus::MetricType::Counter ? m.counter.value
                                                           : m.gauge.value;
    }
  }
  return out;
}

HostAsset Azure(std::uint64_t id, std::string sub, std::string vnet,
                std::string subnet, std::vector<std::uint64_t> qids) {
  HostAsset a;
  a.id = id;
  a.cloud_provider = CloudProvider::kAzure;
  a.azure = AzureSource{std::move(sub),    "rg",      std::move(vnet),
                        std::move(subnet), "westus2", "RUNNING"};
  for (auto q : qids) a.vulns.push_back({q, id * 100 + q});
  return a;
}

TEST(HostAggregation, CountsAssetsByProviderAndAzureNetwork) {
  HostAssetStore store;
  store.Upsert(Azure(1, "sub-a", "vnet-1", "default", {}));
  store.Upsert(Azure(2, "sub-a", "vnet-1", "default", {}));
  store.Upsert(Azure(3, "sub-a", "vnet-2", "default", {}));
  HostAsset ec2;
  ec2.id = 4;
  ec2.cloud_provider = CloudProvider::kAws;
  store.Upsert(std::move(ec2));
  HostAsset plain;
  plain.id = 5;
  store.Upsert(std::move(plain));
  // Re-reading a page after a retry must not double count.
  store.Upsert(Azure(1, "sub-a", "vnet-1", "default", {}));

  auto families = AggregateHostAssets(store);
  EXPECT_THAT(Values(families, "qualys_host_assets"),
              ElementsAre(Pair("cloud_provider=aws", 1),
                          Pair("cloud_provider=azure", 3),
                          Pair("cloud_provider=gcp", 0),
                          Pair("cloud_provider=none", 1)));
  auto azure = Values(families, "qualys_azure_host_assets");
  ASSERT_EQ(azure.size(), 2u);
  EXPECT_EQ(azure["subscription_id=sub-a,resource_group=rg,vnet=vnet-1,"
                  "subnet=default,location=westus2,state=RUNNING"],
            2);
  EXPECT_EQ(azure["subscription_id=sub-a,resource_group=rg,vnet=vnet-2,"
                  "subnet=default,location=westus2,state=RUNNING"],
            1);
}

HostDetection Detection(std::uint64_t qid, int severity, DetectionType type,
                        DetectionStatus status = DetectionStatus::kActive) {
  HostDetection d;
  d.qid = qid;
  d.severity = severity;
  d.type = type;
  d.status = status;
  d.port = static_cast<std::uint32_t>(qid % 1000);
  return d;
}

TEST(HostAggregation, VulnerabilitiesFromOpenDetectionsJoinedByQwebHostId) {
  HostAssetStore hosts;
  // Same subnet name in two VNets must stay apart.
  HostAsset a = Azure(1, "sub-a", "vnet-1", "default", {});
  a.qweb_host_id = 501;
  HostAsset b = Azure(2, "sub-a", "vnet-2", "default", {});
  b.qweb_host_id = 502;
  HostAsset c = Azure(3, "sub-b", "vnet-3", "app", {});  // no detection host
  c.qweb_host_id = 503;
  hosts.Upsert(std::move(a));
  hosts.Upsert(std::move(b));
  hosts.Upsert(std::move(c));
  HostDetectionStore detections;
  const auto C = DetectionType::kConfirmed;
  const auto P = DetectionType::kPotential;
  DetectionHost h1{.id = 501};
  h1.detections = {Detection(100, 5, C), Detection(200, 3, C),
                   Detection(201, 3, P),
                   Detection(300, 4, C, DetectionStatus::kFixed),
                   Detection(400, 2, DetectionType::kInfo)};
  DetectionHost h2{.id = 502};
  h2.detections = {Detection(100, 5, C), Detection(999, 0, C)};
  DetectionHost vm_only{.id = 777};  // no host asset has qwebHostId 777
  vm_only.detections = {Detection(100, 5, P)};
  detections.Apply(h1, HostDetectionStore::Merge::kReplace);
  detections.Apply(h2, HostDetectionStore::Merge::kReplace);
  detections.Apply(vm_only, HostDetectionStore::Merge::kReplace);

  auto families = AggregateHostVulnerabilities(hosts, detections);
  auto v = Values(families, "qualys_azure_host_vulnerabilities");
  const std::string net1 = "subscription_id=sub-a,vnet=vnet-1,subnet=default,";
  EXPECT_EQ(v[net1 + "severity=5,type=confirmed"], 1);
  EXPECT_EQ(v[net1 + "severity=3,type=confirmed"], 1);
  EXPECT_EQ(v[net1 + "severity=3,type=potential"], 1);
  EXPECT_EQ(v[net1 + "severity=4,type=confirmed"], 0);  // fixed
  EXPECT_EQ(v[net1 + "severity=2,type=confirmed"], 0);  // info
  const std::string net2 = "subscription_id=sub-a,vnet=vnet-2,subnet=default,";
  EXPECT_EQ(v[net2 + "severity=5,type=confirmed"], 1);
  EXPECT_EQ(v[net2 + "severity=unknown,type=confirmed"], 1);
  // A subnet whose hosts have no detection host: zero-filled.
  EXPECT_EQ(v["subscription_id=sub-b,vnet=vnet-3,subnet=app,severity=1,"
              "type=potential"],
            0);
  EXPECT_EQ(v.size(), 3u * 10u + 1u);  // 3 subnets x 5 x 2 + 1 unknown
  auto all = Values(families, "qualys_host_vulnerabilities");
  EXPECT_EQ(all["cloud_provider=azure,severity=5,type=confirmed"], 2);
  EXPECT_EQ(all["cloud_provider=azure,severity=unknown,type=confirmed"], 1);
  EXPECT_EQ(all["cloud_provider=none,severity=5,type=potential"], 1);
  EXPECT_EQ(all["cloud_provider=aws,severity=5,type=confirmed"], 0);
}

TEST(HostAggregation, ScanCoverageByProviderSubnetAndAge) {
  const std::int64_t now = 1'700'000'000;
  const std::int64_t day = 86400;
  HostAssetStore hosts;
  HostAsset fresh = Azure(1, "sub-a", "vnet-1", "default", {});
  fresh.last_vuln_scan = FormatIsoTimestamp(now - 2 * day);
  HostAsset stale = Azure(2, "sub-a", "vnet-1", "default", {});
  stale.last_vuln_scan = FormatIsoTimestamp(now - 40 * day);
  HostAsset never = Azure(3, "sub-a", "vnet-2", "default", {});
  HostAsset aws;
  aws.id = 4;
  aws.cloud_provider = CloudProvider::kAws;
  aws.last_vuln_scan = FormatIsoTimestamp(now - 100 * day);
  for (auto* h : {&fresh, &stale, &never, &aws}) hosts.Upsert(std::move(*h));
  auto families = AggregateScanCoverage(hosts, now, 30 * day);
  auto unscanned = Values(families, "qualys_host_assets_unscanned");
  EXPECT_EQ(unscanned["cloud_provider=azure"], 2);  // stale and never
  EXPECT_EQ(unscanned["cloud_provider=aws"], 1);
  EXPECT_EQ(unscanned["cloud_provider=gcp"], 0);
  auto azure = Values(families, "qualys_azure_host_assets_unscanned");
  EXPECT_EQ(azure["subscription_id=sub-a,vnet=vnet-1,subnet=default"], 1);
  EXPECT_EQ(azure["subscription_id=sub-a,vnet=vnet-2,subnet=default"], 1);
  const prometheus::ClientMetric::Histogram* azure_age = nullptr;
  const prometheus::ClientMetric::Histogram* aws_age = nullptr;
  for (const auto& f : families) {
    if (f.name != "qualys_host_last_vuln_scan_age_seconds") continue;
    EXPECT_EQ(f.type, prometheus::MetricType::Histogram);
    for (const auto& m : f.metric) {
      if (m.label.at(0).value == "azure") azure_age = &m.histogram;
      if (m.label.at(0).value == "aws") aws_age = &m.histogram;
    }
  }
  ASSERT_TRUE(azure_age && aws_age);
  EXPECT_EQ(azure_age->sample_count, 2u);  // never-scanned is not counted
  EXPECT_EQ(azure_age->sample_sum, 42.0 * day);
  EXPECT_EQ(azure_age->bucket.at(0).cumulative_count, 0u);  // 1d
  EXPECT_EQ(azure_age->bucket.at(1).cumulative_count, 1u);  // 7d
  EXPECT_EQ(azure_age->bucket.at(3).cumulative_count, 2u);  // 90d
  EXPECT_EQ(aws_age->bucket.at(3).cumulative_count, 0u);
  EXPECT_EQ(aws_age->sample_count, 1u);
}

WasScanSchedule Schedule(std::uint64_t id, std::string type, bool active,
                         std::vector<std::uint64_t> webapps,
                         std::vector<std::uint64_t> tags = {}) {
  WasScanSchedule s;
  s.id = id;
  s.name = "s" + std::to_string(id);
  s.type = std::move(type);
  s.active = active;
  s.occurrence_type = "WEEKLY";
  s.webapp_ids = std::move(webapps);
  s.included_tags.tag_ids = std::move(tags);
  s.send_mail_from = "OWNER";
  return s;
}

TEST(ScheduleAggregation,
     WebAppsScheduledDirectlyOrByTagOnlyByActiveVulnScans) {
  // Web apps 1..5; app 4 carries tag 40, app 5 is covered by nothing active.
  std::map<std::uint64_t, WebApp> apps;
  for (std::uint64_t id = 1; id <= 5; ++id) apps[id].id = id;
  apps[4].tag_ids = {40};
  std::vector<WasScanSchedule> schedules = {
      Schedule(10, "VULNERABILITY", true, {1}),
      Schedule(11, "DISCOVERY", true, {2}),       // not a vulnerability scan
      Schedule(12, "VULNERABILITY", false, {3}),  // inactive
      Schedule(13, "VULNERABILITY", true, {}, {40}),  // by tag
      Schedule(14, "VULNERABILITY", true, {99}),      // a deleted web app
  };
  schedules[0].next_launch_date = "2026-12-03T01:00:00Z";
  auto agg = AggregateScanSchedules(schedules, apps, 100);
  auto scheduled = Values(agg.families, "qualys_was_webapp_scheduled");
  EXPECT_EQ(scheduled, (std::map<std::string, double>{{"webapp_id=1", 1},
                                                      {"webapp_id=2", 0},
                                                      {"webapp_id=3", 0},
                                                      {"webapp_id=4", 1},
                                                      {"webapp_id=5", 0}}));
  auto kinds = Values(agg.families, "qualys_was_scan_schedules");
  EXPECT_EQ(kinds["type=VULNERABILITY,active=true,occurrence_type=WEEKLY"], 3);
  EXPECT_EQ(kinds["type=VULNERABILITY,active=false,occurrence_type=WEEKLY"], 1);
  EXPECT_EQ(kinds["type=DISCOVERY,active=true,occurrence_type=WEEKLY"], 1);
  auto info = Values(agg.families, "qualys_was_scan_schedule_info");
  EXPECT_EQ(info.size(), 5u);
  EXPECT_EQ(
      info.count("schedule_id=14,name=s14,webapp_id=,type=VULNERABILITY,"
                 "active=true,occurrence_type=WEEKLY,send_mail_from=OWNER"),
      1u);
  auto next = Values(agg.families,
                     "qualys_was_scan_schedule_next_launch_timestamp_seconds");
  EXPECT_EQ(next,
            (std::map<std::string, double>{{"schedule_id=10", 1796259600}}));
  // The cap keeps the active vulnerability schedules' rows first.
  auto capped = AggregateScanSchedules(schedules, apps, 2);
  EXPECT_EQ(capped.info_series_dropped, 3u);
  for (const auto& [k, v] :
       Values(capped.families, "qualys_was_scan_schedule_info")) {
    EXPECT_NE(k.find("type=VULNERABILITY,active=true"), std::string::npos) << k;
  }
}

TEST(WebAppInfo, EveryWebAppWithItsNameAndUrl) {
  std::map<std::uint64_t, WebApp> apps;
  apps[7] = WebApp{7, "shop", "https://shop.example/", {1}};
  apps[8] = WebApp{8, "Staging <unscanned> #1", "", {}};
  EXPECT_EQ(
      Values({AggregateWebAppInfo(apps)}, "qualys_was_webapp_info"),
      (std::map<std::string, double>{
          {"webapp_id=7,name=shop,url=https://shop.example/", 1},
          {"webapp_id=8,name=Staging <unscanned> #1,url=", 1}}));
  EXPECT_TRUE(Values({AggregateWebAppInfo({})}, "qualys_was_webapp_info")
                  .empty());
}

WasFinding Finding(std::uint64_t id, std::uint64_t webapp, int severity,
                   std::string status, std::vector<std::uint64_t> scans,
                   FindingCategory cat = FindingCategory::kVulnerability) {
  WasFinding f;
  f.id = id;
  f.unique_id = "u-" + std::to_string(id);
  f.qid = 150000 + id;
  f.webapp_id = webapp;
  f.webapp_name = "app " + std::to_string(webapp);
  f.webapp_url = "https://app" + std::to_string(webapp) + ".example/";
  f.severity = severity;
  f.status = std::move(status);
  f.category = cat;
  int day = 1;
  for (auto s : scans) {
    f.history.push_back({s, "was/" + std::to_string(s),
                         "2024-01-0" + std::to_string(day++) + "T10:00:00Z"});
  }
  return f;
}

TEST(WasAggregation, RecurrenceRules) {
  WasFindingStore store;
  store.Upsert(Finding(1, 10, 5, "ACTIVE", {1, 2}));    // 2 scans: recurring
  store.Upsert(Finding(2, 10, 4, "NEW", {1, 1}));       // same scan twice: no
  store.Upsert(Finding(3, 10, 3, "REOPENED", {1}));     // reopened: recurring
  store.Upsert(Finding(4, 10, 5, "FIXED", {1, 2, 3}));  // fixed: no
  store.Upsert(Finding(5, 20, 2, "", {1, 2, 3},
                       FindingCategory::kInformationGathered));  // IG: no
  store.Upsert(Finding(6, 20, 1, "ACTIVE", {4, 5},
                       FindingCategory::kSensitiveContent));  // SC: recurring
  auto rec = FindRecurring(store, 2);
  ASSERT_EQ(rec.size(), 3u);
  EXPECT_EQ(rec[0].finding_id, 1u);
  EXPECT_EQ(rec[1].finding_id, 3u);
  EXPECT_EQ(rec[2].finding_id, 6u);
  EXPECT_EQ(FindRecurring(store, 3).size(), 1u);  // only REOPENED remains
}

TEST(WasAggregation, FamiliesCountByIdWithAllSeverities) {
  WasFindingStore store;
  store.Upsert(Finding(1, 10, 5, "ACTIVE", {1, 2}));
  store.Upsert(Finding(2, 10, 5, "ACTIVE", {3}));
  store.Upsert(Finding(3, 10, 3, "REOPENED", {1}));
  store.Upsert(
      Finding(4, 20, 2, "", {7}, FindingCategory::kInformationGathered));
  WasFinding kw =
      Finding(5, 20, 1, "", {8}, FindingCategory::kInformationGathered);
  kw.qid = 150141;
  kw.keyword_matches = {{"regression", {"http://a/1", "http://a/2"}},
                        {".*html$", {}}};
  store.Upsert(std::move(kw));
  std::array<std::uint64_t, 6> totals{0, 0, 0, 1, 0, 2};
  auto agg = AggregateWasFindings(store, {2, 1000}, totals);
  auto findings = Values(agg.families, "qualys_was_findings");
  EXPECT_EQ(
      findings["webapp_id=10,severity=5,status=ACTIVE,category=VULNERABILITY"],
      2);
  EXPECT_EQ(
      findings["webapp_id=10,severity=4,status=ACTIVE,category=VULNERABILITY"],
      0);
  EXPECT_EQ(
      findings
          ["webapp_id=10,severity=3,status=REOPENED,category=VULNERABILITY"],
      1);
  EXPECT_EQ(
      findings["webapp_id=20,severity=2,status=,category=INFORMATION_GATHERED"],
      1);
  EXPECT_EQ(findings.size(), 15u);  // 3 label sets x 5 severities

  auto rec = Values(agg.families, "qualys_was_recurring_findings");
  EXPECT_EQ(rec["webapp_id=10,severity=5"], 1);
  EXPECT_EQ(rec["webapp_id=10,severity=3"], 1);
  EXPECT_EQ(rec["webapp_id=20,severity=5"], 0);

  auto info = Values(agg.families, "qualys_was_recurring_finding_info");
  EXPECT_THAT(
      info, ElementsAre(Pair("finding_id=1,qid=150001,webapp_id=10,severity=5,"
                             "unique_id=u-1",
                             1),
                        Pair("finding_id=3,qid=150003,webapp_id=10,severity=3,"
                             "unique_id=u-3",
                             1)));
  auto became =
      Values(agg.families, "qualys_was_findings_became_recurring_total");
  EXPECT_EQ(became["severity=3"], 1);
  EXPECT_EQ(became["severity=5"], 2);
  EXPECT_EQ(became.size(), 5u);

  auto links = Values(agg.families, "qualys_was_keyword_links");
  EXPECT_EQ(links["webapp_id=20,regex=regression"], 2);
  EXPECT_EQ(links["webapp_id=20,regex=.*html$"], 0);

  auto last =
      Values(agg.families, "qualys_was_webapp_last_scan_timestamp_seconds");
  EXPECT_EQ(last["webapp_id=10"], 1704189600);  // 2024-01-02T10:00:00Z
}

TEST(WasAggregation, HistogramCountsDistinctScansOfOpenFindings) {
  WasFindingStore store;
  store.Upsert(Finding(1, 10, 4, "ACTIVE", {1, 2, 2, 3}));  // 3 distinct
  store.Upsert(Finding(2, 10, 4, "NEW", {1}));
  store.Upsert(Finding(3, 10, 4, "FIXED", {1, 2}));  // closed: not observed
  WasFinding no_history = Finding(4, 10, 4, "ACTIVE", {});
  no_history.times_detected = 7;  // falls back to timesDetected
  store.Upsert(std::move(no_history));
  auto agg = AggregateWasFindings(store, {}, {});
  const prometheus::ClientMetric* sev4 = nullptr;
  for (const auto& f : agg.families) {
    if (f.name != "qualys_was_finding_scans_detected") continue;
    for (const auto& m : f.metric) {
      if (m.label[0].value == "4") sev4 = &m;
    }
  }
  ASSERT_NE(sev4, nullptr);
  EXPECT_EQ(sev4->histogram.sample_count, 3u);
  EXPECT_EQ(sev4->histogram.sample_sum, 11);
  // le=1,2,3,5,10,20,+Inf
  std::vector<std::uint64_t> cumulative;
  for (const auto& b : sev4->histogram.bucket)
    cumulative.push_back(b.cumulative_count);
  EXPECT_THAT(cumulative, ElementsAre(1, 1, 2, 2, 3, 3, 3));
}

TEST(WasAggregation, InfoSeriesCapKeepsHighestSeverity) {
  WasFindingStore store;
  store.Upsert(Finding(1, 10, 3, "REOPENED", {1}));
  store.Upsert(Finding(2, 10, 5, "REOPENED", {1}));
  store.Upsert(Finding(3, 10, 4, "REOPENED", {1}));
  auto agg = AggregateWasFindings(store, {2, 2}, {});
  EXPECT_EQ(agg.info_series_dropped, 1u);
  auto info = Values(agg.families, "qualys_was_recurring_finding_info");
  ASSERT_EQ(info.size(), 2u);
  EXPECT_EQ(info.begin()->first.substr(0, 12), "finding_id=2");
}

}  // namespace
}  // namespace qx
