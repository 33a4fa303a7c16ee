// HttpRequest / HttpResponse: what a route handler sees and fills in, independent of Beast so
// handlers stay testable without sockets. Thread-compatible value types.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata::server {

struct HttpRequest {
  std::string method;  // "GET", "POST", ... (upper case, as sent)
  std::string target;  // path plus query string, as sent
  std::string path;    // target before '?'
  std::string query;   // raw query string after '?', without the '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;                                          // de-chunked; not decompressed
  std::string remote;                                        // peer address, for logs

  // The value of the first header named `name` (lower-case), or "".
  std::string_view Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers

  void SetHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

// Fills `res` with Prometheus' API error shape:
// {"status":"error","errorType":"<type>","error":"<message>"} and the given HTTP status.
void SetJsonError(HttpResponse* res, int http_status, std::string_view error_type,
                  std::string_view message);

}  // namespace strata::server
