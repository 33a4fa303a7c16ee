// The postings merge operator: full and partial merges deserialize every operand once, union
// them and serialize the result. A malformed operand fails the merge (RocksDB: Corruption).
#include "storage/warm/postings_merge.h"

#include <rocksdb/merge_operator.h>
#include <rocksdb/slice.h>

#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

namespace strata::storage::warm {

std::string SerializeBitmap(Roaring copy) {
  copy.runOptimize();
  copy.shrinkToFit();
  std::string s(copy.getSizeInBytes(/*portable=*/true), '\0');
  size_t n = copy.write(s.data(), /*portable=*/true);
  s.resize(n);
  return s;
}

namespace {

uint16_t Load16(const unsigned char* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

// CRoaring 0.2's "safe" deserializer only checks that the containers fit in the buffer, not that
// keys, array values and runs are sorted and disjoint or that the cardinalities are true; a
// bitmap breaking those iterates out of order and answers wrongly (found by
// tests/fuzz/warm_fuzz). This checks every invariant of the portable format
// (github.com/RoaringBitmap/RoaringFormatSpec) in one pass over the bytes.
bool IsValidPortableBitmap(std::string_view bytes) {
  constexpr uint32_t kCookieNoRuns = 12346, kCookie = 12347, kNoOffsetThreshold = 4;
  constexpr uint32_t kMaxArray = 4096;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const unsigned char* end = p + bytes.size();
  auto have = [&](size_t n) { return static_cast<size_t>(end - p) >= n; };
  if (!have(4)) return false;
  uint32_t cookie = Load16(p) | (static_cast<uint32_t>(Load16(p + 2)) << 16);
  p += 4;
  uint32_t size = 0;
  const unsigned char* run_flags = nullptr;
  if ((cookie & 0xFFFF) == kCookie) {
    size = (cookie >> 16) + 1;
    if (!have((size + 7) / 8)) return false;
    run_flags = p;
    p += (size + 7) / 8;
  } else if (cookie == kCookieNoRuns) {
    if (!have(4)) return false;
    size = Load16(p) | (static_cast<uint32_t>(Load16(p + 2)) << 16);
    p += 4;
    if (size > (1u << 16)) return false;
  } else {
    return false;
  }
  if (!have(size_t{4} * size)) return false;
  const unsigned char* header = p;
  p += size_t{4} * size;
  if (run_flags == nullptr || size >= kNoOffsetThreshold) {
    if (!have(size_t{4} * size)) return false;
    p += size_t{4} * size;  // Offsets: containers are read in order instead.
  }
  for (uint32_t i = 0; i < size; ++i) {
    uint32_t key = Load16(header + 4 * i);
    uint32_t card = uint32_t{Load16(header + 4 * i + 2)} + 1;
    if (i > 0 && key <= Load16(header + 4 * (i - 1))) return false;
    if (run_flags != nullptr && (run_flags[i / 8] >> (i % 8)) & 1) {
      if (!have(2)) return false;
      uint32_t runs = Load16(p);
      p += 2;
      if (runs == 0 || !have(size_t{4} * runs)) return false;
      uint32_t total = 0;
      int64_t previous_last = -1;
      for (uint32_t r = 0; r < runs; ++r, p += 4) {
        uint32_t start = Load16(p), length = Load16(p + 2);
        if (static_cast<int64_t>(start) <= previous_last || start + length > 0xFFFF) return false;
        previous_last = start + length;
        total += length + 1;
      }
      if (total != card) return false;
    } else if (card > kMaxArray) {
      if (!have(8192)) return false;
      uint32_t bits = 0;
      for (int w = 0; w < 1024; ++w, p += 8) {
        uint64_t word = 0;
        for (int b = 0; b < 8; ++b) word |= static_cast<uint64_t>(p[b]) << (8 * b);
        bits += static_cast<uint32_t>(__builtin_popcountll(word));
      }
      if (bits != card) return false;
    } else {
      if (!have(size_t{2} * card)) return false;
      for (uint32_t v = 1; v < card; ++v) {
        if (Load16(p + 2 * v) <= Load16(p + 2 * (v - 1))) return false;
      }
      p += size_t{2} * card;
    }
  }
  return true;
}

}  // namespace

bool DeserializeBitmap(std::string_view bytes, Roaring* out) {
  if (!IsValidPortableBitmap(bytes)) return false;
  // The C API reports malformed input as null; the C++ readSafe would throw instead.
  roaring_bitmap_t* r = roaring_bitmap_portable_deserialize_safe(bytes.data(), bytes.size());
  if (r == nullptr) return false;
  *out = Roaring(r);
  return true;
}

namespace {

class RoaringUnionMergeOperator final : public rocksdb::MergeOperator {
 public:
  const char* Name() const override { return kRoaringUnionMergeOperatorName; }

  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    Roaring acc;
    if (in.existing_value != nullptr && !Union(*in.existing_value, &acc)) return false;
    for (const rocksdb::Slice& op : in.operand_list) {
      if (!Union(op, &acc)) return false;
    }
    out->new_value = SerializeBitmap(std::move(acc));
    return true;
  }

  bool PartialMergeMulti(const rocksdb::Slice& /*key*/, const std::deque<rocksdb::Slice>& operands,
                         std::string* new_value, rocksdb::Logger* /*logger*/) const override {
    Roaring acc;
    for (const rocksdb::Slice& op : operands) {
      if (!Union(op, &acc)) return false;
    }
    *new_value = SerializeBitmap(std::move(acc));
    return true;
  }

  bool AllowSingleOperand() const override { return false; }

 private:
  static bool Union(const rocksdb::Slice& bytes, Roaring* acc) {
    Roaring b;
    if (!DeserializeBitmap(std::string_view(bytes.data(), bytes.size()), &b)) return false;
    *acc |= b;
    return true;
  }
};

}  // namespace

std::shared_ptr<rocksdb::MergeOperator> NewRoaringUnionMergeOperator() {
  return std::make_shared<RoaringUnionMergeOperator>();
}

}  // namespace strata::storage::warm
