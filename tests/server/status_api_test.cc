// The web UI's server side: /api/v1/status/{flags,runtimeinfo,tsdb,storage}, `stats` on the query
// API, and the embedded files (content types, ETag / 304, gzip, the / redirect).
#include "server/status_api.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "query/engine.h"
#include "server/query_api.h"
#include "server/web_ui.h"
#include "testutil/process.h"

namespace strata::server {
namespace {

HttpRequest Get(std::string path, std::string query = "") {
  HttpRequest req;
  req.method = "GET";
  req.path = std::move(path);
  req.query = std::move(query);
  req.target = req.path + (req.query.empty() ? "" : "?" + req.query);
  return req;
}

std::string Gunzip(const std::string& in) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out(in.size() * 20 + 1024, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

std::string HeaderOf(const HttpResponse& res, const std::string& name) {
  for (const auto& [k, v] : res.headers) {
    if (k == name) return v;
  }
  return "";
}

class StatusApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::HeadOptions o;
    o.series_map_stripes = 16;
    o.max_future_ms = 0;
    o.wal.fsync = storage::WalOptions::FsyncPolicy::kNever;
    auto h = storage::Head::Open(dir_.path(), o, nullptr);
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    head_ = std::move(h).value();
    // up: 3 series (jobs a, a, b); node_load1: 1 series.
    Append({{"__name__", "up"}, {"instance", "h1"}, {"job", "a"}}, 1000, 1);
    Append({{"__name__", "up"}, {"instance", "h2"}, {"job", "a"}}, 1000, 0);
    Append({{"__name__", "up"}, {"instance", "h3"}, {"job", "b"}}, 1000, 1);
    Append({{"__name__", "node_load1"}, {"instance", "h1"}}, 2000, 0.5);
  }

  void Append(std::vector<model::LabelView> labels, int64_t t, double v) {
    model::Sample s{t, v};
    storage::SeriesInput in{labels, std::span<const model::Sample>(&s, 1)};
    storage::AppendResult r;
    ASSERT_TRUE(head_->Append(std::span<const storage::SeriesInput>(&in, 1), &r).ok());
    ASSERT_EQ(r.accepted, 1u);
  }

