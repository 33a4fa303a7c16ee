// SymbolTable: interns label strings so each distinct name or value is stored once in the head.
// Ids are dense uint32 starting at 0 and never reused. Each Intern() counts a reference; when
// Release() drops the last one the string is freed (its id stays retired). Thread-safe: lookups
// take a shared lock, inserts an exclusive one. Returned string_views stay valid for the table's
// lifetime (strings live in stable blocks that never move).
#pragma once

#include <absl/container/flat_hash_map.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "base/mutex.h"

namespace strata::storage::head {

class SymbolTable {
 public:
  // Returns the id of `s`, adding it if new, and counts one reference to it.
  uint32_t Intern(std::string_view s);
  // Drops one reference taken by Intern(); the last one frees the string.
  void Release(uint32_t id);
  // REQUIRES: id was returned by Intern().
  std::string_view Lookup(uint32_t id) const;
  // Returns false if `s` was never interned.
  bool Find(std::string_view s, uint32_t* id) const;
  size_t size() const;
  // Bytes held by string contents and the hash map, approximately.
  size_t MemoryBytes() const;

 private:
  mutable SharedMutex mu_;
  // std::deque never moves its elements on push_back, so views into them stay valid.
  std::deque<std::string> strings_ STRATA_GUARDED_BY(mu_);
  // References per id; incremented under the shared lock, hence atomic.
  std::deque<std::atomic<uint32_t>> refs_ STRATA_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string_view, uint32_t> ids_ STRATA_GUARDED_BY(mu_);
  size_t string_bytes_ STRATA_GUARDED_BY(mu_) = 0;
};

}  // namespace strata::storage::head
