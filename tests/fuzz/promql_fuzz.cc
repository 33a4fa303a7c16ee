// Fuzz target: the PromQL parser (ParseExpr, ParseSeriesSelector) and the printer. Input: the
// query text. Properties: an expression that parses prints (ExprToString) to text that parses
// again and prints identically (parse -> print -> parse is stable); a parse failure is always
// InvalidArgument with a message.
#include <string>

#include "fuzz/fuzz_target.h"
#include "query/parser.h"
#include "query/printer.h"

namespace strata::fuzz {
namespace {

void FuzzPromql(std::span<const uint8_t> data) {
  std::string_view text = AsText(data);
  auto expr = query::ParseExpr(text);
  if (!expr.ok()) {
    if (expr.status().code() != StatusCode::kInvalidArgument || expr.status().message().empty()) {
      FuzzFail("ParseExpr: unexpected status " + expr.status().ToString());
    }
  } else {
    std::string printed = query::ExprToString(**expr);
    auto again = query::ParseExpr(printed);
    if (!again.ok()) {
      FuzzFail("printed form does not parse: " + printed + " (from " + std::string(text) +
               "): " + again.status().ToString());
    }
    std::string reprinted = query::ExprToString(**again);
    if (reprinted != printed) {
      FuzzFail("parse -> print -> parse is not stable: " + printed + " became " + reprinted +
               " (from " + std::string(text) + ")");
    }
  }
  auto selector = query::ParseSeriesSelector(text);
  if (!selector.ok() && selector.status().code() != StatusCode::kInvalidArgument) {
    FuzzFail("ParseSeriesSelector: unexpected status " + selector.status().ToString());
  }
}

}  // namespace
}  // namespace strata::fuzz

STRATA_FUZZ_TARGET(promql, strata::fuzz::FuzzPromql)
