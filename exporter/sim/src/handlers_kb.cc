// API v2 KnowledgeBase: /api/2.0/fo/knowledge_base/vuln/?action=list.
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "qx/sim/handlers.h"
#include "qx/sim/http_util.h"
#include "qx/sim/knowledge_base.h"
#include "qx/sim/renderers.h"

namespace qx::sim {

using Poco::Net::HTTPResponse;

namespace {

constexpr std::string_view kV2Type = kV2ContentType;

// Parameters /api/2.0/fo/knowledge_base/vuln/ accepts for action=list.
constexpr std::string_view kKbParams[] = {
    "action",
    "echo_request",
    "details",
    "ids",
    "id_min",
    "id_max",
    "is_patchable",
    "last_modified_after",
    "last_modified_before",
    "last_modified_by_user_after",
    "last_modified_by_user_before",
    "last_modified_by_service_after",
    "last_modified_by_service_before",
    "published_after",
    "published_before",
    "discovery_method",
    "discovery_auth_types",
    "show_pci_reasons",
    "show_supported_modules_info",
    "show_disabled_flag",
    "show_qid_change_log",
};

}  // namespace

bool Router::V2Limits(Context& ctx, int running) {
  const Seconds now = data_->now();
  std::uint32_t calls = 0;
  Seconds to_wait = 0;
  {
    std::lock_guard lock(mu_);
    const auto t = std::chrono::steady_clock::now();
    const auto window = std::chrono::seconds(options_.rate_limit_window_sec);
    if (t - window_start_ >= window) {
      window_start_ = t;
      window_calls_ = 0;
    }
    calls = ++window_calls_;
    to_wait = std::chrono::duration_cast<std::chrono::seconds>(window_start_ +
                                                               window - t)
                  .count();
  }
  const std::uint32_t remaining =
      calls >= options_.rate_limit ? 0 : options_.rate_limit - calls;
  auto& resp = ctx.resp;
  resp.set("X-RateLimit-Limit", std::to_string(options_.rate_limit));
  resp.set("X-RateLimit-Window-Sec",
           std::to_string(options_.rate_limit_window_sec));
  resp.set("X-RateLimit-Remaining", std::to_string(remaining));
  resp.set("X-Concurrency-Limit-Limit",
           std::to_string(options_.concurrency_limit));
  resp.set("X-Concurrency-Limit-Running", std::to_string(running));
  if (options_.enforce_rate_limit && calls > options_.rate_limit) {
    resp.set("X-RateLimit-ToWait-Sec", std::to_string(to_wait));
    Send(resp, HTTPResponse::HTTP_CONFLICT, kV2Type,
         RenderSimpleReturn("1965",
                            "This API cannot be run again for another " +
                                std::to_string(to_wait) + " seconds.",
                            now, to_wait));
    return false;
  }
  if (options_.enforce_rate_limit &&
      running > static_cast<int>(options_.concurrency_limit)) {
    resp.set("X-RateLimit-ToWait-Sec", "0");
    Send(resp, HTTPResponse::HTTP_CONFLICT, kV2Type,
         RenderSimpleReturn("1960",
                            "This API cannot be run again until " +
                                std::to_string(options_.concurrency_limit) +
                                " currently running instances have finished.",
                            now));
    return false;
  }
  resp.set("X-RateLimit-ToWait-Sec", "0");
  return true;
}

std::optional<FormParams> Router::V2Form(
    Context& ctx, Seconds now, std::span<const std::string_view> known) {
  auto error = [&](std::string_view code, const std::string& text) {
    Send(ctx.resp, HTTPResponse::HTTP_BAD_REQUEST, kV2Type,
         RenderSimpleReturn(code, text, now));
  };
  if (!ctx.req.has("X-Requested-With")) {
    // API v2 refuses calls without the anti-CSRF header.
    error("1903", "Missing required parameter(s): X-Requested-With header");
    return std::nullopt;
  }
  if (ctx.req.getMethod() != "GET" && ctx.req.getMethod() != "POST") {
    error("1908",
          "Request method (GET or POST) is incompatible with "
          "specified parameter(s): action");
    return std::nullopt;
  }
  FormParams params = ParseForm(ctx.query);
  const std::string content_type = ctx.req.getContentType();
  if (!ctx.body.empty() &&
      (content_type.empty() ||
       content_type.starts_with("application/x-www-form-urlencoded"))) {
    for (auto& p : ParseForm(ctx.body)) params.push_back(std::move(p));
  }
  std::string unknown;
  for (const auto& [k, v] : params) {
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      unknown += (unknown.empty() ? "" : ", ") + k;
    }
  }
  if (!unknown.empty()) {
    error("1901", "Unrecognized parameter(s): " + unknown);
    return std::nullopt;
  }
  // Both simulated v2 APIs know only action=list.
  const std::string action = Param(params, "action");
  if (action.empty()) {
    error("1903", "Missing required parameter(s): action");
    return std::nullopt;
  }
  if (action != "list") {
    error("1905", "parameter action has invalid value: " + action);
    return std::nullopt;
  }
  return params;
}

