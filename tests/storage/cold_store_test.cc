// The cold tier: block format round trips, ranged reads, cross-block merging, corruption,
// retention and partial-upload collection, over an in-memory object store.
#include "storage/cold_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <random>
#include <thread>

#include "storage/block/block_writer.h"
#include "storage/block/format.h"
#include "storage/xor_chunk.h"
#include "testutil/mem_object_store.h"

namespace strata::storage {
namespace {

using block::BlockMeta;
using testutil::MemObjectStore;

constexpr int64_t kDay = 24 * 3600 * 1000;
constexpr int64_t kStep = 15000;

model::Labels L(std::vector<model::Label> pairs) { return *model::Labels::FromPairs(pairs); }

model::Matchers M(std::vector<model::Matcher> m) { return m; }
model::Matcher Eq(std::string n, std::string v) {
  return *model::Matcher::Make(model::MatchType::kEqual, n, v);
}
model::Matcher Re(std::string n, std::string v) {
  return *model::Matcher::Make(model::MatchType::kRegexMatch, n, v);
}
model::Matcher Neq(std::string n, std::string v) {
  return *model::Matcher::Make(model::MatchType::kNotEqual, n, v);
}

struct Series {
  model::Labels labels;
  std::vector<model::Sample> samples;
};

// Series i: metric m{i%3}, job j{i%2}, instance i; value pattern depends on i: integer steps
// and quarter steps (stored with the decimal encoding), irrational steps (XOR chunks), and, with
// `noisy`, irrational steps for every series.
std::vector<Series> MakeData(int n, int64_t from, int64_t to, bool noisy = false) {
  std::vector<Series> out;
  for (int i = 0; i < n; ++i) {
    Series s;
    s.labels = L({{"__name__", "m" + std::to_string(i % 3)},
                  {"job", "j" + std::to_string(i % 2)},
                  {"instance", "host-" + std::to_string(i)}});
    double v = i;
    for (int64_t t = from; t < to; t += kStep) {
      if (noisy || i % 4 == 3) {
        v += std::sqrt(static_cast<double>(t / kStep % 13 + i));
      } else {
        v += (i % 4 == 0) ? 1 : (t / kStep % 7) * 0.25;
      }
      s.samples.push_back({t, v});
    }
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const Series& a, const Series& b) { return a.labels < b.labels; });
  return out;
}

// Encodes samples into XOR chunks of 120 samples.
std::vector<std::string> Encode(const std::vector<model::Sample>& samples,
                                std::vector<block::ChunkData>* refs) {
  std::vector<std::string> bytes;
  std::vector<std::pair<int64_t, int64_t>> bounds;
  for (size_t i = 0; i < samples.size(); i += 120) {
    XorChunk c;
    auto app = XorAppender::Open(&c);
    size_t end = std::min(samples.size(), i + 120);
    for (size_t j = i; j < end; ++j) {
      EXPECT_TRUE(app->Append(samples[j].timestamp_ms, samples[j].value).ok());
    }
    bytes.emplace_back(reinterpret_cast<const char*>(c.bytes().data()), c.size_bytes());
    bounds.emplace_back(samples[i].timestamp_ms, samples[end - 1].timestamp_ms);
  }
  for (size_t i = 0; i < bytes.size(); ++i) {
    refs->push_back({bounds[i].first, bounds[i].second, bytes[i]});
  }
  return bytes;
}

class ColdStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cold_store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    state_ = std::make_shared<MemObjectStore::State>();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<ColdStore> Open(std::string node = "n1", bool all = false,
                                  size_t cache = size_t{64} << 20) {
    ColdOptions o;
    o.node_id = node;
    o.read_all_nodes = all;
    o.cache_bytes = cache;
    auto cold = ColdStore::Open(std::make_unique<MemObjectStore>(state_), o, nullptr);
    EXPECT_TRUE(cold.ok()) << cold.status().ToString();
    return std::move(cold).value();
  }

