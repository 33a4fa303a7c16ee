// Canonical printing, ported from Prometheus v2.53 promql/parser/printer_test.go, plus Go float
// and duration formatting and hand-built trees.
#include "query/printer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "query/parser.h"

namespace strata::query {
namespace {

struct PrintCase {
  std::string in;
  std::string out;  // Empty: same as `in`.
};

std::string Reprint(std::string_view input) {
  Result<ExprPtr> r = ParseExpr(input);
  if (!r.ok()) return "ERROR: " + r.status().ToString();
  return ExprToString(**r);
}

TEST(PrinterTest, PrometheusExprString) {
  const PrintCase cases[] = {
      {"sum by() (task:errors:rate10s{job=\"s\"})", "sum(task:errors:rate10s{job=\"s\"})"},
      {"sum by(code) (task:errors:rate10s{job=\"s\"})",
       "sum by (code) (task:errors:rate10s{job=\"s\"})"},
      {"sum without() (task:errors:rate10s{job=\"s\"})",
       "sum without () (task:errors:rate10s{job=\"s\"})"},
      {"sum without(instance) (task:errors:rate10s{job=\"s\"})",
       "sum without (instance) (task:errors:rate10s{job=\"s\"})"},
      {"topk(5, task:errors:rate10s{job=\"s\"})", ""},
      {"count_values(\"value\", task:errors:rate10s{job=\"s\"})", ""},
      {"a - on() c", "a - on () c"},
      {"a - on(b) c", "a - on (b) c"},
      {"a - on(b) group_left(x) c", "a - on (b) group_left (x) c"},
      {"a - on(b) group_left(x, y) c", "a - on (b) group_left (x, y) c"},
      {"a - on(b) group_left c", "a - on (b) group_left () c"},
      {"a - on(b) group_left() (c)", "a - on (b) group_left () (c)"},
      {"a - ignoring(b) c", "a - ignoring (b) c"},
      {"a - ignoring() c", "a - c"},
      {"up > bool 0", ""},
      {"a offset 1m", ""},
      {"a offset -7m", ""},
      {"a{c=\"d\"}[5m] offset 1m", ""},
      {"a[5m] offset 1m", ""},
      {"a[12m] offset -3m", ""},
      {"a[1h:5m] offset 1m", ""},
      {"{__name__=\"a\"}", ""},
      {"a{b!=\"c\"}[1m]", ""},
      {"a{b=~\"c\"}[1m]", ""},
      {"a{b!~\"c\"}[1m]", ""},
      {"a @ 10", "a @ 10.000"},
      {"a[1m] @ 10", "a[1m] @ 10.000"},
      {"a @ start()", ""},
      {"a @ end()", ""},
      {"a[1m] @ start()", ""},
      {"a[1m] @ end()", ""},
      {"{__name__=\"\",a=\"x\"}", ""},
      {"{\"a.b\"=\"c\"}", ""},
      {"{\"0\"=\"1\"}", ""},
      {"{\"_0\"=\"1\"}", "{_0=\"1\"}"},
  };
  for (const PrintCase& c : cases) {
    EXPECT_EQ(Reprint(c.in), c.out.empty() ? c.in : c.out) << c.in;
  }
}

TEST(PrinterTest, SelectorsSortMatchersAndHideTheNameMatcher) {
  const PrintCase cases[] = {
      {"foo{b=\"1\", a=\"2\"}", "foo{a=\"2\",b=\"1\"}"},
      {"{a=\"b\", foo!=\"bar\", \"foo\", test=~\"test\", bar!~\"baz\"}",
       "{__name__=\"foo\",a=\"b\",bar!~\"baz\",foo!=\"bar\",test=~\"test\"}"},
      {"{__name__=~\"x\", a=\"b\"}", "{__name__=~\"x\",a=\"b\"}"},
      {"{__name__=\"foo\"}", "{__name__=\"foo\"}"},
      {"foo{a=\"\\n\\\"\\\\\"}", "foo{a=\"\\n\\\"\\\\\"}"},
      {"foo{a='it\\'s'}", "foo{a=\"it's\"}"},
      {"foo{a=`raw\\n`}", "foo{a=\"raw\\\\n\"}"},
      {"foo:bar:baz", ""},
  };
  for (const PrintCase& c : cases) {
    EXPECT_EQ(Reprint(c.in), c.out.empty() ? c.in : c.out) << c.in;
  }
}

TEST(PrinterTest, NumbersPrintLikeGo) {
  const PrintCase cases[] = {
      {"1", ""},
      {"1.5", ""},
      {"-1.5", ""},
      {"0.1", ""},
      {"100000", ""},
      {"1000000", "1e+06"},
      {"1234567", "1.234567e+06"},
      {"123456.7", ""},
      {"0.0001", ""},
      {"0.00001", "1e-05"},
      {"0.000123", "0.000123"},
      {"0.0000123", "1.23e-05"},
      {"1e100", "1e+100"},
      {"1.7976931348623157e308", "1.7976931348623157e+308"},
      {"5e-324", "5e-324"},
      {"0x10", "16"},
      {"Inf", "+Inf"},
      {"-inf", "-Inf"},
      {"NaN", "NaN"},
      {"-0", "-0"},
      {"0.30000000000000004", ""},
      {"9007199254740993", "9.007199254740992e+15"},
  };
  for (const PrintCase& c : cases) {
    EXPECT_EQ(Reprint(c.in), c.out.empty() ? c.in : c.out) << c.in;
  }
}

TEST(PrinterTest, DurationsPrintLikePrometheus) {
  const PrintCase cases[] = {
      {"x[1s]", ""},           {"x[60s]", "x[1m]"},
      {"x[90s]", "x[1m30s]"},  {"x[1500ms]", "x[1s500ms]"},
      {"x[7d]", "x[1w]"},      {"x[8d]", "x[8d]"},
      {"x[90d]", "x[90d]"},    {"x[365d]", "x[1y]"},
      {"x[366d]", "x[366d]"},  {"x[2y]", ""},
      {"x[1y2w]", "x[379d]"},  {"x[1w1d]", "x[8d]"},
      {"x[25h]", "x[1d1h]"},   {"x[1h0m]", "x[1h]"},
      {"x[1m:10s]", ""},       {"x[5m:] offset 1w", ""},
      {"x offset -1h1ms", ""},
  };
  for (const PrintCase& c : cases) {
    EXPECT_EQ(Reprint(c.in), c.out.empty() ? c.in : c.out) << c.in;
  }
}

TEST(PrinterTest, CompositeExpressions) {
  const PrintCase cases[] = {
      {"sum by (job) (rate(http_requests_total{job=\"api\"}[5m]))", ""},
      {"sum(rate(x[5m])) by (job)", "sum by (job) (rate(x[5m]))"},
      {"SUM(x) BY (a, b)", "sum by (a, b) (x)"},
      {"-(a + b) * c", ""},
      {"(a + b) * c", ""},
      {"a + (b * c)", ""},
      {"2 ^ 3 ^ 2", ""},
      {"(2 ^ 3) ^ 2", ""},
      {"-2 ^ 2", ""},
      {"a or b and c", ""},
      {"histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))", ""},
      {"max_over_time(rate(x[1m])[10m:30s] @ 100 offset 5m)",
       "max_over_time(rate(x[1m])[10m:30s] @ 100.000 offset 5m)"},
      {"label_replace(x, \"dst\", \"$1\", \"src\", \"(.*)\")", ""},
      {"count_values without (a) (\"v\", x)", ""},
      {"quantile(0.5, x)", ""},
      {"\"a string\"", ""},
      {"'single'", "\"single\""},
      {"vector(1) + on() group_left vector(2)", "vector(1) + on () group_left () vector(2)"},
  };
  for (const PrintCase& c : cases) {
    EXPECT_EQ(Reprint(c.in), c.out.empty() ? c.in : c.out) << c.in;
  }
}

// Found by tests/fuzz/promql_fuzz: "Inf ^ 2" printed as "+Inf ^ 2", which parses as +(Inf ^ 2)
// (a sign binds looser than `^`) and then printed as "++Inf ^ 2".
TEST(PrinterTest, InfinityLeftOfPowerReparsesToTheSameTree) {
  const PrintCase cases[] = {
      {"Inf ^ 2", ""},
      {"+Inf ^ 2", ""},  // +(Inf ^ 2)
      {"-Inf ^ 2", ""},
      {"+ Inf ^ - F", "+Inf ^ -F"},
      {"x * Inf ^ 2 ^ Inf", "x * Inf ^ 2 ^ +Inf"},
      {"(+Inf) ^ 2", ""},
      {"2 ^ Inf", "2 ^ +Inf"},
  };
  for (const PrintCase& c : cases) {
    std::string printed = Reprint(c.in);
    EXPECT_EQ(printed, c.out.empty() ? c.in : c.out) << c.in;
    EXPECT_EQ(Reprint(printed), printed) << c.in;
  }
}

TEST(PrinterTest, HandBuiltTree) {
  // sum without (instance) (rate(up{job="a"}[5m] @ end())) > bool 1
  auto vs = std::make_unique<VectorSelector>();
  vs->name = "up";
  vs->matchers = {model::Matcher::Equal("job", "a"), model::Matcher::Equal("__name__", "up")};
  vs->at = AtModifier{AtKind::kEnd, 0};
  auto ms = std::make_unique<MatrixSelector>();
  ms->selector = std::move(vs);
  ms->range_ms = 300000;
  auto call = std::make_unique<Call>();
  call->func = LookupFunction("rate");
  call->args.push_back(std::move(ms));
  auto agg = std::make_unique<AggregateExpr>();
  agg->op = AggregateOp::kSum;
  agg->without = true;
  agg->grouping = {"instance"};
  agg->expr = std::move(call);
  auto cmp = std::make_unique<BinaryExpr>();
  cmp->op = BinaryOp::kGreater;
  cmp->return_bool = true;
  cmp->lhs = std::move(agg);
  cmp->rhs = std::make_unique<NumberLiteral>(1, PositionRange{});
  EXPECT_EQ(ExprToString(*cmp),
            "sum without (instance) (rate(up{job=\"a\"}[5m] @ end())) > bool 1");
  EXPECT_EQ(cmp->Type(), ValueType::kVector);

  auto neg_ts = std::make_unique<VectorSelector>();
  neg_ts->name = "x";
  neg_ts->at = AtModifier{AtKind::kTimestamp, -1500};
  neg_ts->offset_ms = -60000;
  EXPECT_EQ(ExprToString(*neg_ts), "x @ -1.500 offset -1m");
  EXPECT_EQ(ExprToString(StringLiteral("tab\there \xff", {})), "\"tab\\there \\xff\"");
  EXPECT_EQ(ExprToString(NumberLiteral(std::numeric_limits<double>::quiet_NaN(), {})), "NaN");
}

}  // namespace
}  // namespace strata::query
