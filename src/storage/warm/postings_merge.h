// Postings values of the warm store: CRoaring portable serialization of 32-bit bitmaps of
// warm series ids, and the RocksDB merge operator that unions them (idempotent, so replayed
// writes leave the same bitmap). Layout: docs/format/warm.md. Thread-safe.
#pragma once

#include <memory>
#include <roaring/roaring.hh>
#include <string>
#include <string_view>

namespace rocksdb {
class MergeOperator;
}  // namespace rocksdb

namespace strata::storage::warm {

// Persisted in RocksDB's OPTIONS file: never rename.
inline constexpr char kRoaringUnionMergeOperatorName[] = "strata.roaring_union.v1";

// Takes the bitmap by value because it run-optimizes it first.
std::string SerializeBitmap(Roaring bitmap);
// Bounds-checked; false (never an exception or a crash) when `bytes` is not a bitmap.
bool DeserializeBitmap(std::string_view bytes, Roaring* out);

// The union merge operator for the postings column family.
std::shared_ptr<rocksdb::MergeOperator> NewRoaringUnionMergeOperator();

}  // namespace strata::storage::warm
