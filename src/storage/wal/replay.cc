// Directory-level recovery: newest checkpoint, then segments above it, in order.
#include "storage/wal/replay.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <ctime>
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

// Copies a damaged file into the session's `damaged-<time>/` directory (created on first use)
// before anything else happens to it. Evidence for the operator; never read again.
Status KeepDamagedCopy(const std::string& dir, const std::string& rel, ReplayStats* stats) {
  if (stats->damaged_dir.empty()) {
    const auto now = std::chrono::system_clock::now();
    const std::time_t secs = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
    std::string name = std::string("damaged-") + buf;
    // A second salvage within the same second (a crash during the first) gets its own folder.
    for (int i = 1; fs::exists(JoinPath(dir, name)); ++i) {
      name = std::string("damaged-") + buf + "-" + std::to_string(i);
    }
    std::error_code ec;
    fs::create_directories(JoinPath(dir, name), ec);
    if (ec) return Status::IOError("mkdir " + JoinPath(dir, name) + ": " + ec.message());
    stats->damaged_dir = JoinPath(dir, name);
  }
  std::string flat = rel;
  for (char& c : flat) {
    if (c == '/') c = '_';
  }
  std::error_code ec;
  fs::copy_file(JoinPath(dir, rel), JoinPath(stats->damaged_dir, flat),
                fs::copy_options::overwrite_existing, ec);
  if (ec) return Status::IOError("copying damaged " + rel + ": " + ec.message());
  return SyncDir(stats->damaged_dir);
}

void ReportSalvage(const std::string& dir, const std::string& rel,
                   const std::vector<SalvagedRange>& ranges, ReplayStats* stats) {
  for (const SalvagedRange& r : ranges) {
    SalvageReport rep{rel, r.offset, r.resume - r.offset, r.records, r.reason};
    STRATA_LOG(kWarn, "wal") << "salvage: skipped a damaged range" << LogKV("dir", dir)
                             << LogKV("file", rel) << LogKV("offset", r.offset)
                             << LogKV("bytes_skipped", rep.bytes)
                             << LogKV("records_skipped", r.records) << LogKV("reason", r.reason)
                             << LogKV("copy", stats->damaged_dir);
    stats->salvaged.push_back(std::move(rep));
  }
}

// Reads one file of the log, salvaging or not.
Result<SegmentScan> ReadOne(const std::string& dir, const std::string& rel, bool may_be_torn,
                            const RecordFn& fn, bool salvage, ReplayStats* stats) {
  if (!salvage) return ReadSegment(JoinPath(dir, rel), may_be_torn, fn);
  std::vector<SalvagedRange> ranges;
  auto scan = ReadSegmentSalvaging(JoinPath(dir, rel), may_be_torn, fn, &ranges);
  if (!scan.ok() && scan.status().code() == StatusCode::kCorruption) {
    // A damaged segment header (bad magic): nothing in the file can be trusted.
    std::error_code ec;
    const uint64_t size = fs::file_size(JoinPath(dir, rel), ec);
    SegmentScan whole;
    whole.file_size = ec ? 0 : size;
    whole.good_end = whole.file_size;
    ranges.push_back({0, whole.file_size, 0, scan.status().message()});
    scan = whole;
  }
  if (scan.ok() && !ranges.empty() && stats != nullptr) {
    STRATA_RETURN_IF_ERROR(KeepDamagedCopy(dir, rel, stats));
    ReportSalvage(dir, rel, ranges, stats);
  }
  return scan;
}

Status ReplayCheckpoint(const std::string& dir, int checkpoint, const RecordFn& fn,
                        ReplayStats* stats, bool salvage = false) {
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
    auto scan = ReadOne(dir, CheckpointName(checkpoint) + "/" + SegmentName(index),
                        /*may_be_torn=*/false, fn, salvage, stats);
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
    if (i + 1 < contents.segments.size() && !salvage) {
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

// A salvaging read of a checkpoint without copies or reports (see ReadFinishedSegments).
Status ReplayCheckpointQuietly(const std::string& dir, int checkpoint, const RecordFn& fn) {
  const std::string cdir = JoinPath(dir, CheckpointName(checkpoint));
  STRATA_ASSIGN_OR_RETURN(DirContents contents, ListDir(cdir));
  for (int index : contents.segments) {
    std::vector<SalvagedRange> ranges;
    auto scan = ReadSegmentSalvaging(JoinPath(cdir, SegmentName(index)), false, fn, &ranges);
    if (!scan.ok()) return scan.status().WithContext("wal checkpoint " + cdir);
  }
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

Status ReadFinishedSegments(const std::string& dir, int upto_segment, const RecordFn& fn,
                            bool salvage) {
  STRATA_ASSIGN_OR_RETURN(DirContents contents, ListDir(dir));
  ReplayStats stats;
  int checkpoint = -1;
  for (int c : contents.checkpoints) {
    if (c <= upto_segment) checkpoint = c;
  }
  if (checkpoint >= 0) {
    if (salvage) {
      // The same ranges a salvaging replay skipped; copies and reports were made then.
      STRATA_RETURN_IF_ERROR(ReplayCheckpointQuietly(dir, checkpoint, fn));
    } else {
      STRATA_RETURN_IF_ERROR(ReplayCheckpoint(dir, checkpoint, fn, &stats));
    }
  }
  for (int s : contents.segments) {
    if (s <= checkpoint || s > upto_segment) continue;
    if (salvage) {
      std::vector<SalvagedRange> ranges;
      auto scan =
          ReadSegmentSalvaging(JoinPath(dir, SegmentName(s)), /*may_be_torn=*/false, fn, &ranges);
      if (!scan.ok()) return scan.status().WithContext("reading wal " + Where(s, 0));
      continue;
    }
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
    STRATA_RETURN_IF_ERROR(ReplayCheckpoint(dir, checkpoint, fn, &stats, options.salvage));
  }
  std::vector<int> segments;
  for (int s : contents.segments) {
    if (s > checkpoint) segments.push_back(s);
  }

  // Stops the replay at damage in segment `index`: Corruption, or in repair mode, cut the log
  // there (truncate that segment to `good_end`, delete every later one) and succeed.
  // Salvage: a missing piece between segments loses only what was in it; keep reading.
  bool keep_going = false;
  auto cut = [&](size_t i, uint64_t offset, const std::string& reason, uint64_t file_size,
                 uint64_t good_end) -> Status {
    const int index = segments[i];
    const std::string what = Where(index, offset) + ": " + reason;
    if (options.salvage) {
      STRATA_LOG(kWarn, "wal") << "salvage: data missing between segments, reading on"
                               << LogKV("dir", dir) << LogKV("at", what);
      stats.salvaged.push_back({SegmentName(index), offset, 0, 0, reason});
      keep_going = true;
      return Status::Ok();
    }
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
    auto scan_or = ReadOne(dir, SegmentName(index), last, fn, options.salvage, &stats);
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
      if (keep_going) {
        keep_going = false;
        continue;
      }
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
      if (keep_going) {
        keep_going = false;
        continue;
      }
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
      if (keep_going) {
        keep_going = false;
        continue;
      }
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
