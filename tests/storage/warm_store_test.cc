// Tests for the warm tier (src/storage/warm_store.h, docs/format/warm.md): round trips over
// partitions and matcher types, idempotent moves, reopening, format and width checks, damaged
// chunk records (every flip and truncation is Corruption), junk files, drops and disk space,
// label queries, and a seeded random comparison against an in-memory model.
#include "storage/warm_store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/coding.h"
#include "model/matcher.h"
#include "model/sample.h"
#include "storage/warm/keys.h"
#include "storage/warm/postings_merge.h"
#include "storage/warm/rocks_options.h"
#include "storage/xor_chunk.h"
#include "testutil/process.h"

namespace strata::storage {
namespace {

namespace fs = std::filesystem;
using model::Labels;
using model::Matcher;
using model::Matchers;
using model::MatchType;
using model::Sample;

constexpr int64_t kWidth = 10'000;  // Partition width used by most tests.

Labels L(std::vector<model::Label> pairs) { return Labels::FromPairs(std::move(pairs)).value(); }

WarmChunk MakeChunk(const std::vector<Sample>& samples) {
  XorChunk chunk;
  Result<XorAppender> app = XorAppender::Open(&chunk);
  EXPECT_TRUE(app.ok());
  for (const Sample& s : samples) EXPECT_TRUE(app->Append(s.timestamp_ms, s.value).ok());
  auto b = chunk.bytes();
  return {samples.front().timestamp_ms, samples.back().timestamp_ms,
          std::string(reinterpret_cast<const char*>(b.data()), b.size())};
}

// Samples at t = from, from + step, ... < to with value t / 1000 + offset.
std::vector<Sample> Ramp(int64_t from, int64_t to, int64_t step, double offset = 0) {
  std::vector<Sample> out;
  for (int64_t t = from; t < to; t += step) {
    out.push_back({t, static_cast<double>(t) / 1000 + offset});
  }
  return out;
}

WarmOptions TestOptions(int64_t width = kWidth) {
  WarmOptions o;
  o.partition_ms = width;
  o.block_cache_bytes = size_t{4} << 20;
  o.sync = false;
  return o;
}

std::unique_ptr<WarmStore> OpenStore(const std::string& dir, WarmOptions o = TestOptions()) {
  Result<std::unique_ptr<WarmStore>> s = WarmStore::Open(dir, o, nullptr);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

struct Got {
  Labels labels;
  std::vector<Sample> samples;
};

// Select + read everything; records the first error.
std::vector<Got> SelectAll(const WarmStore& store, const Matchers& ms, int64_t start, int64_t end,
                           Status* err = nullptr) {
  SelectHints hints;
  hints.start_ms = start;
  hints.end_ms = end;
  std::vector<Got> out;
  Result<std::unique_ptr<SeriesSet>> set = store.Select(ms, hints);
  if (!set.ok()) {
    if (err != nullptr) {
      *err = set.status();
    } else {
      ADD_FAILURE() << set.status().ToString();
    }
    return out;
  }
  while ((*set)->Next()) {
    Got g{(*set)->labels(), {}};
    Status s = (*set)->ReadSamples(&g.samples);
    if (!s.ok()) {
      if (err != nullptr) {
        *err = s;
      } else {
        ADD_FAILURE() << s.ToString();
      }
      return out;
    }
    out.push_back(std::move(g));
  }
  EXPECT_TRUE((*set)->status().ok());
  return out;
}

::testing::AssertionResult SameSamples(const std::vector<Sample>& want,
                                       const std::vector<Sample>& got) {
  if (want.size() != got.size()) {
    return ::testing::AssertionFailure()
           << "want " << want.size() << " samples, got " << got.size();
  }
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i].timestamp_ms != got[i].timestamp_ms ||
        std::bit_cast<uint64_t>(want[i].value) != std::bit_cast<uint64_t>(got[i].value)) {
      return ::testing::AssertionFailure()
             << "sample " << i << ": want (" << want[i].timestamp_ms << ", " << want[i].value
             << "), got (" << got[i].timestamp_ms << ", " << got[i].value << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

std::vector<Sample> Window(const std::vector<Sample>& all, int64_t start, int64_t end) {
  std::vector<Sample> out;
  for (const Sample& s : all) {
    if (s.timestamp_ms >= start && s.timestamp_ms <= end) out.push_back(s);
  }
  return out;
}

Matcher M(MatchType type, std::string name, std::string value) {
  return Matcher::Make(type, std::move(name), std::move(value)).value();
}

// The raw RocksDB of a closed store, for tests that damage or inspect it.
class RawDb {
 public:
  // setup_ holds the compaction filter the options point at: it outlives db_.
  explicit RawDb(const std::string& dir) : setup_(warm::MakeRocksSetup(size_t{1} << 20)) {
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(setup_.db, dir, setup_.families, &cfs_, &raw);
    EXPECT_TRUE(s.ok()) << s.ToString();
    db_.reset(raw);
  }
  ~RawDb() {
    if (db_ == nullptr) return;
    for (auto* h : cfs_) EXPECT_TRUE(db_->DestroyColumnFamilyHandle(h).ok());
    EXPECT_TRUE(db_->Close().ok());
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  RawDb(RawDb&&) = delete;
  RawDb& operator=(RawDb&&) = delete;

  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* cf(warm::CfIndex i) { return cfs_[i]; }

  // Every key/value of one family.
  std::vector<std::pair<std::string, std::string>> Scan(warm::CfIndex i) {
    std::vector<std::pair<std::string, std::string>> out;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf(i)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      out.emplace_back(it->key().ToString(), it->value().ToString());
    }
    EXPECT_TRUE(it->status().ok());
    return out;
  }
  void Put(warm::CfIndex i, const std::string& k, const std::string& v) {
    ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), cf(i), k, v).ok());
  }

 private:
  warm::RocksSetup setup_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs_;
};

std::string Hex(std::string_view s) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (!out.empty()) out.push_back(' ');
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// Three series over three partitions [0, 30000), samples every second.
struct Fixture {
  Labels cpu_a = L({{"__name__", "cpu"}, {"job", "a"}, {"env", "prod"}});
  Labels cpu_b = L({{"__name__", "cpu"}, {"job", "b"}});
  Labels mem_a = L({{"__name__", "mem"}, {"job", "a"}, {"env", "dev"}});
  std::map<Labels, std::vector<Sample>> all;

  void Write(WarmStore* store) {
    for (int64_t part = 0; part < 3 * kWidth; part += kWidth) {
      std::vector<WarmSeriesData> data;
      auto add = [&](const Labels& ls, double offset, int64_t step) {
        std::vector<Sample> a = Ramp(part, part + kWidth / 2, step, offset);
        std::vector<Sample> b = Ramp(part + kWidth / 2, part + kWidth, step, offset);
        data.push_back({ls, {MakeChunk(a), MakeChunk(b)}});
        auto& dst = all[ls];
        dst.insert(dst.end(), a.begin(), a.end());
        dst.insert(dst.end(), b.begin(), b.end());
      };
      add(cpu_a, 0, 1000);
      add(cpu_b, 100, 500);
      if (part != kWidth) add(mem_a, 200, 1000);  // mem is absent from the middle partition.
      ASSERT_TRUE(store->WriteRange(part, part + kWidth, data).ok());
    }
  }
};

TEST(WarmStoreTest, WorkedExampleBytes) {
  const int64_t part = 1700006400000;
  EXPECT_EQ(warm::PartitionStart(1700006415000, 86400000), part);
  EXPECT_EQ(Hex(warm::PartitionPrefix(part)), "80 00 01 8b d0 47 10 00");
  EXPECT_EQ(Hex(warm::PartitionPrefix(-1)), "7f ff ff ff ff ff ff ff");
  EXPECT_EQ(Hex(warm::PartitionPrefix(0)), "80 00 00 00 00 00 00 00");
  const Labels up = L({{"__name__", "up"}, {"job", "a"}});
  EXPECT_EQ(Hex(warm::SeriesByLabelsKey(up)),
            "4c 02 08 5f 5f 6e 61 6d 65 5f 5f 02 75 70 03 6a 6f 62 01 61");
  EXPECT_EQ(Hex(warm::SeriesByIdKey(0)), "49 00 00 00 00 00 00 00 00");
  EXPECT_EQ(Hex(warm::AllSeriesPostingsKey(part)), "80 00 01 8b d0 47 10 00 00");
  EXPECT_EQ(warm::PostingsKey(part, "job", "a"),
            warm::PartitionPrefix(part) + "job" + std::string(1, '\0') + "a");
  EXPECT_EQ(Hex(warm::ChunkKey(part, 0, part)),
            "80 00 01 8b d0 47 10 00 00 00 00 00 00 00 00 00 80 00 01 8b d0 47 10 00");
  EXPECT_EQ(Hex(warm::EncodeFixed64Value(1700013600000)), "00 ed b4 d0 8b 01 00 00");
  WarmChunk c = MakeChunk({{1700006400000, 1.0}, {1700006415000, 1.0}});
  std::vector<WarmChunk> chunks{c};
  const std::string record = warm::EncodeChunkRecord(chunks);
  EXPECT_EQ(Hex(c.bytes), "00 02 80 c0 b8 84 fa 62 3f f0 00 00 00 00 00 00 98 75 00");
  EXPECT_EQ(Hex(record),
            "01 01 80 c0 b8 84 fa 62 98 75 13 00 02 80 c0 b8 84 fa 62 3f f0 00 00 00 00 00 00 "
            "98 75 00 35 90 65 87");
}

