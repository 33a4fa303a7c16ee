// Tests for storage/wal.h: round trips, rotation, reopen, torn tails at every offset, zeroed
// tails, corruption and repair, hostile inputs, group commit, checkpoints. Some tests build
// segment bytes by hand from docs/format/wal.md, so they double as format conformance tests.
#include "storage/wal.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/coding.h"

namespace strata::storage {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr uint64_t kPage = uint64_t{32} * 1024;
constexpr uint64_t kSegHeader = 16;
constexpr uint64_t kFragHeader = 7;

// A fresh directory under /tmp, removed with its contents at the end of the test.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/wal_test.XXXXXX";
    const char* p = mkdtemp(tmpl);
    if (p == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = p == nullptr ? "/tmp/wal_test.failed" : p;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&&) = delete;
  TempDir& operator=(TempDir&&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string SegName(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08d", i);
  return buf;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteBytes(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::vector<int> SegmentsIn(const std::string& dir) {
  std::vector<int> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.size() == 8 && std::all_of(name.begin(), name.end(), ::isdigit)) {
      out.push_back(std::stoi(name));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

WalOptions NoSync(size_t segment_size = size_t{128} << 20) {
  WalOptions o;
  o.fsync = WalOptions::FsyncPolicy::kNever;
  o.segment_size_bytes = segment_size;
  return o;
}

std::unique_ptr<Wal> MustOpen(const std::string& dir, WalOptions options) {
  auto w = Wal::Open(dir, options);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  return w.ok() ? std::move(w).value() : nullptr;
}

// Replays `dir`, storing the records in *out; returns the Replay result.
Result<ReplayStats> ReplayInto(const std::string& dir, std::vector<std::string>* out,
                               ReplayOptions options = {}) {
  out->clear();
  return Wal::Replay(
      dir,
      [out](std::string_view r) {
        out->emplace_back(r);
        return Status::Ok();
      },
      options);
}

std::vector<std::string> MustReplay(const std::string& dir, ReplayStats* stats = nullptr) {
  std::vector<std::string> out;
  auto r = ReplayInto(dir, &out);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (stats != nullptr && r.ok()) *stats = *r;
  return out;
}

void LogAll(Wal* w, const std::vector<std::string>& records) {
  for (const std::string& r : records) ASSERT_TRUE(w->Log(r).ok());
}

std::string RandomBytes(std::mt19937_64* rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>((*rng)() & 0xff);
  return s;
}

// Distinct, recognisable records of `size` bytes.
std::vector<std::string> NumberedRecords(int n, size_t size, const std::string& prefix = "r") {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    std::string s = prefix + std::to_string(i) + ":";
    s.resize(size, static_cast<char>('a' + i % 26));
    out.push_back(std::move(s));
  }
  return out;
}

// Where each record's first fragment header lands, computed independently from the rules in
// docs/format/wal.md (16-byte segment header, 32 KiB pages, 7-byte fragment headers, page
// trailers under 7 bytes zero-padded, a record moves to a new segment if it would pass the
// segment size and its segment already holds a record).
struct Placement {
  int segment;
  uint64_t offset;
};

struct Span {
  int segment;
  uint64_t first;  // First fragment header.
  uint64_t end;    // Past the last fragment.
};

// Each record's byte span, from the rules above.
std::vector<Span> Spans(const std::vector<std::string>& records, uint64_t segment_size) {
  auto encode = [](uint64_t o, size_t n, uint64_t* first) {
    bool first_fragment = true;
    do {
      uint64_t page_left = kPage - o % kPage;
      if (page_left < kFragHeader) {
        o += page_left;
        page_left = kPage;
      }
      if (first_fragment) *first = o;
      const size_t f = std::min<uint64_t>(n, page_left - kFragHeader);
      o += kFragHeader + f;
      n -= f;
      first_fragment = false;
    } while (n > 0);
    return o;
  };
  std::vector<Span> out;
  int segment = 0;
  uint64_t offset = kSegHeader;
  for (const std::string& r : records) {
    uint64_t first = 0;
    uint64_t end = encode(offset, r.size(), &first);
    if (end > segment_size && offset > kSegHeader) {
      ++segment;
      offset = kSegHeader;
      end = encode(offset, r.size(), &first);
    }
    out.push_back({segment, first, end});
    offset = end;
  }
  return out;
}

std::vector<Placement> Layout(const std::vector<std::string>& records, uint64_t segment_size) {
  std::vector<Placement> out;
  for (const Span& s : Spans(records, segment_size)) out.push_back({s.segment, s.first});
  return out;
}

// One fragment, encoded by hand from the spec.
std::string Fragment(uint8_t type, std::string_view payload) {
  std::string f;
  f.push_back(static_cast<char>(type));
  f.push_back(static_cast<char>(payload.size() & 0xff));
  f.push_back(static_cast<char>(payload.size() >> 8));
  const uint32_t crc = Crc32c(payload, Crc32c(std::string_view(f.data(), 3)));
  PutFixed32(&f, crc);
  f.append(payload);
  return f;
}

// "SWAL", version 1, 3 reserved bytes, no previous segment size recorded.
std::string SegmentHeaderBytes() {
  return std::string("SWAL\x01\x00\x00\x00", 8) + std::string(8, '\xff');
}

// ---------------------------------------------------------------------------------------------

TEST(WalTest, RoundTripsRandomRecordsIncludingEmptyAndLarge) {
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  std::vector<std::string> records = {"", "x", std::string(kPage, 'p'),
                                      std::string(kPage - kFragHeader, 'q'), ""};
  for (int i = 0; i < 3000; ++i) {
    const int bucket = static_cast<int>(rng() % 100);
    size_t n = bucket < 10   ? 0
               : bucket < 70 ? 1 + rng() % 200
               : bucket < 95 ? 200 + rng() % 5000
               : bucket < 99 ? 5000 + rng() % 100000
                             : 100000 + rng() % 300000;
    records.push_back(RandomBytes(&rng, n));
  }
  records.push_back(RandomBytes(&rng, 3 << 20));  // Spans ~100 pages.

  TempDir dir;
  auto w = MustOpen(dir.path(), WalOptions{});  // The default policy.
  ASSERT_NE(w, nullptr);
  for (size_t i = 0; i < records.size();) {
    const size_t n = std::min<size_t>(records.size() - i, 1 + rng() % 20);
    std::vector<std::string_view> batch(records.begin() + static_cast<ptrdiff_t>(i),
                                        records.begin() + static_cast<ptrdiff_t>(i + n));
    ASSERT_TRUE(w->Append(batch).ok());
    i += n;
  }
  ASSERT_TRUE(w->Close().ok());

  ReplayStats stats;
  EXPECT_EQ(MustReplay(dir.path(), &stats), records);
  EXPECT_EQ(stats.records, records.size());
  EXPECT_FALSE(stats.torn_tail);
  EXPECT_EQ(stats.checkpoint, -1);
}

TEST(WalTest, RotatesAcrossSegmentsAndRecordsNeverSpanThem) {
  TempDir dir;
  const size_t seg = WalOptions::kMinSegmentBytes;
  std::vector<std::string> records = NumberedRecords(150, 1000);
  records.insert(records.begin() + 70, std::string(100000, 'B'));  // Bigger than a segment.
  auto w = MustOpen(dir.path(), NoSync(seg));
  ASSERT_NE(w, nullptr);
  LogAll(w.get(), records);
  const int last = w->current_segment();
  ASSERT_TRUE(w->Close().ok());

  const std::vector<Placement> layout = Layout(records, seg);
  EXPECT_EQ(last, layout.back().segment);
  EXPECT_GE(last, 5);
  std::vector<int> expected_segments;
  for (int i = 0; i <= last; ++i) expected_segments.push_back(i);
  EXPECT_EQ(SegmentsIn(dir.path()), expected_segments);
  for (int i = 0; i <= last; ++i) {
    const uint64_t size = fs::file_size(dir.Sub(SegName(i)));
    const bool holds_big_record = layout[70].segment == i;
    if (!holds_big_record) {
      EXPECT_LE(size, seg) << "segment " << i;
    }
  }
  EXPECT_EQ(MustReplay(dir.path()), records);
}

TEST(WalTest, ReopenStartsANewSegmentAndReplayKeepsOrder) {
  TempDir dir;
  std::vector<std::string> all;
  for (int round = 0; round < 3; ++round) {
    ReplayStats stats;
    EXPECT_EQ(MustReplay(dir.path(), &stats), all);
    auto w = MustOpen(dir.path(), NoSync());
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->current_segment(), round);
    auto more = NumberedRecords(20, 50, "round" + std::to_string(round) + "-");
    LogAll(w.get(), more);
    all.insert(all.end(), more.begin(), more.end());
    ASSERT_TRUE(w->Close().ok());
  }
  EXPECT_EQ(MustReplay(dir.path()), all);
  EXPECT_THAT(SegmentsIn(dir.path()), ElementsAre(0, 1, 2));
}

// Writes `prefix` then `last` into segment 0 of `dir`; returns the segment bytes and where the
// last record starts.
std::string BuildSegment(const std::string& dir, const std::vector<std::string>& prefix,
                         const std::string& last, uint64_t* last_start) {
  auto w = MustOpen(dir, NoSync());
  EXPECT_NE(w, nullptr);
  LogAll(w.get(), prefix);
  *last_start = fs::file_size(dir + "/" + SegName(0));
  EXPECT_TRUE(w->Log(last).ok());
  EXPECT_TRUE(w->Close().ok());
  return ReadBytes(dir + "/" + SegName(0));
}

// Cuts segment 0 to `cut` bytes in a fresh directory, replays, then reopens and appends.
void CheckTornAt(const std::string& full, uint64_t cut, uint64_t last_start,
                 const std::vector<std::string>& prefix) {
  SCOPED_TRACE("cut at " + std::to_string(cut));
  TempDir dir;
  WriteBytes(dir.Sub(SegName(0)), std::string_view(full).substr(0, cut));
  ReplayStats stats;
  std::vector<std::string> got = MustReplay(dir.path(), &stats);
  ASSERT_EQ(got, prefix);
  EXPECT_EQ(stats.torn_tail, cut > last_start);
  if (cut > last_start) {
    EXPECT_EQ(stats.torn_segment, 0);
    EXPECT_EQ(stats.torn_offset, last_start);
    EXPECT_EQ(stats.torn_bytes_dropped, cut - last_start);
  }
  EXPECT_EQ(fs::file_size(dir.Sub(SegName(0))), last_start);

  auto w = MustOpen(dir.path(), NoSync());
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->Log("after").ok());
  ASSERT_TRUE(w->Close().ok());
  std::vector<std::string> expected = prefix;
  expected.emplace_back("after");
  ASSERT_EQ(MustReplay(dir.path()), expected);
}

TEST(WalTest, TornTailAtEveryOffsetOfTheLastRecordIsCut) {
  TempDir ref;
  const std::vector<std::string> prefix = NumberedRecords(50, 37);
  uint64_t last_start = 0;
  const std::string full = BuildSegment(ref.path(), prefix, std::string(300, 'L'), &last_start);
  ASSERT_EQ(full.size(), last_start + kFragHeader + 300);
  for (uint64_t cut = last_start; cut < full.size(); ++cut) {
    CheckTornAt(full, cut, last_start, prefix);
    if (HasFatalFailure()) return;
  }
}

TEST(WalTest, TornTailInsideAMultiPageRecordIsCut) {
  TempDir ref;
  const std::vector<std::string> prefix = NumberedRecords(40, 500);
  uint64_t last_start = 0;
  std::mt19937_64 rng(7);
  const std::string full = BuildSegment(ref.path(), prefix, RandomBytes(&rng, 80000), &last_start);
  std::vector<uint64_t> cuts;
  for (uint64_t c = last_start; c < full.size(); c += 997) cuts.push_back(c);
  for (uint64_t boundary = kPage; boundary < full.size(); boundary += kPage) {
    for (uint64_t d = boundary - 9; d <= boundary + 9 && d < full.size(); ++d) cuts.push_back(d);
  }
  cuts.push_back(full.size() - 1);
  for (uint64_t cut : cuts) {
    CheckTornAt(full, cut, last_start, prefix);
    if (HasFatalFailure()) return;
  }
}

TEST(WalTest, PageTrailersArePaddingAndTearsInsideThemAreCut) {
  // The first record ends 3 bytes before the page boundary: too few for a fragment header, so
  // the next record starts at the next page behind 3 zero bytes.
  const std::vector<std::string> prefix = {std::string(kPage - kSegHeader - kFragHeader - 3, 'f')};
  const std::vector<std::string> all = {prefix[0], "next"};
  const auto layout = Layout(all, NoSync().segment_size_bytes);
  ASSERT_EQ(layout[1].offset, kPage);
  TempDir ref;
  uint64_t last_start = 0;
  const std::string full = BuildSegment(ref.path(), prefix, "next", &last_start);
  ASSERT_EQ(last_start, kPage - 3);
  EXPECT_EQ(full.substr(kPage - 3, 3), std::string(3, '\0'));
  for (uint64_t cut = last_start; cut < full.size(); ++cut) {
    if (cut == kPage) continue;  // A complete trailer is valid padding, checked below.
    CheckTornAt(full, cut, last_start, prefix);
    if (HasFatalFailure()) return;
  }
  {
    TempDir dir;
    WriteBytes(dir.Sub(SegName(0)), full.substr(0, kPage));
    ReplayStats stats;
    EXPECT_EQ(MustReplay(dir.path(), &stats), prefix);
    EXPECT_FALSE(stats.torn_tail);
    EXPECT_EQ(fs::file_size(dir.Sub(SegName(0))), kPage);
  }

  // A non-zero trailer byte followed by valid data is corruption.
  TempDir dir;
  std::string bad = full;
  bad[kPage - 2] = 'x';
  WriteBytes(dir.Sub(SegName(0)), bad);
  std::vector<std::string> got;
  auto r = ReplayInto(dir.path(), &got);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("page trailer"));
  EXPECT_EQ(got, prefix);
}

TEST(WalTest, ZeroFilledTailIsCutAndAppendsContinue) {
  for (uint64_t zeros : {uint64_t{1}, uint64_t{6}, uint64_t{7}, uint64_t{4096}, 3 * kPage + 5}) {
    SCOPED_TRACE("zeros=" + std::to_string(zeros));
    TempDir dir;
    const auto records = NumberedRecords(30, 100);
    auto w = MustOpen(dir.path(), NoSync());
    ASSERT_NE(w, nullptr);
    LogAll(w.get(), records);
    ASSERT_TRUE(w->Close().ok());
    const std::string seg = dir.Sub(SegName(0));
    const uint64_t size = fs::file_size(seg);
    WriteBytes(seg, ReadBytes(seg) + std::string(zeros, '\0'));  // Like preallocated space.

    ReplayStats stats;
    EXPECT_EQ(MustReplay(dir.path(), &stats), records);
    EXPECT_TRUE(stats.torn_tail);
    EXPECT_EQ(stats.torn_bytes_dropped, zeros);
    EXPECT_EQ(fs::file_size(seg), size);

    w = MustOpen(dir.path(), NoSync());
    ASSERT_NE(w, nullptr);
    ASSERT_TRUE(w->Log("next").ok());
    ASSERT_TRUE(w->Close().ok());
    EXPECT_EQ(MustReplay(dir.path()).back(), "next");
  }
}

TEST(WalTest, OpenCutsATornTailItself) {
  TempDir dir;
  const auto records = NumberedRecords(10, 100);
  auto w = MustOpen(dir.path(), NoSync());
  ASSERT_NE(w, nullptr);
  LogAll(w.get(), records);
  ASSERT_TRUE(w->Close().ok());
  const std::string seg = dir.Sub(SegName(0));
  const std::string bytes = ReadBytes(seg);
  WriteBytes(seg, bytes.substr(0, bytes.size() - 20));
  // No Replay first: Open must not leave a torn segment behind a new one.
  w = MustOpen(dir.path(), NoSync());
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->Log("later").ok());
  ASSERT_TRUE(w->Close().ok());
  std::vector<std::string> expected(records.begin(), records.end() - 1);
  expected.emplace_back("later");
  EXPECT_EQ(MustReplay(dir.path()), expected);
}

