#include "ingest/otlp_receiver.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "google/rpc/status.pb.h"
#include "testutil/otlp.h"
#include "testutil/process.h"

namespace strata::ingest {
namespace {

namespace otlp = testutil::otlp;
using otlp::kT0Ms;
using otlp::kT0Ns;

using otlp::Gzip;

class OtlpReceiverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::HeadOptions o;
    o.series_map_stripes = 16;
    o.max_future_ms = 0;  // The tests' fixed timestamps are in the past anyway.
    o.wal.fsync = storage::WalOptions::FsyncPolicy::kNever;
    auto h = storage::Head::Open(dir_.path(), o, &registry_);
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    head_ = std::move(h).value();
    pipeline_ =
        std::make_unique<IngestPipeline>(head_.get(), &metadata_, &registry_, IngestOptions{});
    OtlpOptions oo;
    oo.max_decoded_bytes = 1 << 20;
    receiver_ = std::make_unique<OtlpReceiver>(pipeline_.get(), oo);
  }

  std::vector<model::Sample> Stored(const std::string& metric) {
    auto sel = storage::SelectAll(*head_, {model::Matcher::Equal("__name__", metric)}, INT64_MIN,
                                  INT64_MAX);
    std::vector<model::Sample> out;
    if (sel.ok()) {
      for (const auto& s : *sel) out.insert(out.end(), s.samples.begin(), s.samples.end());
    }
    return out;
  }

  OtlpReceiver::HttpReply Post(const std::string& body,
                               const std::string& type = "application/x-protobuf",
                               const std::string& encoding = "") {
    return receiver_->HandleHttp(type, encoding, body);
  }

  double Counter(const std::string& name, const std::string& protocol, const std::string& reason) {
    for (const auto& f : registry_.Collect()) {
      if (f.name != name) continue;
      for (const auto& m : f.metric) {
        bool p = false, r = reason.empty();
        for (const auto& l : m.label) {
          p |= l.name == "protocol" && l.value == protocol;
          r |= l.name == "reason" && l.value == reason;
        }
        if (p && r) return m.counter.value;
      }
    }
    return -1;
  }

  testutil::TempDir dir_;
  prometheus::Registry registry_;
  storage::MetadataStore metadata_;
  std::unique_ptr<storage::Head> head_;
  std::unique_ptr<IngestPipeline> pipeline_;
  std::unique_ptr<OtlpReceiver> receiver_;
};

otlp::Request Simple(const std::string& name, uint64_t t_ns, double v) {
  otlp::Request req;
  auto* sm = otlp::AddResource(&req, {{"service.name", "svc"}});
  otlp::AddGaugePoint(otlp::AddMetric(sm, name, "", "Help text."), t_ns, v);
  return req;
}

TEST_F(OtlpReceiverTest, ProtobufGzipAndJsonAreAccepted) {
  auto r = Post(Simple("pb", kT0Ns, 1).SerializeAsString());
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/x-protobuf");
  EXPECT_EQ(r.body, "");  // An empty ExportMetricsServiceResponse.
  r = Post(Gzip(Simple("gz", kT0Ns, 2).SerializeAsString()), "application/x-protobuf", "gzip");
  EXPECT_EQ(r.status, 200) << r.body;
  // OTLP JSON: camelCase, 64-bit integers as strings, integer enums, unknown fields ignored.
  std::string json = R"({"resourceMetrics":[{"resource":{"attributes":[
      {"key":"service.name","value":{"stringValue":"svc"}},
      {"key":"service.instance.id","value":{"stringValue":"i-1"}}]},
    "scopeMetrics":[{"scope":{"name":"s"},"unknownField":{"x":1},"metrics":[
      {"name":"json.requests","unit":"1","sum":{"aggregationTemporality":2,"isMonotonic":true,
        "dataPoints":[{"asInt":"41","timeUnixNano":"1767225600000000000",
          "attributes":[{"key":"code","value":{"intValue":"200"}}]}]}},
      {"name":"json.temp","gauge":{"dataPoints":[{"asDouble":21.5,"timeUnixNano":1767225600000000000,
          "exemplars":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
            "asDouble":1,"timeUnixNano":"1767225600000000000"}]}]}}]}]}]})";
  r = Post(json, "application/json");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, "{}");
  EXPECT_EQ(Stored("pb").size(), 1u);
  EXPECT_EQ(Stored("gz").size(), 1u);
  ASSERT_EQ(Stored("json_requests_total").size(), 1u);
  EXPECT_EQ(Stored("json_requests_total")[0].value, 41);
  EXPECT_EQ(Stored("json_requests_total")[0].timestamp_ms, kT0Ms);
  ASSERT_EQ(Stored("json_temp").size(), 1u);
  EXPECT_EQ(Stored("json_temp")[0].value, 21.5);
  auto md = metadata_.List("pb", 0);
  ASSERT_EQ(md.size(), 1u);
  EXPECT_EQ(md[0].type, "gauge");
  EXPECT_EQ(md[0].help, "Help text.");
}

