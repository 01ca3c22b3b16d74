// exporter-toolkit web config: parsing and validation, Basic auth
// verification and listen addresses. Certificates are generated per run with
// the openssl command (tests/fixtures/web/make_pki.sh). The server itself is
// tested in metrics_server_test.cc.
#include "qx/endpoint/web_config.h"

#include <crypt.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>

#include "qx/endpoint/basic_auth.h"
#include "qx/endpoint/listen_address.h"

namespace qx {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kFixtures = std::string(QX_FIXTURES_DIR) + "/web";

// A bcrypt hash of `password` at cost 5 (fast), made with libxcrypt.
std::string Bcrypt(const std::string& password) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (!crypt_gensalt_rn("$2b$", 5, nullptr, 0, setting, sizeof setting)) {
    throw std::runtime_error("crypt_gensalt_rn failed");
  }
  EXPECT_THAT(setting, ::testing::StartsWith("$2b$05$"));
  crypt_data data{};
  const char* h = crypt_r(password.c_str(), setting, &data);
  if (!h || h[0] == '*') throw std::runtime_error("crypt_r failed");
  return h;
}

template <typename F>
std::string ErrorOfInvalid(F f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

// The error message of f(), or "" if it does not throw.
template <typename F>
std::string ErrorOf(F f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

class WebConfigTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/qx-web-config-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::string cmd = "bash " + kFixtures + "/make_pki.sh " + dir_;
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl must be installed";
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  // Writes `yaml` to a file in the PKI directory and loads it.
  static WebConfig Load(const std::string& yaml,
                        const std::string& name = "web.yml") {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << yaml;
    return LoadWebConfig(path);
  }
  static std::string LoadError(const std::string& yaml) {
    return ErrorOf([&] { Load(yaml); });
  }
  static std::string FixtureError(const std::string& name) {
    return ErrorOf([&] { LoadWebConfig(kFixtures + "/" + name); });
  }

  static inline std::string dir_;
};

constexpr const char* kTls = R"(tls_server_config:
  cert_file: server.pem
  key_file: server.key
)";

TEST_F(WebConfigTest, EmptyFileMeansPlainHttpWithoutAuth) {
  WebConfig c = Load("");
  EXPECT_FALSE(c.tls);
  EXPECT_TRUE(c.basic_auth_users.empty());
  EXPECT_FALSE(c.rate_limit);
  c = Load("# nothing\ntls_server_config:\nbasic_auth_users:\n");
  EXPECT_FALSE(c.tls);
}

TEST_F(WebConfigTest, ParsesValidConfig) {
  std::string hash = Bcrypt("s3cret");
  WebConfig c = Load(std::string(kTls) +
                     R"(  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.pem
  client_allowed_sans: [prometheus.example, 10.0.0.1]
  min_version: TLS13
  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]
  prefer_server_cipher_suites: false
  curve_preferences: [X25519, CurveP256]
http_server_config:
  http2: false
basic_auth_users:
  alice: )" + hash + R"(
  bob: ')" + Bcrypt("other") +
                     R"('
rate_limit:
  interval: 1s
  burst: 20
)");
  ASSERT_TRUE(c.tls);
  // Relative paths are relative to the file.
  EXPECT_EQ(c.tls->cert_file, dir_ + "/server.pem");
  EXPECT_EQ(c.tls->key_file, dir_ + "/server.key");
  EXPECT_EQ(c.tls->client_ca_file, dir_ + "/ca.pem");
  EXPECT_EQ(c.tls->client_auth, ClientAuthType::kRequireAndVerifyClientCert);
  EXPECT_THAT(c.tls->client_allowed_sans,
              ::testing::ElementsAre("prometheus.example", "10.0.0.1"));
  EXPECT_EQ(c.tls->min_version, TlsVersion::kTls13);
  EXPECT_EQ(c.tls->max_version, TlsVersion::kTls13);
  EXPECT_FALSE(c.tls->prefer_server_cipher_suites);
  EXPECT_EQ(c.tls->curve_preferences.size(), 2u);
  ASSERT_EQ(c.basic_auth_users.size(), 2u);
  EXPECT_EQ(c.basic_auth_users.at("alice"), hash);
  ASSERT_TRUE(c.rate_limit);
  EXPECT_EQ(c.rate_limit->interval, std::chrono::seconds(1));
  EXPECT_EQ(c.rate_limit->burst, 20);
}

