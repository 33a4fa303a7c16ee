// /federate: the latest sample of each matched series in the text exposition format, as
// Prometheus' federation handler answers (families by name, own timestamps, stale and old
// series left out, external labels and instance="" added, bad selectors 400).
#include "server/federate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "model/sample.h"
#include "testutil/select_only_querier.h"

namespace strata::server {
namespace {

constexpr int64_t kMin = 60 * 1000;

class FakeQuerier : public testutil::SelectOnlyQuerier {
 public:
  void Add(std::vector<model::Label> labels, std::vector<model::Sample> samples) {
    series_.push_back({*model::Labels::FromPairs(std::move(labels)), std::move(samples)});
  }
  Result<std::unique_ptr<storage::SeriesSet>> Select(
      const model::Matchers& matchers, const storage::SelectHints& hints) const override {
    selects.push_back(hints);
    std::vector<storage::MaterializedSeries> out;
    for (const auto& s : series_) {
      bool match = true;
      for (const auto& m : matchers) match = match && m.Matches(s.labels.Get(m.name()));
      if (!match) continue;
      storage::MaterializedSeries clipped{s.labels, {}};
      for (const auto& x : s.samples) {
        if (x.timestamp_ms >= hints.start_ms && x.timestamp_ms <= hints.end_ms) {
          clipped.samples.push_back(x);
        }
      }
      if (!clipped.samples.empty()) out.push_back(std::move(clipped));
    }
    return storage::MakeMaterializedSeriesSet(std::move(out));
  }
  mutable std::vector<storage::SelectHints> selects;

 private:
  std::vector<storage::MaterializedSeries> series_;
};

// Samples every minute from 0 to `last_min`, value base + step * i.
std::vector<model::Sample> Minutes(int last_min, double base, double step) {
  std::vector<model::Sample> out;
  for (int i = 0; i <= last_min; ++i) out.push_back({i * kMin, base + step * i});
  return out;
}

class FederateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    q_.Add({{"__name__", "reqs"}, {"code", "200"}, {"instance", "a:1"}}, Minutes(50, 0, 250));
    q_.Add({{"__name__", "reqs"}, {"code", "500"}, {"instance", "a:1"}}, Minutes(50, 3, 0));
    q_.Add({{"__name__", "errs"}, {"code", "500"}, {"instance", "a:1"}}, Minutes(50, 2, 0));
    q_.Add({{"__name__", "bare"}}, Minutes(50, 7, 0.5));
    auto stale = Minutes(49, 1, 1);
    stale.push_back({50 * kMin, model::StaleNaN()});
    q_.Add({{"__name__", "ended"}}, stale);
    q_.Add({{"__name__", "late"}}, Minutes(47, 1, 1));  // Last sample 4 min before "now".
    q_.Add({{"__name__", "gone"}}, Minutes(40, 1, 1));  // Older than the lookback.
    q_.Add({{"__name__", "big"}, {"v", "x\"y\\z\nw"}}, {{50 * kMin, 7907416}});
    q_.Add({{"__name__", "ahead"}}, {{52 * kMin, 1}});  // After "now": not yet.
    q_.Add({{"job", "nameless"}}, Minutes(50, 1, 0));
  }

  HttpResponse Get(const std::string& query, model::Labels external = {}) {
    FederateApi api(&q_, 5 * kMin, std::move(external), [] { return 51 * kMin; });
    HttpRequest req;
    req.method = "GET";
    req.target = "/federate" + (query.empty() ? "" : "?" + query);
    req.path = "/federate";
    req.query = query;
    HttpResponse res;
    api.Federate(req, &res);
    return res;
  }

  FakeQuerier q_;
};

TEST_F(FederateTest, OneSelector) {
  HttpResponse r = Get("match[]=reqs");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r.body,
            "# TYPE reqs untyped\n"
            "reqs{code=\"200\",instance=\"a:1\"} 12500 3000000\n"
            "reqs{code=\"500\",instance=\"a:1\"} 3 3000000\n");
  ASSERT_EQ(q_.selects.size(), 1u);
  EXPECT_EQ(q_.selects[0].start_ms, 46 * kMin);
  EXPECT_EQ(q_.selects[0].end_ms, 51 * kMin);
  EXPECT_EQ(q_.selects[0].max_resolution_ms, 0);  // Raw data only.
}