TEST(WalTest, TornSegmentHeaderIsCut) {
  TempDir ref;
  {
    auto w = MustOpen(ref.path(), NoSync());
    ASSERT_NE(w, nullptr);
    ASSERT_TRUE(w->Log("first").ok());
    ASSERT_TRUE(w->NextSegmentForCheckpoint().ok());  // Segment 1 now holds just a header.
    ASSERT_TRUE(w->Close().ok());
  }
  const std::string seg1 = ReadBytes(ref.Sub(SegName(1)));
  ASSERT_EQ(seg1.size(), kSegHeader);
  for (size_t cut = 0; cut <= kSegHeader; ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    TempDir dir;
    fs::copy_file(ref.Sub(SegName(0)), dir.Sub(SegName(0)));
    WriteBytes(dir.Sub(SegName(1)), seg1.substr(0, cut));
    ReplayStats stats;
    EXPECT_THAT(MustReplay(dir.path(), &stats), ElementsAre("first"));
    EXPECT_EQ(stats.torn_tail, cut > 0 && cut < kSegHeader);
    EXPECT_EQ(fs::file_size(dir.Sub(SegName(1))), cut == kSegHeader ? kSegHeader : 0);
    auto w = MustOpen(dir.path(), NoSync());
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->current_segment(), 2);
    ASSERT_TRUE(w->Log("second").ok());
    ASSERT_TRUE(w->Close().ok());
    EXPECT_THAT(MustReplay(dir.path()), ElementsAre("first", "second"));
  }
}

