// BlockReader: reads one committed cold block (docs/format/block.md) from an object store with
// ranged GETs through a shared byte-budgeted LRU cache (BlockCache): the index header once, then
// only the postings lists, series entries and chunk groups a query needs, nearby ranges merged
// into one request. Every error names the block. Thread-safe.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <roaring/roaring.hh>
#include <span>
#include <string>
#include <vector>

#include "base/lru_cache.h"
#include "base/mutex.h"
#include "base/result.h"
#include "model/matcher.h"
#include "storage/block/format.h"
#include "storage/object_store.h"

namespace strata::storage::block {

// What the cache holds: raw bytes of a range, a decoded index header, or a decoded and checked
// series entry.
struct CachedValue {
  std::string bytes;
  std::shared_ptr<const IndexHeader> header;
  SeriesEntry entry;
};

// What a cache entry is: a block (BlockCache::BlockId), one of its files, and a range of it.
// Fixed-size, so a lookup builds no string and compares no heap bytes (a query makes thousands).
struct BlockCacheKey {
  static constexpr uint32_t kIndexFile = UINT32_MAX;  // `file` of the index; else chunks/<file>
  // kSeriesEntry: a series entry as LoadEntries gives it; kHourSeriesEntry: the same of a
  // 5m block's hours() reader (its groups are the hour groups).
  enum Kind : uint32_t { kBytes, kUnsealedGroup, kIndexHeader, kSeriesEntry, kHourSeriesEntry };

  uint64_t block = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
  uint32_t file = 0;
  uint32_t kind = kBytes;

  friend bool operator==(const BlockCacheKey&, const BlockCacheKey&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const BlockCacheKey& k) {
    return H::combine(std::move(h), k.block, k.offset, k.length, k.file, k.kind);
  }
};

// Shared by every block of a store. Counts hits, misses and bytes fetched.
class BlockCache {
 public:
  explicit BlockCache(size_t capacity_bytes) : lru_(capacity_bytes) {}
  LruCache<BlockCacheKey, CachedValue>& lru() { return lru_; }
  // A number for the block stored under `prefix`, the same for every reader of it (so they
  // share entries) and never reused for another block.
  uint64_t BlockId(const std::string& prefix) STRATA_EXCLUDES(ids_mu_);
  std::atomic<uint64_t> bytes_fetched{0};
  std::atomic<uint64_t> requests{0};

 private:
  LruCache<BlockCacheKey, CachedValue> lru_;
  Mutex ids_mu_;
  absl::flat_hash_map<std::string, uint64_t> ids_ STRATA_GUARDED_BY(ids_mu_);
};

class BlockReader {
 public:
  // Bytes read from a block, shared with the cache.
  using Bytes = std::shared_ptr<const CachedValue>;
  // A decoded series entry, shared with the cache.
  using Entry = std::shared_ptr<const SeriesEntry>;

  // Whether bytes fetched on a miss go into the cache. One-off scans (building a downsampled
  // block) read with kNoFill: they still use what queries cached, but leave the cache (and the
  // process' memory) to queries.
  enum class Fill { kFill, kNoFill };

  // Ranges closer than this are fetched with one request, up to kMaxRequestBytes per request.
  static constexpr uint64_t kMergeGapBytes = 64 << 10;
  static constexpr uint64_t kMaxRequestBytes = 8 << 20;

  // `store` and `cache` must outlive the reader.
  BlockReader(objstore::ObjectStore* store, BlockCache* cache, BlockMeta meta);

  const BlockMeta& meta() const { return meta_; }
  // For a 5m block of format version 2: a reader of the same block that reads the series' hour
  // windows (docs/format/block.md, "Hour groups") as a 1h block's: its meta() is this block's
  // with resolution_ms 1h, and LoadSeries gives each series' hour groups as its groups. Null
  // for every other block. It shares this reader's cache entries for the index (header,
  // postings); its decoded series entries are cached apart.
  const std::shared_ptr<BlockReader>& hours() const { return hours_; }
  // "<node>/<id>", for messages.
  const std::string& name() const { return name_; }