  // Builds a block of `data` restricted to [from, to) and uploads it through `cold`.
  BlockMeta AddBlock(ColdStore* cold, const std::vector<Series>& data, int64_t from, int64_t to,
                     std::string source) {
    static std::mt19937_64 rng(42);
    BlockMeta meta;
    meta.created_ms = 1700000000000;
    meta.id = block::NewBlockId(meta.created_ms, rng);
    meta.node = cold->options().node_id;
    meta.source = std::move(source);
    std::string dir = (dir_ / meta.id).string();
    auto w = block::BlockWriter::Create(dir, meta);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    for (const Series& s : data) {
      std::vector<model::Sample> part;
      for (const auto& x : s.samples) {
        if (x.timestamp_ms >= from && x.timestamp_ms < to) part.push_back(x);
      }
      std::vector<block::ChunkData> refs;
      auto keep = Encode(part, &refs);
      EXPECT_TRUE((*w)->AddSeries(s.labels, refs).ok());
    }
    auto m = (*w)->Finish();
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    Status up = cold->Upload(dir, *m);
    EXPECT_TRUE(up.ok()) << up.ToString();
    return *m;
  }

  std::filesystem::path dir_;
  std::shared_ptr<MemObjectStore::State> state_;
};

std::map<std::string, std::vector<model::Sample>> Expected(const std::vector<Series>& data,
                                                           const model::Matchers& m, int64_t from,
                                                           int64_t to) {
  std::map<std::string, std::vector<model::Sample>> out;
  for (const auto& s : data) {
    bool match = std::all_of(m.begin(), m.end(), [&](const model::Matcher& x) {
      return x.Matches(s.labels.Get(x.name()));
    });
    if (!match) continue;
    std::vector<model::Sample> part;
    for (const auto& x : s.samples) {
      if (x.timestamp_ms >= from && x.timestamp_ms <= to) part.push_back(x);
    }
    if (!part.empty()) out[s.labels.ToString()] = part;
  }
  return out;
}

std::map<std::string, std::vector<model::Sample>> Got(const Querier& q, const model::Matchers& m,
                                                      int64_t from, int64_t to) {
  auto all = SelectAll(q, m, from, to);
  EXPECT_TRUE(all.ok()) << all.status().ToString();
  std::map<std::string, std::vector<model::Sample>> out;
  if (!all.ok()) return out;
  for (auto& s : *all) out[s.labels.ToString()] = s.samples;
  return out;
}

bool SameSamples(const std::map<std::string, std::vector<model::Sample>>& a,
                 const std::map<std::string, std::vector<model::Sample>>& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end() || it->second.size() != v.size()) return false;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i].timestamp_ms != it->second[i].timestamp_ms || v[i].value != it->second[i].value) {
        return false;
      }
    }
  }
  return true;
}

TEST(BlockFormatTest, MetaRoundTripAndChecksum) {
  BlockMeta m;
  std::mt19937_64 rng(1);
  m.id = block::NewBlockId(1700000000000, rng);
  m.node = "n1";
  m.min_time = -5;
  m.max_time = 1700000000000;
  m.source = "warm:\"x\"\n";
  m.series = 3;
  m.chunks = 4;
  m.samples = 5;
  m.index_header_bytes = 20;
  m.files = {{"index", 200, 0xdeadbeef}, {"chunks/000001", 10, 1}};
  std::string json = block::EncodeMeta(m);
  auto back = block::DecodeMeta(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->id, m.id);
  EXPECT_EQ(back->source, m.source);
  EXPECT_EQ(back->min_time, -5);
  ASSERT_EQ(back->files.size(), 2u);
  EXPECT_EQ(back->files[0].crc32c, 0xdeadbeefu);
  // Any changed byte is caught (checksum, or the structure around it).
  for (size_t i = 0; i < json.size(); ++i) {
    std::string bad = json;
    bad[i] ^= 0x01;
    EXPECT_FALSE(block::DecodeMeta(bad).ok()) << "byte " << i;
  }
  EXPECT_FALSE(block::DecodeMeta(json.substr(0, json.size() - 3)).ok());
  EXPECT_FALSE(block::DecodeMeta("").ok());
}

