#include "storage/objstore/s3_object_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <ctime>
#include <random>
#include <set>
#include <thread>

#include "base/log.h"
#include "storage/objstore/crypto.h"
#include "storage/objstore/s3_credentials.h"
#include "storage/objstore/s3_xml.h"

namespace strata::storage::objstore {

namespace {

// S3's limits: at most 10,000 parts per upload, at most 1,000 keys per DeleteObjects.
constexpr uint64_t kMaxParts = 10000;
constexpr size_t kDeleteBatch = 1000;
constexpr size_t kHashChunkBytes = size_t{1} << 20;
constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Worth another attempt: 5xx but 501 (Not Implemented does not change), 429, and S3's 400
// RequestTimeout (the upload was too slow for it; AWS advises retrying).
bool RetryableResponse(const HttpResponse& r) {
  if (r.status == 429 || (r.status >= 500 && r.status != 501)) return true;
  return r.status == 400 && ParseS3Error(r.body).code == "RequestTimeout";
}

Result<std::string> HashBody(const HttpBody& body) {
  if (body.fd < 0) return Sha256Hex(body.data);
  Sha256Hasher hasher;
  std::string buf(std::min<uint64_t>(kHashChunkBytes, std::max<uint64_t>(body.length, 1)), '\0');
  uint64_t done = 0;
  while (done < body.length) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), body.length - done));
    ssize_t n = ::pread(body.fd, buf.data(), want, static_cast<off_t>(body.offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return Status::IOError(std::string("reading the file to upload: ") +
                             (n < 0 ? std::strerror(errno) : "it shrank"));
    }
    hasher.Update(std::string_view(buf.data(), static_cast<size_t>(n)));
    done += static_cast<uint64_t>(n);
  }
  return hasher.FinishHex();
}

HttpBody Slice(const HttpBody& body, uint64_t offset, uint64_t length) {
  HttpBody out;
  if (body.fd < 0) {
    out.data = body.data.substr(offset, length);
  } else {
    out.fd = body.fd;
    out.offset = body.offset + offset;
    out.length = length;
  }
  return out;
}

Result<uint64_t> ParseU64(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
    return Status::InvalidArgument("bad number \"" + std::string(s) + "\"");
  }
  return v;
}

// "Tue, 01 Dec 2026 17:49:13 GMT" (RFC 7231 IMF-fixdate) as Unix ms; 0 when unparsable.
int64_t ParseHttpDateMs(const std::string& s) {
  std::tm tm{};
  const char* end = ::strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return 0;
  return int64_t{::timegm(&tm)} * 1000;
}

// The total size in "Content-Range: bytes 0-9/1234", or 0.
uint64_t ContentRangeTotal(const std::string& v) {
  size_t slash = v.rfind('/');
  if (slash == std::string::npos) return 0;
  Result<uint64_t> total = ParseU64(std::string_view(v).substr(slash + 1));
  return total.ok() ? *total : 0;
}

