#include "qx/sim/scan_schedules.h"

#include <algorithm>
#include <set>

#include "qx/sim/rng.h"

namespace qx::sim {
namespace {

constexpr std::uint64_t kScheduleIdBase = 714'393;
constexpr std::uint64_t kDeletedWebApp = 4'830'580;  // no such web app
constexpr std::uint64_t kSandboxTag = 68'447'639 + 4 * 911;

constexpr std::string_view kTypes[] = {"VULNERABILITY", "DISCOVERY"};
constexpr std::string_view kOccurrences[] = {"ONCE", "DAILY", "WEEKLY",
                                             "MONTHLY"};
constexpr std::pair<std::string_view, std::string_view> kZones[] = {
    {"America/Vancouver", "-07:00"},
    {"Europe/Zurich", "+01:00"},
    {"Asia/Tokyo", "+09:00"},
    {"UTC", "+00:00"}};

enum Salt : std::uint64_t { kSaltSchedule = 401, kSaltExtraApp };

// Starts a template: keeps the id, clears the rest.
void Reset(ScheduleRec* s, std::string_view type, bool active,
           std::string_view occurrence) {
  ScheduleRec fresh;
  fresh.id = s->id;
  fresh.type = type;
  fresh.active = active;
  fresh.occurrence = occurrence;
  *s = std::move(fresh);
}

Seconds Period(const ScheduleRec& s) {
  const Seconds unit = s.occurrence == "DAILY"    ? kDay
                       : s.occurrence == "WEEKLY" ? 7 * kDay
                                                  : 30 * kDay;
  return unit * static_cast<Seconds>(std::max(1u, s.every_n));
}

}  // namespace

ScheduleModel::ScheduleModel(std::uint64_t seed,
                             const std::vector<WasWebApp>& webapps,
                             Seconds time_base, std::size_t schedules,
                             std::size_t extra_webapps) {
  for (const WasWebApp& w : webapps) {
    ScheduleWebApp app;
    app.id = w.id;
    app.name = w.name;
    app.url = w.url;
    app.tags = w.tags;
    app.created = time_base - 400 * kDay;
    webapps_.push_back(std::move(app));
  }
  std::uint64_t next_id =
      webapps_.empty() ? 987'000'000 : webapps_.back().id + 1'731;
  for (std::size_t k = 0; k < extra_webapps; ++k) {
    Rng rng({seed, k, kSaltExtraApp});
    ScheduleWebApp app;
    app.id = next_id + rng.Below(500);
    next_id = app.id + 1'731;
    app.name = "Staging <unscanned> #" + std::to_string(k + 1);
    app.url = "https://staging" + std::to_string(k + 1) + ".example.com/";
    app.tags.emplace_back(kSandboxTag, "Sandbox & Test");
    if (k % 2 == 1 && !webapps_.empty() && !webapps_.front().tags.empty()) {
      app.tags.push_back(webapps_.front().tags.front());
    }
    app.has_findings = false;
    app.created = time_base - 20 * kDay;
    webapps_.push_back(std::move(app));
  }
  std::sort(webapps_.begin(), webapps_.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });

  // The tag universe and the web apps, by position.
  std::set<std::uint64_t> tag_set;
  for (const auto& app : webapps_) {
    for (const auto& [id, name] : app.tags) tag_set.insert(id);
  }
  const std::vector<std::uint64_t> tags(tag_set.begin(), tag_set.end());
  const std::size_t n_apps = std::max<std::size_t>(1, webapps.size());
  auto app = [&](std::size_t i) {
    return webapps.empty() ? kDeletedWebApp : webapps[i % n_apps].id;
  };
  auto tag = [&](std::size_t i) {
    return tags.empty() ? kSandboxTag : tags[i % tags.size()];
  };