TEST(BlockFormatTest, SampleGroupsRoundTripBitExactlyInBothEncodings) {
  std::vector<std::vector<model::Sample>> cases;
  cases.push_back({{1000, 1}, {16000, 2}, {31000, 2}, {46000, 7}});               // Integers.
  cases.push_back({{0, 0.01}, {15000, 12345.67}, {30000, -3.5}, {45001, 1e-9}});  // Decimals.
  cases.push_back({{5, 1.0 / 3}, {6, 2.0 / 3}});      // Not decimal: XOR.
  cases.push_back({{5, 1}, {6, model::StaleNaN()}});  // Stale marker.
  cases.push_back({{-100, -0.0}, {0, 0}});            // Negative zero.
  cases.push_back({{7, 1e300}, {8, -1e-300}, {9, std::numeric_limits<double>::infinity()}});
  {
    std::vector<model::Sample> k;  // 0.1 steps computed as k * 0.1 (not the nearest decimal).
    for (int i = 0; i < 500; ++i) k.push_back({i * 15000LL, std::round(i * 7.3) * 0.1});
    cases.push_back(k);
  }
  for (size_t c = 0; c < cases.size(); ++c) {
    const auto& in = cases[c];
    block::GroupRef ref;
    ref.min_time = in.front().timestamp_ms;
    ref.max_time = in.back().timestamp_ms;
    ref.samples = in.size();
    std::string stored = block::EncodeSampleGroup(in, &ref.chunks);
    std::vector<model::Sample> out;
    ASSERT_TRUE(block::DecodeGroupSamples(stored, ref, INT64_MIN, INT64_MAX, &out).ok()) << c;
    ASSERT_EQ(out.size(), in.size()) << c;
    for (size_t i = 0; i < in.size(); ++i) {
      EXPECT_EQ(out[i].timestamp_ms, in[i].timestamp_ms) << c;
      EXPECT_EQ(std::bit_cast<uint64_t>(out[i].value), std::bit_cast<uint64_t>(in[i].value))
          << c << " " << i;
    }
    // Only [start, end] comes out; every byte flip is caught or harmless.
    out.clear();
    ASSERT_TRUE(
        block::DecodeGroupSamples(stored, ref, in[1].timestamp_ms, in[1].timestamp_ms, &out).ok());
    ASSERT_EQ(out.size(), 1u);
    for (size_t i = 0; i < stored.size(); ++i) {
      std::string bad = stored;
      bad[i] ^= 0x04;
      out.clear();
      EXPECT_FALSE(block::DecodeGroupSamples(bad, ref, INT64_MIN, INT64_MAX, &out).ok()) << i;
    }
  }
  // The decimal cases take the decimal encoding (1 chunk), and it is smaller than XOR.
  uint64_t chunks = 0;
  std::string dec = block::EncodeSampleGroup(cases[6], &chunks);
  EXPECT_EQ(chunks, 1u);
  block::EncodeSampleGroup(cases[2], &chunks);
  EXPECT_EQ(chunks, 1u);  // One XOR chunk of two samples.
}

TEST(BlockFormatTest, BlockIdsSortByTimeAndValidate) {
  std::mt19937_64 rng(7);
  std::string a = block::NewBlockId(1000, rng), b = block::NewBlockId(2000, rng);
  EXPECT_TRUE(block::IsValidBlockId(a));
  EXPECT_LT(a, b);
  EXPECT_FALSE(block::IsValidBlockId("short"));
  EXPECT_FALSE(block::IsValidBlockId(std::string(26, 'U')));  // Not in Crockford's alphabet.
  EXPECT_TRUE(block::IsValidNodeId("node-1.a_b"));
  EXPECT_FALSE(block::IsValidNodeId("Node"));
  EXPECT_FALSE(block::IsValidNodeId("-x"));
  EXPECT_FALSE(block::IsValidNodeId(""));
  EXPECT_FALSE(block::IsValidNodeId("a/b"));
}

