// Segment reading and tail classification (docs/format/wal.md, "Reading and torn tails").
// Why the classification is trustworthy: fragments never cross pages, so each page that holds
// data starts with a fragment header. After the first bad byte we look for any valid fragment
// later in the file (every offset in the rest of that page, then each page start); finding one
// means the damage sits in the middle of data, which an interrupted append cannot produce.
#include "storage/wal/segment_reader.h"

#include <fcntl.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "base/coding.h"
#include "storage/wal/file.h"
#include "storage/wal/format.h"

namespace strata::storage::wal {
namespace {

constexpr size_t kReadChunk = 32 * kPageSize;  // 1 MiB; a whole number of pages.
static_assert(kReadChunk % kPageSize == 0);

enum class FragError {
  kNone,
  kTruncatedHeader,
  kZeroHeader,
  kBadType,
  kBadLength,
  kTruncatedPayload,
  kBadCrc,
};

// Checks the fragment at `page[pos]`, where `page` holds the first `len` bytes of a page.
// REQUIRES: pos + kFragmentHeaderSize <= kPageSize.
FragError CheckFragment(const uint8_t* page, size_t len, size_t pos, size_t* payload_len) {
  if (len - pos < kFragmentHeaderSize) return FragError::kTruncatedHeader;
  const uint8_t* h = page + pos;
  if (h[0] == static_cast<uint8_t>(FragmentType::kZero)) return FragError::kZeroHeader;
  if (h[0] > static_cast<uint8_t>(FragmentType::kLast)) return FragError::kBadType;
  const size_t n = static_cast<size_t>(h[1]) | (static_cast<size_t>(h[2]) << 8);
  if (n > kPageSize - pos - kFragmentHeaderSize) return FragError::kBadLength;
  if (n > len - pos - kFragmentHeaderSize) return FragError::kTruncatedPayload;
  if (FragmentCrc(h, h + kFragmentHeaderSize, n) != DecodeFixed32(h + 3)) return FragError::kBadCrc;
  *payload_len = n;
  return FragError::kNone;
}

std::string Describe(FragError e, const uint8_t* h) {
  switch (e) {
    case FragError::kNone:
      return "ok";
    case FragError::kTruncatedHeader:
      return "truncated fragment header";
    case FragError::kZeroHeader:
      return "zeroed bytes where a fragment header should be";
    case FragError::kBadType:
      return "unknown fragment type " + std::to_string(h[0]);
    case FragError::kBadLength:
      return "fragment length " +
             std::to_string(static_cast<unsigned>(h[1]) | (static_cast<unsigned>(h[2]) << 8)) +
             " crosses the page boundary";
    case FragError::kTruncatedPayload:
      return "truncated fragment payload";
    case FragError::kBadCrc:
      return "fragment checksum mismatch";
  }
  return "unknown";
}

// Whether any valid fragment starts after `bad` (see the file comment).
Result<bool> AnyValidFragmentAfter(const File& f, uint64_t size, uint64_t bad) {
  std::vector<uint8_t> page(kPageSize);
  uint64_t page_start = bad / kPageSize * kPageSize;
  if (page_start < size) {
    const size_t len = static_cast<size_t>(std::min<uint64_t>(kPageSize, size - page_start));
    STRATA_RETURN_IF_ERROR(f.PReadFull(page_start, std::span<uint8_t>(page.data(), len)));
    size_t pos = static_cast<size_t>(bad - page_start) + 1;
    if (page_start == 0) pos = std::max(pos, kSegmentHeaderSize);
    for (size_t n; pos + kFragmentHeaderSize <= len; ++pos) {
      if (CheckFragment(page.data(), len, pos, &n) == FragError::kNone) return true;
    }
  }
  for (page_start += kPageSize; page_start < size; page_start += kPageSize) {
    const size_t len = static_cast<size_t>(std::min<uint64_t>(kPageSize, size - page_start));
    STRATA_RETURN_IF_ERROR(f.PReadFull(page_start, std::span<uint8_t>(page.data(), len)));
    size_t n;
    if (CheckFragment(page.data(), len, 0, &n) == FragError::kNone) return true;
  }
  return false;
}

// Parses the fragments of one segment in order. Confined to one call of ReadSegment.
class Parser {
 public:
  Parser(const RecordFn& fn, SegmentScan* scan) : fn_(fn), scan_(scan) {}

