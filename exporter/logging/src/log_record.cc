#include "qx/logging/log_record.h"

#include <array>
#include <cstdio>
#include <ctime>

#include "qx/logging/log_fields.h"

namespace qx::logging {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence at s[i], or 0 if it is not valid
// (overlong forms, surrogates and code points above U+10FFFF included).
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

// Appends s, quoted and escaped as a logfmt or JSON string.
void AppendQuoted(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    if (n > 1) {
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          std::array<char, 8> buf;
          std::snprintf(buf.data(), buf.size(), "\\u%04x", c);
          out += buf.data();
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

bool LogfmtNeedsQuotes(std::string_view s) {
  if (s.empty()) return true;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c <= ' ' || c == '=' || c == '"' || c == '\\' || c == 0x7F) {
      return true;
    }
    if (c >= 0x80) {
      std::size_t n = Utf8SequenceLength(s, i);
      if (n == 0) return true;
      i += n - 1;
    }
  }
  return false;
}

void AppendLogfmtValue(std::string& out, std::string_view s) {
  if (LogfmtNeedsQuotes(s)) {
    AppendQuoted(out, s);
  } else {
    out.append(s);
  }
}

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

// A key both formats print without quoting; the record's own keys are
// reserved.
std::string SafeKey(std::string_view key) {
  const bool reserved = key.empty() || key == "ts" || key == "level" ||
                        key == "caller" || key == "msg";
  std::string out = reserved ? "_" : "";
  for (char c : key) out.push_back(IsKeyChar(c) ? c : '_');
  return out;
}

// A JSON number or literal as kv() writes them; anything else is quoted.
bool IsJsonBare(std::string_view s) {
  if (s == "true" || s == "false") return true;
  std::size_t i = 0;
  auto digits = [&] {
    std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (!digits()) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

std::string Trimmed(std::string_view s) {
  auto begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return "";
  auto end = s.find_last_not_of(" \t\n");
  return std::string(s.substr(begin, end - begin + 1));
}

}  // namespace

std::string WithoutMarks(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == kFieldMark || c == kStringMark || c == kNumberMark ||
        c == kDebugMark) {
      c = '?';
    }
  }
  return out;
}

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
    case LogLevel::kFatal:
      return "fatal";
  }
  return "info";
}

std::optional<LogLevel> ParseLogLevel(std::string_view text) {
  if (text == "debug") return LogLevel::kDebug;
  if (text == "info") return LogLevel::kInfo;
  if (text == "warn" || text == "warning") return LogLevel::kWarn;
  if (text == "error") return LogLevel::kError;
  return std::nullopt;
}

std::optional<LogFormat> ParseLogFormat(std::string_view text) {
  if (text == "logfmt") return LogFormat::kLogfmt;
  if (text == "json") return LogFormat::kJson;
  return std::nullopt;
}

ParsedMessage ParseMessage(std::string_view text) {
  ParsedMessage out;
  if (!text.empty() && text.front() == kDebugMark) {
    out.debug = true;
    text.remove_prefix(1);
  }
  std::size_t mark = text.find(kFieldMark);
  out.msg = Trimmed(text.substr(0, mark));
  while (mark != std::string_view::npos) {
    std::size_t next = text.find(kFieldMark, mark + 1);
    std::string_view field = text.substr(
        mark + 1, next == std::string_view::npos ? next : next - mark - 1);
    constexpr char kSeparators[] = {kStringMark, kNumberMark, '\0'};
    std::size_t sep = field.find_first_of(kSeparators);
    LogRecordField f;
    if (sep == std::string_view::npos) {  // not written by kv(): keep it
      f.key = "field";
      f.value = std::string(field);
    } else {
      f.key = std::string(field.substr(0, sep));
      f.value = std::string(field.substr(sep + 1));
      f.bare = field[sep] == kNumberMark;
    }
    out.fields.push_back(std::move(f));
    mark = next;
  }
  return out;
}

std::string FormatTimestamp(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                t.time_since_epoch())
                .count();
  auto secs = static_cast<std::time_t>(ms / 1000);
  auto millis = static_cast<int>(ms % 1000);
  if (millis < 0) {  // before 1970
    millis += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 80> buf;  // room for any int, to satisfy -Wformat
  std::snprintf(buf.data(), buf.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, millis);
  return buf.data();
}

std::string FormatLogfmt(const LogRecord& r) {
  std::string out = "ts=" + FormatTimestamp(r.time);
  out += " level=";
  out += LevelName(r.level);
  out += " caller=";
  AppendLogfmtValue(out, r.caller);
  out += " msg=";
  AppendLogfmtValue(out, r.msg);
  for (const auto& f : r.fields) {
    out += ' ';
    out += SafeKey(f.key);
    out += '=';
    AppendLogfmtValue(out, f.value);
  }
  return out;
}

std::string FormatJson(const LogRecord& r) {
  std::string out = "{\"ts\":\"" + FormatTimestamp(r.time) + "\",\"level\":\"";
  out += LevelName(r.level);
  out += "\",\"caller\":";
  AppendQuoted(out, r.caller);
  out += ",\"msg\":";
  AppendQuoted(out, r.msg);
  for (const auto& f : r.fields) {
    out += ",\"" + SafeKey(f.key) + "\":";
    if (f.bare && IsJsonBare(f.value)) {
      out += f.value;
    } else {
      AppendQuoted(out, f.value);
    }
  }
  out += '}';
  return out;
}

std::string FormatRecord(const LogRecord& record, LogFormat format) {
  return format == LogFormat::kJson ? FormatJson(record) : FormatLogfmt(record);
}

}  // namespace qx::logging
