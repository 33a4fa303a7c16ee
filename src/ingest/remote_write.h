// RemoteWriteReceiver: the Prometheus remote write 1.0 endpoint's logic, HTTP-free. It checks
// Content-Type/Encoding, bounds and snappy-decodes the body and decodes the protobuf; the shared
// IngestPipeline then validates each series and appends the valid rest to the head (which logs
// to the WAL before returning). Thread-safe; many HTTP workers call Write() concurrently.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "ingest/ingest_pipeline.h"
#include "storage/head.h"
#include "storage/metadata_store.h"

namespace prometheus {
class Registry;
}

namespace strata::ingest {

struct RemoteWriteOptions {
  // Largest accepted uncompressed WriteRequest. Default: 256 MiB.
  size_t max_decoded_bytes = size_t{256} << 20;
  // Uncompressed bytes being processed at once across all requests. A request that would go
  // past it is refused with ResourceExhausted (the server answers 503 + Retry-After, which
  // Prometheus retries). The budget is IngestPipeline's, shared with OTLP; this field sets it
  // (IngestOptions::max_inflight_bytes). Default: 512 MiB.
  size_t max_inflight_bytes = size_t{512} << 20;
};

// Outcome of one request.
struct WriteSummary {
  uint64_t series = 0;
  uint64_t samples = 0;
  uint64_t accepted = 0;
  uint64_t rejected = 0;
};

class RemoteWriteReceiver {
 public:
  // Feeds `pipeline`, which must outlive the receiver (options.max_inflight_bytes is then the
  // pipeline's business).
  RemoteWriteReceiver(IngestPipeline* pipeline, RemoteWriteOptions options);
  // With a pipeline of its own over `head`, `metadata` and `registry` (which must outlive the
  // receiver; `metadata` and `registry` may be null).
  RemoteWriteReceiver(storage::Head* head, storage::MetadataStore* metadata,
                      prometheus::Registry* registry, RemoteWriteOptions options);
  ~RemoteWriteReceiver();
  RemoteWriteReceiver(const RemoteWriteReceiver&) = delete;
  RemoteWriteReceiver& operator=(const RemoteWriteReceiver&) = delete;

  // Returns:
  //   OK                 every sample was accepted (or was an exact duplicate);
  //   InvalidArgument    the request or some of its series/samples were rejected; the message
  //                      lists what and why; everything valid was stored;
  //   NotSupported       unsupported Content-Type or Content-Encoding (nothing stored);
  //   ResourceExhausted  over the in-flight byte limit (nothing stored; retry later);
  //   IOError/Unavailable the WAL write failed (nothing stored).
  Status Write(std::string_view content_type, std::string_view content_encoding,
               std::string_view body, WriteSummary* summary);

 private:
  std::unique_ptr<IngestPipeline> owned_pipeline_;  // Only with the second constructor.
  IngestPipeline* pipeline_;
  RemoteWriteOptions options_;
};

}  // namespace strata::ingest
