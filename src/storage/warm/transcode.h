// The chunks family's compaction filter: re-encodes version 1 chunk records (the head's Gorilla
// chunks, as moves encode them first) into version 2 records (the same samples as cold-block
// groups, decimal where the values allow) when RocksDB compacts them. docs/format/warm.md, "Record
// version 2". Thread-safe: RocksDB calls the filter from its compaction threads.
#pragma once

#include <rocksdb/compaction_filter.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::storage::warm {

// What re-encoding one record gave.
enum class TranscodeOutcome {
  kDone,      // *out holds the version 2 record.
  kKept,      // Not version 1, does not decode cleanly, or not smaller (compressed): keep it.
  kMismatch,  // The version 2 record did not decode to the same samples: keep the old one.
};

// Re-encodes a version 1 record `value`: the rule both the filter and WarmStore moves apply.
// Pure function.
TranscodeOutcome TranscodeRecord(std::string_view value, std::string* out);

class TranscodeFilter final : public rocksdb::CompactionFilter {
 public:
  // Off until Enable(): the store enables it once format version 2 is on disk.
  void Enable() { enabled_.store(true, std::memory_order_release); }

  Decision FilterV2(int level, const rocksdb::Slice& key, ValueType value_type,
                    const rocksdb::Slice& existing_value, std::string* new_value,
                    std::string* skip_until) const override;
  const char* Name() const override { return "strata.warm_transcode.v1"; }

  // Counts one record the rule re-encoded (kDone: `before` and `after` bytes) or failed to
  // (kMismatch), whether a compaction or a move applied it; kKept counts nothing.
  void Count(TranscodeOutcome outcome, size_t before, size_t after) const;

  uint64_t records() const { return records_.load(std::memory_order_relaxed); }
  uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }
  uint64_t bytes_before() const { return bytes_before_.load(std::memory_order_relaxed); }
  uint64_t bytes_after() const { return bytes_after_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> enabled_{false};
  mutable std::atomic<uint64_t> records_{0};
  mutable std::atomic<uint64_t> failures_{0};
  mutable std::atomic<uint64_t> bytes_before_{0};
  mutable std::atomic<uint64_t> bytes_after_{0};
};

}  // namespace strata::storage::warm
