#include "storage/downsample.h"

#include <algorithm>
#include <cmath>

#include "base/duration.h"

namespace strata::storage {
namespace {

int64_t Bucket(int64_t t, int64_t resolution_ms) {
  int64_t b = t / resolution_ms;
  if (t % resolution_ms != 0 && t < 0) --b;  // Floor, also before 1970.
  return b;
}

// min_over_time's NaN rule: a NaN is replaced by any later value.
double MinOf(double a, double b) { return (std::isnan(a) || b < a) ? b : a; }
double MaxOf(double a, double b) { return (std::isnan(a) || b > a) ? b : a; }

AggrWindow OneSample(const model::Sample& s) {
  AggrWindow w;
  w.first_t = w.last_t = s.timestamp_ms;
  w.count = 1;
  w.sum = w.min = w.max = w.first = w.last = s.value;
  w.inc = 0;
  return w;
}

// Attaches a stale marker at t to the window before it, unless one is there already.
void AttachStale(int64_t t, std::vector<AggrWindow>* out) {
  if (!out->empty() && out->back().stale_t == 0 && out->back().last_t < t) {
    out->back().stale_t = t;
  }
}

}  // namespace

void AggregateSamples(std::span<const model::Sample> samples, int64_t resolution_ms,
                      std::vector<AggrWindow>* out) {
  for (const model::Sample& s : samples) {
    if (model::IsStaleNaN(s.value)) {
      AttachStale(s.timestamp_ms, out);
      continue;
    }
    if (!out->empty()) {
      AggrWindow& w = out->back();
      if (Bucket(w.last_t, resolution_ms) == Bucket(s.timestamp_ms, resolution_ms) &&
          s.timestamp_ms > w.last_t) {
        // A stale marker followed by more samples in the same window: the series went on.
        w.stale_t = 0;
        w.count++;
        w.sum += s.value;
        w.min = MinOf(w.min, s.value);
        w.max = MaxOf(w.max, s.value);
        w.inc += CounterStep(w.last, s.value);
        w.last = s.value;
        w.last_t = s.timestamp_ms;
        continue;
      }
    }
    out->push_back(OneSample(s));
  }
}

void AggregateWindows(std::span<const AggrWindow> windows, int64_t resolution_ms,
                      std::vector<AggrWindow>* out) {
  for (const AggrWindow& in : windows) {
    if (!out->empty()) {
      AggrWindow& w = out->back();
      if (Bucket(w.last_t, resolution_ms) == Bucket(in.first_t, resolution_ms) &&
          in.first_t > w.last_t) {
        w.count += in.count;
        w.sum += in.sum;
        w.min = MinOf(w.min, in.min);
        w.max = MaxOf(w.max, in.max);
        w.inc += CounterStep(w.last, in.first) + in.inc;
        w.last = in.last;
        w.last_t = in.last_t;
        w.stale_t = in.stale_t;  // Only the last window's marker ends the coarse window.
        continue;
      }
    }
    out->push_back(in);
  }
}

void SamplesAsWindows(std::span<const model::Sample> samples, std::vector<AggrWindow>* out) {
  for (const model::Sample& s : samples) {
    if (model::IsStaleNaN(s.value)) {
      AttachStale(s.timestamp_ms, out);
    } else {
      out->push_back(OneSample(s));
    }
  }
}

AggrView ViewForFunction(std::string_view func) {
  if (func == "rate" || func == "increase" || func == "irate" || func == "resets" ||
      func == "changes") {
    return AggrView::kCounter;
  }
  if (func == "min_over_time") return AggrView::kMin;
  if (func == "max_over_time") return AggrView::kMax;
  if (func == "sum_over_time" || func == "count_over_time" || func == "avg_over_time") {
    return AggrView::kSum;
  }
  return AggrView::kLast;
}

void AppendView(std::span<const AggrWindow> windows, AggrView view, int64_t start, int64_t end,
                std::vector<model::Sample>* out, std::vector<uint32_t>* counts) {
  const bool weighted = view == AggrView::kSum || view == AggrView::kCounter;
  auto emit = [&](int64_t t, double v, uint64_t count) {
    if (t < start || t > end) return;
    out->push_back({t, v});
    if (counts != nullptr && weighted) {
      counts->push_back(static_cast<uint32_t>(std::min<uint64_t>(count, UINT32_MAX)));
    }
  };
  out->reserve(out->size() +
               (view == AggrView::kLast || view == AggrView::kCounter ? 2 : 1) * windows.size());
  // The counter view's value at each window's last sample, anchored at the end.
  thread_local std::vector<double> c;
  c.clear();
  if (view == AggrView::kCounter && !windows.empty()) {
    c.resize(windows.size());
    c.back() = windows.back().last;
    for (size_t i = windows.size() - 1; i > 0; --i) {
      c[i - 1] = c[i] - windows[i].inc - CounterStep(windows[i - 1].last, windows[i].first);
    }
  }
  for (size_t i = 0; i < windows.size(); ++i) {
    const AggrWindow& w = windows[i];
    switch (view) {
      case AggrView::kLast:
        if (w.first_t != w.last_t) emit(w.first_t, w.first, 1);
        emit(w.last_t, w.last, 1);
        break;
      case AggrView::kCounter:
        // The first sample stands for itself, the last for every later one of the window.
        if (w.first_t != w.last_t) emit(w.first_t, c[i] - w.inc, 1);
        emit(w.last_t, c[i], w.first_t != w.last_t && w.count > 1 ? w.count - 1 : 1);
        break;
      case AggrView::kMin:
        emit(w.last_t, w.min, 1);
        break;
      case AggrView::kMax:
        emit(w.last_t, w.max, 1);
        break;
      case AggrView::kSum:
        emit(w.last_t, w.sum, w.count);
        break;
    }
    if (w.stale_t != 0) emit(w.stale_t, model::StaleNaN(), 0);
  }
}

bool CanThinView(std::string_view func, int64_t range_ms) {
  if (range_ms == 0) return func.empty() || func == "timestamp";
  return func == "rate" || func == "increase" || func == "min_over_time" ||
         func == "max_over_time" || func == "sum_over_time" || func == "count_over_time" ||
         func == "avg_over_time";
}

namespace {

// a / b (truncating) for b > 0, in 64 bits when a fits (no call into the 128-bit routine).
__int128 DivBy(__int128 a, int64_t b) {
  if (a >= INT64_MIN && a <= INT64_MAX) return static_cast<int64_t>(a) / b;
  return a / b;
}

// The boundaries of a read grid: b_j = ref_j and, for range reads, a_j = ref_j - range.
class GridCuts {
 public:
  explicit GridCuts(const ReadGrid& g)
      : first_(g.first_ref_ms),
        step_(g.ref_step_ms),
        count_(g.ref_step_ms == 0 ? std::min<int64_t>(g.ref_count, 1) : g.ref_count),
        range_(g.range_ms) {}

