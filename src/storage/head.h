// Head: the hot tier. An in-memory, WAL-backed store of recent samples: a striped series map
// (labels hash -> series), dense series ids, an inverted index of label pairs (roaring bitmaps),
// interned label strings, and per-series Gorilla chunks. Thread-safe: many appenders and readers
// run concurrently. Commit protocol: samples are validated, logged to the WAL, then published
// to the chunks, in one order shared by WAL and memory, so WAL replay rebuilds exactly the
// accepted samples. Compaction protocol (one caller at a time, see compaction/): raise the
// lower bound, collect a range, make it durable elsewhere, then Truncate. Files: head.cc (set-up,
// series), head_append.cc, head_read.cc, head_replay.cc, head_compact.cc. Record payloads:
// docs/format/wal.md.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/lru_cache.h"
#include "base/mutex.h"
#include "base/result.h"
#include "model/labels.h"
#include "model/matcher.h"
#include "model/sample.h"
#include "storage/querier.h"
#include "storage/wal.h"
#include "storage/warm_store.h"

namespace prometheus {
class Registry;
}

namespace strata::storage {

namespace head {
class ChunkFile;
struct MemChunk;
struct SampleRecordEntry;
struct ChunksRecordEntry;
class MemSeries;
class PostingsIndex;
class SeriesMap;
class SymbolTable;
}  // namespace head

struct HeadOptions {
  // A chunk is closed after this many samples. Default: 120 (as Prometheus; about 30 minutes of
  // 15 s scrapes). Larger chunks compress slightly better but cost more to decode per query.
  int chunk_max_samples = 120;
  // Chunks never span a multiple of this, so that they fall into exactly one time partition
  // when compaction moves them out. Default: 2 h.
  int64_t chunk_range_ms = 2 * 3600 * 1000;
  // Samples up to this much older than a series' newest sample are accepted instead of being
  // rejected as out of order (kept in a per-series side buffer merged into reads; when a
  // timestamp exists both in order and out of order, the in-order sample wins).
  // Default: 0 (Prometheus' default: reject).
  int64_t out_of_order_window_ms = 0;
  // Samples more than this after the server's clock are rejected as out of bounds ("too far in
  // the future"): one such sample would otherwise move the whole head to the warm tier, raise
  // its lower bound past today and make retention delete everything older. 0 disables the
  // check. Default: 1 h (Mimir uses 10 m; senders' clocks may be off by minutes).
  int64_t max_future_ms = 3600 * 1000;
  // Samples older than the newest sample the head holds minus this are rejected as out of
  // bounds: retention (--storage.retention) would delete them at its next run, after they had
  // been acknowledged (Prometheus rejects far older samples too). 0 disables the check (WAL
  // replay never applies it). Default: 0; `strata serve` sets --storage.retention.
  int64_t retention_ms = 0;
  // Most series the head holds (Prometheus' prometheus_tsdb_head_series, recording-rule output
  // included). Appends that would create a series past it are refused for that series only
  // (AppendResult::series_limit); existing series keep ingesting, and WAL replay restores every
  // logged series whatever the limit. 0 = no limit. Default: 0.
  uint64_t max_series = 0;
  // Number of lock stripes of the series map; a power of two. Default: 1024 (each stripe is
  // resident from the start; a stripe is held only to find or insert one series).
  int series_map_stripes = 1024;
  // Byte budget of the postings cache (matcher set -> series ids). 0 disables it.
  // Default: 64 MiB.
  size_t postings_cache_bytes = size_t{64} << 20;
  // Byte budget of the decoded-chunk cache (closed chunks as decoded samples, 16 bytes each).
  // Repeated dashboard queries then skip Gorilla decoding. 0 disables it. Default: 256 MiB.
  size_t chunk_cache_bytes = size_t{256} << 20;
  // Closed chunks' bytes are kept in scratch files under <dir>/chunks_head (read back with
  // pread) instead of in memory; only open chunks and a 64-byte entry per closed chunk
  // stay in memory. The WAL stays the record: the directory is emptied at start-up.
  // Default: true.
  bool chunks_on_disk = true;
  // Size at which a chunk file segment is cut (tests use small ones). A segment is deleted once
  // all its chunks are dropped, so the files hold the head's closed chunks plus at most about
  // this much already dropped. Default: 4 MiB.
  uint64_t chunk_file_segment_bytes = uint64_t{4} << 20;
  // Threads appending replayed samples at start-up, besides the thread reading the WAL.
  // 0: the reading thread applies samples itself. -1 = automatic: 0 for a WAL under 4 MiB
  // (handing samples over costs more than it saves), else the number of cores, at most 4.
  // Default: -1.
  int replay_workers = -1;
  // A move's WAL checkpoint writes the kept samples as chunks records (installed as they are by
  // replay) when the head's chunks after the cut hold at most this many bytes: the checkpoint
  // builds them in memory. Past it (a backfill the moves have not caught up with), it streams
  // samples records as a salvage rewrite does. Default: 64 MiB.
  size_t checkpoint_chunks_max_bytes = size_t{64} << 20;
  // Between moves, the WAL is checkpointed again once the segments after the newest checkpoint
  // hold at least this many bytes and half the head's chunk bytes (CheckpointTailIfLarge):
  // that bounds what a restart replays sample by sample, at the cost of writing at most about
  // the head's chunk bytes per half of them logged. 0 = checkpoints at moves only. Default:
  // 1 MiB.
  uint64_t checkpoint_tail_min_bytes = uint64_t{1} << 20;
  // ... and not sooner than this after the previous checkpoint of this process (a move's or
  // another tail's): during a backfill, moves come seconds apart and each checkpoints anyway.
  // Default: 10 s.
  int64_t checkpoint_tail_min_interval_ms = 10000;
  // The WAL under <data_dir>/wal.
  WalOptions wal;
  // What start-up does with a WAL damaged anywhere but a torn tail (a torn tail of the last
  // segment, a crash during a write, is always cut). Never renumber: flag values map to it.
  //   kSalvage:  keep a copy of each damaged file under <wal>/damaged-<time>/, skip only the
  //              damaged pages (resynchronising at the next valid page), replay everything
  //              else, drop samples whose series record was lost (counted), then write a
  //              checkpoint over the damage so the next start finds a clean log.
  //   kTruncate: cut the log at the first damage (that segment truncated, later ones deleted).
  //   kOff:      refuse to start, naming the segment and offset.
  // Default: kSalvage (loses only the damaged bytes).
  enum class WalRepair : uint8_t { kOff = 0, kTruncate = 1, kSalvage = 2 };
  WalRepair wal_repair = WalRepair::kSalvage;