TEST(WarmStoreTest, ChunkRecordRoundTripsAndRejectsEveryTruncationAndFlip) {
  std::vector<WarmChunk> chunks{MakeChunk(Ramp(-5000, -1000, 700)),
                                MakeChunk(Ramp(-1000, 3000, 300, 1.5)),
                                MakeChunk({{INT64_MAX - 10, 1.0}})};
  const std::string record = warm::EncodeChunkRecord(chunks);
  std::vector<warm::RecordChunk> got;
  ASSERT_TRUE(warm::DecodeChunkRecord(record, &got).ok());
  ASSERT_EQ(got.size(), chunks.size());
  for (size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_EQ(got[i].min_t, chunks[i].min_t);
    EXPECT_EQ(got[i].max_t, chunks[i].max_t);
    EXPECT_EQ(got[i].bytes, chunks[i].bytes);
  }
  for (size_t n = 0; n < record.size(); ++n) {
    Status s = warm::DecodeChunkRecord(std::string_view(record).substr(0, n), &got);
    EXPECT_TRUE(s.IsCorruption()) << "length " << n << ": " << s.ToString();
  }
  for (size_t i = 0; i < record.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = record;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      Status s = warm::DecodeChunkRecord(bad, &got);
      EXPECT_TRUE(s.IsCorruption()) << "byte " << i << " bit " << bit;
    }
  }
}

// Samples of a scraped-looking counter: short decimals at a 15 s step with a little jitter.
std::vector<Sample> Scraped(int64_t from, size_t n, double start, double step) {
  std::vector<Sample> out;
  double v = start;
  for (size_t i = 0; i < n; ++i) {
    out.push_back({from + static_cast<int64_t>(i) * 15000 + static_cast<int64_t>(i % 3), v});
    v = std::round((v + step * static_cast<double>(i % 7)) * 100) / 100;
  }
  return out;
}

std::vector<Sample> DecodeAll(std::string_view record) {
  std::vector<warm::RecordChunk> chunks;
  std::vector<Sample> out;
  EXPECT_TRUE(warm::DecodeChunkRecord(record, &chunks).ok());
  Status s = warm::RecordSamples(chunks, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

TEST(WarmStoreTest, GroupRecordRoundTripsAndRejectsEveryTruncationAndFlip) {
  // 5000 samples (two groups, the first full), then non-decimal values (an XOR group), the
  // stale marker, NaN and negative times.
  std::vector<Sample> samples = Scraped(-40000, 5000, 0.25, 1.5);
  const int64_t t = samples.back().timestamp_ms;
  samples.push_back({t + 1, 0.1 + 0.2});
  samples.push_back({t + 2, std::bit_cast<double>(uint64_t{0x7ff0000000000002})});
  samples.push_back({t + 3, std::nan("")});
  const std::string record = warm::EncodeGroupRecord(samples);
  std::vector<warm::RecordChunk> got;
  ASSERT_TRUE(warm::DecodeChunkRecord(record, &got).ok());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].group);
  EXPECT_EQ(got[0].samples, 4096u);
  EXPECT_EQ(got[0].chunks, 1u);  // Decimal.
  EXPECT_EQ(got[1].samples, samples.size() - 4096);
  EXPECT_GT(got[1].chunks, 1u);  // The tail is not decimal: XOR chunks of 120.
  EXPECT_EQ(got[0].min_t, samples.front().timestamp_ms);
  EXPECT_EQ(got[1].max_t, samples.back().timestamp_ms);
  EXPECT_TRUE(SameSamples(samples, DecodeAll(record)));

  // A short one for the exhaustive damage loops.
  const std::string small = warm::EncodeGroupRecord(Scraped(1000, 12, 7.5, 0.5));
  for (size_t n = 0; n < small.size(); ++n) {
    Status s = warm::DecodeChunkRecord(std::string_view(small).substr(0, n), &got);
    EXPECT_TRUE(s.IsCorruption()) << "length " << n << ": " << s.ToString();
  }
  for (size_t i = 0; i < small.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = small;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      Status s = warm::DecodeChunkRecord(bad, &got);
      EXPECT_TRUE(s.IsCorruption()) << "byte " << i << " bit " << bit;
    }
  }
  // Right CRC, damaged group inside: the group's own CRC catches it when it is decoded.
  ASSERT_TRUE(warm::DecodeChunkRecord(small, &got).ok());
  std::string inner(got[0].bytes);
  inner[inner.size() / 2] = static_cast<char>(inner[inner.size() / 2] ^ 1);
  std::string rebuilt = small.substr(0, small.size() - 4 - inner.size()) + inner;
  PutFixed32(&rebuilt, Crc32c(rebuilt));
  ASSERT_TRUE(warm::DecodeChunkRecord(rebuilt, &got).ok());
  std::vector<Sample> out;
  EXPECT_TRUE(warm::RecordSamples(got, &out).IsCorruption());
}

TEST(WarmStoreTest, TranscodeKeepsEverySampleAndOnlyShrinks) {
  // Two head-style chunks of a scraped counter: re-encoded, smaller, the same bits.
  std::vector<Sample> samples = Scraped(1'700'000'000'000, 480, 1234.5, 0.25);
  std::vector<WarmChunk> chunks{
      MakeChunk(std::vector<Sample>(samples.begin(), samples.begin() + 120)),
      MakeChunk(std::vector<Sample>(samples.begin() + 120, samples.end()))};
  const std::string v1 = warm::EncodeChunkRecord(chunks);
  std::string v2;
  ASSERT_EQ(warm::TranscodeRecord(v1, &v2), warm::TranscodeOutcome::kDone);
  EXPECT_EQ(static_cast<uint8_t>(v2[0]), warm::kGroupRecordVersion);
  // Stored raw; what the block compression makes of it is smaller.
  std::string packed(ZSTD_compressBound(v2.size()), '\0');
  EXPECT_LT(ZSTD_compress(packed.data(), packed.size(), v2.data(), v2.size(), 1), v1.size());
  EXPECT_TRUE(SameSamples(samples, DecodeAll(v2)));
  // Already version 2, damaged, overlapping chunks, or values that are not short decimals
  // (re-cut Gorilla chunks would be no smaller): kept as they are.
  std::string out = "untouched";
  EXPECT_EQ(warm::TranscodeRecord(v2, &out), warm::TranscodeOutcome::kKept);
  std::string bad = v1;
  bad[bad.size() / 2] = static_cast<char>(bad[bad.size() / 2] ^ 4);
  EXPECT_EQ(warm::TranscodeRecord(bad, &out), warm::TranscodeOutcome::kKept);
  std::vector<WarmChunk> overlapping{MakeChunk(Ramp(0, 5000, 1000)),
                                     MakeChunk(Ramp(4000, 9000, 1000, 1))};
  EXPECT_EQ(warm::TranscodeRecord(warm::EncodeChunkRecord(overlapping), &out),
            warm::TranscodeOutcome::kKept);
  std::vector<Sample> roots;
  for (int i = 0; i < 120; ++i) roots.push_back({i * 15000, std::sqrt(i + 2.0)});
  std::vector<WarmChunk> irrational{MakeChunk(roots)};
  EXPECT_EQ(warm::TranscodeRecord(warm::EncodeChunkRecord(irrational), &out),
            warm::TranscodeOutcome::kKept);
  EXPECT_EQ(out, "untouched");
}

TEST(WarmStoreTest, CompactionReencodesRecordsAndReadsTheSame) {
  testutil::TempDir dir;
  const Labels counter = L({{"__name__", "c"}});
  const Labels odd = L({{"__name__", "odd"}});
  std::map<Labels, std::vector<Sample>> all;
  std::vector<std::vector<WarmSeriesData>> writes;
  for (int64_t part = 0; part < 2; ++part) {
    const int64_t from = part * 86'400'000;
    std::vector<Sample> c = Scraped(from, 480, 100 + static_cast<double>(part), 0.5);
    std::vector<Sample> o;
    for (int i = 0; i < 200; ++i) o.push_back({from + i * 15000, std::sqrt(i + 2.0)});
    all[counter].insert(all[counter].end(), c.begin(), c.end());
    all[odd].insert(all[odd].end(), o.begin(), o.end());
    writes.push_back({{counter,
                       {MakeChunk(std::vector<Sample>(c.begin(), c.begin() + 120)),
                        MakeChunk(std::vector<Sample>(c.begin() + 120, c.end()))}},
                      {odd, {MakeChunk(o)}}});
  }
  WarmOptions o = TestOptions(86'400'000);
  o.reencode_moves = false;  // Leave the re-encoding to the compaction.
  std::vector<WarmPartitionInfo> before;
  {
    auto store = OpenStore(dir.path(), o);
    ASSERT_NE(store, nullptr);
    for (int64_t part = 0; part < 2; ++part) {
      ASSERT_TRUE(store->WriteRange(part * 86'400'000, (part + 1) * 86'400'000, writes[part]).ok());
    }
    before = store->Stats().partitions;
    ASSERT_TRUE(store->Close().ok());
  }
  {
    // These moves write version 1.
    RawDb raw(dir.path());
    for (const auto& [k, v] : raw.Scan(warm::kChunksCf)) {
      EXPECT_EQ(static_cast<uint8_t>(v[0]), warm::kChunkRecordVersion);
    }
  }
  {
    auto store = OpenStore(dir.path(), o);  // Enables the filter.
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->CompactChunks().ok());
    const WarmStats st = store->Stats();
    EXPECT_EQ(st.transcoded_records, 2u);  // The counter's; the odd values stay Gorilla.
    EXPECT_EQ(st.transcode_failures, 0u);
    EXPECT_LT(st.transcoded_bytes_after, st.transcoded_bytes_before);
    for (const Labels& ls : {counter, odd}) {
      std::vector<Got> got =
          SelectAll(*store, {Matcher::Equal("__name__", std::string(ls.Get("__name__")))},
                    INT64_MIN, INT64_MAX);
      ASSERT_EQ(got.size(), 1u);
      EXPECT_TRUE(SameSamples(all[ls], got[0].samples)) << ls.ToString();
      // A window inside a group.
      const int64_t a = all[ls][50].timestamp_ms, b = all[ls][70].timestamp_ms;
      got = SelectAll(*store, {Matcher::Equal("__name__", std::string(ls.Get("__name__")))}, a, b);
      ASSERT_EQ(got.size(), 1u);
      EXPECT_TRUE(SameSamples(Window(all[ls], a, b), got[0].samples));
    }
    // The cold move reads them too.
    Result<std::vector<std::pair<uint64_t, Labels>>> series = store->PartitionSeries(0);
    ASSERT_TRUE(series.ok());
    for (const auto& [id, ls] : *series) {
      Result<std::vector<Sample>> s = store->PartitionSamples(0, id);
      ASSERT_TRUE(s.ok());
      EXPECT_TRUE(SameSamples(Window(all[ls], 0, 86'400'000 - 1), *s));
    }
    // Overwriting a re-encoded record counts its samples once.
    ASSERT_TRUE(store->WriteRange(0, 86'400'000, writes[0]).ok());
    std::vector<WarmPartitionInfo> after = store->Stats().partitions;
    ASSERT_EQ(after.size(), before.size());
    for (size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i].samples, before[i].samples);
    ASSERT_TRUE(store->Close().ok());
  }
  RawDb raw(dir.path());
  int v2 = 0;
  for (const auto& [k, v] : raw.Scan(warm::kChunksCf)) v2 += static_cast<uint8_t>(v[0]) == 2;
  EXPECT_EQ(v2, 1);  // Partition 1's counter; partition 0's was just overwritten by version 1.
}

