#include "server/web_ui.h"

#include <zlib.h>

#include <cstdio>

#include "server/web_assets.h"

namespace strata::server {
namespace {

std::string ContentType(std::string_view path) {
  auto ends = [&](std::string_view s) {
    return path.size() >= s.size() && path.substr(path.size() - s.size()) == s;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

// gzip (RFC 1952) of `in` at the best compression; empty on failure.
std::string Gzip(std::string_view in) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    return std::string();
  }
  std::string out(deflateBound(&zs, static_cast<uLong>(in.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return rc == Z_STREAM_END ? out : std::string();
}

// FNV-1a 64 of the bytes, as a strong ETag.
std::string Etag(std::string_view bytes) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[24];
  std::snprintf(buf, sizeof(buf), "\"%016llx\"", static_cast<unsigned long long>(h));
  return buf;
}

bool AcceptsGzip(const HttpRequest& req) {
  std::string_view v = req.Header("accept-encoding");
  size_t p = v.find("gzip");
  if (p == std::string_view::npos) return false;
  // "gzip;q=0" refuses it.
  std::string_view rest = v.substr(p + 4);
  size_t comma = rest.find(',');
  std::string_view params = rest.substr(0, comma);
  return params.find("q=0") == std::string_view::npos ||
         params.find("q=0.") != std::string_view::npos;
}

}  // namespace

WebUi::WebUi() {
  for (const EmbeddedAsset& a : EmbeddedAssets()) {
    File f;
    f.path = std::string(a.path);
    f.content_type = ContentType(a.path);
    f.bytes = a.bytes;
    f.etag = Etag(a.bytes);
    f.compressible = f.content_type.find("image/") != 0 || f.path.ends_with(".svg");
    files_.push_back(std::move(f));
  }
}

const std::vector<std::string>& WebUi::PagePaths() {
  static const std::vector<std::string> kPaths = {"/graph",   "/status", "/flags", "/tsdb-status",
                                                  "/storage", "/rules",  "/alerts"};
  return kPaths;
}

bool WebUi::Serve(const HttpRequest& req, const std::string& path, HttpResponse* res) const {
  std::call_once(gzip_once_, [this] {
    gzipped_.resize(files_.size());
    for (size_t i = 0; i < files_.size(); ++i) {
      if (!files_[i].compressible) continue;
      std::string z = Gzip(files_[i].bytes);
      if (!z.empty() && z.size() < files_[i].bytes.size()) gzipped_[i] = std::move(z);
    }
  });
  for (size_t i = 0; i < files_.size(); ++i) {
    const File& f = files_[i];
    if (f.path != path) continue;
    res->status = 200;
    res->content_type = f.content_type;
    res->SetHeader("ETag", f.etag);
    res->SetHeader("Cache-Control", "no-cache");
    res->SetHeader("Vary", "Accept-Encoding");
    res->SetHeader("X-Content-Type-Options", "nosniff");
    if (req.Header("if-none-match") == f.etag) {
      res->status = 304;
      res->body.clear();
      return true;
    }
    if (!gzipped_[i].empty() && AcceptsGzip(req)) {
      res->SetHeader("Content-Encoding", "gzip");
      res->body = gzipped_[i];
    } else {
      res->body = std::string(f.bytes);
    }
    return true;
  }
  return false;
}

void WebUi::Register(Router* router) const {
  router->Add({"GET", "HEAD"}, "/", [](const HttpRequest&, HttpResponse* res) {
    res->status = 302;
    res->content_type = "text/html; charset=utf-8";
    res->SetHeader("Location", "graph");
    res->body = "<a href=\"graph\">Found</a>.\n";
  });
  for (const std::string& page : PagePaths()) {
    router->Add({"GET", "HEAD"}, page, [this](const HttpRequest& req, HttpResponse* res) {
      Serve(req, "/static/index.html", res);
    });
  }
  router->AddPrefix({"GET", "HEAD"}, "/static/", [this](const HttpRequest& req, HttpResponse* res) {
    if (!Serve(req, req.path, res)) {
      res->status = 404;
      res->content_type = "text/plain; charset=utf-8";
      res->body = "404 page not found\n";
    }
  });
}

}  // namespace strata::server
