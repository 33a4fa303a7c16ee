// The semantic pass Prometheus runs after a successful parse (parse.go checkAST): operand and
// argument types, arity, binary operator modifiers, selector sanity. It also normalises vector
// matching as Prometheus does (set operators become many-to-many; matching is dropped unless both
// sides are instant vectors). Private to query/. Pure apart from mutating `root`; thread-safe.
#pragma once

#include <string_view>

#include "base/status.h"
#include "query/ast.h"

namespace strata::query::internal {

// Checks the tree parsed from `input` (positions index into it). Returns OK or the first error
// in Prometheus' order, formatted as a parse error.
Status CheckTypes(std::string_view input, Expr* root);

}  // namespace strata::query::internal
