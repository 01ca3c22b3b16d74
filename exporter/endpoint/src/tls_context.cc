#include "tls_context.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "tls_material.h"

namespace qx {

struct TlsContext::Settings {
  TlsServerConfig config;
  tls::CertKey cert_key;
  X509_STORE* client_cas = nullptr;                 // owned; null without CAs
  STACK_OF(X509_NAME) * client_ca_names = nullptr;  // owned
  std::string tls12_ciphers, tls13_ciphers, groups;
  int verify_mode = SSL_VERIFY_NONE;

  ~Settings() {
    X509_STORE_free(client_cas);
    sk_X509_NAME_pop_free(client_ca_names, X509_NAME_free);
  }
};

namespace {

using Settings = TlsContext::Settings;

// OpenSSL's default groups, restored when a reload drops curve_preferences.
constexpr const char* kDefaultGroups = "X25519:P-256:X448:P-521:P-384";

// A handshake's settings live in its SSL object (freed with it), so the
// verify callback reads the very settings the handshake started with.
void FreeSettings(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<std::shared_ptr<const Settings>*>(ptr);
}

int SettingsIndex() {
  static const int index =
      SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, FreeSettings);
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
  if (len == 4) {
    inet_ntop(AF_INET, d, buf, sizeof buf);
  } else if (len == 16) {
    inet_ntop(AF_INET6, d, buf, sizeof buf);
  }
  return buf;
}

// exporter-toolkit: a DNS, e-mail, IP or URI SAN equal to an allowed entry.
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
  auto* held = ssl ? static_cast<std::shared_ptr<const Settings>*>(
                         SSL_get_ex_data(ssl, SettingsIndex()))
                   : nullptr;
  if (!held || !*held) return 0;
  const TlsServerConfig& t = (*held)->config;
  // Request / RequireAny: a certificate is asked for but not verified.
  int ok = tls::VerifiesClientCerts(t.client_auth) ? preverify_ok : 1;
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

std::shared_ptr<const Settings> Load(const TlsServerConfig& t,
                                     const std::string& path) {
  auto fail = [&](const std::string& field, const std::string& message) {
    return std::runtime_error("web config " + path + ": " + field + ": " +
                              message);
  };
  auto s = std::make_shared<Settings>();
  s->config = t;
  std::vector<tls::X509Ptr> cas;
  try {
    s->cert_key = tls::LoadCertKey(t);
    cas = tls::LoadClientCas(t);
  } catch (const tls::MaterialError& e) {
    throw fail(e.field, e.message);
  }
  for (const auto& c : t.cipher_suites) {
    const tls::CipherName& n = tls::CipherNames().at(c);
    std::string& list = n.tls13 ? s->tls13_ciphers : s->tls12_ciphers;
    if (!list.empty()) list += ':';
    list += n.openssl;
  }
  if (s->tls12_ciphers.empty()) s->tls12_ciphers = tls::kDefaultTls12Ciphers;
  if (s->tls13_ciphers.empty()) s->tls13_ciphers = tls::kDefaultTls13Ciphers;
  for (const auto& c : t.curve_preferences) {
    if (!s->groups.empty()) s->groups += ':';
    s->groups += tls::CurveNames().at(c);
  }
  if (s->groups.empty()) s->groups = kDefaultGroups;
  switch (t.client_auth) {
    case ClientAuthType::kNoClientCert:
      break;
    case ClientAuthType::kRequestClientCert:
    case ClientAuthType::kVerifyClientCertIfGiven:
      s->verify_mode = SSL_VERIFY_PEER;
      break;
    case ClientAuthType::kRequireAnyClientCert:
    case ClientAuthType::kRequireAndVerifyClientCert:
      s->verify_mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
      break;
  }
  s->client_cas = X509_STORE_new();
  s->client_ca_names = sk_X509_NAME_new_null();
  for (auto& ca : cas) {
    if (X509_STORE_add_cert(s->client_cas, ca.get()) != 1) {
      throw fail("tls_server_config.client_ca_file", tls::OpenSslError());
    }
    sk_X509_NAME_push(s->client_ca_names,
                      X509_NAME_dup(X509_get_subject_name(ca.get())));
  }
  return s;
}

bool Apply(SSL* ssl, const Settings& s) {
  const TlsServerConfig& t = s.config;
  // No session resumption: a resumed session would skip the client
  // certificate checks of the settings now in force.
  SSL_set_options(
      ssl, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET);
  if (t.prefer_server_cipher_suites) {
    SSL_set_options(ssl, SSL_OP_CIPHER_SERVER_PREFERENCE);
  } else {
    SSL_clear_options(ssl, SSL_OP_CIPHER_SERVER_PREFERENCE);
  }
  if (SSL_set_min_proto_version(ssl, tls::OpenSslVersion(t.min_version)) != 1 ||
      SSL_set_max_proto_version(ssl, tls::OpenSslVersion(t.max_version)) != 1 ||
      SSL_set_cipher_list(ssl, s.tls12_ciphers.c_str()) != 1 ||
      SSL_set_ciphersuites(ssl, s.tls13_ciphers.c_str()) != 1 ||
      SSL_set1_groups_list(ssl, s.groups.c_str()) != 1 ||
      SSL_use_cert_and_key(ssl, s.cert_key.leaf.get(), s.cert_key.key.get(),
                           s.cert_key.chain.get(), 1) != 1) {
    return false;
  }
  SSL_set_verify(ssl, s.verify_mode, VerifyClient);
  if (s.verify_mode != SSL_VERIFY_NONE) {
    if (SSL_set1_verify_cert_store(ssl, s.client_cas) != 1) return false;
    SSL_set_client_CA_list(ssl, SSL_dup_CA_list(s.client_ca_names));
  }
  return true;
}

}  // namespace

