// SeriesMap: owns every MemSeries of the head. Two views: by labels hash, in a power-of-two
// number of lock stripes (collisions kept in a per-stripe side list), and by dense series id, in
// a two-level array of atomics that readers access without locks. Thread-safe.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <vector>

#include "base/mutex.h"
#include "storage/head/mem_series.h"

namespace strata::storage::head {

class SeriesMap {
 public:
  explicit SeriesMap(int stripes);
  ~SeriesMap();
  SeriesMap(const SeriesMap&) = delete;
  SeriesMap& operator=(const SeriesMap&) = delete;

  // Finds the series with `hash` for which eq() holds; otherwise calls make(id) with a fresh id
  // (or `wanted_id` when >= 0) under the stripe lock, stores and returns it. Returns nullptr
  // when `wanted_id` already names another series, or when `max_count` > 0 and the map already
  // holds that many series (then nothing is created; checked atomically with the creation, so
  // concurrent inserts never overshoot it).
  MemSeries* GetOrInsert(uint64_t hash, const std::function<bool(const MemSeries&)>& eq,
                         const std::function<std::unique_ptr<MemSeries>(uint32_t id)>& make,
                         int64_t wanted_id, bool* created, size_t max_count = 0);

  // Makes `id` another name of `series` (a replayed duplicate series record).
  void Alias(uint32_t id, MemSeries* series);

  // Unlinks `series` (and its aliases) from both views and destroys it. Its id is never handed
  // out again. REQUIRES: nothing else can hold a pointer to it (the head's truncation lock).
  void Remove(MemSeries* series);

  // nullptr when no series has this id.
  MemSeries* ById(uint32_t id) const;

  // One past the largest id handed out.
  uint32_t id_limit() const { return next_id_.load(std::memory_order_acquire); }
  size_t size() const { return count_.load(std::memory_order_relaxed); }

 private:
  static constexpr int kBlockBits = 16;
  static constexpr uint32_t kBlockSize = 1u << kBlockBits;
  static constexpr uint32_t kBlocks = 1u << (32 - kBlockBits);
  // Both levels are plain pointers in calloc'ed arrays, read and written through
  // std::atomic_ref. calloc's memory holds null pointers, and the kernel's zero pages become
  // resident only when written: with levels of atomics initialized by a loop, the two levels
  // cost 1 MiB of RSS however few series there were.
  struct FreeDeleter {
    void operator()(MemSeries*** p) const { std::free(p); }
  };
  static MemSeries** NewBlock();

  struct alignas(64) Stripe {
    Mutex mu;
    absl::flat_hash_map<uint64_t, MemSeries*> by_hash STRATA_GUARDED_BY(mu);
    std::vector<MemSeries*> collisions STRATA_GUARDED_BY(mu);  // Same hash, other labels.
  };

  void SetById(uint32_t id, MemSeries* s);

  const uint64_t stripe_mask_;
  std::unique_ptr<Stripe[]> stripes_;
  std::unique_ptr<MemSeries**[], FreeDeleter> blocks_;  // kBlocks blocks of kBlockSize.
  Mutex block_alloc_mu_;
  std::atomic<uint32_t> next_id_{0};
  std::atomic<size_t> count_{0};
  Mutex owned_mu_;
  absl::flat_hash_map<uint32_t, std::unique_ptr<MemSeries>> owned_ STRATA_GUARDED_BY(owned_mu_);
  // Canonical id -> other ids naming the same series (rare).
  absl::flat_hash_map<uint32_t, std::vector<uint32_t>> aliases_ STRATA_GUARDED_BY(owned_mu_);
};

}  // namespace strata::storage::head
