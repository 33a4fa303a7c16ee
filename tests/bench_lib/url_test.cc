// ParseUrl, Url's target forms and UrlEncode, as the drivers' --url/--strata flags use them.
#include "bench/lib/url.h"

#include <gtest/gtest.h>

namespace strata::bench {
namespace {

TEST(ParseUrlTest, HostPortAndPath) {
  const auto u = ParseUrl("http://127.0.0.1:9201/api/v1/write");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, "9201");
  EXPECT_EQ(u->path, "/api/v1/write");
  EXPECT_EQ(u->HostPort(), "127.0.0.1:9201");
  EXPECT_EQ(u->Target(), "/api/v1/write");
  EXPECT_EQ(u->BasePath(), "/api/v1/write");
}

TEST(ParseUrlTest, DefaultsPortAndPath) {
  const auto u = ParseUrl("http://localhost");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->host, "localhost");
  EXPECT_EQ(u->port, "80");
  EXPECT_EQ(u->path, "");
  EXPECT_EQ(u->Target(), "/");
  EXPECT_EQ(u->BasePath(), "");
}

TEST(ParseUrlTest, BasePathDropsTrailingSlashes) {
  const auto root = ParseUrl("http://h:9090/");
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->Target(), "/");   // An endpoint keeps its path as written...
  EXPECT_EQ(root->BasePath(), "");  // ...a base URL loses the trailing slashes.
  const auto prefixed = ParseUrl("http://h:9090/prom//");
  ASSERT_TRUE(prefixed.has_value());
  EXPECT_EQ(prefixed->path, "/prom//");
  EXPECT_EQ(prefixed->BasePath(), "/prom");
}

TEST(ParseUrlTest, KeepsQueryInThePath) {
  const auto u = ParseUrl("http://h:1/api/v1/write?x=1:2");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->port, "1");  // The colon after the path does not count.
  EXPECT_EQ(u->path, "/api/v1/write?x=1:2");
}

TEST(ParseUrlTest, Rejects) {
  for (const char* bad : {"", "127.0.0.1:9090", "https://h:1/", "HTTP://h:1/", "http://",
                          "http:///x", "http://:9090/", "http://h:/x", "ftp://h/"}) {
    EXPECT_FALSE(ParseUrl(bad).has_value()) << bad;
  }
}

TEST(UrlEncodeTest, EncodesAllButUnreserved) {
  EXPECT_EQ(UrlEncode(""), "");
  EXPECT_EQ(UrlEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(UrlEncode("sum by (job) (rate(x{a=~\"b|c\"}[5m]))"),
            "sum%20by%20%28job%29%20%28rate%28x%7Ba%3D~%22b%7Cc%22%7D%5B5m%5D%29%29");
  EXPECT_EQ(UrlEncode("a+b&c=d/e%"), "a%2Bb%26c%3Dd%2Fe%25");
  EXPECT_EQ(UrlEncode("\xC3\xA9\x01\xFF"), "%C3%A9%01%FF");
}

}  // namespace
}  // namespace strata::bench
