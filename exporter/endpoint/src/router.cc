#include "router.h"

#include <Poco/Net/HTTPRequest.h>

namespace qx {

using Poco::Net::HTTPResponse;

Router::Router(std::string telemetry_path, const WebSettingsWatcher& settings,
               RouterHandlers handlers,
               prometheus::Family<prometheus::Counter>* requests)
    : telemetry_path_(std::move(telemetry_path)),
      settings_(settings),
      handlers_(std::move(handlers)),
      requests_(requests) {}

void Router::Handle(Poco::Net::HTTPServerRequest& request,
                    Poco::Net::HTTPServerResponse& response,
                    Poco::Net::StreamSocket& socket) {
  const std::shared_ptr<const WebSettings> settings = settings_.Current();
  for (const auto& [name, value] : settings->headers) response.set(name, value);
  const std::string& uri = request.getURI();
  Exchange ex{request, response, socket, uri.substr(0, uri.find('?')),
              request.getMethod() == Poco::Net::HTTPRequest::HTTP_HEAD};
  std::string name = "other";
  const int code = Route(ex, *settings, &name);
  if (requests_) {
    requests_->Add({{"handler", name}, {"code", std::to_string(code)}})
        .Increment();
  }
}

int Router::Route(Exchange& ex, const WebSettings& settings,
                  std::string* name) {
  const bool healthy = ex.path == "/-/healthy";
  // The probes tell only "alive" and "ready": an orchestrator asks them
  // without credentials (a kubelet cannot send a password from a Secret).
  const bool probe = healthy || ex.path == "/-/ready";
  if (healthy) {
    *name = "healthy";
  } else if (ex.path == telemetry_path_) {
    *name = "metrics";
  } else if (ex.path == "/") {
    *name = "landing";
  } else if (ex.path == "/-/ready") {
    *name = "ready";
  }
  // The liveness probe is never rate-limited nor authenticated, so that an
  // orchestrator needs no credentials to see the process is alive.
  if (!healthy && settings.limiter && !settings.limiter->Allow()) {
    SendText(ex, HTTPResponse::HTTP_TOO_MANY_REQUESTS,
             "text/plain; charset=utf-8", "Too Many Requests\n");
    return 429;
  }
  const std::string& method = ex.request.getMethod();
  if (method != Poco::Net::HTTPRequest::HTTP_GET && !ex.head) {
    ex.response.set("Allow", "GET, HEAD");
    ex.response.setKeepAlive(false);  // any request body stays unread
    SendText(ex, HTTPResponse::HTTP_METHOD_NOT_ALLOWED,
             "text/plain; charset=utf-8", "Method Not Allowed\n");
    return 405;
  }
  if (!probe && settings.verifier &&
      !settings.verifier->VerifyHeader(ex.request.get("Authorization", ""))) {
    ex.response.set("WWW-Authenticate", "Basic realm=\"qualys-exporter\"");
    SendText(ex, HTTPResponse::HTTP_UNAUTHORIZED, "text/plain; charset=utf-8",
             "Unauthorized\n");
    return 401;
  }
  Handler* handler = *name == "healthy"   ? handlers_.healthy.get()
                     : *name == "metrics" ? handlers_.metrics.get()
                     : *name == "landing" ? handlers_.landing.get()
                     : *name == "ready"   ? handlers_.ready.get()
                                          : nullptr;
  if (!handler) {
    SendText(ex, HTTPResponse::HTTP_NOT_FOUND, "text/plain; charset=utf-8",
             "Not Found\n");
    return 404;
  }
  return handler->Serve(ex);
}

}  // namespace qx
