#include "storage/downsample.h"

#include <algorithm>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "base/duration.h"
#include "storage/block/format.h"
#include "storage/querier.h"

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

// An increase that is not a number (a NaN sample at a window's edge, or a window built
// before NaNs were stepped over) is not known: it adds nothing rather than making every
// value of a counter view before it NaN.
double Known(double inc) { return std::isfinite(inc) ? inc : 0; }
double KnownStep(double a, double b) { return Known(CounterStep(a, b)); }

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

// A counter window in which no step was a reset increased by exactly last - first. Summed step
// by step in doubles the increase picks up rounding (0.1 + 0.2 is not 0.3), and the group
// encoding then has to keep it as 8-10 bytes of XORed bits. When first and last are decimals of
// one scale, such a window keeps the exact decimal difference instead (if it agrees with the
// sum to within the rounding the steps can carry, a check that only guards against surprises):
// what the raw samples say, and a short decimal the column stores in a byte or three.
// `had_reset[i]`: whether a step in windows[i] was a reset.
void SnapIncreases(std::span<AggrWindow> windows, const std::vector<uint8_t>& had_reset) {
  thread_local std::vector<int64_t> m;
  for (size_t i = 0; i < windows.size(); ++i) {
    AggrWindow& w = windows[i];
    if (had_reset[i] != 0 || w.count < 2 || !std::isfinite(w.inc) || !std::isfinite(w.first) ||
        !std::isfinite(w.last) || w.inc < 0 || w.first > w.last) {
      continue;
    }
    const double big = std::max({std::fabs(w.first), std::fabs(w.last), w.inc});
    const double tol = 4 * DBL_EPSILON * big * static_cast<double>(w.count);
    if (!(std::fabs(w.inc - (w.last - w.first)) <= tol)) continue;
    int mode = 0, k = 0;
    const double ends[2] = {w.first, w.last};
    if (!block::FindDecimalScale(
            2, [&](size_t j) { return ends[j]; }, &mode, &k, &m)) {
      continue;
    }
    const int64_t diff = m[1] - m[0];  // Both below 2^53 in magnitude: no overflow.
    if (diff < 0 || diff >= block::kMaxDecimalMantissa) continue;
    const double exact = block::DecimalScale(mode, k)(diff);
    if (std::fabs(exact - w.inc) <= tol) w.inc = exact;
  }
}

}  // namespace

void AggregateSamples(std::span<const model::Sample> samples, int64_t resolution_ms,
                      std::vector<AggrWindow>* out) {
  // The windows this call starts, and which of them saw a reset. A window before them that the
  // first samples go on with is never snapped: whether it saw a reset is not known here.
  const size_t base = out->size();
  thread_local std::vector<uint8_t> had_reset;
  had_reset.clear();
  // The back window's last value that is not NaN (NaN: none yet), for its increase. As rate()
  // takes raw samples, a NaN is stepped over: from x over NaNs to y adds y - x, no reset
  // checked (a NaN compares false), so one NaN does not make the window's increase NaN.
  double last_real = out->empty() ? NAN : out->back().last;
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
        if (!std::isnan(s.value) && !std::isnan(last_real)) {
          w.inc += std::isnan(w.last) ? s.value - last_real : CounterStep(w.last, s.value);
          if (s.value < w.last && out->size() > base) had_reset[out->size() - 1 - base] = 1;
        }
        if (!std::isnan(s.value)) last_real = s.value;
        w.last = s.value;
        w.last_t = s.timestamp_ms;
        continue;
      }
    }
    out->push_back(OneSample(s));
    had_reset.push_back(0);
    last_real = s.value;
  }
  SnapIncreases(std::span<AggrWindow>(*out).subspan(base), had_reset);
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
        w.inc += KnownStep(w.last, in.first) + Known(in.inc);
        w.last = in.last;
        w.last_t = in.last_t;
        w.stale_t = in.stale_t;  // Only the last window's marker ends the coarse window.
        continue;
      }
    }
    out->push_back(in);
    out->back().inc = Known(in.inc);
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

