// The compaction planner over a real head and warm store in a temp directory: when moves
// happen, what the merged tiers answer afterwards, out-of-bounds rejection, series removal,
// restart, retention (time and size, with disk space coming back), and a failing warm write.
#include "compaction/compactor.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "storage/data_dir.h"
#include "storage/merge_querier.h"
#include "storage/xor_chunk.h"
#include "testutil/mem_object_store.h"
#include "testutil/process.h"

namespace strata::compaction {
namespace {

using storage::Head;
using storage::MergeQuerier;
using storage::WarmStore;

constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kStep = 15000;

struct Db {
  std::unique_ptr<Head> head;
  std::unique_ptr<WarmStore> warm;
  std::unique_ptr<storage::ColdStore> cold;
  std::unique_ptr<MergeQuerier> querier;
  std::unique_ptr<Compactor> compactor;
};

Db Open(const std::string& dir, CompactorOptions copts = {}, bool with_cold = false) {
  Db db;
  storage::HeadOptions ho;
  ho.series_map_stripes = 16;
  ho.wal.fsync = storage::WalOptions::FsyncPolicy::kNever;
  ho.wal.segment_size_bytes = 64 << 10;
  auto head = Head::Open(dir, ho, nullptr);
  EXPECT_TRUE(head.ok()) << head.status().ToString();
  storage::WarmOptions wo;
  wo.sync = false;
  auto warm = WarmStore::Open(dir + "/warm", wo, nullptr);
  EXPECT_TRUE(warm.ok()) << warm.status().ToString();
  db.head = std::move(head).value();
  db.warm = std::move(warm).value();
  db.head->SetMinValidTime(db.warm->covered_until());
  std::vector<const storage::Querier*> tiers{db.head.get(), db.warm.get()};
  if (with_cold) {
    storage::ColdConfig cc;
    cc.cold.node_id = "n1";
    auto cold = storage::OpenColdStore(dir, cc, nullptr);
    EXPECT_TRUE(cold.ok()) << cold.status().ToString();
    db.cold = std::move(cold).value();
    tiers.push_back(db.cold.get());
  }
  db.querier = std::make_unique<MergeQuerier>(tiers);
  copts.wal_dir = dir + "/wal";
  copts.staging_dir = dir + "/cold-staging";
  db.compactor =
      std::make_unique<Compactor>(db.head.get(), db.warm.get(), db.cold.get(), copts, nullptr);
  return db;
}

double Value(int series, int64_t t) { return static_cast<double>(t / kStep) * 1.5 + series; }

// Appends samples [from, to) at 15 s for series 0..n-1 of metric `name`, in time order.
void Write(Head* head, const std::string& name, int n, int64_t from, int64_t to,
           storage::AppendResult* result = nullptr) {
  storage::AppendResult local;
  if (result == nullptr) result = &local;
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(std::to_string(i));
  for (int64_t t = from; t < to; t += 20 * kStep) {
    std::vector<std::vector<model::LabelView>> views(static_cast<size_t>(n));
    std::vector<std::vector<model::Sample>> samples(static_cast<size_t>(n));
    std::vector<storage::SeriesInput> batch;
    for (int i = 0; i < n; ++i) {
      auto& v = views[static_cast<size_t>(i)];
      v = {{"__name__", name}, {"series", ids[static_cast<size_t>(i)]}};
      for (int64_t k = t; k < std::min(to, t + 20 * kStep); k += kStep) {
        samples[static_cast<size_t>(i)].push_back({k, Value(i, k)});
      }
      batch.push_back({v, samples[static_cast<size_t>(i)]});
    }
    ASSERT_TRUE(head->Append(batch, result).ok());
  }
}

std::map<std::string, std::vector<model::Sample>> ReadAll(const storage::Querier& q,
                                                          const std::string& name) {
  std::map<std::string, std::vector<model::Sample>> out;
  auto sel = storage::SelectAll(q, {model::Matcher::Equal("__name__", name)}, INT64_MIN, INT64_MAX);
  EXPECT_TRUE(sel.ok()) << sel.status().ToString();
  if (!sel.ok()) return out;
  for (auto& s : *sel) out[s.labels.ToString()] = std::move(s.samples);
  return out;
}

void ExpectComplete(const storage::Querier& q, const std::string& name, int n, int64_t from,
                    int64_t to) {
  auto all = ReadAll(q, name);
  ASSERT_EQ(all.size(), static_cast<size_t>(n));
  for (const auto& [key, samples] : all) {
    int i = std::stoi(key.substr(key.find("series=\"") + 8));
    ASSERT_EQ(samples.size(), static_cast<size_t>((to - from) / kStep)) << key;
    for (size_t k = 0; k < samples.size(); ++k) {
      int64_t t = from + static_cast<int64_t>(k) * kStep;
      ASSERT_EQ(samples[k].timestamp_ms, t) << key;
      ASSERT_EQ(samples[k].value, Value(i, t)) << key;
    }
  }
}

// Moves every range of the head to warm and none to cold (a huge warm span), with `copts`'s
// other options, over `db`.
void FillWarmOnly(Db& db, const std::string& dir, const CompactorOptions& copts) {
  CompactorOptions no_cold = copts;
  no_cold.warm_span_ms = 1000 * 24 * kHour;
  no_cold.wal_dir = dir + "/wal";
  no_cold.staging_dir = dir + "/cold-staging";
  Compactor filler(db.head.get(), db.warm.get(), db.cold.get(), no_cold, nullptr);
  ASSERT_TRUE(filler.RunOnce().ok());
}

TEST(CompactorTest, NothingMovesUntilTheHeadSpansMoreThanOneAndAHalfRanges) {
  testutil::TempDir tmp;
  Db db = Open(tmp.path());
  Write(db.head.get(), "m", 5, 0, 3 * kHour);  // Spans 3 h - 15 s: not more than 1.5 ranges.
  auto r = db.compactor->RunOnce();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->moves, 0);
  Write(db.head.get(), "m", 5, 3 * kHour, 3 * kHour + 2 * kStep);
  r = db.compactor->RunOnce();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->moves, 1);
  EXPECT_EQ(db.head->min_valid_time(), 2 * kHour);
  EXPECT_GE(db.head->MinTime(), 2 * kHour);
  EXPECT_EQ(db.warm->covered_until(), 2 * kHour);
  ExpectComplete(*db.querier, "m", 5, 0, 3 * kHour + 2 * kStep);
  // The warm tier alone holds exactly the first 2 h.
  ExpectComplete(*db.warm, "m", 5, 0, 2 * kHour);
}