void Router::KnowledgeBase(Context& ctx) {
  const Seconds now = data_->now();
  // Usage limits, as the API reports them on every v2 call.
  const V2Running running(v2_running_);
  if (!V2Limits(ctx, running.value)) return;
  auto& resp = ctx.resp;

  auto error = [&](std::string_view code, const std::string& text) {
    Send(resp, HTTPResponse::HTTP_BAD_REQUEST, kV2Type,
         RenderSimpleReturn(code, text, now));
  };
  auto form = V2Form(ctx, now, kKbParams);
  if (!form) return;
  const FormParams& params = *form;
  const std::string details_text = Param(params, "details", "Basic");
  KbDetails details = KbDetails::kBasic;
  if (details_text == "All") {
    details = KbDetails::kAll;
  } else if (details_text == "None") {
    details = KbDetails::kNone;
  } else if (details_text != "Basic") {
    error("1905", "parameter details has invalid value: " + details_text);
    return;
  }
  std::uint64_t id_min = 0;
  std::uint64_t id_max = UINT64_MAX;
  for (auto [name, target] :
       {std::pair{"id_min", &id_min}, std::pair{"id_max", &id_max}}) {
    const std::string text = Param(params, name);
    if (text.empty()) continue;
    const auto v = ToUint(text);
    if (!v) {
      error("1905",
            std::string("parameter ") + name + " has invalid value: " + text);
      return;
    }
    *target = *v;
  }
  std::vector<const KbEntry*> entries;
  const std::string ids = Param(params, "ids");
  if (!ids.empty()) {
    std::set<std::uint64_t> wanted;
    std::size_t start = 0;
    while (start <= ids.size()) {
      std::size_t comma = ids.find(',', start);
      if (comma == std::string::npos) comma = ids.size();
      std::string item = ids.substr(start, comma - start);
      item.erase(std::remove(item.begin(), item.end(), ' '), item.end());
      if (!item.empty()) {
        const std::size_t dash = item.find('-');
        const auto lo = ToUint(item.substr(0, dash));
        const auto hi =
            dash == std::string::npos ? lo : ToUint(item.substr(dash + 1));
        if (!lo || !hi || *hi < *lo) {
          error("1905", "parameter ids has invalid value: " + item);
          return;
        }
        for (const KbEntry& e : KnowledgeBaseEntries()) {
          if (e.qid >= *lo && e.qid <= *hi) wanted.insert(e.qid);
        }
      }
      start = comma + 1;
    }
    for (std::uint64_t qid : wanted) entries.push_back(FindKbEntry(qid));
  } else {
    for (const KbEntry& e : KnowledgeBaseEntries()) entries.push_back(&e);
  }
  std::erase_if(entries, [&](const KbEntry* e) {
    return e->qid < id_min || e->qid > id_max;
  });
  Send(resp, HTTPResponse::HTTP_OK, kV2Type,
       RenderKnowledgeBase(entries, details, now));
}

}  // namespace qx::sim
