#include "storage/head/symbol_table.h"

namespace strata::storage::head {

uint32_t SymbolTable::Intern(std::string_view s) {
  {
    ReaderLock lock(&mu_);
    auto it = ids_.find(s);
    if (it != ids_.end()) {
      refs_[it->second].fetch_add(1, std::memory_order_relaxed);
      return it->second;
    }
  }
  WriterLock lock(&mu_);
  auto it = ids_.find(s);
  if (it != ids_.end()) {
    refs_[it->second].fetch_add(1, std::memory_order_relaxed);
    return it->second;
  }
  auto id = static_cast<uint32_t>(strings_.size());
  strings_.emplace_back(s);
  refs_.emplace_back(1);
  string_bytes_ += s.size() + sizeof(std::string);
  ids_.emplace(std::string_view(strings_.back()), id);
  return id;
}

std::string_view SymbolTable::Lookup(uint32_t id) const {
  ReaderLock lock(&mu_);
  return strings_[id];
}

void SymbolTable::Release(uint32_t id) {
  WriterLock lock(&mu_);
  // Relaxed: every increment happens under the shared lock, which this exclusive lock orders.
  if (refs_[id].fetch_sub(1, std::memory_order_relaxed) != 1) return;
  ids_.erase(std::string_view(strings_[id]));
  string_bytes_ -= strings_[id].size() + sizeof(std::string);
  std::string().swap(strings_[id]);
}

bool SymbolTable::Find(std::string_view s, uint32_t* id) const {
  ReaderLock lock(&mu_);
  auto it = ids_.find(s);
  if (it == ids_.end()) return false;
  *id = it->second;
  return true;
}

size_t SymbolTable::size() const {
  ReaderLock lock(&mu_);
  return strings_.size();
}

size_t SymbolTable::MemoryBytes() const {
  ReaderLock lock(&mu_);
  return string_bytes_ + ids_.capacity() * (sizeof(std::string_view) + sizeof(uint32_t) + 1);
}

}  // namespace strata::storage::head
