#include "model/sample.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

namespace strata::model {
namespace {

TEST(SampleTest, StaleNaNIsBitExact) {
  static_assert(IsStaleNaN(StaleNaN()));
  EXPECT_TRUE(std::isnan(StaleNaN()));
  EXPECT_EQ(std::bit_cast<uint64_t>(StaleNaN()), 0x7ff0000000000002ull);
  EXPECT_FALSE(IsStaleNaN(std::numeric_limits<double>::quiet_NaN()));
  EXPECT_FALSE(IsStaleNaN(std::bit_cast<double>(kNormalNaNBits)));
  EXPECT_FALSE(IsStaleNaN(0.0));
  EXPECT_FALSE(IsStaleNaN(std::numeric_limits<double>::infinity()));
}

TEST(SampleTest, DefaultsToZero) {
  Sample s;
  EXPECT_EQ(s.timestamp_ms, 0);
  EXPECT_EQ(s.value, 0.0);
  Sample t{1700000000000, 1.5};
  EXPECT_EQ(t.timestamp_ms, 1700000000000);
  EXPECT_EQ(t.value, 1.5);
}

}  // namespace
}  // namespace strata::model
