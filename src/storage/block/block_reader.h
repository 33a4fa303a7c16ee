// BlockReader: reads one committed cold block (docs/format/block.md) from an object store with
// ranged GETs through a shared byte-budgeted LRU cache (BlockCache): the index header once, then
// only the postings lists, series entries and chunk groups a query needs, nearby ranges merged
// into one request. Every error names the block. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <roaring/roaring.hh>
#include <span>
#include <string>
#include <vector>

#include "base/lru_cache.h"
#include "base/result.h"
#include "model/matcher.h"
#include "storage/block/format.h"
#include "storage/object_store.h"

namespace strata::storage::block {

// What the cache holds: raw bytes of a range, or a decoded index header.
struct CachedValue {
  std::string bytes;
  std::shared_ptr<const IndexHeader> header;
};

// Shared by every block of a store. Counts hits, misses and bytes fetched.
class BlockCache {
 public:
  explicit BlockCache(size_t capacity_bytes) : lru_(capacity_bytes) {}
  LruCache<std::string, CachedValue>& lru() { return lru_; }
  std::atomic<uint64_t> bytes_fetched{0};
  std::atomic<uint64_t> requests{0};

 private:
  LruCache<std::string, CachedValue> lru_;
};

class BlockReader {
 public:
  // Bytes read from a block, shared with the cache.
  using Bytes = std::shared_ptr<const CachedValue>;

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
  // "<node>/<id>", for messages.
  const std::string& name() const { return name_; }

  Result<std::shared_ptr<const IndexHeader>> Header() const;
  // Series numbers matching `matchers`. REQUIRES: CheckSelectorMatchers(matchers).ok().
  Result<Roaring> Match(const model::Matchers& matchers) const;
  // The entries of series `ids` (ascending), in the same order.
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

  // Raw ranges of object `file` ("index", "chunks/000001"), in the order given. Ranges are
  // checked against the file's size from meta.json (Corruption when past it), served from the
  // cache where present, and fetched merged otherwise.
  Result<std::vector<Bytes>> ReadRanges(const std::string& file,
                                        std::span<const objstore::ByteRange> ranges) const {
    return ReadRangesAs(file, ranges, false, Fill::kFill);
  }

  // Corruption naming the block, with `what`.
  Status Corrupt(const std::string& what) const;
  // For a file of the block the store does not have: Unavailable when the whole block was
  // deleted meanwhile (its meta.json is gone too), else Corruption.
  Status Missing(const std::string& file) const;

 private:
  Result<std::vector<uint32_t>> PostingsList(const IndexHeader& h, size_t entry) const;
  // ReadRanges; with `unseal_groups` each range is a group, kept (and cached, under its own
  // key) unsealed. With Fill::kNoFill, misses are not put into the cache.
  Result<std::vector<Bytes>> ReadRangesAs(const std::string& file,
                                          std::span<const objstore::ByteRange> ranges,
                                          bool unseal_groups, Fill fill) const;

  objstore::ObjectStore* store_;
  BlockCache* cache_;
  const BlockMeta meta_;
  const std::string name_;
  const std::string prefix_;
};

}  // namespace strata::storage::block
