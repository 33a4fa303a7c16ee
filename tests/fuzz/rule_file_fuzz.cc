// Fuzz target: the rule file loader (rules::ParseRuleFile: YAML via yaml-cpp, promtool's checks,
// PromQL expressions, label and annotation templates). Input: the file's content.
// Properties: never throws or crashes; a group is returned only when it had no problem, and then
// every rule has a parsed expression whose printed form parses again; nothing returned and no
// error at once only for content without groups.
#include <string>
#include <vector>

#include "fuzz/fuzz_target.h"
#include "query/parser.h"
#include "query/printer.h"
#include "rules/rule_file.h"

namespace strata::fuzz {
namespace {

void FuzzRuleFile(std::span<const uint8_t> data) {
  std::vector<std::string> errors;
  std::vector<rules::GroupSpec> groups = rules::ParseRuleFile("fuzz.yml", AsText(data), &errors);
  for (const auto& g : groups) {
    for (const auto& r : g.rules) {
      if (r.expr == nullptr) FuzzFail("ParseRuleFile: a rule without an expression");
      std::string printed = query::ExprToString(*r.expr);
      if (!query::ParseExpr(printed).ok()) {
        FuzzFail("ParseRuleFile: a rule's expression prints to text that does not parse: " +
                 printed);
      }
    }
  }
  for (const auto& e : errors) {
    if (e.empty()) FuzzFail("ParseRuleFile: an empty error message");
  }
}

}  // namespace
}  // namespace strata::fuzz

STRATA_FUZZ_TARGET(rule_file, strata::fuzz::FuzzRuleFile)
