#include "bench/lib/node_workload.h"

#include <algorithm>
#include <cstdio>
#include <tuple>
#include <utility>

#include "bench/lib/remote_write_encoder.h"

namespace strata::bench {

std::vector<Template> NodeHostTemplate() {
  std::vector<Template> t;
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
    LabelList l = {{"device", dev}, {"fstype", fstype}, {"mountpoint", mnt}};
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
  std::vector<Template> counters, gauges, mixed;
  for (auto& s : t) (IsCounter(s.model) ? counters : gauges).push_back(std::move(s));
  for (size_t i = 0; i < std::max(counters.size(), gauges.size()); ++i) {
    if (i < counters.size()) mixed.push_back(std::move(counters[i]));
    if (i < gauges.size()) mixed.push_back(std::move(gauges[i]));
  }
  return mixed;
}

NodeSeries::NodeSeries(const Template& tmpl, const std::string& instance, int64_t offset_ms,
                       uint64_t seed)
    : model_(tmpl.model),
      rate_(tmpl.rate),
      base_(tmpl.base),
      offset_ms_(offset_ms),
      rng_{seed},
      name_(tmpl.name),
      instance_(instance) {
  for (const auto& [name, value] : tmpl.labels) {
    attributes_.push_back(EncodeStringAttribute(name, value));
  }
  LabelList labels = tmpl.labels;
  labels.emplace_back("__name__", tmpl.name);
  labels.emplace_back("instance", instance);
  labels.emplace_back("job", "node");
  label_block_ = EncodeLabels(std::move(labels));
  value_ = InitialValue(model_, base_, rate_, /*after_reboot=*/false, &rng_);
}

double NodeSeries::TakeNext() {
  const double v = value_;
  value_ = NextValue(model_, value_, rate_, &rng_);
  return v;
}

void NodeSeries::AppendNext(std::string* request, int64_t t_ms) {
  char sample[kMaxSampleFieldBytes];
  const size_t n = EncodeSampleField(TakeNext(), t_ms, sample);
  AppendTimeSeries(request, label_block_, std::string_view(sample, n));
}

void NodeSeries::AppendNextOtlp(OtlpRequestBuilder* request, int64_t t_ms) {
  request->Add(instance_, name_, counter(), attributes_, t_ms, TakeNext());
}

NodeWorkload MakeNodeWorkload(int64_t series, int64_t interval_ms, uint64_t seed) {
  const std::vector<Template> tmpl = NodeHostTemplate();
  NodeWorkload w;
  w.series.reserve(static_cast<size_t>(series));
  const auto per_host = static_cast<int64_t>(tmpl.size());
  for (int64_t i = 0; i < series; ++i) {
    const int64_t host = i / per_host;
    char instance[32];
    std::snprintf(instance, sizeof(instance), "host-%04lld:9100", static_cast<long long>(host));
    // Targets are scraped at a fixed offset within the interval, as Prometheus spreads them.
    Rng host_rng{seed * 1000003 + static_cast<uint64_t>(host)};
    const int64_t offset = host_rng.Below(std::max<int64_t>(1, interval_ms));
    w.series.emplace_back(tmpl[static_cast<size_t>(i % per_host)], instance, offset,
                          (seed << 32) ^ static_cast<uint64_t>(i) * 0x2545F4914F6CDD1DULL);
    (w.series.back().counter() ? w.counters : w.gauges)++;
    w.label_bytes += static_cast<int64_t>(w.series.back().label_bytes());
  }
  w.hosts = (series + per_host - 1) / per_host;
  return w;
}

}  // namespace strata::bench
