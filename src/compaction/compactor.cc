// Compactor: the move and retention planner, and its background thread.
#include "compaction/compactor.h"

#include <malloc.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <condition_variable>
#include <filesystem>

#include "base/crash_point.h"
#include "base/dir_size.h"
#include "base/log.h"

namespace strata::compaction {

struct Compactor::Metrics {
  explicit Metrics(prometheus::Registry* r)
      : runs(prometheus::BuildCounter()
                 .Name("strata_compactions_total")
                 .Help("Head-to-warm moves completed.")
                 .Register(*r)
                 .Add({})),
        failed(prometheus::BuildCounter()
                   .Name("strata_compactions_failed_total")
                   .Help("Head-to-warm moves or retention runs that failed (retried later).")
                   .Register(*r)
                   .Add({})),
        seconds(prometheus::BuildCounter()
                    .Name("strata_compaction_duration_seconds_total")
                    .Help("Time spent in head-to-warm moves.")
                    .Register(*r)
                    .Add({})),
        last_seconds(prometheus::BuildGauge()
                         .Name("strata_compaction_last_duration_seconds")
                         .Help("Duration of the last head-to-warm move.")
                         .Register(*r)
                         .Add({})),
        retention_dropped(prometheus::BuildCounter()
                              .Name("strata_retention_partitions_dropped_total")
                              .Help("Warm partitions deleted by retention (time or size).")
                              .Register(*r)
                              .Add({})) {}
  prometheus::Counter& runs;
  prometheus::Counter& failed;
  prometheus::Counter& seconds;
  prometheus::Gauge& last_seconds;
  prometheus::Counter& retention_dropped;
};

Status CompactorOptions::Validate() const {
  if (chunk_range_ms <= 0) return Status::InvalidArgument("chunk range must be positive");
  if (retention_ms < 0) return Status::InvalidArgument("retention must not be negative");
  if (retention_ms != 0 && retention_ms < chunk_range_ms) {
    return Status::InvalidArgument("retention (" + std::to_string(retention_ms) +
                                   " ms) must be 0 or at least the chunk range (" +
                                   std::to_string(chunk_range_ms) + " ms)");
  }
  if (check_interval.count() <= 0) return Status::InvalidArgument("check interval must be > 0");
  return Status::Ok();
}

Compactor::Compactor(storage::Head* head, storage::WarmStore* warm, CompactorOptions options,
                     prometheus::Registry* registry)
    : head_(head), warm_(warm), options_(std::move(options)) {
  if (registry != nullptr) metrics_ = std::make_unique<Metrics>(registry);
}

Compactor::~Compactor() { Stop(); }

namespace {

int64_t FloorTo(int64_t t, int64_t range) {
  int64_t q = t / range;
  if (t % range < 0) --q;
  return q * range;
}

// The WAL's size for size-based retention: segments and checkpoints, not the damaged-* copies
// a salvage left for the operator.
uint64_t WalBytes(const std::string& dir) {
  std::error_code ec;
  uint64_t total = 0;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind("damaged-", 0) == 0) continue;
    std::error_code e;
    if (it->is_directory(e)) {
      total += DirectoryBytes(it->path().string());
    } else if (it->is_regular_file(e)) {
      total += it->file_size(e);
    }
  }
  return total;
}

}  // namespace

