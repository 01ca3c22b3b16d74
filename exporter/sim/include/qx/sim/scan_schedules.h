// WAS scan schedules (/qps/rest/3.0/search/was/wasscanschedule) and the web
// application list with tags (/qps/rest/3.0/search/was/webapp). The web apps
// are those of the WAS findings plus a few without findings; the schedules
// cover every type, activity, occurrence type, target kind (one web app,
// several, included/excluded tags, a deleted web app) and mail option. One
// schedule changes per epoch (its activity flips for that epoch).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "qx/sim/time_util.h"
#include "qx/sim/was_findings.h"

namespace qx::sim {

struct ScheduleWebApp {
  std::uint64_t id = 0;
  std::string name;
  std::string url;
  std::vector<std::pair<std::uint64_t, std::string>> tags;
  bool has_findings = true;
  Seconds created = 0;
};

struct ScheduleRec {
  std::uint64_t id = 0;
  std::string name;
  std::string_view type;  // VULNERABILITY, DISCOVERY
  bool active = false;
  std::string_view occurrence;  // ONCE, DAILY, WEEKLY, MONTHLY
  Seconds start = 0;
  std::string_view tz_code;
  std::string_view tz_offset;
  std::vector<std::uint64_t> webapp_ids;  // direct targets
  bool multi = false;               // target/webApps (several) vs target/webApp
  bool list_spelling = false;       // <list> instead of <set> in the target
  std::string_view include_option;  // "" = element absent
  std::vector<std::uint64_t> include_tags;
  std::string_view exclude_option;
  std::vector<std::uint64_t> exclude_tags;
  bool send_mail = true;
  std::string_view from_option;  // "" = element absent (QUALYS_SUPPORT)
  bool invalid = false;          // its web app was deleted
  Seconds created = 0;
  Seconds updated = 0;
  unsigned launched_count = 0;
  unsigned every_n = 1;  // everyNDays/Weeks/Months
};

class ScheduleModel {
 public:
  // webapps: the WAS dataset's (with findings); `extra_webapps` more are
  // added without findings.
  ScheduleModel(std::uint64_t seed, const std::vector<WasWebApp>& webapps,
                Seconds time_base, std::size_t schedules,
                std::size_t extra_webapps);

  // Ascending id.
  const std::vector<ScheduleWebApp>& webapps() const { return webapps_; }
  std::size_t size() const { return base_.size(); }
  // Ascending id, as of the last epoch in epoch_times.
  std::vector<ScheduleRec> Schedules(
      std::span<const Seconds> epoch_times) const;

  // Whether the schedule scans the web app (direct, or through its tags:
  // included option ALL = every tag, ANY/absent = one; excluded likewise).
  static bool Targets(const ScheduleRec& s, const ScheduleWebApp& app);
  // nextLaunchDate the API reports: none when inactive, or a ONCE schedule
  // whose start has passed.
  static std::optional<Seconds> NextLaunch(const ScheduleRec& s, Seconds now);

 private:
  std::vector<ScheduleWebApp> webapps_;
  std::vector<ScheduleRec> base_;  // epoch 0
};

}  // namespace qx::sim
