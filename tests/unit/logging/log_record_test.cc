// The two line formats on their own: escaping, field splitting, levels,
// timestamps. Lines are checked against exact expected text, and JSON lines
// additionally with a real JSON parser in tests/cli/test_logging.py.
#include "qx/logging/log_record.h"

#include <gtest/gtest.h>

#include <limits>
#include <optional>
#include <sstream>

#include "qx/logging/log_fields.h"

namespace qx::logging {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

LogRecord Record(std::string msg, std::vector<LogRecordField> fields = {}) {
  LogRecord r;
  // 2024-05-01T12:34:56.789Z
  r.time = system_clock::time_point(milliseconds(1714566896789));
  r.level = LogLevel::kInfo;
  r.caller = "poller.cc:27";
  r.msg = std::move(msg);
  r.fields = std::move(fields);
  return r;
}

std::string Streamed(const LogField& f) {
  std::ostringstream out;
  out << f;
  return out.str();
}

TEST(LogTimestamp, Rfc3339UtcMilliseconds) {
  EXPECT_EQ(FormatTimestamp(system_clock::time_point(milliseconds(0))),
            "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(
      FormatTimestamp(system_clock::time_point(milliseconds(1714566896789))),
      "2024-05-01T12:34:56.789Z");
  // Microseconds are cut, not rounded up into the next second.
  EXPECT_EQ(FormatTimestamp(system_clock::time_point(
                std::chrono::microseconds(1714566896999999))),
            "2024-05-01T12:34:56.999Z");
}

TEST(Logfmt, PlainRecord) {
  EXPECT_EQ(FormatLogfmt(Record("poll of hostasset succeeded",
                                {{"source", "hostasset", false},
                                 {"duration_seconds", "1.5", true}})),
            "ts=2024-05-01T12:34:56.789Z level=info caller=poller.cc:27 "
            "msg=\"poll of hostasset succeeded\" source=hostasset "
            "duration_seconds=1.5");
}

TEST(Logfmt, QuotesAndEscapes) {
  auto line = FormatLogfmt(Record(
      "a \"quoted\" word\nsecond line\tend\\",
      {{"empty", "", false}, {"eq", "a=b", false}, {"bell", "x\x07y", false}}));
  EXPECT_EQ(line,
            "ts=2024-05-01T12:34:56.789Z level=info caller=poller.cc:27 "
            "msg=\"a \\\"quoted\\\" word\\nsecond line\\tend\\\\\" "
            "empty=\"\" eq=\"a=b\" bell=\"x\\u0007y\"");
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(Logfmt, KeysAreSanitisedAndReservedOnesRenamed) {
  auto line = FormatLogfmt(Record(
      "m", {{"bad key=x", "1", true}, {"msg", "x", false}, {"", "y", false}}));
  EXPECT_NE(line.find(" bad_key_x=1"), std::string::npos) << line;
  EXPECT_NE(line.find(" _msg=x"), std::string::npos) << line;
  EXPECT_NE(line.find(" _=y"), std::string::npos) << line;
}

TEST(Logfmt, InvalidUtf8BecomesReplacementCharacter) {
  auto line = FormatLogfmt(Record("caf\xC3\xA9 \xFF\xC3"));
  EXPECT_NE(line.find("msg=\"caf\xC3\xA9 \xEF\xBF\xBD\xEF\xBF\xBD\""),
            std::string::npos)
      << line;
  // Valid multi-byte text alone needs no quotes.
  EXPECT_NE(FormatLogfmt(Record("caf\xC3\xA9")).find("msg=caf\xC3\xA9"),
            std::string::npos);
}

TEST(Json, Record) {
  EXPECT_EQ(
      FormatJson(Record("poll \"x\"\nfailed", {{"source", "was_finding", false},
                                               {"records", "1200", true},
                                               {"ok", "false", true}})),
      "{\"ts\":\"2024-05-01T12:34:56.789Z\",\"level\":\"info\","
      "\"caller\":\"poller.cc:27\",\"msg\":\"poll \\\"x\\\"\\nfailed\","
      "\"source\":\"was_finding\",\"records\":1200,\"ok\":false}");
}

TEST(Json, BareValuesThatAreNoJsonNumbersAreQuoted) {
  auto line = FormatJson(Record("m", {{"nan", "nan", true},
                                      {"inf", "inf", true},
                                      {"hex", "0x10", true},
                                      {"exp", "1e+06", true},
                                      {"neg", "-2.5", true}}));
  EXPECT_NE(line.find("\"nan\":\"nan\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"inf\":\"inf\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"hex\":\"0x10\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"exp\":1e+06"), std::string::npos) << line;
  EXPECT_NE(line.find("\"neg\":-2.5"), std::string::npos) << line;
}

TEST(Levels, NamesAndParsing) {
  EXPECT_EQ(LevelName(LogLevel::kWarn), "warn");
  EXPECT_EQ(ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(ParseLogLevel("warning"), LogLevel::kWarn);
  EXPECT_EQ(ParseLogLevel("error"), LogLevel::kError);
  EXPECT_FALSE(ParseLogLevel("fatal"));
  EXPECT_FALSE(ParseLogLevel("INFO"));
  EXPECT_EQ(ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(ParseLogFormat("logfmt"), LogFormat::kLogfmt);
  EXPECT_FALSE(ParseLogFormat("text"));
}

TEST(Fields, KvEncodesTypes) {
  auto parsed = ParseMessage(
      "poll done " + Streamed(kv("source", "hostasset")) +
      Streamed(kv("records", 1200)) + Streamed(kv("ok", true)) +
      Streamed(kv("duration_seconds", std::chrono::milliseconds(1500))) +
      Streamed(kv("ratio", 0.25)) +
      Streamed(kv("nan", std::numeric_limits<double>::quiet_NaN())));
  EXPECT_FALSE(parsed.debug);
  EXPECT_EQ(parsed.msg, "poll done");
  ASSERT_EQ(parsed.fields.size(), 6u);
  EXPECT_EQ(parsed.fields[0].key, "source");
  EXPECT_EQ(parsed.fields[0].value, "hostasset");
  EXPECT_FALSE(parsed.fields[0].bare);
  EXPECT_EQ(parsed.fields[1].value, "1200");
  EXPECT_TRUE(parsed.fields[1].bare);
  EXPECT_EQ(parsed.fields[2].value, "true");
  EXPECT_TRUE(parsed.fields[2].bare);
  EXPECT_EQ(parsed.fields[3].value, "1.5");
  EXPECT_TRUE(parsed.fields[3].bare);
  EXPECT_EQ(parsed.fields[4].value, "0.25");
  EXPECT_FALSE(parsed.fields[5].bare);  // NaN is no JSON number
}

TEST(Fields, EmptyOptionalWritesNoField) {
  std::optional<int> none, some = 7;
  auto parsed =
      ParseMessage("m" + Streamed(kv("a", none)) + Streamed(kv("b", some)));
  ASSERT_EQ(parsed.fields.size(), 1u);
  EXPECT_EQ(parsed.fields[0].key, "b");
  EXPECT_EQ(parsed.fields[0].value, "7");
}

TEST(Fields, ValuesCannotForgeFields) {
  std::string forged =
      std::string("x") + kFieldMark + "level" + kStringMark + "error";
  auto parsed = ParseMessage("m" + Streamed(kv("v", forged)));
  ASSERT_EQ(parsed.fields.size(), 1u);
  EXPECT_EQ(parsed.fields[0].value, "x?level?error");
}

TEST(Fields, DebugMarkAndTextWithoutFields) {
  auto parsed = ParseMessage(std::string(1, kDebugMark) + "page fetched  ");
  EXPECT_TRUE(parsed.debug);
  EXPECT_EQ(parsed.msg, "page fetched");
  EXPECT_TRUE(parsed.fields.empty());
}

}  // namespace
}  // namespace qx::logging
