// Range, element-wise and quantile functions against hand-computed values and the numbers of
// Prometheus v2.53's promqltest scripts (functions.test, aggregators.test, histograms.test,
// trig_functions.test), replayed here on the same data windows.
#include "query/funcs/function_impls.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "query/functions.h"

namespace strata::query::funcs {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int64_t kSec = 1000;
constexpr int64_t kMin = 60 * kSec;

// Prometheus' almost.Equal with the promqltest tolerance (1e-6 relative; NaN == NaN).
::testing::AssertionResult AlmostEqual(double actual, double expected) {
  bool ok;
  if (std::isnan(actual) || std::isnan(expected)) {
    ok = std::isnan(actual) && std::isnan(expected);
  } else if (actual == expected) {
    ok = true;
  } else if (std::isinf(actual) || std::isinf(expected)) {
    ok = false;
  } else {
    constexpr double kMinNormal = std::numeric_limits<double>::min();
    const double abs_sum = std::fabs(actual) + std::fabs(expected);
    const double diff = std::fabs(actual - expected);
    ok = (actual == 0 || expected == 0 || abs_sum < kMinNormal) ? diff < 1e-6 * kMinNormal
                                                                : diff / abs_sum < 1e-6;
  }
  if (ok) return ::testing::AssertionSuccess();
  std::ostringstream os;
  os.precision(17);
  os << "got " << actual << ", want " << expected;
  return ::testing::AssertionFailure() << os.str();
}

::testing::AssertionResult AlmostEqual(std::optional<double> actual, double expected) {
  if (!actual.has_value()) return ::testing::AssertionFailure() << "got no value";
  return AlmostEqual(*actual, expected);
}

// Expands a promqltest series description ("0+10x4 0+10x5", "1 _x3 NaN -Inf") into points
// `interval_ms` apart starting at time 0. `a+bxN` yields N+1 values, accumulating b as
// promqltest does; `_` skips a step.
std::vector<FPoint> Load(std::string_view desc, int64_t interval_ms) {
  std::vector<FPoint> out;
  int64_t step = 0;
  std::istringstream in{std::string(desc)};
  std::string item;
  while (in >> item) {
    const size_t x = item.rfind('x');
    if (item[0] == '_') {
      step += x == std::string::npos ? 1 : std::stoll(item.substr(x + 1));
      continue;
    }
    if (x == std::string::npos) {
      out.push_back({step++ * interval_ms, std::strtod(item.c_str(), nullptr)});
      continue;
    }
    const std::string head = item.substr(0, x);
    char* rest = nullptr;
    double value = std::strtod(head.c_str(), &rest);
    const double increment = *rest == '\0' ? 0 : std::strtod(rest, nullptr);
    const int64_t times = std::stoll(item.substr(x + 1));
    for (int64_t k = 0; k <= times; ++k) {
      out.push_back({step++ * interval_ms, value});
      value += increment;
    }
  }
  return out;
}

// The points in the closed window [end - range, end].
std::vector<FPoint> Window(const std::vector<FPoint>& series, int64_t end, int64_t range) {
  std::vector<FPoint> out;
  for (const FPoint& p : series) {
    if (p.t >= end - range && p.t <= end) out.push_back(p);
  }
  return out;
}

struct Selector {
  int64_t range = 0;
  int64_t offset = 0;
  std::optional<int64_t> at;  // `@ t`, in ms
};

// Evaluates `name(series[range] offset/@, args...)` at step time `step` as the engine would:
// the window ends at the @ time or at step - offset; `t` is that edge, or the step time for
// functions that ask for it. nullopt when the window is empty or the function yields nothing.
std::optional<double> EvalRange(std::string_view name, const std::vector<FPoint>& series,
                                int64_t step, Selector sel, std::vector<double> args = {}) {
  const RangeFunction* f = LookupRangeFunction(name);
  if (f == nullptr) {
    ADD_FAILURE() << "no range function " << name;
    return std::nullopt;
  }
  const int64_t end = sel.at.has_value() ? *sel.at : step - sel.offset;
  const std::vector<FPoint> window = Window(series, end, sel.range);
  if (window.empty()) return std::nullopt;
  return f->fn(window, f->t_is_step_time ? step : end, sel.range, args);
}

std::optional<double> EvalRange(std::string_view name, std::string_view desc, int64_t interval,
                                int64_t step, int64_t range, std::vector<double> args = {}) {
  return EvalRange(name, Load(desc, interval), step, Selector{range}, std::move(args));
}

double Elem(std::string_view name, double v, std::vector<double> args = {}) {
  const ElementFunction* f = LookupElementFunction(name);
  if (f == nullptr) {
    ADD_FAILURE() << "no element function " << name;
    return kNaN;
  }
  return f->fn(v, args);
}

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// --- Lookup tables ---------------------------------------------------------------------------

TEST(FunctionImplsTest, RangeFunctionTable) {
  for (const std::string& name :
       Words("rate increase delta irate idelta changes resets deriv predict_linear holt_winters "
             "avg_over_time sum_over_time count_over_time min_over_time max_over_time "
             "stddev_over_time stdvar_over_time quantile_over_time last_over_time "
             "present_over_time mad_over_time")) {
    const RangeFunction* f = LookupRangeFunction(name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_EQ(f->name, name);
    EXPECT_NE(f->fn, nullptr);
    EXPECT_EQ(f->matrix_arg, name == "quantile_over_time" ? 1 : 0) << name;
    EXPECT_EQ(f->drops_metric_name, name != "last_over_time") << name;
    EXPECT_EQ(f->t_is_step_time, name == "predict_linear") << name;
    // The parser knows it, and the matrix argument is where the parser expects it.
    const Function* parsed = LookupFunction(name);
    ASSERT_NE(parsed, nullptr) << name;
    ASSERT_LT(static_cast<size_t>(f->matrix_arg), parsed->arg_types.size()) << name;
    EXPECT_EQ(parsed->arg_types[f->matrix_arg], ValueType::kMatrix) << name;
  }
  EXPECT_EQ(LookupRangeFunction("absent_over_time"), nullptr);
  EXPECT_EQ(LookupRangeFunction("abs"), nullptr);
  EXPECT_EQ(LookupRangeFunction("Rate"), nullptr);
  EXPECT_EQ(LookupRangeFunction(""), nullptr);
}

TEST(FunctionImplsTest, ElementFunctionTable) {
  for (const std::string& name :
       Words("abs ceil floor exp sqrt ln log2 log10 sgn round clamp clamp_min clamp_max acos acosh "
             "asin asinh atan atanh cos cosh sin sinh tan tanh deg rad day_of_month day_of_week "
             "day_of_year days_in_month hour minute month year")) {
    const ElementFunction* f = LookupElementFunction(name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_EQ(f->name, name);
    EXPECT_NE(f->fn, nullptr);
    EXPECT_TRUE(f->drops_metric_name) << name;
    const Function* parsed = LookupFunction(name);
    ASSERT_NE(parsed, nullptr) << name;
    EXPECT_EQ(parsed->arg_types[0], ValueType::kVector) << name;
  }
  for (const char* name : {"pi", "time", "timestamp", "vector", "scalar", "sort", "absent",
                           "label_replace", "histogram_quantile", "rate"}) {
    EXPECT_EQ(LookupElementFunction(name), nullptr) << name;
  }
}

// --- resets, changes -------------------------------------------------------------------------

// The evaluator's sliding path for rate/increase gives bit-identical values to the table's
// functions: random counters with resets, NaNs, negative and equal values.
TEST(FunctionImplsTest, CounterRateWithResetsIsBitIdenticalToTheTable) {
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int> kind(0, 19);
  const RangeFunction* rate = LookupRangeFunction("rate");
  const RangeFunction* increase = LookupRangeFunction("increase");
  ASSERT_NE(rate, nullptr);
  ASSERT_NE(increase, nullptr);
  int resets_seen = 0;
  for (int round = 0; round < 2000; ++round) {
    std::vector<FPoint> w;
    double v = static_cast<double>(rng() % 1000) / 7;
    int64_t t = static_cast<int64_t>(rng() % 100000);
    const size_t n = 1 + rng() % 60;
    for (size_t i = 0; i < n; ++i) {
      t += 1 + static_cast<int64_t>(rng() % 30000);
      switch (kind(rng)) {
        case 0:
          v = static_cast<double>(rng() % 50) / 3;  // A reset (mostly).
          break;
        case 1:
          v = kNaN;
          break;
        case 2:
          v = -v;
          break;
        case 3:
          break;  // Equal to the previous value.
        default:
          v = (std::isnan(v) ? 0 : v) + static_cast<double>(rng() % 1000) / 9;
      }
      w.push_back({t, v});
    }
    std::vector<uint32_t> resets;
    for (size_t k = 1; k < w.size(); ++k) {
      if (w[k].v < w[k - 1].v) resets.push_back(static_cast<uint32_t>(k));
    }
    resets_seen += static_cast<int>(resets.size());
    const int64_t at = t + static_cast<int64_t>(rng() % 20000);
    const int64_t range = at - w.front().t + static_cast<int64_t>(rng() % 60000);
    for (bool is_rate : {true, false}) {
      auto want = (is_rate ? rate : increase)->fn(w, at, range, {});
      auto got = CounterRateWithResets(w, resets, at, range, is_rate);
      ASSERT_EQ(want.has_value(), got.has_value()) << round;
      if (want) {
        ASSERT_EQ(std::bit_cast<uint64_t>(*want), std::bit_cast<uint64_t>(*got))
            << "round " << round << " rate " << is_rate << ": " << *want << " vs " << *got;
      }
    }
  }
  EXPECT_GT(resets_seen, 1000);
}

// The evaluator's sliding min/max_over_time gives the table's values bit for bit: random
// series with NaNs (of different payloads, so that which NaN comes back counts), signed zeros,
// infinities and runs of equal values, over windows that slide forward by random amounts
// (steps shorter and longer than the range, ranges that are a whole number of steps, calls
// that add no points or move only the start, large first windows, step 1).
TEST(FunctionImplsTest, SlidingExtremumIsBitIdenticalToTheTable) {
  std::mt19937_64 rng(5);
  const double nans[] = {kNaN, std::bit_cast<double>(uint64_t{0x7ff0000000000002}),
                         std::bit_cast<double>(uint64_t{0xfff8000000000123})};
  const double pool[] = {0.0, -0.0, 1.5, -2.0, kInf, -kInf, nans[0], nans[1], nans[2], 3.0, 7.25};
  for (bool max : {false, true}) {
    const RangeFunction* table = LookupRangeFunction(max ? "max_over_time" : "min_over_time");
    ASSERT_NE(table, nullptr);
    for (int round = 0; round < 600; ++round) {
      std::vector<FPoint> pts;
      const size_t n = 1 + rng() % 3000;
      for (size_t i = 0; i < n; ++i) {
        // Every fifth round is mostly NaN, so that whole windows and chunks are; every seventh
        // only gets worse, so that no candidate is ever beaten and the queue fills up (and is
        // compacted).
        const double worse = max ? -static_cast<double>(i) : static_cast<double>(i);
        const double v = round % 5 == 4 && rng() % 10 != 0 ? nans[rng() % std::size(nans)]
                         : round % 7 == 3                  ? worse
                         : rng() % 3 == 0                  ? pool[rng() % std::size(pool)]
                                                           : static_cast<double>(rng() % 100) - 50;
        pts.push_back({static_cast<int64_t>(i), v});
      }
      SlidingExtremum sliding(max);
      sliding.Reset();
      const size_t step = round % 6 == 5 ? 1 : 1 + rng() % 300;
      // Half the rounds slide a window that is a whole number of steps wide (a range that is a
      // multiple of the step: each window a run of whole chunks); the others any width, with
      // the end moving by 0 to `step` points and the start sometimes further than the width.
      const bool aligned = round % 2 == 0;
      const size_t width = aligned ? step * (1 + rng() % 8) : 1 + rng() % 200;
      size_t hi = aligned ? 1 : 1 + rng() % std::min<size_t>(n, 1000);
      size_t lo = 0;
      for (;;) {
        lo = std::max(lo, hi > width ? hi - width : 0);
        if (!aligned && rng() % 8 == 0) lo = std::max(lo, std::min(hi - 1, lo + rng() % 5));
        auto want = table->fn(std::span<const FPoint>(pts.data() + lo, hi - lo), 0, 0, {});
        ASSERT_TRUE(want.has_value());
        const double got = sliding.Value(pts, lo, hi);
        ASSERT_EQ(std::bit_cast<uint64_t>(*want), std::bit_cast<uint64_t>(got))
            << (max ? "max" : "min") << " round " << round << " [" << lo << ", " << hi << ")";
        const size_t add = aligned ? step : rng() % (step + 1);
        if (hi + add > n) break;
        hi += add;
      }
    }
  }
}

TEST(FunctionImplsTest, ResetsAndChangesFromFunctionsTest) {
  const auto foo = Load("1 2 3 0 1 0 0 1 2 0", 5 * kMin);
  const auto bar = Load("1 2 3 4 5 1 2 3 4 5", 5 * kMin);
  const auto biz = Load("0 0 0 0 0 1 1 1 1 1", 5 * kMin);
  struct Case {
    int64_t range;
    double foo_resets, bar_resets, biz_resets;
    double foo_changes, bar_changes, biz_changes;
  };
  const Case kCases[] = {{5 * kMin, 0, 0, 0, 0, 0, 0},
                         {20 * kMin, 1, 0, 0, 3, 3, 0},
                         {30 * kMin, 2, 1, 0, 4, 5, 1},
                         {50 * kMin, 3, 1, 0, 8, 9, 1}};
  for (const Case& c : kCases) {
    const Selector sel{c.range};
    EXPECT_EQ(EvalRange("resets", foo, 50 * kMin, sel), c.foo_resets) << c.range;
    EXPECT_EQ(EvalRange("resets", bar, 50 * kMin, sel), c.bar_resets) << c.range;
    EXPECT_EQ(EvalRange("resets", biz, 50 * kMin, sel), c.biz_resets) << c.range;
    EXPECT_EQ(EvalRange("changes", foo, 50 * kMin, sel), c.foo_changes) << c.range;
    EXPECT_EQ(EvalRange("changes", bar, 50 * kMin, sel), c.bar_changes) << c.range;
    EXPECT_EQ(EvalRange("changes", biz, 50 * kMin, sel), c.biz_changes) << c.range;
  }
}

TEST(FunctionImplsTest, ChangesTreatsNaNToNaNAsNoChange) {
  EXPECT_EQ(EvalRange("changes", "NaN NaN NaN", 5 * kMin, 15 * kMin, 15 * kMin), 0);
  EXPECT_EQ(EvalRange("changes", "0 NaN 0", 5 * kMin, 15 * kMin, 15 * kMin), 2);
}

TEST(FunctionImplsTest, ResetsAndChangesOfOneSampleAreZero) {
  EXPECT_EQ(EvalRange("resets", "5", kMin, 0, kMin), 0);
  EXPECT_EQ(EvalRange("changes", "5", kMin, 0, kMin), 0);
}

// --- rate, increase, delta -------------------------------------------------------------------

TEST(FunctionImplsTest, IncreaseFromFunctionsTest) {
  const auto foo = Load("0+10x10", 5 * kMin);
  const auto bar = Load("0+10x5 0+10x5", 5 * kMin);
  const auto dings = Load("10+10x10", 5 * kMin);
  const auto bumms = Load("1+10x10", 5 * kMin);
  const int64_t at = 50 * kMin;
  EXPECT_TRUE(AlmostEqual(EvalRange("increase", foo, at, {50 * kMin}), 100));
  EXPECT_TRUE(AlmostEqual(EvalRange("increase", bar, at, {50 * kMin}), 90));
  EXPECT_TRUE(AlmostEqual(EvalRange("increase", dings, at, {50 * kMin}), 100));
  EXPECT_TRUE(AlmostEqual(EvalRange("increase", bumms, at, {50 * kMin}), 100));
  // With [100m] the left edge is far: "dings" extrapolates by half an interval (2m30s) since
  // its zero point (-5m) is further away; "bumms" only to its zero point at -30s.
  EXPECT_TRUE(AlmostEqual(EvalRange("increase", foo, at, {100 * kMin}), 100));
  EXPECT_TRUE(AlmostEqual(EvalRange("increase", bar, at, {100 * kMin}), 90));
  EXPECT_TRUE(AlmostEqual(EvalRange("increase", dings, at, {100 * kMin}), 105));
  EXPECT_TRUE(AlmostEqual(EvalRange("increase", bumms, at, {100 * kMin}), 101));
}

TEST(FunctionImplsTest, IncreaseAddsBackCounterResets) {
  // 3 -> 2 is a reset: read as 3, 0, 1, 2.
  EXPECT_TRUE(
      AlmostEqual(EvalRange("increase", "0 1 2 3 2 3 4", 5 * kMin, 30 * kMin, 30 * kMin), 7));
}

TEST(FunctionImplsTest, RateFromFunctionsTest) {
  EXPECT_TRUE(
      AlmostEqual(EvalRange("rate", "0+10x4 0+10x5", 5 * kMin, 50 * kMin, 50 * kMin), 0.03));
  // A reset as the last sample: the 5m window holds 90 (45m) and 0 (50m); the reset adds the 90
  // back, so the increase is 0.
  EXPECT_TRUE(AlmostEqual(EvalRange("rate", "0+10x9 0 10", 5 * kMin, 50 * kMin, 5 * kMin), 0));
  EXPECT_TRUE(AlmostEqual(EvalRange("rate", "0+80x10", 5 * kMin, 50 * kMin, 50 * kMin),
                          0.26666666666666666));
  // rate(calculate_rate_offset[10m] offset 5m) at 50m.
  const Selector sel{10 * kMin, 5 * kMin};
  EXPECT_TRUE(AlmostEqual(EvalRange("rate", Load("0+10x10", 5 * kMin), 50 * kMin, sel),
                          0.03333333333333333));
  EXPECT_TRUE(AlmostEqual(EvalRange("rate", Load("0+20x10", 5 * kMin), 50 * kMin, sel),
                          0.06666666666666667));
}

TEST(FunctionImplsTest, RateZeroCutoffFromFunctionsTest) {
  struct Case {
    const char* desc;
    double at_10m;
    double at_50m;
  };
  const Case kCases[] = {{"0+240x10", 0.5, 0.6},   {"60+240x10", 0.55, 0.6},
                         {"120+240x10", 0.6, 0.6}, {"180+240x10", 0.6, 0.6},
                         {"240+240x10", 0.6, 0.6}, {"300+240x10", 0.6, 0.6}};
  for (const Case& c : kCases) {
    EXPECT_TRUE(AlmostEqual(EvalRange("rate", c.desc, 4 * kMin, 10 * kMin, 20 * kMin), c.at_10m))
        << c.desc;
    EXPECT_TRUE(AlmostEqual(EvalRange("rate", c.desc, 4 * kMin, 50 * kMin, 20 * kMin), c.at_50m))
        << c.desc;
  }
}

TEST(FunctionImplsTest, RateExtrapolatesByHalfAnIntervalWhenFarFromTheEdges) {
  // Samples at 15s..55s, window [0s, 60s]: 15s from the start is >= 1.1 * 10s, so extrapolate
  // 5s; 5s to the end is < 11s, so extrapolate all of it. 40 over 40s -> 50 over 50s.
  const std::vector<FPoint> w = {
      {15 * kSec, 100}, {25 * kSec, 110}, {35 * kSec, 120}, {45 * kSec, 130}, {55 * kSec, 140}};
  const Selector sel{60 * kSec};
  EXPECT_DOUBLE_EQ(*EvalRange("increase", w, 60 * kSec, sel), 50);
  EXPECT_DOUBLE_EQ(*EvalRange("rate", w, 60 * kSec, sel), 50.0 / 60);
  EXPECT_DOUBLE_EQ(*EvalRange("delta", w, 60 * kSec, sel), 50);
}

TEST(FunctionImplsTest, RateExtrapolatesFullyJustBelowTheThreshold) {
  // 10.9s < 1.1 * 10s: extrapolate all the way to both edges (10.9s + 9.1s).
  const std::vector<FPoint> w = {
      {10900, 100}, {20900, 110}, {30900, 120}, {40900, 130}, {50900, 140}};
  EXPECT_DOUBLE_EQ(*EvalRange("increase", w, 60 * kSec, {60 * kSec}), 60);
  // At exactly 1.1 average intervals (11s) the start extrapolates by 5s only: 40 + 5 + 9 over 40.
  const std::vector<FPoint> v = {
      {11000, 100}, {21000, 110}, {31000, 120}, {41000, 130}, {51000, 140}};
  EXPECT_DOUBLE_EQ(*EvalRange("increase", v, 60 * kSec, {60 * kSec}), 54);
  // 11.1s is above it: the start extrapolates by 5s only; 40 + 5 + 8.9 over 40.
  const std::vector<FPoint> u = {
      {11100, 100}, {21100, 110}, {31100, 120}, {41100, 130}, {51100, 140}};
  EXPECT_DOUBLE_EQ(*EvalRange("increase", u, 60 * kSec, {60 * kSec}), 53.9);
}

TEST(FunctionImplsTest, RateZeroPointClampOnlyForCounters) {
  // A counter rising 10 per 10s from 2, first sample 15s after the window start: the left
  // extrapolation would be 5s (half an interval), but the counter reaches zero 2s earlier.
  const std::vector<FPoint> w = {{15 * kSec, 2}, {25 * kSec, 12}, {35 * kSec, 22}};
  // increase: 20 over 20s, extrapolated by 2s (zero point) + 5s (end, < 11s) -> 27s.
  EXPECT_DOUBLE_EQ(*EvalRange("increase", w, 40 * kSec, {40 * kSec}), 20.0 * 27 / 20);
  // delta is not a counter: extrapolated by 5s (half interval) + 5s.
  EXPECT_DOUBLE_EQ(*EvalRange("delta", w, 40 * kSec, {40 * kSec}), 20.0 * 30 / 20);
  // A negative first value disables the clamp.
  const std::vector<FPoint> n = {{15 * kSec, -2}, {25 * kSec, 8}, {35 * kSec, 18}};
  EXPECT_DOUBLE_EQ(*EvalRange("increase", n, 40 * kSec, {40 * kSec}), 20.0 * 30 / 20);
}

TEST(FunctionImplsTest, DeltaFromFunctionsTest) {
  EXPECT_TRUE(
      AlmostEqual(EvalRange("delta", "0 50 100 150 200", 5 * kMin, 20 * kMin, 20 * kMin), 200));
  EXPECT_TRUE(
      AlmostEqual(EvalRange("delta", "200 150 100 50 0", 5 * kMin, 20 * kMin, 20 * kMin), -200));
}

TEST(FunctionImplsTest, DeltaDoesNotTreatDecreasesAsResets) {
  const std::vector<FPoint> w = {{0, 10}, {10 * kSec, 3}, {20 * kSec, 5}};
  EXPECT_DOUBLE_EQ(*EvalRange("delta", w, 20 * kSec, {20 * kSec}), -5);
  // increase reads 10 -> 3 as a reset: (5 - 10) + 10 = 5.
  EXPECT_DOUBLE_EQ(*EvalRange("increase", w, 20 * kSec, {20 * kSec}), 5);
}

TEST(FunctionImplsTest, RateFamilyNeedsTwoSamples) {
  const std::vector<FPoint> one = {{10 * kSec, 5}};
  for (const char* name :
       {"rate", "increase", "delta", "irate", "idelta", "deriv", "predict_linear"}) {
    EXPECT_FALSE(EvalRange(name, one, 20 * kSec, {60 * kSec}, {60}).has_value()) << name;
  }
  EXPECT_FALSE(EvalRange("holt_winters", one, 20 * kSec, {60 * kSec}, {0.5, 0.5}).has_value());
}

// --- irate, idelta ---------------------------------------------------------------------------

TEST(FunctionImplsTest, IrateFromFunctionsTest) {
  const auto foo = Load("0+10x10", 5 * kMin);
  const auto bar = Load("0+10x5 0+10x5", 5 * kMin);
  EXPECT_TRUE(AlmostEqual(EvalRange("irate", foo, 50 * kMin, {50 * kMin}), 0.0333333333333333));
  EXPECT_TRUE(AlmostEqual(EvalRange("irate", bar, 50 * kMin, {50 * kMin}), 0.0333333333333333));
  // At 30m "bar" has just reset from 50 to 0: irate is the new value over the interval.
  EXPECT_TRUE(AlmostEqual(EvalRange("irate", foo, 30 * kMin, {50 * kMin}), 0.0333333333333333));
  EXPECT_TRUE(AlmostEqual(EvalRange("irate", bar, 30 * kMin, {50 * kMin}), 0));
}

TEST(FunctionImplsTest, IrateCounterResetUsesTheNewValue) {
  const std::vector<FPoint> w = {{0, 1}, {10 * kSec, 50}, {20 * kSec, 6}};
  EXPECT_DOUBLE_EQ(*EvalRange("irate", w, 20 * kSec, {kMin}), 0.6);
  EXPECT_DOUBLE_EQ(*EvalRange("idelta", w, 20 * kSec, {kMin}), -44);
}

TEST(FunctionImplsTest, IdeltaFromFunctionsTest) {
  EXPECT_TRUE(AlmostEqual(EvalRange("idelta", "0 50 100 150", 5 * kMin, 20 * kMin, 20 * kMin), 50));
  EXPECT_TRUE(AlmostEqual(EvalRange("idelta", "0 50 100 50", 5 * kMin, 20 * kMin, 20 * kMin), -50));
}

TEST(FunctionImplsTest, IrateOfTwoSamplesAtTheSameTimeYieldsNothing) {
  const std::vector<FPoint> w = {{10 * kSec, 1}, {10 * kSec, 2}};
  const RangeFunction* f = LookupRangeFunction("irate");
  EXPECT_FALSE(f->fn(w, 10 * kSec, kMin, {}).has_value());
  EXPECT_FALSE(LookupRangeFunction("idelta")->fn(w, 10 * kSec, kMin, {}).has_value());
}

// --- deriv, predict_linear -------------------------------------------------------------------

TEST(FunctionImplsTest, DerivFromFunctionsTest) {
  EXPECT_TRUE(AlmostEqual(EvalRange("deriv", "0+80x10", 5 * kMin, 50 * kMin, 50 * kMin),
                          0.26666666666666666));
  EXPECT_TRUE(AlmostEqual(EvalRange("deriv", "0+10x4 0+10x5", 5 * kMin, 50 * kMin, 100 * kMin),
                          0.010606060606060607));
}

TEST(FunctionImplsTest, DerivOfConstantSeries) {
  const std::vector<FPoint> w = {{0, 3}, {10 * kSec, 3}, {20 * kSec, 3}};
  EXPECT_EQ(*EvalRange("deriv", w, 20 * kSec, {kMin}), 0);
  EXPECT_EQ(*EvalRange("predict_linear", w, 20 * kSec, {kMin}, {100}), 3);
  const std::vector<FPoint> inf = {{0, kInf}, {10 * kSec, kInf}};
  EXPECT_TRUE(std::isnan(*EvalRange("deriv", inf, 20 * kSec, {kMin})));
  EXPECT_TRUE(std::isnan(*EvalRange("predict_linear", inf, 20 * kSec, {kMin}, {100})));
}

TEST(FunctionImplsTest, PredictLinearFromFunctionsTest) {
  const auto s = Load("0+10x4 0+10x5", 5 * kMin);
  EXPECT_TRUE(AlmostEqual(EvalRange("predict_linear", s, 50 * kMin, {50 * kMin}, {3600}),
                          76.81818181818181));
  // With @ 3000 the samples are fixed, but the intercept is taken at the step time.
  const Selector at{50 * kMin, 0, 3000 * kSec};
  EXPECT_TRUE(
      AlmostEqual(EvalRange("predict_linear", s, 50 * kMin, at, {3600}), 76.81818181818181));
  EXPECT_TRUE(
      AlmostEqual(EvalRange("predict_linear", s, 10 * kMin, at, {3600}), 51.36363636363637));
  EXPECT_TRUE(
      AlmostEqual(EvalRange("predict_linear", s, 70 * kMin, at, {3600}), 89.54545454545455));
  // A line through the last sample: predict_linear == last + deriv * 3600.
  const auto line = Load("0+80x10", 5 * kMin);
  const double deriv = *EvalRange("deriv", line, 50 * kMin, {50 * kMin});
  EXPECT_TRUE(AlmostEqual(EvalRange("predict_linear", line, 50 * kMin, {50 * kMin}, {3600}),
                          800 + deriv * 3600));
}

TEST(FunctionImplsTest, PredictLinearWithOffsetUsesTheStepTime) {
  // y = t/10s on [0s, 60s]; with offset 60s at step 120s the window is [0s, 60s] and the
  // intercept is at 120s (not 60s), so predict_linear(..., 0) = 12.
  const std::vector<FPoint> s = {{0, 0}, {30 * kSec, 3}, {60 * kSec, 6}};
  EXPECT_DOUBLE_EQ(*EvalRange("predict_linear", s, 120 * kSec, {60 * kSec, 60 * kSec}, {0}), 12);
  EXPECT_DOUBLE_EQ(*EvalRange("predict_linear", s, 120 * kSec, {60 * kSec, 60 * kSec}, {10}), 13);
}

// --- holt_winters ----------------------------------------------------------------------------

TEST(FunctionImplsTest, HoltWintersFromFunctionsTest) {
  struct Case {
    const char* desc;
    double want;
  };
  const Case kCases[] = {
      // Positive trends.
      {"0+10x1000 100+30x1000", 8000},
      {"0+20x1000 200+30x1000", 16000},
      {"0+30x1000 300+80x1000", 24000},
      {"0+40x2000", 32000},
      // Negative trends.
      {"8000-10x1000", 0},
      {"0-20x1000", -16000},
      {"0+30x1000 300-80x1000", 24000},
      {"0-40x1000 0+40x1000", -32000},
  };
  for (const Case& c : kCases) {
    EXPECT_TRUE(AlmostEqual(
        EvalRange("holt_winters", c.desc, 10 * kSec, 8000 * kSec, kMin, {0.01, 0.1}), c.want))
        << c.desc;
  }
}

TEST(FunctionImplsTest, HoltWintersHandComputed) {
  // s1 = 1, b = 2 (first difference). i=1: s1 = .5*3 + .5*(1+2) = 3. i=2: b = .5*(3-1) + .5*2
  // = 2; s1 = .5*4 + .5*(3+2) = 4.5.
  const std::vector<FPoint> w = {{0, 1}, {kSec, 3}, {2 * kSec, 4}};
  EXPECT_DOUBLE_EQ(*EvalRange("holt_winters", w, 2 * kSec, {kMin}, {0.5, 0.5}), 4.5);
}

TEST(FunctionImplsTest, HoltWintersArgumentValidation) {
  EXPECT_TRUE(ValidateHoltWintersArgs(0.5, 0.5).ok());
  EXPECT_TRUE(ValidateHoltWintersArgs(kNaN, kNaN).ok());  // NaN fails neither comparison.
  const Status sf = ValidateHoltWintersArgs(1, 0.5);
  EXPECT_EQ(sf.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(sf.message(), "invalid smoothing factor. Expected: 0 < sf < 1, got: 1.000000");
  EXPECT_EQ(ValidateHoltWintersArgs(0, 0.5).message(),
            "invalid smoothing factor. Expected: 0 < sf < 1, got: 0.000000");
  EXPECT_EQ(ValidateHoltWintersArgs(0.5, -0.25).message(),
            "invalid trend factor. Expected: 0 < tf < 1, got: -0.250000");
  EXPECT_EQ(ValidateHoltWintersArgs(2, 2).message(),
            "invalid smoothing factor. Expected: 0 < sf < 1, got: 2.000000");
  EXPECT_EQ(ValidateHoltWintersArgs(0.5, kInf).message(),
            "invalid trend factor. Expected: 0 < tf < 1, got: +Inf");
  // The function itself never aborts on bad arguments.
  const std::vector<FPoint> w = {{0, 1}, {kSec, 3}};
  EXPECT_FALSE(EvalRange("holt_winters", w, kSec, {kMin}, {1, 0.5}).has_value());
  EXPECT_TRUE(std::isnan(*EvalRange("holt_winters", w, kSec, {kMin}, {kNaN, 0.5})));
}

// --- *_over_time -----------------------------------------------------------------------------

TEST(FunctionImplsTest, AvgAndSumOverTimeFromFunctionsTest) {
  struct Case {
    const char* desc;
    double avg;
    double sum;
  };
  const Case kCases[] = {
      {"1 2 3 4 5", 3, 15},
      {"1 2 3 4 Inf", kInf, kInf},
      {"1 2 3 4 -Inf", -kInf, -kInf},
      {"1 2 3 Inf -Inf", kNaN, kNaN},
      {"Inf 0 Inf", kInf, kInf},
      {"Inf Inf Inf -Inf", kNaN, kNaN},
      {"1 2 3 -Inf -Inf", -kInf, -kInf},
      {"-Inf 0 -Inf", -kInf, -kInf},
      {"-Inf -Inf -Inf Inf", kNaN, kNaN},
      {"1 2 -Inf -Inf Inf", kNaN, kNaN},
      // The incremental mean does not overflow where the sum does.
      {"9.988465674311579e+307 9.988465674311579e+307", 9.988465674311579e+307, kInf},
      {"-9.988465674311579e+307 -9.988465674311579e+307 -9.988465674311579e+307",
       -9.988465674311579e+307, -kInf},
      {"-9.988465674311579e+307 9.988465674311579e+307", 0, 0},
  };
  for (const Case& c : kCases) {
    EXPECT_TRUE(AlmostEqual(EvalRange("avg_over_time", c.desc, 10 * kSec, kMin, kMin), c.avg))
        << c.desc;
    EXPECT_TRUE(AlmostEqual(EvalRange("sum_over_time", c.desc, 10 * kSec, kMin, kMin), c.sum))
        << c.desc;
  }
}

TEST(FunctionImplsTest, SumOverTimeCompensatesLostDigits) {
  // Naive summation gives 0; Kahan-Neumaier keeps both 1s.
  EXPECT_EQ(EvalRange("sum_over_time", "1 1e100 1 -1e100", 10 * kSec, kMin, kMin), 2);
  EXPECT_TRUE(std::isnan(*EvalRange("sum_over_time", "1 NaN 2", 10 * kSec, kMin, kMin)));
  EXPECT_TRUE(std::isnan(*EvalRange("avg_over_time", "1 NaN 2", 10 * kSec, kMin, kMin)));
  EXPECT_TRUE(std::isnan(*EvalRange("avg_over_time", "Inf NaN", 10 * kSec, kMin, kMin)));
}

TEST(FunctionImplsTest, StddevAndStdvarOverTimeFromFunctionsTest) {
  EXPECT_TRUE(
      AlmostEqual(EvalRange("stdvar_over_time", "0 8 8 2 3", 10 * kSec, kMin, kMin), 10.56));
  EXPECT_TRUE(
      AlmostEqual(EvalRange("stddev_over_time", "0 8 8 2 3", 10 * kSec, kMin, kMin), 3.249615));
  // #4927: a constant series has exactly zero variance.
  const char* kConst = "1.5990505637277868 1.5990505637277868 1.5990505637277868";
  EXPECT_EQ(EvalRange("stdvar_over_time", kConst, 10 * kSec, kMin, kMin), 0);
  EXPECT_EQ(EvalRange("stddev_over_time", kConst, 10 * kSec, kMin, kMin), 0);
  EXPECT_EQ(EvalRange("stdvar_over_time", "7", 10 * kSec, kMin, kMin), 0);
  EXPECT_TRUE(std::isnan(*EvalRange("stddev_over_time", "1 Inf", 10 * kSec, kMin, kMin)));
}

TEST(FunctionImplsTest, MadOverTimeFromFunctionsTest) {
  EXPECT_EQ(EvalRange("mad_over_time", "4 6 2 1 999 1 2", 10 * kSec, 70 * kSec, 70 * kSec), 1);
  // Median 3; absolute deviations 2 1 0 1 2; their median is 1.
  EXPECT_EQ(EvalRange("mad_over_time", "1 2 3 4 5", 10 * kSec, kMin, kMin), 1);
}

TEST(FunctionImplsTest, QuantileOverTimeFromFunctionsTest) {
  struct Case {
    double phi;
    double two, three, uneven;
  };
  const Case kCases[] = {
      {0, 0, 0, 0}, {0.5, 0.5, 1, 1},          {0.75, 0.75, 1.5, 2.5}, {0.8, 0.8, 1.6, 2.8},
      {1, 1, 2, 4}, {-1, -kInf, -kInf, -kInf}, {2, kInf, kInf, kInf},  {kNaN, kNaN, kNaN, kNaN}};
  for (const Case& c : kCases) {
    const auto eval = [&](const char* desc) {
      return EvalRange("quantile_over_time", desc, 10 * kSec, kMin, kMin, {c.phi});
    };
    EXPECT_TRUE(AlmostEqual(eval("0 1"), c.two)) << c.phi;
    EXPECT_TRUE(AlmostEqual(eval("0 1 2"), c.three)) << c.phi;
    EXPECT_TRUE(AlmostEqual(eval("0 1 4"), c.uneven)) << c.phi;
  }
}

TEST(FunctionImplsTest, MinMaxLastOverTimeWithNaNFromFunctionsTest) {
  struct Case {
    const char* desc;
    double min, max, last;
  };
  const Case kCases[] = {{"2 0 3", 0, 3, 3},
                         {"2 0 NaN", 0, 2, kNaN},
                         {"2 NaN 1", 1, 2, 1},
                         {"NaN 0 1", 0, 1, 1},
                         {"NaN NaN NaN", kNaN, kNaN, kNaN}};
  for (const Case& c : kCases) {
    EXPECT_TRUE(AlmostEqual(EvalRange("min_over_time", c.desc, 10 * kSec, kMin, kMin), c.min))
        << c.desc;
    EXPECT_TRUE(AlmostEqual(EvalRange("max_over_time", c.desc, 10 * kSec, kMin, kMin), c.max))
        << c.desc;
    EXPECT_TRUE(AlmostEqual(EvalRange("last_over_time", c.desc, 10 * kSec, kMin, kMin), c.last))
        << c.desc;
  }
  EXPECT_EQ(EvalRange("min_over_time", "1 -Inf Inf", 10 * kSec, kMin, kMin), -kInf);
  EXPECT_EQ(EvalRange("max_over_time", "1 -Inf Inf", 10 * kSec, kMin, kMin), kInf);
}

TEST(FunctionImplsTest, CountAndPresentOverTime) {
  EXPECT_EQ(EvalRange("count_over_time", "1 NaN 3 4", 10 * kSec, kMin, kMin), 4);
  EXPECT_EQ(EvalRange("present_over_time", "NaN", 10 * kSec, kMin, kMin), 1);
  // Samples every minute from 0m; [0m, 5m] is closed at both ends.
  EXPECT_EQ(EvalRange("count_over_time", "1+1x10", kMin, 5 * kMin, 5 * kMin), 6);
}

// --- Element-wise functions ------------------------------------------------------------------

TEST(FunctionImplsTest, MathFromFunctionsTest) {
  EXPECT_TRUE(AlmostEqual(Elem("exp", 10), 22026.465794806718));
  EXPECT_TRUE(AlmostEqual(Elem("exp", 20), 485165195.4097903));
  EXPECT_TRUE(AlmostEqual(Elem("exp", -10), 4.5399929762484854e-05));
  EXPECT_EQ(Elem("exp", 0), 1);
  EXPECT_TRUE(AlmostEqual(Elem("ln", 10), 2.302585092994046));
  EXPECT_TRUE(AlmostEqual(Elem("ln", 20), 2.995732273553991));
  EXPECT_EQ(Elem("ln", 0), -kInf);
  EXPECT_TRUE(std::isnan(Elem("ln", -10)));
  EXPECT_TRUE(AlmostEqual(Elem("sqrt", 10), 3.1622776601683795));
  EXPECT_TRUE(AlmostEqual(Elem("sqrt", 20), 4.47213595499958));
  EXPECT_TRUE(AlmostEqual(Elem("log2", 10), 3.3219280948873626));
  EXPECT_TRUE(AlmostEqual(Elem("log2", 20), 4.321928094887363));
  EXPECT_EQ(Elem("log2", 0), -kInf);
  EXPECT_TRUE(std::isnan(Elem("log2", -10)));
  EXPECT_TRUE(AlmostEqual(Elem("log10", 10), 1));
  EXPECT_TRUE(AlmostEqual(Elem("log10", 20), 1.301029995663981));
  EXPECT_EQ(Elem("log10", 0), -kInf);
  EXPECT_TRUE(std::isnan(Elem("log10", -10)));
}

TEST(FunctionImplsTest, LogSpecialValuesFollowGo) {
  EXPECT_EQ(Elem("log2", 8), 3);  // Exact for powers of two.
  EXPECT_EQ(Elem("log2", 0.125), -3);
  EXPECT_EQ(Elem("log2", kInf), kInf);
  EXPECT_EQ(Elem("log10", kInf), kInf);
  EXPECT_TRUE(std::isnan(Elem("log2", -kInf)));
  EXPECT_TRUE(std::isnan(Elem("log2", kNaN)));
  // Go's Log10 is Log(x) * (1/Ln10), not a correctly rounded log10.
  EXPECT_TRUE(AlmostEqual(Elem("log10", 100), 2));
  EXPECT_TRUE(AlmostEqual(Elem("log10", 1000), 3));
  EXPECT_EQ(Elem("log10", 1), 0);
}

TEST(FunctionImplsTest, AbsCeilFloorRoundFromAggregatorsTest) {
  EXPECT_EQ(Elem("abs", -100), 100);
  EXPECT_EQ(Elem("floor", 0.004 * 200), 0);
  EXPECT_EQ(Elem("ceil", 0.004 * 100), 1);
  // The products are what the evaluator feeds in (0.004 * http_requests etc.).
  EXPECT_EQ(Elem("round", 0.004 * 100), 0);
  EXPECT_EQ(Elem("round", 0.004 * 200), 1);
  EXPECT_EQ(Elem("round", -1 * (0.004 * 100)), 0);
  EXPECT_EQ(Elem("round", -1 * (0.004 * 200)), -1);
  EXPECT_EQ(Elem("round", 0.005 * 100), 1);  // Ties round up.
  EXPECT_EQ(Elem("round", -1 * (0.005 * 100)), 0);
  EXPECT_EQ(Elem("round", -1 * (0.005 * 200)), -1);
  EXPECT_EQ(Elem("round", 1 + 0.005 * 100), 2);
  EXPECT_EQ(Elem("round", -1 * (1 + 0.005 * 100)), -1);
  EXPECT_EQ(Elem("round", -1 * (1 + 0.005 * 200)), -2);
  EXPECT_TRUE(AlmostEqual(Elem("round", 0.0005 * 100, {0.1}), 0.1));
  EXPECT_TRUE(AlmostEqual(Elem("round", 0.0005 * 200, {0.1}), 0.1));
  EXPECT_TRUE(AlmostEqual(Elem("round", 2.1 + 0.0005 * 100, {0.1}), 2.2));
  EXPECT_TRUE(AlmostEqual(Elem("round", 5.2 + 0.0005 * 100, {0.1}), 5.3));
  EXPECT_TRUE(AlmostEqual(Elem("round", -1 * (5.2 + 0.0005 * 100), {0.1}), -5.2));
  EXPECT_TRUE(AlmostEqual(Elem("round", -1 * (5.2 + 0.0005 * 200), {0.1}), -5.3));
  EXPECT_EQ(Elem("round", 0.025 * 100, {5}), 5);
  EXPECT_EQ(Elem("round", 0.045 * 200, {5}), 10);
  EXPECT_EQ(Elem("round", -2.5), -2);
  EXPECT_TRUE(std::isnan(Elem("round", kNaN)));
  EXPECT_EQ(Elem("round", kInf), kInf);
}

TEST(FunctionImplsTest, ClampFromFunctionsTest) {
  const double kValues[] = {-50, 0, 100};
  const double kClampMax75[] = {-50, 0, 75};
  const double kClampMinMinus25[] = {-25, 0, 100};
  const double kClamp[] = {-25, 0, 75};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Elem("clamp_max", kValues[i], {75}), kClampMax75[i]);
    EXPECT_EQ(Elem("clamp_min", kValues[i], {-25}), kClampMinMinus25[i]);
    EXPECT_EQ(Elem("clamp", kValues[i], {-25, 75}), kClamp[i]);
    EXPECT_TRUE(std::isnan(Elem("clamp", kValues[i], {0, kNaN})));
    EXPECT_TRUE(std::isnan(Elem("clamp", kValues[i], {kNaN, 0})));
  }
  EXPECT_TRUE(ClampArgsEmpty(std::vector<double>{5, -5}));
  EXPECT_FALSE(ClampArgsEmpty(std::vector<double>{-25, 75}));
  EXPECT_FALSE(ClampArgsEmpty(std::vector<double>{5, 5}));
  EXPECT_FALSE(ClampArgsEmpty(std::vector<double>{0, kNaN}));
  EXPECT_FALSE(ClampArgsEmpty(std::vector<double>{kNaN, 0}));
}

TEST(FunctionImplsTest, ClampFollowsGoMaxMin) {
  // Go's math.Max(+Inf, NaN) is +Inf and math.Min(-Inf, NaN) is -Inf.
  EXPECT_EQ(Elem("clamp_min", kNaN, {kInf}), kInf);
  EXPECT_EQ(Elem("clamp_max", kNaN, {-kInf}), -kInf);
  EXPECT_TRUE(std::isnan(Elem("clamp_min", kNaN, {0})));
  EXPECT_TRUE(std::isnan(Elem("clamp_max", kNaN, {0})));
  // +0 is the max of the zeros, -0 the min.
  EXPECT_FALSE(std::signbit(Elem("clamp_min", -0.0, {0.0})));
  EXPECT_TRUE(std::signbit(Elem("clamp_max", 0.0, {-0.0})));
  EXPECT_TRUE(std::isnan(Elem("clamp", kNaN, {0, kInf})));
  EXPECT_EQ(Elem("clamp", kNaN, {kInf, kInf}), kInf);
}

TEST(FunctionImplsTest, SgnFromFunctionsTest) {
  EXPECT_EQ(Elem("sgn", -kInf), -1);
  EXPECT_EQ(Elem("sgn", kInf), 1);
  EXPECT_TRUE(std::isnan(Elem("sgn", kNaN)));
  EXPECT_EQ(Elem("sgn", -50), -1);
  EXPECT_EQ(Elem("sgn", 0), 0);
  EXPECT_TRUE(std::signbit(Elem("sgn", -0.0)));
  EXPECT_EQ(Elem("sgn", 100), 1);
}

TEST(FunctionImplsTest, TrigFromTrigFunctionsTest) {
  struct Case {
    const char* name;
    double v;
    double want;
  };
  const Case kCases[] = {
      {"sin", 10, -0.5440211108893699},
      {"sin", 20, 0.9129452507276277},
      {"cos", 10, -0.8390715290764524},
      {"cos", 20, 0.40808206181339196},
      {"tan", 10, 0.6483608274590867},
      {"tan", 20, 2.2371609442247427},
      {"asin", 10 - 10.1, -0.10016742116155944},
      {"asin", 20 - 10.1, kNaN},
      {"acos", 10 - 10.1, 1.670963747956456},
      {"acos", 20 - 10.1, kNaN},
      {"atan", 10, 1.4711276743037345},
      {"atan", 20, 1.5208379310729538},
      {"sinh", 10, 11013.232920103324},
      {"sinh", 20, 2.4258259770489514e+08},
      {"cosh", 10, 11013.232920103324},
      {"cosh", 20, 2.4258259770489514e+08},
      {"tanh", 10, 0.9999999958776927},
      {"tanh", 20, 1},
      {"asinh", 10, 2.99822295029797},
      {"asinh", 20, 3.6895038689889055},
      {"acosh", 10, 2.993222846126381},
      {"acosh", 20, 3.6882538673612966},
      {"atanh", 10 - 10.1, -0.10033534773107522},
      {"atanh", 20 - 10.1, kNaN},
      {"rad", 10, 0.17453292519943295},
      {"rad", 20, 0.3490658503988659},
      {"rad", 0, 0},
      {"rad", -10, -0.17453292519943295},
      {"deg", 10, 572.9577951308232},
      {"deg", 20, 1145.9155902616465},
      {"deg", 0, 0},
      {"deg", -10, -572.9577951308232},
  };
  for (const Case& c : kCases) {
    EXPECT_TRUE(AlmostEqual(Elem(c.name, c.v), c.want)) << c.name << "(" << c.v << ")";
    EXPECT_TRUE(std::isnan(Elem(c.name, kNaN))) << c.name;
  }
}

TEST(FunctionImplsTest, DatePartsFromFunctionsTest) {
  // 2006-01-02 22:04:05 UTC, a Monday.
  const double t = 1136239445;
  EXPECT_EQ(Elem("year", t), 2006);
  EXPECT_EQ(Elem("month", t), 1);
  EXPECT_EQ(Elem("day_of_month", t), 2);
  EXPECT_EQ(Elem("day_of_year", t), 2);
  EXPECT_EQ(Elem("day_of_week", t), 1);
  EXPECT_EQ(Elem("hour", t), 22);
  EXPECT_EQ(Elem("minute", t), 4);
  EXPECT_EQ(Elem("days_in_month", t), 31);
  // The epoch (what year() etc. without arguments give at 0m): Thursday 1970-01-01.
  EXPECT_EQ(Elem("year", 0), 1970);
  EXPECT_EQ(Elem("month", 0), 1);
  EXPECT_EQ(Elem("day_of_month", 0), 1);
  EXPECT_EQ(Elem("day_of_year", 0), 1);
  EXPECT_EQ(Elem("day_of_week", 0), 4);
  EXPECT_EQ(Elem("hour", 0), 0);
  EXPECT_EQ(Elem("minute", 0), 0);
  EXPECT_EQ(Elem("year", 1230767999), 2008);
  EXPECT_EQ(Elem("year", 1230768000), 2009);
  EXPECT_TRUE(
      AlmostEqual(Elem("month", 1456790399) + Elem("day_of_month", 1456790399) / 100, 2.29));
  EXPECT_TRUE(
      AlmostEqual(Elem("month", 1456790400) + Elem("day_of_month", 1456790400) / 100, 3.01));
  EXPECT_EQ(Elem("day_of_year", 1483191420), 366);
  EXPECT_EQ(Elem("day_of_year", 1672493820), 365);
  EXPECT_EQ(Elem("days_in_month", 1454284800), 29);
  EXPECT_EQ(Elem("days_in_month", 1485907200), 28);
}

TEST(FunctionImplsTest, DatePartsEdgeCases) {
  // Fractions truncate toward zero (Go's int64(v)): -0.5 is 1970-01-01 00:00:00.
  EXPECT_EQ(Elem("year", -0.5), 1970);
  EXPECT_EQ(Elem("minute", 59.9), 0);
  // -1 is 1969-12-31 23:59:59, a Wednesday.
  EXPECT_EQ(Elem("year", -1), 1969);
  EXPECT_EQ(Elem("month", -1), 12);
  EXPECT_EQ(Elem("day_of_month", -1), 31);
  EXPECT_EQ(Elem("day_of_year", -1), 365);
  EXPECT_EQ(Elem("day_of_week", -1), 3);
  EXPECT_EQ(Elem("hour", -1), 23);
  EXPECT_EQ(Elem("minute", -1), 59);
  EXPECT_EQ(Elem("days_in_month", -1), 31);
  // 2000 is a leap year (divisible by 400), 1900 is not: Feb 1st of each.
  EXPECT_EQ(Elem("days_in_month", 949363200), 29);
  EXPECT_EQ(Elem("days_in_month", -2206310400), 28);
  EXPECT_EQ(Elem("day_of_year", 978307200 - 1), 366);  // 2000-12-31 23:59:59
  // Each month's length in 2023.
  const double kFirsts[] = {1672531200, 1675209600, 1677628800, 1680307200, 1682899200, 1685577600,
                            1688169600, 1690848000, 1693526400, 1696118400, 1698796800, 1701388800};
  const double kLengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (int m = 0; m < 12; ++m) {
    EXPECT_EQ(Elem("month", kFirsts[m]), m + 1);
    EXPECT_EQ(Elem("day_of_month", kFirsts[m]), 1);
    EXPECT_EQ(Elem("days_in_month", kFirsts[m]), kLengths[m]) << m;
    EXPECT_EQ(Elem("days_in_month", kFirsts[m] - 1), kLengths[(m + 11) % 12]) << m;
  }
  // NaN, ±Inf and out-of-range values all become INT64_MIN seconds, as Go's int64(v) does on
  // amd64, and then wrap through Go's calendar arithmetic: a definite date, never NaN.
  for (const double v : {kNaN, kInf, -kInf, 1e19, -1e19}) {
    EXPECT_EQ(Elem("year", v), Elem("year", -9223372036854775808.0)) << v;
    EXPECT_EQ(Elem("hour", v), Elem("hour", -9223372036854775808.0)) << v;
    EXPECT_FALSE(std::isnan(Elem("days_in_month", v))) << v;
  }
  EXPECT_EQ(Elem("year", kNaN), 292277026596);
  EXPECT_EQ(Elem("month", kNaN), 12);
  EXPECT_EQ(Elem("day_of_month", kNaN), 4);
  EXPECT_EQ(Elem("hour", kNaN), 15);
  EXPECT_EQ(Elem("minute", kNaN), 30);
  EXPECT_EQ(Elem("day_of_week", kNaN), 0);
  EXPECT_EQ(Elem("days_in_month", kNaN), 31);
}

// Howard Hinnant's days_from_civil / civil_from_days: an independent proleptic-Gregorian
// reference for the date functions.
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Civil {
  int64_t year;
  int month;
  int day;
};

Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);
}