TEST_F(ColdStoreTest, QueriesAcrossBlocksAnswerAsTheData) {
  auto data = MakeData(30, 0, 2 * kDay);
  auto cold = Open();
  AddBlock(cold.get(), data, 0, kDay, "warm:0");
  AddBlock(cold.get(), data, kDay, 2 * kDay, "warm:86400000");
  EXPECT_EQ(cold->Blocks().size(), 2u);
  EXPECT_TRUE(cold->FindOwnBySource("warm:86400000").has_value());
  EXPECT_FALSE(cold->FindOwnBySource("warm:1").has_value());
  EXPECT_EQ(cold->max_time(), 2 * kDay - kStep);

  std::vector<model::Matchers> selectors = {
      M({Eq("__name__", "m1")}),
      M({Re("__name__", "m.*"), Eq("job", "j0")}),
      M({Eq("__name__", "m2"), Neq("instance", "host-2")}),
      M({Re("instance", "host-1.*")}),
      M({Eq("__name__", "absent")}),
  };
  std::vector<std::pair<int64_t, int64_t>> ranges = {
      {0, 2 * kDay}, {kDay - 3600000, kDay + 3600000}, {100000, 200000}, {5 * kDay, 6 * kDay}};
  for (const auto& m : selectors) {
    for (auto [from, to] : ranges) {
      EXPECT_TRUE(SameSamples(Got(*cold, m, from, to), Expected(data, m, from, to)))
          << from << " " << to;
    }
  }
  // A series read twice (then with a limit) reads the same samples again.
  {
    SelectHints hints;
    hints.start_ms = 0;
    hints.end_ms = 2 * kDay;
    auto set = cold->Select(M({Eq("__name__", "m1")}), hints);
    ASSERT_TRUE(set.ok()) << set.status().ToString();
    const auto want = Expected(data, M({Eq("__name__", "m1")}), 0, 2 * kDay);
    size_t n = 0;
    while ((*set)->Next()) {
      std::vector<model::Sample> a, b, c;
      ASSERT_TRUE((*set)->ReadSamples(&a).ok());
      ASSERT_TRUE((*set)->ReadSamples(&b).ok());
      ASSERT_TRUE((*set)->ReadSamplesBefore(kDay, &c).ok());
      const auto& w = want.at((*set)->labels().ToString());
      EXPECT_TRUE(SameSamples({{"x", a}}, {{"x", w}}));
      EXPECT_TRUE(SameSamples({{"x", b}}, {{"x", w}}));
      EXPECT_TRUE(SameSamples({{"x", c}}, {{"x", w}}));  // Raw samples come whole.
      ++n;
    }
    EXPECT_EQ(n, want.size());
  }
  // A fresh store over the same objects (a restart) finds both blocks.
  auto again = Open();
  EXPECT_EQ(again->Blocks().size(), 2u);
  auto m = M({Eq("job", "j1")});
  EXPECT_TRUE(SameSamples(Got(*again, m, 0, 2 * kDay), Expected(data, m, 0, 2 * kDay)));

  auto series = cold->Series(M({Eq("__name__", "m0")}), 0, 2 * kDay);
  ASSERT_TRUE(series.ok());
  EXPECT_EQ(series->size(), 10u);
  auto names = cold->LabelNames({}, 0, 2 * kDay);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"__name__", "instance", "job"}));
  auto values = cold->LabelValues("__name__", {}, 0, 2 * kDay);
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(*values, (std::vector<std::string>{"m0", "m1", "m2"}));
  auto jobs =
      cold->LabelValues("job", {M({Eq("__name__", "m1"), Eq("instance", "host-1")})}, 0, 2 * kDay);
  ASSERT_TRUE(jobs.ok());
  EXPECT_EQ(*jobs, (std::vector<std::string>{"j1"}));
}

