// TLS, client certificates and HTTP Basic auth for the /metrics endpoint,
// configured with the Prometheus exporter-toolkit web configuration file
// (--web.config.file; docs/web-config.md lists what is supported).
//
// The file is read once at startup. Fields this exporter cannot honour are
// rejected with an error naming them, never ignored. Certificate and key
// files are re-read when they change (checked at most once a second, on new
// TLS handshakes), so a rotated certificate is picked up without a restart.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

struct crypt_data;  // <crypt.h>

namespace prometheus {
class Exposer;
}  // namespace prometheus

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
};

struct RateLimitConfig {
  std::chrono::milliseconds interval{0};  // between two requests; 0 = off
  int burst = 0;
};

struct WebConfig {
  std::string path;                    // the file it came from
  std::optional<TlsServerConfig> tls;  // absent: plain HTTP
  // user -> bcrypt hash ($2a$, $2b$, $2y$). Empty: no Basic auth.
  std::map<std::string, std::string> basic_auth_users;
  std::optional<RateLimitConfig> rate_limit;
};

// Reads, parses and validates the file: unknown or unsupported fields,
// malformed bcrypt hashes, unreadable or mismatched certificate and key,
// inconsistent client auth settings. Throws std::runtime_error naming the
// file and the field (never a secret's value).
WebConfig LoadWebConfig(const std::string& path);
// The same for text already read; `path` names the file in errors and is the
// base of relative file names.
WebConfig ParseWebConfig(const std::string& yaml_text, const std::string& path);

// Checks Basic-auth credentials against bcrypt hashes (libxcrypt crypt_rn)
// with a constant-time comparison. An unknown user costs one bcrypt run too,
// so response times do not reveal which users exist. bcrypt runs one at a
// time (as in exporter-toolkit), so a flood of wrong guesses uses one core.
// Successful checks are cached for cache_ttl under an HMAC-SHA256 of (user,
// password) with a per-process random key: scrapes with known-good
// credentials skip the deliberately slow bcrypt; failures are not cached.
class BasicAuthVerifier {
 public:
  static constexpr std::chrono::seconds kDefaultCacheTtl{300};
  static constexpr std::size_t kMaxCacheEntries = 256;

  explicit BasicAuthVerifier(std::map<std::string, std::string> users,
                             std::chrono::seconds cache_ttl = kDefaultCacheTtl);
  ~BasicAuthVerifier();
  BasicAuthVerifier(const BasicAuthVerifier&) = delete;
  BasicAuthVerifier& operator=(const BasicAuthVerifier&) = delete;

  bool Verify(const std::string& user, const std::string& password);
  // bcrypt computations so far (for tests of the cache).
  std::uint64_t bcrypt_runs() const;

 private:
  using Key = std::array<unsigned char, 32>;
  Key CacheKey(const std::string& user, const std::string& password) const;
  bool Bcrypt(const std::string& password, const std::string& hash);

  std::map<std::string, std::string> users_;
  std::string dummy_setting_;  // bcrypt setting for unknown users
  std::chrono::seconds ttl_;
  std::array<unsigned char, 32> hmac_key_{};
  mutable std::mutex cache_mu_;
  std::map<Key, std::chrono::steady_clock::time_point> cache_;
  std::mutex bcrypt_mu_;
  std::unique_ptr<::crypt_data> crypt_data_;  // guarded by bcrypt_mu_
  std::uint64_t bcrypt_runs_ = 0;             // guarded by cache_mu_
};

// civetweb's listening_ports for a Prometheus-style listen address:
// ":9786" (all IPv4 interfaces) -> "9786", "127.0.0.1:9786", "[::1]:9786",
// "localhost:9786" -> "127.0.0.1:9786"; several separated by commas (IPv6
// needs a civetweb with IPv6, which MakeExposer checks). With
// tls each gets civetweb's "s" suffix. Throws std::invalid_argument.
std::string CivetListeningPorts(const std::string& listen_address, bool tls);

// Owns the Exposer and everything its callbacks use (TLS state, the Basic
// auth verifier). No key material is written to disk: certificates and keys
// are loaded into the TLS context in memory.
class SecuredExposer {
 public:
  struct State;
  SecuredExposer(std::shared_ptr<State> state,
                 std::unique_ptr<prometheus::Exposer> exposer);
  ~SecuredExposer();
  SecuredExposer(const SecuredExposer&) = delete;
  SecuredExposer& operator=(const SecuredExposer&) = delete;

  prometheus::Exposer& exposer();
  bool tls() const;
  std::vector<int> ports() const;

 private:
  friend void ProtectPath(SecuredExposer&, const std::optional<WebConfig>&,
                          const std::string&);
  std::shared_ptr<State> state_;  // outlives exposer_ (declared first)
  std::unique_ptr<prometheus::Exposer> exposer_;
};

// Starts serving on listen_address, over TLS if config has
// tls_server_config, with the rate limit if configured. Throws
// std::runtime_error (address in use, bad TLS material, libssl missing).
std::unique_ptr<SecuredExposer> MakeExposer(
    const std::string& listen_address, const std::optional<WebConfig>& config);

// Requires Basic auth on uri if config has basic_auth_users (no-op
// otherwise). Call after MakeExposer for every path to protect.
void ProtectPath(SecuredExposer& exposer,
                 const std::optional<WebConfig>& config,
                 const std::string& uri);

}  // namespace qx
