// ServiceResponse of /qps/rest/3.0/search/was/wasscanschedule:
//
//   ServiceResponse/data/WasScanSchedule/{id,name,type,active,invalid,
//       nextLaunchDate,sendMail,sendMailFromAddressOption}
//   .../scheduling/{occurrenceType,startDate,timeZone/code}
//   .../target/webApp/id                          (one web app)
//   .../target/webApps/{set,list}/WebApp/id       (multi-scan)
//   .../target/tags/{included,excluded}/{option,tagList/{set,list}/Tag/id}
//
// and of /qps/rest/3.0/search/was/webapp:
//
//   ServiceResponse/data/WebApp/{id,name,url,tags/{list,set}/Tag/id}
//
// Both "set" and "list" are read where the published samples disagree.
// Defaults for absent elements are in records.h (WasScanSchedule); a
// malformed id, boolean or number is a ParseError naming the element.
#include <string>
#include <utility>

#include "qx/client/parsers.h"
#include "xml_sax.h"

namespace qx {
namespace {

enum ScheduleId : int {
  kSchedule,
  kId,
  kName,
  kType,
  kActive,
  kInvalid,
  kNextLaunch,
  kOccurrence,
  kStartDate,
  kTimeZone,
  kWebAppId,
  kIncludedOption,
  kIncludedTag,
  kExcludedOption,
  kExcludedTag,
  kSendMail,
  kSendMailFrom,
};

const sax::PathTable& ScheduleTable() {
  static const sax::PathTable table = [] {
    sax::PathTable t;
    sax::QpsEnvelope::AddPaths(t);
    const std::string s = "ServiceResponse/data/WasScanSchedule";
    t.Add(kSchedule, s);
    t.Add(kId, s + "/id");
    t.Add(kName, s + "/name");
    t.Add(kType, s + "/type");
    t.Add(kActive, s + "/active");
    t.Add(kInvalid, s + "/invalid");
    t.Add(kNextLaunch, s + "/nextLaunchDate");
    t.Add(kOccurrence, s + "/scheduling/occurrenceType");
    t.Add(kStartDate, s + "/scheduling/startDate");
    t.Add(kTimeZone, s + "/scheduling/timeZone/code");
    t.Add(kWebAppId, s + "/target/webApp/id");
    for (std::string_view set : {"set", "list"}) {
      t.Add(kWebAppId,
            s + "/target/webApps/" + std::string(set) + "/WebApp/id");
      t.Add(kIncludedTag, s + "/target/tags/included/tagList/" +
                              std::string(set) + "/Tag/id");
      t.Add(kExcludedTag, s + "/target/tags/excluded/tagList/" +
                              std::string(set) + "/Tag/id");
    }
    t.Add(kIncludedOption, s + "/target/tags/included/option");
    t.Add(kExcludedOption, s + "/target/tags/excluded/option");
    t.Add(kSendMail, s + "/sendMail");
    t.Add(kSendMailFrom, s + "/sendMailFromAddressOption");
    return t;
  }();
  return table;
}

class ScheduleHandler final : public sax::PathHandler {
 public:
  explicit ScheduleHandler(
      const std::function<void(WasScanSchedule&&)>& on_record)
      : PathHandler(ScheduleTable(), "wasscanschedule response"),
        on_record_(on_record) {}

  QpsPageInfo Finish() && { return std::move(envelope_).Finish(); }

 private:
  void OnStart(int id) override {
    if (id == kSchedule) {
      schedule_ = WasScanSchedule{};
      has_id_ = false;
    }
  }

