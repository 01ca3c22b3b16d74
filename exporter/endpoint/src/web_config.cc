// exporter-toolkit web configuration on prometheus-cpp's Exposer (civetweb).
//
// TLS is set up by civetweb's init_ssl callback, straight on the SSL_CTX:
// certificate and key are loaded from memory (no temporary key file), and
// min/max version, cipher suites, curves and client-certificate policy are
// set with the OpenSSL API. Debian 12's civetweb 1.15 was built for the
// OpenSSL 1.1 API: it looks up SSL_get_peer_certificate, which OpenSSL 3 no
// longer exports, keeps a NULL pointer for it and crashes on the first HTTPS
// request (civetweb issue #1334). PatchCivetwebPeerCertificate() points that
// table entry at SSL_get1_peer_certificate (same contract) after checking the
// table's layout; if the check fails, TLS startup fails cleanly instead.
#include "qx/endpoint/web_config.h"

#include <CivetServer.h>
#include <arpa/inet.h>
#include <civetweb.h>
#include <crypt.h>
#include <dlfcn.h>
#include <glog/logging.h>
#include <link.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <prometheus/exposer.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "qx/endpoint/duration.h"

namespace qx {
namespace {

// ---------------------------------------------------------------- parsing

[[noreturn]] void Fail(const std::string& path, const std::string& field,
                       const std::string& message) {
  throw std::runtime_error("web config " + path + ": " + field + ": " +
                           message);
}

// The same, with the line of `node` when it is in the file.
[[noreturn]] void Fail(const std::string& path, const std::string& field,
                       const std::string& message, const YAML::Node& node) {
  if (node.IsDefined() && node.Mark().line >= 0) {
    Fail(path, field + " (line " + std::to_string(node.Mark().line + 1) + ")",
         message);
  }
  Fail(path, field, message);
}

std::string Join(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

// Checks a mapping: keys are unique strings, each known (unless known is
// null). `unsupported` maps a field the format defines but this exporter
// cannot honour to the reason.
void CheckKeys(const std::string& path, const std::string& prefix,
               const YAML::Node& node, const std::set<std::string>* known,
               const std::map<std::string, std::string>& unsupported = {}) {
  std::set<std::string> seen;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) {
      Fail(path, prefix.empty() ? "(top level)" : prefix,
           "keys must be strings", kv.first);
    }
    const std::string key = kv.first.Scalar();
    const std::string field = Join(prefix, key);
    if (!seen.insert(key).second) Fail(path, field, "duplicate key", kv.first);
    if (auto it = unsupported.find(key); it != unsupported.end()) {
      Fail(path, field, "not supported by qualys-exporter: " + it->second,
           kv.first);
    }
    if (known && !known->count(key)) {
      Fail(path, field, "unknown field (see docs/web-config.md)", kv.first);
    }
  }
}

bool IsAbsent(const YAML::Node& n) { return !n.IsDefined() || n.IsNull(); }

std::string GetString(const std::string& path, const std::string& field,
                      const YAML::Node& n) {
  if (IsAbsent(n)) return "";
  if (!n.IsScalar()) Fail(path, field, "must be a string", n);
  return n.Scalar();
}

bool GetBool(const std::string& path, const std::string& field,
             const YAML::Node& n, bool fallback) {
  if (IsAbsent(n)) return fallback;
  bool v = false;
  if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) {
    Fail(path, field, "must be true or false", n);
  }
  return v;
}

std::vector<std::string> GetStrings(const std::string& path,
                                    const std::string& field,
                                    const YAML::Node& n) {
  std::vector<std::string> out;
  if (IsAbsent(n)) return out;
  if (!n.IsSequence()) Fail(path, field, "must be a list of strings", n);
  for (const auto& e : n) {
    if (!e.IsScalar()) Fail(path, field, "must be a list of strings", e);
    out.push_back(e.Scalar());
  }
  return out;
}

// Mapping or null; anything else is an error.
bool GetMap(const std::string& path, const std::string& field,
            const YAML::Node& n) {
  if (IsAbsent(n)) return false;
  if (!n.IsMap()) Fail(path, field, "must be a mapping", n);
  return true;
}

