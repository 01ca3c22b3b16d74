// qx::MetricsServer with a web config: TLS with client certificates, Basic
// auth on every path but /-/healthy, response headers, and reloads (users,
// rotated certificate, a bad file keeps the last good config). Certificates
// are made per run by tests/fixtures/web/make_pki.sh (openssl).
#include <Poco/Net/X509Certificate.h>
#include <crypt.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "qx/endpoint/metrics_server.h"
#include "server_test_util.h"

namespace qx {
namespace {

namespace fs = std::filesystem;
using testing::BasicAuth;
using ::testing::HasSubstr;
using testing::HttpsGet;
using testing::Reply;
using testing::WaitFor;

const std::string kFixtures = std::string(QX_FIXTURES_DIR) + "/web";

std::string Bcrypt(const std::string& password) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  crypt_gensalt_rn("$2b$", 4, nullptr, 0, setting, sizeof setting);
  crypt_data data{};
  return crypt_r(password.c_str(), setting, &data);
}

class TlsServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/qx-server-tls-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::string cmd = "bash " + kFixtures + "/make_pki.sh " + dir_;
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl must be installed";
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  // Writes the config atomically (as a ConfigMap update does).
  void WriteConfig(const std::string& yaml) {
    const std::string tmp = dir_ + "/.web.yml.tmp";
    std::ofstream(tmp) << yaml;
    fs::rename(tmp, config_);
  }
  std::unique_ptr<MetricsServer> Start(const std::string& yaml) {
    WriteConfig(yaml);
    MetricsServerOptions o;
    o.listen = ParseListenAddresses("127.0.0.1:0");
    o.web_config_file = config_;
    o.config_check_interval = std::chrono::milliseconds(50);
    auto s = std::make_unique<MetricsServer>(
        o, [] { return Exposition{}; }, nullptr, ServerStatus{});
    port_ = s->addresses().at(0).port();
    return s;
  }
  Reply Https(const std::string& path,
              const std::map<std::string, std::string>& h = {},
              const std::string& client = "client") {
    return HttpsGet(port_, dir_ + "/ca.pem",
                    client.empty() ? "" : dir_ + "/" + client + ".pem",
                    client.empty() ? "" : dir_ + "/" + client + ".key", path,
                    h);
  }
  std::string ServedSerial() {
    try {
      Poco::Net::Context::Ptr ctx = new Poco::Net::Context(
          Poco::Net::Context::TLS_CLIENT_USE, "", "", dir_ + "/ca.pem",
          Poco::Net::Context::VERIFY_RELAXED, 9, false);
      Poco::Net::HTTPSClientSession session(
          "localhost", static_cast<Poco::UInt16>(port_), ctx);
      testing::Exchange(session, "GET", "/-/healthy", {});
      return session.serverCertificate().serialNumber();
    } catch (const Poco::Exception&) {
      return "";
    }
  }
  static std::string Serial(const std::string& pem) {
    return Poco::Net::X509Certificate(dir_ + "/" + pem).serialNumber();
  }
  void Install(const std::string& from, const std::string& to) {
    for (const char* ext : {".key", ".pem"}) {
      fs::copy_file(dir_ + "/" + from + ext, dir_ + "/.tmp" + ext,
                    fs::copy_options::overwrite_existing);
      fs::rename(dir_ + "/.tmp" + ext, dir_ + "/" + to + ext);
    }
  }

  static inline std::string dir_;
  std::string config_ = dir_ + "/web.yml";
  int port_ = 0;
};

TEST_F(TlsServerTest, ClientCertificatesBasicAuthAndHeaders) {
  auto server = Start(R"(tls_server_config:
  cert_file: server.pem
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.pem
  client_allowed_sans: [prometheus.example]
http_server_config:
  headers:
    X-Frame-Options: deny
basic_auth_users:
  alice: ')" + Bcrypt("pw") +
                      "'\n");
  EXPECT_TRUE(server->tls());
  const auto alice = std::map<std::string, std::string>{
      {"Authorization", BasicAuth("alice", "pw")}};
  Reply r = Https("/metrics", alice);
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.headers["X-Frame-Options"], "deny");
  // Every path but the probes needs the password; headers on every answer.
  EXPECT_NE(Https("/-/ready").status, 401);
  for (const char* path : {"/metrics", "/", "/nope"}) {
    r = Https(path);
    EXPECT_EQ(r.status, 401) << path;
    EXPECT_EQ(r.headers["WWW-Authenticate"], "Basic realm=\"qualys-exporter\"");
    EXPECT_EQ(r.headers["X-Frame-Options"], "deny") << path;
  }
  EXPECT_EQ(Https("/nope", alice).status, 404);
  EXPECT_EQ(
      Https("/metrics", {{"Authorization", BasicAuth("alice", "x")}}).status,
      401);
  EXPECT_EQ(Https("/-/healthy").status, 200);
  // No client certificate, another SAN, another CA: no TLS connection.
  EXPECT_EQ(Https("/-/healthy", {}, "").status, -1);
  EXPECT_EQ(Https("/-/healthy", {}, "other").status, -1);
  EXPECT_EQ(Https("/-/healthy", {}, "rogue").status, -1);
}

TEST_F(TlsServerTest, ReloadsUsersAndCertificatesKeepsLastGoodOnError) {
  Install("server", "rotating");
  const std::string tls =
      "tls_server_config:\n  cert_file: rotating.pem\n"
      "  key_file: rotating.key\n";
  auto server =
      Start(tls + "basic_auth_users:\n  alice: '" + Bcrypt("a") + "'\n");
  auto as = [](const std::string& u, const std::string& p) {
    return std::map<std::string, std::string>{
        {"Authorization", BasicAuth(u, p)}};
  };
  EXPECT_EQ(Https("/metrics", as("alice", "a")).status, 200);
  EXPECT_EQ(ServedSerial(), Serial("server.pem"));

  WriteConfig(tls + "basic_auth_users:\n  bob: '" + Bcrypt("b") + "'\n");
  EXPECT_TRUE(
      WaitFor([&] { return Https("/metrics", as("bob", "b")).status == 200; },
              std::chrono::seconds(10)));
  EXPECT_EQ(Https("/metrics", as("alice", "a")).status, 401);

  Install("server2", "rotating");  // cert-manager renews the certificate
  EXPECT_TRUE(WaitFor([&] { return ServedSerial() == Serial("server2.pem"); },
                      std::chrono::seconds(10)));

  // Broken files keep the last good configuration.
  WriteConfig("basic_auth_users: [\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Https("/metrics", as("bob", "b")).status, 200);
  WriteConfig(tls + "basic_auth_users:\n  carol: not-a-hash\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Https("/metrics", as("bob", "b")).status, 200);
  // Turning TLS off needs a restart: refused, TLS stays.
  WriteConfig("basic_auth_users:\n  bob: '" + Bcrypt("b") + "'\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Https("/metrics", as("bob", "b")).status, 200);
  EXPECT_EQ(ServedSerial(), Serial("server2.pem"));
}

TEST_F(TlsServerTest, BadConfigAtStartupNamesFileAndField) {
  try {
    Start(
        "tls_server_config:\n  cert_file: nope.pem\n  key_file: server.key\n");
    FAIL() << "started with a missing certificate";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("web config " + config_));
    EXPECT_THAT(e.what(), HasSubstr("tls_server_config.cert_file"));
  }
}

}  // namespace
}  // namespace qx
