// Test-only builders of OTLP requests with the generated classes of proto/otlp (the encoder side
// is libprotobuf, not our decoder), and gzip.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"

namespace strata::testutil::otlp {

namespace pb_collector = opentelemetry::proto::collector::metrics::v1;
namespace pb_metrics = opentelemetry::proto::metrics::v1;
namespace pb_common = opentelemetry::proto::common::v1;

using Request = pb_collector::ExportMetricsServiceRequest;
using Attrs = std::initializer_list<std::pair<std::string, std::string>>;

// 2026-01-01T00:00:00Z in ns, and the same in ms.
inline constexpr uint64_t kT0Ns = 1767225600ull * 1000000000ull;
inline constexpr int64_t kT0Ms = 1767225600000;

inline void SetAttrs(google::protobuf::RepeatedPtrField<pb_common::KeyValue>* out, Attrs attrs) {
  for (const auto& [k, v] : attrs) {
    auto* kv = out->Add();
    kv->set_key(k);
    kv->mutable_value()->set_string_value(v);
  }
}

// A ResourceMetrics with the given resource attributes and one scope; returns the scope.
inline pb_metrics::ScopeMetrics* AddResource(Request* req, Attrs resource_attrs) {
  auto* rm = req->add_resource_metrics();
  SetAttrs(rm->mutable_resource()->mutable_attributes(), resource_attrs);
  auto* sm = rm->add_scope_metrics();
  sm->mutable_scope()->set_name("test-scope");
  return sm;
}

inline pb_metrics::Metric* AddMetric(pb_metrics::ScopeMetrics* sm, const std::string& name,
                                     const std::string& unit = "",
                                     const std::string& description = "") {
  auto* m = sm->add_metrics();
  m->set_name(name);
  m->set_unit(unit);
  m->set_description(description);
  return m;
}

inline pb_metrics::NumberDataPoint* AddGaugePoint(pb_metrics::Metric* m, uint64_t t_ns, double v,
                                                  Attrs attrs = {}) {
  auto* p = m->mutable_gauge()->add_data_points();
  p->set_time_unix_nano(t_ns);
  p->set_as_double(v);
  SetAttrs(p->mutable_attributes(), attrs);
  return p;
}

inline pb_metrics::NumberDataPoint* AddSumPoint(
    pb_metrics::Metric* m, uint64_t t_ns, double v, bool monotonic, Attrs attrs = {},
    pb_metrics::AggregationTemporality temporality =
        pb_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE) {
  auto* sum = m->mutable_sum();
  sum->set_is_monotonic(monotonic);
  sum->set_aggregation_temporality(temporality);
  auto* p = sum->add_data_points();
  p->set_start_time_unix_nano(t_ns - 1000000000ull);
  p->set_time_unix_nano(t_ns);
  p->set_as_double(v);
  SetAttrs(p->mutable_attributes(), attrs);
  return p;
}

inline pb_metrics::HistogramDataPoint* AddHistogramPoint(
    pb_metrics::Metric* m, uint64_t t_ns, std::initializer_list<double> bounds,
    std::initializer_list<uint64_t> counts, double sum, Attrs attrs = {},
    pb_metrics::AggregationTemporality temporality =
        pb_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE) {
  auto* h = m->mutable_histogram();
  h->set_aggregation_temporality(temporality);
  auto* p = h->add_data_points();
  p->set_time_unix_nano(t_ns);
  uint64_t count = 0;
  for (uint64_t c : counts) {
    p->add_bucket_counts(c);
    count += c;
  }
  for (double b : bounds) p->add_explicit_bounds(b);
  p->set_count(count);
  p->set_sum(sum);
  SetAttrs(p->mutable_attributes(), attrs);
  return p;
}

// A gzip member holding `raw` (what an exporter sends with Content-Encoding: gzip).
inline std::string Gzip(const std::string& raw) {
  z_stream zs{};
  deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
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

}  // namespace strata::testutil::otlp
