// Prometheus' PromQL test-script language (promql/promqltest at v2.53, documented in
// shared/promql-testdata/README.md): load/clear/eval commands, series lines with value sequences,
// and how query results are compared with expectations (almost.Equal, compareResult). Follows
// upstream's rules (test.go, the series-description grammar, strconv numbers); native histogram
// literals (`{{...}}`) are refused. Header-only: the query_test glob needs no extra sources. Pure.
#pragma once

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include "base/duration.h"
#include "base/result.h"
#include "model/labels.h"
#include "model/sample.h"
#include "query/value.h"

namespace strata::query::promqltest {

// One step of a value sequence: a value, or a step without a sample (`_`).
struct SequenceValue {
  double value = 0;
  bool omitted = false;
};

// A `labels values...` line of a load block or of an eval's expectations.
struct SeriesLine {
  model::Labels labels;
  std::vector<SequenceValue> values;
};

// `load <interval>`: series whose k-th value sits at k * interval ms. Labels are unique: when a
// block names the same series twice the later line wins, as upstream.
struct LoadCmd {
  int line = 0;  // 1-based line of the `load` command.
  int64_t interval_ms = 0;
  std::vector<SeriesLine> series;
};

// `clear`: drop everything stored so far.
struct ClearCmd {
  int line = 0;
};

// One expected series of an eval. `pos` is the 1-based index of its line among the
// expectation lines (what eval_ordered compares against).
struct ExpectedSeries {
  model::Labels labels;
  std::vector<SequenceValue> values;
  int pos = 0;
};

struct EvalCmd {
  int line = 0;         // 1-based line of the `eval` command.
  std::string command;  // That line, trimmed.
  std::string expr;
  bool is_range = false;
  bool fail = false;     // eval_fail: the query must fail.
  bool ordered = false;  // eval_ordered: the vector must come back in the listed order.
  int64_t start_ms = 0;  // The instant of an instant eval.
  int64_t end_ms = 0;    // Range evals only.
  int64_t step_ms = 0;   // Range evals only.
  // A bare number line. Upstream keeps scalar and series expectations in one map, so a script
  // holding both can never pass; we keep both and let the comparison fail likewise.
  std::optional<double> expected_scalar;
  std::vector<ExpectedSeries> expected;  // Unique labels; a later line wins.
};

using Command = std::variant<LoadCmd, ClearCmd, EvalCmd>;

struct Script {
  std::vector<Command> commands;
};

// ---------------------------------------------------------------------------------------------
// Numbers and comparison.

// Prometheus util/almost.Equal: NaN equals NaN; relative tolerance `epsilon`, absolute and tiny
// when either side is 0 or both are subnormal.
inline bool AlmostEqual(double a, double b, double epsilon = 1e-6) {
  constexpr double kMinNormal = 2.2250738585072014e-308;  // 0x0010000000000000
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == b) return true;
  double abs_sum = std::fabs(a) + std::fabs(b);
  double diff = std::fabs(a - b);
  if (a == 0 || b == 0 || abs_sum < kMinNormal) return diff < epsilon * kMinNormal;
  return diff / std::min(abs_sum, std::numeric_limits<double>::max()) < epsilon;
}

// Shortest text that reads back as `v` ("stale" for the stale marker), for messages.
inline std::string FormatValue(double v) {
  if (model::IsStaleNaN(v)) return "stale";
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, res.ptr);
}

