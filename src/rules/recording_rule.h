// RecordingRule: evaluates its expression and renames the result: __name__ becomes the rule's
// name and the rule's labels are set (an empty value deletes a label), as Prometheus' recording
// rules do. Confined to the group's thread (status accessors of Rule are thread-safe).
#pragma once

#include "rules/rule.h"

namespace strata::rules {

class RecordingRule final : public Rule {
 public:
  // REQUIRES: spec.kind == kRecording, spec.expr != nullptr.
  explicit RecordingRule(RuleSpec spec) : Rule(std::move(spec)) {}

  // The renamed vector, timestamped ctx.ts_ms - ctx.query_offset_ms. FailedPrecondition when
  // two samples end up with the same labels ("vector contains metrics with the same labelset
  // after applying rule labels") or the group's limit is exceeded ("exceeded limit of N with M
  // series"); the engine's errors otherwise.
  Result<query::Vector> Eval(const EvalContext& ctx) override;
};

}  // namespace strata::rules
