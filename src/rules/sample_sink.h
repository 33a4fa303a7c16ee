// SampleSink: where a rule group's output goes (recording results, ALERTS, ALERTS_FOR_STATE and
// stale markers). The server's IngestSink sends it through the shared ingest step (validation,
// WAL, head, per-protocol metrics); `strata rules test` can plug in its own storage.
// Implementations must be safe to call from several group threads at once (thread-safe).
#pragma once

#include "base/status.h"
#include "ingest/ingest_pipeline.h"
#include "query/value.h"

namespace strata::rules {

class SampleSink {
 public:
  virtual ~SampleSink() = default;
  // Appends every sample (its own timestamp; stale markers are model::StaleNaN()). Samples the
  // storage refuses (out of order, duplicates) are dropped without failing the call, as
  // Prometheus' rule appender does; a non-OK Status means nothing could be written (WAL down).
  virtual Status Append(const query::Vector& samples) = 0;
};

// Writes through IngestPipeline::Ingest with Protocol::kRules. Borrows the pipeline, which must
// outlive it. Thread-safe.
class IngestSink final : public SampleSink {
 public:
  explicit IngestSink(ingest::IngestPipeline* pipeline) : pipeline_(pipeline) {}
  Status Append(const query::Vector& samples) override;

 private:
  ingest::IngestPipeline* pipeline_;
};

}  // namespace strata::rules
