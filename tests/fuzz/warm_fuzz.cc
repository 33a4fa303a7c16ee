// Fuzz target: the decoders of the warm store's RocksDB keys and values (storage/warm/keys.h,
// postings_merge.h, transcode.h; docs/format/warm.md): series labels, chunk records (the XOR
// chunks of version 1, the groups of version 2, and the re-encoding of one into the other),
// postings bitmaps, postings/chunk/partition keys, partition infos, series ids, fixed64 meta
// values. Input: one byte choosing the decoder, then the key or value bytes.
// Properties: whatever decodes re-encodes to bytes that decode to the same thing (for keys and
// fixed-size values: to the same bytes); a decoded chunk record's chunks lie inside the record;
// re-encoding a record never gives one that reads back other samples.
#include <bit>
#include <string>
#include <vector>

#include "fuzz/fuzz_target.h"
#include "storage/warm/keys.h"
#include "storage/warm/postings_merge.h"
#include "storage/warm/transcode.h"
#include "storage/xor_chunk.h"

namespace strata::fuzz {
namespace {

namespace warm = storage::warm;

void FuzzLabels(std::string_view in) {
  auto labels = warm::DecodeLabels(in);
  if (!labels.ok()) {
    if (labels.status().code() != StatusCode::kCorruption) FuzzFail(labels.status().ToString());
    return;
  }
  std::string encoded = warm::EncodeLabels(*labels);
  auto again = warm::DecodeLabels(encoded);
  if (!again.ok() || !(*again == *labels)) FuzzFail("DecodeLabels(EncodeLabels(x)) != x");
}

void FuzzChunkRecord(std::string_view in) {
  std::vector<warm::RecordChunk> chunks;
  Status s = warm::DecodeChunkRecord(in, &chunks);
  if (!s.ok()) {
    if (s.code() != StatusCode::kCorruption) FuzzFail("DecodeChunkRecord: " + s.ToString());
    return;
  }
  std::vector<storage::WarmChunk> copies;
  for (const auto& c : chunks) {
    if (c.bytes.data() < in.data() || c.bytes.data() + c.bytes.size() > in.data() + in.size()) {
      FuzzFail("DecodeChunkRecord: a chunk outside the record");
    }
    if (c.min_t > c.max_t) FuzzFail("DecodeChunkRecord: a chunk with min_t > max_t");
    if (c.group != chunks.front().group) FuzzFail("DecodeChunkRecord: mixed chunks and groups");
    copies.push_back({c.min_t, c.max_t, std::string(c.bytes)});
  }
  if (copies.empty()) return;
  // Every sample, checked against its chunk or group; a record that decodes re-encodes (as
  // the compaction filter does) to a record of the same samples.
  std::vector<model::Sample> samples;
  s = warm::RecordSamples(chunks, &samples);
  if (!s.ok() && s.code() != StatusCode::kCorruption) FuzzFail("RecordSamples: " + s.ToString());
  if (s.ok() && !samples.empty()) {
    bool increasing = true;
    for (size_t i = 1; i < samples.size(); ++i) {
      increasing &= samples[i].timestamp_ms > samples[i - 1].timestamp_ms;
    }
    if (increasing) {
      std::string encoded = warm::EncodeGroupRecord(samples);
      std::vector<warm::RecordChunk> groups;
      std::vector<model::Sample> again;
      if (!warm::DecodeChunkRecord(encoded, &groups).ok() ||
          !warm::RecordSamples(groups, &again).ok() || again.size() != samples.size()) {
        FuzzFail("EncodeGroupRecord: the record does not decode to its samples");
      }
      for (size_t i = 0; i < again.size(); ++i) {
        if (again[i].timestamp_ms != samples[i].timestamp_ms ||
            std::bit_cast<uint64_t>(again[i].value) != std::bit_cast<uint64_t>(samples[i].value)) {
          FuzzFail("EncodeGroupRecord: a sample changed");
        }
      }
    }
  }
  std::string transcoded;
  if (warm::TranscodeRecord(in, &transcoded) == warm::TranscodeOutcome::kMismatch) {
    FuzzFail("TranscodeRecord: a re-encoded record did not read back");
  }
  if (chunks.front().group) return;
  std::string encoded = warm::EncodeChunkRecord(copies);
  std::vector<warm::RecordChunk> again;
  if (!warm::DecodeChunkRecord(encoded, &again).ok() || again.size() != chunks.size()) {
    FuzzFail("a re-encoded chunk record does not decode to as many chunks");
  }
  for (size_t i = 0; i < again.size(); ++i) {
    if (again[i].min_t != chunks[i].min_t || again[i].max_t != chunks[i].max_t ||
        again[i].bytes != chunks[i].bytes) {
      FuzzFail("a re-encoded chunk record decodes to other chunks");
    }
  }
}

void FuzzPostings(std::string_view in) {
  Roaring bitmap;
  if (!warm::DeserializeBitmap(in, &bitmap)) return;
  uint64_t n = bitmap.cardinality();
  uint64_t counted = 0;
  uint32_t previous = 0;
  for (uint32_t id : bitmap) {
    if (counted > 0 && id <= previous) FuzzFail("postings bitmap iterates out of order");
    previous = id;
    if (++counted > n) break;
  }
  if (counted != n) FuzzFail("postings bitmap: cardinality differs from iteration");
  std::string encoded = warm::SerializeBitmap(bitmap);
  Roaring again;
  if (!warm::DeserializeBitmap(encoded, &again) || !(again == bitmap)) {
    FuzzFail("postings bitmap: serialize -> deserialize changed it");
  }
}

void FuzzKeysAndValues(uint8_t which, std::string_view in) {
  switch (which) {
    case 0: {
      warm::PostingsKeyParts p;
      if (warm::ParsePostingsKey(in, &p)) {
        std::string key = p.name.empty() && p.value.empty()
                              ? warm::AllSeriesPostingsKey(p.part)
                              : warm::PostingsKey(p.part, p.name, p.value);
        if (key != in) FuzzFail("PostingsKey(ParsePostingsKey(k)) != k");
      }
      break;
    }
    case 1: {
      warm::ChunkKeyParts p;
      warm::DescribeChunkKey(in);
      if (warm::ParseChunkKey(in, &p) && warm::ChunkKey(p.part, p.series_id, p.first_t) != in) {
        FuzzFail("ChunkKey(ParseChunkKey(k)) != k");
      }
      break;
    }
    case 2: {
      int64_t part = 0;
      if (warm::ParsePartitionMetaKey(in, &part) && warm::PartitionMetaKey(part) != in) {
        FuzzFail("PartitionMetaKey(ParsePartitionMetaKey(k)) != k");
      }
      break;
    }
    case 3: {
      storage::WarmPartitionInfo info;
      if (warm::DecodePartitionInfo(in, &info) && warm::EncodePartitionInfo(info) != in) {
        FuzzFail("EncodePartitionInfo(DecodePartitionInfo(v)) != v");
      }
      break;
    }
    case 4: {
      uint64_t id = 0;
      if (warm::DecodeSeriesId(in, &id) && warm::EncodeSeriesId(id) != in) {
        FuzzFail("EncodeSeriesId(DecodeSeriesId(v)) != v");
      }
      break;
    }
    default: {
      uint64_t v = 0;
      if (warm::DecodeFixed64Value(in, &v) && warm::EncodeFixed64Value(v) != in) {
        FuzzFail("EncodeFixed64Value(DecodeFixed64Value(v)) != v");
      }
      break;
    }
  }
}

void FuzzWarm(std::span<const uint8_t> data) {
  InputReader reader(data);
  uint8_t which = reader.Byte();
  std::string_view in = reader.Rest();
  switch (which % 4) {
    case 0:
      FuzzLabels(in);
      break;
    case 1:
      FuzzChunkRecord(in);
      break;
    case 2:
      FuzzPostings(in);
      break;
    default:
      FuzzKeysAndValues(static_cast<uint8_t>((which >> 2) % 6), in);
      break;
  }
}

}  // namespace
}  // namespace strata::fuzz

STRATA_FUZZ_TARGET(warm, strata::fuzz::FuzzWarm)
