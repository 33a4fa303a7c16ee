// A base for test Queriers that only answer Select: the metadata calls (series, label names,
// label values) answer empty.
#pragma once

#include <string>
#include <vector>

#include "storage/querier.h"

namespace strata::testutil {

class SelectOnlyQuerier : public storage::Querier {
 public:
  Result<std::vector<model::Labels>> Series(const model::Matchers&, int64_t,
                                            int64_t) const override {
    return std::vector<model::Labels>{};
  }
  Result<std::vector<std::string>> LabelNames(const std::vector<model::Matchers>&, int64_t,
                                              int64_t) const override {
    return std::vector<std::string>{};
  }
  Result<std::vector<std::string>> LabelValues(const std::string&,
                                               const std::vector<model::Matchers>&, int64_t,
                                               int64_t) const override {
    return std::vector<std::string>{};
  }
};

}  // namespace strata::testutil