TEST_F(ColdStoreTest, ShortQueriesReadOnlyWhatTheyNeed) {
  auto data = MakeData(200, 0, kDay, /*noisy=*/true);
  auto cold = Open("n1", false, 0);  // No cache: every read goes to the store.
  BlockMeta meta = AddBlock(cold.get(), data, 0, kDay, "warm:0");
  state_->bytes_read = 0;
  auto m = M({Eq("instance", "host-7")});
  EXPECT_TRUE(SameSamples(Got(*cold, m, 3600000, 7200000), Expected(data, m, 3600000, 7200000)));
  // One series' hour: far less than the block.
  EXPECT_LT(state_->bytes_read, meta.TotalBytes() / 20)
      << state_->bytes_read << " of " << meta.TotalBytes();
}

TEST_F(ColdStoreTest, CacheServesRepeatedQueries) {
  auto data = MakeData(50, 0, kDay);
  auto cold = Open();
  AddBlock(cold.get(), data, 0, kDay, "warm:0");
  auto m = M({Eq("__name__", "m1")});
  auto first = Got(*cold, m, 0, kDay);
  uint64_t reads = state_->range_gets;
  auto second = Got(*cold, m, 0, kDay);
  EXPECT_EQ(state_->range_gets, reads);  // All from the cache.
  EXPECT_TRUE(SameSamples(first, second));
  ColdStats st = cold->Stats();
  EXPECT_GT(st.cache_hits, 0u);
  EXPECT_GT(st.bytes_fetched, 0u);
  EXPECT_EQ(st.blocks, 1u);
  EXPECT_EQ(st.samples, 50u * (kDay / kStep));
}

TEST_F(ColdStoreTest, CorruptBytesAreAnErrorNamingTheBlockNeverAWrongAnswer) {
  auto data = MakeData(6, 0, 3 * 3600000);
  auto writer = Open();
  BlockMeta meta = AddBlock(writer.get(), data, 0, 3 * 3600000, "warm:0");
  auto m = M({Re("__name__", "m.*")});
  auto want = Expected(data, m, 0, 3 * 3600000);
  const std::string name = meta.node + "/" + meta.id;
  for (const auto& f : meta.files) {
    const std::string key = block::BlockPrefix(meta.node, meta.id) + f.name;
    const std::string original = state_->objects[key].first;
    // Flip every byte of small files, a sample of large ones.
    size_t stride = std::max<size_t>(1, original.size() / 400);
    int errors = 0;
    for (size_t i = 0; i < original.size(); i += stride) {
      state_->objects[key].first[i] ^= 0x20;
      auto cold = Open("n2", true, 0);
      auto got = SelectAll(*cold, m, 0, 3 * 3600000);
      if (got.ok()) {
        std::map<std::string, std::vector<model::Sample>> g;
        for (auto& s : *got) g[s.labels.ToString()] = s.samples;
        EXPECT_TRUE(SameSamples(g, want)) << f.name << " byte " << i << " gave a wrong answer";
      } else {
        ++errors;
        EXPECT_EQ(got.status().code(), StatusCode::kCorruption) << got.status().ToString();
        EXPECT_NE(got.status().message().find(name), std::string::npos) << got.status().ToString();
      }
      state_->objects[key].first = original;
    }
    EXPECT_GT(errors, 0) << f.name;
  }
  // A truncated object.
  const std::string key = block::BlockPrefix(meta.node, meta.id) + "chunks/000001";
  state_->objects[key].first.resize(state_->objects[key].first.size() / 2);
  auto cold = Open("n2", true, 0);
  auto got = SelectAll(*cold, m, 0, 3 * 3600000);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find(name), std::string::npos);
}