  for (std::size_t k = 0; k < schedules; ++k) {
    Rng rng({seed, k, kSaltSchedule});
    ScheduleRec s;
    s.id = kScheduleIdBase + k * 37 + rng.Below(30);
    s.created = time_base - static_cast<Seconds>(90 + k) * kDay;
    s.updated = s.created + kHour;
    s.launched_count = static_cast<unsigned>(rng.Below(60));
    s.every_n = 1 + static_cast<unsigned>(rng.Below(2));
    const auto zone = kZones[rng.Index(std::size(kZones))];
    s.tz_code = zone.first;
    s.tz_offset = zone.second;
    s.list_spelling = k % 2 == 1;
    // Templates covering every kind first, then random mixes.
    switch (k) {
      case 0:
        Reset(&s, "VULNERABILITY", true, "WEEKLY");
        s.webapp_ids = {app(0)};
        break;
      case 1:
        Reset(&s, "VULNERABILITY", true, "DAILY");
        s.include_option = "ANY";
        s.include_tags = {tag(0)};
        s.from_option = "QUALYS_SUPPORT";
        break;
      case 2:
        Reset(&s, "VULNERABILITY", false, "MONTHLY");
        s.webapp_ids = {app(1)};
        s.from_option = "OWNER";
        break;
      case 3:
        Reset(&s, "DISCOVERY", true, "ONCE");
        s.webapp_ids = {app(2)};
        s.send_mail = false;
        break;
      case 4:
        Reset(&s, "VULNERABILITY", true, "ONCE");
        s.webapp_ids = {app(3), app(4)};
        s.multi = true;
        s.from_option = "OWNER";
        break;
      case 5:
        Reset(&s, "DISCOVERY", false, "WEEKLY");
        s.include_option = "ALL";
        s.include_tags = {tag(1), tag(2)};
        s.send_mail = false;
        break;
      case 6:
        Reset(&s, "VULNERABILITY", true, "MONTHLY");
        s.include_tags = {tag(2)};  // no option element: ANY
        s.exclude_option = "ANY";
        s.exclude_tags = {tag(3)};
        s.from_option = "QUALYS_SUPPORT";
        break;
      case 7:
        Reset(&s, "DISCOVERY", true, "DAILY");
        s.include_option = "ANY";
        s.include_tags = {tag(0)};
        s.from_option = "OWNER";
        break;
      case 8:
        Reset(&s, "VULNERABILITY", false, "DAILY");
        s.include_option = "ANY";
        s.include_tags = {tags.empty() ? kSandboxTag : tags.back()};
        break;
      case 9:
        Reset(&s, "VULNERABILITY", true, "WEEKLY");
        s.webapp_ids = {kDeletedWebApp};
        s.invalid = true;
        break;
      default: {
        s.type = kTypes[rng.Index(std::size(kTypes))];
        s.active = rng.Percent(70);
        s.occurrence = kOccurrences[rng.Index(std::size(kOccurrences))];
        if (rng.Percent(60)) {
          s.webapp_ids = {app(rng.Index(n_apps))};
        } else {
          s.include_option = rng.Percent(50) ? "ANY" : "ALL";
          s.include_tags = {tag(rng.Index(4))};
        }
        s.send_mail = rng.Percent(80);
        s.from_option = !s.send_mail      ? ""
                        : rng.Percent(50) ? "OWNER"
                                          : "QUALYS_SUPPORT";
      }
    }
    // What the templates reset.
    Rng again({seed, k, kSaltSchedule});
    s.created = time_base - static_cast<Seconds>(90 + k) * kDay;
    s.updated = s.created + kHour;
    s.launched_count =
        s.active ? 1 + static_cast<unsigned>(again.Below(60)) : 0;
    s.every_n = 1 + static_cast<unsigned>(again.Below(2));
    s.tz_code = zone.first;
    s.tz_offset = zone.second;
    s.list_spelling = k % 2 == 1;
    s.start = s.occurrence == "ONCE" && s.active
                  ? time_base + static_cast<Seconds>(k + 1) * kDay
                  : time_base - 60 * kDay + static_cast<Seconds>(k) * kHour;
    s.name = std::string(s.type == "VULNERABILITY" ? "Weekly vuln scan"
                                                   : "Discovery sweep") +
             " #" + std::to_string(k + 1) + (k % 3 == 0 ? " <prod> & co" : "");
    base_.push_back(std::move(s));
  }
}

std::vector<ScheduleRec> ScheduleModel::Schedules(
    std::span<const Seconds> epoch_times) const {
  std::vector<ScheduleRec> out = base_;
  if (out.empty()) return out;
  const auto epoch = static_cast<std::size_t>(epoch_times.size() - 1);
  // Epoch e (>= 1) flips schedule (e - 1) % size for that epoch only; its
  // updatedDate is the latest epoch that changed it.
  for (std::size_t e = 1; e <= epoch; ++e) {
    const std::size_t k = (e - 1) % out.size();
    const Seconds at = epoch_times[e] + 1 + static_cast<Seconds>(k % 4);
    out[k].updated = at;
    if (e >= 2) out[(e - 2) % out.size()].updated = at;
  }
  if (epoch >= 1) {
    ScheduleRec& s = out[(epoch - 1) % out.size()];
    s.active = !s.active;
  }
  return out;
}

bool ScheduleModel::Targets(const ScheduleRec& s, const ScheduleWebApp& app) {
  if (std::find(s.webapp_ids.begin(), s.webapp_ids.end(), app.id) !=
      s.webapp_ids.end()) {
    return true;
  }
  auto carries = [&](std::uint64_t tag) {
    return std::any_of(app.tags.begin(), app.tags.end(),
                       [&](const auto& t) { return t.first == tag; });
  };
  auto matches = [&](std::string_view option,
                     const std::vector<std::uint64_t>& tags) {
    if (tags.empty()) return false;
    return option == "ALL" ? std::all_of(tags.begin(), tags.end(), carries)
                           : std::any_of(tags.begin(), tags.end(), carries);
  };
  return matches(s.include_option, s.include_tags) &&
         !matches(s.exclude_option, s.exclude_tags);
}

std::optional<Seconds> ScheduleModel::NextLaunch(const ScheduleRec& s,
                                                 Seconds now) {
  if (!s.active || s.invalid) return std::nullopt;
  if (s.occurrence == "ONCE") {
    return s.start > now ? std::optional<Seconds>(s.start) : std::nullopt;
  }
  if (s.start > now) return s.start;
  const Seconds period = Period(s);
  return s.start + ((now - s.start) / period + 1) * period;
}

}  // namespace qx::sim
