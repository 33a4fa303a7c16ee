// OTLP metrics encoding for rw_loadgen --protocol otlp-http/otlp-grpc: the same series and
// samples as remote write, as an ExportMetricsServiceRequest (one ResourceMetrics per target
// with service.name="node" and service.instance.id=<instance>, counters as cumulative
// monotonic sums, gauges as gauges), gzip framing, and a check that parses a request back with
// the generated classes. Layout: proto_otlp/opentelemetry/proto/metrics/v1/metrics.proto.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata::bench {

// A KeyValue{key, AnyValue{string_value}} message (an OTLP attribute).
std::string EncodeStringAttribute(std::string_view key, std::string_view value);

// Builds one ExportMetricsServiceRequest from points added in request order: a new
// ResourceMetrics when the instance changes, a new Metric when the metric name or kind changes
// (consecutive points of one name share it). Thread-compatible.
class OtlpRequestBuilder {
 public:
  // Adds one NumberDataPoint (start time 0, time t_ms, as_double value) with `attributes`
  // (EncodeStringAttribute messages) to metric `name` of target `instance`.
  void Add(std::string_view instance, std::string_view name, bool counter,
           const std::vector<std::string>& attributes, int64_t t_ms, double value);
  // The request so far (uncompressed protobuf); starts a new one.
  std::string Take();

 private:
  void FlushMetric();
  void FlushResource();

  std::string instance_;
  std::string metric_name_;
  bool metric_counter_ = false;
  std::string points_;
  std::string metrics_;
  std::string request_;
};

// gzip (RFC 1952) at the default level, as the OpenTelemetry Collector sends.
std::string GzipCompress(std::string_view raw);
// False if `compressed` is not one complete gzip member.
bool GzipUncompress(std::string_view compressed, std::string* raw);

// Parses `raw` (an uncompressed ExportMetricsServiceRequest) with the generated classes and
// checks that each resource has 2 attributes and that it holds `points` data points in all.
// False with *error naming the problem.
bool CheckOtlpRequest(std::string_view raw, int64_t points, std::string* error);

}  // namespace strata::bench
