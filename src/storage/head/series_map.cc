#include "storage/head/series_map.h"

#include <algorithm>

#include "base/check.h"

namespace strata::storage::head {

namespace {

// Atomic access to a plain pointer (aligned, as every pointer object is).
template <typename T>
T* Load(T*& p) {
  return std::atomic_ref<T*>(p).load(std::memory_order_acquire);
}
template <typename T>
void Store(T*& p, T* v) {
  std::atomic_ref<T*>(p).store(v, std::memory_order_release);
}

}  // namespace

SeriesMap::SeriesMap(int stripes)
    : stripe_mask_(static_cast<uint64_t>(stripes) - 1),
      stripes_(new Stripe[static_cast<size_t>(stripes)]),
      blocks_(static_cast<MemSeries***>(std::calloc(kBlocks, sizeof(MemSeries**)))) {
  STRATA_CHECK(stripes > 0 && (stripes & (stripes - 1)) == 0);
  STRATA_CHECK(blocks_ != nullptr) << "out of memory";
}

SeriesMap::~SeriesMap() {
  for (uint32_t i = 0; i < kBlocks; ++i) std::free(blocks_[i]);
}

MemSeries** SeriesMap::NewBlock() {
  auto* block = static_cast<MemSeries**>(std::calloc(kBlockSize, sizeof(MemSeries*)));
  STRATA_CHECK(block != nullptr) << "out of memory";
  return block;
}

void SeriesMap::SetById(uint32_t id, MemSeries* s) {
  const uint32_t b = id >> kBlockBits;
  MemSeries** block = Load(blocks_[b]);
  if (block == nullptr) {
    MutexLock lock(&block_alloc_mu_);
    block = Load(blocks_[b]);
    if (block == nullptr) {
      block = NewBlock();
      Store(blocks_[b], block);
    }
  }
  Store(block[id & (kBlockSize - 1)], s);
  // Raise the id limit so iteration covers `id` (a CAS maximum).
  uint32_t limit = next_id_.load(std::memory_order_acquire);
  while (limit <= id && !next_id_.compare_exchange_weak(limit, id + 1, std::memory_order_acq_rel)) {
  }
}

MemSeries* SeriesMap::ById(uint32_t id) const {
  MemSeries** block = Load(blocks_[id >> kBlockBits]);
  if (block == nullptr) return nullptr;
  return Load(block[id & (kBlockSize - 1)]);
}

void SeriesMap::Alias(uint32_t id, MemSeries* series) {
  SetById(id, series);
  MutexLock owned(&owned_mu_);
  aliases_[series->id()].push_back(id);
}

void SeriesMap::Remove(MemSeries* series) {
  const uint64_t hash = series->hash();
  {
    Stripe& stripe = stripes_[hash & stripe_mask_];
    MutexLock lock(&stripe.mu);
    auto it = stripe.by_hash.find(hash);
    if (it != stripe.by_hash.end() && it->second == series) {
      // Promote a collision with the same hash, so lookups by hash still find it.
      auto c = std::find_if(stripe.collisions.begin(), stripe.collisions.end(),
                            [&](MemSeries* o) { return o->hash() == hash; });
      if (c != stripe.collisions.end()) {
        it->second = *c;
        stripe.collisions.erase(c);
      } else {
        stripe.by_hash.erase(it);
      }
    } else {
      std::erase(stripe.collisions, series);
    }
  }
  const uint32_t id = series->id();
  SetById(id, nullptr);
  MutexLock owned(&owned_mu_);
  if (auto a = aliases_.find(id); a != aliases_.end()) {
    for (uint32_t alias : a->second) SetById(alias, nullptr);
    aliases_.erase(a);
  }
  owned_.erase(id);
  count_.fetch_sub(1, std::memory_order_relaxed);
}

MemSeries* SeriesMap::GetOrInsert(
    uint64_t hash, const std::function<bool(const MemSeries&)>& eq,
    const std::function<std::unique_ptr<MemSeries>(uint32_t id)>& make, int64_t wanted_id,
    bool* created, size_t max_count) {
  Stripe& stripe = stripes_[hash & stripe_mask_];
  MutexLock lock(&stripe.mu);
  *created = false;
  auto it = stripe.by_hash.find(hash);
  if (it != stripe.by_hash.end()) {
    if (eq(*it->second)) return it->second;
    for (MemSeries* s : stripe.collisions) {
      if (s->hash() == hash && eq(*s)) return s;
    }
  }
  bool counted = false;
  if (max_count > 0) {
    // Reserve a place first: inserts in other stripes run concurrently.
    size_t n = count_.load(std::memory_order_relaxed);
    do {
      if (n >= max_count) return nullptr;
    } while (!count_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
    counted = true;
  }
  uint32_t id;
  if (wanted_id >= 0) {
    id = static_cast<uint32_t>(wanted_id);
    // A replayed record reusing an id of other labels (a foreign or crafted log): refuse it
    // rather than let two series share an id.
    if (ById(id) != nullptr) {
      if (counted) count_.fetch_sub(1, std::memory_order_relaxed);
      return nullptr;
    }
  } else {
    // Ids handed out here are above every id seen so far (SetById raises the limit).
    id = next_id_.fetch_add(1, std::memory_order_acq_rel);
  }
  std::unique_ptr<MemSeries> series = make(id);
  MemSeries* raw = series.get();
  {
    MutexLock owned(&owned_mu_);
    owned_.emplace(id, std::move(series));
  }
  if (it == stripe.by_hash.end()) {
    stripe.by_hash.emplace(hash, raw);
  } else {
    stripe.collisions.push_back(raw);
  }
  SetById(id, raw);
  if (!counted) count_.fetch_add(1, std::memory_order_relaxed);
  *created = true;
  return raw;
}

}  // namespace strata::storage::head
