// query_bench: the driver behind tools/bench/query_bench.sh (see QUERY_BENCH.md). Subcommands:
//   load   generate a fixed, seeded dashboard workload (node_exporter-like hosts with a classic
//          latency histogram, node_uname_info and up; a few hosts reboot, with staleness markers
//          and counter resets) and remote-write the identical request stream to every --url.
//   query  run dashboard query_range queries against Strata and Prometheus, time them (median
//          of --runs), compare both answers and print a Markdown table of ratios.
// Each subcommand ends its output with one JSON line starting with {"tool":"query_bench".
#include <snappy.h>
#include <unistd.h>

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
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "proto/remote.pb.h"

namespace strata::tools {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;  // Prometheus' staleness marker.
constexpr uint64_t kAbsentBits = 0x7ff8000000dead01ULL;    // Generator only: "no sample".
constexpr int kSeriesPerHost = 100;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// splitmix64: a tiny seedable generator, one per series group, so values never depend on
// request batching.
struct Rng {
  uint64_t state = 0;
  uint64_t Next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
};

double RoundTo(double v, double step) { return std::round(v / step) * step; }

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

// ---------------------------------------------------------------------------------------------
// HTTP client.

struct Url {
  std::string host;
  std::string port;
  std::string path;  // Without a trailing slash for base URLs.
};

std::optional<Url> ParseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) return std::nullopt;
  url.remove_prefix(kScheme.size());
  const size_t slash = url.find('/');
  const std::string_view authority = url.substr(0, slash);
  Url u;
  if (slash != std::string_view::npos) u.path = std::string(url.substr(slash));
  while (!u.path.empty() && u.path.back() == '/') u.path.pop_back();
  const size_t colon = authority.rfind(':');
  u.host = std::string(authority.substr(0, colon));
  u.port = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
  if (u.host.empty() || u.port.empty()) return std::nullopt;
  return u;
}

std::string UrlEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

struct HttpResponse {
  int status = 0;  // 0: transport error (see error).
  std::string body;
  std::optional<int> retry_after_s;
  std::string error;
};

// One keep-alive HTTP/1.1 connection. Confined to one thread.
class HttpClient {
 public:
  HttpClient(Url url, int timeout_s) : url_(std::move(url)), timeout_s_(timeout_s), socket_(ioc_) {}
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  bool Connect(std::string* error) {
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
    timeval tv{timeout_s_, 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    connected_ = true;
    return true;
  }

  // Sends one request on the kept-alive connection and reads the whole response. A transport
  // error on a reused connection (the peer may have closed it while idle) is retried once on a
  // new connection; the caller sees it only if that fails too.
  HttpResponse Do(http::request<http::string_body>& req) {
    req.set(http::field::host, url_.host + ":" + url_.port);
    req.set(http::field::user_agent, "strata-query-bench/1");
    req.keep_alive(true);
    req.prepare_payload();
    HttpResponse out;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!connected_ && !Connect(&out.error)) return out;
      beast::error_code ec;
      http::write(socket_, req, ec);
      http::response_parser<http::string_body> parser;
      parser.body_limit(std::numeric_limits<std::uint64_t>::max());
      if (!ec) http::read(socket_, buffer_, parser, ec);
      if (ec) {
        out.error = "transport: " + ec.message();
        connected_ = false;
        continue;
      }
      auto res = parser.release();
      out.status = static_cast<int>(res.result_int());
      out.error.clear();
      if (auto ra = res.find(http::field::retry_after); ra != res.end()) {
        int seconds = 0;
        const std::string v(ra->value());
        if (std::sscanf(v.c_str(), "%d", &seconds) == 1 && seconds >= 0)
          out.retry_after_s = seconds;
      }
      if (!res.keep_alive()) connected_ = false;
      out.body = std::move(res.body());
      return out;
    }
    return out;
  }

  HttpResponse Get(const std::string& target) {
    http::request<http::string_body> req{http::verb::get, url_.path + target, 11};
    return Do(req);
  }

  const Url& url() const { return url_; }

 private:
  Url url_;
  int timeout_s_;
  asio::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
};

// ---------------------------------------------------------------------------------------------
// Workload: kSeriesPerHost series per host. Target "node" (host-NNNN:9100, job="node"): 76
// node_exporter series, node_boot_time_seconds, node_uname_info and up. Target "api"
// (host-NNNN:8080, job="api"): up and http_request_duration_seconds{handler} for 2 handlers
// (8 buckets with +Inf, _sum, _count).

enum class Model {
  kCpuSeconds,     // Counter: 0.01 s resolution.
  kIntCounter,     // Counter: integer increments.
  kIoSeconds,      // Counter: 0.001 s resolution.
  kMemBytes,       // Gauge: page-granular random walk.
  kFsBytes,        // Gauge: mostly constant.
  kConstant,       // Gauge: size_bytes, MemTotal, network_up.
  kLoad,           // Gauge: two decimals.
  kSmallInt,       // Gauge: small integers.
  kTemperature,    // Gauge: 0.5 degree steps.
  kOffsetSeconds,  // Gauge: noisy tiny floats.
  kBootTime,       // Gauge: Unix time of the last boot.
  kInfo,           // Info metric: always 1.
  kUp,             // 1, or 0 while the host is down.
  kHistogram,      // A whole classic histogram: buckets..., _sum, _count.
};

bool IsCounter(Model m) {
  return m == Model::kCpuSeconds || m == Model::kIntCounter || m == Model::kIoSeconds;
}

using LabelList = std::vector<std::pair<std::string, std::string>>;

struct Template {
  std::string name;
  LabelList labels;  // Besides __name__, instance and job.
  Model model;
  double base;  // Gauges: centre; counters: scale of the start value.
  double rate;  // Counters: mean increment per second; gauges: step size.
};

constexpr double kBuckets[] = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 0};  // 0: +Inf.
constexpr int kNumBuckets = 8;
constexpr const char* kBucketLabels[] = {"0.01", "0.025", "0.05", "0.1",
                                         "0.25", "0.5",   "1",    "+Inf"};

