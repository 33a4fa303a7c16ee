// Dashboard queries answered from 5m and 1h data agree with the raw answers within the
// documented tolerance (README "Downsampling"), and the adaptive rule picks what it says.
// Data: three days of counters with resets, a histogram, gauges and a series that goes stale,
// as raw cold blocks (one a day) with their 5m and 1h blocks, in an in-memory object store.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <random>

#include "query/engine.h"
#include "storage/cold_store.h"
#include "storage/downsample.h"
#include "storage/merge_querier.h"
#include "storage/snapshot.h"
#include "testutil/mem_object_store.h"
#include "testutil/select_only_querier.h"

namespace strata::query {
namespace {

using storage::kAutoResolution;
using storage::kResolution1h;
using storage::kResolution5m;

constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kStep = 15000;
constexpr int64_t kDays = 3;
constexpr int64_t kGoneAt = kDay + 13 * kHour + 7 * 60000 + 30000;  // Mid-window.
// The tolerance this test (and the README) promises: relative difference between the raw
// answer and a downsampled answer, per series and step.
constexpr double kRelTol = 0.01;

struct SeriesData {
  model::Labels labels;
  std::vector<model::Sample> samples;
};

std::vector<SeriesData> MakeData() {
  std::mt19937_64 rng(5);
  std::vector<SeriesData> out;
  auto L = [](std::vector<model::Label> p) { return *model::Labels::FromPairs(p); };
  for (int i = 0; i < 6; ++i) {
    SeriesData s{L({{"__name__", "requests_total"},
                    {"instance", "i" + std::to_string(i)},
                    {"job", i % 2 ? "api" : "web"}}),
                 {}};
    double v = 0;
    for (int64_t t = 0; t < kDays * kDay; t += kStep) {
      v += static_cast<double>(rng() % 200) / 4.0;
      if (rng() % 3000 == 0) v = static_cast<double>(rng() % 10);  // A restart.
      s.samples.push_back({t, v});
    }
    out.push_back(std::move(s));
  }
  const char* les[] = {"0.1", "0.5", "1", "+Inf"};
  std::vector<double> cum(4, 0);
  std::vector<SeriesData> buckets;
  for (const char* le : les) {
    buckets.push_back(
        {L({{"__name__", "latency_seconds_bucket"}, {"job", "api"}, {"le", le}}), {}});
  }
  for (int64_t t = 0; t < kDays * kDay; t += kStep) {
    double add = 0;
    for (int b = 0; b < 4; ++b) {
      add += static_cast<double>(rng() % (5 + 10 * b));
      cum[b] += add;
      buckets[b].samples.push_back({t, cum[b]});
    }
  }
  for (auto& b : buckets) out.push_back(std::move(b));
  for (int i = 0; i < 3; ++i) {
    SeriesData s{L({{"__name__", "memory_bytes"}, {"instance", "i" + std::to_string(i)}}), {}};
    double v = 1e9;
    for (int64_t t = 0; t < kDays * kDay; t += kStep) {
      v += static_cast<double>(rng() % 2001) - 1000.0;
      s.samples.push_back({t, v});
    }
    out.push_back(std::move(s));
  }
  SeriesData gone{L({{"__name__", "gone"}, {"job", "batch"}}), {}};
  for (int64_t t = 0; t < kGoneAt; t += kStep) gone.samples.push_back({t, 1});
  gone.samples.push_back({kGoneAt, model::StaleNaN()});
  out.push_back(std::move(gone));
  std::sort(out.begin(), out.end(),
            [](const SeriesData& a, const SeriesData& b) { return a.labels < b.labels; });
  return out;
}

// Raw data as a Querier, to build the raw blocks with BuildBlockFromQuerier.
class DataQuerier final : public testutil::SelectOnlyQuerier {
 public:
  explicit DataQuerier(const std::vector<SeriesData>& data) : data_(data) {}
  Result<std::unique_ptr<storage::SeriesSet>> Select(
      const model::Matchers& matchers, const storage::SelectHints& hints) const override {
    std::vector<storage::MaterializedSeries> out;
    for (const auto& s : data_) {
      bool match = std::all_of(matchers.begin(), matchers.end(), [&](const model::Matcher& m) {
        return m.Matches(s.labels.Get(m.name()));
      });
      if (!match) continue;
      storage::MaterializedSeries ms{s.labels, {}};
      for (const auto& x : s.samples) {
        if (x.timestamp_ms >= hints.start_ms && x.timestamp_ms <= hints.end_ms) {
          ms.samples.push_back(x);
        }
      }
      if (!ms.samples.empty()) out.push_back(std::move(ms));
    }
    return storage::MakeMaterializedSeriesSet(std::move(out));
  }

