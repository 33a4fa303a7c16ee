// Value: what a Go text/template value can be in a Prometheus rule template (the few Go types
// that rule templates meet), with Go's type names, truthiness and %v printing. Immutable once
// built; composite values share their contents (thread-compatible).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace strata::rules::template_internal {

struct Value;
using StrMap = std::map<std::string, std::string, std::less<>>;  // map[string]string
struct AnyMap;                                                   // map[string]interface {}
struct QuerySample {                                             // *template.sample
  std::shared_ptr<const StrMap> labels;
  double value = 0;
};
using QueryResult = std::vector<std::shared_ptr<const QuerySample>>;  // template.queryResult
struct Html {                                                         // template.HTML
  std::string text;
};
struct Time {  // *time.Time in UTC, as toTime returns it.
  int64_t unix_nanos = 0;
};
struct AlertData {  // The dot of an alert template (Prometheus' AlertTemplateData).
  std::shared_ptr<const StrMap> labels;
  std::shared_ptr<const StrMap> external_labels;
  std::string external_url;
  double value = 0;
};

// Go's reflect kinds as far as templates care: the order matters (it is the variant index).
enum class Kind : uint8_t {
  kInvalid,  // No value: a nil interface, a missing key of map[string]interface {}.
  kBool,
  kInt,    // Go int (64 bits).
  kFloat,  // float64
  kString,
  kHtml,  // A string kind with another type name.
  kStrMap,
  kAnyMap,
  kQueryResult,
  kSample,
  kTime,
  kAlertData,
};

struct Value {
  std::variant<std::monostate, bool, int64_t, double, std::string, Html,
               std::shared_ptr<const StrMap>, std::shared_ptr<const AnyMap>,
               std::shared_ptr<const QueryResult>, std::shared_ptr<const QuerySample>, Time,
               std::shared_ptr<const AlertData>>
      v;

  Value() = default;
  static Value Bool(bool b) { return Value(b); }
  static Value Int(int64_t i) { return Value(i); }
  static Value Float(double f) { return Value(f); }
  static Value String(std::string s) { return Value(std::move(s)); }
  template <typename T>
  static Value Of(T t) {
    Value r;
    r.v = std::move(t);
    return r;
  }

  Kind kind() const { return static_cast<Kind>(v.index()); }
  bool valid() const { return kind() != Kind::kInvalid; }
  // Go's reflect kind String for strings (string and template.HTML).
  bool IsStringKind() const { return kind() == Kind::kString || kind() == Kind::kHtml; }
  // REQUIRES: IsStringKind().
  const std::string& Str() const {
    return kind() == Kind::kHtml ? std::get<Html>(v).text : std::get<std::string>(v);
  }
  bool b() const { return std::get<bool>(v); }
  int64_t i() const { return std::get<int64_t>(v); }
  double f() const { return std::get<double>(v); }

 private:
  template <typename T>
  explicit Value(T t) : v(std::move(t)) {}
};

struct AnyMap {
  std::map<std::string, Value, std::less<>> items;
};

// Go's reflect type name: "string", "float64", "map[string]string", "*template.sample"...
std::string TypeName(const Value& v);

// Go's truth (text/template isTrue): false, 0, NaN is true, "", empty maps and lists, nil are
// false; structs are true.
bool IsTrue(const Value& v);

// Go's length of strings (bytes), maps and lists; -1 for other kinds.
int64_t Len(const Value& v);

// The field `name` of a struct-like value (the alert data's Labels/ExternalLabels/ExternalURL/
// Value, a sample's Labels/Value). False if the type has no such field.
bool StructField(const Value& v, std::string_view name, Value* out);

// Go's time.Time.String() of a UTC time: "2015-06-23 13:19:44.128 +0000 UTC".
std::string FormatGoTime(int64_t unix_nanos);

// Go's time.Time.Format(layout) of a UTC time: the reference layout's elements (2006 01 02 15
// 04 05, Jan January Mon Monday, 1 2 _2 3 4 5 06 002, PM pm, MST, -0700 -07:00 -07 Z07:00...,
// .000 .999); the rest of the layout is copied.
std::string FormatGoTimeLayout(int64_t unix_nanos, std::string_view layout);

}  // namespace strata::rules::template_internal
