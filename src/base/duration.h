// Prometheus duration strings: "1h30m", "5m", "15s", "250ms", "2d", "1w", "1y" (units ms, s, m,
// h, d, w, y; each unit at most once, in descending order). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace strata {

// Parses a duration into milliseconds. InvalidArgument for malformed text, or for more than Go's
// time.Duration holds (2^63 - 1 ns, about 292 years: "duration out of range"), as Prometheus.
Result<int64_t> ParseDurationMillis(std::string_view text);

// Parses a byte size as Prometheus' --storage.tsdb.retention.size does: an integer with an
// optional unit B, KB, MB, GB, TB, PB, EB (powers of 1024; KiB, MiB... are accepted too).
// InvalidArgument for malformed text or overflow.
Result<uint64_t> ParseByteSize(std::string_view text);

// Formats milliseconds the way Prometheus prints durations ("1h30m", "0s").
std::string FormatDurationMillis(int64_t ms);

}  // namespace strata
