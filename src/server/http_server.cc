// Each connection is a Session on its own strand: read header -> (100 Continue) -> read body
// -> run the handler on the worker pool -> write the response on the strand -> next request.
#include "server/http_server.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <type_traits>
#include <vector>

#include "base/log.h"
#include "base/mutex.h"
#include "server/basic_auth.h"
#include "server/web_config_watcher.h"

namespace strata::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

Status HttpServerOptions::Validate() const {
  std::string host;
  uint16_t port = 0;
  STRATA_RETURN_IF_ERROR(ParseHostPort(listen_address, &host, &port));
  if (io_threads < 0 || worker_threads < 0) {
    return Status::InvalidArgument("thread counts must be >= 0");
  }
  if (max_body_bytes == 0) return Status::InvalidArgument("max_body_bytes must be > 0");
  if (read_timeout.count() <= 0) return Status::InvalidArgument("read_timeout must be > 0");
  return Status::Ok();
}

Status ParseHostPort(const std::string& address, std::string* host, uint16_t* port) {
  std::string_view a = address;
  std::string_view h;
  std::string_view p;
  if (a.starts_with('[')) {
    size_t close = a.find(']');
    if (close == std::string_view::npos || close + 1 >= a.size() || a[close + 1] != ':') {
      return Status::InvalidArgument("invalid listen address \"" + address +
                                     "\": want [ipv6]:port");
    }
    h = a.substr(1, close - 1);
    p = a.substr(close + 2);
  } else {
    size_t colon = a.rfind(':');
    if (colon == std::string_view::npos) {
      return Status::InvalidArgument("invalid listen address \"" + address + "\": want host:port");
    }
    h = a.substr(0, colon);
    p = a.substr(colon + 1);
  }
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (p.empty() || ec != std::errc() || ptr != p.data() + p.size() || value > 65535) {
    return Status::InvalidArgument("invalid port in listen address \"" + address + "\"");
  }
  *host = h.empty() ? "0.0.0.0" : std::string(h);
  *port = static_cast<uint16_t>(value);
  return Status::Ok();
}

class SessionBase;

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, const Router* router, prometheus::Registry* registry)
      : options_(std::move(options)),
        router_(router),
        acceptor_(ioc_),
        requests_(prometheus::BuildCounter()
                      .Name("strata_http_requests_total")
                      .Help("HTTP requests served, by route and status code.")
                      .Register(*registry)),
        durations_(prometheus::BuildHistogram()
                       .Name("strata_http_request_duration_seconds")
                       .Help("Time spent in HTTP handlers, by route.")
                       .Register(*registry)),
        inflight_(prometheus::BuildGauge()
                      .Name("strata_http_inflight_requests")
                      .Help("HTTP requests being handled right now.")
                      .Register(*registry)
                      .Add({})),
        internal_errors_(prometheus::BuildCounter()
                             .Name("strata_internal_errors_total")
                             .Help("Handler failures that reached the last-resort catch (bugs).")
                             .Register(*registry)
                             .Add({})),
        bad_requests_(prometheus::BuildCounter()
                          .Name("strata_http_malformed_requests_total")
                          .Help("Requests rejected before routing: malformed, too large, or "
                                "over the header limit.")
                          .Register(*registry)
                          .Add({})),
        tls_handshake_errors_(prometheus::BuildCounter()
                                  .Name("strata_http_tls_handshake_errors_total")
                                  .Help("TLS handshakes that failed (plain HTTP sent to the TLS "
                                        "port, no shared version or cipher, bad client cert).")
                                  .Register(*registry)
                                  .Add({})),
        unauthorized_(prometheus::BuildCounter()
                          .Name("strata_http_unauthorized_requests_total")
                          .Help("Requests answered 401: missing or wrong basic auth "
                                "credentials.")
                          .Register(*registry)
                          .Add({})) {}

  Status Start();
  void Stop();
  uint16_t port() const { return port_; }
  void SetRouter(const Router* router) { router_.store(router, std::memory_order_release); }

  // Called by sessions.
  const HttpServerOptions& options() const { return options_; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  void RunHandler(const std::shared_ptr<SessionBase>& session);
  void Register(const std::shared_ptr<SessionBase>& s);
  void Unregister(SessionBase* s);
  void CountMalformed() { bad_requests_.Increment(); }
  void CountHandshakeError() { tls_handshake_errors_.Increment(); }
  void SetWebConfig(WebConfigWatcher* web) { web_ = web; }

 private:
  void Accept();
  // Fills `res` with a 401 unless `req` carries credentials of one of `web`'s users.
  bool Authenticate(const WebState& web, const HttpRequest& req, HttpResponse* res);

  // Declared first so they outlive ioc_: destroying ioc_ destroys queued handlers, which may
  // hold the last reference to a Session, whose destructor calls Unregister().
  Mutex sessions_mu_;
  std::set<std::weak_ptr<SessionBase>, std::owner_less<std::weak_ptr<SessionBase>>> sessions_
      STRATA_GUARDED_BY(sessions_mu_);
  std::atomic<int> live_sessions_{0};

  HttpServerOptions options_;
  std::atomic<const Router*> router_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::optional<asio::thread_pool> workers_;
  std::vector<std::thread> io_threads_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  WebConfigWatcher* web_ = nullptr;  // Optional; outlives the server.
  bool tls_ = false;                 // Decided by Start() from the web config.
  bool started_ = false;
  bool stopped_ = false;

  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& durations_;
  prometheus::Gauge& inflight_;
  prometheus::Counter& internal_errors_;
  prometheus::Counter& bad_requests_;
  prometheus::Counter& tls_handshake_errors_;
  prometheus::Counter& unauthorized_;
};