TEST(WarmStoreTest, MovesWriteGroupsWhereTheyShrink) {
  testutil::TempDir dir;
  const Labels counter = L({{"__name__", "c"}});
  const Labels odd = L({{"__name__", "odd"}});
  std::vector<Sample> c = Scraped(0, 480, 100, 0.5);
  std::vector<Sample> o;
  for (int i = 0; i < 200; ++i) o.push_back({i * int64_t{15000}, std::sqrt(i + 2.0)});
  const std::vector<WarmSeriesData> write = {
      {counter,
       {MakeChunk(std::vector<Sample>(c.begin(), c.begin() + 120)),
        MakeChunk(std::vector<Sample>(c.begin() + 120, c.end()))}},
      {odd, {MakeChunk(o)}}};
  const WarmOptions opts = TestOptions(86'400'000);
  ASSERT_TRUE(opts.reencode_moves);  // The default.
  std::vector<WarmPartitionInfo> before;
  {
    auto store = OpenStore(dir.path(), opts);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->WriteRange(0, 86'400'000, write).ok());
    const WarmStats st = store->Stats();
    EXPECT_EQ(st.transcoded_records, 1u);  // The counter's; the odd values stay Gorilla.
    EXPECT_EQ(st.transcode_failures, 0u);
    EXPECT_LT(st.transcoded_bytes_after, st.transcoded_bytes_before);
    before = st.partitions;
    ASSERT_EQ(before.size(), 1u);
    EXPECT_EQ(before[0].samples, c.size() + o.size());
    EXPECT_EQ(before[0].chunks, 2u);  // Records.
    for (const auto& [ls, want] : {std::pair{counter, c}, std::pair{odd, o}}) {
      const Matchers m = {Matcher::Equal("__name__", std::string(ls.Get("__name__")))};
      std::vector<Got> got = SelectAll(*store, m, INT64_MIN, INT64_MAX);
      ASSERT_EQ(got.size(), 1u);
      EXPECT_TRUE(SameSamples(want, got[0].samples)) << ls.ToString();
      const int64_t a = want[50].timestamp_ms, b = want[70].timestamp_ms;
      got = SelectAll(*store, m, a, b);
      ASSERT_EQ(got.size(), 1u);
      EXPECT_TRUE(SameSamples(Window(want, a, b), got[0].samples)) << ls.ToString();
    }
    // A replayed move overwrites its records and counts their samples once.
    ASSERT_TRUE(store->WriteRange(0, 86'400'000, write).ok());
    EXPECT_EQ(store->Stats().partitions[0].samples, before[0].samples);
    EXPECT_EQ(store->Stats().partitions[0].chunks, before[0].chunks);
    ASSERT_TRUE(store->Close().ok());
  }
  RawDb raw(dir.path());
  std::map<uint8_t, int> versions;
  for (const auto& [k, v] : raw.Scan(warm::kChunksCf)) ++versions[static_cast<uint8_t>(v[0])];
  EXPECT_EQ(versions[warm::kChunkRecordVersion], 1);  // The odd values.
  EXPECT_EQ(versions[2], 1);                          // The counter.
}

TEST(WarmStoreTest, FormatVersionOneIsMigrated) {
  testutil::TempDir dir;
  Fixture f;
  {
    auto store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    f.Write(store.get());
    ASSERT_TRUE(store->Close().ok());
  }
  {
    RawDb raw(dir.path());
    raw.Put(warm::kMetaCf, std::string(warm::kMetaFormatVersion), warm::EncodeFixed64Value(1));
  }
  {
    auto store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    std::vector<Got> got = SelectAll(*store, {Matcher::Equal("job", "a")}, INT64_MIN, INT64_MAX);
    ASSERT_EQ(got.size(), 2u);
    for (const Got& g : got) EXPECT_TRUE(SameSamples(f.all[g.labels], g.samples));
    ASSERT_TRUE(store->Close().ok());
  }
  RawDb raw(dir.path());
  std::string v;
  ASSERT_TRUE(raw.db()
                  ->Get(rocksdb::ReadOptions(), raw.cf(warm::kMetaCf),
                        std::string(warm::kMetaFormatVersion), &v)
                  .ok());
  EXPECT_EQ(v, warm::EncodeFixed64Value(2));
}

TEST(WarmStoreTest, RoundTripAcrossPartitionsAndMatcherTypes) {
  testutil::TempDir dir;
  // Version 1 records, so that Series is exact at chunk level (case 8); a version 2 record's
  // groups are as coarse as a cold block's (up to 4096 samples).
  WarmOptions o = TestOptions();
  o.reencode_moves = false;
  auto store = OpenStore(dir.path(), o);
  ASSERT_NE(store, nullptr);
  Fixture f;
  f.Write(store.get());

  struct Case {
    Matchers ms;
    int64_t start, end;
    std::vector<Labels> want;
  };
  const std::vector<Case> cases = {
      {{Matcher::Equal("__name__", "cpu")}, INT64_MIN, INT64_MAX, {f.cpu_a, f.cpu_b}},
      {{Matcher::Equal("job", "a")}, 0, 29999, {f.cpu_a, f.mem_a}},
      {{Matcher::Equal("job", "a"), Matcher::NotEqual("env", "dev")}, 0, 29999, {f.cpu_a}},
      {{M(MatchType::kRegexMatch, "__name__", "c.*|m.m")},
       2500,
       27000,
       {f.cpu_a, f.cpu_b, f.mem_a}},
      {{M(MatchType::kRegexMatch, "job", ".+"), M(MatchType::kRegexNoMatch, "env", "pr.*")},
       INT64_MIN,
       INT64_MAX,
       {f.cpu_b, f.mem_a}},
      {{Matcher::Equal("__name__", "mem")}, 12000, 18000, {}},  // Only in the middle gap.
      {{Matcher::Equal("__name__", "nope")}, INT64_MIN, INT64_MAX, {}},
      {{Matcher::Equal("nolabel", "x")}, INT64_MIN, INT64_MAX, {}},
      // 4500 falls in a gap between cpu_a's chunks: Series is exact at chunk level.
      {{Matcher::Equal("__name__", "cpu")}, 4500, 4500, {f.cpu_b}},
      {{Matcher::Equal("__name__", "cpu")}, 40000, 50000, {}},
  };
  for (size_t ci = 0; ci < cases.size(); ++ci) {
    const Case& c = cases[ci];
    std::vector<Got> got = SelectAll(*store, c.ms, c.start, c.end);
    std::vector<Labels> got_labels;
    for (const Got& g : got) {
      std::vector<Sample> want = Window(f.all[g.labels], c.start, c.end);
      EXPECT_TRUE(SameSamples(want, g.samples)) << "case " << ci << " " << g.labels.ToString();
      if (!g.samples.empty()) got_labels.push_back(g.labels);
    }
    EXPECT_EQ(got_labels, c.want) << "case " << ci;
    Result<std::vector<Labels>> series = store->Series(c.ms, c.start, c.end);
    ASSERT_TRUE(series.ok());
    EXPECT_EQ(*series, c.want) << "case " << ci;
  }
  // Results come out sorted by labels.
  std::vector<Got> all =
      SelectAll(*store, {M(MatchType::kRegexMatch, "job", ".*a.*|b")}, INT64_MIN, INT64_MAX);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end(),
                             [](const Got& a, const Got& b) { return a.labels < b.labels; }));

  WarmStats stats = store->Stats();
  EXPECT_EQ(stats.series, 3u);
  ASSERT_EQ(stats.partitions.size(), 3u);
  EXPECT_EQ(stats.partitions[1].start, kWidth);
  EXPECT_EQ(stats.partitions[1].chunks, 2u);
  EXPECT_EQ(stats.partitions[1].samples, 10u + 20u);
  EXPECT_EQ(stats.partitions[0].min_t, 0);
  EXPECT_EQ(stats.partitions[0].max_t, kWidth - 500);
  EXPECT_EQ(store->max_time(), 3 * kWidth - 500);
  EXPECT_EQ(store->covered_until(), 3 * kWidth);
  EXPECT_GT(stats.disk_bytes, 0u);
}

