// Querier: what the query engine reads from. Implemented by the head today, and later by the
// tier-merging querier. Thread-safe implementations only.
#pragma once

#include <cstdint>
#include <vector>

#include "base/result.h"
#include "model/labels.h"
#include "model/matcher.h"
#include "model/sample.h"

namespace strata::storage {

// A series' samples in a time range, materialized, sorted by timestamp.
struct SeriesSamples {
  model::Labels labels;
  std::vector<model::Sample> samples;
};

class Querier {
 public:
  virtual ~Querier() = default;
  // Series matching all `matchers` with at least one sample in [mint, maxt], with those samples
  // (stale markers included), sorted by labels. InvalidArgument if no matcher selects anything
  // non-empty.
  virtual Result<std::vector<SeriesSamples>> Select(const model::Matchers& matchers, int64_t mint,
                                                    int64_t maxt) const = 0;
};

}  // namespace strata::storage
