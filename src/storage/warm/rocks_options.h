// RocksDB setup of the warm store: the column families (names persisted, order is ours), their
// options (shared block cache, bloom and prefix extractor on chunks, compression, the postings
// merge operator) and the mapping of rocksdb::Status to Status. Layout: docs/format/warm.md.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/status.h>

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "storage/warm/transcode.h"

namespace strata::storage::warm {

// Index of each column family in RocksSetup::families and in the handle vector. The names are
// persisted in the database: never rename.
enum CfIndex : size_t { kDefaultCf = 0, kSeriesCf, kPostingsCf, kChunksCf, kMetaCf, kNumCfs };
inline constexpr const char* kCfNames[kNumCfs] = {"default", "series", "postings", "chunks",
                                                  "meta"};

struct RocksSetup {
  rocksdb::DBOptions db;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;  // In CfIndex order.
  // The chunks family's compaction filter (families[kChunksCf] points at it): keep it alive as
  // long as the database. Disabled until Enable().
  std::shared_ptr<TranscodeFilter> transcode;
};

// Options for opening a warm store with a fresh LRU block cache of `block_cache_bytes`
// shared by every family, statistics enabled (db.statistics) and the chunks family's
// re-encoding filter (disabled). Tests use it to open the raw
// database of a closed store.
RocksSetup MakeRocksSetup(size_t block_cache_bytes);

// OK for OK; otherwise Corruption for RocksDB corruption, NotSupported, InvalidArgument,
// Unavailable for busy/try-again, ResourceExhausted for a full disk and IOError for the rest.
// The message names the store directory and `what`.
Status FromRocks(const rocksdb::Status& s, std::string_view dir, std::string_view what);

}  // namespace strata::storage::warm
