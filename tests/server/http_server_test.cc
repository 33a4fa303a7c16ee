// In-process tests of HttpServer over real sockets on 127.0.0.1 with an ephemeral port.
#include "server/http_server.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <thread>

#include "testutil/http_client.h"

namespace strata::server {
namespace {

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add({"GET"}, "/hello", [](const HttpRequest&, HttpResponse* res) {
      res->content_type = "text/plain";
      res->body = "hi";
    });
    router_.Add({"POST"}, "/echo", [](const HttpRequest& req, HttpResponse* res) {
      res->content_type = "text/plain";
      res->body = req.body;
    });
    router_.Add({"GET"}, "/throw",
                [](const HttpRequest&, HttpResponse*) { throw std::runtime_error("boom"); });
    HttpServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.max_body_bytes = 1024;
    options.io_threads = 2;
    options.worker_threads = 2;
    server_ = std::make_unique<HttpServer>(options, &router_, &registry_);
    ASSERT_TRUE(server_->Start().ok());
  }

  Router router_;
  prometheus::Registry registry_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, ServesRoutesAndJson404) {
  auto r = testutil::HttpGet(server_->port(), "/hello");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hi");
  r = testutil::HttpGet(server_->port(), "/missing");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("\"errorType\":\"not_found\""), std::string::npos);
  EXPECT_EQ(r.content_type, "application/json");
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  std::string raw =
      "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  std::string out = testutil::RawExchange(server_->port(), raw);
  size_t first = out.find("HTTP/1.1 200");
  ASSERT_NE(first, std::string::npos) << out;
  EXPECT_NE(out.find("HTTP/1.1 200", first + 1), std::string::npos) << out;
}

TEST_F(HttpServerTest, AcceptsChunkedBodies) {
  std::string raw =
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  std::string out = testutil::RawExchange(server_->port(), raw);
  EXPECT_NE(out.find("HTTP/1.1 200"), std::string::npos) << out;
  EXPECT_NE(out.find("hello world"), std::string::npos) << out;
}

TEST_F(HttpServerTest, RejectsOversizedBodyWith413) {
  auto r = testutil::HttpDo(server_->port(), "POST", "/echo", std::string(4096, 'x'));
  EXPECT_EQ(r.status, 413) << r.error;
  EXPECT_NE(r.body.find("request body too large"), std::string::npos);
  // Chunked bodies are bounded too, even without a Content-Length.
  std::string raw = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 8; ++i) raw += "200\r\n" + std::string(512, 'y') + "\r\n";
  raw += "0\r\n\r\n";
  std::string out = testutil::RawExchange(server_->port(), raw);
  EXPECT_NE(out.find("HTTP/1.1 413"), std::string::npos) << out.substr(0, 200);
  EXPECT_EQ(testutil::HttpGet(server_->port(), "/hello").status, 200);
}

TEST_F(HttpServerTest, RejectsMalformedRequestWith400) {
  std::string out = testutil::RawExchange(server_->port(), "THIS IS NOT HTTP\r\n\r\n");
  EXPECT_NE(out.find("HTTP/1.1 400"), std::string::npos) << out;
  out = testutil::RawExchange(server_->port(),
                              "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n");
  EXPECT_NE(out.find("HTTP/1.1 400"), std::string::npos) << out;
  EXPECT_EQ(testutil::HttpGet(server_->port(), "/hello").status, 200);
}

TEST_F(HttpServerTest, Expect100ContinueIsAnswered) {
  std::string raw =
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n"
      "Connection: close\r\n\r\nabc";
  std::string out = testutil::RawExchange(server_->port(), raw);
  EXPECT_NE(out.find("HTTP/1.1 100 Continue"), std::string::npos) << out;
  EXPECT_NE(out.find("abc"), std::string::npos) << out;
}

TEST_F(HttpServerTest, HandlerExceptionBecomes500AndIsCounted) {
  auto r = testutil::HttpGet(server_->port(), "/throw");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(testutil::HttpGet(server_->port(), "/hello").status, 200);
}

TEST_F(HttpServerTest, ConcurrentClients) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        if (testutil::HttpDo(server_->port(), "POST", "/echo", "abc").body == "abc") ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 200);
}

TEST_F(HttpServerTest, StopIsGracefulAndIdempotent) {
  EXPECT_EQ(testutil::HttpGet(server_->port(), "/hello").status, 200);
  uint16_t port = server_->port();
  server_->Stop();
  server_->Stop();
  // Nothing of ours answers any more (another test's server may have taken the port since).
  auto after = testutil::HttpDo(port, "GET", "/hello", "", {}, std::chrono::seconds(5));
  EXPECT_TRUE(after.status == 0 || after.body != "hi") << after.status << " " << after.body;
}

// The test client gives up after its timeout on a listener that accepts and never answers (a
// port another test's server took over), rather than blocking the test run.
TEST(HttpTestClientTest, GivesUpOnASilentListenerAfterItsTimeout) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor acceptor(
      ioc, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  const uint16_t port = acceptor.local_endpoint().port();
  // The listener holds the connection open until the client has given up (at most 30 s, so a
  // client without a timeout fails the test instead of hanging it).
  std::atomic<bool> returned{false};
  bool returned_while_open = false;
  std::thread silent([&] {
    boost::asio::ip::tcp::socket s(ioc);
    acceptor.accept(s);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!returned.load() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    returned_while_open = returned.load();
  });
  auto r = testutil::HttpDo(port, "GET", "/hello", "", {}, std::chrono::seconds(1));
  returned = true;
  silent.join();
  EXPECT_TRUE(returned_while_open);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("read"), std::string::npos) << r.error;
}

TEST(HttpServerOptionsTest, ValidatesListenAddress) {
  std::string host;
  uint16_t port = 0;
  EXPECT_TRUE(ParseHostPort("127.0.0.1:9201", &host, &port).ok());
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 9201);
  EXPECT_TRUE(ParseHostPort("[::1]:80", &host, &port).ok());
  EXPECT_EQ(host, "::1");
  EXPECT_TRUE(ParseHostPort(":9201", &host, &port).ok());
  EXPECT_EQ(host, "0.0.0.0");
  for (const char* bad : {"", "localhost", "1.2.3.4:", "1.2.3.4:99999", "[::1]80", "h:p"}) {
    EXPECT_FALSE(ParseHostPort(bad, &host, &port).ok()) << bad;
  }
}

}  // namespace
}  // namespace strata::server
