// bcrypt verification through libcrypt (test vectors from Python's crypt and from Go's
// golang.org/x/crypto/bcrypt via exporter-toolkit), Authorization header parsing, and the
// verification cache (hits, expiry, a changed hash, unknown users).
#include "server/basic_auth.h"

#include <crypt.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>

namespace strata::server {
namespace {

// crypt("s3cret", "$2y$05$abcdefghijklmnopqrstuu") (Python's crypt module over libxcrypt).
constexpr const char* kS3cret = "$2y$05$abcdefghijklmnopqrstuuLK7U1u6pVRmL7L1BBM2aS35PSZnDXlK";
// exporter-toolkit's decoy, made by Go's bcrypt: "fakepassword".
constexpr const char* kGoFake = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

// A fresh bcrypt hash of `password` with the given prefix ($2b$ or $2y$...) at cost 4.
std::string MakeHash(const std::string& password, const char* prefix = "$2b$") {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  EXPECT_NE(crypt_gensalt_rn(prefix, 4, nullptr, 0, salt, sizeof(salt)), nullptr);
  crypt_data data{};
  const char* out = crypt_rn(password.c_str(), salt, &data, sizeof(data));
  return out ? out : "";
}

TEST(BcryptTest, KnownVectors) {
  EXPECT_TRUE(BcryptVerify("s3cret", kS3cret));
  EXPECT_FALSE(BcryptVerify("s3creT", kS3cret));
  EXPECT_FALSE(BcryptVerify("", kS3cret));
  EXPECT_TRUE(BcryptVerify("fakepassword", kGoFake));
  EXPECT_FALSE(BcryptVerify("fakepassword ", kGoFake));
}

TEST(BcryptTest, EveryPrefixVariant) {
  for (const char* prefix : {"$2a$", "$2b$", "$2y$"}) {
    const std::string h = MakeHash("pässword", prefix);
    ASSERT_EQ(h.substr(0, 4), prefix) << h;
    EXPECT_TRUE(BcryptVerify("pässword", h)) << h;
    EXPECT_FALSE(BcryptVerify("password", h)) << h;
  }
}

TEST(BcryptTest, MalformedHashesAndNulNeverMatch) {
  EXPECT_FALSE(BcryptVerify("s3cret", "$2y$05$short"));
  EXPECT_FALSE(BcryptVerify("s3cret", "plain"));
  EXPECT_FALSE(BcryptVerify("s3cret", ""));
  EXPECT_FALSE(BcryptVerify(std::string_view("s3cret\0x", 8), kS3cret));
}

TEST(BasicAuthHeaderTest, Parses) {
  auto c = ParseBasicAuthorization("Basic YWxpY2U6czNjcmV0");  // alice:s3cret
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->user, "alice");
  EXPECT_EQ(c->password, "s3cret");
  c = ParseBasicAuthorization("basic YTpiOmM=");  // a:b:c; the password may hold ':'.
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->user, "a");
  EXPECT_EQ(c->password, "b:c");
  c = ParseBasicAuthorization("Basic Og==");  // ":"
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->user, "");
  EXPECT_EQ(c->password, "");
  EXPECT_FALSE(ParseBasicAuthorization("").has_value());
  EXPECT_FALSE(ParseBasicAuthorization("Bearer abc").has_value());
  EXPECT_FALSE(ParseBasicAuthorization("Basic !!!!").has_value());
  EXPECT_FALSE(ParseBasicAuthorization("Basic YWxpY2U=").has_value());  // No ':'.
  EXPECT_FALSE(ParseBasicAuthorization("Basic Y").has_value());
}

TEST(BasicAuthVerifierTest, CachesSuccessesForTheTtl) {
  BasicAuthVerifier v(std::chrono::seconds(10));
  const std::map<std::string, std::string> users = {{"alice", kS3cret}};
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  EXPECT_TRUE(v.Verify(users, "alice", "s3cret", t0));
  EXPECT_EQ(v.bcrypt_runs(), 1u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(v.Verify(users, "alice", "s3cret", t0 + std::chrono::seconds(9)));
  }
  EXPECT_EQ(v.bcrypt_runs(), 1u);  // Cached.
  EXPECT_TRUE(v.Verify(users, "alice", "s3cret", t0 + std::chrono::seconds(11)));
  EXPECT_EQ(v.bcrypt_runs(), 2u);  // Expired, verified again.
}

TEST(BasicAuthVerifierTest, FailuresAreNeverCached) {
  BasicAuthVerifier v;
  const std::map<std::string, std::string> users = {{"alice", kS3cret}};
  EXPECT_FALSE(v.Verify(users, "alice", "wrong"));
  EXPECT_FALSE(v.Verify(users, "alice", "wrong"));
  EXPECT_EQ(v.bcrypt_runs(), 2u);
}

TEST(BasicAuthVerifierTest, UnknownUsersPayABcryptAndFail) {
  BasicAuthVerifier v;
  const std::map<std::string, std::string> users = {{"alice", kS3cret}};
  // "fakepassword" matches the decoy hash, but an unknown user never gets in.
  EXPECT_FALSE(v.Verify(users, "mallory", "fakepassword"));
  EXPECT_FALSE(v.Verify(users, "mallory", "fakepassword"));
  EXPECT_EQ(v.bcrypt_runs(), 2u);
  EXPECT_FALSE(v.Verify({}, "alice", "s3cret"));
}

TEST(BasicAuthVerifierTest, AChangedHashInvalidatesTheCache) {
  BasicAuthVerifier v;
  std::map<std::string, std::string> users = {{"alice", kS3cret}};
  EXPECT_TRUE(v.Verify(users, "alice", "s3cret"));
  users["alice"] = MakeHash("n3w");
  EXPECT_FALSE(v.Verify(users, "alice", "s3cret"));  // The old password no longer works...
  EXPECT_TRUE(v.Verify(users, "alice", "n3w"));      // ...the new one does.
  users.erase("alice");
  EXPECT_FALSE(v.Verify(users, "alice", "n3w"));  // A removed user is out at once.
}

TEST(BasicAuthVerifierTest, BoundedEntries) {
  BasicAuthVerifier v(std::chrono::seconds(60), 4);
  std::map<std::string, std::string> users;
  for (int i = 0; i < 10; ++i) users["u" + std::to_string(i)] = MakeHash("p");
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(v.Verify(users, "u" + std::to_string(i), "p"));
  EXPECT_EQ(v.bcrypt_runs(), 10u);
  EXPECT_TRUE(v.Verify(users, "u9", "p"));  // The newest is still cached.
  EXPECT_EQ(v.bcrypt_runs(), 10u);
}

}  // namespace
}  // namespace strata::server
