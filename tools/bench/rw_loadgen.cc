// rw_loadgen: a Prometheus remote-write 1.0 load generator for end-to-end benchmarks
// (tools/bench/rw_bench.sh). The workload is fixed by the flags and --seed: node_exporter-like
// series (half counters, half gauges) scraped every --interval-ms. Each sender owns one
// keep-alive connection and a shard of the series (series i goes to sender i % senders, as
// Prometheus' queue-manager shards do), so per-series time order holds. Requests are encoded
// before the clock starts unless they would not fit in --max-preencode-mib.
// --protocol otlp-http / otlp-grpc sends the same series and samples as OTLP metrics instead
// (ExportMetricsServiceRequest: one resource per target with service.name="node" and
// service.instance.id=<instance>, counters as cumulative monotonic sums, gauges as gauges), for
// tools/bench/otlp_bench.sh.
// Output: human-readable lines, then one JSON line starting with {"tool":"rw_loadgen".
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <snappy.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <zlib.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <bit>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "proto/remote.pb.h"

namespace strata::tools {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string url = "http://127.0.0.1:9201/api/v1/write";
  int64_t series = 10000;
  int64_t samples_per_series = 120;
  int64_t batch_size = 2000;  // Samples per request; Prometheus' max_samples_per_send.
  int senders = 2;
  std::optional<int64_t> start_ms;  // Default: now - samples * interval.
  int64_t interval_ms = 15000;
  uint64_t seed = 1;
  int max_retries = 30;  // Per request; Prometheus retries forever, a benchmark must end.
  int timeout_s = 60;    // Socket send/receive timeout.
  int64_t max_preencode_mib = 4096;
  bool dry_run = false;
  int print = 0;  // With --dry-run: print this many samples of the first request.
  // remote-write, otlp-http or otlp-grpc.
  std::string protocol = "remote-write";
  // OTLP body compression: gzip (the OpenTelemetry Collector's default) or none.
  std::string otlp_compression = "gzip";
  bool otlp() const { return protocol != "remote-write"; }
};

// ---------------------------------------------------------------------------------------------
// Workload.

// splitmix64: a tiny, seedable generator per series, so values do not depend on sharding.
struct Rng {
  uint64_t state;
  uint64_t Next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  int64_t Below(int64_t n) { return static_cast<int64_t>(Next() % static_cast<uint64_t>(n)); }
};

// How a series' value evolves from one scrape to the next.
enum class Model {
  kCpuSeconds,     // Counter: seconds in a CPU mode, 0.01 s resolution (USER_HZ).
  kIntCounter,     // Counter: bytes, packets, events; integer increments.
  kIoSeconds,      // Counter: disk busy seconds, 0.001 s resolution.
  kMemBytes,       // Gauge: page-granular random walk.
  kFsBytes,        // Gauge: mostly constant, now and then a few pages change.
  kConstant,       // Gauge: size_bytes, MemTotal, network_up.
  kLoad,           // Gauge: load average, two decimals.
  kSmallInt,       // Gauge: procs running, entropy, file descriptors.
  kTemperature,    // Gauge: hwmon Celsius, 0.5 degree steps.
  kOffsetSeconds,  // Gauge: timex offset, noisy tiny floats (incompressible mantissas).
};

bool IsCounter(Model m) {
  return m == Model::kCpuSeconds || m == Model::kIntCounter || m == Model::kIoSeconds;
}

struct TemplateSeries {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  // Besides __name__/instance/job.
  Model model;
  double base;  // Initial value (gauges: centre; counters: scale of the start value).
  double rate;  // Mean increment per second (counters) or step size (gauges).
};

