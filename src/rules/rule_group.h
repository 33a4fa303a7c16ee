// RuleGroup: one group of a rule file and its evaluation state. Eval() runs every rule in order
// at one evaluation time over any Querier and hands each rule's output to a SampleSink before
// the next rule runs (so later rules see earlier results), with stale markers for series a rule
// produced last time but not this time; alerting rules then hand due notifications to the
// NotifyFunc. The schedule (EvalTimestamp) is Prometheus': evaluation times are multiples of
// the interval plus a stable per-group offset derived from a hash of the group's name and file.
// Eval/RestoreForState/CopyStateFrom are confined to one thread at a time (the group's runner,
// or a test driving a synthetic clock); Snapshot() is thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/clock.h"
#include "base/mutex.h"
#include "rules/alerting_rule.h"
#include "rules/rule.h"
#include "rules/rule_file.h"
#include "rules/rule_metrics.h"
#include "rules/sample_sink.h"

namespace strata::rules {

using NotifyFunc = std::function<void(std::vector<AlertNotification>)>;

struct GroupOptions {
  int64_t default_interval_ms = 60'000;  // --rules.evaluation-interval
  int64_t default_query_offset_ms = 0;
  int64_t resend_delay_ms = 60'000;         // --rules.alert.resend-delay
  int64_t outage_tolerance_ms = 3'600'000;  // --rules.alert.for-outage-tolerance
  int64_t for_grace_period_ms = 600'000;    // --rules.alert.for-grace-period
  model::Labels external_labels;
  std::string external_url;
  // Wall clock for the API's lastEvaluation; evaluation times are passed to Eval.
  const Clock* clock = &SystemClock::Default();
};

// One rule as the API shows it.
struct RuleSnapshot {
  RuleKind kind = RuleKind::kRecording;
  const RuleSpec* spec = nullptr;  // Valid while the snapshot's group is held.
  RuleStatus status;
  AlertState state = AlertState::kInactive;
  std::vector<Alert> alerts;  // Alerting rules: pending and firing (and resolved) alerts.
};

struct GroupSnapshot {
  std::shared_ptr<const GroupSpec> spec;  // Keeps RuleSnapshot::spec alive.
  int64_t interval_ms = 0;
  int64_t limit = 0;
  double evaluation_seconds = 0;
  int64_t last_evaluation_ms = INT64_MIN;  // Wall time the last evaluation started.
  std::vector<RuleSnapshot> rules;
};

class RuleGroup {
 public:
  // `restore`: the rules' `for` state must be restored (RestoreForState) before they write
  // ALERTS (true on the first load after start-up). `metrics` may be null.
  RuleGroup(GroupSpec spec, GroupOptions options, bool restore, GroupMetrics metrics = {},
            RuleMetrics* rule_metrics = nullptr);

  const GroupSpec& spec() const { return *spec_; }
  // "<file>;<name>", Prometheus' GroupKey (the rule_group label).
  std::string Key() const;
  int64_t interval_ms() const { return interval_ms_; }
  int64_t query_offset_ms() const { return query_offset_ms_; }
  bool should_restore() const { return should_restore_; }
  const GroupMetrics& metrics() const { return metrics_; }

  // This group's offset in [0, interval): its evaluation times are k * interval + offset.
  int64_t OffsetMs() const;
  // The latest evaluation time <= now_ms.
  int64_t EvalTimestamp(int64_t now_ms) const;

  // Evaluates every rule at ts_ms (see the file comment). Rule errors are recorded in the
  // rule's health and counted; they do not stop the group. `notify` may be empty.
  void Eval(const storage::Querier& querier, const query::Engine& engine, int64_t ts_ms,
            SampleSink* sink, const NotifyFunc& notify);

  // Restores the `for` state of alerting rules from ALERTS_FOR_STATE in [now - outage
  // tolerance, now], as Prometheus does after a restart, then marks every rule restored.
  void RestoreForState(const storage::Querier& querier, int64_t now_ms);

  // Writes stale markers at ts_ms (or just after the last evaluation's output, if later) for
  // every series the group wrote last time (the group was removed by a reload).
  void MarkAllStale(int64_t ts_ms, SampleSink* sink);

  // Takes over the state of `old`, the same group before a reload: alerts and last-written
  // series of rules with the same name and labels; the other rules' series are marked stale at
  // the next Eval.
  void CopyStateFrom(RuleGroup& old);

  // True when `spec` describes this group exactly (then a reload keeps it running).
  bool SameDefinition(const GroupSpec& spec, const GroupOptions& options) const;

  // The rules' status for the API.
  GroupSnapshot Snapshot() const;

  // The rules (tests).
  const std::vector<std::unique_ptr<Rule>>& rules() const { return rules_; }

 private:
  using SeriesSet = std::unordered_set<model::Labels, model::LabelsHash>;

  std::shared_ptr<const GroupSpec> spec_;
  GroupOptions options_;
  int64_t interval_ms_;
  int64_t query_offset_ms_;
  bool should_restore_;
  GroupMetrics metrics_;
  RuleMetrics* rule_metrics_;
  std::vector<std::unique_ptr<Rule>> rules_;
  std::vector<SeriesSet> previous_;   // Per rule: the series written by the last evaluation.
  std::vector<model::Labels> stale_;  // Series of removed rules, marked stale at the next Eval.
  int64_t last_out_ts_ = INT64_MIN;   // Timestamp of the last evaluation's output.

  mutable Mutex mu_;
  double evaluation_seconds_ STRATA_GUARDED_BY(mu_) = 0;
  int64_t last_evaluation_ms_ STRATA_GUARDED_BY(mu_) = INT64_MIN;
};

}  // namespace strata::rules
