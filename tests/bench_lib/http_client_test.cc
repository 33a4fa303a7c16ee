// HttpClient against a local recording server (tests/testutil/recording_http_server.h), which
// closes every connection after one answer: requests, status and body, the base path, the
// reconnect after Connection: close, and connection errors.
#include "bench/lib/http_client.h"

#include <gtest/gtest.h>

#include <boost/beast/http/verb.hpp>
#include <string>

#include "testutil/recording_http_server.h"

namespace strata::bench {
namespace {

namespace http = boost::beast::http;

TEST(HttpClientTest, PostsGetsAndReconnectsAfterClose) {
  testutil::RecordingHttpServer server({204, 500}, [](const std::string& line) {
    return line.starts_with("GET") ? std::string("{\"ok\":1}") : std::string();
  });
  auto url = ParseUrl(server.url() + "/prefix/");
  ASSERT_TRUE(url.has_value());
  HttpClient client(*url, 5, "test-agent/1");
  std::string error;
  ASSERT_TRUE(client.Connect(&error)) << error;

  HttpRequest post{http::verb::post, "/api/v1/write", 11};
  post.body() = std::string("\x00\x01payload", 9);
  const HttpResponse r1 = client.DoOnce(post);
  EXPECT_EQ(r1.status, 204) << r1.error;
  EXPECT_FALSE(r1.keep_alive);  // The server closes; the next request reconnects.

  const HttpResponse r2 = client.Get("/api/v1/query?query=up");
  EXPECT_EQ(r2.status, 500) << r2.error;
  EXPECT_EQ(r2.body, "{\"ok\":1}");

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].first, "POST /api/v1/write HTTP/1.1");
  EXPECT_EQ(requests[0].second, std::string("\x00\x01payload", 9));
  EXPECT_EQ(requests[1].first, "GET /prefix/api/v1/query?query=up HTTP/1.1");  // BasePath().
}

TEST(HttpClientTest, ConnectionRefused) {
  uint16_t port = 0;
  {
    testutil::RecordingHttpServer closed({200});
    port = static_cast<uint16_t>(std::stoi(closed.url().substr(closed.url().rfind(':') + 1)));
  }  // Now nothing listens there (barring a race with another process).
  HttpClient client(*ParseUrl("http://127.0.0.1:" + std::to_string(port)), 5, "t");
  std::string error;
  EXPECT_FALSE(client.Connect(&error));
  EXPECT_TRUE(error.starts_with("connect 127.0.0.1:" + std::to_string(port) + ": ")) << error;
  const HttpResponse r = client.Get("/x");
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.error.starts_with("connect ")) << r.error;
}

}  // namespace
}  // namespace strata::bench