 private:
  const std::vector<SeriesData>& data_;
};

// Days [0, days) of `data` as cold blocks in an in-memory object store, built in `dir` (made
// afresh): for each day a raw block, its 5m block and that block's 1h block. *cold owns them;
// *raw and *five get the raw and 5m blocks' metas.
void BuildColdDays(const std::vector<SeriesData>& data, int64_t days,
                   const std::filesystem::path& dir, storage::ColdStore** cold,
                   std::vector<storage::block::BlockMeta>* raw,
                   std::vector<storage::block::BlockMeta>* five) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  storage::ColdOptions o;
  o.node_id = "n1";
  auto opened = storage::ColdStore::Open(std::make_unique<testutil::MemObjectStore>(
                                             std::make_shared<testutil::MemObjectStore::State>()),
                                         o, nullptr);
  ASSERT_TRUE(opened.ok());
  *cold = opened->release();
  std::mt19937_64 rng(1);
  auto meta = [&] {
    storage::block::BlockMeta m;
    m.created_ms = 1700000000000;
    m.id = storage::block::NewBlockId(m.created_ms, rng);
    m.node = "n1";
    return m;
  };
  for (int64_t d = 0; d < days; ++d) {
    auto m = meta();
    m.source = "day:" + std::to_string(d);
    std::string block_dir = (dir / m.id).string();
    auto r = storage::BuildBlockFromQuerier(DataQuerier(data), d * kDay, (d + 1) * kDay - 1, m,
                                            block_dir);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_TRUE((*cold)->Upload(block_dir, *r).ok());
    raw->push_back(*r);
    auto m5 = meta();
    auto b5 = (*cold)->BuildDownsampled(*r, kResolution5m, m5, (dir / m5.id).string());
    ASSERT_TRUE(b5.ok()) << b5.status().ToString();
    ASSERT_TRUE((*cold)->Upload((dir / m5.id).string(), *b5).ok());
    five->push_back(*b5);
    auto m1 = meta();
    auto b1 = (*cold)->BuildDownsampled(*b5, kResolution1h, m1, (dir / m1.id).string());
    ASSERT_TRUE(b1.ok()) << b1.status().ToString();
    ASSERT_TRUE((*cold)->Upload((dir / m1.id).string(), *b1).ok());
  }
}

class DownsampleQueryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                     ("downsample_query_test_" + std::to_string(::getpid())));
    ASSERT_NO_FATAL_FAILURE(BuildColdDays(MakeData(), kDays, *dir_, &cold_, &raw_, &five_));
  }
  static void TearDownTestSuite() {
    delete cold_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  struct Answer {
    Matrix m;
    std::vector<std::string> infos;
  };
  // The default range starts a day into the data (SeriesEdgesExtrapolateAsRaw covers the
  // edges of the data).
  Answer Range(const std::string& q, int64_t cap, int64_t start = kDay,
               int64_t end = kDays * kDay - kHour, int64_t step = kHour) {
    Engine engine{EngineOptions{}};
    Answer a;
    QueryOptions opts;
    opts.max_resolution_ms = cap;
    opts.infos = &a.infos;
    auto r = engine.RangeQuery(*cold_, q, start, end, step, opts);
    EXPECT_TRUE(r.ok()) << q << ": " << r.status().ToString();
    if (r.ok()) a.m = std::get<Matrix>(*r);
    return a;
  }

  // The largest relative difference between the raw and the downsampled answer; fails when
  // they hold different series or steps.
  double MaxRelDiff(const std::string& q, int64_t cap, std::vector<std::string>* infos,
                    int64_t start = kDay, int64_t end = kDays * kDay - kHour) {
    Answer raw = Range(q, 0, start, end);
    Answer ds = Range(q, cap, start, end);
    EXPECT_TRUE(raw.infos.empty()) << q;
    *infos = ds.infos;
    EXPECT_EQ(raw.m.size(), ds.m.size()) << q;
    double worst = 0;
    for (size_t i = 0; i < std::min(raw.m.size(), ds.m.size()); ++i) {
      EXPECT_EQ(raw.m[i].labels, ds.m[i].labels) << q;
      EXPECT_EQ(raw.m[i].points.size(), ds.m[i].points.size())
          << q << " " << raw.m[i].labels.ToString();
      for (size_t j = 0; j < std::min(raw.m[i].points.size(), ds.m[i].points.size()); ++j) {
        double a = raw.m[i].points[j].v, b = ds.m[i].points[j].v;
        EXPECT_EQ(raw.m[i].points[j].t, ds.m[i].points[j].t) << q;
        double d = std::fabs(a - b) / std::max({std::fabs(a), std::fabs(b), 1e-9});
        if (a == b || (std::isnan(a) && std::isnan(b))) d = 0;
        worst = std::max(worst, d);
      }
    }
    return worst;
  }

  static std::filesystem::path* dir_;
  static storage::ColdStore* cold_;
  static std::vector<storage::block::BlockMeta> raw_;
  static std::vector<storage::block::BlockMeta> five_;
};

std::filesystem::path* DownsampleQueryTest::dir_ = nullptr;
storage::ColdStore* DownsampleQueryTest::cold_ = nullptr;
std::vector<storage::block::BlockMeta> DownsampleQueryTest::raw_;
std::vector<storage::block::BlockMeta> DownsampleQueryTest::five_;

TEST_F(DownsampleQueryTest, DashboardQueriesAgreeWithRawWithinTolerance) {
  struct Case {
    std::string query;
    std::string resolution;  // Expected in the infos.
    // Tolerance when the steps do not fall on window edges (a window straddles each range's
    // edges, so rate() sees up to a window less than raw; negative: not compared (topk may
    // pick other series among near-equal ones).
    double unaligned_tol;
  };
  const Case cases[] = {
      {"sum by (job) (rate(requests_total[1h]))", "5m", 0.02},
      {"rate(requests_total[30m])", "5m", 0.07},
      {"histogram_quantile(0.9, sum by (le) (rate(latency_seconds_bucket[2h])))", "5m", 0.01},
      {"avg_over_time(memory_bytes[6h])", "1h", 0.01},
      {"min_over_time(memory_bytes[6h])", "1h", 0.01},
      {"max_over_time(memory_bytes[6h])", "1h", 0.01},
      {"sum_over_time(memory_bytes[6h])", "1h", 0.01},
      {"count_over_time(memory_bytes[6h])", "1h", 0.01},
      {"increase(requests_total[1d])", "1h", 0.03},
      {"topk(3, rate(requests_total[1h]))", "5m", -1},
      {"memory_bytes", "1h", 0.01},  // Instant selector, step 1h.
  };
  for (const auto& c : cases) {
    std::vector<std::string> infos;
    double d = MaxRelDiff(c.query, kAutoResolution, &infos);
    EXPECT_LE(d, kRelTol) << c.query;
    ASSERT_EQ(infos.size(), 1u) << c.query;
    EXPECT_NE(infos[0].find("data at " + c.resolution + " resolution used for ["),
              std::string::npos)
        << infos[0];
    std::printf("%-75s %s max rel diff %.2e\n", c.query.c_str(), c.resolution.c_str(), d);
    // Steps not aligned to the windows (a window straddles each range's edges).
    if (c.unaligned_tol > 0) {
      double off = MaxRelDiff(c.query, kAutoResolution, &infos, kDay + 7 * 60000 + 13000);
      EXPECT_LE(off, c.unaligned_tol) << c.query << " (unaligned)";
      std::printf("%-75s    unaligned steps: max rel diff %.2e\n", "", off);
    }
    // Capped at 5m, everything reads 5m data at most, within the same tolerance.
    d = MaxRelDiff(c.query, kResolution5m, &infos);
    EXPECT_LE(d, kRelTol) << c.query << " (5m)";
    ASSERT_EQ(infos.size(), 1u);
    EXPECT_NE(infos[0].find("data at 5m"), std::string::npos) << infos[0];
  }
}

// A range that starts just after the downsampled data ends reads its last window for the first
// step's lookback: the info names that part, never a backwards span.
TEST_F(DownsampleQueryTest, InfosOfABlockReadOnlyForTheFirstLookbackAreNotBackwards) {
  Answer a =
      Range("memory_bytes", kAutoResolution, kDays * kDay + 10 * 60000, kDays * kDay + 3 * kHour);
  ASSERT_EQ(a.infos.size(), 1u);
  const std::string& info = a.infos[0];
  const size_t open = info.find('['), comma = info.find(", ", open), close = info.find(']');
  ASSERT_NE(open, std::string::npos) << info;
  ASSERT_NE(comma, std::string::npos) << info;
  ASSERT_NE(close, std::string::npos) << info;
  const std::string from = info.substr(open + 1, comma - open - 1);
  const std::string to = info.substr(comma + 2, close - comma - 2);
  EXPECT_LE(from, to) << info;                    // RFC 3339 in UTC, one format: ordered as text.
  EXPECT_EQ(to, "1970-01-03T23:59:45Z") << info;  // The last sample of the data.
}

