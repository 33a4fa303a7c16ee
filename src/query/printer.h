// Prints an AST back to PromQL in Prometheus' canonical form (promql/parser/printer.go String(),
// as served by /api/v1/format_query): `sum by (job) (rate(x{a="b"}[5m]))`, matchers sorted,
// durations like "1h30m", `@ 10.000`, numbers as Go prints floats. Parsing the output yields an
// equal tree. Pure; thread-safe.
#pragma once

#include <string>

#include "query/ast.h"

namespace strata::query {

// The canonical PromQL text of `expr`. Cost: linear in the size of the tree.
std::string ExprToString(const Expr& expr);

}  // namespace strata::query
