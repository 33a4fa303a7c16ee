// Key and value codecs of the warm store's column families: partition and time prefixes,
// series, postings, chunk records and meta entries. Pure functions, thread-safe. Every byte
// here is fixed by docs/format/warm.md (format version 2): never change an encoding.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "model/labels.h"
#include "model/sample.h"
#include "storage/block/format.h"
#include "storage/warm_store.h"

namespace strata::storage::warm {

// The on-disk format version this code writes and reads (meta "format_version").
inline constexpr uint64_t kFormatVersion = 2;
// The previous format version, migrated at Open (it has only version 1 chunk records).
inline constexpr uint64_t kFormatVersionChunksOnly = 1;
// Version bytes of a chunk record: Gorilla chunks as the head cut them (written by moves), and
// the same samples as cold-block groups (written by the compaction filter, warm/transcode.h).
inline constexpr uint8_t kChunkRecordVersion = 1;
inline constexpr uint8_t kGroupRecordVersion = 2;
// Series ids stay below 2^32: postings are 32-bit roaring bitmaps.
inline constexpr uint64_t kMaxSeriesIds = uint64_t{1} << 32;

inline constexpr size_t kTimeKeyBytes = 8;
inline constexpr size_t kChunkPrefixBytes = 16;  // Partition + series id.
inline constexpr size_t kChunkKeyBytes = 24;     // + first sample time.

// Meta keys.
inline constexpr std::string_view kMetaFormatVersion = "format_version";
inline constexpr std::string_view kMetaPartitionMs = "partition_ms";
inline constexpr std::string_view kMetaNextSeriesId = "next_series_id";
inline constexpr std::string_view kMetaCoveredUntil = "covered_until";
inline constexpr std::string_view kMetaPartitionPrefix = "partition/";

// Series key prefixes.
inline constexpr char kSeriesByLabels = 'L';
inline constexpr char kSeriesById = 'I';

// Big-endian fixed 64 (keys only).
void PutBe64(std::string* dst, uint64_t v);
// REQUIRES: p points at >= 8 readable bytes.
uint64_t DecodeBe64(const char* p);
// time64: big-endian with the sign bit flipped, so byte order is signed numeric order.
void PutTime64(std::string* dst, int64_t t);
// REQUIRES: p points at >= 8 readable bytes.
int64_t DecodeTime64(const char* p);

// floor(t / width) * width. REQUIRES: width > 0.
int64_t PartitionStart(int64_t t, int64_t width);

// The 8-byte key prefix of a partition: time64(part).
std::string PartitionPrefix(int64_t part);

// --- series ---
// varint(n) { lp(name) lp(value) }*n.
std::string EncodeLabels(const model::Labels& labels);
void AppendLabels(std::string* dst, const model::Labels& labels);
// Corruption (without context) when the bytes are malformed.
Result<model::Labels> DecodeLabels(std::string_view in);
std::string SeriesByLabelsKey(const model::Labels& labels);
std::string SeriesByIdKey(uint64_t id);
std::string EncodeSeriesId(uint64_t id);
bool DecodeSeriesId(std::string_view in, uint64_t* id);

// --- postings ---
std::string PostingsKey(int64_t part, std::string_view name, std::string_view value);
// time64(part) name 0x00: every value of `name` in the partition starts with it.
std::string PostingsNamePrefix(int64_t part, std::string_view name);
// The all-series entry of a partition (empty name and value).
std::string AllSeriesPostingsKey(int64_t part);
struct PostingsKeyParts {
  int64_t part = 0;
  std::string_view name;   // Empty for the all-series entry. Borrows the key.
  std::string_view value;  // Borrows the key.
};
// False when `key` is not a well-formed postings key.
bool ParsePostingsKey(std::string_view key, PostingsKeyParts* out);

// --- chunks ---
std::string ChunkKey(int64_t part, uint64_t series_id, int64_t first_t);
std::string ChunkSeriesPrefix(int64_t part, uint64_t series_id);
struct ChunkKeyParts {
  int64_t part = 0;
  uint64_t series_id = 0;
  int64_t first_t = 0;
};
bool ParseChunkKey(std::string_view key, ChunkKeyParts* out);
// A readable name of a chunk key for error messages.
std::string DescribeChunkKey(std::string_view key);

// One chunk (version 1) or group (version 2) of a decoded record; `bytes` borrows the record.
struct RecordChunk {
  int64_t min_t = 0;
  int64_t max_t = 0;
  std::string_view bytes;
  // Version 2: `bytes` is a stored chunk-file group (docs/format/block.md) of `samples`
  // samples in `chunks` chunks, to be decoded with block::DecodeGroupSamples.
  bool group = false;
  uint64_t samples = 0;
  uint64_t chunks = 0;
};
// A version 1 record. REQUIRES: !chunks.empty(), min_t <= max_t for each.
std::string EncodeChunkRecord(std::span<const WarmChunk> chunks);
// A version 2 record of `samples` (sorted, strictly increasing timestamps, not empty): groups
// of at most block::kMaxGroupSamples samples, stored raw (codec 0).
std::string EncodeGroupRecord(std::span<const model::Sample> samples);
// Checks the CRC, the version, that the fields exactly fill the record and that each span is
// sane. Corruption (without context) otherwise. `out` is replaced; its views borrow `value`.
// A group's own bytes are checked when it is decoded.
Status DecodeChunkRecord(std::string_view value, std::vector<RecordChunk>* out);
// The group reference of a version 2 entry, for block::DecodeGroupSamples.
block::GroupRef RecordGroupRef(const RecordChunk& c);
// Every sample of a decoded record (either version), checked against each chunk's or group's
// bounds and counts; times strictly increase within a chunk or group. Appends to *out.
Status RecordSamples(std::span<const RecordChunk> chunks, std::vector<model::Sample>* out);

// --- meta ---
std::string PartitionMetaKey(int64_t part);
bool ParsePartitionMetaKey(std::string_view key, int64_t* part);
std::string EncodePartitionInfo(const WarmPartitionInfo& info);
// Fills all but `start`. False when the value is not 32 bytes.
bool DecodePartitionInfo(std::string_view value, WarmPartitionInfo* info);
std::string EncodeFixed64Value(uint64_t v);
bool DecodeFixed64Value(std::string_view value, uint64_t* v);

// The smallest string greater than every string starting with `prefix`, or "" when none
// exists (prefix of all 0xff bytes).
std::string PrefixSuccessor(std::string prefix);

}  // namespace strata::storage::warm
