// Parser behaviour against Prometheus v2.53 beyond parse_test.go's table (see
// parser_prometheus_test.cc): more accepted and rejected inputs, tree shapes from precedence,
// AST details (values, positions, modifiers, matchers, matching), options and limits, series
// selectors, cloning.
#include "query/parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "parser_test_util.h"
#include "query/printer.h"

namespace strata::query {
namespace {

using ::testing::HasSubstr;
using testing_util::CheckCanonical;
using testing_util::Dump;
using testing_util::ErrorCase;
using testing_util::MustParse;
using testing_util::ParseErrorText;
using testing_util::PrintCase;

TEST(ParserTest, MoreAcceptedInputs) {
  const PrintCase cases[] = {
      // Keywords as metric and label names.
      {"sum", "sum"},
      {"by", "by"},
      {"offset", "offset"},
      {"and", "and"},
      {"without{a=\"b\"}", "without{a=\"b\"}"},
      {"foo and and", "foo and and"},
      {"foo + offset", "foo + offset"},
      {"sum @ 5", "sum @ 5.000"},
      {"sum[5m]", "sum[5m]"},
      {"rate(sum[5m])", "rate(sum[5m])"},
      {"foo{sum=\"a\", by=\"b\", on=\"c\", offset=\"d\", NaN=\"e\", Inf=\"f\"}",
       "foo{Inf=\"f\",NaN=\"e\",by=\"b\",offset=\"d\",on=\"c\",sum=\"a\"}"},
      {"sum by (sum, on, bool, group_left, start, end, atan2, offset) (x)",
       "sum by (sum, on, bool, group_left, start, end, atan2, offset) (x)"},
      {"SUM BY (Job) (X)", "sum by (Job) (X)"},
      {"a + on(b,) d", "a + on (b) d"},
      {"foo{} + bar", "foo + bar"},
      {"foo + rate(x[1m])", "foo + rate(x[1m])"},
      {"foo atan2 bar", "foo atan2 bar"},
      {"foo ATAN2 bar", "foo atan2 bar"},
      // Numbers.
      {"1e-400", "0"},
      {"1000000", "1e+06"},
      {"123456", "123456"},
      {"0.0001", "0.0001"},
      {"0.00001", "1e-05"},
      {"1.5e300", "1.5e+300"},
      {"-0", "-0"},
      {"0x7fffffffffffffff", "9.223372036854776e+18"},
      {"08", "8"},
      {"0.1 + 0.2", "0.1 + 0.2"},
      {"NaN", "NaN"},
      {"-nan", "NaN"},
      {"- - 1", "1"},
      {"-(1)", "-(1)"},
      // Strings.
      {"`a\\nb`", "\"a\\\\nb\""},
      {"\"caf\xc3\xa9\"", "\"caf\xc3\xa9\""},
      {"'\\x41\\102\\u00e9'", "\"AB\xc3\xa9\""},
      // Comments and whitespace.
      {"foo # comment\n + bar", "foo + bar"},
      {"\tsum(\n  rate(x[5m])\n) # total\n", "sum(rate(x[5m]))"},
      {"foo{# c\na=\"b\"}", "foo{a=\"b\"}"},
      // Selectors and modifiers.
      {"{__name__=\"foo\"}", "{__name__=\"foo\"}"},
      {"{\"foo\"}", "{__name__=\"foo\"}"},
      {"{\"a.b\"=\"c\"}", "{\"a.b\"=\"c\"}"},
      {"{\"_0\"=\"1\"}", "{_0=\"1\"}"},
      {"{__name__=\"\",a=\"x\"}", "{__name__=\"\",a=\"x\"}"},
      {"x @ start() offset 1m", "x @ start() offset 1m"},
      {"x offset 1m @ end()", "x @ end() offset 1m"},
      {"x[5m] @ end() offset -1h", "x[5m] @ end() offset -1h"},
      {"x @ start()[5m]", "x[5m] @ start()"},  // Like Prometheus, only `@ <number>` is refused.
      {"x[1h:] offset 10m @ 100", "x[1h:] @ 100.000 offset 10m"},
      {"x offset 90d", "x offset 90d"},
      {"x offset 365d", "x offset 1y"},
      {"x offset 14d", "x offset 2w"},
      {"x offset 86400s", "x offset 1d"},
      {"x[60s]", "x[1m]"},
      {"x[1500ms]", "x[1s500ms]"},
      {"x[5m y]", "x[5m:]"},  // Prometheus lexer quirk: a letter in brackets reads as ':'.
      {"x @ 1.0004", "x @ 1.000"},
      {"x @ 1.0006", "x @ 1.001"},
      {"x @ -0.5", "x @ -0.500"},
      // Operators and modifiers.
      {"a * on() group_left b", "a * on () group_left () b"},
      {"a == bool on(x) group_right(y) b", "a == bool on (x) group_right (y) b"},
      {"a > bool 1", "a > bool 1"},
      {"1 > bool 2", "1 > bool 2"},
      {"a % b", "a % b"},
      // Aggregations and functions.
      {"sum(x) without ()", "sum without () (x)"},
      {"topk by (a) (5, x)", "topk by (a) (5, x)"},
      {"quantile without (a) (0.9, x)", "quantile without (a) (0.9, x)"},
      {"count_values by (a) (\"v\", x)", "count_values by (a) (\"v\", x)"},
      {"group(x)", "group(x)"},
      {"label_replace(up, \"a\", \"$1\", \"b\", \"(.*)\")",
       "label_replace(up, \"a\", \"$1\", \"b\", \"(.*)\")"},
      {"label_join(up, \"a\", \",\", \"b\", \"c\", \"d\")",
       "label_join(up, \"a\", \",\", \"b\", \"c\", \"d\")"},
      {"sort_by_label(up, \"a\", \"b\")", "sort_by_label(up, \"a\", \"b\")"},
      {"sort_by_label_desc(up)", "sort_by_label_desc(up)"},
      {"mad_over_time(x[5m])", "mad_over_time(x[5m])"},
      {"holt_winters(x[5m], 0.5, 0.5)", "holt_winters(x[5m], 0.5, 0.5)"},
      {"histogram_fraction(0, 0.2, x)", "histogram_fraction(0, 0.2, x)"},
      {"histogram_avg(x)", "histogram_avg(x)"},
      {"day_of_week()", "day_of_week()"},
      {"round(x, 0.1)", "round(x, 0.1)"},
      {"pi()", "pi()"},
      {"vector(time())", "vector(time())"},
      {"scalar(x) * 2", "scalar(x) * 2"},
      {"absent(nonexistent{job=\"myjob\"})", "absent(nonexistent{job=\"myjob\"})"},
      {"max_over_time(deriv(rate(x[5m])[30m:1m])[1h:])",
       "max_over_time(deriv(rate(x[5m])[30m:1m])[1h:])"},
  };
  for (const PrintCase& c : cases) CheckCanonical(c);
}

// Tree shapes: precedence, associativity and how unary signs bind.
TEST(ParserTest, Precedence) {
  const PrintCase cases[] = {
      {"1 + 2 * 3", "(+ 1 (* 2 3))"},
      {"1 * 2 + 3", "(+ (* 1 2) 3)"},
      {"1 - 2 - 3", "(- (- 1 2) 3)"},
      {"1 / 2 * 3 % 4", "(% (* (/ 1 2) 3) 4)"},
      {"2 ^ 3 ^ 2", "(^ 2 (^ 3 2))"},
      {"-2 ^ 2", "(neg (^ 2 2))"},
      {"-2 * 2", "(* -2 2)"},
      {"-a ^ b ^ c", "(neg (^ a (^ b c)))"},
      {"a ^ -b", "(^ a (neg b))"},
      {"a ^ -b ^ c", "(^ a (neg (^ b c)))"},
      {"a ^ -b * c", "(* (^ a (neg b)) c)"},
      {"a * -b * c", "(* (* a (neg b)) c)"},
      {"a + -b * c", "(+ a (* (neg b) c))"},
      {"a == -b + c", "(== a (+ (neg b) c))"},
      {"-a + b", "(+ (neg a) b)"},
      {"+a - -b", "(- (pos a) (neg b))"},
      {"a atan2 b * c", "(* (atan2 a b) c)"},
      {"a + b atan2 c", "(+ a (atan2 b c))"},
      {"a or b and c", "(or a (and b c))"},
      {"a and b or c", "(or (and a b) c)"},
      {"a unless b and c", "(and (unless a b) c)"},
      {"a or b unless c", "(or a (unless b c))"},
      {"a > b + c", "(> a (+ b c))"},
      {"a > b and c < d", "(and (> a b) (< c d))"},
      {"a == b != c", "(!= (== a b) c)"},
      {"foo + bar or bla and blub", "(or (+ foo bar) (and bla blub))"},
      {"foo and bar unless baz or qux", "(or (unless (and foo bar) baz) qux)"},
      {"1 + 2/(3*1)", "(+ 1 (/ 2 (paren (* 3 1))))"},
      {"1 < bool 2 - 1 * 2", "(< 1 (- 2 (* 1 2)))"},
      {"+1 + -2 * 1", "(+ 1 (* -2 1))"},
      {"-1^-2", "(neg (^ 1 -2))"},
      {"- - a", "(neg (neg a))"},
      {"-foo offset 5m", "(neg foo offset 5m)"},
      {"a + b offset 1m", "(+ a b offset 1m)"},
      {"a + b @ 1", "(+ a b @ 1.000)"},
      {"sum(a) + b", "(+ (sum a) b)"},
      {"sum(a)[5m:]", "(subquery (sum a))"},
      {"topk(3, a) by (x)", "(topk 3 a)"},
      {"rate(a[5m]) * on(x) group_left rate(b[5m])", "(* (rate a[5m]) (rate b[5m]))"},
  };
  for (const PrintCase& c : cases) {
    ExprPtr e = MustParse(c.input);
    if (e != nullptr) {
      EXPECT_EQ(Dump(*e), c.printed) << c.input;
    }
  }
}

TEST(ParserTest, MoreRejectedInputs) {
  const ErrorCase cases[] = {
      {"sum(foo bar)", "1:9: parse error: unexpected identifier \"bar\" in aggregation"},
      {"sum by (a) foo", "1:12: parse error: unexpected identifier \"foo\" in aggregation"},
      {"sum by (a) (foo) by (b)", "1:18: parse error: unexpected <by>"},
      {"sum(foo) by",
       "1:12: parse error: unexpected end of input in grouping opts, expected \"(\""},
      {"sum(foo) by ()) ", "1:16: parse error: unexpected right parenthesis ')'"},
      {"sum without (a:b) (x)",
       "1:14: parse error: unexpected metric identifier \"a:b\" in grouping opts, expected label"},
      {"sum by (nan) (x)",
       "1:9: parse error: unexpected number \"nan\" in grouping opts, expected label"},
      {"sum by (\"a\") (x)",
       "1:9: parse error: unexpected string \"\\\"a\\\"\" in grouping opts, expected label"},
      {"a + on(b c) d",
       "1:10: parse error: unexpected identifier \"c\" in grouping opts, expected \",\" or \")\""},
      {"a + on(b) group_left(c d) e",
       "1:24: parse error: unexpected identifier \"d\" in grouping opts, expected \",\" or \")\""},
      {"a + on(b) group_left ^ e",
       "1:22: parse error: unexpected <op:^> in grouping opts, expected \"(\""},
      {"a + bool", "1:9: parse error: unexpected end of input"},
      {"a + on", "1:7: parse error: unexpected end of input in grouping opts, expected \"(\""},
      {"foo offset", "1:11: parse error: unexpected end of input in offset, expected duration"},
      {"foo offset -", "1:13: parse error: unexpected end of input in offset, expected duration"},
      {"foo offset +5m", "1:12: parse error: unexpected <op:+> in offset, expected duration"},
      {"foo offset 0s", "1:12: parse error: duration must be greater than 0"},
      {"foo offset -0s", "1:13: parse error: duration must be greater than 0"},
      {"foo @", "1:6: parse error: unexpected end of input in @, expected timestamp"},
      {"foo @ start", "1:12: parse error: unexpected end of input in @, expected timestamp"},
      {"foo @ start(", "1:13: parse error: unclosed left parenthesis"},
      {"foo @ start(1)", "1:13: parse error: unexpected number \"1\" in @, expected timestamp"},
      {"foo @ -", "1:8: parse error: unexpected end of input in @, expected timestamp"},
      {"foo @ 1 @ 2", "1:1: parse error: @ <timestamp> may not be set multiple times"},
      {"foo @ start() @ end()", "1:1: parse error: @ <timestamp> may not be set multiple times"},
      {"foo offset 5m offset 5m", "1:1: parse error: offset may not be set multiple times"},
      {"foo[5m] offset 1m offset 1m", "1:1: parse error: offset may not be set multiple times"},
      {"foo[5m:1m] @ 1 @ 2", "1:1: parse error: @ <timestamp> may not be set multiple times"},
      {"(foo) offset 5m",
       "1:1: parse error: offset modifier must be preceded by an instant vector selector or range "
       "vector selector or a subquery"},
      {"(foo)[5m]", "1:6: parse error: ranges only allowed for vector selectors"},
      {"foo[5m][5m]", "1:8: parse error: ranges only allowed for vector selectors"},
      {"foo[5m 1m]",
       "1:8: parse error: unexpected duration \"1m\" in subquery or range, expected \":\" or "
       "\"]\""},
      {"foo[5m:1m 1m]",
       "1:11: parse error: unexpected duration \"1m\" in subquery selector, expected \"]\""},
      {"foo[5m:1]",
       "1:8: parse error: unexpected number \"1\" in subquery selector, expected duration or "
       "\"]\""},
      {"foo[5m:0s]", "1:8: parse error: duration must be greater than 0"},
      {"foo[5m:5mm]", "1:8: parse error: bad number or duration syntax: \"5mm\""},
      {"rate(foo[5m],)", "1:13: parse error: trailing commas not allowed in function call args"},
      {"rate(foo[5m], *)", "1:13: parse error: trailing commas not allowed in function call args"},
      {"rate(,)", "1:6: parse error: unexpected \",\""},
      {"rate(foo[5m]", "1:13: parse error: unclosed left parenthesis"},
      {"unknown_fn(1)", "1:1: parse error: unknown function with name \"unknown_fn\""},
      {"RATE(foo[5m])", "1:1: parse error: unknown function with name \"RATE\""},
      {"sum{a=\"b\"}(x)", "1:11: parse error: unexpected \"(\""},
      {"foo{a=\"b\"}{c=\"d\"}", "1:11: parse error: unexpected \"{\""},
      {"{a=~\"(\"}", "1:2: parse error: invalid regular expression \"(\": missing ): ("},
      {"foo{a=~\"(\"}", "1:5: parse error: invalid regular expression \"(\": missing ): ("},
      {"{\"a\"=\"b\" \"c\"}",
       "1:10: parse error: unexpected string \"\\\"c\\\"\" in label matching, expected \",\" or "
       "\"}\""},
      {"{a}",
       "1:3: parse error: unexpected \"}\" in label matching, expected label matching operator"},
      {"{a=\"b\" c=\"d\"}",
       "1:8: parse error: unexpected identifier \"c\" in label matching, expected \",\" or \"}\""},
      {"{a=\"b\",,}",
       "1:8: parse error: unexpected \",\" in label matching, expected identifier or \"}\""},
      {"foo and on(a) group_left(b) bar",
       "1:1: parse error: no grouping allowed for \"and\" operation"},
      {"{__name__=\"\"}",
       "1:1: parse error: vector selector must contain at least one non-empty matcher"},
      {"-{}", "1:2: parse error: vector selector must contain at least one non-empty matcher"},
      {"1 + \"a\"",
       "1:5: parse error: binary expression must contain only scalar and instant vector types"},
      {"\"a\" + 1",
       "1:1: parse error: binary expression must contain only scalar and instant vector types"},
      {"foo == bool on(a) bar[5m]",
       "1:19: parse error: binary expression must contain only scalar and instant vector types"},
      {"foo[5m] or bar",
       "1:1: parse error: binary expression must contain only scalar and instant vector types"},
      {"vector(\"a\")",
       "1:8: parse error: expected type scalar in call to function \"vector\", got string"},
      {"vector(foo)",
       "1:8: parse error: expected type scalar in call to function \"vector\", got instant vector"},
      {"label_replace(foo, \"a\", \"b\", \"c\")",
       "1:1: parse error: expected 5 argument(s) in call to \"label_replace\", got 4"},
      {"label_join(foo)",
       "1:1: parse error: expected at least 3 argument(s) in call to \"label_join\", got 1"},
      {"label_join(foo, \"a\", \"b\", \"c\", 1)",
       "1:32: parse error: expected type string in call to function \"label_join\", got scalar"},
      {"sort_by_label(foo, 1)",
       "1:20: parse error: expected type string in call to function \"sort_by_label\", got scalar"},
      {"round(foo, 1, 2)",
       "1:1: parse error: expected at most 2 argument(s) in call to \"round\", got 3"},
      {"histogram_quantile(foo, 0.9)",
       "1:20: parse error: expected type scalar in call to function \"histogram_quantile\", got "
       "instant vector"},
      {"absent_over_time(foo)",
       "1:18: parse error: expected type range vector in call to function \"absent_over_time\", "
       "got instant vector"},
      {"holt_winters(foo[5m], 0.1)",
       "1:1: parse error: expected 3 argument(s) in call to \"holt_winters\", got 2"},
      {"time() + foo[5m]",
       "1:10: parse error: binary expression must contain only scalar and instant vector types"},
      {"quantile(foo, bar)",
       "1:10: parse error: expected type scalar in aggregation parameter, got instant vector"},
      {"count_values(foo, bar)",
       "1:14: parse error: expected type string in aggregation parameter, got instant vector"},
      {"topk(1, foo, bar)",
       "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, "
       "got 3"},
      {"sum(1)",
       "1:5: parse error: expected type instant vector in aggregation expression, got scalar"},
      {"sum(foo, bar)",
       "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 1, "
       "got 2"},
      {"sum()", "1:1: parse error: no arguments for aggregate expression provided"},
      {"count_values(\"x\")",
       "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, "
       "got 1"},
      {"1 < 2", "1:3: parse error: comparisons between scalars must use BOOL modifier"},
      {"1 > bool 2 + 3 < 4",
       "1:16: parse error: comparisons between scalars must use BOOL modifier"},
      {"-(foo[5m])",
       "1:1: parse error: unary expression only allowed on expressions of type scalar or instant "
       "vector, got \"range vector\""},
      {"-\"a\"",
       "1:1: parse error: unary expression only allowed on expressions of type scalar or instant "
       "vector, got \"string\""},
      {"+foo[5m:]",
       "1:1: parse error: unary expression only allowed on expressions of type scalar or instant "
       "vector, got \"range vector\""},
      {"\"a\"[5m:]",
       "1:1: parse error: subquery is only allowed on instant vector, got string instead"},
      {"1[5m:]",
       "1:1: parse error: subquery is only allowed on instant vector, got scalar instead"},
      {"foo @ 1e20",
       "1:1: parse error: timestamp out of bounds for @ modifier: 100000000000000000000.000000"},
      {"foo @ -1e300",
       "1:1: parse error: timestamp out of bounds for @ modifier: "
       "-100000000000000005250476025520442024870446858110815915491585411551180245798890819578637137"
       "5080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830"
       "2337947880900593689532349707999450811190389676408800746527427801424945792587888200568428381"
       "15669472196386865459400540160.000000"},
      {"foo @ 0x",
       "1:7: parse error: error parsing number: strconv.ParseFloat: parsing \"0x\": invalid "
       "syntax"},
      {"foo @ 1e",
       "1:7: parse error: error parsing number: strconv.ParseFloat: parsing \"1e\": invalid "
       "syntax"},
      {"0x1F.8",
       "1:1: parse error: error parsing number: strconv.ParseFloat: parsing \"0x1F.8\": invalid "
       "syntax"},
      {"1e400",
       "1:1: parse error: error parsing number: strconv.ParseFloat: parsing \"1e400\": value out "
       "of range"},
      {"0x",
       "1:1: parse error: error parsing number: strconv.ParseFloat: parsing \"0x\": invalid "
       "syntax"},
      {"@ 5", "1:1: parse error: unexpected \"<Item 57398>\" <op:@>"},
      {"on", "1:1: parse error: unexpected <on>"},
      {"bool", "1:1: parse error: unexpected <bool>"},
      {"group_left", "1:1: parse error: unexpected <group_left>"},
      {"atan2", "1:1: parse error: unexpected <op:atan2>"},
      {"foo atan2", "1:10: parse error: unexpected end of input"},
      {"foo # comment\n bar", "2:2: parse error: unexpected identifier \"bar\""},
      {"foo{__name__=\"foo\"}",
       "1:1: parse error: metric name must not be set twice: \"foo\" or \"foo\""},
      {"foo{__name__=~\"x\"}",
       "1:1: parse error: metric name must not be set twice: \"foo\" or \"x\""},
      {"sum(\n  rate(x[5m]\n  y)", "3:3: parse error: unexpected identifier \"y\" in aggregation"},
      {"foo{\na=~\"(\"}", "2:1: parse error: invalid regular expression \"(\": missing ): ("},
  };
  for (const ErrorCase& c : cases) EXPECT_EQ(ParseErrorText(c.input), c.error) << c.input;
}

TEST(ParserTest, NumberLiterals) {
  struct NumberCase {
    std::string input;
    double value;
  };
  const NumberCase cases[] = {
      {"1", 1},    {".5", 0.5},  {"5.", 5},     {"5e-3", 0.005}, {"5e3", 5000},
      {"0xc", 12}, {"0X1F", 31}, {"0755", 493}, {"-0755", -493}, {"+5.5e-3", 0.0055},
      {"08", 8},   {"1E2", 100}, {"- 1", -1},   {"-+-1", 1},     {"1e-400", 0},
  };
  for (const NumberCase& c : cases) {
    ExprPtr e = MustParse(c.input);
    if (e == nullptr) continue;
    ASSERT_EQ(e->kind(), ExprKind::kNumberLiteral) << c.input;
    EXPECT_EQ(e->As<NumberLiteral>().value, c.value) << c.input;
    EXPECT_EQ(e->Type(), ValueType::kScalar);
  }
  for (std::string_view s : {"Inf", "+inf", "INF"}) {
    EXPECT_EQ(MustParse(s)->As<NumberLiteral>().value, INFINITY) << s;
  }
  EXPECT_EQ(MustParse("-Inf")->As<NumberLiteral>().value, -INFINITY);
  EXPECT_TRUE(std::isnan(MustParse("NaN")->As<NumberLiteral>().value));
  EXPECT_TRUE(std::isnan(MustParse("nan")->As<NumberLiteral>().value));
}

TEST(ParserTest, NumberLiteralPositionIncludesSign) {
  ExprPtr e = MustParse(" -1");
  EXPECT_EQ(e->Position(), (PositionRange{1, 3}));
  ExprPtr b = MustParse("+1 + -2 * 1");
  const auto& add = b->As<BinaryExpr>();
  EXPECT_EQ(add.lhs->Position(), (PositionRange{0, 2}));
  EXPECT_EQ(add.rhs->As<BinaryExpr>().lhs->Position(), (PositionRange{5, 7}));
}

TEST(ParserTest, StringLiterals) {
  struct StringCase {
    std::string input;
    std::string value;
  };
  const StringCase cases[] = {
      {"\"double-quoted string \\\" with escaped quote\"",
       "double-quoted string \" with escaped quote"},
      {"'single-quoted string \\' with escaped quote'",
       "single-quoted string ' with escaped quote"},
      {"`backtick-quoted string`", "backtick-quoted string"},
      {"\"\\a\\b\\f\\n\\r\\t\\v\\\\\\\" - \\xFF\\377\\u1234\\U00010111\\U0001011111☺\"",
       "\a\b\f\n\r\t\v\\\" - \xFF\377\u1234\U00010111\U0001011111☺"},
      {"'\\a\\b\\f\\n\\r\\t\\v\\\\\\' - \\xFF\\377\\u1234\\U00010111\\U0001011111☺'",
       "\a\b\f\n\r\t\v\\' - \xFF\377\u1234\U00010111\U0001011111☺"},
      {"`\\a\\b\\f\\n\\r\\t\\v\\\\\\\"\\' - \\xFF\\377\\u1234\\U00010111\\U0001011111☺`",
       "\\a\\b\\f\\n\\r\\t\\v\\\\\\\"\\' - \\xFF\\377\\u1234\\U00010111\\U0001011111☺"},
  };
  for (const StringCase& c : cases) {
    ExprPtr e = MustParse(c.input);
    if (e == nullptr) continue;
    ASSERT_EQ(e->kind(), ExprKind::kStringLiteral) << c.input;
    EXPECT_EQ(e->As<StringLiteral>().value, c.value) << c.input;
    EXPECT_EQ(e->Type(), ValueType::kString);
    EXPECT_EQ(e->Position(), (PositionRange{0, c.input.size()}));
  }
}

TEST(ParserTest, VectorSelectorFields) {
  ExprPtr e = MustParse("foo{a=\"b\", c!=\"d\", e=~\"f.*\", g!~\"h\"} offset 5m");
  ASSERT_EQ(e->kind(), ExprKind::kVectorSelector);
  const auto& vs = e->As<VectorSelector>();
  EXPECT_EQ(vs.name, "foo");
  ASSERT_EQ(vs.matchers.size(), 5u);
  EXPECT_EQ(vs.matchers[0], model::Matcher::Equal("a", "b"));
  EXPECT_EQ(vs.matchers[1], model::Matcher::NotEqual("c", "d"));
  EXPECT_EQ(vs.matchers[2].type(), model::MatchType::kRegexMatch);
  EXPECT_EQ(vs.matchers[2].value(), "f.*");
  EXPECT_EQ(vs.matchers[3].type(), model::MatchType::kRegexNoMatch);
  EXPECT_EQ(vs.matchers[4], model::Matcher::Equal("__name__", "foo"));  // The name comes last.
  EXPECT_EQ(vs.offset_ms, 300000);
  EXPECT_FALSE(vs.at.IsSet());
  EXPECT_EQ(vs.pos, (PositionRange{0, 46}));
  EXPECT_EQ(vs.Type(), ValueType::kVector);

  ExprPtr inner = MustParse("{'foo\\'bar', 'a\\\\dos\\\\path'='boo\\\\urns'}");
  const auto& vs2 = inner->As<VectorSelector>();
  EXPECT_EQ(vs2.name, "");  // A name inside the braces is only a matcher.
  ASSERT_EQ(vs2.matchers.size(), 2u);
  EXPECT_EQ(vs2.matchers[0], model::Matcher::Equal("__name__", "foo'bar"));
  EXPECT_EQ(vs2.matchers[1], model::Matcher::Equal("a\\dos\\path", "boo\\urns"));
  EXPECT_EQ(vs2.pos, (PositionRange{0, 40}));
}

TEST(ParserTest, OffsetsAndAt) {
  EXPECT_EQ(MustParse("foo offset -7m")->As<VectorSelector>().offset_ms, -420000);
  EXPECT_EQ(MustParse("foo OFFSET 1h30m")->As<VectorSelector>().offset_ms, 5400000);
  EXPECT_EQ(MustParse("foo OFFSET 1m30ms")->As<VectorSelector>().offset_ms, 60030);
  EXPECT_EQ(MustParse("foo offset 5m")->Position(), (PositionRange{0, 13}));

  struct AtCase {
    std::string input;
    int64_t ms;
  };
  const AtCase cases[] = {
      {"foo @ 1603774568", 1603774568000},
      {"foo @ -100", -100000},
      {"foo @ .3", 300},
      {"foo @ 3.", 3000},
      {"foo @ 3.33", 3330},
      {"foo @ 3.3333", 3333},
      {"foo @ 3.3335", 3334},
      {"foo @ 3e2", 300000},
      {"foo @ 3e-1", 300},
      {"foo @ 0xA", 10000},
      {"foo @ -3.3e1", -33000},
      {"foo @ +5", 5000},
  };
  for (const AtCase& c : cases) {
    ExprPtr e = MustParse(c.input);
    if (e == nullptr) continue;
    const AtModifier& at = e->As<VectorSelector>().at;
    EXPECT_EQ(at.kind, AtKind::kTimestamp) << c.input;
    EXPECT_EQ(at.timestamp_ms, c.ms) << c.input;
  }
  EXPECT_EQ(MustParse("foo @ start()")->As<VectorSelector>().at.kind, AtKind::kStart);
  EXPECT_EQ(MustParse("foo @ end()")->As<VectorSelector>().at.kind, AtKind::kEnd);
  EXPECT_EQ(MustParse("foo @ 3.3335")->Position(), (PositionRange{0, 12}));

  // Both orders give the same tree.
  ExprPtr a = MustParse("foo offset 1m @ 123");
  ExprPtr b = MustParse("foo @ 123 offset 1m");
  EXPECT_TRUE(ExprEqual(*a, *b));
  EXPECT_EQ(a->As<VectorSelector>().offset_ms, 60000);
  EXPECT_EQ(a->As<VectorSelector>().at.timestamp_ms, 123000);
}

TEST(ParserTest, MatrixSelector) {
  ExprPtr e = MustParse("test{a=\"b\"}[5y] @ 1603774699 offset 3d");
  ASSERT_EQ(e->kind(), ExprKind::kMatrixSelector);
  const auto& ms = e->As<MatrixSelector>();
  EXPECT_EQ(ms.range_ms, 5LL * 365 * 24 * 3600 * 1000);
  EXPECT_EQ(ms.selector->name, "test");
  EXPECT_EQ(ms.selector->offset_ms, 3LL * 24 * 3600 * 1000);
  EXPECT_EQ(ms.selector->at.timestamp_ms, 1603774699000);
  EXPECT_EQ(ms.Type(), ValueType::kMatrix);
  EXPECT_EQ(ms.Position(), (PositionRange{0, 38}));
  EXPECT_EQ(ms.selector->pos, (PositionRange{0, 11}));

  ExprPtr f = MustParse("foo[5m30s]");
  EXPECT_EQ(f->As<MatrixSelector>().range_ms, 330000);
  EXPECT_EQ(f->Position(), (PositionRange{0, 10}));
}

TEST(ParserTest, Subquery) {
  ExprPtr e = MustParse("min_over_time(rate(foo{bar=\"baz\"}[2s])[5m:] offset 4m)[4m:3s]");
  ASSERT_EQ(e->kind(), ExprKind::kSubquery);
  const auto& outer = e->As<SubqueryExpr>();
  EXPECT_EQ(outer.range_ms, 240000);
  EXPECT_EQ(outer.step_ms, 3000);
  EXPECT_EQ(outer.offset_ms, 0);
  EXPECT_EQ(outer.Position(), (PositionRange{0, 61}));
  const auto& call = outer.expr->As<Call>();
  EXPECT_EQ(call.func, LookupFunction("min_over_time"));
  const auto& inner = call.args[0]->As<SubqueryExpr>();
  EXPECT_EQ(inner.range_ms, 300000);
  EXPECT_EQ(inner.step_ms, 0);  // Default step.
  EXPECT_EQ(inner.offset_ms, 240000);
  EXPECT_EQ(inner.Position(), (PositionRange{14, 53}));

  ExprPtr at = MustParse("(foo + bar{nm=\"val\"} @ 1234)[5m:] @ 1603775019");
  const auto& sq = at->As<SubqueryExpr>();
  EXPECT_EQ(sq.at.timestamp_ms, 1603775019000);
  EXPECT_EQ(sq.expr->kind(), ExprKind::kParen);
  EXPECT_EQ(sq.Type(), ValueType::kMatrix);
}

TEST(ParserTest, BinaryVectorMatching) {
  {
    ExprPtr e = MustParse("foo * on(test,blub) group_left(bar) bar");
    const auto& b = e->As<BinaryExpr>();
    ASSERT_TRUE(b.matching.has_value());
    EXPECT_EQ(b.matching->card, VectorMatchCardinality::kManyToOne);
    EXPECT_TRUE(b.matching->on);
    EXPECT_EQ(b.matching->matching_labels, (std::vector<std::string>{"test", "blub"}));
    EXPECT_EQ(b.matching->include, (std::vector<std::string>{"bar"}));
    EXPECT_FALSE(b.return_bool);
  }
  {
    ExprPtr e = MustParse("foo - ignoring(test,blub) group_right(bar,foo) bar");
    const auto& b = e->As<BinaryExpr>();
    EXPECT_EQ(b.matching->card, VectorMatchCardinality::kOneToMany);
    EXPECT_FALSE(b.matching->on);
    EXPECT_EQ(b.matching->include, (std::vector<std::string>{"bar", "foo"}));
  }
  {
    // Set operators are many-to-many.
    ExprPtr e = MustParse("foo and on() bar");
    const auto& b = e->As<BinaryExpr>();
    EXPECT_EQ(b.matching->card, VectorMatchCardinality::kManyToMany);
    EXPECT_TRUE(b.matching->on);
    EXPECT_TRUE(b.matching->matching_labels.empty());
  }
  {
    // Between two vectors without modifiers: one-to-one, not on.
    ExprPtr e = MustParse("a + sum");
    const auto& b = e->As<BinaryExpr>();
    ASSERT_TRUE(b.matching.has_value());
    EXPECT_EQ(*b.matching, VectorMatching{});
  }
  {
    // Matching is dropped unless both sides are instant vectors.
    ExprPtr e = MustParse("foo == bool 1");
    const auto& b = e->As<BinaryExpr>();
    EXPECT_FALSE(b.matching.has_value());
    EXPECT_TRUE(b.return_bool);
    EXPECT_EQ(b.Type(), ValueType::kVector);
    ExprPtr s = MustParse("1 + on() 2");
    EXPECT_FALSE(s->As<BinaryExpr>().matching.has_value());
    EXPECT_EQ(s->Type(), ValueType::kScalar);
  }
}

TEST(ParserTest, Aggregations) {
  {
    ExprPtr e = MustParse("sum without (foo) (some_metric)");
    const auto& a = e->As<AggregateExpr>();
    EXPECT_EQ(a.op, AggregateOp::kSum);
    EXPECT_TRUE(a.without);
    EXPECT_EQ(a.grouping, (std::vector<std::string>{"foo"}));
    EXPECT_EQ(a.param, nullptr);
    EXPECT_EQ(a.pos, (PositionRange{0, 31}));
  }
  {
    ExprPtr e = MustParse("sum (some_metric) without (foo)");
    EXPECT_TRUE(e->As<AggregateExpr>().without);
    EXPECT_EQ(e->Position(), (PositionRange{0, 31}));
  }
  {
    ExprPtr e = MustParse("topk(5, some_metric)");
    const auto& a = e->As<AggregateExpr>();
    EXPECT_EQ(a.op, AggregateOp::kTopk);
    ASSERT_NE(a.param, nullptr);
    EXPECT_EQ(a.param->As<NumberLiteral>().value, 5);
    EXPECT_EQ(a.expr->As<VectorSelector>().name, "some_metric");
  }
  {
    ExprPtr e = MustParse("count_values(\"value\", some_metric)");
    EXPECT_EQ(e->As<AggregateExpr>().param->As<StringLiteral>().value, "value");
  }
  {
    ExprPtr e = MustParse("sum by ()(some_metric)");
    EXPECT_TRUE(e->As<AggregateExpr>().grouping.empty());
    EXPECT_FALSE(e->As<AggregateExpr>().without);
  }
  const std::pair<std::string, AggregateOp> ops[] = {
      {"sum", AggregateOp::kSum},       {"avg", AggregateOp::kAvg},
      {"count", AggregateOp::kCount},   {"min", AggregateOp::kMin},
      {"max", AggregateOp::kMax},       {"group", AggregateOp::kGroup},
      {"stddev", AggregateOp::kStddev}, {"stdvar", AggregateOp::kStdvar},
  };
  for (const auto& [name, op] : ops) {
    ExprPtr e = MustParse(name + "(x)");
    EXPECT_EQ(e->As<AggregateExpr>().op, op) << name;
    EXPECT_FALSE(AggregateOpTakesParam(op));
  }
  EXPECT_EQ(MustParse("bottomk(1, x)")->As<AggregateExpr>().op, AggregateOp::kBottomk);
  EXPECT_EQ(MustParse("quantile(0.5, x)")->As<AggregateExpr>().op, AggregateOp::kQuantile);
}

TEST(ParserTest, Calls) {
  ExprPtr e = MustParse("round(some_metric, 5)");
  const auto& c = e->As<Call>();
  EXPECT_EQ(c.func->name, "round");
  ASSERT_EQ(c.args.size(), 2u);
  EXPECT_EQ(c.Type(), ValueType::kVector);
  EXPECT_EQ(c.pos, (PositionRange{0, 21}));
  EXPECT_EQ(MustParse("time()")->Type(), ValueType::kScalar);
  EXPECT_TRUE(MustParse("time()")->As<Call>().args.empty());
  EXPECT_EQ(MustParse("scalar(x)")->Type(), ValueType::kScalar);
}

TEST(ParserTest, EmptyIgnoringIsNotPrinted) {
  // Prometheus quirk kept: `ignoring()` with no labels prints as nothing, dropping group_left.
  ExprPtr e = MustParse("a * ignoring() group_left b");
  EXPECT_EQ(e->As<BinaryExpr>().matching->card, VectorMatchCardinality::kManyToOne);
  EXPECT_EQ(ExprToString(*e), "a * b");
}

TEST(ParserTest, ParenAndUnaryPositions) {
  ExprPtr e = MustParse(" +some_metric");
  const auto& u = e->As<UnaryExpr>();
  EXPECT_EQ(u.op, UnaryOp::kAdd);
  EXPECT_EQ(u.Position(), (PositionRange{1, 13}));
  ExprPtr p = MustParse("((foo))");
  EXPECT_EQ(p->Position(), (PositionRange{0, 7}));
  EXPECT_EQ(p->As<ParenExpr>().expr->Position(), (PositionRange{1, 6}));
  EXPECT_EQ(p->Type(), ValueType::kVector);
}

TEST(ParserTest, ExperimentalFunctionsOption) {
  ParseOptions off;
  off.enable_experimental_functions = false;
  EXPECT_EQ(ParseErrorText("sort_by_label(x, \"a\")", off),
            "1:1: parse error: function \"sort_by_label\" is not enabled");
  EXPECT_EQ(ParseErrorText("1 + mad_over_time(x[5m])", off),
            "1:5: parse error: function \"mad_over_time\" is not enabled");
  EXPECT_EQ(ParseErrorText("rate(x[5m])", off), "OK: rate(x[5m])");
  EXPECT_EQ(ParseErrorText("sort_by_label_desc(x)"), "OK: sort_by_label_desc(x)");
}

TEST(ParserTest, DeepInputIsRejectedNotCrashing) {
  ParseOptions options;
  options.max_depth = 50;
  const std::string parens = std::string(60, '(') + "1" + std::string(60, ')');
  EXPECT_THAT(ParseErrorText(parens, options), HasSubstr("expression nesting exceeds 50 levels"));
  std::string chain = "a";
  for (int i = 0; i < 60; ++i) chain += " + a";
  EXPECT_THAT(ParseErrorText(chain, options), HasSubstr("expression nesting exceeds 50 levels"));
  EXPECT_THAT(ParseErrorText(std::string(60, '-') + "1", options),
              HasSubstr("expression nesting exceeds 50 levels"));
  std::string subqueries = "a";
  for (int i = 0; i < 60; ++i) subqueries += "[1m:]";
  EXPECT_THAT(ParseErrorText("count_over_time(" + subqueries + ")", options),
              HasSubstr("expression nesting exceeds 50 levels"));

  // Input just within the default limit parses, type-checks, prints and is destroyed without
  // exhausting the stack (this also runs in the sanitizer builds), and deeper input fails cleanly.
  std::string ors = "a";
  for (int i = 0; i < 990; ++i) ors += " or a";
  std::string calls;
  for (int i = 0; i < 490; ++i) calls += "abs(";
  calls += "x";
  calls.append(490, ')');
  for (const std::string& input :
       {ors, calls, std::string(990, '(') + "x" + std::string(990, ')'),
        std::string(990, '-') + "1", "sum(" + std::string(980, '-') + "x)"}) {
    Result<ExprPtr> r = ParseExpr(input);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_FALSE(ExprToString(**r).empty());
    EXPECT_TRUE(ExprEqual(**r, *CloneExpr(**r)));
  }
  std::string deep = std::string(100000, '(') + "1" + std::string(100000, ')');
  EXPECT_THAT(ParseErrorText(deep), HasSubstr("expression nesting exceeds 1000 levels"));
  EXPECT_THAT(ParseErrorText(std::string(100000, '-') + "1"),
              HasSubstr("expression nesting exceeds 1000 levels"));
}

// parse_test.go: the first error of a long input is reported without re-rendering it.
TEST(ParserTest, FirstErrorOfLongInput) {
  std::string input = "(";
  for (int i = 0; i < 400; ++i) input += "-{}-1";
  input += ")";
  for (int i = 0; i < 100; ++i) input += "[1m:]";
  EXPECT_EQ(ParseErrorText(input),
            "1:3: parse error: vector selector must contain at least one non-empty matcher");
}

TEST(ParserTest, SeriesSelectors) {
  {
    Result<model::Matchers> r = ParseSeriesSelector("up{job=\"api\", code=~\"5..\"}");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->size(), 3u);
    EXPECT_EQ((*r)[0], model::Matcher::Equal("job", "api"));
    EXPECT_EQ((*r)[1].type(), model::MatchType::kRegexMatch);
    EXPECT_EQ((*r)[2], model::Matcher::Equal("__name__", "up"));
  }
  {
    Result<model::Matchers> r = ParseSeriesSelector("{__name__=~\"http_.*\", job!=\"\"}");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->size(), 2u);
  }
  {
    Result<model::Matchers> r = ParseSeriesSelector("sum");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, model::Matchers{model::Matcher::Equal("__name__", "sum")});
  }
  {
    // Like Prometheus' ParseMetricSelector, no non-empty matcher is required here.
    Result<model::Matchers> r = ParseSeriesSelector("{}");
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->empty());
  }
  const ErrorCase errors[] = {
      {"", "unknown position: parse error: unexpected end of input"},
      {"up[5m]", "1:3: parse error: unexpected \"[\""},
      {"up offset 5m", "1:4: parse error: unexpected <offset>"},
      {"up @ 1", "1:4: parse error: unexpected \"<Item 57398>\" <op:@>"},
      {"sum(up)", "1:4: parse error: unexpected \"(\""},
      {"rate(up[5m])", "1:5: parse error: unexpected \"(\""},
      {"up + 1", "1:4: parse error: unexpected <op:+>"},
      {"1", "1:1: parse error: unexpected number \"1\""},
      {"up{job=}", "1:8: parse error: unexpected \"}\" in label matching, expected string"},
      {"up{job=~\"(\"}", "1:4: parse error: invalid regular expression \"(\": missing ): ("},
      {"{", "1:2: parse error: unexpected end of input inside braces"},
  };
  for (const ErrorCase& c : errors) {
    Result<model::Matchers> r = ParseSeriesSelector(c.input);
    ASSERT_FALSE(r.ok()) << c.input;
    EXPECT_EQ(r.status().message(), c.error) << c.input;
  }
}

TEST(ParserTest, CloneIsDeepAndEqual) {
  const char* inputs[] = {
      "sum by (a) (rate(x{b=~\"c\"}[5m] offset 1m)) / on(a) group_left(d) count(y) > bool 2",
      "topk(3, -x @ start())",
      "(a or b)[1h:5m] @ end() offset -1m",
      "label_join(x, \"a\", \"b\")",
  };
  for (const char* input : inputs) {
    ExprPtr e = MustParse(input);
    ExprPtr copy = CloneExpr(*e);
    EXPECT_TRUE(ExprEqual(*e, *copy)) << input;
    EXPECT_EQ(ExprToString(*e), ExprToString(*copy));
    EXPECT_EQ(e->Position(), copy->Position());
  }
  EXPECT_FALSE(ExprEqual(*MustParse("a + b"), *MustParse("a - b")));
  EXPECT_FALSE(ExprEqual(*MustParse("a offset 1m"), *MustParse("a offset 2m")));
  EXPECT_FALSE(ExprEqual(*MustParse("sum(a)"), *MustParse("sum by (x) (a)")));
  EXPECT_TRUE(ExprEqual(*MustParse("NaN"), *MustParse("nan")));
}

}  // namespace
}  // namespace strata::query
