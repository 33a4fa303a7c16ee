// The benchmark workloads are fixed by their seed: published numbers depend on them. The golden
// digests below are of the sample text that the drivers printed before tools/bench/lib existed
// (rw_loadgen and query_bench_driver load --dry-run --print, see each test), so any change to
// series, labels, values, timestamps or order fails here.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "bench/lib/dashboard_workload.h"
#include "bench/lib/node_workload.h"
#include "bench/lib/remote_write_encoder.h"

namespace strata::bench {
namespace {

uint64_t Fnv1a64(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

size_t Lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

// rw_loadgen --dry-run --series 80 --samples-per-series 3 --batch-size 1000
//   --start-ms 1700000000000 --seed 7 --senders 1 --print 100000
TEST(NodeWorkloadTest, MatchesTheGoldenRequest) {
  NodeWorkload w = MakeNodeWorkload(80, 15000, 7);
  EXPECT_EQ(w.hosts, 2);
  EXPECT_EQ(w.counters, 40);
  EXPECT_EQ(w.gauges, 40);
  std::string raw;
  for (int64_t step = 0; step < 3; ++step) {
    for (NodeSeries& s : w.series) s.AppendNext(&raw, 1700000000000 + step * 15000 + s.offset_ms());
  }
  std::string error;
  ASSERT_TRUE(CheckWriteRequest(raw, {.series = 240, .one_sample_per_series = true}, &error))
      << error;
  const std::string text = FormatWriteRequest(raw, 100000);
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "node_cpu_seconds_total{cpu=\"0\",instance=\"host-0000:9100\",job=\"node\","
            "mode=\"idle\"} 4950822.4699999997 1700000000258");
  EXPECT_EQ(Lines(text), 240u);
  EXPECT_EQ(text.size(), 26288u);
  EXPECT_EQ(Fnv1a64(text), 0xca571c63ca395ac8ULL);
}

TEST(NodeWorkloadTest, HostTemplateIsHalfCountersAndUnique) {
  const std::vector<Template> t = NodeHostTemplate();
  ASSERT_EQ(t.size(), 76u);
  std::set<std::string> keys;
  for (size_t i = 0; i < t.size(); ++i) {
    EXPECT_EQ(IsCounter(t[i].model), i % 2 == 0) << t[i].name;  // Alternating.
    std::string key = t[i].name;
    for (const auto& [k, v] : t[i].labels) key += "," + k + "=" + v;
    EXPECT_TRUE(keys.insert(key).second) << key;
  }
}

TEST(NodeWorkloadTest, ValuesDoNotDependOnOtherSeries) {
  // Series 100 of a 200-series workload equals series 100 of a 101-series one.
  NodeWorkload a = MakeNodeWorkload(200, 15000, 3);
  NodeWorkload b = MakeNodeWorkload(101, 15000, 3);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(std::bit_cast<uint64_t>(a.series[100].TakeNext()),
              std::bit_cast<uint64_t>(b.series[100].TakeNext()));
  }
  NodeWorkload c = MakeNodeWorkload(200, 15000, 4);  // Another seed, other values.
  EXPECT_NE(MakeNodeWorkload(200, 15000, 3).series[0].TakeNext(), c.series[0].TakeNext());
}

// query_bench_driver load --dry-run --series 200 --hours 0.2 --end-ms 1700000000000 --seed 3
//   --print 1000000 --reboot-every 2 --window-steps 3 --batch-samples 1000000
TEST(DashboardWorkloadTest, MatchesTheGoldenRequest) {
  DashboardOptions o;
  o.series = 200;
  o.hours = 0.2;
  o.end_ms = 1700000000000;
  o.seed = 3;
  o.down_every = 2;
  o.window_steps = 3;
  o.batch_samples = 1000000;
  DashboardWorkload w = MakeDashboardWorkload(o);
  EXPECT_EQ(w.hosts, 2);
  EXPECT_EQ(w.series, 200);
  EXPECT_EQ(w.steps, 48);
  EXPECT_EQ(w.rebooting_hosts, 1);
  DashboardEncodeStats stats;
  int requests = 0;
  EncodeDashboard(
      o, &w, [&](std::string) { ++requests; }, &stats);
  EXPECT_EQ(requests, 1);
  EXPECT_EQ(stats.samples, 9502);
  EXPECT_EQ(stats.stale_markers, 98);
  std::string error;
  ASSERT_TRUE(CheckWriteRequest(stats.first_request_raw, {}, &error)) << error;
  const std::string text = FormatWriteRequest(stats.first_request_raw, 1000000);
  EXPECT_EQ(Lines(text), 9502u);
  EXPECT_EQ(text.size(), 1047476u);
  EXPECT_EQ(Fnv1a64(text), 0x30f1b93dcfbdac4cULL);
}

TEST(DashboardWorkloadTest, SplitLoadsSendTheSameSamples) {
  DashboardOptions o;
  o.series = 100;
  o.hours = 0.25;
  o.end_ms = 1700000000000;
  o.down_every = 1;
  o.window_steps = 4;
  o.batch_samples = 1 << 30;
  auto text = [&](int64_t from, std::optional<int64_t> to) {
    DashboardOptions p = o;
    p.from_step = from;
    p.to_step = to;
    DashboardWorkload w = MakeDashboardWorkload(p);
    DashboardEncodeStats stats;
    EncodeDashboard(
        p, &w, [](std::string) {}, &stats);
    return std::make_pair(stats.samples, FormatWriteRequest(stats.first_request_raw, 1 << 30));
  };
  const auto whole = text(0, std::nullopt);
  const auto first = text(0, 30);
  const auto second = text(30, std::nullopt);
  EXPECT_EQ(first.first + second.first, whole.first);
  // Same lines, in another order (a request holds a window of each series).
  auto sorted = [](const std::string& s) {
    std::multiset<std::string> lines;
    size_t pos = 0;
    while (pos < s.size()) {
      const size_t eol = s.find('\n', pos);
      lines.insert(s.substr(pos, eol - pos));
      pos = eol + 1;
    }
    return lines;
  };
  std::multiset<std::string> both = sorted(first.second);
  for (const std::string& l : sorted(second.second)) both.insert(l);
  EXPECT_EQ(both, sorted(whole.second));
}

TEST(SeriesModelTest, NextValueDrawsOncePerCall) {
  // Every model draws exactly one number per step, so series stay in lockstep with their Rng.
  for (const Model m :
       {Model::kCpuSeconds, Model::kIntCounter, Model::kIoSeconds, Model::kMemBytes,
        Model::kFsBytes, Model::kConstant, Model::kLoad, Model::kSmallInt, Model::kTemperature,
        Model::kOffsetSeconds, Model::kBootTime, Model::kInfo, Model::kUp}) {
    Rng a{42}, b{42};
    NextValue(m, 10, 1, &a);
    b.Next();
    EXPECT_EQ(a.state, b.state) << static_cast<int>(m);
  }
}

TEST(SeriesModelTest, CountersNeverDecrease) {
  Rng rng{1};
  for (const Model m : {Model::kCpuSeconds, Model::kIntCounter, Model::kIoSeconds}) {
    double v = InitialValue(m, 1e6, 0.5, false, &rng);
    for (int i = 0; i < 1000; ++i) {
      const double next = NextValue(m, v, 0.5, &rng);
      ASSERT_GE(next, v);
      v = next;
    }
    EXPECT_LT(InitialValue(m, 1e9, 0.5, /*after_reboot=*/true, &rng), 60);
  }
}

}  // namespace
}  // namespace strata::bench