bool IsIpLiteral(std::string_view host) {
  if (host.starts_with('[')) return true;  // IPv6
  size_t colon = host.rfind(':');
  if (colon != std::string_view::npos) host = host.substr(0, colon);
  return !host.empty() && std::all_of(host.begin(), host.end(),
                                      [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

}  // namespace

Result<std::unique_ptr<S3ObjectStore>> S3ObjectStore::Open(const std::string& bucket,
                                                           const std::string& prefix,
                                                           const S3Options& options,
                                                           prometheus::Registry* registry) {
  STRATA_RETURN_IF_ERROR(options.Validate());
  std::string url = options.endpoint.empty() ? "https://s3." + options.region + ".amazonaws.com"
                                             : options.endpoint;
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("S3 endpoint \"" + url + "\": " + std::string(why));
  };
  Endpoint ep;
  size_t sep = url.find("://");
  if (sep == std::string::npos) return bad("expected http://HOST[:PORT] or https://HOST[:PORT]");
  ep.scheme = url.substr(0, sep);
  if (ep.scheme != "http" && ep.scheme != "https") return bad("the scheme must be http or https");
  ep.host = url.substr(sep + 3);
  while (!ep.host.empty() && ep.host.back() == '/') ep.host.pop_back();
  if (ep.host.empty() || ep.host.find_first_of("/?#@ ") != std::string::npos) {
    return bad("expected SCHEME://HOST[:PORT] without a path, query or user");
  }
  if (!options.path_style && IsIpLiteral(ep.host)) {
    return bad("virtual-host style requests need a DNS name; use path-style requests");
  }
  if (!prefix.empty() && !ValidateKey(prefix).ok()) {
    return Status::InvalidArgument("bad S3 prefix \"" + prefix + "\"");
  }
  STRATA_ASSIGN_OR_RETURN(SigV4Credentials credentials, LoadS3Credentials(options));
  return std::unique_ptr<S3ObjectStore>(
      new S3ObjectStore(bucket, prefix, options, std::move(ep), std::move(credentials), registry));
}

std::string S3ObjectStore::Describe() const {
  return "s3://" + bucket_ + (prefix_.empty() ? "" : "/" + prefix_);
}

std::string S3ObjectStore::FullKey(const std::string& key) const {
  return prefix_.empty() ? key : prefix_ + "/" + key;
}

std::string S3ObjectStore::HostHeader() const {
  return options_.path_style ? endpoint_.host : bucket_ + "." + endpoint_.host;
}

namespace {

// The decoded request path: "/bucket/key" (path style) or "/key".
std::string RequestPath(bool path_style, const std::string& bucket, const std::string& full_key) {
  if (!path_style) return "/" + full_key;
  return "/" + bucket + (full_key.empty() ? "" : "/" + full_key);
}

}  // namespace

std::string S3ObjectStore::UrlFor(const std::string& full_key) const {
  return endpoint_.scheme + "://" + HostHeader() +
         EncodedPath(RequestPath(options_.path_style, bucket_, full_key));
}

Result<HttpResponse> S3ObjectStore::Execute(Op op, const Call& call, int* attempts) {
  SigV4Request sreq;
  sreq.method = call.method;
  sreq.path = RequestPath(options_.path_style, bucket_, call.full_key);
  sreq.query = call.query;
  sreq.payload_sha256 =
      call.payload_sha256.empty() ? std::string(kEmptySha256) : call.payload_sha256;
  sreq.headers = call.headers;
  sreq.headers.emplace_back("Host", HostHeader());
  sreq.headers.emplace_back("x-amz-content-sha256", sreq.payload_sha256);

  HttpRequest req;
  req.method = call.method;
  req.url = UrlFor(call.full_key);
  if (!call.query.empty()) req.url += "?" + CanonicalQueryString(call.query);
  req.body = call.body;
  req.connect_timeout_ms = options_.connect_timeout_ms;
  req.timeout_ms = options_.request_timeout_ms;
  req.abort = &interrupted_;
  req.max_body_bytes = call.max_body_bytes;

  thread_local std::mt19937_64 rng(std::random_device{}());
  Result<HttpResponse> last = Status::Internal("no attempt made");
  int attempt = 1;
  for (;; ++attempt) {
    // Signed anew for each attempt: the signature covers the time.
    SigV4Signature sig = SignV4(sreq, credentials_, options_.region, "s3",
                                FormatAmzDate(std::chrono::system_clock::now()));
    req.headers = sreq.headers;
    req.headers.insert(req.headers.end(), sig.headers.begin(), sig.headers.end());
    last = http_.Send(req);
    bool retry = last.ok() ? RetryableResponse(*last) : IsRetryableTransportError(last.status());
    if (!retry || attempt >= options_.max_attempts) break;
    metrics_.Retry(op);
    // Exponential backoff with full jitter: a uniform wait in [0, min(max, base * 2^(n-1))].
    int64_t cap = std::min<int64_t>(options_.retry_max_ms,
                                    int64_t{options_.retry_base_ms} << std::min(attempt - 1, 20));
    std::uniform_int_distribution<int64_t> wait(0, cap);
    // In slices, so that Interrupt() ends the wait.
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait(rng));
    while (!interrupted_.load() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          until - std::chrono::steady_clock::now(), std::chrono::milliseconds(50)));
    }
    if (interrupted_.load()) break;
  }
  if (attempts != nullptr) *attempts = attempt;
  if (!last.ok()) {
    Status s = last.status();
    return Status(
        s.code(),
        "S3 " + s.message() +
            (attempt > 1 ? " (gave up after " + std::to_string(attempt) + " attempts)" : ""));
  }
  return last;
}

