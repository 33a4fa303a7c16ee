// Test-only helpers for end-to-end tests against the real Prometheus (Debian package
// `prometheus`, installed by `make deps`): a free-port picker, a PrometheusServer that starts
// /usr/bin/prometheus on 127.0.0.1 and waits for /-/ready, a reader for the text exposition
// format; the HTTP API's answers are read with testutil/json.h. Confined to the test thread.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "testutil/http_client.h"
#include "testutil/json.h"
#include "testutil/process.h"

namespace strata::testutil {

inline constexpr const char* kPrometheusBinary = "/usr/bin/prometheus";

// A port that was free on 127.0.0.1 a moment ago (bind to port 0, read it, close). Another
// process may take it before the caller binds it, so callers retry on a bind failure.
// Returns 0 on failure.
inline uint16_t PickFreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  uint16_t port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// The last `max_bytes` of `text`, for failure messages.
inline std::string Tail(const std::string& text, size_t max_bytes = 4000) {
  return text.size() <= max_bytes ? text : "..." + text.substr(text.size() - max_bytes);
}

// Percent-encodes everything but RFC 3986 unreserved characters.
inline std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// The sum of every sample of metric `name` (any labels) in a text exposition, or nullopt when
// the metric is absent. Only for simple metrics: `name` must not be a histogram's base name.
inline std::optional<double> SumOfMetric(const std::string& exposition, std::string_view name) {
  std::optional<double> sum;
  size_t pos = 0;
  while (pos < exposition.size()) {
    size_t eol = exposition.find('\n', pos);
    if (eol == std::string::npos) eol = exposition.size();
    std::string_view line(exposition.data() + pos, eol - pos);
    pos = eol + 1;
    if (line.empty() || line[0] == '#' || line.substr(0, name.size()) != name) continue;
    size_t i = name.size();
    if (i >= line.size() || (line[i] != '{' && line[i] != ' ')) continue;
    if (line[i] == '{') {  // Skip the labels, honouring quoted values.
      bool quoted = false;
      for (++i; i < line.size(); ++i) {
        if (quoted && line[i] == '\\') {
          ++i;
        } else if (line[i] == '"') {
          quoted = !quoted;
        } else if (!quoted && line[i] == '}') {
          break;
        }
      }
      ++i;
    }
    std::string value(line.substr(std::min(i, line.size())));
    char* end = nullptr;
    double v = std::strtod(value.c_str(), &end);
    if (end == value.c_str()) continue;
    sum = sum.value_or(0) + v;
  }
  return sum;
}

// A Prometheus server on 127.0.0.1 with its own TSDB under a test directory; killed when the
// object dies (ChildProcess).
class PrometheusServer {
 public:
  // Picks a port, writes make_config(port) to <dir>/prometheus.yml and starts Prometheus with
  // its TSDB in <dir>/tsdb, its log in <dir>/prometheus.log and `extra_args`, then waits for
  // /-/ready.
  // Retries with another port (at most 3 attempts) if the process exits early, e.g. because
  // another process took the port. Returns false with the reason in `error`.
  bool Start(const std::string& dir, const std::function<std::string(uint16_t)>& make_config,
             std::string* error, std::chrono::milliseconds timeout = std::chrono::seconds(30),
             const std::vector<std::string>& extra_args = {}) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    log_path_ = dir + "/prometheus.log";
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = PickFreePort();
      if (port_ == 0) {
        *error = "no free port";
        return false;
      }
      {
        std::ofstream cfg(dir + "/prometheus.yml", std::ios::trunc);
        cfg << make_config(port_);
      }
      std::vector<std::string> argv = {
          kPrometheusBinary,
          "--config.file=" + dir + "/prometheus.yml",
          "--storage.tsdb.path=" + dir + "/tsdb",
          "--storage.tsdb.retention.time=1d",
          "--web.listen-address=127.0.0.1:" + std::to_string(port_),
          "--log.level=info",
      };
      argv.insert(argv.end(), extra_args.begin(), extra_args.end());
      if (!proc_.Start(argv, log_path_)) {
        *error = "fork failed";
        return false;
      }
      int code = 0;
      bool exited = false;
      bool ready = WaitFor(
          [&] {
            if (proc_.Exited(&code)) {
              exited = true;
              return true;
            }
            return HttpGet(port_, "/-/ready").status == 200;
          },
          timeout);
      if (ready && !exited) return true;
      if (!exited) {
        proc_.Kill();
        *error = "prometheus not ready within the deadline; log:\n" + Tail(Log());
        return false;
      }
      *error = "prometheus exited with " + std::to_string(code) + "; log:\n" + Tail(Log());
    }
    return false;
  }

  uint16_t port() const { return port_; }
  ChildProcess& process() { return proc_; }
  std::string Log() const { return ReadFile(log_path_); }

  // The sum of metric `name` in Prometheus' own /metrics, or nullopt.
  std::optional<double> SelfMetric(std::string_view name) const {
    HttpResult r = HttpGet(port_, "/metrics");
    if (r.status != 200) return std::nullopt;
    return SumOfMetric(r.body, name);
  }

  // Runs an instant query (at `time`, e.g. "1700000000.123", or now when empty) and returns
  // its data.result, or nullopt with the reason in `error`.
  std::optional<Json> Query(const std::string& expr, const std::string& time,
                            std::string* error) const {
    std::string target = "/api/v1/query?query=" + UrlEncode(expr);
    if (!time.empty()) target += "&time=" + time;
    HttpResult r = HttpGet(port_, target);
    if (r.status != 200) {
      *error = "HTTP " + std::to_string(r.status) + " " + r.error + ": " + Tail(r.body, 500);
      return std::nullopt;
    }
    Json doc;
    if (!JsonParser::Parse(r.body, &doc, error)) return std::nullopt;
    const Json* data = doc.Find("data");
    const Json* result = data ? data->Find("result") : nullptr;
    if (result == nullptr) {
      *error = "no data.result in " + Tail(r.body, 500);
      return std::nullopt;
    }
    return *result;
  }

  // The value of a query answering one scalar-like sample (a one-element vector), or nullopt.
  std::optional<double> QueryValue(const std::string& expr) const {
    std::string error;
    auto result = Query(expr, "", &error);
    if (!result || !result->is_array() || result->items.size() != 1) return std::nullopt;
    const Json* value = result->items[0].Find("value");
    if (value == nullptr || !value->is_array() || value->items.size() != 2) return std::nullopt;
    return std::strtod(value->items[1].text.c_str(), nullptr);
  }

 private:
  ChildProcess proc_;
  std::string log_path_;
  uint16_t port_ = 0;
};

}  // namespace strata::testutil