// A file system whose writes fail with ENOSPC while `full` is set.
class FullDiskFs : public rocksdb::FileSystemWrapper {
 public:
  explicit FullDiskFs(std::shared_ptr<rocksdb::FileSystem> base)
      : rocksdb::FileSystemWrapper(std::move(base)) {}
  const char* Name() const override { return "FullDiskFs"; }
  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* d) override {
    rocksdb::IOStatus s = target()->NewWritableFile(f, o, r, d);
    if (s.ok()) *r = std::make_unique<File>(std::move(*r), &full);
    return s;
  }
  std::atomic<bool> full{false};

 private:
  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile>&& f, std::atomic<bool>* full)
        : rocksdb::FSWritableFileOwnerWrapper(std::move(f)), full_(full) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* d) override {
      if (full_->load()) return rocksdb::IOStatus::NoSpace("injected: no space left on device");
      return rocksdb::FSWritableFileOwnerWrapper::Append(data, o, d);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                             const rocksdb::DataVerificationInfo& v,
                             rocksdb::IODebugContext* d) override {
      if (full_->load()) return rocksdb::IOStatus::NoSpace("injected: no space left on device");
      return rocksdb::FSWritableFileOwnerWrapper::Append(data, o, v, d);
    }

   private:
    std::atomic<bool>* full_;
  };
};

// A disk too full for a move: refused before RocksDB writes anything (RocksDB cannot write
// again after its log met a full disk), and nothing else is affected.
TEST(WarmStoreTest, AMoveIsRefusedWhenTheDiskIsNearlyFull) {
  testutil::TempDir dir;
  const Labels ls = L({{"__name__", "full"}});
  {
    auto store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(
        store
            ->WriteRange(0, kWidth,
                         std::vector<WarmSeriesData>{{ls, {MakeChunk(Ramp(0, kWidth, 1000))}}})
            .ok());
  }
  WarmOptions o = TestOptions();
  o.min_free_bytes = uint64_t{1} << 62;
  auto store = OpenStore(dir.path(), o);
  ASSERT_NE(store, nullptr);
  Status s = store->WriteRange(
      kWidth, 2 * kWidth,
      std::vector<WarmSeriesData>{{ls, {MakeChunk(Ramp(kWidth, 2 * kWidth, 1000))}}});
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_NE(s.message().find("MiB free on its disk"), std::string::npos) << s.ToString();
  // Drops still work (they are how space comes back), and so do later moves once there is room.
  ASSERT_TRUE(store->DropPartition(0).ok());
  EXPECT_TRUE(store->Stats().partitions.empty());
  ASSERT_TRUE(store->Close().ok());
  store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->Stats().partitions.empty());  // The drop was durable.
  ASSERT_TRUE(store
                  ->WriteRange(kWidth, 2 * kWidth,
                               std::vector<WarmSeriesData>{
                                   {ls, {MakeChunk(Ramp(kWidth, 2 * kWidth, 1000))}}})
                  .ok());
}

// The disk fills anyway (another writer): a move whose log append fails is an error, later
// writes are refused with a clear message instead of crashing RocksDB, reads go on, and after a
// restart with space back everything written before is there and moves work. A failed flush
// (a drop's) is cleared by RocksDB's Resume before the next write.
TEST(WarmStoreTest, AFullDiskFailsWritesCleanlyAndARestartRecovers) {
  testutil::TempDir dir;
  auto fs = std::make_shared<FullDiskFs>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  WarmOptions o = TestOptions();
  o.sync = true;
  o.env = env.get();
  o.min_free_bytes = 0;
  const Labels ls = L({{"__name__", "full"}});
  const std::vector<Sample> a = Ramp(0, kWidth, 1000);
  const std::vector<Sample> b = Ramp(kWidth, 2 * kWidth, 1000);
  const std::vector<Sample> c = Ramp(2 * kWidth, 3 * kWidth, 1000);
  auto write = [&](WarmStore* store, int64_t part, const std::vector<Sample>& v) {
    return store->WriteRange(part, part + kWidth,
                             std::vector<WarmSeriesData>{{ls, {MakeChunk(v)}}});
  };
  {
    auto store = OpenStore(dir.path(), o);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(write(store.get(), 0, a).ok());
    fs->full = true;
    Status s = write(store.get(), kWidth, b);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find("No space"), std::string::npos) << s.ToString();
    fs->full = false;
    s = write(store.get(), kWidth, b);
    EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
    EXPECT_NE(s.message().find("restart Strata"), std::string::npos) << s.ToString();
    std::vector<Got> got =
        SelectAll(*store, {Matcher::Equal("__name__", "full")}, INT64_MIN, INT64_MAX);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_TRUE(SameSamples(a, got[0].samples));
    // Closing reports the log's error (and does not crash).
    EXPECT_FALSE(store->Close().ok());
  }
  auto store = OpenStore(dir.path(), o);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(write(store.get(), kWidth, b).ok());
  // A drop whose flush fails: an error; the next write resumes RocksDB and succeeds.
  fs->full = true;
  EXPECT_FALSE(store->DropPartition(0).ok());
  fs->full = false;
  Status s = write(store.get(), 2 * kWidth, c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::vector<Sample> want = b;
  want.insert(want.end(), c.begin(), c.end());
  std::vector<Got> got =
      SelectAll(*store, {Matcher::Equal("__name__", "full")}, INT64_MIN, INT64_MAX);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(SameSamples(want, got[0].samples));
  ASSERT_TRUE(store->Close().ok());
}

TEST(WarmStoreTest, NegativeTimesAndPartitions) {
  testutil::TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  const Labels ls = L({{"__name__", "neg"}});
  std::vector<Sample> a = Ramp(-2 * kWidth, -kWidth, 1000);
  std::vector<Sample> b = Ramp(-kWidth, 0, 1000);
  std::vector<Sample> c = Ramp(0, kWidth, 1000);
  ASSERT_TRUE(
      store->WriteRange(-kWidth, 0, std::vector<WarmSeriesData>{{ls, {MakeChunk(b)}}}).ok());
  ASSERT_TRUE(store->WriteRange(0, kWidth, std::vector<WarmSeriesData>{{ls, {MakeChunk(c)}}}).ok());
  ASSERT_TRUE(
      store->WriteRange(-2 * kWidth, -kWidth, std::vector<WarmSeriesData>{{ls, {MakeChunk(a)}}})
          .ok());
  std::vector<Sample> want = a;
  want.insert(want.end(), b.begin(), b.end());
  want.insert(want.end(), c.begin(), c.end());
  std::vector<Got> got =
      SelectAll(*store, {Matcher::Equal("__name__", "neg")}, INT64_MIN, INT64_MAX);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(SameSamples(want, got[0].samples));
  got = SelectAll(*store, {Matcher::Equal("__name__", "neg")}, -11000, -9000);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(SameSamples(Window(want, -11000, -9000), got[0].samples));
  EXPECT_EQ(store->covered_until(), kWidth);  // The max, not the last written.
  ASSERT_EQ(store->Stats().partitions.size(), 3u);
  EXPECT_EQ(store->Stats().partitions[0].start, -2 * kWidth);
}

// A query selects the warm tier, then a warm-to-cold move drops the partition before the query
// reads the samples: the series set reads as of its Select, so nothing goes missing (the cold
// tier's part of the same query was selected before the new block existed).
TEST(WarmStoreTest, ASeriesSetStillReadsAPartitionDroppedAfterItsSelect) {
  testutil::TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  const Labels ls = L({{"__name__", "x"}, {"job", "j"}});
  std::vector<Sample> samples = Ramp(0, 9000, 1000);
  ASSERT_TRUE(
      store->WriteRange(0, kWidth, std::vector<WarmSeriesData>{{ls, {MakeChunk(samples)}}}).ok());
  SelectHints hints;
  hints.start_ms = INT64_MIN;
  hints.end_ms = INT64_MAX;
  Result<std::unique_ptr<SeriesSet>> set = store->Select({Matcher::Equal("job", "j")}, hints);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  Result<bool> dropped = store->DropPartition(0);
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_TRUE(*dropped);
  ASSERT_TRUE((*set)->Next());
  std::vector<Sample> got;
  ASSERT_TRUE((*set)->ReadSamples(&got).ok());
  EXPECT_TRUE(SameSamples(samples, got));
  set->reset();  // Releases the snapshot.
  // A Select after the drop finds nothing, and a later drop reclaims the files again.
  EXPECT_TRUE(SelectAll(*store, {Matcher::Equal("job", "j")}, INT64_MIN, INT64_MAX).empty());
  ASSERT_TRUE(store
                  ->WriteRange(kWidth, 2 * kWidth,
                               std::vector<WarmSeriesData>{
                                   {ls, {MakeChunk(Ramp(kWidth, kWidth + 5000, 1000))}}})
                  .ok());
  ASSERT_TRUE(store->DropPartition(kWidth).ok());
  EXPECT_TRUE(store->Stats().partitions.empty());
  EXPECT_TRUE(store->Close().ok());
}

TEST(WarmStoreTest, RepeatedWriteRangeIsIdempotent) {
  testutil::TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  const Labels ls = L({{"__name__", "x"}, {"job", "j"}});
  std::vector<Sample> s1 = Ramp(0, 4000, 1000);
  std::vector<Sample> s2 = Ramp(4000, 9000, 1000);
  std::vector<WarmSeriesData> data{{ls, {MakeChunk(s1), MakeChunk(s2)}}};
  ASSERT_TRUE(store->WriteRange(0, kWidth, data).ok());
  const WarmStats before = store->Stats();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->WriteRange(0, kWidth, data).ok());
  const WarmStats after = store->Stats();
  EXPECT_EQ(after.series, 1u);
  ASSERT_EQ(after.partitions.size(), 1u);
  EXPECT_EQ(after.partitions[0].chunks, before.partitions[0].chunks);
  EXPECT_EQ(after.partitions[0].samples, 9u);
  std::vector<Sample> want = s1;
  want.insert(want.end(), s2.begin(), s2.end());
  std::vector<Got> got = SelectAll(*store, {Matcher::Equal("job", "j")}, INT64_MIN, INT64_MAX);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(SameSamples(want, got[0].samples));

  // A retry that cut the range differently leaves a second, overlapping record: still no
  // duplicate timestamps, and the first record read wins.
  std::vector<Sample> overlap = Ramp(2000, 6000, 1000, 100);
  ASSERT_TRUE(
      store->WriteRange(0, kWidth, std::vector<WarmSeriesData>{{ls, {MakeChunk(overlap)}}}).ok());
  got = SelectAll(*store, {Matcher::Equal("job", "j")}, INT64_MIN, INT64_MAX);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(SameSamples(want, got[0].samples));
}

