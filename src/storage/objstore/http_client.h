// HttpClient: one HTTP/1.1 exchange at a time per call over libcurl, with a pool of easy
// handles so that connections are reused across calls. No retries and no redirects here (the
// S3 client decides what to retry); request bodies come from memory or from a region of a file
// (streamed, never read whole). Thread-safe. Private to storage.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/mutex.h"
#include "base/result.h"
#include "base/thread_annotations.h"
#include "storage/objstore/sigv4.h"

namespace strata {
struct CurlLib;  // base/curl_lib.h
}

namespace strata::storage::objstore {

struct HttpBody {
  // In memory (borrowed for the call), or, when fd >= 0, bytes [offset, offset + length) of
  // the open file `fd` (borrowed).
  std::string_view data;
  int fd = -1;
  uint64_t offset = 0;
  uint64_t length = 0;

  uint64_t size() const { return fd >= 0 ? length : data.size(); }
};

struct HttpRequest {
  std::string method;  // GET, HEAD, PUT, POST or DELETE.
  std::string url;     // Already encoded.
  HeaderList headers;  // Sent as given; a Host header replaces curl's own.
  HttpBody body;       // For PUT and POST.
  int connect_timeout_ms = 5000;
  int timeout_ms = 60000;  // The whole exchange.
  // When set and true (now or during the exchange), the transfer is aborted: Cancelled.
  const std::atomic<bool>* abort = nullptr;
  // A response body past this many bytes aborts the exchange (IOError); 0: no limit.
  uint64_t max_body_bytes = 0;
};

struct HttpResponse {
  long status = 0;
  HeaderList headers;  // Names lower-cased, values trimmed.
  std::string body;

  // The value of header `lower_name`, or "".
  std::string Header(std::string_view lower_name) const;
};

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request`. Any HTTP status is a response; transport failures are errors:
  // DeadlineExceeded for a timeout, Unavailable for connection failures (refused, reset, no or
  // a partial reply), InvalidArgument for a malformed URL, Cancelled when request.abort was
  // set, IOError otherwise (e.g. reading the
  // body file failed). The message names the method and URL.
  Result<HttpResponse> Send(const HttpRequest& request);

 private:
  void* Acquire();  // CURL*, kept opaque so this header does not pull in curl.
  void Release(void* handle);

  const CurlLib* curl_ = nullptr;  // Null when libcurl could not be loaded:
  Status load_error_;              // then Send returns this.
  Mutex mu_;
  std::vector<void*> idle_ STRATA_GUARDED_BY(mu_);
};

// True for the transport errors Send reports that a retry may cure.
inline bool IsRetryableTransportError(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded;
}

}  // namespace strata::storage::objstore