// One node_exporter target: 38 counters and 38 gauges, alternating.
std::vector<TemplateSeries> HostTemplate() {
  std::vector<TemplateSeries> t;
  const std::pair<const char*, double> modes[] = {
      {"idle", 0.80},    {"iowait", 0.01}, {"irq", 0.002},   {"nice", 0.001},
      {"softirq", 0.01}, {"steal", 0.0},   {"system", 0.06}, {"user", 0.12}};
  for (int cpu = 0; cpu < 2; ++cpu) {
    for (const auto& [mode, share] : modes) {
      t.push_back({"node_cpu_seconds_total",
                   {{"cpu", std::to_string(cpu)}, {"mode", mode}},
                   Model::kCpuSeconds,
                   5e6 * share,
                   share});
    }
  }
  for (const char* dev : {"eth0", "eth1", "lo"}) {
    t.push_back(
        {"node_network_receive_bytes_total", {{"device", dev}}, Model::kIntCounter, 1e12, 2e5});
    t.push_back(
        {"node_network_transmit_bytes_total", {{"device", dev}}, Model::kIntCounter, 1e12, 1e5});
    t.push_back(
        {"node_network_receive_packets_total", {{"device", dev}}, Model::kIntCounter, 1e9, 300});
    t.push_back(
        {"node_network_transmit_packets_total", {{"device", dev}}, Model::kIntCounter, 1e9, 200});
  }
  for (const char* dev : {"sda", "sdb"}) {
    t.push_back({"node_disk_read_bytes_total", {{"device", dev}}, Model::kIntCounter, 1e12, 5e4});
    t.push_back(
        {"node_disk_written_bytes_total", {{"device", dev}}, Model::kIntCounter, 1e12, 1e5});
    t.push_back(
        {"node_disk_io_time_seconds_total", {{"device", dev}}, Model::kIoSeconds, 1e5, 0.02});
  }
  t.push_back({"node_context_switches_total", {}, Model::kIntCounter, 1e10, 3000});
  t.push_back({"node_intr_total", {}, Model::kIntCounter, 1e10, 2000});
  t.push_back({"node_forks_total", {}, Model::kIntCounter, 1e7, 2});
  t.push_back({"node_vmstat_pgfault", {}, Model::kIntCounter, 1e10, 1500});

  const std::tuple<const char*, const char*, const char*, double> filesystems[] = {
      {"/dev/sda1", "ext4", "/", 50e9},
      {"/dev/sda2", "ext4", "/home", 200e9},
      {"/dev/sdb1", "xfs", "/data", 1e12},
      {"tmpfs", "tmpfs", "/run", 2e9}};
  for (const auto& [dev, fstype, mnt, size] : filesystems) {
    std::vector<std::pair<std::string, std::string>> l = {
        {"device", dev}, {"fstype", fstype}, {"mountpoint", mnt}};
    t.push_back({"node_filesystem_size_bytes", l, Model::kConstant, size, 0});
    t.push_back({"node_filesystem_avail_bytes", l, Model::kFsBytes, size * 0.4, 4096});
    t.push_back({"node_filesystem_free_bytes", l, Model::kFsBytes, size * 0.45, 4096});
    t.push_back({"node_filesystem_files_free", l, Model::kFsBytes, size / 16384, 1});
  }
  t.push_back({"node_memory_MemTotal_bytes", {}, Model::kConstant, 16e9, 0});
  t.push_back({"node_memory_MemAvailable_bytes", {}, Model::kMemBytes, 9e9, 4096});
  t.push_back({"node_memory_MemFree_bytes", {}, Model::kMemBytes, 2e9, 4096});
  t.push_back({"node_memory_Cached_bytes", {}, Model::kMemBytes, 6e9, 4096});
  t.push_back({"node_memory_Buffers_bytes", {}, Model::kMemBytes, 3e8, 4096});
  t.push_back({"node_memory_Active_bytes", {}, Model::kMemBytes, 7e9, 4096});
  t.push_back({"node_memory_Inactive_bytes", {}, Model::kMemBytes, 5e9, 4096});
  t.push_back({"node_memory_Dirty_bytes", {}, Model::kMemBytes, 5e6, 4096});
  t.push_back({"node_memory_SwapFree_bytes", {}, Model::kConstant, 2e9, 0});
  t.push_back({"node_load1", {}, Model::kLoad, 1.5, 0.3});
  t.push_back({"node_load5", {}, Model::kLoad, 1.5, 0.1});
  t.push_back({"node_load15", {}, Model::kLoad, 1.5, 0.03});
  t.push_back({"node_procs_running", {}, Model::kSmallInt, 3, 2});
  t.push_back({"node_procs_blocked", {}, Model::kSmallInt, 0, 1});
  t.push_back({"node_entropy_available_bits", {}, Model::kSmallInt, 3500, 50});
  t.push_back({"node_filefd_allocated", {}, Model::kSmallInt, 5000, 20});
  t.push_back({"node_timex_offset_seconds", {}, Model::kOffsetSeconds, 0, 1e-5});
  for (const char* dev : {"eth0", "eth1", "lo"}) {
    t.push_back({"node_network_up", {{"device", dev}}, Model::kConstant, 1, 0});
  }
  t.push_back({"node_hwmon_temp_celsius",
               {{"chip", "platform_coretemp_0"}, {"sensor", "temp1"}},
               Model::kTemperature,
               45,
               0.5});
  t.push_back({"node_hwmon_temp_celsius",
               {{"chip", "platform_coretemp_0"}, {"sensor", "temp2"}},
               Model::kTemperature,
               48,
               0.5});
  // Alternate counters and gauges, so that any number of series is about half of each.
  std::vector<TemplateSeries> counters, gauges, mixed;
  for (auto& s : t) (IsCounter(s.model) ? counters : gauges).push_back(std::move(s));
  for (size_t i = 0; i < std::max(counters.size(), gauges.size()); ++i) {
    if (i < counters.size()) mixed.push_back(std::move(counters[i]));
    if (i < gauges.size()) mixed.push_back(std::move(gauges[i]));
  }
  return mixed;
}

double RoundTo(double v, double step) { return std::round(v / step) * step; }

// Protobuf wire helpers: the requests are assembled from pre-encoded label blocks, which is
// what lets the generator encode millions of samples in seconds. CheckRequest() parses the
// result with the generated strata::proto classes.
void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutLengthDelimited(std::string* out, int field, std::string_view bytes) {
  PutVarint(out, (static_cast<uint64_t>(field) << 3) | 2);
  PutVarint(out, bytes.size());
  out->append(bytes);
}

size_t VarintSize(uint64_t v) { return v < 0x80 ? 1 : 1 + VarintSize(v >> 7); }

class Series {
 public:
  Series(const TemplateSeries& tmpl, const std::string& instance, int64_t offset_ms, uint64_t seed)
      : model_(tmpl.model),
        rate_(tmpl.rate),
        base_(tmpl.base),
        offset_ms_(offset_ms),
        rng_{seed},
        name_(tmpl.name),
        instance_(instance) {
    // OTLP: the labels other than __name__/instance/job become data point attributes
    // (KeyValue{key, AnyValue{string_value}}), pre-encoded like the remote-write labels.
    for (const auto& [name, value] : tmpl.labels) {
      std::string any, kv;
      PutLengthDelimited(&any, 1, value);
      PutLengthDelimited(&kv, 1, name);
      PutLengthDelimited(&kv, 2, any);
      attributes_.emplace_back(std::move(kv));
    }
    std::vector<std::pair<std::string, std::string>> labels = tmpl.labels;
    labels.emplace_back("__name__", tmpl.name);
    labels.emplace_back("instance", instance);
    labels.emplace_back("job", "node");
    std::sort(labels.begin(), labels.end());  // Prometheus sends labels sorted by name.
    for (const auto& [name, value] : labels) {
      std::string label;
      PutLengthDelimited(&label, 1, name);
      PutLengthDelimited(&label, 2, value);
      PutLengthDelimited(&label_block_, 1, label);
    }
    value_ = Initial();
  }

