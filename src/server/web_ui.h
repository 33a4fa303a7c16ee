// WebUi: serves the built-in web UI from the files embedded at build time (web_assets.h).
// `/` redirects to `/graph`; the UI's pages (/graph, /status, /flags, /tsdb-status, /storage,
// /rules, /alerts) all serve index.html, whose script draws the page the path names; its files
// are under /static/. Each file goes out with its content type, an ETag (304 on If-None-Match),
// `Cache-Control: no-cache` (revalidate: one round trip on a local server, never stale after an
// upgrade) and gzip when the client accepts it (compressed once, at construction).
// Thread-safe after construction.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "server/router.h"

namespace strata::server {

class WebUi {
 public:
  WebUi();
  void Register(Router* router) const;
  // Fills `res` with the file at URL `path` ("/static/app.js"); false when there is none.
  bool Serve(const HttpRequest& req, const std::string& path, HttpResponse* res) const;

  // The UI's page paths, for tests.
  static const std::vector<std::string>& PagePaths();

 private:
  struct File {
    std::string path;
    std::string content_type;
    std::string_view bytes;
    bool compressible = false;  // Text: worth a gzip copy.
    std::string etag;
  };
  std::vector<File> files_;
  // Per file, its gzip copy; empty when gzip would not be smaller. Made at the first request
  // rather than at start-up, which they took about 5 % of (level 9 over the embedded
  // scripts); call_once orders the writes before every read.
  mutable std::once_flag gzip_once_;
  mutable std::vector<std::string> gzipped_;
};

}  // namespace strata::server
