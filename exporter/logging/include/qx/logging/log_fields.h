// Structured fields on glog lines. A field is streamed after the message:
//
//   LOG(INFO) << "poll succeeded" << qx::kv("source", name)
//             << qx::kv("duration_seconds", seconds);
//   QX_LOG_DEBUG << "page fetched" << qx::kv("page", n);
//
// kv() writes the field into the glog message with ASCII control characters
// as delimiters; qx::logging::StructuredLogSink (log_sink.h) splits them off
// again and prints them as logfmt or JSON fields. Put fields last: text
// streamed after a field becomes part of that field's value. Numbers and
// bools stay bare in JSON; everything else is a string. Keys are
// [A-Za-z0-9_.-] (anything else becomes '_'); ts, level, caller and msg are
// taken by the record itself.
#pragma once

#include <glog/logging.h>

#include <chrono>
#include <cmath>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>

namespace qx {
namespace logging {

// Delimiters inside a glog message. Control characters that never occur in
// the text the exporter logs (XML 1.0 forbids them); kv() replaces them in
// values so a value cannot forge a field.
inline constexpr char kFieldMark = '\x1f';   // starts a field: key follows
inline constexpr char kStringMark = '\x1e';  // ends the key, string value
inline constexpr char kNumberMark = '\x1d';  // ends the key, bare value
inline constexpr char kDebugMark = '\x1c';   // first byte of a debug record

// Replaces the delimiter characters in text (by '?').
std::string WithoutMarks(std::string_view text);

}  // namespace logging

class LogField {
 public:
  LogField(std::string_view key, std::string value, bool bare)
      : key_(key), value_(std::move(value)), bare_(bare) {}
  static LogField Absent() { return LogField(); }

  friend std::ostream& operator<<(std::ostream& os, const LogField& f) {
    if (f.absent_) return os;
    return os << logging::kFieldMark << f.key_
              << (f.bare_ ? logging::kNumberMark : logging::kStringMark)
              << f.value_;
  }

 private:
  LogField() : bare_(false), absent_(true) {}

  std::string key_;
  std::string value_;
  bool bare_;
  bool absent_ = false;
};

// A structured field: kv("source", "hostasset"), kv("records", 1200),
// kv("duration_seconds", 1.5), kv("ok", true), or a std::chrono duration
// (written in seconds). An empty std::optional writes no field at all.
// Other types are streamed with operator<<.
template <typename T>
LogField kv(std::string_view key, const T& value) {
  if constexpr (requires {
                  value.has_value();
                  *value;
                }) {
    return value.has_value() ? kv(key, *value) : LogField::Absent();
  } else if constexpr (std::is_same_v<T, bool>) {
    return LogField(key, value ? "true" : "false", true);
  } else if constexpr (std::is_integral_v<T>) {
    return LogField(key, std::to_string(value), true);
  } else if constexpr (std::is_floating_point_v<T>) {
    std::ostringstream out;
    out << value;
    // NaN and infinities are no JSON numbers.
    return LogField(key, out.str(), std::isfinite(value));
  } else if constexpr (requires {
                         value.count();
                         typename T::period;
                       }) {
    return kv(key, std::chrono::duration<double>(value).count());
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    return LogField(key, logging::WithoutMarks(std::string_view(value)), false);
  } else {
    std::ostringstream out;
    out << value;
    return LogField(key, logging::WithoutMarks(out.str()), false);
  }
}

}  // namespace qx

// A debug record: logged only with --log.level=debug (glog has no debug
// severity; this is VLOG(1) marked so the sink prints level=debug).
#define QX_LOG_DEBUG VLOG(1) << ::qx::logging::kDebugMark
