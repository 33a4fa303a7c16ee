// The names inside a WAL directory (segments `00000012`, checkpoints `checkpoint.00000011`,
// unfinished checkpoints `checkpoint.00000011.tmp`, the `lock` file) and listing them.
// Anything else in the directory is ignored. See docs/format/wal.md. Thread-safe (stateless).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"

namespace strata::storage::wal {

inline constexpr std::string_view kLockFileName = "lock";
inline constexpr std::string_view kCheckpointPrefix = "checkpoint.";
inline constexpr std::string_view kTmpSuffix = ".tmp";

// "00000012". REQUIRES: 0 <= index <= kMaxSegmentIndex.
std::string SegmentName(int index);
// "checkpoint.00000011".
std::string CheckpointName(int index);

// Parses exactly 8 decimal digits; returns -1 for anything else.
int ParseSegmentName(std::string_view name);

struct DirContents {
  std::vector<int> segments;         // Regular files named by SegmentName, ascending.
  std::vector<int> checkpoints;      // Complete checkpoint directories, ascending.
  std::vector<std::string> partial;  // Names of leftover "checkpoint.N.tmp" entries.
};

// Lists `dir`. Returns NotFound if it does not exist, IOError on other failures.
Result<DirContents> ListDir(const std::string& dir);

// Removes every partial checkpoint and every complete checkpoint older than the newest one,
// updating `*contents`. Logs what it removes.
Status RemoveStaleCheckpoints(const std::string& dir, DirContents* contents);

// Recursively removes `path` (a file or directory); a missing path is OK.
Status RemoveAll(const std::string& path);

}  // namespace strata::storage::wal