TEST(WarmStoreTest, ReopenKeepsEverything) {
  testutil::TempDir dir;
  Fixture f;
  {
    auto store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    f.Write(store.get());
    // An empty series list still records the covered time.
    ASSERT_TRUE(store->WriteRange(3 * kWidth, 4 * kWidth, {}).ok());
    EXPECT_EQ(store->covered_until(), 4 * kWidth);
    ASSERT_TRUE(store->Close().ok());
    EXPECT_TRUE(store->Close().ok());  // Idempotent.
    Status s;
    SelectAll(*store, {Matcher::Equal("job", "a")}, 0, 1, &s);
    EXPECT_EQ(s.code(), StatusCode::kUnavailable);
    EXPECT_EQ(store->WriteRange(0, 1, {}).code(), StatusCode::kUnavailable);
  }
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->covered_until(), 4 * kWidth);
  EXPECT_EQ(store->max_time(), 3 * kWidth - 500);
  WarmStats stats = store->Stats();
  EXPECT_EQ(stats.series, 3u);
  EXPECT_EQ(stats.partitions.size(), 3u);
  std::vector<Got> got =
      SelectAll(*store, {M(MatchType::kRegexMatch, "job", ".+")}, INT64_MIN, INT64_MAX);
  ASSERT_EQ(got.size(), 3u);
  for (const Got& g : got) EXPECT_TRUE(SameSamples(f.all[g.labels], g.samples));

  // A new series gets a fresh id; an old one keeps its id.
  const Labels fresh = L({{"__name__", "fresh"}});
  std::vector<WarmSeriesData> data{{fresh, {MakeChunk(Ramp(40000, 41000, 100))}},
                                   {f.cpu_b, {MakeChunk(Ramp(40000, 41000, 100))}}};
  ASSERT_TRUE(store->WriteRange(4 * kWidth, 5 * kWidth, data).ok());
  EXPECT_EQ(store->Stats().series, 4u);
  ASSERT_TRUE(store->Close().ok());
  RawDb raw(dir.path());
  std::string v;
  ASSERT_TRUE(
      raw.db()
          ->Get(rocksdb::ReadOptions(), raw.cf(warm::kSeriesCf), warm::SeriesByLabelsKey(fresh), &v)
          .ok());
  EXPECT_EQ(v, warm::EncodeSeriesId(3));
  ASSERT_TRUE(raw.db()
                  ->Get(rocksdb::ReadOptions(), raw.cf(warm::kSeriesCf),
                        warm::SeriesByLabelsKey(f.cpu_b), &v)
                  .ok());
  EXPECT_EQ(v, warm::EncodeSeriesId(1));
}

// Every open starts a RocksDB log file; those of earlier opens, written or empty, must not pile
// up in the directory (nor be opened by every Stats() call) until a flush or RocksDB's six-hourly
// scan.
TEST(WarmStoreTest, ReopeningDoesNotPileUpLogFiles) {
  testutil::TempDir dir;
  auto log_files = [&] {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
      if (e.path().extension() == ".log") ++n;
    }
    return n;
  };
  for (int i = 0; i < 8; ++i) {
    auto store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    if (i % 4 == 0) {  // Opens without a write in between too: RocksDB kept their logs.
      const Labels l = L({{"__name__", "up"}, {"i", std::to_string(i)}});
      std::vector<WarmSeriesData> data{{l, {MakeChunk(Ramp(i * kWidth, i * kWidth + 1000, 100))}}};
      ASSERT_TRUE(store->WriteRange(i * kWidth, (i + 1) * kWidth, data).ok());
    }
    ASSERT_TRUE(store->Close().ok());
    EXPECT_LE(log_files(), 2u) << "after open " << i;
  }
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Stats().series, 2u);
  std::vector<Got> got =
      SelectAll(*store, {M(MatchType::kEqual, "__name__", "up")}, INT64_MIN, INT64_MAX);
  EXPECT_EQ(got.size(), 2u);
}

TEST(WarmStoreTest, UnknownFormatVersionIsCorruption) {
  testutil::TempDir dir;
  ASSERT_TRUE(OpenStore(dir.path())->Close().ok());
  {
    RawDb raw(dir.path());
    raw.Put(warm::kMetaCf, std::string(warm::kMetaFormatVersion), warm::EncodeFixed64Value(3));
  }
  Result<std::unique_ptr<WarmStore>> s = WarmStore::Open(dir.path(), TestOptions(), nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.status().IsCorruption()) << s.status().ToString();
  EXPECT_NE(s.status().message().find(dir.path()), std::string::npos);
  EXPECT_NE(s.status().message().find("version 3"), std::string::npos);
}

TEST(WarmStoreTest, PartitionWidthMismatchIsInvalidArgument) {
  testutil::TempDir dir;
  ASSERT_TRUE(OpenStore(dir.path())->Close().ok());
  Result<std::unique_ptr<WarmStore>> s =
      WarmStore::Open(dir.path(), TestOptions(2 * kWidth), nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.status().IsInvalidArgument()) << s.status().ToString();
  WarmOptions bad = TestOptions(0);
  EXPECT_TRUE(WarmStore::Open(dir.path(), bad, nullptr).status().IsInvalidArgument());
  // The right width still opens.
  EXPECT_NE(OpenStore(dir.path()), nullptr);
}

TEST(WarmStoreTest, InvalidWritesAndSelectors) {
  testutil::TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  const Labels ls = L({{"__name__", "x"}});
  auto write = [&](int64_t lo, int64_t hi, const std::vector<Sample>& samples) {
    return store->WriteRange(lo, hi, std::vector<WarmSeriesData>{{ls, {MakeChunk(samples)}}});
  };
  EXPECT_TRUE(write(0, 0, {{0, 1}}).IsInvalidArgument());            // Empty range.
  EXPECT_TRUE(write(5000, 15000, {{6000, 1}}).IsInvalidArgument());  // Straddles.
  EXPECT_TRUE(write(0, 5000, {{5000, 1}}).IsInvalidArgument());      // Chunk outside.
  EXPECT_TRUE(write(1000, 5000, {{500, 1}, {2000, 1}}).IsInvalidArgument());
  std::vector<WarmSeriesData> unsorted{{ls, {MakeChunk({{3000, 1}}), MakeChunk({{1000, 1}})}}};
  EXPECT_TRUE(store->WriteRange(0, kWidth, unsorted).IsInvalidArgument());
  std::vector<WarmSeriesData> junk{{ls, {WarmChunk{0, 1, std::string(1, '\0')}}}};
  EXPECT_TRUE(store->WriteRange(0, kWidth, junk).IsInvalidArgument());
  std::vector<WarmSeriesData> unlabeled{{Labels(), {MakeChunk({{1, 1}})}}};
  EXPECT_TRUE(store->WriteRange(0, kWidth, unlabeled).IsInvalidArgument());
  EXPECT_EQ(store->covered_until(), INT64_MIN);  // Nothing was recorded.
  EXPECT_EQ(store->max_time(), INT64_MIN);

  // A series without chunks is skipped, but the range still counts as covered.
  std::vector<WarmSeriesData> empty{{ls, {}}};
  ASSERT_TRUE(store->WriteRange(0, kWidth, empty).ok());
  EXPECT_EQ(store->covered_until(), kWidth);
  EXPECT_TRUE(store->Stats().partitions.empty());
  EXPECT_EQ(store->Stats().series, 0u);

  Status s;
  SelectAll(*store, {Matcher::Equal("env", "")}, 0, 1, &s);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_TRUE(
      store->Series({M(MatchType::kRegexMatch, "a", ".*")}, 0, 1).status().IsInvalidArgument());
  EXPECT_TRUE(
      store->LabelNames({{Matcher::NotEqual("a", "b")}}, 0, 1).status().IsInvalidArgument());
}

TEST(WarmStoreTest, MatchersThatMatchEmpty) {
  testutil::TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  Fixture f;
  f.Write(store.get());
  auto names = [&](const Matchers& ms) {
    Result<std::vector<Labels>> r = store->Series(ms, INT64_MIN, INT64_MAX);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<Labels>{};
  };
  EXPECT_EQ(names({Matcher::Equal("job", "a"), Matcher::Equal("env", "")}), std::vector<Labels>{});
  EXPECT_EQ(names({Matcher::Equal("__name__", "cpu"), Matcher::Equal("env", "")}),
            std::vector<Labels>{f.cpu_b});
  EXPECT_EQ(names({Matcher::Equal("__name__", "cpu"), Matcher::NotEqual("env", "prod")}),
            std::vector<Labels>{f.cpu_b});
  EXPECT_EQ(names({M(MatchType::kRegexMatch, "job", "a|b"), Matcher::NotEqual("env", "x")}),
            (std::vector<Labels>{f.cpu_a, f.cpu_b, f.mem_a}));
  EXPECT_EQ(
      names({M(MatchType::kRegexMatch, "job", "a|b"), M(MatchType::kRegexMatch, "env", "|dev")}),
      (std::vector<Labels>{f.cpu_b, f.mem_a}));
  EXPECT_EQ(
      names({M(MatchType::kRegexMatch, "job", "a|b"), M(MatchType::kRegexNoMatch, "env", ".+")}),
      std::vector<Labels>{f.cpu_b});
  EXPECT_EQ(names({Matcher::Equal("__name__", "mem"), Matcher::NotEqual("absent", "x"),
                   M(MatchType::kRegexMatch, "other", ".*")}),
            std::vector<Labels>{f.mem_a});
  // Selected samples respect the empty matcher too.
  std::vector<Got> got =
      SelectAll(*store, {Matcher::Equal("job", "a"), Matcher::NotEqual("env", "prod")}, 0, 29999);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].labels, f.mem_a);
  EXPECT_TRUE(SameSamples(f.all[f.mem_a], got[0].samples));
}