std::vector<Template> NodeTemplate() {
  std::vector<Template> t;
  const std::pair<const char*, double> modes[] = {
      {"idle", 0.80},    {"iowait", 0.01}, {"irq", 0.002},   {"nice", 0.001},
      {"softirq", 0.01}, {"steal", 0.0},   {"system", 0.06}, {"user", 0.12}};
  for (const char* cpu : {"0", "1"}) {
    for (const auto& [mode, share] : modes) {
      t.push_back({"node_cpu_seconds_total",
                   {{"cpu", cpu}, {"mode", mode}},
                   Model::kCpuSeconds,
                   5e6 * share,
                   share});
    }
  }
  for (const char* dev : {"eth0", "ens3", "lo"}) {
    const double f = dev[0] == 'l' ? 0.1 : 1;
    t.push_back(
        {"node_network_receive_bytes_total", {{"device", dev}}, Model::kIntCounter, 1e12, 2e5 * f});
    t.push_back({"node_network_transmit_bytes_total",
                 {{"device", dev}},
                 Model::kIntCounter,
                 1e12,
                 1e5 * f});
    t.push_back({"node_network_receive_packets_total",
                 {{"device", dev}},
                 Model::kIntCounter,
                 1e9,
                 300 * f});
    t.push_back({"node_network_transmit_packets_total",
                 {{"device", dev}},
                 Model::kIntCounter,
                 1e9,
                 200 * f});
    t.push_back({"node_network_up", {{"device", dev}}, Model::kConstant, 1, 0});
  }
  for (const char* dev : {"sda", "sdb"}) {
    t.push_back({"node_disk_read_bytes_total", {{"device", dev}}, Model::kIntCounter, 1e12, 5e4});
    t.push_back(
        {"node_disk_written_bytes_total", {{"device", dev}}, Model::kIntCounter, 1e12, 1e5});
    t.push_back(
        {"node_disk_io_time_seconds_total", {{"device", dev}}, Model::kIoSeconds, 1e5, 0.02});
    t.push_back(
        {"node_disk_reads_completed_total", {{"device", dev}}, Model::kIntCounter, 1e8, 10});
    t.push_back(
        {"node_disk_writes_completed_total", {{"device", dev}}, Model::kIntCounter, 1e8, 20});
  }
  t.push_back({"node_context_switches_total", {}, Model::kIntCounter, 1e10, 3000});
  t.push_back({"node_intr_total", {}, Model::kIntCounter, 1e10, 2000});
  t.push_back({"node_forks_total", {}, Model::kIntCounter, 1e7, 2});
  t.push_back({"node_vmstat_pgfault", {}, Model::kIntCounter, 1e10, 1500});
  t.push_back({"node_vmstat_pgmajfault", {}, Model::kIntCounter, 1e6, 0.5});
  const std::tuple<const char*, const char*, const char*, double> filesystems[] = {
      {"/dev/sda1", "ext4", "/", 50e9},
      {"/dev/sdb1", "xfs", "/data", 1e12},
      {"tmpfs", "tmpfs", "/run", 2e9}};
  for (const auto& [dev, fstype, mnt, size] : filesystems) {
    const LabelList l = {{"device", dev}, {"fstype", fstype}, {"mountpoint", mnt}};
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
  t.push_back({"node_memory_SwapFree_bytes", {}, Model::kConstant, 2e9, 0});
  t.push_back({"node_load1", {}, Model::kLoad, 1.5, 0.3});
  t.push_back({"node_load5", {}, Model::kLoad, 1.5, 0.1});
  t.push_back({"node_load15", {}, Model::kLoad, 1.5, 0.03});
  t.push_back({"node_procs_running", {}, Model::kSmallInt, 3, 2});
  t.push_back({"node_procs_blocked", {}, Model::kSmallInt, 0, 1});
  t.push_back({"node_entropy_available_bits", {}, Model::kSmallInt, 3500, 50});
  t.push_back({"node_filefd_allocated", {}, Model::kSmallInt, 5000, 20});
  for (const char* sensor : {"temp1", "temp2"}) {
    t.push_back({"node_hwmon_temp_celsius",
                 {{"chip", "platform_coretemp_0"}, {"sensor", sensor}},
                 Model::kTemperature,
                 45,
                 0.5});
  }
  t.push_back({"node_timex_offset_seconds", {}, Model::kOffsetSeconds, 0, 1e-5});
  t.push_back({"node_boot_time_seconds", {}, Model::kBootTime, 0, 0});
  t.push_back({"node_uname_info",
               {{"domainname", "(none)"},
                {"machine", "x86_64"},
                {"nodename", ""},  // Filled in per host.
                {"release", ""},
                {"sysname", "Linux"}},
               Model::kInfo,
               1,
               0});
  t.push_back({"up", {}, Model::kUp, 1, 0});
  return t;
}

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

// Encoded TimeSeries.labels fields, sorted by name as Prometheus sends them.
std::string EncodeLabels(LabelList labels) {
  std::sort(labels.begin(), labels.end());
  std::string block;
  for (const auto& [name, value] : labels) {
    std::string label;
    PutLengthDelimited(&label, 1, name);
    PutLengthDelimited(&label, 2, value);
    PutLengthDelimited(&block, 1, label);
  }
  return block;
}

// Down-time of a rebooting host, in steps: [start, end). Empty for the others.
struct Downtime {
  int64_t start = -1;
  int64_t end = -1;
  bool Covers(int64_t step) const { return step >= start && step < end; }
};

// The series of one template entry of one host (a histogram is one group of 10 series). Values
// evolve one step at a time; Emit() writes this step's value of each series into `out`.
class Group {
 public:
  Group(const Template& tmpl, std::vector<std::string> label_blocks, int64_t offset_ms,
        Downtime down, uint64_t seed, int64_t start_ms)
      : model_(tmpl.model),
        base_(tmpl.base),
        rate_(tmpl.rate),
        label_blocks_(std::move(label_blocks)),
        offset_ms_(offset_ms),
        down_(down),
        rng_{seed} {
    if (model_ == Model::kHistogram) {
      hist_rps_ = tmpl.rate * (0.5 + rng_.Uniform());
      hist_median_s_ = tmpl.base * (0.6 + 0.8 * rng_.Uniform());
      hist_phase_ = 6.283185307179586 * rng_.Uniform();
      cumulative_.assign(kNumBuckets, 0);
      // Counts as of a process that has been up for a while.
      HistogramStep(hist_rps_ * (3600 + 86400 * rng_.Uniform()), 0);
    } else if (model_ == Model::kBootTime) {
      value_ = std::floor(static_cast<double>(start_ms) / 1000 - 86400 * (1 + 30 * rng_.Uniform()));
    } else {
      value_ = Initial(false);
    }
  }

  size_t size() const { return label_blocks_.size(); }
  const std::string& labels(size_t i) const { return label_blocks_[i]; }
  int64_t offset_ms() const { return offset_ms_; }

  // Writes size() values for `step` (scraped at t_ms) into out: a value, a stale NaN or
  // kAbsentBits. REQUIRES: called for step 0, 1, 2... in order.
  void Emit(int64_t step, int64_t t_ms, double* out) {
    if (down_.Covers(step)) {
      // The scrape fails: Prometheus writes up=0 and staleness markers for the target's series
      // at the first failed scrape, then nothing until the target is back.
      for (size_t i = 0; i < size(); ++i) {
        out[i] = model_ == Model::kUp  ? 0
                 : step == down_.start ? std::bit_cast<double>(kStaleNaNBits)
                                       : std::bit_cast<double>(kAbsentBits);
      }
      return;
    }
    if (step == down_.end) Reboot(t_ms);
    if (model_ == Model::kHistogram) {
      for (int b = 0; b < kNumBuckets; ++b) out[b] = cumulative_[static_cast<size_t>(b)];
      out[kNumBuckets] = hist_sum_;
      out[kNumBuckets + 1] = cumulative_.back();
      HistogramStep(hist_rps_ * 15 * (0.5 + rng_.Uniform()), t_ms);
      return;
    }
    out[0] = value_;
    value_ = Next();
  }

 private:
  // Counters restart near zero, the boot time moves; gauges carry on.
  void Reboot(int64_t t_ms) {
    if (model_ == Model::kHistogram) {
      std::fill(cumulative_.begin(), cumulative_.end(), 0);
      hist_sum_ = 0;
    } else if (model_ == Model::kBootTime) {
      value_ = std::floor(static_cast<double>(t_ms) / 1000 - 20);
    } else if (IsCounter(model_)) {
      value_ = Initial(true);
    }
  }

  double Initial(bool after_reboot) {
    const double scale = after_reboot ? 60 * rate_ : base_;  // After a reboot: ~a minute's worth.
    switch (model_) {
      case Model::kCpuSeconds:
        return RoundTo(scale * (0.5 + rng_.Uniform()), 0.01);
      case Model::kIntCounter:
      case Model::kIoSeconds:
        return std::floor(scale * rng_.Uniform());
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
      case Model::kInfo:
      case Model::kUp:
        return 1;
      case Model::kBootTime:
      case Model::kHistogram:
        break;
    }
    return 0;
  }

  // The value one 15 s scrape later.
  double Next() {
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
      case Model::kLoad:
        return std::max(0.0, RoundTo(value_ + rate_ * (u - 0.5) * 2, 0.01));
      case Model::kSmallInt:
        return std::max(0.0, value_ + std::round(rate_ * (u - 0.5) * 2));
      case Model::kTemperature:
        return u < 0.3 ? value_ + (u < 0.15 ? -rate_ : rate_) : value_;
      case Model::kOffsetSeconds:
        return rate_ * (u - 0.5);
      case Model::kConstant:
      case Model::kBootTime:
      case Model::kInfo:
      case Model::kUp:
      case Model::kHistogram:
        break;
    }
    return value_;
  }

  // Adds `requests` observations from a log-normal latency distribution whose median drifts
  // with a 2 h period, so quantiles move over the day.
  void HistogramStep(double requests, int64_t t_ms) {
    const double n = std::floor(requests);
    const double median =
        hist_median_s_ *
        (1 + 0.5 * std::sin(hist_phase_ + 6.283185307179586 * static_cast<double>(t_ms) / 7.2e6));
    constexpr double kSigma = 0.9;
    double prev = 0;
    for (int b = 0; b < kNumBuckets; ++b) {
      double c = n;  // +Inf
      if (kBuckets[b] > 0) {
        const double cdf =
            0.5 * std::erfc(-(std::log(kBuckets[b]) - std::log(median)) / (kSigma * M_SQRT2));
        c = std::min(n, std::floor(n * cdf + rng_.Uniform()));
      }
      c = std::max(c, prev);  // Cumulative: never below the previous bucket.
      cumulative_[static_cast<size_t>(b)] += c;
      prev = c;
    }
    hist_sum_ += n * median * std::exp(kSigma * kSigma / 2) * (0.9 + 0.2 * rng_.Uniform());
  }

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

struct WorkloadOptions {
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

struct Workload {
  std::vector<Group> groups;
  int64_t hosts = 0;
  int64_t series = 0;
  int64_t steps = 0;
  int64_t start_ms = 0;
  int64_t rebooting_hosts = 0;
};

Workload MakeWorkload(const WorkloadOptions& o) {
  Workload w;
  w.hosts = std::max<int64_t>(1, (o.series + kSeriesPerHost / 2) / kSeriesPerHost);
  w.steps = std::max<int64_t>(
      1, std::llround(o.hours * 3600 * 1000 / static_cast<double>(o.interval_ms)));
  const int64_t end_ms = o.end_ms.value_or(NowMs());
  w.start_ms = end_ms - w.steps * o.interval_ms;
  Downtime reboot;
  reboot.start = w.steps * 5 / 8;
  reboot.end = std::min(w.steps, reboot.start + std::clamp<int64_t>(w.steps / 24, 1, 60));
  const std::vector<Template> node = NodeTemplate();
  for (int64_t h = 0; h < w.hosts; ++h) {
    char host[32];
    std::snprintf(host, sizeof(host), "host-%04lld", static_cast<long long>(h));
    const std::string node_instance = std::string(host) + ":9100";
    const std::string api_instance = std::string(host) + ":8080";
    Rng host_rng{o.seed * 1000003 + static_cast<uint64_t>(h)};
    // Targets are scraped at fixed offsets within the interval, as Prometheus spreads them.
    const auto node_offset =
        static_cast<int64_t>(host_rng.Next() % static_cast<uint64_t>(o.interval_ms));
    const auto api_offset =
        static_cast<int64_t>(host_rng.Next() % static_cast<uint64_t>(o.interval_ms));
    const Downtime down =
        o.down_every > 0 && h % o.down_every == 7 % o.down_every ? reboot : Downtime{};
    if (down.start >= 0) w.rebooting_hosts++;
    auto seed = [&](size_t k) {
      return (o.seed << 32) ^
             (static_cast<uint64_t>(h * kSeriesPerHost) + k) * 0x2545F4914F6CDD1DULL;
    };
    for (const Template& t : node) {
      LabelList l = t.labels;
      for (auto& [name, value] : l) {
        if (name == "nodename") value = host;
        if (name == "release") value = "6.1.0-" + std::to_string(10 + h % 7) + "-amd64";
      }
      l.emplace_back("__name__", t.name);
      l.emplace_back("instance", node_instance);
      l.emplace_back("job", "node");
      w.groups.emplace_back(t, std::vector<std::string>{EncodeLabels(l)}, node_offset, down,
                            seed(w.groups.size()), w.start_ms);
    }
    const Template up{"up", {}, Model::kUp, 1, 0};
    w.groups.emplace_back(up,
                          std::vector<std::string>{EncodeLabels(
                              {{"__name__", "up"}, {"instance", api_instance}, {"job", "api"}})},
                          api_offset, down, seed(w.groups.size()), w.start_ms);
    for (const auto& [handler, rps, median] :
         {std::tuple{"/api/v1/query", 20.0, 0.08}, std::tuple{"/api/v1/write", 60.0, 0.02}}) {
      const LabelList common = {{"handler", handler}, {"instance", api_instance}, {"job", "api"}};
      std::vector<std::string> blocks;
      for (const char* le : kBucketLabels) {
        LabelList l = common;
        l.emplace_back("__name__", "http_request_duration_seconds_bucket");
        l.emplace_back("le", le);
        blocks.push_back(EncodeLabels(l));
      }
      for (const char* suffix : {"_sum", "_count"}) {
        LabelList l = common;
        l.emplace_back("__name__", std::string("http_request_duration_seconds") + suffix);
        blocks.push_back(EncodeLabels(l));
      }
      const Template hist{"http_request_duration_seconds", {}, Model::kHistogram, median, rps};
      w.groups.emplace_back(hist, std::move(blocks), api_offset, down, seed(w.groups.size()),
                            w.start_ms);
    }
  }
  for (const Group& g : w.groups) w.series += static_cast<int64_t>(g.size());
  return w;
}

// ---------------------------------------------------------------------------------------------
// Load: one encoder thread, one sender thread per URL, the same request bytes for every URL.

using Body = std::shared_ptr<const std::string>;

// Thread-safe bounded queue; Pop() returns nullptr once closed and drained.
class BodyQueue {
 public:
  void Push(Body b) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return q_.size() < kCapacity || abandoned_; });
    if (abandoned_) return;
    q_.push_back(std::move(b));
    not_empty_.notify_one();
  }
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }
  // The consumer gives up (its server failed): producers stop blocking on it.
  void Abandon() {
    std::lock_guard lock(mu_);
    abandoned_ = true;
    q_.clear();
    not_full_.notify_all();
  }
  Body Pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return closed_ || !q_.empty(); });
    if (q_.empty()) return nullptr;
    Body b = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return b;
  }

 private:
  static constexpr size_t kCapacity = 16;
  std::mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<Body> q_;
  bool closed_ = false;
  bool abandoned_ = false;
};

struct EncodeStats {
  int64_t requests = 0;
  int64_t samples = 0;  // Including staleness markers.
  int64_t stale_markers = 0;
  int64_t first_ms = std::numeric_limits<int64_t>::max();
  int64_t last_ms = std::numeric_limits<int64_t>::min();
  uint64_t raw_bytes = 0;
  uint64_t snappy_bytes = 0;
  std::string first_request_raw;  // Kept to parse back with the generated protobuf classes.
};

