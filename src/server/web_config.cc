// Strict YAML reading on yaml-cpp (which throws; every call is wrapped here): each mapping is
// walked key by key so that unknown and duplicate keys are reported with their line, as Go's
// yaml.UnmarshalStrict does for exporter-toolkit.
#include "server/web_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "rules/yaml_merge.h"

namespace strata::server {
namespace {

std::string Where(const YAML::Node& node) { return "line " + std::to_string(node.Mark().line + 1); }

Status Bad(const YAML::Node& node, const std::string& what) {
  return Status::InvalidArgument(Where(node) + ": " + what);
}

// Walks mapping `node` (null is an empty mapping), calling `on_key` for each key in order.
// Duplicate keys and non-scalar keys are errors; `on_key` reports unknown keys itself.
Status ForEachKey(
    const YAML::Node& node, const std::string& section,
    const std::function<Status(const std::string&, const YAML::Node&, const YAML::Node&)>& on_key) {
  if (!node || node.IsNull()) return Status::Ok();
  if (!node.IsMap()) return Bad(node, section + " must be a mapping");
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) return Bad(it->first, "keys of " + section + " must be strings");
    const std::string key = it->first.Scalar();
    if (!seen.insert(key).second) {
      return Bad(it->first, "key \"" + key + "\" appears twice in " + section);
    }
    STRATA_RETURN_IF_ERROR(on_key(key, it->first, it->second));
  }
  return Status::Ok();
}

Status Unknown(const YAML::Node& key_node, const std::string& key, const std::string& section) {
  return Bad(key_node, "unknown key \"" + key + "\" in " + section);
}

Status GetString(const YAML::Node& v, const std::string& key, std::string* out) {
  if (!v || v.IsNull()) {
    out->clear();
    return Status::Ok();
  }
  if (!v.IsScalar()) return Bad(v, key + " must be a string");
  *out = v.Scalar();
  return Status::Ok();
}

Status GetBool(const YAML::Node& v, const std::string& key, bool* out) {
  if (!v.IsScalar()) return Bad(v, key + " must be true or false");
  const std::string& s = v.Scalar();
  if (s == "true" || s == "True" || s == "TRUE") {
    *out = true;
  } else if (s == "false" || s == "False" || s == "FALSE") {
    *out = false;
  } else {
    return Bad(v, key + " must be true or false, got \"" + s + "\"");
  }
  return Status::Ok();
}

Status GetStringList(const YAML::Node& v, const std::string& key, std::vector<std::string>* out) {
  out->clear();
  if (!v || v.IsNull()) return Status::Ok();
  if (!v.IsSequence()) return Bad(v, key + " must be a list of strings");
  for (const auto& item : v) {
    if (!item.IsScalar()) return Bad(item, key + " must be a list of strings");
    out->push_back(item.Scalar());
  }
  return Status::Ok();
}