TEST(CompactorTest, AGapInTheHeadIsSkippedNotWalkedRangeByRange) {
  testutil::TempDir tmp;
  Db db = Open(tmp.path());
  Write(db.head.get(), "m", 3, 0, kHour);
  Write(db.head.get(), "m", 3, 100 * kHour, 104 * kHour);
  auto r = db.compactor->RunOnce();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->moves, 2);  // [0, 2 h) and [100 h, 102 h); nothing in between.
  EXPECT_EQ(db.warm->covered_until(), 102 * kHour);
  auto all = ReadAll(*db.querier, "m");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all.begin()->second.size(), static_cast<size_t>(5 * kHour / kStep));
}

TEST(CompactorTest, SamplesBeforeTheLowerBoundAreOutOfBoundsAndTheRestOfTheBatchIsKept) {
  testutil::TempDir tmp;
  Db db = Open(tmp.path());
  Write(db.head.get(), "m", 2, 0, 4 * kHour);
  ASSERT_TRUE(db.compactor->RunOnce().ok());
  ASSERT_EQ(db.head->min_valid_time(), 2 * kHour);
  std::vector<model::LabelView> old_labels = {{"__name__", "late"}, {"series", "0"}};
  std::vector<model::Sample> old_samples = {{kHour, 1}};
  std::vector<model::LabelView> new_labels = {{"__name__", "late"}, {"series", "1"}};
  std::vector<model::Sample> new_samples = {{4 * kHour, 2}};
  std::vector<storage::SeriesInput> batch = {{old_labels, old_samples}, {new_labels, new_samples}};
  storage::AppendResult r;
  ASSERT_TRUE(db.head->Append(batch, &r).ok());
  EXPECT_EQ(r.out_of_bounds, 1u);
  EXPECT_EQ(r.accepted, 1u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("out of bounds"), std::string::npos) << r.errors[0];
  auto late = ReadAll(*db.querier, "late");
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late.begin()->second.size(), 1u);
}

TEST(CompactorTest, SeriesThatStoppedLeaveTheHeadButStayQueryable) {
  testutil::TempDir tmp;
  Db db = Open(tmp.path());
  Write(db.head.get(), "gone", 10, 0, kHour);  // Stops after 1 h.
  Write(db.head.get(), "live", 3, 0, 6 * kHour);
  auto before = db.head->Stats();
  EXPECT_EQ(before.series, 13u);
  ASSERT_TRUE(db.compactor->RunOnce().ok());
  auto after = db.head->Stats();
  EXPECT_EQ(after.series, 3u);
  EXPECT_EQ(after.series_removed, 10u);
  EXPECT_GT(after.chunks_removed, 0u);
  ExpectComplete(*db.querier, "gone", 10, 0, kHour);
  ExpectComplete(*db.querier, "live", 3, 0, 6 * kHour);
  // Metadata endpoints span the tiers: the removed series' label values still come back.
  auto values = db.querier->LabelValues("__name__", {}, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(*values, (std::vector<std::string>{"gone", "live"}));
  auto head_only = db.head->LabelValues("__name__", {}, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(head_only.ok());
  EXPECT_EQ(*head_only, (std::vector<std::string>{"live"}));
  auto series = db.querier->Series({model::Matcher::Equal("__name__", "gone")}, 0, kHour);
  ASSERT_TRUE(series.ok());
  EXPECT_EQ(series->size(), 10u);
  auto names = db.querier->LabelNames({}, 0, kHour);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"__name__", "series"}));
  // A series that comes back after removal gets a new id and is whole again.
  Write(db.head.get(), "gone", 1, 5 * kHour, 6 * kHour);
  auto back = ReadAll(*db.querier, "gone");
  EXPECT_EQ(back["{__name__=\"gone\", series=\"0\"}"].size(),
            static_cast<size_t>(2 * kHour / kStep));
}

TEST(CompactorTest, RestartAfterMovesReplaysOnlyTheCheckpointAndNewSegments) {
  testutil::TempDir tmp;
  uint64_t wal_before = 0;
  {
    Db db = Open(tmp.path());
    Write(db.head.get(), "m", 20, 0, 12 * kHour);
    for (const auto& e : std::filesystem::recursive_directory_iterator(tmp.path() + "/wal")) {
      if (e.is_regular_file()) wal_before += e.file_size();
    }
    auto r = db.compactor->RunOnce();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->moves, 1);  // 0-2h ... 8-10h in one move (one partition); 10-12h stays.
    ASSERT_TRUE(db.head->Close().ok());
    ASSERT_TRUE(db.warm->Close().ok());
  }
  uint64_t wal_after = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(tmp.path() + "/wal")) {
    if (e.is_regular_file()) wal_after += e.file_size();
  }
  EXPECT_LT(wal_after, wal_before / 3) << wal_before << " -> " << wal_after;
  Db db = Open(tmp.path());
  EXPECT_EQ(db.warm->covered_until(), 10 * kHour);
  EXPECT_EQ(db.head->min_valid_time(), 10 * kHour);
  EXPECT_GE(db.head->MinTime(), 10 * kHour);
  ExpectComplete(*db.querier, "m", 20, 0, 12 * kHour);
}

