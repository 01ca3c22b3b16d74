// The Prometheus exporter-toolkit web configuration file
// (--web.config.file; docs/web-config.md lists what is supported): TLS,
// client certificates, bcrypt Basic auth, response headers, rate limit.
//
// Parsing is strict: fields this exporter cannot honour are rejected with an
// error naming the file and the field, never ignored, and the certificate,
// key and client CAs are loaded once so that a bad file fails here.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace qx {

// crypto/tls ClientAuthType names, as in the file.
enum class ClientAuthType {
  kNoClientCert,
  kRequestClientCert,
  kRequireAnyClientCert,
  kVerifyClientCertIfGiven,
  kRequireAndVerifyClientCert,
};

enum class TlsVersion { kTls10, kTls11, kTls12, kTls13 };

struct TlsServerConfig {
  // Relative paths are resolved against the directory of the config file.
  // Exactly one of cert_file / cert (inline PEM), one of key_file / key.
  std::string cert_file;
  std::string cert_pem;
  std::string key_file;
  std::string key_pem;  // secret: never logged
  ClientAuthType client_auth = ClientAuthType::kNoClientCert;
  std::string client_ca_file;
  std::string client_ca_pem;
  std::vector<std::string> client_allowed_sans;
  TlsVersion min_version = TlsVersion::kTls12;
  TlsVersion max_version = TlsVersion::kTls13;
  std::vector<std::string> cipher_suites;  // Go / IANA names, as written
  bool prefer_server_cipher_suites = true;
  std::vector<std::string> curve_preferences;  // Go names (CurveP256, X25519)

  bool operator==(const TlsServerConfig&) const = default;
};

struct RateLimitConfig {
  std::chrono::milliseconds interval{0};  // between two requests; 0 = off
  int burst = 0;
  bool operator==(const RateLimitConfig&) const = default;
};

struct WebConfig {
  std::string path;                    // the file it came from
  std::optional<TlsServerConfig> tls;  // absent: plain HTTP
  // user -> bcrypt hash ($2a$, $2b$, $2y$). Empty: no Basic auth.
  std::map<std::string, std::string> basic_auth_users;
  // http_server_config.headers: added to every answer.
  std::map<std::string, std::string> headers;
  std::optional<RateLimitConfig> rate_limit;
};

// Reads, parses and validates the file. Throws std::runtime_error
// "web config <file>: <field>[ (line N)]: <reason>" (never a secret's
// value).
WebConfig LoadWebConfig(const std::string& path);
// The same for text already read; `path` names the file in errors and is the
// base of relative file names.
WebConfig ParseWebConfig(const std::string& yaml_text, const std::string& path);

// The ClientAuthType's name in the file.
std::string ClientAuthName(ClientAuthType a);

}  // namespace qx