TEST(WarmStoreTest, LabelNamesValuesAndSeriesAcrossPartitions) {
  testutil::TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  Fixture f;
  f.Write(store.get());
  // A series only in the last partition, only in its second half.
  const Labels late = L({{"__name__", "late"}, {"zone", "z1"}});
  ASSERT_TRUE(
      store
          ->WriteRange(3 * kWidth, 4 * kWidth,
                       std::vector<WarmSeriesData>{{late, {MakeChunk(Ramp(35000, 39000, 1000))}}})
          .ok());
  using V = std::vector<std::string>;
  auto names = [&](const std::vector<Matchers>& sel, int64_t lo, int64_t hi) {
    Result<V> r = store->LabelNames(sel, lo, hi);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : V{};
  };
  auto values = [&](const std::string& n, const std::vector<Matchers>& sel, int64_t lo,
                    int64_t hi) {
    Result<V> r = store->LabelValues(n, sel, lo, hi);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : V{};
  };
  EXPECT_EQ(names({}, INT64_MIN, INT64_MAX), (V{"__name__", "env", "job", "zone"}));
  EXPECT_EQ(names({}, 10000, 19999), (V{"__name__", "env", "job"}));
  EXPECT_EQ(names({}, 10000, 34999), (V{"__name__", "env", "job"}));  // Partial partition.
  EXPECT_EQ(names({}, 36000, 36000), (V{"__name__", "zone"}));
  EXPECT_EQ(names({}, 50000, 60000), V{});
  EXPECT_EQ(names({{Matcher::Equal("job", "b")}}, INT64_MIN, INT64_MAX), (V{"__name__", "job"}));
  EXPECT_EQ(names({{Matcher::Equal("job", "b")}, {Matcher::Equal("zone", "z1")}}, 0, 40000),
            (V{"__name__", "job", "zone"}));
  EXPECT_EQ(names({{Matcher::Equal("zone", "z1")}}, 0, 34999), V{});

  EXPECT_EQ(values("__name__", {}, INT64_MIN, INT64_MAX), (V{"cpu", "late", "mem"}));
  EXPECT_EQ(values("__name__", {}, 10000, 19999), (V{"cpu"}));
  EXPECT_EQ(values("__name__", {}, 12000, 25000), (V{"cpu", "mem"}));
  EXPECT_EQ(values("__name__", {}, 30000, 34000), V{});  // Before late's first sample.
  EXPECT_EQ(values("env", {}, INT64_MIN, INT64_MAX), (V{"dev", "prod"}));
  EXPECT_EQ(values("env", {{Matcher::Equal("__name__", "cpu")}}, INT64_MIN, INT64_MAX),
            (V{"prod"}));
  EXPECT_EQ(values("job", {{Matcher::Equal("__name__", "mem")}}, 10000, 19999), V{});
  EXPECT_EQ(values("nope", {}, INT64_MIN, INT64_MAX), V{});
  EXPECT_EQ(values("", {}, INT64_MIN, INT64_MAX), V{});

  Result<std::vector<Labels>> s =
      store->Series({M(MatchType::kRegexMatch, "__name__", ".+")}, 34000, 36000);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, std::vector<Labels>{late});
  s = store->Series({M(MatchType::kRegexMatch, "__name__", ".+")}, 30000, 34999);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->empty());
  s = store->Series({Matcher::Equal("job", "a")}, 14000, 16000);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, std::vector<Labels>{f.cpu_a});
}

// Replaces the value of the only chunk record of the store with `mutate(value)`.
void DamageRecord(const std::string& dir, const std::function<std::string(std::string)>& mutate) {
  RawDb raw(dir);
  auto records = raw.Scan(warm::kChunksCf);
  ASSERT_EQ(records.size(), 1u);
  raw.Put(warm::kChunksCf, records[0].first, mutate(records[0].second));
}

TEST(WarmStoreTest, DamagedChunkRecordIsCorruption) {
  testutil::TempDir dir;
  const Labels ls = L({{"__name__", "x"}});
  std::string original;
  {
    auto store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(
        store
            ->WriteRange(
                0, kWidth,
                std::vector<WarmSeriesData>{
                    {ls, {MakeChunk(Ramp(0, 5000, 100)), MakeChunk(Ramp(5000, 9000, 250, 3))}}})
            .ok());
    ASSERT_TRUE(store->Close().ok());
    RawDb raw(dir.path());
    original = raw.Scan(warm::kChunksCf).at(0).second;
  }
  auto expect_corruption = [&](const std::string& what, bool check_series = true) {
    auto store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    Status s;
    std::vector<Got> got =
        SelectAll(*store, {Matcher::Equal("__name__", "x")}, INT64_MIN, INT64_MAX, &s);
    EXPECT_TRUE(s.IsCorruption()) << what << ": " << s.ToString();
    EXPECT_NE(s.message().find("series 0"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(dir.path()), std::string::npos) << s.message();
    // Series() checks the records of partially covered partitions.
    if (!check_series) return;
    Result<std::vector<Labels>> series = store->Series({Matcher::Equal("__name__", "x")}, 10, 20);
    EXPECT_TRUE(series.status().IsCorruption()) << what;
  };
  // Flips spread over the record, and truncations at every length.
  for (size_t i = 0; i < original.size(); i += std::max<size_t>(1, original.size() / 12)) {
    DamageRecord(dir.path(), [&](std::string v) {
      v[i] = static_cast<char>(v[i] ^ 0x10);
      return v;
    });
    expect_corruption("flip at " + std::to_string(i));
  }
  // Every length is covered at the codec level (ChunkRecordRoundTrips...); here a spread.
  for (size_t n = 0; n < original.size(); n += n < 8 ? 1 : original.size() / 10) {
    DamageRecord(dir.path(), [&](const std::string& v) { return v.substr(0, n); });
    expect_corruption("truncated to " + std::to_string(n));
  }
  // A record whose CRC is right but whose chunk bytes are junk fails in the chunk decoder.
  {
    std::vector<WarmChunk> junk{WarmChunk{0, 5, std::string("\x00\x09\xff\xff", 4)}};
    DamageRecord(dir.path(), [&](const std::string&) { return warm::EncodeChunkRecord(junk); });
    // Its CRC and bounds are fine, so only decoding the samples notices.
    expect_corruption("junk chunk bytes", /*check_series=*/false);
  }
  // Restored, it reads again.
  DamageRecord(dir.path(), [&](const std::string&) { return original; });
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  std::vector<Got> got = SelectAll(*store, {Matcher::Equal("__name__", "x")}, INT64_MIN, INT64_MAX);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].samples.size(), 50u + 16u);
}

void WriteJunk(const fs::path& p, size_t n) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  for (size_t i = 0; i < n; ++i) out.put(static_cast<char>((i * 131 + 7) & 0xff));
}

// A store with data in SST files (reopening flushes the recovered log).
void MakeStoreWithSsts(const std::string& dir) {
  Fixture f;
  {
    auto store = OpenStore(dir);
    ASSERT_NE(store, nullptr);
    f.Write(store.get());
  }
  auto store = OpenStore(dir);
  ASSERT_NE(store, nullptr);
}

std::vector<fs::path> FilesWithSuffix(const std::string& dir, const std::string& suffix) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().string().ends_with(suffix)) out.push_back(e.path());
  }
  return out;
}

TEST(WarmStoreTest, JunkCurrentFileFailsOpen) {
  testutil::TempDir dir;
  MakeStoreWithSsts(dir.path());
  WriteJunk(fs::path(dir.path()) / "CURRENT", 40);
  Result<std::unique_ptr<WarmStore>> s = WarmStore::Open(dir.path(), TestOptions(), nullptr);
  EXPECT_FALSE(s.ok());
}

TEST(WarmStoreTest, JunkManifestFailsOpen) {
  testutil::TempDir dir;
  MakeStoreWithSsts(dir.path());
  std::vector<fs::path> manifests;
  for (const auto& e : fs::directory_iterator(dir.path())) {
    if (e.path().filename().string().starts_with("MANIFEST-")) manifests.push_back(e.path());
  }
  ASSERT_FALSE(manifests.empty());
  for (const auto& m : manifests) WriteJunk(m, 300);
  Result<std::unique_ptr<WarmStore>> s = WarmStore::Open(dir.path(), TestOptions(), nullptr);
  EXPECT_FALSE(s.ok());
}

TEST(WarmStoreTest, JunkSstFileFailsOpenOrReads) {
  for (bool same_size : {false, true}) {
    SCOPED_TRACE(same_size ? "same size" : "shorter");
    testutil::TempDir dir;
    MakeStoreWithSsts(dir.path());
    std::vector<fs::path> ssts = FilesWithSuffix(dir.path(), ".sst");
    ASSERT_FALSE(ssts.empty());
    for (const auto& p : ssts) WriteJunk(p, same_size ? fs::file_size(p) : 100);
    Result<std::unique_ptr<WarmStore>> s = WarmStore::Open(dir.path(), TestOptions(), nullptr);
    if (!s.ok()) continue;  // Caught at open: fine.
    // Otherwise every read must fail cleanly.
    Status err;
    std::vector<Got> got =
        SelectAll(**s, {M(MatchType::kRegexMatch, "job", ".+")}, INT64_MIN, INT64_MAX, &err);
    EXPECT_FALSE(err.ok());
  }
}