// Ranges that reach before a series' first sample or past its last: the downsampled points
// tell rate() the raw sampling interval (storage counts), so it extrapolates by half a scrape
// interval there, as over raw samples, not by half a window.
// With steps off the window edges, a step a few minutes into a series' data sees only part of
// a window: rate() extrapolates the missing minutes from the slope it has (up to 10 % off at
// the first step of a noisy counter), and a 1h window's points cannot give increase([1d]) the
// two samples it needs in the series' first hour (that step has no value).
TEST_F(DownsampleQueryTest, SeriesEdgesExtrapolateAsRaw) {
  struct Case {
    const char* query;
    double unaligned_tol;  // Negative: not compared.
  };
  for (const Case& c : {Case{"rate(requests_total[1h])", 0.10},
                        Case{"sum by (job) (rate(requests_total[2h]))", 0.10},
                        Case{"increase(requests_total[1d])", -1}}) {
    std::vector<std::string> infos;
    // From before the data's start to after its end, aligned and not aligned to the windows.
    for (int64_t shift : {int64_t{0}, int64_t{7 * 60000 + 13000}}) {
      const double tol = shift == 0 ? kRelTol : c.unaligned_tol;
      if (tol < 0) continue;
      double d = MaxRelDiff(c.query, kAutoResolution, &infos, shift, kDays * kDay + kDay + shift);
      EXPECT_LE(d, tol) << c.query << " shift " << shift;
      ASSERT_FALSE(infos.empty()) << c.query;
      std::printf("%-45s shift %3lld s: edges max rel diff %.2e\n", c.query,
                  static_cast<long long>(shift / 1000), d);
    }
  }
}

TEST_F(DownsampleQueryTest, RateAcrossResetsNeverNegativeAndIncreaseMatchesRaw) {
  Answer a = Range("rate(requests_total[1h])", kAutoResolution, kHour, kDays * kDay, 5 * 60000);
  ASSERT_FALSE(a.m.empty());
  for (const auto& s : a.m) {
    for (const auto& p : s.points) EXPECT_GE(p.v, 0) << s.labels.ToString() << " at " << p.t;
  }
  // increase over a whole day, evaluated once a day: within the tolerance of raw.
  std::vector<std::string> infos;
  Answer raw = Range("increase(requests_total[1d])", 0, kDay, kDays * kDay - 1, kDay);
  Answer ds = Range("increase(requests_total[1d])", kAutoResolution, kDay, kDays * kDay - 1, kDay);
  ASSERT_EQ(raw.m.size(), ds.m.size());
  for (size_t i = 0; i < raw.m.size(); ++i) {
    ASSERT_EQ(raw.m[i].points.size(), ds.m[i].points.size());
    for (size_t j = 0; j < raw.m[i].points.size(); ++j) {
      EXPECT_NEAR(ds.m[i].points[j].v, raw.m[i].points[j].v, kRelTol * raw.m[i].points[j].v);
    }
  }
  EXPECT_FALSE(ds.infos.empty());
}

TEST_F(DownsampleQueryTest, AStaleSeriesStopsInTheDownsampledAnswerToo) {
  for (int64_t cap : {int64_t{0}, kResolution5m, kAutoResolution}) {
    Answer a = Range("gone", cap, 0, kDays * kDay - kHour, kHour);
    ASSERT_EQ(a.m.size(), 1u) << cap;
    EXPECT_LE(a.m[0].points.back().t, kGoneAt) << cap;
    EXPECT_GE(a.m[0].points.back().t, kGoneAt - kHour) << cap;
    Answer c = Range("count_over_time(gone[6h])", cap, 0, kDays * kDay - kHour, kHour);
    ASSERT_EQ(c.m.size(), 1u);
    EXPECT_LE(c.m[0].points.back().t, kGoneAt + 6 * kHour) << cap;
  }
}

TEST_F(DownsampleQueryTest, RangesShorterThanFiveResolutionsNeverGetThem) {
  Answer a = Range("rate(requests_total[20m])", kAutoResolution);
  EXPECT_TRUE(a.infos.empty()) << a.infos[0];
  a = Range("rate(requests_total[4h])", kAutoResolution);
  ASSERT_EQ(a.infos.size(), 1u);
  EXPECT_NE(a.infos[0].find("5m"), std::string::npos);
  a = Range("rate(requests_total[5h])", kAutoResolution);
  ASSERT_EQ(a.infos.size(), 1u);
  EXPECT_NE(a.infos[0].find("1h"), std::string::npos);
  // An instant selector at a 1m step reads raw; at 5m, 5m data.
  a = Range("memory_bytes", kAutoResolution, kDay, kDay + kHour, 60000);
  EXPECT_TRUE(a.infos.empty());
  a = Range("memory_bytes", kAutoResolution, kDay, kDay + kHour, 5 * 60000);
  ASSERT_EQ(a.infos.size(), 1u);
  EXPECT_NE(a.infos[0].find("5m"), std::string::npos);
  // With @ every step reads one time, as an instant query does: raw, whatever the step, and
  // the exact raw value (here 30 minutes into an hour window).
  const int64_t at = kDay + 12 * kHour + 30 * 60000;
  const std::string pinned = "memory_bytes @ " + std::to_string(at / 1000);
  a = Range(pinned, kAutoResolution);
  EXPECT_TRUE(a.infos.empty()) << a.infos[0];
  Answer raw_pinned = Range(pinned, 0);
  ASSERT_EQ(a.m.size(), raw_pinned.m.size());
  for (size_t i = 0; i < a.m.size(); ++i) {
    ASSERT_EQ(a.m[i].points.size(), raw_pinned.m[i].points.size());
    for (size_t j = 0; j < a.m[i].points.size(); ++j) {
      EXPECT_EQ(a.m[i].points[j].v, raw_pinned.m[i].points[j].v);
    }
  }
  a = Range("timestamp(memory_bytes @ " + std::to_string(at / 1000) + ")", kAutoResolution);
  ASSERT_FALSE(a.m.empty());
  EXPECT_EQ(a.m[0].points.at(0).v, static_cast<double>(at / 1000));
  // The range rule still applies to a range selector with @.
  a = Range("rate(requests_total[5h] @ " + std::to_string(at / 1000) + ")", kAutoResolution);
  ASSERT_EQ(a.infos.size(), 1u);
  EXPECT_NE(a.infos[0].find("1h"), std::string::npos);
  // Instant queries read raw (step 0) unless the range rule allows more.
  Engine engine{EngineOptions{}};
  std::vector<std::string> infos;
  QueryOptions opts;
  opts.infos = &infos;
  ASSERT_TRUE(engine.InstantQuery(*cold_, "memory_bytes", kDay, opts).ok());
  EXPECT_TRUE(infos.empty());
  ASSERT_TRUE(engine.InstantQuery(*cold_, "rate(requests_total[1d])", kDay, opts).ok());
  ASSERT_EQ(infos.size(), 1u);
  EXPECT_NE(infos[0].find("1h"), std::string::npos);
  // A bare range selector exports raw samples.
  infos.clear();
  auto r = engine.InstantQuery(*cold_, "memory_bytes[6h]", kDay, opts);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(infos.empty());
  EXPECT_EQ(std::get<Matrix>(*r).at(0).points.size(), 6u * 240 + 1);
}

