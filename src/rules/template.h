// Template: Go text/template as Prometheus uses it for rule labels and annotations, with
// Prometheus' function set and variables ($labels, $value, $externalLabels, $externalURL).
// A parsed Template is immutable: copies share the parse tree, and const Execute is safe from
// many threads at once (thread-safe).
//
// Known differences from Go's engine (text/template of Go 1.22 with Prometheus 2.53's funcs):
// - Only the value types templates meet in rule files exist: nil, bool, int64, float64,
//   string, maps of string, lists (query results, args), query samples and `safeHtml` strings.
//   Go integer kinds (uint8, int32...) and complex numbers do not exist; integer constants are
//   int64 and the `call` builtin is absent (no template data holds functions).
// - printf implements the verbs rule files use (%v %s %d %f %F %e %E %g %G %q %x %X %o %b %t %c
//   %U %%) with flags `+-# 0`, width and precision (also `*`). Verbs on a mismatched type print
//   Go's `%!d(string=x)` form; argument indexes (`%[1]d`) are not supported.
// - html/js/urlquery follow Go's escaping tables; `js` escapes non-ASCII as Go does only for
//   the characters Go escapes (<, >, &, =, ', ", \, control characters, U+2028/9).
// - Caps: action nesting depth 100 at parse time, template call depth 100 (Go: 100000),
//   output 1 MiB and 10,000,000 executed nodes per Execute (Go has no caps); exceeding one is
//   a parse error (InvalidArgument) or an execution error (FailedPrecondition).
// - Errors carry Go's "template: NAME:LINE:COL: ..." prefix; their wording follows Go's where
//   it matters for users, but is not guaranteed to match byte for byte.
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
using TemplateQueryFunc =
    std::function<Result<std::vector<TemplateSample>>(std::string_view expr)>;

// What one execution sees.
struct TemplateContext {
  model::Labels labels;           // $labels (.Labels)
  double value = 0;               // $value (.Value)
  model::Labels external_labels;  // $externalLabels
  std::string external_url;       // $externalURL, externalURL
  std::string path_prefix;        // pathPrefix (the path of external_url)
  int64_t time_ms = 0;            // evaluation time
  TemplateQueryFunc query;        // empty: `query` fails with an execution error
};

class Template {
 public:
  // Caps on hostile templates (Go has none of these; see the header comment).
  static constexpr size_t kMaxTextBytes = 1 << 20;     // Template source.
  static constexpr int kMaxNesting = 100;              // Nested actions and parentheses.
  static constexpr size_t kMaxOutputBytes = 1 << 20;   // Output, and any string made on the way.
  static constexpr int kMaxTemplateCalls = 100;        // Nested {{template}} calls.
  static constexpr int64_t kMaxSteps = 1'000'000;      // Nodes walked plus commands run.

  // An empty template: Execute returns "".
  Template() = default;

  // Parses `text` as Go text/template with Prometheus' function set. InvalidArgument naming
  // `name`, line and the problem (unknown function, unclosed action, bad syntax...), e.g.
  // `template: summary:1: function "nope" not defined`.
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