  void OnEnd(int id, std::string_view text) override {
    if (envelope_.OnEnd(*this, id, text)) return;
    WasScanSchedule& s = schedule_;
    switch (id) {
      case kSchedule:
        if (!has_id_) Fail("<WasScanSchedule> without <id>");
        if (!s.send_mail) {
          s.send_mail_from.clear();
        } else if (s.send_mail_from.empty()) {
          s.send_mail_from = kSendMailFromDefault;
        }
        if (envelope_.emit_records()) on_record_(std::move(s));
        schedule_ = WasScanSchedule{};
        break;
      case kId:
        s.id = ToU64(text);
        has_id_ = !text.empty();
        break;
      case kName:
        s.name = text;
        break;
      case kType:
        s.type = text;
        break;
      case kActive:
        s.active = ToBool(text);
        break;
      case kInvalid:
        s.invalid = ToBool(text);
        break;
      case kNextLaunch:
        s.next_launch_date = text;
        break;
      case kOccurrence:
        s.occurrence_type = text;
        break;
      case kStartDate:
        s.start_date = text;
        break;
      case kTimeZone:
        s.time_zone = text;
        break;
      case kWebAppId:
        if (!text.empty()) s.webapp_ids.push_back(ToU64(text));
        break;
      case kIncludedOption:
        s.included_tags.option = text;
        break;
      case kIncludedTag:
        if (!text.empty()) s.included_tags.tag_ids.push_back(ToU64(text));
        break;
      case kExcludedOption:
        s.excluded_tags.option = text;
        break;
      case kExcludedTag:
        if (!text.empty()) s.excluded_tags.tag_ids.push_back(ToU64(text));
        break;
      case kSendMail:
        // An empty element keeps the XSD default.
        if (!text.empty()) s.send_mail = ToBool(text);
        break;
      case kSendMailFrom:
        s.send_mail_from = text;
        break;
      default:
        break;
    }
  }

  const std::function<void(WasScanSchedule&&)>& on_record_;
  sax::QpsEnvelope envelope_;
  WasScanSchedule schedule_;
  bool has_id_ = false;
};

enum WebAppId : int { kWebApp, kAppId, kAppName, kAppUrl, kAppTag };

const sax::PathTable& WebAppTable() {
  static const sax::PathTable table = [] {
    sax::PathTable t;
    sax::QpsEnvelope::AddPaths(t);
    const std::string a = "ServiceResponse/data/WebApp";
    t.Add(kWebApp, a);
    t.Add(kAppId, a + "/id");
    t.Add(kAppName, a + "/name");
    t.Add(kAppUrl, a + "/url");
    t.Add(kAppTag, a + "/tags/list/Tag/id");
    t.Add(kAppTag, a + "/tags/set/Tag/id");
    return t;
  }();
  return table;
}

class WebAppHandler final : public sax::PathHandler {
 public:
  explicit WebAppHandler(const std::function<void(WebApp&&)>& on_record)
      : PathHandler(WebAppTable(), "webapp response"), on_record_(on_record) {}

  QpsPageInfo Finish() && { return std::move(envelope_).Finish(); }

 private:
  void OnStart(int id) override {
    if (id == kWebApp) {
      app_ = WebApp{};
      has_id_ = false;
    }
  }

  void OnEnd(int id, std::string_view text) override {
    if (envelope_.OnEnd(*this, id, text)) return;
    switch (id) {
      case kWebApp:
        if (!has_id_) Fail("<WebApp> without <id>");
        if (envelope_.emit_records()) on_record_(std::move(app_));
        app_ = WebApp{};
        break;
      case kAppId:
        app_.id = ToU64(text);
        has_id_ = !text.empty();
        break;
      case kAppName:
        app_.name = text;
        break;
      case kAppUrl:
        app_.url = text;
        break;
      case kAppTag:
        if (!text.empty()) app_.tag_ids.push_back(ToU64(text));
        break;
      default:
        break;
    }
  }

  const std::function<void(WebApp&&)>& on_record_;
  sax::QpsEnvelope envelope_;
  WebApp app_;
  bool has_id_ = false;
};

}  // namespace

QpsPageInfo ParseWasScanSchedulePage(
    std::istream& in, const std::function<void(WasScanSchedule&&)>& on_record) {
  ScheduleHandler handler(on_record);
  handler.Parse(in);
  return std::move(handler).Finish();
}

QpsPageInfo ParseWebAppPage(std::istream& in,
                            const std::function<void(WebApp&&)>& on_record) {
  WebAppHandler handler(on_record);
  handler.Parse(in);
  return std::move(handler).Finish();
}

}  // namespace qx
