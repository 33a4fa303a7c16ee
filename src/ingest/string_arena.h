// StringArena: stable storage for the strings a decoder makes (sanitized label names, formatted
// attribute values, normalized metric names) so that label views can point at them. Memory is
// taken in blocks and kept across Reset(), so a steady stream of requests allocates nothing.
// Confined to one thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace strata::ingest {

class StringArena {
 public:
  // A copy of `s` that stays valid until Reset() or destruction.
  std::string_view Store(std::string_view s) {
    char* p = Allocate(s.size());
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }
  // The concatenation of `a` and `b`.
  std::string_view Concat(std::string_view a, std::string_view b) {
    char* p = Allocate(a.size() + b.size());
    if (!a.empty()) std::memcpy(p, a.data(), a.size());
    if (!b.empty()) std::memcpy(p + a.size(), b.data(), b.size());
    return {p, a.size() + b.size()};
  }
  // `n` writable bytes, valid until Reset().
  char* Allocate(size_t n) {
    if (blocks_.empty() || blocks_[current_].size - used_ < n) NextBlock(n);
    char* p = blocks_[current_].data.get() + used_;
    used_ += n;
    return p;
  }
  // Invalidates every view handed out; keeps the blocks for reuse.
  void Reset() {
    current_ = 0;
    used_ = 0;
  }

 private:
  struct Block {
    std::unique_ptr<char[]> data;
    size_t size = 0;
  };
  static constexpr size_t kBlockSize = 64 << 10;

  void NextBlock(size_t n) {
    // Reuse the next kept block when it is large enough; otherwise insert a new one there.
    size_t next = blocks_.empty() ? 0 : current_ + 1;
    if (next < blocks_.size() && blocks_[next].size >= n) {
      current_ = next;
      used_ = 0;
      return;
    }
    Block b;
    b.size = std::max(kBlockSize, n);
    b.data = std::make_unique<char[]>(b.size);
    blocks_.insert(blocks_.begin() + static_cast<std::ptrdiff_t>(next), std::move(b));
    current_ = next;
    used_ = 0;
  }

  std::vector<Block> blocks_;
  size_t current_ = 0;
  size_t used_ = 0;
};

}  // namespace strata::ingest
