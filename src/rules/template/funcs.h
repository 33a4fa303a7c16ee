// The function table of rule templates: Go's text/template builtins and Prometheus' template
// functions, with their parameter types so that calls are checked as Go checks them.
// The table is immutable (thread-safe); functions are pure apart from `query`.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "rules/template.h"
#include "rules/template/value.h"

namespace strata::rules::template_internal {

enum class ParamType : uint8_t {
  kAny,          // interface {}
  kValue,        // reflect.Value (Go's builtins): like kAny, but a nil literal is refused.
  kString,       // string
  kSample,       // *template.sample
  kQueryResult,  // template.queryResult
};

// Go's name of a parameter type, for "wrong type for value; expected string; got float64".
std::string_view ParamTypeName(ParamType t);

// What a function sees besides its arguments.
struct CallEnv {
  const TemplateContext* ctx = nullptr;
};

// A function returns its value or an error whose message Go would print after
// "error calling NAME: ".
using FuncImpl = Result<Value> (*)(const CallEnv& env, std::span<const Value> args);

struct FuncInfo {
  std::string_view name;
  std::vector<ParamType> params;  // With `variadic`, the last one types all remaining arguments.
  bool variadic = false;
  FuncImpl impl = nullptr;  // Null for `and` and `or`, which the executor short-circuits.
};

// The function named `name`, or null.
const FuncInfo* FindFunction(std::string_view name);

// Go's builtins (and or not len index slice print printf println html js urlquery eq ne lt le
// gt ge call) and Prometheus 2.53's functions; each file adds its own.
void AddGoBuiltins(std::vector<FuncInfo>* table);
void AddPrometheusFuncs(std::vector<FuncInfo>* table);

// strconv.ParseFloat(s, 64) syntax and errors ("strconv.ParseFloat: parsing \"x\": invalid
// syntax"), as Prometheus' humanize* functions accept strings.
Result<double> ParseGoFloat(std::string_view s);

// url.QueryEscape: unreserved bytes as is, ' ' as '+', the rest %XX.
std::string QueryEscape(std::string_view s);

}  // namespace strata::rules::template_internal
