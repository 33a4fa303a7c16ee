#include "server/rules_api.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "query/printer.h"
#include "rules/notifier.h"
#include "server/api_params.h"
#include "server/json_writer.h"

namespace strata::server {
namespace {

bool Contains(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

void WriteLabels(JsonWriter* w, const std::vector<model::Label>& labels) {
  w->BeginObject();
  for (const model::Label& l : labels) w->Key(l.name).String(l.value);
  w->EndObject();
}

void WriteLabels(JsonWriter* w, const model::Labels& labels) {
  w->BeginObject();
  for (const model::Label& l : labels) w->Key(l.name).String(l.value);
  w->EndObject();
}

void WriteAlert(JsonWriter* w, const rules::Alert& a) {
  w->BeginObject();
  w->Key("labels");
  WriteLabels(w, a.labels);
  w->Key("annotations");
  WriteLabels(w, a.annotations);
  w->Key("state").String(rules::AlertStateName(a.state));
  w->Key("activeAt").String(FormatGoTime(a.active_at_ms));
  if (a.keep_firing_since_ms != rules::kNoTime) {
    w->Key("keepFiringSince").String(FormatGoTime(a.keep_firing_since_ms));
  }
  w->Key("value").String(FormatFloatE(a.value));
  w->EndObject();
}

// Static labels of a rule as the API shows them: the texts as written, unexpanded, empty values
// included (Prometheus 2.42 shows `"labels":{"src":""}`).
std::vector<model::Label> StaticLabels(const std::vector<rules::TemplatedLabel>& in) {
  std::vector<model::Label> out;
  for (const rules::TemplatedLabel& l : in) out.push_back({l.name, l.text});
  return out;
}

void WriteRule(JsonWriter* w, const rules::RuleSnapshot& r, bool exclude_alerts) {
  const rules::RuleSpec& spec = *r.spec;
  w->BeginObject();
  if (r.kind == rules::RuleKind::kAlerting) {
    w->Key("state").String(rules::AlertStateName(r.state));
  }
  w->Key("name").String(spec.name);
  w->Key("query").String(query::ExprToString(*spec.expr));
  if (r.kind == rules::RuleKind::kAlerting) {
    w->Key("duration").Double(static_cast<double>(spec.for_ms) / 1000.0);
    w->Key("keepFiringFor").Double(static_cast<double>(spec.keep_firing_for_ms) / 1000.0);
    w->Key("labels");
    WriteLabels(w, StaticLabels(spec.labels));
    w->Key("annotations");
    WriteLabels(w, StaticLabels(spec.annotations));
    w->Key("alerts").BeginArray();
    if (!exclude_alerts) {
      for (const rules::Alert& a : r.alerts) {
        if (a.state != rules::AlertState::kInactive) WriteAlert(w, a);
      }
    }
    w->EndArray();
  } else {
    std::vector<model::Label> labels = StaticLabels(spec.labels);
    if (!labels.empty()) {  // `omitempty` in Prometheus.
      w->Key("labels");
      WriteLabels(w, labels);
    }
  }
  w->Key("health").String(rules::RuleHealthName(r.status.health));
  if (!r.status.last_error.empty()) w->Key("lastError").String(r.status.last_error);
  w->Key("evaluationTime").Double(r.status.evaluation_seconds);
  w->Key("lastEvaluation").String(FormatGoTime(r.status.last_evaluation_ms));
  w->Key("type").String(r.kind == rules::RuleKind::kAlerting ? "alerting" : "recording");
  w->EndObject();
}

Result<bool> ParseBool(const std::string& v, std::string_view param) {
  if (v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True") return true;
  if (v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" || v == "False") {
    return false;
  }
  return Status::InvalidArgument("invalid parameter \"" + std::string(param) +
                                 "\": strconv.ParseBool: parsing \"" + v + "\": invalid syntax");
}

}  // namespace

std::string FormatGoTime(int64_t ms) {
  if (ms == INT64_MIN) return "0001-01-01T00:00:00Z";
  // Go drops trailing zeros of the fraction, and the fraction when it is zero.
  std::string out = rules::FormatRfc3339Millis(ms);  // ...:SS.mmmZ
  out.pop_back();
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  out += 'Z';
  return out;
}

std::string FormatFloatE(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

std::string EncodeRuleGroups(const std::vector<rules::GroupSnapshot>& groups,
                             const RulesFilter& f) {
  const bool filtering =
      !f.type.empty() || !f.rule_names.empty() || !f.rule_groups.empty() || !f.files.empty();
  std::string data;
  JsonWriter w(&data);
  w.BeginObject().Key("groups").BeginArray();
  for (const rules::GroupSnapshot& g : groups) {
    if (!f.rule_groups.empty() && !Contains(f.rule_groups, g.spec->name)) continue;
    if (!f.files.empty() && !Contains(f.files, g.spec->file)) continue;
    std::vector<const rules::RuleSnapshot*> keep;
    for (const rules::RuleSnapshot& r : g.rules) {
      if (f.type == "alert" && r.kind != rules::RuleKind::kAlerting) continue;
      if (f.type == "record" && r.kind != rules::RuleKind::kRecording) continue;
      if (!f.rule_names.empty() && !Contains(f.rule_names, r.spec->name)) continue;
      keep.push_back(&r);
    }
    if (filtering && keep.empty()) continue;
    w.BeginObject();
    w.Key("name").String(g.spec->name);
    w.Key("file").String(g.spec->file);
    w.Key("rules").BeginArray();
    for (const rules::RuleSnapshot* r : keep) WriteRule(&w, *r, f.exclude_alerts);
    w.EndArray();
    w.Key("interval").Double(static_cast<double>(g.interval_ms) / 1000.0);
    w.Key("limit").Int(g.limit);
    w.Key("evaluationTime").Double(g.evaluation_seconds);
    w.Key("lastEvaluation").String(FormatGoTime(g.last_evaluation_ms));
    w.EndObject();
  }
  w.EndArray().EndObject();
  return data;
}

std::string EncodeAlerts(const std::vector<rules::GroupSnapshot>& groups) {
  std::string data;
  JsonWriter w(&data);
  w.BeginObject().Key("alerts").BeginArray();
  for (const rules::GroupSnapshot& g : groups) {
    for (const rules::RuleSnapshot& r : g.rules) {
      for (const rules::Alert& a : r.alerts) {
        if (a.state != rules::AlertState::kInactive) WriteAlert(&w, a);
      }
    }
  }
  w.EndArray().EndObject();
  return data;
}

void RulesApi::Register(Router* router) {
  router->Add({"GET"}, "/api/v1/rules",
              [this](const HttpRequest& q, HttpResponse* r) { Rules(q, r); });
  router->Add({"GET"}, "/api/v1/alerts",
              [this](const HttpRequest& q, HttpResponse* r) { Alerts(q, r); });
}

void RulesApi::Rules(const HttpRequest& req, HttpResponse* res) const {
  auto params = RequestParams(req);
  if (!params.ok()) return SetStatusError(res, params.status());
  RulesFilter f;
  if (const std::string* t = params->Get("type")) {
    std::string lower = *t;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!lower.empty() && lower != "alert" && lower != "record") {
      return SetJsonError(res, 400, "bad_data",
                          "invalid parameter \"type\": not supported value \"" + *t + "\"");
    }
    f.type = lower;
  }
  f.rule_names = params->GetAll("rule_name[]");
  f.rule_groups = params->GetAll("rule_group[]");
  f.files = params->GetAll("file[]");
  if (const std::string* e = params->Get("exclude_alerts"); e != nullptr && !e->empty()) {
    auto b = ParseBool(*e, "exclude_alerts");
    if (!b.ok()) return SetStatusError(res, b.status());
    f.exclude_alerts = *b;
  }
  std::vector<rules::GroupSnapshot> groups;
  if (manager_) groups = manager_->Groups();
  SetJsonSuccess(res, EncodeRuleGroups(groups, f));
}

void RulesApi::Alerts(const HttpRequest&, HttpResponse* res) const {
  std::vector<rules::GroupSnapshot> groups;
  if (manager_) groups = manager_->Groups();
  SetJsonSuccess(res, EncodeAlerts(groups));
}

}  // namespace strata::server
