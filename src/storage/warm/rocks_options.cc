// RocksDB options of the warm store (docs/format/warm.md, "RocksDB options") and status
// mapping. Compression types are chosen among those the linked RocksDB supports.
#include "storage/warm/rocks_options.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/statistics.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <string>

#include "base/log.h"
#include "storage/warm/keys.h"
#include "storage/warm/postings_merge.h"

namespace strata::storage::warm {

namespace {

// RocksDB's info log, sent to Strata's log instead of a LOG file: a file that grew by every
// "file deletions disabled/enabled" line (about 15 MB a day) and, once the disk was full,
// made RocksDB 7.8's assertion-enabled log writer abort the process. Warnings and errors
// are logged as such; the rest at debug level.
class RocksLogger final : public rocksdb::Logger {
 public:
  RocksLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Log(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    Log(level, format, ap);
  }

 private:
  static void Log(rocksdb::InfoLogLevel level, const char* format, va_list ap) {
    // HEADER_LEVEL (above FATAL) is RocksDB's option dump at open: debug, not an error.
    const LogLevel ours = level == rocksdb::InfoLogLevel::HEADER_LEVEL  ? LogLevel::kDebug
                          : level >= rocksdb::InfoLogLevel::ERROR_LEVEL ? LogLevel::kError
                          : level == rocksdb::InfoLogLevel::WARN_LEVEL  ? LogLevel::kWarn
                                                                        : LogLevel::kDebug;
    if (ours < GetLogLevel()) return;
    char buf[1024];
    va_list copy;
    va_copy(copy, ap);
    const int n = std::vsnprintf(buf, sizeof(buf), format, copy);
    va_end(copy);
    for (size_t len = n < 0 ? 0 : std::min<size_t>(static_cast<size_t>(n), sizeof(buf) - 1);
         len > 0 && buf[len - 1] == '\n'; --len) {
      buf[len - 1] = '\0';
    }
    internal::LogLine(ours, "rocksdb") << buf;
  }
};

bool Supported(const std::vector<rocksdb::CompressionType>& all, rocksdb::CompressionType t) {
  return std::find(all.begin(), all.end(), t) != all.end();
}

}  // namespace

RocksSetup MakeRocksSetup(size_t block_cache_bytes) {
  RocksSetup setup;
  rocksdb::DBOptions& db = setup.db;
  db.create_if_missing = true;
  db.create_missing_column_families = true;
  db.paranoid_checks = true;
  db.statistics = rocksdb::CreateDBStatistics();
  // Moves are rare and large; flushing the rarely written families (series, meta) when the log
  // passes this size keeps old log files from piling up. RocksDB's default would be several
  // GiB with five families.
  db.max_total_wal_size = uint64_t{256} << 20;
  db.info_log = std::make_shared<RocksLogger>();
  setup.errors = std::make_shared<BackgroundErrors>();
  db.listeners.push_back(setup.errors);
  // Start-up: the table files (tens) are opened on the calling thread rather than on up to 16
  // threads created for it, which cost more than they save on a small host; table statistics
  // are not loaded at open (they only tune compaction picking).
  db.max_file_opening_threads = 1;
  db.skip_stats_update_on_db_open = true;

  const std::vector<rocksdb::CompressionType> supported = rocksdb::GetSupportedCompressions();
  rocksdb::CompressionType upper = rocksdb::kNoCompression;
  if (Supported(supported, rocksdb::kLZ4Compression)) {
    upper = rocksdb::kLZ4Compression;
  } else if (Supported(supported, rocksdb::kSnappyCompression)) {
    upper = rocksdb::kSnappyCompression;
  }
  rocksdb::CompressionType bottom = Supported(supported, rocksdb::kZSTD) ? rocksdb::kZSTD : upper;

  setup.transcode = std::make_shared<TranscodeFilter>();
  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(block_cache_bytes);
  for (size_t i = 0; i < kNumCfs; ++i) {
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = cache;
    // Index and filter blocks stay with their table reader (freed with the file) rather than
    // in the block cache, where those of files deleted by compaction lingered until evicted:
    // after a 7-day load 6 MiB of the cache was such blocks. Live files' index and filters
    // are small (about 2 MiB for 7 days of 5,000 series with 16 KiB blocks).
    table.cache_index_and_filter_blocks = false;
    // A chunk record is about 1 KiB (one series, one 2 h move); larger blocks keep the index
    // small.
    table.block_size = 16 << 10;
    rocksdb::ColumnFamilyOptions cf;
    // Memtables: moves arrive as one large batch every chunk range, so the chunks family gets
    // a modest buffer (RocksDB's 64 MiB default per family would dominate the process' RSS);
    // the others are small.
    cf.write_buffer_size = i == kChunksCf ? (size_t{16} << 20) : (size_t{4} << 20);
    cf.max_write_buffer_number = 2;
    cf.compression = upper;
    cf.bottommost_compression = bottom;
    if (i == kChunksCf) {
      // Version 2 records hold raw groups for the block compression to squeeze on every level;
      // blocks of Gorilla chunks do not compress and are stored as they are.
      cf.compression = bottom;
      cf.compaction_filter = setup.transcode.get();
      table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
      cf.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(kChunkPrefixBytes));
      // No memtable prefix bloom: each move is flushed at once, so reads rarely meet a memtable,
      // and the bloom (a ratio of write_buffer_size) is allocated with every new memtable: 0.8
      // MiB held for the whole run at a ratio of 0.05.
    }
    if (i == kPostingsCf) cf.merge_operator = NewRoaringUnionMergeOperator();
    cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    setup.families.emplace_back(kCfNames[i], cf);
  }
  return setup;
}

Status FromRocks(const rocksdb::Status& s, std::string_view dir, std::string_view what) {
  if (s.ok()) return Status::Ok();
  std::string msg =
      "warm store " + std::string(dir) + ": " + std::string(what) + ": " + s.ToString();
  if (s.IsCorruption()) return Status::Corruption(std::move(msg));
  if (s.IsNotSupported()) return Status::NotSupported(std::move(msg));
  if (s.IsInvalidArgument()) return Status::InvalidArgument(std::move(msg));
  if (s.IsBusy() || s.IsTryAgain()) return Status::Unavailable(std::move(msg));
  if (s.IsNoSpace()) return Status::ResourceExhausted(std::move(msg));
  return Status::IOError(std::move(msg));
}

}  // namespace strata::storage::warm
