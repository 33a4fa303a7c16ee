// OpenSSL 3 deprecates the one-shot MD5()/SHA256() functions; EVP_Digest and HMAC() are not.
#include "storage/objstore/crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/check.h"

namespace strata::storage::objstore {

namespace {

std::string Digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // Fails only on allocation failure inside OpenSSL: a bug or out of memory, not bad input.
  STRATA_CHECK(EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) == 1)
      << "EVP_Digest failed";
  return std::string(reinterpret_cast<const char*>(out), len);
}

}  // namespace

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string Sha256(std::string_view data) { return Digest(EVP_sha256(), data); }

std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256(data)); }

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  STRATA_CHECK(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                    reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
                    &len) != nullptr)
      << "HMAC failed";
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string Md5Base64(std::string_view data) { return Base64Encode(Digest(EVP_md5(), data)); }

Sha256Hasher::Sha256Hasher() : ctx_(EVP_MD_CTX_new()) {
  STRATA_CHECK(ctx_ != nullptr &&
               EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr) == 1)
      << "EVP_DigestInit_ex failed";
}

Sha256Hasher::~Sha256Hasher() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256Hasher::Update(std::string_view data) {
  STRATA_CHECK(EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size()) == 1)
      << "EVP_DigestUpdate failed";
}

std::string Sha256Hasher::FinishHex() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  STRATA_CHECK(EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out, &len) == 1)
      << "EVP_DigestFinal_ex failed";
  return HexEncode(std::string_view(reinterpret_cast<const char*>(out), len));
}

}  // namespace strata::storage::objstore
