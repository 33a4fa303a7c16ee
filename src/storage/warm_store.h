// WarmStore: the warm tier, in RocksDB under <data-dir>/warm. Holds the chunks the head moved
// out, partitioned by UTC day so retention drops whole partitions. Column families: series
// (stable warm series id <-> labels), postings (partition, label pair -> roaring bitmap of
// series ids, unioned by a merge operator), chunks (partition, series id, first sample time ->
// the series' chunks of one move range) and meta (format version, partitions, the covered
// time). Keys are deterministic, so repeating a move after a crash overwrites instead of
// duplicating. Layout: docs/format/warm.md. Thread-safe: reads run concurrently with one
// writer (WriteRange and the Drop* calls serialize on an internal mutex).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "model/labels.h"
#include "storage/querier.h"

namespace prometheus {
class Registry;
}
namespace rocksdb {
class Env;
}

namespace strata::storage {

struct WarmOptions {
  // Width of a partition, in ms; partitions start at multiples of it (UTC). Retention drops
  // whole partitions, so this is also the granularity of retention. Must be a multiple of the
  // head's chunk range (moves never straddle partitions). Persisted at creation; a different
  // value on a later Open is InvalidArgument. Default: 1 day.
  int64_t partition_ms = int64_t{24} * 3600 * 1000;
  // RocksDB block cache shared by every column family, in bytes (data, index and filter
  // blocks: the warm tier's memory stays within it). Larger: fewer reads for repeated
  // queries over old data; smaller: lower RSS. Default: 32 MiB.
  size_t block_cache_bytes = size_t{32} << 20;
  // fsync RocksDB's log on every WriteRange batch. A move deletes WAL segments only after the
  // warm write is durable, so this stays true outside tests. Default: true.
  bool sync = true;
  // Moves write a series' record as version 2 (its samples as cold-block groups) when the
  // re-encoding rule takes it, as compactions do (docs/format/warm.md, record version 2); false
  // writes the head's chunks as they are and leaves the re-encoding to compactions (tests of
  // that path). Default: true.
  bool reencode_moves = true;
  // A move is refused (ResourceExhausted) unless the disk has this much free beyond twice the
  // move's size: RocksDB cannot write again after its log met a full disk. Default: 64 MiB.
  uint64_t min_free_bytes = uint64_t{64} << 20;
  // RocksDB's environment (borrowed; must outlive the store): tests inject file-system faults.
  // Default: null, RocksDB's default environment.
  rocksdb::Env* env = nullptr;

  Status Validate() const;
};

// One encoded Gorilla chunk (docs/format/chunk.md) and its time bounds.
struct WarmChunk {
  int64_t min_t = 0;
  int64_t max_t = 0;
  std::string bytes;
};

// One series' data in a move range: chunks sorted by min_t, not overlapping.
struct WarmSeriesData {
  model::Labels labels;
  std::vector<WarmChunk> chunks;
};

struct WarmPartitionInfo {
  int64_t start = 0;  // Partition covers [start, start + partition_ms).
  int64_t min_t = 0;  // Of the samples written to it.
  int64_t max_t = 0;
  uint64_t chunks = 0;  // Chunk records (one per series per move range).
  uint64_t samples = 0;
};

struct WarmStats {
  uint64_t disk_bytes = 0;                    // Live SST + RocksDB WAL files.
  uint64_t series = 0;                        // Series ids allocated.
  std::vector<WarmPartitionInfo> partitions;  // Sorted by start.
  uint64_t block_cache_bytes = 0;             // In use in the block cache.
  uint64_t memtable_bytes = 0;                // RocksDB memtables, all families.
  uint64_t table_reader_bytes = 0;            // Open table files' metadata outside the block cache.
  uint64_t block_cache_hits = 0;
  uint64_t block_cache_misses = 0;
  // Chunk records re-encoded by moves and compactions (docs/format/warm.md, record version 2),
  // their bytes before and after, and re-encodings refused because the result did not read back.
  uint64_t transcoded_records = 0;
  uint64_t transcoded_bytes_before = 0;
  uint64_t transcoded_bytes_after = 0;
  uint64_t transcode_failures = 0;
  int64_t covered_until = INT64_MIN;  // See WarmStore::covered_until().
};

class WarmStore final : public Querier {
 public:
  // Opens or creates the store in `dir`. InvalidArgument for bad options or a partition width
  // that differs from the persisted one; Corruption (naming the directory) when RocksDB finds
  // damage or the format version is unknown; IOError otherwise. `registry` may be null.
  static Result<std::unique_ptr<WarmStore>> Open(const std::string& dir, WarmOptions options,
                                                 prometheus::Registry* registry);
  ~WarmStore() override;
  WarmStore(const WarmStore&) = delete;
  WarmStore& operator=(const WarmStore&) = delete;

