// The range-vector functions (rate, deriv, holt_winters, *_over_time, ...) and their lookup
// table, reproducing Prometheus v2.53 promql/functions.go for float samples, including its
// Kahan-Neumaier summation and the order of floating-point operations. Pure; thread-safe.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "query/funcs/function_impls.h"

namespace strata::query::funcs {
namespace {

using Window = std::span<const FPoint>;
using Args = std::span<const double>;
using MaybeValue = std::optional<double>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Prometheus' kahanSumInc: Neumaier's variant, which also compensates when the increment is
// larger than the running sum. The caller adds `c` at the end (unless the sum is infinite).
struct KahanSum {
  double sum = 0;
  double c = 0;

  void Add(double inc) {
    const double t = sum + inc;
    if (std::fabs(sum) >= std::fabs(inc)) {
      c += (sum - t) + inc;
    } else {
      c += (inc - t) + sum;
    }
    sum = t;
  }
  double Value() const { return sum + c; }
};

// Go's time.Duration.Seconds() for a duration of `ms` milliseconds: whole seconds plus the
// nanosecond remainder, each converted separately.
double DurationSeconds(int64_t ms) {
  const int64_t sec = ms / 1000;
  const int64_t nsec = (ms % 1000) * 1000000;
  return static_cast<double>(sec) + static_cast<double>(nsec) / 1e9;
}

// extrapolatedRate: the change over the window (counter resets added back when is_counter),
// extrapolated towards the range boundaries when the first/last samples are near them.
// The extrapolation, given the window's change `result` (resets added back for a counter).
// `sampled_before` / `sampled_after`: the series is known to have samples between the range's
// start and the first point / the last point and the range's end (downsampled points, whose
// window's other samples are not in the window): extrapolate all the way there.
MaybeValue Extrapolate(Window w, int64_t t, int64_t range_ms, bool is_counter, bool is_rate,
                       double result, double num_samples_minus_one, bool sampled_before = false,
                       bool sampled_after = false) {
  const int64_t range_start = t - range_ms;
  const int64_t range_end = t;
  const int64_t first_t = w.front().t;
  const int64_t last_t = w.back().t;

  double duration_to_start = static_cast<double>(first_t - range_start) / 1000;
  double duration_to_end = static_cast<double>(range_end - last_t) / 1000;
  const double sampled_interval = static_cast<double>(last_t - first_t) / 1000;
  const double average_duration_between_samples = sampled_interval / num_samples_minus_one;

  // Extrapolate only as far as another sample would plausibly be (1.1 average intervals,
  // allowing for jitter); otherwise by half an interval.
  const double extrapolation_threshold = average_duration_between_samples * 1.1;
  double extrapolate_to_interval = sampled_interval;

  if (duration_to_start >= extrapolation_threshold && !sampled_before) {
    duration_to_start = average_duration_between_samples / 2;
  }
  if (is_counter && result > 0 && w.front().v >= 0) {
    // A counter cannot go below zero: stop the left extrapolation where the slope reaches it.
    const double duration_to_zero = sampled_interval * (w.front().v / result);
    if (duration_to_zero < duration_to_start) duration_to_start = duration_to_zero;
  }
  extrapolate_to_interval += duration_to_start;

  if (duration_to_end >= extrapolation_threshold && !sampled_after) {
    duration_to_end = average_duration_between_samples / 2;
  }
  extrapolate_to_interval += duration_to_end;

  double factor = extrapolate_to_interval / sampled_interval;
  if (is_rate) factor /= DurationSeconds(range_ms);
  return result * factor;
}

MaybeValue ExtrapolatedRate(Window w, int64_t t, int64_t range_ms, bool is_counter, bool is_rate) {
  if (w.size() < 2) return std::nullopt;
  double result = w.back().v - w.front().v;
  if (is_counter) {
    double prev = w.front().v;
    for (const FPoint& p : w.subspan(1)) {
      if (p.v < prev) result += prev;
      prev = p.v;
    }
  }
  return Extrapolate(w, t, range_ms, is_counter, is_rate, result,
                     static_cast<double>(w.size() - 1));
}

MaybeValue Rate(Window w, int64_t t, int64_t range_ms, Args) {
  return ExtrapolatedRate(w, t, range_ms, /*is_counter=*/true, /*is_rate=*/true);
}

MaybeValue Increase(Window w, int64_t t, int64_t range_ms, Args) {
  return ExtrapolatedRate(w, t, range_ms, /*is_counter=*/true, /*is_rate=*/false);
}

MaybeValue Delta(Window w, int64_t t, int64_t range_ms, Args) {
  return ExtrapolatedRate(w, t, range_ms, /*is_counter=*/false, /*is_rate=*/false);
}

// instantValue: from the last two samples only.
MaybeValue InstantValue(Window w, bool is_rate) {
  if (w.size() < 2) return std::nullopt;
  const FPoint& last = w[w.size() - 1];
  const FPoint& previous = w[w.size() - 2];
  double result;
  if (is_rate && last.v < previous.v) {
    result = last.v;  // Counter reset: the counter restarted from 0.
  } else {
    result = last.v - previous.v;
  }
  const int64_t sampled_interval = last.t - previous.t;
  if (sampled_interval == 0) return std::nullopt;
  if (is_rate) result /= static_cast<double>(sampled_interval) / 1000;
  return result;
}

MaybeValue Irate(Window w, int64_t, int64_t, Args) { return InstantValue(w, /*is_rate=*/true); }

MaybeValue Idelta(Window w, int64_t, int64_t, Args) { return InstantValue(w, /*is_rate=*/false); }

MaybeValue Changes(Window w, int64_t, int64_t, Args) {
  int changes = 0;
  double prev = w.front().v;
  for (const FPoint& p : w.subspan(1)) {
    if (p.v != prev && !(std::isnan(p.v) && std::isnan(prev))) ++changes;
    prev = p.v;
  }
  return static_cast<double>(changes);
}

MaybeValue Resets(Window w, int64_t, int64_t, Args) {
  int resets = 0;
  double prev = w.front().v;
  for (const FPoint& p : w.subspan(1)) {
    if (p.v < prev) ++resets;
    prev = p.v;
  }
  return static_cast<double>(resets);
}

struct Regression {
  double slope;
  double intercept;
};

// Least-squares fit of value against seconds since `intercept_ms` (kept near the samples for
// precision); the intercept is the fitted value at `intercept_ms`.
Regression LinearRegression(Window w, int64_t intercept_ms) {
  double n = 0;
  KahanSum sum_x;
  KahanSum sum_y;
  KahanSum sum_xy;
  KahanSum sum_x2;
  const double init_y = w.front().v;
  bool const_y = true;
  for (size_t i = 0; i < w.size(); ++i) {
    const FPoint& p = w[i];
    if (const_y && i > 0 && p.v != init_y) const_y = false;
    n += 1.0;
    const double x = static_cast<double>(p.t - intercept_ms) / 1e3;
    sum_x.Add(x);
    sum_y.Add(p.v);
    sum_xy.Add(x * p.v);
    sum_x2.Add(x * x);
  }
  if (const_y) {
    if (std::isinf(init_y)) return {kNaN, kNaN};
    return {0, init_y};
  }
  const double sx = sum_x.Value();
  const double sy = sum_y.Value();
  const double sxy = sum_xy.Value();
  const double sx2 = sum_x2.Value();
  const double cov_xy = sxy - sx * sy / n;
  const double var_x = sx2 - sx * sx / n;
  const double slope = cov_xy / var_x;
  const double intercept = sy / n - slope * sx / n;
  return {slope, intercept};
}

MaybeValue Deriv(Window w, int64_t, int64_t, Args) {
  if (w.size() < 2) return std::nullopt;
  return LinearRegression(w, w.front().t).slope;
}

// `t` is the step time here (t_is_step_time).
MaybeValue PredictLinear(Window w, int64_t t, int64_t, Args args) {
  if (w.size() < 2 || args.empty()) return std::nullopt;
  const double duration = args[0];
  const Regression r = LinearRegression(w, t);
  return r.slope * duration + r.intercept;
}

bool HoltWintersFactorValid(double f) { return !(f <= 0 || f >= 1); }

// Double exponential smoothing (Holt's linear method) with smoothing factor sf and trend
// factor tf; the trend starts as the first difference.
MaybeValue HoltWinters(Window w, int64_t, int64_t, Args args) {
  if (args.size() < 2) return std::nullopt;
  const double sf = args[0];
  const double tf = args[1];
  if (!HoltWintersFactorValid(sf) || !HoltWintersFactorValid(tf)) return std::nullopt;
  if (w.size() < 2) return std::nullopt;

  double s0 = 0;
  double s1 = w[0].v;
  double b = w[1].v - w[0].v;
  for (size_t i = 1; i < w.size(); ++i) {
    const double x = sf * w[i].v;
    // The trend update is skipped on the first step, where b is still the initial difference.
    if (i - 1 != 0) b = tf * (s1 - s0) + (1 - tf) * b;
    const double y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
}

// An incremental mean, so that large values do not overflow, with special cases so that
// infinities do not turn into NaN through Inf - Inf.
MaybeValue AvgOverTime(Window w, int64_t, int64_t, Args) {
  // Fast path: a compensated sum divided once. Only when the sum overflows (or meets an
  // infinity) does it fall back to Prometheus' incremental mean, which never overflows. Both
  // agree far inside PromQL's 1e-6 test tolerance; the fast path avoids two divisions per
  // sample (Prometheus 3 made the same change).
  {
    KahanSum k;
    for (const FPoint& p : w) k.Add(p.v);
    if (std::isfinite(k.sum)) return k.Value() / static_cast<double>(w.size());
    if (std::isnan(k.sum)) {
      bool any_inf = false;
      for (const FPoint& p : w) any_inf |= std::isinf(p.v);
      if (!any_inf) return k.sum;  // A NaN input: the mean is NaN either way.
    }
  }
  double mean = 0;
  double c = 0;
  double count = 0;
  for (const FPoint& p : w) {
    count++;
    if (std::isinf(mean)) {
      // Same-signed infinities: the mean is already right.
      if (std::isinf(p.v) && (mean > 0) == (p.v > 0)) continue;
      // A finite value cannot change an infinite mean.
      if (!std::isinf(p.v) && !std::isnan(p.v)) continue;
    }
    KahanSum k{mean, c};
    k.Add(p.v / count - mean / count);
    mean = k.sum;
    c = k.c;
  }
  if (std::isinf(mean)) return mean;
  return mean + c;
}

MaybeValue SumOverTime(Window w, int64_t, int64_t, Args) {
  KahanSum k;
  for (const FPoint& p : w) k.Add(p.v);
  if (std::isinf(k.sum)) return k.sum;
  return k.Value();
}

MaybeValue CountOverTime(Window w, int64_t, int64_t, Args) { return static_cast<double>(w.size()); }

// A NaN running value is replaced by whatever comes next, so NaN wins only when all are NaN.
MaybeValue MinOverTime(Window w, int64_t, int64_t, Args) {
  double min = w.front().v;
  for (const FPoint& p : w) {
    if (p.v < min || std::isnan(min)) min = p.v;
  }
  return min;
}

MaybeValue MaxOverTime(Window w, int64_t, int64_t, Args) {
  double max = w.front().v;
  for (const FPoint& p : w) {
    if (p.v > max || std::isnan(max)) max = p.v;
  }
  return max;
}

// Welford's algorithm with Kahan-compensated mean and sum of squares.
double StdvarOverWindow(Window w) {
  double count = 0;
  KahanSum mean;
  KahanSum aux;
  for (const FPoint& p : w) {
    count++;
    const double delta = p.v - (mean.sum + mean.c);
    mean.Add(delta / count);
    aux.Add(delta * (p.v - (mean.sum + mean.c)));
  }
  return (aux.sum + aux.c) / count;
}

MaybeValue StdvarOverTime(Window w, int64_t, int64_t, Args) { return StdvarOverWindow(w); }

MaybeValue StddevOverTime(Window w, int64_t, int64_t, Args) {
  return std::sqrt(StdvarOverWindow(w));
}

MaybeValue QuantileOverTime(Window w, int64_t, int64_t, Args args) {
  if (args.empty()) return std::nullopt;
  std::vector<double> values;
  values.reserve(w.size());
  for (const FPoint& p : w) values.push_back(p.v);
  return Quantile(args[0], &values);
}

MaybeValue LastOverTime(Window w, int64_t, int64_t, Args) { return w.back().v; }

MaybeValue PresentOverTime(Window, int64_t, int64_t, Args) { return 1.0; }

// Median absolute deviation from the median.
MaybeValue MadOverTime(Window w, int64_t, int64_t, Args) {
  std::vector<double> values;
  values.reserve(w.size());
  for (const FPoint& p : w) values.push_back(p.v);
  const double median = Quantile(0.5, &values);
  values.clear();
  for (const FPoint& p : w) values.push_back(std::fabs(p.v - median));
  return Quantile(0.5, &values);
}

constexpr RangeFunction kRangeFunctions[] = {
    {"avg_over_time", AvgOverTime},
    {"changes", Changes},
    {"count_over_time", CountOverTime},
    {"delta", Delta},
    {"deriv", Deriv},
    {"holt_winters", HoltWinters},
    {"idelta", Idelta},
    {"increase", Increase},
    {"irate", Irate},
    {"last_over_time", LastOverTime, /*matrix_arg=*/0, /*drops_metric_name=*/false},
    {"mad_over_time", MadOverTime},
    {"max_over_time", MaxOverTime},
    {"min_over_time", MinOverTime},
    {"predict_linear", PredictLinear, /*matrix_arg=*/0, /*drops_metric_name=*/true,
     /*t_is_step_time=*/true},
    {"present_over_time", PresentOverTime},
    {"quantile_over_time", QuantileOverTime, /*matrix_arg=*/1},
    {"rate", Rate},
    {"resets", Resets},
    {"stddev_over_time", StddevOverTime},
    {"stdvar_over_time", StdvarOverTime},
    {"sum_over_time", SumOverTime},
};

// Go's %f: like C's for finite values, but "+Inf"/"-Inf"/"NaN" otherwise.
std::string GoPercentF(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[512];  // The longest %f of a double is 317 characters (-DBL_MAX).
  std::snprintf(buf, sizeof(buf), "%f", v);
  return buf;
}

}  // namespace

std::optional<double> CounterRateWithResets(std::span<const FPoint> window,
                                            std::span<const uint32_t> resets, int64_t t,
                                            int64_t range_ms, bool is_rate,
                                            const RawSampling& raw) {
  if (window.size() < 2) return std::nullopt;
  double result = window.back().v - window.front().v;
  // The same additions, in the same order, as the scan in ExtrapolatedRate.
  for (uint32_t k : resets) result += window[k - 1].v;
  return Extrapolate(window, t, range_ms, /*is_counter=*/true, is_rate, result,
                     raw.intervals > 0 ? raw.intervals : static_cast<double>(window.size() - 1),
                     raw.sampled_before, raw.sampled_after);
}

double SlidingExtremum::Extremum(std::span<const FPoint> points, size_t start, size_t end) const {
  // The table's loop without a branch per point (a blend): a NaN running value is replaced by
  // the next point, and ties keep the earliest.
  double m = points[start].v;
  if (max_) {
    for (size_t k = start + 1; k < end; ++k) {
      const double v = points[k].v;
      m = ((v > m) | std::isnan(m)) ? v : m;
    }
  } else {
    for (size_t k = start + 1; k < end; ++k) {
      const double v = points[k].v;
      m = ((v < m) | std::isnan(m)) ? v : m;
    }
  }
  return m;
}

double SlidingExtremum::Value(std::span<const FPoint> points, size_t lo, size_t hi) {
  // The points this call adds form chunks: a queue of chunks, each reduced to its extremum in
  // one tight loop, slides faster than a queue of points, whose pops mispredict on noisy
  // series. A window is a run of whole chunks (a range that is a multiple of the step) or
  // starts inside one; then that chunk's part in the window is reduced again.
  auto better = [this](double a, double b) { return max_ ? a > b : a < b; };
  // At most kMaxChunk points a chunk, so a window starting inside one rescans at most that
  // many (a chunk as long as a whole first window would be rescanned at every step).
  constexpr size_t kMaxChunk = 64;
  while (next_ < hi) {
    const size_t end = std::min(hi, next_ + kMaxChunk);
    const double m = Extremum(points, next_, end);
    if (!std::isnan(m)) {
      // Drop candidates the new chunk beats strictly; equal ones stay (the earliest wins).
      while (chunks_.size() > head_ && better(m, chunks_.back().value)) chunks_.pop_back();
      chunks_.push_back({m, next_, end});
    }
    next_ = end;
  }
  while (head_ < chunks_.size() && chunks_[head_].end <= lo) ++head_;
  if (head_ > 1024 && head_ * 2 > chunks_.size()) {  // Keep the buffer small.
    chunks_.erase(chunks_.begin(), chunks_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  if (head_ == chunks_.size()) return points[hi - 1].v;  // Only NaNs: the table's last one.
  const Chunk& front = chunks_[head_];
  if (front.start >= lo) return front.value;
  // The window starts inside the front chunk: its part in the window, then the best of the
  // later chunks (each later chunk is in the queue or beaten by one that is).
  double m = Extremum(points, lo, front.end);
  if (head_ + 1 < chunks_.size()) {
    const double later = chunks_[head_ + 1].value;
    if (std::isnan(m) || better(later, m)) m = later;
  }
  return std::isnan(m) ? points[hi - 1].v : m;
}

const RangeFunction* LookupRangeFunction(std::string_view name) {
  for (const RangeFunction& f : kRangeFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Status ValidateHoltWintersArgs(double sf, double tf) {
  if (!HoltWintersFactorValid(sf)) {
    return Status::FailedPrecondition("invalid smoothing factor. Expected: 0 < sf < 1, got: " +
                                      GoPercentF(sf));
  }
  if (!HoltWintersFactorValid(tf)) {
    return Status::FailedPrecondition("invalid trend factor. Expected: 0 < tf < 1, got: " +
                                      GoPercentF(tf));
  }
  return Status::Ok();
}

}  // namespace strata::query::funcs