TEST(CompactorTest, ABackfillMovesAPartitionAtATime) {
  testutil::TempDir tmp;
  Db db = Open(tmp.path());
  Write(db.head.get(), "b", 5, 0, 54 * kHour);
  auto r = db.compactor->RunOnce();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Day 0, day 1, then 48-52h of day 2 (52-54h is within 1.5 ranges of the newest sample):
  // three moves, so three WAL checkpoints instead of one per 2 h range.
  EXPECT_EQ(r->moves, 3);
  EXPECT_EQ(db.warm->covered_until(), 52 * kHour);
  EXPECT_EQ(db.warm->Stats().partitions.size(), 3u);
  ExpectComplete(*db.querier, "b", 5, 0, 54 * kHour);
}

TEST(CompactorTest, AFailedWarmWriteKeepsTheDataInTheHeadAndIsRetried) {
  testutil::TempDir tmp;
  bool fail = true;
  CompactorOptions o;
  o.before_warm_write = [&] {
    return fail ? Status::IOError("injected: no space left on device") : Status::Ok();
  };
  Db db = Open(tmp.path(), o);
  Write(db.head.get(), "m", 4, 0, 4 * kHour);
  auto r = db.compactor->RunOnce();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no space"), std::string::npos);
  EXPECT_EQ(db.warm->covered_until(), INT64_MIN);
  ExpectComplete(*db.head, "m", 4, 0, 4 * kHour);
  // Ingestion goes on meanwhile.
  Write(db.head.get(), "m", 4, 4 * kHour, 5 * kHour);
  fail = false;
  r = db.compactor->RunOnce();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->moves, 1);
  ExpectComplete(*db.querier, "m", 4, 0, 5 * kHour);
}

TEST(CompactorTest, RetentionDropsWholePartitionsMeasuredFromTheNewestSample) {
  testutil::TempDir tmp;
  CompactorOptions o;
  o.retention_ms = 2 * 24 * kHour;  // 2 days.
  Db db = Open(tmp.path(), o);
  // 5 days of data written long ago (timestamps from 0): nothing is deleted on arrival.
  Write(db.head.get(), "m", 50, 0, 5 * 24 * kHour);
  auto r = db.compactor->RunOnce();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Newest sample ~120 h; cut at ~72 h: days 0, 1 and 2 end at or before it.
  EXPECT_EQ(r->partitions_dropped, 2);
  auto all = ReadAll(*db.querier, "m");
  ASSERT_EQ(all.size(), 50u);
  EXPECT_EQ(all.begin()->second.front().timestamp_ms, 2 * 24 * kHour);
  EXPECT_EQ(all.begin()->second.back().timestamp_ms, 5 * 24 * kHour - kStep);
  auto dropped = storage::SelectAll(*db.querier, {model::Matcher::Equal("__name__", "m")}, 0,
                                    2 * 24 * kHour - 1);
  ASSERT_TRUE(dropped.ok());
  EXPECT_TRUE(dropped->empty());
}

TEST(CompactorTest, SizeRetentionDropsOldestPartitionsAndTheSpaceComesBack) {
  testutil::TempDir tmp;
  auto wal_bytes = [&] {
    uint64_t wal = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(tmp.path() + "/wal")) {
      if (e.is_regular_file()) wal += e.file_size();
    }
    return wal;
  };
  {
    Db db = Open(tmp.path());
    Write(db.head.get(), "m", 200, 0, 4 * 24 * kHour);
    ASSERT_TRUE(db.compactor->RunOnce().ok());
    EXPECT_EQ(db.warm->Stats().partitions.size(), 4u);
    ASSERT_TRUE(db.head->Close().ok());
    ASSERT_TRUE(db.warm->Close().ok());
  }
  uint64_t full = 0;
  uint64_t full_wal = 0;
  {
    // Measured once RocksDB has flushed everything to table files.
    Db db = Open(tmp.path());
    full_wal = wal_bytes();
    full = db.warm->Stats().disk_bytes + full_wal;
    ASSERT_TRUE(db.head->Close().ok());
    ASSERT_TRUE(db.warm->Close().ok());
  }
  // The limit leaves room for the WAL (the head's last hours, which retention does not drop:
  // on these regular values it outweighs the warm tier's groups) and half the warm tier.
  CompactorOptions o;
  o.retention_ms = 0;
  o.retention_bytes = full_wal + (full - full_wal) / 2;
  Db db = Open(tmp.path(), o);
  auto r = db.compactor->RunOnce();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GE(r->partitions_dropped, 1);
  uint64_t wal = wal_bytes();
  auto st = db.warm->Stats();
  EXPECT_LE(st.disk_bytes + wal, o.retention_bytes)
      << full << " (WAL " << full_wal << ") -> " << st.disk_bytes << " + " << wal;
  EXPECT_EQ(st.partitions.size(), 4u - static_cast<size_t>(r->partitions_dropped));
  auto all = ReadAll(*db.querier, "m");
  ASSERT_FALSE(all.empty());
  // The oldest remaining sample starts the oldest kept partition (or the head's range, when
  // every partition had to go).
  const int64_t want_front =
      r->partitions_dropped < 4 ? r->partitions_dropped * 24 * kHour : 94 * kHour;
  EXPECT_EQ(all.begin()->second.front().timestamp_ms, want_front)
      << "dropped " << r->partitions_dropped << "; " << full << " -> " << st.disk_bytes << " + "
      << wal;
}

