#include "base/float_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace strata {

void AppendFloatGo(std::string* out, double v, char fmt) {
  if (std::isnan(v)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
    return;
  }
  // A whole number below 2^53 (counts, bytes, most gauges): its shortest round-trip digits
  // are its integer digits, since a shorter decimal would be another integer and every integer
  // of that size is a double of its own. -0 takes the general path ("-0").
  if (fmt == 'f' && v != 0 && std::fabs(v) < 9007199254740992.0 && v == std::trunc(v)) {
    char ib[24];
    const auto r = std::to_chars(ib, ib + sizeof(ib), static_cast<int64_t>(v));
    out->append(ib, r.ptr);
    return;
  }
  char buf[64];
  // Shortest round-trip digits, in scientific form: [-]d[.ddd]e[+-]XX.
  const auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  if (fmt == 'e') {
    out->append(buf, r.ptr);
    return;
  }
  if (fmt == 'g') {
    // Go's shortest 'g': the 'e' form when the decimal exponent is < -4 or >= 6 (precision 6
    // decides for shortest output), the 'f' form otherwise.
    const char* e = std::find(buf, r.ptr, 'e');
    const char* x = e + 1;
    if (x < r.ptr && *x == '+') ++x;
    int exp = 0;
    std::from_chars(x, r.ptr, exp);
    if (v != 0 && (exp < -4 || exp >= 6)) {
      out->append(buf, r.ptr);
      return;
    }
    fmt = 'f';
  }
  const char* p = buf;
  if (*p == '-') {
    out->push_back('-');
    ++p;
  }
  const char* end = r.ptr;
  const char* e = std::find(p, end, 'e');
  char digits[32];  // At most 17 significant digits.
  size_t n = 0;
  for (const char* k = p; k < e && n < sizeof(digits); ++k) {
    if (*k != '.') digits[n++] = *k;
  }
  const char* x = e + 1;
  if (x < end && *x == '+') ++x;  // from_chars takes a '-' but not a '+'.
  int exp = 0;
  std::from_chars(x, end, exp);
  if (n == 1 && digits[0] == '0') {
    out->push_back('0');
    return;
  }
  // The value is 0.digits * 10^(exp + 1).
  const int point = exp + 1;
  if (point <= 0) {
    out->append("0.");
    out->append(static_cast<size_t>(-point), '0');
    out->append(digits, n);
  } else if (static_cast<size_t>(point) >= n) {
    out->append(digits, n);
    out->append(static_cast<size_t>(point) - n, '0');
  } else {
    out->append(digits, static_cast<size_t>(point));
    out->push_back('.');
    out->append(digits + point, n - static_cast<size_t>(point));
  }
}

std::string FormatFloatGo(double v, char fmt) {
  std::string out;
  AppendFloatGo(&out, v, fmt);
  return out;
}

}  // namespace strata
