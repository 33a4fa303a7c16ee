// Encoding of the head's WAL records (docs/format/wal.md, "Record payloads"): series records
// bind a series id to its labels; sample records carry (series id, timestamp, value bits);
// chunks records (checkpoints only) carry encoded XOR chunks of a series.
// Pure functions; thread-safe. Record type bytes are persisted: never renumber.
#pragma once

#include <bit>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/result.h"
#include "storage/xor_chunk.h"

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
// A template so that replay's per-sample work is inlined (`sample` may be nullptr).
template <typename Fn>
Status ForEachChunkSample(const ChunksRecordEntry& e, Fn&& sample);

// The Corruption ForEachChunkSample returns.
Status ChunkSampleError(uint32_t id, size_t chunk, std::string_view what);

template <typename Fn>
Status ForEachChunkSample(const ChunksRecordEntry& e, Fn&& sample) {
  int64_t prev = INT64_MIN;
  bool any = false;
  for (size_t k = 0; k < e.chunks.size(); ++k) {
    const RecordChunk& c = e.chunks[k];
    XorIterator it(std::span(reinterpret_cast<const uint8_t*>(c.bytes.data()), c.bytes.size()));
    size_t n = 0;
    while (it.Next()) {
      const int64_t t = it.t();
      if (n == 0 && t != c.min_t) {
        return ChunkSampleError(e.id, k, "first sample is not at the chunk's min time");
      }
      if (any && t <= prev) return ChunkSampleError(e.id, k, "timestamps do not increase");
      if constexpr (!std::is_null_pointer_v<std::remove_cvref_t<Fn>>) {
        sample(k, t, std::bit_cast<uint64_t>(it.v()));
      }
      prev = t;
      any = true;
      ++n;
    }
    if (!it.status().ok()) return ChunkSampleError(e.id, k, it.status().message());
    if (n == 0) return ChunkSampleError(e.id, k, "empty chunk");
    if (prev != c.max_t) {
      return ChunkSampleError(e.id, k, "last sample is not at the chunk's max time");
    }
  }
  return Status::Ok();
}

}  // namespace strata::storage::head
