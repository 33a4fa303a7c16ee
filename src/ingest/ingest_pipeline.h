// IngestPipeline: the step every ingest protocol shares once its decoder has run. A decoder
// (remote write, OTLP/HTTP, OTLP/gRPC; later the rule evaluator) fills an IngestBatch; Ingest()
// validates each series' labels with model/validation.h, stores metadata, appends the valid rest
// to the head (logged to the WAL before it returns) and counts every rejected sample by protocol
// and reason. Admit() is the in-flight byte budget all protocols share, and HttpStatusFor() the
// one mapping of its Status codes to HTTP. Thread-safe: many handlers call it concurrently.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ingest/inflight_limiter.h"
#include "model/labels.h"
#include "model/sample.h"
#include "storage/head.h"
#include "storage/metadata_store.h"

namespace prometheus {
class Registry;
}

namespace strata::ingest {

// The `protocol` label of the ingest metrics. Never renumber: indexes arrays.
// kRules: recording-rule results and ALERTS / ALERTS_FOR_STATE written by the rule evaluator.
enum class Protocol : uint8_t { kRemoteWrite = 0, kOtlpHttp = 1, kOtlpGrpc = 2, kRules = 3 };
inline constexpr size_t kProtocolCount = 4;
std::string_view ProtocolName(Protocol p);  // "remote_write", "otlp_http", "otlp_grpc", "rules"

// Why samples (or OTLP data points) were rejected: the `reason` label of
// strata_ingest_samples_rejected_total. Never renumber: indexes arrays.
enum class RejectReason : uint8_t {
  kInvalidLabels = 0,     // invalid_labels: names, UTF-8, order, duplicates, no __name__
  kNativeHistogram,       // native_histogram: remote-write histograms (not stored yet)
  kOutOfOrder,            // out_of_order: older than the series' newest sample
  kDuplicateTimestamp,    // duplicate_timestamp: same time as the newest, other value
  kOutOfBounds,           // out_of_bounds: before the head's lower bound or too far ahead
  kInvalidMetric,         // invalid_metric: OTLP metric without a usable name or data
  kInvalidTimestamp,      // invalid_timestamp: OTLP point at time 0 or past year 2262
  kDeltaTemporality,      // delta_temporality: OTLP delta sums and histograms
  kInvalidTemporality,    // invalid_temporality: OTLP unspecified or unknown temporality
  kExponentialHistogram,  // exponential_histogram: OTLP exponential histograms
  kInvalidHistogram,      // invalid_histogram: bucket counts that do not match the bounds
  kSeriesLimit,           // series_limit: a new series past --storage.max-series
  kTooManyLabels,         // too_many_labels: past --ingest.max-labels-per-series
  kLabelNameTooLong,      // label_name_too_long: past --ingest.max-label-name-length
  kLabelValueTooLong,     // label_value_too_long: past --ingest.max-label-value-length
  kTooManySamples,        // too_many_samples: the request is past --ingest.max-samples-per-request
};
inline constexpr size_t kRejectReasonCount = 16;
std::string_view RejectReasonName(RejectReason r);

// One request's decoded series, laid out flat (as WriteRequestView): one array of labels and one
// of samples, with a range of each per series. The views borrow the request's bytes or the
// decoder's arena; they must stay valid until Ingest() returns. Confined to one thread.
struct IngestBatch {
  struct Series {
    uint32_t labels_begin = 0, labels_end = 0;
    uint32_t samples_begin = 0, samples_end = 0;
    // What the sender counts as one unit: an OTLP data point (whose series are contiguous) or
    // a remote-write series. Outcome::rejected_units counts units with a rejected series.
    uint32_t unit = 0;
  };
  struct Metadata {
    std::string_view family;
    std::string_view type;  // As /api/v1/metadata prints it: "counter", "gauge", ...
    std::string_view help;
    std::string_view unit;
  };
  static constexpr size_t kMaxProblems = storage::AppendResult::kMaxErrors;

  std::vector<model::LabelView> labels;
  std::vector<model::Sample> samples;
  std::vector<Series> series;
  std::vector<Metadata> metadata;
  // Rejections the decoder decided itself (these are not in `series`), per reason, and the
  // first kMaxProblems messages.
  std::array<uint64_t, kRejectReasonCount> rejected{};
  std::vector<std::string> problems;