  bool bad() const { return bad_; }
  bool definitely_corrupt() const { return definitely_corrupt_; }
  bool in_record() const { return in_record_; }

  // Parses the `len` bytes of the page at file offset `page_start`, from `pos` on. `len` is
  // kPageSize except for the file's last page. Stops at the first bad byte (then bad()).
  Status ParsePage(const uint8_t* page, size_t len, uint64_t page_start, size_t pos) {
    while (pos < len) {
      if (kPageSize - pos < kFragmentHeaderSize) {
        // The page trailer is zero padding, written together with the next fragment.
        for (size_t i = pos; i < len; ++i) {
          if (page[i] != 0) {
            MarkBad(page_start + pos, "non-zero bytes in page trailer", false);
            return Status::Ok();
          }
        }
        if (len < kPageSize) MarkBad(page_start + pos, "file ends inside page trailer", false);
        return Status::Ok();
      }
      size_t n = 0;
      const FragError err = CheckFragment(page, len, pos, &n);
      const uint64_t offset = page_start + pos;
      if (err != FragError::kNone) {
        MarkBad(offset, Describe(err, page + pos), false);
        return Status::Ok();
      }
      const auto type = static_cast<FragmentType>(page[pos]);
      const std::string_view payload(
          reinterpret_cast<const char*>(page + pos) + kFragmentHeaderSize, n);
      const uint64_t end = offset + kFragmentHeaderSize + n;
      switch (type) {
        case FragmentType::kFull:
          skip_orphans_ = false;
          if (in_record_) {
            MarkBad(offset, "FULL fragment inside an unfinished record", true);
            return Status::Ok();
          }
          STRATA_RETURN_IF_ERROR(Deliver(payload, end));
          break;
        case FragmentType::kFirst:
          skip_orphans_ = false;
          if (in_record_) {
            MarkBad(offset, "FIRST fragment inside an unfinished record", true);
            return Status::Ok();
          }
          in_record_ = true;
          record_.assign(payload);
          break;
        case FragmentType::kMiddle:
        case FragmentType::kLast:
          if (!in_record_ && skip_orphans_) {
            break;  // The rest of a record whose start was in salvaged damage.
          }
          if (!in_record_) {
            MarkBad(offset, "MIDDLE or LAST fragment without a FIRST", true);
            return Status::Ok();
          }
          if (record_.size() + n > kMaxRecordBytes) {
            MarkBad(offset, "record exceeds " + std::to_string(kMaxRecordBytes) + " bytes", true);
            return Status::Ok();
          }
          record_.append(payload);
          if (type == FragmentType::kLast) {
            in_record_ = false;
            STRATA_RETURN_IF_ERROR(Deliver(record_, end));
          }
          break;
        case FragmentType::kZero:
          break;  // Rejected by CheckFragment.
      }
      pos += kFragmentHeaderSize + n;
    }
    return Status::Ok();
  }

  // After damage: forget the record in progress and the bad state, and skip continuation
  // fragments until the next record start.
  void Resync() {
    bad_ = false;
    definitely_corrupt_ = false;
    in_record_ = false;
    record_.clear();
    skip_orphans_ = true;
  }

  void MarkBad(uint64_t offset, std::string reason, bool definite) {
    bad_ = true;
    definitely_corrupt_ = definite;
    scan_->bad_offset = offset;
    scan_->reason = std::move(reason);
  }

 private:
  Status Deliver(std::string_view record, uint64_t end) {
    ++scan_->records;
    scan_->record_bytes += record.size();
    scan_->good_end = end;
    return fn_(record);
  }

