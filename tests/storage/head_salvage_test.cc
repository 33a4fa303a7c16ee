// The head over a salvaged WAL: samples whose series record was lost are dropped and counted,
// damage in a checkpoint is salvaged the same way, the rest is replayed, and the next start is
// clean.
#include <gtest/gtest.h>

#include <bit>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "storage/head.h"
#include "storage/head/wal_records.h"
#include "testutil/process.h"

namespace strata::storage {
namespace {

namespace fs = std::filesystem;

HeadOptions Opts() {
  HeadOptions o;
  o.series_map_stripes = 16;
  o.wal.fsync = WalOptions::FsyncPolicy::kNever;
  o.wal.segment_size_bytes = 64 << 10;
  return o;
}

// Appends `steps` batches of 50 series x 1 sample each, series `first`..`first+49`.
void Write(Head* h, int first, int64_t from_step, int steps) {
  std::vector<std::string> ids;
  for (int i = 0; i < 50; ++i) ids.push_back(std::to_string(first + i));
  for (int64_t st = from_step; st < from_step + steps; ++st) {
    std::vector<std::vector<model::LabelView>> views(50);
    std::vector<std::vector<model::Sample>> samples(50);
    std::vector<SeriesInput> batch;
    for (int i = 0; i < 50; ++i) {
      views[i] = {{"__name__", "m"}, {"s", ids[static_cast<size_t>(i)]}};
      // Values that do not compress to nothing, so a checkpoint's chunks fill many records.
      samples[i] = {{st * 15000, static_cast<double>((st * 7919 + i * 104729) % 1000003) / 7.0}};
      batch.push_back({views[i], samples[i]});
    }
    AppendResult r;
    ASSERT_TRUE(h->Append(batch, &r).ok());
  }
}

uint64_t CountAll(const Head& h) {
  auto all = SelectAll(h, {model::Matcher::Equal("__name__", "m")}, INT64_MIN, INT64_MAX);
  EXPECT_TRUE(all.ok());
  uint64_t n = 0;
  for (const auto& s : *all) n += s.samples.size();
  return n;
}

void Damage(const std::string& path, uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write("\xde\xad\xbe\xef", 4);
}

TEST(HeadSalvageTest, LostSeriesRecordsDropTheirSamplesAndAreCounted) {
  testutil::TempDir tmp;
  {
    auto h = Head::Open(tmp.path(), Opts(), nullptr);
    ASSERT_TRUE(h.ok());
    Write(h->get(), 0, 0, 400);  // Series 0-49: their series record is the first record.
    Write(h->get(), 50, 0, 400);
    ASSERT_TRUE((*h)->Close().ok());
  }
  // The first page of segment 0 holds the first series record.
  Damage(tmp.path() + "/wal/00000000", 40);
  uint64_t kept = 0;
  {
    auto h = Head::Open(tmp.path(), Opts(), nullptr);
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    const SalvageStats& st = (*h)->salvage_stats();
    EXPECT_EQ(st.ranges, 1u);
    EXPECT_GT(st.samples_dropped, 0u);
    EXPECT_EQ(st.series_dropped, 50u);
    EXPECT_FALSE(st.damaged_dir.empty());
    kept = CountAll(**h);
    // Series 50-99 are whole; series 0-49 lost everything (their record is gone).
    EXPECT_EQ(kept, 50u * 400u);
    ASSERT_TRUE((*h)->Close().ok());
  }
  auto again = Head::Open(tmp.path(), Opts(), nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->salvage_stats().ranges, 0u);
  EXPECT_EQ((*again)->salvage_stats().samples_dropped, 0u);
  EXPECT_EQ(CountAll(**again), kept);
}

TEST(HeadSalvageTest, DamageInACheckpointIsSalvagedToo) {
  testutil::TempDir tmp;
  constexpr int64_t kHour = 3600 * 1000;
  {
    auto h = Head::Open(tmp.path(), Opts(), nullptr);
    ASSERT_TRUE(h.ok());
    Write(h->get(), 0, 0, 4 * 240);  // 4 hours of 50 series.
    (*h)->SetMinValidTime(2 * kHour);
    (void)(*h)->CollectRange(0, 2 * kHour);
    ASSERT_TRUE((*h)->Truncate(2 * kHour).ok());  // Checkpoint: samples from 2 h on.
    Write(h->get(), 0, 4 * 240, 10);
    ASSERT_TRUE((*h)->Close().ok());
  }
  std::string ckpt;
  for (const auto& e : fs::directory_iterator(tmp.path() + "/wal")) {
    if (e.path().filename().string().rfind("checkpoint.", 0) == 0) ckpt = e.path().string();
  }
  ASSERT_FALSE(ckpt.empty());
  // Off refuses, naming the checkpoint.
  HeadOptions off = Opts();
  off.wal_repair = HeadOptions::WalRepair::kOff;
  // Damage the middle of the checkpoint, inside its chunks records (16 KiB each).
  const uint64_t size = fs::file_size(ckpt + "/00000000");
  ASSERT_GT(size, 8u * 16384) << "expected several chunks records";
  Damage(ckpt + "/00000000", size / 2);
  auto refused = Head::Open(tmp.path(), off, nullptr);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("checkpoint"), std::string::npos);
  auto h = Head::Open(tmp.path(), Opts(), nullptr);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ((*h)->salvage_stats().ranges, 1u);
  const uint64_t n = CountAll(**h);
  // 2 h + 10 steps of 50 series were in the log; the records of one 32 KiB page are gone (as
  // chunks of these values, about 6 bytes a sample: some thousands of samples).
  EXPECT_LT(n, 50u * (480 + 10));
  EXPECT_GT(n, 50u * (480 + 10) - 10000);
  ASSERT_TRUE((*h)->Close().ok());
  auto again = Head::Open(tmp.path(), Opts(), nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->salvage_stats().ranges, 0u);
  EXPECT_EQ(CountAll(**again), n);
}

}  // namespace
}  // namespace strata::storage