// Emits the workload in windows of window_steps scrapes: every series once per window, with
// all its samples of the window in one TimeSeries. Each series' samples are in time order
// across requests, and no sample is more than one window behind the newest one sent, well
// inside Prometheus' head appendable window (maxt - 1h).
void Encode(const WorkloadOptions& o, Workload* w, const std::vector<BodyQueue*>& queues,
            EncodeStats* stats) {
  std::string raw;
  int64_t in_batch = 0;
  auto flush = [&] {
    auto body = std::make_shared<std::string>();
    snappy::Compress(raw.data(), raw.size(), body.get());
    stats->requests++;
    stats->raw_bytes += raw.size();
    stats->snappy_bytes += body->size();
    if (stats->first_request_raw.empty()) stats->first_request_raw = raw;
    const Body shared = std::move(body);
    for (BodyQueue* q : queues) q->Push(shared);
    raw.clear();
    in_batch = 0;
  };
  const auto window = static_cast<size_t>(o.window_steps);
  std::vector<double> values;
  std::vector<int64_t> times(window);
  std::string samples;
  const int64_t to_step = std::min(w->steps, o.to_step.value_or(w->steps));
  for (int64_t s0 = 0; s0 < to_step; s0 += o.window_steps) {
    const auto n = static_cast<size_t>(std::min(o.window_steps, to_step - s0));
    for (Group& g : w->groups) {
      values.resize(n * g.size());
      for (size_t i = 0; i < n; ++i) {
        const int64_t step = s0 + static_cast<int64_t>(i);
        times[i] = w->start_ms + step * o.interval_ms + g.offset_ms();
        g.Emit(step, times[i], &values[i * g.size()]);
      }
      for (size_t k = 0; k < g.size(); ++k) {
        samples.clear();
        int64_t count = 0;
        for (size_t i = 0; i < n; ++i) {
          const double v = values[i * g.size() + k];
          const uint64_t bits = std::bit_cast<uint64_t>(v);
          if (bits == kAbsentBits || s0 + static_cast<int64_t>(i) < o.from_step) continue;
          if (bits == kStaleNaNBits) stats->stale_markers++;
          std::string sample;
          sample.push_back(0x09);  // Sample.value: field 1, fixed64.
          for (int b = 0; b < 8; ++b) sample.push_back(static_cast<char>(bits >> (8 * b)));
          sample.push_back(0x10);  // Sample.timestamp: field 2, varint.
          PutVarint(&sample, static_cast<uint64_t>(times[i]));
          PutLengthDelimited(&samples, 2, sample);  // TimeSeries.samples
          stats->first_ms = std::min(stats->first_ms, times[i]);
          stats->last_ms = std::max(stats->last_ms, times[i]);
          count++;
        }
        if (count == 0) continue;
        const std::string& labels = g.labels(k);
        PutVarint(&raw, (1 << 3) | 2);  // WriteRequest.timeseries
        PutVarint(&raw, labels.size() + samples.size());
        raw.append(labels);
        raw.append(samples);
        stats->samples += count;
        in_batch += count;
        if (in_batch >= o.batch_samples) flush();
      }
    }
  }
  if (in_batch > 0) flush();
  for (BodyQueue* q : queues) q->Close();
}

// Parses a request back with the generated protobuf classes: guards the hand-rolled encoder.
bool CheckRequest(const std::string& raw, std::string* error) {
  strata::proto::WriteRequest req;
  if (!req.ParseFromString(raw)) {
    *error = "protobuf parse failed";
    return false;
  }
  for (const auto& ts : req.timeseries()) {
    if (ts.samples_size() < 1 || ts.labels_size() < 3 || ts.labels(0).name() != "__name__") {
      *error = "unexpected TimeSeries shape";
      return false;
    }
    for (int i = 1; i < ts.labels_size(); ++i) {
      if (!(ts.labels(i - 1).name() < ts.labels(i).name())) {
        *error = "labels not sorted";
        return false;
      }
    }
    for (int i = 1; i < ts.samples_size(); ++i) {
      if (ts.samples(i).timestamp() <= ts.samples(i - 1).timestamp()) {
        *error = "samples not in time order";
        return false;
      }
    }
  }
  return true;
}

void PrintRequest(const std::string& raw, int n) {
  strata::proto::WriteRequest req;
  if (!req.ParseFromString(raw)) return;
  for (const auto& ts : req.timeseries()) {
    std::string line = ts.labels(0).value() + "{";
    for (int j = 1; j < ts.labels_size(); ++j) {
      line += (j > 1 ? "," : "") + ts.labels(j).name() + "=\"" + ts.labels(j).value() + "\"";
    }
    for (const auto& s : ts.samples()) {
      if (n-- <= 0) return;
      std::printf("%s} %.17g %lld\n", line.c_str(), s.value(),
                  static_cast<long long>(s.timestamp()));
    }
  }
}

struct SendStats {
  int64_t requests_ok = 0;
  int64_t requests_failed = 0;
  int64_t retries = 0;
  std::string first_error;
  double elapsed_s = 0;
};

