#include "rules/rule_group.h"

#include <chrono>
#include <map>

#include "base/log.h"
#include "model/sample.h"
#include "rules/recording_rule.h"

namespace strata::rules {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Prometheus truncates restore times to whole seconds.
int64_t TruncSeconds(int64_t ms) { return (ms / 1000) * 1000; }

}  // namespace

RuleGroup::RuleGroup(GroupSpec spec, GroupOptions options, bool restore, GroupMetrics metrics,
                     RuleMetrics* rule_metrics)
    : spec_(std::make_shared<const GroupSpec>(std::move(spec))),
      options_(std::move(options)),
      interval_ms_(spec_->interval_ms > 0 ? spec_->interval_ms : options_.default_interval_ms),
      query_offset_ms_(spec_->query_offset_ms.value_or(options_.default_query_offset_ms)),
      should_restore_(restore),
      metrics_(metrics),
      rule_metrics_(rule_metrics) {
  for (const RuleSpec& r : spec_->rules) {
    if (r.kind == RuleKind::kAlerting) {
      rules_.push_back(std::make_unique<AlertingRule>(r, !restore));
    } else {
      rules_.push_back(std::make_unique<RecordingRule>(r));
    }
  }
  previous_.resize(rules_.size());
  if (metrics_.interval) metrics_.interval->Set(static_cast<double>(interval_ms_) / 1000.0);
  if (metrics_.rules) metrics_.rules->Set(static_cast<double>(rules_.size()));
}

std::string RuleGroup::Key() const { return spec_->file + ";" + spec_->name; }

int64_t RuleGroup::OffsetMs() const {
  auto labels = model::Labels::FromPairs({{"name", spec_->name}, {"file", spec_->file}});
  const uint64_t h = labels.ok() ? labels->Hash() : 0;
  return static_cast<int64_t>(h % static_cast<uint64_t>(interval_ms_));
}

int64_t RuleGroup::EvalTimestamp(int64_t now_ms) const {
  const int64_t offset = OffsetMs();
  const int64_t adj = now_ms - offset;
  // Floor division, so times before the epoch (synthetic clocks) align too.
  int64_t base = adj - (adj % interval_ms_);
  if (adj % interval_ms_ < 0) base -= interval_ms_;
  return base + offset;
}

