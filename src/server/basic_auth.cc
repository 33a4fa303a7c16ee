// The cache key is a SHA-256 digest so that passwords are never kept in memory; the hash is part
// of it so that a changed password in the web config invalidates old entries at once.
#include "server/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace strata::server {
namespace {

// bcrypt of "fakepassword" (exporter-toolkit's decoy), checked for unknown users.
constexpr const char* kDummyHash = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::optional<std::string> Base64Decode(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = Base64Value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if (bits >= 6) return std::nullopt;  // A single dangling character.
  return out;
}

}  // namespace

std::optional<BasicCredentials> ParseBasicAuthorization(std::string_view header) {
  constexpr std::string_view kScheme = "basic ";
  if (header.size() < kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return std::nullopt;
  }
  std::string_view encoded = header.substr(kScheme.size());
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  while (!encoded.empty() && encoded.back() == ' ') encoded.remove_suffix(1);
  std::optional<std::string> decoded = Base64Decode(encoded);
  if (!decoded) return std::nullopt;
  const size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

bool BcryptVerify(std::string_view password, const std::string& hash) {
  if (password.find('\0') != std::string_view::npos) return false;
  const std::string phrase(password);
  auto data = std::make_unique<crypt_data>();  // About 32 KiB: not on the stack.
  const char* out = crypt_rn(phrase.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  if (out == nullptr || out[0] == '*') return false;  // Malformed hash.
  const size_t n = std::char_traits<char>::length(out);
  // Lengths are public (bcrypt output is always 60 bytes); the contents compare in constant time.
  return n == hash.size() && CRYPTO_memcmp(out, hash.data(), n) == 0;
}

bool BasicAuthVerifier::Verify(const std::map<std::string, std::string>& users,
                               std::string_view user, std::string_view password,
                               std::chrono::steady_clock::time_point now) {
  auto it = users.find(std::string(user));
  const bool known = it != users.end();
  const std::string expected = known ? it->second : std::string(kDummyHash);

  Key key{};
  {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    unsigned int len = 0;
    const uint64_t sizes[2] = {user.size(), expected.size()};
    EVP_DigestInit_ex(md, EVP_sha256(), nullptr);
    EVP_DigestUpdate(md, sizes, sizeof(sizes));  // Lengths first: no ambiguous concatenation.
    EVP_DigestUpdate(md, user.data(), user.size());
    EVP_DigestUpdate(md, expected.data(), expected.size());
    EVP_DigestUpdate(md, password.data(), password.size());
    EVP_DigestFinal_ex(md, key.data(), &len);
    EVP_MD_CTX_free(md);
  }
  {
    MutexLock lock(&mu_);
    auto hit = ok_until_.find(key);
    if (hit != ok_until_.end()) {
      if (now < hit->second) return known;
      ok_until_.erase(hit);
    }
    ++bcrypt_runs_;
  }
  bool ok;
  {
    MutexLock lock(&bcrypt_mu_);
    ok = BcryptVerify(password, expected);
  }
  if (!ok || !known) return false;
  MutexLock lock(&mu_);
  if (ok_until_.size() >= max_entries_) {
    for (auto e = ok_until_.begin(); e != ok_until_.end();) {
      e = e->second <= now ? ok_until_.erase(e) : std::next(e);
    }
    if (ok_until_.size() >= max_entries_) ok_until_.clear();
  }
  ok_until_[key] = now + ttl_;
  return true;
}

uint64_t BasicAuthVerifier::bcrypt_runs() const {
  MutexLock lock(&mu_);
  return bcrypt_runs_;
}

}  // namespace strata::server
