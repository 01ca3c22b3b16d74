// Host List Detection records: status/type spellings, the open rule and the
// per-host detection key.
#include <algorithm>
#include <cctype>

#include "qx/records/records.h"

namespace qx {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// FNV-1a, 64 bit.
class Fnv64 {
 public:
  void Add(std::string_view s) {
    for (char c : s) Byte(static_cast<unsigned char>(c));
    Byte(0xff);  // separator: ("ab","c") != ("a","bc")
  }
  void Add(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) Byte(static_cast<unsigned char>(v >> (8 * i)));
  }
  std::uint64_t value() const { return h_; }

 private:
  void Byte(unsigned char b) {
    h_ ^= b;
    h_ *= 1099511628211ULL;
  }
  std::uint64_t h_ = 14695981039346656037ULL;
};

}  // namespace

DetectionStatus ParseDetectionStatus(std::string_view text) {
  if (IEquals(text, "New")) return DetectionStatus::kNew;
  if (IEquals(text, "Active")) return DetectionStatus::kActive;
  if (IEquals(text, "Fixed")) return DetectionStatus::kFixed;
  if (IEquals(text, "Re-Opened") || IEquals(text, "Reopened")) {
    return DetectionStatus::kReOpened;
  }
  return DetectionStatus::kUnknown;
}

std::string_view DetectionStatusName(DetectionStatus s) {
  switch (s) {
    case DetectionStatus::kNew:
      return "New";
    case DetectionStatus::kActive:
      return "Active";
    case DetectionStatus::kFixed:
      return "Fixed";
    case DetectionStatus::kReOpened:
      return "Re-Opened";
    case DetectionStatus::kUnknown:
      break;
  }
  return "";
}

DetectionType ParseDetectionType(std::string_view text) {
  if (IEquals(text, "Confirmed")) return DetectionType::kConfirmed;
  if (IEquals(text, "Potential")) return DetectionType::kPotential;
  if (IEquals(text, "Info")) return DetectionType::kInfo;
  return DetectionType::kUnknown;
}

std::string_view DetectionTypeLabel(DetectionType t) {
  switch (t) {
    case DetectionType::kConfirmed:
      return "confirmed";
    case DetectionType::kPotential:
      return "potential";
    case DetectionType::kInfo:
      return "info";
    case DetectionType::kUnknown:
      break;
  }
  return "";
}

bool IsOpenDetection(const HostDetection& d) {
  const bool open_status = d.status == DetectionStatus::kNew ||
                           d.status == DetectionStatus::kActive ||
                           d.status == DetectionStatus::kReOpened;
  return open_status && !d.ignored && !d.disabled;
}

bool CountsAsHostVulnerability(const HostDetection& d) {
  return IsOpenDetection(d) && (d.type == DetectionType::kConfirmed ||
                                d.type == DetectionType::kPotential);
}

std::uint64_t DetectionKey(const HostDetection& d) {
  Fnv64 h;
  h.Add(d.qid);
  h.Add(std::uint64_t{d.port});
  // The API spells protocols in lower case; be indifferent to case anyway.
  std::string protocol(d.protocol);
  for (char& c : protocol) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  h.Add(protocol);
  h.Add(std::uint64_t{d.ssl ? 1u : 0u});
  h.Add(d.fqdn);
  h.Add(d.instance);
  return h.value() == 0 ? 1 : h.value();
}

bool ScheduleTargetsWebApp(const WasScanSchedule& schedule,
                           std::uint64_t webapp_id,
                           std::span<const std::uint64_t> webapp_tag_ids) {
  if (std::find(schedule.webapp_ids.begin(), schedule.webapp_ids.end(),
                webapp_id) != schedule.webapp_ids.end()) {
    return true;
  }
  // Matches the filter: ALL needs every tag, ANY (or absent) at least one.
  auto matches = [&](const ScheduleTagFilter& f) {
    if (f.tag_ids.empty()) return false;
    auto has = [&](std::uint64_t tag) {
      return std::find(webapp_tag_ids.begin(), webapp_tag_ids.end(), tag) !=
             webapp_tag_ids.end();
    };
    if (IEquals(f.option, "ALL")) {
      return std::all_of(f.tag_ids.begin(), f.tag_ids.end(), has);
    }
    return std::any_of(f.tag_ids.begin(), f.tag_ids.end(), has);
  };
  return matches(schedule.included_tags) && !matches(schedule.excluded_tags);
}

bool IsActiveVulnerabilitySchedule(const WasScanSchedule& schedule) {
  return schedule.active && schedule.type == "VULNERABILITY";
}

}  // namespace qx
