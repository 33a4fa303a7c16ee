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

Status WriteCheckpointDir(const std::string& dir, int upto_segment,
                          std::span<const std::string> records) {
  if (upto_segment < 0 || upto_segment > kMaxSegmentIndex) {
    return Status::InvalidArgument("checkpoint segment number " + std::to_string(upto_segment) +
                                   " is out of range");
  }
  for (const std::string& r : records) {
    if (r.size() > kMaxRecordBytes) {
      return Status::InvalidArgument("checkpoint record of " + std::to_string(r.size()) +
                                     " bytes exceeds the limit of " +
                                     std::to_string(kMaxRecordBytes));
    }
  }
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Status::NotFound("wal directory " + dir + " does not exist");
  }
  const std::string final_path = JoinPath(dir, CheckpointName(upto_segment));
  const std::string tmp_path = final_path + std::string(kTmpSuffix);
  if (fs::exists(final_path, ec)) {
    return Status::AlreadyExists("wal checkpoint " + final_path + " already exists");
  }
  STRATA_RETURN_IF_ERROR(RemoveAll(tmp_path));
  if (!fs::create_directory(tmp_path, ec) || ec) {
    return Status::IOError("mkdir " + tmp_path + ": " + ec.message());
  }

  SegmentSetWriter writer(tmp_path, kCheckpointSegmentBytes);
  for (const std::string& r : records) STRATA_RETURN_IF_ERROR(writer.Add(r));
  STRATA_RETURN_IF_ERROR(writer.Finish());
  STRATA_RETURN_IF_ERROR(SyncDir(tmp_path));
  if (std::rename(tmp_path.c_str(), final_path.c_str()) != 0) {
    const int err = errno;
    return ErrnoStatus("rename " + tmp_path + " to", final_path, err);
  }
  STRATA_RETURN_IF_ERROR(SyncDir(dir));
  STRATA_LOG(kInfo, "wal") << "wrote checkpoint" << LogKV("dir", dir)
                           << LogKV("checkpoint", upto_segment) << LogKV("records", records.size());

  // The new checkpoint is durable; older ones (and their leftovers) are now redundant.
  STRATA_ASSIGN_OR_RETURN(DirContents contents, ListDir(dir));
  for (int c : contents.checkpoints) {
    if (c < upto_segment) STRATA_RETURN_IF_ERROR(RemoveAll(JoinPath(dir, CheckpointName(c))));
  }
  for (const std::string& name : contents.partial) {
    if (name < CheckpointName(upto_segment)) STRATA_RETURN_IF_ERROR(RemoveAll(JoinPath(dir, name)));
  }
  return Status::Ok();
}

}  // namespace strata::storage::wal
