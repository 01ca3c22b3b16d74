#include "qx/client/qps_search.h"

#include <glog/logging.h>

#include <algorithm>

#include "qx/base/xml_escape.h"
#include "qx/client/errors.h"

namespace qx {
namespace {

void AppendCriterion(std::string& out, const Criterion& c) {
  out += "<Criteria field=\"";
  AppendXmlEscaped(out, c.field);
  out += "\" operator=\"";
  AppendXmlEscaped(out, c.op);
  out += "\">";
  AppendXmlEscaped(out, c.value);
  out += "</Criteria>";
}

// Context for an error after gateway timeouts made the pages smaller.
std::string Reduced(const QpsSearchRequest& asked,
                    const QpsSearchRequest& sized) {
  return " (pages already reduced from " + std::to_string(asked.limit_results) +
         " to " + std::to_string(sized.limit_results) +
         " records after gateway timeouts)";
}

}  // namespace

std::string BuildServiceRequest(const QpsSearchRequest& request,
                                std::optional<std::uint64_t> after_id) {
  std::string out = "<ServiceRequest><preferences><limitResults>";
  out += std::to_string(request.limit_results);
  out += "</limitResults>";
  if (request.verbose) out += "<verbose>true</verbose>";
  if (request.limit_histories) {
    out += "<limitHistories>" + std::to_string(*request.limit_histories) +
           "</limitHistories>";
  }
  out += "</preferences>";
  if (!request.criteria.empty() || after_id) {
    out += "<filters>";
    for (const auto& c : request.criteria) AppendCriterion(out, c);
    if (after_id) {
      AppendCriterion(out, {"id", "GREATER", std::to_string(*after_id)});
    }
    out += "</filters>";
  }
  out += "</ServiceRequest>";
  return out;
}

SearchProgress SearchAllPages(
    QualysClient& client, const QpsSearchRequest& request,
    const PageParser& parse_page,
    const std::function<void(const SearchProgress&)>& on_page) {
  SearchProgress progress;
  QpsSearchRequest sized = request;
  const std::uint32_t floor = std::max<std::uint32_t>(
      1, std::min(request.min_limit_results, request.limit_results));
  std::optional<std::uint64_t> after_id = request.start_after_id;
  progress.last_id = after_id;
  while (true) {
    HttpRequest http;
    http.method = "POST";
    http.path = request.path;
    http.content_type = "text/xml";
    http.body = BuildServiceRequest(sized, after_id);
    QpsPageInfo page;
    try {
      // Above the floor a gateway timeout is answered with a smaller page,
      // not the same page again; at the floor the usual retries apply.
      client.Call(
          request.endpoint_label, http,
          [&](const HttpResponseHead&, std::istream& body) {
            page = parse_page(body);
          },
          CallOptions{.retry_gateway_errors = sized.limit_results <= floor});
    } catch (const GatewayError& e) {
      const std::uint32_t smaller = std::max(floor, sized.limit_results / 2);
      LOG(WARNING) << request.endpoint_label << ": page of "
                   << sized.limit_results << " records not served (" << e.what()
                   << "); asking " << smaller
                   << " per page for the rest of the walk";
      sized.limit_results = smaller;
      continue;
    } catch (const ApiError& e) {
      if (sized.limit_results == request.limit_results) throw;
      throw ApiError(e.what() + Reduced(request, sized), e.http_status(),
                     e.api_code());
    } catch (const TransportError& e) {
      if (sized.limit_results == request.limit_results) throw;
      throw TransportError(e.what() + Reduced(request, sized));
    }
    if (page.response_code != "SUCCESS") {
      throw ApiError(
          request.endpoint_label + ": responseCode " +
              (page.response_code.empty() ? "missing" : page.response_code) +
              (page.error_message.empty() ? "" : ": " + page.error_message),
          200, page.response_code);
    }
    progress.limit_results = sized.limit_results;
    progress.pages++;
    progress.records += page.count.value_or(0);
    if (!page.has_more_records) {
      progress.done = true;
      if (on_page) on_page(progress);
      break;
    }
    if (!page.last_id) {
      throw ApiError(request.endpoint_label +
                     ": hasMoreRecords is true but lastId is missing; cannot "
                     "continue pagination");
    }
    if (after_id && *page.last_id <= *after_id) {
      throw ApiError(request.endpoint_label + ": pagination did not advance (" +
                     "lastId " + std::to_string(*page.last_id) + " after id " +
                     std::to_string(*after_id) + ")");
    }
    after_id = page.last_id;
    progress.last_id = page.last_id;
    if (on_page) on_page(progress);
  }
  return progress;
}

std::uint64_t CountRecords(QualysClient& client, const std::string& path,
                           const std::string& endpoint_label,
                           const std::vector<Criterion>& criteria) {
  std::string body = "<ServiceRequest>";
  if (!criteria.empty()) {
    body += "<filters>";
    for (const auto& c : criteria) AppendCriterion(body, c);
    body += "</filters>";
  }
  body += "</ServiceRequest>";
  HttpRequest http;
  http.path = path;
  http.content_type = "text/xml";
  http.body = std::move(body);
  QpsPageInfo page;
  client.Call(endpoint_label, http,
              [&](const HttpResponseHead&, std::istream& in) {
                // The count answer is a ServiceResponse envelope without data.
                page = ParseHostAssetPage(in, [](HostAsset&&) {});
              });
  if (page.response_code != "SUCCESS" || !page.count) {
    throw ApiError(
        endpoint_label + ": count failed: " +
        (page.response_code.empty() ? "no responseCode" : page.response_code) +
        (page.error_message.empty() ? "" : ": " + page.error_message));
  }
  return *page.count;
}

SearchProgress SearchHostAssets(
    QualysClient& client, const QpsSearchRequest& request,
    const std::function<void(HostAsset&&)>& on_record,
    const std::function<void(const SearchProgress&)>& on_page) {
  return SearchAllPages(
      client, request,
      [&](std::istream& in) { return ParseHostAssetPage(in, on_record); },
      on_page);
}

SearchProgress SearchWasFindings(
    QualysClient& client, const QpsSearchRequest& request,
    const std::function<void(WasFinding&&)>& on_record,
    const std::function<void(const SearchProgress&)>& on_page) {
  return SearchAllPages(
      client, request,
      [&](std::istream& in) { return ParseWasFindingPage(in, on_record); },
      on_page);
}

SearchProgress SearchWasScanSchedules(
    QualysClient& client, const QpsSearchRequest& request,
    const std::function<void(WasScanSchedule&&)>& on_record,
    const std::function<void(const SearchProgress&)>& on_page) {
  return SearchAllPages(
      client, request,
      [&](std::istream& in) { return ParseWasScanSchedulePage(in, on_record); },
      on_page);
}

SearchProgress SearchWebApps(
    QualysClient& client, const QpsSearchRequest& request,
    const std::function<void(WebApp&&)>& on_record,
    const std::function<void(const SearchProgress&)>& on_page) {
  return SearchAllPages(
      client, request,
      [&](std::istream& in) { return ParseWebAppPage(in, on_record); },
      on_page);
}

}  // namespace qx