  testutil::TempDir dir_;
  std::unique_ptr<storage::Head> head_;
};

TEST_F(StatusApiTest, TsdbReportsTheHeadsCardinalityInPrometheusShape) {
  StatusApi api(StatusSources{.head = head_.get()});
  HttpResponse res;
  api.Tsdb(Get("/api/v1/status/tsdb", "limit=2"), &res);
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(
      res.body,
      R"({"status":"success","data":{"headStats":{"numSeries":4,"numLabelPairs":7,)"
      R"("chunkCount":4,"minTime":1000,"maxTime":2000},)"
      R"("seriesCountByMetricName":[{"name":"up","value":3},{"name":"node_load1","value":1}],)"
      R"("labelValueCountByLabelName":[{"name":"instance","value":3},)"
      R"({"name":"__name__","value":2}],)"
      // __name__: "up" x 3 + "node_load1" x 1 = 16 bytes; instance: 4 x 2 bytes.
      R"("memoryInBytesByLabelName":[{"name":"__name__","value":16},)"
      R"({"name":"instance","value":8}],)"
      R"("seriesCountByLabelValuePair":[{"name":"__name__=up","value":3},)"
      R"({"name":"instance=h1","value":2}]}})");
  for (const char* bad : {"limit=0", "limit=-1", "limit=x"}) {
    HttpResponse r;
    api.Tsdb(Get("/api/v1/status/tsdb", bad), &r);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_NE(r.body.find(R"("errorType":"bad_data")"), std::string::npos) << r.body;
  }
}

TEST_F(StatusApiTest, FlagsRuntimeInfoAndStorage) {
  StatusApi api(StatusSources{.head = head_.get(),
                              .flags = {{"listen", "127.0.0.1:9201"}, {"storage.retention", "15d"}},
                              .data_dir = dir_.path(),
                              .storage_retention = "15d or 10GiB",
                              .start_time_ms = 1700000000000,
                              .config_status = [] { return std::pair<bool, int64_t>(false, 0); }});
  HttpResponse flags;
  api.Flags(Get("/api/v1/status/flags"), &flags);
  EXPECT_EQ(flags.body,
            R"({"status":"success","data":{"listen":"127.0.0.1:9201","storage.retention":"15d"}})");
  HttpResponse rt;
  api.RuntimeInfo(Get("/api/v1/status/runtimeinfo"), &rt);
  EXPECT_NE(rt.body.find(R"("startTime":"2023-11-14T22:13:20Z")"), std::string::npos) << rt.body;
  EXPECT_NE(rt.body.find(R"("reloadConfigSuccess":false)"), std::string::npos) << rt.body;
  EXPECT_NE(rt.body.find(R"("storageRetention":"15d or 10GiB")"), std::string::npos) << rt.body;
  EXPECT_NE(rt.body.find(R"("goroutineCount":)"), std::string::npos) << rt.body;
  HttpResponse st;
  api.Storage(Get("/api/v1/status/storage"), &st);
  EXPECT_NE(st.body.find(R"("head":{"series":4,"chunks":4,)"), std::string::npos) << st.body;
  EXPECT_NE(st.body.find(R"("minTime":1000,"maxTime":2000,"walBytes":)"), std::string::npos)
      << st.body;
  EXPECT_EQ(st.body.find(R"("warm")"), std::string::npos) << "no warm tier was given";
}

TEST_F(StatusApiTest, QueryStatsOnlyWhenAsked) {
  query::Engine engine(query::EngineOptions{});
  QueryApi api(head_.get(), &engine);
  HttpResponse plain;
  api.Query(Get("/api/v1/query", "query=sum(up)&time=1"), &plain);
  ASSERT_EQ(plain.status, 200) << plain.body;
  EXPECT_EQ(plain.body.find("stats"), std::string::npos);
  HttpResponse with;
  api.Query(Get("/api/v1/query", "query=sum(up)&time=1&stats=all"), &with);
  ASSERT_EQ(with.status, 200) << with.body;
  // Three raw samples read, plus the one step value of sum().
  EXPECT_NE(with.body.find(R"("samples":{"totalQueryableSamples":)"), std::string::npos)
      << with.body;
  EXPECT_NE(with.body.find(R"("timings":{"evalTotalTime":)"), std::string::npos) << with.body;
  EXPECT_EQ(with.body.find(R"("totalQueryableSamples":0)"), std::string::npos) << with.body;
  HttpResponse range;
  api.QueryRange(Get("/api/v1/query_range", "query=up&start=1&end=2&step=1&stats=1"), &range);
  ASSERT_EQ(range.status, 200) << range.body;
  EXPECT_NE(range.body.find(R"("peakSamples":)"), std::string::npos) << range.body;
}

TEST(WebUiTest, ServesEmbeddedFilesWithTypesEtagsAndGzip) {
  WebUi ui;
  Router router;
  ui.Register(&router);
  HttpResponse root;
  router.Dispatch(Get("/"), &root);
  EXPECT_EQ(root.status, 302);
  EXPECT_EQ(HeaderOf(root, "Location"), "graph");

  for (const std::string& page : WebUi::PagePaths()) {
    HttpResponse res;
    router.Dispatch(Get(page), &res);
    EXPECT_EQ(res.status, 200) << page;
    EXPECT_EQ(res.content_type, "text/html; charset=utf-8") << page;
    EXPECT_NE(res.body.find("static/app.js"), std::string::npos) << page;
  }
  struct Want {
    const char* path;
    const char* type;
    const char* marker;
  };
  for (const Want& w : {Want{"/static/app.js", "text/javascript; charset=utf-8", "class Browser"},
                        Want{"/static/style.css", "text/css; charset=utf-8", ".panel"},
                        Want{"/static/dygraph.min.js", "text/javascript; charset=utf-8", "Dygraph"},
                        Want{"/static/favicon.svg", "image/svg+xml", "<svg"}}) {
    HttpResponse plain;
    router.Dispatch(Get(w.path), &plain);
    ASSERT_EQ(plain.status, 200) << w.path;
    EXPECT_EQ(plain.content_type, w.type);
    EXPECT_NE(plain.body.find(w.marker), std::string::npos) << w.path;
    EXPECT_EQ(HeaderOf(plain, "Content-Encoding"), "") << w.path;
    EXPECT_EQ(HeaderOf(plain, "Cache-Control"), "no-cache");
    const std::string etag = HeaderOf(plain, "ETag");
    ASSERT_EQ(etag.size(), 18u) << etag;

    HttpRequest gz = Get(w.path);
    gz.headers.emplace_back("accept-encoding", "deflate, gzip;q=1.0, br");
    HttpResponse zipped;
    router.Dispatch(gz, &zipped);
    EXPECT_EQ(HeaderOf(zipped, "Content-Encoding"), "gzip") << w.path;
    EXPECT_LT(zipped.body.size(), plain.body.size()) << w.path;
    EXPECT_EQ(Gunzip(zipped.body), plain.body) << w.path;

    HttpRequest refused = Get(w.path);
    refused.headers.emplace_back("accept-encoding", "gzip;q=0");
    HttpResponse no;
    router.Dispatch(refused, &no);
    EXPECT_EQ(HeaderOf(no, "Content-Encoding"), "") << w.path;

    HttpRequest again = Get(w.path);
    again.headers.emplace_back("if-none-match", etag);
    HttpResponse not_modified;
    router.Dispatch(again, &not_modified);
    EXPECT_EQ(not_modified.status, 304) << w.path;
    EXPECT_TRUE(not_modified.body.empty());
  }
  HttpResponse missing;
  router.Dispatch(Get("/static/nope.js"), &missing);
  EXPECT_EQ(missing.status, 404);
}

}  // namespace
}  // namespace strata::server
