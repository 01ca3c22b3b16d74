// qx::MetricsServer over plain HTTP on loopback: each handler, keep-alive,
// gzip, HEAD, the scrape cap (503), slow clients, IPv6.
#include "qx/endpoint/metrics_server.h"

#include <Poco/Net/StreamSocket.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/gauge.h>
#include <prometheus/text_serializer.h>
#include <sys/socket.h>
#include <zlib.h>

#include <atomic>
#include <sstream>

#include "qx/aggregate/family_builder.h"
#include "qx/endpoint/pages.h"
#include "qx/snapshot/snapshot_collector.h"
#include "server_test_util.h"

namespace qx {
namespace {

using testing::Get;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::Reply;

std::string Gunzip(const std::string& gz) {
  z_stream z{};
  inflateInit2(&z, 16 + MAX_WBITS);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  char buf[1 << 14];
  int rc;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  } while (rc == Z_OK);
  inflateEnd(&z);
  return rc == Z_STREAM_END ? out : "<gunzip failed>";
}

Snapshot Series(const std::string& name, int n) {
  FamilyBuilder b(name, "test family", prometheus::MetricType::Gauge);
  for (int i = 0; i < n; ++i) {
    b.Gauge({{"id", std::to_string(i)}, {"pad", std::string(40, 'x')}}, i);
  }
  Snapshot s;
  s.push_back(std::move(b).Build());
  return s;
}

class MetricsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    self_ = std::make_shared<prometheus::Registry>();
    prometheus::BuildGauge()
        .Name("qx_test_self")
        .Register(*self_)
        .Add({})
        .Set(1);
    status_.sources = [this] {
      SourceStatus s;
      s.name = "<src&\"1\">";
      s.published = published_.load();
      s.last_result = published_.load() ? "ok" : "";
      return std::vector<SourceStatus>{s};
    };
  }

  std::unique_ptr<MetricsServer> Start(MetricsServerOptions o = {}) {
    if (o.listen.empty()) o.listen = ParseListenAddresses("127.0.0.1:0");
    o.version = "1.2.3<b>";
    auto s = std::make_unique<MetricsServer>(
        o, [this] { return collector_.Blocks(); }, self_, status_);
    port_ = s->addresses().at(0).port();
    return s;
  }
  Reply Fetch(const std::string& path,
              const std::map<std::string, std::string>& h = {},
              const std::string& method = "GET") {
    return Get("127.0.0.1", port_, path, h, method);
  }
  std::string SelfText() {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, self_->Collect());
    return out.str();
  }

  SnapshotCollector collector_;
  std::shared_ptr<prometheus::Registry> self_;
  ServerStatus status_;
  std::atomic<bool> published_{false};
  int port_ = 0;
};

TEST_F(MetricsServerTest, HealthyReadyNotFoundAndMethods) {
  auto server = Start();
  Reply r = Fetch("/-/healthy");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "Healthy\n");
  r = Fetch("/-/ready");
  EXPECT_EQ(r.status, 503);
  EXPECT_THAT(r.body, HasSubstr("<src&\"1\">"));
  published_ = true;
  EXPECT_EQ(Fetch("/-/ready").status, 200);
  EXPECT_EQ(Fetch("/-/ready?x=1").status, 200);  // the query is ignored
  EXPECT_EQ(Fetch("/metricsx").status, 404);
  EXPECT_EQ(Fetch("/-/").status, 404);
  r = Fetch("/metrics", {}, "POST");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["Allow"], "GET, HEAD");
}

