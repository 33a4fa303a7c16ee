// Downsampling: window aggregation, the aggregate group encoding, the views the engine reads,
// the adaptive rule, and downsampled blocks built from committed cold blocks.
#include "storage/downsample.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <numeric>
#include <random>
#include <tuple>

#include "base/coding.h"
#include "storage/block/block_reader.h"
#include "storage/block/block_writer.h"
#include "storage/block/format.h"
#include "storage/cold_store.h"
#include "testutil/mem_object_store.h"

namespace strata::storage {
namespace {

constexpr int64_t k5m = kResolution5m;
constexpr int64_t k1h = kResolution1h;
constexpr int64_t kStep = 15000;

std::vector<model::Sample> Counter(int64_t from, int64_t to, double per_step,
                                   std::vector<int64_t> resets = {}) {
  std::vector<model::Sample> out;
  double v = 100;
  for (int64_t t = from; t < to; t += kStep) {
    v += per_step;
    for (int64_t r : resets) {
      if (t == r) v = per_step;  // Restarted from zero.
    }
    out.push_back({t, v});
  }
  return out;
}

// The true increase of a counter over its samples, as rate() counts resets.
double TrueIncrease(const std::vector<model::Sample>& s) {
  double inc = 0;
  for (size_t i = 1; i < s.size(); ++i) inc += CounterStep(s[i - 1].value, s[i].value);
  return inc;
}

TEST(DownsampleTest, WindowsKeepCountSumMinMaxFirstLastAndCounterIncrease) {
  auto s = Counter(0, 3 * k5m, 2, {k5m + 60000});  // A reset in the second window.
  std::vector<AggrWindow> w;
  AggregateSamples(s, k5m, &w);
  ASSERT_EQ(w.size(), 3u);
  double total_inc = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    EXPECT_EQ(w[i].count, 20u);
    EXPECT_EQ(w[i].first_t, static_cast<int64_t>(i) * k5m);
    EXPECT_EQ(w[i].last_t, static_cast<int64_t>(i) * k5m + 19 * kStep);
    EXPECT_EQ(w[i].first, s[i * 20].value);
    EXPECT_EQ(w[i].last, s[i * 20 + 19].value);
    double sum = 0, mn = INFINITY, mx = -INFINITY;
    for (size_t j = i * 20; j < i * 20 + 20; ++j) {
      sum += s[j].value;
      mn = std::min(mn, s[j].value);
      mx = std::max(mx, s[j].value);
    }
    EXPECT_DOUBLE_EQ(w[i].sum, sum);
    EXPECT_EQ(w[i].min, mn);
    EXPECT_EQ(w[i].max, mx);
    total_inc += w[i].inc + (i > 0 ? CounterStep(w[i - 1].last, w[i].first) : 0);
  }
  EXPECT_DOUBLE_EQ(total_inc, TrueIncrease(s));
  // 1h from 5m: the same totals.
  std::vector<AggrWindow> h;
  AggregateWindows(w, k1h, &h);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].count, 60u);
  EXPECT_DOUBLE_EQ(h[0].inc, TrueIncrease(s));
  EXPECT_EQ(h[0].first, s.front().value);
  EXPECT_EQ(h[0].last, s.back().value);
  EXPECT_EQ(h[0].first_t, 0);
  EXPECT_EQ(h[0].last_t, s.back().timestamp_ms);
}

TEST(DownsampleTest, StaleMarkersEndTheWindowBeforeThem) {
  std::vector<model::Sample> s = {{1000, 1}, {16000, 2}, {31000, model::StaleNaN()}};
  std::vector<AggrWindow> w;
  AggregateSamples(s, k5m, &w);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].stale_t, 31000);
  EXPECT_EQ(w[0].count, 2u);
  // A stale marker alone in its bucket stays on the window before.
  w.clear();
  s = {{1000, 1}, {k5m + 5000, model::StaleNaN()}};
  AggregateSamples(s, k5m, &w);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].stale_t, k5m + 5000);
  // Samples after a stale marker in the same bucket: the series went on.
  w.clear();
  s = {{1000, 1}, {2000, model::StaleNaN()}, {3000, 4}};
  AggregateSamples(s, k5m, &w);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].stale_t, 0);
  EXPECT_EQ(w[0].count, 2u);
  // The views end with the stale sample.
  w.clear();
  AggregateSamples(std::vector<model::Sample>{{1000, 1}, {31000, model::StaleNaN()}}, k5m, &w);
  std::vector<model::Sample> v;
  AppendView(w, AggrView::kLast, 0, INT64_MAX, &v, nullptr);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_TRUE(model::IsStaleNaN(v[1].value));
  EXPECT_EQ(v[1].timestamp_ms, 31000);
}

TEST(DownsampleTest, NaNFollowsMinOverTimeRule) {
  std::vector<model::Sample> s = {{0, NAN}, {15000, 3}, {30000, 1}};
  std::vector<AggrWindow> w;
  AggregateSamples(s, k5m, &w);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].min, 1);
  EXPECT_EQ(w[0].max, 3);
}

// increase() as Prometheus computes it over raw points in [from, to): last - first plus the
// value before each drop; a NaN compares false, so it is stepped over.
double PromIncrease(const std::vector<model::Sample>& s, int64_t from, int64_t to) {
  std::vector<double> v;
  for (const auto& p : s) {
    if (p.timestamp_ms >= from && p.timestamp_ms < to) v.push_back(p.value);
  }
  if (v.size() < 2) return NAN;
  double inc = v.back() - v.front();
  for (size_t i = 1; i < v.size(); ++i) {
    if (v[i] < v[i - 1]) inc += v[i - 1];
  }
  return inc;
}

// A NaN counter sample makes NaN only what rate() over the raw samples makes NaN (a range that
// begins or ends at it), never the counter view's values before it.
TEST(DownsampleTest, ANaNCounterSampleDoesNotMakeTheViewBeforeItNaN) {
  constexpr int64_t kMin = 60000;
  std::vector<model::Sample> s;
  double v = 0;
  for (int64_t m = 0; m < 60; ++m) {
    v = m == 40 ? 3 : v + 10;  // A reset at minute 40.
    s.push_back({m * kMin, v});
  }
  s[27].value = NAN;  // Inside the window [25m, 30m).
  s[44].value = NAN;  // The last sample of the window [40m, 45m).
  std::vector<AggrWindow> w;
  AggregateSamples(s, k5m, &w);
  ASSERT_EQ(w.size(), 12u);
  for (const AggrWindow& x : w) EXPECT_TRUE(std::isfinite(x.inc)) << x.first_t;
  EXPECT_EQ(w[5].inc, 40);  // 250 -> 290 over the NaN at 270.
  std::vector<model::Sample> view;
  AppendView(w, AggrView::kCounter, INT64_MIN, INT64_MAX, &view, nullptr);
  for (const auto& p : view) {
    EXPECT_EQ(std::isnan(p.value), p.timestamp_ms == 44 * kMin) << p.timestamp_ms;
  }
  // Over ranges on window edges, what increase() gives over the view is what it gives over the
  // raw samples, NaN inside or not; a range ending at the NaN is NaN in both.
  for (int64_t from = 0; from < 60 * kMin; from += k5m) {
    for (int64_t to = from + k5m; to <= 60 * kMin; to += k5m) {
      const double raw = PromIncrease(s, from, to), ds = PromIncrease(view, from, to);
      if (from < 45 * kMin && to > 45 * kMin) {
        // The step from the last number before the NaN at a window's end into the next window
        // (430 -> 450) is not known to the windows: that much is missing, no more.
        EXPECT_DOUBLE_EQ(ds, raw - 20) << from << " " << to;
      } else if (std::isnan(raw)) {
        EXPECT_TRUE(std::isnan(ds)) << from << " " << to;
      } else {
        EXPECT_DOUBLE_EQ(ds, raw) << from << " " << to;
      }
    }
  }
  // 1h windows from these: a number, less only that step.
  std::vector<AggrWindow> h;
  AggregateWindows(w, k1h, &h);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_DOUBLE_EQ(h[0].inc, PromIncrease(s, 0, 60 * kMin) - 20);
  // Windows written before NaNs were stepped over hold a NaN increase: it counts as unknown
  // (nothing), not as NaN for every value before it.
  w[5].inc = NAN;
  view.clear();
  AppendView(w, AggrView::kCounter, INT64_MIN, INT64_MAX, &view, nullptr);
  for (const auto& p : view) {
    EXPECT_EQ(std::isnan(p.value), p.timestamp_ms == 44 * kMin) << p.timestamp_ms;
  }
}

TEST(DownsampleTest, CounterViewIsResetFreeAndEndsAtTheRealValue) {
  auto s = Counter(0, 6 * k5m, 3, {2 * k5m + 30000, 4 * k5m});  // Resets, one on a boundary.
  std::vector<AggrWindow> w;
  AggregateSamples(s, k5m, &w);
  std::vector<model::Sample> v;
  AppendView(w, AggrView::kCounter, INT64_MIN, INT64_MAX, &v, nullptr);
  ASSERT_EQ(v.size(), 2 * w.size());
  for (size_t i = 1; i < v.size(); ++i) EXPECT_GE(v[i].value, v[i - 1].value);
  EXPECT_EQ(v.back().value, s.back().value);
  EXPECT_DOUBLE_EQ(v.back().value - v.front().value, TrueIncrease(s));
}

TEST(DownsampleTest, SumViewCarriesCounts) {
  auto s = Counter(0, 2 * k5m, 1);
  std::vector<AggrWindow> w;
  AggregateSamples(s, k5m, &w);
  std::vector<model::Sample> v;
  std::vector<uint32_t> counts;
  AppendView(w, AggrView::kSum, INT64_MIN, INT64_MAX, &v, &counts);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(counts, (std::vector<uint32_t>{20, 20}));
  EXPECT_DOUBLE_EQ(v[0].value, w[0].sum);
}

// The counter view's counts: a window's first sample stands for itself, its last for the rest
// of the window, so they add up to the raw samples (rate() extrapolates with the raw interval).
TEST(DownsampleTest, CounterViewCountsAddUpToTheRawSamples) {
  auto s = Counter(0, 3 * k5m, 2, {k5m + 60000});
  s.push_back({3 * k5m + 1000, 7});  // A window of one sample.
  std::vector<AggrWindow> w;
  AggregateSamples(s, k5m, &w);
  std::vector<model::Sample> v;
  std::vector<uint32_t> counts;
  AppendView(w, AggrView::kCounter, INT64_MIN, INT64_MAX, &v, &counts);
  ASSERT_EQ(counts.size(), v.size());
  EXPECT_EQ(counts, (std::vector<uint32_t>{1, 19, 1, 19, 1, 19, 1}));
  uint64_t total = 0;
  for (uint32_t c : counts) total += c;
  EXPECT_EQ(total, s.size());
  // Other views than sum and counter carry no counts.
  counts.clear();
  v.clear();
  AppendView(w, AggrView::kLast, INT64_MIN, INT64_MAX, &v, &counts);
  EXPECT_TRUE(counts.empty());
}

