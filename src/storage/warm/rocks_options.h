// RocksDB setup of the warm store: the column families (names persisted, order is ours), their
// options (shared block cache, bloom and prefix extractor on chunks, compression, the postings
// merge operator) and the mapping of rocksdb::Status to Status. Layout: docs/format/warm.md.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/listener.h>
#include <rocksdb/options.h>
#include <rocksdb/status.h>

#include <atomic>
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

// Counts RocksDB's background errors and keeps the reason of the last one (db.listeners), so
// that a write failing with an error RocksDB kept from a failed flush or compaction is told
// apart from one whose own log append failed.
class BackgroundErrors final : public rocksdb::EventListener {
 public:
  void OnBackgroundError(rocksdb::BackgroundErrorReason reason, rocksdb::Status*) override {
    last_reason_.store(static_cast<int>(reason));
    count_.fetch_add(1);
  }
  uint64_t count() const { return count_.load(); }
  // True when the last error came from a write to the log (or memtable) of a foreground write.
  bool LastWasAWrite() const {
    const int r = last_reason_.load();
    return r == static_cast<int>(rocksdb::BackgroundErrorReason::kWriteCallback) ||
           r == static_cast<int>(rocksdb::BackgroundErrorReason::kMemTable);
  }

 private:
  std::atomic<int> last_reason_{-1};
  std::atomic<uint64_t> count_{0};
};

struct RocksSetup {
  rocksdb::DBOptions db;
  std::shared_ptr<BackgroundErrors> errors;               // Registered in db.listeners.
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
