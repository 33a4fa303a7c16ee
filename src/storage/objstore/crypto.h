// Digests for S3 requests over OpenSSL's EVP interface: SHA-256 (payload hashes, SigV4),
// HMAC-SHA256 (SigV4 signing keys) and MD5 (Content-MD5 of DeleteObjects). Stateless functions
// are thread-safe; a Sha256 object is confined to one thread. Private to storage.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace strata::storage::objstore {

// Lower-case hexadecimal of the bytes.
std::string HexEncode(std::string_view bytes);
// Standard base64 with padding.
std::string Base64Encode(std::string_view bytes);

// The raw 32-byte digest, and its lower-case hex form.
std::string Sha256(std::string_view data);
std::string Sha256Hex(std::string_view data);
// Raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(std::string_view key, std::string_view data);
// Base64 of the MD5 digest: the value of a Content-MD5 header.
std::string Md5Base64(std::string_view data);

// Incremental SHA-256, for payloads streamed from a file.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(std::string_view data);
  // The lower-case hex digest; the hasher must not be used afterwards.
  std::string FinishHex();

 private:
  void* ctx_;  // EVP_MD_CTX*, kept opaque so this header does not pull in OpenSSL.
};

}  // namespace strata::storage::objstore