TEST_F(WebConfigTest, TlsDefaultsMatchExporterToolkit) {
  WebConfig c = Load(kTls);
  ASSERT_TRUE(c.tls);
  EXPECT_EQ(c.tls->client_auth, ClientAuthType::kNoClientCert);
  EXPECT_EQ(c.tls->min_version, TlsVersion::kTls12);
  EXPECT_EQ(c.tls->max_version, TlsVersion::kTls13);
  EXPECT_TRUE(c.tls->prefer_server_cipher_suites);
}

TEST_F(WebConfigTest, InlineCertificateAndKey) {
  auto read = [](const std::string& f) {
    std::ifstream in(dir_ + "/" + f);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  auto indent = [](std::string pem) {
    std::string out;
    for (char ch : pem) {
      out += ch;
      if (ch == '\n') out += "    ";
    }
    return out;
  };
  WebConfig c =
      Load("tls_server_config:\n  cert: |\n    " + indent(read("server.pem")) +
           "\n  key: |\n    " + indent(read("server.key")) + "\n");
  ASSERT_TRUE(c.tls);
  EXPECT_TRUE(c.tls->cert_file.empty());
  EXPECT_THAT(c.tls->cert_pem, HasSubstr("BEGIN CERTIFICATE"));
}

TEST_F(WebConfigTest, RejectsUnsupportedAndUnknownFields) {
  EXPECT_THAT(FixtureError("unsupported_headers.yml"),
              HasSubstr("http_server_config.headers.X-Powered-By"));
  EXPECT_THAT(FixtureError("unsupported_headers.yml"),
              HasSubstr("cannot be configured"));
  std::string e = FixtureError("unknown_field.yml");
  EXPECT_THAT(e, HasSubstr("basic_auth_user_list"));
  EXPECT_THAT(e, HasSubstr("unknown field"));
  EXPECT_THAT(e, HasSubstr("unknown_field.yml"));  // names the file
  EXPECT_THAT(LoadError("http_server_config:\n  http2: true\n"),
              HasSubstr("http_server_config.http2"));
  EXPECT_THAT(LoadError(std::string(kTls) +
                        "  client_auth: RequireAndVerifyClientCert\n"),
              HasSubstr("tls_server_config.client_auth"));
  EXPECT_THAT(LoadError("rate_limit:\n  interval: 1s\n  burst: 0\n"),
              HasSubstr("rate_limit.burst"));
}

TEST_F(WebConfigTest, RejectsBadBcryptHashWithoutEchoingIt) {
  std::string e = FixtureError("bad_bcrypt.yml");
  EXPECT_THAT(e, HasSubstr("basic_auth_users.alice"));
  EXPECT_THAT(e, HasSubstr("not a bcrypt hash"));
  EXPECT_THAT(e, Not(HasSubstr("abcdefghijklmnop")));
  EXPECT_THAT(LoadError("basic_auth_users:\n  alice: hunter2\n"),
              Not(HasSubstr("hunter2")));
  // Truncated hash, and a cost outside 04-31.
  std::string h = Bcrypt("x");
  EXPECT_NE(
      LoadError("basic_auth_users:\n  alice: '" + h.substr(0, 59) + "'\n"), "");
  std::string cost3 = h;
  cost3[5] = '3';
  cost3[4] = '0';
  EXPECT_NE(LoadError("basic_auth_users:\n  alice: '" + cost3 + "'\n"), "");
  EXPECT_THAT(FixtureError("duplicate_user.yml"), HasSubstr("duplicate key"));
  EXPECT_THAT(LoadError("basic_auth_users:\n  'a:b': '" + h + "'\n"),
              HasSubstr("basic_auth_users.a:b"));
}

TEST_F(WebConfigTest, RejectsMissingOrMismatchedCertificate) {
  std::string e = FixtureError("missing_cert.yml");
  EXPECT_THAT(e, HasSubstr("tls_server_config.cert_file"));
  EXPECT_THAT(e, HasSubstr("does-not-exist.pem"));
  EXPECT_THAT(LoadError("tls_server_config:\n  cert_file: server.pem\n"),
              HasSubstr("tls_server_config.key_file"));
  EXPECT_THAT(LoadError("tls_server_config:\n  cert_file: server.pem\n  "
                        "key_file: client.key\n"),
              HasSubstr("does not match"));
  EXPECT_THAT(LoadError("tls_server_config:\n  cert_file: server.key\n  "
                        "key_file: server.key\n"),
              HasSubstr("no PEM certificate"));
  // The key's content never appears in an error.
  EXPECT_THAT(
      LoadError(
          "tls_server_config:\n  cert_file: server.pem\n  key_file: ca.pem\n"),
      HasSubstr("tls_server_config.key_file"));
}

TEST_F(WebConfigTest, RejectsInconsistentClientAuth) {
  EXPECT_THAT(LoadError(std::string(kTls) + "  client_ca_file: ca.pem\n"),
              HasSubstr("client_auth_type"));
  EXPECT_THAT(LoadError(std::string(kTls) +
                        "  client_auth_type: RequireAndVerifyClientCert\n"),
              HasSubstr("tls_server_config.client_ca_file"));
  EXPECT_THAT(LoadError(std::string(kTls) + "  client_auth_type: Sometimes\n"),
              HasSubstr("invalid value"));
  EXPECT_THAT(
      LoadError(std::string(kTls) +
                "  client_auth_type: VerifyClientCertIfGiven\n"
                "  client_ca_file: ca.pem\n  client_allowed_sans: [a]\n"),
      HasSubstr("client_allowed_sans"));
  EXPECT_THAT(LoadError(std::string(kTls) +
                        "  min_version: TLS13\n  max_version: TLS12\n"),
              HasSubstr("min_version"));
  EXPECT_THAT(LoadError(std::string(kTls) +
                        "  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n"),
              HasSubstr("cipher_suites"));
  EXPECT_THAT(
      LoadError(std::string(kTls) + "  curve_preferences: [CurveP999]\n"),
      HasSubstr("curve_preferences"));
  // TLS knobs without a certificate would mean plain HTTP: rejected.
  EXPECT_THAT(LoadError("tls_server_config:\n  min_version: TLS13\n"),
              HasSubstr("TLS is not enabled"));
}

TEST(BasicAuthVerifier, RightAndWrongPasswords) {
  BasicAuthVerifier v({{"alice", Bcrypt("correct horse")}});
  EXPECT_TRUE(v.Verify("alice", "correct horse"));
  EXPECT_FALSE(v.Verify("alice", "correct horse "));
  EXPECT_FALSE(v.Verify("alice", ""));
  EXPECT_FALSE(v.Verify("bob", "correct horse"));
  EXPECT_FALSE(v.Verify("alice", std::string("correct horse\0x", 15)));
}

TEST(BasicAuthVerifier, CachesOnlySuccess) {
  BasicAuthVerifier v({{"alice", Bcrypt("pw")}});
  EXPECT_TRUE(v.Verify("alice", "pw"));
  EXPECT_EQ(v.bcrypt_runs(), 1u);
  EXPECT_TRUE(v.Verify("alice", "pw"));
  EXPECT_TRUE(v.Verify("alice", "pw"));
  EXPECT_EQ(v.bcrypt_runs(), 1u);  // served from the cache
  EXPECT_FALSE(v.Verify("alice", "wrong"));
  EXPECT_FALSE(v.Verify("alice", "wrong"));
  EXPECT_EQ(v.bcrypt_runs(), 3u);  // failures always pay bcrypt
  EXPECT_FALSE(v.Verify("mallory", "pw"));
  EXPECT_EQ(v.bcrypt_runs(), 4u);  // unknown users too
}

TEST(BasicAuthVerifier, CacheExpires) {
  BasicAuthVerifier v({{"alice", Bcrypt("pw")}}, std::chrono::seconds(0));
  EXPECT_TRUE(v.Verify("alice", "pw"));
  EXPECT_TRUE(v.Verify("alice", "pw"));
  EXPECT_EQ(v.bcrypt_runs(), 2u);
}

TEST(BasicAuthVerifier, AcceptsAllBcryptPrefixes) {
  std::string h = Bcrypt("pw");
  for (char variant : {'a', 'b', 'y'}) {
    std::string hv = h;
    hv[2] = variant;
    BasicAuthVerifier v({{"u", hv}});
    EXPECT_TRUE(v.Verify("u", "pw")) << hv.substr(0, 4);
    EXPECT_FALSE(v.Verify("u", "pW"));
  }
}

TEST(BasicAuthVerifier, AuthorizationHeader) {
  BasicAuthVerifier v({{"alice", Bcrypt("pa:ss")}});
  // base64("alice:pa:ss"): the password may contain ':'.
  EXPECT_TRUE(v.VerifyHeader("Basic YWxpY2U6cGE6c3M="));
  EXPECT_TRUE(v.VerifyHeader("basic YWxpY2U6cGE6c3M="));
  EXPECT_FALSE(v.VerifyHeader("Bearer YWxpY2U6cGE6c3M="));
  EXPECT_FALSE(v.VerifyHeader("Basic YWxpY2U6cGE="));  // alice:pa
  EXPECT_FALSE(v.VerifyHeader("Basic YWxpY2U="));      // no colon
  EXPECT_FALSE(v.VerifyHeader("Basic !!!not base64"));
  EXPECT_FALSE(v.VerifyHeader(""));
}

TEST(ListenAddresses, PrometheusSpellings) {
  using Family = ListenAddress::Family;
  auto one = [](const std::string& text) {
    auto v = ParseListenAddresses(text);
    EXPECT_EQ(v.size(), 1u) << text;
    return v.at(0);
  };
  EXPECT_EQ(one(":9786").family, Family::kDualStack);
  EXPECT_EQ(one(":9786").port, 9786);
  EXPECT_EQ(one("127.0.0.1:1").family, Family::kIpv4);
  EXPECT_EQ(one("localhost:0").host, "127.0.0.1");
  auto v6 = one("[::1]:9786");
  EXPECT_EQ(v6.family, Family::kIpv6);
  EXPECT_EQ(v6.host, "::1");
  EXPECT_TRUE(v6.ipv6_only);
  // A lone [::] also takes IPv4 (as on Linux and in Go) ...
  EXPECT_FALSE(one("[::]:9786").ipv6_only);
  // ... unless an IPv4 address is listed on the same port.
  auto both = ParseListenAddresses("0.0.0.0:9786, [::]:9786,[::]:1");
  ASSERT_EQ(both.size(), 3u);
  EXPECT_TRUE(both[1].ipv6_only);
  EXPECT_FALSE(both[2].ipv6_only);
  EXPECT_EQ(both[1].spelling, "[::]:9786");
  for (const char* bad : {"9786", ":", ":99999", "example.com:9786", "[zz]:1",
                          ":12a", "", "[::1]"}) {
    EXPECT_THROW(ParseListenAddresses(bad), std::invalid_argument) << bad;
  }
  EXPECT_THAT(ErrorOfInvalid([] { ParseListenAddresses("host:1"); }),
              HasSubstr("--web.listen-address 'host:1'"));
}

TEST_F(WebConfigTest, ResponseHeadersAsExporterToolkit) {
  WebConfig c = Load(
      "http_server_config:\n  headers:\n    X-Frame-Options: deny\n"
      "    Strict-Transport-Security: max-age=31536000\n"
      "    Content-Security-Policy: \"default-src 'self'\"\n");
  EXPECT_EQ(c.headers.size(), 3u);
  EXPECT_EQ(c.headers.at("X-Frame-Options"), "deny");
  EXPECT_EQ(c.headers.at("Content-Security-Policy"), "default-src 'self'");
  // Only exporter-toolkit's headers, with their allowed values.
  EXPECT_THAT(LoadError("http_server_config:\n  headers:\n    Server: x\n"),
              HasSubstr("http_server_config.headers.Server"));
  EXPECT_THAT(LoadError("http_server_config:\n  headers:\n"
                        "    X-Frame-Options: allow\n"),
              HasSubstr("invalid value 'allow'"));
  EXPECT_THAT(LoadError("http_server_config:\n  headers:\n"
                        "    X-XSS-Protection: \"1\\r\\nSet-Cookie: a\"\n"),
              HasSubstr("control characters"));
}

}  // namespace
}  // namespace qx
