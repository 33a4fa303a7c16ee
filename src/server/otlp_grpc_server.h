// OtlpGrpcServer: OTLP/gRPC metrics on a listener of its own
// (opentelemetry.proto.collector.metrics.v1.MetricsService/Export), served by the plugin
// libstrata_otlp_grpc.so (src/otlp_grpc/), loaded from the executable's directory on the first
// Start(): FailedPrecondition naming the file when it cannot be loaded. Requests arrive as raw
// bytes (gRPC has already undone grpc-encoding gzip) and go to the same OtlpReceiver as
// OTLP/HTTP on a worker pool, so gRPC's threads never wait for the WAL. Errors follow the OTLP
// specification: INVALID_ARGUMENT for undecodable data, RESOURCE_EXHAUSTED / UNAVAILABLE with a
// google.rpc.RetryInfo under back-pressure or a failed WAL write. With a web config, the
// listener uses its TLS certificate and client-certificate policy (fixed at start) and every
// call must carry `authorization: Basic ...` metadata of one of its current basic_auth_users
// (else UNAUTHENTICATED). Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/result.h"
#include "ingest/otlp_receiver.h"

namespace strata::server {

class WebConfigWatcher;

struct OtlpGrpcOptions {
  // host:port to serve OTLP/gRPC on; empty = off. Port 0 picks a free port. Default: off
  // (--otlp.grpc-listen=127.0.0.1:4317 is the usual setting).
  std::string listen_address;
  // Threads running exports. 0 = number of cores. Default: 0.
  int worker_threads = 0;
};

class OtlpGrpcServer {
 public:
  // Binds and starts serving into `receiver` (which must outlive the server), with `web`'s TLS
  // and basic auth when given (it must outlive the server too). IOError when the address cannot
  // be bound, InvalidArgument when it is malformed.
  static Result<std::unique_ptr<OtlpGrpcServer>> Start(const OtlpGrpcOptions& options,
                                                       ingest::OtlpReceiver* receiver,
                                                       WebConfigWatcher* web = nullptr);
  ~OtlpGrpcServer();  // Calls Stop().
  OtlpGrpcServer(const OtlpGrpcServer&) = delete;
  OtlpGrpcServer& operator=(const OtlpGrpcServer&) = delete;

  // Stops accepting, lets exports in flight finish (up to 5 s), joins the workers. Idempotent.
  void Stop();
  uint16_t port() const { return port_; }

 private:
  class Impl;
  OtlpGrpcServer() = default;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

}  // namespace strata::server