Status Compactor::MoveOne(bool* moved, CompactionReport* report,
                          const std::function<void(const std::string&)>& progress) {
  *moved = false;
  const int64_t range = options_.chunk_range_ms;
  const int64_t head_max = head_->MaxTime();
  // Like Prometheus: move once the head spans more than 1.5 chunk ranges, so at least half a
  // range stays in memory behind the newest sample. The cheap lower bound rules most checks
  // out; the exact oldest time (a pass over the series) then picks the range, so a head with a
  // gap (old samples, then nothing for days) does not walk through empty ranges.
  auto due = [&](int64_t min_t) {
    // 128-bit: timestamps may be anywhere in int64.
    return min_t <= head_max && static_cast<__int128>(head_max) - FloorTo(min_t, range) >
                                    static_cast<__int128>(range / 2 * 3);
  };
  if (!due(head_->MinTimeLowerBound())) return Status::Ok();
  const int64_t head_min = head_->MinTime();
  if (!due(head_min)) return Status::Ok();
  int64_t lo = FloorTo(head_min, range);
  int64_t hi = lo + range;
  auto start = std::chrono::steady_clock::now();
  head_->SetMinValidTime(hi);
  // An append older than lo may have been accepted between the scan and the new bound (a new
  // series backfilling): then move its range first, since truncation drops all before hi.
  // Nothing older than the bound can arrive after this second scan.
  if (const int64_t again = head_->MinTime(); again < lo) {
    lo = FloorTo(again, range);
    hi = lo + range;
  }
  std::vector<storage::WarmSeriesData> data = head_->CollectRange(lo, hi);
  uint64_t chunks = 0;
  for (const auto& d : data) chunks += d.chunks.size();
  CrashPoint("compact-collected");
  if (options_.before_warm_write) STRATA_RETURN_IF_ERROR(options_.before_warm_write());
  STRATA_RETURN_IF_ERROR(warm_->WriteRange(lo, hi, data)
                             .WithContext("writing [" + std::to_string(lo) + ", " +
                                          std::to_string(hi) + ") to the warm tier"));
  CrashPoint("compact-warm-written");
  STRATA_RETURN_IF_ERROR(head_->Truncate(hi).WithContext("truncating the head"));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ++report->moves;
  report->series += data.size();
  report->chunks += chunks;
  if (metrics_) {
    metrics_->runs.Increment();
    metrics_->seconds.Increment(seconds);
    metrics_->last_seconds.Set(seconds);
  }
  STRATA_LOG(kInfo, "compaction") << "moved head range to warm" << LogKV("mint", lo)
                                  << LogKV("maxt", hi) << LogKV("series", data.size())
                                  << LogKV("chunks", chunks) << LogKV("seconds", seconds);
  if (progress) {
    progress("moved [" + std::to_string(lo) + ", " + std::to_string(hi) + ") ms: " +
             std::to_string(data.size()) + " series, " + std::to_string(chunks) + " chunks");
  }
  *moved = true;
  return Status::Ok();
}

Status Compactor::ApplyRetention(CompactionReport* report,
                                 const std::function<void(const std::string&)>& progress) {
  int dropped = 0;
  if (options_.retention_ms > 0) {
    const int64_t newest = std::max(head_->MaxTime(), warm_->max_time());
    if (newest != INT64_MIN) {
      STRATA_ASSIGN_OR_RETURN(int n, warm_->DropPartitionsBefore(newest - options_.retention_ms));
      dropped += n;
    }
  }
  if (options_.retention_bytes > 0) {
    for (;;) {
      uint64_t bytes = warm_->Stats().disk_bytes + WalBytes(options_.wal_dir);
      if (bytes <= options_.retention_bytes) break;
      STRATA_ASSIGN_OR_RETURN(bool any, warm_->DropOldestPartition());
      if (!any) break;
      ++dropped;
    }
  }
  if (dropped > 0) {
    report->partitions_dropped += dropped;
    if (metrics_) metrics_->retention_dropped.Increment(dropped);
    STRATA_LOG(kInfo, "compaction")
        << "retention dropped warm partitions" << LogKV("partitions", dropped);
    if (progress) progress("retention dropped " + std::to_string(dropped) + " partition(s)");
  }
  return Status::Ok();
}

Result<CompactionReport> Compactor::RunOnce(
    const std::function<void(const std::string&)>& progress) {
  MutexLock lock(&run_mu_);
  CompactionReport report;
  for (;;) {
    bool moved = false;
    Status s = MoveOne(&moved, &report, progress);
    if (!s.ok()) {
      if (metrics_) metrics_->failed.Increment();
      return s;
    }
    if (!moved) break;
  }
  if (report.moves > 0) {
    // A move frees its collected chunks and the head's truncated chunks; hand the free heap
    // back to the kernel (strata serve raises glibc's trim threshold for query buffers).
    malloc_trim(0);
  }
  Status s = ApplyRetention(&report, progress);
  if (!s.ok()) {
    if (metrics_) metrics_->failed.Increment();
    return s.WithContext("applying retention");
  }
  return report;
}

void Compactor::Start() {
  thread_ = std::jthread([this](std::stop_token stop) {
    std::mutex mu;
    std::condition_variable_any cv;
    auto wait = [&](std::chrono::milliseconds d) {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_for(lock, stop, d, [] { return false; });
    };
    while (!stop.stop_requested()) {
      auto r = RunOnce();
      if (!r.ok()) {
        STRATA_LOG(kError, "compaction")
            << "compaction failed, will retry" << LogKV("error", r.status().ToString());
        wait(options_.retry_after_failure);
        continue;
      }
      wait(options_.check_interval);
    }
  });
}

void Compactor::Stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

}  // namespace strata::compaction
