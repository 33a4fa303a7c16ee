#include "model/labels.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <compare>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace strata::model {
namespace {

using ::testing::HasSubstr;

Labels L(std::vector<Label> pairs) {
  Result<Labels> r = Labels::FromPairs(std::move(pairs));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.value_or(Labels());
}

TEST(LabelsTest, FromPairsSortsByName) {
  Labels ls = L({{"job", "api"}, {"__name__", "up"}, {"instance", "a:1"}, {"Zone", "z"}});
  ASSERT_EQ(ls.size(), 4u);
  // Byte order: uppercase < '_' < lowercase.
  EXPECT_EQ(ls[0].name, "Zone");
  EXPECT_EQ(ls[1].name, "__name__");
  EXPECT_EQ(ls[2].name, "instance");
  EXPECT_EQ(ls[3].name, "job");
  std::vector<std::string> names;
  for (const Label& l : ls) names.push_back(l.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Zone", "__name__", "instance", "job"}));
}

TEST(LabelsTest, FromPairsRejectsDuplicateNames) {
  Result<Labels> r = Labels::FromPairs({{"a", "1"}, {"b", "2"}, {"a", "3"}});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument());
  EXPECT_EQ(r.status().message(), "duplicate label name \"a\"");
  // Also when one of the two values is empty.
  EXPECT_FALSE(Labels::FromPairs({{"a", ""}, {"a", "x"}}).ok());
}

TEST(LabelsTest, EmptyValuesAreDropped) {
  Labels ls = L({{"a", "1"}, {"b", ""}, {"c", "3"}});
  EXPECT_EQ(ls.size(), 2u);
  EXPECT_FALSE(ls.Has("b"));
  EXPECT_EQ(ls, L({{"c", "3"}, {"a", "1"}}));
  EXPECT_EQ(ls.Hash(), L({{"a", "1"}, {"c", "3"}}).Hash());
  EXPECT_TRUE(L({{"a", ""}}).empty());
}

TEST(LabelsTest, FromSortedValidates) {
  Result<Labels> ok = Labels::FromSorted({{"__name__", "up"}, {"a", ""}, {"job", "x"}});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), 2u);
  EXPECT_EQ(*ok, L({{"job", "x"}, {"__name__", "up"}}));

  Result<Labels> unsorted = Labels::FromSorted({{"job", "x"}, {"__name__", "up"}});
  ASSERT_FALSE(unsorted.ok());
  EXPECT_TRUE(unsorted.status().IsInvalidArgument());
  EXPECT_THAT(unsorted.status().message(), HasSubstr("labels are not sorted"));

  Result<Labels> dup = Labels::FromSorted({{"a", "1"}, {"a", "2"}});
  ASSERT_FALSE(dup.ok());
  EXPECT_THAT(dup.status().message(), HasSubstr("duplicate label name \"a\""));

  EXPECT_TRUE(Labels::FromSorted({}).ok());
}

TEST(LabelsTest, Accessors) {
  Labels ls = L({{"__name__", "http_requests_total"}, {"job", "api"}});
  EXPECT_EQ(ls.Get("job"), "api");
  EXPECT_EQ(ls.Get("nope"), "");
  EXPECT_TRUE(ls.Has("job"));
  EXPECT_FALSE(ls.Has("jo"));
  EXPECT_EQ(ls.MetricName(), "http_requests_total");
  EXPECT_EQ(L({{"job", "x"}}).MetricName(), "");
  EXPECT_FALSE(ls.empty());
  EXPECT_TRUE(Labels().empty());
  EXPECT_EQ(Labels().Get("a"), "");
}

TEST(LabelsTest, HashIsStableAcrossRuns) {
  // XXH3_64bits is a frozen spec; this value is persisted, so it must never change.
  EXPECT_EQ(Labels().Hash(), 0x2D06800538D394C2ull);  // XXH3_64bits of no bytes.
  Labels ls = L({{"__name__", "up"}, {"job", "prometheus"}, {"instance", "localhost:9090"}});
  EXPECT_EQ(ls.Hash(), 0x6bb0bebb6cc7d0c9ull);
  // The encoding: name 0xff value 0xff, in name order.
  constexpr std::string_view kEncoded =
      "__name__\xffup\xffinstance\xfflocalhost:9090\xffjob\xffprometheus\xff";
  EXPECT_EQ(ls.Hash(), XXH3_64bits(kEncoded.data(), kEncoded.size()));
}