  // Writes the data of the move range [range_min, range_max): for each series its labels (a
  // warm series id is allocated in the same atomic batch when new), one chunk record keyed by
  // the series' first sample time in the range, and its postings. Then records
  // covered_until = max(covered_until, range_max). Durable when it returns OK (per
  // WarmOptions::sync). Repeating the same call overwrites the same keys.
  // REQUIRES: [range_min, range_max) lies in one partition; every chunk of `series` lies in it.
  // InvalidArgument when the range violates that; IOError on write failure (nothing is
  // recorded as covered then; a partial write is overwritten by the retry).
  Status WriteRange(int64_t range_min, int64_t range_max, std::span<const WarmSeriesData> series);

  // The end of the newest move range written: the head may drop everything before it.
  // INT64_MIN when nothing was written.
  int64_t covered_until() const;
  // Newest sample time held, or INT64_MIN when empty.
  int64_t max_time() const;
  // Start of the oldest partition, or INT64_MIN when there is none. Cheap (no RocksDB call).
  int64_t oldest_partition_start() const;
  // Width of a partition (WarmOptions::partition_ms).
  int64_t partition_ms() const;

  // Drops every partition that ends at or before `t` (partition start + width <= t): range
  // deletes on every family, then compaction of those ranges so the disk space comes back.
  // Returns how many partitions were dropped.
  Result<int> DropPartitionsBefore(int64_t t);
  // Drops the oldest partition (size-based retention). Returns false when there is none.
  Result<bool> DropOldestPartition();

  // For the move to the cold tier. The series with data in the partition starting at `part`,
  // as (warm series id, labels), sorted by labels.
  Result<std::vector<std::pair<uint64_t, model::Labels>>> PartitionSeries(int64_t part) const;
  // Series `id`'s samples in partition `part`, sorted by time (records that overlap, after a
  // retried move with other data, are merged by time; the first of equal timestamps wins).
  Result<std::vector<model::Sample>> PartitionSamples(int64_t part, uint64_t id) const;
  // Drops the partition starting at `part` as retention does. False when there is none.
  Result<bool> DropPartition(int64_t part);

  // Compacts the whole chunks family now, which re-encodes every version 1 record the
  // compaction filter can shrink (docs/format/warm.md, record version 2). RocksDB does this
  // in the background as data accumulates; `strata compact` and tests call it.
  Status CompactChunks();

  WarmStats Stats() const;

  // Querier. Series are read from every partition overlapping the time range; samples of a
  // series come out merged across partitions and chunk records, deduplicated by timestamp.
  Result<std::unique_ptr<SeriesSet>> Select(const model::Matchers& matchers,
                                            const SelectHints& hints) const override;
  Result<std::vector<model::Labels>> Series(const model::Matchers& matchers, int64_t mint,
                                            int64_t maxt) const override;
  Result<std::vector<std::string>> LabelNames(const std::vector<model::Matchers>& selectors,
                                              int64_t mint, int64_t maxt) const override;
  Result<std::vector<std::string>> LabelValues(const std::string& name,
                                               const std::vector<model::Matchers>& selectors,
                                               int64_t mint, int64_t maxt) const override;

  // Flushes and closes RocksDB. Idempotent; calls after Close() fail with Unavailable.
  Status Close();

  class Impl;

 private:
  explicit WarmStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::storage