TEST(FunctionImplsTest, DatePartsMatchAProlepticGregorianReference) {
  // From year -9999 to 11999, in steps that wander through days, hours and minutes.
  const int64_t from = DaysFromCivil(-9999, 1, 1) * 86400;
  const int64_t to = DaysFromCivil(12000, 1, 1) * 86400;
  int checked = 0;
  for (int64_t s = from; s < to; s += 37 * 86400 + 3671, ++checked) {
    const int64_t days = FloorDiv(s, 86400);
    const int64_t secs_of_day = s - days * 86400;
    const Civil c = CivilFromDays(days);
    const double v = static_cast<double>(s);
    ASSERT_EQ(Elem("year", v), static_cast<double>(c.year)) << s;
    ASSERT_EQ(Elem("month", v), c.month) << s;
    ASSERT_EQ(Elem("day_of_month", v), c.day) << s;
    ASSERT_EQ(Elem("day_of_year", v), days - DaysFromCivil(c.year, 1, 1) + 1) << s;
    ASSERT_EQ(Elem("day_of_week", v), static_cast<double>(((days % 7) + 7 + 4) % 7)) << s;
    ASSERT_EQ(Elem("hour", v), secs_of_day / 3600) << s;
    ASSERT_EQ(Elem("minute", v), (secs_of_day % 3600) / 60) << s;
    const int64_t next_month =
        c.month == 12 ? DaysFromCivil(c.year + 1, 1, 1) : DaysFromCivil(c.year, c.month + 1, 1);
    ASSERT_EQ(Elem("days_in_month", v), next_month - DaysFromCivil(c.year, c.month, 1)) << s;
  }
  EXPECT_GT(checked, 200000);
}

