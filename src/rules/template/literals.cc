// Go literal syntax for template constants: strconv.Unquote and strconv.ParseInt(s, 0, 64).
#include "rules/template/literals.h"

#include <charconv>
#include <cstdint>

#include "rules/template/utf8.h"

namespace strata::rules::template_internal {
namespace {

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

// strconv.Unquote for "...", `...` and '...' (a single rune). False on invalid syntax.
bool Unquote(std::string_view q, std::string* out) {
  out->clear();
  if (q.size() < 2 || q.front() != q.back()) return false;
  char quote = q.front();
  std::string_view body = q.substr(1, q.size() - 2);
  if (quote == '`') {
    for (char c : body) {
      if (c == '`') return false;
      if (c != '\r') out->push_back(c);
    }
    return true;
  }
  if (quote != '"' && quote != '\'') return false;
  size_t runes = 0;
  for (size_t i = 0; i < body.size();) {
    char c = body[i];
    if (c == quote || c == '\n') return false;
    ++runes;
    if (c != '\\') {
      out->push_back(c);
      ++i;
      if (static_cast<unsigned char>(c) >= 0xC0) {
        while (i < body.size() && (static_cast<unsigned char>(body[i]) & 0xC0) == 0x80) {
          out->push_back(body[i++]);
        }
      }
      continue;
    }
    if (++i >= body.size()) return false;
    char e = body[i++];
    switch (e) {
      case 'a':
        out->push_back('\a');
        break;
      case 'b':
        out->push_back('\b');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'v':
        out->push_back('\v');
        break;
      case '\\':
        out->push_back('\\');
        break;
      case '\'':
      case '"':
        if (e != quote) return false;
        out->push_back(e);
        break;
      case 'x':
      case 'u':
      case 'U': {
        int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (i + static_cast<size_t>(n) > body.size()) return false;
        uint32_t v = 0;
        for (int k = 0; k < n; ++k) {
          int h = HexVal(body[i++]);
          if (h < 0) return false;
          v = v * 16 + static_cast<uint32_t>(h);
        }
        if (e == 'x') {
          if (quote == '\'') {
            AppendRune(out, v);
          } else {
            out->push_back(static_cast<char>(v));
          }
        } else {
          if (v > 0x10FFFF || (v >= 0xD800 && v < 0xE000)) return false;
          AppendRune(out, v);
        }
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          if (i + 2 > body.size()) return false;
          uint32_t v = static_cast<uint32_t>(e - '0');
          for (int k = 0; k < 2; ++k) {
            char d = body[i++];
            if (d < '0' || d > '7') return false;
            v = v * 8 + static_cast<uint32_t>(d - '0');
          }
          if (v > 255) return false;
          if (quote == '\'') {
            AppendRune(out, v);
          } else {
            out->push_back(static_cast<char>(v));
          }
          break;
        }
        return false;
    }
  }
  return quote == '"' || runes == 1;
}

// strconv.ParseInt(text, 0, 64): sign, 0x/0o/0b/0 prefixes, underscores between digits.
bool ParseGoInt(std::string_view t, int64_t* out) {
  bool neg = false;
  if (!t.empty() && (t[0] == '+' || t[0] == '-')) {
    neg = t[0] == '-';
    t.remove_prefix(1);
  }
  int base = 10;
  if (t.size() >= 2 && t[0] == '0') {
    char p = static_cast<char>(t[1] | 0x20);
    if (p == 'x') {
      base = 16;
      t.remove_prefix(2);
    } else if (p == 'o') {
      base = 8;
      t.remove_prefix(2);
    } else if (p == 'b') {
      base = 2;
      t.remove_prefix(2);
    } else {
      base = 8;
      t.remove_prefix(1);
    }
  }
  std::string digits;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '_') {
      if (i + 1 >= t.size() || t[i + 1] == '_') return false;
      continue;
    }
    digits.push_back(t[i]);
  }
  if (digits.empty()) return false;
  uint64_t u = 0;
  auto r = std::from_chars(digits.data(), digits.data() + digits.size(), u, base);
  if (r.ec != std::errc() || r.ptr != digits.data() + digits.size()) return false;
  if (neg) {
    if (u > uint64_t{1} << 63) return false;
    *out = static_cast<int64_t>(0 - u);
  } else {
    if (u > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(u);
  }
  return true;
}

}  // namespace strata::rules::template_internal
