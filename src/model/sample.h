// Sample: one (timestamp, value) point of a float series, plus Prometheus' staleness marker.
// The stale NaN is a specific NaN bit pattern written when a series disappears; it must be
// compared bit-exactly (IsStaleNaN), never with ==. Header-only, pure, thread-safe.
#pragma once

#include <bit>
#include <cstdint>

namespace strata::model {

// A float sample. Timestamps are milliseconds since the Unix epoch.
struct Sample {
  int64_t timestamp_ms = 0;
  double value = 0;
};

// Prometheus' value.StaleNaN: marks a series as stale at a timestamp. Persisted in the WAL and
// in chunks and sent over remote write: never change.
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002;
// Prometheus' value.NormalNaN: the NaN that ordinary NaN results are normalised to, so that they
// are never mistaken for the stale marker. Never change.
inline constexpr uint64_t kNormalNaNBits = 0x7ff8000000000001;

constexpr double StaleNaN() { return std::bit_cast<double>(kStaleNaNBits); }

// True only for the exact stale-marker bit pattern; any other NaN (or number) is not stale.
constexpr bool IsStaleNaN(double v) { return std::bit_cast<uint64_t>(v) == kStaleNaNBits; }

}  // namespace strata::model
