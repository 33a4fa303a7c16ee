// Helpers shared by the parser test files: parse-or-fail, error text, a tree-shape dump and the
// canonical-form round-trip check.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "query/parser.h"
#include "query/printer.h"

namespace strata::query::testing_util {

// A compact S-expression of the tree's shape: operators and nesting, with leaves printed as
// PromQL. E.g. "(+ 1 (* 2 3))".
inline std::string Dump(const Expr& e) {
  switch (e.kind()) {
    case ExprKind::kNumberLiteral:
    case ExprKind::kStringLiteral:
    case ExprKind::kVectorSelector:
    case ExprKind::kMatrixSelector:
      return ExprToString(e);
    case ExprKind::kSubquery: {
      const auto& s = e.As<SubqueryExpr>();
      return "(subquery " + Dump(*s.expr) + ")";
    }
    case ExprKind::kParen:
      return "(paren " + Dump(*e.As<ParenExpr>().expr) + ")";
    case ExprKind::kUnary: {
      const auto& u = e.As<UnaryExpr>();
      return std::string(u.op == UnaryOp::kSub ? "(neg " : "(pos ") + Dump(*u.expr) + ")";
    }
    case ExprKind::kBinary: {
      const auto& b = e.As<BinaryExpr>();
      return "(" + std::string(BinaryOpString(b.op)) + " " + Dump(*b.lhs) + " " + Dump(*b.rhs) +
             ")";
    }
    case ExprKind::kAggregate: {
      const auto& a = e.As<AggregateExpr>();
      std::string out = "(" + std::string(AggregateOpString(a.op));
      if (a.param != nullptr) out += " " + Dump(*a.param);
      return out + " " + Dump(*a.expr) + ")";
    }
    case ExprKind::kCall: {
      const auto& c = e.As<Call>();
      std::string out = "(" + std::string(c.func->name);
      for (const ExprPtr& arg : c.args) out += " " + Dump(*arg);
      return out + ")";
    }
  }
  return "?";
}

inline ExprPtr MustParse(std::string_view input) {
  Result<ExprPtr> r = ParseExpr(input);
  EXPECT_TRUE(r.ok()) << input << ": " << r.status().ToString();
  if (!r.ok()) return nullptr;
  return std::move(r).value();
}

inline std::string ParseErrorText(std::string_view input, const ParseOptions& options = {}) {
  Result<ExprPtr> r = ParseExpr(input, options);
  if (r.ok()) return "OK: " + ExprToString(**r);
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  return r.status().message();
}

struct PrintCase {
  std::string input;
  std::string printed;
};

// Parses, prints, and checks that the printed form parses back to an equal tree that prints
// the same way.
inline void CheckCanonical(const PrintCase& c) {
  SCOPED_TRACE(c.input);
  ExprPtr e = MustParse(c.input);
  if (e == nullptr) return;
  const std::string printed = ExprToString(*e);
  EXPECT_EQ(printed, c.printed);
  ExprPtr again = MustParse(printed);
  if (again == nullptr) return;
  EXPECT_TRUE(ExprEqual(*e, *again)) << Dump(*e) << " vs " << Dump(*again);
  EXPECT_EQ(ExprToString(*again), printed);
}

struct ErrorCase {
  std::string input;
  std::string error;
};

}  // namespace strata::query::testing_util
