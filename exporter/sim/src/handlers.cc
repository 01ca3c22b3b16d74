#include "qx/sim/handlers.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/URI.h>
#include <glog/logging.h>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <stdexcept>
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

// Collects what a handler would send, so that a fault can send it mangled.
class CaptureResponse final : public HTTPServerResponse {
 public:
  void sendContinue() override {}
  std::ostream& send() override {
    sent_ = true;
    return body_;
  }
  void sendFile(const std::string&, const std::string&) override {
    throw std::logic_error("CaptureResponse::sendFile");
  }
  void sendBuffer(const void* data, std::size_t length) override {
    sent_ = true;
    body_.write(static_cast<const char*>(data),
                static_cast<std::streamsize>(length));
  }
  void redirect(const std::string& uri, HTTPStatus status) override {
    setStatusAndReason(status);
    set("Location", uri);
    sent_ = true;
  }
  void requireAuthentication(const std::string& realm) override {
    setStatusAndReason(HTTP_UNAUTHORIZED);
    set("WWW-Authenticate", "Basic realm=\"" + realm + "\"");
    sent_ = true;
  }
  bool sent() const override { return sent_; }
  std::string body() const { return body_.str(); }

 private:
  std::ostringstream body_;
  bool sent_ = false;
};

// The connection's socket, for the faults that break the HTTP framing.
Poco::Net::StreamSocket& SocketOf(HTTPServerRequest& req) {
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&req);
  if (impl == nullptr) {
    throw std::runtime_error("connection faults need a live HTTP session");
  }
  return impl->socket();
}

void SendAll(Poco::Net::StreamSocket& socket, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const int n = socket.sendBytes(data.data() + sent,
                                   static_cast<int>(data.size() - sent));
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
}

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

std::string Router::FaultsJson() const {
  std::string out;
  JsonWriter j(&out);
  std::lock_guard lock(mu_);
  j.BeginObject();
  j.Key("active");
  j.BeginArray();
  for (const Fault& f : faults_) {
    j.BeginObject();
    j.Field("path", f.path_contains);
    j.Field("match", f.body_contains);
    j.Field("kind", f.kind == FaultKind::kReset      ? "reset"
                    : f.kind == FaultKind::kTruncate ? "truncate"
                                                     : "status");
    j.FieldInt("status", f.status);
    // -1: until cleared.
    j.FieldInt("remaining", f.unlimited ? -1 : f.remaining);
    j.FieldInt("skip", f.skip);
    j.FieldUint("hits", f.hits);
    j.EndObject();
  }
  j.EndArray();
  j.Key("applied");
  j.BeginObject();
  for (const auto& [path, n] : faults_applied_) j.FieldUint(path, n);
  j.EndObject();
  j.EndObject();
  return out;
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
  if (IsQpsPath(stripped)) {
    ctx.path = stripped;
  } else if (IsV2Path(stripped + "/")) {
    ctx.path = stripped + "/";
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
    const bool qps = IsQpsPath(ctx.path);
    const bool v2 = IsV2Path(ctx.path);
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
      Unauthorized(ctx);
      return;
    }
    if (ApplyFault(ctx)) return;
    Dispatch(ctx);
  } catch (const std::exception& e) {
    LOG(ERROR) << "qualys-sim: " << req.getMethod() << " " << uri << ": "
               << e.what();
    if (!resp.sent() && resp.getKeepAlive()) {
      Send(resp, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, "text/plain",
           std::string("internal error: ") + e.what() + "\n");
    }
  }
}

void Router::Dispatch(Context& ctx) {
  if (ctx.path == kHostAssetPath || ctx.path == kHostAssetCountPath) {
    HostAssets(ctx, ctx.path == kHostAssetCountPath);
  } else if (ctx.path == kFindingPath || ctx.path == kFindingCountPath) {
    WasFindings(ctx, ctx.path == kFindingCountPath);
  } else if (ctx.path == kScheduleSearchPath ||
             ctx.path == kScheduleCountPath) {
    WasScanSchedules(ctx, ctx.path == kScheduleCountPath);
  } else if (ctx.path == kWebAppSearchPath || ctx.path == kWebAppCountPath) {
    WebApps(ctx, ctx.path == kWebAppCountPath);
  } else if (ctx.path == kHostDetectionPath) {
    HostDetections(ctx);
  } else {
    KnowledgeBase(ctx);
  }
}

