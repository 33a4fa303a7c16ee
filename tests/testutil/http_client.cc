#include "testutil/http_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace strata::testutil {

HttpResult HttpDo(uint16_t port, const std::string& method, const std::string& target,
                  const std::string& body,
                  const std::vector<std::pair<std::string, std::string>>& headers,
                  std::chrono::seconds timeout) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  namespace asio = boost::asio;
  HttpResult out;
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  stream.expires_after(timeout);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) {
    out.error = "connect: " + ec.message();
    return out;
  }
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req, ec);
  if (ec) {
    out.error = "write: " + ec.message();
    return out;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1ull << 30);
  http::read(stream, buffer, parser, ec);
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
  namespace beast = boost::beast;
  namespace asio = boost::asio;
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  stream.expires_after(timeout);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return "connect: " + ec.message();
  asio::write(stream.socket(), asio::buffer(raw), ec);
  std::string out;
  char buf[4096];
  for (;;) {
    size_t n = stream.read_some(asio::buffer(buf), ec);
    out.append(buf, n);
    if (ec) break;
  }
  return out;
}

}  // namespace strata::testutil
