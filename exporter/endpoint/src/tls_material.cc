#include "tls_material.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace qx::tls {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

std::string ReadFile(const std::string& field, const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw MaterialError{field,
                        "cannot read " + file + ": " + std::strerror(errno)};
  }
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
  if (out.empty()) {
    throw MaterialError{field, "no PEM certificate found in " + what};
  }
  return out;
}

}  // namespace

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
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
  for (std::size_t i = 1; i < certs.size(); ++i) {
    sk_X509_push(ck.chain.get(), certs[i].release());
  }
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

bool VerifiesClientCerts(ClientAuthType a) {
  return a == ClientAuthType::kVerifyClientCertIfGiven ||
         a == ClientAuthType::kRequireAndVerifyClientCert;
}

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

const char* const kDefaultTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:"
    "ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA";

const char* const kDefaultTls13Ciphers =
    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:"
    "TLS_AES_128_GCM_SHA256";

const std::map<std::string, std::string>& CurveNames() {
  static const std::map<std::string, std::string> m = {
      {"CurveP256", "P-256"},
      {"CurveP384", "P-384"},
      {"CurveP521", "P-521"},
      {"X25519", "X25519"},
  };
  return m;
}

}  // namespace qx::tls