// --- Quantile --------------------------------------------------------------------------------

TEST(FunctionImplsTest, QuantileFromAggregatorsTest) {
  std::vector<double> two = {1, 0};
  std::vector<double> three = {2, 0, 1};
  std::vector<double> uneven = {4, 1, 0};
  EXPECT_TRUE(AlmostEqual(Quantile(0.8, &two), 0.8));
  EXPECT_TRUE(AlmostEqual(Quantile(0.8, &three), 1.6));
  EXPECT_TRUE(AlmostEqual(Quantile(0.8, &uneven), 2.8));
  EXPECT_TRUE(std::isnan(Quantile(kNaN, &two)));
}

TEST(FunctionImplsTest, QuantileEdgeCases) {
  std::vector<double> v = {3, 1, 2};
  EXPECT_EQ(Quantile(-0.1, &v), -kInf);
  EXPECT_EQ(Quantile(1.1, &v), kInf);
  EXPECT_EQ(Quantile(0, &v), 1);
  EXPECT_EQ(Quantile(1, &v), 3);
  EXPECT_EQ(Quantile(0.5, &v), 2);
  EXPECT_EQ(Quantile(0.25, &v), 1.5);
  std::vector<double> empty;
  EXPECT_TRUE(std::isnan(Quantile(0.5, &empty)));
  EXPECT_TRUE(std::isnan(Quantile(-1, &empty)));  // Empty wins over φ < 0.
  std::vector<double> one = {7};
  EXPECT_EQ(Quantile(0.3, &one), 7);
  // NaN sorts below everything.
  std::vector<double> with_nan = {2, kNaN, 1};
  EXPECT_TRUE(std::isnan(Quantile(0, &with_nan)));
  EXPECT_EQ(Quantile(1, &with_nan), 2);
  EXPECT_EQ(Quantile(0.5, &with_nan), 1);
  // Prometheus computes v[lo]*(1-w) + v[hi]*w, so Inf*0 makes NaN even at exact ranks.
  std::vector<double> with_inf = {1, kInf};
  EXPECT_TRUE(std::isnan(Quantile(1, &with_inf)));
  EXPECT_EQ(Quantile(0.5, &with_inf), kInf);
}

