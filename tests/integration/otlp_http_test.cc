// OTLP against the real `strata` binary: the issue's bad-input list over OTLP/HTTP (each a clear
// 400/413 or a per-point rejection in partial_success, the server staying up and earlier points
// staying), chunked bodies, both paths, and OTLP/gRPC status codes with a raw gRPC client.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <future>

#include "google/rpc/status.pb.h"
#include "testutil/http_client.h"
#include "testutil/otlp.h"
#include "testutil/process.h"
#include "testutil/prometheus.h"

namespace strata {
namespace {

namespace otlp = testutil::otlp;
namespace pm = otlp::pb_metrics;
using testutil::HttpDo;

const std::vector<std::pair<std::string, std::string>> kProto = {
    {"Content-Type", "application/x-protobuf"}};

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

otlp::Request OneGauge(const std::string& name, uint64_t t_ns, double v) {
  otlp::Request req;
  auto* sm = otlp::AddResource(&req, {{"service.name", "bad-input"}});
  otlp::AddGaugePoint(otlp::AddMetric(sm, name), t_ns, v);
  return req;
}

double Value(uint16_t port, const std::string& promql) {
  auto r = testutil::HttpGet(port, "/api/v1/query?query=" + testutil::UrlEncode(promql));
  testutil::Json doc;
  std::string error;
  if (!testutil::JsonParser::Parse(r.body, &doc, &error)) return NAN;
  const testutil::Json* result = doc.Find("data")->Find("result");
  if (result->items.size() != 1) return NAN;
  return std::stod(result->items[0].Find("value")->items[1].text);
}

TEST(OtlpHttpTest, BadInputGetsAClearAnswerAndKeepsEarlierPoints) {
  testutil::TempDir tmp;
  testutil::StrataServer server;
  ASSERT_TRUE(server.Start(tmp.path() + "/data", {"--otlp.max-decoded-bytes", "1048576"}))
      << server.Log();
  const uint16_t port = server.port();
  const uint64_t now = static_cast<uint64_t>(NowNs());
  auto ok =
      HttpDo(port, "POST", "/v1/metrics", OneGauge("kept", now, 42).SerializeAsString(), kProto);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.content_type, "application/x-protobuf");

  // Whole-request failures: a status code and a google.rpc.Status body.
  std::string good = OneGauge("never", now, 1).SerializeAsString();
  struct Whole {
    std::string name, body;
    std::vector<std::pair<std::string, std::string>> headers;
    int status;
    std::string fragment;
  };
  const std::vector<std::pair<std::string, std::string>> json = {
      {"Content-Type", "application/json"}};
  const std::vector<std::pair<std::string, std::string>> gzip = {
      {"Content-Type", "application/x-protobuf"}, {"Content-Encoding", "gzip"}};
  std::vector<Whole> whole = {
      {"truncated protobuf", good.substr(0, good.size() - 3), kProto, 400, "malformed protobuf"},
      {"wrong wire type", std::string("\x0d\x00\x00\x00\x00", 5), kProto, 400,
       "malformed protobuf"},
      {"nested wrong wire type", std::string("\x0a\x04\x12\x02\x08\x01", 6), kProto, 400,
       "malformed protobuf"},
      {"invalid JSON", "{\"resourceMetrics\": [{]", json, 400, "invalid OTLP JSON"},
      {"invalid UTF-8 in JSON",
       "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"name\":\"\xff\"}]}]}]}", json,
       400, "invalid OTLP JSON"},
      {"gzip bomb", otlp::Gzip(std::string(16 << 20, 'a')), gzip, 413, "past the limit"},
      {"corrupt gzip", "\x1f\x8b\x08\x00garbage", gzip, 400, "gzip"},
      {"unsupported type", good, {{"Content-Type", "text/plain"}}, 415, "Content-Type"},
  };
  for (const auto& c : whole) {
    auto r = HttpDo(port, "POST", "/v1/metrics", c.body, c.headers);
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body << r.error;
    std::string message = r.body;
    if (r.content_type == "application/x-protobuf") {
      google::rpc::Status st;
      EXPECT_TRUE(st.ParseFromString(r.body)) << c.name;
      message = st.message();
    }
    EXPECT_NE(message.find(c.fragment), std::string::npos) << c.name << ": " << message;
  }

