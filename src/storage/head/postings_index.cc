#include "storage/head/postings_index.h"

namespace strata::storage::head {

void PostingsIndex::Add(uint32_t id, std::span<const std::pair<uint32_t, uint32_t>> pairs) {
  WriterLock lock(&mu_);
  for (const auto& [name, value] : pairs) postings_[name][value].add(id);
  all_.add(id);
}

void PostingsIndex::Remove(uint32_t id, std::span<const std::pair<uint32_t, uint32_t>> pairs) {
  WriterLock lock(&mu_);
  for (const auto& [name, value] : pairs) {
    auto n = postings_.find(name);
    if (n == postings_.end()) continue;
    auto v = n->second.find(value);
    if (v == n->second.end()) continue;
    v->second.remove(id);
    if (v->second.isEmpty()) n->second.erase(v);
    if (n->second.empty()) postings_.erase(n);
  }
  all_.remove(id);
}

Roaring PostingsIndex::All() const {
  ReaderLock lock(&mu_);
  return all_;
}

Roaring PostingsIndex::UnionWhere(uint32_t name, const std::function<bool(uint32_t)>& pred) const {
  ReaderLock lock(&mu_);
  auto it = postings_.find(name);
  if (it == postings_.end()) return {};
  std::vector<const Roaring*> parts;
  for (const auto& [value, bitmap] : it->second) {
    if (pred(value)) parts.push_back(&bitmap);
  }
  if (parts.empty()) return {};
  if (parts.size() == 1) return *parts[0];
  return Roaring::fastunion(parts.size(), parts.data());
}

Roaring PostingsIndex::Get(uint32_t name, uint32_t value) const {
  ReaderLock lock(&mu_);
  auto it = postings_.find(name);
  if (it == postings_.end()) return {};
  auto vit = it->second.find(value);
  if (vit == it->second.end()) return {};
  return vit->second;
}

std::vector<uint32_t> PostingsIndex::Names() const {
  ReaderLock lock(&mu_);
  std::vector<uint32_t> out;
  out.reserve(postings_.size());
  for (const auto& [name, values] : postings_) out.push_back(name);
  return out;
}

std::vector<uint32_t> PostingsIndex::Values(uint32_t name) const {
  ReaderLock lock(&mu_);
  std::vector<uint32_t> out;
  auto it = postings_.find(name);
  if (it == postings_.end()) return out;
  out.reserve(it->second.size());
  for (const auto& [value, bitmap] : it->second) out.push_back(value);
  return out;
}

void PostingsIndex::ForEach(
    const std::function<void(uint32_t, uint32_t, const Roaring&)>& fn) const {
  ReaderLock lock(&mu_);
  for (const auto& [name, values] : postings_) {
    for (const auto& [value, bitmap] : values) fn(name, value, bitmap);
  }
}

size_t PostingsIndex::MemoryBytes() const {
  ReaderLock lock(&mu_);
  size_t bytes = all_.getSizeInBytes();
  for (const auto& [name, values] : postings_) {
    bytes += values.capacity() * (sizeof(uint32_t) + sizeof(Roaring) + 1);
    for (const auto& [value, bitmap] : values) bytes += bitmap.getSizeInBytes();
  }
  return bytes;
}

}  // namespace strata::storage::head
