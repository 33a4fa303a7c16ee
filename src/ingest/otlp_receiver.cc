// OTLP receiver. Protobuf bodies go straight to the hand-written decoder (otlp_translator.cc).
// JSON bodies are parsed by libprotobuf's proto3 JSON parser into the generated classes and
// re-serialized for the same decoder: JSON is the slow, rare path (browsers, curl), and this way
// it follows proto3 JSON exactly (camelCase or original names, 64-bit integers as strings or
// numbers, integer enums, "NaN"/"Infinity", unknown fields ignored) with one translation
// for both formats. Responses are small and encoded by hand.
#include "ingest/otlp_receiver.h"

#include <google/protobuf/util/json_util.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "base/coding.h"
#include "ingest/proto_wire.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"

namespace strata::ingest {
namespace {

// Per-thread scratch: a steady stream of requests allocates nothing once these have grown.
struct Scratch {
  std::string inflated;
  std::string json_proto;
  StringArena arena;
  IngestBatch batch;
};

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

std::string_view MediaType(std::string_view content_type) {
  std::string_view t = content_type.substr(0, content_type.find(';'));
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

// Messages in responses must be valid UTF-8 (protobuf strings, JSON): bytes of invalid input
// quoted into them are already \x-escaped by model::Quote; this is a last guard.
std::string Utf8Safe(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) out.push_back(static_cast<unsigned char>(c) < 0x80 ? c : '?');
  return out;
}

}  // namespace

OtlpReceiver::OtlpReceiver(IngestPipeline* pipeline, OtlpOptions options)
    : pipeline_(pipeline), options_(std::move(options)) {}

Status OtlpReceiver::Export(Protocol protocol, OtlpFormat format, std::string_view body,
                            OtlpExportResult* result) {
  *result = OtlpExportResult();
  Status refusal;
  std::optional<IngestPipeline::Admission> admission =
      pipeline_->Admit(protocol, body.size(), &refusal);
  if (!admission) return refusal;

  Scratch& scratch = ThreadScratch();
  std::string_view proto = body;
  if (format == OtlpFormat::kJson) {
    opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest request;
    google::protobuf::util::JsonParseOptions json_options;
    json_options.ignore_unknown_fields = true;
    auto parsed = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(body.data(), body.size()), &request, json_options);
    if (!parsed.ok()) {
      pipeline_->CountRefused(protocol, "json");
      return Status::InvalidArgument("invalid OTLP JSON: " + std::string(parsed.message()));
    }
    scratch.json_proto.clear();
    if (!request.SerializeToString(&scratch.json_proto)) {
      return Status::InvalidArgument("invalid OTLP JSON: cannot re-encode the request");
    }
    proto = scratch.json_proto;
  }

  scratch.arena.Reset();
  IngestBatch& batch = scratch.batch;
  batch.Clear();
  OtlpTranslation translation;
  Status decoded =
      TranslateOtlpMetrics(proto, options_.translate, &scratch.arena, &batch, &translation);
  if (!decoded.ok()) {
    pipeline_->CountRefused(protocol, "protobuf");
    return decoded;
  }
  IngestOutcome outcome;
  STRATA_RETURN_IF_ERROR(pipeline_->Ingest(protocol, &batch, &outcome));

  // OTLP counts data points. A point is rejected when translation refused it, when one of its
  // series had invalid labels, or when the head refused its samples; the head reports samples
  // only (a histogram point is many samples), so that part is bounded by the points left.
  result->points = translation.points;
  uint64_t rejected = translation.rejected_points + outcome.rejected_units;
  rejected = std::min(rejected, translation.points);
  rejected += std::min(outcome.rejected_by_storage, translation.points - rejected);
  result->rejected_points = rejected;
  if (rejected > 0 || outcome.rejected > 0) {
    std::string msg = std::to_string(rejected) + " of " + std::to_string(translation.points) +
                      " data points rejected";
    if (outcome.rejected_by_storage > 0) {
      msg += " (" + std::to_string(outcome.rejected_by_storage) + " samples refused by storage)";
    }
    msg += ": ";
    for (size_t i = 0; i < outcome.problems.size(); ++i) {
      if (i > 0) msg += "; ";
      msg += outcome.problems[i];
    }
    result->error_message = Utf8Safe(msg);
  }
  return Status::Ok();
}

