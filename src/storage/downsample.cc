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