// --- BucketQuantile --------------------------------------------------------------------------

double BQ(double phi, std::vector<Bucket> buckets, bool* forced = nullptr) {
  return BucketQuantile(phi, &buckets, forced);
}

TEST(FunctionImplsTest, BucketQuantileFromHistogramsTest) {
  // testhistogram_bucket at 50m (step 10).
  const std::vector<Bucket> positive = {{0.1, 50}, {0.2, 70}, {1, 110}, {kInf, 120}};
  const std::vector<Bucket> negative = {{-0.2, 10}, {-0.1, 20}, {0.3, 20}, {kInf, 30}};
  EXPECT_EQ(BQ(-0.1, positive), -kInf);
  EXPECT_EQ(BQ(-0.1, negative), -kInf);
  EXPECT_EQ(BQ(1.01, positive), kInf);
  EXPECT_EQ(BQ(1.01, negative), kInf);
  EXPECT_TRUE(std::isnan(BQ(kNaN, positive)));
  EXPECT_TRUE(std::isnan(BQ(kNaN, negative)));
  EXPECT_EQ(BQ(0, positive), 0);
  EXPECT_EQ(BQ(0, negative), -0.2);
  EXPECT_EQ(BQ(1, positive), 1);
  EXPECT_EQ(BQ(1, negative), 0.3);
  EXPECT_TRUE(AlmostEqual(BQ(0.2, positive), 0.048));
  EXPECT_TRUE(AlmostEqual(BQ(0.2, negative), -0.2));
  EXPECT_TRUE(AlmostEqual(BQ(0.5, positive), 0.15));
  EXPECT_TRUE(AlmostEqual(BQ(0.5, negative), -0.15));
  EXPECT_TRUE(AlmostEqual(BQ(0.8, positive), 0.72));
  EXPECT_TRUE(AlmostEqual(BQ(0.8, negative), 0.3));
  // The same over rate(...[5m]): every count divided by 300 * 10.
  std::vector<Bucket> rated = positive;
  for (Bucket& b : rated) b.count /= 3000;
  EXPECT_TRUE(AlmostEqual(BQ(0.2, rated), 0.048));
  EXPECT_TRUE(AlmostEqual(BQ(0.5, rated), 0.15));
  EXPECT_TRUE(AlmostEqual(BQ(0.8, rated), 0.72));

  // testhistogram2_bucket at 7m: the sample of 5m.
  const std::vector<Bucket> h2 = {{0, 0}, {2, 1}, {4, 2}, {6, 3}, {kInf, 3}};
  EXPECT_TRUE(AlmostEqual(BQ(1. / 6., h2), 1));
  EXPECT_TRUE(AlmostEqual(BQ(0.5, h2), 3));
  EXPECT_TRUE(AlmostEqual(BQ(5. / 6., h2), 5));
}