namespace {

// The counter view's value at each window's last sample, anchored at the end (at the last
// window's last value, or the last one before it that is a number), in *c. Increases that are
// not numbers add nothing (Known), so the values are numbers wherever the anchor is.
void CounterValues(std::span<const AggrWindow> windows, std::vector<double>* c) {
  c->resize(windows.size());
  if (windows.empty()) return;
  double x = 0;
  c->back() = x;
  for (size_t i = windows.size() - 1; i > 0; --i) {
    x = x - Known(windows[i].inc) - KnownStep(windows[i - 1].last, windows[i].first);
    (*c)[i - 1] = x;
  }
  double shift = 0;
  for (size_t i = windows.size(); i-- > 0;) {
    if (std::isfinite(windows[i].last)) {
      shift = windows[i].last - (*c)[i];
      break;
    }
    if (std::isfinite(windows[i].first)) {
      shift = windows[i].first - ((*c)[i] - Known(windows[i].inc));
      break;
    }
  }
  if (shift != 0) {
    for (double& v : *c) v += shift;
  }
}

// The counter view's first and last point of window i (values c[i] from CounterValues): a
// sample that was NaN stays NaN there, as rate() over raw samples gives NaN for a range that
// begins or ends at it.
double CounterFirst(const AggrWindow& w, double ci) {
  return std::isnan(w.first) ? w.first : ci - Known(w.inc);
}
double CounterLast(const AggrWindow& w, double ci) { return std::isnan(w.last) ? w.last : ci; }

// The points of AppendView's view `V` of `windows` in [start, end], in time order, as
// emit(t, v, count) (count: the raw samples the point stands for, before any clamping).
template <AggrView V, typename Emit>
void ForEachViewPoint(std::span<const AggrWindow> windows, int64_t start, int64_t end,
                      Emit&& emit) {
  auto in_range = [&](int64_t t, double v, uint64_t count) {
    if (t >= start && t <= end) emit(t, v, count);
  };
  thread_local std::vector<double> c;
  if constexpr (V == AggrView::kCounter) CounterValues(windows, &c);
  for (size_t i = 0; i < windows.size(); ++i) {
    const AggrWindow& w = windows[i];
    if constexpr (V == AggrView::kLast) {
      if (w.first_t != w.last_t) in_range(w.first_t, w.first, 1);
      in_range(w.last_t, w.last, 1);
    } else if constexpr (V == AggrView::kCounter) {
      // The first sample stands for itself, the last for every later one of the window.
      if (w.first_t != w.last_t) in_range(w.first_t, CounterFirst(w, c[i]), 1);
      in_range(w.last_t, CounterLast(w, c[i]),
               w.first_t != w.last_t && w.count > 1 ? w.count - 1 : 1);
    } else if constexpr (V == AggrView::kMin) {
      in_range(w.last_t, w.min, 1);
    } else if constexpr (V == AggrView::kMax) {
      in_range(w.last_t, w.max, 1);
    } else {
      in_range(w.last_t, w.sum, w.count);
    }
    if (w.stale_t != 0) [[unlikely]] {
      in_range(w.stale_t, model::StaleNaN(), 0);
    }
  }
}

// Calls f(std::integral_constant<AggrView, view>{}): a view known at compile time.
template <typename F>
void WithView(AggrView view, F&& f) {
  switch (view) {
    case AggrView::kLast:
      return f(std::integral_constant<AggrView, AggrView::kLast>{});
    case AggrView::kCounter:
      return f(std::integral_constant<AggrView, AggrView::kCounter>{});
    case AggrView::kMin:
      return f(std::integral_constant<AggrView, AggrView::kMin>{});
    case AggrView::kMax:
      return f(std::integral_constant<AggrView, AggrView::kMax>{});
    case AggrView::kSum:
      return f(std::integral_constant<AggrView, AggrView::kSum>{});
  }
}

uint32_t Clamp32(uint64_t n) { return static_cast<uint32_t>(std::min<uint64_t>(n, UINT32_MAX)); }

}  // namespace

