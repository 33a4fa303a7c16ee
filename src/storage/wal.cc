// Wal: the append path, group commit, rotation, the interval syncer and segment truncation.
// Group commit: bytes are written under mu_ (so they land in call order), the fdatasync runs
// outside it; one caller at a time syncs everything written so far, the others wait on
// sync_cv_ and usually find their bytes covered when it finishes.
#include "storage/wal.h"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <utility>

#include "base/log.h"
#include "storage/wal/checkpoint.h"
#include "storage/wal/file.h"
#include "storage/wal/format.h"
#include "storage/wal/layout.h"
#include "storage/wal/replay.h"
#include "storage/wal/segment_writer.h"

namespace strata::storage {

static_assert(Wal::kMaxRecordBytes == wal::kMaxRecordBytes);

namespace {

// Appends larger than this do not keep their encoding buffer alive afterwards.
constexpr size_t kMaxRetainedBufferBytes = size_t{4} << 20;

Status ClosedError(const std::string& dir) {
  return Status::Unavailable("wal " + dir + " is closed");
}

}  // namespace

Status WalOptions::Validate() const {
  if (segment_size_bytes < kMinSegmentBytes || segment_size_bytes > kMaxSegmentBytes) {
    return Status::InvalidArgument(
        "WalOptions.segment_size_bytes must be in [" + std::to_string(kMinSegmentBytes) + ", " +
        std::to_string(kMaxSegmentBytes) + "], got " + std::to_string(segment_size_bytes));
  }
  switch (fsync) {
    case FsyncPolicy::kAlways:
    case FsyncPolicy::kNever:
      return Status::Ok();
    case FsyncPolicy::kInterval:
      if (fsync_interval <= std::chrono::milliseconds(0) ||
          fsync_interval > std::chrono::hours(1)) {
        return Status::InvalidArgument("WalOptions.fsync_interval must be in (0, 1h], got " +
                                       std::to_string(fsync_interval.count()) + "ms");
      }
      return Status::Ok();
  }
  return Status::InvalidArgument("WalOptions.fsync has unknown value " +
                                 std::to_string(static_cast<int>(fsync)));
}

Wal::Wal(PrivateTag, std::string dir, WalOptions options, std::unique_ptr<wal::File> lock)
    : dir_(std::move(dir)), options_(options), lock_file_(std::move(lock)) {}

Wal::~Wal() {
  Status s = Close();
  if (!s.ok()) {
    STRATA_LOG(kError, "wal") << "closing the wal failed" << LogKV("dir", dir_)
                              << LogKV("error", s.ToString());
  }
}

Result<std::unique_ptr<Wal>> Wal::Open(std::string dir, WalOptions options) {
  STRATA_RETURN_IF_ERROR(options.Validate());
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("mkdir " + dir + ": " + ec.message());

  STRATA_ASSIGN_OR_RETURN(wal::File lock, wal::File::Lock(wal::JoinPath(dir, wal::kLockFileName)));
  STRATA_ASSIGN_OR_RETURN(wal::DirContents contents, wal::ListDir(dir));
  STRATA_RETURN_IF_ERROR(wal::RemoveStaleCheckpoints(dir, &contents));
  const int last_segment = contents.segments.empty() ? -1 : contents.segments.back();
  const int checkpoint = contents.checkpoints.empty() ? -1 : contents.checkpoints.back();
  // A segment at or below the checkpoint is never replayed, so its tail does not matter.
  if (last_segment > checkpoint && !options.last_segment_salvaged) {
    STRATA_RETURN_IF_ERROR(wal::RepairTornTail(dir, last_segment));
  }
  const int next = std::max(last_segment, checkpoint) + 1;
  if (next > wal::kMaxSegmentIndex) {
    return Status::ResourceExhausted("wal " + dir + ": segment numbers are exhausted");
  }
  // The new segment records its predecessor's size, so that Replay can tell if it shrinks.
  uint64_t prev_size = wal::kNoPrevSegment;
  if (last_segment >= 0 && last_segment == next - 1) {
    std::error_code size_ec;
    const uintmax_t size =
        std::filesystem::file_size(wal::JoinPath(dir, wal::SegmentName(last_segment)), size_ec);
    if (size_ec) return Status::IOError("stat segment in " + dir + ": " + size_ec.message());
    prev_size = size;
  }

  auto w = std::make_unique<Wal>(PrivateTag(), std::move(dir), options,
                                 std::make_unique<wal::File>(std::move(lock)));
  {
    MutexLock l(&w->mu_);
    STRATA_RETURN_IF_ERROR(w->StartSegmentLocked(next, prev_size));
  }
  if (options.fsync == WalOptions::FsyncPolicy::kInterval) {
    MutexLock l(&w->close_mu_);
    w->sync_thread_ =
        std::jthread([p = w.get()](const std::stop_token& stop) { p->SyncLoop(stop); });
  }
  return w;
}

Status Wal::Log(std::string_view record) {
  return Append(std::span<const std::string_view>(&record, 1));
}

Status Wal::Append(std::span<const std::string_view> records) {
  for (std::string_view r : records) {
    if (r.size() > kMaxRecordBytes) {
      return Status::InvalidArgument("wal record of " + std::to_string(r.size()) +
                                     " bytes exceeds the limit of " +
                                     std::to_string(kMaxRecordBytes));
    }
  }
  if (records.empty()) return Status::Ok();
  uint64_t seq;
  {
    MutexLock l(&mu_);
    if (closed_) return ClosedError(dir_);
    if (!error_.ok()) return error_;
    buf_.clear();
    uint64_t offset = segment_offset_;
    for (std::string_view r : records) {
      const size_t before = buf_.size();
      const uint64_t offset_before = offset;
      wal::AppendRecordFragments(r, &offset, &buf_);
      if (offset > options_.segment_size_bytes && offset_before > wal::kSegmentHeaderSize) {
        // Records never span segments: write what fits, then move on to a fresh segment.
        buf_.resize(before);
        STRATA_RETURN_IF_ERROR(WriteLocked(buf_));
        STRATA_RETURN_IF_ERROR(RotateLocked());
        buf_.clear();
        offset = segment_offset_;
        wal::AppendRecordFragments(r, &offset, &buf_);
      }
    }
    STRATA_RETURN_IF_ERROR(WriteLocked(buf_));
    if (buf_.capacity() > kMaxRetainedBufferBytes) std::string().swap(buf_);
    seq = written_;
  }
  if (options_.fsync == WalOptions::FsyncPolicy::kAlways) return SyncUpTo(seq);
  return Status::Ok();
}

Status Wal::WriteLocked(std::string_view data) {
  if (data.empty()) return Status::Ok();
  Status s = current_->PWriteAll(data, segment_offset_);
  if (!s.ok()) {
    // Undo a partial write so that later appends never follow garbage. If even that fails the
    // segment has a damaged middle from now on: stop accepting writes.
    Status undo = current_->Truncate(segment_offset_);
    if (!undo.ok()) {
      error_ = s.WithContext("wal " + dir_ + " is unusable (a failed write could not be undone: " +
                             undo.message() + ")");
    }
    return s;
  }
  segment_offset_ += data.size();
  written_ += data.size();
  bytes_written_.store(written_, std::memory_order_relaxed);
  return Status::Ok();
}

Status Wal::StartSegmentLocked(int index, uint64_t prev_segment_size) {
  if (index > wal::kMaxSegmentIndex) {
    return Status::ResourceExhausted("wal " + dir_ + ": segment numbers are exhausted");
  }
  const std::string path = wal::JoinPath(dir_, wal::SegmentName(index));
  STRATA_ASSIGN_OR_RETURN(wal::File file, wal::CreateSegment(path, prev_segment_size));
  if (options_.fsync != WalOptions::FsyncPolicy::kNever) {
    // The new directory entry must be durable before records in the file can be.
    Status s = wal::SyncDir(dir_);
    if (!s.ok()) {
      file.Close().IgnoreError();  // Already failing; the unlink below matters more.
      ::unlink(path.c_str());      // Best effort, so that a retry can create it again.
      return s;
    }
  }
  current_ = std::make_unique<wal::File>(std::move(file));
  current_index_ = index;
  current_segment_.store(index, std::memory_order_relaxed);
  segment_offset_ = wal::kSegmentHeaderSize;
  written_ += wal::kSegmentHeaderSize;
  bytes_written_.store(written_, std::memory_order_relaxed);
  return Status::Ok();
}

Status Wal::RotateLocked() {
  if (options_.fsync != WalOptions::FsyncPolicy::kNever) {
    // Synchronously, under the lock: a segment is durable before its successor receives a
    // byte, so after a machine crash only the last segment can be torn. Costs one fdatasync
    // per segment_size_bytes.
    Status s = current_->DataSync();
    fsyncs_.fetch_add(1, std::memory_order_relaxed);
    if (!s.ok()) {
      error_ = s.WithContext("wal " + dir_ + " is unusable (fdatasync failed)");
      return error_;
    }
    synced_ = written_;
  }
  std::unique_ptr<wal::File> old = std::move(current_);
  Status s = StartSegmentLocked(current_index_ + 1, segment_offset_);
  if (!s.ok()) {
    current_ = std::move(old);  // Still intact: keep appending to it and retry later.
    return s;
  }
  if (sync_in_progress_) {
    retired_.push_back(std::move(old));  // The syncer may be using it; it closes it.
  } else {
    Status c = old->Close();
    if (!c.ok()) {
      STRATA_LOG(kWarn, "wal") << "closing a finished segment failed" << LogKV("dir", dir_)
                               << LogKV("error", c.ToString());
    }
  }
  return Status::Ok();
}

void Wal::WaitLocked() { sync_cv_.Wait(&mu_); }

Status Wal::SyncUpTo(uint64_t seq) {
  mu_.Lock();
  Status result;
  while (true) {
    if (!error_.ok()) {
      result = error_;
      break;
    }
    if (synced_ >= seq) break;
    if (closed_) {
      result = ClosedError(dir_);
      break;
    }
    if (sync_in_progress_) {
      WaitLocked();
      continue;
    }
    // Become the syncer for everything written so far. `file` stays alive: rotation moves a
    // file being synced to retired_ instead of closing it, and Close() waits for us.
    sync_in_progress_ = true;
    const uint64_t target = written_;
    wal::File* file = current_.get();
    mu_.Unlock();
    Status s = file->DataSync();
    mu_.Lock();
    sync_in_progress_ = false;
    fsyncs_.fetch_add(1, std::memory_order_relaxed);
    if (s.ok()) {
      synced_ = std::max(synced_, target);
    } else {
      error_ = s.WithContext("wal " + dir_ + " is unusable (fdatasync failed)");
    }
    retired_.clear();
    sync_cv_.SignalAll();
  }
  mu_.Unlock();
  return result;
}

Status Wal::Sync() {
  uint64_t seq;
  {
    MutexLock l(&mu_);
    if (closed_) return ClosedError(dir_);
    if (!error_.ok()) return error_;
    seq = written_;
  }
  return SyncUpTo(seq);
}

void Wal::SyncLoop(const std::stop_token& stop) {
  pthread_setname_np(pthread_self(), "strata-wal-sync");
  try {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock<std::mutex> lock(m);
    bool reported = false;
    while (true) {
      // Nobody notifies cv: it only sleeps until the interval passes or a stop is requested.
      cv.wait_for(lock, stop, options_.fsync_interval, [] { return false; });
      if (stop.stop_requested()) return;
      Status s = Sync();
      if (!s.ok() && !reported) {
        // The error is sticky and every Append returns it too: report it once.
        STRATA_LOG(kError, "wal") << "background fdatasync failed" << LogKV("dir", dir_)
                                  << LogKV("error", s.ToString());
        reported = true;
      }
    }
  } catch (...) {
    // Last resort; our code does not throw, so reaching this is a bug.
    STRATA_LOG(kError, "wal") << "internal error: exception in the wal sync thread"
                              << LogKV("dir", dir_);
  }
}

Status Wal::Close() {
  MutexLock close_lock(&close_mu_);
  if (sync_thread_.joinable()) {
    sync_thread_.request_stop();
    sync_thread_.join();
  }
  Status result;
  {
    MutexLock l(&mu_);
    if (closed_) return Status::Ok();
    while (sync_in_progress_) WaitLocked();
    result = error_;
    if (current_ != nullptr) {
      if (result.ok() && options_.fsync != WalOptions::FsyncPolicy::kNever && synced_ < written_) {
        result = current_->DataSync();
        fsyncs_.fetch_add(1, std::memory_order_relaxed);
        if (result.ok()) {
          synced_ = written_;
        } else {
          error_ = result;
        }
      }
      Status c = current_->Close();
      if (result.ok()) result = c;
    }
    retired_.clear();
    closed_ = true;
    sync_cv_.SignalAll();
  }
  if (lock_file_ != nullptr) {
    lock_file_->Close().IgnoreError();  // Only releases the flock; nothing was written to it.
    lock_file_.reset();
  }
  return result;
}

Result<int> Wal::NextSegmentForCheckpoint() {
  MutexLock l(&mu_);
  if (closed_) return ClosedError(dir_);
  if (!error_.ok()) return error_;
  if (segment_offset_ > wal::kSegmentHeaderSize) STRATA_RETURN_IF_ERROR(RotateLocked());
  if (current_index_ == 0) {
    return Status::NotFound("wal " + dir_ + ": no finished segment to checkpoint yet");
  }
  return current_index_ - 1;
}

Status Wal::TruncateBefore(int segment) {
  int current;
  {
    MutexLock l(&mu_);
    if (closed_) return ClosedError(dir_);
    current = current_index_;
  }
  if (segment > current) {
    return Status::InvalidArgument("wal " + dir_ + ": cannot truncate before segment " +
                                   std::to_string(segment) + ", the active segment is " +
                                   std::to_string(current));
  }
  // Segments below the active one are immutable, so no lock is needed from here on.
  STRATA_ASSIGN_OR_RETURN(wal::DirContents contents, wal::ListDir(dir_));
  int removed = 0;
  for (int index : contents.segments) {  // Ascending: a crash leaves a contiguous suffix.
    if (index >= segment) break;
    const std::string path = wal::JoinPath(dir_, wal::SegmentName(index));
    if (::unlink(path.c_str()) < 0 && errno != ENOENT) {
      return wal::ErrnoStatus("unlink", path, errno);
    }
    ++removed;
  }
  if (removed > 0 && options_.fsync != WalOptions::FsyncPolicy::kNever) {
    STRATA_RETURN_IF_ERROR(wal::SyncDir(dir_));
  }
  return Status::Ok();
}

Result<ReplayStats> Wal::Replay(const std::string& dir,
                                const std::function<Status(std::string_view record)>& fn,
                                const ReplayOptions& options) {
  return wal::ReplayDir(dir, fn, options);
}

Status Wal::WriteCheckpoint(const std::string& dir, int upto_segment,
                            std::span<const std::string> records) {
  return wal::WriteCheckpointDir(dir, upto_segment, records);
}

Status Wal::ReadFinished(const std::string& dir, int upto_segment,
                         const std::function<Status(std::string_view record)>& fn, bool salvage) {
  return wal::ReadFinishedSegments(dir, upto_segment, fn, salvage);
}

}  // namespace strata::storage
