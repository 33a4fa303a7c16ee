// OtlpReceiver: OpenTelemetry metrics in (OTLP/HTTP protobuf and JSON, and the bodies of
// OTLP/gRPC), HTTP- and gRPC-free. Export() decodes an ExportMetricsServiceRequest, translates it
// (otlp_translator.h) and hands it to the shared IngestPipeline; it returns once the accepted
// points are in the WAL. HandleHttp() adds OTLP/HTTP's content negotiation, gzip and response
// bodies. Thread-safe; many workers call it concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ingest/ingest_pipeline.h"
#include "ingest/otlp_translator.h"

namespace strata::ingest {

struct OtlpOptions {
  // Largest accepted request after gzip decompression (and for OTLP/gRPC, the largest message).
  // Larger ones get 413 (gRPC: RESOURCE_EXHAUSTED) without being stored; this is what stops a
  // gzip bomb. Default: 64 MiB (an SDK's export is typically well under 1 MiB; the Collector's
  // batches a few MiB).
  size_t max_decoded_bytes = size_t{64} << 20;
  // Translation options (promoted resource attributes).
  OtlpTranslateOptions translate;
};

enum class OtlpFormat : uint8_t { kProtobuf, kJson };

// The outcome of one export in OTLP's terms (data points, not samples).
struct OtlpExportResult {
  uint64_t points = 0;
  uint64_t rejected_points = 0;
  std::string error_message;  // Set when rejected_points > 0: counts and the first reasons.
};

class OtlpReceiver {
 public:
  // `pipeline` must outlive the receiver.
  OtlpReceiver(IngestPipeline* pipeline, OtlpOptions options);
  OtlpReceiver(const OtlpReceiver&) = delete;
  OtlpReceiver& operator=(const OtlpReceiver&) = delete;

  // Ingests one uncompressed request. Returns:
  //   OK                 the valid points are stored; rejected ones are in `result` (partial
  //                      success), including those the head refused (out of order, bounds);
  //   InvalidArgument    undecodable (protobuf or JSON): nothing stored;
  //   ResourceExhausted  over the shared in-flight budget: nothing stored, retry later;
  //   IOError/Unavailable the WAL write failed: nothing stored, retry later.
  Status Export(Protocol protocol, OtlpFormat format, std::string_view body,
                OtlpExportResult* result);

  struct HttpReply {
    int status = 200;
    std::string content_type;
    std::string body;
    bool retry_after = false;  // Send Retry-After: kRetryAfterSeconds (429/503).
  };
  // POST /v1/metrics: `content_type` application/x-protobuf or application/json (else 415),
  // `content_encoding` "", "identity" or "gzip" (else 415). 200 with an
  // ExportMetricsServiceResponse in the request's format (partial_success when points were
  // rejected); 400 with a google.rpc.Status for undecodable bodies; 413 when the body inflates
  // past max_decoded_bytes; 429/503 + Retry-After under back-pressure or a failed WAL write.
  HttpReply HandleHttp(std::string_view content_type, std::string_view content_encoding,
                       std::string_view body);

  const OtlpOptions& options() const { return options_; }

 private:
  IngestPipeline* pipeline_;
  OtlpOptions options_;
};

// Inflates a gzip body (one or more members) into `out`. InvalidArgument for corrupt input;
// ResourceExhausted (and nothing more is inflated) as soon as the output would exceed `limit`.
Status Gunzip(std::string_view in, size_t limit, std::string* out);

// ExportMetricsServiceResponse in `format`: empty ("" / "{}") when nothing was rejected, else
// with partial_success {rejected_data_points, error_message}.
std::string EncodeExportResponse(OtlpFormat format, const OtlpExportResult& result);
// google.rpc.Status {code, message} in `format`; `grpc_code` is a gRPC status code (3 =
// INVALID_ARGUMENT, 8 = RESOURCE_EXHAUSTED, 14 = UNAVAILABLE...). With `retry_delay_s` > 0 a
// google.rpc.RetryInfo detail is attached (protobuf only).
std::string EncodeRpcStatus(OtlpFormat format, int grpc_code, std::string_view message,
                            int retry_delay_s = 0);
// The gRPC status code for a Status returned by Export().
int GrpcCodeFor(const Status& status);

}  // namespace strata::ingest