  Status Validate() const;
};

// One series of an append batch. Borrowed: valid for the duration of Append(). The labels
// must form a valid label set: sorted by name, unique, no empty values, validated for ingest.
struct SeriesInput {
  std::span<const model::LabelView> labels;
  std::span<const model::Sample> samples;
};

// What happened to an append batch. Rejections are per sample; the rest is kept.
struct AppendResult {
  uint64_t accepted = 0;               // New samples stored.
  uint64_t duplicates = 0;             // Exact resends (same timestamp and value): accepted, no-op.
  uint64_t out_of_order = 0;           // Older than the series' newest sample (beyond the window).
  uint64_t out_of_order_accepted = 0;  // Older, but inside the out-of-order window: stored.
  uint64_t duplicate_timestamp = 0;    // Same timestamp as the newest sample, other value.
  uint64_t out_of_bounds = 0;          // Older than the head's lower bound (data moved out).
  uint64_t series_created = 0;
  uint64_t series_limit = 0;  // Samples of new series refused by HeadOptions::max_series.
  // The first few rejection messages, for the HTTP 400 body.
  std::vector<std::string> errors;
  static constexpr size_t kMaxErrors = 10;
  uint64_t rejected() const {
    return out_of_order + duplicate_timestamp + out_of_bounds + series_limit;
  }
};

struct CacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t evictions = 0;
  uint64_t used_bytes = 0;
};

// What a salvaging start-up skipped (all zero when the WAL was clean).
struct SalvageStats {
  uint64_t ranges = 0;           // Damaged ranges skipped.
  uint64_t bytes = 0;            // Bytes skipped.
  uint64_t records = 0;          // Records lost (at least).
  uint64_t samples_dropped = 0;  // Samples whose series record was lost.
  uint64_t series_dropped = 0;   // Distinct series ids of those samples.
  std::string damaged_dir;       // Where copies of the damaged files are.
};

