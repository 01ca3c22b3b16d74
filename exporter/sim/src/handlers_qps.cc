// QPS REST search and count: /qps/rest/2.0/{search,count}/am/hostasset and
// /qps/rest/3.0/{search,count}/was/finding.
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <algorithm>
#include <optional>
#include <span>

#include "qx/sim/handlers.h"
#include "qx/sim/http_util.h"
#include "qx/sim/pagination.h"
#include "qx/sim/qps_page.h"
#include "qx/sim/renderers.h"
#include "qx/sim/service_request.h"

namespace qx::sim {

using Poco::Net::HTTPResponse;

namespace {

constexpr std::size_t kFlushBytes = 256 << 10;
constexpr std::string_view kQpsType = kQpsContentType;

// Host asset search fields.
enum HostField : std::size_t {
  kHfId,
  kHfUpdated,
  kHfVulnsUpdated,
  kHfCreated,
  kHfLastVulnScan,
  kHfName,
  kHfOs,
};
constexpr FieldSpec kHostFields[] = {
    {"id", FieldType::kId},
    {"updated", FieldType::kDate},
    {"vulnsUpdated", FieldType::kDate},
    {"created", FieldType::kDate},
    {"lastVulnScan", FieldType::kDate},
    {"name", FieldType::kText},
    {"os", FieldType::kText},
};

// WAS finding search fields.
enum FindingField : std::size_t {
  kFfId,
  kFfUniqueId,
  kFfQid,
  kFfWebAppId,
  kFfStatus,
  kFfType,
  kFfSeverity,
  kFfUpdatedDate,
  kFfLastTestedDate,
  kFfLastDetectedDate,
  kFfFirstDetectedDate,
  kFfIsIgnored,
};
constexpr FieldSpec kFindingFields[] = {
    {"id", FieldType::kId},
    {"uniqueId", FieldType::kKeyword},
    {"qid", FieldType::kNumber},
    {"webApp.id", FieldType::kNumber},
    {"status", FieldType::kKeyword},
    {"type", FieldType::kKeyword},
    {"severity", FieldType::kNumber},
    {"updatedDate", FieldType::kDate},
    {"lastTestedDate", FieldType::kDate},
    {"lastDetectedDate", FieldType::kDate},
    {"firstDetectedDate", FieldType::kDate},
    {"isIgnored", FieldType::kKeyword},
};

FieldValue HostField(const HostAssetRec& h, std::size_t field) {
  FieldValue v;
  switch (field) {
    case kHfId:
      v.number = h.id;
      break;
    case kHfUpdated:
      v.date = h.modified;
      break;
    case kHfVulnsUpdated:
      v.date = h.vulns_updated;
      v.present = h.vm_scanned;  // cloud-only assets have none
      break;
    case kHfCreated:
      v.date = h.created;
      break;
    case kHfLastVulnScan:
      v.date = h.last_vuln_scan;
      break;
    case kHfName:
      v.text = h.name;
      break;
    case kHfOs:
      v.text = OsNames()[h.os];
      break;
    default:
      v.present = false;
  }
  return v;
}

FieldValue FindingField(const WasDataset& was, const WasFindingRec& f,
                        std::size_t field) {
  FieldValue v;
  switch (field) {
    case kFfId:
      v.number = f.id;
      break;
    case kFfUniqueId:
      v.text = f.unique_id;
      break;
    case kFfQid:
      v.number = f.qid;
      break;
    case kFfWebAppId:
      v.number = was.WebAppOf(f).id;
      break;
    case kFfStatus:
      v.text = f.status;
      v.present = !f.status.empty();
      break;
    case kFfType:
      v.text = FindingTypeName(f.type);
      break;
    case kFfSeverity:
      v.number = static_cast<std::uint64_t>(f.severity);
      break;
    case kFfUpdatedDate:
      v.date = f.updated;
      break;
    case kFfLastTestedDate:
      v.date = f.last_tested;
      break;
    case kFfLastDetectedDate:
      v.date = f.last_detected;
      break;
    case kFfFirstDetectedDate:
      v.date = f.first_detected;
      break;
    case kFfIsIgnored:
      v.text = f.ignored ? "true" : "false";
      break;
    default:
      v.present = false;
  }
  return v;
}

}  // namespace

bool Router::Refused(Context& ctx, const ServiceRequest& request,
                     std::string_view xsd) const {
  for (const Criterion& c : request.criteria) {
    if (!options_.refused_criteria.contains(c.field)) continue;
    // The API names the field it does not accept as a search criterion.
    Send(ctx.resp,
         static_cast<HTTPResponse::HTTPStatus>(options_.refuse_status),
         kQpsType,
         RenderQpsError(xsd, "INVALID_REQUEST",
                        "Invalid field '" + c.field + "' for search criteria"));
    return true;
  }
  return false;
}

bool Router::GatewayGivesUp(Context& ctx, const ServiceRequest& request,
                            std::uint32_t max_records) const {
  if (max_records == 0 || QpsPageLimit(request, options_) <= max_records) {
    return false;
  }
  Send(ctx.resp, HTTPResponse::HTTP_GATEWAY_TIMEOUT, "text/html",
       GatewayHtml(504));
  return true;
}

bool Router::DensePages(const Query& query) const {
  return options_.filtered_pages == SimOptions::FilteredPages::kDense &&
         query.has_predicates();
}

void Router::HostAssets(Context& ctx, bool count_only) {
  auto search =
      ParseQpsSearch({ctx.req, ctx.resp, ctx.body}, kHostAssetXsd, kHostFields);
  if (!search || Refused(ctx, search->request, kHostAssetXsd)) return;
  if (!count_only && GatewayGivesUp(ctx, search->request,
                                    options_.hostasset_gateway_max_records)) {
    return;
  }
  const Query& query = search->query;
  const HostAssetGenerator& gen = data_->hosts();
  const std::vector<Seconds> epoch_times = data_->EpochTimes();
  const auto [begin, end] = QpsBounds(
      query, gen.size(), [&](std::uint64_t id) { return gen.LowerBound(id); });
  auto matches_query = [&](const HostAssetRec& h) {
    return query.Matches(
        [&](std::size_t field) { return HostField(h, field); });
  };
  if (count_only) {
    std::uint64_t count = end - begin;
    if (query.has_predicates()) {
      count = 0;
      for (std::uint64_t pos = begin; pos < end; ++pos) {
        count += matches_query(gen.Generate(pos, epoch_times)) ? 1 : 0;
      }
    }
    Send(ctx.resp, HTTPResponse::HTTP_OK, kQpsType,
         RenderQpsCount(kHostAssetXsd, count));
    return;
  }
  const auto id_of = [&](std::uint64_t pos) { return gen.IdOf(pos); };
  const bool dense = DensePages(query);
  const std::uint64_t limit = QpsPageLimit(search->request, options_);
  const PagePlan plan =
      dense ? PlanDensePage(
                  begin, end, limit, options_.empty_page_every,
                  query.after_id(), id_of,
                  [&](std::uint64_t pos) {
                    return matches_query(gen.Generate(pos, epoch_times));
                  })
            : PlanPage(begin, end, limit, options_.empty_page_every,
                       query.after_id(), id_of);
  std::vector<HostAssetRec> matches;
  for (std::uint64_t pos = plan.window_begin; pos < plan.window_end; ++pos) {
    HostAssetRec h = gen.Generate(pos, epoch_times);
    if (matches_query(h)) matches.push_back(std::move(h));
  }

  // Stream the page: a 1000-asset page is several MB.
  ctx.resp.setStatusAndReason(HTTPResponse::HTTP_OK);
  ctx.resp.setContentType(std::string(kQpsType));
  ctx.resp.setChunkedTransferEncoding(true);
  std::ostream& out = ctx.resp.send();
  std::string buf;
  buf.reserve(kFlushBytes + (64 << 10));
  XmlWriter w(&buf);
  WriteQpsPageHeader(w, kHostAssetXsd, matches.size(), plan);
  if (!matches.empty()) {
    XmlElement data(w, "data");
    for (const HostAssetRec& h : matches) {
      WriteHostAsset(w, gen, h);
      if (buf.size() >= kFlushBytes) {
        out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
        buf.clear();
      }
    }
  }
  w.CloseAll();
  buf.push_back('\n');
  out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
  out.flush();
}

void Router::WasFindings(Context& ctx, bool count_only) {
  auto search = ParseQpsSearch({ctx.req, ctx.resp, ctx.body}, kFindingXsd,
                               kFindingFields);
  if (!search || Refused(ctx, search->request, kFindingXsd)) return;
  // Verbose pages carry every scan's history: those are the slow ones.
  if (!count_only && search->request.verbose &&
      GatewayGivesUp(ctx, search->request, options_.was_gateway_max_records)) {
    return;
  }
  const Query& query = search->query;
  FindingRenderOptions render;
  render.verbose = search->request.verbose;
  render.limit_histories = search->request.limit_histories;
  const std::uint64_t limit = QpsPageLimit(search->request, options_);

  const std::string body = data_->WithWas([&](const WasDataset& was) {
    const auto& findings = was.findings();
    const auto [begin, end] =
        QpsBounds(query, findings.size(), [&](std::uint64_t id) {
          return static_cast<std::uint64_t>(was.LowerBound(id));
        });
    auto matches_query = [&](const WasFindingRec& f) {
      return query.Matches(
          [&](std::size_t field) { return FindingField(was, f, field); });
    };
    if (count_only) {
      std::uint64_t count = 0;
      for (std::uint64_t pos = begin; pos < end; ++pos) {
        count += matches_query(findings[static_cast<std::size_t>(pos)]) ? 1 : 0;
      }
      return RenderQpsCount(kFindingXsd, count);
    }
    const auto id_of = [&](std::uint64_t pos) {
      return findings[static_cast<std::size_t>(pos)].id;
    };
    const bool dense = DensePages(query);
    const PagePlan plan =
        dense ? PlanDensePage(begin, end, limit, options_.empty_page_every,
                              query.after_id(), id_of,
                              [&](std::uint64_t pos) {
                                return matches_query(
                                    findings[static_cast<std::size_t>(pos)]);
                              })
              : PlanPage(begin, end, limit, options_.empty_page_every,
                         query.after_id(), id_of);
    std::vector<const WasFindingRec*> matches;
    for (std::uint64_t pos = plan.window_begin; pos < plan.window_end; ++pos) {
      const WasFindingRec& f = findings[static_cast<std::size_t>(pos)];
      if (matches_query(f)) matches.push_back(&f);
    }
    std::string out;
    XmlWriter w(&out);
    WriteQpsPageHeader(w, kFindingXsd, matches.size(), plan);
    if (!matches.empty()) {
      XmlElement data(w, "data");
      for (const WasFindingRec* f : matches) WriteFinding(w, was, *f, render);
    }
    w.CloseAll();
    out.push_back('\n');
    return out;
  });
  Send(ctx.resp, HTTPResponse::HTTP_OK, kQpsType, body);
}

}  // namespace qx::sim
