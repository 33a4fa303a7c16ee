// OpenSSL calls go through the context's native handle where Asio has no wrapper (versions,
// groups, client CA list). Errors are collected from OpenSSL's error queue into the Status.
#include "server/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl/context.hpp>
#include <fstream>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

namespace strata::server {
namespace {

namespace ssl = boost::asio::ssl;

Result<std::string> ReadPemFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(std::string("failed to read ") + what + " (" + path + ")");
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IOError(std::string("failed to read ") + what + " (" + path + ")");
  return ss.str();
}

std::string OpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// Go cipher suite names -> OpenSSL's. TLS 1.3 names map to "" (not configurable, as in Go).
std::string_view OpenSslCipher(std::string_view go) {
  static const std::pair<std::string_view, std::string_view> kMap[] = {
      {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
      {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
      {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
      {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
      {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
      {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
      {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
      {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
      {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
      {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
  };
  for (const auto& [g, o] : kMap) {
    if (g == go) return o;
  }
  return "";
}

std::string_view OpenSslGroup(std::string_view go) {
  if (go == "CurveP256") return "P-256";
  if (go == "CurveP384") return "P-384";
  if (go == "CurveP521") return "P-521";
  return "X25519";
}

// Accepts whatever certificate the client sent (RequestClientCert, RequireAnyClientCert).
int AcceptAnyCertificate(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) { return 1; }

Status AddClientCas(SSL_CTX* ctx, const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return Status::Internal("BIO_new_mem_buf failed");
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int added = 0;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, cert);
    SSL_CTX_add_client_CA(ctx, cert);
    X509_free(cert);
    ++added;
  }
  BIO_free(bio);
  ERR_clear_error();  // The loop ends on a "no start line" error.
  if (added == 0) return Status::InvalidArgument("the client CAs contain no PEM certificate");
  return Status::Ok();
}

}  // namespace

Result<TlsMaterial> ReadTlsMaterial(const TlsServerConfig& config) {
  TlsMaterial m;
  if (!config.cert_file.empty()) {
    STRATA_ASSIGN_OR_RETURN(m.cert_chain_pem, ReadPemFile(config.cert_file, "cert_file"));
  } else {
    m.cert_chain_pem = config.cert;
  }
  if (!config.key_file.empty()) {
    STRATA_ASSIGN_OR_RETURN(m.key_pem, ReadPemFile(config.key_file, "key_file"));
  } else {
    m.key_pem = config.key;
  }
  if (!config.client_ca_file.empty()) {
    STRATA_ASSIGN_OR_RETURN(m.client_ca_pem, ReadPemFile(config.client_ca_file, "client_ca_file"));
  } else {
    m.client_ca_pem = config.client_ca;
  }
  return m;
}

Result<std::shared_ptr<ssl::context>> MakeServerSslContext(const TlsServerConfig& config,
                                                           const TlsMaterial& material) {
  ERR_clear_error();
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                       ssl::context::single_dh_use,
                   ec);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  if (config.prefer_server_cipher_suites) {
    SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE);
  }
  if (SSL_CTX_set_min_proto_version(native, static_cast<int>(config.min_version)) != 1 ||
      SSL_CTX_set_max_proto_version(native, static_cast<int>(config.max_version)) != 1) {
    return Status::InvalidArgument("cannot set the TLS versions: " + OpenSslErrors());
  }
  ctx->use_certificate_chain(
      boost::asio::buffer(material.cert_chain_pem.data(), material.cert_chain_pem.size()), ec);
  if (ec) {
    return Status::InvalidArgument("failed to load the certificate (cert_file/cert): " +
                                   ec.message());
  }
  ctx->use_private_key(boost::asio::buffer(material.key_pem.data(), material.key_pem.size()),
                       ssl::context::pem, ec);
  if (ec) {
    return Status::InvalidArgument("failed to load the private key (key_file/key): " +
                                   ec.message());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return Status::InvalidArgument("the private key does not match the certificate: " +
                                   OpenSslErrors());
  }
  std::string ciphers;
  for (const std::string& c : config.cipher_suites) {
    std::string_view o = OpenSslCipher(c);
    if (o.empty()) continue;
    if (!ciphers.empty()) ciphers += ':';
    ciphers += o;
  }
  if (!ciphers.empty() && SSL_CTX_set_cipher_list(native, ciphers.c_str()) != 1) {
    return Status::InvalidArgument("OpenSSL rejects cipher_suites: " + OpenSslErrors());
  }
  std::string groups;
  for (const std::string& c : config.curve_preferences) {
    if (!groups.empty()) groups += ':';
    groups += OpenSslGroup(c);
  }
  if (!groups.empty() && SSL_CTX_set1_groups_list(native, groups.c_str()) != 1) {
    return Status::InvalidArgument("OpenSSL rejects curve_preferences: " + OpenSslErrors());
  }
  if (!material.client_ca_pem.empty()) {
    Status s = AddClientCas(native, material.client_ca_pem);
    if (!s.ok()) return s;
  } else if (config.client_auth == ClientAuth::kVerifyClientCertIfGiven ||
             config.client_auth == ClientAuth::kRequireAndVerifyClientCert) {
    SSL_CTX_set_default_verify_paths(native);  // Go verifies against the system roots then.
  }
  switch (config.client_auth) {
    case ClientAuth::kNoClientCert:
      SSL_CTX_set_verify(native, SSL_VERIFY_NONE, nullptr);
      break;
    case ClientAuth::kRequestClientCert:
      SSL_CTX_set_verify(native, SSL_VERIFY_PEER, AcceptAnyCertificate);
      break;
    case ClientAuth::kRequireAnyClientCert:
      SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                         AcceptAnyCertificate);
      break;
    case ClientAuth::kVerifyClientCertIfGiven:
      SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
      break;
    case ClientAuth::kRequireAndVerifyClientCert:
      SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  // Session resumption across connections needs a session id context when certificates are
  // requested; without one OpenSSL fails resumed handshakes.
  static const unsigned char kSidCtx[] = "strata";
  SSL_CTX_set_session_id_context(native, kSidCtx, sizeof(kSidCtx) - 1);
  ERR_clear_error();
  return ctx;
}

}  // namespace strata::server
