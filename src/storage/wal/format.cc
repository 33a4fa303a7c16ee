// Fragment encoding for WAL segments (docs/format/wal.md).
#include "storage/wal/format.h"

#include <algorithm>
#include <span>

#include "base/check.h"
#include "base/coding.h"

namespace strata::storage::wal {

uint32_t FragmentCrc(const uint8_t* header3, const uint8_t* payload, size_t n) {
  uint32_t crc = Crc32c(std::span<const uint8_t>(header3, 3));
  return Crc32c(std::span<const uint8_t>(payload, n), crc);
}

std::string SegmentHeader(uint64_t prev_segment_size) {
  std::string h(kSegmentMagic, sizeof(kSegmentMagic));
  h.push_back(static_cast<char>(kFormatVersion));
  h.append(3, '\0');
  PutFixed64(&h, prev_segment_size);
  return h;
}

void AppendRecordFragments(std::string_view record, uint64_t* offset, std::string* out) {
  STRATA_DCHECK(record.size() <= kMaxRecordBytes);
  STRATA_DCHECK(*offset >= kSegmentHeaderSize);
  const char* p = record.data();
  size_t left = record.size();
  bool first = true;
  // An empty record is one FULL fragment with no payload, hence do/while.
  do {
    size_t page_left = kPageSize - static_cast<size_t>(*offset % kPageSize);
    if (page_left < kFragmentHeaderSize) {
      // No room for a header: zero-fill the page trailer.
      out->append(page_left, '\0');
      *offset += page_left;
      page_left = kPageSize;
    }
    size_t n = std::min(left, page_left - kFragmentHeaderSize);
    bool last = n == left;
    FragmentType type = first && last ? FragmentType::kFull
                        : first       ? FragmentType::kFirst
                        : last        ? FragmentType::kLast
                                      : FragmentType::kMiddle;
    uint8_t header[kFragmentHeaderSize];
    header[0] = static_cast<uint8_t>(type);
    header[1] = static_cast<uint8_t>(n);
    header[2] = static_cast<uint8_t>(n >> 8);
    uint32_t crc = FragmentCrc(header, reinterpret_cast<const uint8_t*>(p), n);
    for (int i = 0; i < 4; ++i) header[3 + i] = static_cast<uint8_t>(crc >> (8 * i));
    out->append(reinterpret_cast<const char*>(header), kFragmentHeaderSize);
    if (n > 0) out->append(p, n);
    *offset += kFragmentHeaderSize + n;
    p += n;
    left -= n;
    first = false;
  } while (left > 0);
}

}  // namespace strata::storage::wal