// What the server and the handler pool see of a connection, whatever its transport.
class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  SessionBase() = default;
  virtual ~SessionBase() = default;
  SessionBase(const SessionBase&) = delete;
  SessionBase& operator=(const SessionBase&) = delete;
  SessionBase(SessionBase&&) = delete;
  SessionBase& operator=(SessionBase&&) = delete;
  // Closes the connection if it is waiting for a new request; called on shutdown.
  virtual void CloseIfIdle() = 0;
  // Handler-side access; only touched by one thread at a time (strand, then pool, then strand).
  HttpRequest& request() { return request_; }
  virtual void Respond(HttpResponse res) = 0;

 protected:
  HttpRequest request_;
};

// One connection over `Stream`: beast::tcp_stream (plain) or beast::ssl_stream of one (TLS),
// chosen at compile time so that the plain path pays nothing for TLS.
template <class Stream>
class Session final : public SessionBase {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  Session(Stream stream, HttpServer::Impl* server, std::shared_ptr<const WebState> web)
      : stream_(std::move(stream)), server_(server), web_(std::move(web)) {}

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = Self()] {
      if constexpr (kTls) {
        self->Handshake();
      } else {
        self->ReadHeader();
      }
    });
  }

  void CloseIfIdle() override {
    asio::post(stream_.get_executor(), [self = Self()] {
      if ((self->state_ == State::kWaitingForRequest && self->buffer_.size() == 0) ||
          self->state_ == State::kHandshake) {
        self->Close();
      }
    });
  }

  void Respond(HttpResponse res) override {
    asio::post(stream_.get_executor(),
               [self = Self(), res = std::move(res)]() mutable { self->Write(std::move(res)); });
  }

  ~Session() override { server_->Unregister(this); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  Session(Session&&) = delete;
  Session& operator=(Session&&) = delete;

 private:
  enum class State { kHandshake, kWaitingForRequest, kReading, kHandling, kWriting, kClosed };

  std::shared_ptr<Session> Self() { return std::static_pointer_cast<Session>(shared_from_this()); }
  auto& Lowest() { return beast::get_lowest_layer(stream_); }

  void Handshake() {
    state_ = State::kHandshake;
    Lowest().expires_after(server_->options().read_timeout);
    stream_.async_handshake(asio::ssl::stream_base::server,
                            [self = Self()](beast::error_code ec) { self->OnHandshake(ec); });
  }

  void OnHandshake(beast::error_code ec) {
    if (!ec) return ReadHeader();
    server_->CountHandshakeError();
    STRATA_LOG(kDebug, "http") << "TLS handshake failed" << LogKV("error", ec.message());
    // Plain HTTP to the TLS port: answer as Go's server does, in plain text, then close.
    if (ec.category() == asio::error::get_ssl_category() &&
        ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_HTTP_REQUEST) {
      static constexpr std::string_view kReply =
          "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
          "Connection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
      Lowest().expires_after(std::chrono::seconds(5));
      asio::async_write(Lowest().socket(), asio::buffer(kReply.data(), kReply.size()),
                        [self = Self()](beast::error_code, size_t) { self->Close(); });
      return;
    }
    Close();
  }

  void ReadHeader() {
    if (server_->stopping()) {
      Close();
      return;
    }
    state_ = State::kWaitingForRequest;
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(server_->options().max_header_bytes));
    parser_->body_limit(server_->options().max_body_bytes);
    Lowest().expires_after(server_->options().read_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, Self()));
  }

  void OnHeader(beast::error_code ec, size_t /*bytes*/) {
    if (ec) return OnReadError(ec);
    state_ = State::kReading;
    auto length = parser_->content_length();
    if (length && *length > server_->options().max_body_bytes) {
      return OnReadError(http::error::body_limit);
    }
    auto expect = parser_->get()[http::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      continue_.emplace(http::status::continue_, parser_->get().version());
      http::async_write(stream_, *continue_, [self = Self()](beast::error_code wec, size_t) {
        if (wec) return self->Close();
        self->ReadBody();
      });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnBody, Self()));
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout || ec == asio::error::bad_descriptor ||
        (kTls && (ec == asio::ssl::error::stream_truncated ||
                  ec.category() == asio::error::get_ssl_category()))) {
      return Close();
    }
    server_->CountMalformed();
    HttpResponse res;
    if (ec == http::error::body_limit) {
      SetJsonError(&res, 413, "bad_data",
                   "request body too large: limit is " +
                       std::to_string(server_->options().max_body_bytes) + " bytes");
    } else if (ec == http::error::header_limit) {
      SetJsonError(&res, 431, "bad_data", "request headers too large");
    } else {
      SetJsonError(&res, 400, "bad_data", "malformed HTTP request: " + ec.message());
    }
    keep_alive_ = false;
    linger_ = true;  // The client may still be sending the body we refused.
    version_ = 11;
    Write(std::move(res));
  }

  // Lingering close: stop sending, then read and discard what the client still sends (bounded
  // in bytes and time) so that it sees our error response instead of a connection reset. Over
  // TLS the discarded bytes are read below the TLS layer.
  void LingerAndClose() {
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return Close();
    Lowest().expires_after(std::chrono::seconds(2));
    Drain();
  }

  void Drain() {
    Lowest().async_read_some(asio::buffer(drain_buf_),
                             [self = Self()](beast::error_code ec, size_t n) {
                               self->drained_ += n;
                               if (ec || self->drained_ > kMaxDrainBytes) return self->Close();
                               self->Drain();
                             });
  }

  void OnBody(beast::error_code ec, size_t /*bytes*/) {
    if (ec) return OnReadError(ec);
    http::request<http::string_body> req = parser_->release();
    parser_.reset();
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    request_ = HttpRequest();
    request_.method = std::string(req.method_string());
    request_.target = std::string(req.target());
    size_t q = request_.target.find('?');
    request_.path = request_.target.substr(0, q);
    if (q != std::string::npos) request_.query = request_.target.substr(q + 1);
    for (const auto& field : req) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      request_.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    request_.body = std::move(req.body());
    beast::error_code ep_ec;
    auto ep = Lowest().socket().remote_endpoint(ep_ec);
    if (!ep_ec) request_.remote = ep.address().to_string();
    head_request_ = request_.method == "HEAD";
    state_ = State::kHandling;
    Lowest().expires_never();
    server_->RunHandler(Self());
  }

  void Write(HttpResponse r) {
    if (state_ == State::kClosed) return;
    state_ = State::kWriting;
    response_.emplace();
    response_->version(version_);
    response_->result(static_cast<unsigned>(r.status));
    response_->set(http::field::server, "strata");
    response_->set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) response_->set(k, v);
    if (server_->stopping()) keep_alive_ = false;
    response_->keep_alive(keep_alive_);
    if (head_request_) {
      response_->content_length(r.body.size());  // HEAD: length of the body we do not send.
    } else {
      response_->body() = std::move(r.body);
      response_->prepare_payload();
    }
    Lowest().expires_after(server_->options().read_timeout);
    http::async_write(stream_, *response_, beast::bind_front_handler(&Session::OnWrite, Self()));
  }

  void OnWrite(beast::error_code ec, size_t /*bytes*/) {
    if (!ec && linger_) return LingerAndClose();
    if (ec || !keep_alive_) return Close();
    head_request_ = false;
    ReadHeader();
  }

  void Close() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().socket().close(ec);
  }

  Stream stream_;
  HttpServer::Impl* server_;
  // The web config version whose TLS context this connection uses (kept alive by it).
  std::shared_ptr<const WebState> web_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  std::optional<http::response<http::string_body>> response_;
  State state_ = State::kWaitingForRequest;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool head_request_ = false;
  bool linger_ = false;
  static constexpr size_t kMaxDrainBytes = size_t{64} << 20;
  size_t drained_ = 0;
  std::array<char, 16384> drain_buf_{};
};

