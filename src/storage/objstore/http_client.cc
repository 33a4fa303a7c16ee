#include "storage/objstore/http_client.h"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "base/curl_lib.h"

namespace strata::storage::objstore {

namespace {

// Idle handles kept for reuse (each keeps its connections); more are closed when released.
constexpr size_t kMaxIdleHandles = 16;

struct Transfer {
  const HttpBody* body = nullptr;
  uint64_t sent = 0;
  int read_errno = 0;
  HttpResponse* response = nullptr;
  uint64_t max_body = 0;  // HttpRequest::max_body_bytes.
  bool too_large = false;
};

size_t ReadBody(char* buf, size_t size, size_t nitems, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const HttpBody& b = *t->body;
  uint64_t left = b.size() - t->sent;
  size_t n = static_cast<size_t>(std::min<uint64_t>(left, uint64_t{size} * nitems));
  if (n == 0) return 0;
  if (b.fd < 0) {
    std::memcpy(buf, b.data.data() + t->sent, n);
  } else {
    ssize_t r;
    do {
      r = ::pread(b.fd, buf, n, static_cast<off_t>(b.offset + t->sent));
    } while (r < 0 && errno == EINTR);
    if (r <= 0) {
      t->read_errno = r < 0 ? errno : EIO;  // A file that shrank under us reads as EIO.
      return CURL_READFUNC_ABORT;
    }
    n = static_cast<size_t>(r);
  }
  t->sent += n;
  return n;
}

// curl rewinds the body when it must send it again (e.g. on a fresh connection).
int SeekBody(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<uint64_t>(offset) > t->body->size()) {
    return CURL_SEEKFUNC_FAIL;
  }
  t->sent = static_cast<uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

size_t WriteBody(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (t->max_body > 0 && t->response->body.size() + size * nmemb > t->max_body) {
    t->too_large = true;
    return 0;  // Aborts the transfer.
  }
  t->response->body.append(data, size * nmemb);
  return size * nmemb;
}

size_t WriteHeader(char* data, size_t size, size_t nitems, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * nitems);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    t->response->headers.clear();  // A new response (after a 100 Continue).
    return size * nitems;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * nitems;
  std::string name(line.substr(0, colon));
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  t->response->headers.emplace_back(std::move(name), std::string(value));
  return size * nitems;
}

int AbortWhenSet(void* flag, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(flag)->load() ? 1 : 0;
}

Status TransportError(const CurlLib& lib, CURLcode code, const char* detail, const HttpRequest& r,
                      const Transfer& t) {
  std::string what = r.method + " " + r.url + ": " +
                     (detail[0] != '\0' ? std::string(detail) : lib.easy_strerror(code));
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return Status::DeadlineExceeded(what);
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return Status::Unavailable(what);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Status::InvalidArgument(what);
    case CURLE_WRITE_ERROR:
      if (t.too_large) {
        return Status::IOError(what + " (the answer is larger than the " +
                               std::to_string(t.max_body) + " bytes expected)");
      }
      return Status::IOError(what);
    case CURLE_ABORTED_BY_CALLBACK:
      if (r.abort != nullptr && r.abort->load())
        return Status::Cancelled(what + " (shutting down)");
      [[fallthrough]];
    case CURLE_READ_ERROR:
      if (t.read_errno != 0) {
        return Status::IOError(what + " (reading the body: " + std::strerror(t.read_errno) + ")");
      }
      return Status::IOError(what);
    default:
      return Status::IOError(what);
  }
}

}  // namespace

std::string HttpResponse::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return "";
}

HttpClient::HttpClient() {
  auto lib = LoadCurl();
  if (lib.ok()) {
    curl_ = lib.value();
  } else {
    load_error_ = lib.status();
  }
}

HttpClient::~HttpClient() {
  MutexLock lock(&mu_);
  for (void* h : idle_) curl_->easy_cleanup(static_cast<CURL*>(h));
  idle_.clear();
}

void* HttpClient::Acquire() {
  {
    MutexLock lock(&mu_);
    if (!idle_.empty()) {
      void* h = idle_.back();
      idle_.pop_back();
      return h;
    }
  }
  return curl_->easy_init();
}

void HttpClient::Release(void* handle) {
  {
    MutexLock lock(&mu_);
    if (idle_.size() < kMaxIdleHandles) {
      idle_.push_back(handle);
      return;
    }
  }
  curl_->easy_cleanup(static_cast<CURL*>(handle));
}

Result<HttpResponse> HttpClient::Send(const HttpRequest& request) {
  if (curl_ == nullptr) return load_error_.WithContext(request.method + " " + request.url);
  CURL* curl = static_cast<CURL*>(Acquire());
  if (curl == nullptr) return Status::Internal("curl_easy_init failed");
  // Resetting keeps the handle's live connections and DNS cache.
  curl_->easy_reset(curl);

  HttpResponse response;
  Transfer t;
  t.body = &request.body;
  t.response = &response;
  t.max_body = request.max_body_bytes;
  char error[CURL_ERROR_SIZE] = {};

  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers = curl_->slist_append(headers, (name + ": " + value).c_str());
  }
  // No "Expect: 100-continue" round trip before bodies.
  headers = curl_->slist_append(headers, "Expect:");

  curl_->easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_->easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_->easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(request.connect_timeout_ms));
  curl_->easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout_ms));
  curl_->easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_->easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_->easy_setopt(curl, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_->easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_->easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_->easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_->easy_setopt(curl, CURLOPT_READFUNCTION, ReadBody);
  curl_->easy_setopt(curl, CURLOPT_READDATA, &t);
  curl_->easy_setopt(curl, CURLOPT_SEEKFUNCTION, SeekBody);
  curl_->easy_setopt(curl, CURLOPT_SEEKDATA, &t);
  const auto body_size = static_cast<curl_off_t>(request.body.size());
  if (request.method == "GET") {
    curl_->easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl_->easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT") {
    curl_->easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_->easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, body_size);
  } else if (request.method == "POST") {
    curl_->easy_setopt(curl, CURLOPT_POST, 1L);
    curl_->easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, body_size);
  } else {
    curl_->easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  if (request.abort != nullptr) {
    if (request.abort->load()) {
      curl_->slist_free_all(headers);
      Release(curl);
      return Status::Cancelled(request.method + " " + request.url + " (shutting down)");
    }
    // libcurl calls this at least once a second, also while waiting for a reply.
    curl_->easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_->easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, AbortWhenSet);
    curl_->easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(request.abort));
  }
  CURLcode code = curl_->easy_perform(curl);
  curl_->slist_free_all(headers);
  if (code != CURLE_OK) {
    Status s = TransportError(*curl_, code, error, request, t);
    // The connection state is unknown after a failure; do not reuse this handle.
    curl_->easy_cleanup(curl);
    return s;
  }
  curl_->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  Release(curl);
  return response;
}

}  // namespace strata::storage::objstore