std::string JoinDir(std::string_view base_dir, const std::string& path) {
  if (path.empty() || path.front() == '/' || base_dir.empty()) return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

// Go's tls.CipherSuites() names (the secure list); TLS 1.3 ones are accepted and, as in Go,
// have no effect.
constexpr std::array<std::string_view, 13> kCipherNames = {
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
};

constexpr std::array<std::string_view, 4> kCurveNames = {"CurveP256", "CurveP384", "CurveP521",
                                                         "X25519"};

// exporter-toolkit's extraHTTPHeaders: the only configurable headers, some with fixed values.
struct AllowedHeader {
  std::string_view name;
  std::vector<std::string_view> values;  // Empty: any value.
};
const std::vector<AllowedHeader>& AllowedHeaders() {
  static const auto* h = new std::vector<AllowedHeader>{
      {"Strict-Transport-Security", {}},
      {"X-Content-Type-Options", {"nosniff"}},
      {"X-Frame-Options", {"deny", "sameorigin"}},
      {"X-XSS-Protection", {}},
      {"Content-Security-Policy", {}},
  };
  return *h;
}

// A bcrypt hash as Go's bcrypt.Cost accepts it and libcrypt verifies it: $2a$/$2b$/$2y$, a
// two-digit cost of 4..31, then 53 characters of bcrypt's base64.
bool IsBcryptHash(std::string_view h) {
  if (h.size() != 60 || h.substr(0, 2) != "$2" || h[3] != '$' || h[6] != '$') return false;
  if (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') return false;
  if (h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9') return false;
  const int cost = (h[4] - '0') * 10 + (h[5] - '0');
  if (cost < 4 || cost > 31) return false;
  for (char c : h.substr(7)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '/';
    if (!ok) return false;
  }
  return true;
}

Status ParseVersion(const YAML::Node& v, const std::string& key, TlsVersion* out) {
  std::string s;
  STRATA_RETURN_IF_ERROR(GetString(v, key, &s));
  for (TlsVersion t :
       {TlsVersion::kTls10, TlsVersion::kTls11, TlsVersion::kTls12, TlsVersion::kTls13}) {
    if (s == TlsVersionName(t)) {
      *out = t;
      return Status::Ok();
    }
  }
  return Bad(v, "unknown TLS version: \"" + s + "\" (want TLS10, TLS11, TLS12 or TLS13)");
}

Status ParseClientAuth(const YAML::Node& v, ClientAuth* out) {
  std::string s;
  STRATA_RETURN_IF_ERROR(GetString(v, "client_auth_type", &s));
  if (s.empty() || s == "NoClientCert") {
    *out = ClientAuth::kNoClientCert;
  } else if (s == "RequestClientCert") {
    *out = ClientAuth::kRequestClientCert;
  } else if (s == "RequireAnyClientCert" || s == "RequireClientCert") {  // Old toolkit name.
    *out = ClientAuth::kRequireAnyClientCert;
  } else if (s == "VerifyClientCertIfGiven") {
    *out = ClientAuth::kVerifyClientCertIfGiven;
  } else if (s == "RequireAndVerifyClientCert") {
    *out = ClientAuth::kRequireAndVerifyClientCert;
  } else {
    return Bad(v, "invalid client_auth_type \"" + s +
                      "\" (want NoClientCert, RequestClientCert, RequireAnyClientCert, "
                      "VerifyClientCertIfGiven or RequireAndVerifyClientCert)");
  }
  return Status::Ok();
}

Status ParseTls(const YAML::Node& node, std::string_view base_dir, TlsServerConfig* tls) {
  const std::string section = "tls_server_config";
  STRATA_RETURN_IF_ERROR(ForEachKey(
      node, section,
      [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) -> Status {
        if (key == "cert_file") return GetString(v, key, &tls->cert_file);
        if (key == "key_file") return GetString(v, key, &tls->key_file);
        if (key == "cert") return GetString(v, key, &tls->cert);
        if (key == "key") return GetString(v, key, &tls->key);
        if (key == "client_ca_file") return GetString(v, key, &tls->client_ca_file);
        if (key == "client_ca") return GetString(v, key, &tls->client_ca);
        if (key == "client_auth_type") {
          tls->client_auth_set = v && !v.IsNull() && !(v.IsScalar() && v.Scalar().empty());
          return ParseClientAuth(v, &tls->client_auth);
        }
        if (key == "min_version") return ParseVersion(v, key, &tls->min_version);
        if (key == "max_version") return ParseVersion(v, key, &tls->max_version);
        if (key == "prefer_server_cipher_suites") {
          return GetBool(v, key, &tls->prefer_server_cipher_suites);
        }
        if (key == "cipher_suites") {
          STRATA_RETURN_IF_ERROR(GetStringList(v, key, &tls->cipher_suites));
          for (const std::string& c : tls->cipher_suites) {
            if (std::find(kCipherNames.begin(), kCipherNames.end(), c) == kCipherNames.end()) {
              return Bad(v, "unknown cipher: " + c);
            }
          }
          return Status::Ok();
        }
        if (key == "curve_preferences") {
          STRATA_RETURN_IF_ERROR(GetStringList(v, key, &tls->curve_preferences));
          for (const std::string& c : tls->curve_preferences) {
            if (std::find(kCurveNames.begin(), kCurveNames.end(), c) == kCurveNames.end()) {
              return Bad(v, "unknown curve: " + c);
            }
          }
          return Status::Ok();
        }
        if (key == "client_allowed_sans") {
          return Bad(k, "client_allowed_sans is not supported by Strata");
        }
        return Unknown(k, key, section);
      }));
  if (tls->cert_file.empty() != tls->key_file.empty() && tls->cert.empty() && tls->key.empty()) {
    return Status::InvalidArgument(tls->cert_file.empty()
                                       ? "tls_server_config: key_file is set but cert_file is not"
                                       : "tls_server_config: cert_file is set but key_file is not");
  }
  if (!tls->cert_file.empty() && !tls->cert.empty()) {
    return Status::InvalidArgument("tls_server_config: set cert or cert_file, not both");
  }
  if (!tls->key_file.empty() && !tls->key.empty()) {
    return Status::InvalidArgument("tls_server_config: set key or key_file, not both");
  }
  if (tls->enabled()) {
    if (tls->cert_file.empty() && tls->cert.empty()) {
      return Status::InvalidArgument("tls_server_config: missing one of cert or cert_file");
    }
    if (tls->key_file.empty() && tls->key.empty()) {
      return Status::InvalidArgument("tls_server_config: missing one of key or key_file");
    }
  }
  if ((!tls->client_ca_file.empty() || !tls->client_ca.empty()) &&
      tls->client_auth == ClientAuth::kNoClientCert) {
    return Status::InvalidArgument(
        "tls_server_config: client CA's have been configured without a client_auth_type");
  }
  if (static_cast<uint16_t>(tls->min_version) > static_cast<uint16_t>(tls->max_version)) {
    return Status::InvalidArgument(
        "tls_server_config: min_version " + std::string(TlsVersionName(tls->min_version)) +
        " is above max_version " + std::string(TlsVersionName(tls->max_version)));
  }
  tls->cert_file = JoinDir(base_dir, tls->cert_file);
  tls->key_file = JoinDir(base_dir, tls->key_file);
  tls->client_ca_file = JoinDir(base_dir, tls->client_ca_file);
  return Status::Ok();
}

Status ParseHttp(const YAML::Node& node, WebConfig* config) {
  const std::string section = "http_server_config";
  return ForEachKey(
      node, section,
      [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) -> Status {
        if (key == "http2") return GetBool(v, key, &config->http2);
        if (key != "headers") return Unknown(k, key, section);
        return ForEachKey(
            v, "http_server_config.headers",
            [&](const std::string& name, const YAML::Node& hk, const YAML::Node& hv) -> Status {
              std::string value;
              STRATA_RETURN_IF_ERROR(GetString(hv, name, &value));
              const auto& allowed = AllowedHeaders();
              auto it = std::find_if(allowed.begin(), allowed.end(),
                                     [&](const AllowedHeader& a) { return a.name == name; });
              if (it == allowed.end()) {
                return Bad(hk, "HTTP header \"" + name + "\" can not be configured");
              }
              if (!it->values.empty() &&
                  std::find(it->values.begin(), it->values.end(), value) == it->values.end()) {
                std::string want;
                for (auto w : it->values) {
                  want += want.empty() ? "\"" : ", \"";
                  want += w;
                  want += '"';
                }
                return Bad(hv, "invalid value for " + name + ": expected one of " + want +
                                   ", got \"" + value + "\"");
              }
              for (char c : value) {
                if (c == '\r' || c == '\n' || c == '\0') {
                  return Bad(hv, "the value of HTTP header " + name + " has a line break");
                }
              }
              config->headers.emplace_back(name, std::move(value));
              return Status::Ok();
            });
      });
}

Status ParseUsers(const YAML::Node& node, WebConfig* config) {
  return ForEachKey(
      node, "basic_auth_users",
      [&](const std::string& user, const YAML::Node& k, const YAML::Node& v) -> Status {
        std::string hash;
        STRATA_RETURN_IF_ERROR(GetString(v, user, &hash));
        if (user.find(':') != std::string::npos) {
          return Bad(k, "basic_auth_users: user name \"" + user + "\" contains ':'");
        }
        if (!IsBcryptHash(hash)) {
          return Bad(v, "basic_auth_users: the password of \"" + user +
                            "\" is not a bcrypt hash ($2y$, $2b$ or $2a$, as htpasswd -B makes)");
        }
        config->users.emplace(user, std::move(hash));
        return Status::Ok();
      });
}

}  // namespace

std::string_view TlsVersionName(TlsVersion v) {
  switch (v) {
    case TlsVersion::kTls10:
      return "TLS10";
    case TlsVersion::kTls11:
      return "TLS11";
    case TlsVersion::kTls12:
      return "TLS12";
    case TlsVersion::kTls13:
      return "TLS13";
  }
  return "?";
}

Result<WebConfig> ParseWebConfig(std::string_view yaml, std::string_view base_dir) {
  WebConfig config;
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    int line = 1;
    if (Status m = rules::ResolveYamlMergeKeys(root, &line); !m.ok()) {
      return Status::InvalidArgument("line " + std::to_string(line) + ": " + m.message());
    }
    Status s =
        ForEachKey(root, "the web config",
                   [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) -> Status {
                     if (key == "tls_server_config") return ParseTls(v, base_dir, &config.tls);
                     if (key == "http_server_config") return ParseHttp(v, &config);
                     if (key == "basic_auth_users") return ParseUsers(v, &config);
                     if (key == "rate_limit") {
                       return Bad(k, "rate_limit is not supported by Strata");
                     }
                     return Unknown(k, key, "the web config");
                   });
    if (!s.ok()) return s;
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("invalid YAML: " + std::string(e.what()));
  }
  return config;
}

Result<WebConfig> LoadWebConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read web config file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IOError("cannot read web config file " + path);
  const std::string dir = std::filesystem::path(path).parent_path().string();
  Result<WebConfig> config = ParseWebConfig(ss.str(), dir.empty() ? "." : dir);
  if (!config.ok()) return config.status().WithContext(path);
  return config;
}

}  // namespace strata::server
