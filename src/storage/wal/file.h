// File: an owned POSIX file descriptor (RAII, move-only) with EINTR-safe, fully checked I/O,
// plus the few directory helpers the WAL needs. Every error is an IOError naming the path and
// strerror. Private to storage/. A File is thread-compatible; concurrent pread/pwrite/fdatasync
// on one File are safe because they carry their own offsets.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/status.h"

namespace strata::storage::wal {

// "op path: strerror(err)" as an IOError (Unavailable for EWOULDBLOCK on a lock).
Status ErrnoStatus(std::string_view op, const std::string& path, int err);

class File {
 public:
  File() = default;
  File(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  // Closes the descriptor best-effort; call Close() to see the error.
  ~File();
  File(File&& other) noexcept;
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  // open(2) with O_CLOEXEC added. Returns IOError (NotFound for ENOENT).
  static Result<File> Open(const std::string& path, int flags, mode_t mode = 0644);

  // Creates (if needed) and opens `path`, then takes an exclusive, non-blocking flock(2) on it.
  // The lock lives as long as the returned File. Returns Unavailable if someone holds it.
  static Result<File> Lock(const std::string& path);

  bool valid() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

  // Writes all of `data` at `offset`, retrying on EINTR and short writes.
  Status PWriteAll(std::string_view data, uint64_t offset) const;
  // Reads exactly `buf.size()` bytes at `offset`. A file that ends early is an IOError ("short
  // read"): callers size their reads from Size(), so this means the file shrank underneath us.
  Status PReadFull(uint64_t offset, std::span<uint8_t> buf) const;
  Result<uint64_t> Size() const;
  Status Truncate(uint64_t size) const;
  // fdatasync(2): data plus the metadata needed to read it back (the file size).
  Status DataSync() const;
  // fsync(2); used for directories.
  Status Sync() const;
  // Closes now and reports the error. Idempotent; the File is invalid afterwards.
  Status Close();

 private:
  int fd_ = -1;
  std::string path_;
};

// fsyncs a directory so that entries created, renamed or removed in it are durable.
Status SyncDir(const std::string& dir);

// Opens `path` for writing, truncates it to `size` and makes that durable.
Status TruncateFile(const std::string& path, uint64_t size);

// `dir` + "/" + `name`.
std::string JoinPath(std::string_view dir, std::string_view name);

}  // namespace strata::storage::wal
