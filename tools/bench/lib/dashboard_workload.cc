#include "bench/lib/dashboard_workload.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <tuple>
#include <utility>

#include "bench/lib/remote_write_encoder.h"

namespace strata::bench {
namespace {

constexpr double kBuckets[] = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 0};  // 0: +Inf.
constexpr int kNumBuckets = 8;
constexpr const char* kBucketLabels[] = {"0.01", "0.025", "0.05", "0.1",
                                         "0.25", "0.5",   "1",    "+Inf"};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::vector<Template> DashboardNodeTemplate() {
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

Group::Group(const Template& tmpl, std::vector<std::string> label_blocks, int64_t offset_ms,
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
    value_ = InitialValue(model_, base_, rate_, /*after_reboot=*/false, &rng_);
  }
}

void Group::Emit(int64_t step, int64_t t_ms, double* out) {
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
  value_ = NextValue(model_, value_, rate_, &rng_);
}

// Counters restart near zero, the boot time moves; gauges carry on.
void Group::Reboot(int64_t t_ms) {
  if (model_ == Model::kHistogram) {
    std::fill(cumulative_.begin(), cumulative_.end(), 0);
    hist_sum_ = 0;
  } else if (model_ == Model::kBootTime) {
    value_ = std::floor(static_cast<double>(t_ms) / 1000 - 20);
  } else if (IsCounter(model_)) {
    value_ = InitialValue(model_, base_, rate_, /*after_reboot=*/true, &rng_);
  }
}

// Adds `requests` observations from a log-normal latency distribution whose median drifts
// with a 2 h period, so quantiles move over the day.
void Group::HistogramStep(double requests, int64_t t_ms) {
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

DashboardWorkload MakeDashboardWorkload(const DashboardOptions& o) {
  DashboardWorkload w;
  w.hosts = std::max<int64_t>(1, (o.series + kSeriesPerHost / 2) / kSeriesPerHost);
  w.steps = std::max<int64_t>(
      1, std::llround(o.hours * 3600 * 1000 / static_cast<double>(o.interval_ms)));
  const int64_t end_ms = o.end_ms.value_or(NowMs());
  w.start_ms = end_ms - w.steps * o.interval_ms;
  Downtime reboot;
  reboot.start = w.steps * 5 / 8;
  reboot.end = std::min(w.steps, reboot.start + std::clamp<int64_t>(w.steps / 24, 1, 60));
  const std::vector<Template> node = DashboardNodeTemplate();
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

void EncodeDashboard(const DashboardOptions& o, DashboardWorkload* w,
                     const std::function<void(std::string snappy_body)>& emit,
                     DashboardEncodeStats* stats) {
  std::string raw;
  int64_t in_batch = 0;
  auto flush = [&] {
    std::string body = SnappyCompress(raw);
    stats->requests++;
    stats->raw_bytes += raw.size();
    stats->snappy_bytes += body.size();
    if (stats->first_request_raw.empty()) stats->first_request_raw = raw;
    emit(std::move(body));
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
          char sample[kMaxSampleFieldBytes];
          samples.append(sample, EncodeSampleField(v, times[i], sample));
          stats->first_ms = std::min(stats->first_ms, times[i]);
          stats->last_ms = std::max(stats->last_ms, times[i]);
          count++;
        }
        if (count == 0) continue;
        AppendTimeSeries(&raw, g.labels(k), samples);
        stats->samples += count;
        in_batch += count;
        if (in_batch >= o.batch_samples) flush();
      }
    }
  }
  if (in_batch > 0) flush();
}

}  // namespace strata::bench