TEST_F(ColdStoreTest, CorruptMetaIsSkippedNotFatal) {
  auto data = MakeData(3, 0, 3600000);
  auto cold = Open();
  BlockMeta meta = AddBlock(cold.get(), data, 0, 3600000, "warm:0");
  state_->objects[block::MetaKey(meta.node, meta.id)].first[10] ^= 1;
  auto again = Open();
  EXPECT_EQ(again->Blocks().size(), 0u);
}

TEST_F(ColdStoreTest, RetentionDeletesWholeBlocksMetaFirst) {
  auto data = MakeData(4, 0, 3 * kDay);
  auto cold = Open();
  AddBlock(cold.get(), data, 0, kDay, "warm:0");
  AddBlock(cold.get(), data, kDay, 2 * kDay, "warm:1");
  AddBlock(cold.get(), data, 2 * kDay, 3 * kDay, "warm:2");
  auto n = cold->DropBlocksBefore(2 * kDay);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(cold->Blocks().size(), 1u);
  auto m = M({Eq("job", "j0")});
  EXPECT_TRUE(Got(*cold, m, 0, 2 * kDay - 1).empty());
  EXPECT_TRUE(SameSamples(Got(*cold, m, 0, 3 * kDay), Expected(data, m, 2 * kDay, 3 * kDay)));
  // Only the remaining block's objects are left.
  for (const auto& [key, v] : state_->objects) {
    EXPECT_EQ(key.rfind(block::BlockPrefix("n1", cold->Blocks()[0].id), 0), 0u) << key;
  }
}

TEST_F(ColdStoreTest, UploadFailureLeavesNoBlockAndPartialObjectsAreCollected) {
  auto data = MakeData(4, 0, 3600000);
  auto cold = Open();
  std::mt19937_64 rng(3);
  BlockMeta meta;
  meta.id = block::NewBlockId(1, rng);
  meta.node = "n1";
  meta.source = "warm:0";
  std::string dir = (dir_ / meta.id).string();
  auto w = block::BlockWriter::Create(dir, meta);
  ASSERT_TRUE(w.ok());
  for (const auto& s : data) {
    std::vector<block::ChunkData> refs;
    auto keep = Encode(s.samples, &refs);
    ASSERT_TRUE((*w)->AddSeries(s.labels, refs).ok());
  }
  auto m = (*w)->Finish();
  ASSERT_TRUE(m.ok());
  state_->fault = [](const std::string& op, const std::string& key) {
    if (op == "put" && key.ends_with("meta.json")) return Status::IOError("injected");
    return Status::Ok();
  };
  EXPECT_FALSE(cold->Upload(dir, *m).ok());
  state_->fault = nullptr;
  EXPECT_TRUE(cold->Blocks().empty());
  EXPECT_FALSE(state_->objects.empty());  // The data files are there, uncommitted.
  auto again = Open();
  EXPECT_TRUE(again->Blocks().empty());
  // Within the grace period nothing goes; after it, every uncommitted object does.
  auto n = again->CollectPartialUploads(state_->now_ms + 1000);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
  n = again->CollectPartialUploads(state_->now_ms + 2 * 3600 * 1000);
  ASSERT_TRUE(n.ok());
  EXPECT_GT(*n, 0);
  EXPECT_TRUE(state_->objects.empty());
}

