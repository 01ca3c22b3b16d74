#include "qx/sim/qps_page.h"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <algorithm>
#include <variant>

#include "qx/sim/renderers.h"

namespace qx::sim {

using Poco::Net::HTTPResponse;

std::optional<QpsSearch> ParseQpsSearch(HttpIo io, std::string_view xsd,
                                        std::span<const FieldSpec> fields) {
  auto& [req, resp, body] = io;
  if (req.getMethod() != "POST") {
    resp.set("Allow", "POST");
    Send(resp, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, kQpsContentType,
         RenderQpsError(xsd, "INVALID_REQUEST",
                        "Method " + req.getMethod() +
                            " is not supported for search; use POST"));
    return std::nullopt;
  }
  auto parsed = ParseServiceRequest(body);
  if (auto* err = std::get_if<std::string>(&parsed)) {
    Send(resp, HTTPResponse::HTTP_BAD_REQUEST, kQpsContentType,
         RenderQpsError(xsd, "INVALID_REQUEST", *err));
    return std::nullopt;
  }
  ServiceRequest& sr = std::get<ServiceRequest>(parsed);
  auto compiled = Query::Compile(sr.criteria, fields);
  if (auto* err = std::get_if<std::string>(&compiled)) {
    Send(resp, HTTPResponse::HTTP_BAD_REQUEST, kQpsContentType,
         RenderQpsError(xsd, "INVALID_REQUEST", *err,
                        "Check the field names and operators of the search "
                        "criteria."));
    return std::nullopt;
  }
  QpsSearch out{std::move(sr), std::move(std::get<Query>(compiled))};
  if (out.request.start_from_id) {
    out.query.RaiseMinId(*out.request.start_from_id);
  }
  return out;
}

std::uint64_t QpsPageLimit(const ServiceRequest& req, const SimOptions& opts) {
  std::uint64_t limit = req.limit_results.value_or(100);
  if (limit == 0) limit = 100;
  return std::min<std::uint64_t>(limit, std::max(1u, opts.max_limit_results));
}

void WriteQpsPageHeader(XmlWriter& w, std::string_view xsd, std::size_t count,
                        const PagePlan& plan) {
  OpenServiceResponse(w, xsd);
  w.Text("responseCode", "SUCCESS");
  w.Number("count", count);
  w.Bool("hasMoreRecords", plan.has_more);
  if (plan.last_id) w.Number("lastId", *plan.last_id);
}

}  // namespace qx::sim
