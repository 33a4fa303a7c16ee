#include "rule_unit_test.h"

#include <stdlib.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include "base/duration.h"
#include "ingest/ingest_pipeline.h"
#include "model/matcher.h"
#include "model/quote.h"
#include "model/validation.h"
#include "query/engine.h"
#include "query/parser.h"
#include "rules/rule_file.h"
#include "rules/rule_group.h"
#include "rules/sample_sink.h"
#include "rules/yaml_merge.h"
#include "series_notation.h"
#include "storage/head.h"

namespace strata::cli {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// The most evaluation steps one test group may take (a bounded run, not an endless loop, for
// an eval_time far past its interval).
constexpr int64_t kMaxEvaluations = 1'000'000;

// ---- The test file ----

struct InputSeries {
  std::string series;
  std::string values;
};
struct ExpAlert {
  Pairs labels;
  Pairs annotations;
};
struct AlertTest {
  int64_t eval_time_ms = 0;
  std::string alertname;
  std::vector<ExpAlert> exp_alerts;
};
struct ExpSample {
  std::string labels;
  double value = 0;
};
struct ExprTest {
  std::string expr;
  int64_t eval_time_ms = 0;
  std::vector<ExpSample> exp_samples;
};
struct TestGroup {
  int64_t interval_ms = 0;
  std::vector<InputSeries> input_series;
  std::vector<AlertTest> alert_tests;
  std::vector<ExprTest> expr_tests;
  Pairs external_labels;
  std::string external_url;
  std::string name;
};
struct TestFile {
  std::vector<std::string> rule_files;
  int64_t evaluation_interval_ms = 0;
  std::vector<std::string> group_eval_order;
  std::vector<TestGroup> tests;
};

// Decodes the YAML strictly (unknown or repeated fields are errors, as promtool's
// UnmarshalStrict), collecting "yaml: line N: ..." messages.
class Decoder {
 public:
  explicit Decoder(std::vector<std::string>* errors) : errors_(errors) {}

  void Error(const YAML::Node& at, const std::string& msg) {
    const int line = at.Mark().line >= 0 ? at.Mark().line + 1 : 1;
    errors_->push_back("yaml: line " + std::to_string(line) + ": " + msg);
  }

  // Calls `field(key, value)` for each entry of the map `node` named `type`; unknown keys are
  // errors. A null node is an empty map.
  template <typename F>
  void Map(const YAML::Node& node, const char* type, std::initializer_list<const char*> keys,
           F field) {
    if (!node.IsDefined() || node.IsNull()) return;
    if (!node.IsMap()) return Error(node, std::string("cannot unmarshal into ") + type);
    std::set<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
      if (std::find_if(keys.begin(), keys.end(), [&](const char* k) { return key == k; }) ==
          keys.end()) {
        Error(it->first, "field " + key + " not found in type " + type);
      } else if (!seen.insert(key).second) {
        Error(it->first, "field " + key + " already set in type " + type);
      } else {
        field(key, it->second);
      }
    }
  }

  template <typename F>
  void List(const YAML::Node& node, const char* what, F item) {
    if (!node.IsDefined() || node.IsNull()) return;
    if (!node.IsSequence()) return Error(node, std::string(what) + " must be a list");
    for (size_t i = 0; i < node.size(); ++i) item(node[i]);
  }

  std::string String(const YAML::Node& node, const char* what) {
    if (!node.IsDefined() || node.IsNull()) return "";
    if (!node.IsScalar()) {
      Error(node, std::string(what) + " must be a string");
      return "";
    }
    return node.Scalar();
  }

  int64_t Duration(const YAML::Node& node, const char* what) {
    const std::string text = String(node, what);
    if (text.empty()) return 0;
    auto d = ParseDurationMillis(text);
    if (!d.ok() || *d < 0) {
      Error(node, std::string(what) + ": not a valid duration string: \"" + text + "\"");
      return 0;
    }
    return *d;
  }

  double Float(const YAML::Node& node, const char* what) {
    if (!node.IsDefined() || node.IsNull()) return 0;
    double v = 0;
    // A quoted scalar (tag "!") is a string in YAML, which Go does not decode into a float.
    if (!node.IsScalar() || node.Tag() == "!" || !YAML::convert<double>::decode(node, v)) {
      Error(node,
            std::string(what) + ": cannot unmarshal " +
                (node.IsScalar() ? "\"" + node.Scalar() + "\"" : std::string("a collection")) +
                " into a float");
    }
    return v;
  }

