// promtool's notation for the values of a unit test's input series (the `load` command of
// Prometheus' PromQL test language), expanded into one entry per interval step:
//   `a`        one value (a number, `Inf`, `NaN`, signed or not)
//   `a+bxn`    a, a+b, ..., n+1 values in all, each the previous plus b (`a-bxn` subtracts)
//   `axn`      a repeated n+1 times (`a+0xn`)
//   `_` `_xn`  one / n missing samples (the step has no sample)
//   `stale`    a stale marker (model::StaleNaN())
// Items are separated by blanks. Native-histogram items (`{{...}}`) are not supported and are
// reported as errors. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace strata::cli {

// One entry per step: nullopt for a missing sample. InvalidArgument naming the bad item
// (`bad item "1+x3" in series values`) on anything else, and past 1,000,000 entries (a year of
// one-minute samples is 525,600).
Result<std::vector<std::optional<double>>> ExpandSeriesValues(std::string_view text);

}  // namespace strata::cli
