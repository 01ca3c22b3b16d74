// tls_server_config: parsing and validation (web_config.cc does the rest).
#include <set>

#include "tls_material.h"
#include "web_config_parse.h"
#include "yaml_fields.h"

namespace qx {

using namespace yaml_fields;  // NOLINT(build/namespaces): parser helpers

namespace {

std::string Resolve(const std::string& dir, const std::string& file) {
  if (file.empty() || file.front() == '/') return file;
  return dir + "/" + file;
}

std::string DirOf(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

void CheckClientAuth(const std::string& path, const YAML::Node& n,
                     const std::string& client_auth, TlsServerConfig& t) {
  const std::string p = "tls_server_config";
  if (!client_auth.empty()) {
    auto it = tls::ClientAuthNames().find(client_auth);
    if (it == tls::ClientAuthNames().end()) {
      Fail(path, p + ".client_auth_type",
           "invalid value '" + client_auth +
               "' (NoClientCert, RequestClientCert, RequireAnyClientCert, "
               "VerifyClientCertIfGiven, RequireAndVerifyClientCert)",
           n["client_auth_type"]);
    }
    t.client_auth = it->second;
  }
  const bool has_ca = !t.client_ca_file.empty() || !t.client_ca_pem.empty();
  if (has_ca && t.client_auth == ClientAuthType::kNoClientCert) {
    Fail(path, p + ".client_auth_type",
         "client_ca_file is set but client_auth_type is NoClientCert; use "
         "RequireAndVerifyClientCert to require client certificates");
  }
  if (!has_ca && tls::VerifiesClientCerts(t.client_auth)) {
    // Go would fall back to the system roots: any public CA's customer could
    // then authenticate. Require the CA explicitly.
    Fail(
        path, p + ".client_ca_file",
        "required with client_auth_type " + client_auth +
            " (qualys-exporter does not verify client certificates against the "
            "system CAs)");
  }
  if (!IsAbsent(n["client_allowed_sans"])) {
    t.client_allowed_sans =
        GetStrings(path, p + ".client_allowed_sans", n["client_allowed_sans"]);
    if (t.client_allowed_sans.empty()) {
      Fail(path, p + ".client_allowed_sans",
           "empty list would reject every client", n["client_allowed_sans"]);
    }
    if (t.client_auth != ClientAuthType::kRequireAnyClientCert &&
        t.client_auth != ClientAuthType::kRequireAndVerifyClientCert) {
      Fail(path, p + ".client_allowed_sans",
           "requires client_auth_type RequireAnyClientCert or "
           "RequireAndVerifyClientCert",
           n["client_allowed_sans"]);
    }
  }
}

void CheckProtocol(const std::string& path, const YAML::Node& n,
                   TlsServerConfig& t) {
  const std::string p = "tls_server_config";
  auto version = [&](const char* key, TlsVersion fallback) {
    std::string v = GetString(path, Join(p, key), n[key]);
    if (v.empty()) return fallback;
    auto it = tls::TlsVersionNames().find(v);
    if (it == tls::TlsVersionNames().end()) {
      Fail(path, Join(p, key),
           "invalid TLS version '" + v + "' (TLS10, TLS11, TLS12, TLS13)",
           n[key]);
    }
    return it->second;
  };
  t.min_version = version("min_version", TlsVersion::kTls12);
  t.max_version = version("max_version", TlsVersion::kTls13);
  if (t.min_version > t.max_version) {
    Fail(path, p + ".min_version", "greater than max_version",
         n["min_version"]);
  }
  t.cipher_suites = GetStrings(path, p + ".cipher_suites", n["cipher_suites"]);
  for (const auto& c : t.cipher_suites) {
    if (!tls::CipherNames().count(c)) {
      Fail(path, p + ".cipher_suites",
           "unknown or insecure cipher suite '" + c + "'", n["cipher_suites"]);
    }
  }
  t.prefer_server_cipher_suites =
      GetBool(path, p + ".prefer_server_cipher_suites",
              n["prefer_server_cipher_suites"], true);
  t.curve_preferences =
      GetStrings(path, p + ".curve_preferences", n["curve_preferences"]);
  for (const auto& c : t.curve_preferences) {
    if (!tls::CurveNames().count(c)) {
      Fail(
          path, p + ".curve_preferences",
          "unknown curve '" + c + "' (CurveP256, CurveP384, CurveP521, X25519)",
          n["curve_preferences"]);
    }
  }
}

}  // namespace

std::optional<TlsServerConfig> ParseTlsServerConfig(const std::string& path,
                                                    const YAML::Node& n) {
  const std::string p = "tls_server_config";
  static const std::set<std::string> kKnown = {"cert",
                                               "key",
                                               "client_ca",
                                               "cert_file",
                                               "key_file",
                                               "client_auth_type",
                                               "client_ca_file",
                                               "client_allowed_sans",
                                               "min_version",
                                               "max_version",
                                               "cipher_suites",
                                               "prefer_server_cipher_suites",
                                               "curve_preferences"};
  CheckKeys(path, p, n, &kKnown);
  const std::string dir = DirOf(path);
  TlsServerConfig t;
  auto str = [&](const char* key) {
    return GetString(path, Join(p, key), n[key]);
  };
  t.cert_pem = str("cert");
  t.key_pem = str("key");
  t.client_ca_pem = str("client_ca");
  t.cert_file = Resolve(dir, str("cert_file"));
  t.key_file = Resolve(dir, str("key_file"));
  t.client_ca_file = Resolve(dir, str("client_ca_file"));
  const std::string client_auth = str("client_auth_type");

  const bool enabled = !t.cert_pem.empty() || !t.key_pem.empty() ||
                       !t.client_ca_pem.empty() || !t.cert_file.empty() ||
                       !t.key_file.empty() || !t.client_ca_file.empty() ||
                       !client_auth.empty();
  if (!enabled) {
    // Go would serve plain HTTP and ignore these; say so instead.
    for (const auto& kv : n) {
      if (!IsAbsent(kv.second)) {
        Fail(path, Join(p, kv.first.Scalar()),
             "set, but TLS is not enabled (no cert_file/key_file)", kv.first);
      }
    }
    return std::nullopt;
  }
  if (!t.cert_file.empty() && !t.cert_pem.empty()) {
    Fail(path, p + ".cert", "set only one of cert and cert_file", n["cert"]);
  }
  if (!t.key_file.empty() && !t.key_pem.empty()) {
    Fail(path, p + ".key", "set only one of key and key_file", n["key"]);
  }
  if (!t.client_ca_file.empty() && !t.client_ca_pem.empty()) {
    Fail(path, p + ".client_ca", "set only one of client_ca and client_ca_file",
         n["client_ca"]);
  }
  if (t.cert_file.empty() && t.cert_pem.empty()) {
    Fail(path, p + ".cert_file",
         "missing (one of cert or cert_file is required for TLS)");
  }
  if (t.key_file.empty() && t.key_pem.empty()) {
    Fail(path, p + ".key_file",
         "missing (one of key or key_file is required for TLS)");
  }
  CheckClientAuth(path, n, client_auth, t);
  CheckProtocol(path, n, t);

  // Load everything once now, so a bad file fails here.
  try {
    tls::LoadCertKey(t);
    tls::LoadClientCas(t);
  } catch (const tls::MaterialError& e) {
    Fail(path, e.field, e.message);
  }
  return t;
}

}  // namespace qx
