// The interface between `strata` and libstrata_otlp_grpc.so, the OTLP/gRPC listener.
//
// gRPC (grpc++, grpc, gpr, upb, c-ares and about 40 Abseil libraries) is linked into that
// plugin only, and `strata` loads it with dlopen() when --otlp.grpc-listen is set. A server
// without OTLP/gRPC (the default) then maps none of those libraries: that is 60 fewer shared
// objects to relocate at every start and their pages are not in its RSS.
//
// Both sides are built from this one header in the same build, so the types are plain C++;
// kAbiVersion still guards against a plugin from another build. The plugin depends on no
// symbol of `strata`: it gets everything it needs as values and callbacks here, and knows
// nothing of OTLP beyond the method name (request and response are bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace strata::otlp_grpc {

// Bump on any change to the types below.
inline constexpr int kAbiVersion = 1;
// The plugin's file name, looked up next to the executable.
inline constexpr const char* kPluginFile = "libstrata_otlp_grpc.so";
// The exported entry point, of type StartFn.
inline constexpr const char* kStartSymbol = "strata_otlp_grpc_start";
// The one method served; any other gets UNIMPLEMENTED.
inline constexpr const char* kExportMethod =
    "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";

// What the client must present (the web config's client_auth_type).
enum class ClientCert { kNone, kRequest, kRequireAny, kVerifyIfGiven, kRequireAndVerify };

// The answer to one export. code 0 (OK): `body` is the response message. Otherwise a gRPC
// status code, `message`, and `body` is the serialized google.rpc.Status for the
// grpc-status-details-bin trailer (may be empty).
struct ExportReply {
  int code = 0;
  std::string message;
  std::string body;
};

struct Config {
  std::string address;              // host:port; an IPv6 host in brackets. Port 0 picks one.
  int workers = 1;                  // Threads that run `authorize` and `handle`.
  int max_receive_bytes = 4 << 20;  // After decompression; RESOURCE_EXHAUSTED above.
  bool tls = false;
  ClientCert client_cert = ClientCert::kNone;
  std::string key_pem, cert_chain_pem, client_ca_pem;  // With tls.
  // Called on a worker with the call's `authorization` metadata (nullopt when absent).
  std::function<bool(std::optional<std::string_view>)> authorize;
  // Called on a worker with the request message's bytes, after `authorize` said yes.
  std::function<ExportReply(std::string_view)> handle;
};

class Server {
 public:
  virtual ~Server() = default;  // Stops first.
  virtual uint16_t port() const = 0;
  // Stops accepting, lets calls in flight finish (up to 5 s), joins the workers. Idempotent.
  virtual void Stop() = 0;
};

// Binds and starts serving. On failure returns null with *error set.
using StartFn = Server* (*)(int abi_version, const Config& config, std::string* error);

}  // namespace strata::otlp_grpc
