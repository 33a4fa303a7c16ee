// Go-compatible string quoting (strconv.Quote), used wherever Prometheus prints a label value or
// string literal: Labels::ToString(), Matcher::ToString(), error messages. Pure, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace strata::model {

// Appends `s` to *dst as a double-quoted Go string literal, like strconv.AppendQuote:
// `"` and `\` are backslashed; \a \b \f \n \r \t \v use their short escapes; other control
// bytes become \xNN; bytes that are not valid UTF-8 become \xNN (one per byte); non-printable
// code points become \uNNNN or \UNNNNNNNN; everything else is copied verbatim.
// Approximation: Go's unicode.IsPrint needs full Unicode tables. We escape controls, spaces
// other than U+0020, line/paragraph separators, format characters, private use code points and
// noncharacters, but print other unassigned code points verbatim where Go would escape them.
void AppendQuote(std::string* dst, std::string_view s);

// Returns AppendQuote's output for `s`, e.g. Quote("a\"b") == R"("a\"b")".
std::string Quote(std::string_view s);

}  // namespace strata::model
