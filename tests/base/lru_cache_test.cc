#include "base/lru_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace strata {
namespace {

TEST(LruCacheTest, EvictsLeastRecentlyUsedWithinTheByteBudget) {
  LruCache<int, std::string> cache(30);
  cache.Put(1, std::make_shared<const std::string>("a"), 10);
  cache.Put(2, std::make_shared<const std::string>("b"), 10);
  cache.Put(3, std::make_shared<const std::string>("c"), 10);
  ASSERT_NE(cache.Get(1), nullptr);                            // 1 becomes the most recent.
  cache.Put(4, std::make_shared<const std::string>("d"), 10);  // Evicts 2.
  EXPECT_EQ(cache.Get(2), nullptr);
  EXPECT_EQ(*cache.Get(1), "a");
  EXPECT_EQ(*cache.Get(4), "d");
  EXPECT_EQ(cache.used_bytes(), 30u);
  EXPECT_EQ(cache.evictions(), 1u);
  EXPECT_EQ(cache.hits(), 3u);
  EXPECT_EQ(cache.misses(), 1u);
}

TEST(LruCacheTest, ReplacingAndOversizedValues) {
  LruCache<int, std::string> cache(20);
  cache.Put(1, std::make_shared<const std::string>("a"), 5);
  cache.Put(1, std::make_shared<const std::string>("b"), 15);
  EXPECT_EQ(*cache.Get(1), "b");
  EXPECT_EQ(cache.used_bytes(), 15u);
  cache.Put(2, std::make_shared<const std::string>("huge"), 21);  // Not cached.
  EXPECT_EQ(cache.Get(2), nullptr);
  EXPECT_EQ(cache.size(), 1u);
  LruCache<int, std::string> disabled(0);
  disabled.Put(1, std::make_shared<const std::string>("x"), 1);
  EXPECT_EQ(disabled.Get(1), nullptr);
}

TEST(LruCacheTest, ValuesOutliveEviction) {
  LruCache<int, std::string> cache(10);
  cache.Put(1, std::make_shared<const std::string>("kept"), 10);
  auto v = cache.Get(1);
  cache.Put(2, std::make_shared<const std::string>("other"), 10);
  EXPECT_EQ(cache.Get(1), nullptr);
  EXPECT_EQ(*v, "kept");
}

TEST(LruCacheTest, ConcurrentUse) {
  LruCache<int, int> cache(1000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) {
        int k = (i * 7 + t) % 200;
        if (auto v = cache.Get(k)) {
          EXPECT_EQ(*v, k);
        } else {
          cache.Put(k, std::make_shared<const int>(k), 8);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(cache.used_bytes(), 1000u);
}

}  // namespace
}  // namespace strata
