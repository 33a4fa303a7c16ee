// Rule: what recording and alerting rules share: the spec, how one evaluation is run (an
// instant query at the group's evaluation time minus its query offset) and the health the API
// reports (ok / err / unknown, last error, duration and time of the last evaluation).
// Evaluation is confined to the group's thread; the status accessors are thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "base/result.h"
#include "query/engine.h"
#include "query/value.h"
#include "rules/rule_file.h"
#include "storage/querier.h"

namespace strata::rules {

// "unknown" before the first evaluation, "ok" after a good one, "err" after a failed one.
enum class RuleHealth : uint8_t { kUnknown, kGood, kBad };
std::string_view RuleHealthName(RuleHealth h);  // "unknown", "ok", "err"

// What one evaluation of a rule sees.
struct EvalContext {
  const storage::Querier* querier = nullptr;
  const query::Engine* engine = nullptr;
  int64_t ts_ms = 0;                               // The group's evaluation time.
  int64_t query_offset_ms = 0;                     // Queries run at ts_ms - query_offset_ms.
  int64_t limit = 0;                               // The group's limit (0: none).
  const model::Labels* external_labels = nullptr;  // For templates; may be null.
  std::string external_url;                        // $externalURL.
  std::string path_prefix;  // The path of external_url ("" or "/prefix"), for pathPrefix.
};

// Runs `expr` as an instant query at `time_ms` and returns an instant vector (a scalar becomes
// one sample without labels, as Prometheus' rule query function does). FailedPrecondition
// "rule result is not a vector or scalar" for strings and matrices; the engine's errors as is.
Result<query::Vector> QueryVector(const EvalContext& ctx, const query::Expr& expr, int64_t time_ms);

// The status of one rule as the API shows it.
struct RuleStatus {
  RuleHealth health = RuleHealth::kUnknown;
  std::string last_error;
  double evaluation_seconds = 0;
  int64_t last_evaluation_ms = INT64_MIN;  // INT64_MIN: never evaluated.
};

class Rule {
 public:
  explicit Rule(RuleSpec spec) : spec_(std::move(spec)) {}
  virtual ~Rule() = default;
  Rule(const Rule&) = delete;
  Rule& operator=(const Rule&) = delete;

  const RuleSpec& spec() const { return spec_; }
  RuleKind kind() const { return spec_.kind; }
  const std::string& name() const { return spec_.name; }

  // Evaluates the rule at ctx.ts_ms and returns the samples to write (recording output, or
  // ALERTS and ALERTS_FOR_STATE). On error the rule's state is as Prometheus leaves it.
  virtual Result<query::Vector> Eval(const EvalContext& ctx) = 0;

  RuleStatus status() const;
  void SetStatus(RuleStatus status);

 private:
  const RuleSpec spec_;
  mutable Mutex mu_;
  RuleStatus status_ STRATA_GUARDED_BY(mu_);
};

}  // namespace strata::rules
