// The write-ahead log: opaque records appended to numbered segment files in one directory,
// group-committed, replayed in order at start-up, and checkpointed so old segments can go.
// Invariants: records never span segments; only the last segment may end in a torn write; the
// log never appends after damaged bytes. Wal is thread-safe; the static Replay and
// WriteCheckpoint are stateless. Byte layout and recovery rules: docs/format/wal.md.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "base/result.h"
#include "base/status.h"
#include "base/thread_annotations.h"

namespace strata::storage {

namespace wal {
class File;
}  // namespace wal

struct WalOptions {
  // When appended bytes are forced to stable storage with fdatasync(2).
  //
  // Under every policy Append() returns only after write(2) has handed the bytes to the kernel,
  // so an acknowledged record survives a crash of the *process* (SIGKILL, OOM kill, abort): the
  // page cache still holds it and the kernel writes it out. Only a crash of the *machine*
  // (power loss, kernel panic, VM host failure) loses bytes that were not fsynced yet:
  //   kAlways:   Append() returns after an fdatasync covering its bytes, so nothing acknowledged
  //              is lost. Concurrent appenders share one fdatasync (group commit), which keeps
  //              throughput up, but every Append pays a device flush: ~0.05 ms on NVMe with
  //              power-loss protection, 0.5-2 ms on consumer SSDs, 2-10 ms on network disks.
  //   kInterval: a background thread fdatasyncs every `fsync_interval`; a machine crash loses
  //              at most the last interval (plus one fdatasync) of acknowledged records.
  //              Appends never wait for the device.
  //   kNever:    the WAL never fsyncs by itself (not on rotation, not on Close); only an explicit
  //              Sync() does. Kernel writeback (typically <= 30 s) decides. Tests, benchmarks.
  // Never renumber: the value may be persisted in configuration dumps.
  enum class FsyncPolicy : uint8_t { kAlways = 0, kInterval = 1, kNever = 2 };

  static constexpr size_t kMinSegmentBytes = size_t{32} << 10;
  static constexpr size_t kMaxSegmentBytes = size_t{1} << 30;

  // Target size of one segment file, in bytes. A segment is finished when the next record would
  // take it past this size; a record larger than a whole segment gets a segment of its own.
  // Smaller: checkpoints can delete finer-grained pieces; larger: fewer files and rotations
  // (each rotation fdatasyncs under the append lock). Range [32 KiB, 1 GiB].
  // Default: 128 MiB (as Prometheus).
  size_t segment_size_bytes = size_t{128} << 20;

  // See FsyncPolicy. Default: kInterval with a 1 s interval. Why: ingesting metrics favours
  // throughput and a short time-to-acknowledge. kInterval already guarantees that an
  // acknowledged sample survives any crash of the strata process, and bounds the loss on
  // power failure to about one second, which is tighter than Prometheus itself (it fsyncs only
  // when it closes a 128 MiB segment and otherwise relies on kernel writeback). Choose kAlways
  // when every acknowledged sample must also survive power loss, and budget for one device
  // flush per Append in the remote-write latency.
  FsyncPolicy fsync = FsyncPolicy::kInterval;

  // For kInterval: the time between background fdatasyncs, which bounds the window of
  // acknowledged records a machine crash can lose. Shorter: smaller window, more device
  // flushes. Ignored by other policies. Range (0, 1 h]. Default: 1000 ms.
  std::chrono::milliseconds fsync_interval{1000};

  // Set by a caller whose salvaging Replay already skipped damage in the last segment (and will
  // checkpoint over it): Open then leaves that segment as it is instead of failing with
  // Corruption. Default: false.
  bool last_segment_salvaged = false;

  // InvalidArgument naming the first field out of range. Wal::Open() calls it.
  Status Validate() const;
};

struct ReplayOptions {
  // Repair mode. false: damage anywhere except a torn tail of the last segment makes Replay
  // return Corruption (after delivering every record before it) and changes nothing on disk.
  // true: the log is cut at the first damaged record: that segment is truncated there, every
  // later segment is deleted, Replay succeeds and reports the loss in ReplayStats. Lossy; for
  // a server told to start anyway. Checkpoint damage is Corruption in both modes.
  // Default: false.
  bool truncate_corrupt_tail = false;
  // Salvage mode (takes precedence over truncate_corrupt_tail): damage that valid data follows
  // is skipped instead: each damaged file (segment or checkpoint segment) is first copied to
  // `<dir>/damaged-<UTC time>/`, then reading resynchronises at the next page that starts with
  // a valid fragment, and every later segment is replayed. Nothing is deleted or truncated
  // except a torn tail of the last segment; ReplayStats::salvaged lists what was skipped. The
  // caller makes the log consistent afterwards (Head writes a checkpoint over the damage).
  // Default: false.
  bool salvage = false;
};

// One damaged range a salvaging replay skipped.
struct SalvageReport {
  std::string file;      // Path relative to the WAL directory ("00000003",
                         // "checkpoint.00000002/00000000").
  uint64_t offset = 0;   // First bad byte.
  uint64_t bytes = 0;    // Bytes skipped.
  uint64_t records = 0;  // Records lost (at least).
  std::string reason;
};

struct ReplayStats {
  int checkpoint = -1;  // N of the checkpoint.N replayed first, or -1 for none.
  uint64_t checkpoint_records = 0;
  int first_segment = -1;  // Segments replayed after the checkpoint, or -1 for none.
  int last_segment = -1;
  uint64_t records = 0;       // Records delivered, checkpoint records included.
  uint64_t record_bytes = 0;  // Their payload bytes.