using PlainSession = Session<beast::tcp_stream>;
using TlsSession = Session<beast::ssl_stream<beast::tcp_stream>>;

void HttpServer::Impl::Register(const std::shared_ptr<SessionBase>& s) {
  live_sessions_.fetch_add(1, std::memory_order_relaxed);
  MutexLock lock(&sessions_mu_);
  sessions_.insert(s);
}

void HttpServer::Impl::Unregister(SessionBase* /*s*/) {
  // Expired weak_ptrs are pruned lazily; the counter is what Stop() waits on.
  live_sessions_.fetch_sub(1, std::memory_order_acq_rel);
}

bool HttpServer::Impl::Authenticate(const WebState& web, const HttpRequest& req,
                                    HttpResponse* res) {
  if (auto creds = ParseBasicAuthorization(req.Header("authorization"))) {
    if (web_->verifier().Verify(web.config.users, creds->user, creds->password)) return true;
  }
  unauthorized_.Increment();
  res->status = 401;
  res->content_type = "text/plain; charset=utf-8";
  res->body = "Unauthorized\n";
  res->SetHeader("WWW-Authenticate", "Basic");
  return false;
}

void HttpServer::Impl::RunHandler(const std::shared_ptr<SessionBase>& session) {
  asio::post(*workers_, [this, session] {
    const HttpRequest& req = session->request();
    HttpResponse res;
    const Router* router = router_.load(std::memory_order_acquire);
    const std::string& route = router->RouteName(req);
    // The web config's headers come first so that a handler's own value wins (as in
    // exporter-toolkit, which sets them before calling the handler).
    std::shared_ptr<const WebState> web = web_ != nullptr ? web_->Current() : nullptr;
    if (web != nullptr) res.headers = web->config.headers;
    inflight_.Increment();
    auto start = std::chrono::steady_clock::now();
    try {
      // Authentication runs here, on the pool: bcrypt takes milliseconds.
      if (web == nullptr || web->config.users.empty() || Authenticate(*web, req, &res)) {
        router->Dispatch(req, &res);
      }
    } catch (const std::exception& e) {
      internal_errors_.Increment();
      STRATA_LOG(kError, "http") << "handler threw" << LogKV("path", req.path)
                                 << LogKV("error", e.what());
      SetJsonError(&res, 500, "internal", "internal error");
    } catch (...) {
      internal_errors_.Increment();
      STRATA_LOG(kError, "http") << "handler threw" << LogKV("path", req.path);
      SetJsonError(&res, 500, "internal", "internal error");
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    inflight_.Decrement();
    requests_.Add({{"handler", route}, {"code", std::to_string(res.status)}}).Increment();
    durations_
        .Add({{"handler", route}},
             prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1,
                                                     5, 10, 60})
        .Observe(secs);
    session->Respond(std::move(res));
  });
}