// Passes Select on with the read grid removed (so the cold tier does not thin its views) or
// kept, and counts the points the series sets return.
class GridQuerier final : public testutil::SelectOnlyQuerier {
 public:
  GridQuerier(const storage::Querier& inner, bool keep_grid) : inner_(inner), keep_(keep_grid) {}
  Result<std::unique_ptr<storage::SeriesSet>> Select(
      const model::Matchers& matchers, const storage::SelectHints& hints) const override {
    storage::SelectHints h = hints;
    if (!keep_) h.ref_count = 0;
    STRATA_ASSIGN_OR_RETURN(auto set, inner_.Select(matchers, h));
    return std::unique_ptr<storage::SeriesSet>(
        std::make_unique<Counting>(std::move(set), &points_));
  }
  int64_t points() const { return points_; }

 private:
  class Counting final : public storage::SeriesSet {
   public:
    Counting(std::unique_ptr<storage::SeriesSet> s, int64_t* n) : s_(std::move(s)), n_(n) {}
    bool Next() override { return s_->Next(); }
    const model::Labels& labels() const override { return s_->labels(); }
    Status ReadSamples(std::vector<model::Sample>* out) override {
      Status st = s_->ReadSamples(out);
      *n_ += static_cast<int64_t>(out->size());
      return st;
    }
    Status status() const override { return s_->status(); }
    const std::vector<uint32_t>& counts() const override { return s_->counts(); }
    bool downsampled() const override { return s_->downsampled(); }

   private:
    std::unique_ptr<storage::SeriesSet> s_;
    int64_t* n_;
  };
  const storage::Querier& inner_;
  bool keep_;
  mutable int64_t points_ = 0;
};

// The same series and points; values bit for bit, or within 1e-12 relative when `sums` (sums
// added in another order).
void ExpectSameMatrix(const Matrix& x, const Matrix& y, const char* q, bool sums) {
  ASSERT_EQ(x.size(), y.size()) << q;
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(x[i].labels, y[i].labels) << q;
    ASSERT_EQ(x[i].points.size(), y[i].points.size()) << q << " " << x[i].labels.ToString();
    for (size_t j = 0; j < x[i].points.size(); ++j) {
      EXPECT_EQ(x[i].points[j].t, y[i].points[j].t) << q;
      const double u = x[i].points[j].v, v = y[i].points[j].v;
      if (sums) {
        EXPECT_NEAR(u, v, 1e-12 * std::fabs(v)) << q << " at " << x[i].points[j].t;
      } else {
        EXPECT_EQ(std::bit_cast<uint64_t>(u), std::bit_cast<uint64_t>(v))
            << q << " at " << x[i].points[j].t << ": " << u << " vs " << v;
      }
    }
  }
}

// Whether `q` sums values (its answers may differ in the order of additions).
bool ReadsSums(std::string_view q) {
  return q.find("sum_over") != std::string_view::npos ||
         q.find("avg_over") != std::string_view::npos;
}

// A range query's answers read through GridQuerier(thin_src, true), which keeps the engine's
// read grid so views may be thinned, and GridQuerier(full_src, full_grid), and the points each
// read.
struct ThinAndFull {
  Matrix thin, full;
  int64_t thin_points = 0, full_points = 0;
};
void QueryThinAndFull(const Engine& engine, const storage::Querier& thin_src,
                      const storage::Querier& full_src, bool full_grid, const char* q,
                      int64_t start, int64_t end, int64_t step, ThinAndFull* out) {
  GridQuerier thin(thin_src, true), full(full_src, full_grid);
  auto a = engine.RangeQuery(thin, q, start, end, step, QueryOptions{});
  auto b = engine.RangeQuery(full, q, start, end, step, QueryOptions{});
  ASSERT_TRUE(a.ok() && b.ok()) << q;
  out->thin = std::get<Matrix>(*a);
  out->full = std::get<Matrix>(*b);
  out->thin_points = thin.points();
  out->full_points = full.points();
}

// Thinning (storage/downsample.h, ThinView) drops only points no read tells apart: with and
// without it, every thinnable function gives the same answer (bit for bit; sums up to float
// rounding, as they add in another order) over steps on and off the window edges, offsets,
// @, ranges that are and are not multiples of the step, and instant queries.
TEST_F(DownsampleQueryTest, ThinnedViewsGiveTheUnthinnedAnswers) {
  const char* queries[] = {
      "rate(requests_total[1h])",
      "increase(requests_total[1d])",
      "rate(requests_total[1h15s])",
      "rate(requests_total[2h] offset 37m)",
      "sum by (le) (rate(latency_seconds_bucket[2h]))",
      "rate(requests_total[6h] @ 100000000)",
      "min_over_time(memory_bytes[6h])",
      "max_over_time(memory_bytes[1h] offset 5m)",
      "sum_over_time(memory_bytes[6h])",
      "count_over_time(memory_bytes[7h])",
      "avg_over_time(memory_bytes[1d])",
      "count_over_time(gone[6h])",
      "rate(gone[1h])",
      "memory_bytes",
      "gone",
      "timestamp(memory_bytes)",
      "memory_bytes offset 17m",
      "memory_bytes @ 90000000",
  };
  struct Grid {
    int64_t start, end, step;
  };
  const Grid grids[] = {
      {kDay, kDays * kDay - kHour, kHour},
      {kDay + 7 * 60000 + 13000, kDays * kDay - kHour, kHour},
      {0, kDays * kDay + kDay, 2 * kHour},
      {kDay + 1000, 2 * kDay, 5 * 60000},
      {kDay + 3 * kHour, kDay + 3 * kHour, kHour},  // One step.
      {kDay, 2 * kDay + 1, 3 * kHour + 1234},
  };
  Engine engine{EngineOptions{}};
  int64_t thinned_points = 0, all_points = 0;
  for (const char* q : queries) {
    for (const Grid& g : grids) {
      ThinAndFull r;
      ASSERT_NO_FATAL_FAILURE(
          QueryThinAndFull(engine, *cold_, *cold_, false, q, g.start, g.end, g.step, &r));
      thinned_points += r.thin_points;
      all_points += r.full_points;
      ExpectSameMatrix(r.thin, r.full, q, ReadsSums(q));
    }
    // Instant queries (one read each).
    for (int64_t t : {kDay + 5 * kHour, kDay + 5 * kHour + 7 * 60000 + 13000}) {
      GridQuerier thin(*cold_, true), full(*cold_, false);
      auto a = engine.InstantQuery(thin, q, t, QueryOptions{});
      auto b = engine.InstantQuery(full, q, t, QueryOptions{});
      ASSERT_TRUE(a.ok() && b.ok()) << q;
      const Vector& x = std::get<Vector>(*a);
      const Vector& y = std::get<Vector>(*b);
      ASSERT_EQ(x.size(), y.size()) << q;
      for (size_t i = 0; i < x.size(); ++i) {
        EXPECT_EQ(x[i].labels, y[i].labels);
        EXPECT_NEAR(x[i].v, y[i].v, 1e-12 * std::fabs(y[i].v)) << q;
      }
    }
  }
  // The views were thinned: far fewer points reached the engine.
  std::printf("points read: %lld thinned, %lld not\n", static_cast<long long>(thinned_points),
              static_cast<long long>(all_points));
  EXPECT_LT(thinned_points * 2, all_points);
}