namespace internal {

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
inline bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
inline bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
inline char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
inline bool EqualsFold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

inline std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// strconv.ParseUint(s, 10, 64).
inline std::optional<uint64_t> ParseUint10(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  auto res = std::from_chars(s.data(), s.data() + s.size(), v, 10);
  if (res.ec != std::errc() || res.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// strconv.ParseInt(s, 0, 64) without sign handling: base prefixes 0x, 0o, 0b and a leading 0
// for octal. nullopt when `s` is not such an integer (or overflows).
inline std::optional<double> ParseGoUnsignedInt(std::string_view s) {
  int base = 10;
  if (s.size() > 2 && s[0] == '0' &&
      (Lower(s[1]) == 'x' || Lower(s[1]) == 'o' || Lower(s[1]) == 'b')) {
    base = Lower(s[1]) == 'x' ? 16 : Lower(s[1]) == 'o' ? 8 : 2;
    s.remove_prefix(2);
  } else if (s.size() > 1 && s[0] == '0') {
    base = 8;
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  auto res = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (res.ec != std::errc() || res.ptr != s.data() + s.size()) return std::nullopt;
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return static_cast<double>(v);
}

// strconv.ParseFloat(s, 64) for decimal text (no sign): digits, '.', exponent, "inf",
// "infinity", "nan". Hex floats and digit separators are not needed by the scripts.
inline std::optional<double> ParseGoUnsignedFloat(std::string_view s) {
  if (EqualsFold(s, "inf") || EqualsFold(s, "infinity")) {
    return std::numeric_limits<double>::infinity();
  }
  if (EqualsFold(s, "nan")) return std::bit_cast<double>(model::kNormalNaNBits);
  if (s.empty() || !(IsDigit(s[0]) || s[0] == '.')) return std::nullopt;
  for (char c : s) {
    if (!(IsDigit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) {
      return std::nullopt;
    }
  }
  double v = 0;
  auto res = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::general);
  // from_chars reports out-of-range values as errors; Go returns ±Inf or 0 with an error too.
  if (res.ec != std::errc() || res.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace internal

// Prometheus' number parsing (test.go parseNumber and parser.number): strconv.ParseInt(s, 0, 64)
// first, then strconv.ParseFloat(s, 64). Accepts a sign, "Inf"/"NaN" in any case, and Go
// integer prefixes (so "010" is 8, as upstream).
inline std::optional<double> ParseGoNumber(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  std::optional<double> v = internal::ParseGoUnsignedInt(s);
  if (!v) v = internal::ParseGoUnsignedFloat(s);
  if (!v) return std::nullopt;
  return negative ? -*v : *v;
}

// ---------------------------------------------------------------------------------------------
// Series lines.

namespace internal {

// Unquotes a Go/PromQL string literal starting at s[*pos] (", ' or `); advances *pos past it.
inline Result<std::string> UnquoteAt(std::string_view s, size_t* pos) {
  char quote = s[*pos];
  size_t i = *pos + 1;
  std::string out;
  if (quote == '`') {
    size_t end = s.find('`', i);
    if (end == std::string_view::npos) return Status::InvalidArgument("unterminated raw string");
    *pos = end + 1;
    return std::string(s.substr(i, end - i));
  }
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  auto append_utf8 = [&out](uint32_t r) {
    if (r < 0x80) {
      out.push_back(static_cast<char>(r));
    } else if (r < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (r >> 6)));
      out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
    } else if (r < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (r >> 12)));
      out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (r >> 18)));
      out.push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
    }
  };
  while (true) {
    if (i >= s.size() || s[i] == '\n') return Status::InvalidArgument("unterminated quoted string");
    char c = s[i];
    if (c == quote) {
      *pos = i + 1;
      return out;
    }
    if (c != '\\') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= s.size()) return Status::InvalidArgument("unterminated escape sequence");
    char e = s[i + 1];
    i += 2;
    switch (e) {
      case 'a':
        out.push_back('\a');
        continue;
      case 'b':
        out.push_back('\b');
        continue;
      case 'f':
        out.push_back('\f');
        continue;
      case 'n':
        out.push_back('\n');
        continue;
      case 'r':
        out.push_back('\r');
        continue;
      case 't':
        out.push_back('\t');
        continue;
      case 'v':
        out.push_back('\v');
        continue;
      case '\\':
        out.push_back('\\');
        continue;
      default:
        break;
    }
    if (e == quote) {
      out.push_back(e);
      continue;
    }
    int digits = 0;
    int base = 0;
    uint32_t max = 0;
    if (e >= '0' && e <= '7') {
      digits = 3, base = 8, max = 255;
      --i;  // The first octal digit is part of the number.
    } else if (e == 'x') {
      digits = 2, base = 16, max = 255;
    } else if (e == 'u') {
      digits = 4, base = 16, max = 0x10FFFF;
    } else if (e == 'U') {
      digits = 8, base = 16, max = 0x10FFFF;
    } else {
      return Status::InvalidArgument(std::string("unknown escape sequence \\") + e);
    }
    uint32_t r = 0;
    for (int k = 0; k < digits; ++k) {
      int d = i < s.size() ? hex(s[i]) : -1;
      if (d < 0 || d >= base) return Status::InvalidArgument("invalid escape sequence");
      r = r * static_cast<uint32_t>(base) + static_cast<uint32_t>(d);
      ++i;
    }
    if (r > max || (r >= 0xD800 && r < 0xE000 && base == 16 && digits >= 4)) {
      return Status::InvalidArgument("escape sequence is an invalid Unicode code point");
    }
    if (e == 'u' || e == 'U') {
      append_utf8(r);
    } else {
      out.push_back(static_cast<char>(r));  // \x and octal escapes are raw bytes.
    }
  }
}