  Pairs StringMap(const YAML::Node& node, const char* what) {
    Pairs out;
    if (!node.IsDefined() || node.IsNull()) return out;
    if (!node.IsMap()) {
      Error(node, std::string(what) + " must be a map of strings");
      return out;
    }
    std::set<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = String(it->first, what);
      if (!seen.insert(key).second) Error(it->first, "duplicate key \"" + key + "\" in " + what);
      out.emplace_back(key, String(it->second, what));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::vector<std::string>* errors_;
};

ExpAlert DecodeExpAlert(const YAML::Node& node, Decoder* d) {
  ExpAlert e;
  d->Map(node, "main.alert", {"exp_labels", "exp_annotations"},
         [&](const std::string& key, const YAML::Node& v) {
           (key == "exp_labels" ? e.labels : e.annotations) = d->StringMap(v, key.c_str());
         });
  return e;
}

AlertTest DecodeAlertTest(const YAML::Node& node, Decoder* d) {
  AlertTest t;
  d->Map(node, "main.alertTestCase", {"eval_time", "alertname", "exp_alerts"},
         [&](const std::string& key, const YAML::Node& v) {
           if (key == "eval_time") {
             t.eval_time_ms = d->Duration(v, "eval_time");
           } else if (key == "alertname") {
             t.alertname = d->String(v, "alertname");
           } else {
             d->List(v, "exp_alerts",
                     [&](const YAML::Node& n) { t.exp_alerts.push_back(DecodeExpAlert(n, d)); });
           }
         });
  return t;
}

ExpSample DecodeExpSample(const YAML::Node& node, Decoder* d) {
  ExpSample e;
  d->Map(node, "main.sample", {"labels", "value"},
         [&](const std::string& key, const YAML::Node& v) {
           if (key == "labels") {
             e.labels = d->String(v, "labels");
           } else {
             e.value = d->Float(v, "value");
           }
         });
  return e;
}

ExprTest DecodeExprTest(const YAML::Node& node, Decoder* d) {
  ExprTest t;
  d->Map(node, "main.promqlTestCase", {"expr", "eval_time", "exp_samples"},
         [&](const std::string& key, const YAML::Node& v) {
           if (key == "expr") {
             t.expr = d->String(v, "expr");
           } else if (key == "eval_time") {
             t.eval_time_ms = d->Duration(v, "eval_time");
           } else {
             d->List(v, "exp_samples",
                     [&](const YAML::Node& n) { t.exp_samples.push_back(DecodeExpSample(n, d)); });
           }
         });
  return t;
}

InputSeries DecodeInputSeries(const YAML::Node& node, Decoder* d) {
  InputSeries s;
  d->Map(node, "main.series", {"series", "values"},
         [&](const std::string& key, const YAML::Node& v) {
           (key == "series" ? s.series : s.values) = d->String(v, key.c_str());
         });
  return s;
}

TestGroup DecodeTestGroup(const YAML::Node& node, Decoder* d) {
  TestGroup g;
  d->Map(node, "main.testGroup",
         {"interval", "input_series", "alert_rule_test", "promql_expr_test", "external_labels",
          "external_url", "name"},
         [&](const std::string& key, const YAML::Node& v) {
           if (key == "interval") {
             g.interval_ms = d->Duration(v, "interval");
           } else if (key == "input_series") {
             d->List(v, "input_series", [&](const YAML::Node& n) {
               g.input_series.push_back(DecodeInputSeries(n, d));
             });
           } else if (key == "alert_rule_test") {
             d->List(v, "alert_rule_test",
                     [&](const YAML::Node& n) { g.alert_tests.push_back(DecodeAlertTest(n, d)); });
           } else if (key == "promql_expr_test") {
             d->List(v, "promql_expr_test",
                     [&](const YAML::Node& n) { g.expr_tests.push_back(DecodeExprTest(n, d)); });
           } else if (key == "external_labels") {
             g.external_labels = d->StringMap(v, "external_labels");
           } else if (key == "external_url") {
             g.external_url = d->String(v, "external_url");
           } else {
             g.name = d->String(v, "name");
           }
         });
  return g;
}

TestFile DecodeTestFile(const YAML::Node& root, Decoder* d) {
  TestFile f;
  d->Map(
      root, "main.unitTestFile", {"rule_files", "evaluation_interval", "group_eval_order", "tests"},
      [&](const std::string& key, const YAML::Node& v) {
        if (key == "rule_files") {
          d->List(v, "rule_files",
                  [&](const YAML::Node& n) { f.rule_files.push_back(d->String(n, "rule_files")); });
        } else if (key == "evaluation_interval") {
          f.evaluation_interval_ms = d->Duration(v, "evaluation_interval");
        } else if (key == "group_eval_order") {
          d->List(v, "group_eval_order", [&](const YAML::Node& n) {
            f.group_eval_order.push_back(d->String(n, "group_eval_order"));
          });
        } else {
          d->List(v, "tests",
                  [&](const YAML::Node& n) { f.tests.push_back(DecodeTestGroup(n, d)); });
        }
      });
  return f;
}

// ---- Formatting, as promtool prints its diffs ----

std::string PairsString(const Pairs& pairs) {
  std::string s = "{";
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i > 0) s += ", ";
    s += pairs[i].first + "=" + model::Quote(pairs[i].second);
  }
  return s + "}";
}