// Writes 100 records of 1000 bytes with 32 KiB segments (4 segments).
std::vector<std::string> WriteFourSegments(const std::string& dir) {
  auto records = NumberedRecords(100, 1000);
  auto w = MustOpen(dir, NoSync(WalOptions::kMinSegmentBytes));
  EXPECT_NE(w, nullptr);
  LogAll(w.get(), records);
  EXPECT_EQ(w->current_segment(), 3);
  EXPECT_TRUE(w->Close().ok());
  return records;
}

void FlipByte(const std::string& path, uint64_t offset) {
  std::string bytes = ReadBytes(path);
  ASSERT_LT(offset, bytes.size());
  bytes[offset] = static_cast<char>(bytes[offset] ^ 0x40);
  WriteBytes(path, bytes);
}

TEST(WalTest, CorruptionInFirstSegmentNamesSegmentAndOffset) {
  TempDir dir;
  const auto records = WriteFourSegments(dir.path());
  const auto layout = Layout(records, WalOptions::kMinSegmentBytes);
  const size_t k = 12;
  ASSERT_EQ(layout[k].segment, 0);
  FlipByte(dir.Sub(SegName(0)), layout[k].offset + kFragHeader + 500);  // Payload byte.
  const auto sizes_before = fs::file_size(dir.Sub(SegName(0)));

  std::vector<std::string> got;
  auto r = ReplayInto(dir.path(), &got);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  EXPECT_THAT(r.status().message(), HasSubstr("segment 00000000"));
  EXPECT_THAT(r.status().message(), HasSubstr("offset " + std::to_string(layout[k].offset)));
  EXPECT_THAT(r.status().message(), HasSubstr("checksum"));
  // Everything before the damage was delivered; nothing on disk changed.
  EXPECT_EQ(got, std::vector<std::string>(records.begin(), records.begin() + k));
  EXPECT_EQ(fs::file_size(dir.Sub(SegName(0))), sizes_before);
  EXPECT_THAT(SegmentsIn(dir.path()), ElementsAre(0, 1, 2, 3));
}

