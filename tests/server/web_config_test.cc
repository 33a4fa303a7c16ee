// The web config parser (exporter-toolkit format): a full good file, then each bad case with
// its message; relative paths; and the watcher's reload behaviour (new users take effect, an
// invalid new file keeps the old config).
#include "server/web_config.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "server/web_config_watcher.h"
#include "testutil/process.h"

namespace strata::server {
namespace {

constexpr const char* kHash = "$2y$05$abcdefghijklmnopqrstuuLK7U1u6pVRmL7L1BBM2aS35PSZnDXlK";

TEST(WebConfigTest, ParsesEveryField) {
  const std::string yaml = std::string(R"(
tls_server_config:
  cert_file: server.crt
  key_file: /abs/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca/clients.pem
  min_version: TLS13
  max_version: TLS13
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]
  curve_preferences: [X25519, CurveP256]
  prefer_server_cipher_suites: false
http_server_config:
  http2: false
  headers:
    Strict-Transport-Security: max-age=31536000
    X-Frame-Options: deny
    X-Content-Type-Options: nosniff
basic_auth_users:
  alice: ')") + kHash + "'\n";
  auto c = ParseWebConfig(yaml, "/etc/strata");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->tls.cert_file, "/etc/strata/server.crt");
  EXPECT_EQ(c->tls.key_file, "/abs/server.key");
  EXPECT_EQ(c->tls.client_ca_file, "/etc/strata/ca/clients.pem");
  EXPECT_EQ(c->tls.client_auth, ClientAuth::kRequireAndVerifyClientCert);
  EXPECT_EQ(c->tls.min_version, TlsVersion::kTls13);
  EXPECT_EQ(c->tls.max_version, TlsVersion::kTls13);
  EXPECT_EQ(c->tls.cipher_suites.size(), 2u);
  EXPECT_EQ(c->tls.curve_preferences.size(), 2u);
  EXPECT_FALSE(c->tls.prefer_server_cipher_suites);
  EXPECT_TRUE(c->tls.enabled());
  EXPECT_FALSE(c->http2);
  ASSERT_EQ(c->headers.size(), 3u);
  EXPECT_EQ(c->headers[0].first, "Strict-Transport-Security");
  EXPECT_EQ(c->headers[0].second, "max-age=31536000");
  ASSERT_EQ(c->users.size(), 1u);
  EXPECT_EQ(c->users.at("alice"), kHash);
}

TEST(WebConfigTest, DefaultsAndEmptyFile) {
  for (const char* yaml : {"", "{}", "tls_server_config:\nbasic_auth_users:\n"}) {
    auto c = ParseWebConfig(yaml, "/d");
    ASSERT_TRUE(c.ok()) << yaml << ": " << c.status().ToString();
    EXPECT_FALSE(c->tls.enabled());
    EXPECT_EQ(c->tls.min_version, TlsVersion::kTls12);
    EXPECT_EQ(c->tls.max_version, TlsVersion::kTls13);
    EXPECT_EQ(c->tls.client_auth, ClientAuth::kNoClientCert);
    EXPECT_TRUE(c->users.empty());
    EXPECT_TRUE(c->headers.empty());
  }
}

TEST(WebConfigTest, BasicAuthOnlyIsPlainHttp) {
  auto c = ParseWebConfig(std::string("basic_auth_users:\n  bob: ") + kHash + "\n", "/d");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->tls.enabled());
  EXPECT_EQ(c->users.size(), 1u);
}

// Merge keys, as exporter-toolkit's Go YAML reads them.
TEST(WebConfigTest, MergeKeys) {
  auto c = ParseWebConfig(std::string("common: &u\n  alice: ") + kHash +
                              "\nbasic_auth_users:\n  <<: *u\n  bob: " + kHash + "\n",
                          "/d");
  // "common" is not a web config key: the anchor lives elsewhere in real files, but the merge
  // itself must resolve before that error.
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("common"), std::string::npos) << c.status().ToString();
  c = ParseWebConfig(
      std::string("basic_auth_users:\n  <<: {alice: ") + kHash + "}\n  bob: " + kHash + "\n", "/d");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->users.size(), 2u);
  EXPECT_EQ(c->users.count("alice"), 1u);
  c = ParseWebConfig("basic_auth_users:\n  <<: 3\n", "/d");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("line 2: map merge"), std::string::npos)
      << c.status().ToString();
}

