#include "ingest/inflight_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace strata::ingest {
namespace {

TEST(InflightLimiterTest, RefusesPastTheBudgetWhileOthersAreInFlight) {
  InflightLimiter limiter(100);
  auto a = limiter.TryAcquire(60);
  ASSERT_TRUE(a.has_value());
  auto b = limiter.TryAcquire(40);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(limiter.inflight_bytes(), 100u);
  EXPECT_FALSE(limiter.TryAcquire(1).has_value());  // Refused: the count is unchanged.
  EXPECT_EQ(limiter.inflight_bytes(), 100u);
  b.reset();
  EXPECT_TRUE(limiter.TryAcquire(40).has_value());
  a.reset();
  EXPECT_EQ(limiter.inflight_bytes(), 0u);
}

TEST(InflightLimiterTest, OneRequestIsAlwaysAdmittedWhenIdle) {
  InflightLimiter limiter(10);
  auto big = limiter.TryAcquire(1000);
  ASSERT_TRUE(big.has_value());
  EXPECT_FALSE(limiter.TryAcquire(1).has_value());
  big.reset();
  EXPECT_TRUE(limiter.TryAcquire(1).has_value());
}

TEST(InflightLimiterTest, TicketsMoveAndReleaseOnce) {
  InflightLimiter limiter(100);
  std::optional<InflightLimiter::Ticket> moved;
  {
    auto t = limiter.TryAcquire(30);
    ASSERT_TRUE(t.has_value());
    moved.emplace(std::move(*t));
  }
  EXPECT_EQ(limiter.inflight_bytes(), 30u);
  moved.reset();
  EXPECT_EQ(limiter.inflight_bytes(), 0u);
}

TEST(InflightLimiterTest, ConcurrentUseNeverExceedsTheBudget) {
  InflightLimiter limiter(100);
  std::atomic<bool> exceeded{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        if (auto ticket = limiter.TryAcquire(30)) {
          if (limiter.inflight_bytes() > 100) exceeded = true;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_FALSE(exceeded.load());
  EXPECT_EQ(limiter.inflight_bytes(), 0u);
}

}  // namespace
}  // namespace strata::ingest
