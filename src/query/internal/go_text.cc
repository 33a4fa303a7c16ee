// Ports of the few Go standard library routines (utf8, strconv, fmt) whose exact behaviour shows
// up in PromQL parse results and error messages.
#include "query/internal/go_text.h"

#include "model/quote.h"

namespace strata::query::internal {
namespace {

bool ValidRune(int32_t r) { return r >= 0 && r <= 0x10FFFF && !(r >= 0xD800 && r < 0xE000); }

std::string EncodeRune(int32_t r) {
  std::string s;
  AppendRune(&s, r);
  return s;
}

// Whether Go's strconv.IsPrint accepts `r`, judged by whether model::Quote escapes it (model's
// table approximates Go's for unassigned code points; see model/quote.h).
bool IsPrint(int32_t r) {
  if (r < 0x80) return r >= 0x20 && r < 0x7F;
  if (!ValidRune(r)) return false;
  std::string q = model::Quote(EncodeRune(r));
  return q.find('\\') == std::string::npos;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

int32_t DecodeRune(std::string_view s, size_t* width) {
  auto b = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t b0 = b(0);
  if (b0 < 0x80) {
    *width = 1;
    return b0;
  }
  size_t n = 0;
  uint8_t lo = 0x80;
  uint8_t hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;  // Overlong below U+0800.
    if (b0 == 0xED) hi = 0x9F;  // Surrogates.
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;  // Overlong below U+10000.
    if (b0 == 0xF4) hi = 0x8F;  // Above U+10FFFF.
  }
  if (n == 0 || s.size() < n || b(1) < lo || b(1) > hi) {
    *width = 1;
    return kRuneError;
  }
  for (size_t i = 2; i < n; ++i) {
    if (b(i) < 0x80 || b(i) > 0xBF) {
      *width = 1;
      return kRuneError;
    }
  }
  int32_t r = b0 & (0x7F >> n);
  for (size_t i = 1; i < n; ++i) r = (r << 6) | (b(i) & 0x3F);
  *width = n;
  return r;
}

void AppendRune(std::string* dst, int32_t r) {
  if (!ValidRune(r)) r = kRuneError;
  auto u = static_cast<uint32_t>(r);
  if (u < 0x80) {
    dst->push_back(static_cast<char>(u));
  } else if (u < 0x800) {
    dst->push_back(static_cast<char>(0xC0 | (u >> 6)));
    dst->push_back(static_cast<char>(0x80 | (u & 0x3F)));
  } else if (u < 0x10000) {
    dst->push_back(static_cast<char>(0xE0 | (u >> 12)));
    dst->push_back(static_cast<char>(0x80 | ((u >> 6) & 0x3F)));
    dst->push_back(static_cast<char>(0x80 | (u & 0x3F)));
  } else {
    dst->push_back(static_cast<char>(0xF0 | (u >> 18)));
    dst->push_back(static_cast<char>(0x80 | ((u >> 12) & 0x3F)));
    dst->push_back(static_cast<char>(0x80 | ((u >> 6) & 0x3F)));
    dst->push_back(static_cast<char>(0x80 | (u & 0x3F)));
  }
}

std::string QuoteRune(int32_t r) {
  if (!ValidRune(r)) r = kRuneError;
  if (r == '\'') return R"('\'')";
  if (r == '"') return R"('"')";
  // Every other rune is escaped exactly as inside a Go string literal.
  std::string q = model::Quote(EncodeRune(r));
  q.front() = '\'';
  q.back() = '\'';
  return q;
}

std::string FormatRuneU(int32_t r) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "U+";
  auto u = static_cast<uint32_t>(r);
  int digits = 4;
  while (digits < 8 && (u >> (4 * digits)) != 0) ++digits;
  for (int i = digits - 1; i >= 0; --i) out.push_back(kHex[(u >> (4 * i)) & 0xF]);
  if (IsPrint(r)) {
    out += " '";
    AppendRune(&out, r);
    out += "'";
  }
  return out;
}

std::string QuoteTruncated(std::string_view s, size_t max_runes) {
  size_t i = 0;
  for (size_t n = 0; i < s.size() && n < max_runes; ++n) {
    size_t w = 1;
    DecodeRune(s.substr(i), &w);
    i += w;
  }
  return model::Quote(s.substr(0, i));
}

Result<std::string> Unquote(std::string_view s) {
  const Status syntax = Status::InvalidArgument("invalid syntax");
  if (s.size() < 2) return syntax;
  const char quote = s.front();
  if (quote != s.back()) return syntax;
  s = s.substr(1, s.size() - 2);
  if (quote == '`') {
    if (s.find('`') != std::string_view::npos) return syntax;
    return std::string(s);
  }
  if (quote != '"' && quote != '\'') return syntax;
  if (s.find('\n') != std::string_view::npos) return syntax;

  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == quote) return syntax;
    if (static_cast<uint8_t>(c) >= 0x80) {
      size_t w = 1;
      AppendRune(&out, DecodeRune(s.substr(i), &w));
      i += w;
      continue;
    }
    if (c != '\\') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= s.size()) return syntax;
    const char e = s[i + 1];
    i += 2;
    switch (e) {
      case 'a':
        out.push_back('\a');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'v':
        out.push_back('\v');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '\'':
      case '"':
        if (e != quote) return syntax;
        out.push_back(e);
        break;
      case 'x':
      case 'u':
      case 'U': {
        const size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (s.size() - i < n) return syntax;
        int64_t v = 0;
        for (size_t j = 0; j < n; ++j) {
          int h = HexValue(s[i + j]);
          if (h < 0) return syntax;
          v = (v << 4) | h;
        }
        i += n;
        if (e == 'x') {
          out.push_back(static_cast<char>(v));
          break;
        }
        if (!ValidRune(static_cast<int32_t>(v)) || v > 0x10FFFF) return syntax;
        AppendRune(&out, static_cast<int32_t>(v));
        break;
      }
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7': {
        if (s.size() - i < 2) return syntax;
        int v = e - '0';
        for (size_t j = 0; j < 2; ++j) {
          int d = s[i + j] - '0';
          if (d < 0 || d > 7) return syntax;
          v = (v << 3) | d;
        }
        i += 2;
        if (v > 255) return syntax;
        out.push_back(static_cast<char>(v));
        break;
      }
      default:
        return syntax;
    }
  }
  return out;
}

}  // namespace strata::query::internal