TEST_F(OtlpReceiverTest, PartialSuccessNamesTheRejections) {
  otlp::Request req = Simple("ok_metric", kT0Ns, 1);
  auto* sm = req.mutable_resource_metrics(0)->mutable_scope_metrics(0);
  otlp::AddSumPoint(otlp::AddMetric(sm, "d"), kT0Ns, 1, true, {},
                    otlp::pb_metrics::AGGREGATION_TEMPORALITY_DELTA);
  otlp::AddGaugePoint(otlp::AddMetric(sm, "bad_value"), kT0Ns, 1, {{"a", std::string("\xff", 1)}});
  auto r = Post(req.SerializeAsString());
  ASSERT_EQ(r.status, 200);
  otlp::pb_collector::ExportMetricsServiceResponse resp;
  ASSERT_TRUE(resp.ParseFromString(r.body));
  EXPECT_EQ(resp.partial_success().rejected_data_points(), 2);
  EXPECT_NE(resp.partial_success().error_message().find("delta temporality"), std::string::npos)
      << resp.partial_success().error_message();
  EXPECT_NE(resp.partial_success().error_message().find("invalid UTF-8"), std::string::npos)
      << resp.partial_success().error_message();
  EXPECT_EQ(Stored("ok_metric").size(), 1u);
  EXPECT_EQ(Counter("strata_ingest_samples_rejected_total", "otlp_http", "delta_temporality"), 1);
  EXPECT_EQ(Counter("strata_ingest_samples_rejected_total", "otlp_http", "invalid_labels"), 1);
  // Storage rejections (out of order) are partial successes too, in JSON as well.
  r = Post(Simple("ok_metric", kT0Ns - 60'000'000'000ull, 5).SerializeAsString());
  ASSERT_TRUE(resp.ParseFromString(r.body));
  EXPECT_EQ(resp.partial_success().rejected_data_points(), 1);
  EXPECT_NE(resp.partial_success().error_message().find("out of order"), std::string::npos)
      << resp.partial_success().error_message();
  std::string json = R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"ok_metric",
      "gauge":{"dataPoints":[{"asDouble":1,"timeUnixNano":"0"}]}}]}]}]})";
  r = Post(json, "application/json");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"rejectedDataPoints\":\"1\""), std::string::npos) << r.body;
}

