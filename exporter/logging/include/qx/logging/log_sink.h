// glog stays the logging library; this sink prints its records as logfmt or
// JSON lines (log_record.h) on stderr, one line per record, and replaces
// glog's own stderr and file output.
#pragma once

#include <glog/logging.h>

#include <functional>
#include <string_view>

#include "qx/logging/log_record.h"

namespace qx::logging {

// Receives one formatted line (without the newline) per record.
using LineWriter = std::function<void(std::string_view line)>;

// Writes line + '\n' to stderr in one write(2), so concurrent records never
// interleave within a line.
void WriteLineToStderr(std::string_view line);

class StructuredLogSink : public google::LogSink {
 public:
  StructuredLogSink(LogFormat format, LineWriter writer);

  void send(google::LogSeverity severity, const char* full_filename,
            const char* base_filename, int line,
            const google::LogMessageTime& time, const char* message,
            std::size_t message_len) override;

 private:
  LogFormat format_;
  LineWriter writer_;
};

struct LogOptions {
  LogLevel level = LogLevel::kInfo;
  LogFormat format = LogFormat::kLogfmt;
};

// Sets glog's thresholds for level: debug turns on QX_LOG_DEBUG (VLOG(1)),
// warn and error raise FLAGS_minloglevel.
void ApplyLogLevel(LogLevel level);

// For the life of the object, every glog record goes through a
// StructuredLogSink to writer (stderr by default) and nowhere else: no
// glog-format stderr lines, no log files (the root filesystem may be
// read-only). Initialises glog if that has not happened yet. One at a time.
class StructuredLogging {
 public:
  StructuredLogging(const char* argv0, const LogOptions& options,
                    LineWriter writer = WriteLineToStderr);
  ~StructuredLogging();
  StructuredLogging(const StructuredLogging&) = delete;
  StructuredLogging& operator=(const StructuredLogging&) = delete;

 private:
  StructuredLogSink sink_;
};

}  // namespace qx::logging