TEST(WalTest, RepairModeRecoversThePrefixAndReportsDroppedBytes) {
  TempDir dir;
  const auto records = WriteFourSegments(dir.path());
  const auto layout = Layout(records, WalOptions::kMinSegmentBytes);
  const size_t k = 12;
  FlipByte(dir.Sub(SegName(0)), layout[k].offset + 3);  // CRC byte of the header.
  uint64_t total = 0;
  for (int i = 0; i < 4; ++i) total += fs::file_size(dir.Sub(SegName(i)));

  ReplayOptions repair;
  repair.truncate_corrupt_tail = true;
  std::vector<std::string> got;
  auto r = ReplayInto(dir.path(), &got, repair);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::vector<std::string> prefix(records.begin(), records.begin() + k);
  EXPECT_EQ(got, prefix);
  EXPECT_TRUE(r->repaired);
  EXPECT_EQ(r->corrupt_segment, 0);
  EXPECT_EQ(r->corrupt_offset, layout[k].offset);
  EXPECT_EQ(r->segments_deleted, 3);
  EXPECT_EQ(r->corrupt_bytes_dropped, total - layout[k].offset);
  EXPECT_THAT(r->corruption, HasSubstr("segment 00000000"));
  EXPECT_THAT(SegmentsIn(dir.path()), ElementsAre(0));
  EXPECT_EQ(fs::file_size(dir.Sub(SegName(0))), layout[k].offset);

  // The repaired log is clean and appendable.
  ReplayStats stats;
  EXPECT_EQ(MustReplay(dir.path(), &stats), prefix);
  EXPECT_FALSE(stats.repaired);
  auto w = MustOpen(dir.path(), NoSync());
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->Log("after repair").ok());
  ASSERT_TRUE(w->Close().ok());
  auto expected = prefix;
  expected.emplace_back("after repair");
  EXPECT_EQ(MustReplay(dir.path()), expected);
}

TEST(WalTest, DamageFollowedByValidDataInTheLastSegmentIsCorruption) {
  TempDir dir;
  const auto records = NumberedRecords(20, 100);
  auto w = MustOpen(dir.path(), NoSync());
  ASSERT_NE(w, nullptr);
  LogAll(w.get(), records);
  ASSERT_TRUE(w->Close().ok());
  const auto layout = Layout(records, NoSync().segment_size_bytes);
  // Damage the length of record 15 so that it points past the end of the file: only the scan
  // for later valid fragments can tell this from a torn write.
  std::string bytes = ReadBytes(dir.Sub(SegName(0)));
  bytes[layout[15].offset + 1] = static_cast<char>(0xff);
  bytes[layout[15].offset + 2] = static_cast<char>(0x10);
  WriteBytes(dir.Sub(SegName(0)), bytes);

  std::vector<std::string> got;
  auto r = ReplayInto(dir.path(), &got);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  EXPECT_THAT(r.status().message(), HasSubstr("offset " + std::to_string(layout[15].offset)));
  EXPECT_EQ(got, std::vector<std::string>(records.begin(), records.begin() + 15));
  // Open refuses to append after it, too.
  auto opened = Wal::Open(dir.path(), NoSync());
  ASSERT_FALSE(opened.ok());
  EXPECT_TRUE(opened.status().IsCorruption());
}

TEST(WalTest, BitFlipInTheFinalRecordOfTheLastSegmentIsATornTail) {
  TempDir dir;
  const auto records = NumberedRecords(20, 100);
  auto w = MustOpen(dir.path(), NoSync());
  ASSERT_NE(w, nullptr);
  LogAll(w.get(), records);
  ASSERT_TRUE(w->Close().ok());
  const auto layout = Layout(records, NoSync().segment_size_bytes);
  FlipByte(dir.Sub(SegName(0)), layout[19].offset + kFragHeader + 50);
  ReplayStats stats;
  EXPECT_EQ(MustReplay(dir.path(), &stats),
            std::vector<std::string>(records.begin(), records.begin() + 19));
  EXPECT_TRUE(stats.torn_tail);
  EXPECT_EQ(stats.torn_offset, layout[19].offset);
}

TEST(WalTest, MissingMiddleSegmentIsCorruptionAndRepairCutsThere) {
  TempDir dir;
  const auto records = WriteFourSegments(dir.path());
  const auto layout = Layout(records, WalOptions::kMinSegmentBytes);
  ASSERT_TRUE(fs::remove(dir.Sub(SegName(2))));
  size_t in_first_two = 0;
  while (layout[in_first_two].segment < 2) ++in_first_two;
  const std::vector<std::string> prefix(records.begin(),
                                        records.begin() + static_cast<ptrdiff_t>(in_first_two));

  std::vector<std::string> got;
  auto r = ReplayInto(dir.path(), &got);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsCorruption());
  EXPECT_THAT(r.status().message(), HasSubstr("00000002"));
  EXPECT_EQ(got, prefix);

  ReplayOptions repair;
  repair.truncate_corrupt_tail = true;
  r = ReplayInto(dir.path(), &got, repair);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(got, prefix);
  EXPECT_EQ(r->segments_deleted, 1);
  EXPECT_THAT(SegmentsIn(dir.path()), ElementsAre(0, 1));
}

TEST(WalTest, UnrelatedFilesAreIgnored) {
  TempDir dir;
  for (const char* name : {"README", "0000001", "000000001", "00000001.bak", "checkpoint.x",
                           "checkpoint.1", "lockfile"}) {
    WriteBytes(dir.Sub(name), "garbage");
  }
  fs::create_directory(dir.Sub("00000009.d"));
  auto w = MustOpen(dir.path(), NoSync());
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->current_segment(), 0);
  ASSERT_TRUE(w->Log("only").ok());
  ASSERT_TRUE(w->Close().ok());
  EXPECT_THAT(MustReplay(dir.path()), ElementsAre("only"));
  EXPECT_EQ(ReadBytes(dir.Sub("README")), "garbage");
}

