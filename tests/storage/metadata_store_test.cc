// MetadataStore: the latest metadata per family, within bounds that keep its memory finite.
#include "storage/metadata_store.h"

#include <gtest/gtest.h>

#include <string>

namespace strata::storage {
namespace {

TEST(MetadataStoreTest, KeepsTheLatestPerFamilyWithinItsBounds) {
  MetadataStore store;
  store.Put("a", "counter", "first", "");
  store.Put("a", "counter", "second", "seconds");
  auto a = store.List("a", 0);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].help, "second");
  EXPECT_EQ(a[0].unit, "seconds");
  // An entry larger than the bound (a megabyte-long name sent in every request) is not kept.
  const std::string huge(MetadataStore::kMaxEntryBytes + 1, 'x');
  store.Put(huge, "gauge", "", "");
  store.Put("b", "gauge", huge, "");
  EXPECT_EQ(store.size(), 1u);
  // Past kMaxFamilies, new families are not kept; known ones are still updated.
  for (size_t i = store.size(); i < MetadataStore::kMaxFamilies; ++i) {
    store.Put("f" + std::to_string(i), "gauge", "", "");
  }
  EXPECT_EQ(store.size(), MetadataStore::kMaxFamilies);
  store.Put("one_more", "gauge", "", "");
  EXPECT_EQ(store.size(), MetadataStore::kMaxFamilies);
  EXPECT_TRUE(store.List("one_more", 0).empty());
  store.Put("a", "gauge", "third", "");
  EXPECT_EQ(store.List("a", 0).at(0).help, "third");
}

}  // namespace
}  // namespace strata::storage
