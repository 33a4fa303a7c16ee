// The query benchmark's report helpers and the JSON line scripts parse (tools/bench/lib.sh
// json_get reads "key":value pairs from it).
#include "bench/lib/query_report.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace strata::bench {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(QueryReportTest, NumberFormats) {
  EXPECT_TRUE(std::isnan(Median({})));
  EXPECT_EQ(Median({3, 1, 2}), 2);
  EXPECT_EQ(Median({4, 1, 3, 2}), 2.5);
  EXPECT_TRUE(std::isnan(Mean({})));
  EXPECT_EQ(Mean({1, 2, 6}), 3);
  EXPECT_EQ(Ms(kNaN), "n/a");
  EXPECT_EQ(Ms(1.234), "1.23");
  EXPECT_EQ(Ms(12.34), "12.3");
  EXPECT_EQ(Ms(123.4), "123");
  EXPECT_EQ(Ratio(1, 4), "0.25");
  EXPECT_EQ(Ratio(1, 0), "n/a");
  EXPECT_EQ(Ratio(kNaN, 1), "n/a");
  EXPECT_EQ(RelText(0), "0");
  EXPECT_EQ(RelText(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(RelText(0.012345), "0.012");
  EXPECT_EQ(JsonNumber(kNaN), "null");
  EXPECT_EQ(JsonNumber(std::numeric_limits<double>::infinity()), "1e+308");
  EXPECT_EQ(JsonNumber(1.5), "1.5");
}

TEST(QueryReportTest, MdCodeEscapesPipes) {
  EXPECT_EQ(MdCode("rate(x{a=~\"b|c\"}[5m])"), "`rate(x{a=~\"b\\|c\"}[5m])`");
}

TEST(QueryReportTest, ResolutionsFromInfos) {
  EXPECT_EQ(Resolutions({}), "-");
  EXPECT_EQ(Resolutions({"data at 5m resolution used for [1, 2]", "data at 1h resolution used",
                         "data at 5m resolution used for [3, 4]", "something else",
                         " resolution at the start"}),
            "5m,1h");
}

QueryReport Report(const std::string& expr, std::vector<std::vector<double>> ms, bool same) {
  QueryReport r;
  r.expr = expr;
  r.ms = std::move(ms);
  r.cpu_ms.resize(r.ms.size());
  r.first.resize(r.ms.size());
  for (QueryResult& q : r.first) {
    q.ok = true;
    q.series.resize(1);
    q.points = 3;
    q.bytes = 2048;
  }
  r.compared = true;
  r.cmp.same = same;
  return r;
}

TEST(QueryReportTest, TwoWayTableAndJsonLine) {
  const std::vector<std::string> servers = {"Strata", "Prometheus"};
  const std::vector<QueryReport> reports = {Report("up", {{1, 3}, {4, 4}}, true),
                                            Report("a|b", {{10}, {10}}, false)};
  ReportSettings o;
  int met = 0, timed = 0;
  const std::string md = MarkdownReport(servers, reports, o, &met, &timed);
  EXPECT_EQ(met, 1);  // 2 / 4 <= 0.5.
  EXPECT_EQ(timed, 2);
  EXPECT_NE(md.find("| `up` | 2.00 | 4.00 | 0.50 | yes |\n"), std::string::npos) << md;
  EXPECT_NE(md.find("| `a\\|b` | 10.0 | 10.0 | 1.00 | **no** |\n"), std::string::npos) << md;
  EXPECT_NE(md.find("met by 1 of 2 queries"), std::string::npos);
  EXPECT_NE(md.find("  - Strata: 1 series, 3 points, 2.0 KiB JSON; runs: 1.00 3.00\n"),
            std::string::npos)
      << md;
  EXPECT_EQ(md.find("CPU"), std::string::npos);  // Only with settings.cpu.
  const std::string json = JsonReport(servers, reports, false, met, timed);
  EXPECT_EQ(json,
            "{\"tool\":\"query_bench\",\"phase\":\"query\",\"ok\":false,\"met\":1,\"timed\":2,"
            "\"queries\":[{\"strata_ms\":2.000,\"prometheus_ms\":4.000,\"same\":true,"
            "\"strata_error\":\"\",\"prometheus_error\":\"\",\"query\":\"up\"},"
            "{\"strata_ms\":10.000,\"prometheus_ms\":10.000,\"same\":false,\"strata_error\":\"\","
            "\"prometheus_error\":\"\",\"query\":\"a|b\"}]}\n");
}

}  // namespace
}  // namespace strata::bench
