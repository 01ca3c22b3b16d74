#include "qx/sim/handlers.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>
#include <glog/logging.h>

#include <algorithm>
#include <thread>

#include "qx/sim/http_util.h"
#include "qx/sim/json_writer.h"
#include "qx/sim/renderers.h"

namespace qx::sim {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

namespace {

constexpr std::size_t kMaxUri = 8192;
constexpr std::string_view kQpsType = kQpsContentType;
constexpr std::string_view kV2Type = kV2ContentType;

}  // namespace

Router::Router(const SimOptions& options, Dataset* data)
    : options_(options),
      data_(data),
      window_start_(std::chrono::steady_clock::now()) {}

void Router::Count(const std::string& path) {
  std::lock_guard lock(mu_);
  ++counts_[path];
}

std::map<std::string, std::uint64_t> Router::RequestCounts() const {
  std::lock_guard lock(mu_);
  return counts_;
}

void Router::AddFault(Fault fault) {
  std::lock_guard lock(mu_);
  faults_.push_back(std::move(fault));
}

void Router::ClearFaults() {
  std::lock_guard lock(mu_);
  faults_.clear();
}

bool Router::Authorized(HTTPServerRequest& request) const {
  if (!request.hasCredentials()) return false;
  try {
    const Poco::Net::HTTPBasicCredentials creds(request);
    return creds.getUsername() == options_.username &&
           creds.getPassword() == options_.password;
  } catch (const Poco::Exception&) {
    return false;
  }
}

void Router::Handle(HTTPServerRequest& req, HTTPServerResponse& resp) {
  Context ctx{req, resp, {}, {}, {}};
  const std::string& uri = req.getURI();
  std::string raw_path;
  try {
    const Poco::URI parsed(uri);
    raw_path = parsed.getPath();
    ctx.query = parsed.getRawQuery();
  } catch (const Poco::Exception& e) {
    Count("invalid-uri");
    Send(resp, HTTPResponse::HTTP_BAD_REQUEST, "text/plain",
         "Bad request URI: " + e.displayText() + "\n");
    return;
  }
  const std::string stripped = StripSlash(raw_path);
  if (stripped == kHostAssetPath || stripped == kFindingPath ||
      stripped == kHostAssetCountPath || stripped == kFindingCountPath) {
    ctx.path = stripped;
  } else if (stripped == StripSlash(std::string(kKnowledgeBasePath))) {
    ctx.path = std::string(kKnowledgeBasePath);
  } else {
    ctx.path = raw_path;
  }
  Count(ctx.path);
  VLOG(1) << "qualys-sim: " << req.getMethod() << " " << uri;

  try {
    // Always consume the body so a kept-alive connection stays in sync.
    ctx.body = ReadBody(req);
    if (ctx.path.starts_with("/sim/")) {
      Control(ctx);
      return;
    }
    const bool host_path =
        ctx.path == kHostAssetPath || ctx.path == kHostAssetCountPath;
    const bool qps =
        host_path || ctx.path == kFindingPath || ctx.path == kFindingCountPath;
    const bool v2 = ctx.path == kKnowledgeBasePath;
    if (uri.size() > kMaxUri) {
      // What the gateway answers to over-long GET URLs.
      Send(resp, HTTPResponse::HTTP_REQUESTURITOOLONG, "text/html",
           GatewayHtml(414));
      return;
    }
    if (!qps && !v2) {
      Send(resp, HTTPResponse::HTTP_NOT_FOUND, "text/html", GatewayHtml(404));
      return;
    }
    if (!Authorized(req)) {
      resp.set("WWW-Authenticate", "Basic realm=\"Qualys\"");
      if (qps) {
        Send(resp, HTTPResponse::HTTP_UNAUTHORIZED, kQpsType,
             RenderQpsError(host_path ? kHostAssetXsd : kFindingXsd,
                            "INVALID_CREDENTIALS", "Bad Login/Password",
                            "Check the user name and password."));
      } else {
        Send(resp, HTTPResponse::HTTP_UNAUTHORIZED, kV2Type,
             RenderSimpleReturn("", "Bad Login/Password", data_->now()));
      }
      return;
    }
    if (ApplyFault(ctx)) return;
    if (host_path) {
      HostAssets(ctx, ctx.path == kHostAssetCountPath);
    } else if (qps) {
      WasFindings(ctx, ctx.path == kFindingCountPath);
    } else {
      KnowledgeBase(ctx);
    }
  } catch (const std::exception& e) {
    LOG(ERROR) << "qualys-sim: " << req.getMethod() << " " << uri << ": "
               << e.what();
    if (!resp.sent()) {
      Send(resp, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, "text/plain",
           std::string("internal error: ") + e.what() + "\n");
    }
  }
}

bool Router::ApplyFault(Context& ctx) {
  Fault fault;
  {
    std::lock_guard lock(mu_);
    auto it = std::find_if(faults_.begin(), faults_.end(), [&](const Fault& f) {
      return ctx.path.find(f.path_contains) != std::string::npos;
    });
    if (it == faults_.end()) return false;
    fault = *it;
    if (--it->remaining <= 0) faults_.erase(it);
  }
  if (fault.delay_ms > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(fault.delay_ms));
  }
  if (fault.status == 0) return false;
  const auto status = static_cast<HTTPResponse::HTTPStatus>(fault.status);
  const bool qps = ctx.path != kKnowledgeBasePath;
  if (fault.status == 409) {
    const bool concurrency = fault.code == "1960";
    ctx.resp.set("X-RateLimit-ToWait-Sec", std::to_string(fault.wait_seconds));
    Send(ctx.resp, status, kV2Type,
         RenderSimpleReturn(
             concurrency ? "1960" : (fault.code.empty() ? "1965" : fault.code),
             concurrency
                 ? "This API cannot be run again until 1 currently running "
                   "instance has finished."
                 : "This API cannot be run again for another " +
                       std::to_string(fault.wait_seconds) + " seconds.",
             data_->now(),
             concurrency ? std::nullopt
                         : std::optional<Seconds>(fault.wait_seconds)));
  } else if (fault.status >= 500 || fault.status == 414) {
    Send(ctx.resp, status, "text/html", GatewayHtml(fault.status));
  } else if (qps) {
    Send(ctx.resp, status, kQpsType,
         RenderQpsError(ctx.path.find("/am/") != std::string::npos
                            ? kHostAssetXsd
                            : kFindingXsd,
                        fault.code.empty() ? "OTHER_ERROR" : fault.code,
                        "An error occurred during request processing. Please "
                        "contact your account manager."));
  } else {
    Send(ctx.resp, status, kV2Type,
         RenderSimpleReturn(fault.code.empty() ? "1999" : fault.code,
                            "Simulated failure.", data_->now()));
  }
  return true;
}