TEST(WebConfigTest, ClientAuthTypes) {
  const std::pair<const char*, ClientAuth> cases[] = {
      {"NoClientCert", ClientAuth::kNoClientCert},
      {"RequestClientCert", ClientAuth::kRequestClientCert},
      {"RequireAnyClientCert", ClientAuth::kRequireAnyClientCert},
      {"RequireClientCert", ClientAuth::kRequireAnyClientCert},
      {"VerifyClientCertIfGiven", ClientAuth::kVerifyClientCertIfGiven},
      {"RequireAndVerifyClientCert", ClientAuth::kRequireAndVerifyClientCert},
  };
  for (const auto& [name, want] : cases) {
    auto c = ParseWebConfig(std::string("tls_server_config:\n  cert_file: a\n  key_file: b\n"
                                        "  client_auth_type: ") +
                                name + "\n",
                            "/d");
    ASSERT_TRUE(c.ok()) << name << ": " << c.status().ToString();
    EXPECT_EQ(c->tls.client_auth, want) << name;
  }
}

struct BadCase {
  const char* yaml;
  const char* message;  // A substring of the error.
};

TEST(WebConfigTest, RejectsEachBadCaseWithAClearMessage) {
  const BadCase cases[] = {
      {"foo: 1\n", "line 1: unknown key \"foo\" in the web config"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  certfile: c\n",
       "line 4: unknown key \"certfile\" in tls_server_config"},
      {"http_server_config:\n  http3: true\n", "unknown key \"http3\" in http_server_config"},
      {"tls_server_config:\n  cert_file: a\n", "cert_file is set but key_file is not"},
      {"tls_server_config:\n  key_file: a\n", "key_file is set but cert_file is not"},
      {"tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n",
       "missing one of cert or cert_file"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Sometimes\n",
       "invalid client_auth_type \"Sometimes\""},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: ca.pem\n",
       "client CA's have been configured without a client_auth_type"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS14\n",
       "unknown TLS version: \"TLS14\""},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n"
       "  max_version: TLS12\n",
       "min_version TLS13 is above max_version TLS12"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [TLS_RSA_WITH_RC4]\n",
       "unknown cipher: TLS_RSA_WITH_RC4"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  curve_preferences: [P-256]\n",
       "unknown curve: P-256"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_allowed_sans: [x]\n",
       "client_allowed_sans is not supported by Strata"},
      {"http_server_config:\n  headers:\n    Authorization: Basic eDp5\n",
       "HTTP header \"Authorization\" can not be configured"},
      {"http_server_config:\n  headers:\n    WWW-Authenticate: None\n",
       "HTTP header \"WWW-Authenticate\" can not be configured"},
      {"http_server_config:\n  headers:\n    Content-Type: text/html\n",
       "HTTP header \"Content-Type\" can not be configured"},
      {"http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
       "invalid value for X-Frame-Options: expected one of \"deny\", \"sameorigin\", got "
       "\"allow\""},
      {"http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n",
       "invalid value for X-Content-Type-Options"},
      {"http_server_config:\n  http2: maybe\n", "http2 must be true or false"},
      {"basic_auth_users:\n  alice: plaintext\n", "the password of \"alice\" is not a bcrypt hash"},
      {"basic_auth_users:\n  alice: $1$abc$def\n", "is not a bcrypt hash"},
      {"basic_auth_users: [alice]\n", "basic_auth_users must be a mapping"},
      {"basic_auth_users:\n  alice: $2y$05$abcdefghijklmnopqrstuuLK7U1u6pVRmL7L1BBM2aS35PSZnDXlK\n"
       "  alice: $2y$05$abcdefghijklmnopqrstuuLK7U1u6pVRmL7L1BBM2aS35PSZnDXlK\n",
       "line 3: key \"alice\" appears twice in basic_auth_users"},
      {"rate_limit:\n  burst: 1\n", "rate_limit is not supported by Strata"},
      {"tls_server_config: [\n", "invalid YAML"},
      {"- a\n- b\n", "the web config must be a mapping"},
  };
  for (const BadCase& c : cases) {
    auto r = ParseWebConfig(c.yaml, "/d");
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_TRUE(r.status().IsInvalidArgument()) << c.yaml;
    EXPECT_NE(r.status().message().find(c.message), std::string::npos)
        << "yaml:\n"
        << c.yaml << "error: " << r.status().message() << "\nwant: " << c.message;
  }
}