void Router::Unauthorized(Context& ctx) {
  ctx.resp.set("WWW-Authenticate", "Basic realm=\"Qualys\"");
  if (IsV2Path(ctx.path)) {
    Send(ctx.resp, HTTPResponse::HTTP_UNAUTHORIZED, kV2Type,
         RenderSimpleReturn("", "Bad Login/Password", data_->now()));
    return;
  }
  Send(ctx.resp, HTTPResponse::HTTP_UNAUTHORIZED, kQpsType,
       RenderQpsError(QpsXsdFor(ctx.path), "INVALID_CREDENTIALS",
                      "Bad Login/Password",
                      "Check the user name and password."));
}

void Router::ResetConnection(Context& ctx) {
  // SO_LINGER 0: close() sends RST instead of FIN, and Poco closes the
  // session's socket once the handler returns with keep-alive off.
  SocketOf(ctx.req).setLinger(true, 0);
  ctx.resp.setKeepAlive(false);
}

void Router::SendTruncated(Context& ctx, const Fault& fault) {
  CaptureResponse capture;
  capture.setVersion(ctx.resp.getVersion());
  capture.set("Server", ctx.resp.get("Server", "qualys-sim"));
  Context inner{ctx.req, capture, ctx.path, ctx.query, ctx.body};
  Dispatch(inner);
  const std::string body = capture.body();
  const std::size_t written =
      fault.bytes < 0
          ? body.size() / 2
          : std::min(body.size(), static_cast<std::size_t>(fault.bytes));
  // Announce more than is sent, even when `bytes` covers the whole body.
  const std::size_t announced = std::max(body.size(), written + 1);
  capture.setKeepAlive(false);
  capture.setChunkedTransferEncoding(false);
  capture.erase(HTTPResponse::CONTENT_LENGTH);
  if (fault.chunked) {
    capture.setChunkedTransferEncoding(true);
  } else {
    capture.setContentLength64(static_cast<Poco::Int64>(announced));
  }
  std::ostringstream head;
  capture.write(head);
  std::string wire = head.str();
  if (fault.chunked) {
    char size_line[32];
    std::snprintf(size_line, sizeof size_line, "%zx\r\n", announced);
    wire += size_line;
  }
  wire.append(body, 0, written);
  Poco::Net::StreamSocket& socket = SocketOf(ctx.req);
  // The answer bypasses Poco: never send another after it, and close the
  // connection once the handler returns.
  ctx.resp.setKeepAlive(false);
  SendAll(socket, wire);
  socket.shutdownSend();
}

