#include "qx/endpoint/basic_auth.h"

#include <Poco/Base64Decoder.h>
#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace qx {

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

bool BasicAuthVerifier::VerifyHeader(const std::string& authorization) {
  // RFC 7617: the scheme is case-insensitive; one space before the token.
  constexpr std::string_view kScheme = "basic ";
  if (authorization.size() <= kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
        kScheme[i]) {
      return false;
    }
  }
  std::string decoded;
  try {
    std::istringstream in(authorization.substr(kScheme.size()));
    Poco::Base64Decoder decoder(in);
    decoded.assign(std::istreambuf_iterator<char>(decoder), {});
  } catch (const std::exception&) {
    return false;
  }
  const auto colon = decoded.find(':');
  bool ok = colon != std::string::npos &&
            Verify(decoded.substr(0, colon), decoded.substr(colon + 1));
  OPENSSL_cleanse(decoded.data(), decoded.size());
  return ok;
}

}  // namespace qx
