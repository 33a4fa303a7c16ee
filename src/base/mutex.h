// Mutex, CondVar, SharedMutex and their RAII lockers, annotated for Clang's thread-safety
// analysis (tools/check_thread_safety.sh, `make tsa`). Thread-safe by definition. Never hold one
// across I/O or a call into another module.
#pragma once

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "base/thread_annotations.h"

namespace strata {

// In debug builds the Mutex records its owning thread so that AssertHeld() can abort when the
// caller does not hold it; in Release (NDEBUG) it is a plain std::mutex and AssertHeld() is
// free. Waiting on it goes through CondVar, which keeps the owner right.
class STRATA_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() STRATA_ACQUIRE() {
    mu_.lock();
    SetOwner();
  }
  void Unlock() STRATA_RELEASE() {
    ClearOwner();
    mu_.unlock();
  }
  // Tells the analysis that the caller holds the lock and, in debug builds, aborts with a
  // message when the calling thread does not hold it.
  void AssertHeld() const STRATA_ASSERT_CAPABILITY(this) {
#ifndef NDEBUG
    if (owner_.load(std::memory_order_relaxed) != std::this_thread::get_id()) {
      std::fputs("strata: Mutex::AssertHeld failed: the calling thread does not hold the mutex\n",
                 stderr);
      std::abort();
    }
#endif
  }

 private:
  friend class CondVar;
#ifndef NDEBUG
  // Only the owner writes it while holding mu_; a thread reading it compares it to its own id,
  // which no other thread stores, so relaxed loads give the right answer.
  void SetOwner() { owner_.store(std::this_thread::get_id(), std::memory_order_relaxed); }
  void ClearOwner() { owner_.store(std::thread::id(), std::memory_order_relaxed); }
  std::atomic<std::thread::id> owner_{};
#else
  void SetOwner() {}
  void ClearOwner() {}
#endif
  std::mutex mu_;
};

// A condition variable for Mutex. Wait* need the mutex held and return holding it; they may
// wake spuriously, so callers loop on their condition (which keeps guarded reads visible to
// the analysis, unlike a predicate lambda).
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  void Wait(Mutex* mu) STRATA_REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    mu->ClearOwner();
    cv_.wait(lock);
    mu->SetOwner();
    lock.release();
  }
  // False when `deadline` passed (the mutex is held again either way).
  bool WaitUntil(Mutex* mu, std::chrono::steady_clock::time_point deadline) STRATA_REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    mu->ClearOwner();
    const bool signalled = cv_.wait_until(lock, deadline) == std::cv_status::no_timeout;
    mu->SetOwner();
    lock.release();
    return signalled;
  }
  // False when `timeout` passed.
  bool WaitFor(Mutex* mu, std::chrono::steady_clock::duration timeout) STRATA_REQUIRES(mu) {
    return WaitUntil(mu, std::chrono::steady_clock::now() + timeout);
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

class STRATA_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) STRATA_ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() STRATA_RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A reader-writer lock. By default new readers may pass a waiting writer (glibc's choice),
// which can starve writers under a steady stream of readers; kWriters makes waiting writers
// block new readers. REQUIRES for kWriters: a thread never takes the shared lock twice.
class STRATA_CAPABILITY("shared_mutex") SharedMutex {
 public:
  enum class Preference { kReaders, kWriters };
  explicit SharedMutex(Preference preference = Preference::kReaders) {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, preference == Preference::kWriters
                                             ? PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP
                                             : PTHREAD_RWLOCK_PREFER_READER_NP);
    pthread_rwlock_init(&mu_, &attr);
    pthread_rwlockattr_destroy(&attr);
  }
  ~SharedMutex() { pthread_rwlock_destroy(&mu_); }
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void Lock() STRATA_ACQUIRE() { pthread_rwlock_wrlock(&mu_); }
  void Unlock() STRATA_RELEASE() { pthread_rwlock_unlock(&mu_); }
  void LockShared() STRATA_ACQUIRE_SHARED() { pthread_rwlock_rdlock(&mu_); }
  void UnlockShared() STRATA_RELEASE_SHARED() { pthread_rwlock_unlock(&mu_); }

 private:
  pthread_rwlock_t mu_;
};

class STRATA_SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(SharedMutex* mu) STRATA_ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~WriterLock() STRATA_RELEASE() { mu_->Unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  SharedMutex* const mu_;
};

class STRATA_SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex* mu) STRATA_ACQUIRE_SHARED(mu) : mu_(mu) { mu_->LockShared(); }
  ~ReaderLock() STRATA_RELEASE() { mu_->UnlockShared(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  SharedMutex* const mu_;
};

}  // namespace strata
