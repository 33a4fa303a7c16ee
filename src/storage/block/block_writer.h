// BlockWriter: builds one cold block (docs/format/block.md) in a local staging directory,
// streaming chunk groups to the chunk files as series are added; Finish() writes the index and
// meta.json. The directory is then uploaded (ColdStore::Upload). Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "model/labels.h"
#include "model/sample.h"
#include "storage/block/format.h"

namespace strata::storage::block {

// One encoded XOR chunk (docs/format/chunk.md) and its sample time bounds.
struct ChunkData {
  int64_t min_t = 0;
  int64_t max_t = 0;
  std::string_view bytes;
};

class BlockWriter {
 public:
  // `dir` must not exist (it is created). `meta` gives id, node, resolution, source and
  // created_ms, and for a 5m block the format version (1 writes no hour groups; the default is
  // kFormatVersion); the rest is filled in by Finish(). Raw and 1h blocks are version 1.
  static Result<std::unique_ptr<BlockWriter>> Create(const std::string& dir, BlockMeta meta);
  ~BlockWriter();
  BlockWriter(const BlockWriter&) = delete;
  BlockWriter& operator=(const BlockWriter&) = delete;

  // Adds a series and its chunks. REQUIRES: labels strictly increase across calls; chunks are
  // sorted by min_t and do not overlap; each holds at least one sample. The samples are
  // re-encoded into groups (EncodeSampleGroup: decimal where the values allow, else XOR). A
  // series without chunks is skipped. InvalidArgument when the requirements are violated or a
  // chunk does not decode, IOError on write failure.
  Status AddSeries(const model::Labels& labels, std::span<const ChunkData> chunks);
  // The same from samples sorted by time with unique timestamps.
  Status AddSeriesSamples(const model::Labels& labels, std::span<const model::Sample> samples);

  // The same for a downsampled block (meta.resolution_ms > 0): the series' windows, sorted,
  // each within one bucket of the resolution. A 5m block of version 2 also gets the series'
  // hour windows, combined from these (AggregateWindows).
  Status AddSeriesWindows(const model::Labels& labels, std::span<const AggrWindow> windows);

  // Writes the index and meta.json and closes the files. Returns the meta (also in
  // <dir>/meta.json). InvalidArgument when no series was added.
  Result<BlockMeta> Finish();

  const std::string& dir() const { return dir_; }

 private:
  BlockWriter(std::string dir, BlockMeta meta) : dir_(std::move(dir)), meta_(std::move(meta)) {}
  Status OpenChunkFile();
  Status CloseChunkFile();
  Status WriteGroup(std::span<const model::Sample> samples, SeriesEntry* entry);
  // Writes a stored group and appends its reference to *list.
  Status WriteStored(const std::string& stored, GroupRef ref, std::vector<GroupRef>* list);
  Status CheckNextSeries(const model::Labels& labels) const;
  void AddEntry(SeriesEntry entry, int64_t min_t, int64_t max_t);

  const std::string dir_;
  BlockMeta meta_;
  std::vector<SeriesEntry> series_;
  std::vector<AggrWindow> hours_;  // AddSeriesWindows' scratch: a 5m series' hour windows.
  int fd_ = -1;
  uint32_t file_no_ = 0;
  uint64_t file_bytes_ = 0;
  uint32_t file_crc_ = 0;
  bool finished_ = false;
};

}  // namespace strata::storage::block