TEST(CompactorTest, AppendsQueriesAndMovesRunConcurrentlyWithoutLosingSamples) {
  testutil::TempDir tmp;
  Db db = Open(tmp.path());
  constexpr int kWriters = 2;
  constexpr int kSeriesPerWriter = 30;
  constexpr int64_t kEnd = 14 * kHour;
  std::atomic<bool> writing{true};
  std::atomic<int> failures{0};
  // Writers stay within 30 minutes of each other, as the shards of one Prometheus do: a
  // writer far behind the head's newest sample would rightly get "out of bounds".
  std::atomic<int64_t> progress[kWriters] = {};
  std::atomic<int> moves_while_writing{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      // Each writer owns its series and writes them in time order, 20 steps per batch.
      std::vector<std::string> ids;
      for (int i = 0; i < kSeriesPerWriter; ++i) ids.push_back(std::to_string(w * 1000 + i));
      for (int64_t t = 0; t < kEnd; t += 20 * kStep) {
        for (int other = 0; other < kWriters; ++other) {
          while (t - progress[other].load() > kHour / 2) std::this_thread::yield();
        }
        if (t == 6 * kHour) {
          // The writers can finish 14 h in less time than the mover's first run takes (seen
          // in CI): halfway, wait (bounded) until a move has run, so that one certainly
          // overlaps the writes that follow.
          const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
          while (moves_while_writing.load() == 0 && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
        }
        std::vector<std::vector<model::LabelView>> views(kSeriesPerWriter);
        std::vector<std::vector<model::Sample>> samples(kSeriesPerWriter);
        std::vector<storage::SeriesInput> batch;
        for (int i = 0; i < kSeriesPerWriter; ++i) {
          views[i] = {{"__name__", "c"}, {"series", ids[static_cast<size_t>(i)]}};
          for (int64_t k = t; k < t + 20 * kStep; k += kStep) {
            samples[i].push_back({k, Value(i, k)});
          }
          batch.push_back({views[i], samples[i]});
        }
        storage::AppendResult r;
        if (!db.head->Append(batch, &r).ok() || r.rejected() > 0) ++failures;
        progress[w] = t + 20 * kStep;
      }
      progress[w] = INT64_MAX / 2;  // Done: never hold the others back.
    });
  }
  std::thread mover([&] {
    while (writing.load()) {
      auto r = db.compactor->RunOnce();
      if (!r.ok()) ++failures;
      if (r.ok()) moves_while_writing += r->moves;
    }
  });
  std::thread reader([&] {
    while (writing.load()) {
      auto all = storage::SelectAll(*db.querier, {model::Matcher::Equal("__name__", "c")},
                                    INT64_MIN, INT64_MAX);
      if (!all.ok()) ++failures;
      for (const auto& s : *all) {
        for (size_t i = 1; i < s.samples.size(); ++i) {
          // Never a duplicate or a gap in what was there: strictly increasing timestamps.
          if (s.samples[i].timestamp_ms <= s.samples[i - 1].timestamp_ms) ++failures;
        }
      }
    }
  });
  for (auto& t : threads) t.join();
  writing = false;
  mover.join();
  reader.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(moves_while_writing.load(), 0);
  ASSERT_TRUE(db.compactor->RunOnce().ok());
  EXPECT_GE(db.warm->covered_until(), 10 * kHour);
  auto all = ReadAll(*db.querier, "c");
  ASSERT_EQ(all.size(), static_cast<size_t>(kWriters * kSeriesPerWriter));
  for (const auto& [key, samples] : all) {
    ASSERT_EQ(samples.size(), static_cast<size_t>(kEnd / kStep)) << key;
    for (size_t k = 0; k < samples.size(); ++k) {
      ASSERT_EQ(samples[k].timestamp_ms, static_cast<int64_t>(k) * kStep) << key;
    }
  }
}

TEST(CompactorTest, OptionsAreValidated) {
  CompactorOptions o;
  o.retention_ms = 1000;
  EXPECT_EQ(o.Validate().code(), StatusCode::kInvalidArgument);
  o.retention_ms = -1;
  EXPECT_EQ(o.Validate().code(), StatusCode::kInvalidArgument);
  o.retention_ms = 0;
  EXPECT_TRUE(o.Validate().ok());
}

// The data directory's format marker.
TEST(DataDirTest, NewAndWalOnlyDirectoriesAreMigratedNewerOnesAreRefused) {
  testutil::TempDir tmp;
  auto st = storage::CheckDataDir(tmp.path());
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(*st, storage::DataDirState::kNew);

  testutil::TempDir old;
  std::filesystem::create_directories(old.path() + "/wal");
  st = storage::CheckDataDir(old.path());
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(*st, storage::DataDirState::kWalOnly);
  {
    Db db = Open(old.path());  // Creates warm/.
  }
  ASSERT_TRUE(storage::WriteDataDirMarker(old.path()).ok());
  st = storage::CheckDataDir(old.path());
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(*st, storage::DataDirState::kCurrent);
  // A current directory whose warm tier vanished is an error, not an empty answer.
  std::filesystem::remove_all(old.path() + "/warm");
  st = storage::CheckDataDir(old.path());
  EXPECT_EQ(st.status().code(), StatusCode::kCorruption);
  EXPECT_NE(st.status().message().find("warm tier"), std::string::npos) << st.status().ToString();

  // Version 1 (before WAL chunks records): migrated by rewriting the marker.
  {
    std::ofstream f(old.path() + "/FORMAT", std::ios::trunc);
    f << "strata-data 1\n";
  }
  {
    Db db = Open(old.path());  // Recreates warm/.
  }
  st = storage::CheckDataDir(old.path());
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(*st, storage::DataDirState::kVersion1);
  ASSERT_TRUE(storage::WriteDataDirMarker(old.path()).ok());
  st = storage::CheckDataDir(old.path());
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(*st, storage::DataDirState::kCurrent);
  {
    std::ifstream f(old.path() + "/FORMAT");
    std::string line;
    std::getline(f, line);
    EXPECT_EQ(line, "strata-data 2");
  }

  testutil::TempDir newer;
  {
    std::ofstream f(newer.path() + "/FORMAT");
    f << "strata-data 7\n";
  }
  st = storage::CheckDataDir(newer.path());
  EXPECT_EQ(st.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.status().message().find("format version 7"), std::string::npos)
      << st.status().ToString();

  testutil::TempDir junk;
  {
    std::ofstream f(junk.path() + "/FORMAT");
    f << "\x01\x02garbage";
  }
  EXPECT_EQ(storage::CheckDataDir(junk.path()).status().code(), StatusCode::kCorruption);
}

