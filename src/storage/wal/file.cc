// POSIX file wrapper for the WAL: every syscall is checked and retried on EINTR.
#include "storage/wal/file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace strata::storage::wal {
namespace {

// strerror(3) is not thread-safe; strerror_r has a GNU and an XSI flavour, and these overloads
// accept whichever the C library declares.
[[maybe_unused]] const char* StrerrorResult(int rc, const char* buf) {
  return rc == 0 ? buf : "unknown error";
}
[[maybe_unused]] const char* StrerrorResult(const char* msg, const char* /*buf*/) { return msg; }

std::string ErrnoMessage(int err) {
  char buf[256] = {};
  return StrerrorResult(strerror_r(err, buf, sizeof(buf)), buf);
}

}  // namespace

Status ErrnoStatus(std::string_view op, const std::string& path, int err) {
  std::string msg;
  msg.append(op).append(" ").append(path).append(": ").append(ErrnoMessage(err));
  if (err == ENOENT) return Status::NotFound(std::move(msg));
  if (err == EWOULDBLOCK) return Status::Unavailable(std::move(msg));
  return Status::IOError(std::move(msg));
}

File::~File() {
  if (fd_ >= 0) {
    // Best effort: Close() is the way to observe errors. close(2) must not be retried on EINTR
    // on Linux (the descriptor is already released).
    ::close(fd_);
  }
}

File::File(File&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

Result<File> File::Open(const std::string& path, int flags, mode_t mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoStatus("open", path, errno);
  return File(fd, path);
}

Result<File> File::Lock(const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(File f, Open(path, O_RDWR | O_CREAT, 0644));
  int rc;
  do {
    rc = ::flock(f.fd(), LOCK_EX | LOCK_NB);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    int err = errno;
    if (err == EWOULDBLOCK) {
      return Status::Unavailable("lock " + path +
                                 ": held by another WAL user (Wal::Open or Replay)");
    }
    return ErrnoStatus("flock", path, err);
  }
  return f;
}

Status File::PWriteAll(std::string_view data, uint64_t offset) const {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::pwrite(fd_, p, left, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("pwrite", path_, errno);
    }
    if (n == 0) return Status::IOError("pwrite " + path_ + ": wrote 0 bytes");
    p += n;
    left -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status File::PReadFull(uint64_t offset, std::span<uint8_t> buf) const {
  size_t done = 0;
  while (done < buf.size()) {
    ssize_t n =
        ::pread(fd_, buf.data() + done, buf.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("pread", path_, errno);
    }
    if (n == 0) {
      return Status::IOError("pread " + path_ + ": short read at offset " +
                             std::to_string(offset + done) + " (file shrank while reading?)");
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<uint64_t> File::Size() const {
  struct stat st {};
  if (::fstat(fd_, &st) < 0) return ErrnoStatus("fstat", path_, errno);
  return static_cast<uint64_t>(st.st_size);
}

Status File::Truncate(uint64_t size) const {
  int rc;
  do {
    rc = ::ftruncate(fd_, static_cast<off_t>(size));
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return ErrnoStatus("ftruncate", path_, errno);
  return Status::Ok();
}

Status File::DataSync() const {
  int rc;
  do {
#if defined(__linux__)
    rc = ::fdatasync(fd_);
#else
    rc = ::fsync(fd_);
#endif
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return ErrnoStatus("fdatasync", path_, errno);
  return Status::Ok();
}

Status File::Sync() const {
  int rc;
  do {
    rc = ::fsync(fd_);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return ErrnoStatus("fsync", path_, errno);
  return Status::Ok();
}

Status File::Close() {
  if (fd_ < 0) return Status::Ok();
  int fd = std::exchange(fd_, -1);
  // No retry on EINTR: Linux releases the descriptor before reporting it.
  if (::close(fd) < 0 && errno != EINTR) return ErrnoStatus("close", path_, errno);
  return Status::Ok();
}

Status SyncDir(const std::string& dir) {
  STRATA_ASSIGN_OR_RETURN(File d, File::Open(dir, O_RDONLY | O_DIRECTORY));
  STRATA_RETURN_IF_ERROR(d.Sync());
  return d.Close();
}

Status TruncateFile(const std::string& path, uint64_t size) {
  STRATA_ASSIGN_OR_RETURN(File f, File::Open(path, O_WRONLY));
  STRATA_RETURN_IF_ERROR(f.Truncate(size));
  STRATA_RETURN_IF_ERROR(f.DataSync());
  return f.Close();
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty() && out.back() != '/') out.push_back('/');
  out.append(name);
  return out;
}

}  // namespace strata::storage::wal