void SendAll(const Url& url, int max_retries, int timeout_s, BodyQueue* queue, SendStats* st) {
  HttpClient client(url, timeout_s);
  const auto start = Clock::now();
  auto note = [&](const std::string& e) {
    if (st->first_error.empty()) st->first_error = e;
  };
  while (Body body = queue->Pop()) {
    auto backoff = std::chrono::milliseconds(30);
    for (int attempt = 0;; ++attempt) {
      http::request<http::string_body> req{http::verb::post, url.path, 11};
      req.set(http::field::content_type, "application/x-protobuf");
      req.set(http::field::content_encoding, "snappy");
      req.set("X-Prometheus-Remote-Write-Version", "0.1.0");
      req.body() = *body;
      const HttpResponse res = client.Do(req);
      if (res.status / 100 == 2) {
        st->requests_ok++;
        break;
      }
      const bool retryable = res.status == 0 || res.status / 100 == 5 || res.status == 429;
      note(res.status == 0 ? res.error
                           : "HTTP " + std::to_string(res.status) + ": " + res.body.substr(0, 300));
      if (!retryable || attempt >= max_retries) {
        st->requests_failed++;
        break;
      }
      st->retries++;
      std::this_thread::sleep_for(
          res.retry_after_s ? std::chrono::milliseconds(*res.retry_after_s * 1000) : backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
    if (st->requests_failed > 0) {
      queue->Abandon();  // A lost request makes the data differ; stop loading this server.
      break;
    }
  }
  st->elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
}

struct LoadOptions {
  WorkloadOptions workload;
  std::vector<std::string> urls;
  int max_retries = 30;
  int timeout_s = 120;
  bool dry_run = false;
  int print = 0;
};

int RunLoad(const LoadOptions& o) {
  std::vector<Url> urls;
  for (const std::string& u : o.urls) {
    auto url = ParseUrl(u);
    if (!url) {
      std::fprintf(stderr, "query_bench load: bad --url \"%s\"\n", u.c_str());
      return 2;
    }
    urls.push_back(*url);
  }
  if (urls.empty() && !o.dry_run) {
    std::fprintf(stderr, "query_bench load: need --url (or --dry-run)\n");
    return 2;
  }
  if (o.workload.from_step >= o.workload.to_step.value_or(std::numeric_limits<int64_t>::max())) {
    std::fprintf(stderr, "query_bench load: --from-step must be below --to-step\n");
    return 2;
  }
  Workload w = MakeWorkload(o.workload);
  std::printf(
      "workload: %lld hosts x %d = %lld series, %lld steps of %lld ms from %lld, seed %llu, "
      "%lld rebooting hosts; sending steps [%lld, %lld)\n",
      static_cast<long long>(w.hosts), kSeriesPerHost, static_cast<long long>(w.series),
      static_cast<long long>(w.steps), static_cast<long long>(o.workload.interval_ms),
      static_cast<long long>(w.start_ms), static_cast<unsigned long long>(o.workload.seed),
      static_cast<long long>(w.rebooting_hosts), static_cast<long long>(o.workload.from_step),
      static_cast<long long>(std::min(w.steps, o.workload.to_step.value_or(w.steps))));
  std::fflush(stdout);

  std::vector<std::unique_ptr<BodyQueue>> queues;
  std::vector<BodyQueue*> queue_ptrs;
  for (size_t i = 0; i < urls.size(); ++i) {
    queues.push_back(std::make_unique<BodyQueue>());
    queue_ptrs.push_back(queues.back().get());
  }
  std::vector<SendStats> send_stats(urls.size());
  EncodeStats es;
  const auto start = Clock::now();
  {
    std::vector<std::jthread> senders;
    for (size_t i = 0; i < urls.size(); ++i) {
      senders.emplace_back(SendAll, std::cref(urls[i]), o.max_retries, o.timeout_s, queues[i].get(),
                           &send_stats[i]);
    }
    Encode(o.workload, &w, queue_ptrs, &es);
  }  // Joins the senders.
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::string error;
  if (!CheckRequest(es.first_request_raw, &error)) {
    std::fprintf(stderr, "query_bench load: internal error: encoded request is invalid: %s\n",
                 error.c_str());
    return 3;
  }
  if (o.dry_run && o.print > 0) PrintRequest(es.first_request_raw, o.print);
  std::printf(
      "encoded: %lld requests, %lld samples (%lld staleness markers), %.1f MiB raw, %.1f MiB "
      "snappy\n",
      static_cast<long long>(es.requests), static_cast<long long>(es.samples),
      static_cast<long long>(es.stale_markers), static_cast<double>(es.raw_bytes) / (1 << 20),
      static_cast<double>(es.snappy_bytes) / (1 << 20));
  bool ok = true;
  std::string per_url;
  for (size_t i = 0; i < urls.size(); ++i) {
    const SendStats& s = send_stats[i];
    const bool url_ok = s.requests_failed == 0 && s.requests_ok == es.requests;
    ok = ok && url_ok;
    std::printf("sent to %s: %lld/%lld requests ok in %.1f s (%.0f samples/s), %lld retries%s%s\n",
                o.urls[i].c_str(), static_cast<long long>(s.requests_ok),
                static_cast<long long>(es.requests), s.elapsed_s,
                s.elapsed_s > 0 && url_ok ? static_cast<double>(es.samples) / s.elapsed_s : 0.0,
                static_cast<long long>(s.retries),
                s.first_error.empty() ? "" : "; first error: ", s.first_error.c_str());
    if (!per_url.empty()) per_url += ",";
    char buf[256];
    std::snprintf(buf, sizeof(buf),
                  "{\"url\":\"%s\",\"ok\":%s,\"requests_ok\":%lld,\"retries\":%lld,"
                  "\"elapsed_s\":%.3f,\"first_error\":\"",
                  JsonEscape(o.urls[i]).c_str(), url_ok ? "true" : "false",
                  static_cast<long long>(s.requests_ok), static_cast<long long>(s.retries),
                  s.elapsed_s);
    per_url += buf + JsonEscape(s.first_error) + "\"}";
  }
  std::printf(
      "{\"tool\":\"query_bench\",\"phase\":\"load\",\"ok\":%s,\"hosts\":%lld,\"series\":%lld,"
      "\"steps\":%lld,\"interval_ms\":%lld,\"start_ms\":%lld,\"first_ms\":%lld,\"last_ms\":%lld,"
      "\"samples\":%lld,\"stale_markers\":%lld,\"non_stale_samples\":%lld,\"requests\":%lld,"
      "\"rebooting_hosts\":%lld,\"from_step\":%lld,\"to_step\":%lld,\"elapsed_s\":%.3f,"
      "\"urls\":[%s]}\n",
      ok ? "true" : "false", static_cast<long long>(w.hosts), static_cast<long long>(w.series),
      static_cast<long long>(w.steps), static_cast<long long>(o.workload.interval_ms),
      static_cast<long long>(w.start_ms), static_cast<long long>(es.first_ms),
      static_cast<long long>(es.last_ms), static_cast<long long>(es.samples),
      static_cast<long long>(es.stale_markers),
      static_cast<long long>(es.samples - es.stale_markers), static_cast<long long>(es.requests),
      static_cast<long long>(w.rebooting_hosts), static_cast<long long>(o.workload.from_step),
      static_cast<long long>(std::min(w.steps, o.workload.to_step.value_or(w.steps))), elapsed,
      per_url.c_str());
  std::fflush(stdout);
  return ok ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// A small JSON reader (the API responses), strict enough to reject malformed output.

struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  std::string text;  // kString: the decoded string; kNumber: the literal.
  std::vector<JsonValue> items;
  std::vector<std::pair<std::string, JsonValue>> members;

  const JsonValue* Find(std::string_view key) const {
    for (const auto& [k, v] : members) {
      if (k == key) return &v;
    }
    return nullptr;
  }
};

class JsonParser {
 public:
  explicit JsonParser(std::string_view in) : in_(in) {}

  bool Parse(JsonValue* out, std::string* error) {
    SkipSpace();
    bool ok = Value(out, 0);
    if (ok) {
      SkipSpace();
      if (pos_ != in_.size()) ok = Fail("trailing data");
    }
    if (!ok) *error = error_ + " at byte " + std::to_string(pos_);
    return ok;
  }

 private:
  bool Fail(const char* what) {
    if (error_.empty()) error_ = what;
    return false;
  }
  void SkipSpace() {
    while (pos_ < in_.size() &&
           (in_[pos_] == ' ' || in_[pos_] == '\n' || in_[pos_] == '\r' || in_[pos_] == '\t')) {
      ++pos_;
    }
  }
  bool Literal(std::string_view word) {
    if (in_.substr(pos_, word.size()) != word) return Fail("bad literal");
    pos_ += word.size();
    return true;
  }

  bool Value(JsonValue* out, int depth) {
    if (depth > 64) return Fail("nesting too deep");
    if (pos_ >= in_.size()) return Fail("unexpected end");
    const char c = in_[pos_];
    if (c == '{') {
      out->type = JsonValue::Type::kObject;
      ++pos_;
      SkipSpace();
      if (pos_ < in_.size() && in_[pos_] == '}') {
        ++pos_;
        return true;
      }
      for (;;) {
        SkipSpace();
        std::string key;
        if (pos_ >= in_.size() || in_[pos_] != '"' || !String(&key)) return Fail("bad key");
        SkipSpace();
        if (pos_ >= in_.size() || in_[pos_++] != ':') return Fail("expected ':'");
        SkipSpace();
        out->members.emplace_back(std::move(key), JsonValue{});
        if (!Value(&out->members.back().second, depth + 1)) return false;
        SkipSpace();
        if (pos_ >= in_.size()) return Fail("unexpected end");
        if (in_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (in_[pos_++] == '}') return true;
        return Fail("expected ',' or '}'");
      }
    }
    if (c == '[') {
      out->type = JsonValue::Type::kArray;
      ++pos_;
      SkipSpace();
      if (pos_ < in_.size() && in_[pos_] == ']') {
        ++pos_;
        return true;
      }
      for (;;) {
        SkipSpace();
        out->items.emplace_back();
        if (!Value(&out->items.back(), depth + 1)) return false;
        SkipSpace();
        if (pos_ >= in_.size()) return Fail("unexpected end");
        if (in_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (in_[pos_++] == ']') return true;
        return Fail("expected ',' or ']'");
      }
    }
    if (c == '"') {
      out->type = JsonValue::Type::kString;
      return String(&out->text);
    }
    if (c == 't' || c == 'f') {
      out->type = JsonValue::Type::kBool;
      out->boolean = c == 't';
      return Literal(c == 't' ? "true" : "false");
    }
    if (c == 'n') {
      out->type = JsonValue::Type::kNull;
      return Literal("null");
    }
    const size_t start = pos_;
    if (pos_ < in_.size() && in_[pos_] == '-') ++pos_;
    while (pos_ < in_.size() &&
           (std::isdigit(static_cast<unsigned char>(in_[pos_])) || in_[pos_] == '.' ||
            in_[pos_] == 'e' || in_[pos_] == 'E' || in_[pos_] == '+' || in_[pos_] == '-')) {
      ++pos_;
    }
    if (pos_ == start) return Fail("unexpected character");
    out->type = JsonValue::Type::kNumber;
    out->text = std::string(in_.substr(start, pos_ - start));
    return true;
  }

  static void AppendUtf8(std::string* out, uint32_t cp) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  bool Hex4(uint32_t* out) {
    if (pos_ + 4 > in_.size()) return Fail("short \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = in_[pos_++];
      v <<= 4;
      if (h >= '0' && h <= '9') {
        v |= static_cast<uint32_t>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        v |= static_cast<uint32_t>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        v |= static_cast<uint32_t>(h - 'A' + 10);
      } else {
        return Fail("bad \\u escape");
      }
    }
    *out = v;
    return true;
  }

  // REQUIRES: in_[pos_] == '"'.
  bool String(std::string* out) {
    ++pos_;
    for (;;) {
      const size_t run = in_.find_first_of("\"\\", pos_);
      if (run == std::string_view::npos) return Fail("unterminated string");
      out->append(in_.substr(pos_, run - pos_));
      pos_ = run + 1;
      if (in_[run] == '"') return true;
      if (pos_ >= in_.size()) return Fail("unterminated escape");
      const char e = in_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out->push_back(e);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          uint32_t cp = 0;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00 && in_.substr(pos_, 2) == "\\u") {
            pos_ += 2;
            uint32_t low = 0;
            if (!Hex4(&low)) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          AppendUtf8(out, cp);
          break;
        }
        default:
          return Fail("bad escape");
      }
    }
  }

  std::string_view in_;
  size_t pos_ = 0;
  std::string error_;
};

// ---------------------------------------------------------------------------------------------
// Query results and their comparison.

struct SeriesResult {
  std::string labels;  // Canonical: {a="x", b="y"}, sorted by name.
  std::vector<int64_t> t_ms;
  std::vector<double> v;
};

struct QueryResult {
  bool ok = false;
  std::string error;
  std::string result_type;
  std::vector<SeriesResult> series;  // Sorted by labels.
  int64_t points = 0;
  size_t bytes = 0;
  // The response's top-level "infos" and "warnings" (annotations), in order.
  std::vector<std::string> infos;
  std::vector<std::string> warnings;
};

bool ParseTimestampMs(const JsonValue& j, int64_t* out) {
  if (j.type != JsonValue::Type::kNumber) return false;
  char* end = nullptr;
  const double s = std::strtod(j.text.c_str(), &end);
  if (end == j.text.c_str() || *end != '\0') return false;
  *out = std::llround(s * 1000);
  return true;
}

bool ParseSampleValue(const JsonValue& j, double* out) {
  if (j.type != JsonValue::Type::kString) return false;
  const std::string& s = j.text;
  if (s == "NaN") {
    *out = std::numeric_limits<double>::quiet_NaN();
  } else if (s == "+Inf" || s == "Inf") {
    *out = std::numeric_limits<double>::infinity();
  } else if (s == "-Inf") {
    *out = -std::numeric_limits<double>::infinity();
  } else {
    char* end = nullptr;
    *out = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || *end != '\0') return false;
  }
  return true;
}

// Parses a Prometheus API response; accepts matrix, vector and scalar results.
QueryResult ParseQueryResponse(const HttpResponse& res) {
  QueryResult r;
  r.bytes = res.body.size();
  if (res.status == 0) {
    r.error = res.error;
    return r;
  }
  JsonValue root;
  std::string error;
  if (!JsonParser(res.body).Parse(&root, &error)) {
    r.error = "HTTP " + std::to_string(res.status) + ", invalid JSON (" + error +
              "): " + res.body.substr(0, 200);
    return r;
  }
  const JsonValue* status = root.Find("status");
  if (res.status != 200 || status == nullptr || status->text != "success") {
    const JsonValue* msg = root.Find("error");
    r.error = "HTTP " + std::to_string(res.status) + ": " +
              (msg != nullptr ? msg->text : res.body.substr(0, 200));
    return r;
  }
  const JsonValue* data = root.Find("data");
  const JsonValue* type = data != nullptr ? data->Find("resultType") : nullptr;
  const JsonValue* result = data != nullptr ? data->Find("result") : nullptr;
  if (type == nullptr || result == nullptr) {
    r.error = "response has no data.resultType / data.result";
    return r;
  }
  r.result_type = type->text;
  auto bad = [&](const std::string& what) {
    r.error = "malformed " + r.result_type + " result: " + what;
    return r;
  };
  auto add_point = [&](SeriesResult* s, const JsonValue& p) {
    int64_t t = 0;
    double v = 0;
    if (p.type != JsonValue::Type::kArray || p.items.size() != 2 ||
        !ParseTimestampMs(p.items[0], &t) || !ParseSampleValue(p.items[1], &v)) {
      return false;
    }
    s->t_ms.push_back(t);
    s->v.push_back(v);
    r.points++;
    return true;
  };
  if (r.result_type == "scalar") {
    SeriesResult s;
    s.labels = "scalar";
    if (!add_point(&s, *result)) return bad("point");
    r.series.push_back(std::move(s));
  } else if (r.result_type == "matrix" || r.result_type == "vector") {
    if (result->type != JsonValue::Type::kArray) return bad("result is not an array");
    for (const JsonValue& item : result->items) {
      const JsonValue* metric = item.Find("metric");
      if (metric == nullptr || metric->type != JsonValue::Type::kObject) return bad("metric");
      std::vector<std::pair<std::string, std::string>> labels;
      for (const auto& [k, v] : metric->members) labels.emplace_back(k, v.text);
      std::sort(labels.begin(), labels.end());
      SeriesResult s;
      s.labels = "{";
      for (size_t i = 0; i < labels.size(); ++i) {
        s.labels += (i > 0 ? ", " : "") + labels[i].first + "=\"" + labels[i].second + "\"";
      }
      s.labels += "}";
      if (r.result_type == "vector") {
        const JsonValue* value = item.Find("value");
        if (value == nullptr || !add_point(&s, *value)) return bad("value");
      } else {
        const JsonValue* values = item.Find("values");
        if (values == nullptr || values->type != JsonValue::Type::kArray) return bad("values");
        for (const JsonValue& p : values->items) {
          if (!add_point(&s, p)) return bad("point of " + s.labels);
        }
      }
      r.series.push_back(std::move(s));
    }
  } else {
    return bad("unsupported result type");
  }
  std::sort(r.series.begin(), r.series.end(),
            [](const SeriesResult& a, const SeriesResult& b) { return a.labels < b.labels; });
  for (const auto& [key, out] :
       {std::pair{"infos", &r.infos}, std::pair{"warnings", &r.warnings}}) {
    const JsonValue* list = root.Find(key);
    if (list == nullptr) continue;
    if (list->type != JsonValue::Type::kArray) return bad(std::string(key) + " is not an array");
    for (const JsonValue& item : list->items) out->push_back(item.text);
  }
  r.ok = true;
  return r;
}

struct Tolerance {
  double rel = 1e-6;
  double abs = 0;
};

bool SameValue(double a, double b, const Tolerance& tol) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (a == b) return true;
  if (std::isinf(a) || std::isinf(b)) return false;
  const double d = std::fabs(a - b);
  return d <= tol.rel * std::max(std::fabs(a), std::fabs(b)) || d <= tol.abs;
}

