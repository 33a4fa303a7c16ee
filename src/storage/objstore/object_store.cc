// Key validation, URL parsing and OpenObjectStore: the parts of object_store.h shared by both
// backends.
#include "storage/object_store.h"

#include <algorithm>
#include <filesystem>

#include "storage/objstore/local_object_store.h"
#include "storage/objstore/s3_object_store.h"

namespace strata::storage::objstore {

namespace {

bool HasControlChar(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// S3's bucket naming rules: 3-63 of a-z 0-9 . -, starting and ending with a letter or digit.
bool ValidBucket(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(b.front()) || !alnum(b.back())) return false;
  return std::all_of(b.begin(), b.end(), [&](char c) { return alnum(c) || c == '.' || c == '-'; });
}

}  // namespace

Status ValidateKey(std::string_view key) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("bad object key \"" + std::string(key) +
                                   "\": " + std::string(why));
  };
  if (key.empty()) return bad("empty");
  if (key.front() == '/') return bad("absolute");
  if (HasControlChar(key)) return bad("control character");
  size_t start = 0;
  while (true) {
    size_t end = key.find('/', start);
    std::string_view seg = key.substr(start, end == std::string_view::npos ? end : end - start);
    if (seg.empty()) return bad("empty path segment");
    if (seg == "." || seg == "..") return bad("\".\" or \"..\" segment");
    if (seg.starts_with(kLocalTmpPrefix)) return bad("reserved \".strata-tmp.\" segment");
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return Status::Ok();
}

Result<ObjectStoreUrl> ParseObjectStoreUrl(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("object store URL \"" + std::string(url) +
                                   "\": " + std::string(why));
  };
  ObjectStoreUrl out;
  if (url.empty()) return out;
  if (HasControlChar(url)) return bad("control character");
  if (url.starts_with("file://")) {
    std::string_view rest = url.substr(7);
    if (!rest.starts_with('/')) {
      return bad("expected file:///ABSOLUTE/PATH (a host, or a relative path, is not supported)");
    }
    std::string path;
    for (size_t i = 0; i < rest.size(); ++i) {
      if (rest[i] == '%') {
        int hi = i + 2 < rest.size() ? HexValue(rest[i + 1]) : -1;
        int lo = i + 2 < rest.size() ? HexValue(rest[i + 2]) : -1;
        if (hi < 0 || lo < 0) return bad("bad percent-escape");
        char c = static_cast<char>(hi * 16 + lo);
        if (c == '\0') return bad("NUL in the path");
        path.push_back(c);
        i += 2;
      } else if (rest[i] == '?' || rest[i] == '#') {
        return bad("a query or fragment is not supported");
      } else {
        path.push_back(rest[i]);
      }
    }
    while (!path.empty() && path.back() == '/') path.pop_back();
    if (path.empty()) return bad("the filesystem root is not a valid store directory");
    out.path = std::move(path);
    return out;
  }
  if (url.starts_with("s3://")) {
    std::string_view rest = url.substr(5);
    if (rest.find_first_of("?#") != std::string_view::npos) {
      return bad("a query or fragment is not supported");
    }
    size_t slash = rest.find('/');
    std::string_view bucket = rest.substr(0, slash);
    std::string_view prefix = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
    if (!ValidBucket(bucket)) {
      return bad("bad bucket name \"" + std::string(bucket) +
                 "\" (3-63 characters of a-z, 0-9, '.', '-', starting and ending with a letter "
                 "or digit)");
    }
    while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
    if (!prefix.empty() && !ValidateKey(prefix).ok()) {
      return bad("bad prefix \"" + std::string(prefix) + "\" (no empty, \".\" or \"..\" segments)");
    }
    out.kind = ObjectStoreUrl::Kind::kS3;
    out.bucket = std::string(bucket);
    out.prefix = std::string(prefix);
    return out;
  }
  return bad("unsupported; expected file:///ABSOLUTE/PATH or s3://BUCKET[/PREFIX]");
}

Status S3Options::Validate() const {
  auto bad = [](std::string_view what) {
    return Status::InvalidArgument("S3 options: " + std::string(what));
  };
  if (region.empty()) return bad("region is empty");
  if (multipart_threshold_bytes == 0) return bad("multipart_threshold_bytes must be positive");
  if (max_attempts < 1) return bad("max_attempts must be at least 1");
  if (retry_base_ms < 1 || retry_max_ms < retry_base_ms) {
    return bad("need 1 <= retry_base_ms <= retry_max_ms");
  }
  if (connect_timeout_ms < 1 || request_timeout_ms < 1) return bad("timeouts must be positive");
  if (!access_key_id.empty() && secret_access_key.empty()) {
    return bad("access_key_id given without secret_access_key");
  }
  return Status::Ok();
}

Result<std::unique_ptr<ObjectStore>> OpenObjectStore(const ObjectStoreOptions& options,
                                                     const std::string& default_dir,
                                                     prometheus::Registry* registry) {
  STRATA_ASSIGN_OR_RETURN(ObjectStoreUrl url, ParseObjectStoreUrl(options.url));
  if (url.kind == ObjectStoreUrl::Kind::kS3) {
    STRATA_ASSIGN_OR_RETURN(auto store,
                            S3ObjectStore::Open(url.bucket, url.prefix, options.s3, registry));
    return std::unique_ptr<ObjectStore>(std::move(store));
  }
  std::string dir = url.path;
  if (dir.empty()) {
    // The data directory's own store (<data-dir>/cold): the data directory may be given
    // relative to the working directory (`make run`'s ./data), the store keeps it absolute.
    std::error_code ec;
    const std::filesystem::path abs = std::filesystem::absolute(default_dir, ec);
    if (ec) {
      return Status::InvalidArgument("cannot make \"" + default_dir +
                                     "\" absolute: " + ec.message());
    }
    dir = abs.lexically_normal().string();
  }
  STRATA_ASSIGN_OR_RETURN(auto store, LocalObjectStore::Open(dir, registry));
  return std::unique_ptr<ObjectStore>(std::move(store));
}

}  // namespace strata::storage::objstore
