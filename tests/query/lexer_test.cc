// Token streams and lexing errors, mostly ported from Prometheus v2.53 promql/parser/lex_test.go
// (series-description cases excluded: the lexer does not handle them).
#include "query/lexer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace strata::query {
namespace {

using K = TokenKind;
using ::testing::HasSubstr;

struct Tok {
  TokenKind kind;
  size_t pos;
  std::string text;
  friend bool operator==(const Tok&, const Tok&) = default;
};

void PrintTo(const Tok& t, std::ostream* os) {
  *os << "{" << static_cast<int>(t.kind) << ", " << t.pos << ", \"" << t.text << "\"}";
}

// All tokens before kEof; fails the test on a lexing error or a misplaced kEof.
std::vector<Tok> LexAll(std::string_view input) {
  Lexer lexer(input);
  std::vector<Tok> out;
  for (;;) {
    Token t = lexer.Next();
    if (t.kind == K::kError) {
      ADD_FAILURE() << "lexing " << input << ": " << t.error;
      return out;
    }
    if (t.kind == K::kEof) {
      EXPECT_EQ(t.pos, input.size()) << input;
      EXPECT_EQ(lexer.Next().kind, K::kEof) << "kEof must repeat";
      return out;
    }
    out.push_back({t.kind, t.pos, std::string(t.text)});
  }
}

// The first error of lexing `input` (kind kEof if it lexes cleanly), copied out of the lexer.
struct LexError {
  TokenKind kind;
  size_t pos;
  std::string error;
};

LexError FirstError(std::string_view input) {
  Lexer lexer(input);
  for (;;) {
    Token t = lexer.Next();
    if (t.kind == K::kError || t.kind == K::kEof) return {t.kind, t.pos, std::string(t.error)};
  }
}

struct LexCase {
  std::string input;
  std::vector<Tok> want;
};

TEST(LexerTest, TokenStreams) {
  const LexCase cases[] = {
      // Common.
      {",", {{K::kComma, 0, ","}}},
      {"()", {{K::kLeftParen, 0, "("}, {K::kRightParen, 1, ")"}}},
      {"{}", {{K::kLeftBrace, 0, "{"}, {K::kRightBrace, 1, "}"}}},
      {"[5m]", {{K::kLeftBracket, 0, "["}, {K::kDuration, 1, "5m"}, {K::kRightBracket, 3, "]"}}},
      {"[ 5m]", {{K::kLeftBracket, 0, "["}, {K::kDuration, 2, "5m"}, {K::kRightBracket, 4, "]"}}},
      {"[  5m]", {{K::kLeftBracket, 0, "["}, {K::kDuration, 3, "5m"}, {K::kRightBracket, 5, "]"}}},
      {"[  5m ]", {{K::kLeftBracket, 0, "["}, {K::kDuration, 3, "5m"}, {K::kRightBracket, 6, "]"}}},
      {"\r\n\r", {}},
      // Numbers.
      {"1", {{K::kNumber, 0, "1"}}},
      {"4.23", {{K::kNumber, 0, "4.23"}}},
      {".3", {{K::kNumber, 0, ".3"}}},
      {"5.", {{K::kNumber, 0, "5."}}},
      {"NaN", {{K::kNumber, 0, "NaN"}}},
      {"nAN", {{K::kNumber, 0, "nAN"}}},
      {"NaN 123", {{K::kNumber, 0, "NaN"}, {K::kNumber, 4, "123"}}},
      {"NaN123", {{K::kIdentifier, 0, "NaN123"}}},
      {"iNf", {{K::kNumber, 0, "iNf"}}},
      {"Inf", {{K::kNumber, 0, "Inf"}}},
      {"+Inf", {{K::kAdd, 0, "+"}, {K::kNumber, 1, "Inf"}}},
      {"+Inf 123", {{K::kAdd, 0, "+"}, {K::kNumber, 1, "Inf"}, {K::kNumber, 5, "123"}}},
      {"-Inf", {{K::kSub, 0, "-"}, {K::kNumber, 1, "Inf"}}},
      {"Infoo", {{K::kIdentifier, 0, "Infoo"}}},
      {"-Infoo", {{K::kSub, 0, "-"}, {K::kIdentifier, 1, "Infoo"}}},
      {"-Inf 123", {{K::kSub, 0, "-"}, {K::kNumber, 1, "Inf"}, {K::kNumber, 5, "123"}}},
      {"0x123", {{K::kNumber, 0, "0x123"}}},
      {"0X1e5", {{K::kNumber, 0, "0X1e5"}}},
      {"1e5", {{K::kNumber, 0, "1e5"}}},
      {"1E-5", {{K::kNumber, 0, "1E-5"}}},
      {"1e", {{K::kNumber, 0, "1e"}}},  // Rejected later, by the number parser.
      {"0755", {{K::kNumber, 0, "0755"}}},
      // Strings.
      {"\"test\\tsequence\"", {{K::kString, 0, "\"test\\tsequence\""}}},
      {"\"test\\\\.expression\"", {{K::kString, 0, "\"test\\\\.expression\""}}},
      {"`test\\.expression`", {{K::kString, 0, "`test\\.expression`"}}},
      {"'it\\'s'", {{K::kString, 0, "'it\\'s'"}}},
      {"\"\\x41\\101\\u00e9\\U0001F600\"", {{K::kString, 0, "\"\\x41\\101\\u00e9\\U0001F600\""}}},
      {"`multi\nline`", {{K::kString, 0, "`multi\nline`"}}},
      {"\"caf\xc3\xa9\"", {{K::kString, 0, "\"caf\xc3\xa9\""}}},
      // Durations.
      {"5s", {{K::kDuration, 0, "5s"}}},
      {"123m", {{K::kDuration, 0, "123m"}}},
      {"1h", {{K::kDuration, 0, "1h"}}},
      {"3w", {{K::kDuration, 0, "3w"}}},
      {"1y", {{K::kDuration, 0, "1y"}}},
      {"1h30m", {{K::kDuration, 0, "1h30m"}}},
      {"250ms", {{K::kDuration, 0, "250ms"}}},
      {"1y2w3d4h5m6s7ms", {{K::kDuration, 0, "1y2w3d4h5m6s7ms"}}},
      // Identifiers.
      {"abc", {{K::kIdentifier, 0, "abc"}}},
      {"a:bc", {{K::kMetricIdentifier, 0, "a:bc"}}},
      {"abc d", {{K::kIdentifier, 0, "abc"}, {K::kIdentifier, 4, "d"}}},
      {":bc", {{K::kMetricIdentifier, 0, ":bc"}}},
      {"_under_score9", {{K::kIdentifier, 0, "_under_score9"}}},
      // Comments.
      {"# some comment", {{K::kComment, 0, "# some comment"}}},
      {"5 # 1+1\n5", {{K::kNumber, 0, "5"}, {K::kComment, 2, "# 1+1"}, {K::kNumber, 8, "5"}}},
      {"{a#c\n=\"b\"}",
       {{K::kLeftBrace, 0, "{"},
        {K::kIdentifier, 1, "a"},
        {K::kComment, 2, "#c"},
        {K::kEql, 5, "="},
        {K::kString, 6, "\"b\""},
        {K::kRightBrace, 9, "}"}}},
      // Operators.
      {"=", {{K::kEql, 0, "="}}},
      {"{=}", {{K::kLeftBrace, 0, "{"}, {K::kEql, 1, "="}, {K::kRightBrace, 2, "}"}}},
      {"==", {{K::kEqlc, 0, "=="}}},
      {"!=", {{K::kNeq, 0, "!="}}},
      {"<", {{K::kLss, 0, "<"}}},
      {">", {{K::kGtr, 0, ">"}}},
      {">=", {{K::kGte, 0, ">="}}},
      {"<=", {{K::kLte, 0, "<="}}},
      {"+", {{K::kAdd, 0, "+"}}},
      {"-", {{K::kSub, 0, "-"}}},
      {"*", {{K::kMul, 0, "*"}}},
      {"/", {{K::kDiv, 0, "/"}}},
      {"^", {{K::kPow, 0, "^"}}},
      {"%", {{K::kMod, 0, "%"}}},
      {"AND", {{K::kLand, 0, "AND"}}},
      {"or", {{K::kLor, 0, "or"}}},
      {"unless", {{K::kLunless, 0, "unless"}}},
      {"@", {{K::kAt, 0, "@"}}},
      {"atan2", {{K::kAtan2, 0, "atan2"}}},
      // Aggregators.
      {"sum", {{K::kSum, 0, "sum"}}},
      {"AVG", {{K::kAvg, 0, "AVG"}}},
      {"GROUP", {{K::kGroup, 0, "GROUP"}}},
      {"MAX", {{K::kMax, 0, "MAX"}}},
      {"min", {{K::kMin, 0, "min"}}},
      {"count", {{K::kCount, 0, "count"}}},
      {"stdvar", {{K::kStdvar, 0, "stdvar"}}},
      {"stddev", {{K::kStddev, 0, "stddev"}}},
      {"topk", {{K::kTopk, 0, "topk"}}},
      {"BottomK", {{K::kBottomk, 0, "BottomK"}}},
      {"quantile", {{K::kQuantile, 0, "quantile"}}},
      {"count_values", {{K::kCountValues, 0, "count_values"}}},
      // Keywords.
      {"offset", {{K::kOffset, 0, "offset"}}},
      {"by", {{K::kBy, 0, "by"}}},
      {"without", {{K::kWithout, 0, "without"}}},
      {"on", {{K::kOn, 0, "on"}}},
      {"ignoring", {{K::kIgnoring, 0, "ignoring"}}},
      {"group_left", {{K::kGroupLeft, 0, "group_left"}}},
      {"group_right", {{K::kGroupRight, 0, "group_right"}}},
      {"bool", {{K::kBool, 0, "bool"}}},
      {"start", {{K::kStart, 0, "start"}}},
      {"end", {{K::kEnd, 0, "end"}}},
      // Selectors: inside braces every word is an identifier.
      {"{foo='bar'}",
       {{K::kLeftBrace, 0, "{"},
        {K::kIdentifier, 1, "foo"},
        {K::kEql, 4, "="},
        {K::kString, 5, "'bar'"},
        {K::kRightBrace, 10, "}"}}},
      {"{foo=\"bar\\\"bar\"}",
       {{K::kLeftBrace, 0, "{"},
        {K::kIdentifier, 1, "foo"},
        {K::kEql, 4, "="},
        {K::kString, 5, "\"bar\\\"bar\""},
        {K::kRightBrace, 15, "}"}}},
      {"{NaN\t!= \"bar\" }",
       {{K::kLeftBrace, 0, "{"},
        {K::kIdentifier, 1, "NaN"},
        {K::kNeq, 5, "!="},
        {K::kString, 8, "\"bar\""},
        {K::kRightBrace, 14, "}"}}},
      {"{alert=~\"bar\" }",
       {{K::kLeftBrace, 0, "{"},
        {K::kIdentifier, 1, "alert"},
        {K::kEqlRegex, 6, "=~"},
        {K::kString, 8, "\"bar\""},
        {K::kRightBrace, 14, "}"}}},
      {"{on!~\"bar\"}",
       {{K::kLeftBrace, 0, "{"},
        {K::kIdentifier, 1, "on"},
        {K::kNeqRegex, 3, "!~"},
        {K::kString, 5, "\"bar\""},
        {K::kRightBrace, 10, "}"}}},
      {"sum{by=\"x\"}",
       {{K::kSum, 0, "sum"},
        {K::kLeftBrace, 3, "{"},
        {K::kIdentifier, 4, "by"},
        {K::kEql, 6, "="},
        {K::kString, 7, "\"x\""},
        {K::kRightBrace, 10, "}"}}},
      // Subqueries.
      {"test_name{on!~\"bar\"}[4m:4s]",
       {{K::kIdentifier, 0, "test_name"},
        {K::kLeftBrace, 9, "{"},
        {K::kIdentifier, 10, "on"},
        {K::kNeqRegex, 12, "!~"},
        {K::kString, 14, "\"bar\""},
        {K::kRightBrace, 19, "}"},
        {K::kLeftBracket, 20, "["},
        {K::kDuration, 21, "4m"},
        {K::kColon, 23, ":"},
        {K::kDuration, 24, "4s"},
        {K::kRightBracket, 26, "]"}}},
      {"test:name{on!~\"b:ar\"}[4m:]",
       {{K::kMetricIdentifier, 0, "test:name"},
        {K::kLeftBrace, 9, "{"},
        {K::kIdentifier, 10, "on"},
        {K::kNeqRegex, 12, "!~"},
        {K::kString, 14, "\"b:ar\""},
        {K::kRightBrace, 20, "}"},
        {K::kLeftBracket, 21, "["},
        {K::kDuration, 22, "4m"},
        {K::kColon, 24, ":"},
        {K::kRightBracket, 25, "]"}}},
      {"min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:] offset 6m)[4m:3s]",
       {{K::kIdentifier, 0, "min_over_time"},
        {K::kLeftParen, 13, "("},
        {K::kIdentifier, 14, "rate"},
        {K::kLeftParen, 18, "("},
        {K::kIdentifier, 19, "foo"},
        {K::kLeftBrace, 22, "{"},
        {K::kIdentifier, 23, "bar"},
        {K::kEql, 26, "="},
        {K::kString, 27, "\"baz\""},
        {K::kRightBrace, 32, "}"},
        {K::kLeftBracket, 33, "["},
        {K::kDuration, 34, "2s"},
        {K::kRightBracket, 36, "]"},
        {K::kRightParen, 37, ")"},
        {K::kLeftBracket, 38, "["},
        {K::kDuration, 39, "5m"},
        {K::kColon, 41, ":"},
        {K::kRightBracket, 42, "]"},
        {K::kOffset, 44, "offset"},
        {K::kDuration, 51, "6m"},
        {K::kRightParen, 53, ")"},
        {K::kLeftBracket, 54, "["},
        {K::kDuration, 55, "4m"},
        {K::kColon, 57, ":"},
        {K::kDuration, 58, "3s"},
        {K::kRightBracket, 60, "]"}}},
      {"test:name[ 5m]",
       {{K::kMetricIdentifier, 0, "test:name"},
        {K::kLeftBracket, 9, "["},
        {K::kDuration, 11, "5m"},
        {K::kRightBracket, 13, "]"}}},
      // Prometheus quirk: inside brackets a letter lexes as the (single) colon.
      {"x[5m y]",
       {{K::kIdentifier, 0, "x"},
        {K::kLeftBracket, 1, "["},
        {K::kDuration, 2, "5m"},
        {K::kColon, 5, "y"},
        {K::kRightBracket, 6, "]"}}},
      {"foo @ start()",
       {{K::kIdentifier, 0, "foo"},
        {K::kAt, 4, "@"},
        {K::kStart, 6, "start"},
        {K::kLeftParen, 11, "("},
        {K::kRightParen, 12, ")"}}},
  };
  for (const LexCase& c : cases) {
    EXPECT_EQ(LexAll(c.input), c.want) << "input: " << c.input;
  }
}

struct ErrorCase {
  std::string input;
  size_t pos;
  std::string error;
};

TEST(LexerTest, Errors) {
  const ErrorCase cases[] = {
      {".٩", 0, "unexpected character: '.'"},
      {"0a:bc", 0, "bad number or duration syntax: \"0\""},
      {"0deadbeef", 0, "bad number or duration syntax: \"0de\""},
      {"1a", 0, "bad number or duration syntax: \"1\""},
      {"=~", 0, "unexpected character after '=': '~'"},
      {"!~", 0, "unexpected character after '!': '~'"},
      {"!(", 0, "unexpected character after '!': '('"},
      {"!", 0, "unexpected character after '!': '\xef\xbf\xbd'"},
      {"台北", 0, "unexpected character: '台'"},
      {"{台北='a'}", 1, "unexpected character inside braces: '台'"},
      {"{0a='a'}", 1, "unexpected character inside braces: '0'"},
      {"{alert!#\"bar\"}", 6, "unexpected character after '!' inside braces: '#'"},
      {"{foo:a=\"bar\"}", 4, "unexpected character inside braces: ':'"},
      {"test:name{o:n!~\"bar\"}[4m:4s]", 11, "unexpected character inside braces: ':'"},
      {"test:name{on!~\"bar\"}[4m:4s:4h]", 26, "unexpected colon ':'"},
      {"test:name{on!~\"bar\"}[4m:4s:]", 26, "unexpected colon ':'"},
      {"test:name{on!~\"bar\"}[4m::]", 24, "unexpected colon ':'"},
      {"test:name{on!~\"bar\"}[:4s]", 21, "missing unit character in duration"},
      {"foo[]", 4, "missing unit character in duration"},
      {"foo[5]", 4, "missing unit character in duration"},
      {"foo[\"5m\"]", 4, "missing unit character in duration"},
      {"foo[5mm]", 4, "bad duration syntax: \"5mm\""},
      {"foo[5m1]", 4, "bad duration syntax: \"5m1\""},
      {"foo[5m:1m1]", 7, "bad number or duration syntax: \"1m1\""},
      {"(", 1, "unclosed left parenthesis"},
      {"())", 3, "unexpected right parenthesis ')'"},
      {"(()", 3, "unclosed left parenthesis"},
      {"{", 1, "unexpected end of input inside braces"},
      {"}", 0, "unexpected character: '}'"},
      {"{{", 1, "unexpected left brace '{'"},
      {"{{}}", 1, "unexpected left brace '{'"},
      {"[", 1, "missing unit character in duration"},
      {"[5m", 3, "unclosed left bracket"},
      {"[[", 1, "missing unit character in duration"},
      {"[5m[", 3, "unexpected left bracket '['"},
      {"]", 0, "unexpected right bracket ']'"},
      {"[]]", 1, "missing unit character in duration"},
      {"\"\xff\"", 0, "invalid UTF-8 rune"},
      {"`\xff`", 0, "invalid UTF-8 rune"},
      {"\"\xef\xbf\xbd\"", 0, "invalid UTF-8 rune"},  // A literal U+FFFD, as in Go.
      {"\"abc", 0, "unterminated quoted string"},
      {"'abc\n'", 0, "unterminated quoted string"},
      {"`abc", 0, "unterminated raw string"},
      {"\"\\", 0, "escape sequence not terminated"},
      {"\"\\c\"", 0, "unknown escape sequence U+0063 'c'"},
      {"\"\\x.\"", 0, "illegal character U+002E '.' in escape sequence"},
      {"\"\\x4", 0, "escape sequence not terminated"},
      {"\"\\400\"", 0, "escape sequence is an invalid Unicode code point"},
      {"\"\\uD800\"", 0, "escape sequence is an invalid Unicode code point"},
      {"\"\\U00110000\"", 0, "escape sequence is an invalid Unicode code point"},
      {"'\\\"'", 0, "unknown escape sequence U+0022 '\"'"},
      {"\"\\'\"", 0, "unknown escape sequence U+0027 '''"},
      {"\"\\\n\"", 0, "unknown escape sequence U+000A"},
      {"test.expression", 4, "unexpected character: '.'"},
      {"foo $", 4, "unexpected character: '$'"},
  };
  for (const ErrorCase& c : cases) {
    LexError t = FirstError(c.input);
    ASSERT_EQ(t.kind, K::kError) << "input: " << c.input;
    EXPECT_EQ(t.error, c.error) << "input: " << c.input;
    EXPECT_EQ(t.pos, c.pos) << "input: " << c.input;
  }
}

TEST(LexerTest, StopsAfterError) {
  Lexer lexer("\"\\c\" foo");
  EXPECT_EQ(lexer.Next().kind, K::kError);
  EXPECT_EQ(lexer.Next().kind, K::kEof);
  EXPECT_EQ(lexer.Next().kind, K::kEof);
}

TEST(LexerTest, DescribeToken) {
  auto describe = [](std::string_view input) {
    Lexer lexer(input);
    return DescribeToken(lexer.Next());
  };
  EXPECT_EQ(describe(""), "end of input");
  EXPECT_EQ(describe("foo"), "identifier \"foo\"");
  EXPECT_EQ(describe("foo:bar"), "metric identifier \"foo:bar\"");
  EXPECT_EQ(describe("1.5"), "number \"1.5\"");
  EXPECT_EQ(describe("12345678901"), "number \"1234567890\"...");
  EXPECT_EQ(describe("5m"), "duration \"5m\"");
  EXPECT_EQ(describe("\"a\""), "string \"\\\"a\\\"\"");
  EXPECT_EQ(describe("'abcdefghijkl'"), "string \"'abcdefghi\"...");
  EXPECT_EQ(describe("("), "\"(\"");
  EXPECT_EQ(describe(","), "\",\"");
  EXPECT_EQ(describe("="), "\"=\"");
  EXPECT_EQ(describe("+"), "<op:+>");
  EXPECT_EQ(describe("=="), "<op:==>");
  EXPECT_EQ(describe("AND"), "<op:AND>");
  EXPECT_EQ(describe("atan2"), "<op:atan2>");
  EXPECT_EQ(describe("@"), "\"<Item 57398>\" <op:@>");
  EXPECT_EQ(describe("Sum"), "<aggr:Sum>");
  EXPECT_EQ(describe("by"), "<by>");
  EXPECT_EQ(describe("group_left"), "<group_left>");
  EXPECT_EQ(describe("start"), "\"start\"");
  EXPECT_EQ(describe("{a=~"), "\"{\"");
  EXPECT_THAT(describe("$"), HasSubstr("unexpected character"));
}

TEST(LexerTest, TokenClasses) {
  EXPECT_TRUE(IsOperatorToken(K::kAdd));
  EXPECT_TRUE(IsOperatorToken(K::kAt));
  EXPECT_TRUE(IsOperatorToken(K::kLand));
  EXPECT_FALSE(IsOperatorToken(K::kEql));
  EXPECT_TRUE(IsAggregatorToken(K::kCountValues));
  EXPECT_FALSE(IsAggregatorToken(K::kBy));
  EXPECT_TRUE(IsKeywordToken(K::kBool));
  EXPECT_TRUE(IsKeywordToken(K::kWithout));
  EXPECT_FALSE(IsKeywordToken(K::kStart));
}

}  // namespace
}  // namespace strata::query
