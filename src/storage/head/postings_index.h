// PostingsIndex: the head's inverted index, label name -> label value -> the set of series ids
// carrying that pair, as CRoaring bitmaps. Names and values are symbol ids. Thread-safe:
// Add() takes an exclusive lock, queries a shared one; results are copies.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <functional>
#include <roaring/roaring.hh>
#include <span>
#include <utility>
#include <vector>

#include "base/mutex.h"

namespace strata::storage::head {

class PostingsIndex {
 public:
  // Indexes series `id` under each (name, value) symbol pair.
  void Add(uint32_t id, std::span<const std::pair<uint32_t, uint32_t>> pairs);
  // Removes series `id` from each pair's postings; pairs and names left empty disappear.
  void Remove(uint32_t id, std::span<const std::pair<uint32_t, uint32_t>> pairs);

  // All series ids.
  Roaring All() const;
  // Union of the postings of (name, v) for every value v of `name` where pred(v) is true.
  Roaring UnionWhere(uint32_t name, const std::function<bool(uint32_t value)>& pred) const;
  // Postings of one pair (empty when absent).
  Roaring Get(uint32_t name, uint32_t value) const;

  // Symbol ids of all label names, and of the values of one name.
  std::vector<uint32_t> Names() const;
  std::vector<uint32_t> Values(uint32_t name) const;

  // Calls fn(name, value, postings) for every pair, under the shared lock. `fn` must not call
  // back into the index.
  void ForEach(const std::function<void(uint32_t, uint32_t, const Roaring&)>& fn) const;

  size_t MemoryBytes() const;

 private:
  mutable SharedMutex mu_;
  absl::flat_hash_map<uint32_t, absl::flat_hash_map<uint32_t, Roaring>> postings_
      STRATA_GUARDED_BY(mu_);
  Roaring all_ STRATA_GUARDED_BY(mu_);
};

}  // namespace strata::storage::head