Pairs ToPairs(const model::Labels& labels) {
  Pairs out;
  for (const auto& l : labels) out.emplace_back(l.name, l.value);
  return out;
}

std::string IndentLines(const std::string& text, const std::string& indent) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n') out += indent;
  }
  return out;
}

using AlertList = std::vector<std::pair<Pairs, Pairs>>;  // (labels, annotations)

std::string AlertListString(const AlertList& alerts) {
  if (alerts.empty()) return "[]";
  std::string s = "[";
  for (size_t i = 0; i < alerts.size(); ++i) {
    s += (i == 0 ? "\n" : ",\n") + std::to_string(i) + ":" +
         IndentLines("\nLabels:" + PairsString(alerts[i].first) +
                         "\nAnnotations:" + PairsString(alerts[i].second),
                     "  ");
  }
  return s + "\n]";
}

// Go's strconv.FormatFloat(v, 'E', -1, 64).
std::string FloatE(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string s(buf, r.ptr);
  const size_t e = s.find('e');
  std::string exp = s.substr(e + 1);  // "+05" or "-7"...
  std::string sign = exp.substr(0, 1);
  std::string digits = exp.substr(1);
  if (digits.size() < 2) digits = "0" + digits;
  return s.substr(0, e) + "E" + sign + digits;
}

using SampleList = std::vector<std::pair<model::Labels, double>>;

std::string SampleListString(const SampleList& samples) {
  if (samples.empty()) return "nil";
  std::string s;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (i > 0) s += ", ";
    s += samples[i].first.ToString() + " " + FloatE(samples[i].second);
  }
  return s;
}

// A metric (`name{a="b"}`, `{a="b"}`) as labels: equality matchers only.
Result<model::Labels> ParseMetric(const std::string& text) {
  auto matchers = query::ParseSeriesSelector(text);
  if (!matchers.ok()) return matchers.status();
  std::vector<model::Label> pairs;
  for (const auto& m : *matchers) {
    if (m.type() != model::MatchType::kEqual) {
      return Status::InvalidArgument("only \"=\" label matchers are allowed in a metric: " +
                                     m.ToString());
    }
    pairs.push_back({m.name(), m.value()});
  }
  return model::Labels::FromPairs(std::move(pairs));
}

// ---- Running one test group ----

class GroupRun {
 public:
  GroupRun(const TestFile& file, const TestGroup& tg, const std::vector<std::string>& rule_files)
      : file_(file), tg_(tg), rule_files_(rule_files) {}

