// Go strconv semantics re-implemented: shortest and fixed-precision float digits, Go's %b and
// %x float layouts, the '#' flag, ASCII quoting.
#include "rules/template/go_strconv.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "base/float_format.h"
#include "model/quote.h"
#include "rules/template/utf8.h"

namespace strata::rules::template_internal {

// Bytes of the first `runes` runes of s (Go's precision on strings counts runes).
size_t RunePrefixBytes(std::string_view s, int runes) {
  size_t i = 0;
  for (int n = 0; i < s.size() && n < runes; ++n) DecodeRune(s, &i);
  return i;
}

// strconv.QuoteToASCII: model::Quote with every non-ASCII rune escaped as \uXXXX or
// \UXXXXXXXX.
std::string QuoteToAscii(std::string_view s) {
  std::string q = model::Quote(s);
  std::string out;
  for (size_t i = 0; i < q.size();) {
    if (static_cast<unsigned char>(q[i]) < 0x80) {
      out.push_back(q[i++]);
      continue;
    }
    uint32_t r = DecodeRune(q, &i);
    char buf[16];
    std::snprintf(buf, sizeof(buf), r > 0xFFFF ? "\\U%08x" : "\\u%04x", r);
    out += buf;
  }
  return out;
}

// strconv.FormatFloat(f, verb, prec, 64) for finite f: 'e' 'E' 'f' 'F' 'g' 'G' (prec -1: the
// shortest digits that round-trip), 'b' (mantissa p exponent) and 'x' 'X' (hex mantissa).
std::string StrconvFloat(double f, char verb, int prec) {
  if ((verb == 'g' || verb == 'G') && prec < 0) {
    std::string body = FormatFloatShortestG(f);
    if (verb == 'G') {
      for (char& c : body) {
        if (c == 'e') c = 'E';
      }
    }
    return body;
  }
  const auto bits = std::bit_cast<uint64_t>(f);
  const bool neg = bits >> 63;
  const int raw_exp = static_cast<int>((bits >> 52) & 0x7FF);
  uint64_t mant = bits & ((uint64_t{1} << 52) - 1);
  int exp = raw_exp == 0 ? 1 - 1023 : raw_exp - 1023;  // Denormals have no implicit bit.
  if (raw_exp != 0) mant |= uint64_t{1} << 52;
  std::string out = neg ? "-" : "";
  if (verb == 'b') {
    out += std::to_string(mant) + "p";
    int e = exp - 52;
    out += e >= 0 ? "+" : "";
    out += std::to_string(e);
    return out;
  }
  if (verb == 'x' || verb == 'X') {
    const char* hex = verb == 'x' ? "0123456789abcdef" : "0123456789ABCDEF";
    if (mant == 0) exp = 0;
    mant <<= 60 - 52;  // The leading 1 (if any) at bit 60.
    while (mant != 0 && (mant & (uint64_t{1} << 60)) == 0) {
      mant <<= 1;
      --exp;
    }
    if (prec >= 0 && prec < 15) {  // Round to prec hex digits, half to even.
      const auto shift = static_cast<unsigned>(prec * 4);
      const uint64_t extra = (mant << shift) & ((uint64_t{1} << 60) - 1);
      mant >>= 60 - shift;
      if ((extra | (mant & 1)) > (uint64_t{1} << 59)) ++mant;
      mant <<= 60 - shift;
      if (mant & (uint64_t{1} << 61)) {
        mant >>= 1;
        ++exp;
      }
    }
    out += "0";
    out.push_back(verb);
    out.push_back(static_cast<char>('0' + ((mant >> 60) & 1)));
    mant <<= 4;
    if (prec < 0 && mant != 0) {
      out.push_back('.');
      while (mant != 0) {
        out.push_back(hex[(mant >> 60) & 15]);
        mant <<= 4;
      }
    } else if (prec > 0) {
      out.push_back('.');
      for (int i = 0; i < prec; ++i) {
        out.push_back(hex[(mant >> 60) & 15]);
        mant <<= 4;
      }
    }
    out.push_back(verb == 'x' ? 'p' : 'P');
    out.push_back(exp < 0 ? '-' : '+');
    std::string digits = std::to_string(exp < 0 ? -exp : exp);
    if (digits.size() < 2) digits.insert(0, "0");
    return out + digits;
  }
  char cverb = verb == 'F' ? 'f' : verb;
  const char fmt[] = {'%', '.', '*', cverb, '\0'};
  int len = std::snprintf(nullptr, 0, fmt, prec, f);
  std::string body(static_cast<size_t>(len) + 1, '\0');
  std::snprintf(body.data(), body.size(), fmt, prec, f);
  body.resize(static_cast<size_t>(len));
  return body;
}

// The '#' flag on floats (Go's fmt.fmtFloat): always a decimal point, and %g/%v/%x keep
// trailing zeros up to the precision (6 when none is given). `num` starts with its sign.
void SharpFloat(char verb, int prec, std::string* num) {
  int digits = 0;
  if (verb == 'v' || verb == 'g' || verb == 'G' || verb == 'x') digits = prec < 0 ? 6 : prec;
  std::string tail;
  bool has_point = false, saw_nonzero = false;
  for (size_t i = 1; i < num->size(); ++i) {
    char c = (*num)[i];
    if (c == '.') {
      has_point = true;
    } else if (c == 'p' || c == 'P' || ((c == 'e' || c == 'E') && verb != 'x' && verb != 'X')) {
      tail = num->substr(i);
      num->resize(i);
      break;
    } else {
      if (c != '0') saw_nonzero = true;
      if (saw_nonzero) --digits;
    }
  }
  if (!has_point) {
    if (num->size() == 2 && (*num)[1] == '0') --digits;
    num->push_back('.');
  }
  if (digits > 0) num->append(static_cast<size_t>(digits), '0');
  *num += tail;
}

std::string FormatFloatShortestG(double f) {
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f > 0 ? "+Inf" : "-Inf";
  if (f == 0) return std::signbit(f) ? "-0" : "0";
  std::string e = FormatFloatGo(f, 'e');  // [-]d[.ddd]e±XX
  size_t epos = e.find('e');
  int exp = std::atoi(e.c_str() + epos + 1);
  if (exp < -4 || exp >= 6) return e;
  return FormatFloatGo(f, 'f');
}

}  // namespace strata::rules::template_internal
