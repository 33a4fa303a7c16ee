// S3TestEnv: a real S3 endpoint for tests. Starts s3rver (tools/s3rver, pinned by `make deps`)
// on 127.0.0.1 and, in front of it, tests/objstore/s3_verify_proxy.py, which re-verifies every
// request's SigV4 signature with botocore (s3rver itself accepts any secret), rejects a mismatch
// with S3's 403 SignatureDoesNotMatch, and injects faults on demand (5xx/429 storms, slow
// answers, dropped connections, truncated bodies). Both on ephemeral ports; clients talk to the
// proxy only. Every wait is bounded. Confined to the test thread that owns it.
//
//   testutil::S3TestEnv s3;
//   if (!s3.Start()) { if (testutil::S3SkipAllowed()) GTEST_SKIP() << s3.error();
//                      FAIL() << s3.error(); }
//   // endpoint(), bucket(), access_key(), secret_key(): what an S3 client needs (path style)
//   s3.Fail(503, 3);                       // the next 3 requests get 503 SlowDown
#pragma once

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "testutil/http_client.h"
#include "testutil/process.h"

namespace strata::testutil {

// Tests needing s3rver, node or botocore fail when one is missing, unless STRATA_ALLOW_SKIP=1.
inline bool S3SkipAllowed() {
  const char* v = std::getenv("STRATA_ALLOW_SKIP");
  return v != nullptr && std::string(v) == "1";
}

// The source tree: $STRATA_SOURCE_DIR, else the directory CMake compiled in.
inline std::string SourceDir() {
  if (const char* v = std::getenv("STRATA_SOURCE_DIR"); v != nullptr && *v != '\0') return v;
#ifdef STRATA_SOURCE_DIR
  return STRATA_SOURCE_DIR;
#else
  return "";
#endif
}

// `name` resolved through $PATH (ChildProcess execs without a search), or "".
inline std::string FindExecutable(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    std::string dir =
        dirs.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0) return dir + "/" + name;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return "";
}

class S3TestEnv {
 public:
  struct Config {
    std::string bucket = "strata-test";
    // s3rver knows only the access key S3RVER; the proxy checks the secret (and the token).
    std::string access_key = "S3RVER";
    std::string secret_key = "strata/test+secret=key";
    std::string session_token;  // Non-empty: the proxy requires it on every request.
  };

  S3TestEnv() = default;
  ~S3TestEnv() { Stop(); }
  S3TestEnv(const S3TestEnv&) = delete;
  S3TestEnv& operator=(const S3TestEnv&) = delete;

  // Starts s3rver and the proxy, and creates the bucket. False with error() explaining (naming
  // `make deps` when a prerequisite is missing) if either does not come up within 30 s.
  bool Start() { return Start(Config()); }
  bool Start(Config config) {
    config_ = std::move(config);
    const std::string src = SourceDir();
    const std::string node = FindExecutable("node");
    const std::string s3rver = src + "/tools/s3rver/node_modules/s3rver/bin/s3rver.js";
    const std::string proxy = src + "/tests/objstore/s3_verify_proxy.py";
    const std::string python = "/usr/bin/python3";  // Debian's, with python3-botocore.
    if (node.empty()) return SetError("node (Node.js >= 17) is not on PATH; run `make deps`");
    if (::access(s3rver.c_str(), R_OK) != 0) {
      return SetError("s3rver is not installed at " + s3rver + "; run `make deps`");
    }
    if (::access(python.c_str(), X_OK) != 0)
      return SetError(python + " is missing; run `make deps`");
    if (::access(proxy.c_str(), R_OK) != 0) return SetError("missing " + proxy);
    if (dir_.path().empty()) return SetError("cannot create a temporary directory");
    std::filesystem::create_directories(dir_.path() + "/data");

    if (!s3rver_.Start({node, "--openssl-legacy-provider", s3rver, "-d", dir_.path() + "/data",
                        "-a", "127.0.0.1", "-p", "0", "--service-endpoint", "localhost",
                        "--configure-bucket", config_.bucket},
                       dir_.path() + "/s3rver.log")) {
      return SetError("cannot start s3rver");
    }
    s3rver_port_ = WaitForPort(s3rver_, R"(listening on 127\.0\.0\.1:(\d+))");
    if (s3rver_port_ == 0) return SetError("s3rver did not start; its log:\n" + s3rver_.Log());

    // The proxy also kills s3rver if this process dies without stopping them.
    std::vector<std::string> argv = {python,
                                     proxy,
                                     "--upstream-port",
                                     std::to_string(s3rver_port_),
                                     "--upstream-pid",
                                     std::to_string(s3rver_.pid()),
                                     "--access-key",
                                     config_.access_key,
                                     "--secret-key",
                                     config_.secret_key};
    if (!config_.session_token.empty()) {
      argv.insert(argv.end(), {"--session-token", config_.session_token});
    }
    if (!proxy_.Start(argv, dir_.path() + "/proxy.log")) return SetError("cannot start the proxy");
    proxy_port_ = WaitForPort(proxy_, R"(listening port=(\d+))");
    if (proxy_port_ == 0) {
      std::string log = proxy_.Log();
      if (log.find("botocore is missing") != std::string::npos) {
        return SetError("python3-botocore is missing for /usr/bin/python3; run `make deps`");
      }
      return SetError("the verifying proxy did not start; its log:\n" + log);
    }
    if (HttpDo(proxy_port_, "GET", "/__proxy/stats").status != 200) {
      return SetError("the verifying proxy does not answer");
    }
    return true;
  }