std::string DirOf(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string Resolve(const std::string& dir, const std::string& file) {
  if (file.empty() || file.front() == '/') return file;
  return dir + "/" + file;
}

const std::map<std::string, ClientAuthType>& ClientAuthNames() {
  static const std::map<std::string, ClientAuthType> m = {
      {"NoClientCert", ClientAuthType::kNoClientCert},
      {"RequestClientCert", ClientAuthType::kRequestClientCert},
      {"RequireAnyClientCert", ClientAuthType::kRequireAnyClientCert},
      {"RequireClientCert", ClientAuthType::kRequireAnyClientCert},  // old name
      {"VerifyClientCertIfGiven", ClientAuthType::kVerifyClientCertIfGiven},
      {"RequireAndVerifyClientCert",
       ClientAuthType::kRequireAndVerifyClientCert},
  };
  return m;
}

const std::map<std::string, TlsVersion>& TlsVersionNames() {
  static const std::map<std::string, TlsVersion> m = {
      {"TLS10", TlsVersion::kTls10},
      {"TLS11", TlsVersion::kTls11},
      {"TLS12", TlsVersion::kTls12},
      {"TLS13", TlsVersion::kTls13},
  };
  return m;
}

struct CipherName {
  const char* openssl;
  bool tls13;
};

// Go's tls.CipherSuites() (the ones exporter-toolkit accepts) -> OpenSSL.
const std::map<std::string, CipherName>& CipherNames() {
  static const std::map<std::string, CipherName> m = {
      {"TLS_RSA_WITH_AES_128_CBC_SHA", {"AES128-SHA", false}},
      {"TLS_RSA_WITH_AES_256_CBC_SHA", {"AES256-SHA", false}},
      {"TLS_RSA_WITH_AES_128_GCM_SHA256", {"AES128-GCM-SHA256", false}},
      {"TLS_RSA_WITH_AES_256_GCM_SHA384", {"AES256-GCM-SHA384", false}},
      {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
       {"ECDHE-ECDSA-AES128-SHA", false}},
      {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
       {"ECDHE-ECDSA-AES256-SHA", false}},
      {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", {"ECDHE-RSA-AES128-SHA", false}},
      {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", {"ECDHE-RSA-AES256-SHA", false}},
      {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
       {"ECDHE-ECDSA-AES128-GCM-SHA256", false}},
      {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
       {"ECDHE-ECDSA-AES256-GCM-SHA384", false}},
      {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
       {"ECDHE-RSA-AES128-GCM-SHA256", false}},
      {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
       {"ECDHE-RSA-AES256-GCM-SHA384", false}},
      {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
       {"ECDHE-ECDSA-CHACHA20-POLY1305", false}},
      {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
       {"ECDHE-RSA-CHACHA20-POLY1305", false}},
      {"TLS_AES_128_GCM_SHA256", {"TLS_AES_128_GCM_SHA256", true}},
      {"TLS_AES_256_GCM_SHA384", {"TLS_AES_256_GCM_SHA384", true}},
      {"TLS_CHACHA20_POLY1305_SHA256", {"TLS_CHACHA20_POLY1305_SHA256", true}},
  };
  return m;
}

// Without cipher_suites: Go's default TLS 1.2 suites (ECDHE only, AEAD first).
constexpr const char* kDefaultTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:"
    "ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA";

const std::map<std::string, std::string>& CurveNames() {
  static const std::map<std::string, std::string> m = {
      {"CurveP256", "P-256"},
      {"CurveP384", "P-384"},
      {"CurveP521", "P-521"},
      {"X25519", "X25519"},
  };
  return m;
}

// $2a$ / $2b$ / $2y$, two-digit cost 04..31, 22 salt + 31 hash characters.
bool LooksLikeBcrypt(const std::string& h) {
  if (h.size() != 60 || h[0] != '$' || h[1] != '2' || h[3] != '$' ||
      h[6] != '$') {
    return false;
  }
  if (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') return false;
  if (!std::isdigit(static_cast<unsigned char>(h[4])) ||
      !std::isdigit(static_cast<unsigned char>(h[5]))) {
    return false;
  }
  int cost = (h[4] - '0') * 10 + (h[5] - '0');
  if (cost < 4 || cost > 31) return false;
  for (std::size_t i = 7; i < h.size(); ++i) {
    char c = h[i];
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '/'))
      return false;
  }
  return crypt_checksalt(h.c_str()) == CRYPT_SALT_OK;
}

// ------------------------------------------------------------ TLS material

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct ChainFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using ChainPtr = std::unique_ptr<STACK_OF(X509), ChainFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

struct CertKey {
  X509Ptr leaf;
  ChainPtr chain;  // intermediates after the leaf (may be empty)
  PkeyPtr key;
};

// Thrown by the loaders: field + message, turned into the config error.
struct MaterialError {
  std::string field;
  std::string message;
};

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

std::string ReadFile(const std::string& field, const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw MaterialError{field,
                        "cannot read " + file + ": " + std::strerror(errno)};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

BioPtr MemBio(const std::string& data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

// Never prompt for a passphrase on the terminal: encrypted keys fail.
int NoPassphrase(char*, int, int, void*) { return 0; }

std::vector<X509Ptr> ParseCerts(const std::string& field,
                                const std::string& pem,
                                const std::string& what) {
  std::vector<X509Ptr> out;
  BioPtr bio = MemBio(pem);
  while (X509* x =
             PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr)) {
    out.emplace_back(x);
  }
  ERR_clear_error();  // end of input
  if (out.empty())
    throw MaterialError{field, "no PEM certificate found in " + what};
  return out;
}

CertKey LoadCertKey(const TlsServerConfig& t) {
  const std::string cert_field = t.cert_file.empty()
                                     ? "tls_server_config.cert"
                                     : "tls_server_config.cert_file";
  const std::string key_field = t.key_file.empty()
                                    ? "tls_server_config.key"
                                    : "tls_server_config.key_file";
  std::string cert_pem =
      t.cert_file.empty() ? t.cert_pem : ReadFile(cert_field, t.cert_file);
  std::string key_pem =
      t.key_file.empty() ? t.key_pem : ReadFile(key_field, t.key_file);
  CertKey ck;
  auto certs =
      ParseCerts(cert_field, cert_pem,
                 t.cert_file.empty() ? "the inline cert" : t.cert_file);
  ck.leaf = std::move(certs.front());
  ck.chain.reset(sk_X509_new_null());
  for (std::size_t i = 1; i < certs.size(); ++i)
    sk_X509_push(ck.chain.get(), certs[i].release());
  {
    BioPtr bio = MemBio(key_pem);
    ck.key.reset(
        PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  }
  OPENSSL_cleanse(key_pem.data(), key_pem.size());
  if (!ck.key) {
    ERR_clear_error();
    throw MaterialError{
        key_field,
        "no usable PEM private key found (passphrase-protected keys "
        "are not supported)"};
  }
  if (X509_check_private_key(ck.leaf.get(), ck.key.get()) != 1) {
    ERR_clear_error();
    throw MaterialError{key_field,
                        "private key does not match the certificate in " +
                            cert_field.substr(cert_field.find('.') + 1)};
  }
  return ck;
}

std::vector<X509Ptr> LoadClientCas(const TlsServerConfig& t) {
  if (!t.client_ca_file.empty()) {
    const std::string field = "tls_server_config.client_ca_file";
    return ParseCerts(field, ReadFile(field, t.client_ca_file),
                      t.client_ca_file);
  }
  if (!t.client_ca_pem.empty()) {
    return ParseCerts("tls_server_config.client_ca", t.client_ca_pem,
                      "the inline client_ca");
  }
  return {};
}

std::string ClientAuthName(ClientAuthType a) {
  for (const auto& [name, v] : ClientAuthNames()) {
    if (v == a && name != "RequireClientCert") return name;
  }
  return "?";
}

bool VerifiesClientCerts(ClientAuthType a) {
  return a == ClientAuthType::kVerifyClientCertIfGiven ||
         a == ClientAuthType::kRequireAndVerifyClientCert;
}

TlsServerConfig ParseTls(const std::string& path, const YAML::Node& n,
                         bool* enabled) {
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

  *enabled = !t.cert_pem.empty() || !t.key_pem.empty() ||
             !t.client_ca_pem.empty() || !t.cert_file.empty() ||
             !t.key_file.empty() || !t.client_ca_file.empty() ||
             !client_auth.empty();
  if (!*enabled) {
    // Go would serve plain HTTP and ignore these; say so instead.
    for (const auto& kv : n) {
      if (!IsAbsent(kv.second)) {
        Fail(path, Join(p, kv.first.Scalar()),
             "set, but TLS is not enabled (no cert_file/key_file)", kv.first);
      }
    }
    return t;
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

  if (!client_auth.empty()) {
    auto it = ClientAuthNames().find(client_auth);
    if (it == ClientAuthNames().end()) {
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
  if (!has_ca && VerifiesClientCerts(t.client_auth)) {
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

  auto version = [&](const char* key, TlsVersion fallback) {
    std::string v = str(key);
    if (v.empty()) return fallback;
    auto it = TlsVersionNames().find(v);
    if (it == TlsVersionNames().end()) {
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
    if (!CipherNames().count(c)) {
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
    if (!CurveNames().count(c)) {
      Fail(
          path, p + ".curve_preferences",
          "unknown curve '" + c + "' (CurveP256, CurveP384, CurveP521, X25519)",
          n["curve_preferences"]);
    }
  }

  // Load everything once now, so a bad file fails at startup.
  try {
    LoadCertKey(t);
    LoadClientCas(t);
  } catch (const MaterialError& e) {
    Fail(path, e.field, e.message);
  }
  return t;
}

// -------------------------------------------------- civetweb OpenSSL 3 fix

struct Segment {
  std::uintptr_t lo, hi;
  bool writable;
};

struct FindLib {
  std::string name;
  std::vector<Segment> segments;
  std::uintptr_t relro_lo = 0, relro_hi = 0;
};

int CollectSegments(struct dl_phdr_info* info, std::size_t, void* data) {
  auto* f = static_cast<FindLib*>(data);
  if (!info->dlpi_name || f->name != info->dlpi_name) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const auto& ph = info->dlpi_phdr[i];
    std::uintptr_t lo = info->dlpi_addr + ph.p_vaddr;
    if (ph.p_type == PT_LOAD) {
      f->segments.push_back({lo, lo + ph.p_memsz, (ph.p_flags & PF_W) != 0});
    } else if (ph.p_type == PT_GNU_RELRO) {
      f->relro_lo = lo;
      f->relro_hi = lo + ph.p_memsz;
    }
  }
  return 1;
}

// civetweb's `struct ssl_func { const char* name; enum required; void
// (*ptr)(void); }`: 24 bytes on LP64, ptr at offset 16.
struct SslFuncEntry {
  const char* name;
  int required;
  void* ptr;
};
static_assert(sizeof(SslFuncEntry) == 3 * sizeof(void*));

bool PatchCivetwebPeerCertificate(std::string* error) {
  static std::mutex mu;
  static int result = -1;  // -1 not tried, 0 failed, 1 fine
  static std::string saved;
  std::lock_guard<std::mutex> lock(mu);
  if (result >= 0) {
    *error = saved;
    return result == 1;
  }
  auto done = [&](bool ok, std::string msg) {
    result = ok ? 1 : 0;
    saved = msg;
    *error = std::move(msg);
    return ok;
  };
  void* ssl = dlopen("libssl.so.3", RTLD_NOW | RTLD_NOLOAD);
  void* mg = dlsym(RTLD_DEFAULT, "mg_start");
  Dl_info info{};
  if (!ssl || !mg || !dladdr(mg, &info) || !info.dli_fname) {
    return done(false,
                "cannot locate libcivetweb and libssl.so.3 in the process");
  }
  void* get1 = dlsym(ssl, "SSL_get1_peer_certificate");
  void* verify_depth = dlsym(ssl, "SSL_CTX_set_verify_depth");
  void* get_version = dlsym(ssl, "SSL_get_version");
  dlclose(ssl);  // RTLD_NOLOAD took a reference; the library stays loaded
  if (!get1 || !verify_depth || !get_version) {
    return done(false, "libssl.so.3 lacks SSL_get1_peer_certificate");
  }
  FindLib lib;
  lib.name = info.dli_fname;
  dl_iterate_phdr(CollectSegments, &lib);
  auto mapped = [&](std::uintptr_t a) {
    for (const auto& s : lib.segments) {
      if (a >= s.lo && a + 64 <= s.hi) return true;
    }
    return false;
  };
  auto named = [&](const SslFuncEntry& e, const char* want) {
    auto a = reinterpret_cast<std::uintptr_t>(e.name);
    return a != 0 && mapped(a) && std::strcmp(e.name, want) == 0;
  };
  std::vector<SslFuncEntry*> found;
  bool fixed_build = false;
  for (const auto& s : lib.segments) {
    if (!s.writable) continue;
    std::uintptr_t lo = (s.lo + 7) & ~std::uintptr_t{7};
    for (std::uintptr_t a = lo; a + 2 * sizeof(SslFuncEntry) <= s.hi; a += 8) {
      auto* e = reinterpret_cast<SslFuncEntry*>(a);
      auto name = reinterpret_cast<std::uintptr_t>(e->name);
      if (name == 0 || !mapped(name)) continue;
      if (std::strcmp(e->name, "SSL_get1_peer_certificate") == 0)
        fixed_build = true;
      if (std::strcmp(e->name, "SSL_get_peer_certificate") != 0) continue;
      if (a < lo + sizeof(SslFuncEntry)) continue;
      const auto& prev = e[-1];
      const auto& next = e[1];
      // Neighbours as in civetweb 1.15's ssl_sw[], loaded from the very
      // libssl.so.3 this process links: then the layout is the one assumed.
      if (e->required == 0 && named(prev, "SSL_CTX_set_verify_depth") &&
          prev.ptr == verify_depth && named(next, "SSL_get_version") &&
          next.ptr == get_version) {
        if (a >= lib.relro_lo && a < lib.relro_hi) continue;
        found.push_back(e);
      }
    }
  }
  if (found.size() == 1) {
    void* cur = __atomic_load_n(&found[0]->ptr, __ATOMIC_ACQUIRE);
    if (cur == nullptr) {
      __atomic_store_n(&found[0]->ptr, get1, __ATOMIC_RELEASE);
      LOG(INFO)
          << "civetweb built for OpenSSL 1.1: mapped SSL_get_peer_certificate "
             "to OpenSSL 3's SSL_get1_peer_certificate";
    }
    return done(true, "");
  }
  if (found.empty() && fixed_build) return done(true, "");
  return done(
      false,
      "libcivetweb's OpenSSL function table has an unexpected layout; "
      "refusing to serve HTTPS (civetweb would crash on the first request: "
      "SSL_get_peer_certificate is missing from OpenSSL 3)");
}

// ------------------------------------------------------------ rate limiting

class TokenBucket {
 public:
  explicit TokenBucket(RateLimitConfig c)
      : interval_(c.interval),
        burst_(c.burst),
        tokens_(c.burst),
        last_(std::chrono::steady_clock::now()) {}
  bool Allow() {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = std::chrono::steady_clock::now();
    double add = std::chrono::duration<double>(now - last_) /
                 std::chrono::duration<double>(interval_);
    last_ = now;
    tokens_ = std::min<double>(burst_, tokens_ + add);
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

 private:
  std::mutex mu_;
  std::chrono::milliseconds interval_;
  int burst_;
  double tokens_;
  std::chrono::steady_clock::time_point last_;
};

struct FileStamp {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

FileStamp Stamp(const std::string& file) {
  struct stat st {};
  if (file.empty() || stat(file.c_str(), &st) != 0) return {};
  return {st.st_dev, st.st_ino, st.st_size,
          std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec};
}

}  // namespace

// ---------------------------------------------------------------- exposer

struct SecuredExposer::State {
  std::optional<TlsServerConfig> tls;
  std::unique_ptr<TokenBucket> limiter;
  std::shared_ptr<BasicAuthVerifier> verifier;
  const mg_context* ctx = nullptr;
  std::string init_error;  // set by the init_ssl callback

  // Certificate rotation: cert_file/key_file re-read when they change.
  std::mutex cert_mu;
  std::shared_ptr<CertKey> current;
  std::uint64_t generation = 0;  // 0: the one loaded into the SSL_CTX
  FileStamp cert_stamp, key_stamp;
  std::chrono::steady_clock::time_point next_check;

  std::shared_ptr<CertKey> Current();
};

namespace {

std::mutex g_contexts_mu;
std::map<const mg_context*, std::weak_ptr<SecuredExposer::State>> g_contexts;
thread_local std::shared_ptr<SecuredExposer::State>* t_constructing = nullptr;

int StateIndex() {
  static const int index =
      SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

std::string FormatIp(const ASN1_OCTET_STRING* ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  const unsigned char* d = ASN1_STRING_get0_data(ip);
  int len = ASN1_STRING_length(ip);
  static const unsigned char kV4Mapped[12] = {0, 0, 0, 0, 0,    0,
                                              0, 0, 0, 0, 0xff, 0xff};
  if (len == 16 && std::memcmp(d, kV4Mapped, 12) == 0) {
    d += 12;
    len = 4;
  }
  if (len == 4)
    inet_ntop(AF_INET, d, buf, sizeof buf);
  else if (len == 16)
    inet_ntop(AF_INET6, d, buf, sizeof buf);
  return buf;
}

bool SanAllowed(X509* cert, const std::vector<std::string>& allowed) {
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return false;
  bool ok = false;
  for (int i = 0; i < sk_GENERAL_NAME_num(names) && !ok; ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
    std::string v;
    if (g->type == GEN_DNS || g->type == GEN_EMAIL || g->type == GEN_URI) {
      const ASN1_IA5STRING* s = g->d.ia5;
      v.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
               static_cast<std::size_t>(ASN1_STRING_length(s)));
    } else if (g->type == GEN_IPADD) {
      v = FormatIp(g->d.iPAddress);
    } else {
      continue;
    }
    ok = !v.empty() &&
         std::find(allowed.begin(), allowed.end(), v) != allowed.end();
  }
  GENERAL_NAMES_free(names);
  return ok;
}

int VerifyClient(int preverify_ok, X509_STORE_CTX* xctx) {
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(xctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* s = ssl ? static_cast<SecuredExposer::State*>(
                      SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), StateIndex()))
                : nullptr;
  if (!s || !s->tls) return 0;
  const auto& t = *s->tls;
  // Request / RequireAny: a certificate is asked for but not verified.
  int ok = VerifiesClientCerts(t.client_auth) ? preverify_ok : 1;
  if (ok && X509_STORE_CTX_get_error_depth(xctx) == 0 &&
      !t.client_allowed_sans.empty()) {
    X509* cert = X509_STORE_CTX_get_current_cert(xctx);
    if (!cert || !SanAllowed(cert, t.client_allowed_sans)) {
      X509_STORE_CTX_set_error(xctx, X509_V_ERR_APPLICATION_VERIFICATION);
      ok = 0;
    }
  }
  return ok;
}

int UseCurrentCert(SSL* ssl, void* arg) {
  auto* s = static_cast<SecuredExposer::State*>(arg);
  std::shared_ptr<CertKey> ck;
  std::uint64_t gen;
  {
    s->Current();
    std::lock_guard<std::mutex> lock(s->cert_mu);
    ck = s->current;
    gen = s->generation;
  }
  if (gen == 0 || !ck) return 1;  // the SSL_CTX's certificate is current
  return SSL_use_cert_and_key(ssl, ck->leaf.get(), ck->key.get(),
                              ck->chain.get(), 1) == 1
             ? 1
             : 0;
}

int OpenSslVersion(TlsVersion v) {
  switch (v) {
    case TlsVersion::kTls10:
      return TLS1_VERSION;
    case TlsVersion::kTls11:
      return TLS1_1_VERSION;
    case TlsVersion::kTls12:
      return TLS1_2_VERSION;
    case TlsVersion::kTls13:
      return TLS1_3_VERSION;
  }
  return TLS1_2_VERSION;
}

bool ConfigureSslCtx(SSL_CTX* ctx, SecuredExposer::State& s, std::string* err) {
  const TlsServerConfig& t = *s.tls;
  auto fail = [&](const std::string& what) {
    *err = what + ": " + OpenSslError();
    return false;
  };
  SSL_CTX_clear_options(ctx, SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 |
                                 SSL_OP_NO_TLSv1_1 | SSL_OP_NO_TLSv1_2 |
                                 SSL_OP_NO_TLSv1_3);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  if (t.prefer_server_cipher_suites) {
    SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  } else {
    SSL_CTX_clear_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  }
  if (SSL_CTX_set_min_proto_version(ctx, OpenSslVersion(t.min_version)) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, OpenSslVersion(t.max_version)) != 1) {
    return fail("tls_server_config.min_version/max_version");
  }
  std::string tls12, tls13;
  for (const auto& c : t.cipher_suites) {
    const CipherName& n = CipherNames().at(c);
    std::string& list = n.tls13 ? tls13 : tls12;
    if (!list.empty()) list += ':';
    list += n.openssl;
  }
  if (SSL_CTX_set_cipher_list(
          ctx, tls12.empty() ? kDefaultTls12Ciphers : tls12.c_str()) != 1) {
    return fail("tls_server_config.cipher_suites");
  }
  if (!tls13.empty() && SSL_CTX_set_ciphersuites(ctx, tls13.c_str()) != 1) {
    return fail("tls_server_config.cipher_suites");
  }
  if (!t.curve_preferences.empty()) {
    std::string groups;
    for (const auto& c : t.curve_preferences) {
      if (!groups.empty()) groups += ':';
      groups += CurveNames().at(c);
    }
    if (SSL_CTX_set1_groups_list(ctx, groups.c_str()) != 1) {
      return fail("tls_server_config.curve_preferences");
    }
  }
  auto ck = s.Current();
  if (SSL_CTX_use_cert_and_key(ctx, ck->leaf.get(), ck->key.get(),
                               ck->chain.get(), 1) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    return fail("tls_server_config.cert_file/key_file");
  }
  SSL_CTX_set_cert_cb(ctx, UseCurrentCert, &s);
  static const unsigned char kSidCtx[] = "qualys-exporter";
  SSL_CTX_set_session_id_context(ctx, kSidCtx, sizeof kSidCtx - 1);
  SSL_CTX_set_ex_data(ctx, StateIndex(), &s);

  int mode = SSL_VERIFY_NONE;
  switch (t.client_auth) {
    case ClientAuthType::kNoClientCert:
      break;
    case ClientAuthType::kRequestClientCert:
    case ClientAuthType::kVerifyClientCertIfGiven:
      mode = SSL_VERIFY_PEER;
      break;
    case ClientAuthType::kRequireAnyClientCert:
    case ClientAuthType::kRequireAndVerifyClientCert:
      mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
      break;
  }
  if (mode != SSL_VERIFY_NONE) {
    std::vector<X509Ptr> cas;
    try {
      cas = LoadClientCas(t);
    } catch (const MaterialError& e) {
      *err = e.field + ": " + e.message;
      return false;
    }
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
    for (auto& ca : cas) {
      if (X509_STORE_add_cert(store, ca.get()) != 1) {
        sk_X509_NAME_pop_free(names, X509_NAME_free);
        return fail("tls_server_config.client_ca_file");
      }
      sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(ca.get())));
    }
    SSL_CTX_set_client_CA_list(ctx, names);  // takes ownership
    SSL_CTX_set_verify(ctx, mode, VerifyClient);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  return true;
}

int InitSsl(void* ssl_ctx, void*) {
  if (!t_constructing || !*t_constructing || !(*t_constructing)->tls) return -1;
  auto& s = **t_constructing;
  std::string err;
  if (!PatchCivetwebPeerCertificate(&err) ||
      !ConfigureSslCtx(static_cast<SSL_CTX*>(ssl_ctx), s, &err)) {
    s.init_error = err;
    return -1;
  }
  return 1;
}

void InitContext(const mg_context* ctx) {
  if (!t_constructing || !*t_constructing) return;
  (*t_constructing)->ctx = ctx;
  std::lock_guard<std::mutex> lock(g_contexts_mu);
  g_contexts[ctx] = *t_constructing;
}

int BeginRequest(mg_connection* conn) {
  std::shared_ptr<SecuredExposer::State> s;
  {
    std::lock_guard<std::mutex> lock(g_contexts_mu);
    auto it = g_contexts.find(mg_get_context(conn));
    if (it != g_contexts.end()) s = it->second.lock();
  }
  if (!s || !s->limiter || s->limiter->Allow()) return 0;
  static const char kBody[] = "Too Many Requests\n";
  mg_printf(conn,
            "HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain\r\n"
            "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
            sizeof kBody - 1, kBody);
  return 429;
}

// civetweb's own errors: bind failures, TLS setup, failed handshakes ("peer
// did not return a certificate"). It never logs request headers. At most 20
// a minute, so a port scanner cannot flood the log.
int LogMessage(const mg_connection*, const char* message) {
  static std::mutex mu;
  static auto window = std::chrono::steady_clock::now();
  static int logged = 0, suppressed = 0;
  std::lock_guard<std::mutex> lock(mu);
  auto now = std::chrono::steady_clock::now();
  if (now - window >= std::chrono::minutes(1)) {
    if (suppressed > 0) {
      LOG(WARNING) << "civetweb: " << suppressed << " more messages suppressed";
    }
    window = now;
    logged = suppressed = 0;
  }
  if (++logged <= 20) {
    LOG(WARNING) << "civetweb: " << message;
  } else {
    ++suppressed;
  }
  return 1;
}

}  // namespace

std::shared_ptr<CertKey> SecuredExposer::State::Current() {
  std::lock_guard<std::mutex> lock(cert_mu);
  const bool files = !tls->cert_file.empty() || !tls->key_file.empty();
  auto now = std::chrono::steady_clock::now();
  if (!files || !current || now < next_check) return current;
  next_check = now + std::chrono::seconds(1);
  FileStamp c = Stamp(tls->cert_file), k = Stamp(tls->key_file);
  if (c == cert_stamp && k == key_stamp) return current;
  cert_stamp = c;
  key_stamp = k;
  try {
    current = std::make_shared<CertKey>(LoadCertKey(*tls));
    ++generation;
    LOG(INFO) << "web config: reloaded the TLS certificate and key";
  } catch (const MaterialError& e) {
    LOG(WARNING) << "web config: " << e.field << " changed but cannot be used ("
                 << e.message << "); still serving the previous certificate";
  }
  return current;
}

// ------------------------------------------------------------ public API

WebConfig ParseWebConfig(const std::string& yaml_text,
                         const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error("web config " + path +
                             ": invalid YAML: " + e.what());
  }
  WebConfig c;
  c.path = path;
  if (IsAbsent(root)) return c;  // an empty file: plain HTTP, no auth
  if (!root.IsMap()) Fail(path, "(top level)", "must be a mapping", root);
  static const std::set<std::string> kTop = {"tls_server_config",
                                             "http_server_config",
                                             "basic_auth_users", "rate_limit"};
  CheckKeys(path, "", root, &kTop);

  if (GetMap(path, "tls_server_config", root["tls_server_config"])) {
    bool enabled = false;
    TlsServerConfig t = ParseTls(path, root["tls_server_config"], &enabled);
    if (enabled) c.tls = std::move(t);
  }

  if (GetMap(path, "http_server_config", root["http_server_config"])) {
    const YAML::Node h = root["http_server_config"];
    static const std::set<std::string> kHttp = {"http2", "headers"};
    CheckKeys(path, "http_server_config", h, &kHttp);
    if (GetBool(path, "http_server_config.http2", h["http2"], false)) {
      Fail(path, "http_server_config.http2",
           "not supported by qualys-exporter: civetweb serves HTTP/1.1 only; "
           "remove the field or set it to false",
           h["http2"]);
    }
    if (GetMap(path, "http_server_config.headers", h["headers"]) &&
        h["headers"].size() > 0) {
      Fail(path, "http_server_config.headers",
           "not supported by qualys-exporter: prometheus-cpp writes the "
           "/metrics "
           "response headers itself",
           h["headers"]);
    }
  }

  if (GetMap(path, "basic_auth_users", root["basic_auth_users"])) {
    const YAML::Node users = root["basic_auth_users"];
    CheckKeys(path, "basic_auth_users", users, nullptr);  // unique names
  }
  for (const auto& kv : root["basic_auth_users"]) {
    const std::string user = kv.first.Scalar();
    const std::string field = "basic_auth_users." + user;
    if (user.find(':') != std::string::npos) {
      Fail(path, field, "user names cannot contain ':' in HTTP Basic auth",
           kv.first);
    }
    if (!kv.second.IsScalar())
      Fail(path, field, "must be a bcrypt hash string", kv.second);
    const std::string hash = kv.second.Scalar();
    if (!LooksLikeBcrypt(hash)) {
      Fail(path, field,
           "not a bcrypt hash ($2a$, $2b$ or $2y$, cost 04-31, 60 characters; "
           "e.g. htpasswd -nBC 10 \"\" | tr -d ':\\n')",
           kv.second);
    }
    c.basic_auth_users[user] = hash;
  }

  if (GetMap(path, "rate_limit", root["rate_limit"])) {
    const YAML::Node r = root["rate_limit"];
    static const std::set<std::string> kRate = {"interval", "burst"};
    CheckKeys(path, "rate_limit", r, &kRate);
    RateLimitConfig rl;
    std::string interval =
        GetString(path, "rate_limit.interval", r["interval"]);
    if (!interval.empty() && interval != "0") {
      auto d = ParseDuration(interval);
      if (!d || d->count() < 0) {
        Fail(path, "rate_limit.interval", "invalid duration '" + interval + "'",
             r["interval"]);
      }
      rl.interval = *d;
    }
    if (!IsAbsent(r["burst"])) {
      int burst = 0;
      if (!r["burst"].IsScalar() ||
          !YAML::convert<int>::decode(r["burst"], burst)) {
        Fail(path, "rate_limit.burst", "must be an integer", r["burst"]);
      }
      rl.burst = burst;
    }
    if (rl.interval.count() > 0) {
      if (rl.burst < 1) {
        Fail(path, "rate_limit.burst",
             "must be at least 1 (0 would reject every request)", r["burst"]);
      }
      c.rate_limit = rl;
    }
  }
  return c;
}

WebConfig LoadWebConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("web config " + path +
                             ": cannot read: " + std::strerror(errno));
  }
  std::ostringstream s;
  s << in.rdbuf();
  return ParseWebConfig(s.str(), path);
}

// ------------------------------------------------------------ Basic auth

BasicAuthVerifier::BasicAuthVerifier(std::map<std::string, std::string> users,
                                     std::chrono::seconds cache_ttl)
    : users_(std::move(users)),
      ttl_(cache_ttl),
      crypt_data_(std::make_unique<::crypt_data>()) {
  if (RAND_bytes(hmac_key_.data(), static_cast<int>(hmac_key_.size())) != 1) {
    throw std::runtime_error("cannot seed the Basic auth cache key");
  }
  // Unknown users are checked against a hash of the highest configured cost,
  // so they take as long as known ones.
  int cost = 4;
  for (const auto& [u, h] : users_)
    cost = std::max(cost, (h[4] - '0') * 10 + (h[5] - '0'));
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (!crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0,
                        setting, sizeof setting)) {
    throw std::runtime_error("libcrypt cannot generate a bcrypt salt");
  }
  dummy_setting_ = setting;
}

BasicAuthVerifier::~BasicAuthVerifier() {
  OPENSSL_cleanse(hmac_key_.data(), hmac_key_.size());
}

BasicAuthVerifier::Key BasicAuthVerifier::CacheKey(
    const std::string& user, const std::string& password) const {
  std::string msg;
  msg.reserve(user.size() + password.size() + 1);
  msg += user;
  msg += '\0';  // user names may not contain NUL in HTTP; no ambiguity
  msg += password;
  Key k{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), hmac_key_.data(), static_cast<int>(hmac_key_.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), k.data(),
       &len);
  OPENSSL_cleanse(msg.data(), msg.size());
  return k;
}

bool BasicAuthVerifier::Bcrypt(const std::string& password,
                               const std::string& hash) {
  std::lock_guard<std::mutex> lock(bcrypt_mu_);
  {
    std::lock_guard<std::mutex> c(cache_mu_);
    ++bcrypt_runs_;
  }
  const char* out = crypt_rn(password.c_str(), hash.c_str(), crypt_data_.get(),
                             static_cast<int>(sizeof(::crypt_data)));
  bool ok = out && out[0] != '*' && std::strlen(out) == hash.size() &&
            CRYPTO_memcmp(out, hash.data(), hash.size()) == 0;
  OPENSSL_cleanse(crypt_data_.get(), sizeof(::crypt_data));
  return ok;
}

bool BasicAuthVerifier::Verify(const std::string& user,
                               const std::string& password) {
  // A NUL would cut the password short in crypt(): reject outright.
  if (password.find('\0') != std::string::npos) return false;
  const Key key = CacheKey(user, password);
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      if (it->second > now) return true;
      cache_.erase(it);
    }
  }
  auto it = users_.find(user);
  bool ok;
  if (it == users_.end()) {
    Bcrypt(password, dummy_setting_);  // same cost, result ignored
    ok = false;
  } else {
    ok = Bcrypt(password, it->second);
  }
  if (ok) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    if (cache_.size() >= kMaxCacheEntries) {
      std::erase_if(cache_, [&](const auto& e) { return e.second <= now; });
    }
    if (cache_.size() >= kMaxCacheEntries) {
      cache_.erase(std::min_element(
          cache_.begin(), cache_.end(),
          [](const auto& a, const auto& b) { return a.second < b.second; }));
    }
    cache_[key] = now + ttl_;
  }
  return ok;
}