// A NUMBER token of the series lexer (scanNumber with hex disabled): digits, optional '.' and
// digits, optional exponent; it must not run into a letter or digit other than the `x` of a
// repetition. Returns its length, or 0 when s does not start with one.
inline Result<size_t> ScanNumber(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && IsDigit(s[i])) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    while (i < s.size() && IsDigit(s[i])) ++i;
  }
  if (i < s.size() && s[i] != 'x' && IsAlnum(s[i])) {
    return Status::InvalidArgument("bad number syntax: \"" + std::string(s.substr(0, i + 1)) +
                                   "\"");
  }
  return i;
}

// A value of a sequence item at the start of `s`: `stale`, a number, or a signed number.
// Advances *pos. The keywords (`Inf`, `NaN`, `stale`) absorb following letters and digits, as
// the lexer does, so `Infx3` is one unknown word.
inline Result<double> ParseSeriesValue(std::string_view s, size_t* pos, bool allow_stale) {
  size_t i = *pos;
  bool negative = false;
  bool signed_number = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    negative = s[i] == '-';
    signed_number = true;
    ++i;
  }
  if (i < s.size() && IsAlpha(s[i])) {
    size_t start = i;
    while (i < s.size() && (IsAlnum(s[i]) || s[i] == ':')) ++i;
    std::string_view word = s.substr(start, i - start);
    *pos = i;
    if (allow_stale && !signed_number && word == "stale") return model::StaleNaN();
    if (EqualsFold(word, "inf")) {
      return negative ? -std::numeric_limits<double>::infinity()
                      : std::numeric_limits<double>::infinity();
    }
    if (EqualsFold(word, "nan")) {
      double nan = std::bit_cast<double>(model::kNormalNaNBits);
      return negative ? -nan : nan;
    }
    return Status::InvalidArgument("unexpected \"" + std::string(word) +
                                   "\" in series values, expected number or \"stale\"");
  }
  if (i < s.size() && (IsDigit(s[i]) || (s[i] == '.' && i + 1 < s.size() && IsDigit(s[i + 1])))) {
    STRATA_ASSIGN_OR_RETURN(size_t len, ScanNumber(s.substr(i)));
    std::string_view text = s.substr(i, len);
    std::optional<double> v = ParseGoNumber(text);
    if (!v) return Status::InvalidArgument("error parsing number \"" + std::string(text) + "\"");
    *pos = i + len;
    return negative ? -*v : *v;
  }
  return Status::InvalidArgument("unexpected character in series values at \"" +
                                 std::string(s.substr(*pos)) + "\"");
}

// `x<uint>` at s[*pos] (the `x` included). Advances *pos.
inline Result<uint64_t> ParseTimes(std::string_view s, size_t* pos) {
  if (*pos >= s.size() || s[*pos] != 'x') {
    return Status::InvalidArgument("expected \"x<count>\" in series values at \"" +
                                   std::string(s.substr(*pos)) + "\"");
  }
  size_t i = *pos + 1;
  STRATA_ASSIGN_OR_RETURN(size_t len, ScanNumber(s.substr(i)));
  std::optional<uint64_t> n = ParseUint10(s.substr(i, len));
  if (!n) {
    return Status::InvalidArgument("invalid repetition in series values: \"" +
                                   std::string(s.substr(i, len)) + "\"");
  }
  *pos = i + len;
  return *n;
}