TEST_F(OtlpReceiverTest, UndecodableBodiesGet400WithAStatus) {
  ASSERT_EQ(Post(Simple("before", kT0Ns, 1).SerializeAsString()).status, 200);
  std::string good = Simple("x", kT0Ns, 1).SerializeAsString();
  struct Case {
    std::string name, body, type, encoding;
    int status;
    std::string fragment;
  } cases[] = {
      {"truncated protobuf", good.substr(0, good.size() - 2), "application/x-protobuf", "", 400,
       "malformed protobuf"},
      {"wrong wire type", std::string("\x0d\x01\x02\x03\x04", 5), "application/x-protobuf", "", 400,
       "malformed protobuf"},
      {"invalid json", "{\"resourceMetrics\":[", "application/json", "", 400, "invalid OTLP JSON"},
      {"json wrong type", R"({"resourceMetrics":"nope"})", "application/json", "", 400,
       "invalid OTLP JSON"},
      {"bad gzip", "\x1f\x8b\x08garbage", "application/x-protobuf", "gzip", 400, "gzip"},
      {"truncated gzip", Gzip(good).substr(0, 12), "application/x-protobuf", "gzip", 400, "gzip"},
      {"gzip bomb", Gzip(std::string(8 << 20, '\0')), "application/x-protobuf", "gzip", 413,
       "past the limit"},
      {"too large", std::string(2 << 20, '\0'), "application/x-protobuf", "", 413,
       "over the limit"},
      {"unknown encoding", good, "application/x-protobuf", "br", 415, "Content-Encoding"},
      {"unknown type", good, "text/plain", "", 415, "Content-Type"},
  };
  for (const auto& c : cases) {
    auto r = Post(c.body, c.type, c.encoding);
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body;
    std::string message = r.body;
    if (r.content_type == "application/x-protobuf") {
      google::rpc::Status st;
      ASSERT_TRUE(st.ParseFromString(r.body)) << c.name;
      message = st.message();
      EXPECT_NE(st.code(), 0) << c.name;
    }
    EXPECT_NE(message.find(c.fragment), std::string::npos) << c.name << ": " << message;
  }
  EXPECT_LT(cases[6].body.size(), 64u << 10);  // The bomb is small on the wire.
  EXPECT_EQ(Stored("before").size(), 1u);
  EXPECT_TRUE(Stored("x").empty());
  EXPECT_EQ(Post(good).status, 200);  // Still works.
}

TEST_F(OtlpReceiverTest, BackPressureIsRetryable) {
  // A pipeline whose budget is held by another request refuses with 429 + RetryInfo.
  IngestPipeline small(head_.get(), nullptr, nullptr, IngestOptions{.max_inflight_bytes = 10});
  OtlpReceiver receiver(&small, OtlpOptions{});
  Status refusal;
  auto held = small.Admit(Protocol::kOtlpHttp, 8, &refusal);
  ASSERT_TRUE(held.has_value());
  auto r =
      receiver.HandleHttp("application/x-protobuf", "", Simple("bp", kT0Ns, 1).SerializeAsString());
  EXPECT_EQ(r.status, 429);
  EXPECT_TRUE(r.retry_after);
  google::rpc::Status st;
  ASSERT_TRUE(st.ParseFromString(r.body));
  EXPECT_EQ(st.code(), 8);
  ASSERT_EQ(st.details_size(), 1);
  EXPECT_EQ(st.details(0).type_url(), "type.googleapis.com/google.rpc.RetryInfo");
  held.reset();
  r = receiver.HandleHttp("application/x-protobuf", "", Simple("bp", kT0Ns, 1).SerializeAsString());
  EXPECT_EQ(r.status, 200);
  bool retry = false;
  EXPECT_EQ(HttpStatusFor(Protocol::kRemoteWrite, Status::ResourceExhausted("x"), &retry), 503);
  EXPECT_TRUE(retry);
  EXPECT_EQ(HttpStatusFor(Protocol::kOtlpGrpc, Status::IOError("x"), &retry), 503);
  EXPECT_EQ(HttpStatusFor(Protocol::kOtlpHttp, Status::InvalidArgument("x"), &retry), 400);
  EXPECT_FALSE(retry);
}

TEST(GunzipTest, MembersLimitsAndDamage) {
  std::string a = Gzip("hello "), b = Gzip("world");
  std::string out;
  ASSERT_TRUE(Gunzip(a + b, 100, &out).ok());
  EXPECT_EQ(out, "hello world");
  EXPECT_EQ(Gunzip(Gzip(std::string(1000, 'x')), 999, &out).code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(Gunzip(Gzip(std::string(1000, 'x')), 1000, &out).ok());
  std::string z = Gzip(std::string(5000, 'q'));
  for (size_t n = 0; n < z.size(); ++n) {
    Status s = Gunzip(z.substr(0, n), 1 << 20, &out);
    EXPECT_FALSE(s.ok()) << n;
  }
}

}  // namespace
}  // namespace strata::ingest
