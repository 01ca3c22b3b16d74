// TLS material (certificate chain, key, client CAs) loaded with OpenSSL from
// the web config, and the tables mapping the file's Go names to OpenSSL's.
// Key material is read into memory only: nothing is written to disk.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "qx/endpoint/web_config.h"

namespace qx::tls {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct ChainFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using ChainPtr = std::unique_ptr<STACK_OF(X509), ChainFree>;

struct CertKey {
  X509Ptr leaf;
  ChainPtr chain;  // intermediates after the leaf (may be empty)
  PkeyPtr key;
};

// Thrown by the loaders: the config field and what is wrong with it.
struct MaterialError {
  std::string field;
  std::string message;
};

// Reads cert/key (files or inline PEM) and checks that they match.
CertKey LoadCertKey(const TlsServerConfig& t);
// The client CA certificates (file or inline); empty if none configured.
std::vector<X509Ptr> LoadClientCas(const TlsServerConfig& t);

// The last OpenSSL error as text (and clears the queue).
std::string OpenSslError();

const std::map<std::string, ClientAuthType>& ClientAuthNames();
const std::map<std::string, TlsVersion>& TlsVersionNames();
int OpenSslVersion(TlsVersion v);
bool VerifiesClientCerts(ClientAuthType a);

struct CipherName {
  const char* openssl;
  bool tls13;
};
// Go's tls.CipherSuites() (the ones exporter-toolkit accepts) -> OpenSSL.
const std::map<std::string, CipherName>& CipherNames();
// Without cipher_suites: Go's default TLS 1.2 suites (ECDHE only, AEAD
// first).
extern const char* const kDefaultTls12Ciphers;
// OpenSSL's default TLS 1.3 suites (restored when a reload drops the field).
extern const char* const kDefaultTls13Ciphers;
// Go curve names -> OpenSSL group names.
const std::map<std::string, std::string>& CurveNames();

}  // namespace qx::tls
