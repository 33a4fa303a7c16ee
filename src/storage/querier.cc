// Shared helpers of the storage seam: selector validation and a SeriesSet over materialized
// series.
#include "storage/querier.h"

#include <algorithm>

namespace strata::storage {

Status SeriesSet::ReadSamplesBefore(int64_t /*limit*/, std::vector<model::Sample>* out) {
  return ReadSamples(out);
}

const std::vector<uint32_t>& SeriesSet::counts() const {
  static const std::vector<uint32_t> kNone;
  return kNone;
}

bool SeriesSet::downsampled() const { return false; }
int64_t SeriesSet::downsampled_until() const { return INT64_MIN; }

Status CheckSelectorMatchers(const model::Matchers& matchers) {
  for (const auto& m : matchers) {
    if (!m.MatchesEmpty()) return Status::Ok();
  }
  return Status::InvalidArgument("vector selector must contain at least one non-empty matcher");
}

namespace {

class MaterializedSeriesSet final : public SeriesSet {
 public:
  explicit MaterializedSeriesSet(std::vector<MaterializedSeries> series)
      : series_(std::move(series)) {
    std::sort(series_.begin(), series_.end(),
              [](const MaterializedSeries& a, const MaterializedSeries& b) {
                return a.labels < b.labels;
              });
  }
  bool Next() override {
    if (next_ >= series_.size()) return false;
    cur_ = next_++;
    return true;
  }
  const model::Labels& labels() const override { return series_[cur_].labels; }
  Status ReadSamples(std::vector<model::Sample>* out) override {
    *out = series_[cur_].samples;
    return Status::Ok();
  }
  Status status() const override { return Status::Ok(); }

 private:
  std::vector<MaterializedSeries> series_;
  size_t next_ = 0;
  size_t cur_ = 0;
};

}  // namespace

std::unique_ptr<SeriesSet> MakeMaterializedSeriesSet(std::vector<MaterializedSeries> series) {
  return std::make_unique<MaterializedSeriesSet>(std::move(series));
}

Result<std::vector<MaterializedSeries>> SelectAll(const Querier& querier,
                                                  const model::Matchers& matchers, int64_t mint,
                                                  int64_t maxt) {
  SelectHints hints;
  hints.start_ms = mint;
  hints.end_ms = maxt;
  STRATA_ASSIGN_OR_RETURN(auto set, querier.Select(matchers, hints));
  std::vector<MaterializedSeries> out;
  std::vector<model::Sample> samples;
  while (set->Next()) {
    STRATA_RETURN_IF_ERROR(set->ReadSamples(&samples));
    if (samples.empty()) continue;
    out.push_back({set->labels(), samples});
  }
  STRATA_RETURN_IF_ERROR(set->status());
  return out;
}

void SortUniqueByTime(std::vector<model::Sample>* samples) {
  auto by_time = [](const model::Sample& a, const model::Sample& b) {
    return a.timestamp_ms < b.timestamp_ms;
  };
  if (!std::is_sorted(samples->begin(), samples->end(), by_time)) {
    std::stable_sort(samples->begin(), samples->end(), by_time);
  }
  samples->erase(std::unique(samples->begin(), samples->end(),
                             [](const model::Sample& a, const model::Sample& b) {
                               return a.timestamp_ms == b.timestamp_ms;
                             }),
                 samples->end());
}

}  // namespace strata::storage
