// Go-compatible literal handling (query/internal/literals.h, query/internal/go_text.h): number
// and duration parsing/printing and string unquoting, checked against Go's documented outputs.
#include "query/internal/literals.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "query/internal/go_text.h"
#include "query/internal/parse_error.h"

namespace strata::query::internal {
namespace {

TEST(LiteralsTest, ParseNumber) {
  struct Case {
    const char* text;
    double want;
  };
  const Case cases[] = {
      {"0", 0},
      {"42", 42},
      {"0x1F", 31},
      {"0XfF", 255},
      {"017", 15},
      {"08", 8},
      {"09.5", 9.5},
      {"1.5", 1.5},
      {".5", 0.5},
      {"5.", 5},
      {"1e3", 1000},
      {"1E-3", 0.001},
      {"1e+3", 1000},
      {"1e-400", 0},
      {"9223372036854775807", 9223372036854775807.0},
      {"9223372036854775808", 9223372036854775808.0},
  };
  for (const Case& c : cases) {
    Result<double> r = ParseNumber(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.status().ToString();
    EXPECT_EQ(*r, c.want) << c.text;
  }
  EXPECT_EQ(*ParseNumber("Inf"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(*ParseNumber("iNF"), std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(*ParseNumber("NaN")));
  EXPECT_TRUE(std::isnan(*ParseNumber("nan")));

  EXPECT_EQ(ParseNumber("1e").status().message(),
            "strconv.ParseFloat: parsing \"1e\": invalid syntax");
  EXPECT_EQ(ParseNumber("0x").status().message(),
            "strconv.ParseFloat: parsing \"0x\": invalid syntax");
  EXPECT_EQ(ParseNumber("0x1.8").status().message(),
            "strconv.ParseFloat: parsing \"0x1.8\": invalid syntax");
  EXPECT_EQ(ParseNumber("0xFFFFFFFFFFFFFFFFF").status().message(),
            "strconv.ParseFloat: parsing \"0xFFFFFFFFFFFFFFFFF\": invalid syntax");
  EXPECT_EQ(ParseNumber("1e309").status().message(),
            "strconv.ParseFloat: parsing \"1e309\": value out of range");
}

TEST(LiteralsTest, FormatNumber) {
  struct Case {
    double v;
    const char* want;
  };
  const Case cases[] = {
      {0, "0"},
      {-0.0, "-0"},
      {1, "1"},
      {-2.5, "-2.5"},
      {100000, "100000"},
      {999999, "999999"},
      {1000000, "1e+06"},
      {1e21, "1e+21"},
      {123456789, "1.23456789e+08"},
      {0.0001, "0.0001"},
      {0.00001, "1e-05"},
      {1.0 / 3, "0.3333333333333333"},
      {2.0 / 3 * 1e-10, "6.666666666666667e-11"},
      {1e100, "1e+100"},
      {5e-324, "5e-324"},
      {std::numeric_limits<double>::max(), "1.7976931348623157e+308"},
      {std::numeric_limits<double>::infinity(), "+Inf"},
      {-std::numeric_limits<double>::infinity(), "-Inf"},
      {std::numeric_limits<double>::quiet_NaN(), "NaN"},
  };
  for (const Case& c : cases) EXPECT_EQ(FormatNumber(c.v), c.want) << c.want;
}

TEST(LiteralsTest, ParseDuration) {
  struct Case {
    const char* text;
    int64_t ms;
  };
  const Case cases[] = {
      {"0", 0},
      {"0s", 0},
      {"1ms", 1},
      {"1s", 1000},
      {"5m", 300000},
      {"1h30m", 5400000},
      {"1d", 86400000},
      {"1w", 604800000},
      {"1y", 31536000000},
      {"1y2w3d4h5m6s7ms",
       31536000000LL + 2 * 604800000LL + 3 * 86400000LL + 4 * 3600000LL + 5 * 60000LL + 6000LL + 7},
      {"292y", 292LL * 31536000000},
  };
  for (const Case& c : cases) {
    Result<int64_t> r = ParseDuration(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.status().ToString();
    EXPECT_EQ(*r, c.ms) << c.text;
  }
  struct ErrorCase {
    const char* text;
    const char* error;
  };
  const ErrorCase errors[] = {
      {"", "empty duration string"},
      {"5", "not a valid duration string: \"5\""},
      {"m", "not a valid duration string: \"m\""},
      {"5m1h", "not a valid duration string: \"5m1h\""},
      {"5m5m", "not a valid duration string: \"5m5m\""},
      {"5y1hs", "unknown unit \"hs\" in duration \"5y1hs\""},
      {"5x", "unknown unit \"x\" in duration \"5x\""},
      {"5.5m", "unknown unit \".\" in duration \"5.5m\""},
      {"293y", "duration out of range"},
      {"99999999999999999999s", "not a valid duration string: \"99999999999999999999s\""},
  };
  for (const ErrorCase& e : errors) {
    EXPECT_EQ(ParseDuration(e.text).status().message(), e.error) << e.text;
  }
}

TEST(LiteralsTest, FormatDuration) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(1), "1ms");
  EXPECT_EQ(FormatDuration(1500), "1s500ms");
  EXPECT_EQ(FormatDuration(90LL * 60000), "1h30m");
  EXPECT_EQ(FormatDuration(90LL * 86400000), "90d");
  EXPECT_EQ(FormatDuration(14LL * 86400000), "2w");
  EXPECT_EQ(FormatDuration(365LL * 86400000), "1y");
  EXPECT_EQ(FormatDuration(366LL * 86400000), "366d");
  EXPECT_EQ(FormatDuration(86400000 + 1), "1d1ms");
}

TEST(GoTextTest, Unquote) {
  EXPECT_EQ(*Unquote("\"a\\tb\""), "a\tb");
  EXPECT_EQ(*Unquote("'it\\'s'"), "it's");
  EXPECT_EQ(*Unquote("`raw\\n`"), "raw\\n");
  EXPECT_EQ(*Unquote("\"\\x41\\101\\u00e9\\U0001F600\""), "AA\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(*Unquote("\"\\xff\""), "\xff");
  EXPECT_EQ(*Unquote("\"\""), "");
  for (const char* bad : {"\"", "\"a'", "'\\\"'", "\"\\q\"", "\"\\x4\"", "\"\\400\"", "\"\\uD800\"",
                          "\"a\"b\"", "`a`b`", "\"a\nb\"", "x"}) {
    EXPECT_FALSE(Unquote(bad).ok()) << bad;
  }
}

TEST(GoTextTest, RuneFormatting) {
  EXPECT_EQ(QuoteRune('a'), "'a'");
  EXPECT_EQ(QuoteRune('\''), "'\\''");
  EXPECT_EQ(QuoteRune('"'), "'\"'");
  EXPECT_EQ(QuoteRune('\\'), "'\\\\'");
  EXPECT_EQ(QuoteRune('\n'), "'\\n'");
  EXPECT_EQ(QuoteRune(0), "'\\x00'");
  EXPECT_EQ(QuoteRune(-1), "'\xef\xbf\xbd'");
  EXPECT_EQ(QuoteRune(0x53F0), "'\xe5\x8f\xb0'");
  EXPECT_EQ(FormatRuneU('c'), "U+0063 'c'");
  EXPECT_EQ(FormatRuneU('\n'), "U+000A");
  EXPECT_EQ(FormatRuneU(0x1F600), "U+1F600 '\xf0\x9f\x98\x80'");
  EXPECT_EQ(QuoteTruncated("abcdefghijkl", 10), "\"abcdefghij\"");
  EXPECT_EQ(QuoteTruncated("\xc3\xa9\xc3\xa9", 1), "\"\xc3\xa9\"");
  size_t w = 0;
  EXPECT_EQ(DecodeRune("\xff", &w), kRuneError);
  EXPECT_EQ(w, 1u);
  EXPECT_EQ(DecodeRune("\xe2\x98\xba", &w), 0x263A);
  EXPECT_EQ(w, 3u);
  EXPECT_EQ(DecodeRune("\xed\xa0\x80", &w), kRuneError);  // A surrogate.
}

TEST(ParseErrorTest, Positions) {
  EXPECT_EQ(FormatPosition("", 0), "unknown position");
  EXPECT_EQ(FormatPosition("abc", 0), "1:1");
  EXPECT_EQ(FormatPosition("abc", 3), "1:4");
  EXPECT_EQ(FormatPosition("abc", 4), "invalid position");
  EXPECT_EQ(FormatPosition("a\nbc", 3), "2:2");
  EXPECT_EQ(FormatPosition("a\n\nb", 3), "3:1");
  EXPECT_EQ(ParseError("x", 0, "boom").message(), "1:1: parse error: boom");
  EXPECT_TRUE(ParseError("x", 0, "boom").IsInvalidArgument());
}

}  // namespace
}  // namespace strata::query::internal
