// The gRPC service uses the callback API with raw ByteBuffers (no generated-class parse: the
// bytes go to the hand-written decoder) and posts each export to an asio thread pool.
#include "server/otlp_grpc_server.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "base/log.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"
#include "server/basic_auth.h"
#include "server/http_server.h"
#include "server/web_config_watcher.h"

namespace strata::server {
namespace {

using MetricsService = opentelemetry::proto::collector::metrics::v1::MetricsService;

class ExportService final
    : public MetricsService::WithRawCallbackMethod_Export<MetricsService::Service> {
 public:
  ExportService(ingest::OtlpReceiver* receiver, boost::asio::thread_pool* pool,
                WebConfigWatcher* web)
      : receiver_(receiver), pool_(pool), web_(web) {}

  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    std::vector<grpc::Slice> slices;
    if (!request->Dump(&slices).ok()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::INTERNAL, "cannot read the request"));
      return reactor;
    }
    boost::asio::post(*pool_, [this, context, reactor, response, slices = std::move(slices)] {
      // On the pool: bcrypt takes milliseconds.
      if (!Authorized(*context)) {
        reactor->Finish(grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                     "missing or wrong basic auth credentials"));
        return;
      }
      // One slice (the usual case) is used in place; several are joined.
      std::string joined;
      std::string_view body;
      if (slices.size() == 1) {
        body = {reinterpret_cast<const char*>(slices[0].begin()), slices[0].size()};
      } else {
        for (const auto& s : slices)
          joined.append(reinterpret_cast<const char*>(s.begin()), s.size());
        body = joined;
      }
      ingest::OtlpExportResult result;
      Status s;
      try {
        s = receiver_->Export(ingest::Protocol::kOtlpGrpc, ingest::OtlpFormat::kProtobuf, body,
                              &result);
      } catch (const std::exception& e) {  // Last resort: a bug.
        STRATA_LOG(kError, "otlp_grpc") << "export threw" << LogKV("error", e.what());
        reactor->Finish(grpc::Status(grpc::StatusCode::INTERNAL, "internal error"));
        return;
      }
      if (s.ok()) {
        std::string out = ingest::EncodeExportResponse(ingest::OtlpFormat::kProtobuf, result);
        grpc::Slice slice(out);
        *response = grpc::ByteBuffer(&slice, 1);
        reactor->Finish(grpc::Status::OK);
        return;
      }
      const int code = ingest::GrpcCodeFor(s);
      const bool retry = code == static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED) ||
                         code == static_cast<int>(grpc::StatusCode::UNAVAILABLE);
      std::string details = ingest::EncodeRpcStatus(
          ingest::OtlpFormat::kProtobuf, code, s.message(), retry ? ingest::kRetryAfterSeconds : 0);
      reactor->Finish(grpc::Status(static_cast<grpc::StatusCode>(code), s.message(), details));
    });
    return reactor;
  }

 private:
  bool Authorized(const grpc::CallbackServerContext& context) {
    if (web_ == nullptr) return true;
    std::shared_ptr<const WebState> web = web_->Current();
    if (web->config.users.empty()) return true;
    const auto& md = context.client_metadata();
    auto it = md.find("authorization");
    if (it == md.end()) return false;
    auto creds = ParseBasicAuthorization(std::string_view(it->second.data(), it->second.size()));
    return creds && web_->verifier().Verify(web->config.users, creds->user, creds->password);
  }

  ingest::OtlpReceiver* receiver_;
  boost::asio::thread_pool* pool_;
  WebConfigWatcher* web_;  // Optional.
};

grpc_ssl_client_certificate_request_type GrpcClientAuth(ClientAuth a) {
  switch (a) {
    case ClientAuth::kNoClientCert:
      return GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
    case ClientAuth::kRequestClientCert:
      return GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_BUT_DONT_VERIFY;
    case ClientAuth::kRequireAnyClientCert:
      return GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_BUT_DONT_VERIFY;
    case ClientAuth::kVerifyClientCertIfGiven:
      return GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
    case ClientAuth::kRequireAndVerifyClientCert:
      return GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
}

}  // namespace

class OtlpGrpcServer::Impl {
 public:
  Impl(ingest::OtlpReceiver* receiver, int workers, WebConfigWatcher* web)
      : pool_(static_cast<size_t>(workers)), service_(receiver, &pool_, web) {}
  boost::asio::thread_pool pool_;
  ExportService service_;
  std::unique_ptr<grpc::Server> server_;
  bool stopped_ = false;
};

Result<std::unique_ptr<OtlpGrpcServer>> OtlpGrpcServer::Start(const OtlpGrpcOptions& options,
                                                              ingest::OtlpReceiver* receiver,
                                                              WebConfigWatcher* web) {
  std::string host;
  uint16_t port = 0;
  STRATA_RETURN_IF_ERROR(ParseHostPort(options.listen_address, &host, &port));
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  int workers = options.worker_threads > 0 ? options.worker_threads : static_cast<int>(cores);
  std::unique_ptr<OtlpGrpcServer> server(new OtlpGrpcServer());
  server->impl_ = std::make_unique<Impl>(receiver, workers, web);
  grpc::ServerBuilder builder;
  int selected = 0;
  std::string address = host.find(':') != std::string::npos
                            ? "[" + host + "]:" + std::to_string(port)
                            : host + ":" + std::to_string(port);
  std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
  bool tls = false;
  if (web != nullptr && web->Current()->ssl != nullptr) {
    // gRPC takes the same certificate and client-certificate policy; its TLS versions and
    // ciphers are gRPC's own (TLS 1.2+), and a renewed certificate needs a restart here.
    std::shared_ptr<const WebState> state = web->Current();
    grpc::SslServerCredentialsOptions ssl(GrpcClientAuth(state->config.tls.client_auth));
    ssl.pem_root_certs = state->tls_material.client_ca_pem;
    ssl.pem_key_cert_pairs.push_back(
        {state->tls_material.key_pem, state->tls_material.cert_chain_pem});
    creds = grpc::SslServerCredentials(ssl);
    tls = true;
  }
  builder.AddListeningPort(address, creds, &selected);
  // gRPC refuses larger messages (after decompression) with RESOURCE_EXHAUSTED.
  const size_t max = std::min<size_t>(receiver->options().max_decoded_bytes, INT32_MAX);
  builder.SetMaxReceiveMessageSize(static_cast<int>(max));
  builder.RegisterService(&server->impl_->service_);
  server->impl_->server_ = builder.BuildAndStart();
  if (!server->impl_->server_ || selected == 0) {
    server->impl_->pool_.join();
    return Status::IOError("cannot listen for OTLP/gRPC on " + options.listen_address);
  }
  server->port_ = static_cast<uint16_t>(selected);
  STRATA_LOG(kInfo, "otlp_grpc") << "OTLP/gRPC listening" << LogKV("address", address)
                                 << LogKV("grpc_port", server->port_)
                                 << LogKV("tls", tls ? "true" : "false")
                                 << LogKV("workers", workers);
  return server;
}

OtlpGrpcServer::~OtlpGrpcServer() { Stop(); }

void OtlpGrpcServer::Stop() {
  if (!impl_ || impl_->stopped_) return;
  impl_->stopped_ = true;
  if (impl_->server_) {
    impl_->server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }
  impl_->pool_.join();
  if (impl_->server_) impl_->server_->Wait();
}

}  // namespace strata::server