TEST(DownsampleTest, AdaptiveRule) {
  // Range selectors: range >= 5 x R.
  EXPECT_EQ(AllowedResolution(24 * 60000, 0, kAutoResolution), 0);
  EXPECT_EQ(AllowedResolution(25 * 60000, 0, kAutoResolution), k5m);
  EXPECT_EQ(AllowedResolution(4 * k1h, 0, kAutoResolution), k5m);
  EXPECT_EQ(AllowedResolution(5 * k1h, 0, kAutoResolution), k1h);
  // Instant selectors of range queries: step >= R; instant queries (step 0): raw.
  EXPECT_EQ(AllowedResolution(0, 0, kAutoResolution), 0);
  EXPECT_EQ(AllowedResolution(0, 60000, kAutoResolution), 0);
  EXPECT_EQ(AllowedResolution(0, k5m, kAutoResolution), k5m);
  EXPECT_EQ(AllowedResolution(0, k1h, kAutoResolution), k1h);
  // A cap.
  EXPECT_EQ(AllowedResolution(5 * k1h, 0, k5m), k5m);
  EXPECT_EQ(AllowedResolution(5 * k1h, 0, 0), 0);
  EXPECT_EQ(*ParseMaxSourceResolution("auto"), kAutoResolution);
  EXPECT_EQ(*ParseMaxSourceResolution("raw"), 0);
  EXPECT_EQ(*ParseMaxSourceResolution("0s"), 0);
  EXPECT_EQ(*ParseMaxSourceResolution("5m"), k5m);
  EXPECT_EQ(*ParseMaxSourceResolution("1h"), k1h);
  EXPECT_FALSE(ParseMaxSourceResolution("fast").ok());
  EXPECT_FALSE(ParseMaxSourceResolution("-5m").ok());
  // Seconds, as Thanos (and its query frontend, which sends 300 and 3600) takes them.
  EXPECT_EQ(*ParseMaxSourceResolution("0"), 0);
  EXPECT_EQ(*ParseMaxSourceResolution("300"), k5m);
  EXPECT_EQ(*ParseMaxSourceResolution("3600"), k1h);
  EXPECT_EQ(*ParseMaxSourceResolution("1.5"), 1500);
  EXPECT_EQ(*ParseMaxSourceResolution("5m0s"), k5m);
  for (const char* bad : {"-300", "NaN", "inf", "+300", "300x", "1e400", ""}) {
    EXPECT_FALSE(ParseMaxSourceResolution(bad).ok()) << bad;
  }
}

std::vector<AggrWindow> SomeWindows(int n, std::mt19937_64& rng) {
  std::vector<model::Sample> s;
  double v = 0;
  for (int64_t t = 1700000000000; s.size() < static_cast<size_t>(n) * 20; t += kStep) {
    v += static_cast<double>(rng() % 1000) / 7.0;
    if (rng() % 97 == 0) v = 0;
    s.push_back({t, rng() % 50 == 0 ? NAN : v});
    if (rng() % 113 == 0) {
      t += kStep;
      s.push_back({t, model::StaleNaN()});
      t += 10 * kStep;
    }
  }
  std::vector<AggrWindow> w;
  AggregateSamples(s, k5m, &w);
  return w;
}

bool SameWindows(const std::vector<AggrWindow>& a, const std::vector<AggrWindow>& b) {
  if (a.size() != b.size()) return false;
  auto bits = [](double x) { return std::bit_cast<uint64_t>(x); };
  for (size_t i = 0; i < a.size(); ++i) {
    const auto &x = a[i], &y = b[i];
    if (x.first_t != y.first_t || x.last_t != y.last_t || x.stale_t != y.stale_t ||
        x.count != y.count || bits(x.sum) != bits(y.sum) || bits(x.min) != bits(y.min) ||
        bits(x.max) != bits(y.max) || bits(x.first) != bits(y.first) ||
        bits(x.last) != bits(y.last) || bits(x.inc) != bits(y.inc)) {
      return false;
    }
  }
  return true;
}

block::GroupRef RefOf(const std::vector<AggrWindow>& w) {
  block::GroupRef ref;
  ref.min_time = w.front().first_t;
  ref.max_time = w.back().end_t();
  ref.samples = w.size();
  ref.chunks = 1;
  return ref;
}

TEST(AggregateGroupTest, RoundTripsBitExactly) {
  std::mt19937_64 rng(7);
  auto w = SomeWindows(300, rng);
  std::string stored = block::EncodeWindowGroup(w);
  std::vector<AggrWindow> back;
  Status s = block::DecodeGroupWindows(stored, RefOf(w), k5m, INT64_MIN, INT64_MAX, &back);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(SameWindows(w, back));
  // Bytes per window stay small (the column layout plus zstd).
  EXPECT_LT(stored.size(), w.size() * 40);
  // Only the columns asked for are decoded; times and counts always are.
  back.clear();
  ASSERT_TRUE(block::DecodeGroupWindows(stored, RefOf(w), k5m, INT64_MIN, INT64_MAX, &back,
                                        block::kColLast | block::kColInc)
                  .ok());
  ASSERT_EQ(back.size(), w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    EXPECT_EQ(std::bit_cast<uint64_t>(back[i].last), std::bit_cast<uint64_t>(w[i].last));
    EXPECT_EQ(std::bit_cast<uint64_t>(back[i].inc), std::bit_cast<uint64_t>(w[i].inc));
    EXPECT_EQ(back[i].count, w[i].count);
    EXPECT_EQ(back[i].first_t, w[i].first_t);
    EXPECT_EQ(back[i].sum, 0);
    EXPECT_EQ(back[i].max, 0);
  }
  // A range keeps only the windows reaching into it.
  back.clear();
  ASSERT_TRUE(
      block::DecodeGroupWindows(stored, RefOf(w), k5m, w[10].first_t, w[20].last_t, &back).ok());
  EXPECT_EQ(back.size(), 11u);
  // The wrong resolution, a raw block, or a different count in the index: Corruption.
  back.clear();
  EXPECT_TRUE(block::DecodeGroupWindows(stored, RefOf(w), 0, 0, 1, &back).IsCorruption());
  auto bad = RefOf(w);
  bad.samples++;
  EXPECT_TRUE(block::DecodeGroupWindows(stored, bad, k5m, 0, 1, &back).IsCorruption());
  // Raw-sample decoding refuses an aggregate group.
  std::vector<model::Sample> samples;
  EXPECT_TRUE(block::DecodeGroupSamples(stored, RefOf(w), 0, 1, &samples).IsCorruption());
}

TEST(AggregateGroupTest, DecimalCountersAreSmallAndExact) {
  // Integer and quarter-step counters: every column is decimal.
  for (double step : {3.0, 0.25, 0.1}) {
    auto s = Counter(0, 288 * k5m, step, {100 * k5m + 30000});
    std::vector<AggrWindow> w;
    AggregateSamples(s, k5m, &w);
    std::string stored = block::EncodeWindowGroup(w);
    std::vector<AggrWindow> back;
    ASSERT_TRUE(block::DecodeGroupWindows(stored, RefOf(w), k5m, INT64_MIN, INT64_MAX, &back).ok());
    EXPECT_TRUE(SameWindows(w, back)) << step;
    std::printf("step %g: %.2f bytes per window\n", step,
                static_cast<double>(stored.size()) / static_cast<double>(w.size()));
    if (step == 3.0) {
      EXPECT_LT(stored.size(), w.size() * 8);
    }
  }
}

// A reset-free 5m window of a decimal counter keeps the exact decimal increase last - first,
// not the float sum of its steps (which picks up rounding and takes 8-10 bytes a window to
// store); a window with a reset keeps the sum; 1h windows built from 5m ones add theirs.
TEST(AggregateGroupTest, ResetFreeDecimalCountersKeepTheExactIncrease) {
  std::vector<model::Sample> s;
  std::vector<int64_t> mant;  // Hundredths.
  int64_t m = 1000000;
  for (int64_t i = 0; i < 288 * 20; ++i) {
    m += 5 + i % 3;
    if (i == 100 * 20 + 7) m = 31;  // A reset inside window 100.
    mant.push_back(m);
    s.push_back({i * kStep, static_cast<double>(m) / 100});
  }
  std::vector<AggrWindow> w;
  AggregateSamples(s, k5m, &w);
  ASSERT_EQ(w.size(), 288u);
  int rounded = 0;  // Windows whose float step sum is not the exact decimal.
  std::vector<AggrWindow> naive = w;
  for (size_t i = 0; i < w.size(); ++i) {
    double sum = 0;
    for (size_t j = i * 20 + 1; j < i * 20 + 20; ++j)
      sum += CounterStep(s[j - 1].value, s[j].value);
    naive[i].inc = sum;
    const double exact = static_cast<double>(mant[i * 20 + 19] - mant[i * 20]) / 100;
    if (i == 100) {
      EXPECT_EQ(std::bit_cast<uint64_t>(w[i].inc), std::bit_cast<uint64_t>(sum));
      continue;
    }
    EXPECT_EQ(std::bit_cast<uint64_t>(w[i].inc), std::bit_cast<uint64_t>(exact)) << i;
    if (sum != exact) ++rounded;
  }
  EXPECT_GT(rounded, 50);  // The test data does round.
  std::vector<AggrWindow> h;
  AggregateWindows(w, k1h, &h);
  ASSERT_EQ(h.size(), 24u);
  for (size_t i = 0; i < h.size(); ++i) {
    if (i == 100 / 12) continue;  // The hour with the reset.
    const double exact = static_cast<double>(mant[i * 240 + 239] - mant[i * 240]) / 100;
    EXPECT_NEAR(h[i].inc, exact, exact * 1e-12) << i;  // The float sum of the steps.
  }
  const std::string exact_group = block::EncodeWindowGroup(w);
  const std::string naive_group = block::EncodeWindowGroup(naive);
  std::printf("exact increases: %.2f bytes per window, float sums: %.2f\n",
              static_cast<double>(exact_group.size()) / 288,
              static_cast<double>(naive_group.size()) / 288);
  EXPECT_LT(exact_group.size() * 10, naive_group.size() * 9);
  std::vector<AggrWindow> back;
  ASSERT_TRUE(
      block::DecodeGroupWindows(exact_group, RefOf(w), k5m, INT64_MIN, INT64_MAX, &back).ok());
  EXPECT_TRUE(SameWindows(w, back));
}

// Only windows in which no step was a reset get the exact difference: a reset from a small
// value, resets among negative values and an infinite step keep the float sum (each of these
// passed a check of the sum against last - first within rounding alone).
TEST(AggregateGroupTest, WindowsWithAResetKeepTheirSum) {
  auto inc_of = [](const std::vector<double>& values) {
    std::vector<model::Sample> s;
    for (size_t i = 0; i < values.size(); ++i) {
      s.push_back({static_cast<int64_t>(i) * 1000, values[i]});
    }
    std::vector<AggrWindow> w;
    AggregateSamples(s, k1h, &w);
    EXPECT_EQ(w.size(), 1u);
    return w.empty() ? 0.0 : w[0].inc;
  };
  EXPECT_EQ(inc_of({0, INFINITY, 5}), INFINITY);
  EXPECT_EQ(inc_of({-1e15, 3, 0, -999999999999990}), 13);
  std::vector<double> climb = {1, 0};
  for (int i = 1; i <= 299; ++i) climb.push_back(1e13 * i / 299);
  double sum = 0;
  for (size_t i = 1; i < climb.size(); ++i) sum += CounterStep(climb[i - 1], climb[i]);
  EXPECT_EQ(std::bit_cast<uint64_t>(inc_of(climb)), std::bit_cast<uint64_t>(sum));
  EXPECT_NE(sum, climb.back() - climb.front());  // The reset from 1 added 1.
}

TEST(AggregateGroupTest, EveryByteFlipIsCorruptionOrTheSameAnswer) {
  std::mt19937_64 rng(9);
  auto w = SomeWindows(40, rng);
  std::string stored = block::EncodeWindowGroup(w);
  for (size_t i = 0; i < stored.size(); ++i) {
    for (uint8_t flip : {0x01, 0x80, 0xff}) {
      std::string b = stored;
      b[i] = static_cast<char>(b[i] ^ flip);
      std::vector<AggrWindow> back;
      Status s = block::DecodeGroupWindows(b, RefOf(w), k5m, INT64_MIN, INT64_MAX, &back);
      if (s.ok()) {
        EXPECT_TRUE(SameWindows(w, back)) << "byte " << i;
      } else {
        EXPECT_TRUE(s.IsCorruption()) << s.ToString();
      }
    }
  }
  // Truncations.
  for (size_t n = 0; n < stored.size(); ++n) {
    std::vector<AggrWindow> back;
    EXPECT_FALSE(
        block::DecodeGroupWindows(stored.substr(0, n), RefOf(w), k5m, INT64_MIN, INT64_MAX, &back)
            .ok());
  }
}

