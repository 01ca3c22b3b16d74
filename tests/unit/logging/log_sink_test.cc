// The glog sink with real glog records: levels, thresholds, the caller, and
// that glog itself prints nothing else.
#include "qx/logging/log_sink.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "qx/logging/log_fields.h"

namespace qx::logging {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

class Lines {
 public:
  LineWriter writer() {
    return [this](std::string_view line) {
      std::lock_guard<std::mutex> lock(mu_);
      lines_.emplace_back(line);
    };
  }
  std::vector<std::string> get() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

TEST(StructuredLogging, LogfmtLinesWithFieldsAndCaller) {
  Lines lines;
  // glog's own output (stderr, files) is off: only the sink prints.
  ::testing::internal::CaptureStderr();
  {
    StructuredLogging logging("log_sink_test", {}, lines.writer());
    LOG(INFO) << "poll of "
              << "hostasset"
              << " succeeded" << kv("source", "hostasset")
              << kv("duration_seconds", 0.5);
    LOG(WARNING) << "two\nlines";
    LOG(ERROR) << "failed" << kv("error", "HTTP 503 \"busy\"");
  }
  LOG(INFO) << "after the sink is gone";
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  auto got = lines.get();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_THAT(got[0], MatchesRegex(
                          "ts=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{3}Z "
                          "level=info caller=log_sink_test\\.cc:[0-9]+ "
                          "msg=\"poll of hostasset succeeded\" "
                          "source=hostasset duration_seconds=0\\.5"));
  EXPECT_THAT(got[1], HasSubstr(" level=warn "));
  EXPECT_THAT(got[1], HasSubstr(" msg=\"two\\nlines\""));
  EXPECT_THAT(got[2], HasSubstr(" level=error "));
  EXPECT_THAT(got[2], HasSubstr(" error=\"HTTP 503 \\\"busy\\\"\""));
}

TEST(StructuredLogging, JsonLines) {
  Lines lines;
  {
    StructuredLogging logging(
        "log_sink_test", {LogLevel::kInfo, LogFormat::kJson}, lines.writer());
    LOG(INFO) << "records" << kv("records", 42);
  }
  auto got = lines.get();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_THAT(got[0], StartsWith("{\"ts\":\""));
  EXPECT_THAT(got[0], HasSubstr("\"level\":\"info\""));
  EXPECT_THAT(got[0], HasSubstr("\"msg\":\"records\",\"records\":42}"));
}

TEST(StructuredLogging, LevelThresholds) {
  struct Case {
    LogLevel level;
    std::vector<std::string> want;
  };
  for (const auto& c : std::vector<Case>{
           {LogLevel::kDebug, {"debug", "info", "warn", "error"}},
           {LogLevel::kInfo, {"info", "warn", "error"}},
           {LogLevel::kWarn, {"warn", "error"}},
           {LogLevel::kError, {"error"}},
       }) {
    Lines lines;
    {
      StructuredLogging logging("log_sink_test", {c.level, LogFormat::kLogfmt},
                                lines.writer());
      QX_LOG_DEBUG << "d";
      LOG(INFO) << "i";
      LOG(WARNING) << "w";
      LOG(ERROR) << "e";
    }
    std::vector<std::string> levels;
    for (const auto& l : lines.get()) {
      auto at = l.find(" level=") + 7;
      levels.push_back(l.substr(at, l.find(' ', at) - at));
    }
    EXPECT_EQ(levels, c.want) << LevelName(c.level);
  }
  ApplyLogLevel(LogLevel::kInfo);
}

TEST(StructuredLogging, ConcurrentRecordsStayWhole) {
  Lines lines;
  {
    StructuredLogging logging("log_sink_test", {}, lines.writer());
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([t] {
        for (int i = 0; i < 200; ++i) {
          LOG(INFO) << "record" << kv("thread", t) << kv("i", i);
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  auto got = lines.get();
  ASSERT_EQ(got.size(), 800u);
  for (const auto& l : got) {
    EXPECT_THAT(l, MatchesRegex(".* msg=record thread=[0-3] i=[0-9]+"));
  }
}

}  // namespace
}  // namespace qx::logging
