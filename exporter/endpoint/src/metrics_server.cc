#include "qx/endpoint/metrics_server.h"

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>
#include <glog/logging.h>

#include <stdexcept>

#include "handlers.h"
#include "http_connection.h"
#include "router.h"
#include "web_settings.h"

namespace qx {

struct MetricsServer::Impl {
  MetricsServerOptions options;
  std::unique_ptr<WebSettingsWatcher> settings;
  std::unique_ptr<Router> router;
  Watchdog watchdog;
  std::unique_ptr<Poco::ThreadPool> pool;
  std::vector<std::unique_ptr<Poco::Net::TCPServer>> servers;
  std::vector<Poco::Net::SocketAddress> addresses;
  bool stopped = false;
};

namespace {

Poco::Net::ServerSocket NewSocket(TlsContext* tls) {
  if (tls) return Poco::Net::SecureServerSocket(tls->context());
  return Poco::Net::ServerSocket();
}

Poco::Net::ServerSocket Bind(const ListenAddress& a, TlsContext* tls) {
  Poco::Net::ServerSocket socket = NewSocket(tls);
  using Family = ListenAddress::Family;
  try {
    switch (a.family) {
      case Family::kIpv4:
        socket.bind(Poco::Net::SocketAddress(a.host, a.port), true, false);
        break;
      case Family::kIpv6:
        socket.bind6(Poco::Net::SocketAddress(a.host, a.port), true, false,
                     a.ipv6_only);
        break;
      case Family::kDualStack:
        try {
          socket.bind6(Poco::Net::SocketAddress("::", a.port), true, false,
                       false);
        } catch (const Poco::Exception&) {
          // No IPv6 on this machine: every IPv4 interface.
          socket = NewSocket(tls);
          socket.bind(Poco::Net::SocketAddress("0.0.0.0", a.port), true, false);
        }
        break;
    }
    socket.listen(128);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("--web.listen-address=" + a.spelling +
                             ": cannot listen: " + e.displayText());
  }
  return socket;
}

}  // namespace

MetricsServer::MetricsServer(MetricsServerOptions options, SnapshotFn snapshot,
                             std::shared_ptr<prometheus::Registry> self_metrics,
                             ServerStatus status)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.options = std::move(options);
  const auto& o = m.options;
  if (o.listen.empty()) {
    throw std::runtime_error("--web.listen-address: no address to serve on");
  }
  if (o.telemetry_path.empty() || o.telemetry_path.front() != '/') {
    throw std::runtime_error("--web.telemetry-path must start with '/', not '" +
                             o.telemetry_path + "'");
  }
  Poco::Net::initializeSSL();
  m.settings = std::make_unique<WebSettingsWatcher>(o.web_config_file,
                                                    o.config_check_interval);
  prometheus::Family<prometheus::Counter>* requests = nullptr;
  if (self_metrics) {
    requests = &prometheus::BuildCounter()
                    .Name("qualys_exporter_http_requests_total")
                    .Help(
                        "HTTP requests answered by the exporter, by handler "
                        "and status code")
                    .Register(*self_metrics);
  }
  RouterHandlers handlers;
  handlers.metrics = std::make_unique<MetricsHandler>(
      std::move(snapshot), self_metrics, o.max_requests);
  handlers.landing = std::make_unique<LandingPageHandler>(
      LandingPageInfo{o.version, o.revision, o.telemetry_path,
                      m.settings->tls() != nullptr},
      status);
  handlers.healthy = std::make_unique<HealthyHandler>();
  handlers.ready = std::make_unique<ReadyHandler>(status);
  m.router = std::make_unique<Router>(o.telemetry_path, *m.settings,
                                      std::move(handlers), requests);

  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setKeepAlive(true);
  params->setMaxKeepAliveRequests(0);  // unlimited
  params->setTimeout(Poco::Timespan(
      std::chrono::duration_cast<std::chrono::microseconds>(o.request_timeout)
          .count()));
  params->setKeepAliveTimeout(Poco::Timespan(
      std::chrono::duration_cast<std::chrono::microseconds>(o.idle_timeout)
          .count()));
  params->setMaxThreads(std::max(1, o.max_connections));
  params->setMaxQueued(std::max(8, o.max_connections));
  params->setServerName("qualys-exporter");
  params->setSoftwareVersion("qualys-exporter/" + o.version);

  const int threads =
      std::max(1, o.max_connections) * static_cast<int>(o.listen.size());
  m.pool = std::make_unique<Poco::ThreadPool>(std::min(2, threads), threads);
  std::vector<Poco::Net::ServerSocket> sockets;
  for (const auto& a : o.listen) {
    sockets.push_back(Bind(a, m.settings->tls()));
    m.addresses.push_back(sockets.back().address());
  }
  for (auto& socket : sockets) {
    Poco::Net::TCPServerConnectionFactory::Ptr factory =
        new HttpConnectionFactory(*m.router, m.watchdog, params,
                                  o.request_timeout);
    m.servers.push_back(std::make_unique<Poco::Net::TCPServer>(factory, *m.pool,
                                                               socket, params));
    m.servers.back()->start();
  }
  m.settings->Start();
  for (std::size_t i = 0; i < m.addresses.size(); ++i) {
    LOG(INFO) << "serving on " << m.addresses[i].toString()
              << (m.settings->tls() ? " (TLS)" : "")
              << " (--web.listen-address " << o.listen[i].spelling << ")";
  }
}

MetricsServer::~MetricsServer() { Stop(); }

void MetricsServer::Stop() {
  Impl& m = *impl_;
  if (m.stopped) return;
  m.stopped = true;
  m.settings->Stop();
  for (auto& s : m.servers) s->stop();  // no new connections
  m.watchdog.AbortAll();                // wakes every open connection
  m.pool->joinAll();
  m.servers.clear();
}

std::vector<Poco::Net::SocketAddress> MetricsServer::addresses() const {
  return impl_->addresses;
}

bool MetricsServer::tls() const { return impl_->settings->tls() != nullptr; }

std::uint64_t MetricsServer::timeouts() const {
  return impl_->watchdog.timeouts();
}

}  // namespace qx
