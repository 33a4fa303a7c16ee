// Encoding of the head's WAL records (docs/format/wal.md, "Record payloads"): series records
// bind a series id to its labels; sample records carry (series id, timestamp, value bits).
// Pure functions; thread-safe. Record type bytes are persisted: never renumber.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace strata::storage::head {

enum class RecordType : uint8_t {
  kSeries = 1,
  kSamples = 2,
};

struct SeriesRecordEntry {
  uint32_t id;
  std::vector<std::pair<std::string_view, std::string_view>> labels;  // Borrowed.
};

struct SampleRecordEntry {
  uint32_t id;
  int64_t t;
  uint64_t v_bits;
};

void EncodeSeriesRecord(const std::vector<SeriesRecordEntry>& series, std::string* out);
void EncodeSamplesRecord(const std::vector<SampleRecordEntry>& samples, std::string* out);

// Decoders: Corruption on malformed input. Views in `series` borrow `record`.
Result<RecordType> PeekRecordType(std::string_view record);
Status DecodeSeriesRecord(std::string_view record, std::vector<SeriesRecordEntry>* series);
Status DecodeSamplesRecord(std::string_view record, std::vector<SampleRecordEntry>* samples);

}  // namespace strata::storage::head
