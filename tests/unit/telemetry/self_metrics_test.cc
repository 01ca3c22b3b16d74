// SelfMetrics: what the telemetry interface turns into qualys_exporter_*.
#include "qx/telemetry/self_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

namespace qx {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Text(const SelfMetrics& m) {
  return prometheus::TextSerializer().Serialize(m.registry()->Collect());
}

PollOutcome Outcome(std::string source, bool ok, double at) {
  PollOutcome o;
  o.source = std::move(source);
  o.ok = ok;
  o.duration_seconds = 1.5;
  o.finished_at = at;
  return o;
}

TEST(SelfMetrics, UpIsOneOnlyWhenEverySourceSucceeded) {
  SelfMetrics m("1.2.3", "abc");
  m.SourceAdded("hostasset");
  m.SourceAdded("was_finding");
  EXPECT_THAT(Text(m), HasSubstr("\nqualys_up 0\n"));
  EXPECT_THAT(Text(m),
              HasSubstr("qualys_exporter_source_up{source=\"hostasset\"} 0"));
  m.PollFinished(Outcome("hostasset", true, 1700000000));
  EXPECT_THAT(Text(m), HasSubstr("\nqualys_up 0\n"));
  m.PollFinished(Outcome("was_finding", true, 1700000001));
  const std::string text = Text(m);
  EXPECT_THAT(text, HasSubstr("\nqualys_up 1\n"));
  EXPECT_THAT(text, HasSubstr("qualys_exporter_last_poll_success_timestamp_"
                              "seconds{source=\"hostasset\"} 1700000000"));
  EXPECT_THAT(text, HasSubstr("qualys_exporter_build_info{revision=\"abc\","
                              "version=\"1.2.3\"} 1"));
  // A failure keeps the last success time and takes up down.
  m.PollFinished(Outcome("hostasset", false, 1700000100));
  EXPECT_THAT(Text(m), HasSubstr("\nqualys_up 0\n"));
  EXPECT_THAT(Text(m), HasSubstr("seconds{source=\"hostasset\"} 1700000000"));
}

TEST(SelfMetrics, RestoredDataIsPublishedWithItsAgeButTheSourceIsNotUp) {
  SelfMetrics m("v", "r");
  m.SourceAdded("hostasset");
  m.Restored("hostasset", 1700000000);
  const std::string text = Text(m);
  // Its age comes from the state (QualysDataStale sees an old restore) ...
  EXPECT_THAT(text, HasSubstr("qualys_exporter_last_poll_success_timestamp_"
                              "seconds{source=\"hostasset\"} 1700000000"));
  // ... but no poll of this process has succeeded yet.
  EXPECT_THAT(text,
              HasSubstr("qualys_exporter_source_up{source=\"hostasset\"} 0"));
  EXPECT_THAT(text, HasSubstr("\nqualys_up 0\n"));
  ASSERT_EQ(m.Sources().size(), 1u);
  EXPECT_EQ(m.Sources()[0].last_success_unix, 1700000000);  // published
  EXPECT_FALSE(m.Sources()[0].polled);
  // A poll that already succeeded is newer than any restore.
  m.PollFinished(Outcome("hostasset", true, 1700000500));
  m.Restored("hostasset", 1700000000);
  EXPECT_THAT(Text(m), HasSubstr("seconds{source=\"hostasset\"} 1700000500"));
}

TEST(SelfMetrics, RateLimitsCarryTheirApiFamily) {
  SelfMetrics m("v", "r");
  RateLimitInfo v2;
  v2.remaining = 15;
  v2.limit = 300;
  m.ApiRateLimit("api_v2", v2);
  const std::string text = Text(m);
  EXPECT_THAT(text, HasSubstr("qualys_exporter_api_rate_limit_remaining{api="
                              "\"api_v2\"} 15"));
  EXPECT_THAT(text, HasSubstr("qualys_exporter_api_rate_limit{api=\"api_v2\"} "
                              "300"));
  EXPECT_THAT(text, Not(HasSubstr("api=\"qps\"")));
}

TEST(SelfMetrics, CountersProgressRefusalsAndIntervals) {
  SelfMetrics m("v", "r");
  m.SourceAdded("was_finding");
  m.ApiRequest("was_finding", "200");
  m.ApiRequest("was_finding", "200");
  m.ApiRequest("was_finding", "error");
  m.RecordsFetched("was_finding", 40);
  m.RecordsFetched("was_finding", 2);
  m.SyncProgress("was_finding", 42, 100);
  m.CriterionRefused("was_finding", "updatedDate");
  m.SetPollIntervals(1800, 86400);
  const std::string text = Text(m);
  EXPECT_THAT(text, HasSubstr("qualys_exporter_api_requests_total{code=\"200\","
                              "endpoint=\"was_finding\"} 2"));
  EXPECT_THAT(text, HasSubstr("qualys_exporter_api_requests_total{code="
                              "\"error\",endpoint=\"was_finding\"} 1"));
  EXPECT_THAT(text, HasSubstr("qualys_exporter_records_fetched_total{source="
                              "\"was_finding\"} 42"));
  EXPECT_THAT(text, HasSubstr("qualys_exporter_sync_records{source="
                              "\"was_finding\"} 42"));
  EXPECT_THAT(text, HasSubstr("qualys_exporter_sync_expected_records{source="
                              "\"was_finding\"} 100"));
  EXPECT_THAT(text, HasSubstr("qualys_exporter_sync_criterion_refused{field="
                              "\"updatedDate\",source=\"was_finding\"} 1"));
  EXPECT_THAT(text, HasSubstr("qualys_exporter_poll_interval_seconds 1800"));
  EXPECT_THAT(text,
              HasSubstr("qualys_exporter_full_resync_interval_seconds 86400"));
}

}  // namespace
}  // namespace qx