// A listing that leaves out committed blocks' meta.json (an eventually consistent store) must
// not get them collected as partial uploads: a block this process knows, and one it does not
// whose meta.json a direct read finds, both stay; an object without a modification time counts
// as new.
TEST_F(ColdStoreTest, PartialUploadCollectionTrustsNoSingleListing) {
  auto data = MakeData(4, 0, 7200000);
  auto cold = Open();
  AddBlock(cold.get(), data, 0, 3600000, "warm:0");
  auto other = Open();  // Written by this node's previous process: unknown to `cold`.
  AddBlock(other.get(), data, 3600000, 7200000, "warm:1");
  ASSERT_EQ(other->Blocks().size(), 2u);
  const size_t objects = state_->objects.size();
  state_->hide_from_list = [](const std::string& key) { return key.ends_with("/meta.json"); };
  auto n = cold->CollectPartialUploads(state_->now_ms + 2 * 3600 * 1000);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 0);
  EXPECT_EQ(state_->objects.size(), objects);
  state_->hide_from_list = nullptr;
  // A real partial upload whose objects carry no time: kept until they have one.
  state_->objects["n1/01ZZZZZZZZZZZZZZZZZZZZZZZZ/index"] = {"x", 0};
  n = cold->CollectPartialUploads(state_->now_ms + 2 * 3600 * 1000);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
  state_->objects["n1/01ZZZZZZZZZZZZZZZZZZZZZZZZ/index"] = {"x", state_->now_ms};
  n = cold->CollectPartialUploads(state_->now_ms + 2 * 3600 * 1000);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(state_->objects.size(), objects);
  EXPECT_EQ(cold->Blocks().size(), 1u);
}

TEST_F(ColdStoreTest, NodesSeeEachOthersBlocksOnlyWithReadAllNodes) {
  auto data = MakeData(10, 0, 3600000);
  std::vector<Series> a, b;
  for (size_t i = 0; i < data.size(); ++i) (i % 2 ? a : b).push_back(data[i]);
  auto n1 = Open("n1");
  auto n2 = Open("n2");
  AddBlock(n1.get(), a, 0, 3600000, "warm:0");
  AddBlock(n2.get(), b, 0, 3600000, "warm:0");
  auto m = M({Re("__name__", ".+")});
  EXPECT_TRUE(SameSamples(Got(*n1, m, 0, 3600000), Expected(a, m, 0, 3600000)));
  auto all = Open("n1", true);
  EXPECT_TRUE(SameSamples(Got(*all, m, 0, 3600000), Expected(data, m, 0, 3600000)));
  // A node never deletes another node's blocks.
  EXPECT_FALSE(all->Delete(n2->Blocks()[0]).ok());
  auto dropped = all->DropBlocksBefore(INT64_MAX);
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, 1);
  ASSERT_TRUE(all->Sync().ok());
  EXPECT_EQ(all->Blocks().size(), 1u);
  EXPECT_EQ(all->Blocks()[0].node, "n2");
}

