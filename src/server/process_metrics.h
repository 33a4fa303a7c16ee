// ProcessCollector: the standard process_* metrics (resident memory, CPU seconds, open fds,
// start time) read from /proc at scrape time. Thread-safe (stateless apart from constants).
#pragma once

#include <prometheus/collectable.h>

#include <vector>

namespace strata::server {

class ProcessCollector : public prometheus::Collectable {
 public:
  ProcessCollector();
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  double start_time_seconds_;
};

// Resident set size of this process in bytes, from /proc/self/statm (0 if unreadable).
double ResidentMemoryBytes();

}  // namespace strata::server
