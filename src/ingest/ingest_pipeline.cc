// The shared ingest step. Label checks use model/validation.h's rules on label views, so a valid
// request allocates nothing here in steady state (per-thread scratch for the append batch).
#include "ingest/ingest_pipeline.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "model/quote.h"
#include "model/validation.h"

namespace strata::ingest {
namespace {

constexpr std::string_view kProtocolNames[kProtocolCount] = {"remote_write", "otlp_http",
                                                             "otlp_grpc", "rules"};
constexpr std::string_view kReasonNames[kRejectReasonCount] = {
    "invalid_labels",      "native_histogram",      "out_of_order",         "duplicate_timestamp",
    "out_of_bounds",       "invalid_metric",        "invalid_timestamp",    "delta_temporality",
    "invalid_temporality", "exponential_histogram", "invalid_histogram",    "series_limit",
    "too_many_labels",     "label_name_too_long",   "label_value_too_long", "too_many_samples"};

// A label name or value for a message: quoted, and cut to its first 64 bytes when longer.
std::string QuoteShort(std::string_view s) {
  if (s.size() <= 64) return model::Quote(s);
  return model::Quote(s.substr(0, 64)) + "... (" + std::to_string(s.size()) + " bytes)";
}

// Drops empty-valued labels in place (shrinking the series' range) and checks the rest: sorted,
// unique, a valid __name__, valid label names, UTF-8 values, then the configured limits. The
// messages are those of model::ValidateLabelsForIngest plus the order checks remote write has
// always reported. *reason says which counter a rejection belongs to.
Status ValidateSeriesLabels(const IngestLimits& limits, IngestBatch* batch, IngestBatch::Series* s,
                            RejectReason* reason) {
  *reason = RejectReason::kInvalidLabels;
  model::LabelView* labels = batch->labels.data();
  uint32_t out = s->labels_begin;
  for (uint32_t i = s->labels_begin; i < s->labels_end; ++i) {
    if (!labels[i].value.empty()) labels[out++] = labels[i];
  }
  s->labels_end = out;
  const uint32_t count = s->labels_end - s->labels_begin;
  if (limits.max_labels_per_series > 0 && count > limits.max_labels_per_series) {
    *reason = RejectReason::kTooManyLabels;
    return Status::InvalidArgument(
        "series has " + std::to_string(count) + " labels, over the limit of " +
        std::to_string(limits.max_labels_per_series) + " (--ingest.max-labels-per-series)");
  }
  std::string_view name;
  for (uint32_t i = s->labels_begin; i < s->labels_end; ++i) {
    const model::LabelView& l = labels[i];
    if (limits.max_label_name_length > 0 && l.name.size() > limits.max_label_name_length) {
      *reason = RejectReason::kLabelNameTooLong;
      return Status::InvalidArgument(
          "label name " + QuoteShort(l.name) + " is " + std::to_string(l.name.size()) +
          " bytes long, over the limit of " + std::to_string(limits.max_label_name_length) +
          " (--ingest.max-label-name-length)");
    }
    if (limits.max_label_value_length > 0 && l.value.size() > limits.max_label_value_length) {
      *reason = RejectReason::kLabelValueTooLong;
      return Status::InvalidArgument(
          "value of label " + QuoteShort(l.name) + " is " + std::to_string(l.value.size()) +
          " bytes long, over the limit of " + std::to_string(limits.max_label_value_length) +
          " (--ingest.max-label-value-length)");
    }
    if (i > s->labels_begin) {
      std::string_view prev = labels[i - 1].name;
      if (prev == l.name) {
        return Status::InvalidArgument("duplicate label name " + model::Quote(l.name));
      }
      if (prev > l.name) {
        return Status::InvalidArgument("labels are not sorted: " + model::Quote(prev) + " before " +
                                       model::Quote(l.name));
      }
    }
    if (l.name == model::kMetricNameLabel) {
      name = l.value;
      if (!model::IsValidMetricName(l.value)) {
        return Status::InvalidArgument("invalid metric name " + model::Quote(l.value));
      }
    } else if (!model::IsValidLabelName(l.name)) {
      return Status::InvalidArgument("invalid label name " + model::Quote(l.name));
    }
    if (!model::IsValidUtf8(l.value)) {
      return Status::InvalidArgument("invalid UTF-8 in value of label " + model::Quote(l.name));
    }
  }
  if (name.empty()) return Status::InvalidArgument("missing metric name (__name__ label)");
  return Status::Ok();
}

std::string DescribeSeries(std::span<const model::LabelView> labels) {
  std::string out = "{";
  for (size_t i = 0; i < labels.size() && i < 8; ++i) {
    if (i > 0) out += ", ";
    out += QuoteShort(labels[i].name);
    out += "=";
    out += QuoteShort(labels[i].value);
  }
  if (labels.size() > 8) out += ", ...";
  out += "}";
  return out;
}

std::vector<storage::SeriesInput>& ThreadAppendBatch() {
  thread_local std::vector<storage::SeriesInput> batch;
  return batch;
}

}  // namespace

std::string_view ProtocolName(Protocol p) { return kProtocolNames[static_cast<size_t>(p)]; }
std::string_view RejectReasonName(RejectReason r) { return kReasonNames[static_cast<size_t>(r)]; }

uint64_t IngestBatch::RejectedByDecoder() const {
  uint64_t n = 0;
  for (uint64_t r : rejected) n += r;
  return n;
}

void IngestBatch::Clear() {
  labels.clear();
  samples.clear();
  series.clear();
  metadata.clear();
  rejected.fill(0);
  problems.clear();
}

struct IngestPipeline::Metrics {
  explicit Metrics(prometheus::Registry* r)
      : received_family(prometheus::BuildCounter()
                            .Name("strata_ingest_samples_received_total")
                            .Help("Samples received, by protocol, before validation.")
                            .Register(*r)),
        rejected_family(prometheus::BuildCounter()
                            .Name("strata_ingest_samples_rejected_total")
                            .Help("Samples (OTLP: data points rejected before translation, and "
                                  "samples after it) rejected, by protocol and reason.")
                            .Register(*r)),
        duplicates_family(prometheus::BuildCounter()
                              .Name("strata_ingest_samples_duplicate_total")
                              .Help("Exact resends of stored samples (accepted, not stored "
                                    "twice).")
                              .Register(*r)),
        requests_refused(prometheus::BuildCounter()
                             .Name("strata_ingest_requests_refused_total")
                             .Help("Whole requests refused, by protocol and reason.")
                             .Register(*r)),
        inflight(prometheus::BuildGauge()
                     .Name("strata_ingest_inflight_bytes")
                     .Help("Uncompressed ingest request bytes being processed.")
                     .Register(*r)
                     .Add({})) {
    for (size_t p = 0; p < kProtocolCount; ++p) {
      const std::string protocol(kProtocolNames[p]);
      received[p] = &received_family.Add({{"protocol", protocol}});
      duplicates[p] = &duplicates_family.Add({{"protocol", protocol}});
      for (size_t k = 0; k < kRejectReasonCount; ++k) {
        rejected[p][k] = &rejected_family.Add(
            {{"protocol", protocol}, {"reason", std::string(kReasonNames[k])}});
      }
    }
  }
  prometheus::Family<prometheus::Counter>& received_family;
  prometheus::Family<prometheus::Counter>& rejected_family;
  prometheus::Family<prometheus::Counter>& duplicates_family;
  prometheus::Family<prometheus::Counter>& requests_refused;
  prometheus::Gauge& inflight;
  std::array<prometheus::Counter*, kProtocolCount> received{};
  std::array<prometheus::Counter*, kProtocolCount> duplicates{};
  std::array<std::array<prometheus::Counter*, kRejectReasonCount>, kProtocolCount> rejected{};

