// Mirrors printer.go String() node by node. Parentheses are only printed for ParenExpr nodes:
// the parser keeps those, so precedence survives a round trip.
#include "query/printer.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <vector>

#include "model/quote.h"
#include "query/internal/literals.h"

namespace strata::query {
namespace {

void AppendJoined(std::string* out, const std::vector<std::string>& items, std::string_view sep) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out->append(sep);
    out->append(items[i]);
  }
}

// " @ 10.000", " @ start()", " @ end()" or "".
[[gnu::noinline]] void AppendAt(std::string* out, const AtModifier& at) {
  switch (at.kind) {
    case AtKind::kNone:
      return;
    case AtKind::kTimestamp: {
      char buf[64];
      std::snprintf(buf, sizeof(buf), " @ %.3f", static_cast<double>(at.timestamp_ms) / 1000.0);
      out->append(buf);
      return;
    }
    case AtKind::kStart:
      out->append(" @ start()");
      return;
    case AtKind::kEnd:
      out->append(" @ end()");
      return;
  }
}

// " offset 5m", " offset -5m" or "".
[[gnu::noinline]] void AppendOffset(std::string* out, int64_t offset_ms) {
  if (offset_ms > 0) {
    out->append(" offset ");
    out->append(internal::FormatDuration(offset_ms));
  } else if (offset_ms < 0) {
    out->append(" offset -");
    out->append(internal::FormatDuration(-offset_ms));
  }
}

// The selector without its modifiers: `name{a="b",c=~"d"}`.
[[gnu::noinline]] void AppendSelectorBody(std::string* out, const VectorSelector& vs) {
  std::vector<std::string> matchers;
  for (const model::Matcher& m : vs.matchers) {
    // The __name__ matcher implied by the name before the braces is not repeated.
    if (m.name() == model::kMetricNameLabel && m.type() == model::MatchType::kEqual &&
        m.value() == vs.name && !m.value().empty()) {
      continue;
    }
    matchers.push_back(m.ToString());
  }
  out->append(vs.name);
  if (matchers.empty()) return;
  std::sort(matchers.begin(), matchers.end());
  out->push_back('{');
  AppendJoined(out, matchers, ",");
  out->push_back('}');
}

// " on (a) group_left (b)", " ignoring (a)" or "" (also for an empty ignoring()).
[[gnu::noinline]] void AppendMatching(std::string* out, const VectorMatching& vm) {
  if (vm.matching_labels.empty() && !vm.on) return;
  out->append(vm.on ? " on (" : " ignoring (");
  AppendJoined(out, vm.matching_labels, ", ");
  out->push_back(')');
  if (vm.card == VectorMatchCardinality::kManyToOne ||
      vm.card == VectorMatchCardinality::kOneToMany) {
    out->append(vm.card == VectorMatchCardinality::kManyToOne ? " group_left (" : " group_right (");
    AppendJoined(out, vm.include, ", ");
    out->push_back(')');
  }
}

// Number and string literals and selectors, which have no sub-expressions.
[[gnu::noinline]] void AppendLeaf(std::string* out, const Expr& expr) {
  switch (expr.kind()) {
    case ExprKind::kNumberLiteral:
      out->append(internal::FormatNumber(expr.As<NumberLiteral>().value));
      return;
    case ExprKind::kStringLiteral:
      model::AppendQuote(out, expr.As<StringLiteral>().value);
      return;
    case ExprKind::kVectorSelector: {
      const auto& vs = expr.As<VectorSelector>();
      AppendSelectorBody(out, vs);
      AppendAt(out, vs.at);
      AppendOffset(out, vs.offset_ms);
      return;
    }
    default: {
      const auto& ms = expr.As<MatrixSelector>();
      AppendSelectorBody(out, *ms.selector);
      out->push_back('[');
      out->append(internal::FormatDuration(ms.range_ms));
      out->push_back(']');
      AppendAt(out, ms.selector->at);
      AppendOffset(out, ms.selector->offset_ms);
      return;
    }
  }
}

// "[5m:1m] @ 10.000 offset 1m" after a subquery's expression.
[[gnu::noinline]] void AppendSubquerySuffix(std::string* out, const SubqueryExpr& sq) {
  out->push_back('[');
  out->append(internal::FormatDuration(sq.range_ms));
  out->push_back(':');
  if (sq.step_ms != 0) out->append(internal::FormatDuration(sq.step_ms));
  out->push_back(']');
  AppendAt(out, sq.at);
  AppendOffset(out, sq.offset_ms);
}

// "sum by (a, b) (" or "count_values without () (" up to the first argument.
[[gnu::noinline]] void AppendAggregateHead(std::string* out, const AggregateExpr& a) {
  out->append(AggregateOpString(a.op));
  if (a.without) {
    out->append(" without (");
    AppendJoined(out, a.grouping, ", ");
    out->append(") ");
  } else if (!a.grouping.empty()) {
    out->append(" by (");
    AppendJoined(out, a.grouping, ", ");
    out->append(") ");
  }
  out->push_back('(');
}

// Recurses once per tree level, so it keeps a small frame; the rest is out of line.
void Append(std::string* out, const Expr& expr) {
  switch (expr.kind()) {
    case ExprKind::kNumberLiteral:
    case ExprKind::kStringLiteral:
    case ExprKind::kVectorSelector:
    case ExprKind::kMatrixSelector:
      AppendLeaf(out, expr);
      return;
    case ExprKind::kSubquery: {
      const auto& sq = expr.As<SubqueryExpr>();
      Append(out, *sq.expr);
      AppendSubquerySuffix(out, sq);
      return;
    }
    case ExprKind::kParen:
      out->push_back('(');
      Append(out, *expr.As<ParenExpr>().expr);
      out->push_back(')');
      return;
    case ExprKind::kUnary: {
      const auto& u = expr.As<UnaryExpr>();
      out->push_back(u.op == UnaryOp::kSub ? '-' : '+');
      Append(out, *u.expr);
      return;
    }
    case ExprKind::kBinary: {
      const auto& b = expr.As<BinaryExpr>();
      // `^` binds tighter than a sign, so "+Inf ^ 2" reads back as +(Inf ^ 2) (and prints
      // "++Inf ^ 2" next time); positive infinity on the left of `^` prints unsigned. Other
      // left operands of `^` print no sign without parentheses.
      if (b.op == BinaryOp::kPow && b.lhs->kind() == ExprKind::kNumberLiteral &&
          b.lhs->As<NumberLiteral>().value == std::numeric_limits<double>::infinity()) {
        out->append("Inf");
      } else {
        Append(out, *b.lhs);
      }
      out->push_back(' ');
      out->append(BinaryOpString(b.op));
      if (b.return_bool) out->append(" bool");
      if (b.matching.has_value()) AppendMatching(out, *b.matching);
      out->push_back(' ');
      Append(out, *b.rhs);
      return;
    }
    case ExprKind::kAggregate: {
      const auto& a = expr.As<AggregateExpr>();
      AppendAggregateHead(out, a);
      if (a.param != nullptr) {
        Append(out, *a.param);
        out->append(", ");
      }
      Append(out, *a.expr);
      out->push_back(')');
      return;
    }
    case ExprKind::kCall: {
      const auto& c = expr.As<Call>();
      out->append(c.func->name);
      out->push_back('(');
      for (size_t i = 0; i < c.args.size(); ++i) {
        if (i > 0) out->append(", ");
        Append(out, *c.args[i]);
      }
      out->push_back(')');
      return;
    }
  }
}

}  // namespace

std::string ExprToString(const Expr& expr) {
  std::string out;
  Append(&out, expr);
  return out;
}

}  // namespace strata::query
