#include "rules/rule_metrics.h"

namespace strata::rules {
namespace {

prometheus::Summary::Quantiles Objectives() {
  return {{0.01, 0.001}, {0.05, 0.005}, {0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}};
}

prometheus::Family<prometheus::Counter>& C(prometheus::Registry* r, const char* name,
                                           const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(*r);
}
prometheus::Family<prometheus::Gauge>& G(prometheus::Registry* r, const char* name,
                                         const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(*r);
}

}  // namespace

RuleMetrics::RuleMetrics(prometheus::Registry* r)
    : rule_duration(prometheus::BuildSummary()
                        .Name("prometheus_rule_evaluation_duration_seconds")
                        .Help("The duration for a rule to execute.")
                        .Register(*r)
                        .Add({}, Objectives())),
      group_duration(prometheus::BuildSummary()
                         .Name("prometheus_rule_group_duration_seconds")
                         .Help("The duration of rule group evaluations.")
                         .Register(*r)
                         .Add({}, Objectives())),
      reload_ok(G(r, "strata_rules_config_last_reload_successful",
                  "Whether the last rule file (re)load succeeded (1) or kept the old rules (0).")
                    .Add({})),
      reload_time(G(r, "strata_rules_config_last_reload_success_timestamp_seconds",
                    "Time of the last successful rule file (re)load.")
                      .Add({})),
      iterations_(C(r, "prometheus_rule_group_iterations_total",
                    "The total number of scheduled rule group evaluations, whether executed or "
                    "missed.")),
      missed_(C(r, "prometheus_rule_group_iterations_missed_total",
                "The total number of rule group evaluations missed due to slow rule group "
                "evaluation.")),
      evaluations_(
          C(r, "prometheus_rule_evaluations_total", "The total number of rule evaluations.")),
      failures_(C(r, "prometheus_rule_evaluation_failures_total",
                  "The total number of rule evaluation failures.")),
      interval_(G(r, "prometheus_rule_group_interval_seconds", "The interval of a rule group.")),
      last_duration_(G(r, "prometheus_rule_group_last_duration_seconds",
                       "The duration of the last rule group evaluation.")),
      last_evaluation_(G(r, "prometheus_rule_group_last_evaluation_timestamp_seconds",
                         "The timestamp of the last rule group evaluation in seconds.")),
      last_samples_(G(r, "prometheus_rule_group_last_evaluation_samples",
                      "The number of samples returned during the last rule group evaluation.")),
      rules_(G(r, "prometheus_rule_group_rules", "The number of rules.")) {
  reload_ok.Set(1);
}

GroupMetrics RuleMetrics::AddGroup(const std::string& key) {
  const std::map<std::string, std::string> l{{"rule_group", key}};
  GroupMetrics m;
  m.iterations = &iterations_.Add(l);
  m.missed = &missed_.Add(l);
  m.evaluations = &evaluations_.Add(l);
  m.failures = &failures_.Add(l);
  m.interval = &interval_.Add(l);
  m.last_duration = &last_duration_.Add(l);
  m.last_evaluation = &last_evaluation_.Add(l);
  m.last_samples = &last_samples_.Add(l);
  m.rules = &rules_.Add(l);
  return m;
}

void RuleMetrics::RemoveGroup(const GroupMetrics& m) {
  if (m.iterations == nullptr) return;
  iterations_.Remove(m.iterations);
  missed_.Remove(m.missed);
  evaluations_.Remove(m.evaluations);
  failures_.Remove(m.failures);
  interval_.Remove(m.interval);
  last_duration_.Remove(m.last_duration);
  last_evaluation_.Remove(m.last_evaluation);
  last_samples_.Remove(m.last_samples);
  rules_.Remove(m.rules);
}

}  // namespace strata::rules
