// qualys-exporter's HTTP(S) server: /metrics, the landing page, /-/healthy
// and /-/ready, on Poco's HTTP server classes (TCPServer, HTTPServerSession)
// with TLS from Poco NetSSL (OpenSSL 3) and the exporter-toolkit web config.
//
// Connections are kept alive and served by a bounded pool of worker threads
// (one per connection, as in Poco's HTTPServer) with a bounded queue; every
// request has a deadline, idle connections are closed after the idle
// timeout, and more than max_requests concurrent scrapes get 503.
#pragma once

#include <Poco/Net/SocketAddress.h>
#include <prometheus/registry.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "qx/endpoint/listen_address.h"
#include "qx/endpoint/server_status.h"
#include "qx/snapshot/exposition.h"

namespace qx {

struct MetricsServerOptions {
  std::vector<ListenAddress> listen;  // ParseListenAddresses(":9786")
  std::string telemetry_path = "/metrics";
  std::string web_config_file;  // empty: plain HTTP, no authentication
  // Connections served at once (each holds a worker thread while open);
  // as many more (at least 8) wait in a queue, beyond that new connections
  // are closed.
  int max_connections = 64;
  // Concurrent scrapes of telemetry_path; more get 503 (0: no cap).
  int max_requests = 40;
  // From a request's first byte (TLS handshake included) to the end of its
  // answer; a slower client is disconnected.
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
  // An idle keep-alive connection is closed after this.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(120)};
  // How often the web config file and its certificate files are checked.
  std::chrono::milliseconds config_check_interval{std::chrono::seconds(1)};
  std::string version = "unknown", revision = "unknown";
};

class MetricsServer {
 public:
  // The published snapshot: the blocks to send, in order.
  using SnapshotFn = std::function<Exposition()>;

  // Loads the web config, binds every address and starts serving. Throws
  // std::runtime_error: "web config <file>: <field>: <reason>" for a bad
  // file, "--web.listen-address=<addr>: <reason>" when an address cannot be
  // bound. self_metrics is rendered per scrape; the server adds
  // qualys_exporter_http_requests_total{handler,code} to it.
  MetricsServer(MetricsServerOptions options, SnapshotFn snapshot,
                std::shared_ptr<prometheus::Registry> self_metrics,
                ServerStatus status);
  ~MetricsServer();  // Stop()
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Stops accepting, closes every connection, waits for the workers.
  void Stop();

  // The bound addresses (port 0 resolved), in the order of options.listen.
  std::vector<Poco::Net::SocketAddress> addresses() const;
  bool tls() const;
  // Exchanges cut off by request_timeout so far (for tests and logs).
  std::uint64_t timeouts() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qx
