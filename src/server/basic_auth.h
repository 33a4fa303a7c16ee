// HTTP basic authentication against bcrypt hashes (web config basic_auth_users), verified with
// libcrypt's bcrypt (crypt_rn: $2a$, $2b$, $2y$). A successful (user, hash, password) triple is
// remembered for a short time so that a remote-write stream does not pay one bcrypt (tens of
// milliseconds) per request. Unknown users are checked against a fixed dummy hash so that
// timing does not reveal which user names exist. Thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/mutex.h"

namespace strata::server {

struct BasicCredentials {
  std::string user;
  std::string password;
};

// Decodes an `Authorization: Basic <base64(user:password)>` header value (scheme matched
// case-insensitively). nullopt when it is absent or malformed.
std::optional<BasicCredentials> ParseBasicAuthorization(std::string_view header);

// True when `password` hashes to `hash` (bcrypt; compared in constant time). False for a
// malformed hash or a password containing NUL. Costs one bcrypt.
bool BcryptVerify(std::string_view password, const std::string& hash);

class BasicAuthVerifier {
 public:
  // Successful verifications are remembered for `ttl` (Default: 60 s), at most `max_entries`
  // of them (Default: 1024; past it expired entries are dropped, then all).
  explicit BasicAuthVerifier(std::chrono::milliseconds ttl = std::chrono::seconds(60),
                             size_t max_entries = 1024)
      : ttl_(ttl), max_entries_(max_entries) {}

  // True when `user` is in `users` (user -> bcrypt hash) and `password` matches its hash.
  // `now` is injectable for tests.
  bool Verify(const std::map<std::string, std::string>& users, std::string_view user,
              std::string_view password,
              std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

  // bcrypt computations done so far (cache misses), for tests and metrics.
  uint64_t bcrypt_runs() const;

 private:
  using Key = std::array<unsigned char, 32>;  // SHA-256 of (user, hash, password).

  const std::chrono::milliseconds ttl_;
  const size_t max_entries_;
  mutable Mutex mu_;
  std::map<Key, std::chrono::steady_clock::time_point> ok_until_ STRATA_GUARDED_BY(mu_);
  uint64_t bcrypt_runs_ STRATA_GUARDED_BY(mu_) = 0;
  // Serializes bcrypt runs (CPU-heavy) as exporter-toolkit does, so a flood of bad passwords
  // uses one core at most.
  Mutex bcrypt_mu_;
};

}  // namespace strata::server
