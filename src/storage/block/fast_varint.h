// Varint reading for the block codecs' hot loops (docs/format/block.md): the same LEB128
// varints as base/coding.h, read a byte at a time or 8 bytes at a time.
#pragma once

#include <cstdint>

#include "base/coding.h"

namespace strata::storage::block {

// The 7-bit payloads of the eight varint bytes in `x` (continuation bits ignored) packed into
// one number, byte i's at bit 7i: three branch-free steps, each halving the lanes.
inline uint64_t PackVarintPayloads(uint64_t x) {
  x &= 0x7f7f7f7f7f7f7f7full;
  x = ((x & 0x7f007f007f007f00ull) >> 1) | (x & 0x007f007f007f007full);
  x = ((x & 0x3fff00003fff0000ull) >> 2) | (x & 0x00003fff00003fffull);
  return ((x & 0x0fffffff00000000ull) >> 4) | (x & 0x000000000fffffffull);
}

// Reads a varint at *p (p <= end) a byte at a time and advances *p past it; false when it is
// truncated or longer than 64 bits. The fastest for the 1 to 4 byte varints of timestamps and
// mantissa deltas, whose lengths the branch predictor learns.
[[gnu::always_inline]] inline bool ReadVarintBytewise(const uint8_t** p, const uint8_t* end,
                                                      uint64_t* v) {
  const uint8_t* q = *p;
  if (q < end && *q < 0x80) {  // One byte, without the loop.
    *v = *q;
    *p = q + 1;
    return true;
  }
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && q < end; shift += 7) {
    const uint64_t byte = *q++;
    if (shift == 63 && byte > 1) return false;
    result |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      *v = result;
      *p = q;
      return true;
    }
  }
  return false;
}

// Reads a varint at *p (p <= end) and advances *p past it; false when it is truncated or
// longer than 64 bits. For long varints of varying length (an XOR column's changed bits of a
// double, 6 to 10 bytes), where a byte loop mispredicts its exit: with 8 bytes left it takes
// the length from one 8-byte load instead. Measured slower than the byte loop for the 1 to 4
// byte varints of mantissa deltas and timestamps (bench/storage/aggregate_codec_bench.cc):
// the next varint's position waits for the load.
inline bool ReadLongVarint(const uint8_t** p, const uint8_t* end, uint64_t* v) {
  const uint8_t* q = *p;
  if (end - q >= 8) {
    const uint64_t w = DecodeFixed64(q);
    const uint64_t stops = ~w & 0x8080808080808080ull;
    if (stops != 0) {
      const int bits = __builtin_ctzll(stops) + 1;  // Through the first byte < 0x80.
      *v = PackVarintPayloads(bits == 64 ? w : w & ((uint64_t{1} << bits) - 1));
      *p = q + bits / 8;
      return true;
    }
    uint64_t r = PackVarintPayloads(w);  // Nine or ten bytes.
    if (end - q < 9) return false;
    uint64_t b = q[8];
    r |= (b & 0x7f) << 56;
    if (b < 0x80) {
      *v = r;
      *p = q + 9;
      return true;
    }
    if (end - q < 10 || q[9] > 1) return false;  // Truncated, or over 64 bits.
    *v = r | (uint64_t{q[9]} << 63);
    *p = q + 10;
    return true;
  }
  return ReadVarintBytewise(p, end, v);
}

}  // namespace strata::storage::block