TEST(FunctionImplsTest, BucketQuantileOfAggregatedRatesFromHistogramsTest) {
  // request_duration_seconds_bucket increments per 5m, as {le=0.1, le=0.2, le=+Inf} per
  // (job, instance); rate(...[5m]) at 50m is that over 300s.
  struct Series {
    double b01, b02, inf;
  };
  const Series j1i1{1, 3, 4}, j1i2{2, 5, 6}, j2i1{3, 4, 6}, j2i2{4, 7, 9};
  const auto hist = [](const std::vector<Series>& parts) {
    std::vector<Bucket> b = {{0.1, 0}, {0.2, 0}, {kInf, 0}};
    for (const Series& s : parts) {
      b[0].count += s.b01 / 300;
      b[1].count += s.b02 / 300;
      b[2].count += s.inf / 300;
    }
    return b;
  };
  EXPECT_TRUE(AlmostEqual(BQ(0.3, hist({j1i1, j1i2, j2i1, j2i2})), 0.075));
  EXPECT_TRUE(AlmostEqual(BQ(0.5, hist({j1i1, j1i2, j2i1, j2i2})), 0.1277777777777778));
  EXPECT_TRUE(AlmostEqual(BQ(0.3, hist({j1i1, j2i1})), 0.075));
  EXPECT_TRUE(AlmostEqual(BQ(0.3, hist({j1i2, j2i2})), 0.075));
  EXPECT_TRUE(AlmostEqual(BQ(0.5, hist({j1i1, j2i1})), 0.1333333333));
  EXPECT_TRUE(AlmostEqual(BQ(0.5, hist({j1i2, j2i2})), 0.125));
  EXPECT_TRUE(AlmostEqual(BQ(0.3, hist({j1i1, j1i2})), 0.1));
  EXPECT_TRUE(AlmostEqual(BQ(0.3, hist({j2i1, j2i2})), 0.0642857142857143));
  EXPECT_TRUE(AlmostEqual(BQ(0.5, hist({j1i1, j1i2})), 0.14));
  EXPECT_TRUE(AlmostEqual(BQ(0.5, hist({j2i1, j2i2})), 0.1125));
  EXPECT_TRUE(AlmostEqual(BQ(0.3, hist({j1i1})), 0.11));
  EXPECT_TRUE(AlmostEqual(BQ(0.3, hist({j1i2})), 0.09));
  EXPECT_TRUE(AlmostEqual(BQ(0.3, hist({j2i1})), 0.06));
  EXPECT_TRUE(AlmostEqual(BQ(0.3, hist({j2i2})), 0.0675));
  EXPECT_TRUE(AlmostEqual(BQ(0.5, hist({j1i1})), 0.15));
  EXPECT_TRUE(AlmostEqual(BQ(0.5, hist({j1i2})), 0.13333333333333333));
  EXPECT_TRUE(AlmostEqual(BQ(0.5, hist({j2i1})), 0.1));
  EXPECT_TRUE(AlmostEqual(BQ(0.5, hist({j2i2})), 0.11666666666666667));
}

