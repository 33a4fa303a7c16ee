// Go's fmt printing (Sprint, Sprintln, Sprintf) over template values, as text/template's print,
// println and printf builtins and its action output use it. Pure functions; thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "rules/template/value.h"

namespace strata::rules::template_internal {

// fmt.Sprint: operands in %v, a space between two operands when neither is a string.
std::string GoSprint(std::span<const Value> args);
// fmt.Sprintln: operands in %v separated by spaces, then a newline.
std::string GoSprintln(std::span<const Value> args);
// fmt.Sprintf with Go's verbs, flags, width and precision (see template.h for the subset).
// Bad verbs, missing and extra operands print Go's %!v(...) markers, as Go does.
std::string GoSprintf(std::string_view format, std::span<const Value> args);

// What an action {{ x }} prints: "<no value>" for no value, pointers dereferenced, then %v.
std::string PrintForTemplate(const Value& v);

// Go's fmt.Sprintf("%.<prec>g", f) for prec >= 0, e.g. (1234567, 4) -> "1.235e+06".
std::string FormatFloatPrecG(double f, int prec);

}  // namespace strata::rules::template_internal
