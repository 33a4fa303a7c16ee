// Reads one WAL segment file: validates every fragment, reassembles records, and classifies
// how the file ends (clean, torn tail, corruption). Never trusts lengths beyond a page or
// kMaxRecordBytes. Format: docs/format/wal.md. Stateless function; thread-safe as long as nobody
// writes the file concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/status.h"

namespace strata::storage::wal {

using RecordFn = std::function<Status(std::string_view record)>;

struct SegmentScan {
  enum class Tail {
    kClean,    // Every byte belongs to a complete record (or is page padding).
    kTorn,     // The file ends in damage that no valid fragment follows: an interrupted write.
    kCorrupt,  // Damage that valid data follows, or any damage where tears are not expected.
  };
  Tail tail = Tail::kClean;
  uint64_t file_size = 0;
  // Offset just past the last complete record (the segment header for none). Truncating the
  // file here removes exactly the damaged suffix.
  uint64_t good_end = 0;
  // For kTorn/kCorrupt: where the first rejected byte is, and why it was rejected.
  uint64_t bad_offset = 0;
  std::string reason;
  uint64_t records = 0;       // Records delivered to the callback.
  uint64_t record_bytes = 0;  // Their total payload size.
};

// One damaged range skipped by a salvaging read: [offset, resume) was not delivered.
struct SalvagedRange {
  uint64_t offset = 0;   // First bad byte.
  uint64_t resume = 0;   // Where reading resumed (a page start), or the file size.
  uint64_t records = 0;  // Records lost: the one being read at the damage plus every record
                         // that starts in the skipped bytes (at least this many).
  std::string reason;
};

// Reads the segment at `path` and calls `fn` for each complete record in order, stopping at the
// end of the file or at the first invalid byte. Records before that byte are always delivered.
// `may_be_torn`: the file is the last segment of a live log, so damage at its end that nothing
// valid follows is an interrupted write (kTorn) instead of kCorrupt.
// A 0-byte file is a clean, empty segment.
// Memory: one 1 MiB read buffer plus up to kMaxRecordBytes for a record split across pages.
// Returns the scan; or IOError; Corruption if the file is not a WAL segment at all (bad magic:
// never to be "repaired" by truncation); NotSupported for another format version; or the first
// non-OK Status returned by `fn` (reading stops there).
Result<SegmentScan> ReadSegment(const std::string& path, bool may_be_torn, const RecordFn& fn);

// Salvaging read: like ReadSegment, but damage that valid data follows does not stop it: the
// damaged range is recorded in `*salvaged` and reading resynchronises at the next page that
// starts with a valid fragment (a page that starts with the continuation of a lost record
// skips that continuation). The scan then ends kClean or, for damage at the end of the last
// segment that nothing valid follows, kTorn as in ReadSegment. Never changes the file.
Result<SegmentScan> ReadSegmentSalvaging(const std::string& path, bool may_be_torn,
                                         const RecordFn& fn, std::vector<SalvagedRange>* salvaged);

// The previous segment's size recorded in the header of the segment at `path`, or nullopt if
// the header records none or is incomplete or invalid (ReadSegment reports those). IOError.
Result<std::optional<uint64_t>> ReadRecordedPrevSize(const std::string& path);

}  // namespace strata::storage::wal
