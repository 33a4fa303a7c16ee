// The numeric core of PromQL's functions, kept apart from the evaluator: range-vector
// functions (rate, *_over_time, ...), element-wise functions of an instant vector (abs, round,
// trig, date parts, ...), and the quantile helpers shared by quantile, quantile_over_time and
// histogram_quantile. Semantics follow Prometheus v2.53 promql/functions.go and quantile.go,
// floats only (no native histograms). Private to query/. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "query/value.h"

namespace strata::query::funcs {

// A range-vector function, evaluated once per output step per series.
//   window:      the series' samples in [t - range_ms, t] (after offset/@ are applied, so
//                these are sample times, not step times), sorted by time, stale markers
//                already removed; never empty (the evaluator skips empty windows, except for
//                absent_over_time which it handles itself).
//   t:           the evaluation time of the window's right edge (sample-time frame), except for
//                functions whose RangeFunction::t_is_step_time is set (predict_linear), which
//                want the step's own evaluation time instead; see there.
//   range_ms:    the selector's range.
//   scalar_args: the values of the function's scalar arguments at this step, in call order,
//                excluding the range vector (e.g. quantile_over_time(0.9, x[5m]) -> {0.9},
//                predict_linear(x[5m], 60) -> {60}, holt_winters(x[5m], 0.5, 0.1) -> {0.5, 0.1}).
// Returns nullopt when the function yields no sample for this step: rate, increase, delta,
// irate, idelta, deriv, predict_linear and holt_winters need at least 2 samples (irate and
// idelta also need the last two at different times); holt_winters also returns nullopt for
// arguments that ValidateHoltWintersArgs rejects. All others always return a value.
using RangeFn = std::optional<double> (*)(std::span<const FPoint> window, int64_t t,
                                          int64_t range_ms, std::span<const double> scalar_args);

struct RangeFunction {
  std::string_view name;
  RangeFn fn;
  // Index of the range-vector argument in the call (0 except quantile_over_time: 1).
  int matrix_arg = 0;
  // Whether the result drops the metric name. As in Prometheus 2.53 (engine.go), every
  // range-vector function drops __name__ except last_over_time, which acts like an offset and
  // keeps the input's labels unchanged.
  bool drops_metric_name = true;
  // When true, pass as `t` the step's evaluation time (Prometheus' enh.Ts) rather than the
  // window's right edge. Only predict_linear: Prometheus computes its intercept at enh.Ts, which
  // with `offset d` is the step time (not step - d), and with `@ T` is the step time of each step
  // (predict_linear is not step-invariant), e.g. predict_linear(x[50m] @ 3000, 3600) evaluated
  // at 600s extrapolates to 600s + 3600s from the samples in [0s, 3000s].
  bool t_is_step_time = false;
};

// nullptr when `name` is not a range-vector function implemented here: rate, increase, delta,
// irate, idelta, changes, resets, deriv, predict_linear, holt_winters, avg_over_time,
// sum_over_time, count_over_time, min_over_time, max_over_time, stddev_over_time,
// stdvar_over_time, quantile_over_time, last_over_time, present_over_time, mad_over_time.
// (absent_over_time is the evaluator's.) Cost: a scan of a table of ~20 entries.
const RangeFunction* LookupRangeFunction(std::string_view name);

// rate() (is_rate) or increase() of `window` as the "rate" / "increase" table entries give it,
// without scanning the window for counter resets: `resets` are the window's resets, as
// indices into the window (each k >= 1 with window[k].v < window[k - 1].v), ascending. The
// evaluator finds a series' resets once and slides over them, so a long range over many steps
// is not a scan per step. With a default `raw` the value is bit-identical to the table
// entries'.
//
// Downsampled points (a window's first and last sample) stand for several raw samples each;
// `raw` then tells the extrapolation what raw samples would have told it:
//   intervals:      the raw sampling intervals from the window's first point to its last (0:
//                   window.size() - 1), so that the extrapolation threshold and the half
//                   interval at a series' start or end are the raw sampling interval's;
//   sampled_before: the series had samples between the range's start and the first point (the
//                   first point's downsampled window began before the range), so the change is
//                   extrapolated all the way to the start, as raw samples there would have it;
//   sampled_after:  the same between the last point and the range's end.
struct RawSampling {
  double intervals = 0;
  bool sampled_before = false;
  bool sampled_after = false;
};
std::optional<double> CounterRateWithResets(std::span<const FPoint> window,
                                            std::span<const uint32_t> resets, int64_t t,
                                            int64_t range_ms, bool is_rate,
                                            const RawSampling& raw = {});

// min_over_time (max = false) or max_over_time over windows that slide forward over one
// series' points, O(1) amortized a step instead of a scan per window, with the table entries'
// values bit for bit: the least (greatest) non-NaN value, the earliest of equal ones (so of
// -0 and +0 the first), or the window's last value when every value is NaN.
class SlidingExtremum {
 public:
  explicit SlidingExtremum(bool max) : max_(max) {}
  // Starts over for another series.
  void Reset() {
    head_ = 0;
    chunks_.clear();
    next_ = 0;
  }
  // The value for window points[lo, hi) (lo < hi). Between Resets, `points` is the same and
  // lo and hi never decrease from one call to the next.
  double Value(std::span<const FPoint> points, size_t lo, size_t hi);