// Queries run while blocks are uploaded, re-listed and dropped by retention: every answer holds
// only correct samples (each day whole or absent), and the only error is the documented
// "deleted while the query read it".
TEST_F(ColdStoreTest, QueriesRunWhileBlocksComeAndGo) {
  constexpr int kDays = 8;
  auto data = MakeData(12, 0, kDays * kDay);
  auto cold = Open("n1");
  AddBlock(cold.get(), data, 0, kDay, "warm:0");
  std::atomic<bool> stop{false};
  std::atomic<int> answers{0}, deleted_errors{0};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      auto m = M({Re("__name__", "m.*"), Eq("job", r == 0 ? "j0" : "j1")});
      std::map<std::string, const Series*> by_labels;
      for (const auto& s : data) by_labels[s.labels.ToString()] = &s;
      while (!stop.load()) {
        auto got = SelectAll(*cold, m, 0, kDays * kDay);
        if (!got.ok()) {
          if (got.status().code() == StatusCode::kUnavailable &&
              got.status().message().find("was deleted") != std::string::npos) {
            deleted_errors++;
          } else {
            ADD_FAILURE() << got.status().ToString();
            bad++;
          }
          continue;
        }
        for (const auto& s : *got) {
          const Series* want = by_labels[s.labels.ToString()];
          if (want == nullptr) {
            bad++;
            continue;
          }
          // Every sample is the series' sample at that time; whole days only.
          std::map<int64_t, double> expect;
          for (const auto& x : want->samples) expect[x.timestamp_ms] = x.value;
          std::map<int64_t, int> per_day;
          for (const auto& x : s.samples) {
            auto it = expect.find(x.timestamp_ms);
            if (it == expect.end() || it->second != x.value) bad++;
            per_day[x.timestamp_ms / kDay]++;
          }
          for (const auto& [day, n] : per_day) {
            if (n != kDay / kStep) bad++;
          }
        }
        answers++;
      }
    });
  }
  std::thread syncer([&] {
    while (!stop.load()) {
      EXPECT_TRUE(cold->Sync().ok());
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  for (int d = 1; d < kDays; ++d) {
    AddBlock(cold.get(), data, d * kDay, (d + 1) * kDay, "warm:" + std::to_string(d * kDay));
    if (d >= 3) {
      auto n = cold->DropBlocksBefore((d - 2) * kDay);
      EXPECT_TRUE(n.ok());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // On a loaded host the readers may not have finished a query yet: wait for one (bounded).
  for (int i = 0; i < 30000 && answers.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop.store(true);
  for (auto& t : readers) t.join();
  syncer.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(answers.load(), 0);
  EXPECT_EQ(cold->Blocks().size(), 3u);
}

TEST_F(ColdStoreTest, WriterRejectsMisuse) {
  std::mt19937_64 rng(3);
  BlockMeta meta;
  meta.id = block::NewBlockId(1, rng);
  meta.node = "n1";
  auto w = block::BlockWriter::Create((dir_ / "x").string(), meta);
  ASSERT_TRUE(w.ok());
  std::vector<model::Sample> s = {{1, 1}, {2, 2}};
  std::vector<block::ChunkData> refs;
  auto keep = Encode(s, &refs);
  ASSERT_TRUE((*w)->AddSeries(L({{"a", "2"}}), refs).ok());
  EXPECT_FALSE((*w)->AddSeries(L({{"a", "1"}}), refs).ok());  // Out of order.
  std::vector<block::ChunkData> overlapping = {refs[0], refs[0]};
  EXPECT_FALSE((*w)->AddSeries(L({{"a", "3"}}), overlapping).ok());
  EXPECT_TRUE((*w)->Finish().ok());
  EXPECT_FALSE((*w)->Finish().ok());
  auto empty = block::BlockWriter::Create((dir_ / "y").string(), meta);
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE((*empty)->Finish().ok());
}

}  // namespace
}  // namespace strata::storage

namespace strata::storage {
namespace {

std::string Hex(std::string_view b) {
  std::string out;
  char buf[4];
  for (unsigned char c : b) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    out += buf;
  }
  return out;
}

// The worked example of docs/format/block.md, byte for byte.
TEST(BlockFormatTest, WorkedExample) {
  block::SeriesEntry e;
  e.labels = L({{"__name__", "up"}, {"job", "a"}});
  std::vector<model::Sample> samples = {{1700006400000, 1.0}, {1700006415000, 1.0}};
  block::GroupRef ref;
  ref.min_time = 1700006400000;
  ref.max_time = 1700006415000;
  ref.samples = 2;
  std::string group = block::EncodeSampleGroup(samples, &ref.chunks);
  ref.file = 1;
  ref.offset = block::kFileHeaderBytes;
  ref.length = group.size();
  e.groups.push_back(ref);
  std::string index = block::EncodeIndex({e}, block::kFormatVersion1);
  const char* want_group = "000202000080c0b884fa62b0ea010200e31d97ee";
  const char* want_index =
      "53545249445830310100000004085f5f6e616d655f5f0161036a6f620275701d83b0cb010000000000000"
      "0adcf14c502000300060201060657a15e2b1302000302010180c0b884fa629875010c140102f10137110100a5"
      "efc3e20100a5efc3e20c0000000000000023000000000000002f000000000000003c00000000000000540000"
      "000000000060000000000000005354524944585443e9bb0b31";
  EXPECT_EQ(Hex(group), want_group);
  EXPECT_EQ(Hex(index), want_index);
}

}  // namespace
}  // namespace strata::storage
