// Number and duration literals the way Prometheus reads and prints them: strconv.ParseInt(s, 0,
// 64) falling back to strconv.ParseFloat, model.ParseDuration / model.Duration.String, and Go's
// fmt %v for floats. Private to query/. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace strata::query::internal {

// The value of a PromQL number token: decimal, "0x" hex and "0"-prefixed octal integers (so
// "0755" is 493, as in Prometheus), floats ("1.5e3", ".5", "5."), Inf and NaN in any case.
// Returns InvalidArgument with Go's text, e.g. `strconv.ParseFloat: parsing "1e": invalid
// syntax` or `... value out of range` (for a finite literal that overflows a double).
Result<double> ParseNumber(std::string_view text);

// Go's fmt.Sprint(float64): strconv 'g' with the shortest round-trip digits, in exponent form
// when the decimal exponent is < -4 or >= 6: "1", "0.5", "100000", "1e+06", "1.5e-05", "-0",
// "+Inf", "-Inf", "NaN".
std::string FormatNumber(double value);

// model.ParseDuration in milliseconds: "0" or <int><unit>... with units y, w, d, h, m, s, ms in
// strictly descending order. InvalidArgument with Prometheus' text: `not a valid duration
// string: "5m1h"`, `unknown unit "hs" in duration "5y1hs"`, `duration out of range`,
// `empty duration string`. Zero is allowed here.
Result<int64_t> ParseDuration(std::string_view text);

// model.Duration.String(): "0s", "5m", "1h30m", "1y" (years and weeks only when exact: 90d, not
// 12w6d). Negative values are not supported by Prometheus' printer; callers print the sign.
std::string FormatDuration(int64_t ms);

}  // namespace strata::query::internal