TEST(WebConfigTest, LoadResolvesPathsAgainstTheFilesDirectory) {
  testutil::TempDir tmp;
  const std::string path = tmp.path() + "/web.yml";
  std::ofstream(path) << "tls_server_config:\n  cert_file: c.pem\n  key_file: ../k.pem\n";
  auto c = LoadWebConfig(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->tls.cert_file, tmp.path() + "/c.pem");
  EXPECT_EQ(c->tls.key_file, std::filesystem::path(tmp.path()).parent_path().string() + "/k.pem");
  auto missing = LoadWebConfig(tmp.path() + "/none.yml");
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("none.yml"), std::string::npos);
}

TEST(WebConfigTest, MissingCertFileIsAnErrorNamingIt) {
  testutil::TempDir tmp;
  const std::string path = tmp.path() + "/web.yml";
  std::ofstream(path) << "tls_server_config:\n  cert_file: nope.crt\n  key_file: nope.key\n";
  auto s = LoadWebState(path);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("failed to read cert_file"), std::string::npos)
      << s.status().ToString();
  EXPECT_NE(s.status().message().find("nope.crt"), std::string::npos);
}

TEST(WebConfigWatcherTest, ReloadsChangesAndKeepsTheOldConfigOnErrors) {
  testutil::TempDir tmp;
  const std::string path = tmp.path() + "/web.yml";
  std::ofstream(path) << "basic_auth_users:\n  alice: " << kHash << "\n";
  auto w = WebConfigWatcher::Open(path);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  WebConfigWatcher& watcher = **w;
  EXPECT_EQ(watcher.Current()->config.users.count("alice"), 1u);
  EXPECT_TRUE(watcher.Poll().ok());  // Unchanged.
  EXPECT_EQ(watcher.reloads(), 0u);

  std::ofstream(path, std::ios::trunc) << "basic_auth_users:\n  bob: " << kHash << "\n";
  EXPECT_TRUE(watcher.Poll().ok());
  EXPECT_EQ(watcher.reloads(), 1u);
  EXPECT_EQ(watcher.Current()->config.users.count("bob"), 1u);
  EXPECT_EQ(watcher.Current()->config.users.count("alice"), 0u);

  std::ofstream(path, std::ios::trunc) << "basic_auth_users:\n  carol: notahash\n";
  Status bad = watcher.Poll();
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("not a bcrypt hash"), std::string::npos) << bad.ToString();
  EXPECT_EQ(watcher.Current()->config.users.count("bob"), 1u);  // Old config kept.

  // Turning TLS on needs a restart: refused, old config kept.
  std::ofstream(path, std::ios::trunc) << "tls_server_config:\n  cert_file: a\n  key_file: b\n";
  EXPECT_FALSE(watcher.Poll().ok());
  EXPECT_EQ(watcher.Current()->config.users.count("bob"), 1u);

  // The background thread picks changes up by itself.
  watcher.Start(std::chrono::milliseconds(20));
  std::ofstream(path, std::ios::trunc) << "basic_auth_users:\n  dave: " << kHash << "\n";
  EXPECT_TRUE(testutil::WaitFor([&] { return watcher.Current()->config.users.count("dave") == 1; },
                                std::chrono::seconds(10)));
  watcher.Stop();
}

}  // namespace
}  // namespace strata::server
