// Closed head chunks kept in scratch files under <data-dir>/chunks_head/ and read back with
// pread(2), so their bytes take page cache rather than process memory
// (docs/format/head_chunks.md). The WAL stays the record of the head: Open() empties the
// directory. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "base/mutex.h"
#include "base/result.h"
#include "base/status.h"
#include "storage/wal/file.h"

namespace strata::storage::head {

// Where a closed chunk's bytes are: length 0 means "in memory, not in a chunk file".
struct ChunkRef {
  uint32_t segment = 0;
  uint32_t offset = 0;
  uint32_t length = 0;
  bool on_disk() const { return length != 0; }
};

class ChunkFile {
 public:
  static constexpr uint64_t kDefaultSegmentBytes = uint64_t{4} << 20;
  static constexpr size_t kWriteBufferBytes = size_t{256} << 10;
  static constexpr size_t kHeaderBytes = 12;

  // Removes whatever `dir` holds (files of a previous run) and creates it.
  static Result<std::unique_ptr<ChunkFile>> Open(const std::string& dir,
                                                 uint64_t segment_bytes = kDefaultSegmentBytes);
  ~ChunkFile();
  ChunkFile(const ChunkFile&) = delete;
  ChunkFile& operator=(const ChunkFile&) = delete;

  // Stores a chunk. An error (the segment could not be created or written) leaves the caller
  // to keep the chunk in memory; after one, every later Append fails the same way.
  Result<ChunkRef> Append(std::span<const uint8_t> chunk);

  // Appends the chunk's bytes to *out, checking bounds and crc (Corruption naming the file and
  // offset). REQUIRES: ref came from Append and is not released before Read returns (the disk
  // read runs without the file's lock).
  Status Read(const ChunkRef& ref, std::string* out) const;

  // The head dropped the chunk; a segment with no live chunk left, other than the one being
  // written, is deleted.
  void Release(const ChunkRef& ref);

  struct Stats {
    uint64_t segments = 0;
    uint64_t bytes = 0;        // Written to live segments (records and headers).
    uint64_t live_chunks = 0;  // Appended and not released.
    uint64_t write_errors = 0;
  };
  Stats stats() const;

 private:
  struct Segment {
    wal::File file;
    uint64_t written = 0;  // Bytes in the file, header included (the buffer excluded).
    uint64_t live = 0;
  };
  ChunkFile(std::string dir, uint64_t segment_bytes)
      : dir_(std::move(dir)), segment_bytes_(segment_bytes) {}

  std::string PathOf(uint32_t segment) const;
  Status StartSegment() STRATA_REQUIRES(mu_);
  Status FlushBuffer() STRATA_REQUIRES(mu_);
  void DeleteSegment(uint32_t segment) STRATA_REQUIRES(mu_);
  Status Bad(const ChunkRef& ref, const std::string& what) const;

  const std::string dir_;
  const uint64_t segment_bytes_;
  mutable Mutex mu_;
  std::map<uint32_t, Segment> segments_ STRATA_GUARDED_BY(mu_);
  uint32_t current_ STRATA_GUARDED_BY(mu_) = 0;  // 0: none yet.
  // Records of the current segment not yet written, starting at segments_[current_].written.
  std::string buffer_ STRATA_GUARDED_BY(mu_);
  Status failed_ STRATA_GUARDED_BY(mu_);  // The first write error; sticky.
  uint64_t write_errors_ STRATA_GUARDED_BY(mu_) = 0;
};

}  // namespace strata::storage::head