Status HttpServer::Impl::Start() {
  STRATA_RETURN_IF_ERROR(options_.Validate());
  std::string host;
  uint16_t port = 0;
  STRATA_RETURN_IF_ERROR(ParseHostPort(options_.listen_address, &host, &port));
  beast::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) {
    return Status::InvalidArgument("invalid listen host \"" + host + "\": " + ec.message());
  }
  tcp::endpoint endpoint(address, port);
  auto fail = [&](const char* what) {
    return Status::IOError(std::string(what) + " " + options_.listen_address + ": " + ec.message());
  };
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return fail("cannot open socket for");
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  acceptor_.bind(endpoint, ec);
  if (ec) return fail("cannot bind");
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("cannot listen on");
  port_ = acceptor_.local_endpoint().port();
  tls_ = web_ != nullptr && web_->Current()->ssl != nullptr;

  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  int io = options_.io_threads > 0 ? options_.io_threads : static_cast<int>(cores);
  int workers = options_.worker_threads > 0 ? options_.worker_threads : static_cast<int>(cores);
  workers_.emplace(static_cast<size_t>(workers));
  work_.emplace(ioc_.get_executor());
  Accept();
  for (int i = 0; i < io; ++i) {
    io_threads_.emplace_back([this] { ioc_.run(); });
  }
  started_ = true;
  STRATA_LOG(kInfo, "http") << "listening" << LogKV("address", options_.listen_address)
                            << LogKV("port", port_) << LogKV("tls", tls_ ? "true" : "false")
                            << LogKV("io_threads", io) << LogKV("workers", workers);
  return Status::Ok();
}

