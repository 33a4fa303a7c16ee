// RulesApi: GET /api/v1/rules and GET /api/v1/alerts in Prometheus 2.53's JSON shapes (what
// Grafana reads): groups with name, file, rules, interval, limit, evaluationTime and
// lastEvaluation; alerting rules with state, name, query, duration, keepFiringFor, labels,
// annotations, alerts, health, lastError, evaluationTime, lastEvaluation, type "alerting";
// recording rules with name, query, labels, health, lastError, evaluationTime, lastEvaluation,
// type "recording". /api/v1/rules filters: type=alert|record, rule_name[], rule_group[], file[],
// exclude_alerts=true. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "rules/manager.h"
#include "server/router.h"

namespace strata::server {

class RulesApi {
 public:
  // Borrows `manager` (may be null: no rules); it must outlive the RulesApi.
  explicit RulesApi(const rules::RuleManager* manager) : manager_(manager) {}

  void Register(Router* router);
  void Rules(const HttpRequest& req, HttpResponse* res) const;
  void Alerts(const HttpRequest& req, HttpResponse* res) const;

 private:
  const rules::RuleManager* manager_;
};

// The JSON `data` of /api/v1/rules for `groups`, filtered as the parameters ask. Exposed for
// tests. InvalidArgument for a bad type or exclude_alerts value.
struct RulesFilter {
  std::string type;  // "", "alert" or "record"
  std::vector<std::string> rule_names, rule_groups, files;
  bool exclude_alerts = false;
};
std::string EncodeRuleGroups(const std::vector<rules::GroupSnapshot>& groups,
                             const RulesFilter& filter);
// The JSON `data` of /api/v1/alerts: {"alerts":[...]} with every pending and firing alert.
std::string EncodeAlerts(const std::vector<rules::GroupSnapshot>& groups);
// Go's time.Time JSON form in UTC (RFC 3339, fractional seconds without trailing zeros); the
// zero time "0001-01-01T00:00:00Z" for INT64_MIN.
std::string FormatGoTime(int64_t ms);
// strconv.FormatFloat(v, 'e', -1, 64): "1e+00", "1.5e-07", "NaN", "+Inf".
std::string FormatFloatE(double v);

}  // namespace strata::server
