// Prometheus 2.53's template functions (template/template.go), re-implemented: the humanize
// family's exact output, query results as samples, labels and links, and Go's regexp
// replacement syntax ($1, ${name}) on top of RE2.
#include <arpa/inet.h>
#include <locale.h>
#include <re2/re2.h>
#include <wctype.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

#include "base/duration.h"
#include "model/quote.h"
#include "rules/template/funcs.h"
#include "rules/template/go_fmt.h"
#include "rules/template/go_strconv.h"
#include "rules/template/utf8.h"

namespace strata::rules::template_internal {

Result<double> ParseGoFloat(std::string_view s) {
  auto syntax = [&]() {
    return Status::FailedPrecondition("strconv.ParseFloat: parsing " + model::Quote(s) +
                                      ": invalid syntax");
  };
  std::string lower;
  for (char c : s) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  std::string_view body = lower;
  bool neg = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body == "inf" || body == "infinity") return neg ? -HUGE_VAL : HUGE_VAL;
  if (lower == "nan") return std::nan("");
  if (body.empty()) return syntax();
  std::string clean;
  bool hex = body.size() > 2 && body[0] == '0' && body[1] == 'x';
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '_') {
      bool digit_before = i > 0 && std::isxdigit(static_cast<unsigned char>(body[i - 1]));
      bool digit_after =
          i + 1 < body.size() && std::isxdigit(static_cast<unsigned char>(body[i + 1]));
      if (!(digit_before || (hex && i == 2)) || !digit_after) return syntax();
      continue;
    }
    bool ok = (c >= '0' && c <= '9') || c == '.' || c == '+' || c == '-' || c == 'e' ||
              (hex && ((c >= 'a' && c <= 'f') || c == 'p' || (c == 'x' && i == 1)));
    if (!ok) return syntax();
    clean.push_back(c);
  }
  if (hex && clean.find('p') == std::string::npos) return syntax();
  std::string full = (neg ? "-" : "") + clean;
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(full.c_str(), &end);
  if (end != full.c_str() + full.size()) return syntax();
  if (errno == ERANGE && std::isinf(v)) {
    return Status::FailedPrecondition("strconv.ParseFloat: parsing " + model::Quote(s) +
                                      ": value out of range");
  }
  return v;
}

