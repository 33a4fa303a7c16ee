// Go fmt semantics (print.go/format.go) re-implemented for template values: which verbs each
// kind accepts, how flags, width and precision pad, and Go's spelling of Inf/NaN and errors.
#include "rules/template/go_fmt.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <utility>

#include "model/quote.h"
#include "rules/template/go_strconv.h"
#include "rules/template/utf8.h"

namespace strata::rules::template_internal {
namespace {

// Go's fmt refuses widths and precisions above 1e6 (%!(BADWIDTH), %!(BADPREC)).
constexpr int kMaxWidth = 1000000;

struct Spec {
  bool plus = false, minus = false, sharp = false, space = false, zero = false;
  bool plus_v = false, sharp_v = false;
  bool wid_present = false, prec_present = false;
  int wid = 0, prec = 0;
};

size_t RuneCount(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

class Printer {
 public:
  std::string out;

  void PrintArg(const Value& v, char32_t verb, const Spec& spec, int depth) {
    if (verb == 'T') {
      Pad(v.valid() ? TypeName(v) : "<nil>", spec);
      return;
    }
    switch (v.kind()) {
      case Kind::kInvalid:
        if (verb == 'v') {
          Pad("<nil>", spec);
        } else {
          BadVerb(v, verb, spec);
        }
        return;
      case Kind::kBool:
        if (verb == 't' || verb == 'v') {
          Pad(v.b() ? "true" : "false", spec);
        } else {
          BadVerb(v, verb, spec);
        }
        return;
      case Kind::kInt:
        FmtInt(v, verb, spec);
        return;
      case Kind::kFloat:
        FmtFloatVerb(v, verb, spec);
        return;
      case Kind::kString:
      case Kind::kHtml:
        FmtString(v, verb, spec);
        return;
      case Kind::kTime: {
        // A Stringer: %v %s %q %x %X format its String(), other verbs are bad.
        if (verb == 'v' || verb == 's' || verb == 'q' || verb == 'x' || verb == 'X') {
          FmtString(Value::String(FormatGoTime(std::get<Time>(v.v).unix_nanos)), verb, spec);
        } else {
          BadVerb(v, verb, spec);
        }
        return;
      }
      case Kind::kStrMap:
        PrintMap(*std::get<std::shared_ptr<const StrMap>>(v.v), verb, spec, depth,
                 [](const std::string& x) { return Value::String(x); });
        return;
      case Kind::kAnyMap:
        PrintMap(std::get<std::shared_ptr<const AnyMap>>(v.v)->items, verb, spec, depth,
                 [](const Value& x) { return x; });
        return;
      case Kind::kQueryResult: {
        const auto& list = *std::get<std::shared_ptr<const QueryResult>>(v.v);
        out.push_back('[');
        for (size_t k = 0; k < list.size(); ++k) {
          if (k > 0) out.push_back(' ');
          // Go prints nested pointers as addresses; we print the sample (documented).
          PrintArg(Value::Of(list[k]), verb, spec, depth + 1);
        }
        out.push_back(']');
        return;
      }
      case Kind::kSample: {
        const auto& s = *std::get<std::shared_ptr<const QuerySample>>(v.v);
        // Go prints a nested pointer as an address, which only %v accepts; we print the sample
        // there (documented).
        if (depth > 0 && verb != 'v') {
          BadVerb(v, verb, spec);
          return;
        }
        if (depth >= 0) out.push_back('&');
        PrintStruct({{"Labels", Value::Of(s.labels)}, {"Value", Value::Float(s.value)}}, verb, spec,
                    depth);
        return;
      }
      case Kind::kAlertData: {
        const auto& d = *std::get<std::shared_ptr<const AlertData>>(v.v);
        PrintStruct({{"Labels", Value::Of(d.labels)},
                     {"ExternalLabels", Value::Of(d.external_labels)},
                     {"ExternalURL", Value::String(d.external_url)},
                     {"Value", Value::Float(d.value)}},
                    verb, spec, depth);
        return;
      }
    }
  }

  // Go's map[k:v k:v] with keys in order and the verb applied to keys and values.
  template <typename M, typename ToValue>
  void PrintMap(const M& m, char32_t verb, const Spec& spec, int depth, ToValue to_value) {
    out += "map[";
    bool first = true;
    for (const auto& [k, val] : m) {
      if (!first) out.push_back(' ');
      first = false;
      PrintArg(Value::String(k), verb, spec, depth + 1);
      out.push_back(':');
      PrintArg(to_value(val), verb, spec, depth + 1);
    }
    out.push_back(']');
  }

  // Go's {v v} (%+v: {Name:v Name:v}).
  void PrintStruct(std::initializer_list<std::pair<const char*, Value>> fields, char32_t verb,
                   const Spec& spec, int depth) {
    out.push_back('{');
    bool first = true;
    for (const auto& [name, val] : fields) {
      if (!first) out.push_back(' ');
      first = false;
      if (spec.plus_v) {
        out += name;
        out.push_back(':');
      }
      PrintArg(val, verb, spec, depth + 1);
    }
    out.push_back('}');
  }

  // Go's %!verb(type=value): the value in %v with the same flags, width and precision.
  void BadVerb(const Value& v, char32_t verb, const Spec& spec) {
    out += "%!";
    AppendRune(&out, verb);
    out.push_back('(');
    if (v.valid()) {
      out += TypeName(v);
      out.push_back('=');
      PrintArg(v, 'v', spec, 0);
    } else {
      out += "<nil>";
    }
    out.push_back(')');
  }

  // Writes s padded to the width in runes; zero padding only on the left.
  void Pad(std::string_view s, const Spec& spec) {
    size_t n = RuneCount(s);
    if (!spec.wid_present || spec.wid <= 0 || static_cast<size_t>(spec.wid) <= n) {
      out += s;
      return;
    }
    size_t pad = static_cast<size_t>(spec.wid) - n;
    if (spec.minus) {
      out += s;
      out.append(pad, ' ');
    } else {
      out.append(pad, spec.zero ? '0' : ' ');
      out += s;
    }
  }

  void FmtString(const Value& v, char32_t verb, const Spec& spec) {
    const std::string& s = v.Str();
    switch (verb) {
      case 'v':
      case 's': {
        if (spec.sharp_v) {  // Go syntax: a quoted string.
          Pad(model::Quote(s), spec);
          return;
        }
        if (spec.prec_present) {
          Pad(std::string_view(s).substr(0, RunePrefixBytes(s, spec.prec)), spec);
        } else {
          Pad(s, spec);
        }
        return;
      }
      case 'q': {
        std::string_view t = s;
        if (spec.prec_present) t = t.substr(0, RunePrefixBytes(t, spec.prec));
        if (spec.sharp && t.find('`') == std::string_view::npos &&
            t.find_first_of("\n\r\t\v\f\b") == std::string_view::npos) {
          Pad("`" + std::string(t) + "`", spec);
        } else {
          Pad(spec.plus ? QuoteToAscii(t) : model::Quote(t), spec);
        }
        return;
      }
      case 'x':
      case 'X': {
        const char* digits = verb == 'x' ? "0123456789abcdef" : "0123456789ABCDEF";
        std::string h;
        size_t n = s.size();
        if (spec.prec_present && static_cast<size_t>(spec.prec) < n) n = spec.prec;
        for (size_t i = 0; i < n; ++i) {
          if (spec.space && i > 0) h.push_back(' ');
          if (spec.sharp && (spec.space || i == 0)) h += verb == 'x' ? "0x" : "0X";
          unsigned char c = static_cast<unsigned char>(s[i]);
          h.push_back(digits[c >> 4]);
          h.push_back(digits[c & 15]);
        }
        Pad(h, spec);
        return;
      }
      default:
        BadVerb(v, verb, spec);
    }
  }

  void FmtInt(const Value& v, char32_t verb, const Spec& spec) {
    int64_t n = v.i();
    int base = 10;
    switch (verb) {
      case 'v':
      case 'd':
        break;
      case 'b':
        base = 2;
        break;
      case 'o':
      case 'O':
        base = 8;
        break;
      case 'x':
      case 'X':
        base = 16;
        break;
      case 'c': {
        std::string r;
        AppendRune(&r, n < 0 || n > 0x10FFFF ? 0xFFFD : static_cast<uint32_t>(n));
        Pad(r, spec);
        return;
      }
      case 'q': {  // strconv.QuoteRune (QuoteRuneToASCII with '+').
        std::string r;
        AppendRune(&r, n < 0 || n > 0x10FFFF ? 0xFFFD : static_cast<uint32_t>(n));
        std::string q = spec.plus ? QuoteToAscii(r) : model::Quote(r);
        if (r == "'") {
          q = "'\\''";
        } else {
          if (q == "\"\\\"\"") q = "\"\"\"";  // A double quote needs no escape in a rune.
          q.front() = '\'';
          q.back() = '\'';
        }
        Pad(q, spec);
        return;
      }
      case 'U': {  // Go's fmtUnicode: at least 4 (or prec) hex digits, no zero padding.
        char buf[32];
        int digits = spec.prec_present && spec.prec > 4 ? std::min(spec.prec, 20) : 4;
        std::snprintf(buf, sizeof(buf), "U+%0*llX", digits, static_cast<unsigned long long>(n));
        std::string r = buf;
        if (spec.sharp && n >= 0 && n <= 0x10FFFF) {
          std::string c;
          AppendRune(&c, static_cast<uint32_t>(n));
          if (model::Quote(c) == "\"" + c + "\"") r += " '" + c + "'";  // Printable runes only.
        }
        Spec no_zero = spec;
        no_zero.zero = false;
        Pad(r, no_zero);
        return;
      }
      default:
        BadVerb(v, verb, spec);
        return;
    }
    bool negative = n < 0;
    uint64_t u = negative ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
    int prec = 0;
    if (spec.prec_present) {
      prec = spec.prec;
      if (prec == 0 && u == 0) {
        Spec s = spec;
        s.zero = false;
        Pad("", s);
        return;
      }
    } else if (spec.zero && !spec.minus && spec.wid_present) {
      prec = spec.wid;
      if (negative || spec.plus || spec.space) --prec;
    }
    const char* digits = verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    std::string d;
    do {
      d.insert(d.begin(), digits[u % static_cast<uint64_t>(base)]);
      u /= static_cast<uint64_t>(base);
    } while (u != 0);
    if (prec > static_cast<int>(d.size())) d.insert(0, static_cast<size_t>(prec) - d.size(), '0');
    if (spec.sharp) {
      if (base == 2) d.insert(0, "0b");
      if (base == 8 && d[0] != '0') d.insert(0, "0");
      if (base == 16) d.insert(0, verb == 'X' ? "0X" : "0x");
    }
    if (verb == 'O') d.insert(0, "0o");
    if (negative) {
      d.insert(0, "-");
    } else if (spec.plus) {
      d.insert(0, "+");
    } else if (spec.space) {
      d.insert(0, " ");
    }
    Spec s = spec;
    s.zero = false;
    Pad(d, s);
  }

  void FmtFloatVerb(const Value& v, char32_t verb, const Spec& spec) {
    double f = v.f();
    switch (verb) {
      case 'v':
        FmtFloat(f, 'g', spec.prec_present ? spec.prec : -1, spec);
        return;
      case 'b':
      case 'g':
      case 'G':
      case 'x':
      case 'X':
        FmtFloat(f, static_cast<char>(verb), spec.prec_present ? spec.prec : -1, spec);
        return;
      case 'e':
      case 'E':
      case 'f':
      case 'F':
        FmtFloat(f, static_cast<char>(verb), spec.prec_present ? spec.prec : 6, spec);
        return;
      default:
        BadVerb(v, verb, spec);
    }
  }

  void FmtFloat(double f, char verb, int prec, const Spec& spec) {
    std::string num;
    if (std::isnan(f)) {
      num = "+NaN";
    } else if (std::isinf(f)) {
      num = f > 0 ? "+Inf" : "-Inf";
    } else {
      std::string body = StrconvFloat(f, verb, prec);
      num = body[0] == '-' ? body : "+" + body;
      if (spec.sharp && verb != 'b') SharpFloat(verb, prec, &num);
    }
    if (spec.space && num[0] == '+' && !spec.plus) num[0] = ' ';
    if (num[1] == 'I' || num[1] == 'N') {
      Spec s = spec;
      s.zero = false;
      if (num[1] == 'N' && !spec.space && !spec.plus) num.erase(0, 1);
      Pad(num, s);
      return;
    }
    if (spec.plus || num[0] != '+') {
      if (spec.zero && !spec.minus && spec.wid_present && spec.wid > static_cast<int>(num.size())) {
        out.push_back(num[0]);
        out.append(static_cast<size_t>(spec.wid) - num.size(), '0');
        out.append(num, 1);
        return;
      }
      Pad(num, spec);
      return;
    }
    Pad(std::string_view(num).substr(1), spec);
  }
};

// Go's parsenum: the decimal number at format[*i]; false if none. A number growing past 1e6
// makes Go give up on the rest of the format (*i = end, so the verb is missing).
bool ParseNum(std::string_view format, size_t* i, int* num) {
  bool isnum = false;
  int n = 0;
  while (*i < format.size() && format[*i] >= '0' && format[*i] <= '9') {
    if (n > kMaxWidth) {
      *i = format.size();
      *num = 0;
      return false;
    }
    n = n * 10 + (format[*i] - '0');
    isnum = true;
    ++*i;
  }
  *num = n;
  return isnum;
}

}  // namespace

std::string FormatFloatPrecG(double f, int prec) {
  Printer p;
  Spec spec;
  spec.prec_present = true;
  spec.prec = prec;
  p.FmtFloat(f, 'g', prec, spec);
  return p.out;
}

std::string GoSprint(std::span<const Value> args) {
  Printer p;
  bool prev_string = false;
  for (size_t k = 0; k < args.size(); ++k) {
    bool is_string = args[k].IsStringKind();
    if (k > 0 && !is_string && !prev_string) p.out.push_back(' ');
    p.PrintArg(args[k], 'v', Spec{}, 0);
    prev_string = is_string;
  }
  return p.out;
}

std::string GoSprintln(std::span<const Value> args) {
  Printer p;
  for (size_t k = 0; k < args.size(); ++k) {
    if (k > 0) p.out.push_back(' ');
    p.PrintArg(args[k], 'v', Spec{}, 0);
  }
  p.out.push_back('\n');
  return p.out;
}

std::string PrintForTemplate(const Value& v) {
  if (!v.valid()) return "<no value>";
  Printer p;
  // Pointers are dereferenced before printing: a sample prints as {map[...] 1}.
  p.PrintArg(v, 'v', Spec{}, v.kind() == Kind::kSample ? -1 : 0);
  return p.out;
}

std::string GoSprintf(std::string_view format, std::span<const Value> args) {
  Printer p;
  size_t arg_num = 0;
  bool reordered = false;
  size_t i = 0;
  const size_t end = format.size();
  while (i < end) {
    size_t lasti = i;
    while (i < end && format[i] != '%') ++i;
    p.out.append(format.substr(lasti, i - lasti));
    if (i >= end) break;
    ++i;  // Skip '%'.
    Spec spec;
    for (; i < end; ++i) {
      char c = format[i];
      if (c == '#') {
        spec.sharp = true;
      } else if (c == '0') {
        spec.zero = !spec.minus;
      } else if (c == '+') {
        spec.plus = true;
      } else if (c == '-') {
        spec.minus = true;
        spec.zero = false;
      } else if (c == ' ') {
        spec.space = true;
      } else {
        break;
      }
    }
    // An explicit argument index [n] (1-based).
    auto arg_index = [&]() {
      if (i < end && format[i] == '[') {
        reordered = true;
        size_t close = format.find(']', i);
        int n = 0;
        size_t j = i + 1;
        if (close != std::string_view::npos && ParseNum(format, &j, &n) && j == close && n >= 1 &&
            static_cast<size_t>(n) <= args.size()) {
          arg_num = static_cast<size_t>(n - 1);
          i = close + 1;
          return true;
        }
        if (close != std::string_view::npos) i = close + 1;
        arg_num = args.size() + 1;  // Bad index: everything after reports it.
        return false;
      }
      return true;
    };
    bool good_index = arg_index();
    if (i < end && format[i] == '*') {
      ++i;
      if (arg_num < args.size() && args[arg_num].kind() == Kind::kInt) {
        int64_t w = args[arg_num].i();
        if (w < -kMaxWidth || w > kMaxWidth) {
          p.out += "%!(BADWIDTH)";
        } else {
          spec.wid_present = true;
          spec.wid = static_cast<int>(w);
          if (spec.wid < 0) {
            spec.minus = true;
            spec.zero = false;
            spec.wid = -spec.wid;
          }
        }
      } else {
        p.out += "%!(BADWIDTH)";
      }
      ++arg_num;
    } else {
      spec.wid_present = ParseNum(format, &i, &spec.wid);
    }
    if (i < end && format[i] == '.') {
      ++i;
      if (!arg_index()) good_index = false;
      if (i < end && format[i] == '*') {
        ++i;
        if (arg_num < args.size() && args[arg_num].kind() == Kind::kInt && args[arg_num].i() >= 0 &&
            args[arg_num].i() <= kMaxWidth) {
          spec.prec_present = true;
          spec.prec = static_cast<int>(args[arg_num].i());
        } else {
          p.out += "%!(BADPREC)";
        }
        ++arg_num;
      } else {
        spec.prec_present = true;
        ParseNum(format, &i, &spec.prec);
      }
    }
    if (!arg_index()) good_index = false;
    if (i >= end) {
      p.out += "%!(NOVERB)";
      break;
    }
    char32_t verb = DecodeRune(format, &i);
    if (verb == '%') {
      p.out.push_back('%');
      continue;
    }
    if (!good_index) {
      p.out += "%!";
      AppendRune(&p.out, verb);
      p.out += "(BADINDEX)";
      continue;
    }
    if (arg_num >= args.size()) {
      p.out += "%!";
      AppendRune(&p.out, verb);
      p.out += "(MISSING)";
      continue;
    }
    if (verb == 'v') {
      if (spec.sharp) {
        spec.sharp = false;
        spec.sharp_v = true;
      }
      if (spec.plus) {
        spec.plus = false;
        spec.plus_v = true;
      }
    }
    p.PrintArg(args[arg_num], verb, spec, 0);
    ++arg_num;
  }
  if (!reordered && arg_num < args.size()) {
    p.out += "%!(EXTRA ";
    for (size_t k = arg_num; k < args.size(); ++k) {
      if (k > arg_num) p.out += ", ";
      if (!args[k].valid()) {
        p.out += "<nil>";
      } else {
        p.out += TypeName(args[k]);
        p.out.push_back('=');
        p.PrintArg(args[k], 'v', Spec{}, 0);
      }
    }
    p.out.push_back(')');
  }
  return p.out;
}

}  // namespace strata::rules::template_internal