  // A torn tail was cut off the last segment (always done, in both modes).
  bool torn_tail = false;
  int torn_segment = -1;
  uint64_t torn_offset = 0;  // The segment's new size: the end of its last complete record.
  uint64_t torn_bytes_dropped = 0;

  // Only with truncate_corrupt_tail: the log was cut at damage.
  bool repaired = false;
  // Where the log was cut: the first damaged byte, or for missing data after a finished
  // segment (a gap in the numbering, a shrunken segment) the end of that segment.
  int corrupt_segment = -1;
  uint64_t corrupt_offset = 0;
  uint64_t corrupt_bytes_dropped = 0;  // Cut from that segment plus all deleted later segments.
  int segments_deleted = 0;
  std::string corruption;  // What was wrong, for the operator.
  // Only with salvage: the damaged ranges skipped, and where copies of the damaged files went.
  std::vector<SalvageReport> salvaged;
  std::string damaged_dir;
};

// Appends records durably (per WalOptions::fsync) and manages the segment directory.
// Thread-safe: any number of threads may Append concurrently; records of one Append call stay
// contiguous and in order, and calls are ordered as they take the internal lock.
// At most one Wal (or Replay) may use a directory at a time; an flock on `<dir>/lock` enforces
// it across processes and within one.
//
// Start-up protocol: Replay(dir, ...) to rebuild in-memory state, then Open(dir, ...) to append.
// Checkpoint protocol (compaction): n = NextSegmentForCheckpoint(); build the state covering
// segments <= n; WriteCheckpoint(dir, n, records); TruncateBefore(n + 1).
class Wal {
 public:
  // Largest record Append accepts, in bytes; Replay rejects larger ones as corrupt.
  static constexpr size_t kMaxRecordBytes = size_t{64} << 20;

  // Opens (creating if needed) the WAL directory `dir` for appending. Always starts a new
  // segment numbered after every existing segment and checkpoint; it never appends to an old
  // one. To keep "only the last segment may be torn" true, it first reads the current last
  // segment (cost: one sequential read of up to a segment) and truncates a torn tail.
  // Cleans up leftover unfinished or superseded checkpoints. Starts the background fsync thread
  // for kInterval.
  // Returns InvalidArgument for bad options, Unavailable if the directory is in use, Corruption
  // if the last segment is damaged in its middle (run Replay, with truncate_corrupt_tail if the
  // server should start anyway), ResourceExhausted when segment numbers run out, or IOError.
  static Result<std::unique_ptr<Wal>> Open(std::string dir, WalOptions options);

  // Closes if Close() was not called; errors are logged.
  ~Wal();
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;
  Wal(Wal&&) = delete;
  Wal& operator=(Wal&&) = delete;

  // Logs `records` in order with a single write(2) per segment touched (normally one), then,
  // for kAlways, waits until an fdatasync covers them. Returns after they are durable per the
  // policy. An empty record is allowed. Cost: one copy plus CRC32C of the bytes, under the
  // append lock.
  // Returns InvalidArgument (nothing logged) if a record exceeds kMaxRecordBytes; Unavailable
  // after Close(); IOError if writing or syncing failed. After an IOError a prefix of
  // `records` may already be in the log (and will be replayed); a failed fdatasync makes every
  // later call fail too, since the kernel may have dropped the dirty pages.
  Status Append(std::span<const std::string_view> records);
  // Append of one record.
  Status Log(std::string_view record);

  // Makes every record appended before the call durable (fdatasync), whatever the policy.
  // Returns Unavailable after Close(), IOError on failure.
  Status Sync();

  // Stops the background thread, fdatasyncs unless the policy is kNever, closes the files and
  // releases the directory lock. Idempotent. Appends waiting for group commit are released.
  Status Close();

  // Finishes the current segment if it holds any record (starting a new one) and returns n, the
  // newest finished segment: every record appended before this call is in a segment <= n.
  // Returns NotFound if no segment has been finished yet, Unavailable after Close().
  Result<int> NextSegmentForCheckpoint();

  // Deletes every segment numbered below `segment`, oldest first, so that a crash leaves a
  // contiguous suffix. REQUIRES: a checkpoint covers them (the WAL cannot check the meaning).
  // Returns InvalidArgument if `segment` > current_segment(), Unavailable after Close().
  Status TruncateBefore(int segment);

  // Bytes written to segment files since Open (framing and segment headers included).
  uint64_t bytes_written() const { return bytes_written_.load(std::memory_order_relaxed); }
  // fdatasync calls made on segment files since Open (directory fsyncs not counted).
  uint64_t fsyncs() const { return fsyncs_.load(std::memory_order_relaxed); }
  // The number of the segment being appended to.
  int current_segment() const { return current_segment_.load(std::memory_order_relaxed); }
  const std::string& dir() const { return dir_; }