TEST(FunctionImplsTest, BucketQuantileNonMonotonicFromHistogramsTest) {
  // nonmonotonic_bucket at 50m, listed out of order as a label sort would give them.
  const std::vector<Bucket> b = {{0.1, 20}, {1, 10}, {10, 50}, {100, 40}, {1000, 90}, {kInf, 80}};
  bool forced = false;
  EXPECT_TRUE(AlmostEqual(BQ(0.01, b, &forced), 0.0045));
  EXPECT_TRUE(forced);
  EXPECT_TRUE(AlmostEqual(BQ(0.5, b), 8.5));
  EXPECT_TRUE(AlmostEqual(BQ(0.99, b), 979.75));
  const std::vector<Bucket> shuffled = {{1000, 90}, {kInf, 80}, {10, 50},
                                        {0.1, 20},  {100, 40},  {1, 10}};
  EXPECT_TRUE(AlmostEqual(BQ(0.99, shuffled), 979.75));
  EXPECT_TRUE(AlmostEqual(BQ(0.5, shuffled), 8.5));
}

TEST(FunctionImplsTest, BucketQuantileMergesEqualBoundsFromHistogramsTest) {
  // mixed_bucket ins1: le 0.1, 0.2, 2e-1, 2.0e-1, +Inf; per-5m increments 1,1,1,1,4.
  const std::vector<Bucket> ins1 = {
      {0.1, 1. / 300}, {0.2, 1. / 300}, {0.2, 1. / 300}, {0.2, 1. / 300}, {kInf, 4. / 300}};
  EXPECT_TRUE(AlmostEqual(BQ(0.5, ins1), 0.15));
  EXPECT_TRUE(AlmostEqual(BQ(0.75, ins1), 0.2));
  EXPECT_TRUE(AlmostEqual(BQ(1, ins1), 0.2));
  // ins2: "+inf" and "+Inf" merge into one bucket, which is too few.
  EXPECT_TRUE(std::isnan(BQ(0.5, {{kInf, 0}, {kInf, 0}})));
  EXPECT_TRUE(std::isnan(BQ(0.5, {{kInf, 5}, {kInf, 5}})));
  // empty_bucket: no observations.
  EXPECT_TRUE(std::isnan(BQ(0.2, {{0.1, 0}, {0.2, 0}, {kInf, 0}})));
}

