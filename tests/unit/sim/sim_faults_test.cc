// qualys-sim fault injection (POST /sim/fail): connection resets, truncated
// bodies, credentials rejected after a success, 409 storms, 5xx bursts and
// latency, checked on the wire with a raw socket where the HTTP framing is
// the point.
#include <Poco/Exception.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "qx/sim/simulator.h"

namespace qx::sim {
namespace {

constexpr char kHostPath[] = "/qps/rest/2.0/search/am/hostasset";
constexpr char kFindingPath[] = "/qps/rest/3.0/search/was/finding";
constexpr char kKbPath[] = "/api/2.0/fo/knowledge_base/vuln/";
constexpr char kSearch[] =
    "<ServiceRequest><preferences><limitResults>20</limitResults>"
    "</preferences></ServiceRequest>";
constexpr char kKbForm[] = "action=list&ids=38170";

struct Reply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
};

// One request over Poco's client; transport failures propagate.
Reply Call(std::uint16_t port, const std::string& method,
           const std::string& path, const std::string& body = {},
           bool auth = true, const std::string& content_type = "text/xml",
           const std::map<std::string, std::string>& headers = {}) {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  session.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (auth) Poco::Net::HTTPBasicCredentials("demo", "demo").authenticate(req);
  for (const auto& [k, v] : headers) req.set(k, v);
  if (method == "POST") {
    req.setContentType(content_type);
    req.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  Reply r;
  r.status = static_cast<int>(resp.getStatus());
  Poco::StreamCopier::copyToString(in, r.body);
  for (const auto& [k, v] : resp) r.headers[k] = v;
  return r;
}

Reply Search(std::uint16_t port, const char* path = kHostPath) {
  return Call(port, "POST", path, kSearch);
}

Reply Kb(std::uint16_t port) {
  return Call(port, "POST", kKbPath, kKbForm, true,
              "application/x-www-form-urlencoded",
              {{"X-Requested-With", "test"}});
}

int Control(std::uint16_t port, const std::string& query) {
  return Call(port, "POST", "/sim/fail?" + query, {}, false).status;
}

std::string Faults(std::uint16_t port) {
  return Call(port, "GET", "/sim/faults", {}, false).body;
}

// What a raw client sees for one request: every byte until the server
// closed the connection, and whether it ended with an error (RST).
struct Wire {
  std::string bytes;
  bool reset = false;
  bool closed = false;  // orderly EOF
};

Wire RawExchange(std::uint16_t port, const std::string& path,
                 const std::string& body) {
  Poco::Net::StreamSocket socket;
  socket.connect(Poco::Net::SocketAddress("127.0.0.1", port));
  socket.setReceiveTimeout(Poco::Timespan(10, 0));
  const std::string request =
      "POST " + std::string(path) +
      " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic ZGVtbzpkZW1v\r\n"
      "Content-Type: text/xml\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  socket.sendBytes(request.data(), static_cast<int>(request.size()));
  Wire w;
  char buf[8192];
  try {
    while (true) {
      const int n = socket.receiveBytes(buf, sizeof buf);
      if (n <= 0) {
        w.closed = true;
        break;
      }
      w.bytes.append(buf, static_cast<std::size_t>(n));
    }
  } catch (const Poco::TimeoutException&) {
    ADD_FAILURE() << "the server neither answered nor closed in 10 s";
  } catch (const Poco::Exception&) {
    w.reset = true;
  }
  return w;
}

class SimFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SimOptions opts;
    opts.host_assets = 120;
    sim_ = std::make_unique<Simulator>(opts);
  }
  void TearDown() override { sim_.reset(); }
  std::uint16_t port() const { return sim_->port(); }

  std::unique_ptr<Simulator> sim_;
};

TEST_F(SimFaultsTest, ResetClosesWithoutAnyResponse) {
  ASSERT_EQ(Control(port(), "path=hostasset&status=reset"), 200);
  const Wire w = RawExchange(port(), kHostPath, kSearch);
  EXPECT_TRUE(w.bytes.empty()) << w.bytes.substr(0, 200);
  EXPECT_TRUE(w.reset || w.closed);
  // The fault is used up; the same request is now answered.
  EXPECT_EQ(Search(port()).status, 200);

  // Poco's client (the exporter's transport) sees a network error.
  ASSERT_EQ(Control(port(), "path=finding&status=reset&times=2"), 200);
  for (int i = 0; i < 2; ++i) {
    EXPECT_THROW(Search(port(), kFindingPath), Poco::Exception);
  }
  EXPECT_EQ(Search(port(), kFindingPath).status, 200);
  EXPECT_EQ(sim_->RequestCounts()[kFindingPath], 3u);
  EXPECT_NE(Faults(port()).find("\"/qps/rest/3.0/search/was/finding\":2"),
            std::string::npos)
      << Faults(port());
}