  // Stops both processes (also done by the destructor).
  void Stop() {
    if (proxy_.running()) proxy_.Stop(SIGTERM, std::chrono::seconds(5));
    if (s3rver_.running()) s3rver_.Stop(SIGTERM, std::chrono::seconds(5));
  }

  const std::string& error() const { return error_; }
  const Config& config() const { return config_; }
  const std::string& bucket() const { return config_.bucket; }
  const std::string& access_key() const { return config_.access_key; }
  const std::string& secret_key() const { return config_.secret_key; }
  const std::string& session_token() const { return config_.session_token; }
  uint16_t proxy_port() const { return proxy_port_; }
  uint16_t s3rver_port() const { return s3rver_port_; }

  // For path-style requests: http://127.0.0.1:PORT (the proxy).
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(proxy_port_); }
  // For virtual-host style requests: http://s3.localhost:PORT; libcurl resolves
  // BUCKET.s3.localhost to 127.0.0.1 and s3rver (--service-endpoint localhost) takes the bucket
  // from the host name.
  std::string vhost_endpoint() const {
    return "http://s3.localhost:" + std::to_string(proxy_port_);
  }
  // "s3://BUCKET" or "s3://BUCKET/PREFIX", for --storage.cold.url.
  std::string url(const std::string& prefix = "") const {
    return "s3://" + config_.bucket + (prefix.empty() ? "" : "/" + prefix);
  }
  // Command-line flags a strata process needs to reach this endpoint (credentials go through
  // the environment: see Env()).
  std::vector<std::string> Flags(const std::string& prefix = "") const {
    return {"--storage.cold.url=" + url(prefix), "--storage.cold.s3.endpoint=" + endpoint(),
            "--storage.cold.s3.path-style"};
  }
  // AWS_* variables for a child process.
  std::vector<std::pair<std::string, std::string>> Env() const {
    std::vector<std::pair<std::string, std::string>> env = {
        {"AWS_ACCESS_KEY_ID", config_.access_key}, {"AWS_SECRET_ACCESS_KEY", config_.secret_key}};
    if (!config_.session_token.empty())
      env.emplace_back("AWS_SESSION_TOKEN", config_.session_token);
    return env;
  }

  // --- Fault injection: each S3 request takes the first queued fault that matches it. ---
  // `json` is a JSON list of faults as s3_verify_proxy.py documents. False if the proxy refused.
  bool InjectFaults(const std::string& json) {
    return HttpDo(proxy_port_, "POST", "/__proxy/faults", json).status == 200;
  }
  // The next `count` matching requests get HTTP `status` with an S3 XML error (503 SlowDown,
  // 500 InternalError, 429 SlowDown, others InjectedError) without reaching s3rver.
  bool Fail(int status, int count, const std::string& method = "",
            const std::string& path_contains = "") {
    return InjectFaults("[{\"kind\":\"error\",\"status\":" + std::to_string(status) +
                        ",\"count\":" + std::to_string(count) + Match(method, path_contains) +
                        "}]");
  }
  // The next `count` matching requests wait `ms` before being handled (not forwarded at all if
  // the client gave up meanwhile).
  bool Delay(int ms, int count, const std::string& method = "",
             const std::string& path_contains = "") {
    return InjectFaults("[{\"kind\":\"delay\",\"ms\":" + std::to_string(ms) + ",\"count\":" +
                        std::to_string(count) + Match(method, path_contains) + "}]");
  }
  // The next `count` matching requests are read, then the connection is closed unanswered.
  bool Drop(int count, const std::string& method = "", const std::string& path_contains = "") {
    return InjectFaults("[{\"kind\":\"drop\",\"count\":" + std::to_string(count) +
                        Match(method, path_contains) + "}]");
  }
  // The next `count` matching requests are forwarded, but only half the response body is sent
  // before the connection is closed.
  bool Truncate(int count, const std::string& method = "", const std::string& path_contains = "") {
    return InjectFaults("[{\"kind\":\"truncate\",\"count\":" + std::to_string(count) +
                        Match(method, path_contains) + "}]");
  }
  // Clears queued faults and the proxy's counters and log.
  bool ResetProxy() { return HttpDo(proxy_port_, "POST", "/__proxy/reset").status == 200; }

  // --- What the proxy saw since the last reset. ---
  // Raw JSON: {"requests", "forwarded", "auth_failures", "faults_injected", "get_bytes",
  // "by_method", "log"}.
  std::string StatsJson() { return HttpDo(proxy_port_, "GET", "/__proxy/stats").body; }
  // One of the top-level counters; -1 if absent.
  int Stat(const std::string& name) {
    std::smatch m;
    std::string json = StatsJson();
    if (std::regex_search(json, m, std::regex("\"" + name + "\": (\\d+)"))) return std::stoi(m[1]);
    return -1;
  }
  struct LoggedRequest {
    std::string method;
    std::string target;   // Path and query as sent.
    std::string outcome;  // HTTP status, or "drop" / "timeout" / "lost".
    std::string range;    // The Range header, "" when none.
    uint64_t bytes = 0;   // Response body bytes sent.
  };
  // The last requests (up to 500), oldest first.
  std::vector<LoggedRequest> RequestLog() {
    std::vector<LoggedRequest> out;
    std::string json = StatsJson();
    size_t log = json.find("\"log\": [");
    if (log == std::string::npos) return out;
    std::string rest = json.substr(log);
    std::regex entry(
        R"re(\["([A-Z]+)", "((?:[^"\\]|\\.)*)", "?([^,\]"]*)"?, "([^"]*)", (\d+)\])re");
    for (auto it = std::sregex_iterator(rest.begin(), rest.end(), entry);
         it != std::sregex_iterator(); ++it) {
      out.push_back({(*it)[1], (*it)[2], (*it)[3], (*it)[4], std::stoull((*it)[5])});
    }
    return out;
  }
  // How many logged requests have `method` and a target containing `target_contains`.
  int CountRequests(const std::string& method, const std::string& target_contains = "") {
    int n = 0;
    for (const LoggedRequest& r : RequestLog()) {
      n += r.method == method && r.target.find(target_contains) != std::string::npos ? 1 : 0;
    }
    return n;
  }

  std::string ProxyLog() const { return proxy_.Log(); }
  std::string S3rverLog() const { return s3rver_.Log(); }

 private:
  bool SetError(std::string message) {
    error_ = "S3 test environment: " + std::move(message);
    Stop();
    return false;
  }

  static std::string Match(const std::string& method, const std::string& path_contains) {
    std::string out;
    if (!method.empty()) out += ",\"method\":\"" + method + "\"";
    if (!path_contains.empty()) out += ",\"path_contains\":\"" + path_contains + "\"";
    return out;
  }

  static uint16_t WaitForPort(ChildProcess& p, const char* pattern) {
    std::regex re(pattern);
    uint16_t port = 0;
    WaitFor(
        [&] {
          std::smatch m;
          std::string log = p.Log();
          if (std::regex_search(log, m, re)) {
            port = static_cast<uint16_t>(std::stoi(m[1]));
            return true;
          }
          int code = 0;
          return p.Exited(&code);
        },
        std::chrono::seconds(30));
    return port;
  }

  Config config_;
  TempDir dir_;
  ChildProcess s3rver_;
  ChildProcess proxy_;
  uint16_t s3rver_port_ = 0;
  uint16_t proxy_port_ = 0;
  std::string error_;
};

}  // namespace strata::testutil
