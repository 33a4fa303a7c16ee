#include "bench/lib/otlp_encoder.h"

#include <zlib.h>

#include <bit>
#include <utility>

#include "bench/lib/proto_wire.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"

namespace strata::bench {

std::string EncodeStringAttribute(std::string_view key, std::string_view value) {
  std::string any, kv;
  PutLengthDelimited(&any, 1, value);
  PutLengthDelimited(&kv, 1, key);
  PutLengthDelimited(&kv, 2, any);
  return kv;
}

void OtlpRequestBuilder::Add(std::string_view instance, std::string_view name, bool counter,
                             const std::vector<std::string>& attributes, int64_t t_ms,
                             double value) {
  if (instance != instance_) {
    FlushResource();
    instance_ = std::string(instance);
  }
  if (name != metric_name_ || counter != metric_counter_) {
    FlushMetric();
    metric_name_ = std::string(name);
    metric_counter_ = counter;
  }
  std::string point;
  for (const auto& kv : attributes) PutLengthDelimited(&point, 7, kv);  // attributes
  point.push_back(0x11);  // start_time_unix_nano: field 2, fixed64 (0: unknown start).
  PutFixed64(&point, 0);
  point.push_back(0x19);  // time_unix_nano: field 3, fixed64.
  PutFixed64(&point, static_cast<uint64_t>(t_ms) * 1000000);
  point.push_back(0x21);  // as_double: field 4, fixed64.
  PutFixed64(&point, std::bit_cast<uint64_t>(value));
  PutLengthDelimited(&points_, 1, point);  // Gauge.data_points / Sum.data_points
}

std::string OtlpRequestBuilder::Take() {
  FlushResource();
  std::string out;
  out.swap(request_);
  return out;
}

void OtlpRequestBuilder::FlushMetric() {
  if (points_.empty()) return;
  std::string data = points_;
  if (metric_counter_) {
    data.push_back(0x10);  // Sum.aggregation_temporality = CUMULATIVE (2)
    data.push_back(2);
    data.push_back(0x18);  // Sum.is_monotonic = true
    data.push_back(1);
  }
  std::string metric;
  PutLengthDelimited(&metric, 1, metric_name_);
  PutLengthDelimited(&metric, metric_counter_ ? 7 : 5, data);  // sum : gauge
  PutLengthDelimited(&metrics_, 2, metric);                    // ScopeMetrics.metrics
  points_.clear();
  metric_name_.clear();
}

void OtlpRequestBuilder::FlushResource() {
  FlushMetric();
  if (metrics_.empty()) return;
  std::string resource;
  PutLengthDelimited(&resource, 1, EncodeStringAttribute("service.name", "node"));
  PutLengthDelimited(&resource, 1, EncodeStringAttribute("service.instance.id", instance_));
  std::string scope, scope_metrics, rm;
  PutLengthDelimited(&scope, 1, "rw_loadgen");
  PutLengthDelimited(&scope_metrics, 1, scope);
  scope_metrics += metrics_;
  PutLengthDelimited(&rm, 1, resource);
  PutLengthDelimited(&rm, 2, scope_metrics);
  PutLengthDelimited(&request_, 1, rm);  // ExportMetricsServiceRequest.resource_metrics
  metrics_.clear();
}

std::string GzipCompress(std::string_view raw) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, raw.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

bool GzipUncompress(std::string_view compressed, std::string* raw) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return false;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  zs.avail_in = static_cast<uInt>(compressed.size());
  raw->clear();
  int rc = Z_OK;
  char buf[1 << 16];
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    raw->append(buf, sizeof(buf) - zs.avail_out);
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // Truncated input.
  }
  inflateEnd(&zs);
  return rc == Z_STREAM_END && zs.avail_in == 0;
}

bool CheckOtlpRequest(std::string_view raw, int64_t points, std::string* error) {
  opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest req;
  if (!req.ParseFromArray(raw.data(), static_cast<int>(raw.size()))) {
    *error = "OTLP protobuf parse failed";
    return false;
  }
  int64_t n = 0;
  for (const auto& rm : req.resource_metrics()) {
    if (rm.resource().attributes_size() != 2) {
      *error = "unexpected resource";
      return false;
    }
    for (const auto& sm : rm.scope_metrics()) {
      for (const auto& m : sm.metrics()) {
        n += m.has_sum() ? m.sum().data_points_size() : m.gauge().data_points_size();
      }
    }
  }
  if (n != points) {
    *error = "data point count mismatch";
    return false;
  }
  return true;
}

}  // namespace strata::bench
