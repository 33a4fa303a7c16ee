// ObjectStore: the interface the cold tier reads and writes blocks through. Two backends: a
// local directory (file:///path, the default <data-dir>/cold) and S3 or any S3-compatible
// service (s3://BUCKET/PREFIX, AWS Signature V4). Keys are '/'-separated relative paths
// ("<node>/<block-id>/meta.json"); the backend adds its own root or prefix. Every method is
// thread-safe: several queries and one uploader use one store at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace prometheus {
class Registry;
}

namespace strata::storage::objstore {

struct ObjectInfo {
  std::string key;    // Relative to the store's root or prefix.
  uint64_t size = 0;  // Bytes.
  // Unix ms, as the backend reports it (file mtime, S3 LastModified).
  int64_t last_modified_ms = 0;
};

// A byte range [offset, offset + length) of an object.
struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Stores `data` under `key`, replacing any object there. Atomic for readers: a concurrent or
  // later Get sees the old object or the whole new one, never a part (local: write to a
  // temporary name, fsync, rename, fsync the directory; S3: one PUT or a completed multipart
  // upload). Durable when it returns OK.
  virtual Status Put(const std::string& key, std::string_view data) = 0;
  // As Put, streaming the content of the local file `path` (S3: multipart upload past the
  // backend's threshold, so a large block file is never held in memory whole).
  virtual Status PutFile(const std::string& key, const std::string& path) = 0;

  // The whole object. NotFound when there is none.
  virtual Result<std::string> Get(const std::string& key) = 0;
  // Bytes [range.offset, range.offset + range.length) of the object. A range reaching past the
  // end is InvalidArgument (callers know object sizes from block metadata; a short object is
  // corruption they report). NotFound when there is no object.
  virtual Result<std::string> GetRange(const std::string& key, ByteRange range) = 0;
  // Size and modification time. NotFound when there is no object.
  virtual Result<ObjectInfo> Stat(const std::string& key) = 0;
  // Every object whose key starts with `prefix` (recursively, all pages), sorted by key.
  virtual Result<std::vector<ObjectInfo>> List(const std::string& prefix) = 0;
  // Deletes the objects; keys that do not exist are not an error.
  virtual Status Delete(const std::vector<std::string>& keys) = 0;

  // For messages and logs: "file:///var/lib/strata/cold" or "s3://bucket/prefix".
  virtual std::string Describe() const = 0;

  // For shutdown: requests under way are aborted and later ones fail at once (Cancelled), so
  // that a hanging remote store does not hold up the process's exit. Irreversible. Local
  // stores, whose calls do not hang on a network, ignore it.
  virtual void Interrupt() {}
};

struct S3Options {
  // Endpoint URL, e.g. "http://127.0.0.1:9000". Empty: AWS, https://s3.<region>.amazonaws.com.
  std::string endpoint;
  // Signing region. Default: us-east-1.
  std::string region = "us-east-1";
  // Path-style requests (ENDPOINT/BUCKET/KEY) instead of virtual-host style
  // (BUCKET.ENDPOINT/KEY). Most self-hosted S3-compatible services need path style.
  bool path_style = false;
  // Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN from the
  // environment, else this file (an AWS shared-credentials file, its [default] profile or
  // `profile`). Empty: $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials when present.
  std::string credentials_file;
  // Empty: $AWS_PROFILE, else "default" (as the AWS tools).
  std::string profile;
  // Explicit credentials, used instead of the environment and the file when access_key_id is
  // set (tools and tests that already hold them). Default: empty.
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  // Objects larger than this are uploaded in parts of this size (more when the object would
  // need over 10,000 parts). AWS refuses parts under 5 MiB, except the last; only tests against
  // an emulator go lower. Default: 16 MiB.
  uint64_t multipart_threshold_bytes = uint64_t{16} << 20;
  // Attempts per request on 5xx, 429 and connection errors, with exponential backoff and full
  // jitter starting at `retry_base_ms`, capped at `retry_max_ms`.
  int max_attempts = 6;
  int retry_base_ms = 100;
  int retry_max_ms = 5000;
  // Connect timeout, and the timeout of one whole request attempt.
  int connect_timeout_ms = 5000;
  int request_timeout_ms = 60000;

  // InvalidArgument naming the field when a value is out of range.
  Status Validate() const;
};

struct ObjectStoreOptions {
  // "" (the local default: <data-dir>/cold), "file:///abs/path" or "s3://BUCKET[/PREFIX]".
  std::string url;
  S3Options s3;
};

// Keys are non-empty '/'-separated relative paths of non-empty segments other than "." and
// "..", without control characters, and no segment starts with ".strata-tmp." (the local
// store's temporary files). InvalidArgument naming the key otherwise. Every method checks its
// keys with this.
Status ValidateKey(std::string_view key);

// The parts of an object store URL.
struct ObjectStoreUrl {
  enum class Kind { kLocal, kS3 };
  Kind kind = Kind::kLocal;
  std::string path;    // kLocal: the absolute directory; empty for the default directory.
  std::string bucket;  // kS3.
  std::string prefix;  // kS3: without leading or trailing '/'; may be empty.
};
// "" -> the default local directory; "file:///abs/path" (percent-escapes decoded);
// "s3://BUCKET[/PREFIX]". InvalidArgument naming the URL for anything else.
Result<ObjectStoreUrl> ParseObjectStoreUrl(std::string_view url);

// Opens the store `options.url` names; an empty URL is the local directory `default_dir`
// (created when missing; relative to the working directory when not absolute). InvalidArgument
// (naming the flag's value) for a malformed URL or an unknown scheme; Unavailable when S3
// credentials are missing. `registry` may be null; otherwise the store exports
// strata_objstore_requests_total{op} (calls of each method, op one of put, get, get_range, stat,
// list, delete), strata_objstore_request_errors_total{op} (calls that returned an error other than
// NotFound), strata_objstore_retries_total{op} (S3 request attempts repeated after a retryable
// failure), strata_objstore_bytes_downloaded_total and strata_objstore_bytes_uploaded_total (object
// bytes, not HTTP overhead).
Result<std::unique_ptr<ObjectStore>> OpenObjectStore(const ObjectStoreOptions& options,
                                                     const std::string& default_dir,
                                                     prometheus::Registry* registry);

}  // namespace strata::storage::objstore
