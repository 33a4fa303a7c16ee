// WAL chunks records (docs/format/wal.md, type 3): their encoding and checks, checkpoints that
// carry a series' samples as encoded chunks, and replay that installs them, giving exactly the
// samples the log held.
#include <gtest/gtest.h>

#include <bit>
#include <filesystem>
#include <map>
#include <string>

#include "storage/head.h"
#include "storage/head/wal_records.h"
#include "storage/querier.h"
#include "storage/wal.h"
#include "storage/wal/segment_reader.h"
#include "storage/xor_chunk.h"
#include "testutil/head_series.h"
#include "testutil/process.h"

namespace strata::storage {
namespace {

namespace fs = std::filesystem;
using head::ChunksRecordEntry;
using head::RecordChunk;

constexpr int64_t kHour = 3600 * 1000;

std::string Chunk(std::initializer_list<std::pair<int64_t, double>> samples) {
  XorChunk c;
  auto app = XorAppender::Open(&c);
  EXPECT_TRUE(app.ok());
  for (const auto& [t, v] : samples) EXPECT_TRUE(app->Append(t, v).ok());
  auto b = c.bytes();
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

TEST(ChunksRecordTest, RoundTripsAndYieldsTheSamples) {
  const std::string a = Chunk({{100, 1.0}, {115, 2.5}, {130, -3.0}});
  const std::string b = Chunk({{145, 4.0}});
  const std::string c = Chunk({{-5000, std::bit_cast<double>(uint64_t{0x7ff0000000000002})}});
  std::vector<ChunksRecordEntry> in = {{7, {{100, 130, a}, {145, 145, b}}},
                                       {9, {{-5000, -5000, c}}}};
  std::string rec;
  head::EncodeChunksRecord(in, &rec);
  auto type = head::PeekRecordType(rec);
  ASSERT_TRUE(type.ok());
  EXPECT_EQ(*type, head::RecordType::kChunks);
  std::vector<ChunksRecordEntry> out;
  ASSERT_TRUE(head::DecodeChunksRecord(rec, &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].id, 7u);
  ASSERT_EQ(out[0].chunks.size(), 2u);
  EXPECT_EQ(out[0].chunks[0].min_t, 100);
  EXPECT_EQ(out[0].chunks[0].max_t, 130);
  EXPECT_EQ(out[0].chunks[0].bytes, a);
  EXPECT_EQ(out[0].chunks[1].bytes, b);
  EXPECT_EQ(out[1].id, 9u);
  EXPECT_EQ(out[1].chunks[0].min_t, -5000);
  std::vector<std::tuple<size_t, int64_t, uint64_t>> got;
  ASSERT_TRUE(head::ForEachChunkSample(out[0], [&](size_t k, int64_t t, uint64_t v) {
                got.emplace_back(k, t, v);
              }).ok());
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[3], std::make_tuple(size_t{1}, int64_t{145}, std::bit_cast<uint64_t>(4.0)));
  got.clear();
  ASSERT_TRUE(head::ForEachChunkSample(out[1], [&](size_t k, int64_t t, uint64_t v) {
                got.emplace_back(k, t, v);
              }).ok());
  EXPECT_EQ(std::get<2>(got.at(0)), uint64_t{0x7ff0000000000002});  // NaN payload kept.

  // Every strict prefix is Corruption, never a crash or a shorter answer.
  for (size_t n = 1; n < rec.size(); ++n) {
    EXPECT_TRUE(head::DecodeChunksRecord(std::string_view(rec).substr(0, n), &out).IsCorruption())
        << n;
  }
  EXPECT_TRUE(head::DecodeChunksRecord(rec + "x", &out).IsCorruption());
}

TEST(ChunksRecordTest, MalformedRecordsAndChunksAreCorruption) {
  std::vector<ChunksRecordEntry> out;
  // No series; a series without chunks.
  EXPECT_TRUE(head::DecodeChunksRecord(std::string("\x03\x00", 2), &out).IsCorruption());
  EXPECT_TRUE(head::DecodeChunksRecord(std::string("\x03\x01\x05\x00", 4), &out).IsCorruption());
  // A span that would carry max_t past INT64_MAX.
  {
    std::vector<ChunksRecordEntry> in = {{1, {{INT64_MAX - 5, INT64_MAX - 5, Chunk({{1, 1}})}}}};
    std::string rec;
    head::EncodeChunksRecord(in, &rec);
    ASSERT_TRUE(head::DecodeChunksRecord(rec, &out).ok());
    // Patch the span (one varint byte, 0) to 10.
    const size_t span_at = 1 + 1 + 1 + 1 + 10;  // type, count, id, chunk count, svarint(min_t).
    ASSERT_EQ(rec[span_at], '\0');
    rec[span_at] = 10;
    EXPECT_TRUE(head::DecodeChunksRecord(rec, &out).IsCorruption());
  }
  // Chunks whose content disagrees with their times, overlap, or hold nothing.
  const std::string a = Chunk({{100, 1.0}, {130, 2.0}});
  const std::string empty = Chunk({});
  auto check = [](ChunksRecordEntry e) { return head::ForEachChunkSample(e, nullptr); };
  EXPECT_TRUE(check({1, {{100, 130, a}}}).ok());
  EXPECT_TRUE(check({1, {{99, 130, a}}}).IsCorruption());
  EXPECT_TRUE(check({1, {{100, 131, a}}}).IsCorruption());
  EXPECT_TRUE(check({1, {{100, 130, a}, {100, 130, a}}}).IsCorruption());
  EXPECT_TRUE(check({1, {{100, 100, empty}}}).IsCorruption());
  EXPECT_TRUE(check({1, {{100, 130, a.substr(0, a.size() - 3)}}}).IsCorruption());
}

HeadOptions Opts() {
  HeadOptions o;
  o.series_map_stripes = 16;
  o.wal.fsync = WalOptions::FsyncPolicy::kNever;
  o.out_of_order_window_ms = kHour;
  return o;
}

void Write(Head* h, int64_t from, int64_t to, int64_t step = 15000) {
  testutil::WriteSeries(h, 40, from, to, step);
}

std::map<std::string, std::vector<std::pair<int64_t, uint64_t>>> Everything(const Head& h) {
  return testutil::AllSamples(h);
}

// What a move does to the head: raise its lower bound, hand out [from, cut), truncate (which
// writes the WAL checkpoint).
void MoveBefore(Head* h, int64_t from, int64_t cut) {
  h->SetMinValidTime(cut);
  (void)h->CollectRange(from, cut);
  ASSERT_TRUE(h->Truncate(cut).ok());
}

// Record types in the newest checkpoint: type -> count.
std::map<int, int> CheckpointRecordTypes(const std::string& dir) {
  std::string ckpt;
  for (const auto& e : fs::directory_iterator(dir + "/wal")) {
    const std::string n = e.path().filename().string();
    if (n.rfind("checkpoint.", 0) == 0 && n > fs::path(ckpt).filename().string()) {
      ckpt = e.path().string();
    }
  }
  std::map<int, int> types;
  EXPECT_FALSE(ckpt.empty());
  for (const auto& e : fs::directory_iterator(ckpt)) {
    auto scan = wal::ReadSegment(e.path().string(), false, [&](std::string_view r) {
      if (!r.empty()) ++types[static_cast<uint8_t>(r[0])];
      return Status::Ok();
    });
    EXPECT_TRUE(scan.ok()) << scan.status().ToString();
  }
  return types;
}

TEST(HeadCheckpointTest, CheckpointsCarryChunksAndReplayGivesTheSameSamples) {
  testutil::TempDir tmp;
  std::map<std::string, std::vector<std::pair<int64_t, uint64_t>>> before;
  {
    auto h = Head::Open(tmp.path(), Opts(), nullptr);
    ASSERT_TRUE(h.ok());
    Write(h->get(), 0, 4 * kHour);
    // Out of order inside the window, after the cut: kept as samples records.
    Write(h->get(), 3 * kHour + 7000, 3 * kHour + 60000, 15000);
    MoveBefore(h->get(), 0, 2 * kHour);
    before = Everything(**h);
    ASSERT_TRUE((*h)->Close().ok());
  }
  auto types = CheckpointRecordTypes(tmp.path());
  EXPECT_GE(types[1], 1);  // Series.
  EXPECT_GE(types[3], 1);  // Chunks.
  EXPECT_EQ(types[2], 1);  // Samples: only the 160 out-of-order ones.
  ASSERT_EQ(before.size(), 40u);
  EXPECT_EQ(before.begin()->second.size(), 2u * 240 + 4);
  {
    auto h = Head::Open(tmp.path(), Opts(), nullptr);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(Everything(**h), before);
    // Appends go on after the installed open chunk; a second move reads the chunks checkpoint.
    Write(h->get(), 4 * kHour, 6 * kHour);
    MoveBefore(h->get(), 2 * kHour, 4 * kHour);
    before = Everything(**h);
    EXPECT_EQ(before.begin()->second.size(), 2u * 240);
    Write(h->get(), 6 * kHour, 6 * kHour + 10 * 60000);  // In segments after the checkpoint.
    before = Everything(**h);
    ASSERT_TRUE((*h)->Close().ok());
  }
  types = CheckpointRecordTypes(tmp.path());
  EXPECT_GE(types[3], 1);
  EXPECT_EQ(types[2], 0);  // The out-of-order samples were before the second cut.
  auto h = Head::Open(tmp.path(), Opts(), nullptr);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(Everything(**h), before);
  EXPECT_EQ(before.begin()->second.size(), 2u * 240 + 40);
}

TEST(HeadCheckpointTest, AHeadLargerThanTheBudgetCheckpointsSamplesRecords) {
  // A head holding more than checkpoint_chunks_max_bytes after the cut (a backfill): the
  // checkpoint streams samples records instead of building chunks in memory; replay gives the
  // same samples, and a later checkpoint within the budget writes chunks again.
  testutil::TempDir tmp;
  HeadOptions small = Opts();
  small.checkpoint_chunks_max_bytes = 1;
  std::map<std::string, std::vector<std::pair<int64_t, uint64_t>>> before;
  {
    auto h = Head::Open(tmp.path(), small, nullptr);
    ASSERT_TRUE(h.ok());
    Write(h->get(), 0, 4 * kHour);
    MoveBefore(h->get(), 0, 2 * kHour);
    before = Everything(**h);
    ASSERT_TRUE((*h)->Close().ok());
  }
  auto types = CheckpointRecordTypes(tmp.path());
  EXPECT_GE(types[1], 1);
  EXPECT_EQ(types[3], 0);
  EXPECT_GE(types[2], 1);
  ASSERT_EQ(before.size(), 40u);
  EXPECT_EQ(before.begin()->second.size(), 2u * 240);
  {
    auto h = Head::Open(tmp.path(), Opts(), nullptr);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(Everything(**h), before);
    Write(h->get(), 4 * kHour, 6 * kHour);
    MoveBefore(h->get(), 2 * kHour, 4 * kHour);
    before = Everything(**h);
    ASSERT_TRUE((*h)->Close().ok());
  }
  types = CheckpointRecordTypes(tmp.path());
  EXPECT_GE(types[3], 1);
  auto h = Head::Open(tmp.path(), Opts(), nullptr);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(Everything(**h), before);
}

TEST(HeadCheckpointTest, ALongWalTailIsCheckpointedBetweenMoves) {
  // Samples logged after the newest checkpoint are replayed one by one; once they outgrow
  // half the head's chunks (and the minimum), a checkpoint without a move turns them into
  // chunks records. Nothing is dropped, and a short tail is left alone.
  testutil::TempDir tmp;
  HeadOptions o = Opts();
  o.checkpoint_tail_min_bytes = 64 << 10;
  o.checkpoint_tail_min_interval_ms = 0;
  std::map<std::string, std::vector<std::pair<int64_t, uint64_t>>> before;
  {
    auto h = Head::Open(tmp.path(), o, nullptr);
    ASSERT_TRUE(h.ok());
    Write(h->get(), 0, 10 * 60000);  // 40 series x 40 samples: under the minimum.
    bool did = true;
    ASSERT_TRUE((*h)->CheckpointTailIfLarge(&did).ok());
    EXPECT_FALSE(did);
    Write(h->get(), 10 * 60000, 2 * kHour);
    const uint64_t tail = (*h)->WalTailBytes();
    EXPECT_GE(tail, o.checkpoint_tail_min_bytes);
    EXPECT_GE(tail, (*h)->Stats().chunk_bytes / 2);
    ASSERT_TRUE((*h)->CheckpointTailIfLarge(&did).ok());
    EXPECT_TRUE(did);
    EXPECT_LT((*h)->WalTailBytes(), tail / 10);
    ASSERT_TRUE((*h)->CheckpointTailIfLarge(&did).ok());
    EXPECT_FALSE(did);                                  // Nothing logged since.
    Write(h->get(), 2 * kHour, 2 * kHour + 5 * 60000);  // After the checkpoint.
    before = Everything(**h);
    ASSERT_TRUE((*h)->Close().ok());
  }
  auto types = CheckpointRecordTypes(tmp.path());
  EXPECT_GE(types[3], 1);  // Chunks.
  EXPECT_EQ(types[2], 0);  // No samples records: every sample was in order.
  ASSERT_EQ(before.size(), 40u);
  EXPECT_EQ(before.begin()->second.size(), 2u * 240 + 20);
  {
    auto h = Head::Open(tmp.path(), o, nullptr);
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(Everything(**h), before);
    // A move after a tail checkpoint reads it like any other.
    Write(h->get(), 2 * kHour + 5 * 60000, 4 * kHour);
    MoveBefore(h->get(), 0, 2 * kHour);
    before = Everything(**h);
    ASSERT_TRUE((*h)->Close().ok());
  }
  auto h = Head::Open(tmp.path(), o, nullptr);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(Everything(**h), before);
  EXPECT_EQ(before.begin()->second.size(), 2u * 240);
}

TEST(HeadCheckpointTest, TailCheckpointsWaitTheirIntervalAfterAnyCheckpoint) {
  // During a backfill moves come seconds apart and each checkpoints: a tail checkpoint waits
  // checkpoint_tail_min_interval_ms after the last one of this process.
  testutil::TempDir tmp;
  HeadOptions o = Opts();
  o.checkpoint_tail_min_bytes = 1;
  o.checkpoint_tail_min_interval_ms = 3600 * 1000;
  auto h = Head::Open(tmp.path(), o, nullptr);
  ASSERT_TRUE(h.ok());
  Write(h->get(), 0, 4 * kHour);
  MoveBefore(h->get(), 0, 2 * kHour);
  Write(h->get(), 4 * kHour, 6 * kHour);
  ASSERT_GE((*h)->WalTailBytes(), (*h)->Stats().chunk_bytes / 2);
  bool did = true;
  ASSERT_TRUE((*h)->CheckpointTailIfLarge(&did).ok());
  EXPECT_FALSE(did);
}

TEST(HeadCheckpointTest, ChunksForASeriesThatHoldsSamplesAreAppendedByTheRules) {
  // A log where a chunks record follows samples of the same series (not what a checkpoint
  // writes, but legal): replay appends the chunks' samples one by one.
  testutil::TempDir tmp;
  fs::create_directories(tmp.path() + "/wal");
  {
    WalOptions wo;
    wo.fsync = WalOptions::FsyncPolicy::kNever;
    auto wal = Wal::Open(tmp.path() + "/wal", wo);
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    std::string rec;
    head::EncodeSeriesRecord({{1, {{"__name__", "m"}, {"s", "a"}}}}, &rec);
    ASSERT_TRUE((*wal)->Log(rec).ok());
    rec.clear();
    head::EncodeSamplesRecord(
        {{1, 1000, std::bit_cast<uint64_t>(1.0)}, {1, 5000, std::bit_cast<uint64_t>(5.0)}}, &rec);
    ASSERT_TRUE((*wal)->Log(rec).ok());
    const std::string c = Chunk({{2000, 2.0}, {6000, 6.0}});
    rec.clear();
    head::EncodeChunksRecord({{1, {{2000, 6000, c}}}}, &rec);
    ASSERT_TRUE((*wal)->Log(rec).ok());
    // A chunks record of a series never defined: dropped, as its samples would be.
    rec.clear();
    head::EncodeChunksRecord({{2, {{2000, 6000, c}}}}, &rec);
    ASSERT_TRUE((*wal)->Log(rec).ok());
    ASSERT_TRUE((*wal)->Close().ok());
  }
  auto h = Head::Open(tmp.path(), Opts(), nullptr);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  auto all = Everything(**h);
  ASSERT_EQ(all.size(), 1u);
  std::vector<int64_t> ts;
  for (const auto& [t, v] : all.begin()->second) ts.push_back(t);
  EXPECT_EQ(ts, (std::vector<int64_t>{1000, 2000, 5000, 6000}));
  EXPECT_EQ((*h)->salvage_stats().samples_dropped, 2u);
}

TEST(HeadCheckpointTest, AChunksRecordIsCheckedWholeAndInstalledInLogOrder) {
  // Two chunks records of 50 series each; the second has one bad entry near its end, so that
  // whole record is skipped and the first is installed. A samples record after them applies on
  // top of the installed chunks.
  testutil::TempDir tmp;
  fs::create_directories(tmp.path() + "/wal");
  const std::string c = Chunk({{2000, 2.0}, {6000, 6.0}});
  {
    WalOptions wo;
    wo.fsync = WalOptions::FsyncPolicy::kNever;
    auto wal = Wal::Open(tmp.path() + "/wal", wo);
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    std::vector<std::string> names;
    for (uint32_t id = 1; id <= 100; ++id) names.push_back(std::to_string(id));
    std::vector<head::SeriesRecordEntry> series;
    for (uint32_t id = 1; id <= 100; ++id)
      series.push_back({id, {{"__name__", "m"}, {"s", names[id - 1]}}});
    std::string rec;
    head::EncodeSeriesRecord(series, &rec);
    ASSERT_TRUE((*wal)->Log(rec).ok());
    for (uint32_t first : {1u, 51u}) {
      std::vector<head::ChunksRecordEntry> entries;
      for (uint32_t id = first; id < first + 50; ++id) {
        // Series 95's chunk claims a max time its last sample does not have.
        entries.push_back({id, {{2000, id == 95 ? 6001 : 6000, c}}});
      }
      rec.clear();
      head::EncodeChunksRecord(entries, &rec);
      ASSERT_TRUE((*wal)->Log(rec).ok());
    }
    rec.clear();
    head::EncodeSamplesRecord(
        {{1, 7000, std::bit_cast<uint64_t>(7.0)}, {60, 7000, std::bit_cast<uint64_t>(7.0)}}, &rec);
    ASSERT_TRUE((*wal)->Log(rec).ok());
    ASSERT_TRUE((*wal)->Close().ok());
  }
  auto h = Head::Open(tmp.path(), Opts(), nullptr);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  auto all = Everything(**h);
  std::map<std::string, std::vector<int64_t>> times;
  for (const auto& [labels, samples] : all) {
    for (const auto& [t, v] : samples) times[labels].push_back(t);
  }
  ASSERT_EQ(times.size(), 51u);  // Series 1-50 from the first record, 60 from its sample.
  EXPECT_EQ(times["{__name__=\"m\", s=\"1\"}"], (std::vector<int64_t>{2000, 6000, 7000}));
  EXPECT_EQ(times["{__name__=\"m\", s=\"50\"}"], (std::vector<int64_t>{2000, 6000}));
  EXPECT_EQ(times["{__name__=\"m\", s=\"60\"}"], (std::vector<int64_t>{7000}));
  EXPECT_EQ(times.count("{__name__=\"m\", s=\"51\"}"), 0u);
}

}  // namespace
}  // namespace strata::storage