TEST(CompactorTest, OldWarmPartitionsBecomeColdBlocksAndAnswersStayTheSame) {
  testutil::TempDir tmp;
  constexpr int64_t kDay = 24 * kHour;
  CompactorOptions copts;
  copts.warm_span_ms = 40 * kHour;
  copts.downsample_5m_after_ms = 0;  // Moves only (downsampling: its own test).
  {
    Db db = Open(tmp.path(), copts, true);
    Write(db.head.get(), "m", 20, 0, 4 * kDay);
    auto r = db.compactor->RunOnce();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    // Newest ~4 d: partitions ending at or before 4 d - 40 h = 56 h go cold: days 0 and 1.
    EXPECT_EQ(r->cold_moves, 2);
    auto blocks = db.cold->Blocks();
    ASSERT_EQ(blocks.size(), 2u);
    EXPECT_EQ(blocks[0].source, "warm:0");
    EXPECT_EQ(blocks[0].min_time, 0);
    EXPECT_EQ(blocks[0].max_time, kDay - kStep);
    EXPECT_EQ(blocks[0].series, 20u);
    EXPECT_EQ(blocks[0].samples, 20u * (kDay / kStep));
    EXPECT_EQ(blocks[1].source, "warm:" + std::to_string(kDay));
    auto stats = db.warm->Stats();
    ASSERT_FALSE(stats.partitions.empty());
    EXPECT_EQ(stats.partitions.front().start, 2 * kDay);
    ExpectComplete(*db.querier, "m", 20, 0, 4 * kDay);
    ExpectComplete(*db.cold, "m", 20, 0, 2 * kDay);
    // Nothing is left in the staging directory.
    EXPECT_FALSE(std::filesystem::exists(tmp.path() + "/cold-staging"));
    // A second run has nothing to do.
    r = db.compactor->RunOnce();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->cold_moves, 0);
    ASSERT_TRUE(db.head->Close().ok());
    ASSERT_TRUE(db.warm->Close().ok());
  }
  // After a restart the blocks are found again, and head + warm + cold answer as before.
  Db db = Open(tmp.path(), copts, true);
  EXPECT_EQ(db.cold->Blocks().size(), 2u);
  ExpectComplete(*db.querier, "m", 20, 0, 4 * kDay);
  // Wiping head and warm leaves the cold days answering alone.
  ASSERT_TRUE(db.head->Close().ok());
  ASSERT_TRUE(db.warm->Close().ok());
  db.compactor.reset();
  std::filesystem::remove_all(tmp.path() + "/warm");
  std::filesystem::remove_all(tmp.path() + "/wal");
  Db wiped = Open(tmp.path(), copts, true);
  ExpectComplete(*wiped.querier, "m", 20, 0, 2 * kDay);
}

TEST(CompactorTest, ARetriedColdMoveReusesTheCommittedBlock) {
  testutil::TempDir tmp;
  constexpr int64_t kDay = 24 * kHour;
  CompactorOptions copts;
  copts.warm_span_ms = 40 * kHour;
  copts.downsample_5m_after_ms = 0;
  Db db = Open(tmp.path(), copts, true);
  Write(db.head.get(), "m", 5, 0, 4 * kDay);
  // Fill warm without moving to cold: a huge span first.
  FillWarmOnly(db, tmp.path(), copts);
  EXPECT_TRUE(db.cold->Blocks().empty());
  // A block committed for day 0 by an earlier attempt that died before dropping the partition.
  auto r = db.compactor->RunOnce();
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(db.cold->Blocks().size(), 2u);
  // Re-create the situation: the block exists and the warm partition too. Rewrite day 0 into
  // warm from the cold data and run again: no second block appears.
  auto day0 = storage::SelectAll(*db.cold, {model::Matcher::Equal("__name__", "m")}, 0, kDay - 1);
  ASSERT_TRUE(day0.ok());
  std::vector<storage::WarmSeriesData> data;
  for (const auto& s : *day0) {
    storage::WarmSeriesData d;
    d.labels = s.labels;
    // One chunk per series is enough to recreate the partition.
    storage::XorChunk c;
    auto app = storage::XorAppender::Open(&c);
    ASSERT_TRUE(app.ok());
    for (int i = 0; i < 100; ++i)
      ASSERT_TRUE(app->Append(s.samples[i].timestamp_ms, s.samples[i].value).ok());
    d.chunks.push_back(
        {s.samples[0].timestamp_ms, s.samples[99].timestamp_ms,
         std::string(reinterpret_cast<const char*>(c.bytes().data()), c.size_bytes())});
    data.push_back(std::move(d));
  }
  ASSERT_TRUE(db.warm->WriteRange(0, 2 * kHour, data).ok());
  r = db.compactor->RunOnce();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->cold_moves, 1);
  EXPECT_EQ(db.cold->Blocks().size(), 2u);
  EXPECT_EQ(db.warm->Stats().partitions.front().start, 2 * kDay);
  ExpectComplete(*db.querier, "m", 5, 0, 4 * kDay);
}