OtlpReceiver::HttpReply OtlpReceiver::HandleHttp(std::string_view content_type,
                                                 std::string_view content_encoding,
                                                 std::string_view body) {
  HttpReply reply;
  OtlpFormat format;
  std::string_view media = MediaType(content_type);
  if (EqualsIgnoreCase(media, "application/x-protobuf")) {
    format = OtlpFormat::kProtobuf;
  } else if (EqualsIgnoreCase(media, "application/json")) {
    format = OtlpFormat::kJson;
  } else {
    pipeline_->CountRefused(Protocol::kOtlpHttp, "content_type");
    reply.status = 415;
    reply.content_type = "application/json";
    reply.body = EncodeRpcStatus(OtlpFormat::kJson, 3,
                                 "unsupported Content-Type \"" + Utf8Safe(content_type) +
                                     "\": want application/x-protobuf or application/json");
    return reply;
  }
  reply.content_type = format == OtlpFormat::kJson ? "application/json" : "application/x-protobuf";
  auto fail = [&](int http, int grpc_code, const std::string& message) {
    reply.status = http;
    reply.body = EncodeRpcStatus(format, grpc_code, Utf8Safe(message));
    return reply;
  };
  std::string_view payload = body;
  if (EqualsIgnoreCase(content_encoding, "gzip")) {
    Scratch& scratch = ThreadScratch();
    Status s = Gunzip(body, options_.max_decoded_bytes, &scratch.inflated);
    if (s.code() == StatusCode::kResourceExhausted) {
      pipeline_->CountRefused(Protocol::kOtlpHttp, "too_large");
      return fail(413, 8, s.message());
    }
    if (!s.ok()) {
      pipeline_->CountRefused(Protocol::kOtlpHttp, "gzip");
      return fail(400, 3, s.message());
    }
    payload = scratch.inflated;
  } else if (!content_encoding.empty() && !EqualsIgnoreCase(content_encoding, "identity")) {
    pipeline_->CountRefused(Protocol::kOtlpHttp, "content_encoding");
    return fail(415, 3,
                "unsupported Content-Encoding \"" + std::string(content_encoding) +
                    "\": want gzip or none");
  }
  if (payload.size() > options_.max_decoded_bytes) {
    pipeline_->CountRefused(Protocol::kOtlpHttp, "too_large");
    return fail(413, 8,
                "request of " + std::to_string(payload.size()) + " bytes is over the limit of " +
                    std::to_string(options_.max_decoded_bytes) + " bytes");
  }
  OtlpExportResult result;
  Status s = Export(Protocol::kOtlpHttp, format, payload, &result);
  if (!s.ok()) {
    bool retry = false;
    reply.status = HttpStatusFor(Protocol::kOtlpHttp, s, &retry);
    reply.retry_after = retry;
    reply.body = EncodeRpcStatus(format, GrpcCodeFor(s), Utf8Safe(s.message()),
                                 retry ? kRetryAfterSeconds : 0);
    return reply;
  }
  reply.status = 200;
  reply.body = EncodeExportResponse(format, result);
  return reply;
}

