// Downsampling: the aggregates that 5m and 1h cold blocks keep per window of a series
// (docs/format/block.md, "Aggregate encoding"), how they are built from raw samples and from
// finer windows, which resolution may answer a selector (the adaptive rule), and the sample
// views that let the query engine's functions read aggregates as if they were samples.
// Pure functions over values; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/sample.h"

namespace strata::storage {

inline constexpr int64_t kResolution5m = 5 * 60 * 1000;
inline constexpr int64_t kResolution1h = 60 * 60 * 1000;
// SelectHints::max_resolution_ms for "auto": no cap beyond the adaptive rule.
inline constexpr int64_t kAutoResolution = INT64_MAX;

// One window (bucket floor(t / R)) of a series.
struct AggrWindow {
  int64_t first_t = 0;  // Time of the first and last sample; same bucket.
  int64_t last_t = 0;
  // Time of a stale marker that ended the series after last_t; 0 when none.
  int64_t stale_t = 0;
  uint64_t count = 0;  // Samples (>= 1; stale markers are not samples).
  double sum = 0;
  double min = 0;
  double max = 0;
  double first = 0;  // Value of the first and last sample.
  double last = 0;
  double inc = 0;  // Counter increase from first to last, resets counted.

  // The latest time the window covers (its stale marker, else its last sample).
  int64_t end_t() const { return stale_t != 0 ? stale_t : last_t; }
};

// The increase of a counter from a to b as rate() sees it: b - a, or b after a reset (b < a).
inline double CounterStep(double a, double b) { return b < a ? b : b - a; }

// Aggregates raw samples (sorted by time, unique timestamps, stale markers included) into
// windows of `resolution_ms`, appending to *out. Stale markers end the window before them as
// the format says. REQUIRES: resolution_ms > 0; the samples come after every window in *out.
void AggregateSamples(std::span<const model::Sample> samples, int64_t resolution_ms,
                      std::vector<AggrWindow>* out);

// Combines finer windows (sorted, e.g. 5m) into windows of the coarser `resolution_ms` (1h),
// appending to *out. REQUIRES: resolution_ms a multiple of the input's resolution.
void AggregateWindows(std::span<const AggrWindow> windows, int64_t resolution_ms,
                      std::vector<AggrWindow>* out);

// Turns raw samples into one-sample windows (stale markers attached to the window before, or
// dropped when first), so raw and downsampled parts of a series can be viewed together.
void SamplesAsWindows(std::span<const model::Sample> samples, std::vector<AggrWindow>* out);

// Which aggregate a function reads.
enum class AggrView {
  kLast,     // Instant selectors and every other function: each window's first and last sample.
  kCounter,  // rate, increase, irate, resets, changes: a reset-free counter (below).
  kMin,      // min_over_time: the window's min at its last sample's time.
  kMax,      // max_over_time: max.
  kSum,      // sum_over_time, count_over_time, avg_over_time: the window's sum, with its count
             // in the counts vector.
};
AggrView ViewForFunction(std::string_view func);
// Whether a view's points carry counts (how many raw samples each stands for): kCounter, kSum.
constexpr bool ViewHasCounts(AggrView v) { return v == AggrView::kCounter || v == AggrView::kSum; }

// Appends the samples the view gives of `windows` (sorted by time) that lie in [start, end];
// for kSum and kCounter also, to *counts (when not null), how many raw samples each stands for:
// kSum the window's count; kCounter 1 for a window's first sample and the rest of the window's
// count for its last, so the counts of the samples after a sample, up to and including another,
// add up to the raw samples between them (rate() extrapolates with the raw sampling interval).
// Stale samples count 0. The counter view is a
// counter without resets whose increases between consecutive samples are the true increases
// (window inc, and the step between windows with the reset rule), anchored so that its last
// sample equals the last window's real last value: it joins the raw samples that follow
// without a step. Each window with a stale marker gives a stale sample at stale_t after its own.
void AppendView(std::span<const AggrWindow> windows, AggrView view, int64_t start, int64_t end,
                std::vector<model::Sample>* out, std::vector<uint32_t>* counts);

// The times the evaluator reads a selector at (SelectHints): ref_i = first_ref_ms + i *
// ref_step_ms for i in [0, ref_count), each read taking the samples in [ref_i - range_ms,
// ref_i] (a range-vector selector, range_ms > 0) or the latest sample at or before ref_i (an
// instant selector, range_ms 0).
struct ReadGrid {
  int64_t first_ref_ms = 0;
  int64_t ref_step_ms = 0;  // 0: every read at first_ref_ms.
  int64_t ref_count = 0;
  int64_t range_ms = 0;
};

struct SelectHints;  // storage/querier.h
// The reads a selector's hints announce.
ReadGrid ReadGridOf(const SelectHints& hints);

// Whether ThinView keeps every answer of `func` (the view ViewForFunction gives it) over a
// selector with this range: rate and increase, min/max/sum/count/avg_over_time, and instant
// selectors (range 0, no function or timestamp()).
bool CanThinView(std::string_view func, int64_t range_ms);

// Drops the points of a view (AppendView's samples, with its counts for kSum and kCounter;
// `counts` empty otherwise) that no read of `grid` tells apart. Read boundaries (ref_i and
// ref_i - range_ms) cut the time line into segments whose points every read takes all or none
// of; a point exactly at a boundary is a segment of its own, so the result holds whether a
// read's ends are open or closed. Per segment: kCounter keeps its first and last non-stale
// points (the counts of dropped points go to the next kept point, so the raw samples between
// any two kept points stay what they were); kMin, kMax and kSum keep one point at the last
// non-stale point's time with the segment's min, max (NaN as min/max_over_time treat it) or
// sum and count; kLast (instant selectors) keeps the last point, stale or not. Stale points
// are dropped from the other views, as range functions skip them. A kCounter segment whose
// values go down anywhere (a counter reset to a negative value) and a kCounter or kSum segment
// whose counts would not fit 32 bits keep every point. REQUIRES: CanThinView for
// the view's function; samples sorted by time, counts in step with them or empty. A grid
// with no reads, a negative step or a negative range leaves the view as it is.
void ThinView(AggrView view, const ReadGrid& grid, std::vector<model::Sample>* samples,
              std::vector<uint32_t>* counts);

// ThinView of raw samples (a count of 1 each) for kCounter, kSum, kMin and kMax, in the usual
// case: the same samples, and for kCounter and kSum the same counts, that ThinView gives with
// a count of 1 for every sample (kMin and kMax: with none; *counts is left as it is), found a
// segment at a time without writing a count per sample first. False, with *samples and
// *counts as they were, for kLast, when a segment holds a NaN (stale markers too) or a
// counter's values go down, or when the grid says nothing sane (ThinView then keeps every
// point): ThinView does those.
bool ThinRawView(AggrView view, const ReadGrid& grid, std::vector<model::Sample>* samples,
                 std::vector<uint32_t>* counts);

// AppendView and then ThinView of what it appended, in one pass (the same samples and counts;
// no view of every window is built first). REQUIRES: as for both; when `view` is kSum or
// kCounter and `counts` is not null, counts->size() == out->size().
void AppendThinView(std::span<const AggrWindow> windows, AggrView view, int64_t start, int64_t end,
                    const ReadGrid& grid, std::vector<model::Sample>* out,
                    std::vector<uint32_t>* counts);

// The adaptive rule: the coarsest resolution (0, 5m or 1h) that may serve a selector with this
// range (range-vector selector: range >= 5 x R) or step (instant selector of a range query:
// step >= R; instant queries have step 0, so raw), capped by `max_resolution_ms`.
int64_t AllowedResolution(int64_t range_ms, int64_t step_ms, int64_t max_resolution_ms);

// Parses a max_source_resolution value as Thanos takes it: "auto" (kAutoResolution), "raw" or
// "0s" (0), a number of seconds ("0", "300", "3600") or a duration ("5m", "1h"; any duration
// is a cap: "10m" allows 5m data).
// InvalidArgument otherwise.
Result<int64_t> ParseMaxSourceResolution(std::string_view text);

// "5m", "1h", "raw" (messages, labels).
std::string ResolutionName(int64_t resolution_ms);

}  // namespace strata::storage
