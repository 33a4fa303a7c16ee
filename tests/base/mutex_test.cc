#include "base/mutex.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace strata {
namespace {

TEST(MutexTest, AssertHeldPassesWhileHeld) {
  Mutex mu;
  MutexLock lock(&mu);
  mu.AssertHeld();
}

TEST(MutexTest, CondVarWaitReturnsHoldingTheMutex) {
  Mutex mu;
  CondVar cv;
  bool ready = false;  // Guarded by mu (a local: the analysis cannot see it).
  std::thread t([&] {
    MutexLock lock(&mu);  // Taken while the waiter is parked in Wait.
    ready = true;
    cv.SignalAll();
  });
  {
    MutexLock lock(&mu);
    while (!ready) cv.Wait(&mu);
    mu.AssertHeld();  // The owner is this thread again, not the signalling one.
  }
  t.join();
}

TEST(MutexTest, CondVarWaitForTimesOutHoldingTheMutex) {
  Mutex mu;
  CondVar cv;
  MutexLock lock(&mu);
  while (cv.WaitFor(&mu, std::chrono::milliseconds(1))) {
  }
  mu.AssertHeld();
}

#ifndef NDEBUG
TEST(MutexDeathTest, AssertHeldAbortsWhenNotHeld) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Mutex mu;
  EXPECT_DEATH(mu.AssertHeld(), "AssertHeld failed: the calling thread does not hold the mutex");
}

TEST(MutexDeathTest, AssertHeldAbortsWhenAnotherThreadHolds) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Mutex mu;
  MutexLock lock(&mu);
  EXPECT_DEATH(std::thread([&] { mu.AssertHeld(); }).join(), "AssertHeld failed");
}

TEST(MutexDeathTest, AssertHeldAbortsAfterUnlock) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Mutex mu;
  mu.Lock();
  mu.Unlock();
  EXPECT_DEATH(mu.AssertHeld(), "AssertHeld failed");
}
#else
TEST(MutexDeathTest, AssertHeldAbortsWhenNotHeld) {
  GTEST_SKIP() << "AssertHeld checks only in debug builds (NDEBUG is defined)";
}
#endif

}  // namespace
}  // namespace strata