  bool counter() const { return IsCounter(model_); }
  const std::string& name() const { return name_; }
  const std::string& instance() const { return instance_; }

  // Appends this series' next sample as an OTLP NumberDataPoint (field `field` of its parent:
  // Gauge.data_points or Sum.data_points) with its attributes, time and value.
  void AppendNextOtlp(std::string* out, int64_t t_ms) {
    std::string point;
    for (const auto& kv : attributes_) PutLengthDelimited(&point, 7, kv);
    point.push_back(0x11);  // start_time_unix_nano: field 2, fixed64 (0: unknown start).
    for (int i = 0; i < 8; ++i) point.push_back(0);
    const uint64_t ns = static_cast<uint64_t>(t_ms) * 1000000;
    point.push_back(0x19);  // time_unix_nano: field 3, fixed64.
    for (int i = 0; i < 8; ++i) point.push_back(static_cast<char>(ns >> (8 * i)));
    point.push_back(0x21);  // as_double: field 4, fixed64.
    const uint64_t bits = std::bit_cast<uint64_t>(value_);
    for (int i = 0; i < 8; ++i) point.push_back(static_cast<char>(bits >> (8 * i)));
    PutLengthDelimited(out, 1, point);
    value_ = Step();
  }
  int64_t offset_ms() const { return offset_ms_; }
  size_t label_bytes() const { return label_block_.size(); }

  // Appends one TimeSeries (field 1 of WriteRequest) holding this series' next sample.
  void AppendNext(std::string* out, int64_t t) {
    std::string_view labels = label_block_;
    char sample[1 + 8 + 1 + 10];
    size_t n = 0;
    sample[n++] = 0x09;  // Sample.value: field 1, fixed64.
    const uint64_t bits = std::bit_cast<uint64_t>(value_);
    for (int i = 0; i < 8; ++i) sample[n++] = static_cast<char>(bits >> (8 * i));
    sample[n++] = 0x10;  // Sample.timestamp: field 2, varint.
    uint64_t ts = static_cast<uint64_t>(t);
    while (ts >= 0x80) {
      sample[n++] = static_cast<char>(ts | 0x80);
      ts >>= 7;
    }
    sample[n++] = static_cast<char>(ts);
    const size_t sample_field = 1 + VarintSize(n) + n;
    PutVarint(out, (1 << 3) | 2);  // WriteRequest.timeseries
    PutVarint(out, labels.size() + sample_field);
    out->append(labels);
    PutVarint(out, (2 << 3) | 2);  // TimeSeries.samples
    PutVarint(out, n);
    out->append(sample, n);
    value_ = Step();
  }

 private:
  double Initial() {
    switch (model_) {
      case Model::kCpuSeconds:
        return RoundTo(base_ * (0.5 + rng_.Uniform()), 0.01);
      case Model::kIntCounter:
      case Model::kIoSeconds:
        return std::floor(base_ * rng_.Uniform());
      case Model::kMemBytes:
      case Model::kFsBytes:
        return RoundTo(base_ * (0.5 + rng_.Uniform()), 4096);
      case Model::kConstant:
        return base_ == 1 ? 1 : RoundTo(base_ * (0.5 + rng_.Uniform()), 4096);
      case Model::kLoad:
        return RoundTo(base_ * 2 * rng_.Uniform(), 0.01);
      case Model::kSmallInt:
        return std::floor(base_ * (0.5 + rng_.Uniform()));
      case Model::kTemperature:
        return RoundTo(base_ + 5 * rng_.Uniform(), rate_);
      case Model::kOffsetSeconds:
        return rate_ * (rng_.Uniform() - 0.5);
    }
    return 0;
  }