  Result<std::shared_ptr<const IndexHeader>> Header() const;
  // Series numbers matching `matchers`. REQUIRES: CheckSelectorMatchers(matchers).ok().
  Result<Roaring> Match(const model::Matchers& matchers) const;
  // The entries of series `ids` (ascending), in the same order: decoded and checked once, then
  // shared with the cache (a query reads the same entries of every block again; decoding them
  // copied every label). hour_groups is always empty (the hours() reader gives them as groups).
  Result<std::vector<Entry>> LoadEntries(std::span<const uint32_t> ids,
                                         Fill fill = Fill::kFill) const;
  // LoadEntries, copied.
  Result<std::vector<SeriesEntry>> LoadSeries(std::span<const uint32_t> ids,
                                              Fill fill = Fill::kFill) const;
  // Label names of the block (every name with a postings list).
  Result<std::vector<std::string>> LabelNames() const;
  // Values of `name` in the block.
  Result<std::vector<std::string>> LabelValues(std::string_view name) const;

  // Each group unsealed (crc checked, zstd inflated: decode with DecodeGroup or DecodeWindows),
  // in the order given; shared with the cache, never copied. The cache keeps groups unsealed,
  // so a query that reads a group again decodes it without checking and inflating it again
  // (and the budget counts the inflated bytes). Corruption naming the block, file and offset
  // when a group's crc or codec is bad.
  Result<std::vector<Bytes>> FetchGroups(std::span<const GroupRef> groups,
                                         Fill fill = Fill::kFill) const;
  // Decodes one fetched group's samples in [start, end] onto *out; errors name the block.
  Status DecodeGroup(std::string_view unsealed, const GroupRef& ref, int64_t start, int64_t end,
                     std::vector<model::Sample>* out) const;

  // The same for a downsampled block's group: its windows reaching into [start, end].
  // `columns` (WindowColumn bits): the float columns to decode.
  Status DecodeWindows(std::string_view unsealed, const GroupRef& ref, int64_t start, int64_t end,
                       std::vector<AggrWindow>* out, uint32_t columns = kAllColumns) const;

  // Corruption naming the block, with `what`.
  Status Corrupt(const std::string& what) const;
  // For a file of the block the store does not have: Unavailable when the whole block was
  // deleted meanwhile (its meta.json is gone too), else Corruption.
  Status Missing(const std::string& file) const;

 private:
  Result<std::vector<uint32_t>> PostingsList(const IndexHeader& h, size_t entry) const;
  // Raw ranges of `file` (BlockCacheKey::kIndexFile or a chunk file's number), in the order
  // given. Ranges are checked against the file's size from meta.json (Corruption when past
  // it), served from the cache where present, and fetched merged otherwise. With
  // `unseal_groups` each range is a group, kept (and cached, under its own key) unsealed. With
  // Fill::kNoFill, misses are not put into the cache. With `use_cache` false the cache is
  // neither read nor filled (LoadEntries caches what it decodes from the bytes instead).
  Result<std::vector<Bytes>> ReadRangesAs(uint32_t file,
                                          std::span<const objstore::ByteRange> ranges,
                                          bool unseal_groups, Fill fill,
                                          bool use_cache = true) const;
  // The size meta.json gives `file` (as ReadRangesAs takes it), or nullopt when it lists none.
  std::optional<uint64_t> FileBytes(uint32_t file) const;
  // Corruption unless `g` lies in a chunk file of the block and within its time.
  Status CheckGroupRef(const SeriesEntry& e, const GroupRef& g) const;

  // `hour_view`: the reader hours() returns, of the 5m block `meta` (resolution_ms set to 1h).
  BlockReader(objstore::ObjectStore* store, BlockCache* cache, BlockMeta meta, bool hour_view);

  objstore::ObjectStore* store_;
  BlockCache* cache_;
  const BlockMeta meta_;
  const std::string name_;
  const std::string prefix_;
  const uint64_t cache_id_;  // cache_->BlockId(prefix_)
  // Sizes from meta.json, looked up once: the index's, and chunks/<n>'s at [n] (nullopt where
  // meta.json lists no such file; numbers past the end are looked up by name).
  std::optional<uint64_t> index_bytes_;
  std::vector<std::optional<uint64_t>> chunk_bytes_;
  const bool hour_view_ = false;        // This reader is a 5m block's hours().
  std::shared_ptr<BlockReader> hours_;  // See hours().
};

}  // namespace strata::storage::block