TEST_F(FederateTest, SelectorsAreAUnionAndFamiliesAreSortedByName) {
  HttpResponse r = Get("match[]=%7Bcode%3D%22500%22%7D&match[]=reqs&match[]=bare");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            "# TYPE bare untyped\n"
            "bare{instance=\"\"} 32 3000000\n"
            "# TYPE errs untyped\n"
            "errs{code=\"500\",instance=\"a:1\"} 2 3000000\n"
            "# TYPE reqs untyped\n"
            "reqs{code=\"200\",instance=\"a:1\"} 12500 3000000\n"
            "reqs{code=\"500\",instance=\"a:1\"} 3 3000000\n");
}

TEST_F(FederateTest, StaleOldFutureAndNamelessSeriesAreLeftOut) {
  HttpResponse r = Get("match[]=%7B__name__%3D~%22.%2B%22%7D&match[]=%7Bjob%3D%22nameless%22%7D");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.find("ended"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("gone"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("ahead"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("nameless"), std::string::npos) << r.body;
  // Within the lookback, with its own (older) timestamp.
  EXPECT_NE(r.body.find("# TYPE late untyped\nlate{instance=\"\"} 48 2820000\n"), std::string::npos)
      << r.body;
  // Values as expfmt prints them; label values escaped; external labels after the series' own.
  EXPECT_NE(r.body.find("big{v=\"x\\\"y\\\\z\\nw\",instance=\"\"} 7.907416e+06 3000000\n"),
            std::string::npos)
      << r.body;
}

TEST_F(FederateTest, ExternalLabelsAreAddedWhereMissing) {
  auto ext = *model::Labels::FromPairs({{"code", "ext"}, {"zone", "eu"}});
  HttpResponse r = Get("match[]=errs&match[]=bare", ext);
  EXPECT_EQ(r.body,
            "# TYPE bare untyped\n"
            "bare{code=\"ext\",instance=\"\",zone=\"eu\"} 32 3000000\n"
            "# TYPE errs untyped\n"
            "errs{code=\"500\",instance=\"a:1\",zone=\"eu\"} 2 3000000\n");
  // An external instance label takes the place of instance="".
  r = Get("match[]=bare", *model::Labels::FromPairs({{"instance", "fed"}}));
  EXPECT_EQ(r.body, "# TYPE bare untyped\nbare{instance=\"fed\"} 32 3000000\n");
}

TEST_F(FederateTest, NoSelectorNoMatchAndBadSelectors) {
  HttpResponse r = Get("");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  r = Get("match[]=nothing_here");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  for (const char* bad : {"match[]=-x", "match[]=a%7Bb%3D%22", "match[]=%7B%7D",
                          "match[]=rate(x%5B5m%5D)", "match[]=%7Bx%3D%22%22%7D"}) {
    r = Get(bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(r.content_type, "text/plain; charset=utf-8") << bad;
    EXPECT_FALSE(r.body.empty()) << bad;
    EXPECT_EQ(r.body.back(), '\n') << bad;
  }
}

TEST(FederateValueTest, ValuesAsTheTextFormatPrintsThem) {
  auto v = [](double x) {
    std::string s;
    AppendExpositionValue(&s, x);
    return s;
  };
  EXPECT_EQ(v(1), "1");
  EXPECT_EQ(v(-1), "-1");
  EXPECT_EQ(v(0), "0");
  EXPECT_EQ(v(-0.0), "0");
  EXPECT_EQ(v(0.25), "0.25");
  EXPECT_EQ(v(123456), "123456");
  EXPECT_EQ(v(1234567), "1.234567e+06");
  EXPECT_EQ(v(1e-5), "1e-05");
  EXPECT_EQ(v(std::nan("")), "NaN");
  EXPECT_EQ(v(std::numeric_limits<double>::infinity()), "+Inf");
}

}  // namespace
}  // namespace strata::server