  // Per-point failures: 200 with partial_success naming the count and the reasons; the valid
  // point of the same request is stored.
  otlp::Request req;
  auto* sm = otlp::AddResource(&req, {{"service.name", "bad-input"}});
  otlp::AddGaugePoint(otlp::AddMetric(sm, "partly_kept"), now, 7);
  otlp::AddGaugePoint(otlp::AddMetric(sm, ""), now, 1);
  otlp::AddGaugePoint(otlp::AddMetric(sm, "utf8"), now, 1, {{"a", std::string("\xc3\x28", 2)}});
  otlp::AddGaugePoint(otlp::AddMetric(sm, "zero_time"), 0, 1);
  otlp::AddGaugePoint(otlp::AddMetric(sm, "far_future"), UINT64_MAX, 1);
  otlp::AddGaugePoint(otlp::AddMetric(sm, "next_year"), now + 365ull * 86400 * 1000000000, 1);
  otlp::AddSumPoint(otlp::AddMetric(sm, "unknown_temporality"), now, 1, true, {},
                    static_cast<pm::AggregationTemporality>(9));
  otlp::AddSumPoint(otlp::AddMetric(sm, "delta"), now, 1, true, {},
                    pm::AGGREGATION_TEMPORALITY_DELTA);
  otlp::AddHistogramPoint(otlp::AddMetric(sm, "mismatch"), now, {1, 2, 3}, {1, 1}, 2);
  auto r = HttpDo(port, "POST", "/api/v1/otlp/v1/metrics", req.SerializeAsString(), kProto);
  ASSERT_EQ(r.status, 200) << r.body;
  otlp::pb_collector::ExportMetricsServiceResponse resp;
  ASSERT_TRUE(resp.ParseFromString(r.body));
  EXPECT_EQ(resp.partial_success().rejected_data_points(), 8);
  const std::string& msg = resp.partial_success().error_message();
  for (const char* fragment :
       {"8 of 9 data points rejected", "empty metric name", "invalid UTF-8 in value of label",
        "without a timestamp", "out of range", "out of bounds", "invalid aggregation temporality 9",
        "delta temporality", "bucket counts do not match"}) {
    EXPECT_NE(msg.find(fragment), std::string::npos) << fragment << " in: " << msg;
  }

  // Chunked transfer encoding (what streaming clients send) over a raw socket.
  std::string body = OneGauge("chunked", now, 3).SerializeAsString();
  std::string raw =
      "POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
      "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  for (size_t i = 0; i < body.size(); i += 7) {
    std::string piece = body.substr(i, 7);
    char len[16];
    std::snprintf(len, sizeof(len), "%zx\r\n", piece.size());
    raw += len + piece + "\r\n";
  }
  raw += "0\r\n\r\n";
  std::string out = testutil::RawExchange(port, raw);
  EXPECT_NE(out.find("HTTP/1.1 200"), std::string::npos) << out.substr(0, 300);

  // The server is up; the earlier points are there; nothing of the failed requests is.
  EXPECT_EQ(HttpDo(port, "GET", "/-/healthy").status, 200);
  EXPECT_EQ(Value(port, "kept"), 42);
  EXPECT_EQ(Value(port, "partly_kept"), 7);
  EXPECT_EQ(Value(port, "chunked"), 3);
  EXPECT_TRUE(std::isnan(Value(port, "never")));
  auto metrics = testutil::HttpGet(port, "/metrics").body;
  EXPECT_NE(metrics.find("strata_ingest_samples_rejected_total{protocol=\"otlp_http\",reason="
                         "\"delta_temporality\"} 1"),
            std::string::npos);
  EXPECT_EQ(server.process().Stop(SIGTERM), 0) << server.Log();
}

