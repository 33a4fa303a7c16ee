// ColdStore: the cold tier. Immutable blocks (docs/format/block.md) in an object store (a local
// directory or S3), written by the warm -> cold move and by restore, read through ranged GETs and
// a byte-budgeted cache. Each node writes under its own prefix; with read_all_nodes the store
// answers queries over every node's blocks in the bucket. The block list is refreshed by Sync().
// Thread-safe: queries run concurrently with one writer (Upload / Delete / Sync).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "base/result.h"
#include "storage/block/block_reader.h"
#include "storage/block/format.h"
#include "storage/downsample.h"
#include "storage/object_store.h"
#include "storage/querier.h"
#include "storage/warm_store.h"

namespace prometheus {
class Registry;
}

namespace strata::storage {

struct ColdOptions {
  // This node's prefix in the store (block::IsValidNodeId). Required.
  std::string node_id;
  // Also answer queries over every other node's blocks in the store. Default: false.
  bool read_all_nodes = false;
  // Byte budget of the in-memory cache of index headers, series entries, postings and chunk
  // groups. Default: 128 MiB.
  size_t cache_bytes = size_t{128} << 20;
  // Uploads of this node without a meta.json older than this are deleted by
  // CollectPartialUploads. Default: 1 h.
  int64_t partial_grace_ms = 3600 * 1000;
  // A local file where the newest sample time of this node's cold blocks is kept (written
  // when it grows), so that while the store cannot be listed the node still knows which
  // queries need no cold data (known_max_time()). Empty: not kept. OpenColdStore sets
  // <data-dir>/cold-max-time.
  std::string state_file;
  // How long Open waits for the first listing. A store that answers slowly (or not at all:
  // a hung endpoint costs every attempt its whole request timeout) must not hold up the
  // server's start-up: after this the store opens unsynced and the listing goes on in the
  // background (as after a failed one, the compactor also retries). Default: 10 s.
  std::chrono::milliseconds initial_sync_timeout{10'000};
};

struct ColdStats {
  uint64_t blocks = 0;
  uint64_t own_blocks = 0;
  uint64_t bytes = 0;  // Sum of the blocks' file sizes.
  uint64_t series = 0;
  uint64_t samples = 0;
  int64_t min_time = INT64_MAX;
  int64_t max_time = INT64_MIN;
  uint64_t cache_hits = 0;
  uint64_t cache_misses = 0;
  uint64_t cache_bytes = 0;
  uint64_t bytes_fetched = 0;  // Downloaded by queries (ranged GETs), since start.
  uint64_t requests = 0;       // Ranged GETs by queries, since start.
  // Blocks and bytes per resolution (0 raw, 300000, 3600000).
  struct PerResolution {
    uint64_t blocks = 0;
    uint64_t bytes = 0;
    uint64_t samples = 0;  // Windows for downsampled blocks.
  };
  std::map<int64_t, PerResolution> by_resolution;
};

class ColdStore final : public Querier {
 public:
  // Takes the object store; lists the committed blocks once. When that listing fails (the
  // store is unreachable) the store still opens, unsynced: see synced(). `registry` may be
  // null.
  static Result<std::unique_ptr<ColdStore>> Open(std::unique_ptr<objstore::ObjectStore> store,
                                                 ColdOptions options,
                                                 prometheus::Registry* registry);

  // True while the first listing (started by Open) is still under way in the background: a
  // Sync() now would wait for it (for as long as a hanging store takes).
  bool initial_sync_running() const { return initial_sync_running_.load(); }

  // True once a listing of the object store has succeeded. Until then the block list is
  // unknown: queries that may need cold data (see SetLocalFloor) fail with Unavailable instead
  // of answering without it, and the compactor moves nothing to the cold tier; the compactor's
  // thread retries the listing every 5 s.
  bool synced() const { return synced_.load(std::memory_order_acquire); }
  // `floor()` returns a time from which on the local tiers hold everything (cold data is only
  // older): queries starting there need no cold data even while unsynced. Default: none
  // (INT64_MAX: every query needs the cold tier).
  void SetLocalFloor(std::function<int64_t()> floor);
  // The newest sample time of this node's cold blocks as last recorded in the state file (or
  // seen since), INT64_MIN when none is known.
  int64_t known_max_time() const;
  ~ColdStore() override;

  // Re-lists the store: picks up blocks committed by other nodes (or restored), forgets deleted
  // ones. Blocks whose meta.json does not verify are skipped with an error log and counted.
  Status Sync();

  // Uploads the block BlockWriter built in `dir`: every data file, each verified by reading it
  // back and comparing size and CRC32C with `meta`, then meta.json, the commit mark. The block
  // is visible to queries once this returns OK. `after_files` (tests) runs between the data
  // files and the meta; a non-OK status from it aborts the upload.
  Status Upload(const std::string& dir, const block::BlockMeta& meta,
                const std::function<Status()>& after_files = {});

  // This node's committed block with the given meta `source`, if any.
  std::optional<block::BlockMeta> FindOwnBySource(const std::string& source) const;
  // Every known block (all nodes when read_all_nodes), sorted by (min_time, node, id).
  std::vector<block::BlockMeta> Blocks() const;
  // Deletes one of this node's blocks: meta.json first, then the rest.
  Status Delete(const block::BlockMeta& meta);
  // Deletes this node's blocks whose max_time < t (only those of `resolution_ms` when it is
  // >= 0). Returns how many.
  Result<int> DropBlocksBefore(int64_t t, int64_t resolution_ms = -1);
  // Deletes this node's objects that belong to no committed block and are older than the
  // grace period (by last-modified time vs `now_ms`). Returns how many objects.
  Result<int> CollectPartialUploads(int64_t now_ms);

