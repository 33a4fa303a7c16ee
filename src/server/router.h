// Router: maps (method, path) to handlers. Exact paths and path prefixes (for routes like
// /api/v1/label/<name>/values). Built once before the server starts, then read-only:
// thread-compatible, so concurrent Dispatch() calls are safe.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "server/http_types.h"

namespace strata::server {

using Handler = std::function<void(const HttpRequest&, HttpResponse*)>;

class Router {
 public:
  // `methods` e.g. {"GET", "POST"}. A later registration of the same path adds methods.
  void Add(std::vector<std::string> methods, std::string path, Handler handler);
  // Matches any path that starts with `prefix` (after exact routes failed), longest first.
  void AddPrefix(std::vector<std::string> methods, std::string prefix, Handler handler);

  // Runs the matching handler. Unknown path: 404 JSON error; known path with another method:
  // 405 JSON error with an Allow header.
  void Dispatch(const HttpRequest& req, HttpResponse* res) const;

  // The route pattern that `req` matches, for metric labels ("" when none).
  const std::string& RouteName(const HttpRequest& req) const;

 private:
  struct Route {
    std::vector<std::string> methods;
    std::string path;
    bool prefix = false;
    Handler handler;
  };
  const Route* Find(const std::string& path) const;
  std::vector<Route> routes_;
};

}  // namespace strata::server
