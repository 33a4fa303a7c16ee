#include "rules/rule_file.h"

#include <glob.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "base/duration.h"
#include "model/validation.h"
#include "query/parser.h"
#include "query/printer.h"
#include "rules/yaml_merge.h"

namespace strata::rules {
namespace {

// The value of `key` in `map`, or a Null node when absent. (yaml-cpp's operator[] returns a
// "zombie" node for a missing key, on which most accessors throw.)
YAML::Node Field(const YAML::Node& map, std::string_view key) {
  if (!map.IsMap()) return YAML::Node();
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) return it->second;
  }
  return YAML::Node();
}

int LineOf(const YAML::Node& node, int fallback) {
  const YAML::Mark m = node.Mark();
  return m.line >= 0 ? m.line + 1 : fallback;
}

// Collects the problems of one file, each prefixed with file:line and, inside a rule, the
// group and rule it belongs to.
class Problems {
 public:
  Problems(std::string_view file, std::vector<std::string>* out) : file_(file), out_(out) {}

  void File(int line, const std::string& msg) {
    out_->push_back(file_ + ":" + std::to_string(line) + ": " + msg);
    ++count_;
  }
  void Group(int line, const std::string& group, const std::string& msg) {
    File(line, "group \"" + group + "\": " + msg);
  }
  void Rule(int line, const std::string& group, size_t index, const std::string& rule,
            const std::string& msg) {
    File(line, "group \"" + group + "\", rule " + std::to_string(index + 1) + ", \"" + rule +
                   "\": " + msg);
  }
  size_t count() const { return count_; }

 private:
  std::string file_;
  std::vector<std::string>* out_;
  size_t count_ = 0;
};

// Reports keys outside `allowed` and keys given twice (Go's yaml.v3 rejects both in strict mode).
// `where` names the YAML type for the message, e.g. "rule group".
template <typename Report>
void CheckKeys(const YAML::Node& map, std::initializer_list<std::string_view> allowed,
               std::string_view where, Report report) {
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string("?");
    const int line = LineOf(it->first, 1);
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      report(line, "field \"" + key + "\" not found in " + std::string(where));
    }
    if (!seen.insert(key).second) {
      report(line, "mapping key \"" + key + "\" already defined");
    }
  }
}

// A scalar field as a string, or nullopt (and a report) when it is a map or sequence.
template <typename Report>
std::optional<std::string> ScalarField(const YAML::Node& node, std::string_view field,
                                       Report report) {
  if (!node.IsDefined() || node.IsNull()) return std::string();
  if (!node.IsScalar()) {
    report(LineOf(node, 1), "field \"" + std::string(field) + "\" must be a string");
    return std::nullopt;
  }
  return node.Scalar();
}

template <typename Report>
std::optional<int64_t> DurationField(const YAML::Node& node, std::string_view field,
                                     Report report) {
  auto text = ScalarField(node, field, report);
  if (!text) return std::nullopt;
  if (text->empty()) {
    // An absent or null field is 0; an empty string is an error, as in Prometheus.
    if (node.IsDefined() && !node.IsNull()) {
      report(LineOf(node, 1), "field \"" + std::string(field) + "\": empty duration string");
      return std::nullopt;
    }
    return int64_t{0};
  }
  auto d = ParseDurationMillis(*text);
  if (!d.ok()) {
    report(LineOf(node, 1), "field \"" + std::string(field) + "\": " + d.status().message());
    return std::nullopt;
  }
  return *d;
}

// A string-to-string map (labels, annotations), sorted by name.
template <typename Report>
std::optional<std::vector<TemplatedLabel>> StringMap(const YAML::Node& node, std::string_view field,
                                                     Report report) {
  std::vector<TemplatedLabel> out;
  if (!node.IsDefined() || node.IsNull()) return out;
  if (!node.IsMap()) {
    report(LineOf(node, 1), "field \"" + std::string(field) + "\" must be a map of strings");
    return std::nullopt;
  }
  std::set<std::string> seen;
  bool ok = true;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar() || !(it->second.IsScalar() || it->second.IsNull())) {
      report(LineOf(it->first, 1), "field \"" + std::string(field) + "\" must be a map of strings");
      ok = false;
      continue;
    }
    if (!seen.insert(it->first.Scalar()).second) {
      report(LineOf(it->first, 1), "mapping key \"" + it->first.Scalar() + "\" already defined");
      ok = false;
      continue;
    }
    out.push_back({it->first.Scalar(), it->second.IsNull() ? "" : it->second.Scalar(), {}});
  }
  if (!ok) return std::nullopt;
  std::sort(out.begin(), out.end(),
            [](const TemplatedLabel& a, const TemplatedLabel& b) { return a.name < b.name; });
  return out;
}