  std::vector<std::string> Run() {
    if (!OpenStorage() || !LoadSeries()) return errs_;
    auto groups = LoadGroups();
    if (!groups) return errs_;
    for (const AlertTest& a : tg_.alert_tests) {
      if (a.alertname.empty()) {
        std::string where = tg_.name.empty() ? "" : " (in TestGroup " + tg_.name + ")";
        return {
            "an item under alert_rule_test misses required attribute alertname at "
            "eval_time " +
            FormatDurationMillis(a.eval_time_ms) + where};
      }
    }
    query::EngineOptions eopts;
    eopts.default_subquery_step_ms = file_.evaluation_interval_ms;
    eopts.max_resolution_ms = 0;
    const query::Engine engine(eopts);

    std::vector<int64_t> alert_times;
    int64_t maxt = 0;
    for (const AlertTest& a : tg_.alert_tests) {
      alert_times.push_back(a.eval_time_ms);
      maxt = std::max(maxt, a.eval_time_ms);
    }
    for (const ExprTest& e : tg_.expr_tests) maxt = std::max(maxt, e.eval_time_ms);
    std::sort(alert_times.begin(), alert_times.end());
    alert_times.erase(std::unique(alert_times.begin(), alert_times.end()), alert_times.end());

    const int64_t step = file_.evaluation_interval_ms;
    if (maxt / step > kMaxEvaluations) {
      return {"eval_time " + FormatDurationMillis(maxt) + " needs " + std::to_string(maxt / step) +
              " evaluations at evaluation_interval " + FormatDurationMillis(step) + ": at most " +
              std::to_string(kMaxEvaluations)};
    }
    size_t next_alert = 0;
    for (int64_t ts = 0; ts <= maxt; ts += step) {
      if (!FeedInputUntil(ts)) return errs_;
      std::vector<std::string> eval_errs;
      for (auto& g : *groups) {
        g->Eval(*head_, engine, ts, sink_.get(), {});
        for (const auto& r : g->rules()) {
          const rules::RuleStatus st = r->status();
          if (st.health == rules::RuleHealth::kBad) {
            eval_errs.push_back("    rule: " + r->name() + ", time: " + FormatDurationMillis(ts) +
                                ", err: " + st.last_error);
          }
        }
      }
      if (!eval_errs.empty()) {
        errs_.insert(errs_.end(), eval_errs.begin(), eval_errs.end());
        return errs_;
      }
      // Alert tests whose eval_time falls in [ts, ts + step) compare with this evaluation.
      while (next_alert < alert_times.size() && alert_times[next_alert] >= ts &&
             alert_times[next_alert] < ts + step) {
        CheckAlerts(alert_times[next_alert], *groups);
        ++next_alert;
      }
    }
    for (const ExprTest& e : tg_.expr_tests) CheckExpr(e, engine);
    return errs_;
  }

