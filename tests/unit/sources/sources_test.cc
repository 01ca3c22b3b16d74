// The sources end to end over a scripted transport: full, incremental,
// resumed after an interruption, stopped by the API budget, and a refused
// criterion. What is asked is read from the recorded requests; what is
// published from the collector.
#include "qx/sources/sources.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "fake_transport.h"
#include "fixtures.h"
#include "published.h"

namespace qx {
namespace {

using ::testing::HasSubstr;
using testing::Host;
using testing::HostPage;
using ::testing::Not;

std::string CountAnswer(int n) {
  return "<ServiceResponse><responseCode>SUCCESS</responseCode><count>" +
         std::to_string(n) + "</count></ServiceResponse>";
}

// A Host List Detection answer with one Active Confirmed severity-4
// detection on VM host qweb (none when qweb is 0).
std::string Detections(std::uint64_t qweb = 0) {
  std::string hosts;
  if (qweb != 0) {
    hosts = "<HOST_LIST><HOST><ID>" + std::to_string(qweb) +
            "</ID><DETECTION_LIST><DETECTION><QID>38170</QID><TYPE>Confirmed"
            "</TYPE><SEVERITY>4</SEVERITY><STATUS>Active</STATUS>"
            "</DETECTION></DETECTION_LIST></HOST></HOST_LIST>";
  }
  return "<HOST_LIST_VM_DETECTION_OUTPUT><RESPONSE><DATETIME>"
         "2023-11-14T22:13:20Z</DATETIME>" +
         hosts + "</RESPONSE></HOST_LIST_VM_DETECTION_OUTPUT>";
}

std::string Finding(std::uint64_t id) {
  return "<Finding><id>" + std::to_string(id) + "</id><uniqueId>u" +
         std::to_string(id) +
         "</uniqueId><qid>150001</qid><type>VULNERABILITY</type>"
         "<severity>3</severity><status>NEW</status><webApp><id>7</id>"
         "<name>shop</name><url>https://shop.example</url></webApp>"
         "</Finding>";
}

class SourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("qx-sources-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    options_.state_dir = dir_;
    options_.host_page_size = 2;
    options_.was_page_size = 2;
    options_.min_page_size = 2;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  bool Poll(Source& source) {
    PollContext context(collector_, h_.observer, [this] { return now_; });
    source.Poll(context);
    return context.AllSucceeded();
  }

  double Published(const std::string& family) const {
    return testing::PublishedSum(collector_, family);
  }

  // The web app and schedule searches that follow the WAS findings.
  void NoSchedules() {
    h_.transport->script.push_back({200, HostPage("", false, std::nullopt, 0)});
    h_.transport->script.push_back({200, HostPage("", false, std::nullopt, 0)});
  }

  const PollOutcome& OutcomeOf(const std::string& source) const {
    for (auto it = h_.observer.outcomes.rbegin();
         it != h_.observer.outcomes.rend(); ++it) {
      if (it->source == source) return *it;
    }
    throw std::logic_error("no outcome for " + source);
  }

  std::string Body(std::size_t i) const {
    return h_.transport->requests.at(i).body;
  }

  std::filesystem::path dir_;
  SourceOptions options_;
  testing::Harness h_;
  SnapshotCollector collector_;
  double now_ = 1'700'000'000;
};

TEST_F(SourcesTest, HostAssetsFullThenIncremental) {
  auto source =
      MakeHostAssetSource(h_.client, options_, [this] { return now_; });
  auto& script = h_.transport->script;
  script.push_back({200, CountAnswer(3)});
  script.push_back({200, HostPage(Host(1) + Host(2), true, 2, 2)});
  script.push_back({200, HostPage(Host(3), false, std::nullopt, 1)});
  script.push_back({200, Detections(9001)});  // a VM host no asset claims
  ASSERT_TRUE(Poll(*source));
  EXPECT_EQ(Published("qualys_host_assets"), 3);
  EXPECT_EQ(Published("qualys_host_vulnerabilities"), 1);
  EXPECT_EQ(h_.transport->requests[3].path,
            "/api/2.0/fo/asset/host/vm/detection/");
  EXPECT_THAT(Body(1), Not(HasSubstr("Criteria")));
  EXPECT_THAT(Body(2), HasSubstr("field=\"id\" operator=\"GREATER\">2<"));

  now_ += 1800;
  h_.transport->requests.clear();
  script.push_back({200, HostPage(Host(4), false, std::nullopt, 1)});
  script.push_back({200, HostPage("", false, std::nullopt, 0)});
  script.push_back({200, Detections()});
  ASSERT_TRUE(Poll(*source));
  EXPECT_EQ(Published("qualys_host_assets"), 4);
  EXPECT_EQ(Published("qualys_host_vulnerabilities"), 1);  // kept
  ASSERT_EQ(h_.transport->requests.size(), 3u);            // no count: not full
  EXPECT_THAT(Body(2), HasSubstr("vm_processed_after="));
  EXPECT_THAT(Body(0), HasSubstr("field=\"updated\" operator=\"GREATER\""));
  EXPECT_THAT(Body(1),
              HasSubstr("field=\"vulnsUpdated\" operator=\"GREATER\""));
  EXPECT_THAT(Body(1), HasSubstr("field=\"updated\" operator=\"LESSER\""));
}

TEST_F(SourcesTest, InterruptedFullSyncResumesInTheNextProcess) {
  auto& script = h_.transport->script;
  {
    auto source =
        MakeHostAssetSource(h_.client, options_, [this] { return now_; });
    script.push_back({200, CountAnswer(3)});
    script.push_back({200, HostPage(Host(1) + Host(2), true, 2, 2)});
    script.push_back({401, "Bad Login"});  // never retried
    // No host assets yet: the detections are not asked for (a join with no
    // host asset would count every one as cloud_provider="none").
    EXPECT_FALSE(Poll(*source));
    EXPECT_EQ(h_.transport->requests.size(), 3u);  // count, 2 pages, no more
    EXPECT_EQ(h_.observer.outcomes.back().source, "knowledge_base");
    EXPECT_FALSE(h_.observer.outcomes.back().ok);  // skipped
  }
  h_.transport->requests.clear();
  now_ += 60;
  auto restarted =
      MakeHostAssetSource(h_.client, options_, [this] { return now_; });
  script.push_back({200, CountAnswer(3)});
  script.push_back({200, HostPage(Host(3), false, std::nullopt, 1)});
  script.push_back({200, Detections()});
  ASSERT_TRUE(Poll(*restarted));
  EXPECT_THAT(Body(1), HasSubstr("field=\"id\" operator=\"GREATER\">2<"));
  EXPECT_EQ(Published("qualys_host_assets"), 3);
}

TEST_F(SourcesTest, QpsBudgetStopsTheWalkAndKeepsProgress) {
  options_.watch.reserve_calls = 20;
  auto source =
      MakeWasFindingSource(h_.client, options_, [this] { return now_; });
  auto& script = h_.transport->script;
  script.push_back({200, CountAnswer(4)});
  // This QPS answer does carry the headers, and says 5 calls are left.
  script.push_back({200,
                    HostPage(Finding(1) + Finding(2), true, 2, 2),
                    {{"X-RateLimit-Remaining", "5"}}});
  NoSchedules();
  EXPECT_FALSE(Poll(*source));
  EXPECT_THAT(OutcomeOf("was_finding").error,
              HasSubstr("stopped early: qps X-RateLimit-Remaining=5"));
  EXPECT_EQ(h_.transport->requests.size(), 2u + 2u);  // + apps, schedules
  // The next poll continues after the last page instead of starting over.
  h_.transport->requests.clear();
  script.push_back({200, CountAnswer(4)});
  script.push_back({200, HostPage(Finding(3) + Finding(4), false, 4, 2)});
  NoSchedules();
  ASSERT_TRUE(Poll(*source));
  EXPECT_THAT(Body(1), HasSubstr("field=\"id\" operator=\"GREATER\">2<"));
  EXPECT_EQ(Published("qualys_was_findings"), 4);
}

TEST_F(SourcesTest, ApiV2BudgetDoesNotStopAQpsWalk) {
  // A KnowledgeBase answer said 3 calls are left for API v2; the WAS walk
  // (QPS, no headers) goes on.
  testing::Scripted kb{200,
                       "<KNOWLEDGE_BASE_VULN_LIST_OUTPUT/>",
                       {{"X-RateLimit-Remaining", "3"}}};
  h_.transport->script.push_back(kb);
  HttpRequest v2;
  v2.path = "/api/2.0/fo/knowledge_base/vuln/";
  h_.client->Call("knowledge_base", v2,
                  [](const HttpResponseHead&, std::istream&) {});
  auto source =
      MakeWasFindingSource(h_.client, options_, [this] { return now_; });
  auto& script = h_.transport->script;
  script.push_back({200, CountAnswer(3)});
  script.push_back({200, HostPage(Finding(1) + Finding(2), true, 2, 2)});
  script.push_back({200, HostPage(Finding(3), false, std::nullopt, 1)});
  NoSchedules();
  ASSERT_TRUE(Poll(*source));
  EXPECT_EQ(Published("qualys_was_findings"), 3);
}

TEST_F(SourcesTest, RefusedCriterionFallsBackWithoutFailing) {
  auto source =
      MakeWasFindingSource(h_.client, options_, [this] { return now_; });
  auto& script = h_.transport->script;
  script.push_back({200, CountAnswer(1)});
  script.push_back({200, HostPage(Finding(1), false, std::nullopt, 1)});
  NoSchedules();
  ASSERT_TRUE(Poll(*source));
  now_ += 1800;
  h_.transport->requests.clear();
  script.push_back(
      {200,
       "<ServiceResponse><responseCode>INVALID_REQUEST</responseCode>"
       "<responseErrorDetails><errorMessage>Invalid field updatedDate"
       "</errorMessage></responseErrorDetails></ServiceResponse>"});
  script.push_back({200, HostPage(Finding(2), false, std::nullopt, 1)});
  NoSchedules();
  ASSERT_TRUE(Poll(*source));
  EXPECT_EQ(Published("qualys_was_findings"), 2);
  // The web app the findings name is known and no schedule covers it.
  EXPECT_EQ(Published("qualys_was_webapp_scheduled"), 0);
  EXPECT_THAT(Body(1), HasSubstr("field=\"lastTestedDate\""));
  EXPECT_THAT(Body(1), Not(HasSubstr("updatedDate")));
  EXPECT_EQ(h_.observer.refused,
            std::set<std::string>{"was_finding:updatedDate"});
}

std::string Text(const SnapshotCollector& collector) {
  std::ostringstream out;
  collector.WriteText(out);
  return out.str();
}

TEST_F(SourcesTest, EveryWebAppIsNamedAlsoWithoutFindings) {
  auto source =
      MakeWasFindingSource(h_.client, options_, [this] { return now_; });
  auto& script = h_.transport->script;
  script.push_back({200, CountAnswer(1)});
  script.push_back({200, HostPage(Finding(1), false, std::nullopt, 1)});
  // The web app search: the findings' web app (renamed since) and one
  // without findings.
  script.push_back(
      {200, HostPage("<WebApp><id>7</id><name>shop v2</name><url>"
                     "https://shop.example</url></WebApp><WebApp><id>8</id>"
                     "<name>staging</name><url>https://staging.example</url>"
                     "</WebApp>",
                     false, std::nullopt, 2)});
  script.push_back({200, HostPage("", false, std::nullopt, 0)});  // schedules
  ASSERT_TRUE(Poll(*source));
  const std::string text = Text(collector_);
  EXPECT_THAT(text, HasSubstr("qualys_was_webapp_info{webapp_id=\"7\",name="
                              "\"shop v2\",url=\"https://shop.example\"} 1"));
  EXPECT_THAT(text, HasSubstr("qualys_was_webapp_info{webapp_id=\"8\",name="
                              "\"staging\",url=\"https://staging.example\"} 1"));
  EXPECT_EQ(Published("qualys_was_webapp_info"), 2);
  EXPECT_EQ(Published("qualys_was_webapp_scheduled"), 0);  // both known, 0
  EXPECT_THAT(text, HasSubstr("qualys_was_webapp_scheduled{webapp_id=\"8\"} 0"));
}

TEST_F(SourcesTest, ARestartPublishesTheStoredDataBeforeAnyCall) {
  auto& script = h_.transport->script;
  std::string polled;
  {
    auto hosts =
        MakeHostAssetSource(h_.client, options_, [this] { return now_; });
    auto was =
        MakeWasFindingSource(h_.client, options_, [this] { return now_; });
    script.push_back({200, CountAnswer(2)});
    script.push_back(
        {200, HostPage(Host(1) +
                           "<HostAsset><id>2</id><qwebHostId>9001</qwebHostId>"
                           "</HostAsset>",
                       false, std::nullopt, 2)});
    script.push_back({200, Detections(9001)});
    ASSERT_TRUE(Poll(*hosts));
    script.push_back({200, CountAnswer(2)});
    script.push_back({200, HostPage(Finding(1) + Finding(2), false,
                                    std::nullopt, 2)});
    script.push_back({200, HostPage("", false, std::nullopt, 0)});  // apps
    std::string schedules = testing::Fixture("wasscanschedule_page.xml");
    const std::string more = "<hasMoreRecords>true</hasMoreRecords>";
    schedules.replace(schedules.find(more), more.size(),
                      "<hasMoreRecords>false</hasMoreRecords>");
    script.push_back({200, schedules});
    ASSERT_TRUE(Poll(*was));
    ASSERT_TRUE(script.empty());
    polled = Text(collector_);
  }
  EXPECT_EQ(Published("qualys_host_vulnerabilities"), 1);
  EXPECT_GT(Published("qualys_was_scan_schedules"), 0);

  // The next process, the API unreachable: everything the last polls
  // published is back before the first call, with the data's age.
  h_.transport->requests.clear();
  SnapshotCollector restarted;
  testing::RecordingTelemetry telemetry;
  PollContext context(restarted, telemetry, [this] { return now_ + 3600; });
  MakeHostAssetSource(h_.client, options_, [this] { return now_ + 3600; })
      ->Restore(context);
  MakeWasFindingSource(h_.client, options_, [this] { return now_ + 3600; })
      ->Restore(context);
  EXPECT_TRUE(h_.transport->requests.empty());
  EXPECT_EQ(Text(restarted), polled);
  EXPECT_EQ(telemetry.restored,
            (std::map<std::string, double>{{"detection", now_},
                                           {"hostasset", now_},
                                           {"knowledge_base", now_},
                                           {"was_finding", now_},
                                           {"was_scan_schedule", now_}}));
}

TEST_F(SourcesTest, NoStoredStateNothingRestored) {
  SnapshotCollector restarted;
  testing::RecordingTelemetry telemetry;
  PollContext context(restarted, telemetry, [this] { return now_; });
  MakeHostAssetSource(h_.client, options_, [this] { return now_; })
      ->Restore(context);
  MakeWasFindingSource(h_.client, options_, [this] { return now_; })
      ->Restore(context);
  EXPECT_TRUE(restarted.Keys().empty());
  EXPECT_TRUE(telemetry.restored.empty());
  EXPECT_TRUE(h_.transport->requests.empty());
}

}  // namespace
}  // namespace qx
