#include "server/router.h"

#include <algorithm>

namespace strata::server {

void Router::Add(std::vector<std::string> methods, std::string path, Handler handler) {
  routes_.push_back(Route{std::move(methods), std::move(path), false, std::move(handler)});
}

void Router::AddPrefix(std::vector<std::string> methods, std::string prefix, Handler handler) {
  routes_.push_back(Route{std::move(methods), std::move(prefix), true, std::move(handler)});
}

const Router::Route* Router::Find(const std::string& path) const {
  const Route* best = nullptr;
  for (const Route& r : routes_) {
    if (!r.prefix && r.path == path) return &r;
  }
  for (const Route& r : routes_) {
    if (r.prefix && path.starts_with(r.path) &&
        (best == nullptr || r.path.size() > best->path.size())) {
      best = &r;
    }
  }
  return best;
}

const std::string& Router::RouteName(const HttpRequest& req) const {
  static const std::string kNone = "other";
  const Route* r = Find(req.path);
  return r ? r->path : kNone;
}

void Router::Dispatch(const HttpRequest& req, HttpResponse* res) const {
  const Route* r = Find(req.path);
  if (r == nullptr) {
    SetJsonError(res, 404, "not_found", "no route for path " + req.path);
    return;
  }
  bool allowed = std::find(r->methods.begin(), r->methods.end(), req.method) != r->methods.end();
  if (!allowed && req.method == "HEAD" &&
      std::find(r->methods.begin(), r->methods.end(), "GET") != r->methods.end()) {
    allowed = true;
  }
  if (!allowed) {
    std::string allow;
    for (const auto& m : r->methods) allow += (allow.empty() ? "" : ", ") + m;
    SetJsonError(res, 405, "bad_data", "method " + req.method + " not allowed for " + req.path);
    res->SetHeader("Allow", allow);
    return;
  }
  r->handler(req, res);
}

}  // namespace strata::server