  // Builds, in the new directory `dir`, the downsampled block of committed block `source` at
  // `resolution_ms` (raw -> 5m or 1h, 5m -> 1h), reading it a batch of series at a time so
  // memory stays bounded whatever the block's size. `meta` gives id, node and created_ms;
  // resolution and source (DownsampleSource) are set here. NotFound when `source` is not
  // known or has no windows to write (its series hold stale markers only); InvalidArgument for
  // a resolution that cannot be built from it.
  Result<block::BlockMeta> BuildDownsampled(const block::BlockMeta& source, int64_t resolution_ms,
                                            block::BlockMeta meta, const std::string& dir) const;

  // Newest sample time in the known blocks, INT64_MIN when none.
  int64_t max_time() const;
  ColdStats Stats() const;
  const ColdOptions& options() const { return options_; }
  objstore::ObjectStore* object_store() const { return store_.get(); }

  // Querier.
  Result<std::unique_ptr<SeriesSet>> Select(const model::Matchers& matchers,
                                            const SelectHints& hints) const override;
  Result<std::vector<model::Labels>> Series(const model::Matchers& matchers, int64_t mint,
                                            int64_t maxt) const override;
  Result<std::vector<std::string>> LabelNames(const std::vector<model::Matchers>& selectors,
                                              int64_t mint, int64_t maxt) const override;
  Result<std::vector<std::string>> LabelValues(const std::string& name,
                                               const std::vector<model::Matchers>& selectors,
                                               int64_t mint, int64_t maxt) const override;

 private:
  ColdStore(std::unique_ptr<objstore::ObjectStore> store, ColdOptions options);
  // A block that answers part of a read and, when it is a 1h block standing in for its 5m
  // parent (hour-aligned reads, see Select), that parent.
  struct Pick {
    std::shared_ptr<block::BlockReader> block;
    std::shared_ptr<block::BlockReader> finer;
  };
  // The blocks that answer [mint, maxt]: of each downsampling chain (raw -> 5m -> 1h) the
  // coarsest block with resolution <= preferred_ms, else the finest with <= max_ms; in time order.
  // With `hours_for_5m`, a 5m pick whose 1h child exists is replaced by the child, and else one
  // whose hour windows are stored in it (BlockReader::hours()) by those; the 5m block is kept
  // as the pick's `finer`.
  std::vector<Pick> Overlapping(int64_t mint, int64_t maxt, int64_t preferred_ms, int64_t max_ms,
                                bool hours_for_5m = false) const;
  // OK when the block list is known or when [mint, ...) needs no cold data; else Unavailable.
  Status CheckAvailable(int64_t mint) const;
  Status SyncOnce();
  // Records this node's newest cold sample time when it grew (a read-modify-write of
  // known_max_time_ that write_mu_ serializes).
  void RecordOwnMaxTime() STRATA_REQUIRES(write_mu_);
  void AddBlock(block::BlockMeta meta);

  std::unique_ptr<objstore::ObjectStore> store_;
  const ColdOptions options_;
  mutable block::BlockCache cache_;

  Mutex write_mu_;  // Serializes Upload, Delete, Sync.
  std::atomic<bool> synced_{false};
  // The first listing, when it outlived initial_sync_timeout; joined by the destructor (after
  // interrupting the store).
  std::thread initial_sync_;
  std::atomic<bool> initial_sync_running_{false};
  mutable Mutex sync_mu_;
  Status last_sync_error_ STRATA_GUARDED_BY(sync_mu_);
  std::function<int64_t()> local_floor_ STRATA_GUARDED_BY(sync_mu_);
  std::atomic<int64_t> known_max_time_{INT64_MIN};
  mutable Mutex mu_;
  // Keyed by "<node>/<id>".
  std::map<std::string, std::shared_ptr<block::BlockReader>> blocks_ STRATA_GUARDED_BY(mu_);
};

// The meta `source` of the block downsampled from `source`: "downsample:<node>/<id>".
std::string DownsampleSource(const block::BlockMeta& source);

// How a data directory's cold tier is configured (the --storage.cold.* flags).
struct ColdConfig {
  objstore::ObjectStoreOptions store;  // url "" = <data-dir>/cold.
  // node_id "" = the id kept in <data-dir>/node-id (generated there on first use).
  ColdOptions cold;
};

// The node id to use: `flag` when set (and recorded in <data-dir>/node-id when none is there
// yet), else the recorded one, else a new "node-<12 hex digits>" recorded durably.
// InvalidArgument for an invalid id, or one that differs from the recorded id (the data
// directory's blocks belong to that node).
Result<std::string> LoadOrCreateNodeId(const std::string& data_dir, const std::string& flag);

// Builds, in the new directory `dir`, the cold block of warm partition `part` (its chunks as
// they are, series in label order). `meta` gives id, node, source and created_ms. NotFound when
// the partition holds no series.
Result<block::BlockMeta> BuildBlockFromWarmPartition(const WarmStore& warm, int64_t part,
                                                     block::BlockMeta meta, const std::string& dir);

// Opens the object store and the cold tier of `data_dir`.
Result<std::unique_ptr<ColdStore>> OpenColdStore(const std::string& data_dir, ColdConfig config,
                                                 prometheus::Registry* registry);

}  // namespace strata::storage
