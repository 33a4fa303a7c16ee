// Builds the Status of a PromQL parse error in Prometheus' ParseErr format:
// "<line>:<column>: parse error: <message>". Private to query/. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace strata::query::internal {

// "line:col" of byte offset `pos` in `input`, both 1-based, the column counted in bytes from
// the last '\n' (posrange.StartPosInput). "unknown position" for an empty input and
// "invalid position" when pos is past its end.
std::string FormatPosition(std::string_view input, size_t pos);

// InvalidArgument "<FormatPosition(input, pos)>: parse error: <message>".
Status ParseError(std::string_view input, size_t pos, std::string_view message);

}  // namespace strata::query::internal
