#include "rules/template/funcs.h"

#include <algorithm>

namespace strata::rules::template_internal {

std::string_view ParamTypeName(ParamType t) {
  switch (t) {
    case ParamType::kAny:
      return "interface {}";
    case ParamType::kValue:
      return "reflect.Value";
    case ParamType::kString:
      return "string";
    case ParamType::kSample:
      return "*template.sample";
    case ParamType::kQueryResult:
      return "template.queryResult";
  }
  return "?";
}

const FuncInfo* FindFunction(std::string_view name) {
  // Built once, then only read: safe from many threads.
  static const std::vector<FuncInfo>* const kTable = [] {
    auto* t = new std::vector<FuncInfo>;
    AddGoBuiltins(t);
    AddPrometheusFuncs(t);
    std::sort(t->begin(), t->end(),
              [](const FuncInfo& a, const FuncInfo& b) { return a.name < b.name; });
    return t;
  }();
  auto it = std::lower_bound(kTable->begin(), kTable->end(), name,
                             [](const FuncInfo& f, std::string_view n) { return f.name < n; });
  return it != kTable->end() && it->name == name ? &*it : nullptr;
}

}  // namespace strata::rules::template_internal
