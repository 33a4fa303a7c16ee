// Head chunk files (docs/format/head_chunks.md): the file itself (round trip through buffer
// and disk, segments, deletion, damage) and a head that keeps its closed chunks there, giving
// the same answers as one that keeps them in memory, through moves, restarts and write errors.
#include <gtest/gtest.h>

#include <bit>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "storage/head.h"
#include "storage/head/chunk_file.h"
#include "storage/querier.h"
#include "testutil/head_series.h"
#include "testutil/process.h"

namespace strata::storage {
namespace {

namespace fs = std::filesystem;
using head::ChunkFile;
using head::ChunkRef;

constexpr int64_t kHour = 3600 * 1000;

std::vector<uint8_t> Bytes(size_t n, int seed) {
  std::vector<uint8_t> b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>((i * 131 + seed * 7) & 0xff);
  return b;
}

std::vector<std::string> Files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ChunkFileTest, ChunksReadBackFromTheBufferAndFromDiskAcrossSegments) {
  testutil::TempDir tmp;
  const std::string dir = tmp.path() + "/chunks_head";
  // A stale file of an earlier run is removed.
  fs::create_directories(dir);
  std::ofstream(dir + "/00000007") << "left over";
  // Segments of 64 KiB: 300 chunks of 1 KiB take several, and the 256 KiB buffer is never
  // full, so reads come from the buffer (current segment) and from disk (earlier ones).
  auto f = ChunkFile::Open(dir, 64 << 10);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(Files(dir), std::vector<std::string>{});
  std::vector<ChunkRef> refs;
  for (int i = 0; i < 300; ++i) {
    auto r = (*f)->Append(Bytes(1000 + static_cast<size_t>(i), i));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    refs.push_back(*r);
  }
  EXPECT_GE(refs.back().segment, 4u);
  for (int i = 0; i < 300; ++i) {
    std::string out = "x";  // Read appends.
    ASSERT_TRUE((*f)->Read(refs[static_cast<size_t>(i)], &out).ok()) << i;
    auto want = Bytes(1000 + static_cast<size_t>(i), i);
    ASSERT_EQ(out.size(), want.size() + 1);
    EXPECT_EQ(0, std::memcmp(out.data() + 1, want.data(), want.size())) << i;
  }
  auto st = (*f)->stats();
  EXPECT_EQ(st.live_chunks, 300u);
  EXPECT_EQ(st.segments, static_cast<uint64_t>(refs.back().segment));
  EXPECT_EQ(st.write_errors, 0u);

  // Releasing every chunk of the first segment deletes its file; the current one stays even
  // when empty.
  for (const auto& r : refs) {
    if (r.segment == 1) (*f)->Release(r);
  }
  EXPECT_FALSE(fs::exists(dir + "/00000001"));
  EXPECT_TRUE(fs::exists(dir + "/00000002"));
  for (const auto& r : refs) {
    if (r.segment > 1) (*f)->Release(r);
  }
  EXPECT_EQ(Files(dir).size(), 1u);
  EXPECT_EQ((*f)->stats().live_chunks, 0u);
}

TEST(ChunkFileTest, DamageAndBadReferencesAreCorruptionNamingTheFile) {
  testutil::TempDir tmp;
  const std::string dir = tmp.path() + "/chunks_head";
  auto f = ChunkFile::Open(dir, 16 << 10);
  ASSERT_TRUE(f.ok());
  std::vector<ChunkRef> refs;
  for (int i = 0; i < 40; ++i) refs.push_back(*(*f)->Append(Bytes(1000, i)));
  ASSERT_GE(refs.back().segment, 2u);
  // Flip one byte of the first record on disk (segment 1 is written whole).
  {
    std::fstream io(dir + "/00000001", std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(refs[0].offset + 10);
    io.put('\x5a' ^ static_cast<char>(Bytes(1000, 0)[10]));
  }
  std::string out;
  Status s = (*f)->Read(refs[0], &out);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("00000001 offset 12: crc mismatch"), std::string::npos)
      << s.ToString();
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE((*f)->Read(refs[1], &out).ok());  // The next record is intact.

  ChunkRef past = refs.back();
  past.offset += 5000;
  EXPECT_TRUE((*f)->Read(past, &out).IsCorruption());
  ChunkRef header = refs[0];
  header.offset = 4;
  EXPECT_TRUE((*f)->Read(header, &out).IsCorruption());
  ChunkRef gone = refs[0];
  gone.segment = 99;
  EXPECT_TRUE((*f)->Read(gone, &out).IsCorruption());
  EXPECT_TRUE((*f)->Append({}).status().IsInvalidArgument());
  EXPECT_TRUE((*f)->Append(Bytes(20 << 10, 1)).status().IsInvalidArgument());
}

HeadOptions Opts(bool on_disk) {
  HeadOptions o;
  o.series_map_stripes = 16;
  o.wal.fsync = WalOptions::FsyncPolicy::kNever;
  o.chunks_on_disk = on_disk;
  o.chunk_cache_bytes = 0;  // Every read goes to the chunks.
  return o;
}

void Write(Head* h, int64_t from, int64_t to) { testutil::WriteSeries(h, 30, from, to); }

std::map<std::string, std::vector<std::pair<int64_t, uint64_t>>> Everything(const Head& h) {
  return testutil::AllSamples(h);
}

// The chunks a move hands out, as (series labels, min_t, bytes).
std::vector<std::tuple<std::string, int64_t, std::string>> Moved(Head* h, int64_t from,
                                                                 int64_t cut) {
  h->SetMinValidTime(cut);
  auto data = h->CollectRange(from, cut);
  EXPECT_TRUE(data.ok()) << data.status().ToString();
  std::vector<std::tuple<std::string, int64_t, std::string>> out;
  if (!data.ok()) return out;
  for (const auto& d : *data) {
    for (const auto& c : d.chunks) out.emplace_back(d.labels.ToString(), c.min_t, c.bytes);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(HeadChunkFileTest, AHeadWithChunksOnDiskAnswersAsOneWithChunksInMemory) {
  testutil::TempDir mem_dir, disk_dir;
  auto mem = Head::Open(mem_dir.path(), Opts(false), nullptr);
  auto disk = Head::Open(disk_dir.path(), Opts(true), nullptr);
  ASSERT_TRUE(mem.ok() && disk.ok());
  EXPECT_FALSE(fs::exists(mem_dir.path() + "/chunks_head"));
  Write(mem->get(), 0, 4 * kHour);
  Write(disk->get(), 0, 4 * kHour);
  EXPECT_EQ(Everything(**disk), Everything(**mem));
  HeadStats ms = (*mem)->Stats(), ds = (*disk)->Stats();
  EXPECT_EQ(ms.chunks_on_disk, 0u);
  EXPECT_EQ(ds.chunks_on_disk, 30u * 7);  // 8 chunks of 30 min per series, the last open.
  EXPECT_EQ(ds.chunks, ms.chunks);
  EXPECT_EQ(ds.chunk_bytes, ms.chunk_bytes);
  EXPECT_GT(ds.chunk_file_bytes, ds.chunk_bytes - ms.chunk_bytes / 8);
  EXPECT_LT(ds.memory_bytes + ms.chunk_bytes / 2, ms.memory_bytes);

  // A move hands out the same chunks; truncation releases them, and the segment they filled
  // goes once no chunk in it is left and it is no longer written to.
  EXPECT_EQ(Moved(disk->get(), 0, 2 * kHour), Moved(mem->get(), 0, 2 * kHour));
  ASSERT_TRUE((*mem)->Truncate(2 * kHour).ok());
  ASSERT_TRUE((*disk)->Truncate(2 * kHour).ok());
  EXPECT_EQ(Everything(**disk), Everything(**mem));
  EXPECT_EQ((*disk)->Stats().chunks_on_disk, 30u * 3);
  ASSERT_TRUE((*disk)->Close().ok());
  ASSERT_TRUE((*mem)->Close().ok());

  // A restart empties the directory and rebuilds the chunks from the WAL.
  auto again = Head::Open(disk_dir.path(), Opts(true), nullptr);
  auto mem_again = Head::Open(mem_dir.path(), Opts(false), nullptr);
  ASSERT_TRUE(again.ok() && mem_again.ok());
  EXPECT_EQ(Everything(**again), Everything(**mem_again));
  EXPECT_GT((*again)->Stats().chunks_on_disk, 0u);
  Write(again->get(), 4 * kHour, 6 * kHour);
  Write(mem_again->get(), 4 * kHour, 6 * kHour);
  EXPECT_EQ(Moved(again->get(), 2 * kHour, 4 * kHour),
            Moved(mem_again->get(), 2 * kHour, 4 * kHour));
  EXPECT_EQ(Everything(**again), Everything(**mem_again));
}

TEST(HeadChunkFileTest, AWriteErrorKeepsChunksInMemoryAndLosesNothing) {
  testutil::TempDir tmp;
  HeadOptions o = Opts(true);
  o.chunk_file_segment_bytes = 16 << 10;
  auto h = Head::Open(tmp.path(), o, nullptr);
  ASSERT_TRUE(h.ok());
  Write(h->get(), 0, kHour);  // One closed chunk per series (30 min), one open.
  EXPECT_EQ((*h)->Stats().chunks_on_disk, 30u);
  // The directory disappears: the next segment cannot be created. Chunks already written stay
  // readable (their files are open), and closed chunks from then on stay in memory.
  fs::remove_all(tmp.path() + "/chunks_head");
  Write(h->get(), kHour, 4 * kHour);
  HeadStats st = (*h)->Stats();
  EXPECT_EQ(st.chunk_file_errors, 1u);
  EXPECT_GT(st.chunks_on_disk, 30u);  // Until the 16 KiB segment was full.
  EXPECT_LT(st.chunks_on_disk, 30u * 7);
  auto all = Everything(**h);
  ASSERT_EQ(all.size(), 30u);
  for (const auto& [k, v] : all) {
    ASSERT_EQ(v.size(), 4u * 240) << k;
    for (size_t i = 0; i < v.size(); ++i) ASSERT_EQ(v[i].first, static_cast<int64_t>(i) * 15000);
  }
  // A move reads chunks from both places.
  auto moved = Moved(h->get(), 0, 2 * kHour);
  EXPECT_EQ(moved.size(), 30u * 4);
  ASSERT_TRUE((*h)->Truncate(2 * kHour).ok());
  EXPECT_EQ(Everything(**h).begin()->second.size(), 2u * 240);
}

}  // namespace
}  // namespace strata::storage
