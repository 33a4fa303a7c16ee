#include "server/query_api.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "server/api_params.h"

namespace strata::server {
namespace {

TEST(QueryApiTest, SampleValuesAreFormattedLikePrometheus) {
  EXPECT_EQ(FormatSampleValue(1), "1");
  EXPECT_EQ(FormatSampleValue(0.1), "0.1");
  EXPECT_EQ(FormatSampleValue(-2.5), "-2.5");
  EXPECT_EQ(FormatSampleValue(1e-7), "1e-07");
  EXPECT_EQ(FormatSampleValue(1.5e21), "1.5e+21");
  EXPECT_EQ(FormatSampleValue(123456789012345680000.0), "123456789012345680000");
  EXPECT_EQ(FormatSampleValue(0), "0");
  EXPECT_EQ(FormatSampleValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatSampleValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatSampleValue(std::nan("")), "NaN");
}

TEST(QueryApiTest, TimestampsAreSecondsWithMilliseconds) {
  auto ts = [](int64_t ms) {
    std::string s;
    AppendTimestamp(&s, ms);
    return s;
  };
  EXPECT_EQ(ts(1435781451781), "1435781451.781");
  EXPECT_EQ(ts(1435781451000), "1435781451");
  EXPECT_EQ(ts(50), "0.050");
  EXPECT_EQ(ts(1005), "1.005");
  EXPECT_EQ(ts(-1500), "-1.500");
  EXPECT_EQ(ts(0), "0");
  EXPECT_EQ(ts(-50), "-0.050");
  EXPECT_EQ(ts(999), "0.999");
  EXPECT_EQ(ts(10000), "10");
  EXPECT_EQ(ts(1796356800000), "1796356800");
  EXPECT_EQ(ts(INT64_MAX), "9223372036854775.807");
  EXPECT_EQ(ts(INT64_MIN), "-9223372036854775.808");
  // Every number of digits, against the arithmetic.
  for (int64_t s = 1, k = 0; k < 15; s *= 10, ++k) {  // Up to 10^15 - 1 s.
    for (int64_t x : {s, s + 7, 10 * s - 1}) {
      EXPECT_EQ(ts(x * 1000 + 42), std::to_string(x) + ".042") << x;
      EXPECT_EQ(ts(-x * 1000), "-" + std::to_string(x)) << x;
    }
  }
}

TEST(QueryApiTest, EncodesEveryResultType) {
  EXPECT_EQ(EncodeQueryResult(query::Scalar{4000, 2}),
            R"({"resultType":"scalar","result":[4,"2"]})");
  EXPECT_EQ(EncodeQueryResult(query::String{1000, "a\"b"}),
            R"({"resultType":"string","result":[1,"a\"b"]})");
  query::Vector v;
  v.push_back({*model::Labels::FromPairs({{"__name__", "up"}, {"job", "x"}}), 1500, 1});
  EXPECT_EQ(
      EncodeQueryResult(v),
      R"({"resultType":"vector","result":[{"metric":{"__name__":"up","job":"x"},"value":[1.500,"1"]}]})");
  query::Matrix m(1);
  m[0].points = {{0, 1}, {60000, std::nan("")}};
  EXPECT_EQ(EncodeQueryResult(m),
            R"({"resultType":"matrix","result":[{"metric":{},"values":[[0,"1"],[60,"NaN"]]}]})");
}

TEST(ApiParamsTest, TimesAndDurations) {
  EXPECT_EQ(*ParseTimeMillis("1609459200"), 1609459200000);
  EXPECT_EQ(*ParseTimeMillis("1609459200.123"), 1609459200123);
  EXPECT_EQ(*ParseTimeMillis("2021-01-01T00:00:00Z"), 1609459200000);
  EXPECT_EQ(*ParseTimeMillis("2021-01-01T01:00:00.5+01:00"), 1609459200500);
  EXPECT_FALSE(ParseTimeMillis("yesterday").ok());
  EXPECT_FALSE(ParseTimeMillis("").ok());
  EXPECT_FALSE(ParseTimeMillis("2021-13-01T00:00:00Z").ok());
  EXPECT_EQ(*ParseDurationParamMillis("15"), 15000);
  EXPECT_EQ(*ParseDurationParamMillis("0.5"), 500);
  EXPECT_EQ(*ParseDurationParamMillis("1m30s"), 90000);
  EXPECT_FALSE(ParseDurationParamMillis("abc").ok());
  EXPECT_FALSE(ParseDurationParamMillis("1e300").ok());
}

}  // namespace
}  // namespace strata::server
