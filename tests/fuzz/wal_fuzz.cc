// Fuzz target: the WAL segment reader (strict and salvaging), the head's record decoders, and
// (mode bit 1) a whole head start-up replaying the segment. Input: one mode byte, then the
// bytes of segment 00000000. Mode bit 0: the segment may be torn (last segment of a live log);
// bit 1: also Head::Open over it, with repair mode kSalvage (bit 2 clear) or kTruncate (set).
// Properties: the strict read delivers a prefix of what the salvaging read delivers; a clean
// scan never ends past the file; start-up with repair fails only for a file that is not a
// WAL segment at all (Corruption) or of another version (NotSupported).
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "fuzz/fuzz_target.h"
#include "storage/head.h"
#include "storage/head/wal_records.h"
#include "storage/wal/layout.h"
#include "storage/wal/segment_reader.h"

namespace strata::fuzz {
namespace {

namespace fs = std::filesystem;

// One scratch directory per process, on tmpfs when there is one (removed at exit).
struct Scratch {
  Scratch() {
    fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    std::string tmpl = (base / "strata-fuzz-wal-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) FuzzFail("mkdtemp failed");
    dir = tmpl;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string dir;
};

Status DecodeRecord(std::string_view record) {
  auto type = storage::head::PeekRecordType(record);
  if (!type.ok()) return Status::Ok();  // The head's replay reports it; not the reader's job.
  if (*type == storage::head::RecordType::kSeries) {
    std::vector<storage::head::SeriesRecordEntry> series;
    storage::head::DecodeSeriesRecord(record, &series).IgnoreError();  // Errors are expected.
  } else if (*type == storage::head::RecordType::kChunks) {
    std::vector<storage::head::ChunksRecordEntry> chunks;
    if (storage::head::DecodeChunksRecord(record, &chunks).ok()) {
      for (const auto& e : chunks) {
        // Every chunk's bytes are outside input: decoding must stay inside them.
        storage::head::ForEachChunkSample(e, nullptr).IgnoreError();  // Errors are expected.
      }
    }
  } else {
    std::vector<storage::head::SampleRecordEntry> samples;
    storage::head::DecodeSamplesRecord(record, &samples).IgnoreError();  // Errors are expected.
  }
  return Status::Ok();
}

void WriteFile(const std::string& path, std::string_view bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) FuzzFail("cannot write " + path);
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) {
    FuzzFail("short write to " + path);
  }
  std::fclose(f);
}

void FuzzWal(std::span<const uint8_t> data) {
  static Scratch scratch_object;  // Removes the directory at exit.
  Scratch* scratch = &scratch_object;
  InputReader in(data);
  uint8_t mode = in.Byte();
  std::string_view segment = in.Rest();
  bool may_be_torn = mode & 1;

  std::string wal_dir = scratch->dir + "/wal";
  std::error_code ec;
  fs::remove_all(scratch->dir, ec);
  fs::create_directories(wal_dir);
  std::string path = wal_dir + "/" + storage::wal::SegmentName(0);
  WriteFile(path, segment);

  std::vector<std::string> strict_records;
  auto strict = storage::wal::ReadSegment(path, may_be_torn, [&](std::string_view r) {
    strict_records.emplace_back(r);
    return DecodeRecord(r);
  });
  std::vector<std::string> salvaged_records;
  std::vector<storage::wal::SalvagedRange> ranges;
  auto salvaged = storage::wal::ReadSegmentSalvaging(
      path, may_be_torn,
      [&](std::string_view r) {
        salvaged_records.emplace_back(r);
        return Status::Ok();
      },
      &ranges);
  storage::wal::ReadRecordedPrevSize(path).status().IgnoreError();  // Only must not crash.

  if (strict.ok()) {
    if (strict->good_end > strict->file_size) FuzzFail("ReadSegment: good_end past the file");
    if (strict->records != strict_records.size()) FuzzFail("ReadSegment: record count wrong");
  }
  if (strict.ok() && salvaged.ok()) {
    if (salvaged_records.size() < strict_records.size()) {
      FuzzFail("ReadSegmentSalvaging delivered fewer records than ReadSegment");
    }
    for (size_t i = 0; i < strict_records.size(); ++i) {
      if (salvaged_records[i] != strict_records[i]) {
        FuzzFail("ReadSegmentSalvaging: record " + std::to_string(i) + " differs");
      }
    }
  }

  if (mode & 2) {
    storage::HeadOptions o;
    o.series_map_stripes = 16;
    o.postings_cache_bytes = 0;
    o.chunk_cache_bytes = 0;
    o.replay_workers = 0;
    o.wal.fsync = storage::WalOptions::FsyncPolicy::kNever;
    o.max_future_ms = 0;
    o.wal_repair = (mode & 4) ? storage::HeadOptions::WalRepair::kTruncate
                              : storage::HeadOptions::WalRepair::kSalvage;
    auto head = storage::Head::Open(scratch->dir, o, nullptr);
    if (head.ok()) {
      (*head)->Close().IgnoreError();  // The directory is rewritten by the next input.
    } else if (head.status().code() != StatusCode::kCorruption &&
               head.status().code() != StatusCode::kNotSupported) {
      FuzzFail("Head::Open with WAL repair: unexpected status " + head.status().ToString());
    }
  }
}

}  // namespace
}  // namespace strata::fuzz

STRATA_FUZZ_TARGET(wal, strata::fuzz::FuzzWal)