Status S3ObjectStore::HttpError(const Call& call, const HttpResponse& response) const {
  S3ErrorInfo e = ParseS3Error(response.body);
  std::string what = "S3 " + call.method + " s3://" + bucket_ + "/" + call.full_key;
  if (!call.query.empty()) what += "?" + CanonicalQueryString(call.query);
  what += ": HTTP " + std::to_string(response.status);
  if (!e.code.empty()) what += " " + e.code;
  if (!e.message.empty()) what += ": " + e.message;
  long st = response.status;
  if (st == 404) {
    if (e.code.empty()) what += " (no such object)";
    return Status::NotFound(what);
  }
  if (st == 403) {
    return Status::IOError(what +
                           " (access denied: check the credentials, the region and the "
                           "clock)");
  }
  if (st == 416) return Status::InvalidArgument(what);
  if (RetryableResponse(response)) return Status::Unavailable(what + " (retries exhausted)");
  return Status::IOError(what);
}

Result<HttpResponse> S3ObjectStore::Run(Op op, const Call& call) {
  STRATA_ASSIGN_OR_RETURN(HttpResponse response, Execute(op, call));
  if (response.status < 200 || response.status > 299) return HttpError(call, response);
  return response;
}

Status S3ObjectStore::PutBody(const std::string& key, const HttpBody& body) {
  STRATA_RETURN_IF_ERROR(ValidateKey(key));
  const std::string full_key = FullKey(key);
  if (body.size() > options_.multipart_threshold_bytes) {
    STRATA_RETURN_IF_ERROR(MultipartUpload(full_key, body));
  } else {
    STRATA_ASSIGN_OR_RETURN(std::string sha, HashBody(body));
    Call call{"PUT", full_key, {}, {}, body, sha};
    STRATA_RETURN_IF_ERROR(Run(Op::kPut, call).status());
  }
  metrics_.Uploaded(body.size());
  return Status::Ok();
}

