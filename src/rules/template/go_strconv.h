// Go's strconv as Go's fmt uses it for template values: float formatting in every verb
// (strconv.FormatFloat), quoting and rune counting (private to rules/template/). Pure;
// thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace strata::rules::template_internal {

// strconv.FormatFloat(f, 'g', -1, 64), which %v uses: "1", "0.5", "1e+21", "1.234567e+06",
// "1e-05", "+Inf", "NaN".
std::string FormatFloatShortestG(double f);

// strconv.FormatFloat(f, verb, prec, 64) for finite f: 'e' 'E' 'f' 'F' 'g' 'G' (prec -1: the
// shortest digits that round-trip), 'b' (mantissa p exponent) and 'x' 'X' (hex mantissa).
std::string StrconvFloat(double f, char verb, int prec);

// The '#' flag on floats (Go's fmt.fmtFloat): always a decimal point, and %g/%v/%x keep
// trailing zeros up to the precision (6 when none is given). `num` starts with its sign.
void SharpFloat(char verb, int prec, std::string* num);

// Bytes of the first `runes` runes of s (Go's precision on strings counts runes).
size_t RunePrefixBytes(std::string_view s, int runes);

// strconv.QuoteToASCII: model::Quote with every non-ASCII rune escaped as \uXXXX or
// \UXXXXXXXX.
std::string QuoteToAscii(std::string_view s);

}  // namespace strata::rules::template_internal