// A retried move leaves a partition in both a newer tier (raw) and the cold tier (raw, with
// 5m and 1h blocks) for a while. The newer tier's samples take over from its first sample on:
// the cold view ends before it, so no view point (a window, or a thinned segment of them) is
// replaced by a raw sample of the same time. Counts stay exact, sums and increases as the
// cold tier alone gives them.
TEST_F(DownsampleQueryTest, ANewerTierHoldingAColdDayTakesOverFromTheView) {
  auto all = MakeData();
  std::vector<SeriesData> last_day;
  for (const auto& d : all) {
    SeriesData x{d.labels, {}};
    for (const auto& smp : d.samples) {
      if (smp.timestamp_ms >= 2 * kDay) x.samples.push_back(smp);
    }
    if (!x.samples.empty()) last_day.push_back(std::move(x));
  }
  DataQuerier newer(last_day);
  storage::MergeQuerier merged({&newer, cold_});
  Engine engine{EngineOptions{}};
  const int64_t t = kDays * kDay - 1;
  struct Case {
    const char* query;
    double rel_tol;
  };
  for (const Case& c :
       {Case{"count_over_time(requests_total[3d])", 0},
        Case{"count_over_time(memory_bytes[3d])", 0},
        Case{"sum_over_time(memory_bytes[3d])", 1e-12},
        Case{"avg_over_time(memory_bytes[2d])", 1e-12}, Case{"min_over_time(memory_bytes[3d])", 0},
        Case{"max_over_time(memory_bytes[3d])", 0}, Case{"increase(requests_total[3d])", 1e-9},
        Case{"increase(requests_total[30h])", 1e-9}}) {
    std::vector<std::string> infos;
    QueryOptions opts;
    opts.infos = &infos;
    auto a = engine.InstantQuery(merged, c.query, t, opts);
    ASSERT_TRUE(a.ok()) << c.query << ": " << a.status().ToString();
    EXPECT_FALSE(infos.empty()) << c.query;  // The view answered days 0 and 1.
    auto b = engine.InstantQuery(*cold_, c.query, t, QueryOptions{});
    ASSERT_TRUE(b.ok()) << c.query;
    const Vector& x = std::get<Vector>(*a);
    const Vector& y = std::get<Vector>(*b);
    ASSERT_EQ(x.size(), y.size()) << c.query;
    ASSERT_FALSE(x.empty()) << c.query;
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(x[i].labels, y[i].labels) << c.query;
      EXPECT_NEAR(x[i].v, y[i].v, c.rel_tol * std::fabs(y[i].v))
          << c.query << " " << x[i].labels.ToString();
    }
  }
  // A range query across the overlap, against raw.
  QueryOptions raw;
  raw.max_resolution_ms = 0;
  auto a = engine.RangeQuery(merged, "sum by (job) (rate(requests_total[1h]))", kDay, t, kHour,
                             QueryOptions{});
  auto b =
      engine.RangeQuery(*cold_, "sum by (job) (rate(requests_total[1h]))", kDay, t, kHour, raw);
  ASSERT_TRUE(a.ok() && b.ok());
  const Matrix& x = std::get<Matrix>(*a);
  const Matrix& y = std::get<Matrix>(*b);
  ASSERT_EQ(x.size(), y.size());
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(x[i].points.size(), y[i].points.size());
    for (size_t j = 0; j < x[i].points.size(); ++j) {
      EXPECT_NEAR(x[i].points[j].v, y[i].points[j].v, kRelTol * std::fabs(y[i].points[j].v))
          << "at " << x[i].points[j].t;
    }
  }
}

// A newer tier's raw samples after a downsampled view (the warm tier and the head after the
// cold tier's days) are thinned the way the view is: the answers are those of the unthinned
// read, and far fewer points reach the engine.
// The samples of the data's last day, as a newer tier holds them.
std::vector<SeriesData> LastDay(const std::vector<SeriesData>& all) {
  std::vector<SeriesData> last_day;
  for (const auto& d : all) {
    SeriesData x{d.labels, {}};
    for (const auto& smp : d.samples) {
      if (smp.timestamp_ms >= (kDays - 1) * kDay) x.samples.push_back(smp);
    }
    if (!x.samples.empty()) last_day.push_back(std::move(x));
  }
  return last_day;
}

// The read grids of the raw-tail tests: over the raw tail (the last day), and across the
// view's end into it.
struct TailGrid {
  int64_t start, end, step;
};
constexpr int64_t kDataEnd = kDays * kDay;
constexpr TailGrid kTailGrids[] = {
    {kDataEnd - kDay + 2 * kHour, kDataEnd - 1, kHour},
    {kDay + 7 * 60000 + 13000, kDataEnd - kHour, kHour},
    {kDay, kDataEnd, 3 * kHour + 1234},
};