// A group whose times would overflow int64 (a span below the smallest time, a stale marker
// past the largest) is Corruption, computed without signed overflow (UBSan checks this).
TEST(AggregateGroupTest, TimesThatOverflowAreCorruption) {
  auto group = [](int64_t last_t, uint64_t span, uint64_t stale) {
    std::string raw;
    raw.push_back(static_cast<char>(block::kEncodingAggregate));
    PutVarint64(&raw, 1);
    std::string times;
    PutVarsint64(&times, last_t);
    PutVarint64(&times, span);
    PutVarint64(&times, stale);
    PutVarint64(&times, 1);  // count
    PutLengthPrefixed(&raw, times);
    for (int c = 0; c < 6; ++c) {
      std::string col;
      col.push_back(0);  // XOR column: one value, 0.
      PutVarint64(&col, 0);
      PutLengthPrefixed(&raw, col);
    }
    return block::SealGroup(std::move(raw));
  };
  block::GroupRef ref;
  ref.min_time = INT64_MIN;
  ref.max_time = INT64_MAX;
  ref.samples = 1;
  ref.chunks = 1;
  std::vector<AggrWindow> back;
  // The builder is right: a sane window decodes.
  ASSERT_TRUE(
      block::DecodeGroupWindows(group(1000 * k5m + 5, 5, 0), ref, k5m, INT64_MIN, INT64_MAX, &back)
          .ok());
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].first_t, 1000 * k5m);
  // On Corruption *out keeps what it held before the call, and only that.
  EXPECT_TRUE(
      block::DecodeGroupWindows(group(INT64_MIN + 3, 10, 0), ref, k5m, INT64_MIN, INT64_MAX, &back)
          .IsCorruption());
  EXPECT_TRUE(
      block::DecodeGroupWindows(group(INT64_MAX - 3, 0, 10), ref, k5m, INT64_MIN, INT64_MAX, &back)
          .IsCorruption());
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].first_t, 1000 * k5m);
}

// XOR columns are read 8 bytes at a time where 8 remain: every value of every varint length
// round-trips, at every distance from the column's end, and a varint that is truncated, over
// 64 bits or eleven bytes long is Corruption, wherever it sits.
TEST(AggregateGroupTest, XorColumnVarintsOfEveryLengthAndMalformedOnes) {
  // One window per value; the sum column holds the given varints as written.
  auto group = [](const std::vector<std::string>& sum_varints) {
    const size_t n = sum_varints.size();
    std::string raw;
    raw.push_back(static_cast<char>(block::kEncodingAggregate));
    PutVarint64(&raw, n);
    std::string times;
    for (size_t i = 0; i < n; ++i) PutVarsint64(&times, i == 0 ? 1000 * k5m : (i == 1 ? k5m : 0));
    for (size_t i = 0; i < n; ++i) PutVarint64(&times, 0);  // span
    for (size_t i = 0; i < n; ++i) PutVarint64(&times, 0);  // stale
    for (size_t i = 0; i < n; ++i) PutVarint64(&times, 1);  // count
    PutLengthPrefixed(&raw, times);
    for (int c = 0; c < 6; ++c) {
      std::string col;
      col.push_back(0);
      for (size_t i = 0; i < n; ++i) {
        if (c == 0) {
          col += sum_varints[i];
        } else {
          PutVarint64(&col, 0);
        }
      }
      PutLengthPrefixed(&raw, col);
    }
    return raw;
  };
  auto ref_for = [](size_t n) {
    block::GroupRef ref;
    ref.min_time = 1000 * k5m;
    ref.max_time = (1000 + static_cast<int64_t>(n)) * k5m;
    ref.samples = n;
    ref.chunks = 1;
    return ref;
  };
  std::mt19937_64 rng(3);
  for (int bits = 0; bits <= 64; ++bits) {
    for (size_t n = 1; n <= 12; ++n) {  // The varint of interest last: 0..11 bytes after it.
      std::vector<uint64_t> want(n);
      std::vector<std::string> enc(n);
      for (size_t i = 0; i < n; ++i) {
        const int b = i + 1 == n ? bits : static_cast<int>(rng() % 65);
        want[i] = b == 0 ? 0 : (rng() >> (64 - b)) | (uint64_t{1} << (b - 1));
        PutVarint64(&enc[i], want[i]);
      }
      std::vector<AggrWindow> back;
      Status st = block::DecodeUnsealedWindows(group(enc), ref_for(n), k5m, INT64_MIN, INT64_MAX,
                                               &back, block::kColSum);
      ASSERT_TRUE(st.ok()) << st.ToString();
      ASSERT_EQ(back.size(), n);
      uint64_t prev = 0;
      for (size_t i = 0; i < n; ++i) {
        prev ^= want[i];
        EXPECT_EQ(std::bit_cast<uint64_t>(back[i].sum), prev) << "bits " << bits << " n " << n;
      }
      // The same varint cut short, made too long, or past 64 bits: Corruption.
      std::vector<std::string> bad = enc;
      if (bad.back().size() > 1) {
        bad.back().pop_back();
        back.clear();
        EXPECT_TRUE(block::DecodeUnsealedWindows(group(bad), ref_for(n), k5m, INT64_MIN, INT64_MAX,
                                                 &back, block::kColSum)
                        .IsCorruption())
            << "truncated, bits " << bits;
      }
      for (const std::string& v :
           {std::string(9, '\xff') + '\x02', std::string(10, '\x80') + '\x00'}) {
        bad = enc;
        bad.back() = v;
        back.clear();
        EXPECT_TRUE(block::DecodeUnsealedWindows(group(bad), ref_for(n), k5m, INT64_MIN, INT64_MAX,
                                                 &back, block::kColSum)
                        .IsCorruption())
            << "overlong, n " << n;
      }
    }
  }
}

// A counter view that goes down (a counter reset to a negative value) keeps every point of
// the segment, so rate() still sees each drop; one that only goes up keeps its ends.
TEST(DownsampleTest, ThinViewKeepsACounterViewThatGoesDown) {
  auto view_of = [](std::vector<double> values) {
    std::vector<model::Sample> raw;
    for (size_t i = 0; i < values.size(); ++i) {
      raw.push_back({static_cast<int64_t>(i) * k5m + 1000, values[i]});
    }
    std::vector<AggrWindow> w;
    AggregateSamples(raw, k5m, &w);
    std::vector<model::Sample> out;
    std::vector<uint32_t> counts;
    AppendView(w, AggrView::kCounter, INT64_MIN, INT64_MAX, &out, &counts);
    return std::pair(out, counts);
  };
  const ReadGrid one_read{100 * k5m, 0, 1, 200 * k5m};  // Everything is one segment.
  auto [down, down_counts] = view_of({10, -5, 20, -7, 1});
  auto s = down;
  auto c = down_counts;
  ThinView(AggrView::kCounter, one_read, &s, &c);
  ASSERT_EQ(s.size(), down.size());
  for (size_t i = 0; i < s.size(); ++i) EXPECT_EQ(s[i].value, down[i].value);
  auto [up, up_counts] = view_of({10, 12, 3, 20, 21});
  s = up;
  c = up_counts;
  ThinView(AggrView::kCounter, one_read, &s, &c);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s.front().value, up.front().value);
  EXPECT_EQ(s.back().value, up.back().value);
  EXPECT_EQ(c[0] + c[1], up_counts[0] + up_counts[1] + up_counts[2] + up_counts[3] + up_counts[4]);
}

// ThinView's rule by brute force over the read boundaries (ref_j and, for range reads,
// ref_j - range): a point on a boundary is a segment of its own, and a segment runs on until
// a boundary lies after its first point and at or before a later one.
std::pair<std::vector<model::Sample>, std::vector<uint32_t>> ReferenceThin(
    AggrView view, const ReadGrid& g, const std::vector<model::Sample>& s,
    const std::vector<uint32_t>& counts) {
  std::vector<int64_t> bounds;
  for (int64_t j = 0; j < g.ref_count; ++j) {
    const int64_t ref = g.first_ref_ms + j * g.ref_step_ms;
    bounds.push_back(ref);
    if (g.range_ms > 0) bounds.push_back(ref - g.range_ms);
  }
  auto on_bound = [&](int64_t t) {
    return std::find(bounds.begin(), bounds.end(), t) != bounds.end();
  };
  auto cut_in = [&](int64_t a, int64_t b) {  // A boundary in (a, b].
    for (int64_t x : bounds) {
      if (a < x && x <= b) return true;
    }
    return false;
  };
  const bool weighted = !counts.empty();
  auto n_of = [&](size_t k) -> uint64_t { return weighted ? counts[k] : 1; };
  std::vector<model::Sample> out;
  std::vector<uint32_t> out_counts;
  auto keep = [&](int64_t t, double v, uint64_t n) {
    out.push_back({t, v});
    if (weighted) out_counts.push_back(static_cast<uint32_t>(std::min<uint64_t>(n, UINT32_MAX)));
  };
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i + 1;
    if (!on_bound(s[i].timestamp_ms)) {
      while (j < s.size() && !cut_in(s[i].timestamp_ms, s[j].timestamp_ms)) ++j;
    }
    std::vector<size_t> live;  // Non-stale points of [i, j).
    for (size_t k = i; k < j; ++k) {
      if (!model::IsStaleNaN(s[k].value)) live.push_back(k);
    }
    if (view == AggrView::kLast) {
      keep(s[j - 1].timestamp_ms, s[j - 1].value, n_of(j - 1));
    } else if (!live.empty()) {
      uint64_t total = 0;
      bool down = false;
      for (size_t x = 0; x < live.size(); ++x) {
        total += n_of(live[x]);
        // Down, or a NaN next to which rate() would see no drop: every point stays.
        if (x > 0 && !(s[live[x]].value >= s[live[x - 1]].value)) down = true;
      }
      const bool folded = view == AggrView::kCounter || view == AggrView::kSum;
      if (folded && ((view == AggrView::kCounter && down) || total > UINT32_MAX)) {
        for (size_t k = i; k < j; ++k) keep(s[k].timestamp_ms, s[k].value, n_of(k));
      } else if (view == AggrView::kCounter) {
        keep(s[live.front()].timestamp_ms, s[live.front()].value, n_of(live.front()));
        if (live.size() > 1) {
          keep(s[live.back()].timestamp_ms, s[live.back()].value, total - n_of(live.front()));
        }
      } else {
        double v = s[live.front()].value;
        for (size_t x = 1; x < live.size(); ++x) {
          const double y = s[live[x]].value;
          if (view == AggrView::kMin && (v > y || std::isnan(v))) v = y;
          if (view == AggrView::kMax && (v < y || std::isnan(v))) v = y;
          if (view == AggrView::kSum) v += y;
        }
        keep(s[live.back()].timestamp_ms, v, total);
      }
    }
    i = j;
  }
  return {out, out_counts};
}