void AppendView(std::span<const AggrWindow> windows, AggrView view, int64_t start, int64_t end,
                std::vector<model::Sample>* out, std::vector<uint32_t>* counts) {
  const bool weighted = counts != nullptr && ViewHasCounts(view);
  out->reserve(out->size() +
               (view == AggrView::kLast || view == AggrView::kCounter ? 2 : 1) * windows.size());
  WithView(view, [&](auto v) {
    ForEachViewPoint<v()>(windows, start, end, [&](int64_t t, double x, uint64_t count) {
      out->push_back({t, x});
      if (weighted) counts->push_back(Clamp32(count));
    });
  });
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

namespace {

// The fold of one segment's non-stale points, by their index: the first and last, the raw
// samples they stand for (the first's, and all), the last value, whether a counter view went
// down, and the kMin, kMax or kSum aggregate (NaN as min_over_time and max_over_time treat it).
template <AggrView V>
struct SegmentFold {
  static constexpr size_t kNone = SIZE_MAX;
  size_t first = kNone;
  size_t last = kNone;
  uint64_t first_n = 0;
  uint64_t total = 0;
  bool down = false;
  double prev = 0;
  double agg = 0;

  void Reset() {
    first = last = kNone;
    total = 0;
    down = false;
  }
  bool empty() const { return first == kNone; }
  void Add(size_t index, double v, uint64_t n) {
    if (first == kNone) {
      first = index;
      first_n = n;
      agg = v;
    } else {
      if constexpr (V == AggrView::kCounter) down = down || !(v >= prev);  // Or a NaN.
      if constexpr (V == AggrView::kMin) {
        if (agg > v || std::isnan(agg)) agg = v;
      } else if constexpr (V == AggrView::kMax) {
        if (agg < v || std::isnan(agg)) agg = v;
      } else if constexpr (V == AggrView::kSum) {
        agg += v;
      }
    }
    prev = v;
    last = index;
    total += n;
  }
  // A counter view that goes down in the segment (a "counter" reset to a negative value:
  // rate() must see each drop) or holds a NaN (next to which rate() sees no drop), or counts that
  // would not fit the folded point: every point stays.
  bool KeepsEveryPoint() const {
    constexpr bool kFolded = ViewHasCounts(V);
    return kFolded && ((V == AggrView::kCounter && down) || total > UINT32_MAX);
  }
};

// Writes what ThinView keeps of one segment, the points [begin, end) of `s` (with counts `c`,
// or null for 1 each) folded into `f`, from slot w <= begin on; returns the next free slot.
// The points are read before the slots below them are written.
template <AggrView V>
size_t KeepOfSegment(model::Sample* s, uint32_t* c, size_t begin, size_t end, size_t w,
                     const SegmentFold<V>& f) {
  auto put = [&](const model::Sample& p, uint64_t n) {
    s[w] = p;
    if (c != nullptr) c[w] = Clamp32(n);
    ++w;
  };
  if constexpr (V == AggrView::kLast) {  // The last point, stale or not.
    const model::Sample p = s[end - 1];
    put(p, c != nullptr ? c[end - 1] : 1);
    return w;
  }
  if (f.empty()) return w;    // Only stale points: dropped.
  if (f.KeepsEveryPoint()) {  // Moved down to w.
    if (w != begin) {
      std::memmove(s + w, s + begin, (end - begin) * sizeof(model::Sample));
      if (c != nullptr) std::memmove(c + w, c + begin, (end - begin) * sizeof(uint32_t));
    }
    return w + (end - begin);
  }
  if constexpr (V == AggrView::kCounter) {
    // The first point, and the last standing for every raw sample after the first.
    const model::Sample first = s[f.first], last = s[f.last];
    put(first, f.first_n);
    if (f.last != f.first) put(last, f.total - f.first_n);
  } else {
    put({s[f.last].timestamp_ms, f.agg}, f.total);
  }
  return w;
}

// ThinView's work on a stream of view points in time order. Each point is written to the next
// slot of `out` (and of `counts`, when not null); when its segment ends, the segment's slots
// are replaced by what ThinView keeps of them. A point takes one slot and a segment only
// shrinks, so the writes never pass the reads of a caller thinning in place.
template <AggrView V>
class SegmentThinner {
 public:
  SegmentThinner(const ReadGrid& grid, model::Sample* out, uint32_t* counts)
      : cuts_(grid), out_(out), counts_(counts) {}

  // A point of the view; `n`: the raw samples it stands for (1 for unweighted views).
  void Add(int64_t t, double v, uint32_t n) {
    if (!open_ || t >= cut_) {
      Close();
      open_ = true;
      cut_ = cuts_.NextCut(t);
      begin_ = w_;
      fold_.Reset();
    }
    out_[w_] = {t, v};
    if (counts_ != nullptr) counts_[w_] = n;
    if (!model::IsStaleNaN(v)) fold_.Add(w_, v, n);
    ++w_;
  }

  // Ends the last segment; the slots kept.
  size_t Finish() {
    Close();
    return w_;
  }

 private:
  void Close() {
    if (!open_) return;
    open_ = false;
    w_ = KeepOfSegment<V>(out_, counts_, begin_, w_, begin_, fold_);
  }

  GridCuts cuts_;
  model::Sample* out_;
  uint32_t* counts_;
  size_t w_ = 0;  // Next slot.
  // The open segment: its first slot, the end of its times, and its fold (by slot).
  bool open_ = false;
  __int128 cut_ = 0;
  size_t begin_ = 0;
  SegmentFold<V> fold_;
};

// A grid that says nothing (or nothing sane) about the reads: nothing is thinned.
bool SaneGrid(const ReadGrid& grid) {
  return grid.ref_count > 0 && grid.ref_step_ms >= 0 && grid.range_ms >= 0;
}

// The first of the points [from, size) of `s` (in time order) at or after `cut`; size if
// none. Gallops from `from`, then searches the last stride: O(log) of the points passed.
size_t FirstAtOrAfter(const model::Sample* s, size_t from, size_t size, __int128 cut) {
  size_t lo = from;  // Every point before lo is before cut.
  size_t probe = from;
  size_t stride = 1;
  while (probe < size && s[probe].timestamp_ms < cut) {
    lo = probe + 1;
    probe = lo + stride;
    stride *= 2;
  }
  const model::Sample* end = s + std::min(probe, size);
  return static_cast<size_t>(
      std::partition_point(s + lo, end,
                           [cut](const model::Sample& p) { return p.timestamp_ms < cut; }) -
      s);
}

// ThinView's work in place: the points of a segment are looked at, not copied (SegmentThinner
// writes every point into its slot first, as AppendThinView needs), and only what a segment
// keeps is written, at or before where its points began. `c`: the counts, or null for 1 each.
// Returns the points kept.
template <AggrView V>
size_t ThinInPlace(const ReadGrid& grid, model::Sample* s, uint32_t* c, size_t size) {
  const GridCuts cuts(grid);
  if constexpr (V == AggrView::kLast) {
    // A segment keeps its last point, stale or not, whatever the others hold: its end is
    // searched for rather than every point looked at (an instant selector's raw tail at a
    // coarse step keeps a few points of many).
    size_t w = 0;
    for (size_t i = 0; i < size;) {
      const size_t end = FirstAtOrAfter(s, i + 1, size, cuts.NextCut(s[i].timestamp_ms));
      s[w] = s[end - 1];
      if (c != nullptr) c[w] = c[end - 1];
      ++w;
      i = end;
    }
    return w;
  } else {
    size_t w = 0;      // Next slot to write.
    size_t begin = 0;  // The open segment's first point, the first time after it, its fold.
    __int128 cut = 0;
    bool open = false;
    SegmentFold<V> fold;
    for (size_t i = 0; i < size; ++i) {
      const int64_t t = s[i].timestamp_ms;
      if (!open || t >= cut) {
        if (open) w = KeepOfSegment<V>(s, c, begin, i, w, fold);
        open = true;
        begin = i;
        cut = cuts.NextCut(t);
        fold.Reset();
      }
      const double v = s[i].value;
      if (!model::IsStaleNaN(v)) fold.Add(i, v, c != nullptr ? c[i] : 1);
    }
    if (open) w = KeepOfSegment<V>(s, c, begin, size, w, fold);
    return w;
  }
}

}  // namespace

ReadGrid ReadGridOf(const SelectHints& hints) {
  return {hints.first_ref_ms, hints.ref_step_ms, hints.ref_count, hints.range_ms};
}

void ThinView(AggrView view, const ReadGrid& grid, std::vector<model::Sample>* samples,
              std::vector<uint32_t>* counts) {
  if (!SaneGrid(grid)) return;
  std::vector<model::Sample>& s = *samples;
  const bool weighted = counts != nullptr && counts->size() == s.size() && !s.empty();
  size_t kept = 0;
  WithView(view, [&](auto v) {
    kept = ThinInPlace<v()>(grid, s.data(), weighted ? counts->data() : nullptr, s.size());
  });
  s.resize(kept);
  if (weighted) counts->resize(kept);
}

namespace {

template <AggrView V>
bool ThinRawFolded(const ReadGrid& grid, std::vector<model::Sample>* samples,
                   std::vector<uint32_t>* counts) {
  constexpr bool kCounted = ViewHasCounts(V);
  const std::vector<model::Sample>& s = *samples;
  const size_t n = s.size();
  const GridCuts cuts(grid);
  thread_local std::vector<model::Sample> kept;
  thread_local std::vector<uint32_t> kept_counts;
  kept.clear();
  kept_counts.clear();
  size_t i = 0;
  while (i < n) {
    // The segment [i, j): the points before the next cut, folded as SegmentFold folds them.
    const __int128 cut = cuts.NextCut(s[i].timestamp_ms);
    const int64_t below = cut > INT64_MAX ? INT64_MAX : static_cast<int64_t>(cut);
    bool unusual = std::isnan(s[i].value);
    double agg = s[i].value;
    size_t j = i + 1;
    for (; j < n && (cut > INT64_MAX || s[j].timestamp_ms < below); ++j) {
      const double v = s[j].value;
      unusual |= std::isnan(v);
      if constexpr (V == AggrView::kCounter) unusual |= v < s[j - 1].value;
      if constexpr (V == AggrView::kMin) agg = agg > v ? v : agg;
      if constexpr (V == AggrView::kMax) agg = agg < v ? v : agg;
      if constexpr (V == AggrView::kSum) agg += v;
    }
    if (unusual || j - i > UINT32_MAX) return false;
    if constexpr (V == AggrView::kCounter) {
      kept.push_back(s[i]);
      kept_counts.push_back(1);
      if (j - i > 1) {
        kept.push_back(s[j - 1]);
        kept_counts.push_back(static_cast<uint32_t>(j - i - 1));
      }
    } else {
      kept.push_back({s[j - 1].timestamp_ms, agg});
      if (kCounted) kept_counts.push_back(static_cast<uint32_t>(j - i));
    }
    i = j;
  }
  samples->assign(kept.begin(), kept.end());
  if (kCounted) counts->assign(kept_counts.begin(), kept_counts.end());
  return true;
}

}  // namespace

bool ThinRawView(AggrView view, const ReadGrid& grid, std::vector<model::Sample>* samples,
                 std::vector<uint32_t>* counts) {
  if (!SaneGrid(grid)) return false;
  switch (view) {
    case AggrView::kCounter:
      return ThinRawFolded<AggrView::kCounter>(grid, samples, counts);
    case AggrView::kSum:
      return ThinRawFolded<AggrView::kSum>(grid, samples, counts);
    case AggrView::kMin:
      return ThinRawFolded<AggrView::kMin>(grid, samples, counts);
    case AggrView::kMax:
      return ThinRawFolded<AggrView::kMax>(grid, samples, counts);
    case AggrView::kLast:
      return false;
  }
  return false;
}

namespace {

// AppendThinView's work for the counter view in the usual case, with the open segment's first
// and last points in locals instead of a slot for every point: the same points and counts
// appended. False, with *out and *counts as they were, when a segment's values go down or its
// counts pass 32 bits: every point of such a segment stays, which SegmentThinner does.
bool AppendThinCounter(std::span<const AggrWindow> windows, int64_t start, int64_t end,
                       const ReadGrid& grid, std::vector<model::Sample>* out,
                       std::vector<uint32_t>* counts) {
  thread_local std::vector<double> c;
  CounterValues(windows, &c);
  const size_t base = out->size();
  const size_t counts_base = counts != nullptr ? counts->size() : 0;
  const GridCuts cuts(grid);
  bool open = false;  // A segment is open; `cut`: where it ends.
  __int128 cut = 0;
  bool have = false;  // The open segment has a point that is not a stale marker...
  bool two = false;   // ...and more than one.
  int64_t first_t = 0, last_t = 0;
  double first_v = 0, last_v = 0;
  uint64_t first_n = 0, total = 0;
  auto close = [&]() {
    if (!have) return;
    out->push_back({first_t, first_v});
    if (counts != nullptr) counts->push_back(Clamp32(first_n));
    if (two) {
      out->push_back({last_t, last_v});
      if (counts != nullptr) counts->push_back(Clamp32(total - first_n));
    }
  };
  // One point of the view; false when the fast way cannot go on.
  auto add = [&](int64_t t, double v, uint64_t n) __attribute__((always_inline)) {
    if (t < start || t > end) return true;
    if (!open || t >= cut) {
      close();
      open = true;
      cut = cuts.NextCut(t);
      have = two = false;
    }
    // Stale markers open segments but are never kept; a value with their bits (only a damaged
    // group has one) counts as one, as SegmentThinner takes it.
    if (model::IsStaleNaN(v)) return true;
    if (!have) {
      have = true;
      first_t = last_t = t;
      first_v = last_v = v;
      first_n = total = n;
    } else {
      if (!(v >= last_v)) return false;  // Down, or a NaN: SegmentThinner keeps every point.
      two = true;
      last_t = t;
      last_v = v;
      total += n;
    }
    return total <= UINT32_MAX;
  };
  const bool weighted = counts != nullptr;
  bool ok = true;
  for (size_t i = 0; ok && i < windows.size(); ++i) {
    const AggrWindow& w = windows[i];
    const bool several = w.first_t != w.last_t;
    if (several) ok = add(w.first_t, CounterFirst(w, c[i]), 1);
    const uint64_t n = several && w.count > 1 ? w.count - 1 : 1;
    ok = ok && add(w.last_t, CounterLast(w, c[i]), weighted ? Clamp32(n) : 1);
    if (w.stale_t != 0) [[unlikely]] {
      ok = ok && add(w.stale_t, model::StaleNaN(), 0);
    }
  }
  if (ok) {
    close();
    return true;
  }
  out->resize(base);
  if (counts != nullptr) counts->resize(counts_base);
  return false;
}

}  // namespace

void AppendThinView(std::span<const AggrWindow> windows, AggrView view, int64_t start, int64_t end,
                    const ReadGrid& grid, std::vector<model::Sample>* out,
                    std::vector<uint32_t>* counts) {
  if (!SaneGrid(grid)) {
    AppendView(windows, view, start, end, out, counts);
    return;
  }
  if (view == AggrView::kCounter && AppendThinCounter(windows, start, end, grid, out, counts)) {
    return;
  }
  const bool weighted = counts != nullptr && ViewHasCounts(view);
  // At most two points and a stale marker per window.
  const size_t base = out->size();
  out->resize(base + 3 * windows.size());
  if (weighted) counts->resize(base + 3 * windows.size());
  size_t kept = base;
  WithView(view, [&](auto v) {
    SegmentThinner<v()> thinner(grid, out->data() + base,
                                weighted ? counts->data() + base : nullptr);
    ForEachViewPoint<v()>(windows, start, end, [&](int64_t t, double x, uint64_t count) {
      thinner.Add(t, x, weighted ? Clamp32(count) : 1);
    });
    kept += thinner.Finish();
  });
  out->resize(kept);
  if (weighted) counts->resize(kept);
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
  // As Thanos: a number of seconds first ("300", "3600", "1.5"; its query frontend sends
  // these), then a duration.
  double secs = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, secs);
  if (!text.empty() && text[0] != '+' && ec == std::errc() && ptr == end &&
      text.find_first_of("nNiI") == std::string_view::npos) {
    if (secs >= 0 && secs * 1000 < 9.2e18) return static_cast<int64_t>(secs * 1000);
  }
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