std::uint64_t BasicAuthVerifier::bcrypt_runs() const {
  std::lock_guard<std::mutex> lock(cache_mu_);
  return bcrypt_runs_;
}

// ------------------------------------------------------------ listening

std::string CivetListeningPorts(const std::string& listen_address, bool tls) {
  auto bad = [&](const std::string& why) {
    return std::invalid_argument("--web.listen-address '" + listen_address +
                                 "': " + why);
  };
  std::string out;
  std::stringstream ss(listen_address);
  std::string addr;
  while (std::getline(ss, addr, ',')) {
    addr.erase(0, addr.find_first_not_of(" \t"));
    addr.erase(addr.find_last_not_of(" \t") + 1);
    auto colon = addr.rfind(':');
    if (colon == std::string::npos) throw bad("expected host:port or :port");
    std::string host = addr.substr(0, colon);
    std::string port = addr.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(),
                     [](char ch) { return ch >= '0' && ch <= '9'; }) ||
        std::stoi(port) > 65535) {
      throw bad("invalid port '" + port + "'");
    }
    std::string civet;
    if (host.empty()) {
      civet = port;
    } else if (host == "localhost") {
      civet = "127.0.0.1:" + port;
    } else if (host.front() == '[' && host.back() == ']') {
      unsigned char buf[16];
      if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), buf) !=
          1) {
        throw bad("invalid IPv6 address " + host);
      }
      civet = host + ":" + port;
    } else {
      unsigned char buf[4];
      if (inet_pton(AF_INET, host.c_str(), buf) != 1) {
        throw bad("host must be an IP address, [IPv6] or localhost, not '" +
                  host + "'");
      }
      civet = host + ":" + port;
    }
    if (tls) civet += 's';
    if (!out.empty()) out += ',';
    out += civet;
  }
  if (out.empty()) throw bad("empty");
  return out;
}

