#include "ingest/remote_write.h"

#include <snappy.h>

#include <algorithm>
#include <string>
#include <vector>

#include "ingest/write_request.h"
#include "model/quote.h"

namespace strata::ingest {
namespace {

// Per-thread scratch buffers: decoding a request then allocates nothing in steady state.
struct Scratch {
  std::string decoded;
  WriteRequestView request;
  IngestBatch batch;
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
    case 1:
      return "counter";
    case 2:
      return "gauge";
    case 3:
      return "histogram";
    case 4:
      return "gaugehistogram";
    case 5:
      return "summary";
    case 6:
      return "info";
    case 7:
      return "stateset";
    default:
      return "unknown";
  }
}

std::string DescribeSeries(const IngestBatch& req, const WriteRequestView::Series& s) {
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

RemoteWriteReceiver::RemoteWriteReceiver(IngestPipeline* pipeline, RemoteWriteOptions options)
    : pipeline_(pipeline), options_(options) {}

RemoteWriteReceiver::RemoteWriteReceiver(storage::Head* head, storage::MetadataStore* metadata,
                                         prometheus::Registry* registry, RemoteWriteOptions options)
    : owned_pipeline_(std::make_unique<IngestPipeline>(
          head, metadata, registry,
          IngestOptions{.max_inflight_bytes = options.max_inflight_bytes})),
      pipeline_(owned_pipeline_.get()),
      options_(options) {}

RemoteWriteReceiver::~RemoteWriteReceiver() = default;

Status RemoteWriteReceiver::Write(std::string_view content_type, std::string_view content_encoding,
                                  std::string_view body, WriteSummary* summary) {
  auto refuse = [&](const char* reason, Status s) {
    pipeline_->CountRefused(Protocol::kRemoteWrite, reason);
    return s;
  };
  if (!content_type.empty() &&
      !EqualsIgnoreCase(MediaType(content_type), "application/x-protobuf")) {
    return refuse("content_type",
                  Status::NotSupported("unsupported Content-Type \"" + std::string(content_type) +
                                       "\": want application/x-protobuf"));
  }
  std::string_view proto = ProtoParam(content_type);
  if (!proto.empty() && proto != "prometheus.WriteRequest") {
    return refuse(
        "content_type",
        Status::NotSupported("unsupported remote write protobuf message \"" + std::string(proto) +
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
    return refuse("too_large",
                  Status::InvalidArgument("decoded request of " + std::to_string(decoded_len) +
                                          " bytes is over the limit of " +
                                          std::to_string(options_.max_decoded_bytes) + " bytes"));
  }
  // Admission: the uncompressed size counts against the shared budget for the whole request.
  Status refusal;
  std::optional<IngestPipeline::Admission> admission =
      pipeline_->Admit(Protocol::kRemoteWrite, decoded_len, &refusal);
  if (!admission) return refusal;

  Scratch& scratch = ThreadScratch();
  scratch.decoded.resize(decoded_len);
  if (!snappy::RawUncompress(body.data(), body.size(), scratch.decoded.data())) {
    return refuse("snappy", Status::InvalidArgument("snappy: corrupt or truncated input"));
  }
  WriteRequestView& req = scratch.request;
  Status decoded = DecodeWriteRequest(scratch.decoded, &req);
  if (!decoded.ok()) return refuse("protobuf", decoded);

  // The decoded request is already laid out as the shared step wants it: hand over the arrays
  // (swapped back below, so both keep their capacity).
  IngestBatch& batch = scratch.batch;
  batch.Clear();
  batch.labels.swap(req.labels);
  batch.samples.swap(req.samples);
  batch.series.reserve(req.series.size());
  uint32_t unit = 0;
  for (const auto& s : req.series) {
    if (s.histograms > 0) {
      std::string message;
      if (batch.WantsProblem()) {
        message = "native histograms are not supported yet (" + std::to_string(s.histograms) +
                  " dropped) for series " + DescribeSeries(batch, s);
      }
      batch.Reject(RejectReason::kNativeHistogram, s.histograms, std::move(message));
    }
    batch.series.push_back({s.labels_begin, s.labels_end, s.samples_begin, s.samples_end, unit++});
  }
  for (const auto& m : req.metadata) {
    batch.metadata.push_back({m.family, MetadataTypeName(m.type), m.help, m.unit});
  }
  IngestOutcome outcome;
  Status ingested = pipeline_->Ingest(Protocol::kRemoteWrite, &batch, &outcome);
  batch.labels.swap(req.labels);
  batch.samples.swap(req.samples);
  STRATA_RETURN_IF_ERROR(ingested);

  summary->series = outcome.series;
  summary->samples = outcome.samples;
  summary->accepted = outcome.accepted;
  summary->rejected = outcome.rejected;
  if (outcome.rejected == 0) return Status::Ok();
  std::string msg = std::to_string(outcome.rejected) + " of " + std::to_string(summary->samples) +
                    " samples rejected, " + std::to_string(summary->accepted) + " accepted: ";
  for (size_t i = 0; i < outcome.problems.size(); ++i) {
    if (i > 0) msg += "; ";
    msg += outcome.problems[i];
  }
  return Status::InvalidArgument(std::move(msg));
}

}  // namespace strata::ingest