  const RecordFn& fn_;
  SegmentScan* const scan_;
  bool bad_ = false;
  bool definitely_corrupt_ = false;
  bool in_record_ = false;
  bool skip_orphans_ = false;
  std::string record_;  // A record being reassembled from FIRST/MIDDLE/LAST fragments.
};

// Sets scan->file_size and checks the segment header of `f`. Returns false when there is
// nothing more to read (an empty file, or a truncated header: scan->tail says which), true with
// scan->good_end set past the header; Corruption for bad magic, NotSupported for another
// version.
Result<bool> CheckHeader(const File& f, const std::string& path, bool may_be_torn,
                         SegmentScan* scan) {
  STRATA_ASSIGN_OR_RETURN(const uint64_t size, f.Size());
  scan->file_size = size;
  if (size == 0) return false;
  uint8_t header[kSegmentHeaderSize];
  const size_t header_len = static_cast<size_t>(std::min<uint64_t>(size, kSegmentHeaderSize));
  STRATA_RETURN_IF_ERROR(f.PReadFull(0, std::span<uint8_t>(header, header_len)));
  if (std::memcmp(header, kSegmentMagic, std::min(header_len, sizeof(kSegmentMagic))) != 0) {
    return Status::Corruption(path + ": not a WAL segment (bad magic)");
  }
  if (header_len > sizeof(kSegmentMagic) && header[4] != kFormatVersion) {
    return Status::NotSupported(path + ": WAL format version " + std::to_string(header[4]) +
                                ", this build reads version " + std::to_string(kFormatVersion));
  }
  if (header_len < kSegmentHeaderSize) {
    scan->tail = may_be_torn ? SegmentScan::Tail::kTorn : SegmentScan::Tail::kCorrupt;
    scan->reason = "truncated segment header";
    return false;
  }
  scan->good_end = kSegmentHeaderSize;
  return true;
}

}  // namespace

Result<SegmentScan> ReadSegment(const std::string& path, bool may_be_torn, const RecordFn& fn) {
  STRATA_ASSIGN_OR_RETURN(File f, File::Open(path, O_RDONLY));
  SegmentScan scan;
  STRATA_ASSIGN_OR_RETURN(const bool has_records, CheckHeader(f, path, may_be_torn, &scan));
  if (!has_records) return scan;
  const uint64_t size = scan.file_size;

  Parser parser(fn, &scan);
  std::vector<uint8_t> chunk(static_cast<size_t>(std::min<uint64_t>(kReadChunk, size)));
  for (uint64_t chunk_start = 0; chunk_start < size && !parser.bad(); chunk_start += kReadChunk) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kReadChunk, size - chunk_start));
    STRATA_RETURN_IF_ERROR(f.PReadFull(chunk_start, std::span<uint8_t>(chunk.data(), n)));
    for (size_t p = 0; p < n && !parser.bad(); p += kPageSize) {
      const uint64_t page_start = chunk_start + p;
      STRATA_RETURN_IF_ERROR(parser.ParsePage(chunk.data() + p, std::min(kPageSize, n - p),
                                              page_start,
                                              page_start == 0 ? kSegmentHeaderSize : 0));
    }
  }
  if (!parser.bad() && parser.in_record()) {
    parser.MarkBad(size, "segment ends inside a record", false);
  }
  if (!parser.bad()) return scan;

  scan.tail = SegmentScan::Tail::kCorrupt;
  if (may_be_torn && !parser.definitely_corrupt()) {
    STRATA_ASSIGN_OR_RETURN(const bool valid_after,
                            AnyValidFragmentAfter(f, size, scan.bad_offset));
    if (!valid_after) scan.tail = SegmentScan::Tail::kTorn;
  }
  return scan;
}

namespace {

// Record starts (FULL or FIRST fragments) in an intact page, walking its fragments from `pos`.
uint64_t CountRecordStarts(const uint8_t* page, size_t len, size_t pos) {
  uint64_t starts = 0;
  while (pos + kFragmentHeaderSize <= len && kPageSize - pos >= kFragmentHeaderSize) {
    size_t n = 0;
    if (CheckFragment(page, len, pos, &n) != FragError::kNone) break;
    const auto type = static_cast<FragmentType>(page[pos]);
    if (type == FragmentType::kFull || type == FragmentType::kFirst) ++starts;
    pos += kFragmentHeaderSize + n;
  }
  return starts;
}

}  // namespace