Status S3ObjectStore::MultipartUpload(const std::string& full_key, const HttpBody& body) {
  Call create{"POST", full_key, {{"uploads", ""}}, {}, {}, ""};
  STRATA_ASSIGN_OR_RETURN(HttpResponse created, Run(Op::kPut, create));
  Result<std::string> upload_id = ParseUploadId(created.body);
  if (!upload_id.ok()) {
    return Status::IOError("S3 CreateMultipartUpload s3://" + bucket_ + "/" + full_key +
                           ": bad response: " + upload_id.status().message());
  }
  const std::string id = *upload_id;
  auto fail = [&](const Status& s) {
    Call abort{"DELETE", full_key, {{"uploadId", id}}, {}, {}, ""};
    Result<HttpResponse> r = Run(Op::kPut, abort);
    if (!r.ok()) {
      // The parts stay until a bucket lifecycle rule for incomplete uploads removes them.
      STRATA_LOG(kWarn, "objstore")
          << "abort of a failed multipart upload failed" << LogKV("key", full_key)
          << LogKV("upload_id", id) << LogKV("err", r.status().ToString());
    }
    return s;
  };

  const uint64_t size = body.size();
  const uint64_t part_size =
      std::max(options_.multipart_threshold_bytes, (size + kMaxParts - 1) / kMaxParts);
  std::string xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  int part = 1;
  for (uint64_t offset = 0; offset < size; offset += part_size, ++part) {
    HttpBody piece = Slice(body, offset, std::min(part_size, size - offset));
    Result<std::string> sha = HashBody(piece);
    if (!sha.ok()) return fail(sha.status());
    Call upload{"PUT", full_key, {{"partNumber", std::to_string(part)}, {"uploadId", id}},
                {},    piece,    *sha};
    Result<HttpResponse> r = Run(Op::kPut, upload);
    if (!r.ok()) return fail(r.status());
    std::string etag = r->Header("etag");
    if (etag.empty()) {
      return fail(Status::IOError("S3 UploadPart " + std::to_string(part) + " of s3://" + bucket_ +
                                  "/" + full_key + ": no ETag in the response"));
    }
    xml += "<Part><PartNumber>" + std::to_string(part) + "</PartNumber><ETag>" + XmlEscape(etag) +
           "</ETag></Part>";
  }
  xml += "</CompleteMultipartUpload>";

  Call complete{
      "POST",        full_key,      {{"uploadId", id}}, {{"Content-Type", "application/xml"}},
      HttpBody{xml}, Sha256Hex(xml)};
  int attempts = 0;
  Result<HttpResponse> r = Status::Internal("no attempt made");
  for (int round = 0;; ++round) {
    int n = 0;
    r = Execute(Op::kPut, complete, &n);
    attempts += n;
    if (!r.ok()) return fail(r.status());
    if (r->status != 200) break;
    // S3 may answer 200 and still report a failure in the body (InternalError, SlowDown):
    // AWS advises sending the request again.
    S3ErrorInfo e = ParseS3Error(r->body);
    if (e.code.empty()) return Status::Ok();
    if (round + 1 >= options_.max_attempts || interrupted_.load()) {
      return fail(Status::Unavailable("S3 CompleteMultipartUpload s3://" + bucket_ + "/" +
                                      full_key + ": " + e.code + ": " + e.message));
    }
    metrics_.Retry(Op::kPut);
    const auto until = std::chrono::steady_clock::now() +
                       std::chrono::milliseconds(options_.retry_base_ms << std::min(round, 10));
    while (!interrupted_.load() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  if (r->status == 404 && attempts > 1 && ParseS3Error(r->body).code == "NoSuchUpload") {
    // An earlier attempt completed the upload but its answer was lost: check the object.
    Call head{"HEAD", full_key, {}, {}, {}, ""};
    Result<HttpResponse> h = Run(Op::kPut, head);
    if (h.ok() && h->Header("content-length") == std::to_string(size)) return Status::Ok();
  }
  return fail(HttpError(complete, *r));
}

Status S3ObjectStore::Put(const std::string& key, std::string_view data) {
  metrics_.Request(Op::kPut);
  HttpBody body;
  body.data = data;
  Status s = PutBody(key, body);
  metrics_.Finished(Op::kPut, s);
  return s;
}

Status S3ObjectStore::PutFile(const std::string& key, const std::string& path) {
  metrics_.Request(Op::kPut);
  auto run = [&]() -> Status {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return Status::IOError("opening " + path + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
      return Status::IOError("stat of " + path + ": " + std::strerror(errno));
    }
    HttpBody body;
    body.fd = fd.get();
    body.length = static_cast<uint64_t>(st.st_size);
    return PutBody(key, body).WithContext("uploading " + path);
  };
  Status s = run();
  metrics_.Finished(Op::kPut, s);
  return s;
}

Result<std::string> S3ObjectStore::Get(const std::string& key) {
  metrics_.Request(Op::kGet);
  auto run = [&]() -> Result<std::string> {
    STRATA_RETURN_IF_ERROR(ValidateKey(key));
    Call call{"GET", FullKey(key), {}, {}, {}, ""};
    STRATA_ASSIGN_OR_RETURN(HttpResponse r, Run(Op::kGet, call));
    metrics_.Downloaded(r.body.size());
    return std::move(r.body);
  };
  Result<std::string> r = run();
  metrics_.Finished(Op::kGet, r.status());
  return r;
}

Result<std::string> S3ObjectStore::GetRange(const std::string& key, ByteRange range) {
  metrics_.Request(Op::kGetRange);
  auto past_end = [&](uint64_t size) {
    return Status::InvalidArgument("range [" + std::to_string(range.offset) + ", " +
                                   std::to_string(range.offset + range.length) + ") of object \"" +
                                   key + "\" in " + Describe() + " reaches past its end" +
                                   (size > 0 ? " (" + std::to_string(size) + " bytes)" : ""));
  };
  auto run = [&]() -> Result<std::string> {
    STRATA_RETURN_IF_ERROR(ValidateKey(key));
    if (range.length > UINT64_MAX - range.offset) return past_end(0);
    if (range.length == 0) {
      Call head{"HEAD", FullKey(key), {}, {}, {}, ""};
      STRATA_ASSIGN_OR_RETURN(HttpResponse h, Run(Op::kGetRange, head));
      Result<uint64_t> size = ParseU64(h.Header("content-length"));
      if (!size.ok()) return Status::IOError("S3 HEAD: bad Content-Length");
      if (range.offset > *size) return past_end(*size);
      return std::string();
    }
    Call call{"GET",
              FullKey(key),
              {},
              {{"Range", "bytes=" + std::to_string(range.offset) + "-" +
                             std::to_string(range.offset + range.length - 1)}},
              {},
              ""};
    // A server that ignores Range sends the whole object: fine for a small one, refused for a
    // large one (a block file would be downloaded whole for every slice read).
    call.max_body_bytes = std::max<uint64_t>(range.length, uint64_t{1} << 20) + (64 << 10);
    STRATA_ASSIGN_OR_RETURN(HttpResponse r, Execute(Op::kGetRange, call));
    if (r.status == 416) return past_end(ContentRangeTotal(r.Header("content-range")));
    if (r.status == 206) {
      if (r.body.size() == range.length) {
        metrics_.Downloaded(r.body.size());
        return std::move(r.body);
      }
      uint64_t total = ContentRangeTotal(r.Header("content-range"));
      if (total > 0 && range.offset + range.length > total) return past_end(total);
      return Status::IOError("S3 GET s3://" + bucket_ + "/" + call.full_key + ": asked for " +
                             std::to_string(range.length) + " bytes, got " +
                             std::to_string(r.body.size()));
    }
    if (r.status == 200) {  // The server ignored the Range header and sent everything.
      metrics_.Downloaded(r.body.size());
      if (r.body.size() < range.offset + range.length) return past_end(r.body.size());
      return r.body.substr(range.offset, range.length);
    }
    return HttpError(call, r);
  };
  Result<std::string> r = run();
  metrics_.Finished(Op::kGetRange, r.status());
  return r;
}

Result<ObjectInfo> S3ObjectStore::Stat(const std::string& key) {
  metrics_.Request(Op::kStat);
  auto run = [&]() -> Result<ObjectInfo> {
    STRATA_RETURN_IF_ERROR(ValidateKey(key));
    Call call{"HEAD", FullKey(key), {}, {}, {}, ""};
    STRATA_ASSIGN_OR_RETURN(HttpResponse r, Run(Op::kStat, call));
    Result<uint64_t> size = ParseU64(r.Header("content-length"));
    if (!size.ok()) {
      return Status::IOError("S3 HEAD s3://" + bucket_ + "/" + call.full_key +
                             ": no valid Content-Length");
    }
    return ObjectInfo{key, *size, ParseHttpDateMs(r.Header("last-modified"))};
  };
  Result<ObjectInfo> r = run();
  metrics_.Finished(Op::kStat, r.status());
  return r;
}

Result<std::vector<ObjectInfo>> S3ObjectStore::List(const std::string& prefix) {
  metrics_.Request(Op::kList);
  auto run = [&]() -> Result<std::vector<ObjectInfo>> {
    if (prefix.find_first_of(std::string_view("\0\r\n", 3)) != std::string::npos) {
      return Status::InvalidArgument("bad object key prefix \"" + prefix + "\"");
    }
    const std::string store_prefix = prefix_.empty() ? "" : prefix_ + "/";
    std::vector<ObjectInfo> out;
    std::string token;
    // S3 lists keys in increasing order, each page after the last: a server that repeats a
    // token or a key (a bug, or a hostile endpoint) would otherwise loop for ever.
    std::set<std::string> tokens;
    std::string last_key;
    bool any_key = false;
    while (true) {
      Call call{"GET", "", {{"list-type", "2"}, {"prefix", store_prefix + prefix}}, {}, {}, ""};
      if (!token.empty()) call.query.emplace_back("continuation-token", token);
      STRATA_ASSIGN_OR_RETURN(HttpResponse r, Run(Op::kList, call));
      Result<ListPage> page = ParseListObjectsV2(r.body);
      if (!page.ok()) {
        return Status::IOError("S3 ListObjectsV2 " + Describe() + ": " + page.status().message());
      }
      for (ObjectInfo& o : page->objects) {
        if (any_key && o.key <= last_key) {
          return Status::IOError("S3 ListObjectsV2 " + Describe() + ": key \"" + o.key +
                                 "\" does not come after \"" + last_key +
                                 "\" (the listing is not in order)");
        }
        last_key = o.key;
        any_key = true;
        if (!o.key.starts_with(store_prefix)) continue;
        o.key.erase(0, store_prefix.size());
        // Objects whose keys we could not address (written by something else) are left out.
        if (!ValidateKey(o.key).ok()) continue;
        out.push_back(std::move(o));
      }
      if (!page->truncated) break;
      if (page->next_continuation_token.empty() ||
          !tokens.insert(page->next_continuation_token).second) {
        return Status::IOError("S3 ListObjectsV2 " + Describe() +
                               ": the continuation token did not advance");
      }
      token = page->next_continuation_token;
    }
    std::sort(out.begin(), out.end(),
              [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    return out;
  };
  Result<std::vector<ObjectInfo>> r = run();
  metrics_.Finished(Op::kList, r.status());
  return r;
}

Status S3ObjectStore::Delete(const std::vector<std::string>& keys) {
  metrics_.Request(Op::kDelete);
  auto run = [&]() -> Status {
    for (const std::string& key : keys) STRATA_RETURN_IF_ERROR(ValidateKey(key));
    for (size_t start = 0; start < keys.size(); start += kDeleteBatch) {
      size_t end = std::min(keys.size(), start + kDeleteBatch);
      std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete><Quiet>true</Quiet>";
      for (size_t i = start; i < end; ++i) {
        xml += "<Object><Key>" + XmlEscape(FullKey(keys[i])) + "</Key></Object>";
      }
      xml += "</Delete>";
      Call call{
          "POST",           "",
          {{"delete", ""}}, {{"Content-MD5", Md5Base64(xml)}, {"Content-Type", "application/xml"}},
          HttpBody{xml},    Sha256Hex(xml)};
      STRATA_ASSIGN_OR_RETURN(HttpResponse r, Run(Op::kDelete, call));
      Result<std::vector<DeleteFailure>> failures = ParseDeleteResult(r.body);
      if (!failures.ok()) {
        return Status::IOError("S3 DeleteObjects " + Describe() +
                               ": bad response: " + failures.status().message());
      }
      std::vector<DeleteFailure> real;
      for (DeleteFailure& f : *failures) {
        if (f.code != "NoSuchKey") real.push_back(std::move(f));
      }
      if (!real.empty()) {
        return Status::IOError("S3 DeleteObjects " + Describe() + ": " +
                               std::to_string(real.size()) + " keys not deleted, first \"" +
                               real[0].key + "\": " + real[0].code + ": " + real[0].message);
      }
    }
    return Status::Ok();
  };
  Status s = run();
  metrics_.Finished(Op::kDelete, s);
  return s;
}

}  // namespace strata::storage::objstore