TEST(CompactorTest, RetentionDropsColdBlocksByTimeAndSize) {
  testutil::TempDir tmp;
  constexpr int64_t kDay = 24 * kHour;
  CompactorOptions copts;
  copts.warm_span_ms = 40 * kHour;
  copts.retention_ms = 4 * kDay;
  copts.downsample_5m_after_ms = 0;
  Db db = Open(tmp.path(), copts, true);
  Write(db.head.get(), "m", 5, 0, 6 * kDay);
  auto r = db.compactor->RunOnce();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Newest ~6 d: days 0..3 went cold; days 0 and 1 end before 6 d - 4 d and are dropped.
  EXPECT_EQ(r->cold_moves, 4);
  EXPECT_EQ(r->blocks_dropped, 1);  // Day 0 ends at 1 d <= 2 d - 15 s; day 1 ends after it.
  auto blocks = db.cold->Blocks();
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(blocks.front().min_time, kDay);
  auto all = ReadAll(*db.querier, "m");
  EXPECT_EQ(all.begin()->second.front().timestamp_ms, kDay);
  // Size: a limit below the data drops cold blocks first, oldest first.
  CompactorOptions small = copts;
  small.retention_ms = 0;
  small.retention_bytes = 1;
  small.wal_dir = tmp.path() + "/wal";
  small.staging_dir = tmp.path() + "/cold-staging";
  Compactor c(db.head.get(), db.warm.get(), db.cold.get(), small, nullptr);
  r = c.RunOnce();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->blocks_dropped, 3);
  EXPECT_TRUE(db.cold->Blocks().empty());
}

TEST(CompactorTest, DownsamplingBuilds5mAnd1hBlocksAndRetentionKeepsEachResolution) {
  testutil::TempDir tmp;
  constexpr int64_t kDay = 24 * kHour;
  CompactorOptions copts;
  copts.warm_span_ms = 40 * kHour;
  copts.downsample_5m_after_ms = 40 * kHour;
  copts.downsample_1h_after_ms = 3 * kDay;
  copts.retention_ms = 0;
  copts.retention_5m_ms = 0;
  copts.retention_1h_ms = 0;
  ASSERT_TRUE(copts.Validate().ok());
  Db db = Open(tmp.path(), copts, true);
  Write(db.head.get(), "m", 10, 0, 6 * kDay);
  auto r = db.compactor->RunOnce();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Newest 6 d - 15 s: days 0..3 went cold and got 5m blocks; the 5m blocks of days 0..2 end
  // at or before 3 d - 15 s and got 1h blocks.
  EXPECT_EQ(r->cold_moves, 4);
  EXPECT_EQ(r->downsampled, 7);
  std::map<int64_t, int> per_res;
  for (const auto& b : db.cold->Blocks()) per_res[b.resolution_ms]++;
  EXPECT_EQ(per_res[0], 4);
  EXPECT_EQ(per_res[storage::kResolution5m], 4);
  EXPECT_EQ(per_res[storage::kResolution1h], 3);
  EXPECT_FALSE(std::filesystem::exists(tmp.path() + "/cold-staging"));
  r = db.compactor->RunOnce();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->downsampled, 0);
  // Raw reads are unchanged: every sample once.
  ExpectComplete(*db.querier, "m", 10, 0, 6 * kDay);
  // A rate over 5 h reads 1h data for the oldest days, 5m for day 3, raw after.
  std::vector<storage::ResolutionUse> used;
  storage::SelectHints h;
  h.start_ms = 0;
  h.end_ms = 6 * kDay;
  h.range_ms = 5 * kHour;
  h.step_ms = kHour;
  h.func = "rate";
  h.resolutions = &used;
  auto set = db.querier->Select({model::Matcher::Equal("series", "3")}, h);
  ASSERT_TRUE(set.ok());
  ASSERT_TRUE((*set)->Next());
  std::vector<model::Sample> samples;
  ASSERT_TRUE((*set)->ReadSamples(&samples).ok());
  std::map<int64_t, int> uses;
  for (const auto& u : used) uses[u.resolution_ms]++;
  EXPECT_EQ(uses[storage::kResolution1h], 3);
  EXPECT_EQ(uses[storage::kResolution5m], 1);
  // The counter view ends at the last cold value and joins the raw samples: non-decreasing.
  for (size_t i = 1; i < samples.size(); ++i) {
    ASSERT_GE(samples[i].value, samples[i - 1].value) << i;
  }
  EXPECT_EQ(samples.back().value, Value(3, 6 * kDay - kStep));

  // Retention per resolution, measured from the newest sample (6 d - 15 s).
  CompactorOptions keep = copts;
  keep.retention_ms = 3 * kDay;     // Raw: days ending before 3 d - 15 s go (0 and 1).
  keep.retention_5m_ms = 4 * kDay;  // 5m: day 0.
  keep.retention_1h_ms = 0;         // 1h: forever.
  keep.wal_dir = tmp.path() + "/wal";
  keep.staging_dir = tmp.path() + "/cold-staging";
  ASSERT_TRUE(keep.Validate().ok());
  Compactor c(db.head.get(), db.warm.get(), db.cold.get(), keep, nullptr);
  r = c.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->blocks_dropped, 3);
  per_res.clear();
  for (const auto& b : db.cold->Blocks()) per_res[b.resolution_ms]++;
  EXPECT_EQ(per_res[0], 2);
  EXPECT_EQ(per_res[storage::kResolution5m], 3);
  EXPECT_EQ(per_res[storage::kResolution1h], 3);
  // Day 0 is left at 1h only: a raw-hinted read still finds it (the finest data left).
  auto day0 = storage::SelectAll(*db.querier, {model::Matcher::Equal("series", "3")}, 0, kDay - 1);
  ASSERT_TRUE(day0.ok());
  ASSERT_EQ(day0->size(), 1u);
  EXPECT_EQ((*day0)[0].samples.size(), 2u * 24);  // First and last sample of each hour.
}

