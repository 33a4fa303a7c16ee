// The PromQL function table of Prometheus 2.53 (promql/parser/functions.go): each function's
// name, argument types, variadic count and return type, which the parser uses for arity and
// type checks and the engine uses to dispatch. Immutable static data; thread-safe.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "query/value_type.h"

namespace strata::query {

struct Function {
  std::string_view name;
  // The declared argument types. When `variadic` != 0, the last entry is optional (variadic 1)
  // or repeatable (variadic -1), and extra arguments are checked against it.
  std::vector<ValueType> arg_types;
  //  0: exactly arg_types.size() arguments.
  // >0: between arg_types.size() - 1 and arg_types.size() - 1 + variadic arguments.
  // -1: at least arg_types.size() - 1 arguments, no maximum.
  int variadic = 0;
  ValueType return_type = ValueType::kVector;
  // Behind Prometheus' --enable-feature=promql-experimental-functions (sort_by_label,
  // sort_by_label_desc, mad_over_time); see ParseOptions::enable_experimental_functions.
  bool experimental = false;
};

// The function called `name` (case-sensitive, as in Prometheus), or nullptr. The pointer stays
// valid for the life of the process. Cost: a binary search over the sorted table.
const Function* LookupFunction(std::string_view name);

// Every function, sorted by name.
std::span<const Function> AllFunctions();

}  // namespace strata::query