std::string FormatTime(int64_t ms) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%lld.%03lld", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  return buf;
}

std::string FormatValue(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

// |a - b| / max(|a|, |b|): 0 for equal values (both NaN included) and for differences within
// tol.abs; +Inf when only one is NaN or the two differ and one is infinite.
double RelDiff(double a, double b, const Tolerance& tol) {
  if (std::isnan(a) || std::isnan(b)) {
    return std::isnan(a) && std::isnan(b) ? 0 : std::numeric_limits<double>::infinity();
  }
  if (a == b) return 0;
  if (std::isinf(a) || std::isinf(b)) return std::numeric_limits<double>::infinity();
  const double d = std::fabs(a - b);
  return d <= tol.abs ? 0 : d / std::max(std::fabs(a), std::fabs(b));
}

struct Comparison {
  bool same = true;
  int64_t only_a = 0;  // Series only in a.
  int64_t only_b = 0;
  int64_t differing_series = 0;
  int64_t differing_points = 0;  // Points off by more than the tolerance, or only on one side.
  int64_t matched_points = 0;    // Points at the same timestamp of the same series on both sides.
  int64_t points_only_a = 0;     // Points of a with no point at that time in b's series...
  int64_t points_only_b = 0;     // ...and the reverse (series only on one side included).
  double max_rel = 0;            // Largest RelDiff over the matched points.
  std::string max_rel_at;        // Where: series, time and both values.
  std::vector<std::string> examples;  // The first few differences, precisely.

  void Note(std::string s) {
    same = false;
    if (examples.size() < 5) examples.push_back(std::move(s));
  }
};

// Series are matched by label set, points by timestamp; a_name and b_name label the sides in
// the examples.
Comparison Compare(const QueryResult& a, const QueryResult& b, const Tolerance& tol,
                   const std::string& a_name = "Strata", const std::string& b_name = "Prometheus") {
  Comparison c;
  if (a.result_type != b.result_type) {
    c.Note("result type: " + a_name + " " + a.result_type + ", " + b_name + " " + b.result_type);
  }
  auto only = [&](const SeriesResult& s, const std::string& name) {
    return "series " + s.labels + " only in " + name + " (" + std::to_string(s.t_ms.size()) +
           " points, first at t=" + FormatTime(s.t_ms.empty() ? 0 : s.t_ms[0]) + ")";
  };
  size_t i = 0, j = 0;
  while (i < a.series.size() || j < b.series.size()) {
    if (j == b.series.size() || (i < a.series.size() && a.series[i].labels < b.series[j].labels)) {
      c.only_a++;
      c.points_only_a += static_cast<int64_t>(a.series[i].t_ms.size());
      c.Note(only(a.series[i], a_name));
      ++i;
      continue;
    }
    if (i == a.series.size() || b.series[j].labels < a.series[i].labels) {
      c.only_b++;
      c.points_only_b += static_cast<int64_t>(b.series[j].t_ms.size());
      c.Note(only(b.series[j], b_name));
      ++j;
      continue;
    }
    const SeriesResult& x = a.series[i++];
    const SeriesResult& y = b.series[j++];
    int64_t diffs = 0;
    std::string first;
    size_t p = 0, q = 0;
    while (p < x.t_ms.size() || q < y.t_ms.size()) {
      std::string what;
      if (q == y.t_ms.size() || (p < x.t_ms.size() && x.t_ms[p] < y.t_ms[q])) {
        what = "t=" + FormatTime(x.t_ms[p]) + ": only " + a_name + " has a point (" +
               FormatValue(x.v[p]) + ")";
        c.points_only_a++;
        ++p;
      } else if (p == x.t_ms.size() || y.t_ms[q] < x.t_ms[p]) {
        what = "t=" + FormatTime(y.t_ms[q]) + ": only " + b_name + " has a point (" +
               FormatValue(y.v[q]) + ")";
        c.points_only_b++;
        ++q;
      } else {
        c.matched_points++;
        const double rel = RelDiff(x.v[p], y.v[q], tol);
        if (rel > c.max_rel) {
          c.max_rel = rel;
          c.max_rel_at = x.labels + " t=" + FormatTime(x.t_ms[p]) + ": " + a_name + " " +
                         FormatValue(x.v[p]) + ", " + b_name + " " + FormatValue(y.v[q]);
        }
        if (!SameValue(x.v[p], y.v[q], tol)) {
          what = "t=" + FormatTime(x.t_ms[p]) + ": " + a_name + " " + FormatValue(x.v[p]) + ", " +
                 b_name + " " + FormatValue(y.v[q]);
        }
        ++p;
        ++q;
      }
      if (!what.empty()) {
        if (diffs++ == 0) first = std::move(what);
      }
    }
    if (diffs > 0) {
      c.differing_series++;
      c.differing_points += diffs;
      c.Note("series " + x.labels + ": " + std::to_string(diffs) + " differing points; first " +
             first);
    }
  }
  return c;
}

// ---------------------------------------------------------------------------------------------
// Query benchmark.

const char* const kDefaultQueries[] = {
    "sum by (instance) (rate(node_cpu_seconds_total[5m]))",
    "topk(5, rate(node_network_receive_bytes_total[5m]))",
    "histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
    "avg_over_time(node_memory_MemAvailable_bytes[10m])",
    "count by (job) (up)",
    "sum(rate(node_network_receive_bytes_total{device=~\"eth.*|ens.*\"}[5m]))",
    "node_memory_MemAvailable_bytes * on(instance) group_left(nodename) node_uname_info",
    "count by (job) ({__name__=~\"node_.+\"})",
};

struct QueryOptions {
  std::string strata_url;
  std::string prometheus_url;
  int64_t start_s = 0;
  int64_t end_s = 0;
  int64_t step_s = 60;
  int runs = 5;
  int warmup = 1;
  std::string queries_file;
  Tolerance tol;
  int timeout_s = 300;
  // Idle time after every request, off the clock, so that one server's background work (Go's
  // garbage collector) does not land in the other's timing on a small host.
  int pause_ms = 200;
  int64_t pids[2] = {0, 0};  // Strata, Prometheus: for CPU time per query (0: not measured).
  // Strata's name in the report, and URL parameters ("k=v") added to each of its queries.
  std::string strata_name = "Strata";
  std::vector<std::string> strata_params;
  // Further Strata targets, "NAME:k=v[&k=v...]": the same URL with these parameters (and not
  // strata_params), timed beside the others and compared with Strata and Prometheus within
  // variant_tol, reporting the largest relative difference rather than failing.
  std::vector<std::string> variants;
  Tolerance variant_tol{0.05, 0};
  double aim_speedup = 0;           // Aim for Strata / variant time, at least (0: none).
  double aim_prometheus_ratio = 0;  // Aim for variant / Prometheus time, at most (0: none).
  // Ingest check (0: skip).
  int64_t expect_series = 0;
  int64_t expect_samples = 0;  // Non-stale samples: what count_over_time sees.
  int64_t data_first_ms = 0;
  int64_t data_last_ms = 0;
  int check_timeout_s = 120;
};

struct Server {
  std::string name;
  std::unique_ptr<HttpClient> client;
  std::string params;  // Added to each query: "&k=v..." (URL-encoded), or empty.
  int64_t pid = 0;     // For CPU time (0: not measured).
};

// Appends "&k=v" for one "k=v" (URL-encoding both) to *out; false with *error if malformed.
bool AppendParam(std::string_view kv, std::string* out, std::string* error) {
  const size_t eq = kv.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    *error = "bad parameter \"" + std::string(kv) + "\": want NAME=VALUE";
    return false;
  }
  *out += "&" + UrlEncode(kv.substr(0, eq)) + "=" + UrlEncode(kv.substr(eq + 1));
  return true;
}

// "NAME:k=v[&k=v...]" -> name and "&k=v..."; false with *error if malformed.
bool ParseVariant(std::string_view spec, std::string* name, std::string* params,
                  std::string* error) {
  const size_t colon = spec.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == spec.size()) {
    *error = "bad --variant \"" + std::string(spec) + "\": want NAME:k=v[&k=v...]";
    return false;
  }
  *name = std::string(spec.substr(0, colon));
  std::string_view rest = spec.substr(colon + 1);
  while (true) {
    const size_t amp = rest.find('&');
    if (!AppendParam(rest.substr(0, amp), params, error)) return false;
    if (amp == std::string_view::npos) return true;
    rest.remove_prefix(amp + 1);
  }
}

struct Timed {
  QueryResult result;
  double ms = 0;
};

Timed TimedRangeQuery(Server& s, const std::string& expr, const QueryOptions& o) {
  const std::string target =
      "/api/v1/query_range?query=" + UrlEncode(expr) + "&start=" + std::to_string(o.start_s) +
      "&end=" + std::to_string(o.end_s) + "&step=" + std::to_string(o.step_s) + s.params;
  const auto t0 = Clock::now();
  HttpResponse res = s.client->Get(target);
  const auto t1 = Clock::now();
  Timed t;
  t.ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  t.result = ParseQueryResponse(res);
  return t;
}

QueryResult InstantQuery(Server& s, const std::string& expr, double time_s) {
  char t[64];
  std::snprintf(t, sizeof(t), "%.3f", time_s);
  return ParseQueryResponse(s.client->Get("/api/v1/query?query=" + UrlEncode(expr) +
                                          "&time=" + std::string(t) + s.params));
}

// The single value of a one-element vector result, or NaN.
double SingleValue(const QueryResult& r) {
  if (!r.ok || r.series.size() != 1 || r.series[0].v.size() != 1) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return r.series[0].v[0];
}

