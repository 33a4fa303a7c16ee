// Visits nodes in the order of Prometheus' checkAST so that the first error reported is the
// same one (binary expressions check both operands before themselves; calls check arity before
// their arguments).
#include "query/internal/type_check.h"

#include <string>

#include "model/quote.h"
#include "query/internal/parse_error.h"

namespace strata::query::internal {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

class Checker {
 public:
  explicit Checker(std::string_view input) : input_(input) {}

  Result<ValueType> Check(Expr& e);

 private:
  Status Error(size_t pos, std::string_view message) { return ParseError(input_, pos, message); }
  Status ExpectType(Expr& e, ValueType want, std::string_view context);
  Result<ValueType> CheckBinary(BinaryExpr& e);
  Result<ValueType> CheckCall(Call& e);
  Status CheckSelector(const VectorSelector& vs);

  std::string_view input_;
};

Status Checker::ExpectType(Expr& e, ValueType want, std::string_view context) {
  STRATA_ASSIGN_OR_RETURN(ValueType got, Check(e));
  if (got == want) return Status::Ok();
  return Error(e.Position().start, "expected type " + std::string(DocumentedTypeName(want)) +
                                       " in " + std::string(context) + ", got " +
                                       std::string(DocumentedTypeName(got)));
}

Result<ValueType> Checker::Check(Expr& e) {
  switch (e.kind()) {
    case ExprKind::kNumberLiteral:
    case ExprKind::kStringLiteral:
      return e.Type();
    case ExprKind::kVectorSelector:
      STRATA_RETURN_IF_ERROR(CheckSelector(e.As<VectorSelector>()));
      return e.Type();
    case ExprKind::kMatrixSelector:
      STRATA_RETURN_IF_ERROR(CheckSelector(*e.As<MatrixSelector>().selector));
      return e.Type();
    case ExprKind::kSubquery: {
      STRATA_ASSIGN_OR_RETURN(ValueType t, Check(*e.As<SubqueryExpr>().expr));
      if (t != ValueType::kVector) {
        return Error(e.Position().start, "subquery is only allowed on instant vector, got " +
                                             std::string(ValueTypeName(t)) + " instead");
      }
      return e.Type();
    }
    case ExprKind::kParen:
      STRATA_RETURN_IF_ERROR(Check(*e.As<ParenExpr>().expr).status());
      return e.Type();
    case ExprKind::kUnary: {
      STRATA_ASSIGN_OR_RETURN(ValueType t, Check(*e.As<UnaryExpr>().expr));
      if (t != ValueType::kScalar && t != ValueType::kVector) {
        return Error(e.Position().start,
                     "unary expression only allowed on expressions of type scalar or instant "
                     "vector, got " +
                         model::Quote(DocumentedTypeName(t)));
      }
      return e.Type();
    }
    case ExprKind::kBinary:
      return CheckBinary(e.As<BinaryExpr>());
    case ExprKind::kAggregate: {
      auto& agg = e.As<AggregateExpr>();
      STRATA_RETURN_IF_ERROR(ExpectType(*agg.expr, ValueType::kVector, "aggregation expression"));
      if (agg.op == AggregateOp::kTopk || agg.op == AggregateOp::kBottomk ||
          agg.op == AggregateOp::kQuantile) {
        STRATA_RETURN_IF_ERROR(ExpectType(*agg.param, ValueType::kScalar, "aggregation parameter"));
      }
      if (agg.op == AggregateOp::kCountValues) {
        STRATA_RETURN_IF_ERROR(ExpectType(*agg.param, ValueType::kString, "aggregation parameter"));
      }
      return e.Type();
    }
    case ExprKind::kCall:
      return CheckCall(e.As<Call>());
  }
  return ValueType::kNone;
}

Result<ValueType> Checker::CheckBinary(BinaryExpr& e) {
  STRATA_ASSIGN_OR_RETURN(ValueType lt, Check(*e.lhs));
  STRATA_ASSIGN_OR_RETURN(ValueType rt, Check(*e.rhs));
  // Where the operator starts: the first non-space byte after the left operand.
  auto op_pos = [&] {
    size_t p = e.lhs->Position().end;
    while (p < input_.size() && IsSpace(input_[p])) ++p;
    return p;
  };
  const std::string op_name(BinaryOpString(e.op));
  if (e.return_bool && !IsComparisonOp(e.op)) {
    return Error(op_pos(), "bool modifier can only be used on comparison operators");
  }
  if (IsComparisonOp(e.op) && !e.return_bool && e.lhs->Type() == ValueType::kScalar &&
      e.rhs->Type() == ValueType::kScalar) {
    return Error(op_pos(), "comparisons between scalars must use BOOL modifier");
  }
  if (e.matching.has_value()) {
    VectorMatching& vm = *e.matching;
    if (IsSetOp(e.op) && vm.card == VectorMatchCardinality::kOneToOne) {
      vm.card = VectorMatchCardinality::kManyToMany;
    }
    if (vm.on) {
      for (const std::string& l1 : vm.matching_labels) {
        for (const std::string& l2 : vm.include) {
          if (l1 == l2) {
            return Error(op_pos(), "label " + model::Quote(l1) +
                                       " must not occur in ON and GROUP clause at once");
          }
        }
      }
    }
  }
  if (lt != ValueType::kScalar && lt != ValueType::kVector) {
    return Error(e.lhs->Position().start,
                 "binary expression must contain only scalar and instant vector types");
  }
  if (rt != ValueType::kScalar && rt != ValueType::kVector) {
    return Error(e.rhs->Position().start,
                 "binary expression must contain only scalar and instant vector types");
  }
  if ((lt != ValueType::kVector || rt != ValueType::kVector) && e.matching.has_value()) {
    if (!e.matching->matching_labels.empty()) {
      return Error(e.Position().start, "vector matching only allowed between instant vectors");
    }
    e.matching.reset();
  } else if (IsSetOp(e.op) && e.matching.has_value()) {
    const VectorMatchCardinality card = e.matching->card;
    if (card == VectorMatchCardinality::kOneToMany || card == VectorMatchCardinality::kManyToOne) {
      return Error(e.Position().start,
                   "no grouping allowed for " + model::Quote(op_name) + " operation");
    }
    if (card != VectorMatchCardinality::kManyToMany) {
      return Error(e.Position().start, "set operations must always be many-to-many");
    }
  }
  if ((lt == ValueType::kScalar || rt == ValueType::kScalar) && IsSetOp(e.op)) {
    return Error(e.Position().start, "set operator " + model::Quote(op_name) +
                                         " not allowed in binary scalar expression");
  }
  return e.Type();
}

Result<ValueType> Checker::CheckCall(Call& e) {
  const Function& f = *e.func;
  const size_t nargs = f.arg_types.size();
  const std::string name = model::Quote(f.name);
  const size_t got = e.args.size();
  if (f.variadic == 0) {
    if (nargs != got) {
      return Error(e.Position().start, "expected " + std::to_string(nargs) +
                                           " argument(s) in call to " + name + ", got " +
                                           std::to_string(got));
    }
  } else {
    const size_t at_least = nargs - 1;
    if (at_least > got) {
      return Error(e.Position().start, "expected at least " + std::to_string(at_least) +
                                           " argument(s) in call to " + name + ", got " +
                                           std::to_string(got));
    }
    if (f.variadic > 0 && at_least + static_cast<size_t>(f.variadic) < got) {
      return Error(e.Position().start, "expected at most " + std::to_string(at_least + f.variadic) +
                                           " argument(s) in call to " + name + ", got " +
                                           std::to_string(got));
    }
  }
  const std::string context = "call to function " + name;
  for (size_t i = 0; i < got; ++i) {
    size_t type_index = i;
    if (i >= nargs) {
      if (f.variadic == 0) break;
      type_index = nargs - 1;
    }
    STRATA_RETURN_IF_ERROR(ExpectType(*e.args[i], f.arg_types[type_index], context));
  }
  return e.Type();
}

Status Checker::CheckSelector(const VectorSelector& vs) {
  if (!vs.name.empty()) {
    // The last matcher is the one for the name written before the braces.
    for (size_t i = 0; i + 1 < vs.matchers.size(); ++i) {
      const model::Matcher& m = vs.matchers[i];
      if (m.name() == model::kMetricNameLabel) {
        return Error(vs.pos.start, "metric name must not be set twice: " + model::Quote(vs.name) +
                                       " or " + model::Quote(m.value()));
      }
    }
    return Status::Ok();  // An explicit metric name is a non-empty matcher.
  }
  for (const model::Matcher& m : vs.matchers) {
    if (!m.MatchesEmpty()) return Status::Ok();
  }
  return Error(vs.pos.start, "vector selector must contain at least one non-empty matcher");
}

}  // namespace

Status CheckTypes(std::string_view input, Expr* root) {
  Checker checker(input);
  return checker.Check(*root).status();
}

}  // namespace strata::query::internal
