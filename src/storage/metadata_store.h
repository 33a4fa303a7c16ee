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
  // Records metadata for a family, replacing what was there. Cheap when unchanged.
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
