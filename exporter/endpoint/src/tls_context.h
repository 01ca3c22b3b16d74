// The server's TLS: one Poco NetSSL Context (an OpenSSL 3 SSL_CTX) for the
// life of the server. Every handshake takes the settings of the web config
// in force from a client-hello callback (certificate and key, versions,
// ciphers, curves, client-certificate policy and CAs), so a reload changes
// them for new connections without touching the listening sockets.
#pragma once

#include <Poco/Net/Context.h>
#include <openssl/ssl.h>

#include <memory>
#include <mutex>

#include "qx/endpoint/web_config.h"

namespace qx {

class TlsContext {
 public:
  // Loads the material; throws std::runtime_error "web config <file>: ...".
  TlsContext(const TlsServerConfig& config, const std::string& config_path);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  Poco::Net::Context::Ptr context() const { return context_; }
  // New handshakes use config from now on. Throws std::runtime_error (the
  // previous settings stay) if the material cannot be loaded.
  void Update(const TlsServerConfig& config, const std::string& config_path);

  struct Settings;  // loaded material, shared with the handshakes using it

 private:
  static int OnClientHello(SSL* ssl, int* alert, void* arg);
  std::shared_ptr<const Settings> Current() const;

  Poco::Net::Context::Ptr context_;
  mutable std::mutex mu_;
  std::shared_ptr<const Settings> current_;  // guarded by mu_
};

}  // namespace qx