void HttpServer::Impl::Accept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket s) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      STRATA_LOG(kWarn, "http") << "accept failed" << LogKV("error", ec.message());
    } else if (tls_) {
      // Each connection uses the TLS context of the web config current when it was accepted.
      std::shared_ptr<const WebState> web = web_->Current();
      auto session = std::make_shared<TlsSession>(
          beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(s)), *web->ssl), this,
          web);
      Register(session);
      session->Start();
    } else {
      auto session = std::make_shared<PlainSession>(beast::tcp_stream(std::move(s)), this, nullptr);
      Register(session);
      session->Start();
    }
    if (!stopping()) Accept();
  });
}

void HttpServer::Impl::Stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  stopping_.store(true, std::memory_order_release);
  asio::post(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
  });
  auto deadline = std::chrono::steady_clock::now() + options_.shutdown_grace;
  // Idle keep-alive connections are closed now; busy ones close after their response.
  while (std::chrono::steady_clock::now() < deadline) {
    {
      MutexLock lock(&sessions_mu_);
      for (const auto& weak : sessions_) {
        if (auto s = weak.lock()) s->CloseIfIdle();
      }
    }
    if (live_sessions_.load(std::memory_order_acquire) == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  work_.reset();
  workers_->join();
  ioc_.stop();
  for (auto& t : io_threads_) t.join();
  io_threads_.clear();
  {
    MutexLock lock(&sessions_mu_);
    sessions_.clear();
  }
  STRATA_LOG(kInfo, "http") << "stopped";
}

HttpServer::HttpServer(HttpServerOptions options, const Router* router,
                       prometheus::Registry* registry)
    : impl_(std::make_unique<Impl>(std::move(options), router, registry)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() { return impl_->Start(); }
uint16_t HttpServer::port() const { return impl_->port(); }
void HttpServer::SetWebConfig(WebConfigWatcher* web) { impl_->SetWebConfig(web); }
void HttpServer::SetRouter(const Router* router) { impl_->SetRouter(router); }
void HttpServer::Stop() { impl_->Stop(); }

}  // namespace strata::server