  // The value one scrape interval later; kInterval is 15 s here regardless of --interval-ms,
  // so the values (and hence compressibility) do not depend on the interval.
  double Step() {
    constexpr double kInterval = 15;
    const double u = rng_.Uniform();
    switch (model_) {
      case Model::kCpuSeconds:
        return RoundTo(value_ + kInterval * rate_ * (0.5 + u), 0.01);
      case Model::kIntCounter:
        return value_ + std::floor(kInterval * rate_ * 2 * u);
      case Model::kIoSeconds:
        return RoundTo(value_ + kInterval * rate_ * 2 * u, 0.001);
      case Model::kMemBytes:
        return std::max(0.0, value_ + rate_ * std::floor((u - 0.5) * 2000));
      case Model::kFsBytes:
        return u < 0.2 ? std::max(0.0, value_ + rate_ * std::floor((u - 0.1) * 500)) : value_;
      case Model::kConstant:
        return value_;
      case Model::kLoad:
        return std::max(0.0, RoundTo(value_ + rate_ * (u - 0.5) * 2, 0.01));
      case Model::kSmallInt:
        return std::max(0.0, value_ + std::round(rate_ * (u - 0.5) * 2));
      case Model::kTemperature:
        return u < 0.3 ? value_ + (u < 0.15 ? -rate_ : rate_) : value_;
      case Model::kOffsetSeconds:
        return rate_ * (u - 0.5);
    }
    return value_;
  }

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

struct Workload {
  std::vector<Series> series;
  int64_t counters = 0;
  int64_t gauges = 0;
  int64_t hosts = 0;
  int64_t label_bytes = 0;
};

Workload MakeWorkload(const Options& o) {
  const std::vector<TemplateSeries> tmpl = HostTemplate();
  Workload w;
  w.series.reserve(static_cast<size_t>(o.series));
  const int64_t per_host = static_cast<int64_t>(tmpl.size());
  for (int64_t i = 0; i < o.series; ++i) {
    const int64_t host = i / per_host;
    char instance[32];
    std::snprintf(instance, sizeof(instance), "host-%04lld:9100", static_cast<long long>(host));
    // Targets are scraped at a fixed offset within the interval, as Prometheus spreads them.
    Rng host_rng{o.seed * 1000003 + static_cast<uint64_t>(host)};
    const int64_t offset = host_rng.Below(std::max<int64_t>(1, o.interval_ms));
    w.series.emplace_back(tmpl[static_cast<size_t>(i % per_host)], instance, offset,
                          (o.seed << 32) ^ static_cast<uint64_t>(i) * 0x2545F4914F6CDD1DULL);
    (w.series.back().counter() ? w.counters : w.gauges)++;
    w.label_bytes += static_cast<int64_t>(w.series.back().label_bytes());
  }
  w.hosts = (o.series + per_host - 1) / per_host;
  return w;
}

// ---------------------------------------------------------------------------------------------
// Request queues: one per sender, filled by that sender's encoder.

struct EncodedRequest {
  std::string body;  // Snappy-compressed WriteRequest.
  int64_t samples = 0;
  size_t raw_bytes = 0;
};

// Thread-safe; capacity 0 means unbounded.
class RequestQueue {
 public:
  explicit RequestQueue(size_t capacity) : capacity_(capacity) {}
  void Push(EncodedRequest r) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return capacity_ == 0 || q_.size() < capacity_; });
    q_.push_back(std::move(r));
    not_empty_.notify_all();  // Senders and WaitPrimed() both wait on it.
  }
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }
  // Blocks until a request is available; false once closed and drained.
  bool Pop(EncodedRequest* r) {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return closed_ || !q_.empty(); });
    if (q_.empty()) return false;
    *r = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return true;
  }
  // Blocks until the queue is full or closed (the encoder is ahead of the senders).
  void WaitPrimed() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return closed_ || (capacity_ != 0 && q_.size() >= capacity_); });
  }
  const EncodedRequest* Front() {
    std::lock_guard lock(mu_);
    return q_.empty() ? nullptr : &q_.front();
  }

 private:
  std::mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<EncodedRequest> q_;
  size_t capacity_;
  bool closed_ = false;
};

struct EncodeStats {
  int64_t requests = 0;
  int64_t samples = 0;
  uint64_t raw_bytes = 0;
  uint64_t compressed_bytes = 0;
};

