#include "rules/rule.h"

#include <type_traits>
#include <variant>

namespace strata::rules {

std::string_view RuleHealthName(RuleHealth h) {
  switch (h) {
    case RuleHealth::kGood:
      return "ok";
    case RuleHealth::kBad:
      return "err";
    case RuleHealth::kUnknown:
      break;
  }
  return "unknown";
}

Result<query::Vector> QueryVector(const EvalContext& ctx, const query::Expr& expr,
                                  int64_t time_ms) {
  STRATA_ASSIGN_OR_RETURN(
      query::QueryValue value,
      ctx.engine->Evaluate(*ctx.querier, expr, time_ms, time_ms, 1, /*instant=*/true));
  if (auto* v = std::get_if<query::Vector>(&value)) return std::move(*v);
  if (auto* s = std::get_if<query::Scalar>(&value)) {
    return query::Vector{query::VectorSample{model::Labels(), s->t, s->v}};
  }
  return Status::FailedPrecondition("rule result is not a vector or scalar");
}

RuleStatus Rule::status() const {
  MutexLock lock(&mu_);
  return status_;
}

void Rule::SetStatus(RuleStatus status) {
  MutexLock lock(&mu_);
  status_ = std::move(status);
}

}  // namespace strata::rules
