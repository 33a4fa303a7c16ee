// Node helpers: operator names, deep copy and structural equality.
#include "query/ast.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace strata::query {
namespace {

bool SameNumber(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

bool ExprPtrEqual(const ExprPtr& a, const ExprPtr& b) {
  if (a == nullptr || b == nullptr) return a == b;
  return ExprEqual(*a, *b);
}

[[gnu::noinline]] std::unique_ptr<VectorSelector> CloneSelector(const VectorSelector& vs) {
  auto out = std::make_unique<VectorSelector>();
  out->name = vs.name;
  out->matchers = vs.matchers;
  out->offset_ms = vs.offset_ms;
  out->at = vs.at;
  out->pos = vs.pos;
  return out;
}

ExprPtr CloneOrNull(const ExprPtr& e) { return e == nullptr ? nullptr : CloneExpr(*e); }

// The recursive functions below keep small frames (deep trees recurse once per level); the
// non-recursive work lives in these out-of-line helpers.
[[gnu::noinline]] ExprPtr CloneLeaf(const Expr& expr) {
  switch (expr.kind()) {
    case ExprKind::kNumberLiteral: {
      const auto& e = expr.As<NumberLiteral>();
      return std::make_unique<NumberLiteral>(e.value, e.pos);
    }
    case ExprKind::kStringLiteral: {
      const auto& e = expr.As<StringLiteral>();
      return std::make_unique<StringLiteral>(e.value, e.pos);
    }
    case ExprKind::kVectorSelector:
      return CloneSelector(expr.As<VectorSelector>());
    default: {
      const auto& e = expr.As<MatrixSelector>();
      auto out = std::make_unique<MatrixSelector>();
      out->selector = CloneSelector(*e.selector);
      out->range_ms = e.range_ms;
      out->end_pos = e.end_pos;
      return out;
    }
  }
}

// Matchers are a set: {a="1",b="2"} and {b="2",a="1"} select the same series.
[[gnu::noinline]] bool SameMatchers(const model::Matchers& a, const model::Matchers& b) {
  if (a.size() != b.size()) return false;
  auto key = [](const model::Matcher& m) {
    return std::make_tuple(m.name(), static_cast<int>(m.type()), m.value());
  };
  std::vector<std::tuple<std::string, int, std::string>> x;
  std::vector<std::tuple<std::string, int, std::string>> y;
  for (const model::Matcher& m : a) x.push_back(key(m));
  for (const model::Matcher& m : b) y.push_back(key(m));
  std::sort(x.begin(), x.end());
  std::sort(y.begin(), y.end());
  return x == y;
}

}  // namespace

std::string_view BinaryOpString(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kMod:
      return "%";
    case BinaryOp::kPow:
      return "^";
    case BinaryOp::kAtan2:
      return "atan2";
    case BinaryOp::kEqual:
      return "==";
    case BinaryOp::kNotEqual:
      return "!=";
    case BinaryOp::kGreater:
      return ">";
    case BinaryOp::kLess:
      return "<";
    case BinaryOp::kGreaterEqual:
      return ">=";
    case BinaryOp::kLessEqual:
      return "<=";
    case BinaryOp::kAnd:
      return "and";
    case BinaryOp::kOr:
      return "or";
    case BinaryOp::kUnless:
      return "unless";
  }
  return "?";
}

bool IsComparisonOp(BinaryOp op) {
  switch (op) {
    case BinaryOp::kEqual:
    case BinaryOp::kNotEqual:
    case BinaryOp::kGreater:
    case BinaryOp::kLess:
    case BinaryOp::kGreaterEqual:
    case BinaryOp::kLessEqual:
      return true;
    default:
      return false;
  }
}

bool IsSetOp(BinaryOp op) {
  return op == BinaryOp::kAnd || op == BinaryOp::kOr || op == BinaryOp::kUnless;
}

std::string_view AggregateOpString(AggregateOp op) {
  switch (op) {
    case AggregateOp::kSum:
      return "sum";
    case AggregateOp::kAvg:
      return "avg";
    case AggregateOp::kCount:
      return "count";
    case AggregateOp::kMin:
      return "min";
    case AggregateOp::kMax:
      return "max";
    case AggregateOp::kGroup:
      return "group";
    case AggregateOp::kStddev:
      return "stddev";
    case AggregateOp::kStdvar:
      return "stdvar";
    case AggregateOp::kTopk:
      return "topk";
    case AggregateOp::kBottomk:
      return "bottomk";
    case AggregateOp::kQuantile:
      return "quantile";
    case AggregateOp::kCountValues:
      return "count_values";
  }
  return "?";
}

bool AggregateOpTakesParam(AggregateOp op) {
  return op == AggregateOp::kTopk || op == AggregateOp::kBottomk || op == AggregateOp::kQuantile ||
         op == AggregateOp::kCountValues;
}

ValueType BinaryExpr::Type() const {
  if (lhs->Type() == ValueType::kScalar && rhs->Type() == ValueType::kScalar) {
    return ValueType::kScalar;
  }
  return ValueType::kVector;
}