TEST(WalTest, GarbageSegmentIsCorruptionAndIsLeftAlone) {
  std::mt19937_64 rng(42);
  const std::string garbage = RandomBytes(&rng, 50000);
  {
    TempDir dir;  // The only segment.
    WriteBytes(dir.Sub(SegName(0)), garbage);
    std::vector<std::string> got;
    auto r = ReplayInto(dir.path(), &got);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
    EXPECT_THAT(r.status().message(), HasSubstr("not a WAL segment"));
    ReplayOptions repair;
    repair.truncate_corrupt_tail = true;
    EXPECT_FALSE(ReplayInto(dir.path(), &got, repair).ok());  // Not ours to truncate.
    EXPECT_EQ(ReadBytes(dir.Sub(SegName(0))), garbage);
    EXPECT_FALSE(Wal::Open(dir.path(), NoSync()).ok());
  }
  {
    TempDir dir;  // A garbage segment before a valid one.
    auto w = MustOpen(dir.path(), NoSync());
    ASSERT_NE(w, nullptr);
    ASSERT_TRUE(w->Log("valid").ok());
    ASSERT_TRUE(w->Close().ok());
    fs::rename(dir.Sub(SegName(0)), dir.Sub(SegName(1)));
    WriteBytes(dir.Sub(SegName(0)), SegmentHeaderBytes() + garbage);
    std::vector<std::string> got;
    auto r = ReplayInto(dir.path(), &got);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.status().IsCorruption());
    EXPECT_THAT(r.status().message(), HasSubstr("segment 00000000 at offset 16"));
    EXPECT_TRUE(got.empty());
  }
  {
    TempDir dir;  // Another format version.
    WriteBytes(dir.Sub(SegName(0)), std::string("SWAL\x02\x00\x00\x00", 8));
    std::vector<std::string> got;
    auto r = ReplayInto(dir.path(), &got);
    EXPECT_EQ(r.status().code(), StatusCode::kNotSupported) << r.status().ToString();
  }
}

TEST(WalTest, HugeFragmentLengthIsRejectedWithoutTrustingIt) {
  TempDir dir;
  std::string seg = SegmentHeaderBytes() + Fragment(1, "a");
  const uint64_t bad = seg.size();
  std::string huge = Fragment(1, "zz");
  huge[1] = static_cast<char>(0xff);  // Length 65535: longer than any page.
  huge[2] = static_cast<char>(0xff);
  seg += huge + Fragment(1, "b");
  WriteBytes(dir.Sub(SegName(0)), seg);
  std::vector<std::string> got;
  auto r = ReplayInto(dir.path(), &got);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsCorruption());
  EXPECT_THAT(r.status().message(), HasSubstr("offset " + std::to_string(bad)));
  EXPECT_THAT(r.status().message(), HasSubstr("crosses the page boundary"));
  EXPECT_THAT(got, ElementsAre("a"));
}

TEST(WalTest, RecordsOverTheSizeLimitAreRejected) {
  // The reader refuses to reassemble more than kMaxRecordBytes from valid fragments.
  {
    TempDir dir;
    std::string seg = SegmentHeaderBytes();
    const std::string chunk(kPage - kFragHeader, 'm');
    size_t total = 0;
    bool first = true;
    while (total <= Wal::kMaxRecordBytes) {
      const size_t room = kPage - seg.size() % kPage - kFragHeader;
      seg += Fragment(first ? 2 : 3, std::string_view(chunk).substr(0, room));
      total += room;
      first = false;
    }
    seg += Fragment(4, "end");
    WriteBytes(dir.Sub(SegName(0)), seg);
    std::vector<std::string> got;
    auto r = ReplayInto(dir.path(), &got);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.status().IsCorruption());
    EXPECT_THAT(r.status().message(), HasSubstr("record exceeds"));
    EXPECT_TRUE(got.empty());
  }
  // The writer refuses records over the limit and accepts one of exactly the limit.
  {
    TempDir dir;
    auto w = MustOpen(dir.path(), NoSync());
    ASSERT_NE(w, nullptr);
    std::string big(Wal::kMaxRecordBytes + 1, 'x');
    Status s = w->Log(big);
    EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
    big.pop_back();
    ASSERT_TRUE(w->Log(big).ok());
    ASSERT_TRUE(w->Close().ok());
    size_t count = 0;
    auto r = Wal::Replay(dir.path(), [&](std::string_view rec) {
      ++count;
      EXPECT_EQ(rec.size(), Wal::kMaxRecordBytes);
      return Status::Ok();
    });
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(count, 1u);
  }
}

TEST(WalTest, ReplayNeverCrashesOnRandomDamage) {
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  TempDir ref;
  std::vector<std::string> records;
  records.reserve(300);
  for (int i = 0; i < 300; ++i) records.push_back(RandomBytes(&rng, rng() % 3000));
  {
    auto w = MustOpen(ref.path(), NoSync(WalOptions::kMinSegmentBytes));
    ASSERT_NE(w, nullptr);
    LogAll(w.get(), records);
    ASSERT_TRUE(w->Close().ok());
  }
  const std::vector<int> segments = SegmentsIn(ref.path());
  for (int iter = 0; iter < 200; ++iter) {
    SCOPED_TRACE("iteration " + std::to_string(iter));
    TempDir dir;
    for (int s : segments) fs::copy_file(ref.Sub(SegName(s)), dir.Sub(SegName(s)));
    const int victim = segments[rng() % segments.size()];
    std::string bytes = ReadBytes(dir.Sub(SegName(victim)));
    switch (rng() % 5) {
      case 0: {  // Flip a few bits.
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int i = 0; i < flips; ++i) {
          const size_t at = rng() % bytes.size();
          bytes[at] = static_cast<char>(bytes[at] ^ (1 << (rng() % 8)));
        }
        break;
      }
      case 1:
        bytes.resize(rng() % bytes.size());
        break;
      case 2:
        bytes += RandomBytes(&rng, rng() % 5000);
        break;
      case 3: {
        const size_t at = rng() % bytes.size();
        std::fill(
            bytes.begin() + static_cast<ptrdiff_t>(at),
            bytes.begin() + static_cast<ptrdiff_t>(std::min(bytes.size(), at + rng() % 10000)),
            '\0');
        break;
      }
      case 4:
        bytes = RandomBytes(&rng, rng() % 40000);
        break;
    }
    WriteBytes(dir.Sub(SegName(victim)), bytes);
    ReplayOptions options;
    options.truncate_corrupt_tail = rng() % 2 == 0;
    std::vector<std::string> got;
    auto r = ReplayInto(dir.path(), &got, options);
    if (!r.ok()) {
      EXPECT_TRUE(r.status().IsCorruption() || r.status().code() == StatusCode::kNotSupported)
          << r.status().ToString();
    }
    // Whatever came out is an exact prefix of what went in.
    ASSERT_LE(got.size(), records.size());
    EXPECT_TRUE(std::equal(got.begin(), got.end(), records.begin()));
    if (r.ok()) {
      // After a successful (possibly repairing) replay the log is clean and stable.
      std::vector<std::string> again;
      auto r2 = ReplayInto(dir.path(), &again);
      ASSERT_TRUE(r2.ok()) << r2.status().ToString();
      EXPECT_EQ(again, got);
      EXPECT_FALSE(r2->torn_tail);
    }
  }
}