// More steps than this in one item is a typo, not a test; refuse instead of allocating.
inline constexpr uint64_t kMaxSteps = 10'000'000;

}  // namespace internal

// Expands one whitespace-free value item (`1`, `-2.5e3`, `Inf`, `stale`, `_`, `_x3`, `1x4`,
// `0+10x10`, `5-1x3`) and appends its steps to *out. `a+bxN` and `axN` give N+1 steps (the
// values are built by repeated addition, as upstream); `_xN` gives N.
inline Status ExpandValueItem(std::string_view item, std::vector<SequenceValue>* out) {
  size_t pos = 0;
  auto rest_must_be_empty = [&]() -> Status {
    if (pos != item.size()) {
      return Status::InvalidArgument("unexpected \"" + std::string(item.substr(pos)) +
                                     "\" in series values item \"" + std::string(item) + "\"");
    }
    return Status::Ok();
  };
  if (!item.empty() && item[0] == '_') {
    pos = 1;
    uint64_t n = 1;
    if (pos < item.size()) {
      STRATA_ASSIGN_OR_RETURN(n, internal::ParseTimes(item, &pos));
    }
    STRATA_RETURN_IF_ERROR(rest_must_be_empty());
    if (n > internal::kMaxSteps) return Status::InvalidArgument("repetition too large");
    out->insert(out->end(), n, SequenceValue{0, true});
    return Status::Ok();
  }
  STRATA_ASSIGN_OR_RETURN(double a, internal::ParseSeriesValue(item, &pos, true));
  if (pos == item.size()) {
    out->push_back({a, false});
    return Status::Ok();
  }
  double b = 0;
  if (item[pos] == '+' || item[pos] == '-') {
    STRATA_ASSIGN_OR_RETURN(b, internal::ParseSeriesValue(item, &pos, false));
  }
  STRATA_ASSIGN_OR_RETURN(uint64_t n, internal::ParseTimes(item, &pos));
  STRATA_RETURN_IF_ERROR(rest_must_be_empty());
  if (n >= internal::kMaxSteps) return Status::InvalidArgument("repetition too large");
  for (uint64_t k = 0; k <= n; ++k) {
    out->push_back({a, false});
    a += b;
  }
  return Status::Ok();
}