ExprPtr CloneExpr(const Expr& expr) {
  switch (expr.kind()) {
    case ExprKind::kNumberLiteral:
    case ExprKind::kStringLiteral:
    case ExprKind::kVectorSelector:
    case ExprKind::kMatrixSelector:
      return CloneLeaf(expr);
    case ExprKind::kSubquery: {
      const auto& e = expr.As<SubqueryExpr>();
      auto out = std::make_unique<SubqueryExpr>();
      out->expr = CloneExpr(*e.expr);
      out->range_ms = e.range_ms;
      out->step_ms = e.step_ms;
      out->offset_ms = e.offset_ms;
      out->at = e.at;
      out->end_pos = e.end_pos;
      return out;
    }
    case ExprKind::kParen: {
      const auto& e = expr.As<ParenExpr>();
      return std::make_unique<ParenExpr>(CloneExpr(*e.expr), e.pos);
    }
    case ExprKind::kUnary: {
      const auto& e = expr.As<UnaryExpr>();
      return std::make_unique<UnaryExpr>(e.op, CloneExpr(*e.expr), e.start_pos);
    }
    case ExprKind::kBinary: {
      const auto& e = expr.As<BinaryExpr>();
      auto out = std::make_unique<BinaryExpr>();
      out->op = e.op;
      out->lhs = CloneExpr(*e.lhs);
      out->rhs = CloneExpr(*e.rhs);
      out->matching = e.matching;
      out->return_bool = e.return_bool;
      return out;
    }
    case ExprKind::kAggregate: {
      const auto& e = expr.As<AggregateExpr>();
      auto out = std::make_unique<AggregateExpr>();
      out->op = e.op;
      out->expr = CloneOrNull(e.expr);
      out->param = CloneOrNull(e.param);
      out->grouping = e.grouping;
      out->without = e.without;
      out->pos = e.pos;
      return out;
    }
    case ExprKind::kCall: {
      const auto& e = expr.As<Call>();
      auto out = std::make_unique<Call>();
      out->func = e.func;
      for (const ExprPtr& arg : e.args) out->args.push_back(CloneExpr(*arg));
      out->pos = e.pos;
      return out;
    }
  }
  STRATA_CHECK(false) << "unknown expression kind";
  return nullptr;
}

bool ExprEqual(const Expr& a, const Expr& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case ExprKind::kNumberLiteral:
      return SameNumber(a.As<NumberLiteral>().value, b.As<NumberLiteral>().value);
    case ExprKind::kStringLiteral:
      return a.As<StringLiteral>().value == b.As<StringLiteral>().value;
    case ExprKind::kVectorSelector: {
      const auto& x = a.As<VectorSelector>();
      const auto& y = b.As<VectorSelector>();
      return x.name == y.name && SameMatchers(x.matchers, y.matchers) &&
             x.offset_ms == y.offset_ms && x.at == y.at;
    }
    case ExprKind::kMatrixSelector: {
      const auto& x = a.As<MatrixSelector>();
      const auto& y = b.As<MatrixSelector>();
      return x.range_ms == y.range_ms && ExprEqual(*x.selector, *y.selector);
    }
    case ExprKind::kSubquery: {
      const auto& x = a.As<SubqueryExpr>();
      const auto& y = b.As<SubqueryExpr>();
      return x.range_ms == y.range_ms && x.step_ms == y.step_ms && x.offset_ms == y.offset_ms &&
             x.at == y.at && ExprEqual(*x.expr, *y.expr);
    }
    case ExprKind::kParen:
      return ExprEqual(*a.As<ParenExpr>().expr, *b.As<ParenExpr>().expr);
    case ExprKind::kUnary: {
      const auto& x = a.As<UnaryExpr>();
      const auto& y = b.As<UnaryExpr>();
      return x.op == y.op && ExprEqual(*x.expr, *y.expr);
    }
    case ExprKind::kBinary: {
      const auto& x = a.As<BinaryExpr>();
      const auto& y = b.As<BinaryExpr>();
      return x.op == y.op && x.return_bool == y.return_bool && x.matching == y.matching &&
             ExprEqual(*x.lhs, *y.lhs) && ExprEqual(*x.rhs, *y.rhs);
    }
    case ExprKind::kAggregate: {
      const auto& x = a.As<AggregateExpr>();
      const auto& y = b.As<AggregateExpr>();
      return x.op == y.op && x.grouping == y.grouping && x.without == y.without &&
             ExprPtrEqual(x.expr, y.expr) && ExprPtrEqual(x.param, y.param);
    }
    case ExprKind::kCall: {
      const auto& x = a.As<Call>();
      const auto& y = b.As<Call>();
      if (x.func != y.func || x.args.size() != y.args.size()) return false;
      for (size_t i = 0; i < x.args.size(); ++i) {
        if (!ExprEqual(*x.args[i], *y.args[i])) return false;
      }
      return true;
    }
  }
  return false;
}

}  // namespace strata::query