// The values of label __name__, or an error.
std::vector<std::string> MetricNames(HttpClient& c, std::string* error) {
  const HttpResponse res = c.Get("/api/v1/label/__name__/values");
  JsonValue root;
  std::vector<std::string> names;
  std::string parse_error;
  if (res.status != 200 || !JsonParser(res.body).Parse(&root, &parse_error)) {
    *error = "label values: HTTP " + std::to_string(res.status) + " " + res.error + parse_error;
    return names;
  }
  const JsonValue* data = root.Find("data");
  if (data == nullptr || data->type != JsonValue::Type::kArray) {
    *error = "label values: no data array";
    return names;
  }
  for (const JsonValue& v : data->items) names.push_back(v.text);
  return names;
}

struct IngestCount {
  double series = 0;
  double samples = 0;
  std::vector<std::pair<std::string, double>> per_name;  // Non-stale samples per metric name.
  std::string error;
};

// count_over_time drops __name__, so counting across names would yield duplicate label sets
// (an error); hence one query per metric name.
IngestCount CountIngested(Server& c, double eval_s, int64_t range_s) {
  IngestCount n;
  const QueryResult series = InstantQuery(c, "count({__name__=~\".+\"})", eval_s);
  n.series = SingleValue(series);
  if (!series.ok) n.error = series.error;
  std::string error;
  for (const std::string& name : MetricNames(*c.client, &error)) {
    const QueryResult r = InstantQuery(
        c, "sum(count_over_time({__name__=\"" + name + "\"}[" + std::to_string(range_s) + "s]))",
        eval_s);
    const double v = SingleValue(r);
    if (!r.ok && error.empty()) error = name + ": " + r.error;
    n.per_name.emplace_back(name, v);
    n.samples += v;
  }
  if (n.error.empty()) n.error = error;
  return n;
}

