#include "bench/lib/http_client.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <utility>

namespace strata::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

HttpClient::HttpClient(Url url, int timeout_s, std::string user_agent)
    : url_(std::move(url)),
      timeout_s_(timeout_s),
      user_agent_(std::move(user_agent)),
      socket_(ioc_) {}

bool HttpClient::Connect(std::string* error) {
  beast::error_code ec;
  socket_.close(ec);
  buffer_.clear();  // Drops any partial response of the previous connection.
  connected_ = false;
  tcp::resolver resolver(ioc_);
  auto endpoints = resolver.resolve(url_.host, url_.port, ec);
  if (!ec) asio::connect(socket_, endpoints, ec);
  if (ec) {
    *error = "connect " + url_.HostPort() + ": " + ec.message();
    return false;
  }
  socket_.set_option(tcp::no_delay(true), ec);
  timeval tv{timeout_s_, 0};
  setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(socket_.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  connected_ = true;
  return true;
}

HttpResponse HttpClient::DoOnce(HttpRequest& req) {
  req.set(http::field::host, url_.HostPort());
  req.set(http::field::user_agent, user_agent_);
  req.keep_alive(true);
  req.prepare_payload();
  HttpResponse out;
  if (!connected_ && !Connect(&out.error)) return out;
  beast::error_code ec;
  http::write(socket_, req, ec);
  http::response_parser<http::string_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  if (!ec) http::read(socket_, buffer_, parser, ec);
  if (ec) {
    out.error = "transport: " + ec.message();
    connected_ = false;
    return out;
  }
  auto res = parser.release();
  out.status = static_cast<int>(res.result_int());
  if (auto ra = res.find(http::field::retry_after); ra != res.end()) {
    int seconds = 0;
    const std::string v(ra->value());
    if (std::sscanf(v.c_str(), "%d", &seconds) == 1 && seconds >= 0) out.retry_after_s = seconds;
  }
  out.keep_alive = res.keep_alive();
  if (!out.keep_alive) connected_ = false;
  out.body = std::move(res.body());
  return out;
}

HttpResponse HttpClient::Do(HttpRequest& req) {
  HttpResponse out = DoOnce(req);
  if (out.status == 0 && out.error.starts_with("transport: ")) out = DoOnce(req);
  return out;
}

HttpResponse HttpClient::Get(const std::string& target) {
  HttpRequest req{http::verb::get, url_.BasePath() + target, 11};
  return Do(req);
}

void HttpClient::Close() {
  beast::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  connected_ = false;
}

}  // namespace strata::bench