TEST(WarmStoreTest, DropsRemoveDataAndReclaimSpace) {
  testutil::TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  // Partition 0 gets ~6 MiB of incompressible chunks; partition 1 a little.
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> val(0, 1e9);
  for (int batch = 0; batch < 4; ++batch) {
    std::vector<WarmSeriesData> data;
    for (int i = 0; i < 200; ++i) {
      std::vector<Sample> s;
      for (int64_t t = 0; t < 1000; ++t) s.push_back({t, val(rng)});
      data.push_back(
          {L({{"__name__", "big"}, {"i", std::to_string(batch * 1000 + i)}}), {MakeChunk(s)}});
    }
    ASSERT_TRUE(store->WriteRange(0, 1000, data).ok());
  }
  ASSERT_TRUE(
      store
          ->WriteRange(kWidth, 2 * kWidth,
                       std::vector<WarmSeriesData>{
                           {L({{"__name__", "small"}}), {MakeChunk(Ramp(kWidth, 15000, 1000))}}})
          .ok());
  const uint64_t before = store->Stats().disk_bytes;
  EXPECT_GT(before, uint64_t{5} << 20);

  Result<int> dropped = store->DropPartitionsBefore(kWidth - 1);  // Partition 0 ends at kWidth.
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, 0);
  dropped = store->DropPartitionsBefore(kWidth);
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_EQ(*dropped, 1);
  EXPECT_TRUE(store->Series({Matcher::Equal("__name__", "big")}, INT64_MIN, INT64_MAX)->empty());
  EXPECT_TRUE(SelectAll(*store, {Matcher::Equal("__name__", "big")}, INT64_MIN, INT64_MAX).empty());
  Result<std::vector<std::string>> values =
      store->LabelValues("__name__", {}, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(*values, std::vector<std::string>{"small"});
  WarmStats stats = store->Stats();
  ASSERT_EQ(stats.partitions.size(), 1u);
  EXPECT_EQ(stats.partitions[0].start, kWidth);
  EXPECT_LT(stats.disk_bytes, before / 4) << "before " << before;
  EXPECT_EQ(stats.series, 801u);  // Ids are never reused.

  Result<bool> oldest = store->DropOldestPartition();
  ASSERT_TRUE(oldest.ok());
  EXPECT_TRUE(*oldest);
  oldest = store->DropOldestPartition();
  ASSERT_TRUE(oldest.ok());
  EXPECT_FALSE(*oldest);
  EXPECT_EQ(store->max_time(), INT64_MIN);
  EXPECT_TRUE(
      SelectAll(*store, {Matcher::Equal("__name__", "small")}, INT64_MIN, INT64_MAX).empty());
  // Drops persist.
  ASSERT_TRUE(store->Close().ok());
  store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->Stats().partitions.empty());
  // A returning series keeps its old id.
  ASSERT_TRUE(store
                  ->WriteRange(5 * kWidth, 6 * kWidth,
                               std::vector<WarmSeriesData>{{L({{"__name__", "small"}}),
                                                            {MakeChunk(Ramp(50000, 51000, 100))}}})
                  .ok());
  EXPECT_EQ(store->Stats().series, 801u);
  EXPECT_EQ(SelectAll(*store, {Matcher::Equal("__name__", "small")}, INT64_MIN, INT64_MAX)
                .at(0)
                .samples.size(),
            10u);
}

TEST(WarmStoreTest, ReadsRunConcurrentlyWithTheWriter) {
  testutil::TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  constexpr int kRanges = 40;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int r = 0; r < kRanges; ++r) {
      const int64_t lo = r * (kWidth / 4);
      std::vector<WarmSeriesData> data;
      data.reserve(20);
      for (int i = 0; i < 20; ++i) {
        data.push_back({L({{"__name__", "c"}, {"i", std::to_string(i)}}),
                        {MakeChunk(Ramp(lo, lo + kWidth / 4, 100))}});
      }
      EXPECT_TRUE(store->WriteRange(lo, lo + kWidth / 4, data).ok());
      if (r % 10 == 9) {
        EXPECT_TRUE(store->DropOldestPartition().ok());
      }
    }
    done = true;
  });
  auto reader = [&] {
    while (!done) {
      // Each series has every sample of the ranges written so far, minus dropped partitions:
      // whatever the interleaving, timestamps are unique and sorted.
      for (const Got& g :
           SelectAll(*store, {Matcher::Equal("__name__", "c")}, INT64_MIN, INT64_MAX)) {
        for (size_t k = 1; k < g.samples.size(); ++k) {
          ASSERT_LT(g.samples[k - 1].timestamp_ms, g.samples[k].timestamp_ms);
        }
      }
      EXPECT_TRUE(store->LabelValues("i", {}, INT64_MIN, INT64_MAX).ok());
      EXPECT_TRUE(store->Series({Matcher::Equal("i", "3")}, 100, 5000).ok());
      (void)store->Stats();
    }
  };
  std::thread r1(reader), r2(reader);
  writer.join();
  r1.join();
  r2.join();
  EXPECT_EQ(store->covered_until(), kRanges * (kWidth / 4));
  EXPECT_EQ(store->Stats().partitions.size(), 6u);  // 10 written, 4 dropped.
}

// --- Seeded random comparison against an in-memory model. ---

struct ModelSeries {
  std::map<int64_t, double> samples;                // First write of a timestamp wins.
  std::vector<std::pair<int64_t, int64_t>> chunks;  // Bounds, for Series' chunk-level rule.
  // Bounds of each move's record. The metadata calls answer at chunk level, and RocksDB's
  // compactions re-encode a record's chunks into groups whose bounds can span the gap between
  // two chunks (warm format 2): an answer lies between the series with a sample in the range
  // and those with a record overlapping it.
  std::vector<std::pair<int64_t, int64_t>> records;
};

// Whether sorted `got` holds all of sorted `lower` and nothing beyond sorted `upper`.
template <typename T>
bool Between(const std::vector<T>& got, const std::vector<T>& lower, const std::vector<T>& upper) {
  return std::includes(got.begin(), got.end(), lower.begin(), lower.end()) &&
         std::includes(upper.begin(), upper.end(), got.begin(), got.end());
}

class Model {
 public:
  void Add(const Labels& ls, const WarmChunk& c, const std::vector<Sample>& samples) {
    ModelSeries& m = series_[ls];
    for (const Sample& s : samples) m.samples.emplace(s.timestamp_ms, s.value);
    m.chunks.emplace_back(c.min_t, c.max_t);
  }
  void AddRecord(const Labels& ls, int64_t lo, int64_t hi) {
    series_[ls].records.emplace_back(lo, hi);
  }
  void DropBefore(int64_t t) {
    for (auto& [ls, m] : series_) {
      m.samples.erase(m.samples.begin(), m.samples.lower_bound(t));
      std::erase_if(m.chunks, [&](const auto& c) { return c.second < t; });
      std::erase_if(m.records, [&](const auto& c) { return c.second < t; });
    }
  }
  // Which series count as being in [lo, hi]: those with a sample there, with a chunk
  // overlapping it, or with a record overlapping it (see ModelSeries::records).
  enum class Level { kSamples, kChunks, kRecords };
  static bool In(const ModelSeries& m, int64_t lo, int64_t hi, Level level) {
    if (level == Level::kSamples) {
      auto it = m.samples.lower_bound(lo);
      return it != m.samples.end() && it->first <= hi;
    }
    for (const auto& c : level == Level::kChunks ? m.chunks : m.records) {
      if (c.second >= lo && c.first <= hi) return true;
    }
    return false;
  }
  std::vector<Labels> Series(const Matchers& ms, int64_t lo, int64_t hi,
                             Level level = Level::kChunks) const {
    std::vector<Labels> out;
    for (const auto& [ls, m] : series_) {
      if (model::MatchesLabels(ms, ls) && In(m, lo, hi, level)) out.push_back(ls);
    }
    return out;
  }
  std::vector<Sample> Samples(const Labels& ls, int64_t lo, int64_t hi) const {
    std::vector<Sample> out;
    auto it = series_.find(ls);
    if (it == series_.end()) return out;
    for (auto s = it->second.samples.lower_bound(lo);
         s != it->second.samples.end() && s->first <= hi; ++s) {
      out.push_back({s->first, s->second});
    }
    return out;
  }
  std::vector<std::string> Names(const std::vector<Matchers>& sel, int64_t lo, int64_t hi,
                                 Level level) const {
    std::set<std::string> out;
    for (const auto& [ls, m] : series_) {
      if (!Selected(sel, ls) || !In(m, lo, hi, level)) continue;
      for (const auto& l : ls) out.insert(l.name);
    }
    return {out.begin(), out.end()};
  }
  std::vector<std::string> Values(const std::string& name, const std::vector<Matchers>& sel,
                                  int64_t lo, int64_t hi, Level level) const {
    std::set<std::string> out;
    for (const auto& [ls, m] : series_) {
      if (!Selected(sel, ls) || !In(m, lo, hi, level) || !ls.Has(name)) continue;
      out.insert(std::string(ls.Get(name)));
    }
    return {out.begin(), out.end()};
  }

 private:
  static bool Selected(const std::vector<Matchers>& sel, const Labels& ls) {
    if (sel.empty()) return true;
    for (const auto& ms : sel) {
      if (model::MatchesLabels(ms, ls)) return true;
    }
    return false;
  }
  std::map<Labels, ModelSeries> series_;
};