// A raw block that cannot be downsampled (damaged) and one that has nothing to downsample (its
// series hold only stale markers) hold back neither the blocks after them nor retention.
TEST(CompactorTest, ABlockThatCannotBeDownsampledHoldsBackNeitherTheOthersNorRetention) {
  testutil::TempDir tmp;
  constexpr int64_t kDay = 24 * kHour;
  CompactorOptions copts;
  copts.warm_span_ms = 40 * kHour;
  copts.downsample_5m_after_ms = 0;  // First only moves.
  copts.retention_ms = 0;
  Db db = Open(tmp.path(), copts, true);
  Write(db.head.get(), "m", 4, 0, kDay);
  {
    // Day 1 holds only the stale markers that end day 0's series.
    std::vector<std::vector<model::LabelView>> views;
    std::vector<std::string> ids{"0", "1", "2", "3"};
    const std::vector<model::Sample> stale{{kDay + 5000, model::StaleNaN()}};
    std::vector<storage::SeriesInput> batch;
    views.reserve(ids.size());
    for (const auto& id : ids) {
      views.push_back({{"__name__", "m"}, {"series", id}});
      batch.push_back({views.back(), stale});
    }
    storage::AppendResult result;
    ASSERT_TRUE(db.head->Append(batch, &result).ok());
  }
  Write(db.head.get(), "n", 2, 2 * kDay, 5 * kDay);
  auto r = db.compactor->RunOnce();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Newest 5 d - 15 s: days 0, 1 and 2 went cold.
  std::vector<storage::block::BlockMeta> raw = db.cold->Blocks();
  ASSERT_EQ(raw.size(), 3u);
  // Damage day 0's chunk file (same size, other bytes).
  int damaged = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(tmp.path() + "/cold")) {
    const std::string path = e.path().string();
    if (!e.is_regular_file() || path.find(raw[0].id) == std::string::npos ||
        path.find("/chunks/") == std::string::npos) {
      continue;
    }
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    const auto size = static_cast<std::streamoff>(e.file_size());
    for (std::streamoff at = 8; at < size; at += 7) {
      f.seekp(at);
      f.put('\x5a');
    }
    ++damaged;
  }
  ASSERT_EQ(damaged, 1);

  CompactorOptions ds = copts;
  ds.downsample_5m_after_ms = 40 * kHour;
  ds.downsample_1h_after_ms = 0;
  ds.retention_5m_ms = 0;
  ds.retention_1h_ms = 0;
  ds.retention_ms = 3 * kDay;  // Raw days 0 and 1 end before 2 d - 15 s: they go.
  ds.wal_dir = tmp.path() + "/wal";
  ds.staging_dir = tmp.path() + "/cold-staging";
  ASSERT_TRUE(ds.Validate().ok());
  Compactor c(db.head.get(), db.warm.get(), db.cold.get(), ds, nullptr);
  r = c.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Day 0 failed (reported, retried later), day 1 had nothing to write, day 2 got its 5m
  // block; retention ran after them.
  ASSERT_EQ(r->downsample_errors.size(), 1u);
  EXPECT_NE(r->downsample_errors[0].find(raw[0].id), std::string::npos) << r->downsample_errors[0];
  EXPECT_NE(r->downsample_errors[0].find("checksum"), std::string::npos) << r->downsample_errors[0];
  EXPECT_EQ(r->downsampled, 1);
  EXPECT_EQ(r->blocks_dropped, 2);
  std::map<int64_t, int> per_res;
  std::string source;
  for (const auto& b : db.cold->Blocks()) {
    per_res[b.resolution_ms]++;
    if (b.resolution_ms == storage::kResolution5m) source = b.source;
  }
  EXPECT_EQ(per_res[0], 1);
  EXPECT_EQ(per_res[storage::kResolution5m], 1);
  EXPECT_EQ(source, storage::DownsampleSource(raw[2]));
  EXPECT_FALSE(std::filesystem::exists(tmp.path() + "/cold-staging"));
  // Within the retry delay nothing is tried again; the run ends.
  r = c.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->downsampled, 0);
  EXPECT_TRUE(r->downsample_errors.empty());
}

// An unreachable object store fails the cold moves, but retention still runs (the disk would
// otherwise grow past it for as long as the store is down) and the head still moves to warm.
TEST(CompactorTest, AnUnreachableColdStoreHoldsBackNeitherRetentionNorTheHead) {
  testutil::TempDir tmp;
  constexpr int64_t kDay = 24 * kHour;
  CompactorOptions copts;
  copts.warm_span_ms = 40 * kHour;
  copts.downsample_5m_after_ms = 0;
  copts.retention_ms = 3 * kDay;
  Db db = Open(tmp.path(), copts, false);
  auto state = std::make_shared<testutil::MemObjectStore::State>();
  state->fault = [](const std::string& op, const std::string&) {
    return op == "put" ? Status::Unavailable("S3 PUT: Couldn't connect to server") : Status::Ok();
  };
  storage::ColdOptions co;
  co.node_id = "n1";
  auto cold =
      storage::ColdStore::Open(std::make_unique<testutil::MemObjectStore>(state), co, nullptr);
  ASSERT_TRUE(cold.ok()) << cold.status().ToString();
  copts.wal_dir = tmp.path() + "/wal";
  copts.staging_dir = tmp.path() + "/cold-staging";
  Compactor c(db.head.get(), db.warm.get(), cold->get(), copts, nullptr);
  Write(db.head.get(), "m", 3, 0, 6 * kDay);
  auto r = c.RunOnce();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().ToString().find("Couldn't connect"), std::string::npos)
      << r.status().ToString();
  // The head moved; retention dropped the partitions older than 6 d - 3 d although none of
  // them reached the cold tier.
  storage::WarmStats st = db.warm->Stats();
  ASSERT_FALSE(st.partitions.empty());
  EXPECT_EQ(st.partitions.front().start, 2 * kDay);  // Days 0 and 1 end before 3 d - 15 s.
  EXPECT_TRUE((*cold)->Blocks().empty());
  // More data while the store is still down: the head keeps moving.
  const int64_t before = db.warm->covered_until();
  Write(db.head.get(), "m", 3, 6 * kDay, 7 * kDay);
  EXPECT_FALSE(c.RunOnce().ok());
  EXPECT_GT(db.warm->covered_until(), before);
}