  // The first time after t that starts a new segment: t + 1 when t is a boundary (a segment
  // of its own), else the next boundary; INT64_MAX (as __int128) when none follows.
  __int128 NextCut(int64_t t) const {
    if (IsBoundary(t, 0) || (range_ > 0 && IsBoundary(t, range_))) return __int128{t} + 1;
    __int128 next = Next(t, 0);
    if (range_ > 0) next = std::min(next, Next(t, range_));
    return next;
  }

 private:
  // The boundary family ref_j - shift.
  bool IsBoundary(int64_t t, int64_t shift) const {
    if (count_ <= 0) return false;
    const __int128 d = __int128{t} + shift - first_;
    if (step_ == 0) return d == 0;
    if (d < 0) return false;
    const __int128 q = DivBy(d, step_);
    return q * step_ == d && q < count_;
  }
  // The smallest ref_j - shift > t, or INT64_MAX.
  __int128 Next(int64_t t, int64_t shift) const {
    constexpr __int128 kNone = INT64_MAX;
    if (count_ <= 0) return kNone;
    const __int128 d = __int128{t} + shift - first_;  // ref_j - shift > t  <=>  j * step > d.
    __int128 j = 0;
    if (step_ == 0) {
      if (d >= 0) return kNone;
    } else if (d >= 0) {
      j = DivBy(d, step_) + 1;
    }
    if (j >= count_) return kNone;
    return __int128{first_} + j * step_ - shift;
  }

