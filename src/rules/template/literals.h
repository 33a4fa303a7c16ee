// Go literal syntax for template constants (private to rules/template/). Pure, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace strata::rules::template_internal {

// strconv.Unquote of a "interpreted", `raw` or 'c' (one rune) literal, quotes included.
// False on invalid syntax.
bool Unquote(std::string_view q, std::string* out);

// strconv.ParseInt(t, 0, 64): an optional sign, 0x/0o/0b/0 prefixes, underscores between
// digits. False on invalid syntax or overflow.
bool ParseGoInt(std::string_view t, int64_t* out);

}  // namespace strata::rules::template_internal
