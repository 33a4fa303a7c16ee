// JSON for the benchmark drivers: reading API answers with the one strict parser the tests use
// (testutil/json.h, header-only, so tests never depend on tools/), and escaping strings for the
// drivers' one-line JSON results. Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "testutil/json.h"

namespace strata::bench {

using Json = testutil::Json;
using JsonParser = testutil::JsonParser;

// The body of a JSON string literal holding `s`: '"' and '\' escaped, bytes below 0x20 as
// \u00XX; other bytes (UTF-8 included) unchanged.
std::string JsonEscape(std::string_view s);

}  // namespace strata::bench