TEST_F(SimFaultsTest, TruncateAnnouncesMoreThanItSends) {
  const std::string full = Search(port()).body;
  ASSERT_GT(full.size(), 1000u);

  // Default: half the real body, Content-Length of the whole.
  ASSERT_EQ(Control(port(), "path=hostasset&status=truncate"), 200);
  Reply r = Search(port());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["Content-Length"], std::to_string(full.size()));
  EXPECT_EQ(r.headers["Content-Type"], "application/xml");
  EXPECT_EQ(r.body, full.substr(0, full.size() / 2));

  // bytes=N.
  ASSERT_EQ(Control(port(), "path=hostasset&status=truncate&bytes=123"), 200);
  r = Search(port());
  EXPECT_EQ(r.headers["Content-Length"], std::to_string(full.size()));
  EXPECT_EQ(r.body, full.substr(0, 123));

  // bytes=0: the connection closes right after the headers.
  ASSERT_EQ(Control(port(), "path=hostasset&status=truncate&bytes=0"), 200);
  Wire w = RawExchange(port(), kHostPath, kSearch);
  auto head_end = w.bytes.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << w.bytes;
  EXPECT_EQ(w.bytes.rfind("HTTP/1.1 200", 0), 0u) << w.bytes;
  EXPECT_NE(w.bytes.find("Content-Length: " + std::to_string(full.size())),
            std::string::npos);
  EXPECT_NE(w.bytes.find("Connection: Close"), std::string::npos);
  EXPECT_EQ(w.bytes.size(), head_end + 4);
  EXPECT_TRUE(w.closed);

  // bytes beyond the body: all of it, still announcing one byte more.
  ASSERT_EQ(Control(port(), "path=hostasset&status=truncate&bytes=99999999"),
            200);
  r = Search(port());
  EXPECT_EQ(r.body, full);
  EXPECT_EQ(r.headers["Content-Length"], std::to_string(full.size() + 1));

  // And normal service again, keep-alive included.
  EXPECT_EQ(Search(port()).body, full);
}

TEST_F(SimFaultsTest, TruncateChunked) {
  const std::string full = Search(port()).body;
  ASSERT_EQ(
      Control(port(), "path=hostasset&status=truncate&bytes=100&chunked=1"),
      200);
  const Wire w = RawExchange(port(), kHostPath, kSearch);
  const auto head_end = w.bytes.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << w.bytes;
  const std::string head = w.bytes.substr(0, head_end);
  EXPECT_NE(head.find("Transfer-Encoding: chunked"), std::string::npos) << head;
  EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
  const std::string rest = w.bytes.substr(head_end + 4);
  const auto line_end = rest.find("\r\n");
  ASSERT_NE(line_end, std::string::npos);
  EXPECT_EQ(std::stoul(rest.substr(0, line_end), nullptr, 16), full.size());
  EXPECT_EQ(rest.substr(line_end + 2), full.substr(0, 100));
  EXPECT_TRUE(w.closed);
}

TEST_F(SimFaultsTest, TruncateKeepsV2Headers) {
  Reply full = Kb(port());
  ASSERT_EQ(full.status, 200);
  ASSERT_EQ(Control(port(), "path=knowledge_base&status=truncate&bytes=50"),
            200);
  Reply r = Kb(port());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, full.body.substr(0, 50));
  EXPECT_EQ(r.headers["Content-Length"], std::to_string(full.body.size()));
  EXPECT_FALSE(r.headers["X-RateLimit-Remaining"].empty());
  EXPECT_EQ(r.headers["Content-Type"], full.headers["Content-Type"]);
}

TEST_F(SimFaultsTest, CredentialsRejectedAfterSuccess) {
  // skip=1: one more success, then two rejections as after a password
  // rotation, then the credentials work again.
  ASSERT_EQ(Control(port(), "path=hostasset&status=401&skip=1&times=2"), 200);
  EXPECT_EQ(Search(port()).status, 200);
  for (int i = 0; i < 2; ++i) {
    Reply r = Search(port());
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.headers["WWW-Authenticate"], "Basic realm=\"Qualys\"");
    EXPECT_NE(r.body.find("<responseCode>INVALID_CREDENTIALS</responseCode>"),
              std::string::npos)
        << r.body;
    EXPECT_NE(r.body.find("Bad Login/Password"), std::string::npos);
  }
  EXPECT_EQ(Search(port()).status, 200);

  ASSERT_EQ(Control(port(), "path=knowledge_base&status=401"), 200);
  const Reply kb = Kb(port());
  EXPECT_EQ(kb.status, 401);
  EXPECT_NE(kb.body.find("<SIMPLE_RETURN>"), std::string::npos);
  EXPECT_NE(kb.body.find("Bad Login/Password"), std::string::npos);
  EXPECT_EQ(Kb(port()).status, 200);
}

