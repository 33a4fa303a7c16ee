// The query_bench workload: per host, a node_exporter target (host-NNNN:9100, job="node": 76
// node_exporter series, node_boot_time_seconds, node_uname_info and up) and an api target
// (host-NNNN:8080, job="api": up and http_request_duration_seconds{handler} for 2 handlers,
// 8 buckets with +Inf, _sum and _count): kSeriesPerHost series. Hosts with h % down_every == 7
// reboot 5/8 into the range (staleness markers, a gap, counter resets). Values depend only on
// the options, never on request batching. Used by query_bench.sh, tier_bench.sh and
// downsample_bench.sh through query_bench_driver; any change changes their published numbers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "bench/lib/series_model.h"

namespace strata::bench {

inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;  // Prometheus' staleness marker.
inline constexpr uint64_t kAbsentBits = 0x7ff8000000dead01ULL;    // Generator only: "no sample".
inline constexpr int kSeriesPerHost = 100;

// The node target's series of one host, in workload order ("nodename" and "release" of
// node_uname_info are filled in per host).
std::vector<Template> DashboardNodeTemplate();

// Down-time of a rebooting host, in steps: [start, end). Empty for the others.
struct Downtime {
  int64_t start = -1;
  int64_t end = -1;
  bool Covers(int64_t step) const { return step >= start && step < end; }
};

// The series of one template entry of one host (a histogram is one group of 10 series). Values
// evolve one step at a time; Emit() writes this step's value of each series into `out`.
// The series of one template entry of one host (a histogram is one group of 10 series). Values
// evolve one step at a time; Emit() writes this step's value of each series into `out`.
// Thread-compatible.
class Group {
 public:
  Group(const Template& tmpl, std::vector<std::string> label_blocks, int64_t offset_ms,
        Downtime down, uint64_t seed, int64_t start_ms);

  size_t size() const { return label_blocks_.size(); }
  const std::string& labels(size_t i) const { return label_blocks_[i]; }
  int64_t offset_ms() const { return offset_ms_; }

  // Writes size() values for `step` (scraped at t_ms) into out: a value, a stale NaN or
  // kAbsentBits. REQUIRES: called for step 0, 1, 2... in order.
  void Emit(int64_t step, int64_t t_ms, double* out);

 private:
  void Reboot(int64_t t_ms);
  void HistogramStep(double requests, int64_t t_ms);

  Model model_;
  double base_;
  double rate_;
  std::vector<std::string> label_blocks_;
  int64_t offset_ms_;
  Downtime down_;
  Rng rng_;
  double value_ = 0;
  // Histograms only.
  std::vector<double> cumulative_;  // Per bucket, +Inf last.
  double hist_sum_ = 0;
  double hist_rps_ = 0;
  double hist_median_s_ = 0;
  double hist_phase_ = 0;
};

struct DashboardOptions {
  int64_t series = 10000;  // Rounded to whole hosts of kSeriesPerHost.
  double hours = 6;
  int64_t interval_ms = 15000;
  std::optional<int64_t> end_ms;  // Default: now.
  uint64_t seed = 1;
  int64_t down_every = 25;        // Host h reboots if h % down_every == 7; 0: none.
  int64_t window_steps = 20;      // Samples per TimeSeries in a request.
  int64_t batch_samples = 20000;  // Samples per request (about).
  // Send only steps [from_step, to_step) (default: all). Values are still generated from step 0,
  // so a load split into consecutive step ranges sends exactly the samples of one whole load.
  int64_t from_step = 0;
  std::optional<int64_t> to_step;
};

struct DashboardWorkload {
  std::vector<Group> groups;
  int64_t hosts = 0;
  int64_t series = 0;
  int64_t steps = 0;
  int64_t start_ms = 0;
  int64_t rebooting_hosts = 0;
};

// REQUIRES: o.interval_ms > 0, o.hours > 0.
DashboardWorkload MakeDashboardWorkload(const DashboardOptions& o);

struct DashboardEncodeStats {
  int64_t requests = 0;
  int64_t samples = 0;  // Including staleness markers.
  int64_t stale_markers = 0;
  int64_t first_ms = std::numeric_limits<int64_t>::max();
  int64_t last_ms = std::numeric_limits<int64_t>::min();
  uint64_t raw_bytes = 0;
  uint64_t snappy_bytes = 0;
  std::string first_request_raw;  // Kept to parse back with the generated protobuf classes.
};

// Emits the workload in windows of o.window_steps scrapes: every series once per window, with
// all its samples of the window in one TimeSeries. Each series' samples are in time order
// across requests, and no sample is more than one window behind the newest one sent, well
// inside Prometheus' head appendable window (maxt - 1h). Calls `emit` with each request,
// snappy-compressed, of about o.batch_samples samples. REQUIRES: *w fresh from
// MakeDashboardWorkload(o) (values advance as they are emitted).
void EncodeDashboard(const DashboardOptions& o, DashboardWorkload* w,
                     const std::function<void(std::string snappy_body)>& emit,
                     DashboardEncodeStats* stats);

}  // namespace strata::bench
