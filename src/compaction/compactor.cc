// Compactor: the move and retention planner, and its background thread.
#include "compaction/compactor.h"

#include <malloc.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <condition_variable>
#include <filesystem>
#include <optional>
#include <random>
#include <set>

#include "base/crash_point.h"
#include "base/dir_size.h"
#include "base/duration.h"
#include "base/file_lock.h"
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
                   .Help("Moves, downsampled block builds or retention runs that failed (retried "
                         "later).")
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
                              .Add({})),
        cold_moves(prometheus::BuildCounter()
                       .Name("strata_cold_moves_total")
                       .Help("Warm partitions turned into cold blocks and uploaded.")
                       .Register(*r)
                       .Add({})),
        cold_seconds(prometheus::BuildCounter()
                         .Name("strata_cold_move_duration_seconds_total")
                         .Help("Time spent building, uploading and verifying cold blocks.")
                         .Register(*r)
                         .Add({})),
        blocks_dropped(prometheus::BuildCounter()
                           .Name("strata_retention_blocks_dropped_total")
                           .Help("Cold blocks deleted by retention (time or size).")
                           .Register(*r)
                           .Add({})),
        partial_deleted(prometheus::BuildCounter()
                            .Name("strata_cold_partial_objects_deleted_total")
                            .Help("Objects of abandoned (uncommitted) uploads deleted.")
                            .Register(*r)
                            .Add({})),
        sync_failed(prometheus::BuildCounter()
                        .Name("strata_cold_sync_failed_total")
                        .Help("Failed re-listings of the cold store.")
                        .Register(*r)
                        .Add({})),
        tail_checkpoints(prometheus::BuildCounter()
                             .Name("strata_wal_tail_checkpoints_total")
                             .Help("WAL checkpoints written between moves because the segments "
                                   "after the newest checkpoint outgrew the head.")
                             .Register(*r)
                             .Add({})) {}
  prometheus::Counter& runs;
  prometheus::Counter& failed;
  prometheus::Counter& seconds;
  prometheus::Gauge& last_seconds;
  prometheus::Counter& retention_dropped;
  prometheus::Counter& cold_moves;
  prometheus::Counter& cold_seconds;
  prometheus::Counter& blocks_dropped;
  prometheus::Counter& partial_deleted;
  prometheus::Family<prometheus::Counter>* downsampled = nullptr;
  prometheus::Family<prometheus::Counter>* downsampled_bytes = nullptr;
  prometheus::Counter* downsample_seconds = nullptr;
  prometheus::Counter& sync_failed;
  prometheus::Counter& tail_checkpoints;
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
  if (warm_span_ms <= 0) return Status::InvalidArgument("warm span must be positive");
  if (cold_sync_interval.count() <= 0) {
    return Status::InvalidArgument("cold sync interval must be > 0");
  }
  if (downsample_5m_after_ms < 0 || downsample_1h_after_ms < 0 || retention_5m_ms < 0 ||
      retention_1h_ms < 0) {
    return Status::InvalidArgument("downsampling delays and retentions must not be negative");
  }
  // Each retention must be longer than the delay before its data is built (or reaches the
  // tier it is built from), or data would go before its aggregate exists.
  const bool ds5 = downsample_5m_after_ms > 0, ds1h = ds5 && downsample_1h_after_ms > 0;
  struct Longer {
    bool applies;
    const char* flag;
    int64_t value;  // 0: forever, never too short.
    const char* than;
    int64_t limit;
    const char* why;
  };
  const Longer rules[] = {
      {ds5, "--storage.retention", retention_ms, "--downsample.5m-after", downsample_5m_after_ms,
       "raw data would be deleted before its 5m aggregate is built (or set "
       "--downsample.5m-after=0 to turn downsampling off)"},
      {ds5, "--storage.retention", retention_ms, "--storage.warm.span", warm_span_ms,
       "raw data would be deleted before it reaches the cold tier, where its 5m aggregate is "
       "built (or set --downsample.5m-after=0 to turn downsampling off)"},
      {ds5, "--storage.retention.5m", retention_5m_ms, "--downsample.5m-after",
       downsample_5m_after_ms, "5m data would be deleted as soon as it is built"},
      {ds1h, "--storage.retention.1h", retention_1h_ms, "--downsample.1h-after",
       downsample_1h_after_ms, "1h data would be deleted as soon as it is built"},
      {ds1h, "--storage.retention.5m", retention_5m_ms, "--downsample.1h-after",
       downsample_1h_after_ms, "5m data would be deleted before its 1h aggregate is built"},
  };
  for (const Longer& r : rules) {
    if (r.applies && r.value > 0 && r.value <= r.limit) {
      return Status::InvalidArgument(std::string(r.flag) + " (" + FormatDurationMillis(r.value) +
                                     ") must be longer than " + r.than + " (" +
                                     FormatDurationMillis(r.limit) + "): " + r.why);
    }
  }
  return Status::Ok();
}

