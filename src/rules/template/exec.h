// Executes a parsed template set over a dot value, as Go's text/template/exec.go does with the
// option missingkey=zero that Prometheus sets. One Execute call is confined to its thread; the
// TemplateSet is only read, so many may run on one set at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "rules/template.h"
#include "rules/template/parser.h"
#include "rules/template/value.h"

namespace strata::rules::template_internal {

struct ExecLimits {
  size_t max_output_bytes = 1 << 20;  // Output and every string a function returns.
  int max_template_depth = 100;       // Nested {{template}} calls.
  int64_t max_steps = 10'000'000;     // Nodes walked and commands evaluated.
};

// Runs template `name` of `set` with `dot` as data ($ too). Errors are FailedPrecondition
// "template: NAME:LINE:COL: executing \"NAME\" at <NODE>: message".
Result<std::string> ExecuteTemplate(const TemplateSet& set, std::string_view name, const Value& dot,
                                    const TemplateContext& ctx, const ExecLimits& limits);

}  // namespace strata::rules::template_internal
