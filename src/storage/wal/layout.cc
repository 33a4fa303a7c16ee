// WAL directory naming and listing. Uses the non-throwing std::filesystem overloads.
#include "storage/wal/layout.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "base/check.h"
#include "base/log.h"
#include "storage/wal/file.h"
#include "storage/wal/format.h"

namespace strata::storage::wal {
namespace {

namespace fs = std::filesystem;

Status FsError(std::string_view op, const std::string& path, const std::error_code& ec) {
  std::string msg;
  msg.append(op).append(" ").append(path).append(": ").append(ec.message());
  if (ec == std::errc::no_such_file_or_directory) return Status::NotFound(std::move(msg));
  return Status::IOError(std::move(msg));
}

}  // namespace

std::string SegmentName(int index) {
  STRATA_DCHECK(index >= 0 && index <= kMaxSegmentIndex);
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08d", index);
  return buf;
}

std::string CheckpointName(int index) {
  std::string out(kCheckpointPrefix);
  out.append(SegmentName(index));
  return out;
}

int ParseSegmentName(std::string_view name) {
  if (name.size() != 8) return -1;
  int v = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

Result<DirContents> ListDir(const std::string& dir) {
  DirContents out;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return FsError("list", dir, ec);
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return FsError("list", dir, ec);
    const std::string name = it->path().filename().string();
    std::error_code type_ec;
    const bool is_file = it->is_regular_file(type_ec);
    const bool is_dir = !type_ec && it->is_directory(type_ec);
    if (int idx = ParseSegmentName(name); idx >= 0) {
      if (is_file) out.segments.push_back(idx);
      continue;
    }
    if (!name.starts_with(kCheckpointPrefix)) continue;
    std::string_view rest = std::string_view(name).substr(kCheckpointPrefix.size());
    if (rest.size() == 8 + kTmpSuffix.size() && rest.ends_with(kTmpSuffix) &&
        ParseSegmentName(rest.substr(0, 8)) >= 0) {
      out.partial.push_back(name);
    } else if (int idx = ParseSegmentName(rest); idx >= 0 && is_dir) {
      out.checkpoints.push_back(idx);
    }
  }
  if (ec) return FsError("list", dir, ec);
  std::sort(out.segments.begin(), out.segments.end());
  std::sort(out.checkpoints.begin(), out.checkpoints.end());
  std::sort(out.partial.begin(), out.partial.end());
  return out;
}

Status RemoveAll(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) return FsError("remove", path, ec);
  return Status::Ok();
}

Status RemoveStaleCheckpoints(const std::string& dir, DirContents* contents) {
  for (const std::string& name : contents->partial) {
    STRATA_LOG(kInfo, "wal") << "removing unfinished checkpoint" << LogKV("dir", dir)
                             << LogKV("name", name);
    STRATA_RETURN_IF_ERROR(RemoveAll(JoinPath(dir, name)));
  }
  contents->partial.clear();
  while (contents->checkpoints.size() > 1) {
    const std::string name = CheckpointName(contents->checkpoints.front());
    STRATA_LOG(kInfo, "wal") << "removing superseded checkpoint" << LogKV("dir", dir)
                             << LogKV("name", name);
    STRATA_RETURN_IF_ERROR(RemoveAll(JoinPath(dir, name)));
    contents->checkpoints.erase(contents->checkpoints.begin());
  }
  return Status::Ok();
}

}  // namespace strata::storage::wal