Status Gunzip(std::string_view in, size_t limit, std::string* out) {
  out->clear();
  z_stream zs{};
  // 16 + MAX_WBITS: gzip framing only (OTLP's Content-Encoding: gzip).
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Status::Internal("zlib: inflateInit2");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  Status status = Status::Ok();
  size_t produced = 0;
  for (;;) {
    // Grow geometrically up to limit + 1 bytes: one byte past the limit proves the excess.
    if (out->size() - produced < 64 * 1024 && out->size() < limit + 1) {
      size_t grow = std::max<size_t>(64 * 1024, out->size());
      out->resize(std::min(out->size() + grow, limit + 1));
    }
    zs.next_out = reinterpret_cast<Bytef*>(out->data() + produced);
    zs.avail_out = static_cast<uInt>(out->size() - produced);
    int rc = inflate(&zs, Z_NO_FLUSH);
    produced = out->size() - zs.avail_out;
    if (produced > limit) {
      status = Status::ResourceExhausted("gzip body inflates past the limit of " +
                                         std::to_string(limit) + " bytes");
      break;
    }
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      // Another gzip member follows (concatenated gzip is valid).
      if (inflateReset(&zs) != Z_OK) {
        status = Status::InvalidArgument("gzip: cannot read the next member");
        break;
      }
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      status = Status::InvalidArgument("gzip: truncated body");
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      status = Status::InvalidArgument(std::string("gzip: corrupt body (") +
                                       (zs.msg != nullptr ? zs.msg : "error") + ")");
      break;
    }
  }
  inflateEnd(&zs);
  out->resize(std::min(produced, out->size()));
  return status;
}

std::string EncodeExportResponse(OtlpFormat format, const OtlpExportResult& result) {
  if (format == OtlpFormat::kJson) {
    if (result.rejected_points == 0 && result.error_message.empty()) return "{}";
    std::string out = "{\"partialSuccess\":{\"rejectedDataPoints\":\"" +
                      std::to_string(result.rejected_points) + "\",\"errorMessage\":\"";
    wire::AppendJsonEscaped(result.error_message, &out);
    out += "\"}}";
    return out;
  }
  if (result.rejected_points == 0 && result.error_message.empty()) return "";
  std::string partial;
  if (result.rejected_points > 0) {
    PutVarint64(&partial, (1 << 3) | 0);
    PutVarint64(&partial, result.rejected_points);
  }
  if (!result.error_message.empty()) {
    PutVarint64(&partial, (2 << 3) | 2);
    PutLengthPrefixed(&partial, result.error_message);
  }
  std::string out;
  PutVarint64(&out, (1 << 3) | 2);
  PutLengthPrefixed(&out, partial);
  return out;
}

std::string EncodeRpcStatus(OtlpFormat format, int grpc_code, std::string_view message,
                            int retry_delay_s) {
  if (format == OtlpFormat::kJson) {
    std::string out = "{\"code\":" + std::to_string(grpc_code) + ",\"message\":\"";
    wire::AppendJsonEscaped(message, &out);
    out += "\"}";
    return out;
  }
  std::string out;
  if (grpc_code != 0) {
    PutVarint64(&out, (1 << 3) | 0);
    PutVarint64(&out, static_cast<uint64_t>(grpc_code));
  }
  if (!message.empty()) {
    PutVarint64(&out, (2 << 3) | 2);
    PutLengthPrefixed(&out, message);
  }
  if (retry_delay_s > 0) {
    std::string duration, retry_info, any;
    PutVarint64(&duration, (1 << 3) | 0);  // Duration.seconds
    PutVarint64(&duration, static_cast<uint64_t>(retry_delay_s));
    PutVarint64(&retry_info, (1 << 3) | 2);  // RetryInfo.retry_delay
    PutLengthPrefixed(&retry_info, duration);
    PutVarint64(&any, (1 << 3) | 2);  // Any.type_url
    PutLengthPrefixed(&any, "type.googleapis.com/google.rpc.RetryInfo");
    PutVarint64(&any, (2 << 3) | 2);  // Any.value
    PutLengthPrefixed(&any, retry_info);
    PutVarint64(&out, (3 << 3) | 2);  // Status.details
    PutLengthPrefixed(&out, any);
  }
  return out;
}

int GrpcCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 0;
    case StatusCode::kInvalidArgument:
      return 3;  // INVALID_ARGUMENT
    case StatusCode::kNotSupported:
      return 12;  // UNIMPLEMENTED
    case StatusCode::kResourceExhausted:
      return 8;  // RESOURCE_EXHAUSTED
    default:
      return 14;  // UNAVAILABLE
  }
}

}  // namespace strata::ingest