TEST_F(MetricsServerTest, MetricsAreThePublishedBytesPlusSelfMetrics) {
  collector_.Publish("b", Series("qx_b", 3));
  collector_.Publish("a", Series("qx_a", 2));
  MetricsServerOptions o;
  o.telemetry_path = "/custom";
  auto server = Start(o);
  std::ostringstream published;
  collector_.WriteText(published);
  Reply r = Fetch("/custom");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.headers["Content-Type"],
            "text/plain; version=0.0.4; charset=utf-8");
  // The published text verbatim, then the self-metrics (which now count
  // this request too, so compare their start).
  ASSERT_EQ(r.body.substr(0, published.str().size()), published.str());
  EXPECT_THAT(r.body.substr(published.str().size()),
              HasSubstr("qx_test_self 1"));
  EXPECT_EQ(Fetch("/metrics").status, 404);
  // The requests so far are counted in the self-metrics of the next scrape.
  EXPECT_THAT(Fetch("/custom").body,
              HasSubstr("qualys_exporter_http_requests_total{code=\"404\","
                        "handler=\"other\"} 1"));

  // gzip: the same text.
  Reply z = Fetch("/custom", {{"Accept-Encoding", "br, gzip;q=0.5"}});
  ASSERT_EQ(z.status, 200);
  EXPECT_EQ(z.headers["Content-Encoding"], "gzip");
  EXPECT_EQ(std::stoul(z.headers["Content-Length"]), z.body.size());
  std::string text = Gunzip(z.body);
  EXPECT_EQ(text.substr(0, published.str().size()), published.str());
  EXPECT_THAT(text, HasSubstr("handler=\"metrics\""));
  // q=0 refuses gzip.
  Reply plain = Fetch("/custom", {{"Accept-Encoding", "gzip;q=0"}});
  EXPECT_EQ(plain.headers.count("Content-Encoding"), 0u);
  EXPECT_EQ(plain.body.substr(0, published.str().size()), published.str());

  // HEAD: the headers of GET, no body.
  Reply h = Fetch("/custom", {}, "HEAD");
  EXPECT_EQ(h.status, 200);
  EXPECT_TRUE(h.body.empty());
  EXPECT_GT(std::stoul(h.headers["Content-Length"]), published.str().size());
}

TEST_F(MetricsServerTest, LandingPageEscapesWhatItShows) {
  auto server = Start();
  Reply r = Fetch("/");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["Content-Type"], "text/html; charset=utf-8");
  EXPECT_THAT(r.body, HasSubstr("&lt;src&amp;&quot;1&quot;&gt;"));
  EXPECT_THAT(r.body, Not(HasSubstr("<src")));
  EXPECT_THAT(r.body, HasSubstr("1.2.3&lt;b&gt;"));
  EXPECT_THAT(r.body, HasSubstr("href=\"/metrics\""));
  EXPECT_THAT(r.body, HasSubstr("not polled yet"));
}

TEST(LandingPage, ShowsAgeRecordsAndProgress) {
  SourceStatus s{"hostasset", "failed", 1000.0, 250, 1000, true};
  std::string page =
      RenderLandingPage({"v", "r", "/m", true}, {s}, false, 1000.0 + 150);
  EXPECT_THAT(page, HasSubstr(">failed<"));
  EXPECT_THAT(page, HasSubstr(">2 min<"));
  EXPECT_THAT(page, HasSubstr(">250<"));
  EXPECT_THAT(page, HasSubstr(">25 %<"));
  EXPECT_THAT(page, HasSubstr("not ready"));
  EXPECT_THAT(page, HasSubstr("served over TLS"));
}

