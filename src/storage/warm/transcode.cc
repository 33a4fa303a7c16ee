// Re-encoding of version 1 chunk records into version 2 (docs/format/warm.md, "Record version
// 2"). Conservative: anything unusual keeps the record as it is, and every new record is decoded
// and compared with the old one before it replaces it.
#include "storage/warm/transcode.h"

#include <zstd.h>

#include <bit>
#include <vector>

#include "model/sample.h"
#include "storage/warm/keys.h"

namespace strata::storage::warm {

TranscodeOutcome TranscodeRecord(std::string_view value, std::string* out) {
  if (value.empty() || static_cast<uint8_t>(value[0]) != kChunkRecordVersion) {
    return TranscodeOutcome::kKept;
  }
  std::vector<RecordChunk> chunks;
  if (!DecodeChunkRecord(value, &chunks).ok()) return TranscodeOutcome::kKept;
  std::vector<model::Sample> samples;
  if (!RecordSamples(chunks, &samples).ok() || samples.empty()) return TranscodeOutcome::kKept;
  // Chunks that overlap or touch are left to the readers' merge (the first of equal timestamps
  // wins there), so the record keeps exactly what it says.
  for (size_t i = 1; i < samples.size(); ++i) {
    if (samples[i].timestamp_ms <= samples[i - 1].timestamp_ms) return TranscodeOutcome::kKept;
  }
  // The key's first_t is chunk 0's min_t; a group record starts at its first sample.
  if (samples.front().timestamp_ms != chunks.front().min_t) return TranscodeOutcome::kKept;
  std::string encoded = EncodeGroupRecord(samples);
  // The groups are stored raw for RocksDB's block compression (zstd) to squeeze; judge them by
  // what zstd makes of this record alone (Gorilla chunks do not compress).
  // One compression context per compaction thread: creating one per record costs more than
  // compressing a record.
  struct Ctx {
    ZSTD_CCtx* ctx = ZSTD_createCCtx();
    ~Ctx() { ZSTD_freeCCtx(ctx); }
  };
  static thread_local Ctx cctx;
  std::string packed(ZSTD_compressBound(encoded.size()), '\0');
  const size_t n = cctx.ctx != nullptr ? ZSTD_compressCCtx(cctx.ctx, packed.data(), packed.size(),
                                                           encoded.data(), encoded.size(), 1)
                                       : ZSTD_compress(packed.data(), packed.size(), encoded.data(),
                                                       encoded.size(), 1);
  if (ZSTD_isError(n) || n >= value.size()) return TranscodeOutcome::kKept;

  std::vector<RecordChunk> groups;
  std::vector<model::Sample> again;
  if (!DecodeChunkRecord(encoded, &groups).ok() || !RecordSamples(groups, &again).ok() ||
      again.size() != samples.size() || groups.front().min_t != chunks.front().min_t) {
    return TranscodeOutcome::kMismatch;
  }
  for (size_t i = 0; i < samples.size(); ++i) {
    if (again[i].timestamp_ms != samples[i].timestamp_ms ||
        std::bit_cast<uint64_t>(again[i].value) != std::bit_cast<uint64_t>(samples[i].value)) {
      return TranscodeOutcome::kMismatch;
    }
  }
  *out = std::move(encoded);
  return TranscodeOutcome::kDone;
}

rocksdb::CompactionFilter::Decision TranscodeFilter::FilterV2(int /*level*/,
                                                              const rocksdb::Slice& /*key*/,
                                                              ValueType value_type,
                                                              const rocksdb::Slice& existing_value,
                                                              std::string* new_value,
                                                              std::string* /*skip_until*/) const {
  if (value_type != ValueType::kValue || !enabled_.load(std::memory_order_acquire)) {
    return Decision::kKeep;
  }
  const std::string_view value(existing_value.data(), existing_value.size());
  const TranscodeOutcome outcome = TranscodeRecord(value, new_value);
  Count(outcome, value.size(), new_value->size());
  return outcome == TranscodeOutcome::kDone ? Decision::kChangeValue : Decision::kKeep;
}

void TranscodeFilter::Count(TranscodeOutcome outcome, size_t before, size_t after) const {
  switch (outcome) {
    case TranscodeOutcome::kDone:
      records_.fetch_add(1, std::memory_order_relaxed);
      bytes_before_.fetch_add(before, std::memory_order_relaxed);
      bytes_after_.fetch_add(after, std::memory_order_relaxed);
      return;
    case TranscodeOutcome::kMismatch:
      failures_.fetch_add(1, std::memory_order_relaxed);
      return;
    case TranscodeOutcome::kKept:
      return;
  }
}

}  // namespace strata::storage::warm
