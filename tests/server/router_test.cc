#include "server/router.h"

#include <gtest/gtest.h>

namespace strata::server {
namespace {

HttpRequest Req(std::string method, std::string path) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = path;
  r.target = std::move(path);
  return r;
}

TEST(RouterTest, ExactPrefixUnknownAndWrongMethod) {
  Router router;
  router.Add({"GET"}, "/a", [](const HttpRequest&, HttpResponse* res) { res->body = "a"; });
  router.AddPrefix({"GET"}, "/api/v1/label/", [](const HttpRequest& req, HttpResponse* res) {
    res->body = "label:" + req.path;
  });
  HttpResponse res;
  router.Dispatch(Req("GET", "/a"), &res);
  EXPECT_EQ(res.body, "a");

  res = HttpResponse();
  router.Dispatch(Req("GET", "/api/v1/label/job/values"), &res);
  EXPECT_EQ(res.body, "label:/api/v1/label/job/values");

  res = HttpResponse();
  router.Dispatch(Req("GET", "/nope"), &res);
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.body,
            R"({"status":"error","errorType":"not_found","error":"no route for path /nope"})");

  res = HttpResponse();
  router.Dispatch(Req("DELETE", "/a"), &res);
  EXPECT_EQ(res.status, 405);
  ASSERT_EQ(res.headers.size(), 1u);
  EXPECT_EQ(res.headers[0].second, "GET");

  res = HttpResponse();
  router.Dispatch(Req("HEAD", "/a"), &res);
  EXPECT_EQ(res.status, 200);
}

}  // namespace
}  // namespace strata::server