  // Replays the WAL in `dir`: the records of the newest complete checkpoint.N, then those of
  // every segment numbered above N, in order, calling `fn` once per record (the view is valid
  // only during the call). Stops at the first non-OK Status from `fn` and returns it.
  // A torn tail of the last segment (an interrupted write: truncated header or payload, or
  // zero-filled/garbage bytes that no valid fragment follows) is truncated away with a warning
  // and reported in the stats. Damage followed by valid data, damage in any other segment, or a
  // missing segment is Corruption naming the segment and byte offset, after every record
  // before it was delivered; see ReplayOptions for repair mode. Removes leftover unfinished and
  // superseded checkpoints. A missing `dir` is an empty log.
  // REQUIRES: no Wal is open on `dir` (Unavailable otherwise). Never crashes on any input;
  // memory is bounded by kMaxRecordBytes plus 1 MiB.
  static Result<ReplayStats> Replay(const std::string& dir,
                                    const std::function<Status(std::string_view record)>& fn,
                                    const ReplayOptions& options = {});

  // Writes `records` as checkpoint `upto_segment` of the WAL in `dir`, meaning "the state after
  // replaying every segment <= upto_segment". Writes `checkpoint.<8 digits>.tmp/` (segments in
  // the WAL format), fdatasyncs it, renames it atomically to `checkpoint.<8 digits>/`, then
  // removes older checkpoints. Safe to call while a Wal is open on `dir`.
  // REQUIRES: segment `upto_segment` is finished (NextSegmentForCheckpoint() returned it or
  // more); a checkpoint covering the active segment would hide its records from Replay.
  // Returns InvalidArgument for a bad number or an oversized record, NotFound if `dir` does not
  // exist, AlreadyExists if that checkpoint exists, IOError.
  static Status WriteCheckpoint(const std::string& dir, int upto_segment,
                                std::span<const std::string> records);
  // Reads, without changing anything, the records that a checkpoint covering `upto_segment`
  // must summarize: those of the newest checkpoint numbered <= upto_segment, then of every
  // segment above it up to and including `upto_segment`. For compaction while the Wal is open
  // (it holds the lock). REQUIRES: those segments are finished. Corruption on any damage.
  // `salvage`: skip damage as a salvaging Replay does (the same ranges, deterministically).
  static Status ReadFinished(const std::string& dir, int upto_segment,
                             const std::function<Status(std::string_view record)>& fn,
                             bool salvage = false);

 private:
  struct PrivateTag {
    explicit PrivateTag() = default;
  };

 public:
  // Use Open(). Does no I/O.
  Wal(PrivateTag, std::string dir, WalOptions options, std::unique_ptr<wal::File> lock);

 private:
  Status StartSegmentLocked(int index, uint64_t prev_segment_size) STRATA_REQUIRES(mu_);
  Status RotateLocked() STRATA_REQUIRES(mu_);
  Status WriteLocked(std::string_view data) STRATA_REQUIRES(mu_);
  Status SyncUpTo(uint64_t seq) STRATA_EXCLUDES(mu_);
  void WaitLocked() STRATA_REQUIRES(mu_);
  void SyncLoop(const std::stop_token& stop);

  const std::string dir_;
  const WalOptions options_;

  // Serializes Close() calls (joining the thread must not race).
  Mutex close_mu_;
  std::unique_ptr<wal::File> lock_file_ STRATA_GUARDED_BY(close_mu_);

  Mutex mu_;
  CondVar sync_cv_;  // Signals sync_in_progress_ and closed_ changes; used with mu_.
  std::unique_ptr<wal::File> current_ STRATA_GUARDED_BY(mu_);
  // Finished segments a concurrent fdatasync may still be using; closed when it ends.
  std::vector<std::unique_ptr<wal::File>> retired_ STRATA_GUARDED_BY(mu_);
  int current_index_ STRATA_GUARDED_BY(mu_) = -1;
  uint64_t segment_offset_ STRATA_GUARDED_BY(mu_) = 0;  // Size of the current segment.
  uint64_t written_ STRATA_GUARDED_BY(mu_) = 0;  // Bytes written since Open: a sequence number.
  uint64_t synced_ STRATA_GUARDED_BY(mu_) = 0;   // Every byte below this is durable.
  bool sync_in_progress_ STRATA_GUARDED_BY(mu_) = false;
  bool closed_ STRATA_GUARDED_BY(mu_) = false;
  Status error_ STRATA_GUARDED_BY(mu_);     // Sticky: set when the log can no longer be trusted.
  std::string buf_ STRATA_GUARDED_BY(mu_);  // Encoding buffer reused across Appends.

  // Mirrors for lock-free stats readers; relaxed because they order nothing.
  std::atomic<uint64_t> bytes_written_{0};
  std::atomic<uint64_t> fsyncs_{0};
  std::atomic<int> current_segment_{-1};

  std::jthread sync_thread_;  // kInterval only. Joined by Close().
};

}  // namespace strata::storage
