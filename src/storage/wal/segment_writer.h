// Creating segment files and writing whole runs of records into a directory of segments (used
// by checkpoints; the live Wal does its own rotation). Format: docs/format/wal.md.
// Functions are thread-safe; a SegmentSetWriter is confined to one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/status.h"
#include "storage/wal/file.h"

namespace strata::storage::wal {

// Creates the segment file `path` (O_EXCL: it must not exist yet) and writes its header,
// recording `prev_segment_size` (kNoPrevSegment for none), without syncing it.
// Returns IOError (EEXIST included).
Result<File> CreateSegment(const std::string& path, uint64_t prev_segment_size);

// Writes records into segments 00000000, 00000001, ... of an existing, empty directory,
// rotating at `segment_size_bytes`, and fdatasyncs each segment when it is finished.
// Buffers at most ~1 MiB (plus one record) before writing.
class SegmentSetWriter {
 public:
  SegmentSetWriter(std::string dir, uint64_t segment_size_bytes)
      : dir_(std::move(dir)), segment_size_bytes_(segment_size_bytes) {}
  ~SegmentSetWriter() = default;
  SegmentSetWriter(const SegmentSetWriter&) = delete;
  SegmentSetWriter& operator=(const SegmentSetWriter&) = delete;
  SegmentSetWriter(SegmentSetWriter&&) = delete;
  SegmentSetWriter& operator=(SegmentSetWriter&&) = delete;

  // REQUIRES: record.size() <= kMaxRecordBytes.
  Status Add(std::string_view record);
  // Flushes and syncs the last segment (creating segment 0 if nothing was added).
  Status Finish();

 private:
  Status Flush();
  Status StartSegment(uint64_t prev_segment_size);
  Status FinishSegment();

  const std::string dir_;
  const uint64_t segment_size_bytes_;
  File file_;
  int index_ = -1;
  uint64_t written_ = 0;  // Bytes of the current segment already written.
  uint64_t offset_ = 0;   // Segment offset at the end of buf_.
  std::string buf_;
};

}  // namespace strata::storage::wal
