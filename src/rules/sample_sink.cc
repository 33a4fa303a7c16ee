#include "rules/sample_sink.h"

namespace strata::rules {

Status IngestSink::Append(const query::Vector& samples, SinkReport* report) {
  if (samples.empty()) return Status::Ok();
  ingest::IngestBatch batch;
  batch.series.reserve(samples.size());
  batch.samples.reserve(samples.size());
  for (const query::VectorSample& s : samples) {
    ingest::IngestBatch::Series series;
    series.labels_begin = static_cast<uint32_t>(batch.labels.size());
    for (const model::Label& l : s.labels) batch.labels.push_back({l.name, l.value});
    series.labels_end = static_cast<uint32_t>(batch.labels.size());
    series.samples_begin = static_cast<uint32_t>(batch.samples.size());
    batch.samples.push_back({s.t, s.v});
    series.samples_end = static_cast<uint32_t>(batch.samples.size());
    series.unit = static_cast<uint32_t>(batch.series.size());
    batch.series.push_back(series);
  }
  ingest::IngestOutcome outcome;
  STRATA_RETURN_IF_ERROR(pipeline_->Ingest(ingest::Protocol::kRules, &batch, &outcome));
  if (report != nullptr) {
    report->rejected = outcome.rejected;
    report->first_problem = outcome.problems.empty() ? std::string() : outcome.problems[0];
  }
  return Status::Ok();
}

}  // namespace strata::rules
