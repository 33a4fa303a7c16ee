// `strata rules test`: runs one rule unit-test file in promtool's format (Prometheus 2.53,
// cmd/promtool/unittest.go and docs/configuration/unit_testing_rules.md):
//   rule_files (relative to the test file; globs), evaluation_interval (1m), group_eval_order,
//   tests: [{interval (evaluation_interval), input_series: [{series, values}], external_labels,
//   external_url, name, alert_rule_test: [{eval_time, alertname, exp_alerts: [{exp_labels,
//   exp_annotations}]}], promql_expr_test: [{expr, eval_time, exp_samples: [{labels, value}]}]}]
// Each test group gets a fresh storage: a real storage::Head (WAL without fsync) in a temporary
// directory, removed afterwards, written through ingest::IngestPipeline and rules::IngestSink
// as in the server. Its input series (the values in the notation of series_notation.h, one per
// `interval` from time 0) are appended lazily, as promtool's lazy loader does: before the
// evaluation at ts, the samples up to ts. Every group of the rule files (ordered by
// group_eval_order, the others first in file order) is evaluated through
// rules::RuleGroup::Eval at 0, evaluation_interval, ... up to the largest eval_time; the output
// goes back into the head, so later rules and evaluations see it. Alert tests compare the firing
// alerts (labels and annotations) of the rules with that name after the evaluation at the
// latest step <= eval_time; expression tests run an instant query after the last step.
// A test group without `interval` uses evaluation_interval, as promtool 2.53 does (Debian's
// promtool 2.42 loads every input sample of such a group at time 0; the cross-check files set
// `interval`). Expected values are read as YAML floats (`1`, `1e3`, `.inf`, `.nan`); YAML 1.1's
// other integer forms that Go's decoder also takes (`0x10`, `1_000`, octal `017`) are errors
// or decimal here. A test group may take at most 1,000,000 evaluation steps (an error past it).
// Differences from promtool: groups not named in group_eval_order run in file order (promtool:
// unspecified); native histograms in input series are not supported, nor are input series
// without a metric name (`{job="x"}`), which Strata's storage does not hold (both errors).
// Reads the files and uses a temporary directory; thread-safe.
#pragma once

#include <string>
#include <vector>

namespace strata::cli {

struct UnitTestOutcome {
  std::vector<std::string> warnings;  // E.g. a rule_files pattern without matches.
  // Each failure as promtool prints it (test errors, eval errors, a bad test or rule file).
  // Empty: the file passed.
  std::vector<std::string> failures;
};

UnitTestOutcome RunRuleUnitTestFile(const std::string& path);

}  // namespace strata::cli