struct HeadStats {
  uint64_t series = 0;
  uint64_t samples_appended = 0;
  uint64_t chunks = 0;
  uint64_t chunk_bytes = 0;
  uint64_t memory_bytes = 0;  // Estimate: chunks, series structs, index, symbols.
  // Closed chunks in the chunk file (HeadOptions::chunks_on_disk): live ones, the bytes of the
  // file's live segments, and write errors (after the first, chunks stay in memory).
  uint64_t chunks_on_disk = 0;
  uint64_t chunk_file_bytes = 0;
  uint64_t chunk_file_errors = 0;
  int64_t min_time = 0;  // Over the samples in memory (approximate after a truncation);
  int64_t max_time = 0;  // 0/0 when empty.
  int64_t min_valid_time = INT64_MIN;  // Appends older than this are out of bounds.
  uint64_t series_removed = 0;         // By truncation, since start-up.
  uint64_t chunks_removed = 0;
  int64_t longest_append_stall_ns = 0;  // Longest wait of one Append for the head's locks.
  SalvageStats salvage;                 // What WAL salvage skipped at this start-up.
  CacheStats postings_cache;
  CacheStats chunk_cache;
};

// The head's index cardinality, as Prometheus' /api/v1/status/tsdb reports it: each list holds
// the `limit` largest entries, largest first (ties by name).
struct HeadCardinality {
  struct Entry {
    std::string name;
    uint64_t value = 0;
  };
  uint64_t label_pairs = 0;                  // Distinct (name, value) pairs.
  std::vector<Entry> series_by_metric_name;  // __name__ value -> series.
  std::vector<Entry> values_by_label_name;   // label name -> distinct values.
  std::vector<Entry> memory_by_label_name;   // label name -> bytes of its values x series.
  std::vector<Entry> series_by_label_pair;   // "name=value" -> series.
};

class Head final : public Querier {
 public:
  // Opens <dir>/wal, replays it into memory, and starts logging. `registry` (may be null) gets
  // the head's metrics. Corruption when the WAL is damaged and repair is disabled.
  static Result<std::unique_ptr<Head>> Open(const std::string& dir, HeadOptions options,
                                            prometheus::Registry* registry);
  ~Head();
  Head(const Head&) = delete;
  Head& operator=(const Head&) = delete;

  // Appends a batch: creates unknown series, checks each sample against the series' newest
  // (duplicate / out-of-order rules), logs accepted samples to the WAL and publishes them.
  // Returns OK with per-sample rejections in `result`; a non-OK Status means the WAL write
  // failed and nothing of the batch was accepted. REQUIRES: every labels set is valid
  // (see SeriesInput).
  Status Append(std::span<const SeriesInput> batch, AppendResult* result);

  // Querier. Select snapshots the matching series' chunk bytes (compressed) when called and
  // decodes a series when its samples are read, so a later truncation never changes what an
  // open SeriesSet returns.
  Result<std::unique_ptr<SeriesSet>> Select(const model::Matchers& matchers,
                                            const SelectHints& hints) const override;
  Result<std::vector<model::Labels>> Series(const model::Matchers& matchers, int64_t mint,
                                            int64_t maxt) const override;
  Result<std::vector<std::string>> LabelNames(const std::vector<model::Matchers>& selectors,
                                              int64_t mint, int64_t maxt) const override;
  Result<std::vector<std::string>> LabelValues(const std::string& name,
                                               const std::vector<model::Matchers>& selectors,
                                               int64_t mint, int64_t maxt) const override;

  // --- Compaction protocol. One caller at a time; appends and reads go on meanwhile. ---
  // Oldest sample in memory, INT64_MAX when empty. Cost: a pass over every series.
  int64_t MinTime() const;
  // A lower bound of MinTime() at the cost of one atomic load (exact until a truncation; then
  // the truncation time).
  int64_t MinTimeLowerBound() const;
  // Newest sample ever appended (INT64_MIN when none).
  int64_t MaxTime() const;
  int64_t min_valid_time() const { return min_valid_time_.load(std::memory_order_acquire); }
  // Step 1: from now on samples older than `t` are rejected as out of bounds. Never lowers the
  // bound. Returns once no append in flight can still add a sample older than `t`.
  void SetMinValidTime(int64_t t);
  // Step 2: the data of every series in [mint, maxt): closed chunks as they are, open chunks
  // that end before maxt (closed by this call), with the out-of-order samples of the range
  // merged in (those series' chunks are re-encoded). REQUIRES: min_valid_time() >= maxt and
  // both bounds are multiples of chunk_range_ms. Chunks before mint are not returned. An error
  // reading a chunk back from the chunk file fails the whole call.
  Result<std::vector<WarmSeriesData>> CollectRange(int64_t mint, int64_t maxt);
  // Step 3, once everything before `t` is durable in another tier: drops every chunk and
  // out-of-order sample before `t` from memory, removes series left without samples from the
  // series map, the postings and the symbol table, then writes a WAL checkpoint (series records
  // of the series in memory, samples at or after `t`) and deletes the segments it covers.
  // REQUIRES: min_valid_time() >= t. IOError when the checkpoint fails (memory is truncated
  // already, which is safe: the data is in the other tier; the next move checkpoints again).
  Status Truncate(int64_t t);