  ~GroupRun() {
    sink_.reset();
    pipeline_.reset();
    if (head_) (void)head_->Close();
    head_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

 private:
  // A real head (WAL without fsync) in a temporary directory, written through the server's
  // ingest step and rule sink.
  bool OpenStorage() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "strata-rules-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      errs_.push_back("creating a temporary directory: " + std::string(std::strerror(errno)));
      return false;
    }
    dir_ = tmpl;
    storage::HeadOptions hopts;
    hopts.max_future_ms = 0;  // Test data lives at 1970 + eval_time, whatever the clock says.
    hopts.wal.fsync = storage::WalOptions::FsyncPolicy::kNever;
    auto head = storage::Head::Open(dir_, hopts, nullptr);
    if (!head.ok()) {
      errs_.push_back("opening the test storage: " + head.status().ToString());
      return false;
    }
    head_ = std::move(*head);
    pipeline_ = std::make_unique<ingest::IngestPipeline>(head_.get(), nullptr, nullptr,
                                                         ingest::IngestOptions{});
    sink_ = std::make_unique<rules::IngestSink>(pipeline_.get());
    return true;
  }

  bool LoadSeries() {
    for (const InputSeries& s : tg_.input_series) {
      auto labels = ParseMetric(s.series);
      if (!labels.ok()) {
        errs_.push_back("input series \"" + s.series + "\": " + labels.status().message());
        return false;
      }
      // Refused here rather than dropped by the ingest step: Strata stores no series without a
      // metric name (promtool does).
      if (Status v = model::ValidateLabelsForIngest(*labels); !v.ok()) {
        errs_.push_back("input series \"" + s.series + "\": " + v.message());
        return false;
      }
      auto values = ExpandSeriesValues(s.values);
      if (!values.ok()) {
        errs_.push_back("input series \"" + s.series + "\": " + values.status().message());
        return false;
      }
      input_.push_back({*labels, std::move(*values), 0});
    }
    return true;
  }

  // Appends the input samples up to `ts` not appended yet (promtool's lazy loading: a query
  // never sees input samples after the evaluation time).
  bool FeedInputUntil(int64_t ts) {
    query::Vector batch;
    for (Input& in : input_) {
      for (; in.next < in.values.size(); ++in.next) {
        const int64_t t = static_cast<int64_t>(in.next) * tg_.interval_ms;
        if (t > ts) break;
        if (in.values[in.next]) batch.push_back({in.labels, t, *in.values[in.next]});
      }
    }
    if (Status st = sink_->Append(batch, nullptr); !st.ok()) {
      errs_.push_back("writing the input series: " + st.ToString());
      return false;
    }
    return true;
  }

  std::optional<std::vector<std::unique_ptr<rules::RuleGroup>>> LoadGroups() {
    auto set = rules::LoadRuleFiles(rule_files_);
    if (!set.ok()) {
      std::istringstream lines(set.status().message());
      for (std::string line; std::getline(lines, line);) errs_.push_back(line);
      return std::nullopt;
    }
    std::vector<model::Label> ext;
    for (const auto& [k, v] : tg_.external_labels) ext.push_back({k, v});
    auto ext_labels = model::Labels::FromPairs(std::move(ext));
    if (!ext_labels.ok()) {
      errs_.push_back("external_labels: " + ext_labels.status().message());
      return std::nullopt;
    }
    rules::GroupOptions opts;
    opts.default_interval_ms = tg_.interval_ms;
    opts.external_labels = *ext_labels;
    opts.external_url = tg_.external_url;
    std::vector<rules::GroupSpec> specs = std::move(set->groups);
    // group_eval_order first (in its order), then the rest in file order.
    auto rank = [&](const rules::GroupSpec& g) {
      auto it = std::find(file_.group_eval_order.begin(), file_.group_eval_order.end(), g.name);
      return it == file_.group_eval_order.end() ? -1 : it - file_.group_eval_order.begin();
    };
    std::stable_sort(specs.begin(), specs.end(),
                     [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
    std::vector<std::unique_ptr<rules::RuleGroup>> groups;
    for (auto& spec : specs) {
      groups.push_back(std::make_unique<rules::RuleGroup>(std::move(spec), opts, false));
    }
    return groups;
  }

  void CheckAlerts(int64_t t, const std::vector<std::unique_ptr<rules::RuleGroup>>& groups) {
    std::map<std::string, AlertList> got;
    for (const AlertTest& test : tg_.alert_tests) {
      if (test.eval_time_ms != t || got.count(test.alertname)) continue;
      AlertList& list = got[test.alertname];
      for (const auto& g : groups) {
        for (const auto& r : g->rules()) {
          if (r->kind() != rules::RuleKind::kAlerting || r->name() != test.alertname) continue;
          for (const rules::Alert& a : static_cast<const rules::AlertingRule&>(*r).Alerts()) {
            if (a.state != rules::AlertState::kFiring) continue;
            Pairs ann;
            for (const auto& l : a.annotations) ann.emplace_back(l.name, l.value);
            std::sort(ann.begin(), ann.end());
            list.emplace_back(ToPairs(a.labels), std::move(ann));
          }
        }
      }
      std::sort(list.begin(), list.end());
    }
    for (const AlertTest& test : tg_.alert_tests) {
      if (test.eval_time_ms != t) continue;
      AlertList exp;
      for (const ExpAlert& e : test.exp_alerts) {
        Pairs labels = e.labels;
        std::erase_if(labels, [](const auto& p) { return p.first == "alertname"; });
        labels.emplace_back("alertname", test.alertname);
        std::sort(labels.begin(), labels.end());
        exp.emplace_back(std::move(labels), e.annotations);
      }
      std::sort(exp.begin(), exp.end());
      if (exp == got[test.alertname]) continue;
      std::string name = tg_.name.empty() ? "" : "    name: " + tg_.name + ",\n";
      const std::string indent(12, ' ');
      errs_.push_back(
          name + "    alertname: " + test.alertname + ", time: " + FormatDurationMillis(t) +
          ", \n        exp:" + IndentLines(AlertListString(exp), indent) +
          ", \n        got:" + IndentLines(AlertListString(got[test.alertname]), indent));
    }
  }

  void CheckExpr(const ExprTest& test, const query::Engine& engine) {
    const std::string head = "    expr: " + model::Quote(test.expr) +
                             ", time: " + FormatDurationMillis(test.eval_time_ms);
    auto expr = query::ParseExpr(test.expr);
    if (!expr.ok()) {
      errs_.push_back(head + ", err: " + expr.status().message());
      return;
    }
    rules::EvalContext ctx;
    ctx.querier = head_.get();
    ctx.engine = &engine;
    ctx.ts_ms = test.eval_time_ms;
    auto vec = rules::QueryVector(ctx, **expr, test.eval_time_ms);
    if (!vec.ok()) {
      errs_.push_back(head + ", err: " + vec.status().message());
      return;
    }
    SampleList got, exp;
    for (const auto& s : *vec) got.emplace_back(s.labels, s.v);
    for (const ExpSample& s : test.exp_samples) {
      auto labels = ParseMetric(s.labels);
      if (!labels.ok()) {
        errs_.push_back(head + ", err: labels " + model::Quote(s.labels) + ": " +
                        labels.status().message());
        return;
      }
      exp.emplace_back(*labels, s.value);
    }
    auto by_labels = [](const auto& a, const auto& b) { return a.first < b.first; };
    std::stable_sort(got.begin(), got.end(), by_labels);
    std::stable_sort(exp.begin(), exp.end(), by_labels);
    // Values compare with == (NaN never equals, as in promtool).
    bool same = got.size() == exp.size();
    for (size_t i = 0; same && i < got.size(); ++i) {
      same = got[i].first == exp[i].first && got[i].second == exp[i].second;
    }
    if (!same) {
      errs_.push_back(head + ",\n        exp: " + SampleListString(exp) +
                      "\n        got: " + SampleListString(got));
    }
  }

  const TestFile& file_;
  const TestGroup& tg_;
  const std::vector<std::string>& rule_files_;
  struct Input {
    model::Labels labels;
    std::vector<std::optional<double>> values;
    size_t next;  // The first value not appended yet.
  };
  std::vector<Input> input_;
  std::string dir_;
  std::unique_ptr<storage::Head> head_;
  std::unique_ptr<ingest::IngestPipeline> pipeline_;
  std::unique_ptr<rules::IngestSink> sink_;
  std::vector<std::string> errs_;
};

}  // namespace

