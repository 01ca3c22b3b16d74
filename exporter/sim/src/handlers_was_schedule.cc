// QPS REST search and count: /qps/rest/3.0/{search,count}/was/wasscanschedule
// and /qps/rest/3.0/{search,count}/was/webapp.
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <algorithm>

#include "qx/sim/handlers.h"
#include "qx/sim/qps_page.h"
#include "qx/sim/renderers.h"
#include "qx/sim/schedule_render.h"

namespace qx::sim {

using Poco::Net::HTTPResponse;

namespace {

enum ScheduleField : std::size_t {
  kSfId,
  kSfName,
  kSfType,
  kSfActive,
  kSfInvalid,
  kSfCreated,
  kSfUpdated,
};
constexpr FieldSpec kScheduleFields[] = {
    {"id", FieldType::kId},
    {"name", FieldType::kText},
    {"type", FieldType::kKeyword},
    {"active", FieldType::kKeyword},
    {"invalid", FieldType::kKeyword},
    {"createdDate", FieldType::kDate},
    {"updatedDate", FieldType::kDate},
};

enum WebAppField : std::size_t {
  kWfId,
  kWfName,
  kWfUrl,
  kWfIsScheduled,
  kWfCreated,
  kWfUpdated,
};
constexpr FieldSpec kWebAppFields[] = {
    {"id", FieldType::kId},
    {"name", FieldType::kText},
    {"url", FieldType::kText},
    {"isScheduled", FieldType::kKeyword},
    {"createdDate", FieldType::kDate},
    {"updatedDate", FieldType::kDate},
};

FieldValue ScheduleValue(const ScheduleRec& s, std::size_t field) {
  FieldValue v;
  switch (field) {
    case kSfId:
      v.number = s.id;
      break;
    case kSfName:
      v.text = s.name;
      break;
    case kSfType:
      v.text = s.type;
      break;
    case kSfActive:
      v.text = s.active ? "true" : "false";
      break;
    case kSfInvalid:
      v.text = s.invalid ? "true" : "false";
      break;
    case kSfCreated:
      v.date = s.created;
      break;
    case kSfUpdated:
      v.date = s.updated;
      break;
    default:
      v.present = false;
  }
  return v;
}

// Serves one QPS page over `records` (ascending id): id bounds, predicates,
// window or dense paging, then `write` for each record on the page.
template <typename Rec, typename IdOf, typename Match, typename Write>
std::string RenderPage(const QpsSearch& search, const SimOptions& options,
                       bool dense, std::string_view xsd,
                       const std::vector<Rec>& records, IdOf&& id_of,
                       Match&& matches, Write&& write, bool count_only) {
  const Query& query = search.query;
  const auto [begin, end] =
      QpsBounds(query, records.size(), [&](std::uint64_t id) {
        return static_cast<std::uint64_t>(
            std::lower_bound(
                records.begin(), records.end(), id,
                [&](const Rec& r, std::uint64_t v) { return id_of(r) < v; }) -
            records.begin());
      });
  auto at = [&](std::uint64_t pos) -> const Rec& {
    return records[static_cast<std::size_t>(pos)];
  };
  if (count_only) {
    std::uint64_t count = 0;
    for (std::uint64_t pos = begin; pos < end; ++pos) {
      count += matches(at(pos)) ? 1 : 0;
    }
    return RenderQpsCount(xsd, count);
  }
  const std::uint64_t limit = QpsPageLimit(search.request, options);
  const auto id_at = [&](std::uint64_t pos) { return id_of(at(pos)); };
  const PagePlan plan =
      dense ? PlanDensePage(begin, end, limit, options.empty_page_every,
                            query.after_id(), id_at,
                            [&](std::uint64_t pos) { return matches(at(pos)); })
            : PlanPage(begin, end, limit, options.empty_page_every,
                       query.after_id(), id_at);
  std::vector<const Rec*> page;
  for (std::uint64_t pos = plan.window_begin; pos < plan.window_end; ++pos) {
    if (matches(at(pos))) page.push_back(&at(pos));
  }
  std::string out;
  XmlWriter w(&out);
  WriteQpsPageHeader(w, xsd, page.size(), plan);
  if (!page.empty()) {
    XmlElement data(w, "data");
    for (const Rec* r : page) write(w, *r);
  }
  w.CloseAll();
  out.push_back('\n');
  return out;
}

}  // namespace

void Router::WasScanSchedules(Context& ctx, bool count_only) {
  auto search = ParseQpsSearch({ctx.req, ctx.resp, ctx.body}, kScheduleXsd,
                               kScheduleFields);
  if (!search) return;
  const ScheduleModel& model = data_->schedules();
  const std::vector<ScheduleRec> schedules =
      model.Schedules(data_->EpochTimes());
  const Seconds now = data_->now();
  const std::string body = RenderPage(
      *search, options_, DensePages(search->query), kScheduleXsd, schedules,
      [](const ScheduleRec& s) { return s.id; },
      [&](const ScheduleRec& s) {
        return search->query.Matches(
            [&](std::size_t f) { return ScheduleValue(s, f); });
      },
      [&](XmlWriter& w, const ScheduleRec& s) {
        WriteSchedule(w, model, s, now);
      },
      count_only);
  Send(ctx.resp, HTTPResponse::HTTP_OK, kQpsContentType, body);
}

void Router::WebApps(Context& ctx, bool count_only) {
  auto search =
      ParseQpsSearch({ctx.req, ctx.resp, ctx.body}, kWebAppXsd, kWebAppFields);
  if (!search) return;
  const ScheduleModel& model = data_->schedules();
  const std::vector<ScheduleRec> schedules =
      model.Schedules(data_->EpochTimes());
  auto scheduled = [&](const ScheduleWebApp& app) {
    return std::any_of(schedules.begin(), schedules.end(),
                       [&](const ScheduleRec& s) {
                         return s.active && ScheduleModel::Targets(s, app);
                       });
  };
  const std::string body = RenderPage(
      *search, options_, DensePages(search->query), kWebAppXsd, model.webapps(),
      [](const ScheduleWebApp& a) { return a.id; },
      [&](const ScheduleWebApp& a) {
        return search->query.Matches([&](std::size_t f) {
          FieldValue v;
          switch (f) {
            case kWfId:
              v.number = a.id;
              break;
            case kWfName:
              v.text = a.name;
              break;
            case kWfUrl:
              v.text = a.url;
              break;
            case kWfIsScheduled:
              v.text = scheduled(a) ? "true" : "false";
              break;
            case kWfCreated:
              v.date = a.created;
              break;
            case kWfUpdated:
              v.date = a.created + kDay;
              break;
            default:
              v.present = false;
          }
          return v;
        });
      },
      [&](XmlWriter& w, const ScheduleWebApp& a) {
        WriteWebApp(w, a, scheduled(a));
      },
      count_only);
  Send(ctx.resp, HTTPResponse::HTTP_OK, kQpsContentType, body);
}

}  // namespace qx::sim