TEST_F(SimFaultsTest, ConflictStorm) {
  ASSERT_EQ(Control(port(), "path=finding&status=409&times=3&wait=1"), 200);
  for (int i = 0; i < 3; ++i) {
    Reply r = Search(port(), kFindingPath);
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(r.headers["X-RateLimit-ToWait-Sec"], "1");
    EXPECT_NE(r.body.find("<CODE>1965</CODE>"), std::string::npos) << r.body;
  }
  EXPECT_EQ(Search(port(), kFindingPath).status, 200);

  ASSERT_EQ(Control(port(), "path=finding&status=409&times=2&code=1960&wait=0"),
            200);
  for (int i = 0; i < 2; ++i) {
    Reply r = Search(port(), kFindingPath);
    EXPECT_EQ(r.status, 409);
    EXPECT_NE(r.body.find("<CODE>1960</CODE>"), std::string::npos);
    EXPECT_EQ(r.headers["X-RateLimit-ToWait-Sec"], "0");
  }
  EXPECT_EQ(Search(port(), kFindingPath).status, 200);
}

TEST_F(SimFaultsTest, ConflictWithoutWaitHeader) {
  ASSERT_EQ(Control(port(), "path=hostasset&status=409&wait=none"), 200);
  Reply r = Search(port());
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.headers.count("X-RateLimit-ToWait-Sec"), 0u);
  EXPECT_NE(r.body.find("<CODE>1965</CODE>"), std::string::npos) << r.body;
  EXPECT_EQ(Search(port()).status, 200);
}

TEST_F(SimFaultsTest, MatchSelectsRequestsByBody) {
  // Only the pages after the first of a walk carry an id criterion.
  ASSERT_EQ(
      Control(port(), "path=hostasset&status=503&times=0&match=" +
                          std::string("field%3D%22id%22%20operator%3D%22GREATER"
                                      "%22")),
      200);
  EXPECT_EQ(Search(port()).status, 200);
  const std::string next =
      "<ServiceRequest><preferences><limitResults>20</limitResults>"
      "</preferences><filters><Criteria field=\"id\" operator=\"GREATER\">"
      "5</Criteria></filters></ServiceRequest>";
  EXPECT_EQ(Call(port(), "POST", kHostPath, next).status, 503);
  EXPECT_EQ(Search(port()).status, 200);
  EXPECT_NE(Faults(port()).find("\"match\":\"field=\\\"id\\\" "
                                "operator=\\\"GREATER\\\"\""),
            std::string::npos)
      << Faults(port());
}

TEST_F(SimFaultsTest, BurstUntilClearedAndFaultListing) {
  ASSERT_EQ(Control(port(), "path=hostasset&status=502&times=0"), 200);
  std::string listing = Faults(port());
  EXPECT_NE(listing.find("\"remaining\":-1"), std::string::npos) << listing;
  for (int i = 0; i < 5; ++i) {
    Reply r = Search(port());
    EXPECT_EQ(r.status, 502);
    EXPECT_EQ(r.headers["Content-Type"], "text/html");
  }
  listing = Faults(port());
  EXPECT_NE(listing.find("\"hits\":5"), std::string::npos) << listing;
  EXPECT_NE(listing.find("\"kind\":\"status\""), std::string::npos);
  // Other endpoints are untouched.
  EXPECT_EQ(Search(port(), kFindingPath).status, 200);
  ASSERT_EQ(Control(port(), "clear=1"), 200);
  EXPECT_EQ(Search(port()).status, 200);
  listing = Faults(port());
  EXPECT_NE(listing.find("\"active\":[]"), std::string::npos) << listing;
  EXPECT_NE(listing.find("\"/qps/rest/2.0/search/am/hostasset\":5"),
            std::string::npos)
      << listing;
}

TEST_F(SimFaultsTest, LatencyDelaysTheNormalAnswer) {
  ASSERT_EQ(Control(port(), "path=hostasset&delay_ms=300"), 200);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(Search(port()).status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - t0,
            std::chrono::milliseconds(300));
  // A delay combined with a fault: late, then reset.
  ASSERT_EQ(Control(port(), "path=hostasset&status=reset&delay_ms=200"), 200);
  t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(Search(port()), Poco::Exception);
  EXPECT_GE(std::chrono::steady_clock::now() - t0,
            std::chrono::milliseconds(200));
}

TEST_F(SimFaultsTest, RejectsBadFaultRequests) {
  EXPECT_EQ(Control(port(), "path=hostasset&status=bogus"), 400);
  EXPECT_EQ(Control(port(), "path=hostasset&status=42"), 400);
  EXPECT_EQ(Control(port(), "path=hostasset"), 400);
  EXPECT_EQ(Control(port(), "status=503"), 400);
  EXPECT_NE(Faults(port()).find("\"active\":[]"), std::string::npos);
  EXPECT_EQ(Search(port()).status, 200);
}

}  // namespace
}  // namespace qx::sim
