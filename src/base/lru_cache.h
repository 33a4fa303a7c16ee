// LruCache: a thread-safe least-recently-used map with a byte budget. Values are shared as
// shared_ptr<const V> so a reader keeps its value alive after eviction. Each entry is charged
// `charge` bytes (the caller's estimate); inserting past the budget evicts from the cold end.
// Hit, miss and eviction counts are exposed for self-metrics. One mutex; operations are O(1).
#pragma once

#include <absl/container/flat_hash_map.h>

#include <atomic>
#include <cstddef>
#include <list>
#include <memory>
#include <utility>

#include "base/mutex.h"

namespace strata {

template <typename K, typename V, typename Hash = absl::Hash<K>>
class LruCache {
 public:
  // `capacity_bytes` == 0 disables the cache (every Get misses, Put is a no-op).
  explicit LruCache(size_t capacity_bytes) : capacity_(capacity_bytes) {}
  LruCache(const LruCache&) = delete;
  LruCache& operator=(const LruCache&) = delete;

  // The cached value, or nullptr. Counts a hit or a miss.
  std::shared_ptr<const V> Get(const K& key) {
    MutexLock lock(&mu_);
    auto it = map_.find(key);
    if (it == map_.end()) {
      misses_.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    lru_.splice(lru_.begin(), lru_, it->second);
    hits_.fetch_add(1, std::memory_order_relaxed);
    return it->second->value;
  }

  // Inserts or replaces. Values larger than the whole budget are not cached.
  void Put(const K& key, std::shared_ptr<const V> value, size_t charge) {
    if (charge > capacity_) return;
    MutexLock lock(&mu_);
    auto it = map_.find(key);
    if (it != map_.end()) {
      used_ -= it->second->charge;
      lru_.erase(it->second);
      map_.erase(it);
    }
    lru_.push_front(Entry{key, std::move(value), charge});
    map_.emplace(key, lru_.begin());
    used_ += charge;
    while (used_ > capacity_ && !lru_.empty()) {
      Entry& victim = lru_.back();
      used_ -= victim.charge;
      map_.erase(victim.key);
      lru_.pop_back();
      evictions_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  void Clear() {
    MutexLock lock(&mu_);
    map_.clear();
    lru_.clear();
    used_ = 0;
  }

  size_t capacity_bytes() const { return capacity_; }
  size_t used_bytes() const {
    MutexLock lock(&mu_);
    return used_;
  }
  size_t size() const {
    MutexLock lock(&mu_);
    return map_.size();
  }
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }
  uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    K key;
    std::shared_ptr<const V> value;
    size_t charge;
  };
  const size_t capacity_;
  mutable Mutex mu_;
  std::list<Entry> lru_ STRATA_GUARDED_BY(mu_);
  absl::flat_hash_map<K, typename std::list<Entry>::iterator, Hash> map_ STRATA_GUARDED_BY(mu_);
  size_t used_ STRATA_GUARDED_BY(mu_) = 0;
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
  std::atomic<uint64_t> evictions_{0};
};

}  // namespace strata
