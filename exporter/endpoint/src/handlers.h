// The endpoints. Each handler answers one path; the router (router.h) has
// already applied headers, the rate limit and authentication.
#pragma once

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <prometheus/registry.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "qx/endpoint/pages.h"
#include "qx/endpoint/server_status.h"
#include "qx/snapshot/exposition.h"

namespace qx {

// One request and its answer.
struct Exchange {
  Poco::Net::HTTPServerRequest& request;
  Poco::Net::HTTPServerResponse& response;
  Poco::Net::StreamSocket& socket;  // for writing large bodies directly
  std::string path;                 // the request target without the query
  bool head = false;
};

// A small complete answer (Content-Length; no body for HEAD).
void SendText(Exchange& ex, Poco::Net::HTTPResponse::HTTPStatus status,
              std::string_view content_type, std::string_view body);

class Handler {
 public:
  virtual ~Handler() = default;
  // Answers the exchange; returns the status sent (for the request counter).
  virtual int Serve(Exchange& ex) = 0;
};

// /metrics: the published snapshot's bytes (rendered once per publish,
// gzip-compressed once on demand) plus the self-metrics rendered per scrape.
// More than max_in_flight concurrent scrapes get 503 (0: no cap).
class MetricsHandler final : public Handler {
 public:
  MetricsHandler(std::function<Exposition()> snapshot,
                 std::shared_ptr<prometheus::Registry> self_metrics,
                 int max_in_flight);
  int Serve(Exchange& ex) override;

 private:
  std::function<Exposition()> snapshot_;
  std::shared_ptr<prometheus::Registry> self_metrics_;
  const int max_in_flight_;
  std::atomic<int> in_flight_{0};
};

// "/": the HTML landing page (RenderLandingPage, pages.h).
class LandingPageHandler final : public Handler {
 public:
  LandingPageHandler(LandingPageInfo info, ServerStatus status);
  int Serve(Exchange& ex) override;

 private:
  LandingPageInfo info_;
  ServerStatus status_;
};

// "/-/healthy": 200 "Healthy" while the process serves.
class HealthyHandler final : public Handler {
 public:
  int Serve(Exchange& ex) override;
};

// "/-/ready": 503 until ready (ServerStatus), then 200 "Ready".
class ReadyHandler final : public Handler {
 public:
  explicit ReadyHandler(ServerStatus status) : status_(std::move(status)) {}
  int Serve(Exchange& ex) override;
  static bool IsReady(const ServerStatus& status);

 private:
  ServerStatus status_;
};

}  // namespace qx
