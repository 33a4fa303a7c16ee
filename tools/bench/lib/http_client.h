// HttpClient: one keep-alive HTTP/1.1 connection (Boost Beast, blocking, socket timeouts) for
// the benchmark drivers: remote-write POSTs and Prometheus API GETs. Confined to one thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>
#include <string>

#include "bench/lib/url.h"

namespace strata::bench {

struct HttpResponse {
  int status = 0;  // 0: no response (connect or transport error, see error).
  std::string body;
  std::optional<int> retry_after_s;  // A Retry-After header in whole seconds, if any.
  bool keep_alive = true;            // False if the server closes the connection after it.
  std::string error;                 // Set when status is 0.
};

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;

class HttpClient {
 public:
  // Does no I/O; the first request connects. `timeout_s` bounds every send and receive on the
  // socket (SO_SNDTIMEO, SO_RCVTIMEO).
  HttpClient(Url url, int timeout_s, std::string user_agent);
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // (Re)connects: resolves url().host, connects, sets TCP_NODELAY and the timeouts. Drops any
  // unread bytes of the previous connection. False with *error ("connect host:port: ...").
  bool Connect(std::string* error);

  // Sends `req` once (setting Host, User-Agent, keep-alive and Content-Length) and reads the
  // whole response, connecting first if not connected. On a transport error returns status 0
  // with error "transport: ..." and leaves the client disconnected, so the next call
  // reconnects; likewise after a response that does not keep the connection alive.
  HttpResponse DoOnce(HttpRequest& req);

  // DoOnce, but a transport error (the peer may have closed an idle kept-alive connection) is
  // retried once on a new connection; the caller sees it only if that fails too.
  HttpResponse Do(HttpRequest& req);

  // GET url().BasePath() + target, with Do().
  HttpResponse Get(const std::string& target);

  // Shuts the connection down (best effort) and marks the client disconnected.
  void Close();

  const Url& url() const { return url_; }

 private:
  Url url_;
  int timeout_s_;
  std::string user_agent_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
  bool connected_ = false;
};

}  // namespace strata::bench
