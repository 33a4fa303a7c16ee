// Float formatting compatible with Go's strconv.FormatFloat(v, fmt, -1, 64): the shortest
// decimal digits that round-trip, laid out in 'f' (no exponent) or 'e' form. Prometheus prints
// sample values and count_values labels this way, so we must match it digit for digit.
// Pure; thread-safe. NaN -> "NaN", infinities -> "+Inf" / "-Inf".
#pragma once

#include <string>

namespace strata {

// fmt 'f': "123456789012345680000", "0.1", "1e-07" is never produced (always positional).
// fmt 'e': "1e-07", "1.5e+21" (exponent with a sign and at least two digits).
// fmt 'g': 'e' when the exponent is < -4 or >= 6, else 'f' ("123456", "1.234567e+06",
// "0.0001", "1e-05"): the text exposition format's values (expfmt).
std::string FormatFloatGo(double v, char fmt);
// The same, appended to *out without allocating beyond *out's growth.
void AppendFloatGo(std::string* out, double v, char fmt);

}  // namespace strata