void RuleGroup::Eval(const storage::Querier& querier, const query::Engine& engine, int64_t ts_ms,
                     SampleSink* sink, const NotifyFunc& notify) {
  const auto group_start = std::chrono::steady_clock::now();
  const int64_t wall_start = options_.clock->NowMillis();
  EvalContext ctx;
  ctx.querier = &querier;
  ctx.engine = &engine;
  ctx.ts_ms = ts_ms;
  ctx.query_offset_ms = query_offset_ms_;
  ctx.limit = spec_->limit;
  ctx.external_labels = &options_.external_labels;
  ctx.external_url = options_.external_url;
  // pathPrefix: what follows scheme://host[:port] in the external URL.
  if (const size_t scheme = ctx.external_url.find("://"); scheme != std::string::npos) {
    const size_t path = ctx.external_url.find('/', scheme + 3);
    if (path != std::string::npos) ctx.path_prefix = ctx.external_url.substr(path);
  }
  int64_t samples_total = 0;
  const int64_t out_ts = ts_ms - query_offset_ms_;
  last_out_ts_ = out_ts;
  for (size_t i = 0; i < rules_.size(); ++i) {
    Rule& rule = *rules_[i];
    const auto rule_start = std::chrono::steady_clock::now();
    const int64_t rule_wall = options_.clock->NowMillis();
    if (metrics_.evaluations) metrics_.evaluations->Increment();
    auto vec = rule.Eval(ctx);
    RuleStatus st;
    st.last_evaluation_ms = rule_wall;
    if (!vec.ok()) {
      st.health = RuleHealth::kBad;
      st.last_error = vec.status().message();
      st.evaluation_seconds = SecondsSince(rule_start);
      rule.SetStatus(st);
      if (metrics_.failures) metrics_.failures->Increment();
      if (rule_metrics_) rule_metrics_->rule_duration.Observe(st.evaluation_seconds);
      STRATA_LOG(kWarn, "rules") << "evaluating rule failed" << LogKV("group", spec_->name)
                                 << LogKV("rule", rule.name())
                                 << LogKV("error", vec.status().message());
      continue;
    }
    // A notification failure must not hide the rule's output: send after writing.
    query::Vector out = std::move(vec).value();
    samples_total += static_cast<int64_t>(out.size());
    SeriesSet now;
    now.reserve(out.size());
    for (const query::VectorSample& s : out) now.insert(s.labels);
    query::Vector markers;
    for (const model::Labels& l : previous_[i]) {
      if (!now.contains(l)) markers.push_back({l, out_ts, model::StaleNaN()});
    }
    // A refused result sample makes the rule unhealthy, as in Prometheus; a refused stale
    // marker is expected (another rule writes the series now) and is not counted.
    SinkReport report;
    Status ws = sink->Append(out, &report);
    if (ws.ok() && !markers.empty()) ws = sink->Append(markers, nullptr);
    if (!ws.ok()) {
      st.health = RuleHealth::kBad;
      st.last_error = ws.ToString();
      if (metrics_.failures) metrics_.failures->Increment();
      STRATA_LOG(kWarn, "rules") << "writing rule output failed" << LogKV("rule", rule.name())
                                 << LogKV("error", ws.ToString());
    } else {
      if (report.rejected > 0) {
        st.health = RuleHealth::kBad;
        st.last_error = report.first_problem;
        STRATA_LOG(kWarn, "rules")
            << "rule output refused by the storage" << LogKV("group", spec_->name)
            << LogKV("rule", rule.name()) << LogKV("refused", report.rejected)
            << LogKV("first", report.first_problem);
      } else {
        st.health = RuleHealth::kGood;
      }
      previous_[i] = std::move(now);
    }
    if (rule.kind() == RuleKind::kAlerting && notify) {
      auto alerts = static_cast<AlertingRule&>(rule).AlertsToSend(ts_ms, options_.resend_delay_ms,
                                                                  interval_ms_);
      if (!alerts.empty()) notify(std::move(alerts));
    }
    st.evaluation_seconds = SecondsSince(rule_start);
    if (rule_metrics_) rule_metrics_->rule_duration.Observe(st.evaluation_seconds);
    rule.SetStatus(st);
  }
  if (!stale_.empty()) {
    query::Vector markers;
    for (model::Labels& l : stale_) markers.push_back({std::move(l), out_ts, model::StaleNaN()});
    stale_.clear();
    Status ws = sink->Append(markers, nullptr);
    if (!ws.ok()) {
      STRATA_LOG(kWarn, "rules") << "writing stale markers failed" << LogKV("error", ws.ToString());
    }
  }
  const double took = SecondsSince(group_start);
  {
    MutexLock lock(&mu_);
    evaluation_seconds_ = took;
    last_evaluation_ms_ = wall_start;
  }
  if (metrics_.iterations) metrics_.iterations->Increment();
  if (metrics_.last_duration) metrics_.last_duration->Set(took);
  if (metrics_.last_evaluation) {
    metrics_.last_evaluation->Set(static_cast<double>(ts_ms) / 1000.0);
  }
  if (metrics_.last_samples) metrics_.last_samples->Set(static_cast<double>(samples_total));
  if (rule_metrics_) rule_metrics_->group_duration.Observe(took);
}

void RuleGroup::RestoreForState(const storage::Querier& querier, int64_t now_ms) {
  const int64_t mint = now_ms - options_.outage_tolerance_ms;
  for (auto& r : rules_) {
    if (r->kind() != RuleKind::kAlerting) continue;
    auto& rule = static_cast<AlertingRule&>(*r);
    const int64_t hold = rule.spec().for_ms;
    if (hold < options_.for_grace_period_ms) {
      // Restoring would make the alert wait for the grace period instead of its own `for`.
      rule.SetRestored(true);
      continue;
    }
    model::Matchers matchers;
    auto m1 = model::Matcher::Make(model::MatchType::kEqual, std::string(model::kMetricNameLabel),
                                   "ALERTS_FOR_STATE");
    auto m2 = model::Matcher::Make(model::MatchType::kEqual, "alertname", rule.name());
    if (!m1.ok() || !m2.ok()) {
      rule.SetRestored(true);
      continue;
    }
    matchers.push_back(std::move(m1).value());
    matchers.push_back(std::move(m2).value());
    auto series = storage::SelectAll(querier, matchers, mint, now_ms);
    if (!series.ok()) {
      STRATA_LOG(kWarn, "rules") << "restoring alert state failed" << LogKV("alert", rule.name())
                                 << LogKV("error", series.status().ToString());
      rule.SetRestored(true);
      continue;
    }
    // The newest ALERTS_FOR_STATE sample of each alert's label set.
    std::map<model::Labels, model::Sample> last;
    for (storage::MaterializedSeries& s : *series) {
      if (s.samples.empty()) continue;
      last[s.labels.WithoutMetricName()] = s.samples.back();
    }
    rule.ForEachAlert([&](Alert* a) {
      auto it = last.find(a->labels);
      if (it == last.end()) return;
      const model::Sample& smpl = it->second;
      if (model::IsStaleNaN(smpl.value)) return;  // The alert was not active.
      const int64_t down_at = TruncSeconds(smpl.timestamp_ms);
      int64_t restored_active_at = static_cast<int64_t>(smpl.value) * 1000;
      const int64_t remaining = hold - (down_at - restored_active_at);
      if (remaining <= 0) {
        // It was firing when the server went down; the next Eval fires it again if it holds.
      } else if (remaining < options_.for_grace_period_ms) {
        restored_active_at = now_ms + options_.for_grace_period_ms - hold;
      } else {
        restored_active_at += now_ms - down_at;
      }
      a->active_at_ms = restored_active_at;
    });
    rule.SetRestored(true);
  }
  should_restore_ = false;
}

