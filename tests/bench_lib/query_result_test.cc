// Parsing Prometheus API answers and comparing two of them, as query_bench_driver query does.
#include "bench/lib/query_result.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace strata::bench {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

QueryResult Matrix(const std::string& result, const std::string& extra = "") {
  return ParseQueryResponse(200, R"({"status":"success","data":{"resultType":"matrix","result":)" +
                                     result + "}" + extra + "}");
}

TEST(ParseQueryResponseTest, MatrixSortedByCanonicalLabels) {
  const QueryResult r =
      Matrix(R"([{"metric":{"job":"b","__name__":"up"},"values":[[1.5,"1"],[3,"NaN"]]},)"
             R"({"metric":{"job":"a"},"values":[[1700000000.123,"+Inf"],[1700000001,"-Inf"]]}])",
             R"(,"infos":["data at 5m resolution used"],"warnings":["w1","w2"])");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.result_type, "matrix");
  ASSERT_EQ(r.series.size(), 2u);
  // Canonical text order: "{__name__" sorts before "{job" ('_' < 'j').
  EXPECT_EQ(r.series[0].labels, "{__name__=\"up\", job=\"b\"}");
  EXPECT_EQ(r.series[1].labels, "{job=\"a\"}");
  EXPECT_EQ(r.series[1].t_ms, (std::vector<int64_t>{1700000000123, 1700000001000}));
  EXPECT_EQ(r.series[1].v[0], kInf);
  EXPECT_EQ(r.series[1].v[1], -kInf);
  EXPECT_EQ(r.series[0].t_ms, (std::vector<int64_t>{1500, 3000}));
  EXPECT_TRUE(std::isnan(r.series[0].v[1]));
  EXPECT_EQ(r.points, 4);
  EXPECT_EQ(r.infos, std::vector<std::string>{"data at 5m resolution used"});
  EXPECT_EQ(r.warnings.size(), 2u);
}

TEST(ParseQueryResponseTest, VectorAndScalar) {
  const QueryResult v =
      ParseQueryResponse(200, R"({"status":"success","data":{"resultType":"vector","result":[)"
                              R"({"metric":{},"value":[10,"2.5"]}]}})");
  ASSERT_TRUE(v.ok) << v.error;
  ASSERT_EQ(v.series.size(), 1u);
  EXPECT_EQ(v.series[0].labels, "{}");
  EXPECT_EQ(v.series[0].v[0], 2.5);
  const QueryResult s = ParseQueryResponse(
      200, R"({"status":"success","data":{"resultType":"scalar","result":[10,"-0.5e1"]}})");
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(s.series[0].labels, "scalar");
  EXPECT_EQ(s.series[0].t_ms[0], 10000);
  EXPECT_EQ(s.series[0].v[0], -5);
}

TEST(ParseQueryResponseTest, Errors) {
  EXPECT_EQ(ParseQueryResponse(0, "", "transport: reset").error, "transport: reset");
  const QueryResult bad_json = ParseQueryResponse(200, "{\"status\":");
  EXPECT_FALSE(bad_json.ok);
  EXPECT_NE(bad_json.error.find("invalid JSON"), std::string::npos) << bad_json.error;
  const QueryResult api_error = ParseQueryResponse(
      400, R"({"status":"error","errorType":"bad_data","error":"parse error: x"})");
  EXPECT_EQ(api_error.error, "HTTP 400: parse error: x");
  const QueryResult not_success = ParseQueryResponse(200, R"({"status":"error"})");
  EXPECT_FALSE(not_success.ok);
  EXPECT_FALSE(ParseQueryResponse(200, R"({"status":"success","data":{}})").ok);
  EXPECT_FALSE(ParseQueryResponse(
                   200, R"({"status":"success","data":{"resultType":"string","result":[1,"x"]}})")
                   .ok);
  for (const char* result :
       {R"({})", R"([{"values":[]}])", R"([{"metric":{},"values":[[1]]}])",
        R"([{"metric":{},"values":[[1,2]]}])", R"([{"metric":{},"values":[["1","2"]]}])",
        R"([{"metric":{},"values":[[1,"2x"]]}])", R"([{"metric":{},"values":[[1,""]]}])"}) {
    const QueryResult r = Matrix(result);
    EXPECT_FALSE(r.ok) << result;
    EXPECT_NE(r.error.find("malformed matrix result"), std::string::npos) << r.error;
  }
  EXPECT_FALSE(Matrix("[]", R"(,"infos":{})").ok);
}

