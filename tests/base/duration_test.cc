#include "base/duration.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

TEST(DurationTest, ParsesPrometheusDurations) {
  EXPECT_EQ(*ParseDurationMillis("0"), 0);
  EXPECT_EQ(*ParseDurationMillis("15s"), 15000);
  EXPECT_EQ(*ParseDurationMillis("250ms"), 250);
  EXPECT_EQ(*ParseDurationMillis("5m"), 300000);
  EXPECT_EQ(*ParseDurationMillis("1h30m"), 5400000);
  EXPECT_EQ(*ParseDurationMillis("1m30s500ms"), 90500);
  EXPECT_EQ(*ParseDurationMillis("2d"), 2LL * 86400000);
  EXPECT_EQ(*ParseDurationMillis("1w"), 7LL * 86400000);
  EXPECT_EQ(*ParseDurationMillis("1y"), 365LL * 86400000);
}

TEST(DurationTest, RejectsMalformed) {
  for (const char* bad :
       {"", "5", "m", "-5m", "5x", "1s1m", "5m5m", "1.5h", " 5m", "5m ", "99999999999999999999y"}) {
    EXPECT_FALSE(ParseDurationMillis(bad).ok()) << bad;
  }
}

TEST(DurationTest, FormatsLikePrometheus) {
  EXPECT_EQ(FormatDurationMillis(0), "0s");
  EXPECT_EQ(FormatDurationMillis(5400000), "1h30m");
  EXPECT_EQ(FormatDurationMillis(90500), "1m30s500ms");
  EXPECT_EQ(FormatDurationMillis(86400000), "1d");
}

}  // namespace
}  // namespace strata
