// SampleSink: where a rule group's output goes (recording results, ALERTS, ALERTS_FOR_STATE and
// stale markers). The server's IngestSink sends it through the shared ingest step (validation,
// WAL, head, per-protocol metrics); `strata rules test` can plug in its own storage.
// Implementations must be safe to call from several group threads at once (thread-safe).
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "ingest/ingest_pipeline.h"
#include "query/value.h"

namespace strata::rules {

// What the storage refused of an Append.
struct SinkReport {
  uint64_t rejected = 0;      // Samples refused (out of order, duplicate, series limit...).
  std::string first_problem;  // Why the first was, for the rule's lastError.
};

class SampleSink {
 public:
  virtual ~SampleSink() = default;
  // Appends every sample (its own timestamp; stale markers are model::StaleNaN()). Samples the
  // storage refuses (out of order, duplicates, over the series limit) are dropped without
  // failing the call and counted in *report (when not null); a non-OK Status means nothing
  // could be written (WAL down).
  virtual Status Append(const query::Vector& samples, SinkReport* report) = 0;
};

// Writes through IngestPipeline::Ingest with Protocol::kRules. Borrows the pipeline, which must
// outlive it. Thread-safe.
class IngestSink final : public SampleSink {
 public:
  explicit IngestSink(ingest::IngestPipeline* pipeline) : pipeline_(pipeline) {}
  Status Append(const query::Vector& samples, SinkReport* report) override;

 private:
  ingest::IngestPipeline* pipeline_;
};

}  // namespace strata::rules
