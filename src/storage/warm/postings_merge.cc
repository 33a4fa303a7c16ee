// The postings merge operator: full and partial merges deserialize every operand once, union
// them and serialize the result. A malformed operand fails the merge (RocksDB: Corruption).
#include "storage/warm/postings_merge.h"

#include <rocksdb/merge_operator.h>
#include <rocksdb/slice.h>

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

bool DeserializeBitmap(std::string_view bytes, Roaring* out) {
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