  // Bytes of the WAL segments after the newest checkpoint: what a restart replays as samples
  // records rather than installing chunks.
  uint64_t WalTailBytes() const;
  // Between moves: when the WAL segments after the newest checkpoint hold at least
  // HeadOptions::checkpoint_tail_min_bytes and half the head's chunk bytes, and the last
  // checkpoint is checkpoint_tail_min_interval_ms old, writes a new
  // checkpoint of what the head holds (nothing is dropped: the cut stays min_valid_time()) and
  // deletes the segments it covers, so that a restart installs chunks instead of appending a
  // long run of logged samples one by one. Sets *did when it wrote one. The same steps and
  // crash safety as Truncate's checkpoint; crash points tail-checkpoint-before-commit,
  // tail-checkpoint-written, tail-segments-deleted. Compaction thread only (as Truncate).
  Status CheckpointTailIfLarge(bool* did);

  HeadStats Stats() const;
  // Walks the whole postings index (a shared lock: appends of new series wait).
  HeadCardinality Cardinality(size_t limit) const;
  const ReplayStats& replay_stats() const { return replay_stats_; }
  const SalvageStats& salvage_stats() const { return salvage_; }
  double replay_seconds() const { return replay_seconds_; }

  // Flushes and closes the WAL. Appends after Close() fail with Unavailable.
  Status Close();

 private:
  explicit Head(HeadOptions options);
  Status Replay(const std::string& wal_dir);
  // Appends replayed samples. REQUIRES: only the replay worker owning these series calls it.
  void ApplyReplaySamples(const std::vector<head::SampleRecordEntry>& entries);
  // Replays a chunks record (docs/format/wal.md): each entry's chunks become the series' chunks
  // when it holds nothing yet, else their samples are appended by the usual rules. Checks every
  // entry before changing anything: Corruption leaves the head as it was. REQUIRES: no replay
  // worker is running.
  Status ApplyReplayChunks(const std::vector<head::ChunksRecordEntry>& entries);
  // Finds or creates the series for `labels`; `created` tells which.
  // nullptr (and *created false) when the series is new and options_.max_series is reached.
  head::MemSeries* GetOrCreate(std::span<const model::LabelView> labels, bool* created);
  // wanted_id >= 0: the id a new series gets (WAL replay); -1: the next free id. max_series > 0:
  // nullptr instead of creating a series past that many.
  head::MemSeries* GetOrCreateWithId(std::span<const model::LabelView> labels, int64_t wanted_id,
                                     bool* created, uint64_t max_series = 0);
  head::MemSeries* CreateWithId(
      uint32_t id, const std::vector<std::pair<std::string_view, std::string_view>>& labels);
  head::MemSeries* SeriesById(uint32_t id) const;
  // Checks a sample against the series' pending state and advances it. Returns true when the
  // sample is new (to log and append); false for duplicates and rejections (counted).
  // Samples inside the out-of-order window are reported with *ooo = true.
  bool CheckSample(head::MemSeries* s, int64_t t, double v, AppendResult* result, bool* ooo);
  // REQUIRES: the sample passed CheckSample with *ooo = true. Returns false for a duplicate.
  bool CheckOutOfOrder(head::MemSeries* s, int64_t t, uint64_t v_bits, AppendResult* result);
  void AppendOutOfOrder(head::MemSeries* s, int64_t t, uint64_t v_bits);
  void AppendToChunk(head::MemSeries* s, int64_t t, uint64_t v_bits);
  // REQUIRES: s->mu held, or the calling thread is the only one that can touch `s` (WAL
  // replay, before the head is shared).
  void AppendToChunkUnlocked(head::MemSeries* s, int64_t t,
                             uint64_t v_bits) STRATA_NO_THREAD_SAFETY_ANALYSIS;
  // Moves the open chunk to the closed ones. REQUIRES: s->mu held (or replay), an open chunk.
  void CloseOpenChunk(head::MemSeries* s) STRATA_NO_THREAD_SAFETY_ANALYSIS;
  // Adds a closed chunk to s: into the chunk file when there is one (and it takes it), else
  // kept in memory. REQUIRES: s->mu held (or replay).
  void AddClosedChunk(head::MemSeries* s, int64_t min_t, int64_t max_t,
                      std::span<const uint8_t> bytes) STRATA_NO_THREAD_SAFETY_ANALYSIS;
  // Appends a closed chunk's bytes to *out (from memory or the chunk file).
  Status ReadClosedChunk(const head::MemChunk& c, std::string* out) const;
  std::vector<uint32_t> Postings(const model::Matchers& matchers) const;
  Result<std::vector<uint32_t>> SelectIds(const model::Matchers& matchers) const;
  Result<std::vector<uint32_t>> ResolvePostings(const model::Matchers& matchers) const;
  model::Labels LabelsOf(const head::MemSeries& s) const;
  bool HasSamplesIn(head::MemSeries* s, int64_t mint, int64_t maxt) const;
  std::vector<std::pair<std::string_view, std::string_view>> LabelViews(
      const head::MemSeries& s) const;
  // Compaction helpers (head_compact.cc).
  // `salvage`: read the log as a salvaging replay does and drop samples of unknown series.
  // `tail`: a checkpoint between moves (CheckpointTailIfLarge): its own crash point names.
  Status CheckpointWal(int64_t t, bool salvage = false, bool tail = false);
  void DropBefore(int64_t t);
  // Adds one sample to `result`'s error list (bounded).
  void AddError(AppendResult* result, std::string msg) const;

