// Loads libstrata_otlp_grpc.so (src/otlp_grpc/) on the first Start() and hands it the
// address, TLS material and two callbacks: basic auth against the web config, and the export
// itself into the OtlpReceiver.
#include "server/otlp_grpc_server.h"

#include <dlfcn.h>

#include <algorithm>
#include <climits>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <thread>

#include "base/log.h"
#include "otlp_grpc/otlp_grpc_plugin.h"
#include "server/basic_auth.h"
#include "server/http_server.h"
#include "server/web_config_watcher.h"

namespace strata::server {
namespace {

// gRPC status codes used here (grpc/status.h; the numbers are the gRPC protocol's).
constexpr int kGrpcInternal = 13;
constexpr int kGrpcResourceExhausted = 8;
constexpr int kGrpcUnavailable = 14;

otlp_grpc::ClientCert PluginClientCert(ClientAuth a) {
  switch (a) {
    case ClientAuth::kNoClientCert:
      return otlp_grpc::ClientCert::kNone;
    case ClientAuth::kRequestClientCert:
      return otlp_grpc::ClientCert::kRequest;
    case ClientAuth::kRequireAnyClientCert:
      return otlp_grpc::ClientCert::kRequireAny;
    case ClientAuth::kVerifyClientCertIfGiven:
      return otlp_grpc::ClientCert::kVerifyIfGiven;
    case ClientAuth::kRequireAndVerifyClientCert:
      return otlp_grpc::ClientCert::kRequireAndVerify;
  }
  return otlp_grpc::ClientCert::kNone;
}

// The plugin's entry point, loaded once per process and never unloaded (gRPC keeps threads
// and globals of its own).
Result<otlp_grpc::StartFn> LoadPlugin() {
  static std::once_flag once;
  static otlp_grpc::StartFn start = nullptr;
  static std::string error;
  std::call_once(once, [] {
    std::error_code ec;
    std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) {
      error = "cannot find the executable's directory: " + ec.message();
      return;
    }
    const std::string path = (exe.parent_path() / otlp_grpc::kPluginFile).string();
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = dlerror();
      error = "cannot load the OTLP/gRPC plugin " + path + " (it is built and shipped next to " +
              "the strata binary): " + (why != nullptr ? why : "unknown error");
      return;
    }
    void* sym = dlsym(handle, otlp_grpc::kStartSymbol);
    if (sym == nullptr) {
      error = "the OTLP/gRPC plugin " + path + " has no " + otlp_grpc::kStartSymbol;
      return;
    }
    start = reinterpret_cast<otlp_grpc::StartFn>(sym);
  });
  if (start == nullptr) return Status::FailedPrecondition(error);
  return start;
}

otlp_grpc::ExportReply Handle(ingest::OtlpReceiver* receiver, std::string_view body) {
  otlp_grpc::ExportReply reply;
  ingest::OtlpExportResult result;
  Status s;
  try {
    s = receiver->Export(ingest::Protocol::kOtlpGrpc, ingest::OtlpFormat::kProtobuf, body, &result);
  } catch (const std::exception& e) {  // Last resort: a bug.
    STRATA_LOG(kError, "otlp_grpc") << "export threw" << LogKV("error", e.what());
    reply.code = kGrpcInternal;
    reply.message = "internal error";
    return reply;
  }
  if (s.ok()) {
    reply.body = ingest::EncodeExportResponse(ingest::OtlpFormat::kProtobuf, result);
    return reply;
  }
  reply.code = ingest::GrpcCodeFor(s);
  const bool retry = reply.code == kGrpcResourceExhausted || reply.code == kGrpcUnavailable;
  reply.message = s.message();
  reply.body = ingest::EncodeRpcStatus(ingest::OtlpFormat::kProtobuf, reply.code, s.message(),
                                       retry ? ingest::kRetryAfterSeconds : 0);
  return reply;
}

bool Authorized(WebConfigWatcher* web, std::optional<std::string_view> authorization) {
  if (web == nullptr) return true;
  std::shared_ptr<const WebState> state = web->Current();
  if (state->config.users.empty()) return true;
  if (!authorization) return false;
  auto creds = ParseBasicAuthorization(*authorization);
  return creds && web->verifier().Verify(state->config.users, creds->user, creds->password);
}

}  // namespace

class OtlpGrpcServer::Impl {
 public:
  std::unique_ptr<otlp_grpc::Server> server;
};

Result<std::unique_ptr<OtlpGrpcServer>> OtlpGrpcServer::Start(const OtlpGrpcOptions& options,
                                                              ingest::OtlpReceiver* receiver,
                                                              WebConfigWatcher* web) {
  std::string host;
  uint16_t port = 0;
  STRATA_RETURN_IF_ERROR(ParseHostPort(options.listen_address, &host, &port));
  auto start = LoadPlugin();
  if (!start.ok()) return start.status().WithContext("starting OTLP/gRPC");
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  otlp_grpc::Config config;
  config.workers = options.worker_threads > 0 ? options.worker_threads : static_cast<int>(cores);
  config.address = host.find(':') != std::string::npos ? "[" + host + "]:" + std::to_string(port)
                                                       : host + ":" + std::to_string(port);
  if (web != nullptr && web->Current()->ssl != nullptr) {
    // The same certificate and client-certificate policy as HTTP, fixed at start: a renewed
    // certificate needs a restart here.
    std::shared_ptr<const WebState> state = web->Current();
    config.tls = true;
    config.client_cert = PluginClientCert(state->config.tls.client_auth);
    config.key_pem = state->tls_material.key_pem;
    config.cert_chain_pem = state->tls_material.cert_chain_pem;
    config.client_ca_pem = state->tls_material.client_ca_pem;
  }
  // gRPC refuses larger messages (after decompression) with RESOURCE_EXHAUSTED.
  config.max_receive_bytes =
      static_cast<int>(std::min<size_t>(receiver->options().max_decoded_bytes, INT_MAX));
  config.authorize = [web](std::optional<std::string_view> a) { return Authorized(web, a); };
  config.handle = [receiver](std::string_view body) { return Handle(receiver, body); };

  std::string error;
  otlp_grpc::Server* started = (*start)(otlp_grpc::kAbiVersion, config, &error);
  if (started == nullptr) return Status::IOError(error);
  std::unique_ptr<OtlpGrpcServer> server(new OtlpGrpcServer());
  server->impl_ = std::make_unique<Impl>();
  server->impl_->server.reset(started);
  server->port_ = started->port();
  STRATA_LOG(kInfo, "otlp_grpc") << "OTLP/gRPC listening" << LogKV("address", config.address)
                                 << LogKV("grpc_port", server->port_)
                                 << LogKV("tls", config.tls ? "true" : "false")
                                 << LogKV("workers", config.workers);
  return server;
}

OtlpGrpcServer::~OtlpGrpcServer() { Stop(); }

void OtlpGrpcServer::Stop() {
  if (impl_ && impl_->server) impl_->server->Stop();
}

}  // namespace strata::server