  void Reject(Protocol p, RejectReason r, uint64_t n) {
    if (n > 0) {
      rejected[static_cast<size_t>(p)][static_cast<size_t>(r)]->Increment(static_cast<double>(n));
    }
  }
};

IngestPipeline::IngestPipeline(storage::Head* head, storage::MetadataStore* metadata,
                               prometheus::Registry* registry, IngestOptions options)
    : head_(head),
      metadata_(metadata),
      limits_(options.limits),
      inflight_(options.max_inflight_bytes) {
  if (registry != nullptr) metrics_ = std::make_unique<Metrics>(registry);
}

IngestPipeline::~IngestPipeline() = default;

IngestPipeline::Admission::~Admission() {
  ticket_.reset();
  if (pipeline_ != nullptr) pipeline_->RefreshInflightGauge();
}

void IngestPipeline::RefreshInflightGauge() {
  if (metrics_) metrics_->inflight.Set(static_cast<double>(inflight_.inflight_bytes()));
}

std::optional<IngestPipeline::Admission> IngestPipeline::Admit(Protocol protocol, size_t bytes,
                                                               Status* refusal) {
  std::optional<InflightLimiter::Ticket> ticket = inflight_.TryAcquire(bytes);
  if (!ticket) {
    CountRefused(protocol, "overloaded");
    *refusal = Status::ResourceExhausted("too many ingest bytes in flight (" +
                                         std::to_string(inflight_.inflight_bytes()) +
                                         " bytes); retry later");
    return std::nullopt;
  }
  RefreshInflightGauge();
  return Admission(this, std::move(*ticket));
}

void IngestPipeline::CountRefused(Protocol protocol, std::string_view reason) {
  if (metrics_) {
    metrics_->requests_refused
        .Add({{"protocol", std::string(ProtocolName(protocol))}, {"reason", std::string(reason)}})
        .Increment();
  }
}

Status IngestPipeline::Ingest(Protocol protocol, IngestBatch* batch, IngestOutcome* out) {
  *out = IngestOutcome();
  out->problems = std::move(batch->problems);
  batch->problems.clear();
  uint64_t rejected = batch->RejectedByDecoder();
  if (metrics_) {
    for (size_t k = 0; k < kRejectReasonCount; ++k) {
      metrics_->Reject(protocol, static_cast<RejectReason>(k), batch->rejected[k]);
    }
  }

  // Rule output is not a request: its series and labels are limited, its size is not.
  if (limits_.max_samples_per_request > 0 && protocol != Protocol::kRules) {
    uint64_t total = 0;
    for (const IngestBatch::Series& s : batch->series) total += s.samples_end - s.samples_begin;
    if (total > limits_.max_samples_per_request) {
      CountRefused(protocol, "too_many_samples");
      if (metrics_) {
        metrics_->received[static_cast<size_t>(protocol)]->Increment(static_cast<double>(total));
        metrics_->Reject(protocol, RejectReason::kTooManySamples, total);
      }
      return Status::InvalidArgument(
          "request has " + std::to_string(total) + " samples, over the limit of " +
          std::to_string(limits_.max_samples_per_request) +
          " (--ingest.max-samples-per-request); nothing of it was stored: send smaller requests" +
          (protocol == Protocol::kRemoteWrite
               ? std::string(" (remote_write queue_config.max_samples_per_send)")
               : std::string(" (the exporter's batch size)")));
    }
  }

  std::vector<storage::SeriesInput>& append = ThreadAppendBatch();
  append.clear();
  std::array<uint64_t, kRejectReasonCount> invalid_by{};
  uint64_t invalid = 0;
  bool have_rejected_unit = false;
  uint32_t last_rejected_unit = 0;
  for (IngestBatch::Series& s : batch->series) {
    const uint64_t n = s.samples_end - s.samples_begin;
    out->series++;
    out->samples += n;
    if (n == 0) continue;
    RejectReason reason;
    Status valid = ValidateSeriesLabels(limits_, batch, &s, &reason);
    if (!valid.ok()) {
      invalid += n;
      invalid_by[static_cast<size_t>(reason)] += n;
      if (!have_rejected_unit || s.unit != last_rejected_unit) out->rejected_units++;
      have_rejected_unit = true;
      last_rejected_unit = s.unit;
      if (out->problems.size() < IngestBatch::kMaxProblems) {
        out->problems.push_back(valid.message() + " in series " +
                                DescribeSeries(batch->LabelsOf(s)) + " (" + std::to_string(n) +
                                " samples rejected)");
      }
      continue;
    }
    append.push_back({batch->LabelsOf(s), batch->SamplesOf(s)});
  }
  rejected += invalid;
  if (metrics_) {
    metrics_->received[static_cast<size_t>(protocol)]->Increment(static_cast<double>(out->samples));
    for (size_t k = 0; k < kRejectReasonCount; ++k) {
      metrics_->Reject(protocol, static_cast<RejectReason>(k), invalid_by[k]);
    }
  }
  if (metadata_ != nullptr) {
    for (const IngestBatch::Metadata& m : batch->metadata) {
      if (m.family.empty() || !model::IsValidUtf8(m.family) || !model::IsValidUtf8(m.help) ||
          !model::IsValidUtf8(m.unit)) {
        continue;
      }
      metadata_->Put(m.family, m.type, m.help, m.unit);
    }
  }

  storage::AppendResult result;
  if (!append.empty()) STRATA_RETURN_IF_ERROR(head_->Append(append, &result));
  if (metrics_) {
    metrics_->Reject(protocol, RejectReason::kOutOfOrder, result.out_of_order);
    metrics_->Reject(protocol, RejectReason::kDuplicateTimestamp, result.duplicate_timestamp);
    metrics_->Reject(protocol, RejectReason::kOutOfBounds, result.out_of_bounds);
    metrics_->Reject(protocol, RejectReason::kSeriesLimit, result.series_limit);
    metrics_->duplicates[static_cast<size_t>(protocol)]->Increment(
        static_cast<double>(result.duplicates));
  }
  out->rejected_by_storage = result.rejected();
  out->rejected = rejected + result.rejected();
  out->accepted = result.accepted + result.duplicates;
  for (std::string& e : result.errors) {
    if (out->problems.size() >= IngestBatch::kMaxProblems) break;
    out->problems.push_back(std::move(e));
  }
  return Status::Ok();
}

int HttpStatusFor(Protocol protocol, const Status& status, bool* retry) {
  *retry = false;
  switch (status.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotSupported:
      return 415;
    case StatusCode::kResourceExhausted:
      *retry = true;
      return protocol == Protocol::kRemoteWrite ? 503 : 429;
    default:
      *retry = true;
      return 503;
  }
}

}  // namespace strata::ingest
