// The function table against Prometheus v2.53 promql/parser/functions.go.
#include "query/functions.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace strata::query {
namespace {

using V = ValueType;

TEST(FunctionsTest, TableIsSortedAndComplete) {
  std::span<const Function> all = AllFunctions();
  EXPECT_EQ(all.size(), 76u);  // Every function Prometheus 2.53 knows.
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end(),
                             [](const Function& a, const Function& b) { return a.name < b.name; }));
  for (const Function& f : all) {
    EXPECT_EQ(LookupFunction(f.name), &f) << f.name;
    EXPECT_TRUE(f.return_type == V::kVector || f.return_type == V::kScalar) << f.name;
    if (f.variadic != 0) {
      EXPECT_FALSE(f.arg_types.empty()) << f.name;
    }
  }
}

TEST(FunctionsTest, Lookup) {
  EXPECT_EQ(LookupFunction("nope"), nullptr);
  EXPECT_EQ(LookupFunction(""), nullptr);
  EXPECT_EQ(LookupFunction("RATE"), nullptr);  // Case-sensitive, as in Prometheus.
  EXPECT_EQ(LookupFunction("sum"), nullptr);   // Aggregations are not functions.
  for (const char* name : {"abs",
                           "absent",
                           "absent_over_time",
                           "acos",
                           "acosh",
                           "asin",
                           "asinh",
                           "atan",
                           "atanh",
                           "avg_over_time",
                           "ceil",
                           "changes",
                           "clamp",
                           "clamp_max",
                           "clamp_min",
                           "cos",
                           "cosh",
                           "count_over_time",
                           "days_in_month",
                           "day_of_month",
                           "day_of_week",
                           "day_of_year",
                           "deg",
                           "delta",
                           "deriv",
                           "exp",
                           "floor",
                           "histogram_avg",
                           "histogram_count",
                           "histogram_sum",
                           "histogram_stddev",
                           "histogram_stdvar",
                           "histogram_fraction",
                           "histogram_quantile",
                           "holt_winters",
                           "hour",
                           "idelta",
                           "increase",
                           "irate",
                           "label_replace",
                           "label_join",
                           "last_over_time",
                           "ln",
                           "log10",
                           "log2",
                           "mad_over_time",
                           "max_over_time",
                           "min_over_time",
                           "minute",
                           "month",
                           "pi",
                           "predict_linear",
                           "present_over_time",
                           "quantile_over_time",
                           "rad",
                           "rate",
                           "resets",
                           "round",
                           "scalar",
                           "sgn",
                           "sin",
                           "sinh",
                           "sort",
                           "sort_desc",
                           "sort_by_label",
                           "sort_by_label_desc",
                           "sqrt",
                           "stddev_over_time",
                           "stdvar_over_time",
                           "sum_over_time",
                           "tan",
                           "tanh",
                           "time",
                           "timestamp",
                           "vector",
                           "year"}) {
    EXPECT_NE(LookupFunction(name), nullptr) << name;
  }
}

TEST(FunctionsTest, Signatures) {
  struct Want {
    const char* name;
    std::vector<V> args;
    int variadic;
    V ret;
    bool experimental;
  };
  const Want wants[] = {
      {"rate", {V::kMatrix}, 0, V::kVector, false},
      {"time", {}, 0, V::kScalar, false},
      {"pi", {}, 0, V::kScalar, false},
      {"scalar", {V::kVector}, 0, V::kScalar, false},
      {"vector", {V::kScalar}, 0, V::kVector, false},
      {"round", {V::kVector, V::kScalar}, 1, V::kVector, false},
      {"hour", {V::kVector}, 1, V::kVector, false},
      {"clamp", {V::kVector, V::kScalar, V::kScalar}, 0, V::kVector, false},
      {"histogram_quantile", {V::kScalar, V::kVector}, 0, V::kVector, false},
      {"histogram_fraction", {V::kScalar, V::kScalar, V::kVector}, 0, V::kVector, false},
      {"quantile_over_time", {V::kScalar, V::kMatrix}, 0, V::kVector, false},
      {"predict_linear", {V::kMatrix, V::kScalar}, 0, V::kVector, false},
      {"holt_winters", {V::kMatrix, V::kScalar, V::kScalar}, 0, V::kVector, false},
      {"label_replace",
       {V::kVector, V::kString, V::kString, V::kString, V::kString},
       0,
       V::kVector,
       false},
      {"label_join", {V::kVector, V::kString, V::kString, V::kString}, -1, V::kVector, false},
      {"sort_by_label", {V::kVector, V::kString}, -1, V::kVector, true},
      {"sort_by_label_desc", {V::kVector, V::kString}, -1, V::kVector, true},
      {"mad_over_time", {V::kMatrix}, 0, V::kVector, true},
      {"absent_over_time", {V::kMatrix}, 0, V::kVector, false},
      {"histogram_count", {V::kVector}, 0, V::kVector, false},
  };
  for (const Want& w : wants) {
    const Function* f = LookupFunction(w.name);
    ASSERT_NE(f, nullptr) << w.name;
    EXPECT_EQ(f->arg_types, w.args) << w.name;
    EXPECT_EQ(f->variadic, w.variadic) << w.name;
    EXPECT_EQ(f->return_type, w.ret) << w.name;
    EXPECT_EQ(f->experimental, w.experimental) << w.name;
  }
  int experimental = 0;
  for (const Function& f : AllFunctions()) experimental += f.experimental ? 1 : 0;
  EXPECT_EQ(experimental, 3);
}

TEST(FunctionsTest, ValueTypeNames) {
  EXPECT_EQ(ValueTypeName(V::kMatrix), "matrix");
  EXPECT_EQ(ValueTypeName(V::kNone), "none");
  EXPECT_EQ(DocumentedTypeName(V::kMatrix), "range vector");
  EXPECT_EQ(DocumentedTypeName(V::kVector), "instant vector");
  EXPECT_EQ(DocumentedTypeName(V::kScalar), "scalar");
  EXPECT_EQ(DocumentedTypeName(V::kString), "string");
}

}  // namespace
}  // namespace strata::query
