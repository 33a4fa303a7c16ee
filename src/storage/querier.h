// Querier: the storage seam. Every tier (head, warm, and the cold tier to come) implements it,
// and MergeQuerier (merge_querier.h) combines tiers behind it; the query engine, the HTTP API
// and the rule evaluator see only this interface. Series come out one at a time, sorted by
// labels, and a series' samples are read only when asked for, so a query over a long range
// never holds every raw sample at once. Implementations are thread-safe; a SeriesSet is
// confined to the thread that iterates it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/labels.h"
#include "model/matcher.h"
#include "model/sample.h"

namespace strata::storage {

// A span of a Select's answer that came from downsampled data (SelectHints::resolutions).
struct ResolutionUse {
  int64_t resolution_ms = 0;
  int64_t min_t = 0;  // Inclusive, clipped to the range (a block ending before it: what was read).
  int64_t max_t = 0;
};

// What a selector needs, passed down by the engine so a tier can choose what to read: the cold
// tier picks a resolution from step_ms, range_ms and max_resolution_ms (storage/downsample.h,
// AllowedResolution) and shapes downsampled data for `func` (ViewForFunction).
struct SelectHints {
  // Samples with start_ms <= t <= end_ms are wanted (lookback and range windows included).
  int64_t start_ms = INT64_MIN;
  int64_t end_ms = INT64_MAX;
  // Step of the evaluation; 0 for instant queries and metadata calls.
  int64_t step_ms = 0;
  // Range of the enclosing range-vector selector (`x[5m]` -> 300000); 0 for an instant selector.
  int64_t range_ms = 0;
  // Name of the function the selector is an argument of ("rate"); empty when none.
  std::string func;
  // The coarsest resolution the query allows (max_source_resolution): 0 raw only, 300000,
  // 3600000, or INT64_MAX for "auto" (the adaptive rule alone decides).
  int64_t max_resolution_ms = INT64_MAX;
  // The times the evaluator reads this selector at, when it says so (ref_count > 0): ref_i =
  // first_ref_ms + i * ref_step_ms for i in [0, ref_count), each read taking [ref_i -
  // range_ms, ref_i] or, for an instant selector, the latest sample at or before ref_i. A tier
  // answering from downsampled data may then drop the points no read tells apart
  // (storage/downsample.h, ThinView). 0: unknown, nothing is dropped.
  int64_t first_ref_ms = 0;
  int64_t ref_step_ms = 0;
  int64_t ref_count = 0;
  // An instant selector's lookback delta (0: not known). The engine looks back at least one
  // window in downsampled data; so that a series still stops where raw data would stop
  // answering, the cold tier ends its instant view with a stale marker lookback_ms after a
  // window's last sample when no data of the series follows within that time.
  int64_t lookback_ms = 0;
  // When set, tiers append the spans they answered from downsampled data. Borrowed; confined
  // to the thread that calls Select.
  std::vector<ResolutionUse>* resolutions = nullptr;
};

// The series a Select matched, in increasing label order. Protocol: call Next() until it
// returns false, then check status(); labels() and ReadSamples() refer to the current series.
class SeriesSet {
 public:
  virtual ~SeriesSet() = default;
  // Advances to the next series. False at the end or on error (see status()).
  virtual bool Next() = 0;
  // REQUIRES: the last Next() returned true.
  virtual const model::Labels& labels() const = 0;
  // Replaces *out with the current series' samples in [hints.start_ms, hints.end_ms], sorted by
  // time with unique timestamps, stale markers included. May be empty. Corruption or IOError
  // when stored data cannot be read. REQUIRES: the last Next() returned true.
  virtual Status ReadSamples(std::vector<model::Sample>* out) = 0;
  // As ReadSamples, for a series whose samples from `limit` on a newer tier holds
  // (MergeQuerier: the newer tier's first sample time). A tier that answers the series from
  // downsampled data builds its view from the windows that end before `limit` only, so the
  // view's points (each standing for a window or a thinned segment of them) are never
  // interleaved with, or replaced by, the newer tier's raw samples; raw samples are returned
  // whole, as ReadSamples does, and the merge keeps the newer of equal timestamps. The default
  // is ReadSamples.
  virtual Status ReadSamplesBefore(int64_t limit, std::vector<model::Sample>* out);
  // OK, or why iteration stopped early.
  virtual Status status() const = 0;
  // After ReadSamples with hints.func sum_over_time, count_over_time, avg_over_time (a
  // downsampled window's value is its sum) or a counter function (rate, increase, irate,
  // resets, changes: storage/downsample.h, AppendView): how many raw samples each returned
  // sample stands for, in step with the samples; empty when each stands for itself (raw data).
  virtual const std::vector<uint32_t>& counts() const;
  // Whether the last ReadSamples answered from downsampled data (a view of windows,
  // storage/downsample.h, possibly thinned); false for raw samples.
  virtual bool downsampled() const;
  // After ReadSamples: the time of the last sample that came from downsampled data (the
  // samples after it are raw: a newer tier's), INT64_MIN when none did.
  virtual int64_t downsampled_until() const;
};

class Querier {
 public:
  virtual ~Querier() = default;
  // Series matching all `matchers` with at least one sample in [hints.start_ms, hints.end_ms]
  // (a tier may also return a series whose samples turn out to lie outside; ReadSamples then
  // yields nothing). InvalidArgument if no matcher selects anything non-empty.
  virtual Result<std::unique_ptr<SeriesSet>> Select(const model::Matchers& matchers,
                                                    const SelectHints& hints) const = 0;
  // Sorted, unique label sets of the series matching `matchers` with samples in [mint, maxt].
  virtual Result<std::vector<model::Labels>> Series(const model::Matchers& matchers, int64_t mint,
                                                    int64_t maxt) const = 0;
  // Sorted, unique label names / values of one name, over series matching any of `selectors`
  // (all series when empty) with samples in [mint, maxt].
  virtual Result<std::vector<std::string>> LabelNames(const std::vector<model::Matchers>& selectors,
                                                      int64_t mint, int64_t maxt) const = 0;
  virtual Result<std::vector<std::string>> LabelValues(
      const std::string& name, const std::vector<model::Matchers>& selectors, int64_t mint,
      int64_t maxt) const = 0;
};

// InvalidArgument unless some matcher rejects the empty value (PromQL's rule for selectors).
Status CheckSelectorMatchers(const model::Matchers& matchers);

// A SeriesSet over series already materialized (small results, tests). Sorts them by labels.
struct MaterializedSeries {
  model::Labels labels;
  std::vector<model::Sample> samples;
};
std::unique_ptr<SeriesSet> MakeMaterializedSeriesSet(std::vector<MaterializedSeries> series);

// Orders samples by time (stable) and keeps the first of each run of equal timestamps: for a
// tier whose stored pieces may overlap (a retried move). O(n) when already sorted.
void SortUniqueByTime(std::vector<model::Sample>* samples);

// Reads a whole selection into memory (tests, tools, small results): the series with at least
// one sample in [mint, maxt], sorted by labels.
Result<std::vector<MaterializedSeries>> SelectAll(const Querier& querier,
                                                  const model::Matchers& matchers, int64_t mint,
                                                  int64_t maxt);

}  // namespace strata::storage