namespace strata::storage {
namespace {

TEST(HeadSalvageTest, DamageInTheLastSegmentWithDataAfterItIsSalvagedToo) {
  testutil::TempDir tmp;
  HeadOptions one_segment = Opts();
  one_segment.wal.segment_size_bytes = 4 << 20;
  {
    auto h = Head::Open(tmp.path(), one_segment, nullptr);
    ASSERT_TRUE(h.ok());
    Write(h->get(), 0, 0, 300);
    ASSERT_TRUE((*h)->Close().ok());
  }
  std::string last;
  for (const auto& e : fs::directory_iterator(tmp.path() + "/wal")) {
    const std::string n = e.path().filename().string();
    if (n.size() == 8 && n > last) last = n;
  }
  // Damage the second page of the last segment (the first holds the series record); later
  // pages hold valid data.
  ASSERT_GT(fs::file_size(tmp.path() + "/wal/" + last), 100000u);
  Damage(tmp.path() + "/wal/" + last, 40000);
  auto h = Head::Open(tmp.path(), Opts(), nullptr);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ((*h)->salvage_stats().ranges, 1u);
  const uint64_t n = CountAll(**h);
  EXPECT_LT(n, 50u * 300u);
  EXPECT_GT(n, 50u * 300u - 4000u);
  ASSERT_TRUE((*h)->Close().ok());
  auto again = Head::Open(tmp.path(), Opts(), nullptr);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->salvage_stats().ranges, 0u);
  EXPECT_EQ(CountAll(**again), n);
}

TEST(HeadSalvageTest, ReplayKeepsLoggedOutOfOrderSamplesWhateverTheWindowIsNow) {
  testutil::TempDir tmp;
  HeadOptions with_window = Opts();
  with_window.out_of_order_window_ms = 30 * 60 * 1000;
  {
    auto h = Head::Open(tmp.path(), with_window, nullptr);
    ASSERT_TRUE(h.ok());
    Write(h->get(), 0, 100, 10);
    Write(h->get(), 0, 90, 5);  // Out of order, inside the window.
    ASSERT_TRUE((*h)->Close().ok());
  }
  auto h = Head::Open(tmp.path(), Opts(), nullptr);  // Window 0 now (as `strata compact`).
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(CountAll(**h), 50u * 15u);
}

TEST(HeadSalvageTest, TimestampsTooFarInTheFutureAreOutOfBounds) {
  testutil::TempDir tmp;
  auto h = Head::Open(tmp.path(), Opts(), nullptr);
  ASSERT_TRUE(h.ok());
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::vector<model::LabelView> a = {{"__name__", "m"}, {"s", "future"}};
  std::vector<model::Sample> sa = {{now + 2 * 3600 * 1000, 1}};
  std::vector<model::LabelView> b = {{"__name__", "m"}, {"s", "now"}};
  std::vector<model::Sample> sb = {{now, 1}};
  std::vector<model::LabelView> c = {{"__name__", "m"}, {"s", "ancient"}};
  std::vector<model::Sample> sc = {{INT64_MIN + 5, 1}};
  std::vector<SeriesInput> batch = {{a, sa}, {b, sb}, {c, sc}};
  AppendResult r;
  ASSERT_TRUE((*h)->Append(batch, &r).ok());
  EXPECT_EQ(r.accepted, 1u);
  EXPECT_EQ(r.out_of_bounds, 2u);
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_NE(r.errors[0].find("too far in the future"), std::string::npos) << r.errors[0];
}

// A sample older than the newest sample minus the retention is refused at once: retention
// would delete it at its next run, after it had been acknowledged. WAL replay keeps what was
// logged.
TEST(HeadSalvageTest, SamplesOlderThanTheRetentionAreOutOfBounds) {
  testutil::TempDir tmp;
  constexpr int64_t kHour = 3600 * 1000;
  HeadOptions o = Opts();
  o.max_future_ms = 0;
  o.retention_ms = 24 * kHour;
  {
    auto h = Head::Open(tmp.path(), o, nullptr);
    ASSERT_TRUE(h.ok());
    std::vector<model::LabelView> a = {{"__name__", "m"}, {"s", "a"}};
    std::vector<model::LabelView> b = {{"__name__", "m"}, {"s", "b"}};
    std::vector<model::Sample> newest = {{100 * kHour, 1}};
    std::vector<SeriesInput> first = {{a, newest}};
    AppendResult r;
    ASSERT_TRUE((*h)->Append(first, &r).ok());
    EXPECT_EQ(r.accepted, 1u);
    std::vector<model::Sample> within = {{76 * kHour + 1, 2}};
    std::vector<model::Sample> past = {{76 * kHour - 1, 3}, {0, 4}, {-1000, 5}};
    std::vector<SeriesInput> second = {{b, past}};
    r = AppendResult{};
    ASSERT_TRUE((*h)->Append(second, &r).ok());
    EXPECT_EQ(r.accepted, 0u);
    EXPECT_EQ(r.out_of_bounds, 3u);
    ASSERT_FALSE(r.errors.empty());
    EXPECT_NE(r.errors[0].find("older than the newest sample minus --storage.retention (1d)"),
              std::string::npos)
        << r.errors[0];
    std::vector<SeriesInput> third = {{b, within}};
    r = AppendResult{};
    ASSERT_TRUE((*h)->Append(third, &r).ok());
    EXPECT_EQ(r.accepted, 1u);
    ASSERT_TRUE((*h)->Close().ok());
  }
  auto h = Head::Open(tmp.path(), o, nullptr);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(CountAll(**h), 2u);
}

TEST(HeadSalvageTest, SamplesBeforeTheirSeriesRecordAreDroppedOnceNotOnEveryStart) {
  testutil::TempDir tmp;
  {
    auto w = Wal::Open(tmp.path() + "/wal", Opts().wal);
    ASSERT_TRUE(w.ok());
    std::string rec;
    head::EncodeSamplesRecord({{7, 1000, std::bit_cast<uint64_t>(1.0)}}, &rec);  // Orphan.
    ASSERT_TRUE((*w)->Log(rec).ok());
    rec.clear();
    head::EncodeSeriesRecord({{7, {{"__name__", "a"}}}}, &rec);
    ASSERT_TRUE((*w)->Log(rec).ok());
    rec.clear();
    head::EncodeSamplesRecord({{7, 2000, std::bit_cast<uint64_t>(2.0)}}, &rec);
    ASSERT_TRUE((*w)->Log(rec).ok());
    ASSERT_TRUE((*w)->Close().ok());
  }
  {
    auto h = Head::Open(tmp.path(), Opts(), nullptr);
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    EXPECT_EQ((*h)->salvage_stats().samples_dropped, 1u);
    ASSERT_TRUE((*h)->Close().ok());
  }
  auto h = Head::Open(tmp.path(), Opts(), nullptr);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ((*h)->salvage_stats().samples_dropped, 0u);
  auto a = SelectAll(**h, {model::Matcher::Equal("__name__", "a")}, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 1u);
  EXPECT_EQ((*a)[0].samples.size(), 1u);
}

TEST(HeadSalvageTest, ASeriesRecordReusingAnotherSeriesIdIsRefusedNotCrashed) {
  testutil::TempDir tmp;
  {
    auto w = Wal::Open(tmp.path() + "/wal", Opts().wal);
    ASSERT_TRUE(w.ok());
    std::string rec;
    head::EncodeSeriesRecord({{7, {{"__name__", "a"}}}}, &rec);
    ASSERT_TRUE((*w)->Log(rec).ok());
    rec.clear();
    head::EncodeSeriesRecord({{7, {{"__name__", "b"}}}}, &rec);  // Same id, other labels.
    ASSERT_TRUE((*w)->Log(rec).ok());
    rec.clear();
    head::EncodeSamplesRecord({{7, 1000, std::bit_cast<uint64_t>(1.0)}}, &rec);
    ASSERT_TRUE((*w)->Log(rec).ok());
    ASSERT_TRUE((*w)->Close().ok());
  }
  auto h = Head::Open(tmp.path(), Opts(), nullptr);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  auto a = SelectAll(**h, {model::Matcher::Equal("__name__", "a")}, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 1u);
  EXPECT_EQ((*a)[0].samples.size(), 1u);
  EXPECT_EQ((*h)->Stats().series, 1u);
}

}  // namespace
}  // namespace strata::storage