bool Router::ApplyFault(Context& ctx) {
  Fault fault;
  {
    std::lock_guard lock(mu_);
    auto it = std::find_if(faults_.begin(), faults_.end(), [&](const Fault& f) {
      return ctx.path.find(f.path_contains) != std::string::npos &&
             (f.body_contains.empty() ||
              ctx.body.find(f.body_contains) != std::string::npos ||
              ctx.query.find(f.body_contains) != std::string::npos);
    });
    if (it == faults_.end()) return false;
    if (it->skip > 0) {
      --it->skip;
      return false;
    }
    ++it->hits;
    ++faults_applied_[ctx.path];
    fault = *it;
    if (!it->unlimited && --it->remaining <= 0) faults_.erase(it);
  }
  if (fault.delay_ms > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(fault.delay_ms));
  }
  if (fault.kind == FaultKind::kReset) {
    ResetConnection(ctx);
    return true;
  }
  if (fault.kind == FaultKind::kTruncate) {
    SendTruncated(ctx, fault);
    return true;
  }
  if (fault.status == 0) return false;
  const auto status = static_cast<HTTPResponse::HTTPStatus>(fault.status);
  const bool qps = !IsV2Path(ctx.path);
  if (fault.status == 401) {
    // As after a password rotation: the API rejects the credentials.
    Unauthorized(ctx);
  } else if (fault.status == 409) {
    const bool concurrency = fault.code == "1960";
    const bool wait = fault.wait_seconds >= 0;
    if (wait) {
      ctx.resp.set("X-RateLimit-ToWait-Sec",
                   std::to_string(fault.wait_seconds));
    }
    std::string text;
    if (concurrency) {
      text =
          "This API cannot be run again until 1 currently running instance "
          "has finished.";
    } else if (wait) {
      text = "This API cannot be run again for another " +
             std::to_string(fault.wait_seconds) + " seconds.";
    } else {
      text = "This API cannot be run again yet.";
    }
    Send(
        ctx.resp, status, kV2Type,
        RenderSimpleReturn(
            concurrency ? "1960" : (fault.code.empty() ? "1965" : fault.code),
            text, data_->now(),
            concurrency || !wait ? std::nullopt
                                 : std::optional<Seconds>(fault.wait_seconds)));
  } else if (fault.status >= 500 || fault.status == 414) {
    Send(ctx.resp, status, "text/html", GatewayHtml(fault.status));
  } else if (qps) {
    Send(ctx.resp, status, kQpsType,
         RenderQpsError(QpsXsdFor(ctx.path),
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
    // max_scan_age: seconds, or a number with a d, h or m suffix.
    std::string age = Param(params, "max_scan_age", "30d");
    Seconds unit = 1;
    if (!age.empty() &&
        (age.back() == 'd' || age.back() == 'h' || age.back() == 'm')) {
      unit = age.back() == 'd' ? kDay : age.back() == 'h' ? kHour : kMinute;
      age.pop_back();
    }
    const auto amount = ToUint(age);
    if (!amount || *amount > 100'000'000) {
      SendJson(resp, "{\"error\":\"max_scan_age must be seconds or Nd/Nh/Nm\"}",
               HTTPResponse::HTTP_BAD_REQUEST);
      return;
    }
    SendJson(resp, data_->ExpectedJson(static_cast<int>(std::min<std::uint64_t>(
                                           min_scans, 1000)),
                                       static_cast<Seconds>(*amount) * unit));
  } else if (ctx.path == "/sim/stats" && method == "GET") {
    j.BeginObject();
    for (const auto& [path, n] : RequestCounts()) j.FieldUint(path, n);
    j.EndObject();
    SendJson(resp, out);
  } else if (ctx.path == "/sim/faults" && method == "GET") {
    SendJson(resp, FaultsJson());
  } else if (ctx.path == "/sim/fail" && method == "POST") {
    if (Param(params, "clear") == "1") {
      ClearFaults();
    } else {
      auto bad = [&](const std::string& why) {
        std::string msg;
        JsonWriter e(&msg);
        e.BeginObject();
        e.Field("error", why);
        e.EndObject();
        SendJson(resp, msg, HTTPResponse::HTTP_BAD_REQUEST);
      };
      Fault f;
      f.path_contains = Param(params, "path");
      const std::string status = Param(params, "status", "0");
      if (status == "reset") {
        f.kind = FaultKind::kReset;
      } else if (status == "truncate") {
        f.kind = FaultKind::kTruncate;
      } else if (const auto code = ToUint(status);
                 code && (*code == 0 || (*code >= 200 && *code <= 599))) {
        f.status = static_cast<int>(*code);
      } else {
        bad("status must be 0, 200..599, reset or truncate");
        return;
      }
      f.code = Param(params, "code");
      const auto times = ToUint(Param(params, "times", "1")).value_or(1);
      f.unlimited = times == 0;
      f.remaining = static_cast<int>(std::min<std::uint64_t>(times, 1 << 30));
      f.skip = static_cast<int>(std::min<std::uint64_t>(
          ToUint(Param(params, "skip", "0")).value_or(0), 1 << 30));
      const std::string wait = Param(params, "wait", "2");
      f.wait_seconds = wait == "none"
                           ? -1
                           : static_cast<int>(std::min<std::uint64_t>(
                                 ToUint(wait).value_or(2), 1 << 30));
      f.body_contains = Param(params, "match");
      f.delay_ms = static_cast<int>(std::min<std::uint64_t>(
          ToUint(Param(params, "delay_ms", "0")).value_or(0), 1 << 30));
      if (const auto bytes = ToUint(Param(params, "bytes"))) {
        f.bytes = static_cast<std::int64_t>(
            std::min<std::uint64_t>(*bytes, std::uint64_t{1} << 40));
      }
      const std::string chunked = Param(params, "chunked");
      f.chunked = chunked == "1" || chunked == "true";
      if (f.path_contains.empty() ||
          (f.kind == FaultKind::kStatus && f.status == 0 && f.delay_ms == 0)) {
        bad("need path and status or delay_ms");
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