// A warm partition whose records are damaged cannot become a block: it is set aside (reported,
// retried later) and the partitions after it still move to the cold tier.
TEST(CompactorTest, ADamagedWarmPartitionDoesNotHoldBackTheOthers) {
  testutil::TempDir tmp;
  constexpr int64_t kDay = 24 * kHour;
  CompactorOptions copts;
  copts.warm_span_ms = 40 * kHour;
  copts.downsample_5m_after_ms = 0;
  {
    Db db = Open(tmp.path(), copts, true);
    Write(db.head.get(), "m", 3, 0, 4 * kDay);
    FillWarmOnly(db, tmp.path(), copts);
    ASSERT_GE(db.warm->Stats().partitions.size(), 3u);
    ASSERT_TRUE(db.warm->Close().ok());
    ASSERT_TRUE(db.head->Close().ok());
  }
  {
    // Damage day 0's chunk records (same length, other bytes), through RocksDB itself: the
    // "chunks" family, keys starting with the partition's time64 (docs/format/warm.md).
    rocksdb::DBOptions dbo;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(dbo, tmp.path() + "/warm", &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    size_t chunks = names.size();
    for (size_t i = 0; i < names.size(); ++i) {
      families.emplace_back(names[i], rocksdb::ColumnFamilyOptions());
      if (names[i] == "chunks") chunks = i;
    }
    ASSERT_LT(chunks, names.size());
    rocksdb::DB* raw = nullptr;
    std::vector<rocksdb::ColumnFamilyHandle*> cfs;
    ASSERT_TRUE(rocksdb::DB::Open(dbo, tmp.path() + "/warm", families, &cfs, &raw).ok());
    const std::string day0("\x80\0\0\0\0\0\0\0", 8);  // time64(0)
    std::vector<std::pair<std::string, std::string>> damaged;
    {
      std::unique_ptr<rocksdb::Iterator> it(raw->NewIterator(rocksdb::ReadOptions(), cfs[chunks]));
      for (it->Seek(day0); it->Valid() && it->key().starts_with(day0); it->Next()) {
        std::string v = it->value().ToString();
        for (size_t i = 4; i < v.size(); i += 5) v[i] = static_cast<char>(v[i] ^ 0x5a);
        damaged.emplace_back(it->key().ToString(), std::move(v));
      }
    }
    ASSERT_FALSE(damaged.empty());
    for (const auto& [k, v] : damaged) {
      ASSERT_TRUE(raw->Put(rocksdb::WriteOptions(), cfs[chunks], k, v).ok());
    }
    for (auto* h : cfs) ASSERT_TRUE(raw->DestroyColumnFamilyHandle(h).ok());
    ASSERT_TRUE(raw->Close().ok());
    delete raw;
  }
  Db db = Open(tmp.path(), copts, true);
  auto r = db.compactor->RunOnce();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Days 0 and 1 were due: day 0 set aside, day 1 moved.
  ASSERT_EQ(r->cold_errors.size(), 1u);
  EXPECT_NE(r->cold_errors[0].find("moving warm partition 0"), std::string::npos)
      << r->cold_errors[0];
  EXPECT_EQ(r->cold_moves, 1);
  ASSERT_EQ(db.cold->Blocks().size(), 1u);
  EXPECT_EQ(db.cold->Blocks()[0].min_time, kDay);
  EXPECT_EQ(db.warm->Stats().partitions.front().start, 0);
  // Within the retry delay the next pass does not try it again.
  r = db.compactor->RunOnce();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->cold_errors.empty());
}

TEST(CompactorTest, DownsamplingOptionsAreValidated) {
  constexpr int64_t kDay = 24 * kHour;
  CompactorOptions o;
  EXPECT_TRUE(o.Validate().ok());  // The defaults: 15 d raw, 40 h, 10 d, 90 d, 365 d.
  o.retention_ms = kDay;           // Shorter than the 40 h before 5m data is built.
  Status s = o.Validate();
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("--downsample.5m-after"), std::string::npos) << s.ToString();
  o.downsample_5m_after_ms = 0;  // Downsampling off: any retention.
  EXPECT_TRUE(o.Validate().ok());
  o = CompactorOptions{};
  o.retention_5m_ms = 5 * kDay;  // Shorter than the 10 d before 1h data is built.
  s = o.Validate();
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("--storage.retention.5m"), std::string::npos) << s.ToString();
  o.retention_5m_ms = 0;  // Forever.
  EXPECT_TRUE(o.Validate().ok());
  o.retention_1h_ms = -1;
  EXPECT_FALSE(o.Validate().ok());
  // Raw data must reach the cold tier (after the warm span) before retention deletes it, and
  // each resolution must outlast the delay after which it is built.
  o = CompactorOptions{};
  o.warm_span_ms = 4 * kDay;
  o.retention_ms = 3 * kDay;
  s = o.Validate();
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("--storage.warm.span"), std::string::npos) << s.ToString();
  o.downsample_5m_after_ms = 0;
  EXPECT_TRUE(o.Validate().ok());
  o = CompactorOptions{};
  o.downsample_1h_after_ms = kHour;
  o.retention_5m_ms = 30 * kHour;  // Longer than 1h-after, shorter than 5m-after (40 h).
  s = o.Validate();
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("--downsample.5m-after"), std::string::npos) << s.ToString();
  o = CompactorOptions{};
  o.retention_1h_ms = 5 * kDay;  // Shorter than the 10 d before 1h data is built.
  s = o.Validate();
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("--storage.retention.1h"), std::string::npos) << s.ToString();
  o.downsample_1h_after_ms = 0;  // No 1h data: any 1h retention.
  EXPECT_TRUE(o.Validate().ok());
}

}  // namespace
}  // namespace strata::compaction