TEST(WalTest, ConcurrentAppendersWithAlwaysPolicyShareFsyncs) {
  TempDir dir;
  WalOptions options;
  options.fsync = WalOptions::FsyncPolicy::kAlways;
  options.segment_size_bytes = 256 << 10;  // Also rotate under contention.
  auto w = MustOpen(dir.path(), options);
  ASSERT_NE(w, nullptr);
  constexpr int kThreads = 4;
  constexpr int kCallsPerThread = 150;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&w, t] {
      std::mt19937_64 rng(static_cast<uint64_t>(t));
      int n = 0;
      for (int call = 0; call < kCallsPerThread; ++call) {
        std::vector<std::string> owned;
        const int batch = 1 + static_cast<int>(rng() % 3);
        for (int i = 0; i < batch; ++i) {
          std::string r = "t" + std::to_string(t) + "-" + std::to_string(n++) + ":";
          r.resize(r.size() + rng() % 2000, 'x');
          owned.push_back(std::move(r));
        }
        std::vector<std::string_view> views(owned.begin(), owned.end());
        Status s = w->Append(views);
        ASSERT_TRUE(s.ok()) << s.ToString();
      }
    });
  }
  for (auto& t : threads) t.join();
  const uint64_t fsyncs = w->fsyncs();
  EXPECT_GT(fsyncs, 0u);
  EXPECT_LE(fsyncs, static_cast<uint64_t>(kThreads * kCallsPerThread) +
                        static_cast<uint64_t>(w->current_segment()) + 1);
  ASSERT_TRUE(w->Close().ok());

  std::vector<int> next(kThreads, 0);
  size_t total = 0;
  auto r = Wal::Replay(dir.path(), [&](std::string_view rec) {
    const size_t dash = rec.find('-');
    const size_t colon = rec.find(':');
    const int t = std::stoi(std::string(rec.substr(1, dash - 1)));
    const int n = std::stoi(std::string(rec.substr(dash + 1, colon - dash - 1)));
    EXPECT_EQ(n, next[t]) << "thread " << t;  // Exactly once, in each thread's order.
    next[t] = n + 1;
    ++total;
    return Status::Ok();
  });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(total, r->records);
  EXPECT_GT(r->last_segment, 0);
  for (int t = 0; t < kThreads; ++t) EXPECT_GE(next[t], kCallsPerThread);
}

TEST(WalTest, CheckpointThenTruncateReplaysCheckpointThenLaterSegments) {
  TempDir dir;
  auto w = MustOpen(dir.path(), NoSync(WalOptions::kMinSegmentBytes));
  ASSERT_NE(w, nullptr);
  LogAll(w.get(), NumberedRecords(100, 1000, "old"));
  auto n = w->NextSegmentForCheckpoint();
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, w->current_segment() - 1);
  const std::vector<std::string> checkpoint = {"ckpt-a", "", std::string(100000, 'c')};
  ASSERT_TRUE(Wal::WriteCheckpoint(dir.path(), *n, checkpoint).ok());
  EXPECT_TRUE(fs::is_directory(dir.Sub("checkpoint." + SegName(*n))));
  EXPECT_EQ(Wal::WriteCheckpoint(dir.path(), *n, checkpoint).code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(w->TruncateBefore(w->current_segment() + 1).IsInvalidArgument());
  ASSERT_TRUE(w->TruncateBefore(*n + 1).ok());
  EXPECT_THAT(SegmentsIn(dir.path()), ElementsAre(*n + 1));
  const auto later = NumberedRecords(50, 1000, "new");
  LogAll(w.get(), later);
  ASSERT_TRUE(w->Close().ok());

  auto expected = checkpoint;
  expected.insert(expected.end(), later.begin(), later.end());
  ReplayStats stats;
  EXPECT_EQ(MustReplay(dir.path(), &stats), expected);
  EXPECT_EQ(stats.checkpoint, *n);
  EXPECT_EQ(stats.checkpoint_records, checkpoint.size());
  EXPECT_EQ(stats.first_segment, *n + 1);

  // A newer checkpoint supersedes (and removes) the older one.
  w = MustOpen(dir.path(), NoSync(WalOptions::kMinSegmentBytes));
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->Log("tail").ok());
  auto n2 = w->NextSegmentForCheckpoint();
  ASSERT_TRUE(n2.ok());
  EXPECT_GT(*n2, *n);
  const std::vector<std::string> checkpoint2 = {"ckpt2"};
  ASSERT_TRUE(Wal::WriteCheckpoint(dir.path(), *n2, checkpoint2).ok());
  EXPECT_FALSE(fs::exists(dir.Sub("checkpoint." + SegName(*n))));
  ASSERT_TRUE(w->Log("after ckpt2").ok());
  ASSERT_TRUE(w->Close().ok());
  // Segments at or below the checkpoint are skipped even before TruncateBefore deletes them.
  EXPECT_THAT(MustReplay(dir.path()), ElementsAre("ckpt2", "after ckpt2"));
}

TEST(WalTest, CrashMidCheckpointLeavesATmpDirThatIsIgnoredAndRemoved) {
  TempDir dir;
  auto w = MustOpen(dir.path(), NoSync(WalOptions::kMinSegmentBytes));
  ASSERT_NE(w, nullptr);
  const auto first = NumberedRecords(40, 1000, "a");
  LogAll(w.get(), first);
  auto n = w->NextSegmentForCheckpoint();
  ASSERT_TRUE(n.ok());
  const std::vector<std::string> ckpt = {"state-1"};
  ASSERT_TRUE(Wal::WriteCheckpoint(dir.path(), *n, ckpt).ok());
  const auto second = NumberedRecords(40, 1000, "b");
  LogAll(w.get(), second);
  ASSERT_TRUE(w->Close().ok());

  // A later checkpoint died before its rename: a partial segment in a .tmp directory.
  const std::string tmp = dir.Sub("checkpoint." + SegName(*n + 5) + ".tmp");
  fs::create_directory(tmp);
  WriteBytes(tmp + "/" + SegName(0), SegmentHeaderBytes() + "\x01\xff");

  auto expected = ckpt;
  expected.insert(expected.end(), second.begin(), second.end());
  ReplayStats stats;
  EXPECT_EQ(MustReplay(dir.path(), &stats), expected);
  EXPECT_EQ(stats.checkpoint, *n);
  EXPECT_FALSE(fs::exists(tmp));

  // Crash between the rename of a new checkpoint and the removal of the old one.
  fs::create_directory(dir.Sub("checkpoint." + SegName(0)));
  WriteBytes(dir.Sub("checkpoint." + SegName(0)) + "/" + SegName(0), "stale");
  EXPECT_EQ(MustReplay(dir.path()), expected);
  EXPECT_FALSE(fs::exists(dir.Sub("checkpoint." + SegName(0))));
}

