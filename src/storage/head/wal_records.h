// Encoding of the head's WAL records (docs/format/wal.md, "Record payloads"): series records
// bind a series id to its labels; sample records carry (series id, timestamp, value bits);
// chunks records (checkpoints only) carry encoded XOR chunks of a series.
// Pure functions; thread-safe. Record type bytes are persisted: never renumber.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace strata::storage::head {

enum class RecordType : uint8_t {
  kSeries = 1,
  kSamples = 2,
  kChunks = 3,  // Data directory format version 2 on.
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

// One encoded chunk of a chunks record. `bytes` is a whole XOR chunk (docs/format/chunk.md).
struct RecordChunk {
  int64_t min_t;
  int64_t max_t;
  std::string_view bytes;  // Borrowed.
};

struct ChunksRecordEntry {
  uint32_t id;
  std::vector<RecordChunk> chunks;  // In time order; at least one.
};

void EncodeSeriesRecord(const std::vector<SeriesRecordEntry>& series, std::string* out);
void EncodeSamplesRecord(const std::vector<SampleRecordEntry>& samples, std::string* out);
// REQUIRES: every entry has a chunk, and each chunk's max_t >= min_t.
void EncodeChunksRecord(const std::vector<ChunksRecordEntry>& series, std::string* out);

// Decoders: Corruption on malformed input. Views in `series` borrow `record`.
Result<RecordType> PeekRecordType(std::string_view record);
Status DecodeSeriesRecord(std::string_view record, std::vector<SeriesRecordEntry>* series);
Status DecodeSamplesRecord(std::string_view record, std::vector<SampleRecordEntry>* samples);
// Checks the record's framing only (counts, lengths, time spans); the chunks' samples are
// checked where they are decoded (Head replay). Views borrow `record`.
Status DecodeChunksRecord(std::string_view record, std::vector<ChunksRecordEntry>* series);

// Decodes the samples of `e`'s chunks in order and checks them: each chunk holds at least one
// sample, timestamps strictly increase within and across chunks, each chunk's first and last
// timestamps are its min_t and max_t. Calls `sample(chunk index, t, value bits)` for each, if
// set. Corruption naming the series id on the first violation (samples before it were
// delivered).
Status ForEachChunkSample(const ChunksRecordEntry& e,
                          const std::function<void(size_t, int64_t, uint64_t)>& sample);

}  // namespace strata::storage::head
