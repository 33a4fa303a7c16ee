// Engine behaviour beyond the conformance scripts: limits, timeouts and result shapes.
#include "query/engine.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "testutil/select_only_querier.h"

namespace strata::query {
namespace {

// An in-memory Querier over fixed series; optionally slow, to exercise timeouts.
class FakeQuerier : public testutil::SelectOnlyQuerier {
 public:
  std::vector<storage::MaterializedSeries> data;
  std::chrono::milliseconds delay{0};
  // The hints of every Select, for the hint tests.
  mutable std::vector<storage::SelectHints> hints_seen;

  Result<std::unique_ptr<storage::SeriesSet>> Select(
      const model::Matchers& matchers, const storage::SelectHints& hints) const override {
    hints_seen.push_back(hints);
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    std::vector<storage::MaterializedSeries> out;
    for (const auto& s : data) {
      if (!model::MatchesLabels(matchers, s.labels)) continue;
      storage::MaterializedSeries ss{s.labels, {}};
      for (const auto& smp : s.samples) {
        if (smp.timestamp_ms >= hints.start_ms && smp.timestamp_ms <= hints.end_ms) {
          ss.samples.push_back(smp);
        }
      }
      if (!ss.samples.empty()) out.push_back(std::move(ss));
    }
    return storage::MakeMaterializedSeriesSet(std::move(out));
  }
};

FakeQuerier Data(int series, int samples) {
  FakeQuerier q;
  for (int i = 0; i < series; ++i) {
    storage::MaterializedSeries s;
    s.labels = *model::Labels::FromPairs({{"__name__", "m"}, {"i", std::to_string(i)}});
    for (int k = 0; k < samples; ++k) s.samples.push_back({k * 15000LL, static_cast<double>(k)});
    q.data.push_back(std::move(s));
  }
  return q;
}

TEST(EngineTest, MaxSamplesIsAClearError) {
  FakeQuerier q = Data(10, 100);
  EngineOptions o;
  o.max_samples = 500;
  Engine engine(o);
  // 10 series x 121 samples in the 30m window: 1210 samples loaded.
  auto r = engine.InstantQuery(q, "sum(sum_over_time(m[30m]))", 1485000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("too many samples"), std::string::npos);
  o.max_samples = 5000;
  EXPECT_TRUE(Engine(o).InstantQuery(q, "sum(sum_over_time(m[30m]))", 1485000).ok());
}

TEST(EngineTest, MaxSamplesCountsSamplesHeldAtOnceNotTheSumOfAllLoads) {
  FakeQuerier q = Data(10, 100);
  EngineOptions o;
  o.max_samples = 1500;
  // Each selector loads all 1000 samples; they are released once turned into step values, so
  // two selectors one after the other fit under 1500 (2000 loaded in total).
  EXPECT_TRUE(
      Engine(o)
          .InstantQuery(q, "sum(count_over_time(m[30m])) + sum(count_over_time(m[30m]))", 1485000)
          .ok());
  o.max_samples = 900;  // Less than one selector's load.
  auto r = Engine(o).InstantQuery(q, "sum(count_over_time(m[30m]))", 1485000);
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
}

TEST(EngineTest, MaxSeriesIsAClearError) {
  FakeQuerier q = Data(10, 10);
  EngineOptions o;
  o.max_series = 5;
  Engine engine(o);
  auto r = engine.InstantQuery(q, "m", 100000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(engine.InstantQuery(q, "sum(m)", 100000).ok());
}

TEST(EngineTest, TimeoutIsDeadlineExceeded) {
  FakeQuerier q = Data(2, 10);
  q.delay = std::chrono::milliseconds(20);
  Engine engine(EngineOptions{});
  QueryOptions opts;
  opts.timeout = std::chrono::milliseconds(1);
  auto r = engine.InstantQuery(q, "sum(m) + sum(m)", 100000, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(r.status().message(), "query timed out in expression evaluation");
}

// A subquery whose steps outnumber the sample limit (10 days at 1 ms: 864 M steps) is refused
// before its inner evaluation allocates per-step values (it took the server's memory, or ran
// past the timeout for hours over sparse data); one within the limit is evaluated.
TEST(EngineTest, ASubqueryOfMoreStepsThanTheSampleLimitIsRefusedAtOnce) {
  FakeQuerier q = Data(1, 100);
  Engine engine(EngineOptions{});
  for (const char* query : {"count_over_time(vector(1)[10d:1ms])", "count_over_time(m[100y:1ms])",
                            "max_over_time(m[10d:1ms])[5m:1m]"}) {
    auto r = engine.InstantQuery(q, query, 1485000);
    ASSERT_FALSE(r.ok()) << query;
    EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted) << query;
    EXPECT_NE(r.status().message().find("too many samples"), std::string::npos) << query;
  }
  EngineOptions o;
  o.max_samples = 5000;
  auto fits = Engine(o).InstantQuery(q, "count_over_time(m[20m:1s])", 1485000);  // 1201 steps.
  ASSERT_TRUE(fits.ok()) << fits.status().ToString();
  auto over = Engine(o).InstantQuery(q, "count_over_time(m[2h:1s])", 1485000);  // 7201 steps.
  EXPECT_EQ(over.status().code(), StatusCode::kResourceExhausted);
}

TEST(EngineTest, ParseAndEvaluationErrorsAreDistinct) {
  FakeQuerier q = Data(2, 10);
  Engine engine(EngineOptions{});
  auto parse = engine.InstantQuery(q, "sum(", 0);
  EXPECT_EQ(parse.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(parse.status().message().find("parse error"), std::string::npos);
  // Both series lose their name and collide.
  auto exec = engine.InstantQuery(q, "label_replace(m, \"i\", \"x\", \"i\", \".*\")", 100000);
  EXPECT_EQ(exec.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(exec.status().message(), "vector cannot contain metrics with the same labelset");
  auto range = engine.RangeQuery(q, "m[5m]", 0, 60000, 15000);
  EXPECT_EQ(range.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(range.status().message().find("invalid expression type \"range vector\""),
            std::string::npos);
}

TEST(EngineTest, RangeQueryReturnsSortedMatrixAtSteps) {
  FakeQuerier q = Data(3, 100);
  Engine engine(EngineOptions{});
  auto r = engine.RangeQuery(q, "m * 2", 0, 300000, 60000);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& m = std::get<Matrix>(*r);
  ASSERT_EQ(m.size(), 3u);
  for (size_t i = 0; i < m.size(); ++i) {
    EXPECT_EQ(m[i].labels.Get("i"), std::to_string(i));
    EXPECT_FALSE(m[i].labels.Has("__name__"));
    ASSERT_EQ(m[i].points.size(), 6u);
    for (size_t k = 0; k < 6; ++k) {
      EXPECT_EQ(m[i].points[k].t, static_cast<int64_t>(k) * 60000);
      EXPECT_EQ(m[i].points[k].v, 2.0 * static_cast<double>(k * 4));
    }
  }
}

}  // namespace
}  // namespace strata::query
