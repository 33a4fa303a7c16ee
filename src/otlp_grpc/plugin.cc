// libstrata_otlp_grpc.so: the OTLP/gRPC listener (see otlp_grpc_plugin.h). A generic callback
// service takes every call as raw bytes (gRPC has already undone grpc-encoding gzip and
// enforced the message size limit); a call to the export method is read, then authorized and
// handled on an asio thread pool, so gRPC's threads never wait for bcrypt or the WAL.
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "otlp_grpc/otlp_grpc_plugin.h"

namespace strata::otlp_grpc {
namespace {

grpc_ssl_client_certificate_request_type GrpcClientCert(ClientCert c) {
  switch (c) {
    case ClientCert::kNone:
      return GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
    case ClientCert::kRequest:
      return GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_BUT_DONT_VERIFY;
    case ClientCert::kRequireAny:
      return GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_BUT_DONT_VERIFY;
    case ClientCert::kVerifyIfGiven:
      return GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
    case ClientCert::kRequireAndVerify:
      return GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
}

// One call: read the single request message, then answer on the pool. Deletes itself when
// gRPC is done with it (OnDone); after Finish() nothing touches `this` but gRPC.
class ExportReactor final : public grpc::ServerGenericBidiReactor {
 public:
  ExportReactor(grpc::GenericCallbackServerContext* context, const Config* config,
                boost::asio::thread_pool* pool)
      : context_(context), config_(config), pool_(pool) {
    if (context->method() != kExportMethod) {
      Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "unknown method " + context->method()));
      return;
    }
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request message"));
      return;
    }
    boost::asio::post(*pool_, [this] { Answer(); });
  }

  void OnDone() override { delete this; }

 private:
  void Answer() {
    const auto& md = context_->client_metadata();
    auto it = md.find("authorization");
    std::optional<std::string_view> auth;
    if (it != md.end()) auth = std::string_view(it->second.data(), it->second.size());
    if (!config_->authorize(auth)) {
      Finish(grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "missing or wrong basic auth credentials"));
      return;
    }
    std::vector<grpc::Slice> slices;
    if (!request_.Dump(&slices).ok()) {
      Finish(grpc::Status(grpc::StatusCode::INTERNAL, "cannot read the request"));
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
    ExportReply reply = config_->handle(body);
    if (reply.code != 0) {
      Finish(grpc::Status(static_cast<grpc::StatusCode>(reply.code), reply.message, reply.body));
      return;
    }
    grpc::Slice slice(reply.body);
    response_ = grpc::ByteBuffer(&slice, 1);
    StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
  }

  grpc::GenericCallbackServerContext* context_;
  const Config* config_;
  boost::asio::thread_pool* pool_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
};

class ExportService final : public grpc::CallbackGenericService {
 public:
  ExportService(const Config* config, boost::asio::thread_pool* pool)
      : config_(config), pool_(pool) {}
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    return new ExportReactor(context, config_, pool_);
  }

 private:
  const Config* config_;
  boost::asio::thread_pool* pool_;
};

class GrpcServer final : public Server {
 public:
  explicit GrpcServer(const Config& config)
      : config_(config), pool_(static_cast<size_t>(config.workers)), service_(&config_, &pool_) {}
  ~GrpcServer() override { Stop(); }

  bool Start(std::string* error) {
    grpc::ServerBuilder builder;
    std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
    if (config_.tls) {
      // gRPC takes the certificate and client-certificate policy; its TLS versions and
      // ciphers are gRPC's own (TLS 1.2+).
      grpc::SslServerCredentialsOptions ssl(GrpcClientCert(config_.client_cert));
      ssl.pem_root_certs = config_.client_ca_pem;
      ssl.pem_key_cert_pairs.push_back({config_.key_pem, config_.cert_chain_pem});
      creds = grpc::SslServerCredentials(ssl);
    }
    int selected = 0;
    builder.AddListeningPort(config_.address, creds, &selected);
    builder.SetMaxReceiveMessageSize(config_.max_receive_bytes);
    builder.RegisterCallbackGenericService(&service_);
    server_ = builder.BuildAndStart();
    if (!server_ || selected == 0) {
      *error = "cannot listen for OTLP/gRPC on " + config_.address;
      server_.reset();
      pool_.join();
      stopped_ = true;
      return false;
    }
    port_ = static_cast<uint16_t>(selected);
    return true;
  }

  uint16_t port() const override { return port_; }

  void Stop() override {
    if (stopped_) return;
    stopped_ = true;
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    pool_.join();
    server_->Wait();
  }

 private:
  const Config config_;
  boost::asio::thread_pool pool_;
  ExportService service_;
  std::unique_ptr<grpc::Server> server_;
  uint16_t port_ = 0;
  bool stopped_ = false;
};

}  // namespace
}  // namespace strata::otlp_grpc

extern "C" __attribute__((visibility("default"))) strata::otlp_grpc::Server* strata_otlp_grpc_start(
    int abi_version, const strata::otlp_grpc::Config& config, std::string* error) {
  using strata::otlp_grpc::kAbiVersion;
  if (abi_version != kAbiVersion) {
    *error = "plugin ABI version " + std::to_string(kAbiVersion) + ", caller's " +
             std::to_string(abi_version) + ": the plugin is from another build";
    return nullptr;
  }
  auto server = std::make_unique<strata::otlp_grpc::GrpcServer>(config);
  if (!server->Start(error)) return nullptr;
  return server.release();
}
static_assert(std::is_same_v<decltype(&strata_otlp_grpc_start), strata::otlp_grpc::StartFn>);
