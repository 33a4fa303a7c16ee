// Writing a WAL checkpoint: a directory of segments swapped in atomically by rename(2), behind
// Wal::WriteCheckpoint. Layout: docs/format/wal.md, "Checkpoints". Stateless; thread-safe for
// different checkpoint numbers.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/status.h"

namespace strata::storage::wal {

// See Wal::WriteCheckpoint.
Status WriteCheckpointDir(const std::string& dir, int upto_segment,
                          std::span<const std::string> records);

class SegmentSetWriter;

// Writes a checkpoint record by record, for checkpoints built while old segments are read
// (memory stays bounded). Protocol: Begin(), Add() per record, Commit(). Destroying it without
// Commit() leaves a `.tmp` directory that the next Begin() or Wal::Open removes. Confined.
class CheckpointWriter {
 public:
  // Same errors as WriteCheckpointDir before any record is written.
  static Result<std::unique_ptr<CheckpointWriter>> Begin(const std::string& dir, int upto_segment);
  ~CheckpointWriter();
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;
  // InvalidArgument for a record over kMaxRecordBytes; IOError.
  Status Add(std::string_view record);
  // Finishes and syncs the segments, renames the directory into place (the commit point),
  // syncs the parent and removes older checkpoints.
  Status Commit();

 private:
  CheckpointWriter(std::string dir, int upto, std::string tmp_path, std::string final_path);
  const std::string dir_;
  const int upto_;
  const std::string tmp_path_;
  const std::string final_path_;
  std::unique_ptr<SegmentSetWriter> writer_;
  uint64_t records_ = 0;
};

}  // namespace strata::storage::wal
