// PrepareDataDir: format marker check and migration of WAL-only directories.
#include "storage/data_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/file_lock.h"

namespace strata::storage {
namespace {

constexpr std::string_view kMagic = "strata-data";

}  // namespace

Status WriteDataDirMarker(const std::string& dir) {
  return WriteFileDurably(dir + "/FORMAT",
                          std::string(kMagic) + " " + std::to_string(kDataDirFormatVersion) + "\n");
}

Result<DataDirState> CheckDataDir(const std::string& dir) {
  const std::string path = dir + "/FORMAT";
  std::error_code ec;
  if (std::filesystem::exists(dir + "/" + std::string(kRestoreMarker), ec)) {
    return Status::FailedPrecondition(
        "data directory " + dir +
        " holds an unfinished restore (interrupted, or it failed) with only part of the "
        "backup's data: run the same strata restore command again to finish it (or delete "
        "the directory)");
  }
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
    return Status::Corruption("data directory " + dir + " is marked as format version " +
                              std::to_string(version) + " but its warm tier (" + dir +
                              "/warm) is missing or empty; restore it from a backup, or remove " +
                              dir + "/FORMAT to start with an empty warm tier");
  }
  return version == 1 ? DataDirState::kVersion1 : DataDirState::kCurrent;
}

}  // namespace strata::storage