TEST(WalTest, CorruptCheckpointIsCorruption) {
  TempDir dir;
  const std::vector<std::string> ckpt = NumberedRecords(10, 100);
  ASSERT_TRUE(Wal::WriteCheckpoint(dir.path(), 3, ckpt).ok());
  const std::string seg = dir.Sub("checkpoint." + SegName(3)) + "/" + SegName(0);
  const std::string bytes = ReadBytes(seg);
  WriteBytes(seg, bytes.substr(0, bytes.size() - 1));  // Checkpoints are never torn.
  ReplayOptions repair;
  repair.truncate_corrupt_tail = true;
  std::vector<std::string> got;
  auto r = ReplayInto(dir.path(), &got, repair);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsCorruption());
  EXPECT_THAT(r.status().message(), HasSubstr("checkpoint.00000003"));
}

TEST(WalTest, OpenAfterACheckpointNumbersSegmentsAboveIt) {
  TempDir dir;
  const std::vector<std::string> ckpt = {"base"};
  ASSERT_TRUE(Wal::WriteCheckpoint(dir.path(), 7, ckpt).ok());
  auto w = MustOpen(dir.path(), NoSync());
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->current_segment(), 8);
  ASSERT_TRUE(w->Log("x").ok());
  ASSERT_TRUE(w->Close().ok());
  EXPECT_THAT(MustReplay(dir.path()), ElementsAre("base", "x"));
}

TEST(WalTest, DirectoryIsLockedWhileOpen) {
  TempDir dir;
  auto w = MustOpen(dir.path(), NoSync());
  ASSERT_NE(w, nullptr);
  auto second = Wal::Open(dir.path(), NoSync());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable) << second.status().ToString();
  std::vector<std::string> got;
  EXPECT_EQ(ReplayInto(dir.path(), &got).status().code(), StatusCode::kUnavailable);
  ASSERT_TRUE(w->Close().ok());
  EXPECT_TRUE(w->Close().ok());  // Idempotent.
  EXPECT_EQ(w->Log("late").code(), StatusCode::kUnavailable);
  EXPECT_EQ(w->Sync().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(ReplayInto(dir.path(), &got).ok());
}

TEST(WalTest, ReplayStopsAtTheFirstCallbackError) {
  TempDir dir;
  auto w = MustOpen(dir.path(), NoSync());
  ASSERT_NE(w, nullptr);
  LogAll(w.get(), NumberedRecords(10, 10));
  ASSERT_TRUE(w->Close().ok());
  int calls = 0;
  auto r = Wal::Replay(dir.path(), [&](std::string_view) {
    return ++calls == 3 ? Status::Cancelled("enough") : Status::Ok();
  });
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_THAT(r.status().message(), HasSubstr("enough"));
  EXPECT_EQ(calls, 3);
}

TEST(WalTest, MissingDirectoryIsAnEmptyLog) {
  ReplayStats stats;
  EXPECT_TRUE(MustReplay("/tmp/wal_test_does_not_exist_4711", &stats).empty());
  EXPECT_EQ(stats.records, 0u);
}

TEST(WalTest, FsyncPolicies) {
  {
    TempDir dir;
    auto w = MustOpen(dir.path(), NoSync());
    ASSERT_NE(w, nullptr);
    ASSERT_TRUE(w->Log("a").ok());
    EXPECT_EQ(w->fsyncs(), 0u);
    ASSERT_TRUE(w->Sync().ok());
    EXPECT_EQ(w->fsyncs(), 1u);
    ASSERT_TRUE(w->Sync().ok());  // Nothing new: no device flush.
    EXPECT_EQ(w->fsyncs(), 1u);
    EXPECT_EQ(w->bytes_written(), kSegHeader + kFragHeader + 1);
    ASSERT_TRUE(w->Close().ok());
  }
  {
    TempDir dir;
    WalOptions o;
    o.fsync = WalOptions::FsyncPolicy::kAlways;
    auto w = MustOpen(dir.path(), o);
    ASSERT_NE(w, nullptr);
    ASSERT_TRUE(w->Log("a").ok());
    EXPECT_EQ(w->fsyncs(), 1u);
    ASSERT_TRUE(w->Close().ok());
    EXPECT_EQ(w->fsyncs(), 1u);  // Close had nothing left to sync.
  }
  {
    TempDir dir;
    WalOptions o;
    o.fsync = WalOptions::FsyncPolicy::kInterval;
    o.fsync_interval = std::chrono::milliseconds(5);
    auto w = MustOpen(dir.path(), o);
    ASSERT_NE(w, nullptr);
    ASSERT_TRUE(w->Log("a").ok());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (w->fsyncs() == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    EXPECT_GT(w->fsyncs(), 0u) << "the background thread never synced";
    ASSERT_TRUE(w->Close().ok());
  }
}

TEST(WalTest, OptionsAreValidated) {
  WalOptions o;
  EXPECT_TRUE(o.Validate().ok());
  EXPECT_EQ(o.fsync, WalOptions::FsyncPolicy::kInterval);
  o.segment_size_bytes = 1000;
  EXPECT_TRUE(o.Validate().IsInvalidArgument());
  o = WalOptions{};
  o.segment_size_bytes = size_t{2} << 30;
  EXPECT_TRUE(o.Validate().IsInvalidArgument());
  o = WalOptions{};
  o.fsync_interval = std::chrono::milliseconds(0);
  EXPECT_TRUE(o.Validate().IsInvalidArgument());
  o.fsync = WalOptions::FsyncPolicy::kNever;
  EXPECT_TRUE(o.Validate().ok());
  TempDir dir;
  o.segment_size_bytes = 1;
  EXPECT_TRUE(Wal::Open(dir.path(), o).status().IsInvalidArgument());
}

TEST(WalTest, NextSegmentForCheckpointOnAFreshLog) {
  TempDir dir;
  auto w = MustOpen(dir.path(), NoSync());
  ASSERT_NE(w, nullptr);
  EXPECT_TRUE(w->NextSegmentForCheckpoint().status().IsNotFound());  // Nothing finished yet.
  ASSERT_TRUE(w->Log("a").ok());
  auto n = w->NextSegmentForCheckpoint();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
  EXPECT_EQ(w->current_segment(), 1);
  // An empty current segment is not rotated again.
  n = w->NextSegmentForCheckpoint();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
  ASSERT_TRUE(w->Close().ok());
}

}  // namespace
}  // namespace strata::storage