// Parses a series line: `name`, `name{l="v",...}` or `{__name__="name", l="v"}`, then values
// separated by whitespace (none at all is allowed). The name before the braces overrides a
// __name__ given inside. Label values are PromQL strings ("...", '...' or `...`); labels with
// empty values are dropped (they mean "absent"). Duplicate label names are an error.
inline Result<SeriesLine> ParseSeriesLine(std::string_view line) {
  using internal::IsAlnum;
  using internal::IsAlpha;
  using internal::IsSpace;
  line = internal::TrimSpace(line);
  size_t i = 0;
  std::string metric;
  if (i < line.size() && (IsAlpha(line[i]) || line[i] == ':')) {
    size_t start = i;
    while (i < line.size() && (IsAlnum(line[i]) || line[i] == ':')) ++i;
    metric = std::string(line.substr(start, i - start));
    if (internal::EqualsFold(metric, "inf") || internal::EqualsFold(metric, "nan")) {
      return Status::InvalidArgument("unexpected number \"" + metric + "\", expected a metric");
    }
  }
  std::vector<model::Label> pairs;
  if (i < line.size() && line[i] == '{') {
    ++i;
    auto skip_space = [&] {
      while (i < line.size() && IsSpace(line[i])) ++i;
    };
    while (true) {
      skip_space();
      if (i >= line.size()) return Status::InvalidArgument("unterminated label set");
      if (line[i] == '}') {
        ++i;
        break;
      }
      if (!IsAlpha(line[i])) {
        return Status::InvalidArgument("unexpected \"" + std::string(line.substr(i)) +
                                       "\" in label set, expected identifier or \"}\"");
      }
      size_t start = i;
      while (i < line.size() && IsAlnum(line[i])) ++i;
      std::string name(line.substr(start, i - start));
      skip_space();
      if (i >= line.size() || line[i] != '=') {
        return Status::InvalidArgument("expected \"=\" after label name \"" + name + "\"");
      }
      ++i;
      skip_space();
      if (i >= line.size() || (line[i] != '"' && line[i] != '\'' && line[i] != '`')) {
        return Status::InvalidArgument("expected a string value for label \"" + name + "\"");
      }
      STRATA_ASSIGN_OR_RETURN(std::string value, internal::UnquoteAt(line, &i));
      pairs.push_back({std::move(name), std::move(value)});
      skip_space();
      if (i < line.size() && line[i] == ',') {
        ++i;
        continue;
      }
      if (i < line.size() && line[i] == '}') continue;
      return Status::InvalidArgument("expected \",\" or \"}\" in label set");
    }
  }
  if (!metric.empty()) {
    std::erase_if(pairs, [](const model::Label& l) { return l.name == model::kMetricNameLabel; });
    pairs.push_back({std::string(model::kMetricNameLabel), metric});
  }
  if (metric.empty() && i == 0) {
    return Status::InvalidArgument("expected a metric name or a label set at \"" +
                                   std::string(line) + "\"");
  }
  auto labels = model::Labels::FromPairs(std::move(pairs));
  if (!labels.ok()) return labels.status();

  SeriesLine out;
  out.labels = std::move(*labels);
  std::string_view rest = line.substr(i);
  if (!rest.empty() && !IsSpace(rest[0])) {
    return Status::InvalidArgument("expected whitespace before the values at \"" +
                                   std::string(rest) + "\"");
  }
  size_t p = 0;
  while (p < rest.size()) {
    while (p < rest.size() && IsSpace(rest[p])) ++p;
    size_t start = p;
    while (p < rest.size() && !IsSpace(rest[p])) ++p;
    if (start == p) break;
    std::string_view item = rest.substr(start, p - start);
    if (item.starts_with("{{")) {
      return Status::NotSupported("native histogram values are not supported: " +
                                  std::string(item));
    }
    STRATA_RETURN_IF_ERROR(ExpandValueItem(item, &out.values));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Scripts.

namespace internal {

inline Status LineError(size_t index, const std::string& msg) {
  return Status::InvalidArgument("line " + std::to_string(index + 1) + ": " + msg);
}

// Splits off the first run of non-whitespace characters of *s; returns it and leaves *s at the
// text after the whitespace that follows it.
inline std::string_view NextToken(std::string_view* s) {
  size_t i = 0;
  while (i < s->size() && !IsSpace((*s)[i])) ++i;
  std::string_view tok = s->substr(0, i);
  while (i < s->size() && IsSpace((*s)[i])) ++i;
  s->remove_prefix(i);
  return tok;
}

// The eval header (test.go patEvalInstant / patEvalRange). Durations never contain whitespace,
// so the lazy regex groups reduce to single tokens.
inline Status ParseEvalHeader(std::string_view l, size_t index, EvalCmd* cmd) {
  std::string_view rest = l;
  std::string_view head = NextToken(&rest);
  if (head == "eval_fail") {
    cmd->fail = true;
  } else if (head == "eval_ordered") {
    cmd->ordered = true;
  } else if (head != "eval") {
    return LineError(index, "invalid evaluation command \"" + std::string(l) + "\"");
  }
  std::string_view kind = NextToken(&rest);
  auto parse_time = [&](std::string_view text, int64_t* out) -> Status {
    auto d = ParseDurationMillis(text);
    if (!d.ok()) {
      return LineError(index, "invalid timestamp definition \"" + std::string(text) + "\"");
    }
    *out = *d;
    return Status::Ok();
  };
  if (kind == "instant") {
    if (NextToken(&rest) != "at") {
      return LineError(index, "expected \"eval instant at <time> <query>\"");
    }
    STRATA_RETURN_IF_ERROR(parse_time(NextToken(&rest), &cmd->start_ms));
    cmd->end_ms = cmd->start_ms;
  } else if (kind == "range" && !cmd->ordered) {
    cmd->is_range = true;
    if (NextToken(&rest) != "from") return LineError(index, "expected \"from\"");
    STRATA_RETURN_IF_ERROR(parse_time(NextToken(&rest), &cmd->start_ms));
    if (NextToken(&rest) != "to") return LineError(index, "expected \"to\"");
    STRATA_RETURN_IF_ERROR(parse_time(NextToken(&rest), &cmd->end_ms));
    if (NextToken(&rest) != "step") return LineError(index, "expected \"step\"");
    STRATA_RETURN_IF_ERROR(parse_time(NextToken(&rest), &cmd->step_ms));
    if (cmd->end_ms < cmd->start_ms) {
      return LineError(index, "end timestamp is before start timestamp");
    }
    if (cmd->step_ms <= 0) return LineError(index, "step must be positive");
  } else {
    return LineError(index,
                     "invalid evaluation command; must be either 'eval[_fail|_ordered] instant "
                     "at <time> <query>' or 'eval[_fail] range from <from> to <to> step <step> "
                     "<query>'");
  }
  if (rest.empty()) return LineError(index, "missing query");
  cmd->expr = std::string(rest);
  return Status::Ok();
}

}  // namespace internal

// Parses a whole script. Errors are InvalidArgument (NotSupported for native histogram
// literals) with the 1-based line number first: "line 12: ...".
inline Result<Script> ParseScript(std::string_view text) {
  using internal::LineError;
  // getLines: split on '\n', trim, comments become blank lines.
  std::vector<std::string_view> lines;
  while (true) {
    size_t nl = text.find('\n');
    std::string_view l = internal::TrimSpace(text.substr(0, nl));
    if (!l.empty() && l[0] == '#') l = {};
    lines.push_back(l);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }

  auto with_line = [](size_t index, const Status& s) {
    return Status(s.code(), "line " + std::to_string(index + 1) + ": " + s.message());
  };

  Script script;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view l = lines[i];
    if (l.empty()) continue;
    std::string_view rest = l;
    std::string first(internal::NextToken(&rest));
    for (char& c : first) c = internal::Lower(c);

    if (first == "clear") {
      script.commands.emplace_back(ClearCmd{static_cast<int>(i + 1)});
    } else if (first == "load") {
      // patLoad `^load\s+(.+?)$` is case-sensitive.
      if (!l.starts_with("load") || rest.empty()) {
        return LineError(i, "invalid load command. (load <step:duration>)");
      }
      auto gap = ParseDurationMillis(rest);
      if (!gap.ok() || *gap <= 0) {
        return LineError(i, "invalid step definition \"" + std::string(rest) + "\"");
      }
      LoadCmd cmd;
      cmd.line = static_cast<int>(i + 1);
      cmd.interval_ms = *gap;
      while (i + 1 < lines.size() && !lines[i + 1].empty()) {
        ++i;
        auto series = ParseSeriesLine(lines[i]);
        if (!series.ok()) return with_line(i, series.status());
        auto same = std::find_if(cmd.series.begin(), cmd.series.end(),
                                 [&](const SeriesLine& s) { return s.labels == series->labels; });
        if (same != cmd.series.end()) {
          *same = std::move(*series);
        } else {
          cmd.series.push_back(std::move(*series));
        }
      }
      script.commands.emplace_back(std::move(cmd));
    } else if (first.starts_with("eval")) {
      EvalCmd cmd;
      cmd.line = static_cast<int>(i + 1);
      cmd.command = std::string(l);
      STRATA_RETURN_IF_ERROR(internal::ParseEvalHeader(l, i, &cmd));
      for (int j = 1; i + 1 < lines.size() && !lines[i + 1].empty(); ++j) {
        ++i;
        if (std::optional<double> f = ParseGoNumber(lines[i])) {
          cmd.expected_scalar = *f;
          break;  // As upstream: a number line ends the expectations.
        }
        auto series = ParseSeriesLine(lines[i]);
        if (!series.ok()) return with_line(i, series.status());
        if (series->values.empty()) {
          return LineError(i, "expected series without a value: \"" + std::string(lines[i]) + "\"");
        }
        if (!cmd.is_range && series->values.size() > 1) {
          return LineError(i, "expecting multiple values in instant evaluation not allowed");
        }
        ExpectedSeries e{std::move(series->labels), std::move(series->values), j};
        auto same = std::find_if(cmd.expected.begin(), cmd.expected.end(),
                                 [&](const ExpectedSeries& x) { return x.labels == e.labels; });
        if (same != cmd.expected.end()) {
          *same = std::move(e);
        } else {
          cmd.expected.push_back(std::move(e));
        }
      }
      script.commands.emplace_back(std::move(cmd));
    } else {
      return LineError(i, "invalid command \"" + std::string(l) + "\"");
    }
  }
  return script;
}

// Entries shown per side in an expected-vs-got listing.
inline constexpr size_t kMaxListed = 12;

// ---------------------------------------------------------------------------------------------
// Rendering values for messages.

inline std::string FormatLabels(const model::Labels& labels) { return labels.ToString(); }

inline std::string FormatSequence(const std::vector<SequenceValue>& values) {
  std::string out;
  for (const SequenceValue& v : values) {
    if (!out.empty()) out += ' ';
    out += v.omitted ? "_" : FormatValue(v.value);
  }
  return out;
}

inline std::string DescribeExpected(const EvalCmd& ev) {
  std::string out;
  if (ev.expected_scalar) out += "      scalar " + FormatValue(*ev.expected_scalar) + "\n";
  std::vector<const ExpectedSeries*> sorted;
  for (const ExpectedSeries& e : ev.expected) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(),
            [](const ExpectedSeries* a, const ExpectedSeries* b) { return a->pos < b->pos; });
  size_t shown = 0;
  for (const ExpectedSeries* e : sorted) {
    if (shown++ == kMaxListed) {
      out += "      ... (" + std::to_string(sorted.size() - kMaxListed) + " more)\n";
      break;
    }
    out += "      " + FormatLabels(e->labels) + " " + FormatSequence(e->values) + "\n";
  }
  if (out.empty()) out = "      (nothing: empty result)\n";
  return out;
}

