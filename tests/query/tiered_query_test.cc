// Dashboard queries over data spread across the head and the warm tier (moved there by the real
// compactor) answer exactly as the same data held all in one head.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <random>

#include "compaction/compactor.h"
#include "query/engine.h"
#include "storage/head.h"
#include "storage/merge_querier.h"
#include "storage/warm_store.h"
#include "testutil/process.h"

namespace strata::query {
namespace {

constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kStep = 15000;

std::unique_ptr<storage::Head> OpenHead(const std::string& dir) {
  storage::HeadOptions o;
  o.series_map_stripes = 16;
  o.wal.fsync = storage::WalOptions::FsyncPolicy::kNever;
  auto h = storage::Head::Open(dir, o, nullptr);
  EXPECT_TRUE(h.ok()) << h.status().ToString();
  return h.ok() ? std::move(h).value() : nullptr;
}

// node_exporter-like data: counters with resets, gauges, a histogram, 9 hours, into `heads`.
void Load(const std::vector<storage::Head*>& heads) {
  std::mt19937_64 rng(42);
  struct S {
    std::vector<std::pair<std::string, std::string>> labels;
    bool counter;
    double v = 0;
  };
  std::vector<S> series;
  for (int host = 0; host < 4; ++host) {
    std::string inst = "host-" + std::to_string(host) + ":9100";
    for (int cpu = 0; cpu < 2; ++cpu) {
      for (const char* mode : {"idle", "user", "system"}) {
        series.push_back({{{"__name__", "node_cpu_seconds_total"},
                           {"cpu", std::to_string(cpu)},
                           {"instance", inst},
                           {"job", "node"},
                           {"mode", mode}},
                          true});
      }
    }
    series.push_back(
        {{{"__name__", "node_memory_MemAvailable_bytes"}, {"instance", inst}, {"job", "node"}},
         false});
    series.push_back({{{"__name__", "node_uname_info"},
                       {"instance", inst},
                       {"job", "node"},
                       {"nodename", "n" + std::to_string(host)}},
                      false});
    for (const char* le : {"0.1", "0.5", "1", "+Inf"}) {
      series.push_back({{{"__name__", "http_request_duration_seconds_bucket"},
                         {"instance", inst},
                         {"job", "api"},
                         {"le", le}},
                        true});
    }
  }
  for (int64_t t = 0; t < 9 * kHour; t += kStep) {
    std::vector<std::vector<model::LabelView>> views;
    std::vector<std::vector<model::Sample>> samples;
    for (auto& s : series) {
      if (s.counter) {
        s.v += static_cast<double>(rng() % 100) / 10.0;
        if (rng() % 500 == 0) s.v = 0;  // A reset.
      } else {
        s.v = 1e9 + static_cast<double>(rng() % 1000000);
      }
      std::vector<model::LabelView> v;
      for (const auto& [n, val] : s.labels) v.push_back({n, val});
      views.push_back(std::move(v));
      samples.push_back({{t + static_cast<int64_t>(rng() % 50), s.v}});
    }
    std::vector<storage::SeriesInput> batch;
    for (size_t i = 0; i < views.size(); ++i) batch.push_back({views[i], samples[i]});
    for (storage::Head* h : heads) {
      storage::AppendResult r;
      ASSERT_TRUE(h->Append(batch, &r).ok());
      ASSERT_EQ(r.rejected(), 0u);
    }
  }
}

bool SameValue(double a, double b) {
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b) ||
         (std::isnan(a) && std::isnan(b));
}

TEST(TieredQueryTest, DashboardQueriesAnswerAsIfAllDataWereInTheHead) {
  testutil::TempDir all_dir, tiered_dir;
  auto all = OpenHead(all_dir.path());
  auto head = OpenHead(tiered_dir.path());
  storage::WarmOptions wo;
  wo.sync = false;
  wo.partition_ms = 2 * kHour;  // So that 9 h of data spans all three tiers.
  auto warm = storage::WarmStore::Open(tiered_dir.path() + "/warm", wo, nullptr);
  ASSERT_TRUE(warm.ok());
  storage::ColdConfig cc;
  cc.cold.node_id = "n1";
  auto cold = storage::OpenColdStore(tiered_dir.path(), cc, nullptr);
  ASSERT_TRUE(cold.ok()) << cold.status().ToString();
  Load({all.get(), head.get()});
  compaction::CompactorOptions copts;
  copts.warm_span_ms = 4 * kHour;
  copts.staging_dir = tiered_dir.path() + "/cold-staging";
  compaction::Compactor compactor(head.get(), warm->get(), cold->get(), copts, nullptr);
  auto report = compactor.RunOnce();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->moves, 3);  // [0, 6 h) moved; 6-9 h stays in the head.
  // Partitions ending at or before 9 h - 4 h go cold: [0, 2 h) and [2 h, 4 h); [4 h, 6 h) stays
  // warm.
  ASSERT_EQ(report->cold_moves, 2);
  storage::MergeQuerier tiered({head.get(), warm->get(), cold->get()});

