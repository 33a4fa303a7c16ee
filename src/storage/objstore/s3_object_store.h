// S3ObjectStore: an ObjectStore over the S3 REST API (AWS or any S3-compatible service), via
// libcurl, signed with our SigV4 signer (sigv4.h). Keys live under s3://BUCKET/PREFIX/. Each
// request is retried on 5xx, 429, timeouts and connection errors with exponential backoff and
// full jitter (S3Options); other 4xx fail at once. Bodies carry their real SHA-256 in
// x-amz-content-sha256; objects past multipart_threshold_bytes go up as multipart uploads,
// aborted on failure. Thread-safe: the only shared mutable state is the connection pool.
// Private to storage.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "storage/object_store.h"
#include "storage/objstore/http_client.h"
#include "storage/objstore/metrics.h"
#include "storage/objstore/sigv4.h"

namespace strata::storage::objstore {

class S3ObjectStore final : public ObjectStore {
 public:
  // `prefix` has no leading or trailing '/' and may be empty. Does no I/O: a bucket that is
  // missing or unreachable shows in the first request. InvalidArgument for bad options or
  // endpoint; Unavailable when there are no credentials. `registry` may be null.
  static Result<std::unique_ptr<S3ObjectStore>> Open(const std::string& bucket,
                                                     const std::string& prefix,
                                                     const S3Options& options,
                                                     prometheus::Registry* registry);

  Status Put(const std::string& key, std::string_view data) override;
  Status PutFile(const std::string& key, const std::string& path) override;
  Result<std::string> Get(const std::string& key) override;
  Result<std::string> GetRange(const std::string& key, ByteRange range) override;
  Result<ObjectInfo> Stat(const std::string& key) override;
  Result<std::vector<ObjectInfo>> List(const std::string& prefix) override;
  Status Delete(const std::vector<std::string>& keys) override;
  std::string Describe() const override;
  void Interrupt() override { interrupted_.store(true); }

  // The URL a request for the bucket key `full_key` goes to (path or virtual-host style),
  // without a query.
  std::string UrlFor(const std::string& full_key) const;

  // One S3 request before signing. Public for the implementation's helpers only.
  struct Call {
    std::string method;
    std::string full_key;  // Key in the bucket; "" for a bucket-level request.
    HeaderList query;      // Decoded.
    HeaderList headers;    // Extra headers, signed (Range, Content-MD5, Content-Type).
    HttpBody body;
    std::string payload_sha256;   // Hex; empty means the empty body's.
    uint64_t max_body_bytes = 0;  // HttpRequest::max_body_bytes.
  };

 private:
  struct Endpoint {
    std::string scheme;  // "http" or "https"
    std::string host;    // host[:port] as written in the endpoint URL.
  };

  S3ObjectStore(std::string bucket, std::string prefix, S3Options options, Endpoint endpoint,
                SigV4Credentials credentials, prometheus::Registry* registry)
      : bucket_(std::move(bucket)),
        prefix_(std::move(prefix)),
        options_(std::move(options)),
        endpoint_(std::move(endpoint)),
        credentials_(std::move(credentials)),
        metrics_(registry) {}

  std::string FullKey(const std::string& key) const;
  std::string HostHeader() const;
  // Sends `call`, retrying as S3Options says; returns the last response whatever its status
  // (or the last transport error). `attempts`, when given, receives the number of attempts.
  Result<HttpResponse> Execute(Op op, const Call& call, int* attempts = nullptr);
  // Execute, with any status but 2xx turned into an error Status.
  Result<HttpResponse> Run(Op op, const Call& call);
  Status HttpError(const Call& call, const HttpResponse& response) const;

  Status PutBody(const std::string& key, const HttpBody& body);
  Status MultipartUpload(const std::string& full_key, const HttpBody& body);

  const std::string bucket_;
  const std::string prefix_;
  const S3Options options_;
  const Endpoint endpoint_;
  const SigV4Credentials credentials_;
  ObjectStoreMetrics metrics_;
  HttpClient http_;
  std::atomic<bool> interrupted_{false};
};

}  // namespace strata::storage::objstore
