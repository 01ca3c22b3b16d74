// Poller and PollContext: single flight, the last good snapshot kept when a
// poll fails, outcomes stamped by the injected clock, every name reported.
#include "qx/poller/poller.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "published.h"
#include "recording_telemetry.h"

namespace qx {
namespace {

prometheus::MetricFamily Family(const std::string& name, double value) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = "test";
  f.type = prometheus::MetricType::Gauge;
  prometheus::ClientMetric m;
  m.gauge.value = value;
  f.metric.push_back(m);
  return f;
}

// Publishes "test_value" = poll number; fails the polls listed in fail.
class CountingSource : public Source {
 public:
  std::vector<std::string> names() const override { return {"counting"}; }
  void Poll(PollContext& context) override {
    const int n = ++polls;
    const int now_in = ++in_flight;
    max_in_flight = std::max(max_in_flight.load(), now_in);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    context.Step("counting", [&] {
      if (n == fail_poll) throw std::runtime_error("API said no");
      context.Publish("counting", {Family("test_value", n)});
    });
    --in_flight;
  }

  std::atomic<int> polls{0};
  std::atomic<int> in_flight{0};
  std::atomic<int> max_in_flight{0};
  int fail_poll = -1;
};

// Reports only one of its two names, then throws.
class ForgetfulSource : public Source {
 public:
  std::vector<std::string> names() const override { return {"a", "b"}; }
  void Poll(PollContext& context) override {
    context.Step("a", [] {});
    throw std::runtime_error("lost the thread");
  }
};

double ValueOf(const SnapshotCollector& c, const std::string& name) {
  return testing::PublishedSum(c, name);
}

TEST(Poller, KeepsTheLastGoodSnapshotWhenAPollFails) {
  auto source = std::make_unique<CountingSource>();
  source->fail_poll = 2;
  CountingSource* s = source.get();
  std::vector<std::unique_ptr<Source>> sources;
  sources.push_back(std::move(source));
  SnapshotCollector collector;
  testing::RecordingTelemetry telemetry;
  double now = 1000;
  Poller poller(std::move(sources), collector, telemetry, [&] { return now; });
  EXPECT_EQ(telemetry.sources, std::set<std::string>{"counting"});

  EXPECT_TRUE(poller.PollOnce());
  EXPECT_EQ(ValueOf(collector, "test_value"), 1);
  now = 2000;
  EXPECT_FALSE(poller.PollOnce());
  EXPECT_EQ(ValueOf(collector, "test_value"), 1);  // poll 1's numbers stay
  ASSERT_EQ(telemetry.outcomes.size(), 2u);
  EXPECT_FALSE(telemetry.outcomes[1].ok);
  EXPECT_EQ(telemetry.outcomes[1].error, "API said no");
  // Outcomes are stamped by the injected clock, never the system clock.
  EXPECT_EQ(telemetry.outcomes[0].finished_at, 1000);
  EXPECT_EQ(telemetry.outcomes[1].finished_at, 2000);
  now = 3000;
  EXPECT_TRUE(poller.PollOnce());
  EXPECT_EQ(ValueOf(collector, "test_value"), 3);
  EXPECT_EQ(s->polls, 3);
}

TEST(Poller, NeverRunsTwoPollsAtOnce) {
  auto source = std::make_unique<CountingSource>();
  CountingSource* s = source.get();
  std::vector<std::unique_ptr<Source>> sources;
  sources.push_back(std::move(source));
  SnapshotCollector collector;
  testing::RecordingTelemetry telemetry;
  Poller poller(std::move(sources), collector, telemetry);
  std::vector<std::thread> callers;
  for (int i = 0; i < 4; ++i) callers.emplace_back([&] { poller.PollOnce(); });
  for (auto& t : callers) t.join();
  EXPECT_EQ(s->polls, 4);
  EXPECT_EQ(s->max_in_flight, 1);
}

TEST(Poller, ANameTheSourceDidNotReportFailsWithItsError) {
  std::vector<std::unique_ptr<Source>> sources;
  sources.push_back(std::make_unique<ForgetfulSource>());
  SnapshotCollector collector;
  testing::RecordingTelemetry telemetry;
  Poller poller(std::move(sources), collector, telemetry, [] { return 5.0; });
  EXPECT_FALSE(poller.PollOnce());
  ASSERT_EQ(telemetry.outcomes.size(), 2u);
  EXPECT_TRUE(telemetry.outcomes[0].ok);
  EXPECT_EQ(telemetry.outcomes[1].source, "b");
  EXPECT_FALSE(telemetry.outcomes[1].ok);
  EXPECT_EQ(telemetry.outcomes[1].error, "lost the thread");
}

// Publishes "restored_value" from its "state" on Restore; polls fail.
class StatefulSource : public Source {
 public:
  explicit StatefulSource(bool throws) : throws_(throws) {}
  std::vector<std::string> names() const override { return {"stateful"}; }
  void Restore(PollContext& context) override {
    if (throws_) throw std::runtime_error("state unreadable");
    context.Publish("stateful", {Family("restored_value", 42)});
    context.Restored("stateful", 900);
  }
  void Poll(PollContext& context) override {
    ++polls;
    context.Step("stateful", [] { throw std::runtime_error("API down"); });
  }
  std::atomic<int> polls{0};

 private:
  bool throws_;
};

TEST(Poller, StartPublishesTheStoredStateBeforeTheFirstPoll) {
  std::vector<std::unique_ptr<Source>> sources;
  sources.push_back(std::make_unique<StatefulSource>(/*throws=*/true));
  auto stateful = std::make_unique<StatefulSource>(/*throws=*/false);
  StatefulSource* s = stateful.get();
  sources.push_back(std::move(stateful));
  SnapshotCollector collector;
  testing::RecordingTelemetry telemetry;
  Poller poller(std::move(sources), collector, telemetry, [] { return 1000.0; });
  poller.Start(std::chrono::hours(1));
  for (int i = 0; i < 500 && s->polls < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  poller.Stop();
  // One source's unreadable state does not keep the other's from being
  // published, and a failed poll keeps what the state gave.
  EXPECT_EQ(ValueOf(collector, "restored_value"), 42);
  EXPECT_EQ(telemetry.restored, (std::map<std::string, double>{{"stateful", 900}}));
  EXPECT_EQ(s->polls, 1);
  EXPECT_FALSE(telemetry.outcomes.back().ok);
}

TEST(Poller, PollOnceDoesNotRestore) {
  std::vector<std::unique_ptr<Source>> sources;
  sources.push_back(std::make_unique<StatefulSource>(/*throws=*/false));
  SnapshotCollector collector;
  testing::RecordingTelemetry telemetry;
  Poller poller(std::move(sources), collector, telemetry, [] { return 1000.0; });
  EXPECT_FALSE(poller.PollOnce());
  EXPECT_TRUE(collector.Keys().empty());  // --once prints only its own poll
  EXPECT_TRUE(telemetry.restored.empty());
}

TEST(Poller, StartPollsInTheBackgroundUntilStopped) {
  auto source = std::make_unique<CountingSource>();
  CountingSource* s = source.get();
  std::vector<std::unique_ptr<Source>> sources;
  sources.push_back(std::move(source));
  SnapshotCollector collector;
  testing::RecordingTelemetry telemetry;
  Poller poller(std::move(sources), collector, telemetry);
  poller.Start(std::chrono::milliseconds(10));
  for (int i = 0; i < 500 && s->polls < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  poller.Stop();
  const int polls = s->polls;
  EXPECT_GE(polls, 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(s->polls, polls);  // stopped means stopped
}

}  // namespace
}  // namespace qx
