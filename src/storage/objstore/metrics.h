// ObjectStoreMetrics: the strata_objstore_* counters both backends export (names and meaning
// in object_store.h). Without a registry every call is a no-op. Thread-safe (prometheus-cpp
// counters are atomic). Private to storage.
#pragma once

#include <array>
#include <cstdint>

#include "base/status.h"

namespace prometheus {
class Counter;
class Registry;
}  // namespace prometheus

namespace strata::storage::objstore {

enum class Op : uint8_t { kPut = 0, kGet, kGetRange, kStat, kList, kDelete };
inline constexpr int kNumOps = 6;

class ObjectStoreMetrics {
 public:
  // `registry` may be null. When several stores share a registry they share the counters.
  explicit ObjectStoreMetrics(prometheus::Registry* registry);

  void Request(Op op);
  // Counts `status` as an error unless it is OK or NotFound (a missing object is an answer).
  void Finished(Op op, const Status& status);
  void Retry(Op op);
  void Downloaded(uint64_t bytes);
  void Uploaded(uint64_t bytes);

 private:
  std::array<prometheus::Counter*, kNumOps> requests_{};
  std::array<prometheus::Counter*, kNumOps> errors_{};
  std::array<prometheus::Counter*, kNumOps> retries_{};
  prometheus::Counter* downloaded_ = nullptr;
  prometheus::Counter* uploaded_ = nullptr;
};

}  // namespace strata::storage::objstore
