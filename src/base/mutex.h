// Mutex, SharedMutex and their RAII lockers, annotated for Clang's thread-safety analysis.
// Thread-safe by definition. Never hold one across I/O or a call into another module.
#pragma once

#include <condition_variable>
#include <mutex>
#include <shared_mutex>

#include "base/thread_annotations.h"

namespace strata {

class STRATA_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() STRATA_ACQUIRE() { mu_.lock(); }
  void Unlock() STRATA_RELEASE() { mu_.unlock(); }
  // Documents (and, under Clang, tells the analysis) that the caller holds the lock.
  void AssertHeld() const STRATA_ASSERT_CAPABILITY(this) {}

  // For condition variables only.
  std::mutex& native() { return mu_; }

 private:
  std::mutex mu_;
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

class STRATA_CAPABILITY("shared_mutex") SharedMutex {
 public:
  SharedMutex() = default;
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void Lock() STRATA_ACQUIRE() { mu_.lock(); }
  void Unlock() STRATA_RELEASE() { mu_.unlock(); }
  void LockShared() STRATA_ACQUIRE_SHARED() { mu_.lock_shared(); }
  void UnlockShared() STRATA_RELEASE_SHARED() { mu_.unlock_shared(); }

 private:
  std::shared_mutex mu_;
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