inline std::string DescribeValue(const QueryValue& value) {
  std::string out;
  if (const auto* s = std::get_if<Scalar>(&value)) return "scalar " + FormatValue(s->v) + "\n";
  if (const auto* s = std::get_if<String>(&value)) return "string \"" + s->v + "\"\n";
  if (const auto* vec = std::get_if<Vector>(&value)) {
    out = "vector (" + std::to_string(vec->size()) + "):\n";
    for (size_t i = 0; i < vec->size(); ++i) {
      if (i == kMaxListed) {
        out += "      ... (" + std::to_string(vec->size() - kMaxListed) + " more)\n";
        break;
      }
      out += "      " + FormatLabels((*vec)[i].labels) + " " + FormatValue((*vec)[i].v) + "\n";
    }
    return out;
  }
  const auto& mat = std::get<Matrix>(value);
  out = "matrix (" + std::to_string(mat.size()) + " series):\n";
  for (size_t i = 0; i < mat.size(); ++i) {
    if (i == kMaxListed) {
      out += "      ... (" + std::to_string(mat.size() - kMaxListed) + " more)\n";
      break;
    }
    out += "      " + FormatLabels(mat[i].labels) + " =>";
    size_t shown = 0;
    for (const FPoint& p : mat[i].points) {
      if (shown++ == kMaxListed) {
        out += " ...";
        break;
      }
      out += " " + FormatValue(p.v) + " @" + std::to_string(p.t);
    }
    out += "\n";
  }
  return out;
}