Result<SegmentScan> ReadSegmentSalvaging(const std::string& path, bool may_be_torn,
                                         const RecordFn& fn, std::vector<SalvagedRange>* salvaged) {
  STRATA_ASSIGN_OR_RETURN(File f, File::Open(path, O_RDONLY));
  SegmentScan scan;
  STRATA_ASSIGN_OR_RETURN(const bool has_records, CheckHeader(f, path, may_be_torn, &scan));
  if (!has_records) return scan;
  const uint64_t size = scan.file_size;
  Parser parser(fn, &scan);
  std::vector<uint8_t> page(kPageSize);
  uint64_t page_start = 0;
  while (page_start < size) {
    const size_t len = static_cast<size_t>(std::min<uint64_t>(kPageSize, size - page_start));
    STRATA_RETURN_IF_ERROR(f.PReadFull(page_start, std::span<uint8_t>(page.data(), len)));
    STRATA_RETURN_IF_ERROR(
        parser.ParsePage(page.data(), len, page_start, page_start == 0 ? kSegmentHeaderSize : 0));
    if (!parser.bad()) {
      page_start += kPageSize;
      continue;
    }
    const uint64_t bad = scan.bad_offset;
    if (may_be_torn && !parser.definitely_corrupt()) {
      STRATA_ASSIGN_OR_RETURN(const bool valid_after, AnyValidFragmentAfter(f, size, bad));
      if (!valid_after) {
        scan.tail = SegmentScan::Tail::kTorn;
        return scan;
      }
    }
    // Damage: skip to the next page that starts with a valid fragment.
    SalvagedRange r;
    r.offset = bad;
    r.reason = scan.reason;
    r.records = 1;
    uint64_t next = (bad / kPageSize + 1) * kPageSize;
    for (; next < size; next += kPageSize) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kPageSize, size - next));
      STRATA_RETURN_IF_ERROR(f.PReadFull(next, std::span<uint8_t>(page.data(), n)));
      size_t frag = 0;
      if (CheckFragment(page.data(), n, 0, &frag) == FragError::kNone) break;
      r.records += CountRecordStarts(page.data(), n, 0);
    }
    r.resume = std::min(next, size);
    salvaged->push_back(r);
    parser.Resync();
    page_start = next;
  }
  if (parser.in_record()) {
    // The file ends inside a record: for the last segment a torn tail, else lost data.
    if (may_be_torn) {
      parser.MarkBad(size, "segment ends inside a record", false);
      scan.tail = SegmentScan::Tail::kTorn;
      return scan;
    }
    const uint64_t from =
        salvaged->empty() ? scan.good_end : std::max(scan.good_end, salvaged->back().resume);
    salvaged->push_back({from, size, 1, "segment ends inside a record"});
  }
  return scan;
}

Result<std::optional<uint64_t>> ReadRecordedPrevSize(const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(File f, File::Open(path, O_RDONLY));
  STRATA_ASSIGN_OR_RETURN(const uint64_t size, f.Size());
  if (size < kSegmentHeaderSize) return std::optional<uint64_t>();
  uint8_t header[kSegmentHeaderSize];
  STRATA_RETURN_IF_ERROR(f.PReadFull(0, std::span<uint8_t>(header, kSegmentHeaderSize)));
  if (std::memcmp(header, kSegmentMagic, sizeof(kSegmentMagic)) != 0 ||
      header[4] != kFormatVersion) {
    return std::optional<uint64_t>();
  }
  const uint64_t prev = DecodeFixed64(header + 8);
  if (prev == kNoPrevSegment) return std::optional<uint64_t>();
  return std::optional<uint64_t>(prev);
}

}  // namespace strata::storage::wal