  const HeadOptions options_;
  std::unique_ptr<head::SymbolTable> symbols_;
  std::unique_ptr<head::PostingsIndex> index_;
  std::unique_ptr<head::SeriesMap> series_;
  std::unique_ptr<Wal> wal_;
  // Closed chunks' bytes (docs/format/head_chunks.md); null when
  // HeadOptions::chunks_on_disk is off. Lock order: a series' mu, then the file's.
  std::unique_ptr<head::ChunkFile> chunk_file_;

  // Held shared by appends (series lookup through publication) and reads that touch MemSeries
  // pointers, exclusively by the truncation step that frees series. Taken before commit_mu_.
  mutable SharedMutex gc_mu_{SharedMutex::Preference::kWriters};
  // Orders validation, WAL write and publication of whole batches; see the file comment.
  Mutex commit_mu_;
  std::string record_buf_ STRATA_GUARDED_BY(commit_mu_);
  bool closed_ STRATA_GUARDED_BY(commit_mu_) = false;

  // Bumped whenever a series is created, so cached postings of older generations are stale.
  std::atomic<uint64_t> series_generation_{0};
  mutable LruCache<std::string, std::vector<uint32_t>> postings_cache_;
  // Keyed by (series id, chunk sequence number): ids and sequence numbers are never reused, so
  // truncation cannot make an entry stale.
  mutable LruCache<uint64_t, std::vector<model::Sample>> chunk_cache_;

  // Set when WAL replay met a series id that aliases another series' id (rare): replay then
  // has to look up canonical ids.
  bool replay_has_aliases_ = false;
  std::atomic<uint64_t> samples_appended_{0};
  std::atomic<uint64_t> chunks_cut_{0};
  std::atomic<int64_t> min_time_{INT64_MAX};
  std::atomic<int64_t> max_time_{INT64_MIN};
  std::atomic<int64_t> min_valid_time_{INT64_MIN};
  // Timestamps outside [kMinTimestampMs, max_valid_time_] are out of bounds (INT64_MAX when
  // max_future_ms is 0). kMinTimestampMs keeps every time computation
  // of the compactor (aligned ranges) far from int64 overflow: about 146 million years back.
  static constexpr int64_t kMinTimestampMs = -(int64_t{1} << 62);
  int64_t max_valid_time_ = INT64_MAX;  // Written and read under commit_mu_ (Append).
  // True while the WAL replays (single-threaded set-up): every logged sample is accepted.
  bool replaying_ = false;
  std::atomic<uint64_t> series_removed_{0};
  std::atomic<uint64_t> chunks_removed_{0};
  std::atomic<int64_t> longest_stall_ns_{0};
  // Number of the newest WAL checkpoint written by Truncate (compaction thread only).
  int last_checkpoint_ = -1;
  // When this process last wrote a checkpoint (compaction thread only).
  std::optional<std::chrono::steady_clock::time_point> last_checkpoint_at_;
  ReplayStats replay_stats_;
  SalvageStats salvage_;
  double replay_seconds_ = 0;

  struct Metrics;
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace strata::storage
