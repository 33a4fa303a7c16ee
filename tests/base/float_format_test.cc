#include "base/float_format.h"

#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>

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

// Values as Go's strconv.FormatFloat(v, 'g', -1, 64) prints them (and so the text exposition
// format: Prometheus' own /metrics shows go_memstats_alloc_bytes 7.907416e+06).
TEST(FloatFormatTest, MatchesGoFormatFloatG) {
  EXPECT_EQ(FormatFloatGo(7907416, 'g'), "7.907416e+06");
  EXPECT_EQ(FormatFloatGo(1.79644037458e+09, 'g'), "1.79644037458e+09");
  EXPECT_EQ(FormatFloatGo(123456, 'g'), "123456");
  EXPECT_EQ(FormatFloatGo(999999, 'g'), "999999");
  EXPECT_EQ(FormatFloatGo(1e6, 'g'), "1e+06");
  EXPECT_EQ(FormatFloatGo(10000, 'g'), "10000");
  EXPECT_EQ(FormatFloatGo(0.0001, 'g'), "0.0001");
  EXPECT_EQ(FormatFloatGo(0.00001, 'g'), "1e-05");
  EXPECT_EQ(FormatFloatGo(-0.5, 'g'), "-0.5");
  EXPECT_EQ(FormatFloatGo(1.5, 'g'), "1.5");
  EXPECT_EQ(FormatFloatGo(0, 'g'), "0");
  EXPECT_EQ(FormatFloatGo(-1.25e-300, 'g'), "-1.25e-300");
  EXPECT_EQ(FormatFloatGo(std::nan(""), 'g'), "NaN");
  EXPECT_EQ(FormatFloatGo(-std::numeric_limits<double>::infinity(), 'g'), "-Inf");
}

// The first implementation, with a std::string for every step: the reference the
// allocation-free AppendFloatGo is checked against.
std::string ReferenceFormat(double v, char fmt) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string sci(buf, r.ptr);
  if (fmt == 'e') return sci;
  std::string out;
  size_t i = 0;
  if (sci[0] == '-') {
    out.push_back('-');
    i = 1;
  }
  size_t e = sci.find('e');
  std::string digits;
  for (size_t k = i; k < e; ++k) {
    if (sci[k] != '.') digits.push_back(sci[k]);
  }
  int exp = std::atoi(sci.c_str() + e + 1);
  if (digits == "0") return out + "0";
  int point = exp + 1;
  if (point <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-point), '0');
    out += digits;
  } else if (static_cast<size_t>(point) >= digits.size()) {
    out += digits;
    out.append(static_cast<size_t>(point) - digits.size(), '0');
  } else {
    out += digits.substr(0, static_cast<size_t>(point));
    out.push_back('.');
    out += digits.substr(static_cast<size_t>(point));
  }
  return out;
}

TEST(FloatFormatTest, AppendMatchesTheReferenceOnRandomDoubles) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int> digits(0, 9), scale(-12, 22);
  std::vector<double> values = {0.0,
                                -0.0,
                                5e-324,
                                -5e-324,
                                std::numeric_limits<double>::max(),
                                std::numeric_limits<double>::lowest(),
                                std::numeric_limits<double>::min(),
                                1e21,
                                999999999999999999999.0,
                                1e-6,
                                0.1 + 0.2};
  for (int i = 0; i < 200000; ++i) {
    values.push_back(std::bit_cast<double>(rng()));  // Any bit pattern: NaNs, subnormals...
    // Decimal-looking values, as metrics are: up to 17 digits at some scale.
    int64_t m = 0;
    for (int d = 0, n = 1 + static_cast<int>(rng() % 17); d < n; ++d) m = m * 10 + digits(rng);
    values.push_back(static_cast<double>(rng() % 2 ? m : -m) * std::pow(10.0, scale(rng)));
    // Whole numbers of every size up to 2^54 (AppendFloatGo prints those below 2^53 as
    // integers), and the doubles next to them.
    const double w = static_cast<double>(rng() >> (10 + rng() % 54)) * (rng() % 2 ? 1 : -1);
    values.push_back(w);
    values.push_back(std::nextafter(w, 0.0));
    values.push_back(std::nextafter(w, 1e300));
  }
  for (double p : {9007199254740991.0, 9007199254740992.0, 9007199254740994.0, 4503599627370495.5,
                   1e15, 1e16, 123456789.0, 1.0, 2.0}) {
    values.push_back(p);
    values.push_back(-p);
  }
  for (double v : values) {
    for (char fmt : {'f', 'e'}) {
      std::string got = "prefix";
      AppendFloatGo(&got, v, fmt);
      ASSERT_EQ(got, "prefix" + ReferenceFormat(v, fmt))
          << std::bit_cast<uint64_t>(v) << " " << fmt;
      ASSERT_EQ(FormatFloatGo(v, fmt), ReferenceFormat(v, fmt));
    }
  }
}

}  // namespace
}  // namespace strata