void Router::Control(Context& ctx) {
  auto& req = ctx.req;
  auto& resp = ctx.resp;
  if (!req.clientAddress().host().isLoopback()) {
    Send(resp, HTTPResponse::HTTP_FORBIDDEN, "text/plain",
         "control endpoints are loopback-only\n");
    return;
  }
  const auto params = ParseForm(ctx.query);
  const std::string& method = req.getMethod();
  std::string out;
  JsonWriter j(&out);
  if (ctx.path == "/sim/advance" && method == "POST") {
    const auto n = ToUint(Param(params, "n", "1")).value_or(1);
    int epoch = data_->epoch();
    for (std::uint64_t i = 0; i < n && i < 1000; ++i) epoch = data_->Advance();
    j.BeginObject();
    j.FieldInt("epoch", epoch);
    j.EndObject();
    SendJson(resp, out);
  } else if (ctx.path == "/sim/expected" && method == "GET") {
    const auto min_scans = ToUint(Param(params, "min_scans", "2")).value_or(2);
    SendJson(resp, data_->ExpectedJson(static_cast<int>(
                       std::min<std::uint64_t>(min_scans, 1000))));
  } else if (ctx.path == "/sim/stats" && method == "GET") {
    j.BeginObject();
    for (const auto& [path, n] : RequestCounts()) j.FieldUint(path, n);
    j.EndObject();
    SendJson(resp, out);
  } else if (ctx.path == "/sim/fail" && method == "POST") {
    if (Param(params, "clear") == "1") {
      ClearFaults();
    } else {
      Fault f;
      f.path_contains = Param(params, "path");
      f.status =
          static_cast<int>(ToUint(Param(params, "status", "0")).value_or(0));
      f.code = Param(params, "code");
      f.remaining =
          static_cast<int>(ToUint(Param(params, "times", "1")).value_or(1));
      f.wait_seconds =
          static_cast<int>(ToUint(Param(params, "wait", "2")).value_or(2));
      f.delay_ms =
          static_cast<int>(ToUint(Param(params, "delay_ms", "0")).value_or(0));
      if (f.path_contains.empty() || (f.status == 0 && f.delay_ms == 0)) {
        SendJson(resp, "{\"error\":\"need path and status or delay_ms\"}\n",
                 HTTPResponse::HTTP_BAD_REQUEST);
        return;
      }
      AddFault(std::move(f));
    }
    SendJson(resp, "{\"ok\":true}");
  } else {
    SendJson(resp, "{\"error\":\"unknown control endpoint or method\"}",
             HTTPResponse::HTTP_NOT_FOUND);
  }
}

}  // namespace qx::sim