TEST(FunctionImplsTest, BucketQuantileNeedsAnInfBucket) {
  EXPECT_TRUE(std::isnan(BQ(0.5, {{0.1, 1}, {0.2, 2}})));
  EXPECT_TRUE(std::isnan(BQ(0.5, {{kInf, 2}})));
  EXPECT_TRUE(std::isnan(BQ(0.5, {})));
  // φ is checked before the buckets.
  EXPECT_EQ(BQ(-1, {{0.1, 1}, {0.2, 2}}), -kInf);
  EXPECT_EQ(BQ(2, {{0.1, 1}}), kInf);
  EXPECT_EQ(BQ(2, {}), kInf);
  EXPECT_TRUE(std::isnan(BQ(kNaN, {{0.1, 1}, {kInf, 2}})));
}

TEST(FunctionImplsTest, BucketQuantileLowestAndHighestBuckets) {
  // In the +Inf bucket: the second-highest bound.
  EXPECT_EQ(BQ(0.9, {{1, 1}, {2, 2}, {kInf, 10}}), 2);
  // In the lowest bucket with a positive bound: interpolate from 0.
  EXPECT_DOUBLE_EQ(BQ(0.25, {{4, 5}, {8, 8}, {kInf, 10}}), 2);
  // In the lowest bucket with bound <= 0: that bound, also for 0 itself.
  EXPECT_EQ(BQ(0.25, {{-4, 5}, {8, 8}, {kInf, 10}}), -4);
  EXPECT_EQ(BQ(0.25, {{0, 5}, {8, 8}, {kInf, 10}}), 0);
  // Rank exactly at a bucket's count stays in that bucket (count >= rank).
  EXPECT_DOUBLE_EQ(BQ(0.5, {{1, 5}, {2, 8}, {kInf, 10}}), 1);
}

