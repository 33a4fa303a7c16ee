// RemoteWriteReceiver: the Prometheus remote write 1.0 endpoint's logic, HTTP-free. It checks
// Content-Type/Encoding, bounds and snappy-decodes the body, decodes the protobuf, validates each
// series, and appends the valid rest to the head (which logs to the WAL before returning).
// Thread-safe; many HTTP workers call Write() concurrently.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "ingest/inflight_limiter.h"
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
  // Prometheus retries). Default: 512 MiB.
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
  // `head`, `metadata` and `registry` must outlive the receiver; `metadata` and `registry`
  // may be null.
  RemoteWriteReceiver(storage::Head* head, storage::MetadataStore* metadata,
                      prometheus::Registry* registry, RemoteWriteOptions options);
  ~RemoteWriteReceiver();

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
  struct Metrics;
  storage::Head* head_;
  storage::MetadataStore* metadata_;
  RemoteWriteOptions options_;
  InflightLimiter inflight_;
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace strata::ingest
