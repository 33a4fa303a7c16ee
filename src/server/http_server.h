// HttpServer: HTTP/1.1 on Boost.Asio + Beast. Keep-alive, chunked request bodies, a request
// body limit, a read timeout, and graceful shutdown (stop accepting, let requests in flight
// finish within a grace period). Network I/O runs on `io_threads`; handlers run on a separate
// pool of `worker_threads`, so a slow handler (an fsync) never blocks the event loop.
// With a web config (SetWebConfig), connections are TLS when it has tls_server_config, every
// request is checked against its basic_auth_users (401 + WWW-Authenticate: Basic otherwise), and
// its http_server_config.headers are added to every response.
// Thread-safe: Start() and Stop() may be called from any one controlling thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "server/router.h"

namespace prometheus {
class Registry;
}

namespace strata::server {
class WebConfigWatcher;
}

namespace strata::server {

struct HttpServerOptions {
  // host:port to listen on; port 0 picks a free port (see HttpServer::port()).
  // Default: 127.0.0.1:9201 (loopback only; expose deliberately).
  std::string listen_address = "127.0.0.1:9201";
  // Threads running the event loop. 0 = number of cores. Default: 0.
  int io_threads = 0;
  // Threads running handlers. 0 = number of cores. Default: 0.
  int worker_threads = 0;
  // Largest accepted request body, after de-chunking and before decompression. Larger bodies
  // get 413 without being read. Default: 64 MiB (Prometheus sends remote-write batches of a
  // few MiB at most).
  size_t max_body_bytes = 64u << 20;
  // Largest accepted request line plus headers. Default: 64 KiB.
  size_t max_header_bytes = 64u << 10;
  // Time allowed to read one whole request, and to wait for the next one on an idle
  // keep-alive connection. Default: 60 s.
  std::chrono::milliseconds read_timeout{60'000};
  // On Stop(), how long requests in flight may take before connections are closed.
  // Default: 10 s.
  std::chrono::milliseconds shutdown_grace{10'000};

  Status Validate() const;
};

class HttpServer {
 public:
  // `router` and `registry` must outlive the server. `registry` gets the HTTP self-metrics.
  HttpServer(HttpServerOptions options, const Router* router, prometheus::Registry* registry);
  ~HttpServer();  // Calls Stop().
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the threads. InvalidArgument for a bad address, IOError when the
  // address cannot be bound. REQUIRES: called once.
  Status Start();

  // Serves with `web`'s TLS, authentication and headers (see the file comment); `web` must
  // outlive the server. Whether the listener is TLS is decided by Start(). REQUIRES: before
  // Start().
  void SetWebConfig(WebConfigWatcher* web);

  // The bound port (useful with port 0). REQUIRES: Start() returned OK.
  uint16_t port() const;

  // Routes later requests through `router` (which must outlive the server), e.g. to switch
  // from a start-up router to the full one once the data is loaded. Thread-safe.
  void SetRouter(const Router* router);

  // Graceful shutdown: stops accepting, closes idle connections, waits up to shutdown_grace
  // for requests in flight, then stops all threads. Idempotent.
  void Stop();

  class Impl;  // Public only so the private Session type in the .cc can name it.

 private:
  std::unique_ptr<Impl> impl_;
};

// Splits "host:port" (IPv6 as "[::1]:9201"). InvalidArgument when malformed.
Status ParseHostPort(const std::string& address, std::string* host, uint16_t* port);

}  // namespace strata::server
