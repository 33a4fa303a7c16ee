// HttpServer with a web config, in process over real sockets on 127.0.0.1: TLS round trips,
// versions, cipher suites, client certificates, basic auth answers, configured headers, and
// plain HTTP sent to the TLS port. Certificates come from `openssl` (testutil/certs.h).
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <prometheus/registry.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fstream>
#include <memory>
#include <string>

#include "server/http_server.h"
#include "server/web_config_watcher.h"
#include "testutil/certs.h"
#include "testutil/http_client.h"
#include "testutil/process.h"

namespace strata::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr const char* kHash = "$2y$05$abcdefghijklmnopqrstuuLK7U1u6pVRmL7L1BBM2aS35PSZnDXlK";
constexpr const char* kAuth = "Basic YWxpY2U6czNjcmV0";  // alice:s3cret

struct ClientOptions {
  int min_version = 0;
  int max_version = 0;  // 0: OpenSSL's default (TLS 1.3).
  std::string ciphers;  // TLS 1.2 cipher list; empty: default.
  std::string cert_file, key_file;
  std::string authorization;
};

struct Reply {
  int status = 0;  // 0: failed, see error.
  std::string body;
  std::string error;
  std::string header_frame;  // X-Frame-Options
  std::string header_auth;   // WWW-Authenticate
};

// One GET over TLS, verifying the server against `ca`.
Reply TlsGet(uint16_t port, const std::string& ca, const std::string& target,
             const ClientOptions& o) {
  Reply out;
  asio::io_context ioc;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  beast::error_code ec;
  ctx.load_verify_file(ca, ec);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  if (o.min_version) SSL_CTX_set_min_proto_version(ctx.native_handle(), o.min_version);
  if (o.max_version) SSL_CTX_set_max_proto_version(ctx.native_handle(), o.max_version);
  if (!o.ciphers.empty()) SSL_CTX_set_cipher_list(ctx.native_handle(), o.ciphers.c_str());
  if (!o.cert_file.empty()) {
    ctx.use_certificate_chain_file(o.cert_file, ec);
    ctx.use_private_key_file(o.key_file, asio::ssl::context::pem, ec);
  }
  beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(20));
  beast::get_lowest_layer(stream).connect(
      asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) {
    out.error = "connect: " + ec.message();
    return out;
  }
  stream.handshake(asio::ssl::stream_base::client, ec);
  if (ec) {
    out.error = "handshake: " + ec.message();
    return out;
  }
  http::request<http::string_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!o.authorization.empty()) req.set(http::field::authorization, o.authorization);
  http::write(stream, req, ec);
  if (ec) {
    out.error = "write: " + ec.message();
    return out;
  }
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res, ec);
  if (ec) {
    out.error = "read: " + ec.message();
    return out;
  }
  out.status = static_cast<int>(res.result_int());
  out.body = res.body();
  out.header_frame = std::string(res["X-Frame-Options"]);
  out.header_auth = std::string(res[http::field::www_authenticate]);
  return out;
}

class TlsServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testutil::TempDir();
    ASSERT_TRUE(testutil::MakeTestCertificates(dir_->path()))
        << testutil::ReadFile(dir_->path() + "/openssl.log");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    router_.Add({"GET"}, "/hello", [](const HttpRequest&, HttpResponse* res) {
      res->content_type = "text/plain";
      res->body = "hi";
    });
    router_.Add({"GET"}, "/frame", [](const HttpRequest&, HttpResponse* res) {
      res->SetHeader("X-Frame-Options", "sameorigin");  // The handler's own value wins.
    });
  }

  // Starts a server with `tls_extra` appended to tls_server_config (which sets cert and key).
  void Start(const std::string& tls_extra, bool with_users = true) {
    const std::string web = dir_->path() + "/web.yml";
    std::ofstream out(web, std::ios::trunc);
    out << "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
        << tls_extra << "http_server_config:\n  headers:\n    X-Frame-Options: deny\n";
    if (with_users) out << "basic_auth_users:\n  alice: " << kHash << "\n";
    out.close();
    auto w = WebConfigWatcher::Open(web);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    watcher_ = std::move(w).value();
    HttpServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.io_threads = 2;
    options.worker_threads = 2;
    server_ = std::make_unique<HttpServer>(options, &router_, &registry_);
    server_->SetWebConfig(watcher_.get());
    ASSERT_TRUE(server_->Start().ok());
  }

  Reply Get(const std::string& target, ClientOptions o = {}) {
    if (o.authorization.empty()) o.authorization = kAuth;
    return TlsGet(server_->port(), ca(), target, o);
  }
  static std::string ca() { return dir_->path() + "/ca.crt"; }
  static std::string file(const char* name) { return dir_->path() + "/" + name; }

  static testutil::TempDir* dir_;
  Router router_;
  prometheus::Registry registry_;
  std::unique_ptr<WebConfigWatcher> watcher_;
  std::unique_ptr<HttpServer> server_;  // Declared last: stopped before the watcher dies.
};

