// Test-only HTTP endpoint that records what it receives: a stand-in Alertmanager for the
// notifier tests and the webhook receiver of the Alertmanager end-to-end test. One thread,
// one request per connection, bounded reads (5 s receive timeout). Thread-safe accessors.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace strata::testutil {

// Accepts connections one at a time on 127.0.0.1 (port 0), reads one HTTP request each (headers
// + Content-Length body), records it and answers with the next status of `statuses` (the last
// one repeats), then closes the connection. With a `body` function, the answer carries its
// result for the request line (e.g. a scrape target's exposition).
class RecordingHttpServer {
 public:
  explicit RecordingHttpServer(std::vector<int> statuses,
                               std::function<std::string(const std::string&)> body = nullptr)
      : statuses_(std::move(statuses)), body_(std::move(body)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(fd_, 16);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~RecordingHttpServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // (request line, body) of every request so far.
  std::vector<std::pair<std::string, std::string>> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_.size();
  }

 private:
  void Loop() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      timeval tv{5, 0};
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      std::string data;
      char buf[65536];
      size_t header_end = std::string::npos;
      size_t want = 0;
      while (true) {
        ssize_t n = ::recv(c, buf, sizeof(buf), 0);
        if (n <= 0) break;
        data.append(buf, static_cast<size_t>(n));
        if (header_end == std::string::npos) {
          header_end = data.find("\r\n\r\n");
          if (header_end != std::string::npos) {
            auto p = data.find("Content-Length: ");
            if (p == std::string::npos) p = data.find("content-length: ");
            want = p == std::string::npos ? 0 : std::stoul(data.substr(p + 16));
          }
        }
        if (header_end != std::string::npos && data.size() >= header_end + 4 + want) break;
      }
      int status;
      std::string line = data.substr(0, data.find("\r\n"));
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.emplace_back(line,
                               header_end == std::string::npos ? "" : data.substr(header_end + 4));
        status = statuses_[std::min(requests_.size() - 1, statuses_.size() - 1)];
      }
      const std::string body = body_ ? body_(line) : "";
      std::string resp = "HTTP/1.1 " + std::to_string(status) +
                         " X\r\nContent-Length: " + std::to_string(body.size()) +
                         "\r\nConnection: close\r\n\r\n" + body;
      ::send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  std::vector<int> statuses_;
  std::function<std::string(const std::string&)> body_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> requests_;
};

}  // namespace strata::testutil
