#include "qx/logging/log_sink.h"

#include <unistd.h>

#include <cerrno>
#include <string>

namespace qx::logging {
namespace {

LogLevel LevelOf(google::LogSeverity severity, bool debug) {
  switch (severity) {
    case google::GLOG_INFO:
      return debug ? LogLevel::kDebug : LogLevel::kInfo;
    case google::GLOG_WARNING:
      return LogLevel::kWarn;
    case google::GLOG_ERROR:
      return LogLevel::kError;
    default:
      return LogLevel::kFatal;
  }
}

}  // namespace

void WriteLineToStderr(std::string_view line) {
  std::string buf;
  buf.reserve(line.size() + 1);
  buf.append(line);
  buf += '\n';
  std::string_view rest = buf;
  while (!rest.empty()) {
    ssize_t n = ::write(STDERR_FILENO, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere left to report it
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

StructuredLogSink::StructuredLogSink(LogFormat format, LineWriter writer)
    : format_(format), writer_(std::move(writer)) {}

void StructuredLogSink::send(google::LogSeverity severity,
                             const char* /*full_filename*/,
                             const char* base_filename, int line,
                             const google::LogMessageTime& time,
                             const char* message, std::size_t message_len) {
  ParsedMessage parsed = ParseMessage(std::string_view(message, message_len));
  LogRecord record;
  record.time = std::chrono::system_clock::from_time_t(time.timestamp()) +
                std::chrono::microseconds(time.usec());
  record.level = LevelOf(severity, parsed.debug);
  record.caller = std::string(base_filename) + ":" + std::to_string(line);
  record.msg = std::move(parsed.msg);
  record.fields = std::move(parsed.fields);
  writer_(FormatRecord(record, format_));
}

void ApplyLogLevel(LogLevel level) {
  FLAGS_v = level == LogLevel::kDebug ? 1 : 0;
  switch (level) {
    case LogLevel::kDebug:
    case LogLevel::kInfo:
      FLAGS_minloglevel = google::GLOG_INFO;
      break;
    case LogLevel::kWarn:
      FLAGS_minloglevel = google::GLOG_WARNING;
      break;
    case LogLevel::kError:
    case LogLevel::kFatal:
      FLAGS_minloglevel = google::GLOG_ERROR;
      break;
  }
}

StructuredLogging::StructuredLogging(const char* argv0,
                                     const LogOptions& options,
                                     LineWriter writer)
    : sink_(options.format, std::move(writer)) {
  FLAGS_logtostderr = false;
  FLAGS_alsologtostderr = false;
  FLAGS_stderrthreshold = google::NUM_SEVERITIES;  // never glog's own format
  if (!google::IsGoogleLoggingInitialized()) {
    google::InitGoogleLogging(argv0);
  }
  // An empty base name means no log file for that severity.
  for (int s = 0; s < google::NUM_SEVERITIES; ++s) {
    google::SetLogDestination(s, "");
  }
  ApplyLogLevel(options.level);
  google::AddLogSink(&sink_);
}

StructuredLogging::~StructuredLogging() { google::RemoveLogSink(&sink_); }

}  // namespace qx::logging
