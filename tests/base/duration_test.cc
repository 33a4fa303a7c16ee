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

// Prometheus' limit: what fits Go's time.Duration (2^63 - 1 ns, about 292 years).
TEST(DurationTest, RejectsWhatGoCannotHold) {
  EXPECT_EQ(*ParseDurationMillis("292y"), 292LL * 365 * 86400000);
  EXPECT_EQ(*ParseDurationMillis("9223372036854ms"), 9223372036854);
  auto r = ParseDurationMillis("9223372036855ms");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "duration out of range: \"9223372036855ms\"");
  EXPECT_FALSE(ParseDurationMillis("293y").ok());
  EXPECT_FALSE(ParseDurationMillis("100000000y").ok());
}

TEST(DurationTest, FormatsLikePrometheus) {
  EXPECT_EQ(FormatDurationMillis(0), "0s");
  EXPECT_EQ(FormatDurationMillis(5400000), "1h30m");
  EXPECT_EQ(FormatDurationMillis(90500), "1m30s500ms");
  EXPECT_EQ(FormatDurationMillis(86400000), "1d");
}

}  // namespace
}  // namespace strata