// A newer tier holding `tail` (raw samples) before `cold`: each query over each of kTailGrids,
// thinned and not, gives the same answers, and `check` sees the thinned one (with whether its
// grid is the first, over the tail alone). Over the tail almost every point is a raw sample of
// the newer tier, and thinning must drop most of them.
void QueryTheTail(const std::vector<SeriesData>& tail, const storage::Querier* cold,
                  std::initializer_list<const char*> queries,
                  const std::function<void(std::string_view, bool, const Matrix&)>& check,
                  const char* what) {
  DataQuerier newer(tail);
  storage::MergeQuerier merged({&newer, cold});
  Engine engine{EngineOptions{}};
  int64_t thinned = 0, all = 0;
  for (const char* q : queries) {
    for (const TailGrid& g : kTailGrids) {
      ThinAndFull r;
      ASSERT_NO_FATAL_FAILURE(
          QueryThinAndFull(engine, merged, merged, false, q, g.start, g.end, g.step, &r));
      const bool first = &g == &kTailGrids[0];
      if (first) {
        thinned += r.thin_points;
        all += r.full_points;
      }
      ASSERT_NO_FATAL_FAILURE(check(q, first, r.thin)) << q;
      ExpectSameMatrix(r.thin, r.full, q, ReadsSums(q));
    }
  }
  std::printf("%s, points read over the tail: %lld thinned, %lld not\n", what,
              static_cast<long long>(thinned), static_cast<long long>(all));
  EXPECT_LT(thinned * 10, all) << what;
}

TEST_F(DownsampleQueryTest, RawTailAfterAViewIsThinnedWithTheSameAnswers) {
  QueryTheTail(
      LastDay(MakeData()), cold_,
      {
          "rate(requests_total[1h])",
          "increase(requests_total[1d])",
          "rate(requests_total[2h] offset 37m)",
          "sum by (le) (rate(latency_seconds_bucket[2h]))",
          "min_over_time(memory_bytes[6h])",
          "max_over_time(memory_bytes[1h] offset 5m)",
          "sum_over_time(memory_bytes[6h])",
          "count_over_time(memory_bytes[7h])",
          "avg_over_time(memory_bytes[1d])",
          "rate(gone[1h])",
      },
      [](std::string_view q, bool first, const Matrix& x) {
        // `gone` stops on the second day: nothing over the last.
        if (q.find("gone") == std::string_view::npos || !first) {
          ASSERT_FALSE(x.empty());
        }
      },
      "range functions");
}

// Instant selectors too: after a view of last samples, the newer tier's raw samples keep only
// the last one before each read (stale or not), with the same answers and far fewer points.
TEST_F(DownsampleQueryTest, RawTailOfAnInstantSelectorIsThinnedWithTheSameAnswers) {
  std::vector<SeriesData> last_day = LastDay(MakeData());
  // memory_bytes{instance="i0"} stops in the tail: a stale marker 45 s after 05:00, nothing
  // after it (the view before the tail would widen the lookback past it).
  const int64_t stop = kDataEnd - kDay + 5 * kHour;
  for (SeriesData& d : last_day) {
    if (d.labels.Get("__name__") != "memory_bytes" || d.labels.Get("instance") != "i0") continue;
    std::erase_if(d.samples, [&](const model::Sample& smp) { return smp.timestamp_ms > stop; });
    d.samples.push_back({stop + 3 * kStep, model::StaleNaN()});
  }
  QueryTheTail(
      last_day, cold_,
      {
          "memory_bytes",
          "sum by (job) (requests_total)",
          "memory_bytes offset 17m",
          "timestamp(latency_seconds_bucket)",
          "gone",
      },
      [&](std::string_view q, bool first, const Matrix& x) {
        if (q != "gone") {
          ASSERT_FALSE(x.empty());
        }
        if (q == "memory_bytes" && first) {  // i0 until the marker, not after it.
          ASSERT_EQ(x.size(), 3u);
          EXPECT_EQ(x[0].labels.Get("instance"), "i0");
          EXPECT_EQ(x[0].points.back().t, stop);
          EXPECT_EQ(x[1].points.back().t, kTailGrids[0].end / kHour * kHour);
        }
      },
      "instant selectors");
}

// A series that stops without a stale marker (a pushed series, or one whose marker fell into
// the next day's block, which keeps no window for it) stops in a downsampled answer at the step
// it stops at in the raw answer: the lookback of at least a window that downsampled data gets
// carries its last value on neither in the windows nor in raw samples after them.
TEST_F(DownsampleQueryTest, ASeriesWithoutAStaleMarkerStopsWhereRawDataStops) {
  // The steps at which each series has a value.
  using Steps = std::map<std::string, std::vector<int64_t>>;
  auto steps_of = [](const Matrix& m) {
    Steps out;
    for (const auto& x : m) {
      for (const auto& p : x.points) out[x.labels.ToString()].push_back(p.t);
    }
    return out;
  };
  auto query = [&](const storage::Querier& q, const std::string& expr, int64_t cap, int64_t start,
                   int64_t end, int64_t step, std::vector<std::string>* infos) {
    Engine engine{EngineOptions{}};
    QueryOptions opts;
    opts.max_resolution_ms = cap;
    opts.infos = infos;
    auto r = engine.RangeQuery(q, expr, start, end, step, opts);
    EXPECT_TRUE(r.ok()) << expr << ": " << r.status().ToString();
    return r.ok() ? steps_of(std::get<Matrix>(*r)) : Steps{};
  };
  const model::Labels i1 =
      *model::Labels::FromPairs({{"__name__", "memory_bytes"}, {"instance", "i1"}});
  const model::Labels i0 =
      *model::Labels::FromPairs({{"__name__", "memory_bytes"}, {"instance", "i0"}});

  // In the windows: i1 stops at 10:09:45 on day 1, no marker after it.
  std::vector<SeriesData> data = MakeData();
  const int64_t stop = kDay + 10 * kHour + 10 * 60000 - kStep;
  for (SeriesData& d : data) {
    if (d.labels == i1) {
      std::erase_if(d.samples, [&](const model::Sample& x) { return x.timestamp_ms > stop; });
    }
  }
  const std::filesystem::path dir = *dir_ / "no_marker";
  storage::ColdStore* cold = nullptr;
  std::vector<storage::block::BlockMeta> raw, five;
  // Days 0 and 1 in the cold tier; the last day comes from a newer tier below.
  ASSERT_NO_FATAL_FAILURE(BuildColdDays(data, kDays - 1, dir, &cold, &raw, &five));
  std::unique_ptr<storage::ColdStore> owned(cold);
  for (int64_t start : {kDay, kDay + 7 * 60000 + 13000}) {
    for (int64_t step : {kHour, int64_t{5 * 60000}}) {
      std::vector<std::string> infos;
      const int64_t end = (kDays - 1) * kDay - kHour;
      const Steps want = query(*cold, "memory_bytes", 0, start, end, step, nullptr);
      const Steps got = query(*cold, "memory_bytes", kAutoResolution, start, end, step, &infos);
      EXPECT_FALSE(infos.empty());
      ASSERT_EQ(want.count(i1.ToString()), 1u);
      EXPECT_LE(want.at(i1.ToString()).back(), stop + 5 * 60000);
      EXPECT_EQ(got, want) << "start " << start << " step " << step;
    }
  }

  // In the raw samples after the windows: i0 stops at 05:00:00 of the last day in a newer tier
  // holding that day, no marker after it.
  std::vector<SeriesData> last_day = LastDay(MakeData());
  const int64_t tail_stop = kDataEnd - kDay + 5 * kHour;
  for (SeriesData& d : last_day) {
    if (d.labels == i0) {
      std::erase_if(d.samples, [&](const model::Sample& x) { return x.timestamp_ms > tail_stop; });
    }
  }
  DataQuerier newer(last_day);
  storage::MergeQuerier merged({&newer, cold});
  for (const TailGrid& g : kTailGrids) {
    std::vector<std::string> infos;
    const Steps want = query(merged, "memory_bytes", 0, g.start, g.end, g.step, nullptr);
    const Steps got =
        query(merged, "memory_bytes", kAutoResolution, g.start, g.end, g.step, &infos);
    EXPECT_EQ(infos.empty(), g.start >= (kDays - 1) * kDay);  // The cold days read, or not.
    EXPECT_EQ(got, want) << "grid from " << g.start << " step " << g.step;
  }
}

