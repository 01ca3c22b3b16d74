// qx-scrape-bench: /metrics latency with the exporter's serving path
// (SnapshotCollector + qx::MetricsServer) on loopback, while another thread
// keeps building and publishing fresh snapshots of the same size back to
// back -- a poll's CPU load and snapshot churn. One keep-alive connection.
//
//   qx-scrape-bench [--series=10000] [--scrapes=300] [--publish-interval-ms=0]
//                   [--gzip]
//
// Prints {"series":N,"bytes":N,"scrapes":N,"publishes":N,"median_ms":..,
//         "p90_ms":..,"p99_ms":..,"max_ms":..,"publish_ms":..,"gzip_ms":..}
// (publish: rendering a snapshot to text once, as Publish does; gzip: its
// one-time compression; both timed alone, idle.)
#include <Poco/InflatingStream.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "qx/aggregate/family_builder.h"
#include "qx/endpoint/metrics_server.h"
#include "qx/snapshot/snapshot_collector.h"

using qx::bench::Arg;

namespace {

// About `series` series shaped like the exporter's biggest families: WAS
// findings by web app x severity x status x category, plus Azure host
// assets by subscription/RG/VNet/subnet/location/state. `round` varies the
// values so each snapshot is new data.
qx::Snapshot BuildSnapshot(std::size_t series, std::uint64_t round) {
  static const char* kStatus[] = {"NEW", "ACTIVE", "REOPENED", "PROTECTED",
                                  "FIXED"};
  static const char* kCategory[] = {"VULNERABILITY", "SENSITIVE_CONTENT",
                                    "INFORMATION_GATHERED"};
  qx::FamilyBuilder was(
      "qualys_was_findings",
      "WAS findings by web app, severity, status and category",
      prometheus::MetricType::Gauge);
  qx::FamilyBuilder azure("qualys_azure_host_assets", "Azure host assets",
                          prometheus::MetricType::Gauge);
  const std::size_t azure_series = series / 10;
  const std::size_t was_series = series - azure_series;
  for (std::size_t i = 0; i < was_series; ++i) {
    const std::size_t combo = i % 75;
    was.Gauge({{"webapp_id", std::to_string(1000000 + i / 75)},
               {"severity", std::to_string(1 + combo % 5)},
               {"status", kStatus[(combo / 5) % 5]},
               {"category", kCategory[combo / 25]}},
              static_cast<double>((i * 7 + round) % 1000));
  }
  for (std::size_t i = 0; i < azure_series; ++i) {
    azure.Gauge(
        {{"subscription_id",
          "6f1c8a2e-0b7d-4c3e-9a51-" + std::to_string(100000000000 + i / 300)},
         {"resource_group", "rg-prod-" + std::to_string(i / 30)},
         {"vnet", "vnet-" + std::to_string(i / 10)},
         {"subnet", i % 2 ? "default" : "app"},
         {"location", "westeurope"},
         {"state", std::to_string(i % 10) + "-RUNNING"}},
        static_cast<double>((i + round) % 500));
  }
  qx::Snapshot s;
  s.push_back(std::move(was).Build());
  s.push_back(std::move(azure).Build());
  return s;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto idx =
      static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t series = std::stoul(Arg(argc, argv, "series", "10000"));
  const std::size_t scrapes = std::stoul(Arg(argc, argv, "scrapes", "300"));
  const int interval_ms =
      std::stoi(Arg(argc, argv, "publish-interval-ms", "0"));

  const bool gzip = Arg(argc, argv, "gzip", "") == "1" ||
                    std::find_if(argv + 1, argv + argc, [](const char* a) {
                      return std::string(a) == "--gzip";
                    }) != argv + argc;

  auto collector = std::make_shared<qx::SnapshotCollector>();
  // The two one-time costs of a publish, timed alone (no server, idle).
  std::vector<double> publish_ms, gzip_ms;
  for (int i = 0; i < 5; ++i) {
    auto snap = BuildSnapshot(series, 0);
    auto t0 = std::chrono::steady_clock::now();
    collector->Publish("bench", snap);
    auto t1 = std::chrono::steady_clock::now();
    collector->Blocks().at(0)->deflated();
    auto t2 = std::chrono::steady_clock::now();
    publish_ms.push_back(
        std::chrono::duration<double, std::milli>(t1 - t0).count());
    gzip_ms.push_back(
        std::chrono::duration<double, std::milli>(t2 - t1).count());
  }
  qx::MetricsServerOptions options;
  options.listen = qx::ParseListenAddresses("127.0.0.1:0");
  qx::MetricsServer server(
      options, [collector] { return collector->Blocks(); },
      std::make_shared<prometheus::Registry>(), qx::ServerStatus{});
  const auto port = server.addresses().at(0).port();

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> publishes{0};
  std::thread publisher([&] {
    for (std::uint64_t round = 1; !stop.load(); ++round) {
      collector->Publish("bench", BuildSnapshot(series, round));
      publishes.fetch_add(1);
      if (interval_ms > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    }
  });

  std::vector<double> ms;
  std::size_t bytes = 0;
  std::string body;
  int rc = 0;
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    session.setKeepAlive(true);
    for (std::size_t i = 0; i < scrapes + 5; ++i) {
      auto start = std::chrono::steady_clock::now();
      Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, "/metrics",
                                 Poco::Net::HTTPMessage::HTTP_1_1);
      req.setKeepAlive(true);
      if (gzip) req.set("Accept-Encoding", "gzip");
      session.sendRequest(req);
      Poco::Net::HTTPResponse resp;
      std::istream& in = session.receiveResponse(resp);
      body.clear();
      char buf[64 << 10];
      while (in.read(buf, sizeof buf) || in.gcount() > 0) {
        body.append(buf, static_cast<std::size_t>(in.gcount()));
      }
      double elapsed = std::chrono::duration<double, std::milli>(
                           std::chrono::steady_clock::now() - start)
                           .count();
      if (resp.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) {
        std::cerr << "qx-scrape-bench: HTTP "
                  << static_cast<int>(resp.getStatus()) << "\n";
        rc = 1;
        break;
      }
      if (i >= 5) ms.push_back(elapsed);  // the first few warm up
      bytes = body.size();
    }
  } catch (const std::exception& e) {
    std::cerr << "qx-scrape-bench: " << e.what() << "\n";
    rc = 1;
  }
  stop.store(true);
  publisher.join();
  std::string text = body;
  if (gzip && !body.empty()) {  // check what was sent: inflate it
    std::istringstream compressed(body);
    Poco::InflatingInputStream inflate(compressed,
                                       Poco::InflatingStreamBuf::STREAM_GZIP);
    text.assign(std::istreambuf_iterator<char>(inflate), {});
  }
  std::size_t exposed = 0;
  for (std::size_t pos = 0; (pos = text.find('\n', pos)) != std::string::npos;
       ++pos)
    ++exposed;
  std::printf(
      "{\"series\":%zu,\"bytes\":%zu,\"lines\":%zu,\"scrapes\":%zu,"
      "\"publishes\":%llu,"
      "\"median_ms\":%.2f,\"p90_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f,"
      "\"publish_ms\":%.2f,\"gzip_ms\":%.2f,\"gzip\":%s}\n",
      series, bytes, exposed, ms.size(),
      static_cast<unsigned long long>(publishes.load()), Percentile(ms, 0.5),
      Percentile(ms, 0.9), Percentile(ms, 0.99), Percentile(ms, 1.0),
      Percentile(publish_ms, 0.5), Percentile(gzip_ms, 0.5),
      gzip ? "true" : "false");
  return rc;
}
