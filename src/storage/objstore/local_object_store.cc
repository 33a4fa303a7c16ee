#include "storage/objstore/local_object_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <set>

#include "base/log.h"

namespace strata::storage::objstore {

namespace {

constexpr size_t kCopyChunkBytes = size_t{1} << 20;

std::string ErrnoText(int err) { return std::strerror(err); }

Status IOErr(std::string_view what, const std::string& path, int err) {
  return Status::IOError(std::string(what) + " " + path + ": " + ErrnoText(err));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting the error close(2) gives (it can report a failed write-back).
  int Close() {
    int r = ::close(fd_);
    fd_ = -1;
    return r;
  }

 private:
  int fd_;
};

std::string Parent(const std::string& path) { return path.substr(0, path.rfind('/')); }

// fsyncs a directory so that entries created, renamed or removed in it are durable. With
// `missing_ok`, a directory that is gone (removed by a concurrent Delete) is not an error.
Status SyncDir(const std::string& dir, bool missing_ok = false) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (missing_ok && errno == ENOENT) return Status::Ok();
    return IOErr("opening directory", dir, errno);
  }
  if (::fsync(fd.get()) != 0) return IOErr("fsync of directory", dir, errno);
  return Status::Ok();
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IOErr("writing", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// Creates the directories between `root` and the object `key`, fsyncing the parent of each one
// created so that the new entry is durable.
Status MakeParents(const std::string& root, std::string_view key) {
  for (size_t pos = key.find('/'); pos != std::string_view::npos; pos = key.find('/', pos + 1)) {
    std::string dir = root + "/" + std::string(key.substr(0, pos));
    if (::mkdir(dir.c_str(), 0755) == 0) {
      STRATA_RETURN_IF_ERROR(SyncDir(Parent(dir)));
    } else if (errno != EEXIST) {
      return IOErr("creating directory", dir, errno);
    }
  }
  return Status::Ok();
}

int64_t MtimeMs(const struct stat& st) {
  return int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1000000;
}

bool ValidSegment(std::string_view seg) {
  return !seg.empty() && seg != "." && seg != ".." && !seg.starts_with(kLocalTmpPrefix);
}

bool HasControlChar(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

}  // namespace

Result<std::unique_ptr<LocalObjectStore>> LocalObjectStore::Open(const std::string& root,
                                                                 prometheus::Registry* registry) {
  if (root.empty() || root.front() != '/') {
    return Status::InvalidArgument("object store directory \"" + root + "\" is not absolute");
  }
  std::string r = root;
  while (!r.empty() && r.back() == '/') r.pop_back();
  if (r.empty()) return Status::InvalidArgument("refusing the filesystem root as object store");
  std::error_code ec;
  std::filesystem::create_directories(r, ec);
  if (ec) return Status::IOError("creating object store directory " + r + ": " + ec.message());
  if (!std::filesystem::is_directory(r, ec)) {
    return Status::IOError("object store path " + r + " is not a directory");
  }
  // Temporary files a crash left (a PutFile of up to a whole block file): never listed, so
  // nothing else removes them. Only old ones, since another process may share the directory
  // (two nodes over one file:// store) and be writing one now.
  const auto cutoff = std::filesystem::file_time_type::clock::now() - std::chrono::hours(1);
  int swept = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(
           r, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code fe;
    if (name.rfind(".strata-tmp.", 0) == 0 && it->is_regular_file(fe) &&
        it->last_write_time(fe) < cutoff && !fe) {
      if (std::filesystem::remove(it->path(), fe)) ++swept;
    }
  }
  if (swept > 0) {
    STRATA_LOG(kInfo, "objstore") << "removed temporary files an interrupted write left"
                                  << LogKV("dir", r) << LogKV("files", swept);
  }
  return std::unique_ptr<LocalObjectStore>(new LocalObjectStore(std::move(r), registry));
}

Status LocalObjectStore::WriteAtomically(
    const std::string& key, const std::function<Status(int fd, const std::string& tmp)>& fill) {
  static std::atomic<uint64_t> counter{0};
  STRATA_RETURN_IF_ERROR(ValidateKey(key));
  const std::string path = root_ + "/" + key;
  const std::string dir = Parent(path);
  const std::string name = path.substr(dir.size() + 1);
  // A concurrent Delete may remove a directory we just created; then create it again.
  for (int attempt = 0;; ++attempt) {
    STRATA_RETURN_IF_ERROR(MakeParents(root_, key));
    std::string tmp = dir + "/" + std::string(kLocalTmpPrefix) + name + "." +
                      std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (fd.get() < 0) {
      if (errno == ENOENT && attempt < 3) continue;
      return IOErr("creating", tmp, errno);
    }
    Status s = fill(fd.get(), tmp);
    if (s.ok() && ::fsync(fd.get()) != 0) s = IOErr("fsync of", tmp, errno);
    if (fd.Close() != 0 && s.ok()) s = IOErr("closing", tmp, errno);
    if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
      int err = errno;
      s = (err == EISDIR || err == ENOTEMPTY)
              ? Status::InvalidArgument("object key \"" + key +
                                        "\" is a directory of other "
                                        "objects in " +
                                        Describe())
              : IOErr("renaming to", path, err);
    }
    if (!s.ok()) {
      ::unlink(tmp.c_str());
      return s;
    }
    return SyncDir(dir);
  }
}

Status LocalObjectStore::Put(const std::string& key, std::string_view data) {
  metrics_.Request(Op::kPut);
  Status s =
      WriteAtomically(key, [&](int fd, const std::string& tmp) { return WriteAll(fd, data, tmp); });
  if (s.ok()) metrics_.Uploaded(data.size());
  metrics_.Finished(Op::kPut, s);
  return s;
}

Status LocalObjectStore::PutFile(const std::string& key, const std::string& path) {
  metrics_.Request(Op::kPut);
  uint64_t copied = 0;
  Status s = WriteAtomically(key, [&](int fd, const std::string& tmp) {
    Fd src(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (src.get() < 0) return IOErr("opening", path, errno);
    std::string buf(kCopyChunkBytes, '\0');
    while (true) {
      ssize_t n = ::read(src.get(), buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return IOErr("reading", path, errno);
      }
      if (n == 0) return Status::Ok();
      STRATA_RETURN_IF_ERROR(
          WriteAll(fd, std::string_view(buf.data(), static_cast<size_t>(n)), tmp));
      copied += static_cast<uint64_t>(n);
    }
  });
  if (s.ok()) metrics_.Uploaded(copied);
  metrics_.Finished(Op::kPut, s);
  return s;
}

Result<std::string> LocalObjectStore::ReadRange(const std::string& key, uint64_t offset,
                                                uint64_t length, bool whole) {
  STRATA_RETURN_IF_ERROR(ValidateKey(key));
  const std::string path = root_ + "/" + key;
  auto not_found = [&] { return Status::NotFound("no object \"" + key + "\" in " + Describe()); };
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return not_found();
    return IOErr("opening", path, errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return IOErr("stat of", path, errno);
  if (!S_ISREG(st.st_mode)) return not_found();
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (whole) {
    offset = 0;
    length = size;
  } else if (offset > size || length > size - offset) {
    return Status::InvalidArgument("range [" + std::to_string(offset) + ", " +
                                   std::to_string(offset + length) + ") of object \"" + key +
                                   "\" reaches past its end (" + std::to_string(size) + " bytes)");
  }
  std::string out(length, '\0');
  uint64_t done = 0;
  while (done < length) {
    ssize_t n =
        ::pread(fd.get(), out.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return IOErr("reading", path, errno);
    }
    if (n == 0) return Status::IOError("object file " + path + " shrank while being read");
    done += static_cast<uint64_t>(n);
  }
  return out;
}

Result<std::string> LocalObjectStore::Get(const std::string& key) {
  metrics_.Request(Op::kGet);
  Result<std::string> r = ReadRange(key, 0, 0, /*whole=*/true);
  if (r.ok()) metrics_.Downloaded(r->size());
  metrics_.Finished(Op::kGet, r.status());
  return r;
}

Result<std::string> LocalObjectStore::GetRange(const std::string& key, ByteRange range) {
  metrics_.Request(Op::kGetRange);
  Result<std::string> r = ReadRange(key, range.offset, range.length, /*whole=*/false);
  if (r.ok()) metrics_.Downloaded(r->size());
  metrics_.Finished(Op::kGetRange, r.status());
  return r;
}

Result<ObjectInfo> LocalObjectStore::Stat(const std::string& key) {
  metrics_.Request(Op::kStat);
  auto run = [&]() -> Result<ObjectInfo> {
    STRATA_RETURN_IF_ERROR(ValidateKey(key));
    const std::string path = root_ + "/" + key;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) {
        return Status::NotFound("no object \"" + key + "\" in " + Describe());
      }
      return IOErr("stat of", path, errno);
    }
    if (!S_ISREG(st.st_mode)) return Status::NotFound("no object \"" + key + "\" in " + Describe());
    return ObjectInfo{key, static_cast<uint64_t>(st.st_size), MtimeMs(st)};
  };
  Result<ObjectInfo> r = run();
  metrics_.Finished(Op::kStat, r.status());
  return r;
}

Result<std::vector<ObjectInfo>> LocalObjectStore::List(const std::string& prefix) {
  metrics_.Request(Op::kList);
  std::vector<ObjectInfo> out;
  // Walks the directory `rel` (relative to the root, "" for the root itself).
  std::function<Status(const std::string&)> walk = [&](const std::string& rel) -> Status {
    const std::string dir = rel.empty() ? root_ : root_ + "/" + rel;
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      // Gone (a concurrent Delete) or never there: nothing under it.
      if (errno == ENOENT || errno == ENOTDIR) return Status::Ok();
      return IOErr("listing", dir, errno);
    }
    std::unique_ptr<DIR, int (*)(DIR*)> closer(d, ::closedir);
    while (true) {
      errno = 0;
      const dirent* e = ::readdir(d);
      if (e == nullptr) {
        if (errno != 0) return IOErr("listing", dir, errno);
        return Status::Ok();
      }
      std::string_view name = e->d_name;
      if (!ValidSegment(name)) continue;  // ".", "..", temporary files.
      std::string key = rel.empty() ? std::string(name) : rel + "/" + std::string(name);
      if (!key.starts_with(prefix) && !prefix.starts_with(key + "/")) continue;
      struct stat st {};
      if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;  // Deleted meanwhile.
        return IOErr("stat of", dir + "/" + std::string(name), errno);
      }
      if (S_ISDIR(st.st_mode)) {
        STRATA_RETURN_IF_ERROR(walk(key));
      } else if (S_ISREG(st.st_mode) && key.starts_with(prefix)) {
        out.push_back({std::move(key), static_cast<uint64_t>(st.st_size), MtimeMs(st)});
      }
    }
  };
  auto run = [&]() -> Status {
    if (HasControlChar(prefix) || prefix.starts_with('/')) {
      return Status::InvalidArgument("bad object key prefix \"" + prefix + "\"");
    }
    // Every complete segment of the prefix must be a valid key segment; the last may be partial.
    size_t last_slash = prefix.rfind('/');
    std::string start = last_slash == std::string::npos ? "" : prefix.substr(0, last_slash);
    if (!start.empty() && !ValidateKey(start).ok()) {
      return Status::InvalidArgument("bad object key prefix \"" + prefix + "\"");
    }
    STRATA_RETURN_IF_ERROR(walk(start));
    std::sort(out.begin(), out.end(),
              [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    return Status::Ok();
  };
  Status s = run();
  metrics_.Finished(Op::kList, s);
  if (!s.ok()) return s;
  return out;
}

Status LocalObjectStore::Delete(const std::vector<std::string>& keys) {
  metrics_.Request(Op::kDelete);
  auto run = [&]() -> Status {
    for (const std::string& key : keys) STRATA_RETURN_IF_ERROR(ValidateKey(key));
    std::set<std::string> dirs_to_sync;
    for (const std::string& key : keys) {
      const std::string path = root_ + "/" + key;
      if (::unlink(path.c_str()) != 0) {
        // No such object (a directory of other keys is not an object either).
        if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR) continue;
        return IOErr("deleting", path, errno);
      }
      // Remove the directories this left empty, up to the root.
      std::string dir = Parent(path);
      while (dir.size() > root_.size()) {
        if (::rmdir(dir.c_str()) != 0) break;  // Not empty (or gone): stop climbing.
        dir = Parent(dir);
      }
      dirs_to_sync.insert(dir);
    }
    for (const std::string& dir : dirs_to_sync) {
      STRATA_RETURN_IF_ERROR(SyncDir(dir, /*missing_ok=*/true));
    }
    return Status::Ok();
  };
  Status s = run();
  metrics_.Finished(Op::kDelete, s);
  return s;
}

}  // namespace strata::storage::objstore