inline std::string_view TypeName(const QueryValue& value) {
  switch (value.index()) {
    case 0:
      return "scalar";
    case 1:
      return "vector";
    case 2:
      return "matrix";
    default:
      return "string";
  }
}

// ---------------------------------------------------------------------------------------------
// Comparing results with expectations (upstream evalCmd.compareResult).

inline const ExpectedSeries* FindExpected(const EvalCmd& ev, const model::Labels& labels) {
  for (const ExpectedSeries& e : ev.expected) {
    if (e.labels == labels) return &e;
  }
  return nullptr;
}

inline std::optional<std::string> CheckSorted(const Matrix& m) {
  for (size_t i = 0; i + 1 < m.size(); ++i) {
    if (m[i].labels > m[i + 1].labels) {
      return "matrix results should always be sorted by labels, but series " +
             FormatLabels(m[i + 1].labels) + " comes after " + FormatLabels(m[i].labels);
    }
  }
  return std::nullopt;
}

// An error message, or nullopt when `value` matches the expectations of `ev`.
inline std::optional<std::string> CompareResult(const EvalCmd& ev, const QueryValue& value) {
  if (const auto* mat = std::get_if<Matrix>(&value)) {
    if (ev.ordered) return "expected ordered result, but query returned a matrix";
    if (auto err = CheckSorted(*mat)) return err;
    if (ev.expected_scalar) return "expected scalar, but query returned a matrix";
    std::set<const ExpectedSeries*> seen;
    for (const Series& s : *mat) {
      const ExpectedSeries* exp = FindExpected(ev, s.labels);
      if (exp == nullptr) return "unexpected metric " + FormatLabels(s.labels) + " in result";
      if (!seen.insert(exp).second) return "duplicate series " + FormatLabels(s.labels);
      std::vector<FPoint> want;
      for (size_t i = 0; i < exp->values.size(); ++i) {
        int64_t t = ev.start_ms + static_cast<int64_t>(i) * ev.step_ms;
        if (t > ev.end_ms) {
          return "expected " + std::to_string(exp->values.size()) + " points for " +
                 FormatLabels(exp->labels) + ", but the time range cannot return this many";
        }
        if (!exp->values[i].omitted) want.push_back({t, exp->values[i].value});
      }
      if (want.size() != s.points.size()) {
        return "expected " + std::to_string(want.size()) + " points for " + FormatLabels(s.labels) +
               " but got " + std::to_string(s.points.size());
      }
      for (size_t i = 0; i < want.size(); ++i) {
        if (want[i].t != s.points[i].t) {
          return "expected point " + std::to_string(i) + " of " + FormatLabels(s.labels) +
                 " at t=" + std::to_string(want[i].t) +
                 " but it is at t=" + std::to_string(s.points[i].t);
        }
        if (!AlmostEqual(s.points[i].v, want[i].v)) {
          return "expected " + FormatValue(want[i].v) + " at t=" + std::to_string(want[i].t) +
                 " for " + FormatLabels(s.labels) + " but got " + FormatValue(s.points[i].v);
        }
      }
    }
    for (const ExpectedSeries& e : ev.expected) {
      if (!seen.contains(&e)) return "expected metric " + FormatLabels(e.labels) + " not found";
    }
    return std::nullopt;
  }
  if (const auto* vec = std::get_if<Vector>(&value)) {
    std::set<const ExpectedSeries*> seen;
    for (size_t pos = 0; pos < vec->size(); ++pos) {
      const VectorSample& s = (*vec)[pos];
      const ExpectedSeries* exp = FindExpected(ev, s.labels);
      if (exp == nullptr) {
        return "unexpected metric " + FormatLabels(s.labels) + " in result, has value " +
               FormatValue(s.v);
      }
      // Upstream lets a duplicate through; an engine must never return one.
      if (!seen.insert(exp).second) return "duplicate series " + FormatLabels(s.labels);
      if (ev.ordered && exp->pos != static_cast<int>(pos) + 1) {
        return "expected metric " + FormatLabels(s.labels) + " at position " +
               std::to_string(exp->pos) + " but it was at " + std::to_string(pos + 1);
      }
      if (!AlmostEqual(exp->values[0].value, s.v)) {
        return "expected " + FormatValue(exp->values[0].value) + " for " + FormatLabels(s.labels) +
               " but got " + FormatValue(s.v);
      }
    }
    for (const ExpectedSeries& e : ev.expected) {
      if (!seen.contains(&e)) {
        return "expected metric " + FormatLabels(e.labels) + " with value " +
               FormatSequence(e.values) + " not found";
      }
    }
    if (ev.expected_scalar) {
      return "expected scalar " + FormatValue(*ev.expected_scalar) +
             ", but query returned a vector";
    }
    return std::nullopt;
  }
  if (const auto* s = std::get_if<Scalar>(&value)) {
    if (!ev.expected_scalar || !ev.expected.empty()) {
      return "expected vector result, but got scalar " + FormatValue(s->v);
    }
    if (!AlmostEqual(*ev.expected_scalar, s->v)) {
      return "expected scalar " + FormatValue(*ev.expected_scalar) + " but got " +
             FormatValue(s->v);
    }
    return std::nullopt;
  }
  return "unexpected result type string";
}

}  // namespace strata::query::promqltest