void ParseRule(const YAML::Node& node, const std::string& group, size_t index, Problems* problems,
               std::vector<RuleSpec>* rules) {
  const int rule_line = LineOf(node, 1);
  if (!node.IsMap()) {
    problems->Group(rule_line, group, "rule " + std::to_string(index + 1) + " must be a map");
    return;
  }
  const size_t before = problems->count();
  // The rule's name for messages is known only after record/alert are read.
  std::string display;
  if (Field(node, "alert").IsScalar()) {
    display = Field(node, "alert").Scalar();
  } else if (Field(node, "record").IsScalar()) {
    display = Field(node, "record").Scalar();
  }
  auto report = [&](int line, const std::string& msg) {
    problems->Rule(line, group, index, display, msg);
  };
  CheckKeys(node, {"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"},
            "rule", report);
  RuleSpec rule;
  rule.line = rule_line;
  auto record = ScalarField(Field(node, "record"), "record", report);
  auto alert = ScalarField(Field(node, "alert"), "alert", report);
  auto expr = ScalarField(Field(node, "expr"), "expr", report);
  auto for_ms = DurationField(Field(node, "for"), "for", report);
  auto keep = DurationField(Field(node, "keep_firing_for"), "keep_firing_for", report);
  auto labels = StringMap(Field(node, "labels"), "labels", report);
  auto annotations = StringMap(Field(node, "annotations"), "annotations", report);
  const int record_line = LineOf(Field(node, "record"), rule_line);
  const int expr_line = LineOf(Field(node, "expr"), rule_line);
  const bool is_record = record && !record->empty();
  const bool is_alert = alert && !alert->empty();
  if (record && alert) {
    if (is_record && is_alert) {
      report(record_line, "only one of 'record' and 'alert' must be set");
    } else if (!is_record && !is_alert) {
      report(rule_line, "one of 'record' or 'alert' must be set");
    }
  }
  if (expr) {
    if (expr->empty()) {
      report(expr_line, "field 'expr' must be set in rule");
    } else {
      auto parsed = query::ParseExpr(*expr);
      if (!parsed.ok()) {
        report(expr_line, "could not parse expression: " + parsed.status().message());
      } else {
        rule.expr = std::shared_ptr<const query::Expr>(std::move(parsed).value());
        rule.expr_text = *expr;
      }
    }
  }
  if (is_record && !is_alert) {
    if (annotations && !annotations->empty()) {
      report(record_line, "invalid field 'annotations' in recording rule");
    }
    if (for_ms && *for_ms != 0) report(record_line, "invalid field 'for' in recording rule");
    if (keep && *keep != 0) {
      report(record_line, "invalid field 'keep_firing_for' in recording rule");
    }
    if (!model::IsValidMetricName(*record)) {
      report(record_line, "invalid recording rule name: " + *record);
    }
  }
  const int labels_line = LineOf(Field(node, "labels"), rule_line);
  if (labels) {
    for (const TemplatedLabel& l : *labels) {
      if (!model::IsValidLabelName(l.name) || l.name == model::kMetricNameLabel) {
        report(labels_line, "invalid label name: " + l.name);
      }
      if (!model::IsValidUtf8(l.text)) report(labels_line, "invalid label value: " + l.text);
    }
  }
  const int annotations_line = LineOf(Field(node, "annotations"), rule_line);
  if (annotations) {
    for (const TemplatedLabel& a : *annotations) {
      if (!model::IsValidLabelName(a.name)) {
        report(annotations_line, "invalid annotation name: " + a.name);
      }
    }
  }
  // Alerting rules' labels and annotations are templates (Prometheus names them
  // "__alert_<name>"); they must parse.
  if (is_alert && !is_record) {
    auto parse_all = [&](std::vector<TemplatedLabel>* list, int line, std::string_view what) {
      for (TemplatedLabel& l : *list) {
        auto t = Template::Parse("__alert_" + *alert, l.text);
        if (!t.ok()) {
          report(line, "template in " + std::string(what) + " \"" + l.name +
                           "\": " + t.status().message());
        } else {
          l.tmpl = std::move(t).value();
        }
      }
    };
    if (labels) parse_all(&*labels, labels_line, "label");
    if (annotations) parse_all(&*annotations, annotations_line, "annotation");
  }
  if (problems->count() != before) return;
  rule.kind = is_alert ? RuleKind::kAlerting : RuleKind::kRecording;
  rule.name = is_alert ? *alert : *record;
  rule.for_ms = *for_ms;
  rule.keep_firing_for_ms = *keep;
  rule.labels = std::move(*labels);
  rule.annotations = std::move(*annotations);
  rules->push_back(std::move(rule));
}

