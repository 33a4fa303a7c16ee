// Fuzz target: the Prometheus HTTP API's parameter parsing (url.h query strings and form bodies,
// api_params.h times and durations, match[] selectors, limit, step, timeout) through the real
// handlers of Api and QueryApi behind a Router, over a small head. Input: one byte choosing the
// endpoint (bits 0-2) and GET or form POST (bit 3), then `<query string>\n<form body>\n<label
// name>`. Properties: every answer is 2xx or a Prometheus error body
// {"status":"error","errorType":...} with a 4xx/5xx status, bad_data with 400 (405 for a
// method the route does not take); the free
// functions (ParseTimeMillis, ParseDurationParamMillis, UrlDecode) answer InvalidArgument or a
// value for any text.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "fuzz/fuzz_target.h"
#include "query/engine.h"
#include "server/api.h"
#include "server/api_params.h"
#include "server/query_api.h"
#include "server/router.h"
#include "server/url.h"
#include "storage/head.h"
#include "storage/metadata_store.h"

namespace strata::fuzz {
namespace {

namespace fs = std::filesystem;

// A head with a few series, the handlers and their router; built once per process.
struct Fixture {
  Fixture() {
    std::string tmpl = (fs::temp_directory_path() / "strata-fuzz-api-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) FuzzFail("mkdtemp failed");
    dir = tmpl;
    storage::HeadOptions o;
    o.series_map_stripes = 16;
    o.wal.fsync = storage::WalOptions::FsyncPolicy::kNever;
    auto h = storage::Head::Open(dir, o, nullptr);
    if (!h.ok()) FuzzFail("cannot open a head: " + h.status().ToString());
    head = std::move(h).value();
    const model::LabelView a[] = {{"__name__", "up"}, {"instance", "a:9100"}, {"job", "node"}};
    const model::LabelView b[] = {{"__name__", "up"}, {"instance", "b:9100"}, {"job", "api"}};
    const model::LabelView c[] = {{"__name__", "http_requests_total"}, {"code", "200"}};
    std::vector<model::Sample> samples;
    for (int i = 0; i < 20; ++i) samples.push_back({1'700'000'000'000 + i * 15'000, i * 1.5});
    const storage::SeriesInput batch[] = {{a, samples}, {b, samples}, {c, samples}};
    storage::AppendResult result;
    if (!head->Append(batch, &result).ok()) FuzzFail("cannot fill the head");
    metadata.Put("up", "gauge", "Whether the target is up.", "");
    query::EngineOptions eo;
    eo.max_samples = 200'000;
    eo.timeout = std::chrono::milliseconds(2000);
    engine = std::make_unique<query::Engine>(eo);
    api = std::make_unique<server::Api>(head.get(), &metadata, "fuzz");
    query_api = std::make_unique<server::QueryApi>(head.get(), engine.get());
    api->Register(&router);
    query_api->Register(&router);
  }
  ~Fixture() {
    head.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string dir;
  std::unique_ptr<storage::Head> head;
  storage::MetadataStore metadata;
  std::unique_ptr<query::Engine> engine;
  std::unique_ptr<server::Api> api;
  std::unique_ptr<server::QueryApi> query_api;
  server::Router router;
};

void CheckFreeFunctions(std::string_view text) {
  auto t = server::ParseTimeMillis(text);
  if (!t.ok() && t.status().code() != StatusCode::kInvalidArgument) {
    FuzzFail("ParseTimeMillis: " + t.status().ToString());
  }
  auto d = server::ParseDurationParamMillis(text);
  if (!d.ok() && d.status().code() != StatusCode::kInvalidArgument) {
    FuzzFail("ParseDurationParamMillis: " + d.status().ToString());
  }
  auto u = server::UrlDecode(text);
  if (!u.ok() && u.status().code() != StatusCode::kInvalidArgument) {
    FuzzFail("UrlDecode: " + u.status().ToString());
  }
}

void FuzzApiParams(std::span<const uint8_t> data) {
  static Fixture fixture_object;  // Its destructor removes the directory at exit.
  Fixture* fixture = &fixture_object;
  InputReader in(data);
  uint8_t mode = in.Byte();
  std::string_view rest = in.Rest();
  CheckFreeFunctions(rest);

  std::string_view query = rest.substr(0, rest.find('\n'));
  std::string_view after = rest.size() > query.size() ? rest.substr(query.size() + 1) : "";
  std::string_view body = after.substr(0, after.find('\n'));
  std::string_view label = after.size() > body.size() ? after.substr(body.size() + 1) : "job";

  static const char* const kPaths[] = {
      "/api/v1/series",      "/api/v1/labels", "/api/v1/label/%/values", "/api/v1/metadata",
      "/api/v1/query_range", "/api/v1/query",  "/api/v1/format_query",   "/api/v1/query_exemplars"};
  server::HttpRequest req;
  req.path = kPaths[mode & 7];
  if (size_t pct = req.path.find('%'); pct != std::string::npos) {
    req.path.replace(pct, 1, std::string(label));
  }
  req.query = std::string(query);
  req.target = req.path + (req.query.empty() ? "" : "?" + req.query);
  if (mode & 8) {
    req.method = "POST";
    req.body = std::string(body);
    req.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
  } else {
    req.method = "GET";
  }
  server::HttpResponse res;
  fixture->router.Dispatch(req, &res);
  if (res.status >= 200 && res.status < 300) return;
  if (res.status < 400 || res.status > 599) {
    FuzzFail("API answered HTTP " + std::to_string(res.status));
  }
  if (!res.body.starts_with("{\"status\":\"error\",\"errorType\":\"")) {
    FuzzFail("API error without Prometheus' error shape: " + res.body);
  }
  // bad_data is a 400, or the router's 405 for a method a route does not take.
  if (res.body.find("\"errorType\":\"bad_data\"") != std::string::npos && res.status != 400 &&
      res.status != 405) {
    FuzzFail("bad_data with HTTP " + std::to_string(res.status));
  }
}

}  // namespace
}  // namespace strata::fuzz

STRATA_FUZZ_TARGET(api_params, strata::fuzz::FuzzApiParams)
