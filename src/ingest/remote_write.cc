#include "ingest/remote_write.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <snappy.h>

#include <algorithm>
#include <string>
#include <vector>

#include "ingest/write_request.h"
#include "model/quote.h"
#include "model/validation.h"

namespace strata::ingest {
namespace {

// Per-thread scratch buffers: decoding a request then allocates nothing in steady state.
struct Scratch {
  std::string decoded;
  WriteRequestView request;
  std::vector<storage::SeriesInput> batch;
};

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

std::string_view MediaType(std::string_view content_type) {
  size_t semi = content_type.find(';');
  std::string_view t = content_type.substr(0, semi);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  return t;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The value of the `proto` parameter of a Content-Type, or "".
std::string_view ProtoParam(std::string_view content_type) {
  size_t pos = content_type.find("proto=");
  if (pos == std::string_view::npos) return {};
  std::string_view v = content_type.substr(pos + 6);
  v = v.substr(0, v.find(';'));
  while (!v.empty() && (v.back() == ' ' || v.back() == '"')) v.remove_suffix(1);
  while (!v.empty() && v.front() == '"') v.remove_prefix(1);
  return v;
}

const char* MetadataTypeName(int type) {
  switch (type) {
    case 1: return "counter";
    case 2: return "gauge";
    case 3: return "histogram";
    case 4: return "gaugehistogram";
    case 5: return "summary";
    case 6: return "info";
    case 7: return "stateset";
    default: return "unknown";
  }
}

// Drops empty-valued labels in place and checks the label set of one series. On success the
// series' label range is a valid label set (sorted, unique, named, valid names, UTF-8).
Status ValidateSeriesLabels(WriteRequestView* req, WriteRequestView::Series* s) {
  auto* labels = req->labels.data();
  uint32_t out = s->labels_begin;
  for (uint32_t i = s->labels_begin; i < s->labels_end; ++i) {
    if (!labels[i].value.empty()) labels[out++] = labels[i];
  }
  s->labels_end = out;
  std::string_view name;
  for (uint32_t i = s->labels_begin; i < s->labels_end; ++i) {
    const model::LabelView& l = labels[i];
    if (i > s->labels_begin) {
      std::string_view prev = labels[i - 1].name;
      if (prev == l.name) {
        return Status::InvalidArgument("duplicate label name " + model::Quote(l.name));
      }
      if (prev > l.name) {
        return Status::InvalidArgument("labels are not sorted: " + model::Quote(prev) +
                                       " before " + model::Quote(l.name));
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

std::string DescribeSeries(const WriteRequestView& req, const WriteRequestView::Series& s) {
  std::string out = "{";
  for (uint32_t i = s.labels_begin; i < s.labels_end && i < s.labels_begin + 8; ++i) {
    if (i > s.labels_begin) out += ", ";
    out += model::Quote(req.labels[i].name);
    out += "=";
    out += model::Quote(req.labels[i].value);
  }
  if (s.labels_end > s.labels_begin + 8) out += ", ...";
  out += "}";
  return out;
}

}  // namespace

struct RemoteWriteReceiver::Metrics {
  explicit Metrics(prometheus::Registry* r)
      : received(prometheus::BuildCounter()
                     .Name("strata_ingest_samples_received_total")
                     .Help("Samples received over remote write, before validation.")
                     .Register(*r)
                     .Add({{"protocol", "remote_write"}})),
        rejected_family(prometheus::BuildCounter()
                            .Name("strata_ingest_samples_rejected_total")
                            .Help("Samples rejected, by reason.")
                            .Register(*r)),
        out_of_order(rejected_family.Add({{"reason", "out_of_order"}})),
        duplicate_ts(rejected_family.Add({{"reason", "duplicate_timestamp"}})),
        out_of_bounds(rejected_family.Add({{"reason", "out_of_bounds"}})),
        invalid_labels(rejected_family.Add({{"reason", "invalid_labels"}})),
        histograms(rejected_family.Add({{"reason", "native_histogram"}})),
        duplicates(prometheus::BuildCounter()
                       .Name("strata_ingest_samples_duplicate_total")
                       .Help("Exact resends of stored samples (accepted, not stored twice).")
                       .Register(*r)
                       .Add({})),
        requests_refused(prometheus::BuildCounter()
                             .Name("strata_ingest_requests_refused_total")
                             .Help("Whole requests refused, by reason.")
                             .Register(*r)),
        inflight(prometheus::BuildGauge()
                     .Name("strata_ingest_inflight_bytes")
                     .Help("Uncompressed remote-write bytes being processed.")
                     .Register(*r)
                     .Add({})) {}
  prometheus::Counter& received;
  prometheus::Family<prometheus::Counter>& rejected_family;
  prometheus::Counter& out_of_order;
  prometheus::Counter& duplicate_ts;
  prometheus::Counter& out_of_bounds;
  prometheus::Counter& invalid_labels;
  prometheus::Counter& histograms;
  prometheus::Counter& duplicates;
  prometheus::Family<prometheus::Counter>& requests_refused;
  prometheus::Gauge& inflight;
};

RemoteWriteReceiver::RemoteWriteReceiver(storage::Head* head, storage::MetadataStore* metadata,
                                         prometheus::Registry* registry,
                                         RemoteWriteOptions options)
    : head_(head), metadata_(metadata), options_(options), inflight_(options.max_inflight_bytes) {
  if (registry != nullptr) metrics_ = std::make_unique<Metrics>(registry);
}

RemoteWriteReceiver::~RemoteWriteReceiver() = default;

Status RemoteWriteReceiver::Write(std::string_view content_type,
                                  std::string_view content_encoding, std::string_view body,
                                  WriteSummary* summary) {
  auto refuse = [&](const char* reason, Status s) {
    if (metrics_) metrics_->requests_refused.Add({{"reason", reason}}).Increment();
    return s;
  };
  if (!content_type.empty() && !EqualsIgnoreCase(MediaType(content_type), "application/x-protobuf")) {
    return refuse("content_type",
                  Status::NotSupported("unsupported Content-Type \"" + std::string(content_type) +
                                       "\": want application/x-protobuf"));
  }
  std::string_view proto = ProtoParam(content_type);
  if (!proto.empty() && proto != "prometheus.WriteRequest") {
    return refuse("content_type",
                  Status::NotSupported("unsupported remote write protobuf message \"" +
                                       std::string(proto) +
                                       "\": only remote write 1.0 (prometheus.WriteRequest)"));
  }
  if (!EqualsIgnoreCase(content_encoding, "snappy")) {
    return refuse("content_encoding",
                  Status::NotSupported("unsupported Content-Encoding \"" +
                                       std::string(content_encoding) + "\": want snappy"));
  }
  size_t decoded_len = 0;
  if (!snappy::GetUncompressedLength(body.data(), body.size(), &decoded_len)) {
    return refuse("snappy",
                  Status::InvalidArgument("snappy: corrupt input (cannot read length header)"));
  }
  if (decoded_len > options_.max_decoded_bytes) {
    return refuse("too_large", Status::InvalidArgument(
                                   "decoded request of " + std::to_string(decoded_len) +
                                   " bytes is over the limit of " +
                                   std::to_string(options_.max_decoded_bytes) + " bytes"));
  }
  // Admission: the uncompressed size counts against the budget for the whole request. The
  // gauge guard is declared first so that it runs after the ticket is released.
  struct GaugeRefresh {
    RemoteWriteReceiver* self;
    ~GaugeRefresh() {
      if (self->metrics_) {
        self->metrics_->inflight.Set(static_cast<double>(self->inflight_.inflight_bytes()));
      }
    }
  } refresh{this};
  std::optional<InflightLimiter::Ticket> ticket = inflight_.TryAcquire(decoded_len);
  if (!ticket) {
    return refuse("overloaded",
                  Status::ResourceExhausted("too many remote-write bytes in flight (" +
                                            std::to_string(inflight_.inflight_bytes()) +
                                            " bytes); retry later"));
  }
  if (metrics_) metrics_->inflight.Set(static_cast<double>(inflight_.inflight_bytes()));

  Scratch& scratch = ThreadScratch();
  scratch.decoded.resize(decoded_len);
  if (!snappy::RawUncompress(body.data(), body.size(), scratch.decoded.data())) {
    return refuse("snappy", Status::InvalidArgument("snappy: corrupt or truncated input"));
  }
  WriteRequestView& req = scratch.request;
  Status decoded = DecodeWriteRequest(scratch.decoded, &req);
  if (!decoded.ok()) return refuse("protobuf", decoded);

  std::vector<std::string> problems;
  uint64_t rejected = 0;
  auto& batch = scratch.batch;
  batch.clear();
  for (auto& s : req.series) {
    uint64_t n = s.samples_end - s.samples_begin;
    summary->series++;
    summary->samples += n;
    if (s.histograms > 0) {
      rejected += s.histograms;
      if (metrics_) metrics_->histograms.Increment(s.histograms);
      if (problems.size() < storage::AppendResult::kMaxErrors) {
        problems.push_back("native histograms are not supported yet (" +
                           std::to_string(s.histograms) + " dropped) for series " +
                           DescribeSeries(req, s));
      }
    }
    if (n == 0) continue;
    Status valid = ValidateSeriesLabels(&req, &s);
    if (!valid.ok()) {
      rejected += n;
      if (metrics_) metrics_->invalid_labels.Increment(static_cast<double>(n));
      if (problems.size() < storage::AppendResult::kMaxErrors) {
        problems.push_back(valid.message() + " in series " + DescribeSeries(req, s) + " (" +
                           std::to_string(n) + " samples rejected)");
      }
      continue;
    }
    batch.push_back({req.LabelsOf(s), req.SamplesOf(s)});
  }
  if (metrics_) metrics_->received.Increment(static_cast<double>(summary->samples));
  if (metadata_ != nullptr) {
    for (const auto& m : req.metadata) {
      if (m.family.empty() || !model::IsValidUtf8(m.family) || !model::IsValidUtf8(m.help) ||
          !model::IsValidUtf8(m.unit)) {
        continue;
      }
      metadata_->Put(m.family, MetadataTypeName(m.type), m.help, m.unit);
    }
  }

  storage::AppendResult result;
  if (!batch.empty()) {
    STRATA_RETURN_IF_ERROR(head_->Append(batch, &result));
  }
  if (metrics_) {
    metrics_->out_of_order.Increment(static_cast<double>(result.out_of_order));
    metrics_->duplicate_ts.Increment(static_cast<double>(result.duplicate_timestamp));
    metrics_->out_of_bounds.Increment(static_cast<double>(result.out_of_bounds));
    metrics_->duplicates.Increment(static_cast<double>(result.duplicates));
  }
  rejected += result.rejected();
  summary->accepted = result.accepted + result.duplicates;
  summary->rejected = rejected;
  for (auto& e : result.errors) {
    if (problems.size() >= storage::AppendResult::kMaxErrors) break;
    problems.push_back(std::move(e));
  }
  if (rejected == 0) return Status::Ok();
  std::string msg = std::to_string(rejected) + " of " + std::to_string(summary->samples) +
                    " samples rejected, " + std::to_string(summary->accepted) + " accepted: ";
  for (size_t i = 0; i < problems.size(); ++i) {
    if (i > 0) msg += "; ";
    msg += problems[i];
  }
  return Status::InvalidArgument(std::move(msg));
}

}  // namespace strata::ingest
