// The table mirrors Prometheus v2.53 promql/parser/functions.go entry for entry; keep it sorted
// by name (LookupFunction binary-searches it, and functions_test checks the order).
#include "query/functions.h"

#include <algorithm>

namespace strata::query {
namespace {

constexpr ValueType kS = ValueType::kScalar;
constexpr ValueType kV = ValueType::kVector;
constexpr ValueType kM = ValueType::kMatrix;
constexpr ValueType kStr = ValueType::kString;

const std::vector<Function>& Table() {
  // Built once on first use and never destroyed (no exit-time destructor ordering issues).
  static const auto* const kTable = new std::vector<Function>{
      {"abs", {kV}, 0, kV},
      {"absent", {kV}, 0, kV},
      {"absent_over_time", {kM}, 0, kV},
      {"acos", {kV}, 0, kV},
      {"acosh", {kV}, 0, kV},
      {"asin", {kV}, 0, kV},
      {"asinh", {kV}, 0, kV},
      {"atan", {kV}, 0, kV},
      {"atanh", {kV}, 0, kV},
      {"avg_over_time", {kM}, 0, kV},
      {"ceil", {kV}, 0, kV},
      {"changes", {kM}, 0, kV},
      {"clamp", {kV, kS, kS}, 0, kV},
      {"clamp_max", {kV, kS}, 0, kV},
      {"clamp_min", {kV, kS}, 0, kV},
      {"cos", {kV}, 0, kV},
      {"cosh", {kV}, 0, kV},
      {"count_over_time", {kM}, 0, kV},
      {"day_of_month", {kV}, 1, kV},
      {"day_of_week", {kV}, 1, kV},
      {"day_of_year", {kV}, 1, kV},
      {"days_in_month", {kV}, 1, kV},
      {"deg", {kV}, 0, kV},
      {"delta", {kM}, 0, kV},
      {"deriv", {kM}, 0, kV},
      {"exp", {kV}, 0, kV},
      {"floor", {kV}, 0, kV},
      {"histogram_avg", {kV}, 0, kV},
      {"histogram_count", {kV}, 0, kV},
      {"histogram_fraction", {kS, kS, kV}, 0, kV},
      {"histogram_quantile", {kS, kV}, 0, kV},
      {"histogram_stddev", {kV}, 0, kV},
      {"histogram_stdvar", {kV}, 0, kV},
      {"histogram_sum", {kV}, 0, kV},
      {"holt_winters", {kM, kS, kS}, 0, kV},
      {"hour", {kV}, 1, kV},
      {"idelta", {kM}, 0, kV},
      {"increase", {kM}, 0, kV},
      {"irate", {kM}, 0, kV},
      {"label_join", {kV, kStr, kStr, kStr}, -1, kV},
      {"label_replace", {kV, kStr, kStr, kStr, kStr}, 0, kV},
      {"last_over_time", {kM}, 0, kV},
      {"ln", {kV}, 0, kV},
      {"log10", {kV}, 0, kV},
      {"log2", {kV}, 0, kV},
      {"mad_over_time", {kM}, 0, kV, /*experimental=*/true},
      {"max_over_time", {kM}, 0, kV},
      {"min_over_time", {kM}, 0, kV},
      {"minute", {kV}, 1, kV},
      {"month", {kV}, 1, kV},
      {"pi", {}, 0, kS},
      {"predict_linear", {kM, kS}, 0, kV},
      {"present_over_time", {kM}, 0, kV},
      {"quantile_over_time", {kS, kM}, 0, kV},
      {"rad", {kV}, 0, kV},
      {"rate", {kM}, 0, kV},
      {"resets", {kM}, 0, kV},
      {"round", {kV, kS}, 1, kV},
      {"scalar", {kV}, 0, kS},
      {"sgn", {kV}, 0, kV},
      {"sin", {kV}, 0, kV},
      {"sinh", {kV}, 0, kV},
      {"sort", {kV}, 0, kV},
      {"sort_by_label", {kV, kStr}, -1, kV, /*experimental=*/true},
      {"sort_by_label_desc", {kV, kStr}, -1, kV, /*experimental=*/true},
      {"sort_desc", {kV}, 0, kV},
      {"sqrt", {kV}, 0, kV},
      {"stddev_over_time", {kM}, 0, kV},
      {"stdvar_over_time", {kM}, 0, kV},
      {"sum_over_time", {kM}, 0, kV},
      {"tan", {kV}, 0, kV},
      {"tanh", {kV}, 0, kV},
      {"time", {}, 0, kS},
      {"timestamp", {kV}, 0, kV},
      {"vector", {kS}, 0, kV},
      {"year", {kV}, 1, kV},
  };
  return *kTable;
}

}  // namespace

const Function* LookupFunction(std::string_view name) {
  const std::vector<Function>& table = Table();
  auto it = std::lower_bound(table.begin(), table.end(), name,
                             [](const Function& f, std::string_view n) { return f.name < n; });
  if (it == table.end() || it->name != name) return nullptr;
  return &*it;
}

std::span<const Function> AllFunctions() { return Table(); }

}  // namespace strata::query