  int64_t first_;
  int64_t step_;
  int64_t count_;
  int64_t range_;
};

}  // namespace

void ThinView(AggrView view, const ReadGrid& grid, std::vector<model::Sample>* samples,
              std::vector<uint32_t>* counts) {
  // A grid that says nothing (or nothing sane) about the reads: every point stays.
  if (grid.ref_count <= 0 || grid.ref_step_ms < 0 || grid.range_ms < 0) return;
  std::vector<model::Sample>& s = *samples;
  const bool weighted = counts != nullptr && counts->size() == s.size() && !s.empty();
  auto count = [&](size_t i) -> uint64_t { return weighted ? (*counts)[i] : 1; };
  const GridCuts cuts(grid);
  size_t out = 0;
  auto keep = [&](int64_t t, double v, uint64_t n) {
    s[out] = {t, v};
    if (weighted) (*counts)[out] = static_cast<uint32_t>(std::min<uint64_t>(n, UINT32_MAX));
    ++out;
  };
  size_t i = 0;
  while (i < s.size()) {
    const __int128 cut = cuts.NextCut(s[i].timestamp_ms);
    size_t j = i + 1;
    while (j < s.size() && s[j].timestamp_ms < cut) ++j;
    // Segment [i, j).
    if (view == AggrView::kLast) {
      keep(s[j - 1].timestamp_ms, s[j - 1].value, count(j - 1));
      i = j;
      continue;
    }
    size_t first = j, last = j;  // Non-stale points.
    for (size_t k = i; k < j; ++k) {
      if (model::IsStaleNaN(s[k].value)) continue;
      if (first == j) first = k;
      last = k;
    }
    if (first == j) {  // Only stale points: dropped.
      i = j;
      continue;
    }
    // The segment's raw samples (stale points count 0), and whether a counter view goes down
    // in it (a "counter" reset to a negative value: rate() must see each drop). Such a
    // segment, or one whose counts would not fit the folded point, keeps every point.
    uint64_t total = 0;
    bool goes_down = false;
    double prev = s[first].value;
    for (size_t k = first; k <= last; ++k) {
      if (model::IsStaleNaN(s[k].value)) continue;
      total += count(k);
      goes_down = goes_down || s[k].value < prev;
      prev = s[k].value;
    }
    const bool folded = view == AggrView::kCounter || view == AggrView::kSum;
    if (folded && ((view == AggrView::kCounter && goes_down) || total > UINT32_MAX)) {
      for (size_t k = i; k < j; ++k) keep(s[k].timestamp_ms, s[k].value, count(k));
      i = j;
      continue;
    }
    if (view == AggrView::kCounter) {
      // The first point, and the last standing for every raw sample after the first.
      keep(s[first].timestamp_ms, s[first].value, count(first));
      if (last != first) keep(s[last].timestamp_ms, s[last].value, total - count(first));
      i = j;
      continue;
    }
    double v = s[first].value;
    for (size_t k = first + 1; k <= last; ++k) {
      const double x = s[k].value;
      if (model::IsStaleNaN(x)) continue;
      switch (view) {
        case AggrView::kMin:
          if (v > x || std::isnan(v)) v = x;
          break;
        case AggrView::kMax:
          if (v < x || std::isnan(v)) v = x;
          break;
        default:  // kSum.
          v += x;
          break;
      }
    }
    keep(s[last].timestamp_ms, v, total);
    i = j;
  }
  s.resize(out);
  if (weighted) counts->resize(out);
}

int64_t AllowedResolution(int64_t range_ms, int64_t step_ms, int64_t max_resolution_ms) {
  int64_t r = 0;
  for (int64_t res : {kResolution1h, kResolution5m}) {
    bool ok = range_ms > 0 ? range_ms >= 5 * res : step_ms >= res;
    if (ok) {
      r = res;
      break;
    }
  }
  return std::min(r, max_resolution_ms);
}

Result<int64_t> ParseMaxSourceResolution(std::string_view text) {
  if (text == "auto") return kAutoResolution;
  if (text == "raw") return int64_t{0};
  auto d = ParseDurationMillis(text);
  if (!d.ok() || *d < 0) {
    return Status::InvalidArgument("\"" + std::string(text) +
                                   "\" is not a resolution: use raw (or 0s), 5m, 1h or auto");
  }
  return *d;
}

std::string ResolutionName(int64_t resolution_ms) {
  if (resolution_ms == 0) return "raw";
  if (resolution_ms % kResolution1h == 0)
    return std::to_string(resolution_ms / kResolution1h) + "h";
  if (resolution_ms % 60000 == 0) return std::to_string(resolution_ms / 60000) + "m";
  return std::to_string(resolution_ms) + "ms";
}

}  // namespace strata::storage
