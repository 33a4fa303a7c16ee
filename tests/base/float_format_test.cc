#include "base/float_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace strata {
namespace {

TEST(FloatFormatTest, MatchesGoFormatFloatF) {
  EXPECT_EQ(FormatFloatGo(0, 'f'), "0");
  EXPECT_EQ(FormatFloatGo(-0.0, 'f'), "-0");
  EXPECT_EQ(FormatFloatGo(1, 'f'), "1");
  EXPECT_EQ(FormatFloatGo(0.1, 'f'), "0.1");
  EXPECT_EQ(FormatFloatGo(-2.5, 'f'), "-2.5");
  EXPECT_EQ(FormatFloatGo(100, 'f'), "100");
  EXPECT_EQ(FormatFloatGo(1234.5678, 'f'), "1234.5678");
  EXPECT_EQ(FormatFloatGo(0.000123, 'f'), "0.000123");
  EXPECT_EQ(FormatFloatGo(123456789012345680000.0, 'f'), "123456789012345680000");
  EXPECT_EQ(FormatFloatGo(1e20, 'f'), "100000000000000000000");
  EXPECT_EQ(FormatFloatGo(std::numeric_limits<double>::infinity(), 'f'), "+Inf");
  EXPECT_EQ(FormatFloatGo(std::nan(""), 'f'), "NaN");
}

TEST(FloatFormatTest, MatchesGoFormatFloatE) {
  EXPECT_EQ(FormatFloatGo(1e-7, 'e'), "1e-07");
  EXPECT_EQ(FormatFloatGo(1.5e21, 'e'), "1.5e+21");
  EXPECT_EQ(FormatFloatGo(-2.5e-300, 'e'), "-2.5e-300");
}

}  // namespace
}  // namespace strata
