// MergeQuerier's merge of samples and of their counts (the weights downsampled tiers return),
// newer tier winning at equal times.
#include "storage/merge_querier.h"

#include <gtest/gtest.h>

#include <map>

#include "model/matcher.h"
#include "testutil/select_only_querier.h"

namespace strata::storage {
namespace {

using model::Labels;
using model::Sample;

// One tier's answer for one series: samples, and counts (empty: raw, 1 each).
struct Part {
  std::vector<Sample> samples;
  std::vector<uint32_t> counts;
};

class FixedSet final : public SeriesSet {
 public:
  explicit FixedSet(std::vector<std::pair<Labels, Part>> series) : series_(std::move(series)) {}
  bool Next() override { return ++cur_ < series_.size(); }
  const Labels& labels() const override { return series_[cur_].first; }
  Status ReadSamples(std::vector<Sample>* out) override {
    *out = series_[cur_].second.samples;
    counts_ = series_[cur_].second.counts;
    return Status::Ok();
  }
  Status status() const override { return Status::Ok(); }
  const std::vector<uint32_t>& counts() const override { return counts_; }

 private:
  std::vector<std::pair<Labels, Part>> series_;
  size_t cur_ = SIZE_MAX;
  std::vector<uint32_t> counts_;
};

class FixedTier final : public testutil::SelectOnlyQuerier {
 public:
  explicit FixedTier(std::map<std::string, Part> series) : series_(std::move(series)) {}
  Result<std::unique_ptr<SeriesSet>> Select(const model::Matchers&,
                                            const SelectHints&) const override {
    std::vector<std::pair<Labels, Part>> out;
    for (const auto& [name, part] : series_) out.emplace_back(Of(name), part);
    return std::unique_ptr<SeriesSet>(std::make_unique<FixedSet>(std::move(out)));
  }
  static Labels Of(const std::string& name) {
    return *Labels::FromPairs({{"__name__", "m"}, {"s", name}});
  }

 private:
  std::map<std::string, Part> series_;
};

std::vector<Sample> At(std::initializer_list<int64_t> times) {
  std::vector<Sample> out;
  for (int64_t t : times) out.push_back({t, static_cast<double>(t) * 10});
  return out;
}

// The times of `samples`, after checking each value is the one At() gave its time.
std::vector<int64_t> Times(const std::vector<Sample>& samples) {
  std::vector<int64_t> out;
  for (const Sample& x : samples) {
    EXPECT_EQ(x.value, static_cast<double>(x.timestamp_ms) * 10);
    out.push_back(x.timestamp_ms);
  }
  return out;
}
using T = std::vector<int64_t>;

// Reads every series of the merge: name -> (samples, counts).
std::map<std::string, Part> ReadAll(const std::vector<const Querier*>& tiers) {
  MergeQuerier merge(tiers);
  auto set = merge.Select({model::Matcher::Equal("__name__", "m")}, SelectHints{});
  EXPECT_TRUE(set.ok());
  std::map<std::string, Part> out;
  while ((*set)->Next()) {
    Part p;
    EXPECT_TRUE((*set)->ReadSamples(&p.samples).ok());
    p.counts = (*set)->counts();
    out[std::string((*set)->labels().Get("s"))] = p;
  }
  EXPECT_TRUE((*set)->status().ok());
  return out;
}

TEST(MergeQuerierTest, CountsFollowTheirSamplesThroughEveryKindOfMerge) {
  // Tiers newest first: a raw head, a raw warm tier, a weighted (downsampled) cold tier.
  FixedTier head({{"disjoint", {At({100, 110}), {}}},
                  {"overlap", {At({50, 60, 70}), {}}},
                  {"only_cold", {{}, {}}},
                  {"cold_after", {At({10}), {}}}});
  FixedTier warm({{"disjoint", {At({80, 90}), {}}}, {"overlap", {At({40}), {}}}});
  FixedTier cold({{"disjoint", {At({10, 20}), {3, 7}}},
                  {"overlap", {At({30, 50, 65}), {4, 5, 6}}},
                  {"only_cold", {At({5}), {9}}},
                  {"cold_after", {At({20, 30}), {2, 8}}},
                  {"cold_only_series", {At({1, 2}), {5, 5}}}});
  auto got = ReadAll({&head, &warm, &cold});

  // Disjoint tiers: the older in front, raw samples counting 1.
  EXPECT_EQ(Times(got["disjoint"].samples), (T{10, 20, 80, 90, 100, 110}));
  EXPECT_EQ(got["disjoint"].counts, (std::vector<uint32_t>{3, 7, 1, 1, 1, 1}));
  // Overlapping: merged by time, the newer tier's sample wins at 50 (count 1, not 5).
  EXPECT_EQ(Times(got["overlap"].samples), (T{30, 40, 50, 60, 65, 70}));
  EXPECT_EQ(got["overlap"].counts, (std::vector<uint32_t>{4, 1, 1, 1, 6, 1}));
  // A newer tier with no samples: the older's, with its counts.
  EXPECT_EQ(Times(got["only_cold"].samples), (T{5}));
  EXPECT_EQ(got["only_cold"].counts, (std::vector<uint32_t>{9}));
  // The older tier's samples after the newer's (a backfilled head): still merged in order.
  EXPECT_EQ(Times(got["cold_after"].samples), (T{10, 20, 30}));
  EXPECT_EQ(got["cold_after"].counts, (std::vector<uint32_t>{1, 2, 8}));
  // A series in one tier only passes through as it is.
  EXPECT_EQ(Times(got["cold_only_series"].samples), (T{1, 2}));
  EXPECT_EQ(got["cold_only_series"].counts, (std::vector<uint32_t>{5, 5}));
  // Raw tiers alone: no counts.
  auto raw = ReadAll({&head, &warm});
  EXPECT_EQ(Times(raw["disjoint"].samples), (T{80, 90, 100, 110}));
  EXPECT_TRUE(raw["disjoint"].counts.empty());
}

}  // namespace
}  // namespace strata::storage