TEST(LabelsTest, HashIsIndependentOfInputOrder) {
  std::vector<Label> pairs;
  pairs.reserve(20);
  for (int i = 0; i < 20; ++i) {
    pairs.push_back({"name" + std::to_string(i), std::to_string(i)});
  }
  const uint64_t want = L(pairs).Hash();
  std::mt19937 rng(42);
  for (int round = 0; round < 10; ++round) {
    std::shuffle(pairs.begin(), pairs.end(), rng);
    EXPECT_EQ(L(pairs).Hash(), want);
  }
}

TEST(LabelsTest, HashSeparatesNamesFromValues) {
  EXPECT_NE(L({{"a", "bc"}}).Hash(), L({{"ab", "c"}}).Hash());
  EXPECT_NE(L({{"a", "1"}}).Hash(), L({{"a", "2"}}).Hash());
}

TEST(LabelsTest, HashOfLargeSetsUsesSameEncoding) {
  // Over 1 KiB of encoding takes the heap path; it must hash the same bytes.
  std::vector<Label> pairs;
  std::string encoded;
  pairs.reserve(50);
  for (int i = 0; i < 50; ++i) {
    pairs.push_back(
        {"label_" + std::to_string(100 + i), std::string(40, static_cast<char>('a' + i % 26))});
    encoded += pairs.back().name + "\xff" + pairs.back().value + "\xff";
  }
  ASSERT_GT(encoded.size(), 1024u);
  Labels big = L(pairs);
  EXPECT_EQ(big.Hash(), XXH3_64bits(encoded.data(), encoded.size()));
  std::vector<std::string> all;
  all.reserve(big.size());
  for (const Label& l : big) all.push_back(l.name);
  EXPECT_EQ(big.HashFor(all), big.Hash());
  std::unordered_set<uint64_t> seen;
  for (size_t n = 1; n <= pairs.size(); ++n) {
    seen.insert(L(std::vector<Label>(pairs.begin(), pairs.begin() + n)).Hash());
  }
  EXPECT_EQ(seen.size(), pairs.size());
}

TEST(LabelsTest, HashForAndHashWithoutMatchSubsets) {
  Labels ls = L({{"__name__", "up"}, {"job", "api"}, {"instance", "a:1"}, {"zone", "eu"}});
  const std::vector<std::string> by = {"zone", "job", "missing", "job"};
  EXPECT_EQ(ls.HashFor(by), L({{"job", "api"}, {"zone", "eu"}}).Hash());
  // `without` always drops __name__.
  const std::vector<std::string> without = {"instance"};
  EXPECT_EQ(ls.HashWithout(without), L({{"job", "api"}, {"zone", "eu"}}).Hash());
  EXPECT_EQ(ls.HashWithout({}), ls.WithoutMetricName().Hash());
  EXPECT_EQ(ls.HashFor({}), Labels().Hash());
  // Series differing only in a dropped label group together.
  Labels other = L({{"__name__", "down"}, {"job", "api"}, {"instance", "b:2"}, {"zone", "eu"}});
  EXPECT_EQ(ls.HashWithout(without), other.HashWithout(without));
  EXPECT_EQ(ls.HashFor(by), other.HashFor(by));
  EXPECT_NE(ls.HashFor(std::vector<std::string>{"instance"}),
            other.HashFor(std::vector<std::string>{"instance"}));
  // The builder produces the same subsets.
  EXPECT_EQ(ls.HashFor(by), LabelsBuilder(ls).Keep(by).Build().Hash());
  EXPECT_EQ(ls.HashWithout(without),
            LabelsBuilder(ls).Del(without).Del(kMetricNameLabel).Build().Hash());
}

int Sign(std::strong_ordering o) { return std::is_lt(o) ? -1 : (std::is_gt(o) ? 1 : 0); }

TEST(LabelsTest, OrderingFollowsPrometheusCompare) {
  // Cases from Prometheus' TestLabels_Compare (labels_test.go), against
  // {aaa="111", bbb="222"}.
  Labels base = L({{"aaa", "111"}, {"bbb", "222"}});
  struct Case {
    std::vector<Label> other;
    int want;
  } cases[] = {
      {{{"aaa", "111"}, {"bbb", "222"}}, 0},
      {{{"aaa", "111"}, {"bbb", "233"}}, -1},
      {{{"aaa", "111"}, {"bar", "222"}}, 1},
      {{{"aaa", "111"}, {"bbc", "222"}}, -1},
      {{{"aaa", "111"}, {"bb", "222"}}, 1},
      {{{"aaa", "111"}}, 1},
      {{{"aaa", "111"}, {"bbb", "222"}, {"ccc", "333"}}, -1},
      {{{"aaa", "111"}, {"bbb", "222"}, {"ddd", "444"}}, -1},
      {{}, 1},
  };
  for (const Case& c : cases) {
    Labels other = L(c.other);
    EXPECT_EQ(Sign(base <=> other), c.want) << other.ToString();
    EXPECT_EQ(Sign(other <=> base), -c.want) << other.ToString();
    EXPECT_EQ(base == other, c.want == 0) << other.ToString();
  }
  // Byte order, not locale order.
  EXPECT_LT(L({{"a", "Z"}}), L({{"a", "a"}}));
  EXPECT_LT(L({{"a", "\x7f"}}), L({{"a", "\xc3\xa9"}}));
}

