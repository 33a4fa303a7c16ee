// rw_loadgen's OTLP encoding parsed back with the generated OpenTelemetry classes, and gzip.
#include "bench/lib/otlp_encoder.h"

#include <gtest/gtest.h>

#include <string>

#include "bench/lib/node_workload.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"

namespace strata::bench {
namespace {

using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;

TEST(OtlpEncoderTest, GroupsByTargetAndMetric) {
  OtlpRequestBuilder b;
  const std::vector<std::string> attrs = {EncodeStringAttribute("cpu", "0")};
  b.Add("h0:9100", "c_total", true, attrs, 1000, 1.5);
  b.Add("h0:9100", "c_total", true, {}, 1000, 2.5);
  b.Add("h0:9100", "g", false, {}, 1000, -1);
  b.Add("h1:9100", "g", false, {}, 2000, 7);
  const std::string raw = b.Take();
  std::string error;
  ASSERT_TRUE(CheckOtlpRequest(raw, 4, &error)) << error;
  EXPECT_FALSE(CheckOtlpRequest(raw, 5, &error));
  EXPECT_EQ(error, "data point count mismatch");
  EXPECT_TRUE(b.Take().empty());  // Take() starts a new request.

  ExportMetricsServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(raw));
  ASSERT_EQ(req.resource_metrics_size(), 2);
  const auto& rm0 = req.resource_metrics(0);
  ASSERT_EQ(rm0.resource().attributes_size(), 2);
  EXPECT_EQ(rm0.resource().attributes(0).key(), "service.name");
  EXPECT_EQ(rm0.resource().attributes(0).value().string_value(), "node");
  EXPECT_EQ(rm0.resource().attributes(1).key(), "service.instance.id");
  EXPECT_EQ(rm0.resource().attributes(1).value().string_value(), "h0:9100");
  ASSERT_EQ(rm0.scope_metrics_size(), 1);
  EXPECT_EQ(rm0.scope_metrics(0).scope().name(), "rw_loadgen");
  const auto& metrics = rm0.scope_metrics(0).metrics();
  ASSERT_EQ(metrics.size(), 2);
  EXPECT_EQ(metrics[0].name(), "c_total");
  ASSERT_TRUE(metrics[0].has_sum());
  EXPECT_TRUE(metrics[0].sum().is_monotonic());
  EXPECT_EQ(metrics[0].sum().aggregation_temporality(),
            opentelemetry::proto::metrics::v1::AGGREGATION_TEMPORALITY_CUMULATIVE);
  ASSERT_EQ(metrics[0].sum().data_points_size(), 2);
  const auto& p = metrics[0].sum().data_points(0);
  EXPECT_EQ(p.time_unix_nano(), 1000000000u);
  EXPECT_EQ(p.start_time_unix_nano(), 0u);
  EXPECT_EQ(p.as_double(), 1.5);
  ASSERT_EQ(p.attributes_size(), 1);
  EXPECT_EQ(p.attributes(0).key(), "cpu");
  EXPECT_EQ(p.attributes(0).value().string_value(), "0");
  EXPECT_EQ(metrics[1].name(), "g");
  ASSERT_TRUE(metrics[1].has_gauge());
  EXPECT_EQ(metrics[1].gauge().data_points(0).as_double(), -1);
  EXPECT_EQ(req.resource_metrics(1).scope_metrics(0).metrics(0).gauge().data_points(0).as_double(),
            7);
}

TEST(OtlpEncoderTest, NodeSeriesSendTheSameValuesAsRemoteWrite) {
  NodeWorkload a = MakeNodeWorkload(5, 15000, 9);
  NodeWorkload b = MakeNodeWorkload(5, 15000, 9);
  OtlpRequestBuilder builder;
  for (NodeSeries& s : a.series) s.AppendNextOtlp(&builder, 1000);
  ExportMetricsServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(builder.Take()));
  std::vector<double> otlp;
  for (const auto& m : req.resource_metrics(0).scope_metrics(0).metrics()) {
    const auto& points = m.has_sum() ? m.sum().data_points() : m.gauge().data_points();
    for (const auto& p : points) otlp.push_back(p.as_double());
  }
  ASSERT_EQ(otlp.size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(otlp[i], b.series[i].TakeNext()) << i;
}

TEST(OtlpEncoderTest, GzipRoundTripAndDamage) {
  std::string raw;
  for (int i = 0; i < 100000; ++i) raw += static_cast<char>(i * 7 % 251);
  const std::string gz = GzipCompress(raw);
  std::string back;
  ASSERT_TRUE(GzipUncompress(gz, &back));
  EXPECT_EQ(back, raw);
  ASSERT_TRUE(GzipUncompress(GzipCompress(""), &back));
  EXPECT_TRUE(back.empty());
  for (const size_t len : {size_t{0}, size_t{5}, gz.size() / 2, gz.size() - 1}) {
    EXPECT_FALSE(GzipUncompress(gz.substr(0, len), &back)) << len;
  }
  EXPECT_FALSE(GzipUncompress(gz + "x", &back));  // Trailing garbage.
  std::string flipped = gz;
  flipped[gz.size() / 2] ^= 0x55;
  EXPECT_FALSE(GzipUncompress(flipped, &back));
}

}  // namespace
}  // namespace strata::bench
