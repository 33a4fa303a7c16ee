// Directory-level recovery: newest checkpoint, then segments above it, in order.
#include "storage/wal/replay.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>
#include <vector>

#include "base/log.h"
#include "storage/wal/file.h"
#include "storage/wal/layout.h"

namespace strata::storage::wal {
namespace {

namespace fs = std::filesystem;

std::string Where(int segment, uint64_t offset) {
  return "segment " + SegmentName(segment) + " at offset " + std::to_string(offset);
}

Status ReplayCheckpoint(const std::string& dir, int checkpoint, const RecordFn& fn,
                        ReplayStats* stats) {
  const std::string cdir = JoinPath(dir, CheckpointName(checkpoint));
  STRATA_ASSIGN_OR_RETURN(DirContents contents, ListDir(cdir));
  if (contents.segments.empty()) {
    return Status::Corruption("wal checkpoint " + cdir + " holds no segment");
  }
  for (size_t i = 0; i < contents.segments.size(); ++i) {
    const int index = static_cast<int>(i);
    if (contents.segments[i] != index) {
      return Status::Corruption("wal checkpoint " + cdir + ": segment " + SegmentName(index) +
                                " is missing");
    }
    auto scan = ReadSegment(JoinPath(cdir, SegmentName(index)), /*may_be_torn=*/false, fn);
    if (!scan.ok()) {
      return scan.status().WithContext("wal checkpoint " + cdir + ": segment " +
                                       SegmentName(index));
    }
    stats->checkpoint_records += scan->records;
    stats->records += scan->records;
    stats->record_bytes += scan->record_bytes;
    // A checkpoint was fsynced before it was renamed into place: it cannot be torn.
    if (scan->tail != SegmentScan::Tail::kClean) {
      return Status::Corruption("wal checkpoint " + cdir + ": " + Where(index, scan->bad_offset) +
                                ": " + scan->reason);
    }
    if (i + 1 < contents.segments.size()) {
      auto recorded = ReadRecordedPrevSize(JoinPath(cdir, SegmentName(index + 1)));
      if (!recorded.ok()) return recorded.status().WithContext("wal checkpoint " + cdir);
      if (recorded->has_value() && **recorded != scan->file_size) {
        return Status::Corruption("wal checkpoint " + cdir + ": " +
                                  Where(index, std::min(scan->file_size, **recorded)) +
                                  ": segment size differs from the size recorded after it");
      }
    }
  }
  stats->checkpoint = checkpoint;
  return Status::Ok();
}

// Repair: deletes segments[from..] newest first (an interrupted repair never leaves a gap) and
// adds their sizes to the stats.
Status DeleteSegments(const std::string& dir, const std::vector<int>& segments, size_t from,
                      ReplayStats* stats) {
  for (size_t i = segments.size(); i-- > from;) {
    const std::string path = JoinPath(dir, SegmentName(segments[i]));
    std::error_code ec;
    const uintmax_t size = fs::file_size(path, ec);
    if (!ec) stats->corrupt_bytes_dropped += size;
    if (::unlink(path.c_str()) < 0 && errno != ENOENT) return ErrnoStatus("unlink", path, errno);
    ++stats->segments_deleted;
  }
  return SyncDir(dir);
}

}  // namespace

Status ReadFinishedSegments(const std::string& dir, int upto_segment, const RecordFn& fn) {
  STRATA_ASSIGN_OR_RETURN(DirContents contents, ListDir(dir));
  ReplayStats stats;
  int checkpoint = -1;
  for (int c : contents.checkpoints) {
    if (c <= upto_segment) checkpoint = c;
  }
  if (checkpoint >= 0) STRATA_RETURN_IF_ERROR(ReplayCheckpoint(dir, checkpoint, fn, &stats));
  for (int s : contents.segments) {
    if (s <= checkpoint || s > upto_segment) continue;
    auto scan = ReadSegment(JoinPath(dir, SegmentName(s)), /*may_be_torn=*/false, fn);
    if (!scan.ok()) return scan.status().WithContext("reading wal " + Where(s, 0));
    if (scan->tail != SegmentScan::Tail::kClean) {
      return Status::Corruption("wal " + Where(s, scan->bad_offset) + ": " + scan->reason);
    }
  }
  return Status::Ok();
}

Result<ReplayStats> ReplayDir(const std::string& dir, const RecordFn& fn,
                              const ReplayOptions& options) {
  ReplayStats stats;
  std::error_code ec;
  const fs::file_status st = fs::status(dir, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Status::IOError("stat " + dir + ": " + ec.message());
  }
  if (!fs::exists(st)) return stats;  // A log that was never written.
  if (!fs::is_directory(st)) {
    return Status::InvalidArgument("wal path " + dir + " is not a directory");
  }

  STRATA_ASSIGN_OR_RETURN(File lock, File::Lock(JoinPath(dir, kLockFileName)));
  STRATA_ASSIGN_OR_RETURN(DirContents contents, ListDir(dir));
  STRATA_RETURN_IF_ERROR(RemoveStaleCheckpoints(dir, &contents));

  int checkpoint = -1;
  if (!contents.checkpoints.empty()) {
    checkpoint = contents.checkpoints.back();
    STRATA_RETURN_IF_ERROR(ReplayCheckpoint(dir, checkpoint, fn, &stats));
  }
  std::vector<int> segments;
  for (int s : contents.segments) {
    if (s > checkpoint) segments.push_back(s);
  }

  // Stops the replay at damage in segment `index`: Corruption, or in repair mode, cut the log
  // there (truncate that segment to `good_end`, delete every later one) and succeed.
  auto cut = [&](size_t i, uint64_t offset, const std::string& reason, uint64_t file_size,
                 uint64_t good_end) -> Status {
    const int index = segments[i];
    const std::string what = Where(index, offset) + ": " + reason;
    if (!options.truncate_corrupt_tail) {
      return Status::Corruption("wal " + dir + ": " + what +
                                " (records before it were replayed; "
                                "ReplayOptions::truncate_corrupt_tail cuts the log there)");
    }
    stats.repaired = true;
    stats.corrupt_segment = index;
    stats.corrupt_offset = offset;
    stats.corruption = what;
    stats.corrupt_bytes_dropped += file_size - good_end;
    // Later segments first: until this segment is cut, a rerun finds the same damage.
    STRATA_RETURN_IF_ERROR(DeleteSegments(dir, segments, i + 1, &stats));
    if (good_end < file_size) {
      STRATA_RETURN_IF_ERROR(TruncateFile(JoinPath(dir, SegmentName(index)), good_end));
    }
    STRATA_LOG(kWarn, "wal") << "repair: cut the log at damage" << LogKV("dir", dir)
                             << LogKV("segment", index) << LogKV("offset", offset)
                             << LogKV("reason", reason)
                             << LogKV("segments_deleted", stats.segments_deleted)
                             << LogKV("dropped_bytes", stats.corrupt_bytes_dropped);
    return Status::Ok();
  };

  for (size_t i = 0; i < segments.size(); ++i) {
    const int index = segments[i];
    const bool last = i + 1 == segments.size();
    const std::string path = JoinPath(dir, SegmentName(index));
    auto scan_or = ReadSegment(path, last, fn);
    if (!scan_or.ok()) {
      return scan_or.status().WithContext("wal " + dir + ": replaying segment " +
                                          SegmentName(index));
    }
    const SegmentScan& scan = *scan_or;
    if (stats.first_segment < 0) stats.first_segment = index;
    stats.last_segment = index;
    stats.records += scan.records;
    stats.record_bytes += scan.record_bytes;

    if (scan.tail == SegmentScan::Tail::kTorn) {  // Only ever the last segment.
      const uint64_t dropped = scan.file_size - scan.good_end;
      STRATA_RETURN_IF_ERROR(TruncateFile(path, scan.good_end));
      stats.torn_tail = true;
      stats.torn_segment = index;
      stats.torn_offset = scan.good_end;
      stats.torn_bytes_dropped = dropped;
      STRATA_LOG(kWarn, "wal") << "truncated torn tail of the last segment" << LogKV("dir", dir)
                               << LogKV("segment", index) << LogKV("offset", scan.bad_offset)
                               << LogKV("truncated_to", scan.good_end)
                               << LogKV("dropped_bytes", dropped) << LogKV("reason", scan.reason);
      break;
    }
    if (scan.tail == SegmentScan::Tail::kCorrupt) {
      STRATA_RETURN_IF_ERROR(cut(i, scan.bad_offset, scan.reason, scan.file_size, scan.good_end));
      break;
    }
    if (last) break;

    // Between this segment and the next one: nothing may be missing.
    const int next = segments[i + 1];
    if (next != index + 1) {
      const std::string missing = next == index + 2
                                      ? "segment " + SegmentName(index + 1) + " is missing"
                                      : "segments " + SegmentName(index + 1) + " to " +
                                            SegmentName(next - 1) + " are missing";
      STRATA_RETURN_IF_ERROR(
          cut(i, scan.file_size, "end of segment: " + missing, scan.file_size, scan.file_size));
      break;
    }
    auto recorded = ReadRecordedPrevSize(JoinPath(dir, SegmentName(next)));
    if (!recorded.ok()) return recorded.status().WithContext("wal " + dir);
    if (recorded->has_value() && **recorded != scan.file_size) {
      STRATA_RETURN_IF_ERROR(cut(i, std::min(scan.file_size, **recorded),
                                 "segment is " + std::to_string(scan.file_size) +
                                     " bytes but was " + std::to_string(**recorded) +
                                     " bytes when segment " + SegmentName(next) +
                                     " was started (its tail was lost)",
                                 scan.file_size, scan.file_size));
      break;
    }
  }
  return stats;
}

Status RepairTornTail(const std::string& dir, int index) {
  const std::string path = JoinPath(dir, SegmentName(index));
  auto scan_or =
      ReadSegment(path, /*may_be_torn=*/true, [](std::string_view) { return Status::Ok(); });
  if (!scan_or.ok()) {
    return scan_or.status().WithContext("wal " + dir + ": checking last segment " +
                                        SegmentName(index));
  }
  const SegmentScan& scan = *scan_or;
  switch (scan.tail) {
    case SegmentScan::Tail::kClean:
      return Status::Ok();
    case SegmentScan::Tail::kTorn:
      STRATA_LOG(kWarn, "wal") << "truncated torn tail of the last segment" << LogKV("dir", dir)
                               << LogKV("segment", index) << LogKV("offset", scan.bad_offset)
                               << LogKV("truncated_to", scan.good_end)
                               << LogKV("dropped_bytes", scan.file_size - scan.good_end)
                               << LogKV("reason", scan.reason);
      return TruncateFile(path, scan.good_end);
    case SegmentScan::Tail::kCorrupt:
      break;
  }
  return Status::Corruption("wal " + dir + ": " + Where(index, scan.bad_offset) + ": " +
                            scan.reason +
                            " (refusing to append after it; run Replay, with "
                            "truncate_corrupt_tail to cut the log there)");
}

}  // namespace strata::storage::wal