TEST(LabelsTest, ToStringMatchesPrometheus) {
  EXPECT_EQ(Labels().ToString(), "{}");
  EXPECT_EQ(L({{"job", "x"}, {"__name__", "up"}}).ToString(), R"({__name__="up", job="x"})");
  EXPECT_EQ(L({{"a", "q\"uote"}}).ToString(), R"({a="q\"uote"})");
  EXPECT_EQ(L({{"a", "back\\slash"}}).ToString(), R"({a="back\\slash"})");
  EXPECT_EQ(L({{"a", "new\nline\ttab"}}).ToString(), R"({a="new\nline\ttab"})");
  EXPECT_EQ(L({{"a", "caf\xc3\xa9"}}).ToString(), "{a=\"caf\xc3\xa9\"}");
  EXPECT_EQ(L({{"a", "bad\xff"}}).ToString(), R"({a="bad\xff"})");
  // Names that are not valid legacy label names are quoted, as in Prometheus 3.
  EXPECT_EQ(L({{"a.b", "1"}}).ToString(), R"({"a.b"="1"})");
}

TEST(LabelsTest, ToPromQLStringPutsNameOutside) {
  EXPECT_EQ(L({{"job", "x"}, {"__name__", "up"}}).ToPromQLString(), R"(up{job="x"})");
  EXPECT_EQ(L({{"__name__", "up"}}).ToPromQLString(), "up");
  EXPECT_EQ(L({{"job", "x"}, {"a", "b"}}).ToPromQLString(), R"({a="b", job="x"})");
  EXPECT_EQ(Labels().ToPromQLString(), "{}");
  EXPECT_EQ(L({{"__name__", "a.b"}, {"job", "x"}}).ToPromQLString(), R"({"a.b", job="x"})");
  EXPECT_EQ(L({{"__name__", "a.b"}}).ToPromQLString(), R"({"a.b"})");
  EXPECT_EQ(L({{"__name__", "up"}, {"Z", "1"}, {"a", "\\"}}).ToPromQLString(),
            R"(up{Z="1", a="\\"})");
}

TEST(LabelsTest, WithoutMetricName) {
  Labels ls = L({{"__name__", "up"}, {"a", "1"}, {"z", "2"}});
  EXPECT_EQ(ls.WithoutMetricName(), L({{"a", "1"}, {"z", "2"}}));
  EXPECT_EQ(L({{"a", "1"}}).WithoutMetricName(), L({{"a", "1"}}));
}

TEST(LabelsTest, ByteSizeGrowsWithContent) {
  Labels small = L({{"a", "1"}});
  Labels big = L({{"a", std::string(1000, 'x')}});
  EXPECT_GE(small.ByteSize(), sizeof(Labels) + sizeof(Label));
  EXPECT_GE(big.ByteSize(), small.ByteSize() + 1000);
  EXPECT_EQ(Labels().ByteSize(), sizeof(Labels));
}

TEST(LabelsBuilderTest, SetDelKeep) {
  Labels base = L({{"__name__", "up"}, {"job", "api"}, {"instance", "a:1"}});
  LabelsBuilder b(base);
  b.Set("zone", "eu").Set("job", "web").Set("instance", "");
  EXPECT_EQ(b.Get("job"), "web");
  EXPECT_EQ(b.Build(), L({{"__name__", "up"}, {"job", "web"}, {"zone", "eu"}}));
  b.Del("zone").Del("missing");
  EXPECT_EQ(b.Build(), L({{"__name__", "up"}, {"job", "web"}}));
  b.Set("aaa", "first");
  EXPECT_EQ(b.Build()[0].name, "__name__");
  EXPECT_EQ(b.Build()[1].name, "aaa");
  const std::vector<std::string> keep = {"job", "aaa"};
  EXPECT_EQ(b.Keep(keep).Build(), L({{"aaa", "first"}, {"job", "web"}}));
  // The base is untouched; Reset starts over.
  EXPECT_EQ(base.Get("job"), "api");
  b.Reset(base);
  EXPECT_EQ(b.Build(), base);
  EXPECT_EQ(LabelsBuilder().Set("b", "2").Set("a", "1").Build(), L({{"a", "1"}, {"b", "2"}}));
}

}  // namespace
}  // namespace strata::model