// Waits until both servers (Strata with its parameters, Prometheus: servers[0] and [1]; not the
// variants) hold the expected series and non-stale samples (bounded by check_timeout_s).
// Returns false, with a report, if they never do.
bool CheckIngest(std::vector<Server>& servers, const QueryOptions& o, std::string* report) {
  const double eval_s = static_cast<double>(o.data_last_ms) / 1000;
  const int64_t range_s = (o.data_last_ms - o.data_first_ms) / 1000 + 3600;
  const auto deadline = Clock::now() + std::chrono::seconds(o.check_timeout_s);
  bool ok = false;
  std::string lines;
  while (true) {
    ok = true;
    lines.clear();
    std::vector<IngestCount> counts;
    for (size_t k = 0; k < 2; ++k) {
      Server& s = servers[k];
      const auto t0 = Clock::now();
      counts.push_back(CountIngested(s, eval_s, range_s));
      const IngestCount& n = counts.back();
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      char buf[256];
      std::snprintf(buf, sizeof(buf),
                    "- %s: %.0f series, %.0f samples in %zu metric names (%.0f ms)", s.name.c_str(),
                    n.series, n.samples, n.per_name.size(), ms);
      lines += buf;
      if (!n.error.empty()) lines += "; error: " + n.error;
      lines += "\n";
      if (n.series != static_cast<double>(o.expect_series) ||
          (o.expect_samples > 0 && n.samples != static_cast<double>(o.expect_samples))) {
        ok = false;
      }
    }
    if (!ok && counts.size() == 2 && counts[0].per_name != counts[1].per_name) {
      for (size_t i = 0; i < std::max(counts[0].per_name.size(), counts[1].per_name.size()); ++i) {
        auto get = [&](size_t k) {
          return i < counts[k].per_name.size() ? counts[k].per_name[i]
                                               : std::pair<std::string, double>{"(none)", 0};
        };
        if (get(0) != get(1)) {
          char buf[512];
          std::snprintf(buf, sizeof(buf),
                        "- first difference: Strata %s %.0f, Prometheus %s %.0f\n",
                        get(0).first.c_str(), get(0).second, get(1).first.c_str(), get(1).second);
          lines += buf;
          break;
        }
      }
    }
    if (ok || Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  char head[512];
  std::snprintf(head, sizeof(head),
                "Ingest check (instant queries at the last sample, t=%s): expected %lld series "
                "(`count({__name__=~\".+\"})`) and %lld non-stale samples "
                "(`sum(count_over_time({__name__=\"NAME\"}[%llds]))` over every NAME):\n",
                FormatTime(o.data_last_ms).c_str(), static_cast<long long>(o.expect_series),
                static_cast<long long>(o.expect_samples), static_cast<long long>(range_s));
  *report = head + lines;
  return ok;
}

double Median(std::vector<double> v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string Ms(double v) {
  if (std::isnan(v)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof(buf), v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f", v);
  return buf;
}

std::string MdCode(const std::string& s) {
  std::string out = "`";
  for (char c : s) {
    if (c == '|') {
      out += "\\|";
    } else {
      out += c;
    }
  }
  return out + "`";
}

// utime + stime of a process in ms from /proc, or NaN. Resolution: one clock tick (10 ms).
double ProcCpuMs(int64_t pid) {
  if (pid <= 0) return std::numeric_limits<double>::quiet_NaN();
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return std::numeric_limits<double>::quiet_NaN();
  // After "pid (comm)": state is field 3; utime and stime are fields 14 and 15.
  const char* p = stat.c_str() + paren + 1;
  double utime = 0, stime = 0;
  for (int field = 3; field <= 15; ++field) {
    while (*p == ' ') ++p;
    if (field == 14) utime = std::strtod(p, nullptr);
    if (field == 15) stime = std::strtod(p, nullptr);
    while (*p != ' ' && *p != '\0') ++p;
  }
  static const double kTickMs = 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  return (utime + stime) * kTickMs;
}

double Mean(const std::vector<double>& v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

struct QueryReport {
  std::string expr;
  // Per server (Strata, Prometheus, then the variants).
  std::vector<std::vector<double>> ms;
  std::vector<std::vector<double>> cpu_ms;  // Server CPU per timed run, request + pause.
  std::vector<QueryResult> first;           // The first answer of each server (compared).
  Comparison cmp;                           // Strata vs Prometheus, within QueryOptions::tol.
  bool compared = false;
  // Variant k (server 2 + k) vs Strata and vs Prometheus, within variant_tol; empty if either
  // side failed.
  std::vector<std::optional<Comparison>> vs_strata;
  std::vector<std::optional<Comparison>> vs_prometheus;
};

std::string Ratio(double a, double b) {
  if (std::isnan(a) || std::isnan(b) || b <= 0) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", a / b);
  return buf;
}

std::string RelText(double r) {
  if (std::isinf(r)) return "inf";
  if (r == 0) return "0";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2g", r);
  return buf;
}

// The resolutions named by annotations such as "data at 5m resolution used for [t1, t2]": the
// word before each " resolution", each once, comma-separated; "-" if none.
std::string Resolutions(const std::vector<std::string>& infos) {
  std::vector<std::string> found;
  for (const std::string& info : infos) {
    const size_t pos = info.find(" resolution");
    if (pos == std::string::npos || pos == 0) continue;
    const size_t space = info.rfind(' ', pos - 1);
    const size_t b = space == std::string::npos ? 0 : space + 1;
    std::string word = info.substr(b, pos - b);
    if (!word.empty() && std::find(found.begin(), found.end(), word) == found.end()) {
      found.push_back(std::move(word));
    }
  }
  std::string out;
  for (const std::string& w : found) out += (out.empty() ? "" : ",") + w;
  return out.empty() ? "-" : out;
}

// Times every query against every server: warmup + runs rounds, each server once per round, the
// first server rotating so that drift in host load hits all alike. Compares the first answers.
std::vector<QueryReport> TimeQueries(std::vector<Server>& servers,
                                     const std::vector<std::string>& queries,
                                     const QueryOptions& o) {
  const size_t n = servers.size();
  std::vector<QueryReport> reports;
  for (const std::string& expr : queries) {
    QueryReport rep;
    rep.expr = expr;
    rep.ms.resize(n);
    rep.cpu_ms.resize(n);
    rep.first.resize(n);
    std::fprintf(stderr, "query: %s\n", expr.c_str());
    std::vector<bool> have(n, false);
    for (int run = 0; run < o.warmup + o.runs; ++run) {
      for (size_t k = 0; k < n; ++k) {
        const size_t s = (k + static_cast<size_t>(run)) % n;
        if (have[s] && !rep.first[s].ok) continue;  // It failed once; don't time errors.
        const double cpu0 = ProcCpuMs(servers[s].pid);
        Timed t = TimedRangeQuery(servers[s], expr, o);
        std::this_thread::sleep_for(std::chrono::milliseconds(o.pause_ms));
        const double cpu = ProcCpuMs(servers[s].pid) - cpu0;
        if (!have[s]) {
          rep.first[s] = std::move(t.result);
          have[s] = true;
          if (!rep.first[s].ok) continue;
        } else if (!t.result.ok) {
          rep.first[s] = std::move(t.result);  // Report the later failure.
          continue;
        }
        if (run >= o.warmup) {
          rep.ms[s].push_back(t.ms);
          if (!std::isnan(cpu)) rep.cpu_ms[s].push_back(cpu);
        }
      }
    }
    if (rep.first[0].ok && rep.first[1].ok) {
      rep.cmp = Compare(rep.first[0], rep.first[1], o.tol, servers[0].name, servers[1].name);
      rep.compared = true;
    }
    std::string line = "  ";
    for (size_t s = 0; s < n; ++s) {
      line += (s ? ", " : "") + servers[s].name + " " + Ms(Median(rep.ms[s])) + " ms";
    }
    line += !rep.compared  ? ", not compared (error)"
            : rep.cmp.same ? ", same answer"
                           : ", DIFFERENT answers";
    for (size_t s = 2; s < n; ++s) {
      auto& vs = rep.vs_strata.emplace_back();
      auto& vp = rep.vs_prometheus.emplace_back();
      if (!rep.first[s].ok) continue;
      if (rep.first[0].ok) {
        vs = Compare(rep.first[s], rep.first[0], o.variant_tol, servers[s].name, servers[0].name);
        line += "; " + servers[s].name + " vs " + servers[0].name + ": max rel. diff " +
                RelText(vs->max_rel);
      }
      if (rep.first[1].ok) {
        vp = Compare(rep.first[s], rep.first[1], o.variant_tol, servers[s].name, servers[1].name);
        line += ", vs " + servers[1].name + " " + RelText(vp->max_rel);
      }
    }
    std::fprintf(stderr, "%s\n", line.c_str());
    reports.push_back(std::move(rep));
  }
  return reports;
}

// The Markdown of the plain comparison: Strata vs Prometheus. Sets *met and *timed.
std::string TwoWayTable(const std::vector<QueryReport>& reports, const QueryOptions& o, int* met,
                        int* timed) {
  std::string md = "| query | Strata median ms | Prometheus median ms | ratio | same answer |\n";
  md += "|---|---:|---:|---:|---|\n";
  for (const QueryReport& r : reports) {
    const double a = Median(r.ms[0]);
    const double b = Median(r.ms[1]);
    const std::string ratio = Ratio(a, b);
    if (ratio != "n/a") {
      (*timed)++;
      if (a / b <= 0.5) (*met)++;
    }
    std::string same;
    if (!r.compared) {
      same = !r.first[0].ok ? "error (Strata)" : "error (Prometheus)";
    } else if (r.cmp.same) {
      same = "yes";
    } else {
      same = "**no**";
    }
    md += "| " + MdCode(r.expr) + " | " + Ms(a) + " | " + Ms(b) + " | " + ratio + " | " + same +
          " |\n";
  }
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "\nAim (Strata <= 0.5x Prometheus): met by %d of %zu queries. Ratio = Strata / "
                "Prometheus median wall-clock time of the whole HTTP request (%d warm-up + %d "
                "timed runs per server, alternating, %d ms pause after each), range "
                "%lld..%lld, step %llds.\n",
                *met, reports.size(), o.warmup, o.runs, o.pause_ms,
                static_cast<long long>(o.start_s), static_cast<long long>(o.end_s),
                static_cast<long long>(o.step_s));
  return md + buf;
}

// A variant's comparison cell: the largest relative difference, points only on one side, and
// when the answers are not within the tolerance, in bold, with how many points are off.
std::string DiffCell(const std::optional<Comparison>& c) {
  if (!c) return "n/a";
  std::string cell = RelText(c->max_rel);
  if (c->points_only_a > 0 || c->points_only_b > 0) {
    cell += " (+" + std::to_string(c->points_only_a) + "/-" + std::to_string(c->points_only_b) +
            " points)";
  }
  if (c->same) return cell;
  return "**" + cell + "**, " + std::to_string(c->differing_points) + " of " +
         std::to_string(c->matched_points + c->points_only_a + c->points_only_b) + " points off";
}

// The Markdown of a run with variants: per query every server's median, whether Strata and
// Prometheus agree, and per variant its speed-up over Strata, its ratio to Prometheus, its largest
// relative differences and the resolutions its annotations name. Sets *met (variant aims met by
// every variant) and *timed.
std::string VariantTable(const std::vector<Server>& servers,
                         const std::vector<QueryReport>& reports, const QueryOptions& o, int* met,
                         int* timed) {
  const std::string& base = servers[0].name;
  const std::string& prom = servers[1].name;
  std::string md = "| query | " + base + " ms";
  std::string align = "|---|---:";
  for (size_t s = 2; s < servers.size(); ++s) {
    md += " | " + servers[s].name + " ms";
    align += "|---:";
  }
  md += " | " + prom + " ms | " + base + " = " + prom;
  align += "|---:|---";
  for (size_t s = 2; s < servers.size(); ++s) {
    const std::string& v = servers[s].name;
    md += " | speed-up " + base + " / " + v + " | " + v + " / " + prom + " | max rel. diff " + v +
          " vs " + base + " | max rel. diff " + v + " vs " + prom + " | " + v +
          " resolutions (infos)";
    align += "|---:|---:|---:|---:|---";
  }
  md += " |\n" + align + "|\n";
  const size_t nv = servers.size() - 2;
  std::vector<int> speed_met(nv), ratio_met(nv), tol_base(nv), tol_prom(nv);
  for (const QueryReport& r : reports) {
    const double a = Median(r.ms[0]);
    const double p = Median(r.ms[1]);
    md += "| " + MdCode(r.expr) + " | " + Ms(a);
    for (size_t s = 2; s < servers.size(); ++s) md += " | " + Ms(Median(r.ms[s]));
    md += " | " + Ms(p) + " | ";
    md += !r.compared  ? (!r.first[0].ok ? "error (" + base + ")" : "error (" + prom + ")")
          : r.cmp.same ? "yes"
                       : "**no**";
    bool all_met = true;
    bool all_timed = true;
    for (size_t k = 0; k < nv; ++k) {
      const size_t s = 2 + k;
      const double v = Median(r.ms[s]);
      std::string speed = Ratio(a, v);
      std::string ratio = Ratio(v, p);
      if (speed == "n/a" || ratio == "n/a") all_timed = false;
      if (speed != "n/a") {
        speed += "x";
        if (o.aim_speedup > 0) {
          const bool ok = a / v >= o.aim_speedup;
          speed_met[k] += ok;
          all_met = all_met && ok;
          if (!ok) speed = "**" + speed + "**";
        }
      }
      if (ratio != "n/a" && o.aim_prometheus_ratio > 0) {
        const bool ok = v / p <= o.aim_prometheus_ratio;
        ratio_met[k] += ok;
        all_met = all_met && ok;
        if (!ok) ratio = "**" + ratio + "**";
      }
      tol_base[k] += r.vs_strata[k] && r.vs_strata[k]->same;
      tol_prom[k] += r.vs_prometheus[k] && r.vs_prometheus[k]->same;
      const QueryResult& q = r.first[s];
      md += " | " + speed + " | " + ratio + " | " + DiffCell(r.vs_strata[k]) + " | " +
            DiffCell(r.vs_prometheus[k]) + " | " +
            (q.ok ? Resolutions(q.infos) + " (" + std::to_string(q.infos.size()) + ")" : "error");
    }
    md += " |\n";
    if (all_timed) {
      (*timed)++;
      if (all_met) (*met)++;
    }
  }
  char buf[2048];
  md += "\n";
  for (size_t k = 0; k < nv; ++k) {
    const std::string& v = servers[2 + k].name;
    std::string line = v + ":";
    if (o.aim_speedup > 0) {
      std::snprintf(buf, sizeof(buf), " aim %s / %s >= %gx met by %d of %zu queries;", base.c_str(),
                    v.c_str(), o.aim_speedup, speed_met[k], reports.size());
      line += buf;
    }
    if (o.aim_prometheus_ratio > 0) {
      std::snprintf(buf, sizeof(buf), " aim %s / %s <= %g met by %d of %zu;", v.c_str(),
                    prom.c_str(), o.aim_prometheus_ratio, ratio_met[k], reports.size());
      line += buf;
    }
    std::snprintf(
        buf, sizeof(buf), " answers within the tolerance of %s's: %d of %zu, of %s's: %d of %zu.\n",
        base.c_str(), tol_base[k], reports.size(), prom.c_str(), tol_prom[k], reports.size());
    md += line + buf;
  }
  std::snprintf(
      buf, sizeof(buf),
      "\nTimes are medians of the wall-clock time of the whole HTTP request (%d warm-up + %d "
      "timed runs per target, the first target rotating, %d ms pause after each), range "
      "%lld..%lld, step %llds. Max rel. diff: the largest |a - b| / max(|a|, |b|) over the "
      "points both answers have (same series, same time; differences up to %g count as 0, "
      "NaN against a number as inf); (+a/-b points): points only in the variant's / only in "
      "the other answer. Bold: not within the tolerance (relative %g, absolute %g, and no "
      "point on one side only; then how many points are off), or an aim missed. %s = %s: the "
      "same answer within relative "
      "%g. Resolutions: the word before \"resolution\" in each of the variant's `infos` "
      "annotations, then how many it returned.\n",
      o.warmup, o.runs, o.pause_ms, static_cast<long long>(o.start_s),
      static_cast<long long>(o.end_s), static_cast<long long>(o.step_s), o.variant_tol.abs,
      o.variant_tol.rel, o.variant_tol.abs, base.c_str(), prom.c_str(), o.tol.rel);
  return md + buf;
}

std::string JsonNumber(double v) {
  if (std::isnan(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", std::isinf(v) ? 1e308 : v);
  return buf;
}

int RunQuery(const QueryOptions& o) {
  std::vector<std::string> queries;
  if (!o.queries_file.empty()) {
    std::ifstream in(o.queries_file);
    if (!in) {
      std::fprintf(stderr, "query_bench query: cannot read %s\n", o.queries_file.c_str());
      return 2;
    }
    for (std::string line; std::getline(in, line);) {
      const size_t b = line.find_first_not_of(" \t");
      if (b == std::string::npos || line[b] == '#') continue;
      queries.push_back(line.substr(b));
    }
  } else {
    queries.assign(std::begin(kDefaultQueries), std::end(kDefaultQueries));
  }
  if (queries.empty()) {
    std::fprintf(stderr, "query_bench query: no queries\n");
    return 2;
  }
  std::vector<Server> servers;
  std::string error;
  std::string strata_params;
  for (const std::string& kv : o.strata_params) {
    if (!AppendParam(kv, &strata_params, &error)) {
      std::fprintf(stderr, "query_bench query: --param: %s\n", error.c_str());
      return 2;
    }
  }
  struct Spec {
    std::string name, url, params;
    int64_t pid;
  };
  std::vector<Spec> specs = {{o.strata_name, o.strata_url, strata_params, o.pids[0]},
                             {"Prometheus", o.prometheus_url, "", o.pids[1]}};
  for (const std::string& v : o.variants) {
    Spec spec{"", o.strata_url, "", o.pids[0]};
    if (!ParseVariant(v, &spec.name, &spec.params, &error)) {
      std::fprintf(stderr, "query_bench query: %s\n", error.c_str());
      return 2;
    }
    specs.push_back(std::move(spec));
  }
  for (Spec& spec : specs) {
    auto u = ParseUrl(spec.url);
    if (!u) {
      std::fprintf(stderr, "query_bench query: bad URL \"%s\"\n", spec.url.c_str());
      return 2;
    }
    servers.push_back({std::move(spec.name), std::make_unique<HttpClient>(*u, o.timeout_s),
                       std::move(spec.params), spec.pid});
  }

  bool all_ok = true;
  std::string ingest_report;
  if (o.expect_series > 0) {
    if (!CheckIngest(servers, o, &ingest_report)) {
      all_ok = false;
      ingest_report += "**Ingest check failed: the servers do not hold the expected data.**\n";
    }
    std::fputs(ingest_report.c_str(), stderr);
  }

  const std::vector<QueryReport> reports = TimeQueries(servers, queries, o);
  for (const QueryReport& r : reports) {
    for (const QueryResult& q : r.first) all_ok = all_ok && q.ok;
    all_ok = all_ok && r.compared && r.cmp.same;
  }

  // Report.
  std::string md = ingest_report.empty() ? "" : ingest_report + "\n";
  int met = 0;
  int timed = 0;
  char buf[512];
  if (servers.size() == 2) {
    md += TwoWayTable(reports, o, &met, &timed);
  } else {
    md += VariantTable(servers, reports, o, &met, &timed);
  }
  if (o.pids[0] > 0 && o.pids[1] > 0) {
    md +=
        "\nServer CPU time (user + sys) per query, mean of the timed runs, counted from the "
        "request to the end of the pause after it, so background work such as garbage "
        "collection is included:\n\n";
    if (servers.size() == 2) {
      md += "| query | Strata CPU ms | Prometheus CPU ms | ratio |\n|---|---:|---:|---:|\n";
    } else {
      std::string align = "|---";
      md += "| query";
      for (const Server& s : servers) {
        md += " | " + s.name + " CPU ms";
        align += "|---:";
      }
      md += " |\n" + align + "|\n";
    }
    for (const QueryReport& r : reports) {
      md += "| " + MdCode(r.expr);
      for (size_t s = 0; s < servers.size(); ++s) md += " | " + Ms(Mean(r.cpu_ms[s]));
      if (servers.size() == 2) md += " | " + Ratio(Mean(r.cpu_ms[0]), Mean(r.cpu_ms[1]));
      md += " |\n";
    }
  }
  md += "\nResult sizes and every run (ms):\n\n";
  for (const QueryReport& r : reports) {
    md += "- " + MdCode(r.expr) + "\n";
    for (size_t s = 0; s < servers.size(); ++s) {
      const QueryResult& q = r.first[s];
      std::string runs;
      for (double v : r.ms[s]) runs += (runs.empty() ? "" : " ") + Ms(v);
      if (q.ok) {
        std::snprintf(buf, sizeof(buf), "  - %s: %zu series, %lld points, %.1f KiB JSON; runs: ",
                      servers[s].name.c_str(), q.series.size(), static_cast<long long>(q.points),
                      static_cast<double>(q.bytes) / 1024);
        md += buf + runs + "\n";
        for (const auto& [what, list] :
             {std::pair{"info", &q.infos}, std::pair{"warning", &q.warnings}}) {
          for (size_t i = 0; i < list->size() && i < 3; ++i) {
            md += "    - " + std::string(what) + ": " + (*list)[i] + "\n";
          }
          if (list->size() > 3) {
            md += "    - ... " + std::to_string(list->size() - 3) + " more " + what + "s\n";
          }
        }
      } else {
        md += "  - " + servers[s].name + ": error: " + q.error + "\n";
      }
    }
    if (r.compared && !r.cmp.same) {
      std::snprintf(buf, sizeof(buf),
                    "  - **answers differ**: %lld series only in %s, %lld only in "
                    "%s, %lld series with %lld differing points. First differences:\n",
                    static_cast<long long>(r.cmp.only_a), servers[0].name.c_str(),
                    static_cast<long long>(r.cmp.only_b), servers[1].name.c_str(),
                    static_cast<long long>(r.cmp.differing_series),
                    static_cast<long long>(r.cmp.differing_points));
      md += buf;
      for (const std::string& e : r.cmp.examples) md += "    - " + e + "\n";
    }
    for (size_t k = 0; k < r.vs_strata.size(); ++k) {
      for (const std::optional<Comparison>* c : {&r.vs_strata[k], &r.vs_prometheus[k]}) {
        if (!*c) continue;
        const std::string& other = servers[c == &r.vs_strata[k] ? 0 : 1].name;
        std::snprintf(buf, sizeof(buf),
                      "  - %s vs %s: %lld points compared, %lld off by more than the "
                      "tolerance or on one side only; largest relative difference %s",
                      servers[2 + k].name.c_str(), other.c_str(),
                      static_cast<long long>((*c)->matched_points),
                      static_cast<long long>((*c)->differing_points),
                      RelText((*c)->max_rel).c_str());
        md += buf;
        md += (*c)->max_rel > 0 ? " at " + (*c)->max_rel_at + "\n" : "\n";
        for (const std::string& e : (*c)->examples) md += "    - " + e + "\n";
      }
    }
  }
  std::fputs(md.c_str(), stdout);

  std::string json;
  for (const QueryReport& r : reports) {
    if (!json.empty()) json += ",";
    std::snprintf(buf, sizeof(buf),
                  "{\"strata_ms\":%.3f,\"prometheus_ms\":%.3f,\"same\":%s,\"strata_error\":\"",
                  std::isnan(Median(r.ms[0])) ? -1 : Median(r.ms[0]),
                  std::isnan(Median(r.ms[1])) ? -1 : Median(r.ms[1]),
                  r.compared && r.cmp.same ? "true" : "false");
    json += std::string(buf) + JsonEscape(r.first[0].ok ? "" : r.first[0].error) +
            "\",\"prometheus_error\":\"" + JsonEscape(r.first[1].ok ? "" : r.first[1].error) +
            "\",\"query\":\"" + JsonEscape(r.expr) + "\"";
    if (servers.size() > 2) {
      json += ",\"variants\":[";
      for (size_t k = 0; k < r.vs_strata.size(); ++k) {
        const size_t s = 2 + k;
        const double v = Median(r.ms[s]);
        const auto& vs = r.vs_strata[k];
        const auto& vp = r.vs_prometheus[k];
        json += std::string(k ? "," : "") + "{\"name\":\"" + JsonEscape(servers[s].name) +
                "\",\"ms\":" + JsonNumber(v) + ",\"error\":\"" +
                JsonEscape(r.first[s].ok ? "" : r.first[s].error) +
                "\",\"speedup\":" + JsonNumber(Median(r.ms[0]) / v) +
                ",\"prometheus_ratio\":" + JsonNumber(v / Median(r.ms[1])) +
                ",\"max_rel_vs_strata\":" + JsonNumber(vs ? vs->max_rel : NAN) +
                ",\"within_tol_vs_strata\":" + (vs && vs->same ? "true" : "false") +
                ",\"max_rel_vs_prometheus\":" + JsonNumber(vp ? vp->max_rel : NAN) +
                ",\"within_tol_vs_prometheus\":" + (vp && vp->same ? "true" : "false") +
                ",\"resolutions\":\"" + JsonEscape(Resolutions(r.first[s].infos)) +
                "\",\"infos\":" + std::to_string(r.first[s].infos.size()) + "}";
      }
      json += "]";
    }
    json += "}";
  }
  std::printf(
      "{\"tool\":\"query_bench\",\"phase\":\"query\",\"ok\":%s,\"met\":%d,\"timed\":%d,"
      "\"queries\":[%s]}\n",
      all_ok ? "true" : "false", met, timed, json.c_str());
  std::fflush(stdout);
  return all_ok ? 0 : 1;
}

}  // namespace
}  // namespace strata::tools

int main(int argc, char** argv) {
  using strata::tools::LoadOptions;
  using strata::tools::QueryOptions;
  CLI::App app{"Strata vs Prometheus PromQL query benchmark driver", "query_bench"};
  app.require_subcommand(1);

  LoadOptions lo;
  CLI::App* load =
      app.add_subcommand("load", "Generate the workload and remote-write it to every --url");
  load->add_option("--url", lo.urls,
                   "Remote-write endpoint (repeatable): http://host:port/api/v1/write");
  load->add_option("--series", lo.workload.series, "Series, rounded to whole hosts of 100")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  load->add_option("--hours", lo.workload.hours, "Time span of the data")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  load->add_option("--interval-ms", lo.workload.interval_ms, "Scrape interval")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  load->add_option("--end-ms", lo.workload.end_ms, "End of the data (default: now)");
  load->add_option("--seed", lo.workload.seed, "Workload seed")->capture_default_str();
  load->add_option("--reboot-every", lo.workload.down_every,
                   "Host h reboots (staleness, gap, counter resets) if h % N == 7; 0: never")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  load->add_option("--window-steps", lo.workload.window_steps, "Samples per TimeSeries")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  load->add_option("--batch-samples", lo.workload.batch_samples, "Samples per request (about)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  load->add_option("--from-step", lo.workload.from_step,
                   "Send only steps >= N (values are still generated from step 0)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  load->add_option("--to-step", lo.workload.to_step, "Send only steps < N (default: all)")
      ->check(CLI::PositiveNumber);
  load->add_option("--max-retries", lo.max_retries, "Retries per request on 5xx/429/transport")
      ->capture_default_str();
  load->add_option("--timeout-s", lo.timeout_s, "Socket timeout")->capture_default_str();
  load->add_flag("--dry-run", lo.dry_run, "Encode the workload, send nothing");
  load->add_option("--print", lo.print, "With --dry-run: print this many samples");

  QueryOptions qo;
  CLI::App* query = app.add_subcommand("query", "Time and compare query_range queries");
  query->add_option("--strata", qo.strata_url, "Strata base URL, http://host:port")->required();
  query->add_option("--prometheus", qo.prometheus_url, "Prometheus base URL")->required();
  query->add_option("--start", qo.start_s, "Range start, Unix seconds")->required();
  query->add_option("--end", qo.end_s, "Range end, Unix seconds")->required();
  query->add_option("--step", qo.step_s, "Step, seconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  query->add_option("--runs", qo.runs, "Timed runs per query and server")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  query->add_option("--warmup", qo.warmup, "Untimed runs first")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  query->add_option("--queries-file", qo.queries_file,
                    "One PromQL expression per line (# comments); default: the built-in set");
  query->add_option("--rel-tol", qo.tol.rel, "Relative tolerance of value comparison")
      ->capture_default_str();
  query->add_option("--abs-tol", qo.tol.abs, "Absolute tolerance of value comparison")
      ->capture_default_str();
  query->add_option("--timeout-s", qo.timeout_s, "Socket timeout per request")
      ->capture_default_str();
  query->add_option("--pause-ms", qo.pause_ms, "Idle time after every request (not timed)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  query->add_option("--strata-pid", qo.pids[0], "Strata's pid, to report its CPU time");
  query->add_option("--prometheus-pid", qo.pids[1], "Prometheus' pid, to report its CPU time");
  query->add_option("--expect-series", qo.expect_series, "Ingest check: series (0: skip)");
  query->add_option("--expect-samples", qo.expect_samples, "Ingest check: non-stale samples");
  query->add_option("--data-first-ms", qo.data_first_ms, "First sample timestamp");
  query->add_option("--data-last-ms", qo.data_last_ms, "Last sample timestamp");
  query->add_option("--check-timeout-s", qo.check_timeout_s, "Ingest check deadline")
      ->capture_default_str();
  query->add_option("--strata-name", qo.strata_name, "Strata's name in the report")
      ->capture_default_str();
  query->add_option("--param", qo.strata_params,
                    "URL parameter NAME=VALUE added to every Strata query (repeatable), e.g. "
                    "max_source_resolution=raw");
  query->add_option("--variant", qo.variants,
                    "Also time Strata with other parameters (repeatable): \"NAME:k=v[&k=v...]\", "
                    "e.g. \"Strata auto:max_source_resolution=auto\" (without --param's); its "
                    "answers are compared with Strata's and Prometheus' within --variant-rel-tol "
                    "and the largest relative difference is reported");
  query
      ->add_option("--variant-rel-tol", qo.variant_tol.rel,
                   "Relative tolerance of a variant's answers")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  query
      ->add_option("--variant-abs-tol", qo.variant_tol.abs,
                   "Absolute tolerance of a variant's answers (smaller differences count as 0)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  query
      ->add_option("--aim-speedup", qo.aim_speedup,
                   "Aim: Strata's time / a variant's at least this (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  query
      ->add_option("--aim-prometheus-ratio", qo.aim_prometheus_ratio,
                   "Aim: a variant's time / Prometheus' at most this (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  CLI::App* list =
      app.add_subcommand("queries", "Print the built-in dashboard queries, one a line");
  CLI11_PARSE(app, argc, argv);
  if (load->parsed()) return strata::tools::RunLoad(lo);
  if (list->parsed()) {
    for (const char* q : strata::tools::kDefaultQueries) std::printf("%s\n", q);
    return 0;
  }
  return strata::tools::RunQuery(qo);
}
