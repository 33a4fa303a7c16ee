// Regex matchers first try to recognise patterns that are literals, sets of literals or
// literals around `.*` (the shapes Grafana and most dashboards produce) and evaluate those
// without RE2. Only when a pattern is *certainly* one of those shapes is the fast path taken;
// anything doubtful goes to RE2, so the fast paths never change results (the differential test
// in matcher_test.cc checks this against RE2).
#include "model/matcher.h"

#include <re2/re2.h>

#include <algorithm>
#include <optional>

#include "model/quote.h"
#include "model/validation.h"

namespace strata::model {
namespace {

bool IsRegexMeta(char c) {
  switch (c) {
    case '\\':
    case '.':
    case '+':
    case '*':
    case '?':
    case '(':
    case ')':
    case '|':
    case '[':
    case ']':
    case '{':
    case '}':
    case '^':
    case '$':
      return true;
    default:
      return false;
  }
}

// ASCII punctuation other than '_': Go and RE2 both read `\c` as the literal c for these.
bool IsEscapablePunct(char c) {
  return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`' && c != '_') ||
         (c >= '{' && c <= '~');
}

// Splits `pattern` at unescaped '|' into literal alternatives with escapes resolved. Returns
// nullopt if any part uses regex syntax other than `\` + punctuation.
std::optional<std::vector<std::string>> ParseLiteralAlternation(std::string_view pattern) {
  std::vector<std::string> alternatives(1);
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '|') {
      alternatives.emplace_back();
    } else if (c == '\\') {
      if (i + 1 == pattern.size() || !IsEscapablePunct(pattern[i + 1])) return std::nullopt;
      alternatives.back().push_back(pattern[++i]);
    } else if (IsRegexMeta(c)) {
      return std::nullopt;
    } else {
      alternatives.back().push_back(c);
    }
  }
  return alternatives;
}

std::optional<std::string> ParseLiteral(std::string_view pattern) {
  auto alternatives = ParseLiteralAlternation(pattern);
  if (!alternatives || alternatives->size() != 1) return std::nullopt;
  return std::move(alternatives->front());
}

}  // namespace

std::string_view MatchTypeToString(MatchType type) {
  switch (type) {
    case MatchType::kEqual:
      return "=";
    case MatchType::kNotEqual:
      return "!=";
    case MatchType::kRegexMatch:
      return "=~";
    case MatchType::kRegexNoMatch:
      return "!~";
  }
  return "?";
}

Result<Matcher> Matcher::Make(MatchType type, std::string name, std::string value) {
  Matcher m(type, std::move(name), std::move(value));
  if (type == MatchType::kRegexMatch || type == MatchType::kRegexNoMatch) {
    std::string_view v = m.value_;
    // Invalid UTF-8 must reach RE2, which rejects it as Go does.
    const bool utf8 = IsValidUtf8(v);
    if (!utf8) {
      m.strategy_ = Strategy::kRegex;
    } else if (v == ".*") {
      m.strategy_ = Strategy::kAny;
    } else if (v == ".+") {
      m.strategy_ = Strategy::kNonEmpty;
    } else if (auto alternatives = ParseLiteralAlternation(v)) {
      if (alternatives->size() == 1) {
        m.strategy_ = Strategy::kLiteral;
        m.literal_ = std::move(alternatives->front());
      } else {
        std::sort(alternatives->begin(), alternatives->end());
        alternatives->erase(std::unique(alternatives->begin(), alternatives->end()),
                            alternatives->end());
        m.strategy_ = Strategy::kSet;
        m.set_ = std::make_shared<const std::vector<std::string>>(std::move(*alternatives));
      }
    } else {
      // `.*lit`, `lit.*`, `.*lit.*`. A trailing ".*" counts only if its '.' is unescaped, which
      // ParseLiteral guarantees: it rejects the dangling '\' an escaped '.' would leave.
      const bool any_prefix = v.starts_with(".*");
      std::string_view rest = any_prefix ? v.substr(2) : v;
      const bool any_suffix = rest.ends_with(".*");
      if (any_suffix) rest.remove_suffix(2);
      std::optional<std::string> literal;
      if (any_prefix || any_suffix) literal = ParseLiteral(rest);
      if (literal) {
        m.literal_ = std::move(*literal);
        m.strategy_ = any_prefix && any_suffix ? Strategy::kContains
                      : any_prefix             ? Strategy::kSuffix
                                               : Strategy::kPrefix;
      } else {
        m.strategy_ = Strategy::kRegex;
      }
    }
    if (m.strategy_ == Strategy::kRegex) {
      // Compiling the pattern alone and matching with FullMatch (anchor at both ends) equals
      // Prometheus' "^(?s:" + v + ")$" with dot_nl, without the need to check that `v` cannot
      // close the wrapping group (e.g. "a)|(b").
      RE2::Options options;
      options.set_encoding(RE2::Options::EncodingUTF8);
      options.set_dot_nl(true);
      options.set_log_errors(false);
      auto re = std::make_shared<const RE2>(v, options);
      if (!re->ok()) {
        return Status::InvalidArgument("invalid regular expression " + Quote(v) + ": " +
                                       re->error());
      }
      m.re_ = std::move(re);
    }
  }
  m.matches_empty_ = m.Matches("");
  return m;
}

Matcher Matcher::Equal(std::string name, std::string value) {
  Matcher m(MatchType::kEqual, std::move(name), std::move(value));
  m.matches_empty_ = m.value_.empty();
  return m;
}

Matcher Matcher::NotEqual(std::string name, std::string value) {
  Matcher m(MatchType::kNotEqual, std::move(name), std::move(value));
  m.matches_empty_ = !m.value_.empty();
  return m;
}

bool Matcher::MatchesPattern(std::string_view value) const {
  switch (strategy_) {
    case Strategy::kEqual:
      return value == value_;
    case Strategy::kLiteral:
      return value == literal_;
    case Strategy::kAny:
      return true;
    case Strategy::kNonEmpty:
      return !value.empty();
    case Strategy::kSet:
      return std::binary_search(set_->begin(), set_->end(), value);
    case Strategy::kPrefix:
      return value.starts_with(literal_);
    case Strategy::kSuffix:
      return value.ends_with(literal_);
    case Strategy::kContains:
      return value.find(literal_) != std::string_view::npos;
    case Strategy::kRegex:
      return RE2::FullMatch(value, *re_);
  }
  return false;
}

bool Matcher::Matches(std::string_view value) const {
  const bool negate = type_ == MatchType::kNotEqual || type_ == MatchType::kRegexNoMatch;
  return MatchesPattern(value) != negate;
}

std::string Matcher::ToString() const {
  std::string out;
  if (IsValidLabelName(name_)) {
    out = name_;
  } else {
    AppendQuote(&out, name_);
  }
  out.append(MatchTypeToString(type_));
  AppendQuote(&out, value_);
  return out;
}

bool MatchesLabels(const Matchers& matchers, const Labels& labels) {
  for (const Matcher& m : matchers) {
    if (!m.Matches(labels.Get(m.name()))) return false;
  }
  return true;
}

}  // namespace strata::model
