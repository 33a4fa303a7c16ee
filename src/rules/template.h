// Template: Go text/template as Prometheus 2.53 runs rule templates (alert labels and
// annotations): Go 1.22's template language with option missingkey=zero, Prometheus' function
// set, and $labels, $value, $externalLabels, $externalURL defined by the same prefix Prometheus
// prepends (so error columns on line 1 include its 112 bytes, as Prometheus reports them).
// A parsed Template is immutable: copies share the parse tree, and const Execute is safe from
// many threads at once (thread-safe). Execute uses at most about 1 MiB of the calling thread's
// stack: call it from threads with stacks of 2 MiB or more (glibc's default is 8 MiB).
//
// Known differences from Go's engine and Prometheus' functions:
// - Values: only the types rule templates meet exist: nil, bool, int (64-bit), float64, string,
//   template.HTML (safeHtml), map[string]string ($labels, .Labels), map[string]interface {}
//   (args), query results and samples, *time.Time (toTime) and the alert data. Integer
//   constants beyond int64 and complex constants are parse errors (Go fails at execution or
//   supports them); `index` of a string gives an int where Go gives a uint8 (same output, but
//   errors name the type "int").
// - Native histograms do not reach templates: $value and query sample values are floats.
// - Accepted beyond Go 1.22: {{else with}} (Go 1.23). Range over integers (Go 1.22) works,
//   range over functions (Go 1.23) does not. `call` always fails: no value holds a function.
//   Methods exist only on toTime's result: Format, Unix, UnixMilli, UnixNano, String, UTC and
//   Local (= UTC).
// - Printing a query result prints its samples where Go prints pointer addresses; sortByLabel
//   returns a sorted copy where Go sorts in place; `eq` on two non-basic values compares
//   samples by identity and fails on maps (Go's rules for those are reflect's).
// - printf supports Go's verbs v s d f F e E g G x X o O b c q U t T and %%, flags + - # 0 and
//   space, width and precision (also * and [n] indexes), bad-verb, missing and extra operand
//   markers; %#v (Go syntax) quotes strings but prints other values as %v does.
// - Unicode: the lexer takes non-ASCII runes as letters unless they are spaces, format
//   characters or Latin-1 symbols (Go consults full Unicode tables); %q and %#U use
//   model::Quote's approximation of unicode.IsPrint, which takes unassigned code points as
//   printable (Go escapes them); `js` escapes only U+2028/U+2029 among non-ASCII runes (Go
//   escapes every non-printable one); toUpper/toLower/title map case with glibc's C.UTF-8
//   tables (title-casing the Latin digraphs and Georgian as Go does).
// - Regular expressions (match, reReplaceAll) run on RE2, whose syntax Go's regexp shares;
//   compile errors use Go's wording per error kind, with the fragment RE2 names.
// - Errors read "template: NAME:LINE: ..." (parse) and "template: NAME:LINE:COL: executing
//   \"NAME\" at <NODE>: ..." (execution) with Go's line, column and node. Outputs and errors
//   are checked against Debian's promtool 2.42 (Go 1.19) on ~2,000 templates and 1,000
//   malformed ones (tests/rules/template_promtool_test.cc); where Go 1.19 and 1.22 differ
//   (range over integers) we follow 1.22.
// - Caps on hostile templates (Go has none but a template call depth of 100000): see the
//   kMax constants below. Exceeding one is a parse error (InvalidArgument) or an execution
//   error (FailedPrecondition), never a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "model/labels.h"

namespace strata::rules {

namespace template_internal {
struct Program;
}  // namespace template_internal

// One element of a `query` result as templates see it (.Labels, .Value).
struct TemplateSample {
  model::Labels labels;
  double value = 0;
};

// Runs a PromQL instant query at the evaluation time (the `query` template function). Called on
// the thread running Execute; it may be called several times per Execute.
using TemplateQueryFunc = std::function<Result<std::vector<TemplateSample>>(std::string_view expr)>;

// What one execution sees.
struct TemplateContext {
  model::Labels labels;           // $labels (.Labels)
  double value = 0;               // $value (.Value)
  model::Labels external_labels;  // $externalLabels
  std::string external_url;       // $externalURL, externalURL
  std::string path_prefix;        // pathPrefix; empty: the path of external_url
  int64_t time_ms = 0;            // evaluation time
  TemplateQueryFunc query;        // empty: `query` fails with an execution error
};

class Template {
 public:
  // Caps on hostile templates (see the header comment). Real rule templates stay far below:
  // kubernetes-mixin's nest 2 deep and run a few hundred steps.
  static constexpr size_t kMaxTextBytes = 1 << 20;    // Template source.
  static constexpr int kMaxNesting = 100;             // Control structures, blocks, parentheses.
  static constexpr size_t kMaxOutputBytes = 1 << 20;  // Output, and every string a function makes.
  static constexpr int kMaxTemplateCalls = 100;       // Nested {{template}} calls.
  static constexpr int64_t kMaxSteps = 1'000'000;     // Nodes walked plus commands run.

  // An empty template: Execute returns "".
  Template() = default;

  // Parses `text` as Go text/template with Prometheus' function set (Prometheus names alert
  // templates "__alert_<alertname>"). InvalidArgument naming `name`, line and the problem
  // (unknown function, unclosed action, bad syntax...), e.g.
  // `template: summary:1: function "nope" not defined`. Cost: linear in the text.
  static Result<Template> Parse(std::string_view name, std::string_view text);

  // Executes with Prometheus' variables defined ($labels, $value, $externalLabels,
  // $externalURL) and dot holding {Labels, ExternalLabels, ExternalURL, Value}. Errors
  // (FailedPrecondition) name the template and the problem, like Go's
  // "template: name:1:3: executing "name" at <query "x">: error calling query: ...".
  Result<std::string> Execute(const TemplateContext& ctx) const;

  // What Prometheus puts into an alert's annotation or label: the output, or on error
  // "<error expanding template: error executing template NAME: template: ...>".
  std::string ExpandForAlert(const TemplateContext& ctx) const;

  const std::string& name() const { return name_; }

 private:
  Template(std::string name, std::shared_ptr<const template_internal::Program> program)
      : name_(std::move(name)), program_(std::move(program)) {}

  std::string name_;
  std::shared_ptr<const template_internal::Program> program_;  // Immutable; shared by copies.
};

// Prometheus' strutil.GraphLinkForExpression / TableLinkForExpression, the `graphLink` and
// `tableLink` template functions: "/graph?g0.expr=<url.QueryEscape(expr)>&g0.tab=0" (1 for the
// table). An alert's generatorURL is the external URL followed by TableLinkForExpression.
std::string GraphLinkForExpression(std::string_view expr);
std::string TableLinkForExpression(std::string_view expr);

}  // namespace strata::rules