testutil::TempDir* TlsServerTest::dir_ = nullptr;

TEST_F(TlsServerTest, ServesOverTlsWithConfiguredHeaders) {
  Start("");
  Reply r = Get("/hello");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "hi");
  EXPECT_EQ(r.header_frame, "deny");
  r = Get("/frame");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.header_frame, "sameorigin");
  r = Get("/missing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.header_frame, "deny");  // Every response, errors included.
}

TEST_F(TlsServerTest, AnswersUnauthorizedWithoutGoodCredentials) {
  Start("");
  for (const char* auth : {"Basic YWxpY2U6d3Jvbmc=",  // alice:wrong
                           "Basic Ym9iOnMzY3JldA==",  // bob:s3cret
                           "Bearer s3cret", "Basic", "Basic !!"}) {
    Reply r = Get("/hello", {.authorization = auth});
    EXPECT_EQ(r.status, 401) << auth << " " << r.error;
    EXPECT_EQ(r.header_auth, "Basic") << auth;
    EXPECT_EQ(r.body, "Unauthorized\n") << auth;
    EXPECT_EQ(r.header_frame, "deny") << auth;
  }
  ClientOptions none;
  none.authorization = "x";  // Not a basic scheme: same as none.
  EXPECT_EQ(Get("/hello", none).status, 401);
  EXPECT_EQ(watcher_->verifier().bcrypt_runs(), 2u);  // alice:wrong and bob (decoy), no more.
  EXPECT_EQ(Get("/hello").status, 200);
  EXPECT_EQ(Get("/hello").status, 200);
  EXPECT_EQ(watcher_->verifier().bcrypt_runs(), 3u);  // The success is cached.
}

TEST_F(TlsServerTest, PlainHttpToTheTlsPortFailsCleanly) {
  Start("");
  std::string out =
      testutil::RawExchange(server_->port(), "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.0 400 Bad Request", 0), 0u) << out;
  EXPECT_NE(out.find("Client sent an HTTP request to an HTTPS server."), std::string::npos);
  out = testutil::RawExchange(server_->port(), std::string("\x16\x03\x01\x00\x05hello", 10));
  EXPECT_EQ(out.find("HTTP/1.1 200"), std::string::npos) << out;
  EXPECT_EQ(Get("/hello").status, 200);  // Still serving.
}

TEST_F(TlsServerTest, MinVersionRefusesOlderClients) {
  Start("  min_version: TLS13\n");
  Reply r = Get("/hello", {.max_version = TLS1_2_VERSION});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("handshake"), std::string::npos) << r.error;
  EXPECT_EQ(Get("/hello", {.min_version = TLS1_3_VERSION}).status, 200);
}

TEST_F(TlsServerTest, MaxVersionCapsTheProtocol) {
  Start("  max_version: TLS12\n");
  EXPECT_EQ(Get("/hello", {.min_version = TLS1_3_VERSION}).status, 0);
  EXPECT_EQ(Get("/hello", {.max_version = TLS1_2_VERSION}).status, 200);
}

TEST_F(TlsServerTest, CipherSuitesRestrictTls12) {
  Start("  max_version: TLS12\n  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]\n");
  EXPECT_EQ(Get("/hello", {.ciphers = "ECDHE-RSA-AES128-GCM-SHA256"}).status, 0);
  EXPECT_EQ(Get("/hello", {.ciphers = "ECDHE-RSA-AES256-GCM-SHA384"}).status, 200);
}

TEST_F(TlsServerTest, RequireAndVerifyClientCert) {
  Start("  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n",
        /*with_users=*/false);
  EXPECT_EQ(Get("/hello").status, 0);  // No client certificate.
  Reply r = Get("/hello", {.cert_file = file("client.crt"), .key_file = file("client.key")});
  EXPECT_EQ(r.status, 200) << r.error;
  // A certificate the CA did not sign.
  EXPECT_EQ(Get("/hello", {.cert_file = file("rogue.crt"), .key_file = file("rogue.key")}).status,
            0);
}

TEST_F(TlsServerTest, RequireAnyClientCertAcceptsUnverified) {
  Start("  client_auth_type: RequireAnyClientCert\n", /*with_users=*/false);
  EXPECT_EQ(Get("/hello").status, 0);
  EXPECT_EQ(Get("/hello", {.cert_file = file("rogue.crt"), .key_file = file("rogue.key")}).status,
            200);
  EXPECT_EQ(Get("/hello", {.cert_file = file("client.crt"), .key_file = file("client.key")}).status,
            200);
}

}  // namespace
}  // namespace strata::server
