// MergeQuerier: one Querier over several tiers, the one place where tiers are combined. Series
// come out sorted by labels; a series present in several tiers has its samples merged by time,
// and on equal timestamps the newer tier wins. Tiers are listed newest first and Select asks
// them in that order, so data moving from a newer to an older tier during a query is seen at
// least once (the duplicate then collapses). Thread-safe; borrows the tiers, which must outlive
// it and every SeriesSet it returned.
#pragma once

#include <memory>
#include <vector>

#include "storage/querier.h"

namespace strata::storage {

class MergeQuerier final : public Querier {
 public:
  // `tiers`: newest first (head, warm, cold). Null entries are skipped.
  explicit MergeQuerier(std::vector<const Querier*> tiers);

  Result<std::unique_ptr<SeriesSet>> Select(const model::Matchers& matchers,
                                            const SelectHints& hints) const override;
  Result<std::vector<model::Labels>> Series(const model::Matchers& matchers, int64_t mint,
                                            int64_t maxt) const override;
  Result<std::vector<std::string>> LabelNames(const std::vector<model::Matchers>& selectors,
                                              int64_t mint, int64_t maxt) const override;
  Result<std::vector<std::string>> LabelValues(const std::string& name,
                                               const std::vector<model::Matchers>& selectors,
                                               int64_t mint, int64_t maxt) const override;

 private:
  std::vector<const Querier*> tiers_;
};

// Merges `*older` into `*newer` (both sorted by time, unique timestamps): the result is sorted
// and unique, and keeps newer's sample where both have a timestamp. `*older` is left with
// unspecified contents (its buffer may be swapped with newer's, so the larger one is not
// copied).
void MergeSamplesNewerWins(std::vector<model::Sample>* newer, std::vector<model::Sample>* older);

}  // namespace strata::storage
