// WarmStore::Impl, shared by the write path (warm_store.cc) and the read path
// (warm_store_read.cc). Lock order: write_mu_, then life_mu_, then state_mu_. Every RocksDB call
// runs under life_mu_ (shared; Close takes it exclusively), never under state_mu_.
// Layout: docs/format/warm.md.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <rocksdb/db.h>
#include <rocksdb/statistics.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <roaring/roaring.hh>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/mutex.h"
#include "base/result.h"
#include "base/thread_annotations.h"
#include "model/labels.h"
#include "model/matcher.h"
#include "storage/warm/rocks_options.h"
#include "storage/warm_store.h"

namespace strata::storage {

class WarmStore::Impl {
 public:
  // No I/O; Open() does it.
  Impl(std::string dir, WarmOptions options);
  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  Impl(Impl&&) = delete;
  Impl& operator=(Impl&&) = delete;

  // Opens RocksDB and loads (or, for a fresh store, writes) the meta entries. Called once.
  Status Open();
  Status Close();
  // Deletes the RocksDB log files of earlier opens (end of Open). Best effort.
  void DropOldLogFiles() STRATA_REQUIRES_SHARED(life_mu_);

  Status WriteRange(int64_t range_min, int64_t range_max, std::span<const WarmSeriesData> series);
  Result<int> DropPartitionsBefore(int64_t t);
  Result<bool> DropOldestPartition();
  Result<std::vector<std::pair<uint64_t, model::Labels>>> PartitionSeries(int64_t part) const;
  Result<std::vector<model::Sample>> PartitionSamples(int64_t part, uint64_t id) const;
  Result<bool> DropPartitionIfPresent(int64_t part);
  Status CompactChunks();
  WarmStats Stats() const;
  int64_t partition_ms() const { return options_.partition_ms; }
  int64_t covered_until() const;
  int64_t max_time() const;
  int64_t oldest_partition_start() const;

  Result<std::unique_ptr<SeriesSet>> Select(const model::Matchers& matchers,
                                            const SelectHints& hints) const;
  Result<std::vector<model::Labels>> Series(const model::Matchers& matchers, int64_t mint,
                                            int64_t maxt) const;
  Result<std::vector<std::string>> LabelNames(const std::vector<model::Matchers>& selectors,
                                              int64_t mint, int64_t maxt) const;
  Result<std::vector<std::string>> LabelValues(const std::string& name,
                                               const std::vector<model::Matchers>& selectors,
                                               int64_t mint, int64_t maxt) const;

  // The samples of series `id` in [start, end], read from the partitions starting at `parts`
  // (ascending), merged by time with repeated timestamps dropped (the first one read wins).
  // Reads as of `snapshot` (null: the latest state), filling the block cache when `fill_cache`.
  // Takes life_mu_ itself: Unavailable after Close.
  Status ReadSeriesSamples(uint64_t id, std::span<const int64_t> parts, int64_t start, int64_t end,
                           const rocksdb::Snapshot* snapshot, std::vector<model::Sample>* out,
                           bool fill_cache = true) const;

  // A RocksDB snapshot for a series set's lazy reads, released when the last holder drops it
  // (a no-op once the store is closed). A partition dropped after it was taken stays readable
  // through it: DropPartition's range deletes respect snapshots, and it leaves the files in the
  // range for later compactions while any snapshot lives (DeleteFilesInRange does not respect
  // them). Null when the store is closed.
  std::shared_ptr<const rocksdb::Snapshot> TakeSnapshot() const;

 private:
  struct PendingIds;

  // --- write path helpers; REQUIRES: write_mu_ and life_mu_ (shared) held, db_ open. ---
  // Writes one self-contained batch; group_samples[i] counts the samples of group[i].
  Status WriteGroup(int64_t part, int64_t range_max, std::span<const WarmSeriesData> group,
                    std::span<const uint64_t> group_samples, bool last) STRATA_REQUIRES(write_mu_)
      STRATA_REQUIRES_SHARED(life_mu_);
  Result<uint64_t> FindOrAllocateId(const model::Labels& labels, rocksdb::WriteBatch* batch,
                                    PendingIds* pending) STRATA_REQUIRES(write_mu_)
      STRATA_REQUIRES_SHARED(life_mu_);
  Status DropPartition(int64_t part) STRATA_REQUIRES(write_mu_) STRATA_REQUIRES_SHARED(life_mu_);