std::string GzipBytes(const std::string& raw) {
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

// Builds ExportMetricsServiceRequests from the same samples, in the same order and batches as
// the remote-write requests: a new ResourceMetrics when the target changes, a new Metric when
// the metric name changes (consecutive points of one name share it).
class OtlpRequestBuilder {
 public:
  void Add(Series* s, int64_t t_ms) {
    if (s->instance() != instance_) {
      FlushResource();
      instance_ = s->instance();
    }
    if (s->name() != metric_name_ || s->counter() != metric_counter_) {
      FlushMetric();
      metric_name_ = s->name();
      metric_counter_ = s->counter();
    }
    s->AppendNextOtlp(&points_, t_ms);
  }
  // The request so far (uncompressed protobuf); starts a new one.
  std::string Take() {
    FlushResource();
    std::string out;
    out.swap(request_);
    return out;
  }

 private:
  void FlushMetric() {
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
  void FlushResource() {
    FlushMetric();
    if (metrics_.empty()) return;
    std::string resource;
    for (const auto& [k, v] : {std::pair<std::string, std::string>{"service.name", "node"},
                               {"service.instance.id", instance_}}) {
      std::string any, kv;
      PutLengthDelimited(&any, 1, v);
      PutLengthDelimited(&kv, 1, k);
      PutLengthDelimited(&kv, 2, any);
      PutLengthDelimited(&resource, 1, kv);
    }
    std::string scope, scope_metrics, rm;
    PutLengthDelimited(&scope, 1, "rw_loadgen");
    PutLengthDelimited(&scope_metrics, 1, scope);
    scope_metrics += metrics_;
    PutLengthDelimited(&rm, 1, resource);
    PutLengthDelimited(&rm, 2, scope_metrics);
    PutLengthDelimited(&request_, 1, rm);  // ExportMetricsServiceRequest.resource_metrics
    metrics_.clear();
  }

  std::string instance_;
  std::string metric_name_;
  bool metric_counter_ = false;
  std::string points_;
  std::string metrics_;
  std::string request_;
};

// Encodes the samples of `shard` (series indices) in time order: at each step every series of
// the shard, cut into requests of `batch_size` samples (a request may span two steps, as a
// Prometheus shard's batches do).
void EncodeShard(const Options& o, int64_t start_ms, const std::vector<Series*>& shard,
                 RequestQueue* queue, EncodeStats* stats) {
  std::string raw;
  OtlpRequestBuilder otlp;
  int64_t in_batch = 0;
  auto flush = [&] {
    EncodedRequest r;
    if (o.otlp()) {
      raw = otlp.Take();
      if (o.otlp_compression == "gzip" && o.protocol == "otlp-http") {
        r.body = GzipBytes(raw);
      } else {
        r.body = raw;  // gRPC compresses on its own (grpc-encoding), see Sender.
      }
    } else {
      snappy::Compress(raw.data(), raw.size(), &r.body);
    }
    r.samples = in_batch;
    r.raw_bytes = raw.size();
    stats->requests++;
    stats->samples += in_batch;
    stats->raw_bytes += raw.size();
    stats->compressed_bytes += r.body.size();
    queue->Push(std::move(r));
    raw.clear();
    in_batch = 0;
  };
  for (int64_t step = 0; step < o.samples_per_series; ++step) {
    const int64_t t0 = start_ms + step * o.interval_ms;
    for (Series* s : shard) {
      if (o.otlp()) {
        otlp.Add(s, t0 + s->offset_ms());
      } else {
        s->AppendNext(&raw, t0 + s->offset_ms());
      }
      if (++in_batch == o.batch_size) flush();
    }
  }
  if (in_batch > 0) flush();
  queue->Close();
}

// Parses one request with the generated protobuf classes: guards the hand-rolled encoder.
bool CheckOtlpRequest(const Options& o, const EncodedRequest& r, std::string* error) {
  std::string raw = r.body;
  if (o.protocol == "otlp-http" && o.otlp_compression == "gzip") {
    z_stream zs{};
    inflateInit2(&zs, 16 + MAX_WBITS);
    raw.assign(r.raw_bytes, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(r.body.data()));
    zs.avail_in = static_cast<uInt>(r.body.size());
    zs.next_out = reinterpret_cast<Bytef*>(raw.data());
    zs.avail_out = static_cast<uInt>(raw.size());
    const int rc = inflate(&zs, Z_FINISH);
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) {
      *error = "gzip round trip failed";
      return false;
    }
  }
  opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest req;
  if (!req.ParseFromString(raw)) {
    *error = "OTLP protobuf parse failed";
    return false;
  }
  int64_t points = 0;
  for (const auto& rm : req.resource_metrics()) {
    if (rm.resource().attributes_size() != 2) {
      *error = "unexpected resource";
      return false;
    }
    for (const auto& sm : rm.scope_metrics()) {
      for (const auto& m : sm.metrics()) {
        points += m.has_sum() ? m.sum().data_points_size() : m.gauge().data_points_size();
      }
    }
  }
  if (points != r.samples) {
    *error = "data point count mismatch";
    return false;
  }
  return true;
}

bool CheckRequest(const Options& o, const EncodedRequest& r, std::string* error) {
  if (o.otlp()) return CheckOtlpRequest(o, r, error);
  std::string raw;
  if (!snappy::Uncompress(r.body.data(), r.body.size(), &raw)) {
    *error = "snappy round trip failed";
    return false;
  }
  strata::proto::WriteRequest req;
  if (!req.ParseFromString(raw)) {
    *error = "protobuf parse failed";
    return false;
  }
  if (req.timeseries_size() != r.samples) {
    *error = "timeseries count mismatch";
    return false;
  }
  for (const auto& ts : req.timeseries()) {
    if (ts.samples_size() != 1 || ts.labels_size() < 3 || ts.labels(0).name() != "__name__") {
      *error = "unexpected TimeSeries shape";
      return false;
    }
    for (int i = 1; i < ts.labels_size(); ++i) {
      if (!(ts.labels(i - 1).name() < ts.labels(i).name())) {
        *error = "labels not sorted";
        return false;
      }
    }
  }
  return true;
}

// Prints the first `n` samples of a request in the text exposition format.
void PrintRequest(const EncodedRequest& r, int n) {
  std::string raw;
  strata::proto::WriteRequest req;
  if (!snappy::Uncompress(r.body.data(), r.body.size(), &raw) || !req.ParseFromString(raw)) return;
  for (int i = 0; i < std::min(n, req.timeseries_size()); ++i) {
    const auto& ts = req.timeseries(i);
    std::string line = ts.labels(0).value() + "{";
    for (int j = 1; j < ts.labels_size(); ++j) {
      line += (j > 1 ? "," : "") + ts.labels(j).name() + "=\"" + ts.labels(j).value() + "\"";
    }
    std::printf("%s} %.17g %lld\n", line.c_str(), ts.samples(0).value(),
                static_cast<long long>(ts.samples(0).timestamp()));
  }
}

// ---------------------------------------------------------------------------------------------
// Senders.

struct Url {
  std::string host;
  std::string port;
  std::string target;
};

std::optional<Url> ParseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) return std::nullopt;
  url.remove_prefix(kScheme.size());
  const size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  Url u;
  u.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  const size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos) {
    u.host = std::string(authority);
    u.port = "80";
  } else {
    u.host = std::string(authority.substr(0, colon));
    u.port = std::string(authority.substr(colon + 1));
  }
  if (u.host.empty() || u.port.empty()) return std::nullopt;
  return u;
}

struct SenderStats {
  int64_t requests_ok = 0;
  int64_t requests_failed = 0;  // Gave up: 4xx other than 429, or retries exhausted.
  int64_t samples_ok = 0;
  int64_t non_2xx_responses = 0;
  int64_t retries = 0;
  int64_t connection_errors = 0;
  uint64_t bytes_sent = 0;
  std::map<int, int64_t> status_counts;
  std::vector<float> latencies_ms;  // Per request, first attempt to final answer.
  std::string first_error;
  Clock::time_point end;
};

class Sender {
 public:
  Sender(const Options& o, const Url& url, RequestQueue* queue)
      : o_(o), url_(url), queue_(queue), socket_(ioc_) {}

