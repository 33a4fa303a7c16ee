// WebUi: serves the built-in web UI from the files embedded at build time (web_assets.h).
// `/` redirects to `/graph`; the UI's pages (/graph, /status, /flags, /tsdb-status, /storage,
// /rules, /alerts) all serve index.html, whose script draws the page the path names; its files
// are under /static/. Each file goes out with its content type, an ETag (304 on If-None-Match),
// `Cache-Control: no-cache` (revalidate: one round trip on a local server, never stale after an
// upgrade) and gzip when the client accepts it (compressed once, at construction).
// Thread-safe after construction.
#pragma once

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
    std::string gzipped;  // Empty when gzip would not be smaller.
    std::string etag;
  };
  std::vector<File> files_;
};

}  // namespace strata::server
