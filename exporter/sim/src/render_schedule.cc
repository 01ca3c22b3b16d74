// <WasScanSchedule> and <WebApp> as the WAS API's searches return them,
// with the elements a parser skips (owner, profile, scanner, occurrence
// details, notification, ...).
#include "qx/sim/schedule_render.h"

namespace qx::sim {
namespace {

void WriteTagList(XmlWriter& w, std::string_view outer, std::string_view option,
                  const std::vector<std::uint64_t>& tags, bool list_spelling,
                  const std::vector<ScheduleWebApp>& apps) {
  XmlElement o(w, outer);
  if (!option.empty()) w.Text("option", option);
  XmlElement tag_list(w, "tagList");
  w.Number("count", tags.size());
  XmlElement set(w, list_spelling ? "list" : "set");
  auto name_of = [&](std::uint64_t id) -> const std::string* {
    for (const ScheduleWebApp& app : apps) {
      for (const auto& [tag_id, name] : app.tags) {
        if (tag_id == id) return &name;
      }
    }
    return nullptr;
  };
  for (std::uint64_t id : tags) {
    XmlElement t(w, "Tag");
    w.Number("id", id);
    if (const std::string* name = name_of(id)) w.Cdata("name", *name);
  }
}

}  // namespace

void WriteSchedule(XmlWriter& w, const ScheduleModel& model,
                   const ScheduleRec& s, Seconds now) {
  XmlElement sched(w, "WasScanSchedule");
  w.Number("id", s.id);
  w.Cdata("name", s.name);
  {
    XmlElement owner(w, "owner");
    w.Number("id", 17729931);
    w.Text("username", "acme_ab12");
    w.Cdata("firstName", "Jürgen");
    w.Cdata("lastName", "O'Brien & Co");
  }
  w.Text("type", s.type);
  w.Bool("active", s.active);
  w.Bool("invalid", s.invalid);
  {
    XmlElement target(w, "target");
    auto find_app = [&](std::uint64_t id) -> const ScheduleWebApp* {
      for (const ScheduleWebApp& a : model.webapps()) {
        if (a.id == id) return &a;
      }
      return nullptr;
    };
    if (s.multi) {
      XmlElement apps(w, "webApps");
      w.Number("count", s.webapp_ids.size());
      XmlElement set(w, s.list_spelling ? "list" : "set");
      for (std::uint64_t id : s.webapp_ids) {
        XmlElement a(w, "WebApp");
        w.Number("id", id);
        if (const ScheduleWebApp* app = find_app(id)) {
          w.Cdata("name", app->name);
          w.Cdata("url", app->url);
        }
      }
    } else if (!s.webapp_ids.empty()) {
      XmlElement a(w, "webApp");
      w.Number("id", s.webapp_ids.front());
      if (const ScheduleWebApp* app = find_app(s.webapp_ids.front())) {
        w.Cdata("name", app->name);
        w.Cdata("url", app->url);
      }
    }
    if (!s.include_tags.empty() || !s.exclude_tags.empty()) {
      XmlElement tags(w, "tags");
      if (!s.include_tags.empty()) {
        WriteTagList(w, "included", s.include_option, s.include_tags,
                     s.list_spelling, model.webapps());
      }
      if (!s.exclude_tags.empty()) {
        WriteTagList(w, "excluded", s.exclude_option, s.exclude_tags,
                     s.list_spelling, model.webapps());
      }
    }
    {
      XmlElement scanner(w, "scannerAppliance");
      w.Text("type", "EXTERNAL");
    }
    w.Text("cancelOption", "DEFAULT");
  }
  {
    XmlElement profile(w, "profile");
    w.Number("id", 1032294);
    w.Cdata("name", "Initial WAS Options");
  }
  {
    XmlElement scheduling(w, "scheduling");
    w.Number("cancelAfterNHours", 8);
    w.Date("startDate", s.start);
    {
      XmlElement tz(w, "timeZone");
      w.Text("code", s.tz_code);
      w.Text("offset", s.tz_offset);
    }
    w.Text("occurrenceType", s.occurrence);
    if (s.occurrence != "ONCE") {
      XmlElement occurrence(w, "occurrence");
      if (s.occurrence == "DAILY") {
        XmlElement d(w, "dailyOccurrence");
        w.Number("everyNDays", s.every_n);
      } else if (s.occurrence == "WEEKLY") {
        XmlElement wk(w, "weeklyOccurrence");
        w.Number("everyNWeeks", s.every_n);
        XmlElement days(w, "onDays");
        w.Text("WeekDay", "SATURDAY");
      } else {
        XmlElement m(w, "monthlyOccurrence");
        w.Number("everyNMonths", s.every_n);
        w.Number("dayOfMonth", 1);
      }
    }
  }
  {
    XmlElement n(w, "notification");
    w.Bool("active", false);
  }
  w.Number("launchedCount", s.launched_count);
  if (const auto next = ScheduleModel::NextLaunch(s, now)) {
    w.Date("nextLaunchDate", *next);
  }
  w.Date("createdDate", s.created);
  w.Date("updatedDate", s.updated);
  w.Bool("sendMail", s.send_mail);
  if (s.send_mail && !s.from_option.empty()) {
    w.Text("sendMailFromAddressOption", s.from_option);
  }
  w.Bool("sendOneMail", false);
  w.Bool("enableWAFAuth", false);
}

void WriteWebApp(XmlWriter& w, const ScheduleWebApp& app, bool scheduled) {
  XmlElement a(w, "WebApp");
  w.Number("id", app.id);
  w.Cdata("name", app.name);
  w.Cdata("url", app.url);
  {
    XmlElement owner(w, "owner");
    w.Number("id", 17729931);
  }
  {
    XmlElement tags(w, "tags");
    w.Number("count", app.tags.size());
    if (!app.tags.empty()) {
      XmlElement list(w, "list");
      for (const auto& [id, name] : app.tags) {
        XmlElement t(w, "Tag");
        w.Number("id", id);
        w.Cdata("name", name);
      }
    }
  }
  w.Bool("isScheduled", scheduled);
  w.Date("createdDate", app.created);
  w.Date("updatedDate", app.created + kDay);
}

}  // namespace qx::sim