  // --- read path helpers; REQUIRES: life_mu_ held (shared), db_ open. ---
  std::vector<WarmPartitionInfo> Overlapping(int64_t mint, int64_t maxt) const
      STRATA_REQUIRES_SHARED(life_mu_);
  Result<Roaring> GetPostings(int64_t part, std::string_view name, std::string_view value) const
      STRATA_REQUIRES_SHARED(life_mu_);
  Result<Roaring> UnionPostingsWhere(int64_t part, std::string_view name,
                                     const std::function<bool(std::string_view)>& pred) const
      STRATA_REQUIRES_SHARED(life_mu_);
  // Head::ResolvePostings' semantics within one partition.
  // REQUIRES: CheckSelectorMatchers(matchers).ok().
  Result<Roaring> ResolveInPartition(int64_t part, const model::Matchers& matchers) const
      STRATA_REQUIRES_SHARED(life_mu_);
  // Keeps the ids having a chunk whose bounds overlap [mint, maxt] in partition `p`; every id
  // when the partition lies inside the range.
  Result<Roaring> FilterByTime(const WarmPartitionInfo& p, Roaring ids, int64_t mint,
                               int64_t maxt) const STRATA_REQUIRES_SHARED(life_mu_);
  Result<bool> HasChunkIn(rocksdb::Iterator* it, int64_t part, uint64_t id, int64_t mint,
                          int64_t maxt) const STRATA_REQUIRES_SHARED(life_mu_);
  // Union over overlapping partitions of the ids matching and having data in [mint, maxt].
  Result<Roaring> MatchingIds(const model::Matchers& matchers, int64_t mint, int64_t maxt) const
      STRATA_REQUIRES_SHARED(life_mu_);
  // Labels of `ids`, in the same order. Corruption when an id has no labels entry.
  Result<std::vector<model::Labels>> LoadLabels(std::span<const uint64_t> ids) const
      STRATA_REQUIRES_SHARED(life_mu_);
  Status ClosedError() const;
  // Writers call this first. After an append to RocksDB's log failed (a full disk), its log
  // writer cannot be used again (RocksDB 7.8 as Debian builds it aborts the process on the
  // next append, and Resume() keeps that writer), so the store refuses writes until a
  // restart: Unavailable naming the error. After a flush, compaction or log-less write failed,
  // RocksDB's error is sticky: Resume() clears it (an error if it cannot yet).
  Status CheckWritable() STRATA_REQUIRES_SHARED(life_mu_);
  // FromRocks, noting an I/O error for CheckWritable (`log_append`: a write through RocksDB's
  // log).
  Status WriteError(const rocksdb::Status& rs, std::string_view what, bool log_append = false);
  // ResourceExhausted when the disk has less than options_.min_free_bytes + 2 * bytes free.
  Status CheckFreeSpace(uint64_t bytes) const;

  rocksdb::ColumnFamilyHandle* cf(warm::CfIndex i) const STRATA_REQUIRES_SHARED(life_mu_) {
    return handles_[i];
  }

  const std::string dir_;
  const WarmOptions options_;

  // The chunks family's compaction filter, set by Open() before the Impl is shared. Declared
  // before db_ so that it outlives the database whatever the destruction path.
  std::shared_ptr<warm::TranscodeFilter> transcode_;
  std::shared_ptr<warm::BackgroundErrors> bg_errors_;  // Set by Open().

  // Writers (WriteRange, Drop*, Close) serialize on write_mu_.
  Mutex write_mu_;
  // db_ and handles_ are set by Open() before the Impl is shared and reset only by Close()
  // holding life_mu_ exclusively; everyone else uses them holding it shared.
  mutable SharedMutex life_mu_;
  std::unique_ptr<rocksdb::DB> db_ STRATA_GUARDED_BY(life_mu_);
  std::vector<rocksdb::ColumnFamilyHandle*> handles_ STRATA_GUARDED_BY(life_mu_);
  std::shared_ptr<rocksdb::Statistics> statistics_;
  // See CheckWritable.
  Mutex error_mu_;
  std::string log_error_ STRATA_GUARDED_BY(error_mu_);
  bool needs_resume_ STRATA_GUARDED_BY(error_mu_) = false;

  // The meta entries as last written; readers copy what they need.
  mutable Mutex state_mu_;
  std::map<int64_t, WarmPartitionInfo> partitions_ STRATA_GUARDED_BY(state_mu_);
  int64_t covered_until_ STRATA_GUARDED_BY(state_mu_) = INT64_MIN;
  uint64_t next_series_id_ STRATA_GUARDED_BY(state_mu_) = 0;
};

}  // namespace strata::storage
