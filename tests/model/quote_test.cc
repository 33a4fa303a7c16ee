#include "model/quote.h"

#include <gtest/gtest.h>

#include <string>

namespace strata::model {
namespace {

// Expected outputs are Go's strconv.Quote results.
TEST(QuoteTest, MatchesGoStrconvQuote) {
  struct Case {
    std::string in;
    std::string want;
  } cases[] = {
      {"", R"("")"},
      {"abc", R"("abc")"},
      {"a\"b", R"("a\"b")"},
      {"a\\b", R"("a\\b")"},
      {"'", R"("'")"},
      {"\a\b\f\n\r\t\v", R"("\a\b\f\n\r\t\v")"},
      {std::string("\0\x01\x1f\x7f", 4), R"("\x00\x01\x1f\x7f")"},
      {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
      {"\xe6\x97\xa5\xf0\x9f\x98\x80", "\"\xe6\x97\xa5\xf0\x9f\x98\x80\""},
      {"\xff", R"("\xff")"},
      {"\xc0\x80", R"("\xc0\x80")"},            // Overlong: one escape per byte.
      {"\xed\xa0\x80", R"("\xed\xa0\x80")"},    // Surrogate.
      {"a\xc3", R"("a\xc3")"},                  // Truncated.
      {"\xc2\x80", R"("\u0080")"},              // C1 control.
      {"\xc2\xa0", R"("\u00a0")"},              // No-break space.
      {"\xc2\xad", R"("\u00ad")"},              // Soft hyphen.
      {"\xe2\x80\xa8", R"("\u2028")"},          // Line separator.
      {"\xef\xbb\xbf", R"("\ufeff")"},          // BOM.
      {"\xef\xbf\xbd", "\"\xef\xbf\xbd\""},     // U+FFFD is printable.
      {"\xf3\xb0\x80\x80", R"("\U000f0000")"},  // Private use, plane 15.
  };
  for (const Case& c : cases) EXPECT_EQ(Quote(c.in), c.want) << c.want;
}

TEST(QuoteTest, AppendQuoteAppends) {
  std::string out = "x=";
  AppendQuote(&out, "y");
  EXPECT_EQ(out, R"(x="y")");
}

}  // namespace
}  // namespace strata::model
