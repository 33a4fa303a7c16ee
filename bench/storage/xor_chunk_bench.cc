// Micro-benchmarks of the XOR chunk codec (src/storage/xor_chunk.h): encode and decode of
// 120-sample chunks (30 min at a 15 s scrape) for synthetic workloads with fixed seeds.
// Counters: ns_per_sample (thread CPU time), bytes_per_sample (chunk header included),
// items_per_second (samples/s) and bytes_per_second (encoded bytes/s).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "storage/xor_chunk.h"

namespace strata::storage {
namespace {

constexpr int kSamplesPerChunk = 120;
constexpr int64_t kScrapeMs = 15'000;
constexpr int64_t kStartMs = 1'700'000'000'000;  // Nov 2023.

struct Sample {
  int64_t t;
  double v;
};
using Series = std::vector<Sample>;

// Scrape timestamps of one target: every 15 s, each off by up to `jitter_ms` either way.
std::vector<int64_t> ScrapeTimes(std::mt19937_64& rng, int64_t jitter_ms) {
  std::uniform_int_distribution<int64_t> jitter(-jitter_ms, jitter_ms);
  std::vector<int64_t> out;
  out.reserve(kSamplesPerChunk);
  for (int i = 0; i < kSamplesPerChunk; ++i) out.push_back(kStartMs + i * kScrapeMs + jitter(rng));
  return out;
}

double Round(double v, double step) { return std::round(v / step) * step; }

// (a) A constant value on an exact 15 s grid, e.g. node_filesystem_size_bytes.
std::vector<Series> ConstantWorkload() {
  std::mt19937_64 rng(1);
  std::vector<Series> out;
  for (int s = 0; s < 100; ++s) {
    const double v = static_cast<double>(rng() % 1'000'000'000'000);
    Series series;
    for (int i = 0; i < kSamplesPerChunk; ++i) series.push_back({kStartMs + i * kScrapeMs, v});
    out.push_back(std::move(series));
  }
  return out;
}

// (b) An integer counter (say http_requests_total) growing by 0..20 per scrape, with +-5 ms of
// timestamp jitter.
std::vector<Series> CounterWorkload() {
  std::mt19937_64 rng(2);
  std::vector<Series> out;
  for (int s = 0; s < 100; ++s) {
    const std::vector<int64_t> ts = ScrapeTimes(rng, 5);
    double v = static_cast<double>(rng() % 1'000'000);
    Series series;
    for (int64_t t : ts) {
      v += static_cast<double>(rng() % 21);
      series.push_back({t, v});
    }
    out.push_back(std::move(series));
  }
  return out;
}

// (c) A random-walk gauge (say a temperature), N(0, 0.5) steps, values rounded to 2 decimals as
// exporters usually print them; +-5 ms jitter. `full_precision` skips the rounding.
std::vector<Series> GaugeWorkload(bool full_precision) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> step(0, 0.5);
  std::vector<Series> out;
  for (int s = 0; s < 100; ++s) {
    const std::vector<int64_t> ts = ScrapeTimes(rng, 5);
    double walk = 20 + static_cast<double>(rng() % 6000) / 100;
    Series series;
    for (int64_t t : ts) {
      walk += step(rng);
      series.push_back({t, full_precision ? walk : Round(walk, 0.01)});
    }
    out.push_back(std::move(series));
  }
  return out;
}

// (d) A node_exporter-like blend for one 4-CPU host, 552 series sharing the scrape timestamps
// of one target (+-5 ms jitter). Per kind: how many series, and how each one moves.
std::vector<Series> NodeExporterWorkload() {
  std::mt19937_64 rng(4);
  const std::vector<int64_t> ts = ScrapeTimes(rng, 5);
  auto chance = [&rng](double p) { return std::uniform_real_distribution<double>()(rng) < p; };
  auto uniform = [&rng](int64_t lo, int64_t hi) {
    return static_cast<double>(std::uniform_int_distribution<int64_t>(lo, hi)(rng));
  };
  std::vector<Series> out;
  auto add = [&](int count, auto init, auto next) {
    for (int s = 0; s < count; ++s) {
      double v = init(s);
      Series series;
      for (int64_t t : ts) {
        series.push_back({t, v});
        v = next(s, v);
      }
      out.push_back(std::move(series));
    }
  };
  // 180 constants: *_info = 1, node_filesystem_size_bytes, node_memory_MemTotal_bytes,
  // node_network_mtu_bytes, node_boot_time_seconds, node_network_up...
  add(
      180,
      [&](int s) {
        switch (s % 4) {
          case 0:
            return 1.0;
          case 1:
            return uniform(1, 1 << 20) * 4096;
          case 2:
            return uniform(0, 9000);
          default:
            return 1.69e9 + uniform(0, 1'000'000);
        }
      },
      [](int, double v) { return v; });
  // 90 idle counters that rarely move: node_network_receive_errs_total, node_vmstat_oom_kill...
  add(
      90, [&](int) { return uniform(0, 50); },
      [&](int, double v) { return chance(0.01) ? v + 1 : v; });
  // 32 node_cpu_seconds_total{cpu=0..3, mode=8 kinds}, 0.01 s resolution (USER_HZ = 100).
  // Increments per scrape in hundredths of a second for idle, user, system, iowait, irq,
  // softirq, nice and steal.
  static constexpr int64_t kCpuIncrement[8][2] = {{1400, 1490}, {10, 150}, {5, 60}, {0, 10},
                                                  {0, 3},       {0, 3},    {0, 0},  {0, 0}};
  add(
      32, [&](int) { return Round(uniform(100'000, 10'000'000) / 100, 0.01); },
      [&](int s, double v) {
        const int64_t* range = kCpuIncrement[s % 8];
        return Round(v + uniform(range[0], range[1]) / 100, 0.01);
      });
  // 80 traffic counters: network/disk bytes and packets, interrupts, context switches.
  add(
      80, [&](int) { return uniform(0, int64_t{1} << 40); },
      [&](int s, double v) {
        if (s % 5 == 0) return v;                            // An idle device.
        if (s % 5 == 1) return v + uniform(0, 2'000) * 512;  // Disk bytes.
        if (s % 5 == 2) return v + uniform(0, 5'000'000);    // Network bytes.
        return v + uniform(0, 40'000);                       // Packets, intr, cs.
      });
  // 60 node_memory_*_bytes gauges, moving by whole pages most scrapes.
  add(
      60, [&](int) { return uniform(1 << 10, 4 << 20) * 4096; },
      [&](int, double v) { return chance(0.7) ? v + uniform(-2000, 2000) * 4096 : v; });
  // 30 node_filesystem_{avail,free}_bytes and files_free: slow drift.
  add(
      30, [&](int) { return uniform(1 << 20, 1 << 28) * 4096; },
      [&](int s, double v) {
        if (!chance(0.5)) return v;
        return s % 3 == 2 ? v + uniform(-3, 3) : v + uniform(-64, 64) * 4096;
      });
  // 40 small-integer gauges: node_procs_running, node_filefd_allocated, sockstat, conntrack.
  add(
      40, [&](int) { return uniform(0, 5000); },
      [&](int, double v) { return std::max(0.0, v + uniform(-5, 5)); });
  // 40 float gauges: node_load{1,5,15} (2 decimals), hwmon temperatures (0.5 C steps), CPU
  // scaling frequencies (kHz steps), and scrape durations (full-precision noise).
  add(
      40,
      [&](int s) {
        switch (s % 4) {
          case 0:
            return uniform(0, 400) / 100;
          case 1:
            return 30 + uniform(0, 40) * 0.5;
          case 2:
            return uniform(800'000, 3'500'000) * 1000;
          default:
            return 0.01;
        }
      },
      [&](int s, double v) {
        switch (s % 4) {
          case 0:
            return Round(std::max(0.0, v + uniform(-20, 20) / 100), 0.01);
          case 1:
            return Round(v + uniform(-1, 1) * 0.5, 0.5);
          case 2:
            return uniform(800'000, 3'500'000) * 1000;
          default:
            return std::uniform_real_distribution<double>(0.0001, 0.05)(rng);
        }
      });
  return out;
}

struct Workload {
  std::vector<Series> series;
  std::vector<XorChunk> chunks;
  int64_t samples = 0;
  int64_t bytes = 0;
};

Workload Prepare(std::vector<Series> series) {
  Workload w;
  w.series = std::move(series);
  for (const Series& s : w.series) {
    XorChunk chunk;
    Result<XorAppender> app = XorAppender::Open(&chunk);
    if (!app.ok()) std::abort();
    for (const Sample& x : s) {
      if (!app->Append(x.t, x.v).ok()) std::abort();
    }
    w.samples += static_cast<int64_t>(s.size());
    w.bytes += static_cast<int64_t>(chunk.size_bytes());
    w.chunks.push_back(std::move(chunk));
  }
  return w;
}

// CPU time of the calling thread, as Google Benchmark measures it by default.
int64_t ThreadCpuNanos() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

void SetCounters(benchmark::State& state, const Workload& w, int64_t cpu_ns) {
  const double samples = static_cast<double>(state.iterations() * w.samples);
  state.SetItemsProcessed(state.iterations() * w.samples);
  state.SetBytesProcessed(state.iterations() * w.bytes);
  state.counters["ns_per_sample"] = static_cast<double>(cpu_ns) / samples;
  state.counters["bytes_per_sample"] =
      static_cast<double>(w.bytes) / static_cast<double>(w.samples);
}

void Encode(benchmark::State& state, const Workload& w) {
  const int64_t start = ThreadCpuNanos();
  for (auto _ : state) {
    for (const Series& s : w.series) {
      XorChunk chunk;
      Result<XorAppender> app = XorAppender::Open(&chunk);
      for (const Sample& x : s) app->Append(x.t, x.v).IgnoreError();  // Known good input.
      benchmark::DoNotOptimize(chunk.bytes().data());
    }
  }
  SetCounters(state, w, ThreadCpuNanos() - start);
}

void Decode(benchmark::State& state, const Workload& w) {
  const int64_t start = ThreadCpuNanos();
  for (auto _ : state) {
    for (const XorChunk& chunk : w.chunks) {
      XorIterator it(chunk.bytes());
      int64_t t_sum = 0;
      double v_sum = 0;
      while (it.Next()) {
        t_sum += it.t();
        v_sum += it.v();
      }
      if (!it.status().ok()) state.SkipWithError("corrupt chunk");
      benchmark::DoNotOptimize(t_sum);
      benchmark::DoNotOptimize(v_sum);
    }
  }
  SetCounters(state, w, ThreadCpuNanos() - start);
}

const Workload& Constant() {
  static const Workload* w = new Workload(Prepare(ConstantWorkload()));
  return *w;
}
const Workload& Counter() {
  static const Workload* w = new Workload(Prepare(CounterWorkload()));
  return *w;
}
const Workload& Gauge2dp() {
  static const Workload* w = new Workload(Prepare(GaugeWorkload(false)));
  return *w;
}
const Workload& GaugeFull() {
  static const Workload* w = new Workload(Prepare(GaugeWorkload(true)));
  return *w;
}
const Workload& NodeExporter() {
  static const Workload* w = new Workload(Prepare(NodeExporterWorkload()));
  return *w;
}

void BM_Encode_Constant(benchmark::State& s) { Encode(s, Constant()); }
void BM_Decode_Constant(benchmark::State& s) { Decode(s, Constant()); }
void BM_Encode_CounterJitter(benchmark::State& s) { Encode(s, Counter()); }
void BM_Decode_CounterJitter(benchmark::State& s) { Decode(s, Counter()); }
void BM_Encode_GaugeWalk2dp(benchmark::State& s) { Encode(s, Gauge2dp()); }
void BM_Decode_GaugeWalk2dp(benchmark::State& s) { Decode(s, Gauge2dp()); }
void BM_Encode_GaugeWalkFullPrecision(benchmark::State& s) { Encode(s, GaugeFull()); }
void BM_Decode_GaugeWalkFullPrecision(benchmark::State& s) { Decode(s, GaugeFull()); }
void BM_Encode_NodeExporterMix(benchmark::State& s) { Encode(s, NodeExporter()); }
void BM_Decode_NodeExporterMix(benchmark::State& s) { Decode(s, NodeExporter()); }

BENCHMARK(BM_Encode_Constant);
BENCHMARK(BM_Decode_Constant);
BENCHMARK(BM_Encode_CounterJitter);
BENCHMARK(BM_Decode_CounterJitter);
BENCHMARK(BM_Encode_GaugeWalk2dp);
BENCHMARK(BM_Decode_GaugeWalk2dp);
BENCHMARK(BM_Encode_GaugeWalkFullPrecision);
BENCHMARK(BM_Decode_GaugeWalkFullPrecision);
BENCHMARK(BM_Encode_NodeExporterMix);
BENCHMARK(BM_Decode_NodeExporterMix);

}  // namespace
}  // namespace strata::storage

BENCHMARK_MAIN();
