// TLS for the listeners: TlsMaterial is the PEM text of a TlsServerConfig (files read, inline
// values taken as they are); MakeServerSslContext turns it into an OpenSSL server context with
// the config's versions, ciphers, curves and client-certificate policy. The gRPC listener takes
// the same material (otlp_grpc_server.h). Pure functions; thread-safe.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "server/web_config.h"

namespace boost::asio::ssl {
class context;
}

namespace strata::server {

struct TlsMaterial {
  std::string cert_chain_pem;  // The server certificate first, then intermediates.
  std::string key_pem;
  std::string client_ca_pem;  // Empty: no client CAs configured.
};

// Reads the files of `config` (REQUIRES: config.enabled()). IOError naming the file when one
// cannot be read.
Result<TlsMaterial> ReadTlsMaterial(const TlsServerConfig& config);

// A server context for `config` with `material`. InvalidArgument when the certificate, key or
// client CAs do not parse, the key does not match the certificate, or OpenSSL rejects the
// ciphers, curves or versions. The context is immutable once returned; share it.
Result<std::shared_ptr<boost::asio::ssl::context>> MakeServerSslContext(
    const TlsServerConfig& config, const TlsMaterial& material);

}  // namespace strata::server
