// UTF-8 as Go's unicode/utf8 treats it, for the template engine (private to rules/template/):
// decoding yields U+FFFD for each invalid byte, encoding replaces surrogates and values beyond
// U+10FFFF with U+FFFD. Pure, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::rules::template_internal {

inline constexpr uint32_t kRuneError = 0xFFFD;

// Decodes the rune at s[*i] and advances *i past it (by one byte for invalid UTF-8, which
// decodes as kRuneError, like utf8.DecodeRuneInString). REQUIRES: *i < s.size().
inline uint32_t DecodeRune(std::string_view s, size_t* i) {
  const auto b0 = static_cast<uint8_t>(s[*i]);
  if (b0 < 0x80) {
    ++*i;
    return b0;
  }
  // Length and the allowed range of the second byte, which excludes overlongs, surrogates and
  // code points beyond U+10FFFF.
  size_t n = 0;
  uint8_t lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    lo = b0 == 0xE0 ? 0xA0 : 0x80;
    hi = b0 == 0xED ? 0x9F : 0xBF;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    lo = b0 == 0xF0 ? 0x90 : 0x80;
    hi = b0 == 0xF4 ? 0x8F : 0xBF;
  }
  bool ok = n != 0 && *i + n <= s.size();
  for (size_t k = 1; ok && k < n; ++k) {
    const auto b = static_cast<uint8_t>(s[*i + k]);
    ok = k == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
  }
  if (!ok) {
    ++*i;
    return kRuneError;
  }
  uint32_t r = b0 & (0x7Fu >> n);
  for (size_t k = 1; k < n; ++k) r = (r << 6) | (static_cast<uint8_t>(s[*i + k]) & 0x3Fu);
  *i += n;
  return r;
}

// Appends the UTF-8 encoding of `r` (utf8.AppendRune).
inline void AppendRune(std::string* out, uint32_t r) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = kRuneError;
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
    return;
  }
  if (r < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (r >> 6)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
  }
  out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
}

}  // namespace strata::rules::template_internal
