// FileLock: an exclusive advisory lock (flock) on a file, held for the object's lifetime, so two
// processes never open the same data directory. RAII; copying deleted; thread-compatible.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

namespace strata {

class FileLock {
 public:
  // Creates `path` if needed and locks it. Unavailable when another process holds the lock,
  // IOError when the file cannot be opened.
  static Result<std::unique_ptr<FileLock>> Acquire(const std::string& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

// Creates `dir` and its parents if missing. IOError with the path on failure.
Status CreateDirs(const std::string& dir);

// fsyncs the directory `dir`, so the creations, renames and removals in it are durable.
// IOError naming it on failure.
Status SyncDir(const std::string& dir);

// Replaces the file `path` with `content` durably: writes `path`.tmp, fsyncs it, renames it over
// `path` and fsyncs the directory. A crash leaves the old file or the new one, never a part.
Status WriteFileDurably(const std::string& path, std::string_view content);

}  // namespace strata
