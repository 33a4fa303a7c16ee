// WAL on-disk constants and the fragment encoder shared by the writer, the reader and the
// checkpoint writer. The byte layout is specified in docs/format/wal.md; anything changed here
// must change there. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::storage::wal {

// Segment files start with a 16-byte header: "SWAL", the format version, 3 reserved zero bytes,
// and the size of the previous segment when this one was created (fixed64, little-endian;
// kNoPrevSegment if none was recorded), which lets Replay notice a lost tail of a finished
// segment even when the loss falls exactly on a record boundary.
inline constexpr char kSegmentMagic[4] = {'S', 'W', 'A', 'L'};
inline constexpr uint8_t kFormatVersion = 1;
inline constexpr size_t kSegmentHeaderSize = 16;
inline constexpr uint64_t kNoPrevSegment = ~uint64_t{0};

// Fragments never cross a page boundary, so every page that holds data starts with a fragment
// header; this is what lets the reader tell a torn tail from corruption followed by data.
inline constexpr size_t kPageSize = size_t{32} * 1024;
// [type:1][length:2, little-endian][crc32c:4, little-endian].
inline constexpr size_t kFragmentHeaderSize = 7;
inline constexpr size_t kMaxFragmentPayload = kPageSize - kFragmentHeaderSize;

// Upper bound on one record's payload, checked by the writer and the reader, so that a corrupt
// file can never make the reader buffer more than this.
inline constexpr size_t kMaxRecordBytes = size_t{64} << 20;

// Segment numbers are 8 decimal digits.
inline constexpr int kMaxSegmentIndex = 99'999'999;

// Persisted: never renumber. 0 is reserved so that zero-filled bytes are never a valid header.
enum class FragmentType : uint8_t {
  kZero = 0,
  kFull = 1,
  kFirst = 2,
  kMiddle = 3,
  kLast = 4,
};

// The CRC of a fragment covers its type byte, its two length bytes and its payload.
uint32_t FragmentCrc(const uint8_t* header3, const uint8_t* payload, size_t n);

// The 16-byte segment header.
std::string SegmentHeader(uint64_t prev_segment_size);

// Appends the fragments of `record` to `*out`, which will be written at segment offset
// `*offset`; advances `*offset` past them (including any zero padding of a page trailer).
// REQUIRES: record.size() <= kMaxRecordBytes, *offset >= kSegmentHeaderSize.
void AppendRecordFragments(std::string_view record, uint64_t* offset, std::string* out);

}  // namespace strata::storage::wal