TEST(AcceptEncoding, Gzip) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("deflate, GZIP"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_TRUE(AcceptsGzip("gzip;q=0.1"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip; q=0.000"));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip("xgzip"));
  EXPECT_FALSE(AcceptsGzip(""));
}

TEST_F(MetricsServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  collector_.Publish("a", Series("qx_a", 10));
  auto server = Start();
  Poco::Net::HTTPClientSession session("127.0.0.1",
                                       static_cast<Poco::UInt16>(port_));
  for (int i = 0; i < 5; ++i) {
    Reply r = testing::Exchange(session, "GET", "/metrics", {});
    ASSERT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.headers["Connection"], "Keep-Alive");
  }
  // Still the first connection: Poco reconnects only after a close.
  EXPECT_TRUE(session.connected());
}

TEST_F(MetricsServerTest, ScrapesBeyondTheCapGet503) {
  // Big enough that a client which does not read blocks the server's write.
  collector_.Publish("big", Series("qx_big", 150000));  // ~11 MB
  MetricsServerOptions o;
  o.max_requests = 1;
  auto server = Start(o);
  // The small receive buffer is set before connecting, so the TCP window
  // is negotiated small and the server's write really blocks (set after
  // the handshake, the kernel may already have scaled the window up). On a
  // loaded machine a stuck scrape can still slip through; a fresh one is
  // tried (at most three), and one 503 proves the cap.
  std::unique_ptr<Poco::Net::StreamSocket> stuck;
  Reply r;
  bool capped = false;
  for (int attempt = 0; attempt < 3 && !capped; ++attempt) {
    stuck = std::make_unique<Poco::Net::StreamSocket>(
        Poco::Net::SocketAddress::IPv4);
    int rcvbuf = 4096;
    setsockopt(stuck->impl()->sockfd(), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
               sizeof rcvbuf);
    stuck->connect(Poco::Net::SocketAddress("127.0.0.1",
                                            static_cast<Poco::UInt16>(port_)));
    const std::string req = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    stuck->sendBytes(req.data(), static_cast<int>(req.size()));
    // HEAD takes a scrape slot too, without downloading the body.
    capped = testing::WaitFor(
        [&] {
          r = Fetch("/metrics", {}, "HEAD");
          return r.status == 503;
        },
        std::chrono::seconds(10));
  }
  EXPECT_TRUE(capped) << "last answer " << r.status << " " << r.error;
  EXPECT_EQ(r.headers["Retry-After"], "1");
  EXPECT_EQ(Fetch("/-/healthy").status, 200);  // other paths still answer
  stuck->close();
  EXPECT_TRUE(testing::WaitFor(
      [&] { return Fetch("/metrics", {}, "HEAD").status == 200; },
      std::chrono::seconds(30)));
}

TEST_F(MetricsServerTest, SlowClientCannotHoldTheOnlyWorker) {
  MetricsServerOptions o;
  o.max_connections = 1;
  o.request_timeout = std::chrono::milliseconds(600);
  auto server = Start(o);
  Poco::Net::StreamSocket slow;
  slow.connect(
      Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port_)));
  const std::string start = "GET /metrics HTTP/1.1\r\n";
  slow.sendBytes(start.data(), static_cast<int>(start.size()));
  std::atomic<bool> dripping{true};
  std::thread drip([&] {  // a header byte every 50 ms, never finishing
    while (dripping) {
      try {
        slow.sendBytes("x", 1);
      } catch (const Poco::Exception&) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  // Queued behind the slow client, answered once its deadline passes.
  auto t0 = std::chrono::steady_clock::now();
  Reply r = Fetch("/-/healthy");
  auto waited = std::chrono::steady_clock::now() - t0;
  dripping = false;
  drip.join();
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_LT(waited, std::chrono::seconds(5));
  EXPECT_GE(server->timeouts(), 1u);
  // The slow client was disconnected.
  char buf[256];
  slow.setReceiveTimeout(Poco::Timespan(5, 0));
  int n = 0;
  try {
    n = slow.receiveBytes(buf, sizeof buf);
  } catch (const Poco::Exception&) {
    n = 0;
  }
  EXPECT_EQ(n, 0);
}

TEST_F(MetricsServerTest, ServesIpv4AndIpv6Loopback) {
  MetricsServerOptions o;
  o.listen = ParseListenAddresses("127.0.0.1:0,[::1]:0");
  auto server = Start(o);
  auto addrs = server->addresses();
  ASSERT_EQ(addrs.size(), 2u);
  EXPECT_EQ(addrs[1].family(), Poco::Net::SocketAddress::IPv6);
  EXPECT_EQ(Get("127.0.0.1", addrs[0].port(), "/-/healthy").status, 200);
  EXPECT_EQ(Get("::1", addrs[1].port(), "/-/healthy").status, 200);
}

TEST_F(MetricsServerTest, ReportsBindFailureAndBadPath) {
  auto first = Start();
  MetricsServerOptions o;
  o.listen = ParseListenAddresses("127.0.0.1:" + std::to_string(port_));
  try {
    Start(o);
    FAIL() << "second bind succeeded";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("--web.listen-address=127.0.0.1:"));
  }
  o = {};
  o.telemetry_path = "metrics";
  EXPECT_THROW(Start(o), std::runtime_error);
}

}  // namespace
}  // namespace qx