Compactor::Compactor(storage::Head* head, storage::WarmStore* warm, storage::ColdStore* cold,
                     CompactorOptions options, prometheus::Registry* registry)
    : head_(head), warm_(warm), cold_(cold), options_(std::move(options)) {
  if (registry != nullptr) {
    metrics_ = std::make_unique<Metrics>(registry);
    metrics_->downsampled = &prometheus::BuildCounter()
                                 .Name("strata_downsample_blocks_total")
                                 .Help("Downsampled cold blocks built and uploaded, by resolution.")
                                 .Register(*registry);
    metrics_->downsampled_bytes = &prometheus::BuildCounter()
                                       .Name("strata_downsample_bytes_total")
                                       .Help("Bytes of the downsampled blocks uploaded.")
                                       .Register(*registry);
    metrics_->downsample_seconds = &prometheus::BuildCounter()
                                        .Name("strata_downsample_duration_seconds_total")
                                        .Help(
                                            "Time spent building and uploading downsampled "
                                            "blocks.")
                                        .Register(*registry)
                                        .Add({});
  }
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
  // Every due range up to the end of lo's warm partition moves at once: each move ends with a
  // WAL checkpoint of what the head keeps, so a head holding days of backfill would otherwise
  // rewrite its whole remaining WAL once per 2 h range (quadratic in the backlog).
  int64_t hi = lo + range;
  const int64_t part_end = FloorTo(lo, warm_->partition_ms()) + warm_->partition_ms();
  while (hi < part_end && due(hi)) hi += range;
  auto start = std::chrono::steady_clock::now();
  head_->SetMinValidTime(hi);
  // An append older than lo may have been accepted between the scan and the new bound (a new
  // series backfilling): then move its range first, since truncation drops all before hi.
  // Nothing older than the bound can arrive after this second scan.
  if (const int64_t again = head_->MinTime(); again < lo) {
    lo = FloorTo(again, range);
    hi = lo + range;
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<storage::WarmSeriesData> data, head_->CollectRange(lo, hi));
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

int64_t Compactor::NewestTime() const {
  int64_t t = std::max(head_->MaxTime(), warm_->max_time());
  if (cold_ != nullptr) t = std::max(t, cold_->max_time());
  return t;
}

Status Compactor::MoveToCold(bool* moved, CompactionReport* report,
                             const std::function<void(const std::string&)>& progress) {
  *moved = false;
  if (cold_ == nullptr) return Status::Ok();
  if (!cold_->synced()) {
    // The first listing is still under way (a slow store): wait for it in a later pass rather
    // than here, behind it, where the head could not move meanwhile.
    if (cold_->initial_sync_running()) return Status::Ok();
    // The block list is unknown (the store was unreachable at start-up): a move now could
    // write a second block of a partition whose block is already committed.
    STRATA_RETURN_IF_ERROR(cold_->Sync().WithContext("listing the cold tier before a move"));
  }
  const int64_t newest = NewestTime();
  if (newest == INT64_MIN) return Status::Ok();
  const int64_t width = warm_->partition_ms();
  const int64_t covered = warm_->covered_until();
  storage::WarmStats stats = warm_->Stats();
  // The oldest partition not set aside (one whose data could not be read: retried later).
  const auto now = std::chrono::steady_clock::now();
  const storage::WarmPartitionInfo* oldest = nullptr;
  for (const storage::WarmPartitionInfo& q : stats.partitions) {
    auto skip = cold_skip_.find(q.start);
    if (skip != cold_skip_.end() && now < skip->second) continue;
    oldest = &q;
    break;
  }
  if (oldest == nullptr) return Status::Ok();
  const storage::WarmPartitionInfo& p = *oldest;
  const int64_t end = p.start + width;
  // Due once all of it is older than the span, and the head holds nothing more for it.
  if (static_cast<__int128>(end) > static_cast<__int128>(newest) - options_.warm_span_ms ||
      end > covered) {
    return Status::Ok();
  }
  auto start = std::chrono::steady_clock::now();
  const std::string source = "warm:" + std::to_string(p.start);
  std::string what = "moving warm partition " + std::to_string(p.start) + " to the cold tier";
  uint64_t series_count = 0;
  std::optional<storage::block::BlockMeta> block = cold_->FindOwnBySource(source);
  if (!block && cold_commit_uncertain_) {
    // The failed upload may have committed the block (every answer to its meta.json PUT lost):
    // only a listing tells, and a second block for the partition would hold its data twice.
    STRATA_RETURN_IF_ERROR(cold_->Sync().WithContext(what));
    cold_commit_uncertain_ = false;
    block = cold_->FindOwnBySource(source);
  }
  if (!block) {
    Status s =
        BuildAndUpload(
            "cold", source,
            [&](storage::block::BlockMeta meta, const std::string& dir) {
              return storage::BuildBlockFromWarmPartition(*warm_, p.start, std::move(meta), dir);
            },
            &block)
            .WithContext(what);
    if (s.IsCorruption()) {
      // Its warm data cannot be read: set it aside (retried after downsample_retry; retention
      // deletes it in time) so that the partitions after it still move.
      cold_skip_[p.start] = now + options_.downsample_retry;
      report->cold_errors.push_back(s.ToString());
      if (metrics_) metrics_->failed.Increment();
      STRATA_LOG(kError, "compaction")
          << "cannot move a damaged warm partition; retrying later" << LogKV("partition", p.start)
          << LogKV("error", s.ToString());
      if (progress) progress(s.ToString());
      std::error_code ec;
      std::filesystem::remove_all(options_.staging_dir, ec);
      *moved = true;  // The next partition, in the same pass.
      return Status::Ok();
    }
    STRATA_RETURN_IF_ERROR(s);
    if (block) series_count = block->series;
  }
  STRATA_ASSIGN_OR_RETURN(bool dropped, warm_->DropPartition(p.start));
  (void)dropped;  // Absent only when a concurrent retention run took it: fine either way.
  CrashPoint("cold-warm-dropped");
  std::error_code ec;
  std::filesystem::remove_all(options_.staging_dir, ec);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ++report->cold_moves;
  if (metrics_) {
    metrics_->cold_moves.Increment();
    metrics_->cold_seconds.Increment(seconds);
  }
  std::string id = block ? block->id : "(empty partition)";
  STRATA_LOG(kInfo, "compaction") << "moved warm partition to cold" << LogKV("partition", p.start)
                                  << LogKV("block", id) << LogKV("series", series_count)
                                  << LogKV("seconds", seconds);
  if (progress) {
    progress("moved warm partition " + std::to_string(p.start) + " to cold block " + id);
  }
  *moved = true;
  return Status::Ok();
}

Status Compactor::BuildAndUpload(const std::string& crash_prefix, const std::string& source,
                                 const std::function<Result<storage::block::BlockMeta>(
                                     storage::block::BlockMeta, const std::string&)>& build,
                                 std::optional<storage::block::BlockMeta>* block) {
  // Build the block locally, then upload; the meta.json upload commits it.
  std::error_code ec;
  std::filesystem::remove_all(options_.staging_dir, ec);
  STRATA_RETURN_IF_ERROR(CreateDirs(options_.staging_dir));
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  storage::block::BlockMeta meta;
  meta.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  meta.id = storage::block::NewBlockId(meta.created_ms, rng);
  meta.node = cold_->options().node_id;
  meta.source = source;
  const std::string dir = options_.staging_dir + "/" + meta.id;
  auto built = build(meta, dir);
  if (!built.ok() && !built.status().IsNotFound()) return built.status();
  if (!built.ok()) return Status::Ok();  // Nothing to write: *block stays empty.
  meta = std::move(built).value();
  CrashPoint(crash_prefix + "-block-built");
  Status uploaded = cold_->Upload(dir, meta, [&] {
    CrashPoint(crash_prefix + "-files-uploaded");
    return Status::Ok();
  });
  if (!uploaded.ok()) {
    cold_commit_uncertain_ = true;
    return uploaded;
  }
  CrashPoint(crash_prefix + "-meta-written");
  *block = std::move(meta);
  return Status::Ok();
}

Status Compactor::DownsampleOne(bool* done, CompactionReport* report,
                                const std::function<void(const std::string&)>& progress) {
  *done = false;
  if (cold_ == nullptr || !cold_->synced() || options_.downsample_5m_after_ms == 0) {
    return Status::Ok();
  }
  const int64_t newest = NewestTime();
  if (newest == INT64_MIN) return Status::Ok();
  if (cold_commit_uncertain_) {
    // A failed upload may have committed its block: list before deciding what is missing.
    STRATA_RETURN_IF_ERROR(cold_->Sync().WithContext("listing the cold tier"));
    cold_commit_uncertain_ = false;
  }
  std::vector<storage::block::BlockMeta> blocks = cold_->Blocks();
  std::set<std::string> built;  // Sources of the downsampled blocks that exist.
  for (const auto& b : blocks) {
    if (b.resolution_ms > 0) built.insert(b.source);
  }
  for (const auto& b : blocks) {
    if (b.node != cold_->options().node_id) continue;
    int64_t target = 0, after = 0, keep = 0;
    if (b.resolution_ms == 0) {
      target = storage::kResolution5m;
      after = options_.downsample_5m_after_ms;
      keep = options_.retention_5m_ms;
    } else if (b.resolution_ms == storage::kResolution5m && options_.downsample_1h_after_ms > 0) {
      target = storage::kResolution1h;
      after = options_.downsample_1h_after_ms;
      keep = options_.retention_1h_ms;
    } else {
      continue;
    }
    if (static_cast<__int128>(b.max_time) > static_cast<__int128>(newest) - after) continue;
    // Not worth building what retention would delete at once.
    if (keep > 0 && static_cast<__int128>(b.max_time) < static_cast<__int128>(newest) - keep) {
      continue;
    }
    const std::string source = storage::DownsampleSource(b);
    if (built.count(source)) continue;
    const auto now = std::chrono::steady_clock::now();
    if (auto skip = downsample_skip_.find(source);
        skip != downsample_skip_.end() && now < skip->second) {
      continue;
    }
    const std::string what =
        "downsampling cold block " + b.node + "/" + b.id + " to " + storage::ResolutionName(target);
    std::optional<storage::block::BlockMeta> block;
    Status s = BuildAndUpload(
        "downsample", source,
        [&](storage::block::BlockMeta meta, const std::string& dir) {
          return cold_->BuildDownsampled(b, target, std::move(meta), dir);
        },
        &block);
    std::error_code ec;
    std::filesystem::remove_all(options_.staging_dir, ec);
    if (!s.ok()) {
      // One block that cannot be built (damaged, or the store failing) must not hold back the
      // blocks after it, nor retention: note it, retry it later, go on.
      s = s.WithContext(what);
      downsample_skip_[source] = now + options_.downsample_retry;
      report->downsample_errors.push_back(s.ToString());
      if (metrics_) metrics_->failed.Increment();
      STRATA_LOG(kWarn, "compaction") << "downsampling failed; retrying later"
                                      << LogKV("block", b.id) << LogKV("error", s.ToString());
      if (progress) progress(s.ToString());
      continue;
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - now).count();
    const std::string res = storage::ResolutionName(target);
    if (!block) {
      // Nothing to write (its series hold only stale markers): no block to wait for.
      downsample_skip_[source] = std::chrono::steady_clock::time_point::max();
      STRATA_LOG(kInfo, "compaction") << "cold block has no data to downsample"
                                      << LogKV("block", b.id) << LogKV("resolution", res);
      if (progress) progress(what + " (nothing to write)");
      continue;
    }
    ++report->downsampled;
    const uint64_t bytes = block->TotalBytes();
    if (metrics_) {
      metrics_->downsampled->Add({{"resolution", res}}).Increment();
      metrics_->downsampled_bytes->Add({{"resolution", res}}).Increment(static_cast<double>(bytes));
      metrics_->downsample_seconds->Increment(seconds);
    }
    STRATA_LOG(kInfo, "compaction")
        << "downsampled cold block" << LogKV("block", b.id) << LogKV("resolution", res)
        << LogKV("new_block", block->id) << LogKV("bytes", bytes) << LogKV("seconds", seconds);
    if (progress) progress(what + " -> block " + block->id);
    *done = true;
    return Status::Ok();
  }
  return Status::Ok();
}

Status Compactor::ApplyRetention(CompactionReport* report,
                                 const std::function<void(const std::string&)>& progress) {
  int dropped = 0;
  int blocks = 0;
  if (options_.retention_ms > 0) {
    const int64_t newest = NewestTime();
    if (newest != INT64_MIN) {
      STRATA_ASSIGN_OR_RETURN(int n, warm_->DropPartitionsBefore(newest - options_.retention_ms));
      dropped += n;
      if (cold_ != nullptr) {
        STRATA_ASSIGN_OR_RETURN(int b, cold_->DropBlocksBefore(newest - options_.retention_ms, 0));
        blocks += b;
      }
    }
  }
  const int64_t newest = NewestTime();
  if (cold_ != nullptr && newest != INT64_MIN) {
    for (auto [res, keep] : {std::pair{storage::kResolution5m, options_.retention_5m_ms},
                             std::pair{storage::kResolution1h, options_.retention_1h_ms}}) {
      if (keep <= 0) continue;
      STRATA_ASSIGN_OR_RETURN(int b, cold_->DropBlocksBefore(newest - keep, res));
      blocks += b;
    }
  }
  if (options_.retention_bytes > 0) {
    for (;;) {
      uint64_t bytes = warm_->Stats().disk_bytes + WalBytes(options_.wal_dir);
      std::vector<storage::block::BlockMeta> own;
      if (cold_ != nullptr) {
        for (auto& m : cold_->Blocks()) {
          if (m.node == cold_->options().node_id) {
            bytes += m.TotalBytes();
            own.push_back(std::move(m));
          }
        }
      }
      if (bytes <= options_.retention_bytes) break;
      if (!own.empty()) {  // Cold blocks hold the oldest data.
        STRATA_RETURN_IF_ERROR(cold_->Delete(own.front()));
        ++blocks;
        continue;
      }
      STRATA_ASSIGN_OR_RETURN(bool any, warm_->DropOldestPartition());
      if (!any) break;
      ++dropped;
    }
  }
  if (blocks > 0) {
    report->blocks_dropped += blocks;
    if (metrics_) metrics_->blocks_dropped.Increment(blocks);
    STRATA_LOG(kInfo, "compaction") << "retention dropped cold blocks" << LogKV("blocks", blocks);
    if (progress) progress("retention dropped " + std::to_string(blocks) + " cold block(s)");
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
  // Each step runs until it has nothing left to do (or Stop() is called): head -> warm, warm ->
  // cold, downsampling.
  auto until_done = [&](auto step, const std::function<Status()>& between) -> Status {
    while (!stopping_.load()) {
      bool did = false;
      Status s = (this->*step)(&did, &report, progress);
      if (!s.ok()) {
        if (metrics_) metrics_->failed.Increment();
        return s;
      }
      if (!did) return Status::Ok();
      if (between) STRATA_RETURN_IF_ERROR(between());
    }
    return Status::Ok();
  };
  // The head's moves (local, and what bounds its memory) go first, and again after every
  // cold step: a slow object store must not keep the head from moving.
  auto head_moves = [&]() -> Status {
    STRATA_RETURN_IF_ERROR(until_done(&Compactor::MoveOne, {}));
    bool checkpointed = false;
    Status s = head_->CheckpointTailIfLarge(&checkpointed);
    if (!s.ok()) {
      if (metrics_) metrics_->failed.Increment();
      return s;
    }
    if (checkpointed) {
      ++report.tail_checkpoints;
      if (metrics_) metrics_->tail_checkpoints.Increment();
    }
    return Status::Ok();
  };
  Status first = head_moves();
  // The cold tier's steps; their failure (an unreachable store) holds back neither
  // retention nor, through head_moves, the head.
  if (first.ok()) first = until_done(&Compactor::MoveToCold, head_moves);
  if (first.ok()) first = until_done(&Compactor::DownsampleOne, head_moves);
  if (report.moves > 0 || report.cold_moves > 0 || report.downsampled > 0 ||
      report.tail_checkpoints > 0) {
    // A move frees its collected chunks and the head's truncated chunks, a cold move its read
    // buffers; hand the free heap back to the kernel (strata serve raises glibc's trim
    // threshold for query buffers).
    malloc_trim(0);
  }
  if (!stopping_.load()) {
    Status s = ApplyRetention(&report, progress);
    if (!s.ok()) {
      if (metrics_) metrics_->failed.Increment();
      if (first.ok()) first = s.WithContext("applying retention");
    }
  }
  if (!first.ok()) return first;
  return report;
}

Status Compactor::WhilePaused(const std::function<Status()>& fn) {
  MutexLock lock(&run_mu_);
  return fn();
}

void Compactor::Start() {
  thread_ = std::jthread([this](std::stop_token stop) {
    std::mutex mu;
    std::condition_variable_any cv;
    auto wait = [&](std::chrono::milliseconds d) {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_for(lock, stop, d, [] { return false; });
    };
    auto last_sync = std::chrono::steady_clock::now();
    while (!stop.stop_requested()) {
      // Every sync interval; every 5 s while the store has never been listed (unreachable at
      // start-up), since queries of old data fail until it is.
      const auto sync_every = cold_ != nullptr && !cold_->synced()
                                  ? std::min<std::chrono::milliseconds>(options_.cold_sync_interval,
                                                                        std::chrono::seconds(5))
                                  : options_.cold_sync_interval;
      if (cold_ != nullptr && !cold_->initial_sync_running() &&
          std::chrono::steady_clock::now() - last_sync >= sync_every) {
        last_sync = std::chrono::steady_clock::now();
        Status s = cold_->Sync();
        int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        Result<int> gc = s.ok() ? cold_->CollectPartialUploads(now_ms) : Result<int>(s);
        if (!gc.ok()) {
          if (metrics_) metrics_->sync_failed.Increment();
          STRATA_LOG(kError, "compaction")
              << "cold store sync failed" << LogKV("error", gc.status().ToString());
        } else if (*gc > 0 && metrics_) {
          metrics_->partial_deleted.Increment(*gc);
        }
      }
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
  stopping_.store(true);
  // A hanging object store would hold up the join for its timeouts and retries.
  if (cold_ != nullptr) cold_->object_store()->Interrupt();
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

}  // namespace strata::compaction
