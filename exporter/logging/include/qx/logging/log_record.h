// One log record and its two line formats, logfmt and JSON. Independent of
// glog, so the formats are tested on their own (tests/unit/logging).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qx::logging {

enum class LogLevel { kDebug, kInfo, kWarn, kError, kFatal };
enum class LogFormat { kLogfmt, kJson };

// "debug", "info", "warn", "error" (and "fatal", which only glog's FATAL and
// CHECK produce); ParseLogLevel takes the first four, plus "warning".
std::string_view LevelName(LogLevel level);
std::optional<LogLevel> ParseLogLevel(std::string_view text);
std::optional<LogFormat> ParseLogFormat(std::string_view text);

struct LogRecordField {
  std::string key;
  std::string value;
  bool bare = false;  // a JSON number or bool, written without quotes
};

struct LogRecord {
  std::chrono::system_clock::time_point time;
  LogLevel level = LogLevel::kInfo;
  std::string caller;  // file.cc:123
  std::string msg;
  std::vector<LogRecordField> fields;
};

// Splits a glog message built with qx::kv() (log_fields.h) into the message
// text and its fields, and tells whether it carries the debug mark.
struct ParsedMessage {
  std::string msg;
  std::vector<LogRecordField> fields;
  bool debug = false;
};
ParsedMessage ParseMessage(std::string_view text);

// One line, without the trailing newline. Every control character is
// escaped, so a record never spans lines; invalid UTF-8 becomes U+FFFD.
std::string FormatLogfmt(const LogRecord& record);
std::string FormatJson(const LogRecord& record);
std::string FormatRecord(const LogRecord& record, LogFormat format);

// RFC 3339 in UTC with milliseconds: 2024-05-01T12:34:56.789Z.
std::string FormatTimestamp(std::chrono::system_clock::time_point t);

}  // namespace qx::logging
