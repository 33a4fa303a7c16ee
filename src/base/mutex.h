// Mutex, SharedMutex and their RAII lockers, annotated for Clang's thread-safety analysis.
// Thread-safe by definition. Never hold one across I/O or a call into another module.
#pragma once

#include <condition_variable>
#include <pthread.h>

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
