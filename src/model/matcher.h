// Matcher: one PromQL label matcher (`job="api"`, `code!="200"`, `path=~"/v1/.*"`,
// `env!~"dev|test"`), and the Matchers list a selector or remote-read query carries.
// Immutable after Make(); copies share the compiled regex, and Matches() is safe to call from
// any number of threads at once (thread-safe).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "model/labels.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace strata::model {

// Also the remote-read protobuf order (EQ, NEQ, RE, NRE): never renumber.
enum class MatchType : uint8_t {
  kEqual = 0,
  kNotEqual = 1,
  kRegexMatch = 2,
  kRegexNoMatch = 3,
};

// "=", "!=", "=~" or "!~".
std::string_view MatchTypeToString(MatchType type);

class Matcher {
 public:
  // For the regex types, `value` is an RE2 (= Go regexp) pattern matched against the whole
  // value, as Prometheus does: anchored at both ends and with `.` matching newline (Prometheus
  // compiles "^(?s:" + value + ")$"). Returns InvalidArgument
  // `invalid regular expression "(": missing ): (` (RE2's error text) for a bad pattern,
  // including one that is not valid UTF-8. The equality types never fail.
  // Cost: a regex compile unless the pattern takes a fast path (see matcher.cc).
  static Result<Matcher> Make(MatchType type, std::string name, std::string value);
  // Shorthands for the types that cannot fail.
  static Matcher Equal(std::string name, std::string value);
  static Matcher NotEqual(std::string name, std::string value);

  MatchType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }

  // Whether a label value satisfies the matcher. An absent label is passed as "" (Prometheus
  // semantics: `{foo=""}` and `{foo=~".*"}` select series without foo). Values are expected to
  // be valid UTF-8, as ingest guarantees: on invalid bytes RE2 may disagree with Go, which reads
  // them as U+FFFD.
  bool Matches(std::string_view value) const;
  // Matches(""), precomputed: true if the matcher also selects series lacking the label.
  bool MatchesEmpty() const { return matches_empty_; }

  // PromQL form, e.g. `job=~"a.*"`; the value is Go-quoted, the name is quoted only if it fails
  // IsValidLabelName.
  std::string ToString() const;

  // Same type, name and value.
  friend bool operator==(const Matcher& a, const Matcher& b) {
    return a.type_ == b.type_ && a.name_ == b.name_ && a.value_ == b.value_;
  }

 private:
  // How a regex pattern is evaluated; every strategy but kRegex avoids RE2.
  enum class Strategy : uint8_t {
    kEqual,     // Equality types: compare with value_.
    kLiteral,   // A regex that is one literal (escapes resolved): compare with literal_.
    kAny,       // ".*": every value.
    kNonEmpty,  // ".+": every non-empty value.
    kSet,       // "a|b|c" of literals: binary search in set_.
    kPrefix,    // "lit.*": starts with literal_.
    kSuffix,    // ".*lit": ends with literal_.
    kContains,  // ".*lit.*": contains literal_.
    kRegex,     // Anything else: RE2 full match.
  };

  Matcher(MatchType type, std::string name, std::string value)
      : type_(type), name_(std::move(name)), value_(std::move(value)) {}

  // Whether `value` equals (equality types) or fully matches (regex types) value_.
  bool MatchesPattern(std::string_view value) const;

  MatchType type_;
  std::string name_;
  std::string value_;
  Strategy strategy_ = Strategy::kEqual;
  std::string literal_;                                  // kLiteral, kPrefix/kSuffix/kContains.
  std::shared_ptr<const std::vector<std::string>> set_;  // kSet: sorted, unique.
  std::shared_ptr<const re2::RE2> re_;                   // kRegex.
  bool matches_empty_ = false;
};

using Matchers = std::vector<Matcher>;

// Whether every matcher matches `labels` (absent labels are matched as ""). True if empty.
bool MatchesLabels(const Matchers& matchers, const Labels& labels);

}  // namespace strata::model