 private:
  // Points a call added, [start, end), and their extremum by min/max_over_time's rule.
  struct Chunk {
    double value;
    size_t start;
    size_t end;
  };
  // min/max_over_time's rule over points[start, end) (start < end): NaN only when all are.
  double Extremum(std::span<const FPoint> points, size_t start, size_t end) const;

  bool max_;
  // Candidates chunks_[head_..]: increasing position, monotone value; chunks whose points are
  // all NaN are left out.
  std::vector<Chunk> chunks_;
  size_t head_ = 0;
  size_t next_ = 0;  // Points before this one were offered.
};

// holt_winters(x, sf, tf) argument check, which Prometheus does on every call of the function
// (i.e. for each series and step with a non-empty window, before looking at the sample count),
// aborting the whole query. Call it with the same scalar_args before each holt_winters call;
// a non-OK result is the query's error. Returns FailedPrecondition (Prometheus: HTTP 422
// "execution") "invalid smoothing factor. Expected: 0 < sf < 1, got: 1.000000" unless
// 0 < sf < 1, then likewise "invalid trend factor. Expected: 0 < tf < 1, got: ..." for tf.
// As in Prometheus a NaN factor passes (and the result is NaN).
Status ValidateHoltWintersArgs(double sf, double tf);

// An element-wise function of an instant vector's value.
//   v:           the sample value (for date functions: a Unix time in seconds).
//   scalar_args: the function's scalar arguments at this step, in call order after the vector
//                (round(x, 5) -> {5}; clamp(x, 0, 1) -> {0, 1}); empty when omitted.
// Date functions called without an argument (hour(), year(), ...) use the step time: pass
// v = static_cast<double>(step_ms / 1000) (integer division, as Prometheus' enh.Ts/1000) and
// give the result empty labels. Date functions convert v as Go's int64(v) on amd64 does (NaN,
// ±Inf and out-of-range values become INT64_MIN) and then follow Go's calendar arithmetic, so
// they return a number (never NaN) for every input, matching Prometheus.
using ElementFn = double (*)(double v, std::span<const double> scalar_args);

struct ElementFunction {
  std::string_view name;
  ElementFn fn;
  // True for every function here: Prometheus drops __name__ for all of them.
  bool drops_metric_name = true;
};

// nullptr when `name` is not an element-wise function implemented here. Covers abs, ceil,
// floor, exp, sqrt, ln, log2, log10, sgn, round, clamp, clamp_min, clamp_max, all trig and
// hyperbolic functions, deg, rad, and the date functions day_of_month, day_of_week,
// day_of_year, days_in_month, hour, minute, month, year (UTC).
// (pi, time, timestamp, vector, scalar, sort*, label_*, absent and histogram_* are the
// evaluator's.) Cost: a scan of a table of ~40 entries.
const ElementFunction* LookupElementFunction(std::string_view name);

// True when clamp(x, min, max) yields an empty vector at this step: Prometheus returns no
// samples at all when max < min (NaN bounds do not count: they make every value NaN instead).
// `scalar_args` is clamp's {min, max}. The evaluator must check this once per step and then
// not call clamp's fn (whose value is meaningless in that case).
bool ClampArgsEmpty(std::span<const double> scalar_args);

// The φ-quantile of `values` as PromQL's quantile aggregation computes it (linear
// interpolation between closest ranks; φ < 0 -> -Inf, φ > 1 -> +Inf, NaN φ -> NaN, empty ->
// NaN). NaN values sort below all others. Reorders `values`.
double Quantile(double phi, std::vector<double>* values);

struct Bucket {
  double upper_bound;  // the `le` label value
  double count;        // cumulative count
};

// histogram_quantile over one classic histogram's buckets, as Prometheus 2.53 does it
// (bucketQuantile): NaN φ -> NaN, φ < 0 -> -Inf, φ > 1 -> +Inf (checked first); otherwise sorts
// by upper bound, requires the highest bound to be +Inf (else NaN), merges buckets with equal
// bounds (summing counts), ignores count differences within a relative 1e-12 and then forces
// counts to be non-decreasing, and returns NaN when fewer than 2 buckets remain or the +Inf
// count is 0. A quantile in the +Inf bucket yields the second-highest bound; one in the lowest
// bucket interpolates from 0, unless that bucket's bound is <= 0, which is then returned.
// Empty input -> NaN. Reorders and may modify `buckets`.
// `forced_monotonic`, when not null, is set to whether a decrease had to be removed (Prometheus
// reports it as the info annotation "input to histogram_quantile needed to be fixed for
// monotonicity").
double BucketQuantile(double phi, std::vector<Bucket>* buckets, bool* forced_monotonic = nullptr);

}  // namespace strata::query::funcs
