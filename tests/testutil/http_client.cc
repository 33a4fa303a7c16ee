#include "testutil/http_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace strata::testutil {

namespace {

namespace beast = boost::beast;
namespace asio = boost::asio;

// Runs the asynchronous operations started on `ioc` to completion. The operations are
// asynchronous because tcp_stream's expiry (the timeout) applies to asynchronous operations
// only: a blocking read from a listener that accepts and never answers (a port another test's
// server took over) would wait forever.
void RunAll(asio::io_context& ioc) {
  ioc.run();
  ioc.restart();
}

}  // namespace

HttpResult HttpDo(uint16_t port, const std::string& method, const std::string& target,
                  const std::string& body,
                  const std::vector<std::pair<std::string, std::string>>& headers,
                  std::chrono::seconds timeout) {
  namespace http = beast::http;
  HttpResult out;
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  stream.expires_after(timeout);
  stream.async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                       [&](beast::error_code e) { ec = e; });
  RunAll(ioc);
  if (ec) {
    out.error = "connect: " + ec.message();
    return out;
  }
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  http::async_write(stream, req, [&](beast::error_code e, size_t) { ec = e; });
  RunAll(ioc);
  if (ec) {
    out.error = "write: " + ec.message();
    return out;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1ull << 30);
  http::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
  RunAll(ioc);
  if (ec) {
    out.error = "read: " + ec.message();
    return out;
  }
  auto& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  out.body = res.body();
  out.content_type = std::string(res[http::field::content_type]);
  for (const auto& f : res)
    out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  return out;
}

std::string RawExchange(uint16_t port, const std::string& raw, std::chrono::seconds timeout) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  stream.expires_after(timeout);
  stream.async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                       [&](beast::error_code e) { ec = e; });
  RunAll(ioc);
  if (ec) return "connect: " + ec.message();
  asio::async_write(stream, asio::buffer(raw), [&](beast::error_code e, size_t) { ec = e; });
  RunAll(ioc);
  std::string out;
  char buf[4096];
  while (!ec) {
    size_t n = 0;
    stream.async_read_some(asio::buffer(buf), [&](beast::error_code e, size_t got) {
      ec = e;
      n = got;
    });
    RunAll(ioc);
    out.append(buf, n);
  }
  return out;
}

}  // namespace strata::testutil