// ThinView, and AppendThinView (the view and its thinning in one pass), give what the rule
// gives by brute force, bit for bit, over random series (resets, negative values, NaNs, stale
// markers) and random grids (steps on and off the windows, ranges 0 to 6 h, one read, reads
// at one time).
TEST(DownsampleTest, ThinningMatchesTheRuleByBruteForce) {
  std::mt19937_64 rng(7);
  auto pick = [&](std::initializer_list<int64_t> xs) {
    return *(xs.begin() + static_cast<ptrdiff_t>(rng() % xs.size()));
  };
  auto same_bits = [](const std::vector<model::Sample>& a, const std::vector<model::Sample>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i].timestamp_ms != b[i].timestamp_ms ||
          std::bit_cast<uint64_t>(a[i].value) != std::bit_cast<uint64_t>(b[i].value)) {
        return false;
      }
    }
    return true;
  };
  // ThinView of `in` (with `counts`) gives `want` and `want_counts`, bit for bit.
  auto thins_to = [&](AggrView view, const ReadGrid& g, std::vector<model::Sample> in,
                      std::vector<uint32_t> counts, const std::vector<model::Sample>& want,
                      const std::vector<uint32_t>& want_counts) {
    ThinView(view, g, &in, &counts);
    return same_bits(in, want) && counts == want_counts;
  };
  int checked = 0, thinned = 0;
  int raw_checked = 0, raw_thinned = 0, raw_kept_all = 0;
  int fast_thinned = 0, fast_refused = 0;
  for (int round = 0; round < 300; ++round) {
    std::vector<model::Sample> raw;
    double v = 0;
    for (int64_t t = static_cast<int64_t>(rng() % 60000); t < 12 * k1h;
         t += pick({15000, 15000, 15000, 60000, 7 * 60000})) {
      const uint64_t r = rng() % 100;
      if (r < 3) {
        raw.push_back({t, model::StaleNaN()});
        continue;
      }
      if (r < 6) v = 0;                                  // A reset.
      if (r == 6) v = -static_cast<double>(rng() % 50);  // A "counter" below zero.
      v += static_cast<double>(rng() % 1000) / 10;
      raw.push_back({t, r == 7 ? std::nan("") : v});
    }
    std::vector<AggrWindow> w;
    AggregateSamples(raw, k5m, &w);
    // A damaged group's last value may carry the stale marker's bits: every way of thinning
    // takes it as a marker (the counter view passes the last window's value on as it is).
    if (round % 10 == 9 && w.size() > 3) {
      w.resize(w.size() / 2);
      w.back().last = model::StaleNaN();
    }
    const ReadGrid g{static_cast<int64_t>(rng() % (12 * k1h)) - k1h,
                     pick({0, k5m, k1h, k1h + 1234, 17 * 60000}),
                     static_cast<int64_t>(1 + rng() % 30),
                     pick({0, k5m, k1h, k1h + 15000, 6 * k1h, 3 * k1h + 7})};
    const int64_t start = pick({INT64_MIN, 0, 2 * k1h + 12345});
    for (AggrView view :
         {AggrView::kLast, AggrView::kCounter, AggrView::kMin, AggrView::kMax, AggrView::kSum}) {
      std::vector<model::Sample> all;
      std::vector<uint32_t> all_counts;
      AppendView(w, view, start, 11 * k1h, &all, &all_counts);
      auto [want, want_counts] = ReferenceThin(view, g, all, all_counts);
      ASSERT_TRUE(thins_to(view, g, all, all_counts, want, want_counts))
          << "ThinView, round " << round;
      std::vector<model::Sample> fused;
      std::vector<uint32_t> fused_counts;
      AppendThinView(w, view, start, 11 * k1h, g, &fused, &fused_counts);
      ASSERT_TRUE(same_bits(fused, want)) << "AppendThinView, round " << round;
      ASSERT_EQ(fused_counts, want_counts) << "AppendThinView, round " << round;
      ++checked;
      if (want.size() < all.size()) ++thinned;
      // ThinRawView: ThinView of raw samples with a count of 1 each (none for kMin and
      // kMax, as MergeQuerier thins them), or false with the samples and counts untouched; on
      // the series, on the series without its NaNs and stale markers (its resets alone), and
      // on a copy that never goes down and holds no NaN or stale marker, which it always thins
      // (kLast: never).
      {
        std::vector<model::Sample> clean, resets;
        double c = 0;
        for (const model::Sample& p : raw) {
          if (std::isnan(p.value)) continue;
          resets.push_back(p);
          c += std::fabs(p.value) * (rng() % 4 == 0 ? 0 : 1);  // Repeated values now and then.
          clean.push_back({p.timestamp_ms, c});
        }
        const bool counted = view == AggrView::kCounter || view == AggrView::kSum;
        for (const auto* series : {&raw, &clean, &resets}) {
          std::vector<model::Sample> in = *series;
          std::vector<uint32_t> got_counts = {42};
          auto [raw_want, raw_want_counts] = ReferenceThin(
              view, g, *series, std::vector<uint32_t>(counted ? series->size() : 0, 1));
          if (ThinRawView(view, g, &in, &got_counts)) {
            ASSERT_TRUE(same_bits(in, raw_want)) << "ThinRawView, round " << round;
            ASSERT_EQ(got_counts, counted ? raw_want_counts : std::vector<uint32_t>{42})
                << "ThinRawView, round " << round;
            ++fast_thinned;
          } else {
            ASSERT_TRUE(series != &clean || view == AggrView::kLast)
                << "ThinRawView refused a clean counter, round " << round;
            ASSERT_TRUE(same_bits(in, *series)) << "ThinRawView, round " << round;
            ASSERT_EQ(got_counts, std::vector<uint32_t>{42}) << "ThinRawView, round " << round;
            ++fast_refused;
          }
        }
      }
      // Raw samples too (MergeQuerier thins the raw tail after a view so): resets, values
      // below zero, NaNs and stale markers as they come, unweighted and weighted, with counts
      // large enough now and then that a segment's total passes 32 bits.
      std::vector<uint32_t> raw_counts;
      for (size_t k = 0; k < raw.size(); ++k) {
        raw_counts.push_back(round % 3 == 0 ? UINT32_MAX - static_cast<uint32_t>(rng() % 3)
                                            : static_cast<uint32_t>(1 + rng() % 40));
      }
      for (const std::vector<uint32_t>& counts : {std::vector<uint32_t>(), raw_counts}) {
        auto [raw_want, raw_want_counts] = ReferenceThin(view, g, raw, counts);
        ASSERT_TRUE(thins_to(view, g, raw, counts, raw_want, raw_want_counts))
            << "ThinView of raw samples, round " << round;
        ++raw_checked;
        if (raw_want.size() < raw.size()) ++raw_thinned;
        if (raw_want.size() > 0 && raw_want.size() == raw.size()) ++raw_kept_all;
      }
    }
  }
  EXPECT_EQ(checked, 1500);
  EXPECT_GT(thinned, 1000);  // Most cases do drop points.
  EXPECT_EQ(raw_checked, 3000);
  EXPECT_GT(raw_thinned, 2000);
  EXPECT_GT(raw_kept_all, 0);     // Some keep every point (a counter that goes down, big counts).
  EXPECT_GE(fast_thinned, 1200);  // Every clean copy, of four views.
  EXPECT_GT(fast_refused, 1500);  // kLast; series that reset or hold a NaN or stale marker.
}

// Thinning a view for reads at extreme times (a grid reaching past the ends of int64, @ at
// one time, a single read) keeps time order and never computes out of range (UBSan).
TEST(DownsampleTest, ThinViewAtExtremeTimesKeepsOrder) {
  std::vector<model::Sample> base;
  for (int64_t t : {INT64_MIN + 1, INT64_MIN + 2, int64_t{-5}, int64_t{0}, int64_t{7},
                    INT64_MAX - 2, INT64_MAX - 1, INT64_MAX}) {
    base.push_back({t, static_cast<double>(base.size())});
  }
  for (AggrView view : {AggrView::kLast, AggrView::kCounter, AggrView::kMin, AggrView::kSum}) {
    for (const ReadGrid& g :
         {ReadGrid{INT64_MIN, INT64_MAX, 3, INT64_MAX}, ReadGrid{INT64_MAX, 0, 5, 1},
          ReadGrid{0, 1, 1, 0}, ReadGrid{-7, INT64_MAX / 2, 4, 0}}) {
      auto s = base;
      std::vector<uint32_t> counts(s.size(), 1);
      ThinView(view, g, &s, &counts);
      ASSERT_FALSE(s.empty());
      EXPECT_EQ(counts.size(), s.size());
      for (size_t i = 1; i < s.size(); ++i) EXPECT_LT(s[i - 1].timestamp_ms, s[i].timestamp_ms);
      // The last point always stays (it ends the last segment).
      EXPECT_EQ(s.back().timestamp_ms, INT64_MAX);
    }
    // No reads, a negative step or range: nothing is dropped.
    for (const ReadGrid& g : {ReadGrid{0, 1, 0, 0}, ReadGrid{0, -1, 5, 0}, ReadGrid{0, 1, 5, -3}}) {
      auto s = base;
      std::vector<uint32_t> counts(s.size(), 1);
      ThinView(view, g, &s, &counts);
      EXPECT_EQ(s.size(), base.size());
    }
  }
}

// Each window must lie in one bucket of the resolution. The reader carries the bucket from
// window to window; check it against windows next to each other, one bucket apart, far apart,
// before 1970 and near the ends of int64, at both resolutions.
TEST(AggregateGroupTest, WindowsMustEachLieInOneBucket) {
  for (int64_t r : {k5m, k1h}) {
    const int64_t far = INT64_MAX / r - 2;  // The last buckets that fit.
    const std::vector<int64_t> buckets = {-far, -far + 1, -7, -6, -4,   -1,      0,  1,
                                          2,    4,        5,  9,  1000, far - 2, far};
    // Window i spans [start + 1000, start + r - 2 - i] of its bucket.
    auto windows = [&](size_t crossing) {
      std::vector<AggrWindow> w;
      for (size_t i = 0; i < buckets.size(); ++i) {
        AggrWindow x;
        const int64_t start = buckets[i] * r;
        x.first_t = start + 1000;
        x.last_t = start + r - 2 - static_cast<int64_t>(i);  // Before the next bucket's - 1.
        if (i == crossing) {
          // Starts in the bucket before (which no other window uses) and ends in its own.
          x.first_t = start - 1;
          x.last_t = start + 1;
        }
        x.count = 2;
        x.sum = x.min = x.max = x.first = x.last = 1;
        w.push_back(x);
      }
      return w;
    };
    std::vector<AggrWindow> back;
    auto good = windows(SIZE_MAX);
    Status s = block::DecodeGroupWindows(block::EncodeWindowGroup(good), RefOf(good), r, INT64_MIN,
                                         INT64_MAX, &back);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(SameWindows(good, back));
    for (size_t i = 0; i < buckets.size(); ++i) {
      auto bad = windows(i);
      back.clear();
      s = block::DecodeGroupWindows(block::EncodeWindowGroup(bad), RefOf(bad), r, INT64_MIN,
                                    INT64_MAX, &back);
      EXPECT_TRUE(s.IsCorruption()) << "resolution " << r << ", bucket " << buckets[i];
      EXPECT_NE(s.ToString().find("spans two buckets"), std::string::npos) << s.ToString();
    }
  }
}

class DownsampledBlockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("downsample_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    cold_ = OpenStore();
    ASSERT_NE(cold_, nullptr);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A cold store of node n1 over an empty in-memory bucket; null when it does not open.
  static std::unique_ptr<ColdStore> OpenStore() {
    ColdOptions o;
    o.node_id = "n1";
    auto cold = ColdStore::Open(std::make_unique<testutil::MemObjectStore>(
                                    std::make_shared<testutil::MemObjectStore::State>()),
                                o, nullptr);
    return cold.ok() ? std::move(cold).value() : nullptr;
  }

  // Writes a raw block of `n` series {__name__="c", i="1000"...} (samples_of(i): sorted) and
  // uploads it to cold_; *meta is its meta.
  void UploadRaw(int n, const std::function<std::vector<model::Sample>(int)>& samples_of,
                 block::BlockMeta* meta) {
    auto m = NewMeta();
    m.source = "test";
    auto w = block::BlockWriter::Create((dir_ / "raw").string(), m);
    ASSERT_TRUE(w.ok());
    for (int i = 0; i < n; ++i) {
      auto labels = *model::Labels::FromPairs({{"__name__", "c"}, {"i", std::to_string(1000 + i)}});
      ASSERT_TRUE((*w)->AddSeriesSamples(labels, samples_of(i)).ok());
    }
    auto raw = (*w)->Finish();
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE(cold_->Upload((dir_ / "raw").string(), *raw).ok());
    *meta = *raw;
  }

  block::BlockMeta NewMeta() {
    static std::mt19937_64 rng(3);
    block::BlockMeta m;
    m.created_ms = 1700000000000;
    m.id = block::NewBlockId(m.created_ms, rng);
    m.node = "n1";
    return m;
  }

  std::filesystem::path dir_;
  std::unique_ptr<ColdStore> cold_;
};

TEST_F(DownsampledBlockTest, BuildingLeavesTheReadCacheToQueries) {
  // A build reads the whole source block once; its series entries and groups must not stay in
  // the cold read cache (it filled to its 128 MiB budget after every compaction). The index
  // header, which queries need anyway, may.
  const int64_t day = 24 * k1h;
  block::BlockMeta raw_meta;
  const block::BlockMeta* raw = &raw_meta;
  ASSERT_NO_FATAL_FAILURE(UploadRaw(
      300, [&](int i) { return Counter(0, day, 1 + i % 3, {}); }, &raw_meta));
  const uint64_t before = cold_->Stats().cache_bytes;
  auto m5 = cold_->BuildDownsampled(*raw, k5m, NewMeta(), (dir_ / "5m").string());
  ASSERT_TRUE(m5.ok()) << m5.status().ToString();
  const uint64_t after = cold_->Stats().cache_bytes;
  // 300 series x 5,760 samples: the groups alone are far above 300 KiB inflated.
  EXPECT_LT(after - before, uint64_t{64} << 10) << "cache grew from " << before << " to " << after;
  // A query still reads the block, and fills the cache as before.
  SelectHints h;
  h.start_ms = 0;
  h.end_ms = day;
  h.max_resolution_ms = 0;
  auto set = cold_->Select({*model::Matcher::Make(model::MatchType::kRegexMatch, "i", ".+")}, h);
  ASSERT_TRUE(set.ok());
  size_t n = 0;
  std::vector<model::Sample> out;
  while ((*set)->Next()) {
    out.clear();
    ASSERT_TRUE((*set)->ReadSamples(&out).ok());
    EXPECT_EQ(out.size(), 5760u);
    ++n;
  }
  EXPECT_EQ(n, 300u);
  EXPECT_GT(cold_->Stats().cache_bytes, after + (uint64_t{300} << 10));
}

TEST_F(DownsampledBlockTest, RawTo5mTo1hKeepsTotalsAndQueriesPickByRule) {
  // 400 series (more than one batch of the builder), one day.
  const int64_t day = 24 * k1h;
  auto counter = [&](int i) { return Counter(0, day, 1 + i % 3, {day / 3 + i * kStep}); };
  block::BlockMeta raw_meta;
  const block::BlockMeta* raw = &raw_meta;
  ASSERT_NO_FATAL_FAILURE(UploadRaw(400, counter, &raw_meta));

  auto m5 = cold_->BuildDownsampled(*raw, k5m, NewMeta(), (dir_ / "5m").string());
  ASSERT_TRUE(m5.ok()) << m5.status().ToString();
  EXPECT_EQ(m5->resolution_ms, k5m);
  EXPECT_EQ(m5->source, DownsampleSource(*raw));
  EXPECT_EQ(m5->series, 400u);
  EXPECT_EQ(m5->samples, 400u * 288);
  EXPECT_EQ(m5->min_time, raw->min_time);
  EXPECT_EQ(m5->max_time, raw->max_time);
  ASSERT_TRUE(cold_->Upload((dir_ / "5m").string(), *m5).ok());
  // 1h from the 5m block (5m from 5m is refused).
  EXPECT_FALSE(cold_->BuildDownsampled(*m5, k5m, NewMeta(), (dir_ / "x").string()).ok());
  auto m1 = cold_->BuildDownsampled(*m5, k1h, NewMeta(), (dir_ / "1h").string());
  ASSERT_TRUE(m1.ok()) << m1.status().ToString();
  EXPECT_EQ(m1->samples, 400u * 24);
  ASSERT_TRUE(cold_->Upload((dir_ / "1h").string(), *m1).ok());

  model::Matchers sel = {*model::Matcher::Make(model::MatchType::kEqual, "i", "1007")};
  const auto truth = counter(7);
  auto read = [&](int64_t range, int64_t step, int64_t cap, std::string func,
                  std::vector<ResolutionUse>* used) {
    SelectHints h;
    h.start_ms = 0;
    h.end_ms = day;
    h.range_ms = range;
    h.step_ms = step;
    h.max_resolution_ms = cap;
    h.func = std::move(func);
    h.resolutions = used;
    auto set = cold_->Select(sel, h);
    EXPECT_TRUE(set.ok());
    std::vector<model::Sample> out;
    EXPECT_TRUE((*set)->Next());
    EXPECT_TRUE((*set)->ReadSamples(&out).ok());
    EXPECT_FALSE((*set)->Next());
    return out;
  };
  std::vector<ResolutionUse> used;
  // Raw: every sample.
  auto r = read(0, 0, kAutoResolution, "", &used);
  EXPECT_EQ(r.size(), truth.size());
  EXPECT_TRUE(used.empty());
  // rate over 1h windows: 5m data (2 samples a window), the counter view.
  r = read(k1h, k1h, kAutoResolution, "rate", &used);
  EXPECT_EQ(r.size(), 2u * 288);
  ASSERT_EQ(used.size(), 1u);
  EXPECT_EQ(used[0].resolution_ms, k5m);
  EXPECT_DOUBLE_EQ(r.back().value - r.front().value, TrueIncrease(truth));
  // rate over 5h: 1h data.
  used.clear();
  r = read(5 * k1h, k1h, kAutoResolution, "rate", &used);
  EXPECT_EQ(r.size(), 2u * 24);
  EXPECT_EQ(used.at(0).resolution_ms, k1h);
  EXPECT_DOUBLE_EQ(r.back().value - r.front().value, TrueIncrease(truth));
  // Capped at 5m.
  used.clear();
  r = read(5 * k1h, k1h, k5m, "rate", &used);
  EXPECT_EQ(used.at(0).resolution_ms, k5m);
  // Capped at raw.
  used.clear();
  r = read(5 * k1h, k1h, 0, "rate", &used);
  EXPECT_EQ(r.size(), truth.size());
  EXPECT_TRUE(used.empty());
  // Raw deleted by retention: auto falls back to 5m even for raw-only selectors; raw cap: none.
  ASSERT_TRUE(cold_->Delete(*raw).ok());
  used.clear();
  r = read(0, 0, kAutoResolution, "", &used);
  EXPECT_EQ(r.size(), 2u * 288);
  SelectHints h;
  h.max_resolution_ms = 0;
  auto set = cold_->Select(sel, h);
  ASSERT_TRUE(set.ok());
  EXPECT_FALSE((*set)->Next());
}

// Retention may delete a day's 5m block and keep its raw and 1h blocks (raw kept longer than
// 5m data, or forever). The 1h block names the 5m block as its source; it is still answered as
// one chain with the raw block: a raw read reads raw samples only, a 5h rate the 1h windows.
TEST_F(DownsampledBlockTest, AChainWhose5mBlockIsDeletedIsStillOneChain) {
  const int64_t day = 24 * k1h;
  auto counter = [&](int i) { return Counter(0, day, 1 + i % 3, {day / 3 + i * kStep}); };
  block::BlockMeta raw;
  ASSERT_NO_FATAL_FAILURE(UploadRaw(3, counter, &raw));
  auto m5 = cold_->BuildDownsampled(raw, k5m, NewMeta(), (dir_ / "5m").string());
  ASSERT_TRUE(m5.ok()) << m5.status().ToString();
  ASSERT_TRUE(cold_->Upload((dir_ / "5m").string(), *m5).ok());
  auto m1 = cold_->BuildDownsampled(*m5, k1h, NewMeta(), (dir_ / "1h").string());
  ASSERT_TRUE(m1.ok()) << m1.status().ToString();
  ASSERT_TRUE(cold_->Upload((dir_ / "1h").string(), *m1).ok());
  ASSERT_TRUE(cold_->Delete(*m5).ok());

  model::Matchers sel = {*model::Matcher::Make(model::MatchType::kEqual, "i", "1001")};
  const auto truth = counter(1);
  auto read = [&](int64_t start, int64_t end, int64_t range, int64_t step,
                  std::vector<ResolutionUse>* used) {
    SelectHints h;
    h.start_ms = start;
    h.end_ms = end;
    h.range_ms = range;
    h.step_ms = step;
    h.max_resolution_ms = kAutoResolution;
    h.func = range > 0 ? "rate" : "";
    h.resolutions = used;
    auto set = cold_->Select(sel, h);
    EXPECT_TRUE(set.ok());
    std::vector<model::Sample> out;
    if (!set.ok() || !(*set)->Next()) return out;
    EXPECT_TRUE((*set)->ReadSamples(&out).ok());
    EXPECT_FALSE((*set)->Next());
    return out;
  };
  // An instant query's lookback at 10:30:05: the raw samples, not the hour window's.
  std::vector<ResolutionUse> used;
  const int64_t at = 10 * k1h + 30 * 60000 + 5000;
  auto r = read(at - 5 * 60000, at, 0, 0, &used);
  EXPECT_TRUE(used.empty());
  std::vector<model::Sample> want;
  for (const auto& x : truth) {
    if (x.timestamp_ms >= at - 5 * 60000 && x.timestamp_ms <= at) want.push_back(x);
  }
  ASSERT_EQ(r.size(), want.size());
  for (size_t i = 0; i < r.size(); ++i) {
    EXPECT_EQ(r[i].timestamp_ms, want[i].timestamp_ms);
    EXPECT_EQ(r[i].value, want[i].value);
  }
  // The whole day raw: every sample once.
  r = read(0, day, 0, 0, &used);
  EXPECT_EQ(r.size(), truth.size());
  EXPECT_TRUE(used.empty());
  // rate over 5h: the 1h windows alone.
  r = read(0, day, 5 * k1h, k1h, &used);
  EXPECT_EQ(r.size(), 2u * 24);
  ASSERT_EQ(used.size(), 1u);
  EXPECT_EQ(used[0].resolution_ms, k1h);
  EXPECT_DOUBLE_EQ(r.back().value - r.front().value, TrueIncrease(truth));
  // rate over 1h (5m allowed, none left): raw.
  used.clear();
  r = read(0, day, k1h, k1h, &used);
  EXPECT_EQ(r.size(), truth.size());
  EXPECT_TRUE(used.empty());
  // Raw deleted too: the 1h block answers alone (the finest data left).
  ASSERT_TRUE(cold_->Delete(raw).ok());
  r = read(0, day, 0, 0, &used);
  EXPECT_EQ(r.size(), 2u * 24);
}

