// Rule files in Prometheus' format (rulefmt, v2.53): YAML `groups:` with name, interval, limit,
// query_offset and rules (record | alert, expr, for, keep_firing_for, labels, annotations).
// Loading validates everything promtool 2.53 checks (unknown fields, duplicate group names in a
// file, metric/label names, PromQL, templates) and reports every problem as
//   FILE:LINE: group "NAME", rule N, "RULE": MESSAGE
// (group- and file-level problems without the rule part). Pure functions; thread-safe. The
// loaded specs are immutable values shared by the evaluator, the API and the CLI.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/labels.h"
#include "query/ast.h"
#include "rules/template.h"

namespace strata::rules {

enum class RuleKind : uint8_t { kRecording, kAlerting };

// A label or annotation of an alerting rule: its text and the parsed template (recording-rule
// labels are plain values and have no template).
struct TemplatedLabel {
  std::string name;
  std::string text;
  std::optional<Template> tmpl;
};

struct RuleSpec {
  RuleKind kind = RuleKind::kRecording;
  std::string name;                         // The `record` or `alert` value.
  std::string expr_text;                    // As written in the file.
  std::shared_ptr<const query::Expr> expr;  // Parsed and type-checked; never null.
  int64_t for_ms = 0;
  int64_t keep_firing_for_ms = 0;
  // Static labels (recording: values; alerting: template texts), sorted by name. Labels with
  // empty values are kept here (an empty value deletes the label from the output, as in
  // Prometheus).
  std::vector<TemplatedLabel> labels;
  std::vector<TemplatedLabel> annotations;  // Alerting rules only; sorted by name.
  int line = 0;                             // 1-based line of the rule in its file.
};

struct GroupSpec {
  std::string name;
  std::string file;         // The path the group was loaded from.
  int64_t interval_ms = 0;  // 0: the manager's default (--rules.evaluation-interval).
  int64_t limit = 0;        // 0: unlimited.
  std::optional<int64_t> query_offset_ms;  // Unset: the manager's default (0).
  std::vector<RuleSpec> rules;
  int line = 0;
};

struct RuleSet {
  std::vector<GroupSpec> groups;  // In file order, files in the order given.
};

// Parses one file's content. Appends every problem to *errors (file:line messages) and
// returns the groups that had none. Never throws, never crashes on any input.
std::vector<GroupSpec> ParseRuleFile(std::string_view file, std::string_view content,
                                     std::vector<std::string>* errors);

// Reads and parses each file. InvalidArgument whose message lists every problem, one per line
// (a file that cannot be read: "FILE: cannot read: ..."), or the groups of all files.
Result<RuleSet> LoadRuleFiles(const std::vector<std::string>& paths);

// Expands --rules.file patterns (filepath.Glob syntax: *, ?, [...]) into sorted, de-duplicated
// paths. A pattern without matches contributes nothing (as Prometheus); a malformed pattern is
// InvalidArgument.
Result<std::vector<std::string>> ExpandRuleFileGlobs(const std::vector<std::string>& patterns);

// The canonical text of a rule (Prometheus' rule String(): the YAML of the rule with the
// expression printed canonically), used to decide whether a reloaded group is unchanged.
std::string RuleIdentity(const RuleSpec& rule);

}  // namespace strata::rules
