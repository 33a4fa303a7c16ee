// MemSeries: one series in the head: its interned labels, closed Gorilla chunks and the open
// chunk being appended to. Fields above `mu` are immutable after construction. The `pending_*`
// and `logged` fields belong to the head's commit protocol and are guarded by the head's commit
// mutex; chunk state is guarded by `mu`, so readers never see a half-written chunk.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "model/sample.h"
#include "storage/head/chunk_file.h"
#include "storage/xor_chunk.h"

namespace strata::storage::head {

using SymbolPair = std::pair<uint32_t, uint32_t>;  // (name symbol, value symbol)

// The end (exclusive) of the chunk range that holds `t` (floor division, so negative times fall
// into the right range). A head chunk never spans a range boundary: the head's appends and the
// WAL checkpoint's re-encoding both cut there.
inline int64_t ChunkRangeEnd(int64_t t, int64_t range_ms) {
  const int64_t part = t / range_ms - ((t % range_ms) < 0 ? 1 : 0);
  return (part + 1) * range_ms;
}

// A closed chunk: its bytes are in the head's chunk file (ref.on_disk()) or, when that file is
// off or failed, in memory (`mem`). 40 bytes: a head keeps one per closed chunk of every series.
struct MemChunk {
  int64_t min_t;
  int64_t max_t;
  ChunkRef ref = {};
  std::unique_ptr<XorChunk> mem;  // Null when on disk.
  size_t size_bytes() const { return ref.on_disk() ? ref.length : mem->size_bytes(); }
};

class MemSeries {
 public:
  MemSeries(uint32_t id, uint64_t hash, std::vector<SymbolPair> labels)
      : id_(id), hash_(hash), labels_(std::move(labels)) {}
  MemSeries(const MemSeries&) = delete;
  MemSeries& operator=(const MemSeries&) = delete;

  uint32_t id() const { return id_; }

  // Address of the open chunk's last byte, for prefetching by the thread that owns appends to
  // this series (WAL replay); a hint only, so it reads without the lock.
  const void* ChunkTailHint() const STRATA_NO_THREAD_SAFETY_ANALYSIS {
    auto b = open.bytes();
    return b.empty() ? nullptr : b.data() + b.size() - 1;
  }
  uint64_t hash() const { return hash_; }
  const std::vector<SymbolPair>& labels() const { return labels_; }

  // --- Commit protocol state (guarded by Head::commit_mu_). ---
  bool logged = false;       // A series record for it is in the WAL.
  bool has_pending = false;  // pending_t/pending_v describe the newest accepted sample.
  int64_t pending_t = 0;
  uint64_t pending_v_bits = 0;

  // --- Chunk state. ---
  Mutex mu;
  std::vector<MemChunk> closed STRATA_GUARDED_BY(mu);
  // Sequence number of closed[0]: the chunks ever closed in this series before it, truncated
  // ones included. Names a closed chunk for the decoded-chunk cache.
  uint64_t closed_base STRATA_GUARDED_BY(mu) = 0;
  XorChunk open STRATA_GUARDED_BY(mu);
  std::optional<XorAppender> appender STRATA_GUARDED_BY(mu);
  int64_t open_min_t STRATA_GUARDED_BY(mu) = 0;
  int64_t open_max_t STRATA_GUARDED_BY(mu) = 0;
  int open_samples STRATA_GUARDED_BY(mu) = 0;
  // Samples accepted inside the out-of-order window (older than the newest in-order sample),
  // sorted by time, unique timestamps. Null until the first one. Merged into reads.
  std::unique_ptr<std::vector<model::Sample>> ooo STRATA_GUARDED_BY(mu);

 private:
  const uint32_t id_;
  const uint64_t hash_;
  const std::vector<SymbolPair> labels_;
};

}  // namespace strata::storage::head
