// Compactor: the planner that moves data down the tiers and applies retention. A move takes
// the head's oldest whole chunk range once the head spans more than 1.5 ranges: raise the
// head's lower bound, collect the range, write it to the warm store (durable), then truncate
// the head (memory, WAL checkpoint, segment deletion). Retention drops whole warm partitions
// older than the newest sample minus --storage.retention, and the oldest ones while the data
// directory is over --storage.retention.size. Every age is measured back from the newest
// sample time held, never from the wall clock. Thread-safe: RunOnce() calls serialize; Start()
// runs them on a background thread until Stop().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "base/result.h"
#include "storage/cold_store.h"
#include "storage/head.h"
#include "storage/warm_store.h"

namespace prometheus {
class Registry;
}

namespace strata::compaction {

struct CompactorOptions {
  // The head's chunk range: moves take one aligned range at a time. Must equal
  // HeadOptions::chunk_range_ms. Default: 2 h.
  int64_t chunk_range_ms = 2 * 3600 * 1000;
  // Warm data older than the newest sample minus this is dropped, a whole partition at a time
  // (a partition goes once all of it is older). 0 = keep forever. Default: 15 d (Prometheus).
  int64_t retention_ms = int64_t{15} * 24 * 3600 * 1000;
  // Oldest partitions are dropped while the warm store plus the WAL take more bytes than this.
  // 0 = no size limit. Default: 0.
  uint64_t retention_bytes = 0;
  // How often the background thread checks for work (a check is two atomic loads when there is
  // none). Default: 1 s, so a backfill at full speed never lets the head grow far past 3 h.
  std::chrono::milliseconds check_interval{1000};
  // After a failed move, wait this long before trying again. Default: 30 s.
  std::chrono::milliseconds retry_after_failure{30'000};
  // Directory whose size counts for retention_bytes besides the warm store (the WAL).
  std::string wal_dir;
  // With a cold store: warm partitions that end at or before the newest sample minus this move
  // to the cold tier, one block per partition. Default: 40 h, the delay after which the
  // downsampler builds 5m data, so data leaves warm when its 5m aggregate is due.
  int64_t warm_span_ms = int64_t{40} * 3600 * 1000;
  // Downsampling (with a cold store): a raw cold block whose data all lies before the newest
  // sample minus downsample_5m_after_ms gets a 5m block built from it, and a 5m block older
  // than downsample_1h_after_ms a 1h block (docs/format/block.md). 5m data is built from the
  // cold raw blocks, so it appears once data has left warm: after max(warm span, this).
  // 0 turns the step off. Defaults: 40 h (= the warm span) and 10 d.
  int64_t downsample_5m_after_ms = int64_t{40} * 3600 * 1000;
  int64_t downsample_1h_after_ms = int64_t{10} * 24 * 3600 * 1000;
  // Retention of the 5m and 1h cold blocks (retention_ms applies to raw data). 0 = forever.
  // Each must be longer than the next step's delay (retention_ms than downsample_5m_after_ms,
  // retention_5m_ms than downsample_1h_after_ms), or data would go before its aggregate is
  // built. Defaults: 90 d and 365 d.
  int64_t retention_5m_ms = int64_t{90} * 24 * 3600 * 1000;
  int64_t retention_1h_ms = int64_t{365} * 24 * 3600 * 1000;
  // After a downsampled block failed to build or upload, wait this long before building it
  // again (other blocks and retention go on meanwhile). Default: 10 min.
  std::chrono::milliseconds downsample_retry{600'000};
  // Local directory where blocks are built before upload (emptied before each build).
  std::string staging_dir;
  // How often the background thread re-lists the cold store (other nodes' blocks) and collects
  // this node's abandoned uploads. Default: 1 min.
  std::chrono::milliseconds cold_sync_interval{60'000};
  // Tests only: called before the warm write; a non-OK Status fails the move as a write error
  // would.
  std::function<Status()> before_warm_write;

  Status Validate() const;
};

struct CompactionReport {
  int moves = 0;
  int cold_moves = 0;  // Warm partitions turned into cold blocks.
  int blocks_dropped = 0;
  int downsampled = 0;  // 5m and 1h blocks built and uploaded.
  uint64_t series = 0;  // Series-ranges written to the warm tier.
  uint64_t chunks = 0;
  int partitions_dropped = 0;
  int tail_checkpoints = 0;  // WAL checkpoints between moves (Head::CheckpointTailIfLarge).
  // Downsampled blocks that failed to build or upload ("downsampling cold block N/ID to 5m:
  // <error>"). One failing block does not stop the others or retention; it is retried after
  // CompactorOptions::downsample_retry.
  std::vector<std::string> downsample_errors;
  // Warm partitions that could not be moved to the cold tier because their data is damaged
  // ("moving warm partition P to the cold tier: Corruption: ..."); set aside, the later ones
  // still move; retried after CompactorOptions::downsample_retry.
  std::vector<std::string> cold_errors;
};

class Compactor {
 public:
  // Borrows head, warm and cold; they outlive the compactor. `cold` may be null (no cold tier);
  // registry may be null.
  Compactor(storage::Head* head, storage::WarmStore* warm, storage::ColdStore* cold,
            CompactorOptions options, prometheus::Registry* registry);
  ~Compactor();
  Compactor(const Compactor&) = delete;
  Compactor& operator=(const Compactor&) = delete;

  // Moves every range that is due (head moves again after each cold step), then applies
  // retention, also when a move failed. `progress` (may be empty) is called after each step
  // with a one-line description. Returns the first error (what was done before it stays done;
  // the failed move is retried by the next call).
  Result<CompactionReport> RunOnce(const std::function<void(const std::string&)>& progress = {});

  // Runs `fn` while no move or retention run is in progress and none can start (the admin
  // snapshot API: data must not move between tiers under it). Returns what `fn` returns.
  Status WhilePaused(const std::function<Status()>& fn);

  // Background thread: RunOnce() every check_interval. Stop() interrupts the cold store's
  // requests (Interrupt: for shutdown only) and joins it.
  void Start();
  void Stop();

 private:
  Status MoveOne(bool* moved, CompactionReport* report,
                 const std::function<void(const std::string&)>& progress);
  // Moves the oldest warm partition that is due to the cold tier.
  Status MoveToCold(bool* moved, CompactionReport* report,
                    const std::function<void(const std::string&)>& progress)
      STRATA_REQUIRES(run_mu_);
  // Builds and uploads the oldest 5m or 1h block that is due.
  Status DownsampleOne(bool* done, CompactionReport* report,
                       const std::function<void(const std::string&)>& progress)
      STRATA_REQUIRES(run_mu_);
  // Builds in the staging directory with `build`, then uploads with the crash points
  // `<what>-block-built`, `<what>-files-uploaded`, `<what>-meta-written`; sets
  // cold_commit_uncertain_ when the upload fails.
  Status BuildAndUpload(const std::string& crash_prefix, const std::string& source,
                        const std::function<Result<storage::block::BlockMeta>(
                            storage::block::BlockMeta, const std::string&)>& build,
                        std::optional<storage::block::BlockMeta>* block) STRATA_REQUIRES(run_mu_);
  // The newest sample time any tier holds, INT64_MIN when empty.
  int64_t NewestTime() const;
  Status ApplyRetention(CompactionReport* report,
                        const std::function<void(const std::string&)>& progress);

  storage::Head* const head_;
  storage::WarmStore* const warm_;
  storage::ColdStore* const cold_;
  const CompactorOptions options_;
  Mutex run_mu_;  // Serializes RunOnce().
  // A cold upload failed: its meta.json PUT may have landed although no answer said so, so the
  // next move re-lists the store before building the partition's block again.
  bool cold_commit_uncertain_ STRATA_GUARDED_BY(run_mu_) = false;
  // Sources (DownsampleSource) not to build before the time given: a build that failed (retried
  // after downsample_retry) or had nothing to write (a block of stale markers only: never again
  // in this process).
  std::map<std::string, std::chrono::steady_clock::time_point> downsample_skip_
      STRATA_GUARDED_BY(run_mu_);
  // Warm partitions (by start) not to move to cold before the time given: damaged.
  std::map<int64_t, std::chrono::steady_clock::time_point> cold_skip_ STRATA_GUARDED_BY(run_mu_);
  std::jthread thread_;
  std::atomic<bool> stopping_{false};  // Stop() was called: RunOnce returns early.

  struct Metrics;
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace strata::compaction
