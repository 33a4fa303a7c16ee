// MetadataStore: the latest type/help/unit seen per metric family (from remote-write metadata
// or OTLP), for /api/v1/metadata. In memory only, as Prometheus keeps it. Thread-safe.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/mutex.h"

namespace strata::storage {

struct MetricMetadata {
  std::string family;
  std::string type;  // "counter", "gauge", "histogram", "gaugehistogram", "summary", "info",
                     // "stateset" or "unknown", as Prometheus' API prints it.
  std::string help;
  std::string unit;
};

class MetadataStore {
 public:
  // Bounds, so metadata cannot take memory without limit (OTLP and remote write send it for
  // every family, whether or not a sample was stored): entries past kMaxEntryBytes (name, help
  // and unit together) are not kept, nor new families once kMaxFamilies are held.
  static constexpr size_t kMaxFamilies = 200'000;
  static constexpr size_t kMaxEntryBytes = 16 << 10;

  // Records metadata for a family, replacing what was there (within the bounds above). Cheap
  // when unchanged.
  void Put(std::string_view family, std::string_view type, std::string_view help,
           std::string_view unit);
  // All families sorted by name, or only `family` when non-empty; at most `limit` (<= 0: all).
  std::vector<MetricMetadata> List(std::string_view family, int limit) const;
  size_t size() const;

 private:
  mutable SharedMutex mu_;
  absl::flat_hash_map<std::string, MetricMetadata> by_family_ STRATA_GUARDED_BY(mu_);
};

}  // namespace strata::storage