UnitTestOutcome RunRuleUnitTestFile(const std::string& path) {
  UnitTestOutcome out;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {  // Opens, and reads as nothing.
    out.failures.push_back("open " + path + ": is a directory");
    return out;
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  if (in) content << in.rdbuf();
  if (!in || in.bad()) {
    out.failures.push_back("open " + path + ": cannot read the file");
    return out;
  }
  std::vector<std::string> errors;
  Decoder decoder(&errors);
  TestFile file;
  try {
    YAML::Node root = YAML::Load(content.str());
    int line = 1;
    if (Status m = rules::ResolveYamlMergeKeys(root, &line); !m.ok()) {
      errors.push_back("yaml: line " + std::to_string(line) + ": " + m.message());
    } else {
      file = DecodeTestFile(root, &decoder);
    }
  } catch (const YAML::Exception& e) {
    errors.push_back("yaml: line " + std::to_string(e.mark.line >= 0 ? e.mark.line + 1 : 1) + ": " +
                     e.msg);
  }
  if (!errors.empty()) {
    out.failures = std::move(errors);
    return out;
  }
  // rule_files are relative to the test file; each may be a glob.
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::vector<std::string> rule_files;
  for (const std::string& rf : file.rule_files) {
    std::string full = rf;
    if (!rf.empty() && rf[0] != '/' && !dir.empty()) full = (dir / rf).string();
    auto matched = rules::ExpandRuleFileGlobs({full});
    if (!matched.ok()) {
      out.failures.push_back(matched.status().message());
      return out;
    }
    if (matched->empty()) out.warnings.push_back("  WARNING: no file match pattern " + full);
    rule_files.insert(rule_files.end(), matched->begin(), matched->end());
  }
  if (file.evaluation_interval_ms == 0) file.evaluation_interval_ms = 60'000;
  std::set<std::string> seen;
  for (const std::string& g : file.group_eval_order) {
    if (!seen.insert(g).second) {
      out.failures.push_back("group name repeated in evaluation order: " + g);
      return out;
    }
  }
  for (TestGroup& tg : file.tests) {
    if (tg.interval_ms == 0) tg.interval_ms = file.evaluation_interval_ms;
    GroupRun run(file, tg, rule_files);
    std::vector<std::string> errs = run.Run();
    out.failures.insert(out.failures.end(), errs.begin(), errs.end());
  }
  return out;
}

}  // namespace strata::cli
