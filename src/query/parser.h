// The PromQL parser: text -> type-checked AST, with Prometheus v2.53 grammar, precedence and
// error messages (promql/parser/generated_parser.y, parse.go). Stateless free functions;
// thread-safe. See query/README.md for what is and is not covered.
#pragma once

#include <string_view>

#include "base/result.h"
#include "model/matcher.h"
#include "query/ast.h"

namespace strata::query {

struct ParseOptions {
  // Accept Prometheus' experimental functions (sort_by_label, sort_by_label_desc,
  // mad_over_time); otherwise they fail with `function "x" is not enabled`.
  // Default: true, unlike Prometheus (off unless --enable-feature=promql-experimental-functions),
  // because the PromQL conformance scripts use them.
  bool enable_experimental_functions = true;
  // The deepest nesting accepted, both of parser recursion (parentheses, calls, unary signs)
  // and of the resulting tree (e.g. the length of `a + b + c + ...`). Deeper input fails with
  // `expression nesting exceeds <n> levels` instead of risking stack exhaustion in the parser,
  // the type checker, the printer and the engine. Prometheus has no such limit.
  // Default: 1000.
  int max_depth = 1000;
};

// Parses and type-checks a PromQL expression. On failure returns InvalidArgument with
// Prometheus' first error, e.g.
//   `1:5: parse error: unexpected end of input`
//   `1:1: parse error: unknown function with name "foo"`
//   `1:6: parse error: expected type range vector in call to function "rate", got instant vector`
// (line:column of the error's start, 1-based, column in bytes). The tree is normalised as
// Prometheus' parser leaves it: `-1` is a NumberLiteral, a selector with a metric name has a
// trailing __name__ matcher, set operators have many-to-many matching, and BinaryExpr::matching
// is only present between two instant vectors.
Result<ExprPtr> ParseExpr(std::string_view input, const ParseOptions& options = {});

// Parses a series selector as used by the HTTP API's match[] parameters (Prometheus
// ParseMetricSelector): `up`, `up{job="api"}`, `{__name__=~"http_.*"}`; nothing but a selector
// (no offset, @, range or operators). Returns every matcher, with __name__="metric" last when
// the name is written before the braces. Like Prometheus, this does not require a non-empty
// matcher (`{}` parses to no matchers): the API layer rejects such sets itself ("match[] must
// contain at least one non-empty matcher"). Errors as for ParseExpr.
Result<model::Matchers> ParseSeriesSelector(std::string_view input);

}  // namespace strata::query
