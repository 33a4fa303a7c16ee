// Micro-benchmarks of the aggregate (downsampled) group codec (src/storage/block/format.h,
// docs/format/block.md "Aggregate encoding") against the decimal raw group it replaces: one
// day of one series, 15 s scrapes, as 5m windows (288) or raw samples (5760), decoded from
// unsealed bytes as the cold tier's read cache holds them; and the counter view of the
// decoded windows, thinned for a 1h step. Counters: ns_per_item (thread CPU
// time per window or sample decoded), bytes_per_item (stored, crc and compression included).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "storage/block/format.h"
#include "storage/downsample.h"

namespace strata::storage {
namespace {

constexpr int64_t kStartMs = 1'700'006'400'000;  // A UTC midnight.
constexpr int64_t kScrapeMs = 15'000;
constexpr int kSamples = 86'400'000 / kScrapeMs;

// node_cpu_seconds_total-like: a counter in 0.01 steps with one reset mid-day.
std::vector<model::Sample> CpuCounter() {
  std::mt19937_64 rng(7);
  std::vector<model::Sample> out;
  int64_t m = 123'456'789;
  for (int i = 0; i < kSamples; ++i) {
    m = i == kSamples / 2 ? 17 : m + static_cast<int64_t>(rng() % 1500);
    out.push_back({kStartMs + i * kScrapeMs + 3, static_cast<double>(m) / 100});
  }
  return out;
}

// node_memory_MemAvailable_bytes-like: a page-sized walk.
std::vector<model::Sample> MemoryGauge() {
  std::mt19937_64 rng(8);
  std::vector<model::Sample> out;
  int64_t pages = 2'000'000;
  for (int i = 0; i < kSamples; ++i) {
    pages += static_cast<int64_t>(rng() % 2001) - 1000;
    out.push_back({kStartMs + i * kScrapeMs + 3, static_cast<double>(pages * 4096)});
  }
  return out;
}

block::GroupRef RefFor(int64_t min_t, int64_t max_t, uint64_t samples, uint64_t chunks,
                       const std::string& stored) {
  block::GroupRef ref;
  ref.min_time = min_t;
  ref.max_time = max_t;
  ref.samples = samples;
  ref.chunks = chunks;
  ref.length = stored.size();
  return ref;
}

void DecodeWindows(benchmark::State& state, const std::vector<model::Sample>& samples,
                   uint32_t columns) {
  std::vector<AggrWindow> windows;
  AggregateSamples(samples, kResolution5m, &windows);
  const std::string stored = block::EncodeWindowGroup(windows);
  const block::GroupRef ref =
      RefFor(windows.front().first_t, windows.back().end_t(), windows.size(), 1, stored);
  std::string inflated;
  std::string_view raw;
  if (!block::UnsealGroup(stored, &inflated, &raw).ok()) state.SkipWithError("unseal failed");
  std::vector<AggrWindow> out;
  for (auto _ : state) {
    out.clear();
    Status s =
        block::DecodeUnsealedWindows(raw, ref, kResolution5m, INT64_MIN, INT64_MAX, &out, columns);
    if (!s.ok() || out.size() != windows.size()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["ns_per_item"] =
      benchmark::Counter(static_cast<double>(state.iterations() * windows.size()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["bytes_per_item"] =
      static_cast<double>(stored.size()) / static_cast<double>(windows.size());
}

void DecodeRaw(benchmark::State& state, const std::vector<model::Sample>& samples) {
  uint64_t chunks = 0;
  const std::string stored = block::EncodeSampleGroup(samples, &chunks, /*compress=*/false);
  const block::GroupRef ref = RefFor(samples.front().timestamp_ms, samples.back().timestamp_ms,
                                     samples.size(), chunks, stored);
  std::string inflated;
  std::string_view raw;
  if (!block::UnsealGroup(stored, &inflated, &raw).ok()) state.SkipWithError("unseal failed");
  std::vector<model::Sample> out;
  for (auto _ : state) {
    out.clear();
    Status s = block::DecodeUnsealedSamples(raw, ref, INT64_MIN, INT64_MAX, &out);
    if (!s.ok() || out.size() != samples.size()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["ns_per_item"] =
      benchmark::Counter(static_cast<double>(state.iterations() * samples.size()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["bytes_per_item"] =
      static_cast<double>(stored.size()) / static_cast<double>(samples.size());
}

// The counter view of decoded windows thinned for rate(x[1h]) at a 1h step (what a 30-day
// dashboard panel reads), per window.
void ThinCounterView(benchmark::State& state, const std::vector<model::Sample>& samples,
                     int64_t range_ms) {
  std::vector<AggrWindow> windows;
  AggregateSamples(samples, kResolution5m, &windows);
  ReadGrid grid;
  grid.first_ref_ms = kStartMs;
  grid.ref_step_ms = 3'600'000;
  grid.ref_count = 25;
  grid.range_ms = range_ms;
  std::vector<model::Sample> out;
  std::vector<uint32_t> counts;
  for (auto _ : state) {
    out.clear();
    counts.clear();
    AppendThinView(windows, AggrView::kCounter, INT64_MIN, INT64_MAX, grid, &out, &counts);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["ns_per_item"] =
      benchmark::Counter(static_cast<double>(state.iterations() * windows.size()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

constexpr uint32_t kCounterColumns = block::kColFirst | block::kColLast | block::kColInc;

void BM_WindowsCounterView_Cpu(benchmark::State& state) {
  DecodeWindows(state, CpuCounter(), kCounterColumns);
}
void BM_WindowsAllColumns_Cpu(benchmark::State& state) {
  DecodeWindows(state, CpuCounter(), block::kAllColumns);
}
void BM_WindowsMaxView_Memory(benchmark::State& state) {
  DecodeWindows(state, MemoryGauge(), block::kColMax);
}
void BM_WindowsSumView_Memory(benchmark::State& state) {
  DecodeWindows(state, MemoryGauge(), block::kColSum);
}
void BM_WindowsTimesOnly_Cpu(benchmark::State& state) { DecodeWindows(state, CpuCounter(), 0); }
void BM_ThinCounterView1h_Cpu(benchmark::State& state) {
  ThinCounterView(state, CpuCounter(), 3'600'000);
}
void BM_ThinCounterView1h15s_Cpu(benchmark::State& state) {
  ThinCounterView(state, CpuCounter(), 3'615'000);
}
void BM_RawSamples_Cpu(benchmark::State& state) { DecodeRaw(state, CpuCounter()); }
void BM_RawSamples_Memory(benchmark::State& state) { DecodeRaw(state, MemoryGauge()); }

BENCHMARK(BM_WindowsCounterView_Cpu);
BENCHMARK(BM_WindowsAllColumns_Cpu);
BENCHMARK(BM_WindowsMaxView_Memory);
BENCHMARK(BM_WindowsSumView_Memory);
BENCHMARK(BM_WindowsTimesOnly_Cpu);
BENCHMARK(BM_ThinCounterView1h_Cpu);
BENCHMARK(BM_ThinCounterView1h15s_Cpu);
BENCHMARK(BM_RawSamples_Cpu);
BENCHMARK(BM_RawSamples_Memory);

}  // namespace
}  // namespace strata::storage

BENCHMARK_MAIN();
