// Checkpoint writing: build in `checkpoint.N.tmp`, sync, rename, sync the parent, prune.
// The rename is the commit point: a crash before it leaves only a `.tmp` that recovery ignores
// and removes; a crash after it leaves a complete checkpoint (older ones are pruned later).
#include "storage/wal/checkpoint.h"

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "base/log.h"
#include "storage/wal/file.h"
#include "storage/wal/format.h"
#include "storage/wal/layout.h"
#include "storage/wal/segment_writer.h"

namespace strata::storage::wal {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kCheckpointSegmentBytes = uint64_t{128} << 20;

}  // namespace

Result<std::unique_ptr<CheckpointWriter>> CheckpointWriter::Begin(const std::string& dir,
                                                                  int upto_segment) {
  if (upto_segment < 0 || upto_segment > kMaxSegmentIndex) {
    return Status::InvalidArgument("checkpoint segment number " + std::to_string(upto_segment) +
                                   " is out of range");
  }
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Status::NotFound("wal directory " + dir + " does not exist");
  }
  std::string final_path = JoinPath(dir, CheckpointName(upto_segment));
  std::string tmp_path = final_path + std::string(kTmpSuffix);
  if (fs::exists(final_path, ec)) {
    return Status::AlreadyExists("wal checkpoint " + final_path + " already exists");
  }
  STRATA_RETURN_IF_ERROR(RemoveAll(tmp_path));
  if (!fs::create_directory(tmp_path, ec) || ec) {
    return Status::IOError("mkdir " + tmp_path + ": " + ec.message());
  }
  std::unique_ptr<CheckpointWriter> w(
      new CheckpointWriter(dir, upto_segment, std::move(tmp_path), std::move(final_path)));
  return w;
}

CheckpointWriter::CheckpointWriter(std::string dir, int upto, std::string tmp_path,
                                   std::string final_path)
    : dir_(std::move(dir)),
      upto_(upto),
      tmp_path_(std::move(tmp_path)),
      final_path_(std::move(final_path)),
      writer_(std::make_unique<SegmentSetWriter>(tmp_path_, kCheckpointSegmentBytes)) {}

CheckpointWriter::~CheckpointWriter() = default;

Status CheckpointWriter::Add(std::string_view record) {
  if (record.size() > kMaxRecordBytes) {
    return Status::InvalidArgument("checkpoint record of " + std::to_string(record.size()) +
                                   " bytes exceeds the limit of " +
                                   std::to_string(kMaxRecordBytes));
  }
  ++records_;
  return writer_->Add(record);
}

Status CheckpointWriter::Commit() {
  STRATA_RETURN_IF_ERROR(writer_->Finish());
  STRATA_RETURN_IF_ERROR(SyncDir(tmp_path_));
  if (std::rename(tmp_path_.c_str(), final_path_.c_str()) != 0) {
    const int err = errno;
    return ErrnoStatus("rename " + tmp_path_ + " to", final_path_, err);
  }
  STRATA_RETURN_IF_ERROR(SyncDir(dir_));
  STRATA_LOG(kInfo, "wal") << "wrote checkpoint" << LogKV("dir", dir_) << LogKV("checkpoint", upto_)
                           << LogKV("records", records_);
  // The new checkpoint is durable; older ones (and their leftovers) are now redundant.
  STRATA_ASSIGN_OR_RETURN(DirContents contents, ListDir(dir_));
  for (int c : contents.checkpoints) {
    if (c < upto_) STRATA_RETURN_IF_ERROR(RemoveAll(JoinPath(dir_, CheckpointName(c))));
  }
  for (const std::string& name : contents.partial) {
    if (name < CheckpointName(upto_)) STRATA_RETURN_IF_ERROR(RemoveAll(JoinPath(dir_, name)));
  }
  return Status::Ok();
}

Status WriteCheckpointDir(const std::string& dir, int upto_segment,
                          std::span<const std::string> records) {
  for (const std::string& r : records) {
    if (r.size() > kMaxRecordBytes) {
      return Status::InvalidArgument("checkpoint record of " + std::to_string(r.size()) +
                                     " bytes exceeds the limit of " +
                                     std::to_string(kMaxRecordBytes));
    }
  }
  STRATA_ASSIGN_OR_RETURN(auto writer, CheckpointWriter::Begin(dir, upto_segment));
  for (const std::string& r : records) STRATA_RETURN_IF_ERROR(writer->Add(r));
  return writer->Commit();
}

}  // namespace strata::storage::wal