void RuleGroup::MarkAllStale(int64_t ts_ms, SampleSink* sink) {
  // After the last output, or the storage would refuse the markers as out of order.
  if (last_out_ts_ != INT64_MIN) ts_ms = std::max(ts_ms, last_out_ts_ + 1);
  query::Vector markers;
  for (SeriesSet& set : previous_) {
    for (const model::Labels& l : set) markers.push_back({l, ts_ms, model::StaleNaN()});
    set.clear();
  }
  for (model::Labels& l : stale_) markers.push_back({std::move(l), ts_ms, model::StaleNaN()});
  stale_.clear();
  Status s = sink->Append(markers, nullptr);
  if (!s.ok()) {
    STRATA_LOG(kWarn, "rules") << "writing stale markers of a removed group failed"
                               << LogKV("group", spec_->name) << LogKV("error", s.ToString());
  }
}

void RuleGroup::CopyStateFrom(RuleGroup& old) {
  // Rules match by kind, name and labels; several with the same identity pair up in order.
  auto identity = [](const RuleSpec& r) {
    std::string s = r.kind == RuleKind::kAlerting ? "a:" : "r:";
    s += r.name;
    for (const TemplatedLabel& l : r.labels) s += "\xff" + l.name + "=" + l.text;
    return s;
  };
  std::multimap<std::string, size_t> old_index;
  for (size_t i = 0; i < old.rules_.size(); ++i) {
    old_index.emplace(identity(old.rules_[i]->spec()), i);
  }
  std::vector<bool> taken(old.rules_.size(), false);
  for (size_t i = 0; i < rules_.size(); ++i) {
    auto it = old_index.find(identity(rules_[i]->spec()));
    if (it == old_index.end()) continue;
    const size_t j = it->second;
    old_index.erase(it);
    taken[j] = true;
    previous_[i] = std::move(old.previous_[j]);
    rules_[i]->SetStatus(old.rules_[j]->status());
    if (rules_[i]->kind() == RuleKind::kAlerting) {
      static_cast<AlertingRule&>(*rules_[i])
          .CopyStateFrom(static_cast<AlertingRule&>(*old.rules_[j]));
    }
  }
  for (size_t j = 0; j < old.rules_.size(); ++j) {
    if (taken[j]) continue;
    for (const model::Labels& l : old.previous_[j]) stale_.push_back(l);
  }
  for (model::Labels& l : old.stale_) stale_.push_back(std::move(l));
  old.stale_.clear();
  MutexLock lock(&mu_);
  MutexLock old_lock(&old.mu_);
  evaluation_seconds_ = old.evaluation_seconds_;
  last_evaluation_ms_ = old.last_evaluation_ms_;
}

bool RuleGroup::SameDefinition(const GroupSpec& spec, const GroupOptions& options) const {
  const int64_t interval = spec.interval_ms > 0 ? spec.interval_ms : options.default_interval_ms;
  const int64_t offset = spec.query_offset_ms.value_or(options.default_query_offset_ms);
  if (spec.name != spec_->name || spec.file != spec_->file || interval != interval_ms_ ||
      offset != query_offset_ms_ || spec.limit != spec_->limit ||
      spec.rules.size() != spec_->rules.size() ||
      options.external_labels != options_.external_labels ||
      options.external_url != options_.external_url ||
      options.resend_delay_ms != options_.resend_delay_ms) {
    return false;
  }
  for (size_t i = 0; i < spec.rules.size(); ++i) {
    if (RuleIdentity(spec.rules[i]) != RuleIdentity(spec_->rules[i])) return false;
  }
  return true;
}

GroupSnapshot RuleGroup::Snapshot() const {
  GroupSnapshot g;
  g.spec = spec_;
  g.interval_ms = interval_ms_;
  g.limit = spec_->limit;
  {
    MutexLock lock(&mu_);
    g.evaluation_seconds = evaluation_seconds_;
    g.last_evaluation_ms = last_evaluation_ms_;
  }
  for (size_t i = 0; i < rules_.size(); ++i) {
    RuleSnapshot r;
    r.kind = rules_[i]->kind();
    r.spec = &spec_->rules[i];
    r.status = rules_[i]->status();
    if (r.kind == RuleKind::kAlerting) {
      const auto& a = static_cast<const AlertingRule&>(*rules_[i]);
      r.alerts = a.Alerts();
      r.state = a.State();
    }
    g.rules.push_back(std::move(r));
  }
  return g;
}

}  // namespace strata::rules
