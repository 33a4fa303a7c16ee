// Protobuf wire-format writers for the hand-rolled encoders (remote_write_encoder.h,
// otlp_encoder.h): they assemble requests from pre-encoded blocks, which is what lets the
// drivers encode millions of samples in seconds. Pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::bench {

inline void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Field `field` with wire type 2 (length-delimited): tag, length, bytes.
inline void PutLengthDelimited(std::string* out, int field, std::string_view bytes) {
  PutVarint(out, (static_cast<uint64_t>(field) << 3) | 2);
  PutVarint(out, bytes.size());
  out->append(bytes);
}

// 8 little-endian bytes (wire type 1 payload).
inline void PutFixed64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

}  // namespace strata::bench