namespace {

// Prometheus' convertToFloat: float64, strings (ParseFloat) and integers.
Result<double> ToFloat(const Value& v) {
  switch (v.kind()) {
    case Kind::kFloat:
      return v.f();
    case Kind::kInt:
      return static_cast<double>(v.i());
    case Kind::kString:
      return ParseGoFloat(v.Str());
    default:
      return Status::FailedPrecondition("can't convert " + TypeName(v) + " to float");
  }
}

std::string G4(double v) { return FormatFloatPrecG(v, 4); }

Result<Value> FnHumanize(const CallEnv&, std::span<const Value> args) {
  STRATA_ASSIGN_OR_RETURN(double v, ToFloat(args[0]));
  if (v == 0 || std::isnan(v) || std::isinf(v)) return Value::String(G4(v));
  std::string prefix;
  if (std::fabs(v) >= 1) {
    for (const char* p : {"k", "M", "G", "T", "P", "E", "Z", "Y"}) {
      if (std::fabs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return Value::String(G4(v) + prefix);
  }
  for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return Value::String(G4(v) + prefix);
}

Result<Value> FnHumanize1024(const CallEnv&, std::span<const Value> args) {
  STRATA_ASSIGN_OR_RETURN(double v, ToFloat(args[0]));
  if (std::fabs(v) <= 1 || std::isnan(v) || std::isinf(v)) return Value::String(G4(v));
  std::string prefix;
  for (const char* p : {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"}) {
    if (std::fabs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return Value::String(G4(v) + prefix);
}

// Go's int64(f) as amd64 computes it: out-of-range values become math.MinInt64.
int64_t GoInt64(double f) {
  if (!(f > -9223372036854775808.0 && f < 9223372036854775808.0)) return INT64_MIN;
  return static_cast<int64_t>(f);
}

Result<Value> FnHumanizeDuration(const CallEnv&, std::span<const Value> args) {
  STRATA_ASSIGN_OR_RETURN(double v, ToFloat(args[0]));
  if (std::isnan(v) || std::isinf(v)) return Value::String(G4(v));
  if (v == 0) return Value::String(G4(v) + "s");
  if (std::fabs(v) >= 1) {
    std::string sign;
    if (v < 0) {
      sign = "-";
      v = -v;
    }
    int64_t duration = GoInt64(v);
    int64_t seconds = duration % 60;
    int64_t minutes = (duration / 60) % 60;
    int64_t hours = (duration / 60 / 60) % 24;
    int64_t days = duration / 60 / 60 / 24;
    auto s = [](int64_t x) { return std::to_string(x); };
    if (days != 0) {
      return Value::String(sign + s(days) + "d " + s(hours) + "h " + s(minutes) + "m " +
                           s(seconds) + "s");
    }
    if (hours != 0) {
      return Value::String(sign + s(hours) + "h " + s(minutes) + "m " + s(seconds) + "s");
    }
    if (minutes != 0) return Value::String(sign + s(minutes) + "m " + s(seconds) + "s");
    return Value::String(sign + G4(v) + "s");
  }
  std::string prefix;
  for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return Value::String(G4(v) + prefix + "s");
}

Result<Value> FnHumanizePercentage(const CallEnv&, std::span<const Value> args) {
  STRATA_ASSIGN_OR_RETURN(double v, ToFloat(args[0]));
  return Value::String(G4(v * 100) + "%");
}

// Prometheus' floatToTime: seconds to a time with millisecond precision (model.Time).
Result<Time> FloatToTime(double v) {
  if (std::isnan(v) || std::isinf(v)) return Status::FailedPrecondition("value is NaN or Inf");
  double ts = v * 1e9;
  if (ts > 9223372036854775807.0 || ts < -9223372036854775808.0) {
    return Status::FailedPrecondition(FormatFloatShortestG(v) +
                                      " cannot be represented as a nanoseconds timestamp since "
                                      "it overflows int64");
  }
  int64_t ms = GoInt64(ts) / 1000000;
  return Time{ms * 1000000};
}

Result<Value> FnHumanizeTimestamp(const CallEnv&, std::span<const Value> args) {
  STRATA_ASSIGN_OR_RETURN(double v, ToFloat(args[0]));
  if (std::isnan(v) || std::isinf(v)) return Value::String(G4(v));
  STRATA_ASSIGN_OR_RETURN(Time t, FloatToTime(v));
  return Value::String(FormatGoTime(t.unix_nanos));
}

Result<Value> FnToTime(const CallEnv&, std::span<const Value> args) {
  STRATA_ASSIGN_OR_RETURN(double v, ToFloat(args[0]));
  STRATA_ASSIGN_OR_RETURN(Time t, FloatToTime(v));
  return Value::Of(t);
}

Result<Value> FnParseDuration(const CallEnv&, std::span<const Value> args) {
  const std::string& s = args[0].Str();
  if (s.empty()) return Status::FailedPrecondition("empty duration string");
  auto ms = ParseDurationMillis(s);
  if (!ms.ok()) {
    return Status::FailedPrecondition("not a valid duration string: " + model::Quote(s));
  }
  return Value::Float(static_cast<double>(*ms) / 1000.0);
}

Result<Value> FnQuery(const CallEnv& env, std::span<const Value> args) {
  if (!env.ctx->query) return Status::FailedPrecondition("no query engine available");
  auto r = env.ctx->query(args[0].Str());
  if (!r.ok()) return Status::FailedPrecondition(r.status().message());
  auto result = std::make_shared<QueryResult>();
  for (const TemplateSample& s : *r) {
    auto labels = std::make_shared<StrMap>();
    for (const auto& l : s.labels) labels->emplace(l.name, l.value);
    result->push_back(std::make_shared<const QuerySample>(QuerySample{std::move(labels), s.value}));
  }
  return Value::Of(std::shared_ptr<const QueryResult>(std::move(result)));
}

const QuerySample& SampleOf(const Value& v) {
  return *std::get<std::shared_ptr<const QuerySample>>(v.v);
}
const QueryResult& ResultOf(const Value& v) {
  static const QueryResult kEmpty;
  if (!v.valid()) return kEmpty;  // A nil queryResult.
  return *std::get<std::shared_ptr<const QueryResult>>(v.v);
}

Result<Value> FnFirst(const CallEnv&, std::span<const Value> args) {
  const QueryResult& r = ResultOf(args[0]);
  if (r.empty()) return Status::FailedPrecondition("first() called on vector with no elements");
  return Value::Of(r[0]);
}

std::string LabelOf(const QuerySample& s, std::string_view name) {
  auto it = s.labels->find(name);
  return it == s.labels->end() ? "" : it->second;
}

Result<Value> FnLabel(const CallEnv&, std::span<const Value> args) {
  return Value::String(LabelOf(SampleOf(args[1]), args[0].Str()));
}
Result<Value> FnValue(const CallEnv&, std::span<const Value> args) {
  return Value::Float(SampleOf(args[0]).value);
}
Result<Value> FnStrvalue(const CallEnv&, std::span<const Value> args) {
  return Value::String(LabelOf(SampleOf(args[0]), "__value__"));
}

Result<Value> FnSortByLabel(const CallEnv&, std::span<const Value> args) {
  auto sorted = std::make_shared<QueryResult>(ResultOf(args[1]));
  const std::string& label = args[0].Str();
  std::stable_sort(sorted->begin(), sorted->end(), [&](const auto& a, const auto& b) {
    return LabelOf(*a, label) < LabelOf(*b, label);
  });
  return Value::Of(std::shared_ptr<const QueryResult>(std::move(sorted)));
}

Result<Value> FnArgs(const CallEnv&, std::span<const Value> args) {
  auto m = std::make_shared<AnyMap>();
  for (size_t k = 0; k < args.size(); ++k) m->items["arg" + std::to_string(k)] = args[k];
  return Value::Of(std::shared_ptr<const AnyMap>(std::move(m)));
}

// Go's regexp quote() in Compile's panic message.
std::string RegexpQuote(const std::string& s) {
  bool backquote = s.find('`') == std::string::npos;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) < ' ' && c != '\t') || c == 0x7F) backquote = false;
  }
  return backquote ? "`" + s + "`" : model::Quote(s);
}

// Go's regexp/syntax wording for an RE2 error code.
std::string_view GoRegexpError(RE2::ErrorCode code) {
  switch (code) {
    case RE2::ErrorBadEscape:
      return "invalid escape sequence";
    case RE2::ErrorBadCharClass:
      return "invalid character class";
    case RE2::ErrorBadCharRange:
      return "invalid character class range";
    case RE2::ErrorMissingBracket:
      return "missing closing ]";
    case RE2::ErrorMissingParen:
      return "missing closing )";
    case RE2::ErrorUnexpectedParen:
      return "unexpected )";
    case RE2::ErrorTrailingBackslash:
      return "trailing backslash at end of expression";
    case RE2::ErrorRepeatArgument:
      return "missing argument to repetition operator";
    case RE2::ErrorRepeatSize:
      return "invalid repeat count";
    case RE2::ErrorRepeatOp:
      return "invalid nested repetition operator";
    case RE2::ErrorBadPerlOp:
      return "invalid or unsupported Perl syntax";
    case RE2::ErrorBadUTF8:
      return "invalid UTF-8";
    case RE2::ErrorBadNamedCapture:
      return "invalid named capture";
    case RE2::ErrorPatternTooLarge:
      return "expression too large";
    default:
      return "regexp/syntax: internal error";
  }
}

// Compiles with Go's error text: "error parsing regexp: missing closing ): `(a`".
Result<std::unique_ptr<RE2>> Compile(const std::string& pattern) {
  RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_unique<RE2>(pattern, opts);
  if (!re->ok()) {
    return Status::FailedPrecondition(
        "error parsing regexp: " + std::string(GoRegexpError(re->error_code())) + ": `" +
        re->error_arg() + "`");
  }
  return re;
}

Result<Value> FnMatch(const CallEnv&, std::span<const Value> args) {
  STRATA_ASSIGN_OR_RETURN(auto re, Compile(args[0].Str()));
  return Value::Bool(RE2::PartialMatch(args[1].Str(), *re));
}

bool IsNameByte(char c) {
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Go's Regexp.expand: $1, ${1}, $name, ${name}, $$; unknown names expand to "".
void Expand(const RE2& re, std::string_view repl, const std::vector<re2::StringPiece>& groups,
            std::string* out) {
  for (size_t i = 0; i < repl.size();) {
    if (repl[i] != '$') {
      out->push_back(repl[i++]);
      continue;
    }
    if (i + 1 < repl.size() && repl[i + 1] == '$') {
      out->push_back('$');
      i += 2;
      continue;
    }
    std::string_view name;
    size_t next = i + 1;
    if (next < repl.size() && repl[next] == '{') {
      size_t close = repl.find('}', next);
      size_t k = next + 1;
      while (k < repl.size() && IsNameByte(repl[k])) ++k;
      if (close != std::string_view::npos && k == close && close > next + 1) {
        name = repl.substr(next + 1, close - next - 1);
        next = close + 1;
      }
    } else {
      size_t k = next;
      while (k < repl.size() && IsNameByte(repl[k])) ++k;
      if (k > next) {
        name = repl.substr(next, k - next);
        next = k;
      }
    }
    if (name.empty()) {  // Malformed: the $ is literal.
      out->push_back('$');
      ++i;
      continue;
    }
    i = next;
    bool numeric =
        std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (numeric) {
      size_t n = 0;
      for (char c : name) n = std::min<size_t>(n * 10 + static_cast<size_t>(c - '0'), 1u << 20);
      if (n < groups.size()) out->append(groups[n].data(), groups[n].size());
      continue;
    }
    const auto& named = re.NamedCapturingGroups();
    auto it = named.find(std::string(name));
    if (it != named.end() && static_cast<size_t>(it->second) < groups.size()) {
      const auto& g = groups[static_cast<size_t>(it->second)];
      out->append(g.data(), g.size());
    }
  }
}

Result<Value> FnReReplaceAll(const CallEnv&, std::span<const Value> args) {
  const std::string& pattern = args[0].Str();
  auto compiled = Compile(pattern);
  if (!compiled.ok()) {
    return Status::FailedPrecondition("regexp: Compile(" + RegexpQuote(pattern) +
                                      "): " + compiled.status().message());
  }
  const RE2& re = **compiled;
  const std::string& repl = args[1].Str();
  std::string_view src = args[2].Str();
  std::vector<re2::StringPiece> groups(static_cast<size_t>(re.NumberOfCapturingGroups()) + 1);
  std::string out;
  size_t last_match_end = 0;
  size_t search = 0;
  while (search <= src.size()) {
    if (!re.Match(re2::StringPiece(src.data(), src.size()), search, src.size(), RE2::UNANCHORED,
                  groups.data(), static_cast<int>(groups.size()))) {
      break;
    }
    size_t a0 = static_cast<size_t>(groups[0].data() - src.data());
    size_t a1 = a0 + groups[0].size();
    out.append(src.substr(last_match_end, a0 - last_match_end));
    if (a1 > last_match_end || a0 == 0) Expand(re, repl, groups, &out);
    last_match_end = a1;
    // Advance past this match, by at least one rune.
    size_t width = 0;
    if (search < src.size()) {
      unsigned char c = static_cast<unsigned char>(src[search]);
      width = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      width = std::min(width, src.size() - search);
    }
    if (search + width > a1) {
      search += width;
    } else if (search + 1 > a1) {
      ++search;
    } else {
      search = a1;
    }
    if (out.size() > (1u << 20)) return Status::FailedPrecondition("result exceeds 1 MiB");
  }
  out.append(src.substr(last_match_end));
  return Value::String(std::move(out));
}

Result<Value> FnSafeHtml(const CallEnv&, std::span<const Value> args) {
  return Value::Of(Html{args[0].Str()});
}

// Unicode case mapping through glibc's tables for C.UTF-8 (a locale object, so thread-safe);
// null if the locale is missing, and then only ASCII letters change.
locale_t Utf8Locale() {
  static const locale_t kLocale = newlocale(LC_CTYPE_MASK, "C.UTF-8", nullptr);
  return kLocale;
}

enum class Case { kUpper, kLower };

uint32_t MapRune(uint32_t r, Case c) {
  if (r < 0x80) {
    if (c == Case::kUpper && r >= 'a' && r <= 'z') return r - 32;
    if (c == Case::kLower && r >= 'A' && r <= 'Z') return r + 32;
    return r;
  }
  locale_t loc = Utf8Locale();
  if (loc == nullptr) return r;
  return static_cast<uint32_t>(c == Case::kUpper ? towupper_l(static_cast<wint_t>(r), loc)
                                                 : towlower_l(static_cast<wint_t>(r), loc));
}

// strings.ToUpper / ToLower: ASCII strings byte by byte, others rune by rune.
std::string MapCase(std::string_view s, Case c) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) AppendRune(&out, MapRune(DecodeRune(s, &i), c));
  return out;
}

// strings.Title's isSeparator.
bool IsSeparator(uint32_t r) {
  if (r < 0x80) return !IsNameByte(static_cast<char>(r));
  locale_t loc = Utf8Locale();
  if (loc == nullptr) return false;
  if (iswalnum_l(static_cast<wint_t>(r), loc)) return false;
  return iswspace_l(static_cast<wint_t>(r), loc) || r == 0x85 || r == 0xA0;
}

// unicode.ToTitle: upper case except for the letters whose title case differs: the Latin
// digraphs (U+01C4..U+01CC, U+01F1..U+01F3 title-case to their middle form) and Georgian
// Mkhedruli, which is its own title case.
uint32_t TitleRune(uint32_t r) {
  if (r >= 0x01C4 && r <= 0x01CC) return 0x01C5 + (r - 0x01C4) / 3 * 3;
  if (r >= 0x01F1 && r <= 0x01F3) return 0x01F2;
  if ((r >= 0x10D0 && r <= 0x10FA) || (r >= 0x10FD && r <= 0x10FF)) return r;
  return MapRune(r, Case::kUpper);
}

Result<Value> FnTitle(const CallEnv&, std::span<const Value> args) {
  std::string_view s = args[0].Str();
  std::string out;
  uint32_t prev = ' ';
  for (size_t i = 0; i < s.size();) {
    uint32_t r = DecodeRune(s, &i);
    AppendRune(&out, IsSeparator(prev) ? TitleRune(r) : r);
    prev = r;
  }
  return Value::String(std::move(out));
}

Result<Value> FnToUpper(const CallEnv&, std::span<const Value> args) {
  return Value::String(MapCase(args[0].Str(), Case::kUpper));
}

Result<Value> FnToLower(const CallEnv&, std::span<const Value> args) {
  return Value::String(MapCase(args[0].Str(), Case::kLower));
}

Result<Value> FnGraphLink(const CallEnv&, std::span<const Value> args) {
  return Value::String(GraphLinkForExpression(args[0].Str()));
}
Result<Value> FnTableLink(const CallEnv&, std::span<const Value> args) {
  return Value::String(TableLinkForExpression(args[0].Str()));
}

// net.SplitHostPort; false on error.
bool SplitHostPort(std::string_view hp, std::string_view* host, std::string_view* port) {
  size_t i = hp.rfind(':');
  if (i == std::string_view::npos) return false;
  size_t j = 0, k = 0;
  if (!hp.empty() && hp[0] == '[') {
    size_t end = hp.find(']');
    if (end == std::string_view::npos || end + 1 != i) return false;
    *host = hp.substr(1, end - 1);
    j = 1;
    k = end + 1;
  } else {
    *host = hp.substr(0, i);
    if (host->find(':') != std::string_view::npos) return false;
  }
  if (hp.substr(j).find('[') != std::string_view::npos) return false;
  if (hp.substr(k).find(']') != std::string_view::npos) return false;
  *port = hp.substr(i + 1);
  return true;
}

bool IsIP(std::string_view s) {
  std::string str(s);
  unsigned char buf[16];
  return inet_pton(AF_INET, str.c_str(), buf) == 1 || inet_pton(AF_INET6, str.c_str(), buf) == 1;
}

Result<Value> FnStripPort(const CallEnv&, std::span<const Value> args) {
  std::string_view host, port;
  if (!SplitHostPort(args[0].Str(), &host, &port)) return args[0];
  return Value::String(std::string(host));
}

Result<Value> FnStripDomain(const CallEnv&, std::span<const Value> args) {
  const std::string& hp = args[0].Str();
  std::string_view host, port;
  if (!SplitHostPort(hp, &host, &port)) {
    host = hp;
    port = {};
  }
  if (IsIP(host)) return args[0];
  std::string h(host.substr(0, host.find('.')));
  if (!port.empty()) {
    if (h.find(':') != std::string::npos) return Value::String("[" + h + "]:" + std::string(port));
    return Value::String(h + ":" + std::string(port));
  }
  return Value::String(h);
}

// The path of a URL ("http://h:9090/prefix?x" -> "/prefix"), as url.URL.Path.
std::string UrlPath(std::string_view url) {
  size_t scheme = url.find("://");
  size_t start = scheme == std::string_view::npos ? 0 : url.find('/', scheme + 3);
  if (start == std::string_view::npos) return "";
  std::string_view path = url.substr(start);
  return std::string(path.substr(0, path.find_first_of("?#")));
}

Result<Value> FnPathPrefix(const CallEnv& env, std::span<const Value>) {
  if (env.ctx->path_prefix.empty()) return Value::String(UrlPath(env.ctx->external_url));
  return Value::String(env.ctx->path_prefix);
}
Result<Value> FnExternalURL(const CallEnv& env, std::span<const Value>) {
  return Value::String(env.ctx->external_url);
}

}  // namespace