TEST(FunctionImplsTest, BucketQuantileIgnoresTinyDeltas) {
  // A relative difference below 1e-12 is floating-point noise, fixed silently in either
  // direction; a real decrease is forced and reported.
  bool forced = true;
  const double n = 1e15;
  EXPECT_DOUBLE_EQ(BQ(0.5, {{1, n}, {2, n - 1}, {kInf, n}}, &forced), 0.5);
  EXPECT_FALSE(forced);
  EXPECT_DOUBLE_EQ(BQ(0.5, {{1, n}, {2, n + 1}, {kInf, n}}, &forced), 0.5);
  EXPECT_FALSE(forced);
  EXPECT_DOUBLE_EQ(BQ(0.5, {{1, 10}, {2, 9}, {kInf, 10}}, &forced), 0.5);
  EXPECT_TRUE(forced);
  // With the decrease removed, 9 -> 10: the top bucket holds no extra observations.
  EXPECT_EQ(BQ(0.99, {{1, 10}, {2, 9}, {kInf, 12}}), 2);
}

TEST(FunctionImplsTest, BucketQuantileSortsManyBuckets) {
  // More buckets than Go's insertion-sort cutoff (12), given in reverse: bounds 1..20 with
  // count = bound, and +Inf = 20.
  std::vector<Bucket> b;
  b.push_back({kInf, 20});
  for (int i = 20; i >= 1; --i) b.push_back({static_cast<double>(i), static_cast<double>(i)});
  EXPECT_DOUBLE_EQ(BQ(0.5, b), 10);
  EXPECT_DOUBLE_EQ(BQ(0.55, b), 11);
  EXPECT_DOUBLE_EQ(BQ(0.025, b), 0.5);
}

}  // namespace
}  // namespace strata::query::funcs
