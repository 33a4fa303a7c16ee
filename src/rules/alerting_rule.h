// AlertingRule: Prometheus' alert state machine, per label set of the expression's result.
//
//   (no alert) --result--> pending --held `for`--> firing --no result--> inactive (resolved)
//        pending --no result--> (deleted)      firing --no result within keep_firing_for--> firing
//
// A resolved alert stays (inactive) for 15 minutes so Alertmanager keeps hearing "resolved".
// Each evaluation writes ALERTS{alertname, alertstate, labels...} = 1 and ALERTS_FOR_STATE
// {alertname, labels...} = activeAt in seconds for every pending or firing alert, once the rule
// is "restored" (after a restart, `for` state is first restored from ALERTS_FOR_STATE, see
// RuleGroup::RestoreForState). Labels and annotations are templates expanded per alert with
// $labels, $value, $externalLabels and $externalURL; an expansion error becomes the text
// "<error expanding template: ...>" and is logged, as in Prometheus.
// Evaluation is confined to the group's thread; Alerts() and the status accessors are
// thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "rules/rule.h"

namespace strata::rules {

enum class AlertState : uint8_t { kInactive, kPending, kFiring };
std::string_view AlertStateName(AlertState s);  // "inactive", "pending", "firing"

inline constexpr int64_t kNoTime = INT64_MIN;
// How long a resolved alert is kept (and re-sent as resolved). Prometheus: 15 minutes.
inline constexpr int64_t kResolvedRetentionMs = 15 * 60 * 1000;

struct Alert {
  model::Labels labels;  // Expression labels (no __name__) + rule labels + alertname.
  std::vector<model::Label> annotations;  // Expanded; sorted by name.
  AlertState state = AlertState::kPending;
  double value = 0;
  int64_t active_at_ms = kNoTime;
  int64_t fired_at_ms = kNoTime;
  int64_t resolved_at_ms = kNoTime;
  int64_t last_sent_at_ms = kNoTime;
  int64_t valid_until_ms = kNoTime;
  int64_t keep_firing_since_ms = kNoTime;
};

// An alert as handed to the notifier.
struct AlertNotification {
  model::Labels labels;
  std::vector<model::Label> annotations;
  int64_t starts_at_ms = 0;
  int64_t ends_at_ms = 0;
  std::string expr;  // The rule's expression, printed, for the generator URL.
};

class AlertingRule final : public Rule {
 public:
  // REQUIRES: spec.kind == kAlerting, spec.expr != nullptr. `restored`: false when the rule
  // must wait for RuleGroup::RestoreForState before writing ALERTS (the first load after
  // start-up), true otherwise.
  AlertingRule(RuleSpec spec, bool restored);

  // Runs the state machine at ctx.ts_ms. Errors: the engine's; FailedPrecondition for labels
  // that collide after the rule labels are applied, or more alerts than the group's limit
  // (then every alert of the rule is dropped, as in Prometheus).
  Result<query::Vector> Eval(const EvalContext& ctx) override;

  // The alerts to (re)send at `ts_ms` (firing ones not sent within `resend_delay_ms`, and those
  // resolved since they were last sent); marks them sent, valid for 4 * max(resend_delay,
  // interval) (Prometheus' "two missed evaluations or sends" margin).
  std::vector<AlertNotification> AlertsToSend(int64_t ts_ms, int64_t resend_delay_ms,
                                              int64_t interval_ms);

  // Copies of the current alerts (every state), sorted by labels.
  std::vector<Alert> Alerts() const;
  // The most severe state of the alerts (inactive when none).
  AlertState State() const;

  bool restored() const { return restored_.load(std::memory_order_acquire); }
  void SetRestored(bool v) { restored_.store(v, std::memory_order_release); }

  // Replaces the active_at of the alert with these labels, if present (restore after restart).
  // Calls `f` on each alert under the lock; `f` may change active_at_ms only.
  template <typename F>
  void ForEachAlert(F f) {
    MutexLock lock(&mu_);
    for (auto& [labels, alert] : active_) f(&alert);
  }

  // Takes over the alerts of `old` (a rule of the same identity before a reload).
  void CopyStateFrom(AlertingRule& old);

 private:
  std::string expanded_expr_;  // ExprToString of the expression.
  std::atomic<bool> restored_;
  mutable Mutex mu_;
  std::unordered_map<model::Labels, Alert, model::LabelsHash> active_ STRATA_GUARDED_BY(mu_);
};

}  // namespace strata::rules