TEST(WarmStoreTest, RandomRoundTripMatchesModel) {
  // STRATA_TEST_SEED=<seed> replays a failing run.
  const char* fixed = std::getenv("STRATA_TEST_SEED");
  const uint64_t seed =
      fixed != nullptr ? std::strtoull(fixed, nullptr, 10) : uint64_t{std::random_device{}()};
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  const std::vector<std::string> names = {"__name__", "job", "env", "inst"};
  const std::vector<std::string> values = {"a", "b", "c", "ab", "x1"};

  testutil::TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  Model model;
  std::vector<Labels> universe;
  for (int i = 0; i < 40; ++i) {
    std::vector<model::Label> pairs{{"__name__", values[static_cast<size_t>(pick(3))]}};
    for (size_t n = 1; n < names.size(); ++n) {
      if (pick(3) != 0) pairs.push_back({names[n], values[static_cast<size_t>(pick(5))]});
    }
    Labels ls = L(pairs);
    if (std::find(universe.begin(), universe.end(), ls) == universe.end()) {
      universe.push_back(ls);
    }
  }
  const int64_t range = kWidth / 4;
  int64_t dropped_before = INT64_MIN;
  for (int step = 0; step < 40; ++step) {
    // Moves go forward in time, a quarter partition at a time, starting below zero.
    const int64_t lo = -2 * kWidth + step * range;
    std::vector<WarmSeriesData> data;
    for (const Labels& ls : universe) {
      if (pick(3) == 0) continue;
      WarmSeriesData d{ls, {}};
      int64_t t = lo + pick(200);
      const int nchunks = 1 + pick(2);
      for (int c = 0; c < nchunks && t < lo + range; ++c) {
        std::vector<Sample> samples;
        const int n = 1 + pick(20);
        for (int k = 0; k < n && t < lo + range; ++k) {
          double v = pick(10) == 0 ? model::StaleNaN() : static_cast<double>(pick(1000)) / 7;
          samples.push_back({t, v});
          t += 1 + pick(150);
        }
        WarmChunk chunk = MakeChunk(samples);
        model.Add(ls, chunk, samples);
        d.chunks.push_back(std::move(chunk));
      }
      model.AddRecord(ls, d.chunks.front().min_t, d.chunks.back().max_t);
      data.push_back(std::move(d));
    }
    ASSERT_TRUE(store->WriteRange(lo, lo + range, data).ok());
    if (pick(4) == 0) {
      ASSERT_TRUE(store->WriteRange(lo, lo + range, data).ok());  // Replay.
    }
    if (pick(8) == 0) {
      ASSERT_TRUE(store->Close().ok());
      store = OpenStore(dir.path());
      ASSERT_NE(store, nullptr);
    }
    if (step == 30) {
      dropped_before = -kWidth;
      ASSERT_TRUE(store->DropPartitionsBefore(dropped_before).ok());
      model.DropBefore(dropped_before);
    }
    ASSERT_EQ(store->covered_until(), lo + range);

    // Random queries.
    for (int q = 0; q < 8; ++q) {
      Matchers ms;
      const int nm = 1 + pick(3);
      for (int k = 0; k < nm; ++k) {
        const MatchType type = static_cast<MatchType>(pick(4));
        std::string value;
        switch (pick(5)) {
          case 0:
            value = "";
            break;
          case 1:
            value = ".*";
            break;
          case 2:
            value = "a|b";
            break;
          case 3:
            value = "a.*";
            break;
          default:
            value = values[static_cast<size_t>(pick(5))];
            break;
        }
        if (type == MatchType::kEqual || type == MatchType::kNotEqual) {
          if (value == ".*" || value == "a|b" || value == "a.*") value = "a";
        }
        ms.push_back(M(type, names[static_cast<size_t>(pick(4))], value));
      }
      int64_t a = -2 * kWidth + pick(static_cast<int>(5 * kWidth));
      int64_t b = a + pick(static_cast<int>(2 * kWidth));
      if (pick(6) == 0) {
        a = INT64_MIN;
        b = INT64_MAX;
      }
      const bool valid = CheckSelectorMatchers(ms).ok();
      std::string what;
      for (const auto& m : ms) what += m.ToString() + " ";
      what += "[" + std::to_string(a) + ", " + std::to_string(b) + "]";
      SCOPED_TRACE(what);
      if (!valid) {
        EXPECT_TRUE(store->Series(ms, a, b).status().IsInvalidArgument());
        continue;
      }
      Result<std::vector<Labels>> series = store->Series(ms, a, b);
      ASSERT_TRUE(series.ok()) << series.status().ToString();
      using Level = Model::Level;
      EXPECT_TRUE(Between(*series, model.Series(ms, a, b, Level::kSamples),
                          model.Series(ms, a, b, Level::kRecords)));
      std::vector<Got> got = SelectAll(*store, ms, a, b);
      std::vector<Labels> with_samples;
      for (const Got& g : got) {
        EXPECT_TRUE(SameSamples(model.Samples(g.labels, a, b), g.samples)) << g.labels.ToString();
        if (!g.samples.empty()) with_samples.push_back(g.labels);
      }
      std::vector<Labels> want_with_samples;
      for (const Labels& ls : model.Series(ms, a, b)) {
        if (!model.Samples(ls, a, b).empty()) want_with_samples.push_back(ls);
      }
      EXPECT_EQ(with_samples, want_with_samples);

      std::vector<Matchers> sel;
      if (pick(2) == 0) sel.push_back(ms);
      Result<std::vector<std::string>> ln = store->LabelNames(sel, a, b);
      ASSERT_TRUE(ln.ok()) << ln.status().ToString();
      EXPECT_TRUE(Between(*ln, model.Names(sel, a, b, Level::kSamples),
                          model.Names(sel, a, b, Level::kRecords)));
      const std::string& name = names[static_cast<size_t>(pick(4))];
      Result<std::vector<std::string>> lv = store->LabelValues(name, sel, a, b);
      ASSERT_TRUE(lv.ok()) << lv.status().ToString();
      EXPECT_TRUE(Between(*lv, model.Values(name, sel, a, b, Level::kSamples),
                          model.Values(name, sel, a, b, Level::kRecords)))
          << name;
    }
    if (HasFailure()) break;
  }
}

// Portable Roaring bytes for the postings tests: little-endian 16- and 32-bit fields.
std::string Le16(std::initializer_list<uint16_t> values) {
  std::string out;
  for (uint16_t v : values) {
    out.push_back(static_cast<char>(v & 0xff));
    out.push_back(static_cast<char>(v >> 8));
  }
  return out;
}

// Found by tests/fuzz/warm_fuzz: CRoaring 0.2's "safe" deserializer accepted bitmaps whose keys,
// array values or runs are out of order or overlap, or whose cardinalities lie; such a
// postings value iterated out of order. DeserializeBitmap now rejects them.
TEST(WarmPostingsTest, MalformedBitmapsAreRejected) {
  Roaring valid;
  for (uint32_t v : {1u, 2u, 3u}) valid.add(v);                       // array container
  for (uint32_t v = 0; v < 15000; v += 3) valid.add((1u << 16) + v);  // bitset container
  valid.addRange(200000, 210000);                                     // run container
  std::string bytes = warm::SerializeBitmap(valid);
  Roaring back;
  ASSERT_TRUE(warm::DeserializeBitmap(bytes, &back));
  EXPECT_TRUE(back == valid);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(warm::DeserializeBitmap(bytes.substr(0, n), &back)) << n;
  }

  // No-run cookie 12346, one container of key 0: values must ascend strictly.
  const std::string no_runs = Le16({12346, 0, 1, 0, 0, 1, 16, 0});  // size 1, key 0, card 2, offset
  EXPECT_TRUE(warm::DeserializeBitmap(no_runs + Le16({3, 5}), &back));
  EXPECT_FALSE(warm::DeserializeBitmap(no_runs + Le16({5, 3}), &back));
  EXPECT_FALSE(warm::DeserializeBitmap(no_runs + Le16({3, 3}), &back));

  // Two one-value containers (cookie, size 2, header, offsets, values): keys must ascend.
  EXPECT_FALSE(warm::DeserializeBitmap(
      Le16({12346, 0, 2, 0, /*keys*/ 5, 0, 2, 0, /*offsets*/ 24, 0, 26, 0, 7, 9}), &back));
  ASSERT_TRUE(warm::DeserializeBitmap(
      Le16({12346, 0, 2, 0, /*keys*/ 2, 0, 5, 0, /*offsets*/ 24, 0, 26, 0, 7, 9}), &back));
  EXPECT_EQ(back.cardinality(), 2u);

  // Run cookie 12347 (one container, run flag set, no offsets below 4 containers): runs must be
  // disjoint, ascending, inside the container, and add up to the header's cardinality.
  const std::string runs = Le16({12347, 0}) + std::string(1, '\x01') + Le16({0, 7});  // card 8
  EXPECT_TRUE(warm::DeserializeBitmap(runs + Le16({2, 10, 5, 20, 1}), &back));
  EXPECT_EQ(back.cardinality(), 8u);
  EXPECT_FALSE(warm::DeserializeBitmap(runs + Le16({2, 10, 5, 12, 1}), &back));  // overlap
  EXPECT_FALSE(warm::DeserializeBitmap(runs + Le16({2, 20, 1, 10, 5}), &back));  // order
  EXPECT_FALSE(warm::DeserializeBitmap(runs + Le16({1, 10, 6}), &back));         // card 7
  EXPECT_FALSE(warm::DeserializeBitmap(
      Le16({12347, 0}) + std::string(1, '\x01') + Le16({0, 1, 1, 0xFFFF, 1}),
      &back));  // past 65535

  // A bitset container (cardinality > 4096) whose popcount differs from the header's.
  std::string bitset = Le16({12346, 0, 1, 0, 0, 4096, 16, 0});  // card 4097
  std::string words(8192, '\0');
  for (int i = 0; i < 4096 / 8; ++i) words[static_cast<size_t>(i)] = '\xff';  // 4096 bits
  EXPECT_FALSE(warm::DeserializeBitmap(bitset + words, &back));
  words[600] = '\x01';
  ASSERT_TRUE(warm::DeserializeBitmap(bitset + words, &back));
  EXPECT_EQ(back.cardinality(), 4097u);
}

}  // namespace
}  // namespace strata::storage