  Engine engine{EngineOptions{}};
  const std::vector<std::string> queries = {
      "sum by (instance) (rate(node_cpu_seconds_total[5m]))",
      "topk(3, rate(node_cpu_seconds_total[5m]))",
      "histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
      "avg_over_time(node_memory_MemAvailable_bytes[10m])",
      "count by (job) ({__name__=~\"node_.+\"})",
      "node_memory_MemAvailable_bytes * on(instance) group_left(nodename) node_uname_info",
      "increase(node_cpu_seconds_total{mode=\"idle\"}[1h])",
      "max_over_time(node_memory_MemAvailable_bytes[3h])",
      "resets(http_request_duration_seconds_bucket[2h])",
      "node_memory_MemAvailable_bytes offset 5h",
  };
  // Ranges inside the cold tier, inside the head, across cold and warm (4 h), across warm and
  // head (6 h), and over all three.
  const std::vector<std::pair<int64_t, int64_t>> ranges = {
      {kHour, 3 * kHour},     {6 * kHour + 60000, 9 * kHour}, {3 * kHour, 5 * kHour},
      {5 * kHour, 7 * kHour}, {2 * kHour, 9 * kHour},         {0, 9 * kHour}};
  for (const auto& q : queries) {
    for (const auto& [start, end] : ranges) {
      auto a = engine.RangeQuery(*all, q, start, end, 60000);
      auto b = engine.RangeQuery(tiered, q, start, end, 60000);
      ASSERT_TRUE(a.ok()) << q << ": " << a.status().ToString();
      ASSERT_TRUE(b.ok()) << q << ": " << b.status().ToString();
      const Matrix& ma = std::get<Matrix>(*a);
      const Matrix& mb = std::get<Matrix>(*b);
      ASSERT_EQ(ma.size(), mb.size()) << q << " [" << start << ", " << end << "]";
      if (start == 0) {
        ASSERT_FALSE(ma.empty()) << q;
      }
      for (size_t i = 0; i < ma.size(); ++i) {
        ASSERT_EQ(ma[i].labels, mb[i].labels) << q;
        ASSERT_EQ(ma[i].points.size(), mb[i].points.size()) << q << " " << ma[i].labels.ToString();
        for (size_t k = 0; k < ma[i].points.size(); ++k) {
          ASSERT_EQ(ma[i].points[k].t, mb[i].points[k].t) << q;
          ASSERT_TRUE(SameValue(ma[i].points[k].v, mb[i].points[k].v))
              << q << " " << ma[i].labels.ToString() << " t=" << ma[i].points[k].t << ": "
              << ma[i].points[k].v << " vs " << mb[i].points[k].v;
        }
      }
    }
    // Instant queries at the tier boundary too.
    for (int64_t t : {6 * kHour - 30000, 6 * kHour, 6 * kHour + 30000}) {
      auto a = engine.InstantQuery(*all, q, t);
      auto b = engine.InstantQuery(tiered, q, t);
      ASSERT_TRUE(a.ok() && b.ok()) << q;
      const Vector& va = std::get<Vector>(*a);
      const Vector& vb = std::get<Vector>(*b);
      ASSERT_EQ(va.size(), vb.size()) << q << " @" << t;
      for (size_t i = 0; i < va.size(); ++i) {
        ASSERT_EQ(va[i].labels, vb[i].labels) << q;
        ASSERT_TRUE(SameValue(va[i].v, vb[i].v)) << q << " @" << t;
      }
    }
  }
  // Metadata over both tiers equals the all-in-head answer.
  auto na = all->LabelNames({}, INT64_MIN, INT64_MAX);
  auto nb = tiered.LabelNames({}, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(na.ok() && nb.ok());
  EXPECT_EQ(*na, *nb);
  model::Matchers m = {model::Matcher::Equal("job", "node")};
  auto sa = all->Series(m, 0, kHour);
  auto sb = tiered.Series(m, 0, kHour);
  ASSERT_TRUE(sa.ok() && sb.ok());
  EXPECT_EQ(*sa, *sb);
}

}  // namespace
}  // namespace strata::query