namespace strata::storage {
namespace {

// ---------------------------------------------------------------------------------------------
// Salvage: damage in the middle of the log loses only the records in the damaged page.

ReplayOptions Salvage() {
  ReplayOptions o;
  o.salvage = true;
  return o;
}

TEST(WalSalvageTest, RandomDamageLosesOnlyTheRecordsOfTheDamagedPage) {
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  constexpr size_t kSegment = 256 << 10;
  for (int round = 0; round < 12; ++round) {
    TempDir dir;
    std::vector<std::string> records;
    for (int i = 0; i < 1500; ++i) {
      std::string r = "rec" + std::to_string(i) + ":";
      r += RandomBytes(&rng, 50 + rng() % 3000);
      records.push_back(std::move(r));
    }
    {
      auto w = MustOpen(dir.path(), NoSync(kSegment));
      LogAll(w.get(), records);
      ASSERT_TRUE(w->Close().ok());
    }
    const std::vector<Span> spans = Spans(records, kSegment);
    const std::vector<int> segs = SegmentsIn(dir.path());
    ASSERT_GE(segs.size(), 4u);
    // A random segment that is not the last, a random page of it, a random kind of damage.
    const int seg = segs[rng() % (segs.size() - 1)];
    const std::string path = dir.path() + "/" + SegName(seg);
    std::string bytes = ReadBytes(path);
    const uint64_t pages = (bytes.size() + kPage - 1) / kPage;
    const uint64_t page = rng() % pages;
    const uint64_t page_lo = std::max<uint64_t>(page * kPage, kSegHeader);
    const uint64_t page_hi = std::min<uint64_t>((page + 1) * kPage, bytes.size());
    uint64_t bad_lo = 0, bad_hi = 0;  // Damaged bytes [bad_lo, bad_hi).
    switch (round % 3) {
      case 0:  // Flipped bytes.
        bad_lo = page_lo + rng() % (page_hi - page_lo);
        bad_hi = bad_lo + 1;
        bytes[bad_lo] = static_cast<char>(bytes[bad_lo] ^ (1 + rng() % 255));
        break;
      case 1: {  // A zeroed run inside the page.
        bad_lo = page_lo + rng() % (page_hi - page_lo);
        bad_hi = std::min<uint64_t>(page_hi, bad_lo + 1 + rng() % 200);
        bool changed = false;
        for (uint64_t i = bad_lo; i < bad_hi; ++i) {
          changed |= bytes[i] != 0;
          bytes[i] = 0;
        }
        if (!changed) continue;  // Zeroed padding that was zero already: no damage.
        break;
      }
      default:  // The whole page overwritten with garbage.
        bad_lo = page_lo;
        bad_hi = page_hi;
        for (uint64_t i = bad_lo; i < bad_hi; ++i) bytes[i] = static_cast<char>(rng());
        break;
    }
    WriteBytes(path, bytes);

    std::vector<std::string> got;
    auto r = ReplayInto(dir.path(), &got, Salvage());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_FALSE(r->salvaged.empty()) << "round " << round;
    EXPECT_EQ(r->salvaged[0].file, SegName(seg));
    EXPECT_FALSE(r->damaged_dir.empty());
    EXPECT_TRUE(fs::exists(r->damaged_dir + "/" + SegName(seg)));
    // Expected: every record except those in the damaged segment that end after the first
    // damaged record starts and begin before the next page; at most those.
    const uint64_t resume = (page + 1) * kPage;
    std::vector<std::string> must_have;
    size_t may_lose = 0;
    for (size_t i = 0; i < records.size(); ++i) {
      const Span& s = spans[i];
      const bool touches = s.segment == seg && s.end > bad_lo && s.first < resume;
      if (touches) {
        ++may_lose;
      } else {
        must_have.push_back(records[i]);
      }
    }
    // Delivered records: exactly the originals, in order, and a superset of must_have.
    size_t k = 0, m = 0;
    for (size_t i = 0; i < records.size() && k < got.size(); ++i) {
      if (got[k] == records[i]) {
        ++k;
        if (m < must_have.size() && must_have[m] == records[i]) ++m;
      } else {
        ASSERT_FALSE(m < must_have.size() && must_have[m] == records[i])
            << "round " << round << ": record " << i << " was lost outside the damaged page";
      }
    }
    EXPECT_EQ(k, got.size()) << "a delivered record is not an original, or out of order";
    EXPECT_EQ(m, must_have.size());
    EXPECT_GE(got.size() + may_lose, records.size());
    EXPECT_LE(may_lose, 40u);  // A page holds at most ~30 of these records.
  }
}

TEST(WalSalvageTest, AGarbageSegmentHeaderSkipsThatSegmentOnly) {
  TempDir dir;
  auto records = NumberedRecords(400, 2000);
  {
    auto w = MustOpen(dir.path(), NoSync(64 << 10));
    LogAll(w.get(), records);
    ASSERT_TRUE(w->Close().ok());
  }
  const std::vector<Span> spans = Spans(records, 64 << 10);
  FlipByte(dir.path() + "/" + SegName(2), 0);
  std::vector<std::string> got;
  auto r = ReplayInto(dir.path(), &got, Salvage());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  size_t in_seg2 = 0;
  for (const Span& s : spans) in_seg2 += s.segment == 2;
  EXPECT_EQ(got.size(), records.size() - in_seg2);
  ASSERT_EQ(r->salvaged.size(), 1u);
  EXPECT_NE(r->salvaged[0].reason.find("bad magic"), std::string::npos) << r->salvaged[0].reason;
}

TEST(WalSalvageTest, TruncateAndOffModesBehaveAsBefore) {
  TempDir dir;
  auto records = NumberedRecords(400, 2000);
  {
    auto w = MustOpen(dir.path(), NoSync(64 << 10));
    LogAll(w.get(), records);
    ASSERT_TRUE(w->Close().ok());
  }
  const std::vector<Span> spans = Spans(records, 64 << 10);
  size_t first_in_3 = 0;
  while (spans[first_in_3].segment < 3) ++first_in_3;
  FlipByte(dir.path() + "/" + SegName(3), spans[first_in_3].first + 20);
  // Off: Corruption naming segment and offset, nothing changed.
  std::vector<std::string> got;
  auto off = ReplayInto(dir.path(), &got, ReplayOptions{});
  ASSERT_FALSE(off.ok());
  EXPECT_EQ(off.status().code(), StatusCode::kCorruption);
  EXPECT_NE(off.status().message().find("segment 00000003"), std::string::npos);
  // Salvage keeps the later segments; truncate would cut them.
  auto salvaged = ReplayInto(dir.path(), &got, Salvage());
  ASSERT_TRUE(salvaged.ok());
  size_t lost = 0;  // The damaged record and the rest of its page.
  for (const Span& sp : spans) lost += sp.segment == 3 && sp.first < kPage;
  EXPECT_EQ(got.size(), records.size() - lost);
  EXPECT_GT(got.size(), records.size() - 20);
  ReplayOptions t;
  t.truncate_corrupt_tail = true;
  auto cut = ReplayInto(dir.path(), &got, t);
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(got.size(), first_in_3);
  EXPECT_TRUE(cut->repaired);
}

}  // namespace
}  // namespace strata::storage
