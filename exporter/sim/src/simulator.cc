#include "qx/sim/simulator.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>
#include <glog/logging.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "qx/sim/dataset.h"
#include "qx/sim/handlers.h"

namespace qx::sim {
namespace {

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(Router* router) : router_(router) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    router_->Handle(request, response);
  }

 private:
  Router* router_;
};

// Rejects connections once shutdown has begun, so that the connections
// that wake the acceptor never reach a worker thread.
class StopFilter : public Poco::Net::TCPServerConnectionFilter {
 public:
  explicit StopFilter(const std::atomic<bool>* stopping)
      : stopping_(stopping) {}
  bool accept(const Poco::Net::StreamSocket&) override {
    return !stopping_->load();
  }

 private:
  const std::atomic<bool>* stopping_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(Router* router) : router_(router) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(router_);
  }

 private:
  Router* router_;
};

}  // namespace

struct Simulator::Impl {
  explicit Impl(SimOptions o)
      : options(std::move(o)),
        data(options.seed, options.host_assets, options.webapps,
             options.findings_per_webapp, options.time_base, options.host_mix,
             options.was_rescan_percent, options.detection_mix,
             options.scan_schedules, options.webapps_without_findings,
             options.processing_lag_sec),
        router(options, &data),
        pool(2, std::max(2, options.http_threads) + 2, 60) {}

  SimOptions options;
  Dataset data;
  Router router;
  Poco::ThreadPool pool;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  std::uint16_t port = 0;
  std::atomic<bool> stopping{false};
};

Simulator::Simulator(SimOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  try {
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress(impl_->options.bind_address,
                                         impl_->options.port),
                /*reuseAddress=*/true);
    socket.listen(64);
    impl_->port = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(std::max(2, impl_->options.http_threads));
    params->setMaxQueued(128);
    params->setKeepAlive(true);
    params->setTimeout(Poco::Timespan(30, 0));
    params->setServerName("qualys-sim");
    // A Poco 1.11 worker that finishes a connection while the server stops
    // misses the wake-up and sleeps for the idle time (default 10 s) before
    // the pool can be joined: keep it short.
    params->setThreadIdleTime(Poco::Timespan(0, 100'000));
    impl_->server = std::make_unique<Poco::Net::HTTPServer>(
        new Factory(&impl_->router), impl_->pool, socket, params);
    impl_->server->setConnectionFilter(new StopFilter(&impl_->stopping));
    impl_->server->start();
  } catch (const Poco::Exception& e) {
    throw std::runtime_error(
        "qualys-sim: cannot listen on " + impl_->options.bind_address + ":" +
        std::to_string(impl_->options.port) + ": " + e.displayText());
  }
  LOG(INFO) << "qualys-sim: serving " << impl_->options.host_assets
            << " host assets, " << impl_->options.webapps << " web apps at "
            << base_url();
}

Simulator::~Simulator() {
  if (!impl_->server) return;
  // Poco's acceptor polls with a 250 ms timeout before it notices the stop;
  // wake it with throw-away connections (rejected by StopFilter) so that
  // shutdown is immediate.
  impl_->stopping.store(true);
  std::atomic<bool> waking{true};
  std::thread waker([this, &waking] {
    std::string host = impl_->options.bind_address;
    if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
    if (host == "::") host = "::1";
    while (waking.load()) {
      try {
        Poco::Net::StreamSocket poke;
        poke.connect(Poco::Net::SocketAddress(host, impl_->port),
                     Poco::Timespan(0, 50'000));
      } catch (const Poco::Exception&) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  impl_->server->stopAll(/*abortCurrent=*/true);
  waking.store(false);
  waker.join();
  impl_->pool.joinAll();
  impl_->server.reset();
}

std::uint16_t Simulator::port() const { return impl_->port; }

std::string Simulator::base_url() const {
  std::string host = impl_->options.bind_address;
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(impl_->port);
}

void Simulator::Advance() { impl_->data.Advance(); }

int Simulator::epoch() const { return impl_->data.epoch(); }

std::string Simulator::ExpectedJson(int recurrence_min_scans,
                                    std::int64_t max_scan_age_seconds) const {
  return impl_->data.ExpectedJson(recurrence_min_scans, max_scan_age_seconds);
}

std::map<std::string, std::uint64_t> Simulator::RequestCounts() const {
  return impl_->router.RequestCounts();
}

}  // namespace qx::sim