  // True while another problem message would be kept (build messages only then).
  bool WantsProblem() const { return problems.size() < kMaxProblems; }
  void Reject(RejectReason reason, uint64_t count, std::string message) {
    rejected[static_cast<size_t>(reason)] += count;
    if (WantsProblem()) problems.push_back(std::move(message));
  }
  uint64_t RejectedByDecoder() const;
  std::span<const model::LabelView> LabelsOf(const Series& s) const {
    return std::span<const model::LabelView>(labels).subspan(s.labels_begin,
                                                             s.labels_end - s.labels_begin);
  }
  std::span<const model::Sample> SamplesOf(const Series& s) const {
    return std::span<const model::Sample>(samples).subspan(s.samples_begin,
                                                           s.samples_end - s.samples_begin);
  }
  void Clear();
};

// What Ingest() did with one batch.
struct IngestOutcome {
  uint64_t series = 0;                // Series in the batch.
  uint64_t samples = 0;               // Samples in the batch's series (valid or not).
  uint64_t accepted = 0;              // Stored, or exact resends of stored samples.
  uint64_t rejected = 0;              // Decoder rejections + invalid labels + storage rejections.
  uint64_t rejected_by_storage = 0;   // Of which the head refused (out of order, bounds...).
  uint64_t rejected_units = 0;        // Units (Series::unit) with a series of invalid labels.
  std::vector<std::string> problems;  // The first IngestBatch::kMaxProblems messages.
};

// Limits on what one request or series may carry, checked by Ingest() for every protocol
// (recording-rule output included). 0 turns a limit off; all are off by default, as in
// Prometheus. A series over a label limit is rejected whole (the rest of its request is stored)
// with a message naming the limit; a request over max_samples_per_request is refused whole
// (InvalidArgument: HTTP 400, gRPC INVALID_ARGUMENT), which senders do not retry.
struct IngestLimits {
  // Labels of one series, __name__ included, after empty-valued labels are dropped.
  uint32_t max_labels_per_series = 0;
  // Bytes of one label name (__name__ included) and of one label value (the metric name too).
  uint32_t max_label_name_length = 0;
  uint32_t max_label_value_length = 0;
  // Samples of one request (after OTLP translation: a histogram point is several samples).
  // Recording-rule output is exempt.
  uint64_t max_samples_per_request = 0;
};

struct IngestOptions {
  // Uncompressed request bytes being processed at once across all protocols. A request that
  // would go past it is refused with ResourceExhausted (HTTP 503/429 + Retry-After, gRPC
  // RESOURCE_EXHAUSTED + RetryInfo), which every sender retries. One request is always
  // admitted when nothing else is in flight. Default: 512 MiB (--remote-write.max-inflight-bytes).
  size_t max_inflight_bytes = size_t{512} << 20;
  IngestLimits limits;
};

class IngestPipeline {
 public:
  // `head` must outlive the pipeline; `metadata` and `registry` may be null (then nothing is
  // recorded there) and must outlive it otherwise.
  IngestPipeline(storage::Head* head, storage::MetadataStore* metadata,
                 prometheus::Registry* registry, IngestOptions options);
  ~IngestPipeline();
  IngestPipeline(const IngestPipeline&) = delete;
  IngestPipeline& operator=(const IngestPipeline&) = delete;

  // Holds admitted bytes of the shared budget until destroyed; refreshes the in-flight gauge.
  class Admission {
   public:
    Admission(Admission&& other) noexcept = default;
    Admission& operator=(Admission&&) = delete;
    ~Admission();

   private:
    friend class IngestPipeline;
    Admission(IngestPipeline* pipeline, InflightLimiter::Ticket ticket)
        : pipeline_(pipeline), ticket_(std::move(ticket)) {}
    IngestPipeline* pipeline_;
    std::optional<InflightLimiter::Ticket> ticket_;
  };

  // Admits `bytes` (the uncompressed request) or returns nullopt with *refusal set to
  // ResourceExhausted naming the budget; counts the refusal (reason "overloaded").
  std::optional<Admission> Admit(Protocol protocol, size_t bytes, Status* refusal);

  // Validates, appends and counts `batch` (whose label ranges may be compacted in place: empty
  // values are dropped). Returns OK with every rejection in `out` (even when all were
  // rejected), or the head's error (IOError/Unavailable: the WAL write failed, nothing of the
  // batch was stored; retryable). Labels must be sorted by name; unsorted or duplicate names
  // are rejected as invalid labels, as in remote write.
  Status Ingest(Protocol protocol, IngestBatch* batch, IngestOutcome* out);

  // Counts a request refused whole before Ingest() (strata_ingest_requests_refused_total).
  void CountRefused(Protocol protocol, std::string_view reason);

  size_t inflight_bytes() const { return inflight_.inflight_bytes(); }

 private:
  struct Metrics;
  void RefreshInflightGauge();

  storage::Head* head_;
  storage::MetadataStore* metadata_;
  const IngestLimits limits_;
  InflightLimiter inflight_;
  std::unique_ptr<Metrics> metrics_;
};

// The HTTP status for a Status returned by a receiver (the one mapping every ingest endpoint
// uses): OK 200 (remote write answers 204 itself), InvalidArgument 400, NotSupported 415,
// ResourceExhausted 503 for remote write (Prometheus retries 5xx, and 429 only when told to) and
// 429 for OTLP (the OTLP specification's throttling code), anything else 503. `*retry` is set
// when the sender should retry (429/503), which then needs a Retry-After header.
int HttpStatusFor(Protocol protocol, const Status& status, bool* retry);

// Seconds a throttled sender should wait (Retry-After, gRPC RetryInfo).
inline constexpr int kRetryAfterSeconds = 1;

}  // namespace strata::ingest
