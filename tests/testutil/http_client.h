// Test-only blocking HTTP/1.1 client over Beast (http_client.cc, compiled once into
// strata_testutil), plus a raw-bytes exchange for malformed input. Every call has a deadline so
// a hung server fails the test instead of hanging it.
#pragma once

#include <strings.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace strata::testutil {

struct HttpResult {
  int status = 0;  // 0 when the exchange failed; see error.
  std::string body;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string error;

  std::string Header(const std::string& name) const {
    for (const auto& [k, v] : headers) {
      if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
    }
    return "";
  }
};

// One request over a fresh connection; `timeout` bounds the whole exchange.
HttpResult HttpDo(uint16_t port, const std::string& method, const std::string& target,
                  const std::string& body = "",
                  const std::vector<std::pair<std::string, std::string>>& headers = {},
                  std::chrono::seconds timeout = std::chrono::seconds(30));

inline HttpResult HttpGet(uint16_t port, const std::string& target) {
  return HttpDo(port, "GET", target);
}

// Sends `raw` bytes as-is and returns everything the server sends back until it closes the
// connection or the timeout passes.
std::string RawExchange(uint16_t port, const std::string& raw,
                        std::chrono::seconds timeout = std::chrono::seconds(10));

}  // namespace strata::testutil