  bool Connect(std::string* error) {
    if (o_.protocol == "otlp-grpc") {
      // One channel per sender, not shared with the others (as separate exporters would be).
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      args.SetMaxSendMessageSize(-1);
      channel_ = grpc::CreateCustomChannel(url_.host + ":" + url_.port,
                                           grpc::InsecureChannelCredentials(), args);
      if (!channel_->WaitForConnected(std::chrono::system_clock::now() +
                                      std::chrono::seconds(o_.timeout_s))) {
        *error = "gRPC connect " + url_.host + ":" + url_.port + " timed out";
        return false;
      }
      stub_ = std::make_unique<grpc::GenericStub>(channel_);
      return true;
    }
    beast::error_code ec;
    socket_.close(ec);
    buffer_.clear();  // Drops any partial response of the previous connection.
    tcp::resolver resolver(ioc_);
    auto endpoints = resolver.resolve(url_.host, url_.port, ec);
    if (!ec) asio::connect(socket_, endpoints, ec);
    if (ec) {
      *error = "connect " + url_.host + ":" + url_.port + ": " + ec.message();
      return false;
    }
    socket_.set_option(tcp::no_delay(true), ec);
    timeval tv{o_.timeout_s, 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return true;
  }

  void Run(std::latch* go) {
    go->wait();
    EncodedRequest r;
    while (queue_->Pop(&r)) Send(std::move(r));
    stats_.end = Clock::now();
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
  }

  SenderStats& stats() { return stats_; }

 private:
  // OTLP/gRPC: a raw unary call of MetricsService/Export, retried like the HTTP path on
  // RESOURCE_EXHAUSTED/UNAVAILABLE (the OTLP exporters' retryable codes).
  void SendGrpc(EncodedRequest r) {
    const auto start = Clock::now();
    auto backoff = std::chrono::milliseconds(30);
    for (int attempt = 0;; ++attempt) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(o_.timeout_s));
      if (o_.otlp_compression == "gzip") ctx.set_compression_algorithm(GRPC_COMPRESS_GZIP);
      grpc::Slice slice(r.body);
      grpc::ByteBuffer request(&slice, 1), response;
      std::promise<grpc::Status> done;
      stub_->UnaryCall(&ctx, "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
                       grpc::StubOptions(), &request, &response,
                       [&done](grpc::Status st) { done.set_value(std::move(st)); });
      grpc::Status st = done.get_future().get();
      const int code = static_cast<int>(st.error_code());
      stats_.status_counts[code]++;
      stats_.bytes_sent += r.body.size();
      if (st.ok()) {
        if (response.Length() > 0) {  // partial_success: some points were rejected.
          stats_.requests_failed++;
          Note("OTLP partial success (points rejected)");
        } else {
          stats_.requests_ok++;
          stats_.samples_ok += r.samples;
        }
        break;
      }
      stats_.non_2xx_responses++;
      Note("gRPC " + std::to_string(code) + ": " + st.error_message().substr(0, 300));
      const bool retry = st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ||
                         st.error_code() == grpc::StatusCode::UNAVAILABLE;
      if (!retry || attempt >= o_.max_retries) {
        stats_.requests_failed++;
        break;
      }
      stats_.retries++;
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
    stats_.latencies_ms.push_back(
        std::chrono::duration<float, std::milli>(Clock::now() - start).count());
  }

