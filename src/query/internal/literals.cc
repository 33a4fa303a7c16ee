// Go number and duration semantics. The float printer rebuilds Go's 'g' output from the
// shortest round-trip digits std::to_chars produces.
#include "query/internal/literals.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <system_error>

#include "model/quote.h"

namespace strata::query::internal {
namespace {

bool IsDecDigit(char c) { return c >= '0' && c <= '9'; }

int DigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}

// strconv.ParseInt(s, 0, 64) for unsigned input (the lexer never includes a sign).
bool ParseGoInt(std::string_view s, int64_t* out) {
  int base = 10;
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.size() >= 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
    base = 8;
    s.remove_prefix(2);
  } else if (s.size() >= 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
    base = 2;
    s.remove_prefix(2);
  } else if (s.size() >= 2 && s[0] == '0') {
    base = 8;
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    int d = DigitValue(c);
    if (d >= base) return false;
    if (v > (static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) - d) / base) return false;
    v = v * base + d;
  }
  *out = static_cast<int64_t>(v);
  return true;
}

bool EqualsFold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (x != b[i]) return false;
  }
  return true;
}

// Whether `s` is a Go decimal float literal: digits [. digits] [e [+-] digits], with at least one
// mantissa digit. (Hex floats need a 'p' exponent, which the lexer never produces.)
bool IsDecimalFloat(std::string_view s) {
  size_t i = 0;
  size_t mantissa_digits = 0;
  while (i < s.size() && IsDecDigit(s[i])) ++i, ++mantissa_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDecDigit(s[i])) ++i, ++mantissa_digits;
  }
  if (mantissa_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && IsDecDigit(s[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

}  // namespace

Result<double> ParseNumber(std::string_view text) {
  int64_t i = 0;
  if (ParseGoInt(text, &i)) return static_cast<double>(i);
  auto error = [&](std::string_view why) {
    return Status::InvalidArgument("strconv.ParseFloat: parsing " + model::Quote(text) + ": " +
                                   std::string(why));
  };
  std::string_view body = text;
  double sign = 1;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    if (body[0] == '-') sign = -1;
    body.remove_prefix(1);
  }
  if (EqualsFold(body, "inf") || EqualsFold(body, "infinity")) {
    return sign * std::numeric_limits<double>::infinity();
  }
  if (EqualsFold(body, "nan")) return std::numeric_limits<double>::quiet_NaN();
  if (!IsDecimalFloat(body)) return error("invalid syntax");
  // strtod rounds correctly (glibc) and the input is plain ASCII, so the C locale suffices.
  std::string copy(body);
  double v = std::strtod(copy.c_str(), nullptr);
  if (std::isinf(v)) return error("value out of range");
  return sign * v;
}

std::string FormatNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  std::array<char, 64> buf{};
  auto [end, ec] =
      std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::scientific);
  if (ec != std::errc()) return "NaN";  // Cannot happen with 64 bytes.
  std::string_view sci(buf.data(), end - buf.data());
  std::string out;
  if (sci.front() == '-') {
    out.push_back('-');
    sci.remove_prefix(1);
  }
  const size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exp = 0;
  std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+' ? 1 : 0), sci.data() + sci.size(), exp);
  if (exp < -4 || exp >= 6) {  // Go uses precision 6 for this decision with shortest digits.
    out.push_back(digits[0]);
    if (digits.size() > 1) {
      out.push_back('.');
      out.append(digits, 1);
    }
    out.push_back('e');
    out.push_back(exp < 0 ? '-' : '+');
    int a = exp < 0 ? -exp : exp;
    if (a < 10) out.push_back('0');
    out += std::to_string(a);
    return out;
  }
  const int dp = exp + 1;  // Digits before the decimal point.
  const int n = static_cast<int>(digits.size());
  if (dp <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-dp), '0');
    out += digits;
  } else if (dp >= n) {
    out += digits;
    out.append(static_cast<size_t>(dp - n), '0');
  } else {
    out.append(digits, 0, static_cast<size_t>(dp));
    out.push_back('.');
    out.append(digits, static_cast<size_t>(dp));
  }
  return out;
}

Result<int64_t> ParseDuration(std::string_view text) {
  struct Unit {
    std::string_view name;
    uint64_t ns;
  };
  static constexpr std::array<Unit, 7> kUnits = {{
      {"y", 365ULL * 24 * 3600 * 1000000000},
      {"w", 7ULL * 24 * 3600 * 1000000000},
      {"d", 24ULL * 3600 * 1000000000},
      {"h", 3600ULL * 1000000000},
      {"m", 60ULL * 1000000000},
      {"s", 1000000000ULL},
      {"ms", 1000000ULL},
  }};
  if (text == "0") return int64_t{0};
  if (text.empty()) return Status::InvalidArgument("empty duration string");
  auto invalid = [&] {
    return Status::InvalidArgument("not a valid duration string: " + model::Quote(text));
  };
  std::string_view s = text;
  uint64_t total_ns = 0;
  int last_unit = -1;
  while (!s.empty()) {
    if (!IsDecDigit(s[0])) return invalid();
    size_t i = 0;
    uint64_t v = 0;
    bool overflow = false;
    for (; i < s.size() && IsDecDigit(s[i]); ++i) {
      const auto d = static_cast<uint64_t>(s[i] - '0');
      if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) overflow = true;
      v = v * 10 + d;
    }
    if (overflow) return invalid();
    s.remove_prefix(i);
    for (i = 0; i < s.size() && !IsDecDigit(s[i]); ++i) {
    }
    if (i == 0) return invalid();
    std::string_view u = s.substr(0, i);
    s.remove_prefix(i);
    int unit = -1;
    for (size_t k = 0; k < kUnits.size(); ++k) {
      if (kUnits[k].name == u) unit = static_cast<int>(k);
    }
    if (unit < 0) {
      return Status::InvalidArgument("unknown unit " + model::Quote(u) + " in duration " +
                                     model::Quote(text));
    }
    if (unit <= last_unit) return invalid();  // Units must go from biggest to smallest.
    last_unit = unit;
    const uint64_t mult = kUnits[unit].ns;
    if (v > (1ULL << 63) / mult) return Status::InvalidArgument("duration out of range");
    total_ns += v * mult;
    if (total_ns > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Status::InvalidArgument("duration out of range");
    }
  }
  return static_cast<int64_t>(total_ns / 1000000);
}

std::string FormatDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  auto unit = [&](std::string_view name, int64_t mult, bool exact) {
    if (exact && ms % mult != 0) return;
    if (int64_t v = ms / mult; v > 0) {
      out += std::to_string(v);
      out += name;
      ms -= v * mult;
    }
  };
  unit("y", 1000LL * 60 * 60 * 24 * 365, true);
  unit("w", 1000LL * 60 * 60 * 24 * 7, true);
  unit("d", 1000LL * 60 * 60 * 24, false);
  unit("h", 1000LL * 60 * 60, false);
  unit("m", 1000LL * 60, false);
  unit("s", 1000, false);
  unit("ms", 1, false);
  return out;
}

}  // namespace strata::query::internal