// A raw unary call to MetricsService/Export.
grpc::Status GrpcExport(
    uint16_t port, const std::string& bytes, std::string* response, grpc::ClientContext* ctx,
    const std::string& method = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export") {
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer req(&slice, 1), resp;
  std::promise<grpc::Status> done;
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  stub.UnaryCall(ctx, method, grpc::StubOptions(), &req, &resp,
                 [&](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status s = done.get_future().get();
  std::vector<grpc::Slice> slices;
  response->clear();
  if (s.ok() && resp.Dump(&slices).ok()) {
    for (const auto& sl : slices)
      response->append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  }
  return s;
}

TEST(OtlpGrpcTest, StatusCodesFollowTheOtlpSpecification) {
  testutil::TempDir tmp;
  testutil::StrataServer server;
  ASSERT_TRUE(server.Start(tmp.path() + "/data", {"--otlp.grpc-listen", "127.0.0.1:0",
                                                  "--otlp.max-decoded-bytes", "100000"}))
      << server.Log();
  std::smatch m;
  std::string log = server.Log();
  ASSERT_TRUE(std::regex_search(log, m, std::regex(R"(grpc_port=(\d+))"))) << log;
  const uint16_t grpc_port = static_cast<uint16_t>(std::stoi(m[1]));
  const uint64_t now = static_cast<uint64_t>(NowNs());

  std::string response;
  {
    grpc::ClientContext ctx;
    EXPECT_TRUE(
        GrpcExport(grpc_port, OneGauge("grpc_kept", now, 5).SerializeAsString(), &response, &ctx)
            .ok());
    EXPECT_EQ(response, "");
  }
  {
    grpc::ClientContext ctx;
    std::string truncated = OneGauge("x", now, 1).SerializeAsString();
    grpc::Status s =
        GrpcExport(grpc_port, truncated.substr(0, truncated.size() - 2), &response, &ctx);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(s.error_message().find("malformed protobuf"), std::string::npos) << s.error_message();
    google::rpc::Status details;
    ASSERT_TRUE(details.ParseFromString(s.error_details()));
    EXPECT_EQ(details.code(), 3);
  }
  {
    grpc::ClientContext ctx;
    otlp::Request req = OneGauge("grpc_partial", now, 1);
    otlp::AddSumPoint(
        otlp::AddMetric(req.mutable_resource_metrics(0)->mutable_scope_metrics(0), "d"), now, 1,
        true, {}, pm::AGGREGATION_TEMPORALITY_DELTA);
    ASSERT_TRUE(GrpcExport(grpc_port, req.SerializeAsString(), &response, &ctx).ok());
    otlp::pb_collector::ExportMetricsServiceResponse resp;
    ASSERT_TRUE(resp.ParseFromString(response));
    EXPECT_EQ(resp.partial_success().rejected_data_points(), 1);
    EXPECT_NE(resp.partial_success().error_message().find("delta"), std::string::npos);
  }
  {
    // Larger than --otlp.max-decoded-bytes: refused by gRPC itself.
    grpc::ClientContext ctx;
    grpc::Status s = GrpcExport(grpc_port, std::string(200000, '\0'), &response, &ctx);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  }
  {
    // Only MetricsService/Export is served.
    grpc::ClientContext ctx;
    grpc::Status s =
        GrpcExport(grpc_port, OneGauge("grpc_wrong_method", now, 1).SerializeAsString(), &response,
                   &ctx, "/opentelemetry.proto.collector.trace.v1.TraceService/Export");
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED) << s.error_message();
  }
  EXPECT_EQ(Value(server.port(), "grpc_kept"), 5);
  EXPECT_EQ(Value(server.port(), "grpc_partial"), 1);
  EXPECT_EQ(server.process().Stop(SIGTERM), 0) << server.Log();
}

TEST(OtlpGrpcTest, AMissingPluginIsAClearStartUpError) {
  // The listener is a plugin next to the binary: a copy of the binary without it refuses to
  // start with --otlp.grpc-listen, naming the file, and starts without the flag.
  testutil::TempDir tmp;
  const std::string bin = tmp.path() + "/strata";
  std::filesystem::copy_file(testutil::StrataBinary(), bin);
  std::filesystem::permissions(bin, std::filesystem::perms::owner_exec,
                               std::filesystem::perm_options::add);
  testutil::ChildProcess p;
  ASSERT_TRUE(p.Start({bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", tmp.path() + "/data",
                       "--otlp.grpc-listen", "127.0.0.1:0"},
                      tmp.path() + "/log"));
  int code = 0;
  ASSERT_TRUE(testutil::WaitFor([&] { return p.Exited(&code); }, std::chrono::seconds(30)));
  EXPECT_NE(code, 0);
  EXPECT_NE(
      p.Log().find("cannot load the OTLP/gRPC plugin " + tmp.path() + "/libstrata_otlp_grpc.so"),
      std::string::npos)
      << p.Log();
}

}  // namespace
}  // namespace strata
