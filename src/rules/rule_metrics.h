// RuleMetrics: the rule evaluator's self-metrics under Prometheus' names (rules/group.go,
// v2.53), labelled rule_group="<file>;<group>" where Prometheus labels them:
//   prometheus_rule_evaluation_duration_seconds          summary
//   prometheus_rule_group_duration_seconds               summary
//   prometheus_rule_group_iterations_total               {rule_group}
//   prometheus_rule_group_iterations_missed_total        {rule_group}
//   prometheus_rule_evaluations_total                    {rule_group}
//   prometheus_rule_evaluation_failures_total            {rule_group}
//   prometheus_rule_group_interval_seconds               {rule_group}
//   prometheus_rule_group_last_duration_seconds          {rule_group}
//   prometheus_rule_group_last_evaluation_timestamp_seconds {rule_group}
//   prometheus_rule_group_last_evaluation_samples        {rule_group}
//   prometheus_rule_group_rules                          {rule_group}
// plus strata_rules_config_last_reload_successful and ..._success_timestamp_seconds.
// Thread-safe (prometheus-cpp metrics are).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/summary.h>

#include <string>

namespace strata::rules {

// The metrics of one group; the references stay valid until RuleMetrics::RemoveGroup.
struct GroupMetrics {
  prometheus::Counter* iterations = nullptr;
  prometheus::Counter* missed = nullptr;
  prometheus::Counter* evaluations = nullptr;
  prometheus::Counter* failures = nullptr;
  prometheus::Gauge* interval = nullptr;
  prometheus::Gauge* last_duration = nullptr;
  prometheus::Gauge* last_evaluation = nullptr;
  prometheus::Gauge* last_samples = nullptr;
  prometheus::Gauge* rules = nullptr;
};

class RuleMetrics {
 public:
  // Registers the families in `registry`, which must outlive this.
  explicit RuleMetrics(prometheus::Registry* registry);

  GroupMetrics AddGroup(const std::string& group_key);
  void RemoveGroup(const GroupMetrics& m);

  prometheus::Summary& rule_duration;
  prometheus::Summary& group_duration;
  prometheus::Gauge& reload_ok;
  prometheus::Gauge& reload_time;

 private:
  prometheus::Family<prometheus::Counter>& iterations_;
  prometheus::Family<prometheus::Counter>& missed_;
  prometheus::Family<prometheus::Counter>& evaluations_;
  prometheus::Family<prometheus::Counter>& failures_;
  prometheus::Family<prometheus::Gauge>& interval_;
  prometheus::Family<prometheus::Gauge>& last_duration_;
  prometheus::Family<prometheus::Gauge>& last_evaluation_;
  prometheus::Family<prometheus::Gauge>& last_samples_;
  prometheus::Family<prometheus::Gauge>& rules_;
};

}  // namespace strata::rules