TEST_F(DownsampledBlockTest, OverlappingBlocksReadAsOne) {
  // A retried move can leave two blocks of one day, each with its 5m block: their windows
  // come out of order, and a read sorts them and keeps the first of any that overlap. Here
  // block A has a gap that block B (later in time order, so read second) fills: the answer
  // is what one block holding both gives. A also lacks 16:20 to 16:40, which B holds: an
  // hour A's 1h window covers, and must not hide B's windows in from reads on whole hours
  // (which read 1h windows for 5m ones where blocks do not overlap).
  const int64_t day = 24 * k1h;
  const int64_t off = 1234;  // No sample at an hour's start, so 1h windows could serve.
  auto labels = *model::Labels::FromPairs({{"__name__", "c"}, {"i", "1"}});
  auto shifted = [&](std::vector<model::Sample> v) {
    for (auto& x : v) x.timestamp_ms += off;
    return v;
  };
  const auto day0 = shifted(Counter(0, day, 2, {day / 2}));
  const auto day1 = shifted(Counter(day, 2 * day, 3, {}));
  std::vector<model::Sample> a_part, b_part, both;
  for (const auto& x : day0) {
    auto within = [&](int64_t from, int64_t to) {
      return x.timestamp_ms >= from && x.timestamp_ms < to;
    };
    const bool in_gap =
        within(10 * k1h, 14 * k1h) || within(16 * k1h + 20 * 60000, 16 * k1h + 40 * 60000);
    if (!in_gap) a_part.push_back(x);
    const bool in_b =
        within(11 * k1h, 12 * k1h) || within(16 * k1h + 20 * 60000, 16 * k1h + 40 * 60000);
    if (in_b) b_part.push_back(x);
    if (!in_gap || in_b) both.push_back(x);
  }
  auto add = [&](ColdStore* store, const std::vector<model::Sample>& samples, bool downsample,
                 const std::string& name) {
    auto meta = NewMeta();
    meta.source = name;
    auto w = block::BlockWriter::Create((dir_ / name).string(), meta);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->AddSeriesSamples(labels, samples).ok());
    auto raw = (*w)->Finish();
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE(store->Upload((dir_ / name).string(), *raw).ok());
    if (!downsample) return;
    auto m5 = store->BuildDownsampled(*raw, k5m, NewMeta(), (dir_ / (name + "5m")).string());
    ASSERT_TRUE(m5.ok()) << m5.status().ToString();
    ASSERT_TRUE(store->Upload((dir_ / (name + "5m")).string(), *m5).ok());
    auto m1 = store->BuildDownsampled(*m5, k1h, NewMeta(), (dir_ / (name + "1h")).string());
    ASSERT_TRUE(m1.ok()) << m1.status().ToString();
    ASSERT_TRUE(store->Upload((dir_ / (name + "1h")).string(), *m1).ok());
  };
  auto one = OpenStore();
  ASSERT_NE(one, nullptr);
  add(one.get(), both, true, "a0");
  add(one.get(), day1, false, "a1");
  auto two = OpenStore();
  ASSERT_NE(two, nullptr);
  add(two.get(), a_part, true, "b0");
  add(two.get(), b_part, true, "b0dup");
  add(two.get(), day1, false, "b1");
  for (const char* func : {"rate", "max_over_time", "sum_over_time", "last_over_time"}) {
    // `grid`: with the reads of a step of 1 h from 1h (thinned, on whole hours); `cap`: the
    // max_source_resolution.
    auto read = [&](ColdStore* store, bool grid, int64_t cap) {
      SelectHints h;
      h.start_ms = 0;
      h.end_ms = 2 * day;
      h.range_ms = k1h;
      h.step_ms = k1h;
      h.func = func;
      h.max_resolution_ms = cap;
      if (grid) {
        h.first_ref_ms = k1h;
        h.ref_step_ms = k1h;
        h.ref_count = 2 * day / k1h;
      }
      auto set = store->Select({*model::Matcher::Make(model::MatchType::kEqual, "i", "1")}, h);
      EXPECT_TRUE(set.ok());
      std::vector<model::Sample> out;
      EXPECT_TRUE((*set)->Next());
      EXPECT_TRUE((*set)->ReadSamples(&out).ok());
      return out;
    };
    for (bool grid : {false, true}) {
      const auto a = read(one.get(), grid, k5m);
      const auto b = read(two.get(), grid, kAutoResolution);
      ASSERT_GT(a.size(), grid ? 40u : 288u) << func;
      ASSERT_EQ(a.size(), b.size()) << func << " grid " << grid;
      for (size_t i = 0; i < a.size(); ++i) {
        ASSERT_EQ(a[i].timestamp_ms, b[i].timestamp_ms) << func << " " << i;
        ASSERT_EQ(std::bit_cast<uint64_t>(a[i].value), std::bit_cast<uint64_t>(b[i].value))
            << func << " " << i;
      }
    }
  }
}

TEST_F(DownsampledBlockTest, FiveMinuteBlocksOfVersion2CarryTheirHourWindows) {
  // A 5m block is written as format version 2: each series entry also lists the groups of its
  // hour windows, which hours() reads as a 1h block's and which are exactly the 1h windows
  // built from its 5m windows. Version 1 (no hour groups) is still written when asked and
  // read. Damaged hour groups or versions are Corruption naming the block.
  const int64_t day = 24 * k1h;
  block::BlockMeta raw_meta;
  const block::BlockMeta* raw = &raw_meta;
  // More than one builder batch (256 series); some series end stale mid-day.
  ASSERT_NO_FATAL_FAILURE(UploadRaw(
      300,
      [&](int i) {
        auto samples = Counter(0, day, 1 + i % 3, {day / 3 + i * kStep});
        if (i % 7 == 0) samples.push_back({day / 2 + 17, model::StaleNaN()});
        std::sort(samples.begin(), samples.end(),
                  [](const auto& x, const auto& y) { return x.timestamp_ms < y.timestamp_ms; });
        return samples;
      },
      &raw_meta));
  EXPECT_EQ(raw->format_version, block::kFormatVersion1);  // Raw blocks are as before.
  auto m5 = cold_->BuildDownsampled(*raw, k5m, NewMeta(), (dir_ / "5m").string());
  ASSERT_TRUE(m5.ok()) << m5.status().ToString();
  EXPECT_EQ(m5->format_version, block::kFormatVersion);
  auto v1meta = NewMeta();
  v1meta.format_version = block::kFormatVersion1;
  auto v1 = cold_->BuildDownsampled(*raw, k5m, v1meta, (dir_ / "5m-v1").string());
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(v1->format_version, block::kFormatVersion1);
  // The hour groups count in no total of meta.json.
  EXPECT_EQ(m5->samples, v1->samples);
  EXPECT_EQ(m5->chunks, v1->chunks);
  EXPECT_GT(m5->TotalBytes(), v1->TotalBytes());
  auto state = std::make_shared<testutil::MemObjectStore::State>();
  testutil::MemObjectStore mem(state);
  for (const auto& [name, m] : {std::pair{"5m", &*m5}, std::pair{"5m-v1", &*v1}}) {
    for (const auto& file : m->files) {
      std::ifstream in(dir_ / name / file.name, std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      ASSERT_EQ(bytes.size(), file.bytes);
      ASSERT_TRUE(mem.Put(block::BlockPrefix(m->node, m->id) + file.name, bytes).ok());
    }
  }
  ASSERT_TRUE(cold_->Upload((dir_ / "5m").string(), *m5).ok());
  ASSERT_TRUE(cold_->Upload((dir_ / "5m-v1").string(), *v1).ok());
  // A 1h block built from a version 2 5m block copies its hour windows; built from a version 1
  // block, it combines the 5m windows: the same bytes.
  auto m1 = cold_->BuildDownsampled(*m5, k1h, NewMeta(), (dir_ / "1h").string());
  ASSERT_TRUE(m1.ok()) << m1.status().ToString();
  EXPECT_EQ(m1->format_version, block::kFormatVersion1);
  auto m1_from_v1 = cold_->BuildDownsampled(*v1, k1h, NewMeta(), (dir_ / "1h-v1").string());
  ASSERT_TRUE(m1_from_v1.ok()) << m1_from_v1.status().ToString();
  ASSERT_EQ(m1->files.size(), m1_from_v1->files.size());
  for (size_t i = 0; i < m1->files.size(); ++i) {
    EXPECT_EQ(m1->files[i].name, m1_from_v1->files[i].name);
    EXPECT_EQ(m1->files[i].bytes, m1_from_v1->files[i].bytes) << m1->files[i].name;
    EXPECT_EQ(m1->files[i].crc32c, m1_from_v1->files[i].crc32c) << m1->files[i].name;
  }
  EXPECT_EQ(m1->samples, 300u * 24);
  // Every series: decode all its windows through `reader`; empty on an error (kept in *err).
  auto windows_of = [&](const block::BlockReader& reader, Status* err) {
    std::vector<std::vector<AggrWindow>> out;
    std::vector<uint32_t> ids(reader.meta().series);
    std::iota(ids.begin(), ids.end(), 0u);
    auto entries = reader.LoadSeries(ids);
    if (!entries.ok()) {
      *err = entries.status();
      return out;
    }
    for (const auto& e : *entries) {
      auto bytes = reader.FetchGroups(e.groups);
      if (!bytes.ok()) {
        *err = bytes.status();
        return decltype(out)();
      }
      auto& series = out.emplace_back();
      for (size_t g = 0; g < e.groups.size(); ++g) {
        Status s =
            reader.DecodeWindows((*bytes)[g]->bytes, e.groups[g], INT64_MIN, INT64_MAX, &series);
        if (!s.ok()) {
          *err = s;
          return decltype(out)();
        }
      }
    }
    return out;
  };
  auto same_windows = [](const std::vector<AggrWindow>& a, const std::vector<AggrWindow>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (std::memcmp(&a[i], &b[i], sizeof(AggrWindow)) != 0) return false;
    }
    return true;
  };
  block::BlockCache cache(64 << 20);
  block::BlockReader reader(&mem, &cache, *m5);
  ASSERT_NE(reader.hours(), nullptr);
  EXPECT_EQ(reader.hours()->meta().resolution_ms, k1h);
  Status err;
  const auto fine = windows_of(reader, &err);
  const auto hours = windows_of(*reader.hours(), &err);
  ASSERT_TRUE(err.ok()) << err.ToString();
  ASSERT_EQ(fine.size(), 300u);
  ASSERT_EQ(hours.size(), 300u);
  for (size_t i = 0; i < fine.size(); ++i) {
    std::vector<AggrWindow> want;
    AggregateWindows(fine[i], k1h, &want);
    EXPECT_TRUE(same_windows(hours[i], want)) << "series " << i;
    EXPECT_EQ(hours[i].size(), 24u);
  }
  // Decoded series entries are cached per view: read hours first this time, then each view
  // again, each view gives its own groups (the same labels), shared with the cache on the
  // second read; with no cache budget, copies of the same entries.
  {
    std::vector<uint32_t> ids(m5->series);
    std::iota(ids.begin(), ids.end(), 0u);
    auto same_refs = [](const std::vector<block::GroupRef>& a,
                        const std::vector<block::GroupRef>& b) {
      return a.size() == b.size() &&
             std::equal(a.begin(), a.end(), b.begin(), [](auto& x, auto& y) {
               return x.min_time == y.min_time && x.max_time == y.max_time && x.file == y.file &&
                      x.offset == y.offset && x.length == y.length && x.samples == y.samples;
             });
    };
    block::BlockCache fresh(64 << 20), none(0);
    block::BlockReader r(&mem, &fresh, *m5), uncached(&mem, &none, *m5);
    auto h1 = r.hours()->LoadEntries(ids), f1 = r.LoadEntries(ids);
    auto h2 = r.hours()->LoadEntries(ids), f2 = r.LoadEntries(ids);
    auto h3 = uncached.hours()->LoadEntries(ids), f3 = uncached.LoadEntries(ids);
    auto h4 = uncached.hours()->LoadEntries(ids);
    for (const auto* got : {&h1, &f1, &h2, &f2, &h3, &f3, &h4}) {
      ASSERT_TRUE(got->ok()) << got->status().ToString();
      ASSERT_EQ((*got)->size(), ids.size());
    }
    for (size_t i = 0; i < ids.size(); ++i) {
      EXPECT_EQ((*h1)[i].get(), (*h2)[i].get()) << i;
      EXPECT_EQ((*f1)[i].get(), (*f2)[i].get()) << i;
      EXPECT_NE((*h3)[i].get(), (*h4)[i].get()) << i;
      EXPECT_EQ((*h1)[i]->labels, (*f1)[i]->labels) << i;
      EXPECT_EQ((*h1)[i]->groups.size(), 1u) << i;  // 24 hour windows: one group.
      EXPECT_FALSE(same_refs((*h1)[i]->groups, (*f1)[i]->groups)) << i;
      EXPECT_TRUE(same_refs((*h1)[i]->groups, (*h3)[i]->groups)) << i;
      EXPECT_TRUE(same_refs((*f1)[i]->groups, (*f3)[i]->groups)) << i;
      EXPECT_TRUE((*h1)[i]->hour_groups.empty() && (*f1)[i]->hour_groups.empty()) << i;
    }
  }
  block::BlockReader old(&mem, &cache, *v1);
  EXPECT_EQ(old.hours(), nullptr);
  const auto old_fine = windows_of(old, &err);
  ASSERT_TRUE(err.ok()) << err.ToString();
  ASSERT_EQ(old_fine.size(), fine.size());
  for (size_t i = 0; i < fine.size(); ++i) EXPECT_TRUE(same_windows(old_fine[i], fine[i])) << i;

  // Damage: every byte of the index's series entries flipped in turn (sampled), read through
  // both readers on a fresh cache: Corruption naming the block, or the same windows.
  const std::string index_key = block::BlockPrefix(m5->node, m5->id) + "index";
  const std::string original = state->objects[index_key].first;
  int errors = 0;
  for (size_t i = m5->index_header_bytes; i + block::kTocBytes < original.size(); i += 7) {
    state->objects[index_key].first[i] ^= 0x10;
    for (bool hour_view : {false, true}) {
      block::BlockCache fresh(64 << 20);
      block::BlockReader r(&mem, &fresh, *m5);
      Status e;
      const auto got = windows_of(hour_view ? *r.hours() : r, &e);
      if (e.ok()) {
        const auto& want = hour_view ? hours : fine;
        ASSERT_EQ(got.size(), want.size()) << i;
        for (size_t k = 0; k < got.size(); ++k) {
          EXPECT_TRUE(same_windows(got[k], want[k])) << "byte " << i << " series " << k;
        }
      } else {
        ++errors;
        EXPECT_TRUE(e.IsCorruption()) << e.ToString();
        EXPECT_NE(e.message().find(m5->id), std::string::npos) << e.ToString();
      }
    }
    state->objects[index_key].first = original;
  }
  EXPECT_GT(errors, 100);
  // meta.json and the index disagree on the version: Corruption.
  {
    block::BlockMeta wrong = *m5;
    wrong.format_version = block::kFormatVersion1;
    block::BlockCache fresh(1 << 20);
    block::BlockReader r(&mem, &fresh, wrong);
    EXPECT_EQ(r.hours(), nullptr);
    auto e = r.LoadSeries(std::vector<uint32_t>{0});
    ASSERT_FALSE(e.ok());
    EXPECT_TRUE(e.status().IsCorruption());
    EXPECT_NE(e.status().message().find("index is format version 2, meta.json says 1"),
              std::string::npos)
        << e.status().ToString();
  }
  // An index of version 2 whose series has hour groups in a raw block, none in a 5m block, or
  // one claiming more windows than a group holds (which a read would reserve room for).
  struct Case {
    int64_t resolution;
    bool hours;
    uint64_t hour_windows;
    const char* want;
  };
  for (const Case& c : {Case{0, true, 1, "hour groups in a block that has none"},
                        Case{k5m, false, 1, "hour groups missing"},
                        Case{k5m, true, uint64_t{1} << 60, "bad group reference"},
                        Case{k5m, true, block::kMaxGroupSamples + 1, "bad group reference"}}) {
    const int64_t resolution = c.resolution;
    block::SeriesEntry e;
    e.labels = *model::Labels::FromPairs({{"__name__", "x"}});
    block::GroupRef g;
    g.min_time = 0;
    g.max_time = 1000;
    g.file = 1;
    g.offset = block::kFileHeaderBytes;
    g.length = 10;
    g.chunks = g.samples = 1;
    e.groups.push_back(g);
    if (c.hours) {
      e.hour_groups.push_back(g);
      e.hour_groups.back().samples = c.hour_windows;
    }
    const std::string index = block::EncodeIndex({e}, block::kFormatVersion);
    block::BlockMeta m = NewMeta();
    m.format_version = block::kFormatVersion;
    m.resolution_ms = resolution;
    m.min_time = 0;
    m.max_time = 1000;
    m.series = 1;
    auto toc = block::DecodeToc(std::string_view(index).substr(index.size() - block::kTocBytes),
                                index.size());
    ASSERT_TRUE(toc.ok());
    m.index_header_bytes = toc->series;
    m.files = {{"index", index.size(), 0}, {"chunks/000001", 100, 0}};
    ASSERT_TRUE(mem.Put(block::BlockPrefix(m.node, m.id) + "index", index).ok());
    block::BlockCache fresh(1 << 20);
    block::BlockReader r(&mem, &fresh, m);
    auto got = r.LoadSeries(std::vector<uint32_t>{0});
    ASSERT_FALSE(got.ok()) << resolution;
    EXPECT_TRUE(got.status().IsCorruption());
    EXPECT_NE(got.status().message().find(c.want), std::string::npos) << got.status().ToString();
  }
}