TlsContext::TlsContext(const TlsServerConfig& config,
                       const std::string& config_path)
    : current_(Load(config, config_path)) {
  Poco::Net::Context::Params params;
  params.verificationMode = Poco::Net::Context::VERIFY_NONE;  // set per SSL
  params.loadDefaultCAs = false;
  params.dhUse2048Bits = true;
  context_ = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
  // Poco would check a client certificate's names against the client's IP.
  context_->enableExtendedCertificateVerification(false);
  SSL_CTX* ctx = context_->sslContext();
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  static const unsigned char kSidCtx[] = "qualys-exporter";
  SSL_CTX_set_session_id_context(ctx, kSidCtx, sizeof kSidCtx - 1);
  SSL_CTX_set_client_hello_cb(ctx, OnClientHello, this);
}

TlsContext::~TlsContext() {
  SSL_CTX_set_client_hello_cb(context_->sslContext(), nullptr, nullptr);
}

void TlsContext::Update(const TlsServerConfig& config,
                        const std::string& config_path) {
  auto next = Load(config, config_path);
  std::lock_guard<std::mutex> lock(mu_);
  current_ = std::move(next);
}

std::shared_ptr<const TlsContext::Settings> TlsContext::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

int TlsContext::OnClientHello(SSL* ssl, int* alert, void* arg) {
  auto* self = static_cast<TlsContext*>(arg);
  auto settings = self->Current();
  if (!settings || !Apply(ssl, *settings)) {
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  // A TLS 1.3 HelloRetryRequest brings a second ClientHello.
  delete static_cast<std::shared_ptr<const Settings>*>(
      SSL_get_ex_data(ssl, SettingsIndex()));
  SSL_set_ex_data(ssl, SettingsIndex(), nullptr);
  auto* held = new std::shared_ptr<const Settings>(std::move(settings));
  if (SSL_set_ex_data(ssl, SettingsIndex(), held) != 1) {
    delete held;
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  return SSL_CLIENT_HELLO_SUCCESS;
}

}  // namespace qx
