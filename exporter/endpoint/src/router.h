// Every request passes here: web-config headers, rate limit, method check,
// Basic auth, then the handler of its path (404 for unknown paths).
#pragma once

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>

#include <memory>
#include <string>

#include "handlers.h"
#include "web_settings.h"

namespace qx {

struct RouterHandlers {
  std::unique_ptr<Handler> metrics, landing, healthy, ready;
};

class Router {
 public:
  // requests: qualys_exporter_http_requests_total{handler,code}, or null.
  Router(std::string telemetry_path, const WebSettingsWatcher& settings,
         RouterHandlers handlers,
         prometheus::Family<prometheus::Counter>* requests);

  // Answers one request. Exceptions (a broken connection) propagate.
  void Handle(Poco::Net::HTTPServerRequest& request,
              Poco::Net::HTTPServerResponse& response,
              Poco::Net::StreamSocket& socket);

 private:
  int Route(Exchange& ex, const WebSettings& settings, std::string* name);

  const std::string telemetry_path_;
  const WebSettingsWatcher& settings_;
  RouterHandlers handlers_;
  prometheus::Family<prometheus::Counter>* requests_;
};

}  // namespace qx
