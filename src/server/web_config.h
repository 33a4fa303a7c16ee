// WebConfig: Prometheus' web configuration file (--web.config.file), the exporter-toolkit
// format Prometheus users already have: tls_server_config, http_server_config and
// basic_auth_users. Parsing is strict (unknown or duplicate keys are errors) and validates
// what can be checked without reading files; TLS material is read by tls_material.h.
// Value types: thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace strata::server {

// exporter-toolkit's client_auth_type values (Go's tls.ClientAuthType).
enum class ClientAuth {
  kNoClientCert,                // Never asks for a client certificate.
  kRequestClientCert,           // Asks; accepts none or any, unverified.
  kRequireAnyClientCert,        // Requires one; not verified.
  kVerifyClientCertIfGiven,     // Asks; verifies it against the client CAs when sent.
  kRequireAndVerifyClientCert,  // Requires one that verifies against the client CAs.
};

// TLS protocol versions, as on the wire (0x0301 = TLS 1.0).
enum class TlsVersion : uint16_t {
  kTls10 = 0x0301,
  kTls11 = 0x0302,
  kTls12 = 0x0303,
  kTls13 = 0x0304
};

struct TlsServerConfig {
  // PEM files, already joined with the web config file's directory when relative. Inline PEM
  // (cert, key, client_ca) is the alternative of each file.
  std::string cert_file;
  std::string key_file;
  std::string cert;
  std::string key;
  std::string client_ca_file;
  std::string client_ca;
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  // Go cipher suite names (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256...). As in Go, they restrict
  // TLS 1.0-1.2 only; TLS 1.3 suites are not configurable. Empty: OpenSSL's defaults.
  std::vector<std::string> cipher_suites;
  // Go curve names: CurvePreferences (CurveP256, CurveP384, CurveP521, X25519). Empty: defaults.
  std::vector<std::string> curve_preferences;
  // Default: TLS 1.2 .. TLS 1.3, as in exporter-toolkit.
  TlsVersion min_version = TlsVersion::kTls12;
  TlsVersion max_version = TlsVersion::kTls13;
  // Default: true.
  bool prefer_server_cipher_suites = true;

  // True when any TLS field is set (then cert and key are both required), as exporter-toolkit's
  // IsEnabled: a file with only basic_auth_users serves plain HTTP.
  bool enabled() const {
    return !cert_file.empty() || !cert.empty() || !key_file.empty() || !key.empty() ||
           !client_ca_file.empty() || !client_ca.empty() || client_auth_set;
  }
  bool client_auth_set = false;  // client_auth_type appeared in the file.
};

struct WebConfig {
  TlsServerConfig tls;
  // http_server_config.headers, added to every HTTP response. Only exporter-toolkit's allowed
  // headers: Strict-Transport-Security, X-Content-Type-Options (nosniff), X-Frame-Options (deny,
  // sameorigin), X-XSS-Protection, Content-Security-Policy.
  std::vector<std::pair<std::string, std::string>> headers;
  // http_server_config.http2: accepted for compatibility; Strata serves HTTP/1.1 only.
  bool http2 = true;
  // basic_auth_users: user name -> bcrypt hash ($2a$, $2b$ or $2y$). Empty: no authentication.
  std::map<std::string, std::string> users;
};

// Parses the YAML text of a web config file; relative file paths are joined with `base_dir`.
// InvalidArgument with a readable message (naming the line) for any problem: bad YAML, unknown
// or duplicate keys, wrong types, bad enum values, a cert without a key (or the reverse), client
// CAs without a client_auth_type that asks for certificates, disallowed headers, hashes that are
// not bcrypt.
Result<WebConfig> ParseWebConfig(std::string_view yaml, std::string_view base_dir);

// Reads and parses `path` (relative paths in it are relative to its directory). IOError when it
// cannot be read; otherwise as ParseWebConfig, with the path in the message.
Result<WebConfig> LoadWebConfig(const std::string& path);

// "TLS12" for kTls12, as the file spells it.
std::string_view TlsVersionName(TlsVersion v);

}  // namespace strata::server
