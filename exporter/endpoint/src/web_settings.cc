#include "web_settings.h"

#include <glog/logging.h>
#include <sys/stat.h>

#include <algorithm>

namespace qx {

TokenBucket::TokenBucket(RateLimitConfig c)
    : config_(c), tokens_(c.burst), last_(std::chrono::steady_clock::now()) {}

bool TokenBucket::Allow() {
  std::lock_guard<std::mutex> lock(mu_);
  auto now = std::chrono::steady_clock::now();
  double add = std::chrono::duration<double>(now - last_) /
               std::chrono::duration<double>(config_.interval);
  last_ = now;
  tokens_ = std::min<double>(config_.burst, tokens_ + add);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

WebSettingsWatcher::WebSettingsWatcher(std::string path,
                                       std::chrono::milliseconds interval)
    : path_(std::move(path)), interval_(interval) {
  if (!path_.empty()) {
    config_ = LoadWebConfig(path_);
    if (config_.tls) tls_ = std::make_unique<TlsContext>(*config_.tls, path_);
    stamps_ = Stamps(config_);
    if (config_.tls) {
      LOG(INFO) << "web config " << path_ << ": TLS enabled, client_auth_type "
                << ClientAuthName(config_.tls->client_auth);
    }
    if (!config_.basic_auth_users.empty()) {
      LOG(INFO) << "web config " << path_ << ": Basic auth required on every "
                << "path but /-/healthy (" << config_.basic_auth_users.size()
                << " users)";
      if (!config_.tls) {
        LOG(WARNING) << "web config " << path_ << ": Basic auth without "
                     << "tls_server_config sends passwords in clear text";
      }
    }
  }
  current_ = Build(config_);
}

WebSettingsWatcher::~WebSettingsWatcher() { Stop(); }

WebSettingsWatcher::Stamp WebSettingsWatcher::StampOf(const std::string& file) {
  struct stat st {};
  if (file.empty() || stat(file.c_str(), &st) != 0) return {};
  return {st.st_dev, st.st_ino, st.st_size,
          std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec};
}

std::vector<WebSettingsWatcher::Stamp> WebSettingsWatcher::Stamps(
    const WebConfig& c) const {
  std::vector<Stamp> out = {StampOf(path_)};
  if (c.tls) {
    out.push_back(StampOf(c.tls->cert_file));
    out.push_back(StampOf(c.tls->key_file));
    out.push_back(StampOf(c.tls->client_ca_file));
  }
  return out;
}

std::shared_ptr<const WebSettings> WebSettingsWatcher::Build(
    const WebConfig& c) const {
  auto s = std::make_shared<WebSettings>();
  std::shared_ptr<const WebSettings> old = Current();
  if (!c.basic_auth_users.empty()) {
    // Unchanged users keep their verifier, and so its cache.
    if (old && old->verifier && old->verifier->users() == c.basic_auth_users) {
      s->verifier = old->verifier;
    } else {
      s->verifier = std::make_shared<BasicAuthVerifier>(c.basic_auth_users);
    }
  }
  s->headers = c.headers;
  if (c.rate_limit) {
    if (old && old->limiter && old->limiter->config() == *c.rate_limit) {
      s->limiter = old->limiter;
    } else {
      s->limiter = std::make_shared<TokenBucket>(*c.rate_limit);
    }
  }
  return s;
}

std::shared_ptr<const WebSettings> WebSettingsWatcher::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

bool WebSettingsWatcher::CheckNow() {
  if (path_.empty()) return false;
  auto stamps = Stamps(config_);
  if (stamps == stamps_) return false;
  stamps_ = stamps;  // a bad file is reported once, not every interval
  try {
    WebConfig next = LoadWebConfig(path_);
    if (next.tls.has_value() != config_.tls.has_value()) {
      throw std::runtime_error(
          "web config " + path_ +
          ": tls_server_config: " + (next.tls ? "enabling" : "disabling") +
          " TLS needs a restart (the listening sockets stay as they are)");
    }
    if (next.tls && tls_) tls_->Update(*next.tls, path_);
    auto settings = Build(next);
    {
      std::lock_guard<std::mutex> lock(mu_);
      current_ = std::move(settings);
    }
    config_ = std::move(next);
    stamps_ = Stamps(config_);  // the files of the new config
    LOG(INFO) << "web config " << path_ << ": reloaded"
              << (config_.tls ? " (TLS certificate and settings re-read)" : "")
              << ", " << config_.basic_auth_users.size() << " Basic auth users";
    return true;
  } catch (const std::exception& e) {
    LOG(ERROR) << e.what() << " -- reload failed, keeping the last good "
               << "configuration";
    return false;
  }
}

void WebSettingsWatcher::Start() {
  if (path_.empty() || thread_.joinable()) return;
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(stop_mu_);
    while (!stop_cv_.wait_for(lock, interval_, [this] { return stop_; })) {
      lock.unlock();
      CheckNow();
      lock.lock();
    }
  });
}

void WebSettingsWatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace qx
