// Go text helpers the PromQL front end needs to reproduce Prometheus' messages and literals:
// UTF-8 decoding with Go's error rune, rune formatting (%q, %#U) and strconv-style unquoting of
// PromQL string literals. Private to query/. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace strata::query::internal {

inline constexpr int32_t kRuneError = 0xFFFD;

// Go's utf8.DecodeRuneInString: the rune at the start of `s` and its byte width. An invalid or
// truncated sequence decodes as (kRuneError, 1). REQUIRES: !s.empty().
int32_t DecodeRune(std::string_view s, size_t* width);

// Appends the UTF-8 encoding of `r` (kRuneError for invalid code points).
void AppendRune(std::string* dst, int32_t r);

// Go's %q for a rune (strconv.QuoteRune): 'a', '\'', '\n', '\x00', '\ufffd' for negative runes.
std::string QuoteRune(int32_t r);

// Go's %#U: "U+0063 'c'", or just "U+000A" when the rune is not printable.
std::string FormatRuneU(int32_t r);

// Go's %.10q: the first `max_runes` characters of `s`, Go-quoted.
std::string QuoteTruncated(std::string_view s, size_t max_runes);

// Interprets a PromQL string literal as Prometheus' strutil.Unquote does: `s` includes its
// quotes ("...", '...' or `...`); Go escapes are resolved in quoted forms (\xNN and \NNN yield
// single bytes, \u and \U yield UTF-8). Returns InvalidArgument "invalid syntax" on malformed
// input (which the lexer normally rejects earlier).
Result<std::string> Unquote(std::string_view s);

}  // namespace strata::query::internal