// An older tier that answers each series of `data` with a downsampled view holding nothing,
// as the cold tier does where a retried move's windows all lie from the newer tier's first
// sample on.
class EmptyViewQuerier final : public testutil::SelectOnlyQuerier {
 public:
  explicit EmptyViewQuerier(const std::vector<SeriesData>& data) : data_(data) {}
  Result<std::unique_ptr<storage::SeriesSet>> Select(
      const model::Matchers& matchers, const storage::SelectHints& hints) const override {
    STRATA_ASSIGN_OR_RETURN(auto set, data_.Select(matchers, hints));
    return std::unique_ptr<storage::SeriesSet>(std::make_unique<Empty>(std::move(set)));
  }

 private:
  class Empty final : public storage::SeriesSet {
   public:
    explicit Empty(std::unique_ptr<storage::SeriesSet> s) : s_(std::move(s)) {}
    bool Next() override { return s_->Next(); }
    const model::Labels& labels() const override { return s_->labels(); }
    Status ReadSamples(std::vector<model::Sample>* out) override {
      out->clear();
      return Status::Ok();
    }
    Status status() const override { return s_->status(); }
    bool downsampled() const override { return true; }

   private:
    std::unique_ptr<storage::SeriesSet> s_;
  };
  DataQuerier data_;
};

// The raw samples after an empty downsampled view are thinned with their counts: the answers
// are the newer tier's alone. (Thinned without counts, count_over_time took each segment's
// point for one sample, and avg_over_time divided its sum by that.)
TEST_F(DownsampleQueryTest, RawTailAfterAnEmptyViewKeepsItsCounts) {
  std::vector<SeriesData> last_day = LastDay(MakeData());
  DataQuerier newer(last_day);
  EmptyViewQuerier older(last_day);
  storage::MergeQuerier merged({&newer, &older});
  Engine engine{EngineOptions{}};
  const char* queries[] = {
      "count_over_time(memory_bytes[10m])", "avg_over_time(memory_bytes[1h])",
      "sum_over_time(memory_bytes[2h])",    "rate(requests_total[1h])",
      "increase(requests_total[6h])",       "min_over_time(memory_bytes[1h])",
  };
  const int64_t start = (kDays - 1) * kDay + 2 * kHour, end = kDays * kDay - 1;
  for (const char* q : queries) {
    ThinAndFull r;
    ASSERT_NO_FATAL_FAILURE(
        QueryThinAndFull(engine, merged, newer, true, q, start, end, 30 * 60000, &r));
    ASSERT_FALSE(r.thin.empty()) << q;
    ExpectSameMatrix(r.thin, r.full, q, ReadsSums(q));
    EXPECT_LT(r.thin_points * 5, r.full_points) << q << ": the tail was thinned";
  }
}

// Runs last in this suite (it deletes blocks): gtest runs tests in definition order.
TEST_F(DownsampleQueryTest, ZInstantQueryWhereOnly1hDataIsLeftReturnsTheSeries) {
  ASSERT_TRUE(cold_->Delete(raw_[0]).ok());
  ASSERT_TRUE(cold_->Delete(five_[0]).ok());
  Engine engine{EngineOptions{}};
  for (int64_t t : {kHour + 17 * 60000, 5 * kHour, 20 * kHour + 59 * 60000}) {
    std::vector<std::string> infos;
    QueryOptions opts;
    opts.infos = &infos;
    auto r = engine.InstantQuery(*cold_, "memory_bytes", t, opts);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(std::get<Vector>(*r).size(), 3u) << "at " << t;
    ASSERT_EQ(infos.size(), 1u);
    EXPECT_NE(infos[0].find("1h"), std::string::npos);
  }
  // max_source_resolution=raw: the raw data is gone, so nothing.
  QueryOptions raw;
  raw.max_resolution_ms = 0;
  auto r = engine.InstantQuery(*cold_, "memory_bytes", 5 * kHour, raw);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(std::get<Vector>(*r).empty());
}

// Random data, grids and queries: a thinned read (cold views, hour windows standing in for 5m
// ones, a newer tier's raw tail) gives the unthinned answer, as
// ThinnedViewsGiveTheUnthinnedAnswers checks on fixed ones. Per seed: three days of counters
// (resets, some below zero), gauges and a series that stops and starts again, with jittered
// scrapes, samples exactly on whole hours, gaps, NaNs and stale markers, as cold blocks with
// their 5m and 1h blocks; a newer tier holds the raw data from a random time of the last day
// on.
std::vector<SeriesData> RandomData(std::mt19937_64& rng) {
  auto L = [](std::vector<model::Label> p) { return *model::Labels::FromPairs(p); };
  auto one_in = [&](uint64_t n) { return rng() % n == 0; };
  std::vector<SeriesData> out;
  for (int i = 0; i < 8; ++i) {
    const bool counter = i < 5;
    const std::string name = counter ? "c_total" : i < 7 ? "g" : "flappy";
    SeriesData s{L({{"__name__", name}, {"i", std::to_string(i)}, {"job", i % 2 ? "a" : "b"}}), {}};
    double v = counter ? static_cast<double>(rng() % 1000) : 1e6;
    int64_t t = static_cast<int64_t>(rng() % 15000);
    while (t < kDays * kDay) {
      if (counter) {
        v += i == 4 ? static_cast<double>(rng() % 8) * 0.25 : static_cast<double>(rng() % 200);
        if (one_in(2500)) v = static_cast<double>(rng() % 10);                     // A restart.
        if (i == 3 && one_in(4000)) v = -1e5 - static_cast<double>(rng() % 1000);  // Below 0.
      } else {
        v += static_cast<double>(rng() % 2001) - 1000.0;
      }
      // NaNs, and samples exactly on whole hours, only in some series: they make a day of a
      // series read 5m windows where hour windows would stand in.
      double x = (i == 2 || i == 5) && one_in(7000) ? std::nan("") : v;
      s.samples.push_back({t, x});
      const int64_t next_hour = (t / kHour + 1) * kHour;
      int64_t next = t + 13000 + static_cast<int64_t>(rng() % 4001);
      if ((i == 1 || i == 6) && next > next_hour && one_in(2)) {
        // On the hour, or 1 ms off (after t).
        next = std::max(t + 1, next_hour + static_cast<int64_t>(rng() % 3) - 1);
      }
      if (one_in(name == "flappy" ? 300 : 3000)) {
        if (one_in(2)) s.samples.push_back({t + 1000, model::StaleNaN()});
        next = t + 60000 + static_cast<int64_t>(rng() % (3 * kHour));  // A gap.
      }
      t = next;
    }
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const SeriesData& a, const SeriesData& b) { return a.labels < b.labels; });
  return out;
}

