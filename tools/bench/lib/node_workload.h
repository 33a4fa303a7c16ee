// The rw_loadgen workload: node_exporter-like targets of 76 series each (38 counters and 38
// gauges, alternating), target h named host-NNNN:9100 with job="node", scraped at a per-target
// offset within the interval. Series i is fully determined by (i, --seed): the same series and
// values whatever the sharding or batching. Used by rw_bench.sh and otlp_bench.sh through
// rw_loadgen; any change here changes their published numbers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/lib/otlp_encoder.h"
#include "bench/lib/series_model.h"

namespace strata::bench {

// One target's series, in the order MakeNodeWorkload assigns them.
std::vector<Template> NodeHostTemplate();

// One series and its current value. Thread-compatible; the workload's encoders each own a
// disjoint set of series.
class NodeSeries {
 public:
  NodeSeries(const Template& tmpl, const std::string& instance, int64_t offset_ms, uint64_t seed);

  bool counter() const { return IsCounter(model_); }
  const std::string& name() const { return name_; }
  const std::string& instance() const { return instance_; }
  // Scrape offset within the interval.
  int64_t offset_ms() const { return offset_ms_; }
  // Size of the encoded TimeSeries.labels (EncodeLabels of __name__, instance, job and more).
  size_t label_bytes() const { return label_block_.size(); }

  // The current value; advances to the next scrape's.
  double TakeNext();
  // Appends one WriteRequest.timeseries holding TakeNext() at t_ms.
  void AppendNext(std::string* request, int64_t t_ms);
  // Adds TakeNext() at t_ms to an OTLP request; the labels other than __name__, instance and
  // job become data point attributes.
  void AppendNextOtlp(OtlpRequestBuilder* request, int64_t t_ms);

 private:
  Model model_;
  double rate_;
  double base_;
  int64_t offset_ms_;
  Rng rng_;
  double value_ = 0;
  std::string label_block_;  // Encoded TimeSeries.labels fields.
  std::string name_;
  std::string instance_;
  std::vector<std::string> attributes_;  // Encoded OTLP KeyValue messages.
};

struct NodeWorkload {
  std::vector<NodeSeries> series;
  int64_t counters = 0;
  int64_t gauges = 0;
  int64_t hosts = 0;
  int64_t label_bytes = 0;  // Sum of label_bytes() over the series.
};

// `series` series of ceil(series / 76) targets. REQUIRES: series >= 0, interval_ms > 0.
NodeWorkload MakeNodeWorkload(int64_t series, int64_t interval_ms, uint64_t seed);

}  // namespace strata::bench
