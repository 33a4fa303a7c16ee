// The value models of the benchmark workloads: a seedable generator (Rng) and how a
// node_exporter-like series starts (InitialValue) and moves one 15 s scrape later (NextValue).
// The workloads (node_workload.h, dashboard_workload.h) pick templates and seeds; values are a
// pure function of them, so changing anything here changes every published benchmark's data.
// Thread-compatible values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace strata::bench {

// splitmix64: tiny and seedable, one per series (or group), so that values never depend on how
// requests are batched or sharded.
struct Rng {
  uint64_t state = 0;
  uint64_t Next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  // REQUIRES: n > 0.
  int64_t Below(int64_t n) { return static_cast<int64_t>(Next() % static_cast<uint64_t>(n)); }
};

// How a series' value evolves from one scrape to the next.
enum class Model {
  kCpuSeconds,     // Counter: seconds in a CPU mode, 0.01 s resolution (USER_HZ).
  kIntCounter,     // Counter: bytes, packets, events; integer increments.
  kIoSeconds,      // Counter: disk busy seconds, 0.001 s resolution.
  kMemBytes,       // Gauge: page-granular random walk.
  kFsBytes,        // Gauge: mostly constant, now and then a few pages change.
  kConstant,       // Gauge: size_bytes, MemTotal, network_up.
  kLoad,           // Gauge: load average, two decimals.
  kSmallInt,       // Gauge: procs running, entropy, file descriptors.
  kTemperature,    // Gauge: hwmon Celsius, 0.5 degree steps.
  kOffsetSeconds,  // Gauge: timex offset, noisy tiny floats (incompressible mantissas).
  kBootTime,       // Gauge: Unix time of the last boot (dashboard workload only).
  kInfo,           // Info metric: always 1.
  kUp,             // 1, or 0 while the host is down.
  kHistogram,      // A whole classic histogram: buckets..., _sum, _count (dashboard_workload.h).
};

bool IsCounter(Model m);

double RoundTo(double v, double step);

using LabelList = std::vector<std::pair<std::string, std::string>>;

// One series (or histogram) of a target's template.
struct Template {
  std::string name;
  LabelList labels;  // Besides __name__, instance and job.
  Model model;
  double base;  // Gauges: centre; counters: scale of the start value.
  double rate;  // Counters: mean increment per second; gauges: step size.
};

// The first value of a series of template (model, base, rate), drawing from *rng. With
// after_reboot, counters start near zero (about a minute's worth of `rate`) instead. kBootTime
// and kHistogram are set up by their workload and yield 0 here.
double InitialValue(Model model, double base, double rate, bool after_reboot, Rng* rng);

// The value one 15 s scrape after `value`; always draws one number from *rng. The interval is
// fixed so that values (and hence compressibility) do not depend on the scrape interval.
double NextValue(Model model, double value, double rate, Rng* rng);

}  // namespace strata::bench
