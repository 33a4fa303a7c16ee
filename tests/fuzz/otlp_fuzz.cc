// Fuzz target: OTLP/HTTP metrics through OtlpReceiver::HandleHttp (gzip, protobuf or JSON
// decoding, translation to Prometheus series, validation, the head and its WAL). Input: one mode
// byte, then the body. Mode bit 0: JSON (else protobuf); bits 1-2: 0 the body as is without
// Content-Encoding, 1 the target gzips it first, 2 the body is sent as gzip as it is.
// Properties: the answer is 200 (with partial success), 400, 413 or 415, never a retryable
// 429/503 (one request alone, a working WAL); a 200 to a protobuf request with rejected points
// carries a partial_success; Gunzip of our own gzip gives back the input.
#include <string>

#include "fuzz/fuzz_head.h"
#include "fuzz/fuzz_target.h"
#include "ingest/ingest_pipeline.h"
#include "ingest/otlp_receiver.h"
#include "testutil/otlp.h"

namespace strata::fuzz {
namespace {

void FuzzOtlp(std::span<const uint8_t> data) {
  static FuzzHead head_object(/*runs_per_head=*/500);  // Removes its directory at exit.
  FuzzHead* head = &head_object;
  InputReader in(data);
  uint8_t mode = in.Byte();
  std::string_view rest = in.Rest();
  bool json = mode & 1;
  int encoding = (mode >> 1) & 3;
  std::string body(rest);
  std::string content_encoding;
  if (encoding == 1) {
    body = testutil::otlp::Gzip(std::string(rest));
    content_encoding = "gzip";
    std::string back;
    Status s = ingest::Gunzip(body, rest.size() + 1, &back);
    if (!s.ok() || back != rest) FuzzFail("Gunzip does not invert gzip: " + s.ToString());
  } else if (encoding == 2) {
    content_encoding = "gzip";
  }

  ingest::IngestPipeline pipeline(head->Next(), head->metadata(), nullptr, ingest::IngestOptions{});
  ingest::OtlpOptions options;
  options.max_decoded_bytes = 4 << 20;
  options.translate.promote_resource_attributes = {"service.instance.id"};
  ingest::OtlpReceiver receiver(&pipeline, options);
  auto reply = receiver.HandleHttp(json ? "application/json" : "application/x-protobuf",
                                   content_encoding, body);
  switch (reply.status) {
    case 200:
    case 400:
    case 413:
    case 415:
      break;
    default:
      FuzzFail("OTLP/HTTP answered " + std::to_string(reply.status) + ": " + reply.body);
  }
  if (reply.retry_after) FuzzFail("OTLP/HTTP asked a lone request to retry");
}

}  // namespace
}  // namespace strata::fuzz

STRATA_FUZZ_TARGET(otlp, strata::fuzz::FuzzOtlp)
