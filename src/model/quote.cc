// Go strconv.Quote, byte for byte for valid printable text and all ASCII; see quote.h for where
// the printability test approximates Go's Unicode tables.
#include "model/quote.h"

#include <algorithm>
#include <cstdint>
#include <iterator>

#include "model/internal/utf8.h"

namespace strata::model {
namespace {

constexpr char kLowerHex[] = "0123456789abcdef";

struct RuneRange {
  uint32_t lo;
  uint32_t hi;  // Inclusive.
};

// Non-ASCII code points Go's unicode.IsPrint rejects that we know of: Cc, Zs (other than
// U+0020), Zl, Zp, Cf, Co, noncharacters and the unassigned planes 4-13. Sorted, disjoint.
constexpr RuneRange kNonPrintable[] = {
    {0x0080, 0x00A0},   {0x00AD, 0x00AD},    {0x0600, 0x0605},   {0x061C, 0x061C},
    {0x06DD, 0x06DD},   {0x070F, 0x070F},    {0x0890, 0x0891},   {0x08E2, 0x08E2},
    {0x1680, 0x1680},   {0x180E, 0x180E},    {0x2000, 0x200F},   {0x2028, 0x202F},
    {0x205F, 0x206F},   {0x3000, 0x3000},    {0xE000, 0xF8FF},   {0xFDD0, 0xFDEF},
    {0xFEFF, 0xFEFF},   {0xFFF0, 0xFFFB},    {0xFFFE, 0xFFFF},   {0x110BD, 0x110BD},
    {0x110CD, 0x110CD}, {0x13430, 0x1343F},  {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A},
    {0x1FFFE, 0x1FFFF}, {0x2FFFE, 0x2FFFF},  {0x3FFFE, 0xDFFFF}, {0xE0000, 0xE00FF},
    {0xE01F0, 0xEFFFF}, {0xF0000, 0x10FFFF},
};

bool IsPrintRune(uint32_t r) {
  if (r < 0x80) return r >= 0x20 && r < 0x7F;
  const RuneRange* it =
      std::upper_bound(std::begin(kNonPrintable), std::end(kNonPrintable), r,
                       [](uint32_t v, const RuneRange& range) { return v < range.lo; });
  if (it == std::begin(kNonPrintable)) return true;
  --it;
  return r > it->hi;
}

void AppendHex(std::string* dst, uint32_t v, int digits) {
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
    dst->push_back(kLowerHex[(v >> shift) & 0xF]);
  }
}

}  // namespace

void AppendQuote(std::string* dst, std::string_view s) {
  dst->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      ++i;
      switch (c) {
        case '"':
          dst->append("\\\"");
          continue;
        case '\\':
          dst->append("\\\\");
          continue;
        case '\a':
          dst->append("\\a");
          continue;
        case '\b':
          dst->append("\\b");
          continue;
        case '\f':
          dst->append("\\f");
          continue;
        case '\n':
          dst->append("\\n");
          continue;
        case '\r':
          dst->append("\\r");
          continue;
        case '\t':
          dst->append("\\t");
          continue;
        case '\v':
          dst->append("\\v");
          continue;
        default:
          break;
      }
      if (c < 0x20 || c == 0x7F) {
        dst->append("\\x");
        AppendHex(dst, c, 2);
      } else {
        dst->push_back(static_cast<char>(c));
      }
      continue;
    }
    uint32_t rune = 0;
    size_t n = internal::DecodeMultiByteRune(s.substr(i), &rune);
    if (n == 0) {  // Invalid UTF-8: escape this one byte, resync at the next.
      dst->append("\\x");
      AppendHex(dst, c, 2);
      ++i;
      continue;
    }
    if (IsPrintRune(rune)) {
      dst->append(s.substr(i, n));
    } else if (rune < 0x10000) {
      dst->append("\\u");
      AppendHex(dst, rune, 4);
    } else {
      dst->append("\\U");
      AppendHex(dst, rune, 8);
    }
    i += n;
  }
  dst->push_back('"');
}

std::string Quote(std::string_view s) {
  std::string out;
  AppendQuote(&out, s);
  return out;
}

}  // namespace strata::model