TEST_F(DownsampledBlockTest, HourAlignedReadsTakeHourWindowsWithTheSameAnswer) {
  // Day 0 has raw -> 5m -> 1h blocks, day 1 raw -> 5m (format version 2, with hour windows).
  // A thinned read whose boundaries all lie on whole hours (range and step whole hours, first
  // read on the hour) where 5m data may serve reads day 0's 1h windows and day 1's 5m block's
  // own hour windows instead of their 5m ones, and must get the points (times, values within
  // float rounding, counts) that the 5m windows give. A series with a sample exactly at an
  // hour's start, and a counter with a negative value, cannot be served so and read the 5m
  // windows.
  const int64_t day = 24 * k1h;
  const int64_t off = 1234;  // Samples off the hour, as scrapes are.
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  std::map<std::string, std::vector<model::Sample>> data;
  for (int64_t t = off; t < 2 * day; t += kStep) {
    data["gauge"].push_back({t, std::round(u(rng) * 1e4) / 100});
  }
  for (auto x : Counter(0, 2 * day, 3, {5 * k1h + 20 * kStep, day + 3 * k1h})) {
    x.timestamp_ms += off;
    data["counter"].push_back(x);
  }
  // Stops mid-hour (a stale marker) and comes back 30 minutes later, in the same hour.
  for (auto x : Counter(0, 2 * day, 2)) {
    x.timestamp_ms += off;
    const int64_t t = x.timestamp_ms;
    if (t > 9 * k1h + 10 * 60000 && t < 9 * k1h + 40 * 60000) continue;
    data["gap"].push_back(x);
    if (t == 9 * k1h + 10 * 60000 - kStep + off) {
      data["gap"].push_back({t + kStep / 2, model::StaleNaN()});
    }
  }
  // On the 15 s grid from 0: a sample at every hour's start.
  data["aligned"] = Counter(0, 2 * day, 1, {7 * k1h});
  // A counter that goes below zero once, at the last sample of a 5m window, whose increase is
  // then negative: the 5m counter view goes down there and keeps every point of that hour.
  for (auto x : Counter(0, 2 * day, 1)) {
    if (x.timestamp_ms == 6 * k1h + k5m - kStep) x.value = -1000;
    x.timestamp_ms += off;
    data["negative"].push_back(x);
  }
  // Series whose every sample lies on the 15 s grid from 0, as data from clients that align
  // their timestamps: every one falls back to the 5m windows.
  std::map<std::string, std::vector<model::Sample>> many;
  for (int i = 0; i < 40; ++i) many[std::to_string(100 + i)] = Counter(0, 2 * day, 1 + i % 4);
  // A gauge with no samples on day 1 from 10:10 to 11:20.
  std::map<std::string, std::vector<model::Sample>> late;
  for (int64_t t = off; t < 2 * day; t += kStep) {
    if (t < day + 10 * k1h + 10 * 60000 || t > day + 11 * k1h + 20 * 60000) {
      late["1"].push_back({t, static_cast<double>(t % 1000)});
    }
  }
  auto state = std::make_shared<testutil::MemObjectStore::State>();
  auto open = [&]() {
    ColdOptions o;
    o.node_id = "n1";
    auto cold = ColdStore::Open(std::make_unique<testutil::MemObjectStore>(state), o, nullptr);
    EXPECT_TRUE(cold.ok());
    return cold.ok() ? std::move(cold).value() : nullptr;
  };
  auto store = open();
  ASSERT_NE(store, nullptr);
  std::string day0_5m_id, day1_5m_id;
  for (int d = 0; d < 2; ++d) {
    const std::string name = "d" + std::to_string(d);
    auto meta = NewMeta();
    meta.source = name;
    auto w = block::BlockWriter::Create((dir_ / name).string(), meta);
    ASSERT_TRUE(w.ok());
    for (const auto& [set, metric] :
         {std::pair{&late, "late"}, std::pair{&data, "m"}, std::pair{&many, "many"}}) {
      for (const auto& [series, samples] : *set) {
        std::vector<model::Sample> part;
        for (const auto& x : samples) {
          if (x.timestamp_ms >= d * day && x.timestamp_ms < (d + 1) * day) part.push_back(x);
        }
        auto labels = *model::Labels::FromPairs({{"__name__", metric}, {"s", series}});
        ASSERT_TRUE((*w)->AddSeriesSamples(labels, part).ok());
      }
    }
    auto raw = (*w)->Finish();
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE(store->Upload((dir_ / name).string(), *raw).ok());
    auto m5 = store->BuildDownsampled(*raw, k5m, NewMeta(), (dir_ / (name + "5m")).string());
    ASSERT_TRUE(m5.ok()) << m5.status().ToString();
    ASSERT_TRUE(store->Upload((dir_ / (name + "5m")).string(), *m5).ok());
    EXPECT_EQ(m5->format_version, block::kFormatVersion);
    if (d == 1) {
      day1_5m_id = m5->id;
      continue;
    }
    day0_5m_id = m5->id;
    auto m1 = store->BuildDownsampled(*m5, k1h, NewMeta(), (dir_ / (name + "1h")).string());
    ASSERT_TRUE(m1.ok()) << m1.status().ToString();
    ASSERT_TRUE(store->Upload((dir_ / (name + "1h")).string(), *m1).ok());
  }
  // Chunk reads of day 0's 5m block, counted by the object store.
  int fine_reads = 0;
  // Whether the ranged reads from the log's entry `since` on read any 5m group of day 1's 5m
  // block (its chunk files hold its hour groups too).
  std::map<std::string, std::vector<block::GroupRef>> day1_groups;  // By the series label.
  {
    auto metas = store->Blocks();
    auto it = std::find_if(metas.begin(), metas.end(),
                           [&](const block::BlockMeta& m) { return m.id == day1_5m_id; });
    ASSERT_NE(it, metas.end());
    testutil::MemObjectStore mem(state);
    block::BlockCache cache(1 << 20);
    block::BlockReader reader(&mem, &cache, *it);
    ASSERT_NE(reader.hours(), nullptr);
    std::vector<uint32_t> ids(it->series);
    std::iota(ids.begin(), ids.end(), 0u);
    auto entries = reader.LoadSeries(ids);
    ASSERT_TRUE(entries.ok());
    for (const auto& e : *entries) day1_groups[std::string(e.labels.Get("s"))] = e.groups;
  }
  auto read_day1_5m = [&](const std::string& series, size_t since) {
    for (size_t i = since; i < state->range_log.size(); ++i) {
      const auto& [key, r] = state->range_log[i];
      if (key.find(day1_5m_id) == std::string::npos || key.find("chunks") == std::string::npos) {
        continue;
      }
      for (const block::GroupRef& g : day1_groups[series]) {
        if (r.offset < g.offset + g.length && g.offset < r.offset + r.length) return true;
      }
    }
    return false;
  };
  state->fault = [&](const std::string& op, const std::string& key) {
    if (op == "get_range" && key.find(day0_5m_id) != std::string::npos &&
        key.find("chunks") != std::string::npos) {
      ++fine_reads;
    }
    return Status::Ok();
  };
  struct Read {
    std::vector<model::Sample> samples;
    std::vector<uint32_t> counts;
    std::vector<ResolutionUse> used;
  };
  // Each read on a store opened afresh, so nothing comes from the read cache. Points before
  // the first read's start, which no read takes (the 1h windows reach back an hour, the 5m
  // ones five minutes), are left out.
  auto read_all = [&](const model::Matchers& matchers, const std::string& func, int64_t range,
                      int64_t step, int64_t first_ref, int64_t cap, int64_t limit) {
    std::vector<Read> reads;
    std::vector<ResolutionUse> used;
    auto cold = open();
    SelectHints h;
    h.start_ms = first_ref - range;
    h.end_ms = 2 * day;
    h.range_ms = range;
    h.step_ms = step;
    h.func = func;
    h.max_resolution_ms = cap;
    h.first_ref_ms = first_ref;
    h.ref_step_ms = step;
    h.ref_count = (2 * day - first_ref) / step + 1;
    h.resolutions = &used;
    auto set = cold->Select(matchers, h);
    EXPECT_TRUE(set.ok());
    while (set.ok() && (*set)->Next()) {
      Read r;
      std::vector<model::Sample> all;
      EXPECT_TRUE((*set)->ReadSamplesBefore(limit, &all).ok());
      const auto& counts = (*set)->counts();
      for (size_t i = 0; i < all.size(); ++i) {
        if (all[i].timestamp_ms < h.start_ms) continue;
        r.samples.push_back(all[i]);
        if (!counts.empty()) r.counts.push_back(counts[i]);
      }
      r.used = used;
      reads.push_back(std::move(r));
    }
    return reads;
  };
  auto read = [&](const std::string& series, const std::string& func, int64_t range, int64_t step,
                  int64_t first_ref, int64_t cap, int64_t limit = INT64_MAX) {
    auto reads = read_all({*model::Matcher::Make(model::MatchType::kEqual, "__name__", "m"),
                           *model::Matcher::Make(model::MatchType::kEqual, "s", series)},
                          func, range, step, first_ref, cap, limit);
    EXPECT_EQ(reads.size(), 1u) << series;
    return reads.empty() ? Read{} : reads.front();
  };
  auto same = [](const Read& fine, const Read& hours, const std::string& what) {
    ASSERT_EQ(fine.samples.size(), hours.samples.size()) << what;
    ASSERT_EQ(fine.counts, hours.counts) << what;
    for (size_t i = 0; i < fine.samples.size(); ++i) {
      const double a = fine.samples[i].value, b = hours.samples[i].value;
      ASSERT_EQ(fine.samples[i].timestamp_ms, hours.samples[i].timestamp_ms) << what << " " << i;
      ASSERT_EQ(std::isnan(a), std::isnan(b)) << what << " " << i;
      if (!std::isnan(a)) {
        ASSERT_LE(std::abs(a - b), 1e-9 * std::max(std::abs(a), 1.0)) << what << " " << i;
      }
    }
  };
  using Grid = std::tuple<int64_t, int64_t, int64_t>;  // Range, step, first read.
  const std::vector<Grid> kGrids = {{k1h, k1h, k1h},
                                    {2 * k1h, k1h, 2 * k1h},
                                    {k1h, 3 * k1h, 4 * k1h},
                                    {4 * k1h, 2 * k1h, 5 * k1h}};
  int compared = 0;
  for (const char* series : {"gauge", "counter", "gap", "aligned", "negative"}) {
    for (const char* func : {"rate", "increase", "sum_over_time", "count_over_time",
                             "avg_over_time", "min_over_time", "max_over_time"}) {
      for (auto [range, step, first] : kGrids) {
        const std::string what = std::string(series) + " " + func + " range " +
                                 std::to_string(range) + " step " + std::to_string(step);
        fine_reads = 0;
        const Read fine = read(series, func, range, step, first, k5m);  // Capped: no 1h.
        EXPECT_GT(fine_reads, 0) << what;
        fine_reads = 0;
        const size_t log0 = state->range_log.size();
        const Read hours = read(series, func, range, step, first, kAutoResolution);
        const bool served = std::string(series) != "aligned" &&
                            !(std::string(series) == "negative" &&
                              (std::string(func) == "rate" || std::string(func) == "increase"));
        EXPECT_EQ(fine_reads == 0, served) << what << ": " << fine_reads << " 5m chunk reads";
        // Day 1's 5m groups: read for the series with samples on hour starts (its negative
        // value is on day 0).
        EXPECT_EQ(read_day1_5m(series, log0), std::string(series) == "aligned") << what;
        ASSERT_EQ(hours.used.size(), 2u) << what;
        EXPECT_EQ(hours.used[0].resolution_ms, k5m) << what;  // The answer's resolution.
        ASSERT_GT(fine.samples.size(), 20u) << what;
        same(fine, hours, what);
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, 5 * 7 * 4);
  // Where 1h data may serve too (an instant selector at a 1 h step, a 6 h range), day 0 is
  // read from its 1h block as 1h data, and day 1, which has none yet, from its 5m block's hour
  // windows in place of its 5m ones: day 1's points are those its 5m windows give.
  auto from_day1 = [&](Read r) {
    Read out;
    for (size_t i = 0; i < r.samples.size(); ++i) {
      if (r.samples[i].timestamp_ms < day) continue;
      out.samples.push_back(r.samples[i]);
      if (!r.counts.empty()) out.counts.push_back(r.counts[i]);
    }
    return out;
  };
  for (const char* series : {"gauge", "counter", "gap", "aligned", "negative"}) {
    for (auto [func, range] : {std::pair<const char*, int64_t>{"", 0},
                               {"rate", 6 * k1h},
                               {"max_over_time", 6 * k1h},
                               {"avg_over_time", 6 * k1h}}) {
      const std::string what =
          std::string(series) + " " + func + " range " + std::to_string(range) + " (1h allowed)";
      const Read fine = from_day1(read(series, func, range, k1h, 6 * k1h, k5m));
      EXPECT_TRUE(read_day1_5m(series, 0)) << what;
      const size_t log0 = state->range_log.size();
      const Read hours = read(series, func, range, k1h, 6 * k1h, kAutoResolution);
      EXPECT_EQ(read_day1_5m(series, log0), std::string(series) == "aligned") << what;
      ASSERT_EQ(hours.used.size(), 2u) << what;
      EXPECT_EQ(hours.used[0].resolution_ms, k1h) << what;
      EXPECT_EQ(hours.used[1].resolution_ms, k5m) << what;
      ASSERT_GT(fine.samples.size(), 20u) << what;
      same(fine, from_day1(hours), what);
    }
  }
  // An instant selector read from 11:00 on day 1, its lookback from 10:55: the hour windows reach
  // back as far as the 5m ones would (10:50), not an hour, so the samples up to 10:10 are not
  // there (where the query also reads 1h data elsewhere its lookback is an hour, and they
  // would give 11:00 a value that the 5m windows do not).
  {
    std::vector<std::vector<model::Sample>> got;
    for (int64_t cap : {k5m, kAutoResolution}) {
      auto cold = open();
      SelectHints h;
      h.first_ref_ms = day + 11 * k1h;
      h.start_ms = h.first_ref_ms - k5m;
      h.end_ms = 2 * day - k1h;
      h.step_ms = h.ref_step_ms = k1h;
      h.ref_count = (h.end_ms - h.first_ref_ms) / k1h + 1;
      h.max_resolution_ms = cap;
      auto set =
          cold->Select({*model::Matcher::Make(model::MatchType::kEqual, "__name__", "late")}, h);
      ASSERT_TRUE(set.ok());
      ASSERT_TRUE((*set)->Next());
      ASSERT_TRUE((*set)->ReadSamples(&got.emplace_back()).ok());
    }
    ASSERT_FALSE(got[0].empty());
    EXPECT_GT(got[0].front().timestamp_ms, day + 11 * k1h);
    ASSERT_EQ(got[0].size(), got[1].size());
    for (size_t i = 0; i < got[0].size(); ++i) {
      EXPECT_EQ(got[0][i].timestamp_ms, got[1][i].timestamp_ms) << i;
    }
  }
  // Not on whole hours: the first read at :30, a range of 90 minutes, a step of 30 minutes, or
  // an instant selector: day 0's 5m block is read.
  const std::vector<Grid> kOffGrids = {
      {k1h, k1h, k1h + k1h / 2}, {k1h + k1h / 2, k1h, 2 * k1h}, {k1h, k1h / 2, k1h}};
  for (auto [range, step, first] : kOffGrids) {
    fine_reads = 0;
    read("counter", "rate", range, step, first, kAutoResolution);
    EXPECT_GT(fine_reads, 0) << range << " " << step << " " << first;
  }
  // One selector over every series: each gets the answer it gets alone.
  {
    model::Matchers all = {*model::Matcher::Make(model::MatchType::kEqual, "__name__", "m")};
    const auto fine = read_all(all, "rate", k1h, k1h, k1h, k5m, INT64_MAX);
    const auto hours = read_all(all, "rate", k1h, k1h, k1h, kAutoResolution, INT64_MAX);
    ASSERT_EQ(fine.size(), 5u);
    ASSERT_EQ(hours.size(), 5u);
    for (size_t i = 0; i < fine.size(); ++i) same(fine[i], hours[i], "all " + std::to_string(i));
  }
  // Forty series that all fall back: the answers are the 5m ones, and the 5m groups come in a
  // few requests (the first series alone, then the rest of the window at once), not one each.
  {
    model::Matchers all = {*model::Matcher::Make(model::MatchType::kEqual, "__name__", "many")};
    const auto fine = read_all(all, "rate", k1h, k1h, k1h, k5m, INT64_MAX);
    fine_reads = 0;
    const auto hours = read_all(all, "rate", k1h, k1h, k1h, kAutoResolution, INT64_MAX);
    EXPECT_GE(fine_reads, 2);
    EXPECT_LE(fine_reads, 4);
    ASSERT_EQ(fine.size(), 40u);
    ASSERT_EQ(hours.size(), 40u);
    for (size_t i = 0; i < fine.size(); ++i) same(fine[i], hours[i], "many " + std::to_string(i));
  }
  // A newer tier holding the series from 20:00 of day 0 on (ReadSamplesBefore): the view ends
  // before it, and the 5m windows, which end closer to it, are read.
  for (const char* func : {"rate", "sum_over_time"}) {
    const int64_t limit = 20 * k1h + 10 * 60000 + off;
    const Read fine = read("counter", func, k1h, k1h, k1h, k5m, limit);
    fine_reads = 0;
    const Read hours = read("counter", func, k1h, k1h, k1h, kAutoResolution, limit);
    EXPECT_GT(fine_reads, 0) << func;
    ASSERT_FALSE(fine.samples.empty());
    EXPECT_LT(fine.samples.back().timestamp_ms, limit) << func;
    same(fine, hours, std::string("limit ") + func);
  }
}

}  // namespace
}  // namespace strata::storage