void AddPrometheusFuncs(std::vector<FuncInfo>* t) {
  using P = ParamType;
  t->push_back({"query", {P::kString}, false, FnQuery});
  t->push_back({"first", {P::kQueryResult}, false, FnFirst});
  t->push_back({"label", {P::kString, P::kSample}, false, FnLabel});
  t->push_back({"value", {P::kSample}, false, FnValue});
  t->push_back({"strvalue", {P::kSample}, false, FnStrvalue});
  t->push_back({"args", {P::kAny}, true, FnArgs});
  t->push_back({"reReplaceAll", {P::kString, P::kString, P::kString}, false, FnReReplaceAll});
  t->push_back({"safeHtml", {P::kString}, false, FnSafeHtml});
  t->push_back({"match", {P::kString, P::kString}, false, FnMatch});
  t->push_back({"title", {P::kString}, false, FnTitle});
  t->push_back({"toUpper", {P::kString}, false, FnToUpper});
  t->push_back({"toLower", {P::kString}, false, FnToLower});
  t->push_back({"graphLink", {P::kString}, false, FnGraphLink});
  t->push_back({"tableLink", {P::kString}, false, FnTableLink});
  t->push_back({"sortByLabel", {P::kString, P::kQueryResult}, false, FnSortByLabel});
  t->push_back({"stripPort", {P::kString}, false, FnStripPort});
  t->push_back({"stripDomain", {P::kString}, false, FnStripDomain});
  t->push_back({"humanize", {P::kAny}, false, FnHumanize});
  t->push_back({"humanize1024", {P::kAny}, false, FnHumanize1024});
  t->push_back({"humanizeDuration", {P::kAny}, false, FnHumanizeDuration});
  t->push_back({"humanizePercentage", {P::kAny}, false, FnHumanizePercentage});
  t->push_back({"humanizeTimestamp", {P::kAny}, false, FnHumanizeTimestamp});
  t->push_back({"toTime", {P::kAny}, false, FnToTime});
  t->push_back({"pathPrefix", {}, false, FnPathPrefix});
  t->push_back({"externalURL", {}, false, FnExternalURL});
  t->push_back({"parseDuration", {P::kString}, false, FnParseDuration});
}

}  // namespace strata::rules::template_internal