std::optional<GroupSpec> ParseGroup(const YAML::Node& node, std::string_view file,
                                    Problems* problems, std::set<std::string>* names) {
  const int line = LineOf(node, 1);
  if (!node.IsMap()) {
    problems->File(line, "a rule group must be a map");
    return std::nullopt;
  }
  GroupSpec g;
  g.file = std::string(file);
  g.line = line;
  const size_t before = problems->count();
  std::string display = Field(node, "name").IsScalar() ? Field(node, "name").Scalar() : "";
  auto report = [&](int l, const std::string& msg) { problems->Group(l, display, msg); };
  CheckKeys(node, {"name", "interval", "query_offset", "limit", "rules"}, "rule group", report);
  auto name = ScalarField(Field(node, "name"), "name", report);
  if (name) {
    if (name->empty()) {
      problems->File(line, "group name must not be empty");
    } else if (!names->insert(*name).second) {
      problems->File(LineOf(Field(node, "name"), line),
                     "groupname: \"" + *name + "\" is repeated in the same file");
    }
    g.name = *name;
  }
  auto interval = DurationField(Field(node, "interval"), "interval", report);
  if (interval) g.interval_ms = *interval;
  if (Field(node, "query_offset").IsDefined() && !Field(node, "query_offset").IsNull()) {
    auto off = DurationField(Field(node, "query_offset"), "query_offset", report);
    if (off) g.query_offset_ms = *off;
  }
  if (auto limit = ScalarField(Field(node, "limit"), "limit", report); limit && !limit->empty()) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), v);
    if (ec != std::errc() || p != limit->data() + limit->size()) {
      report(LineOf(Field(node, "limit"), line), "field \"limit\": not an integer: " + *limit);
    } else {
      g.limit = v;
    }
  }
  const YAML::Node rules = Field(node, "rules");
  if (rules.IsDefined() && !rules.IsNull()) {
    if (!rules.IsSequence()) {
      report(LineOf(rules, line), "field \"rules\" must be a list");
    } else {
      for (size_t i = 0; i < rules.size(); ++i) ParseRule(rules[i], g.name, i, problems, &g.rules);
    }
  }
  if (problems->count() != before) return std::nullopt;
  return g;
}

}  // namespace

std::vector<GroupSpec> ParseRuleFile(std::string_view file, std::string_view content,
                                     std::vector<std::string>* errors) {
  Problems problems(file, errors);
  std::vector<GroupSpec> out;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(content));
  } catch (const YAML::Exception& e) {
    problems.File(e.mark.line >= 0 ? e.mark.line + 1 : 1, "yaml: " + e.msg);
    return out;
  }
  int merge_line = 1;
  if (Status s = ResolveYamlMergeKeys(root, &merge_line); !s.ok()) {
    problems.File(merge_line, "yaml: " + s.message());
    return out;
  }
  try {
    if (!root.IsDefined() || root.IsNull()) return out;  // An empty file has no groups.
    if (!root.IsMap()) {
      problems.File(LineOf(root, 1), "a rule file must be a map with a \"groups\" list");
      return out;
    }
    CheckKeys(root, {"groups"}, "rule file",
              [&](int line, const std::string& msg) { problems.File(line, msg); });
    const YAML::Node groups = Field(root, "groups");
    if (!groups.IsDefined() || groups.IsNull()) return out;
    if (!groups.IsSequence()) {
      problems.File(LineOf(groups, 1), "field \"groups\" must be a list");
      return out;
    }
    std::set<std::string> names;
    for (size_t i = 0; i < groups.size(); ++i) {
      if (auto g = ParseGroup(groups[i], file, &problems, &names)) out.push_back(std::move(*g));
    }
  } catch (const YAML::Exception& e) {
    problems.File(e.mark.line >= 0 ? e.mark.line + 1 : 1, "yaml: " + e.msg);
  }
  return out;
}

Result<RuleSet> LoadRuleFiles(const std::vector<std::string>& paths) {
  RuleSet set;
  std::vector<std::string> errors;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {  // Opens, and reads as nothing.
      errors.push_back(path + ": is a directory");
      continue;
    }
    std::ifstream in(path, std::ios::binary);
    std::stringstream content;
    if (in) content << in.rdbuf();
    if (!in || in.bad()) {
      errors.push_back(path + ": cannot read the rule file");
      continue;
    }
    std::vector<GroupSpec> groups = ParseRuleFile(path, content.str(), &errors);
    for (GroupSpec& g : groups) set.groups.push_back(std::move(g));
  }
  if (!errors.empty()) {
    std::string msg;
    for (const std::string& e : errors) {
      if (!msg.empty()) msg += '\n';
      msg += e;
    }
    return Status::InvalidArgument(std::move(msg));
  }
  return set;
}

Result<std::vector<std::string>> ExpandRuleFileGlobs(const std::vector<std::string>& patterns) {
  std::vector<std::string> out;
  for (const std::string& pattern : patterns) {
    glob_t g{};
    const int rc = glob(pattern.c_str(), GLOB_ERR, nullptr, &g);
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
    }
    globfree(&g);
    if (rc != 0 && rc != GLOB_NOMATCH) {
      return Status::InvalidArgument("bad rule file pattern \"" + pattern + "\"");
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string RuleIdentity(const RuleSpec& rule) {
  std::string s = rule.kind == RuleKind::kAlerting ? "alert: " : "record: ";
  s += rule.name;
  s += "\nexpr: ";
  s += rule.expr ? query::ExprToString(*rule.expr) : rule.expr_text;
  s += "\nfor: " + std::to_string(rule.for_ms);
  s += "\nkeep_firing_for: " + std::to_string(rule.keep_firing_for_ms);
  for (const TemplatedLabel& l : rule.labels) s += "\nlabel " + l.name + ": " + l.text;
  for (const TemplatedLabel& a : rule.annotations) s += "\nannotation " + a.name + ": " + a.text;
  return s;
}

}  // namespace strata::rules