// `hours`: the grid is on whole hours; then half the ranges are whole hours under 5 h, where
// the hour windows of 5m data (HourWindowsServe) stand in for the 5m windows.
std::string RandomQuery(std::mt19937_64& rng, bool hours) {
  static const char* const kFuncs[] = {
      "rate",          "increase",        "rate",          "min_over_time", "max_over_time",
      "sum_over_time", "count_over_time", "avg_over_time", "irate",         "resets",
      "changes",       "last_over_time",
  };
  static const char* const kRanges[] = {"25m", "30m", "1h", "1h15s", "2h", "5h", "6h", "7h", "1d"};
  static const char* const kNames[] = {"c_total", "g", "flappy", "{__name__=~\".+\"}"};
  std::string sel = kNames[rng() % std::size(kNames)];
  std::string mod;
  if (rng() % 5 == 0) mod += " offset " + std::to_string(1 + rng() % 180) + "m";
  if (rng() % 12 == 0) mod += " @ " + std::to_string(kDay / 1000 + rng() % (kDay / 1000));
  switch (rng() % 5) {
    case 0:
      return sel + mod;  // An instant selector.
    case 1:
      return "sum by (job) (" + sel + mod + ")";
    default:
      break;
  }
  std::string range = hours && rng() % 2 == 0 ? std::to_string(1 + rng() % 4) + "h"
                      : rng() % 4 == 0        ? std::to_string(25 + rng() % 1500) + "m"
                                              : kRanges[rng() % std::size(kRanges)];
  std::string call =
      std::string(kFuncs[rng() % std::size(kFuncs)]) + "(" + sel + "[" + range + "]" + mod + ")";
  return rng() % 3 == 0 ? "sum by (job) (" + call + ")" : call;
}

// Equal points, bit for bit; NaN matches NaN; within 1e-12 relative when `sums`.
void ExpectSameAnswers(const Matrix& x, const Matrix& y, const std::string& what, bool sums) {
  ASSERT_EQ(x.size(), y.size()) << what;
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(x[i].labels, y[i].labels) << what;
    ASSERT_EQ(x[i].points.size(), y[i].points.size()) << what << " " << x[i].labels.ToString();
    for (size_t j = 0; j < x[i].points.size(); ++j) {
      ASSERT_EQ(x[i].points[j].t, y[i].points[j].t) << what << " " << x[i].labels.ToString();
      const double u = x[i].points[j].v, v = y[i].points[j].v;
      if (std::bit_cast<uint64_t>(u) == std::bit_cast<uint64_t>(v) ||
          (std::isnan(u) && std::isnan(v))) {
        continue;
      }
      ASSERT_TRUE(sums && std::fabs(u - v) <= 1e-12 * std::max(std::fabs(u), std::fabs(v)))
          << what << " " << x[i].labels.ToString() << " at " << x[i].points[j].t << ": " << u
          << " thinned, " << v << " not";
    }
  }
}

TEST(DownsampleRandomTest, ThinnedReadsGiveTheUnthinnedAnswers) {
  constexpr uint64_t kSeeds = 6;
  constexpr int kQueries = 60;
  constexpr int64_t kMinute = 60000;
  Engine engine{EngineOptions{}};
  int64_t thinned = 0, all = 0;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    const std::vector<SeriesData> data = RandomData(rng);
    const auto dir = std::filesystem::temp_directory_path() /
                     ("downsample_random_test_" + std::to_string(::getpid()));
    storage::ColdStore* cold = nullptr;
    std::vector<storage::block::BlockMeta> raw, five;
    ASSERT_NO_FATAL_FAILURE(BuildColdDays(data, kDays, dir, &cold, &raw, &five));
    std::unique_ptr<storage::ColdStore> owned(cold);
    const int64_t cut = (kDays - 1) * kDay + static_cast<int64_t>(rng() % kDay);
    std::vector<SeriesData> tail;
    for (const auto& d : data) {
      SeriesData x{d.labels, {}};
      for (const auto& smp : d.samples) {
        if (smp.timestamp_ms >= cut) x.samples.push_back(smp);
      }
      if (!x.samples.empty()) tail.push_back(std::move(x));
    }
    DataQuerier newer(tail);
    storage::MergeQuerier merged({&newer, cold});
    for (int n = 0; n < kQueries; ++n) {
      // Whole-hour grids (where hour windows may stand in) half the time.
      const bool hours = rng() % 2 == 0;
      const std::string q = RandomQuery(rng, hours);
      const int64_t steps[] = {5 * kMinute, 15 * kMinute, kHour, 2 * kHour, 3 * kHour + 1234};
      const int64_t step = hours
                               ? kHour * static_cast<int64_t>(1 + rng() % 3)
                               : (rng() % 4 == 0 ? static_cast<int64_t>(5 * kMinute + rng() % kHour)
                                                 : steps[rng() % std::size(steps)]);
      int64_t start = static_cast<int64_t>(rng() % (kDays * kDay));
      if (hours) start = start / kHour * kHour;
      const int64_t end = std::min<int64_t>(
          kDays * kDay + kHour, start + static_cast<int64_t>(rng() % (2 * kDay)) / step * step);
      const std::string what = q + " start " + std::to_string(start) + " end " +
                               std::to_string(end) + " step " + std::to_string(step);
      ThinAndFull r;
      ASSERT_NO_FATAL_FAILURE(
          QueryThinAndFull(engine, merged, merged, false, q.c_str(), start, end, step, &r))
          << what;
      thinned += r.thin_points;
      all += r.full_points;
      ASSERT_NO_FATAL_FAILURE(ExpectSameAnswers(r.thin, r.full, what, ReadsSums(q)));
    }
    std::filesystem::remove_all(dir);
  }
  std::printf("points read: %lld thinned, %lld not\n", static_cast<long long>(thinned),
              static_cast<long long>(all));
  EXPECT_LT(thinned * 2, all);
}

}  // namespace
}  // namespace strata::query