SecuredExposer::SecuredExposer(std::shared_ptr<State> state,
                               std::unique_ptr<prometheus::Exposer> exposer)
    : state_(std::move(state)), exposer_(std::move(exposer)) {}

SecuredExposer::~SecuredExposer() {
  exposer_.reset();  // stops civetweb and its threads first
  std::lock_guard<std::mutex> lock(g_contexts_mu);
  if (state_ && state_->ctx) g_contexts.erase(state_->ctx);
}

prometheus::Exposer& SecuredExposer::exposer() { return *exposer_; }
bool SecuredExposer::tls() const { return state_->tls.has_value(); }
std::vector<int> SecuredExposer::ports() const {
  return exposer_->GetListeningPorts();
}

std::unique_ptr<SecuredExposer> MakeExposer(
    const std::string& listen_address, const std::optional<WebConfig>& config) {
  auto state = std::make_shared<SecuredExposer::State>();
  const bool tls = config && config->tls;
  if (tls) {
    state->tls = config->tls;
    try {
      state->current = std::make_shared<CertKey>(LoadCertKey(*state->tls));
    } catch (const MaterialError& e) {
      throw std::runtime_error("web config " + config->path + ": " + e.field +
                               ": " + e.message);
    }
    state->cert_stamp = Stamp(state->tls->cert_file);
    state->key_stamp = Stamp(state->tls->key_file);
    state->next_check =
        std::chrono::steady_clock::now() + std::chrono::seconds(1);
  }
  if (tls) {
    // civetweb loads libssl in its library initialisation. With Debian's
    // build the first load fails on the missing SSL_get_peer_certificate
    // but leaves the rest of the function table filled in; a later
    // initialisation then succeeds. Which exposer comes first must not
    // matter, so take that first attempt here (the entry it leaves NULL is
    // fixed in InitSsl).
    static std::once_flag once;
    std::call_once(once, [] { mg_init_library(MG_FEATURES_TLS); });
  }
  if (config && config->rate_limit) {
    state->limiter = std::make_unique<TokenBucket>(*config->rate_limit);
  }
  const std::string ports = CivetListeningPorts(listen_address, tls);
  if (ports.find('[') != std::string::npos &&
      !mg_check_feature(MG_FEATURES_IPV6)) {
    throw std::runtime_error(
        "--web.listen-address=" + listen_address +
        ": this civetweb build has no IPv6 support (Debian's "
        "libcivetweb1 has none); listen on an IPv4 address");
  }
  std::vector<std::string> options = {
      "listening_ports", ports,
      // Basic auth runs bcrypt and TLS handshakes take a round trip or two:
      // a few more workers than prometheus-cpp's default of 2.
      "num_threads", "4"};
  CivetCallbacks callbacks;
  callbacks.init_ssl = tls ? InitSsl : nullptr;
  callbacks.init_context = InitContext;
  callbacks.begin_request = state->limiter ? BeginRequest : nullptr;
  callbacks.log_message = LogMessage;

  std::unique_ptr<prometheus::Exposer> exposer;
  t_constructing = &state;
  try {
    exposer = std::make_unique<prometheus::Exposer>(options, &callbacks);
  } catch (const std::exception& e) {
    t_constructing = nullptr;
    std::string msg = "cannot serve on --web.listen-address=" + listen_address +
                      ": " + e.what();
    if (!state->init_error.empty()) msg += " (TLS: " + state->init_error + ")";
    if (state->ctx) {
      std::lock_guard<std::mutex> lock(g_contexts_mu);
      g_contexts.erase(state->ctx);
    }
    throw std::runtime_error(msg);
  }
  t_constructing = nullptr;
  auto secured = std::make_unique<SecuredExposer>(state, std::move(exposer));
  if (state->limiter && !state->ctx) {
    throw std::runtime_error(
        "civetweb did not report its context; cannot rate-limit");
  }
  if (tls) {
    const auto& t = *state->tls;
    LOG(INFO) << "web config " << config->path
              << ": TLS enabled, client_auth_type "
              << ClientAuthName(t.client_auth);
  }
  return secured;
}

void ProtectPath(SecuredExposer& exposer,
                 const std::optional<WebConfig>& config,
                 const std::string& uri) {
  if (!config || config->basic_auth_users.empty()) return;
  auto& state = *exposer.state_;
  if (!state.verifier) {
    state.verifier =
        std::make_shared<BasicAuthVerifier>(config->basic_auth_users);
  }
  LOG(INFO) << "web config " << config->path << ": Basic auth required on "
            << uri << " (" << config->basic_auth_users.size() << " users)";
  if (!exposer.tls()) {
    LOG(WARNING) << "web config " << config->path
                 << ": Basic auth without tls_server_config sends passwords in "
                    "clear text";
  }
  std::weak_ptr<BasicAuthVerifier> weak = state.verifier;
  exposer.exposer().RegisterAuth(
      [weak](const std::string& user, const std::string& password) {
        auto v = weak.lock();
        return v && v->Verify(user, password);
      },
      "qualys-exporter", uri);
}

}  // namespace qx
