// HTTP Basic auth against the web config's bcrypt hashes.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

struct crypt_data;  // <crypt.h>

namespace qx {

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
  // Verifies an Authorization header value ("Basic base64(user:password)").
  // Anything else (absent, another scheme, bad base64) is false.
  bool VerifyHeader(const std::string& authorization);
  // The users and hashes it was built from (to keep it, and its cache,
  // across reloads that do not change them).
  const std::map<std::string, std::string>& users() const { return users_; }
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

}  // namespace qx
