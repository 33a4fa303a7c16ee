#include "server/url.h"

#include <gtest/gtest.h>

namespace strata::server {
namespace {

TEST(UrlTest, ParsesRepeatedAndEscapedParams) {
  Params p;
  ASSERT_TRUE(
      ParseUrlEncoded("match%5B%5D=up&match[]=a%7Bb%3D%22c%22%7D&q=1+1&empty=&flag", &p).ok());
  EXPECT_EQ(p.GetAll("match[]"), (std::vector<std::string>{"up", "a{b=\"c\"}"}));
  EXPECT_EQ(*p.Get("q"), "1 1");
  EXPECT_EQ(*p.Get("empty"), "");
  EXPECT_EQ(*p.Get("flag"), "");
  EXPECT_EQ(p.Get("missing"), nullptr);
}

TEST(UrlTest, RejectsBadEscapes) {
  Params p;
  EXPECT_TRUE(ParseUrlEncoded("a=%zz", &p).IsInvalidArgument());
  EXPECT_TRUE(ParseUrlEncoded("a=%4", &p).IsInvalidArgument());
  EXPECT_TRUE(ParseUrlEncoded("a=%", &p).IsInvalidArgument());
}

}  // namespace
}  // namespace strata::server
