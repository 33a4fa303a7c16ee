// Visits nodes in the order of Prometheus' checkAST so that the first error reported is the
// same one (binary expressions check both operands before themselves; calls check arity before
// their arguments).
#include "query/internal/type_check.h"

#include <initializer_list>
#include <string>

#include "model/quote.h"
#include "query/internal/parse_error.h"

namespace strata::query::internal {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Joins message pieces. Kept out of line so that the recursive checking functions, which only
// call it on their error paths, keep small stack frames.
[[gnu::noinline]] std::string Concat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) out.append(p);
  return out;
}

class Checker {
 public:
  explicit Checker(std::string_view input) : input_(input) {}

  Result<ValueType> Check(Expr& e);

 private:
  [[gnu::noinline]] Status Error(size_t pos, std::string_view message) {
    return ParseError(input_, pos, message);
  }
  [[gnu::noinline]] Status TypeError(const Expr& e, ValueType want, ValueType got,
                                     std::string_view context) {
    return Error(e.Position().start, Concat({"expected type ", DocumentedTypeName(want), " in ",
                                             context, ", got ", DocumentedTypeName(got)}));
  }
  Status ExpectType(Expr& e, ValueType want, std::string_view context);
  [[gnu::noinline]] Result<ValueType> CheckSubquery(SubqueryExpr& e);
  [[gnu::noinline]] Result<ValueType> CheckUnary(UnaryExpr& e);
  [[gnu::noinline]] Result<ValueType> CheckAggregate(AggregateExpr& e);
  [[gnu::noinline]] Result<ValueType> CheckBinary(BinaryExpr& e);
  [[gnu::noinline]] Status CheckBinaryOperator(BinaryExpr& e, ValueType lt, ValueType rt);
  [[gnu::noinline]] Result<ValueType> CheckCall(Call& e);
  [[gnu::noinline]] Status CheckArity(const Call& e);
  [[gnu::noinline]] Status CheckSelector(const VectorSelector& vs);

  std::string_view input_;
};

Status Checker::ExpectType(Expr& e, ValueType want, std::string_view context) {
  STRATA_ASSIGN_OR_RETURN(ValueType got, Check(e));
  if (got == want) return Status::Ok();
  return TypeError(e, want, got, context);
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
    case ExprKind::kSubquery:
      return CheckSubquery(e.As<SubqueryExpr>());
    case ExprKind::kParen:
      return Check(*e.As<ParenExpr>().expr);
    case ExprKind::kUnary:
      return CheckUnary(e.As<UnaryExpr>());
    case ExprKind::kBinary:
      return CheckBinary(e.As<BinaryExpr>());
    case ExprKind::kAggregate:
      return CheckAggregate(e.As<AggregateExpr>());
    case ExprKind::kCall:
      return CheckCall(e.As<Call>());
  }
  return ValueType::kNone;
}

Result<ValueType> Checker::CheckSubquery(SubqueryExpr& e) {
  STRATA_ASSIGN_OR_RETURN(ValueType t, Check(*e.expr));
  if (t != ValueType::kVector) {
    return Error(e.Position().start, Concat({"subquery is only allowed on instant vector, got ",
                                             ValueTypeName(t), " instead"}));
  }
  return e.Type();
}

Result<ValueType> Checker::CheckUnary(UnaryExpr& e) {
  STRATA_ASSIGN_OR_RETURN(ValueType t, Check(*e.expr));
  if (t != ValueType::kScalar && t != ValueType::kVector) {
    return Error(e.Position().start,
                 Concat({"unary expression only allowed on expressions of type scalar or instant "
                         "vector, got ",
                         model::Quote(DocumentedTypeName(t))}));
  }
  return e.Type();
}

Result<ValueType> Checker::CheckAggregate(AggregateExpr& e) {
  STRATA_RETURN_IF_ERROR(ExpectType(*e.expr, ValueType::kVector, "aggregation expression"));
  if (e.op == AggregateOp::kTopk || e.op == AggregateOp::kBottomk ||
      e.op == AggregateOp::kQuantile) {
    STRATA_RETURN_IF_ERROR(ExpectType(*e.param, ValueType::kScalar, "aggregation parameter"));
  }
  if (e.op == AggregateOp::kCountValues) {
    STRATA_RETURN_IF_ERROR(ExpectType(*e.param, ValueType::kString, "aggregation parameter"));
  }
  return e.Type();
}

Result<ValueType> Checker::CheckBinary(BinaryExpr& e) {
  STRATA_ASSIGN_OR_RETURN(ValueType lt, Check(*e.lhs));
  STRATA_ASSIGN_OR_RETURN(ValueType rt, Check(*e.rhs));
  STRATA_RETURN_IF_ERROR(CheckBinaryOperator(e, lt, rt));
  return e.Type();
}

Status Checker::CheckBinaryOperator(BinaryExpr& e, ValueType lt, ValueType rt) {
  // Where the operator starts: the first non-space byte after the left operand.
  auto op_pos = [&] {
    size_t p = e.lhs->Position().end;
    while (p < input_.size() && IsSpace(input_[p])) ++p;
    return p;
  };
  const std::string op_name = model::Quote(BinaryOpString(e.op));
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
            return Error(op_pos(), Concat({"label ", model::Quote(l1),
                                           " must not occur in ON and GROUP clause at once"}));
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
      return Error(e.Position().start, Concat({"no grouping allowed for ", op_name, " operation"}));
    }
    if (card != VectorMatchCardinality::kManyToMany) {
      return Error(e.Position().start, "set operations must always be many-to-many");
    }
  }
  if ((lt == ValueType::kScalar || rt == ValueType::kScalar) && IsSetOp(e.op)) {
    return Error(e.Position().start,
                 Concat({"set operator ", op_name, " not allowed in binary scalar expression"}));
  }
  return Status::Ok();
}

Status Checker::CheckArity(const Call& e) {
  const Function& f = *e.func;
  const size_t nargs = f.arg_types.size();
  const std::string name = model::Quote(f.name);
  const size_t got = e.args.size();
  const std::string got_text = std::to_string(got);
  if (f.variadic == 0) {
    if (nargs != got) {
      return Error(e.Position().start,
                   Concat({"expected ", std::to_string(nargs), " argument(s) in call to ", name,
                           ", got ", got_text}));
    }
    return Status::Ok();
  }
  const size_t at_least = nargs - 1;
  if (at_least > got) {
    return Error(e.Position().start,
                 Concat({"expected at least ", std::to_string(at_least), " argument(s) in call to ",
                         name, ", got ", got_text}));
  }
  if (f.variadic > 0 && at_least + static_cast<size_t>(f.variadic) < got) {
    return Error(e.Position().start,
                 Concat({"expected at most ", std::to_string(at_least + f.variadic),
                         " argument(s) in call to ", name, ", got ", got_text}));
  }
  return Status::Ok();
}

Result<ValueType> Checker::CheckCall(Call& e) {
  STRATA_RETURN_IF_ERROR(CheckArity(e));
  const Function& f = *e.func;
  const size_t nargs = f.arg_types.size();
  const std::string context = Concat({"call to function ", model::Quote(f.name)});
  for (size_t i = 0; i < e.args.size(); ++i) {
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
        return Error(vs.pos.start,
                     Concat({"metric name must not be set twice: ", model::Quote(vs.name), " or ",
                             model::Quote(m.value())}));
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