TEST(CompareTest, SameAnswerWithinTolerance) {
  const QueryResult a = Matrix(R"([{"metric":{"a":"1"},"values":[[1,"1"],[2,"NaN"]]}])");
  const QueryResult b = Matrix(R"([{"metric":{"a":"1"},"values":[[1,"1.0000001"],[2,"NaN"]]}])");
  const Comparison c = Compare(a, b, Tolerance{1e-6, 0});
  EXPECT_TRUE(c.same);
  EXPECT_EQ(c.matched_points, 2);
  EXPECT_NEAR(c.max_rel, 1e-7, 1e-12);
  EXPECT_FALSE(Compare(a, b, Tolerance{1e-9, 0}).same);
  EXPECT_TRUE(Compare(a, b, Tolerance{0, 1e-6}).same);  // Absolute tolerance alone.
}

TEST(CompareTest, CountsEveryKindOfDifference) {
  const QueryResult a = Matrix(R"([{"metric":{"s":"both"},"values":[[1,"1"],[2,"2"],[3,"3"]]},)"
                               R"({"metric":{"s":"only_a"},"values":[[1,"1"]]}])");
  const QueryResult b = Matrix(R"([{"metric":{"s":"both"},"values":[[2,"2.5"],[3,"NaN"],[4,"4"]]},)"
                               R"({"metric":{"s":"only_b"},"values":[[1,"1"],[2,"1"]]}])");
  const Comparison c = Compare(a, b, Tolerance{}, "A", "B");
  EXPECT_FALSE(c.same);
  EXPECT_EQ(c.only_a, 1);
  EXPECT_EQ(c.only_b, 1);
  EXPECT_EQ(c.differing_series, 1);
  EXPECT_EQ(c.differing_points, 4);  // t=1 only in A, 2 off, 3 NaN vs 3, t=4 only in B.
  EXPECT_EQ(c.matched_points, 2);
  EXPECT_EQ(c.points_only_a, 2);  // t=1 of "both" and the series only in A.
  EXPECT_EQ(c.points_only_b, 3);
  EXPECT_EQ(c.max_rel, kInf);  // NaN against a number.
  ASSERT_EQ(c.examples.size(), 3u);
  EXPECT_EQ(c.examples[0],
            "series {s=\"both\"}: 4 differing points; first t=1.000: only A has a point (1)");
  EXPECT_EQ(c.examples[1], "series {s=\"only_a\"} only in A (1 points, first at t=1.000)");
}

TEST(CompareTest, ResultTypeMismatch) {
  const QueryResult m = Matrix("[]");
  QueryResult v = m;
  v.result_type = "vector";
  const Comparison c = Compare(m, v, Tolerance{});
  EXPECT_FALSE(c.same);
  EXPECT_EQ(c.examples[0], "result type: Strata matrix, Prometheus vector");
}

TEST(ValueComparisonTest, EdgeCases) {
  const Tolerance tol{1e-6, 0};
  EXPECT_TRUE(SameValue(kNaN, kNaN, tol));
  EXPECT_FALSE(SameValue(kNaN, 1, tol));
  EXPECT_TRUE(SameValue(kInf, kInf, tol));
  EXPECT_FALSE(SameValue(kInf, -kInf, tol));
  EXPECT_FALSE(SameValue(kInf, 1e308, tol));
  EXPECT_TRUE(SameValue(0.0, -0.0, tol));
  EXPECT_EQ(RelDiff(kNaN, kNaN, tol), 0);
  EXPECT_EQ(RelDiff(kNaN, 0, tol), kInf);
  EXPECT_EQ(RelDiff(kInf, 1, tol), kInf);
  EXPECT_DOUBLE_EQ(RelDiff(1, 2, tol), 0.5);
  EXPECT_EQ(RelDiff(1, 2, Tolerance{0, 1}), 0);
}

TEST(FormatTest, TimesAndValues) {
  EXPECT_EQ(FormatTime(1700000000123), "1700000000.123");
  EXPECT_EQ(FormatTime(5), "0.005");
  EXPECT_EQ(FormatValue(0.1), "0.10000000000000001");
  EXPECT_EQ(FormatValue(-2), "-2");
}

}  // namespace
}  // namespace strata::bench
