#include "rules/alerting_rule.h"

#include <algorithm>
#include <unordered_set>

#include "base/log.h"
#include "query/parser.h"
#include "query/printer.h"

namespace strata::rules {

std::string_view AlertStateName(AlertState s) {
  switch (s) {
    case AlertState::kPending:
      return "pending";
    case AlertState::kFiring:
      return "firing";
    case AlertState::kInactive:
      break;
  }
  return "inactive";
}

AlertingRule::AlertingRule(RuleSpec spec, bool restored)
    : Rule(std::move(spec)),
      expanded_expr_(query::ExprToString(*this->spec().expr)),
      restored_(restored) {}

namespace {

query::VectorSample AlertSample(const Alert& a, std::string_view metric, bool with_state, int64_t t,
                                double v) {
  model::LabelsBuilder b(a.labels);
  b.Set(model::kMetricNameLabel, metric);
  if (with_state) b.Set("alertstate", AlertStateName(a.state));
  return query::VectorSample{b.Build(), t, v};
}

}  // namespace

Result<query::Vector> AlertingRule::Eval(const EvalContext& ctx) {
  const int64_t ts = ctx.ts_ms;
  const int64_t qt = ts - ctx.query_offset_ms;
  STRATA_ASSIGN_OR_RETURN(query::Vector res, QueryVector(ctx, *spec().expr, qt));

  static const model::Labels kNoLabels;
  std::unordered_map<model::Labels, Alert, model::LabelsHash> fresh;
  fresh.reserve(res.size());
  model::LabelsBuilder b;
  for (const query::VectorSample& s : res) {
    TemplateContext tc;
    tc.labels = s.labels;
    tc.value = s.v;
    tc.external_labels = ctx.external_labels ? *ctx.external_labels : kNoLabels;
    tc.external_url = ctx.external_url;
    tc.path_prefix = ctx.path_prefix;
    tc.time_ms = ts;
    tc.query = [&ctx, qt](std::string_view q) -> Result<std::vector<TemplateSample>> {
      query::ParseOptions po;
      STRATA_ASSIGN_OR_RETURN(query::ExprPtr e, query::ParseExpr(q, po));
      STRATA_ASSIGN_OR_RETURN(query::Vector v, QueryVector(ctx, *e, qt));
      std::vector<TemplateSample> out;
      out.reserve(v.size());
      for (query::VectorSample& x : v) out.push_back({std::move(x.labels), x.v});
      return out;
    };
    auto expand = [&](const TemplatedLabel& l) -> std::string {
      if (!l.tmpl) return l.text;
      auto r = l.tmpl->Execute(tc);
      if (r.ok()) return std::move(r).value();
      STRATA_LOG(kWarn, "rules") << "expanding alert template failed" << LogKV("alert", name())
                                 << LogKV("error", r.status().message());
      // Prometheus' error text (a second execution, on this rare path only).
      return l.tmpl->ExpandForAlert(tc);
    };
    b.Reset(s.labels);
    b.Del(model::kMetricNameLabel);
    for (const TemplatedLabel& l : spec().labels) b.Set(l.name, expand(l));
    b.Set("alertname", name());
    Alert a;
    a.labels = b.Build();
    for (const TemplatedLabel& l : spec().annotations) a.annotations.push_back({l.name, expand(l)});
    a.active_at_ms = ts;
    a.state = AlertState::kPending;
    a.value = s.v;
    model::Labels key = a.labels;
    if (!fresh.emplace(std::move(key), std::move(a)).second) {
      return Status::FailedPrecondition(
          "vector contains metrics with the same labelset after applying alert labels");
    }
  }

  MutexLock lock(&mu_);
  for (auto& [labels, a] : fresh) {
    auto it = active_.find(labels);
    if (it != active_.end() && it->second.state != AlertState::kInactive) {
      it->second.value = a.value;
      it->second.annotations = std::move(a.annotations);
      continue;
    }
    active_.insert_or_assign(labels, std::move(a));
  }

  query::Vector out;
  int64_t active_count = 0;
  const bool write = restored();
  for (auto it = active_.begin(); it != active_.end();) {
    Alert& a = it->second;
    if (!fresh.contains(it->first)) {
      bool keep_firing = false;
      if (a.state == AlertState::kFiring && spec().keep_firing_for_ms > 0) {
        if (a.keep_firing_since_ms == kNoTime) a.keep_firing_since_ms = ts;
        keep_firing = ts - a.keep_firing_since_ms < spec().keep_firing_for_ms;
      }
      // Pending alerts vanish at once; resolved ones after the retention.
      if (a.state == AlertState::kPending ||
          (a.resolved_at_ms != kNoTime && ts - a.resolved_at_ms > kResolvedRetentionMs)) {
        it = active_.erase(it);
        continue;
      }
      if (a.state != AlertState::kInactive && !keep_firing) {
        a.state = AlertState::kInactive;
        a.resolved_at_ms = ts;
      }
      if (!keep_firing) {
        ++it;
        continue;
      }
    } else {
      a.keep_firing_since_ms = kNoTime;
    }
    ++active_count;
    if (a.state == AlertState::kPending && ts - a.active_at_ms >= spec().for_ms) {
      a.state = AlertState::kFiring;
      a.fired_at_ms = ts;
    }
    if (write) {
      out.push_back(AlertSample(a, "ALERTS", true, qt, 1));
      out.push_back(AlertSample(a, "ALERTS_FOR_STATE", false, qt,
                                static_cast<double>(a.active_at_ms / 1000)));
    }
    ++it;
  }
  if (ctx.limit > 0 && active_count > ctx.limit) {
    active_.clear();
    return Status::FailedPrecondition("exceeded limit of " + std::to_string(ctx.limit) + " with " +
                                      std::to_string(active_count) + " alerts");
  }
  return out;
}

std::vector<AlertNotification> AlertingRule::AlertsToSend(int64_t ts_ms, int64_t resend_delay_ms,
                                                          int64_t interval_ms) {
  std::vector<AlertNotification> out;
  MutexLock lock(&mu_);
  for (auto& [labels, a] : active_) {
    if (a.state == AlertState::kPending) continue;
    const bool resolved_since_sent =
        a.resolved_at_ms != kNoTime &&
        (a.last_sent_at_ms == kNoTime || a.resolved_at_ms > a.last_sent_at_ms);
    const bool due = a.last_sent_at_ms == kNoTime || a.last_sent_at_ms + resend_delay_ms < ts_ms;
    if (!resolved_since_sent && !due) continue;
    a.last_sent_at_ms = ts_ms;
    a.valid_until_ms = ts_ms + 4 * std::max(resend_delay_ms, interval_ms);
    AlertNotification n;
    n.labels = a.labels;
    n.annotations = a.annotations;
    n.starts_at_ms = a.fired_at_ms;
    n.ends_at_ms = a.resolved_at_ms != kNoTime ? a.resolved_at_ms : a.valid_until_ms;
    n.expr = expanded_expr_;
    out.push_back(std::move(n));
  }
  std::sort(out.begin(), out.end(), [](const AlertNotification& x, const AlertNotification& y) {
    return x.labels < y.labels;
  });
  return out;
}

std::vector<Alert> AlertingRule::Alerts() const {
  std::vector<Alert> out;
  {
    MutexLock lock(&mu_);
    out.reserve(active_.size());
    for (const auto& [labels, a] : active_) out.push_back(a);
  }
  std::sort(out.begin(), out.end(),
            [](const Alert& x, const Alert& y) { return x.labels < y.labels; });
  return out;
}

AlertState AlertingRule::State() const {
  AlertState s = AlertState::kInactive;
  MutexLock lock(&mu_);
  for (const auto& [labels, a] : active_) {
    if (a.state > s) s = a.state;
  }
  return s;
}

void AlertingRule::CopyStateFrom(AlertingRule& old) {
  if (&old == this) return;
  std::unordered_map<model::Labels, Alert, model::LabelsHash> copy;
  {
    MutexLock lock(&old.mu_);
    copy = old.active_;
  }
  MutexLock lock(&mu_);
  active_ = std::move(copy);
}

}  // namespace strata::rules
