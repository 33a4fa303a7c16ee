// PrepareDataDir: format marker check and migration of WAL-only directories.
#include "storage/data_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace strata::storage {
namespace {

constexpr std::string_view kMagic = "strata-data";

}  // namespace

Status WriteDataDirMarker(const std::string& dir) {
  const std::string tmp = dir + "/FORMAT.tmp";
  const std::string path = dir + "/FORMAT";
  const std::string body = std::string(kMagic) + " " + std::to_string(kDataDirFormatVersion) + "\n";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("create " + tmp + ": " + std::strerror(errno));
  bool ok = ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size()) &&
            ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok) return Status::IOError("write " + tmp + ": " + std::strerror(err));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IOError("rename " + tmp + ": " + std::strerror(errno));
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

Result<DataDirState> CheckDataDir(const std::string& dir) {
  const std::string path = dir + "/FORMAT";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return std::filesystem::exists(dir + "/wal", ec) ? DataDirState::kWalOnly : DataDirState::kNew;
  }
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read " + path);
  std::string magic;
  std::string version_text;
  in >> magic >> version_text;
  if (magic != kMagic || version_text.empty()) {
    return Status::Corruption("data directory marker " + path +
                              " is not a Strata format marker (expected \"" + std::string(kMagic) +
                              " <version>\")");
  }
  int version = 0;
  std::istringstream vs(version_text);
  if (!(vs >> version) || version <= 0) {
    return Status::Corruption("data directory marker " + path + " holds an invalid version \"" +
                              version_text + "\"");
  }
  if (version > kDataDirFormatVersion) {
    return Status::FailedPrecondition(
        "data directory " + dir + " has format version " + std::to_string(version) +
        ", newer than this release understands (" + std::to_string(kDataDirFormatVersion) +
        "); run a newer Strata");
  }
  if (!std::filesystem::exists(dir + "/warm/CURRENT", ec)) {
    return Status::Corruption("data directory " + dir +
                              " is marked as format version 1 but its warm tier (" + dir +
                              "/warm) is missing or empty; restore it from a backup, or remove " +
                              dir + "/FORMAT to start with an empty warm tier");
  }
  return DataDirState::kCurrent;
}

}  // namespace strata::storage