  void Send(EncodedRequest r) {
    if (o_.protocol == "otlp-grpc") return SendGrpc(std::move(r));
    http::request<http::string_body> req{http::verb::post, url_.target, 11};
    req.set(http::field::host, url_.host + ":" + url_.port);
    req.set(http::field::user_agent, "strata-rw-loadgen/1");
    req.set(http::field::content_type, "application/x-protobuf");
    if (o_.protocol == "otlp-http") {
      if (o_.otlp_compression == "gzip") req.set(http::field::content_encoding, "gzip");
    } else {
      req.set(http::field::content_encoding, "snappy");
      req.set("X-Prometheus-Remote-Write-Version", "0.1.0");
    }
    req.keep_alive(true);
    req.body() = std::move(r.body);
    req.prepare_payload();
    const auto start = Clock::now();
    auto backoff = std::chrono::milliseconds(30);                  // Prometheus' min_backoff ...
    constexpr auto kMaxBackoff = std::chrono::milliseconds(5000);  // ... and max_backoff.
    for (int attempt = 0;; ++attempt) {
      std::optional<std::chrono::milliseconds> retry_after;
      beast::error_code ec;
      bool retry = false;
      http::write(socket_, req, ec);
      http::response<http::string_body> res;
      if (!ec) http::read(socket_, buffer_, res, ec);
      if (ec) {
        stats_.connection_errors++;
        Note("transport: " + ec.message());
        retry = true;
        std::string error;
        if (!Connect(&error)) Note(error);
      } else {
        const int code = static_cast<int>(res.result_int());
        stats_.status_counts[code]++;
        stats_.bytes_sent += req.body().size();
        if (code / 100 == 2 && o_.protocol == "otlp-http" && !res.body().empty()) {
          stats_.requests_failed++;  // partial_success: some points were rejected.
          Note("OTLP partial success: " + res.body().substr(0, 300));
          break;
        }
        if (code / 100 == 2) {
          stats_.requests_ok++;
          stats_.samples_ok += r.samples;
          break;
        }
        stats_.non_2xx_responses++;
        Note("HTTP " + std::to_string(code) + ": " + res.body().substr(0, 300));
        if (code / 100 == 5 || code == 429) {
          retry = true;
          auto ra = res.find(http::field::retry_after);
          if (ra != res.end()) {
            int seconds = 0;
            const std::string v(ra->value());
            if (std::sscanf(v.c_str(), "%d", &seconds) == 1 && seconds >= 0) {
              retry_after = std::chrono::seconds(seconds);
            }
          }
        }
        if (!res.keep_alive()) {
          std::string error;
          if (!Connect(&error)) Note(error);
        }
      }
      if (!retry || attempt >= o_.max_retries) {
        stats_.requests_failed++;
        break;
      }
      stats_.retries++;
      std::this_thread::sleep_for(retry_after.value_or(backoff));
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
    stats_.latencies_ms.push_back(
        std::chrono::duration<float, std::milli>(Clock::now() - start).count());
  }

  void Note(const std::string& error) {
    if (stats_.first_error.empty()) stats_.first_error = error;
  }

  const Options& o_;
  Url url_;
  RequestQueue* queue_;
  asio::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  SenderStats stats_;
  std::shared_ptr<grpc::Channel> channel_;  // otlp-grpc only.
  std::unique_ptr<grpc::GenericStub> stub_;
};

double Percentile(std::vector<float>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

std::string JsonEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

int Run(const Options& o) {
  const auto url = ParseUrl(o.url);
  if (!url) {
    std::fprintf(stderr, "rw_loadgen: --url: want http://host:port/path, got \"%s\"\n",
                 o.url.c_str());
    return 2;
  }
  const int64_t start_ms =
      o.start_ms.value_or(std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count() -
                          o.samples_per_series * o.interval_ms);

  Workload w = MakeWorkload(o);
  const int64_t total_samples = o.series * o.samples_per_series;
  // Snappy shrinks these requests (labels repeat) about 5x; assume 4x to be safe.
  const double est_raw =
      static_cast<double>(o.samples_per_series) *
      (static_cast<double>(w.label_bytes) + 24.0 * static_cast<double>(o.series));
  const bool preencode = est_raw / 4 <= static_cast<double>(o.max_preencode_mib) * (1 << 20);
  std::printf(
      "workload: %lld series (%lld hosts, %lld counters, %lld gauges) x %lld samples "
      "= %lld samples, interval %lld ms, start_ms %lld, seed %llu\n",
      static_cast<long long>(o.series), static_cast<long long>(w.hosts),
      static_cast<long long>(w.counters), static_cast<long long>(w.gauges),
      static_cast<long long>(o.samples_per_series), static_cast<long long>(total_samples),
      static_cast<long long>(o.interval_ms), static_cast<long long>(start_ms),
      static_cast<unsigned long long>(o.seed));

  // Shards and encoders.
  const int senders = o.senders;
  std::vector<std::vector<Series*>> shards(static_cast<size_t>(senders));
  for (size_t i = 0; i < w.series.size(); ++i) {
    shards[i % static_cast<size_t>(senders)].push_back(&w.series[i]);
  }
  std::vector<std::unique_ptr<RequestQueue>> queues;
  queues.reserve(static_cast<size_t>(senders));
  std::vector<EncodeStats> encode_stats(static_cast<size_t>(senders));
  for (int i = 0; i < senders; ++i) {
    queues.push_back(std::make_unique<RequestQueue>(preencode ? 0 : 64));
  }
  const auto encode_start = Clock::now();
  std::vector<std::jthread> encoders;
  encoders.reserve(static_cast<size_t>(senders));
  for (int i = 0; i < senders; ++i) {
    const auto k = static_cast<size_t>(i);
    encoders.emplace_back(EncodeShard, std::cref(o), start_ms, shards[k], queues[k].get(),
                          &encode_stats[k]);
  }
  if (preencode) {
    encoders.clear();  // Joins.
  } else {
    for (auto& q : queues) q->WaitPrimed();
  }
  const double encode_s = std::chrono::duration<double>(Clock::now() - encode_start).count();
  if (const EncodedRequest* first = queues[0]->Front()) {
    std::string error;
    if (!CheckRequest(o, *first, &error)) {
      std::fprintf(stderr, "rw_loadgen: internal error: encoded request is invalid: %s\n",
                   error.c_str());
      return 3;
    }
  }
  if (preencode) {
    EncodeStats e;
    for (const auto& s : encode_stats) {
      e.requests += s.requests;
      e.raw_bytes += s.raw_bytes;
      e.compressed_bytes += s.compressed_bytes;
    }
    std::printf(
        "encoded: %lld requests, %.1f MiB raw, %.1f MiB snappy, in %.2f s (before "
        "timing)\n",
        static_cast<long long>(e.requests), static_cast<double>(e.raw_bytes) / (1 << 20),
        static_cast<double>(e.compressed_bytes) / (1 << 20), encode_s);
  } else {
    std::printf("encoding concurrently with sending (estimated %.0f MiB > --max-preencode-mib)\n",
                est_raw / 4 / (1 << 20));
  }
  if (o.dry_run) {
    if (const EncodedRequest* first = queues[0]->Front(); first && o.print > 0 && !o.otlp()) {
      PrintRequest(*first, o.print);
    }
    return 0;
  }

  std::vector<std::unique_ptr<Sender>> pool;
  pool.reserve(static_cast<size_t>(senders));
  for (int i = 0; i < senders; ++i) {
    pool.push_back(std::make_unique<Sender>(o, *url, queues[static_cast<size_t>(i)].get()));
    std::string error;
    if (!pool.back()->Connect(&error)) {
      std::fprintf(stderr, "rw_loadgen: %s\n", error.c_str());
      return 1;
    }
  }
  std::latch go(1);
  std::vector<std::jthread> threads;
  threads.reserve(pool.size());
  for (auto& s : pool) threads.emplace_back([&s, &go] { s->Run(&go); });
  const auto t0 = Clock::now();
  go.count_down();
  threads.clear();  // Joins.
  encoders.clear();
  Clock::time_point t1 = t0;
  SenderStats all;
  std::vector<float> latencies;
  for (auto& s : pool) {
    SenderStats& st = s->stats();
    t1 = std::max(t1, st.end);
    all.requests_ok += st.requests_ok;
    all.requests_failed += st.requests_failed;
    all.samples_ok += st.samples_ok;
    all.non_2xx_responses += st.non_2xx_responses;
    all.retries += st.retries;
    all.connection_errors += st.connection_errors;
    all.bytes_sent += st.bytes_sent;
    for (const auto& [code, n] : st.status_counts) all.status_counts[code] += n;
    latencies.insert(latencies.end(), st.latencies_ms.begin(), st.latencies_ms.end());
    if (all.first_error.empty()) all.first_error = st.first_error;
  }
  int64_t requests = 0;
  uint64_t raw_bytes = 0;
  for (const auto& e : encode_stats) {
    requests += e.requests;
    raw_bytes += e.raw_bytes;
  }
  const double elapsed = std::chrono::duration<double>(t1 - t0).count();
  const double rate = elapsed > 0 ? static_cast<double>(all.samples_ok) / elapsed : 0;
  const double p50 = Percentile(latencies, 0.50);
  const double p99 = Percentile(latencies, 0.99);
  const double max = latencies.empty() ? 0 : *std::max_element(latencies.begin(), latencies.end());

  std::string codes;
  for (const auto& [code, n] : all.status_counts) {
    if (!codes.empty()) codes += ",";
    codes += "\"" + std::to_string(code) + "\":" + std::to_string(n);
  }
  std::printf(
      "sent: %lld/%lld samples in %lld requests over %d connections in %.3f s = %.0f "
      "samples/s (%.1f MiB/s snappy)\n",
      static_cast<long long>(all.samples_ok), static_cast<long long>(total_samples),
      static_cast<long long>(requests), senders, elapsed, rate,
      elapsed > 0 ? static_cast<double>(all.bytes_sent) / (1 << 20) / elapsed : 0);
  std::printf("latency per request: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", p50, p99, max);
  std::printf(
      "responses: {%s}; non-2xx %lld, retries %lld, connection errors %lld, failed "
      "requests %lld\n",
      codes.c_str(), static_cast<long long>(all.non_2xx_responses),
      static_cast<long long>(all.retries), static_cast<long long>(all.connection_errors),
      static_cast<long long>(all.requests_failed));
  if (!all.first_error.empty()) std::printf("first error: %s\n", all.first_error.c_str());
  std::printf(
      "{\"tool\":\"rw_loadgen\",\"protocol\":\"%s\",\"url\":\"%s\",\"series\":%lld,\"samples_per_"
      "series\":%lld,"
      "\"batch_size\":%lld,\"senders\":%d,\"interval_ms\":%lld,\"start_ms\":%lld,\"seed\":%llu,"
      "\"counters\":%lld,\"gauges\":%lld,\"samples\":%lld,\"samples_ok\":%lld,\"requests\":%lld,"
      "\"elapsed_s\":%.6f,\"samples_per_s\":%.1f,\"raw_bytes\":%llu,\"snappy_bytes_sent\":%llu,"
      "\"preencoded\":%s,\"encode_s\":%.3f,\"latency_ms_p50\":%.3f,\"latency_ms_p99\":%.3f,"
      "\"latency_ms_max\":%.3f,\"status_counts\":{%s},\"non_2xx_responses\":%lld,"
      "\"retries\":%lld,\"connection_errors\":%lld,\"failed_requests\":%lld,"
      "\"first_error\":\"%s\"}\n",
      o.protocol.c_str(), JsonEscape(o.url).c_str(), static_cast<long long>(o.series),
      static_cast<long long>(o.samples_per_series), static_cast<long long>(o.batch_size), senders,
      static_cast<long long>(o.interval_ms), static_cast<long long>(start_ms),
      static_cast<unsigned long long>(o.seed), static_cast<long long>(w.counters),
      static_cast<long long>(w.gauges), static_cast<long long>(total_samples),
      static_cast<long long>(all.samples_ok), static_cast<long long>(requests), elapsed, rate,
      static_cast<unsigned long long>(raw_bytes), static_cast<unsigned long long>(all.bytes_sent),
      preencode ? "true" : "false", encode_s, p50, p99, max, codes.c_str(),
      static_cast<long long>(all.non_2xx_responses), static_cast<long long>(all.retries),
      static_cast<long long>(all.connection_errors), static_cast<long long>(all.requests_failed),
      JsonEscape(all.first_error).c_str());
  std::fflush(stdout);
  return all.requests_failed == 0 && all.samples_ok == total_samples ? 0 : 1;
}

int Main(int argc, char** argv) {
  Options o;
  CLI::App app{"Prometheus remote-write 1.0 load generator (node_exporter-like workload)",
               "rw_loadgen"};
  app.add_option("--url", o.url, "Remote-write endpoint, http://host:port/path")
      ->capture_default_str();
  app.add_option("--series", o.series, "Number of series")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--samples-per-series", o.samples_per_series, "Samples per series")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--batch-size", o.batch_size, "Samples per request (max_samples_per_send)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--senders", o.senders, "Concurrent keep-alive connections (shards)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--start-ms", o.start_ms,
                 "Timestamp of the first step (default: now - samples * interval)");
  app.add_option("--interval-ms", o.interval_ms, "Scrape interval")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--seed", o.seed, "Workload seed")->capture_default_str();
  app.add_option("--max-retries", o.max_retries, "Retries per request on 5xx/429/transport errors")
      ->capture_default_str();
  app.add_option("--timeout-s", o.timeout_s, "Socket send/receive timeout in seconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--max-preencode-mib", o.max_preencode_mib,
                 "Encode everything before timing if it fits in this many MiB; otherwise encode "
                 "concurrently")
      ->capture_default_str();
  app.add_option("--protocol", o.protocol,
                 "remote-write, otlp-http (POST --url with an ExportMetricsServiceRequest) or "
                 "otlp-grpc (--url http://host:port of the OTLP/gRPC listener)")
      ->check(CLI::IsMember({"remote-write", "otlp-http", "otlp-grpc"}))
      ->capture_default_str();
  app.add_option("--otlp-compression", o.otlp_compression, "OTLP body compression: gzip or none")
      ->check(CLI::IsMember({"gzip", "none"}))
      ->capture_default_str();
  app.add_flag("--dry-run", o.dry_run, "Encode the workload and report its size; send nothing");
  app.add_option("--print", o.print,
                 "With --dry-run: print this many samples of the first request (text format)");
  CLI11_PARSE(app, argc, argv);
  return Run(o);
}

}  // namespace
}  // namespace strata::tools

int main(int argc, char** argv) {
  try {
    return strata::tools::Main(argc, argv);
  } catch (const std::exception& e) {  // Last resort (bad_alloc, thread creation): a bug.
    std::fprintf(stderr, "rw_loadgen: fatal: %s\n", e.what());
    return 3;
  }
}
