// The web config in force, re-read when its file or the certificate, key or
// client CA files change. Requests and handshakes take the current settings
// once (a shared pointer), so a reload never changes an answer half-way.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "qx/endpoint/basic_auth.h"
#include "qx/endpoint/web_config.h"
#include "tls_context.h"

namespace qx {

// rate_limit: a token bucket over requests.
class TokenBucket {
 public:
  explicit TokenBucket(RateLimitConfig c);
  bool Allow();
  const RateLimitConfig& config() const { return config_; }

 private:
  RateLimitConfig config_;
  std::mutex mu_;
  double tokens_;
  std::chrono::steady_clock::time_point last_;
};

struct WebSettings {
  std::shared_ptr<BasicAuthVerifier> verifier;  // null: no Basic auth
  std::map<std::string, std::string> headers;   // added to every answer
  std::shared_ptr<TokenBucket> limiter;         // null: no rate limit
};

class WebSettingsWatcher {
 public:
  // path empty: no web config (plain HTTP, no auth, nothing to watch).
  // Otherwise loads it; throws std::runtime_error naming file and field.
  WebSettingsWatcher(std::string path, std::chrono::milliseconds interval);
  ~WebSettingsWatcher();
  WebSettingsWatcher(const WebSettingsWatcher&) = delete;
  WebSettingsWatcher& operator=(const WebSettingsWatcher&) = delete;

  std::shared_ptr<const WebSettings> Current() const;
  // The TLS context, if the file enables TLS (fixed for the server's life).
  TlsContext* tls() const { return tls_.get(); }

  // Starts / stops the thread that checks the files every interval.
  void Start();
  void Stop();
  // One check: reloads if a file changed. True if a new config is in force.
  bool CheckNow();

 private:
  struct Stamp {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const Stamp&) const = default;
  };
  static Stamp StampOf(const std::string& file);
  std::vector<Stamp> Stamps(const WebConfig& c) const;
  std::shared_ptr<const WebSettings> Build(const WebConfig& c) const;

  const std::string path_;
  const std::chrono::milliseconds interval_;
  std::unique_ptr<TlsContext> tls_;
  WebConfig config_;           // the last good one (thread-confined)
  std::vector<Stamp> stamps_;  // of the files last read
  mutable std::mutex mu_;
  std::shared_ptr<const WebSettings> current_;  // guarded by mu_
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;  // guarded by stop_mu_
  std::thread thread_;
};

}  // namespace qx
