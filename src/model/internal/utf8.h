// Strict UTF-8 decoding shared by model/validation.cc and model/quote.cc (private to model/).
// Rejects exactly what Go's utf8.DecodeRune rejects: overlongs, surrogates, code points above
// U+10FFFF, stray continuation bytes and truncated sequences. Pure, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace strata::model::internal {

// Decodes the multi-byte sequence at the start of `s`. REQUIRES: !s.empty() and s[0] >= 0x80.
// Returns its length (2-4) and sets *rune, or returns 0 if the sequence is not valid UTF-8.
inline size_t DecodeMultiByteRune(std::string_view s, uint32_t* rune) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t b0 = byte(0);
  size_t n;
  uint8_t lo = 0x80, hi = 0xBF;    // Allowed range of the second byte.
  if (b0 >= 0xC2 && b0 <= 0xDF) {  // 0xC0 and 0xC1 could only start overlongs.
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;  // Overlong below U+0800.
    if (b0 == 0xED) hi = 0x9F;  // U+D800..U+DFFF are surrogates.
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;  // Overlong below U+10000.
    if (b0 == 0xF4) hi = 0x8F;  // Above U+10FFFF.
  } else {
    return 0;
  }
  if (s.size() < n || byte(1) < lo || byte(1) > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  uint32_t r = b0 & (0x7Fu >> n);
  for (size_t i = 1; i < n; ++i) r = (r << 6) | (byte(i) & 0x3Fu);
  *rune = r;
  return n;
}

}  // namespace strata::model::internal
