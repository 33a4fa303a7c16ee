// The JSON reader shared by tests and the benchmark drivers (testutil/json.h, via bench/lib/json.h)
// and the drivers' string escaping: the accepted grammar, every rejection path, and round trips.
#include "bench/lib/json.h"

#include <gtest/gtest.h>

#include <string>

namespace strata::bench {
namespace {

Json ParseOk(const std::string& text) {
  Json j;
  std::string error;
  EXPECT_TRUE(JsonParser::Parse(text, &j, &error)) << text << ": " << error;
  return j;
}

std::string ParseError(const std::string& text) {
  Json j;
  std::string error;
  EXPECT_FALSE(JsonParser::Parse(text, &j, &error)) << text;
  EXPECT_FALSE(error.empty()) << text;
  return error;
}

TEST(JsonParserTest, ParsesAPrometheusAnswer) {
  const Json j = ParseOk(
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"node"},)"
      R"("value":[1700000000.123,"42"]}]},"infos":["a"]})");
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.Find("status")->text, "success");
  const Json* result = j.Find("data")->Find("result");
  ASSERT_TRUE(result != nullptr && result->is_array());
  ASSERT_EQ(result->items.size(), 1u);
  const Json& value = *result->items[0].Find("value");
  EXPECT_EQ(value.items[0].type, Json::Type::kNumber);
  EXPECT_EQ(value.items[0].text, "1700000000.123");  // The literal, for exact conversion.
  EXPECT_EQ(value.items[1].text, "42");
  EXPECT_EQ(j.Find("missing"), nullptr);
  EXPECT_EQ(j.Find("status")->Find("x"), nullptr);  // Find on a non-object.
}

TEST(JsonParserTest, ScalarsAndWhitespace) {
  EXPECT_EQ(ParseOk(" \t\r\n null \n").type, Json::Type::kNull);
  const Json t = ParseOk("true");
  EXPECT_TRUE(t.type == Json::Type::kBool && t.boolean);
  const Json f = ParseOk("false");
  EXPECT_TRUE(f.type == Json::Type::kBool && !f.boolean);
  EXPECT_TRUE(ParseOk("[]").items.empty());
  EXPECT_TRUE(ParseOk("{ }").keys.empty());
  EXPECT_EQ(ParseOk(R"([ 1 , "x" , [ ] , { } ])").items.size(), 4u);
}

TEST(JsonParserTest, NumbersKeepTheirLiteral) {
  for (const char* n : {"0", "-0", "12", "-3.25", "1e5", "1E+5", "2.5e-3", "-0.0e0"}) {
    const Json j = ParseOk(n);
    EXPECT_EQ(j.type, Json::Type::kNumber) << n;
    EXPECT_EQ(j.text, n);
  }
}

TEST(JsonParserTest, RejectsMalformedNumbers) {
  for (const char* n : {"-", "1.", ".5", "1e", "1e+", "+1", "01", "-01", "0x10", "1.2.3", "NaN",
                        "Infinity", "--1"}) {
    ParseError(n);
  }
}

TEST(JsonParserTest, DecodesEscapes) {
  EXPECT_EQ(ParseOk(R"("a\"b\\c\/d\b\f\n\r\t")").text, "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(ParseOk(R"("\u0041\u00e9\u20AC")").text, "A\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(ParseOk(R"("\ud83d\ude00")").text, "\xF0\x9F\x98\x80");  // A surrogate pair.
  EXPECT_EQ(ParseOk("\"\xC3\xA9\"").text, "\xC3\xA9");               // Raw UTF-8 passes.
  EXPECT_EQ(ParseOk(R"("\u0000")").text, std::string(1, '\0'));
}

TEST(JsonParserTest, RejectsBadStrings) {
  for (const char* s : {R"("abc)", R"("\x")", R"("\u12")", R"("\u12G4")", R"("\ud83d")",
                        R"("\ud83d\u0041")", R"("\ude00")", "\"a\nb\"", "\"\t\"", R"("\)"}) {
    ParseError(s);
  }
}

TEST(JsonParserTest, RejectsBadStructure) {
  for (const char* s :
       {"", " ", "{", "[", "[1,]", "[1 2]", "{\"a\" 1}", "{\"a\":}", "{a:1}", "{\"a\":1,}",
        "{\"a\":1 \"b\":2}", "tru", "nul", "[1]]", "{} {}", "[1] x", "'a'", "}"}) {
    ParseError(s);
  }
}

TEST(JsonParserTest, ReportsWhereItFailed) {
  EXPECT_NE(ParseError("[1, 2, x]").find("offset 7"), std::string::npos);
}

TEST(JsonParserTest, NestingLimitIs64) {
  const auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  ParseOk(nested(65));  // The outermost value is depth 0.
  EXPECT_NE(ParseError(nested(66)).find("too deep"), std::string::npos);
  ParseError(std::string(100000, '['));  // Bounded, no stack overflow.
}

TEST(JsonParserTest, DuplicateKeysKeepTheFirstForFind) {
  const Json j = ParseOk(R"({"a":1,"a":2})");
  EXPECT_EQ(j.keys.size(), 2u);
  EXPECT_EQ(j.Find("a")->text, "1");
}

TEST(JsonEscapeTest, EscapesQuotesBackslashesAndControlBytes) {
  EXPECT_EQ(JsonEscape(""), "");
  EXPECT_EQ(JsonEscape("plain \xC3\xA9"), "plain \xC3\xA9");
  EXPECT_EQ(JsonEscape("a\"b\\c"), "a\\\"b\\\\c");
  EXPECT_EQ(JsonEscape(std::string("\n\x01\x1f", 3)), "\\u000a\\u0001\\u001f");
  EXPECT_EQ(JsonEscape("\x7f"), "\x7f");
}

TEST(JsonEscapeTest, RoundTripsThroughTheParser) {
  std::string all;
  for (int c = 1; c < 256; ++c) all += static_cast<char>(c);
  all += '\0';
  all = "x" + all;
  // Bytes >= 0x80 are not valid UTF-8 on their own, but the parser passes them through.
  EXPECT_EQ(ParseOk("\"" + JsonEscape(all) + "\"").text, all);
}

}  // namespace
}  // namespace strata::bench
