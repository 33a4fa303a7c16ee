// Head: WAL replay at start-up, with parallel workers partitioned by series.
#include <malloc.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

#include "base/check.h"
#include "base/dir_size.h"
#include "base/log.h"
#include "storage/head.h"
#include "storage/head/head_metrics.h"
#include "storage/head/mem_series.h"
#include "storage/head/postings_index.h"
#include "storage/head/series_map.h"
#include "storage/head/symbol_table.h"
#include "storage/head/wal_records.h"

namespace strata::storage {

using head::MemSeries;
using head::SymbolPair;

// ----------------------------------------------------------------------------------------------
// Replay.

namespace {

// A bounded queue of sample batches for one replay worker.
class ReplayQueue {
 public:
  void Push(std::vector<head::SampleRecordEntry> batch) {
    MutexLock lock(&mu_);
    while (batches_.size() >= kMaxBatches) not_full_.Wait(&mu_);
    batches_.push_back(std::move(batch));
    not_empty_.Signal();
  }
  // False once closed and drained.
  bool Pop(std::vector<head::SampleRecordEntry>* batch) {
    MutexLock lock(&mu_);
    while (batches_.empty() && !closed_) not_empty_.Wait(&mu_);
    if (batches_.empty()) return false;
    *batch = std::move(batches_.front());
    batches_.pop_front();
    not_full_.Signal();
    return true;
  }
  void Close() {
    MutexLock lock(&mu_);
    closed_ = true;
    not_empty_.SignalAll();
  }

 private:
  static constexpr size_t kMaxBatches = 64;  // Bounds replay memory.
  Mutex mu_;
  CondVar not_empty_, not_full_;
  std::deque<std::vector<head::SampleRecordEntry>> batches_ STRATA_GUARDED_BY(mu_);
  bool closed_ STRATA_GUARDED_BY(mu_) = false;
};

}  // namespace

void Head::ApplyReplaySamples(const std::vector<head::SampleRecordEntry>& entries) {
  AppendResult ignored;
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  uint64_t applied = 0;
  // Series state is cold: fetch the series a few entries ahead so its misses overlap. Two
  // stages: the series struct kAhead entries ahead, then (once it has arrived) the tail of its
  // open chunk kTailAhead entries ahead, which the append will write. Looked-up series wait in
  // a ring so each id is resolved once.
  constexpr size_t kAhead = 16;
  constexpr size_t kTailAhead = 8;
  MemSeries* ring[kAhead] = {};
  const size_t n = entries.size();
  for (size_t i = 0; i < std::min(n, kAhead); ++i) ring[i] = SeriesById(entries[i].id);
  for (size_t i = 0; i < n; ++i) {
    MemSeries* s = ring[i % kAhead];
    if (i + kAhead < n) {
      MemSeries* next = SeriesById(entries[i + kAhead].id);
      ring[i % kAhead] = next;
      const char* p = reinterpret_cast<const char*>(next);
      for (size_t off = 0; off < sizeof(MemSeries); off += 64) __builtin_prefetch(p + off);
    }
    if (i + kTailAhead < n) {
      if (const void* tail = ring[(i + kTailAhead) % kAhead]->ChunkTailHint()) {
        __builtin_prefetch(tail, 1);
      }
    }
    const auto& e = entries[i];
    bool ooo = false;
    if (CheckSample(s, e.t, std::bit_cast<double>(e.v_bits), &ignored, &ooo)) {
      if (ooo) {
        AppendOutOfOrder(s, e.t, e.v_bits);
      } else {
        // No lock: replay runs before the head serves anyone, each series has exactly one
        // applying thread, and joining the replay threads publishes their writes.
        AppendToChunkUnlocked(s, e.t, e.v_bits);
      }
      ++applied;
      lo = std::min(lo, e.t);
      hi = std::max(hi, e.t);
    }
    ignored.errors.clear();
  }
  samples_appended_.fetch_add(applied, std::memory_order_relaxed);
  int64_t cur = min_time_.load(std::memory_order_relaxed);
  while (lo < cur && !min_time_.compare_exchange_weak(cur, lo, std::memory_order_relaxed)) {
  }
  cur = max_time_.load(std::memory_order_relaxed);
  while (hi > cur && !max_time_.compare_exchange_weak(cur, hi, std::memory_order_relaxed)) {
  }
}

Status Head::ApplyReplayChunks(const std::vector<head::ChunksRecordEntry>& entries) {
  // Check everything first, so a bad record changes nothing. Per entry: samples per chunk and
  // the last sample's value bits.
  struct Checked {
    std::vector<int> counts;
    int64_t last_t = 0;
    uint64_t last_bits = 0;
  };
  std::vector<Checked> checked(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    Checked& c = checked[i];
    c.counts.assign(entries[i].chunks.size(), 0);
    STRATA_RETURN_IF_ERROR(
        head::ForEachChunkSample(entries[i], [&c](size_t k, int64_t t, uint64_t bits) {
          ++c.counts[k];
          c.last_t = t;
          c.last_bits = bits;
        }));
  }
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  uint64_t applied = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const head::ChunksRecordEntry& e = entries[i];
    const Checked& c = checked[i];
    uint64_t samples = 0;
    for (int n : c.counts) samples += static_cast<uint64_t>(n);
    MemSeries* s = SeriesById(e.id);
    if (s == nullptr) {
      // Its series record was lost (salvaged damage): drop these samples, as replay does.
      salvage_.samples_dropped += samples;
      continue;
    }
    bool holds_samples = false;
    {
      MutexLock lock(&s->mu);
      holds_samples = s->appender.has_value() || !s->closed.empty() || s->ooo != nullptr;
    }
    if (holds_samples || s->has_pending) {
      // The series already holds samples (an alias id, or a log written otherwise): replay the
      // chunks' samples as the samples themselves would have been replayed.
      std::vector<head::SampleRecordEntry> as_samples;
      as_samples.reserve(samples);
      Status st = head::ForEachChunkSample(e, [&](size_t, int64_t t, uint64_t bits) {
        as_samples.push_back({e.id, t, bits});
      });
      STRATA_CHECK(st.ok()) << st.ToString();  // Checked above.
      ApplyReplaySamples(as_samples);
      continue;
    }
    MutexLock lock(&s->mu);
    // Closed chunks as they are; the last one becomes the open chunk, reopened for appends.
    const size_t last = e.chunks.size() - 1;
    for (size_t k = 0; k < last; ++k) {
      const auto& rc = e.chunks[k];
      // Decoded above.
      AddClosedChunk(s, rc.min_t, rc.max_t,
                     std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(rc.bytes.data()),
                                              rc.bytes.size()));
    }
    chunks_cut_.fetch_add(last, std::memory_order_relaxed);
    const auto& open = e.chunks[last];
    auto chunk = XorChunk::FromBytes(std::string(open.bytes));
    STRATA_CHECK(chunk.ok()) << chunk.status().ToString();
    s->open = std::move(chunk).value();
    auto app = XorAppender::Open(&s->open);
    STRATA_CHECK(app.ok()) << app.status().ToString();
    s->appender.emplace(std::move(app).value());
    s->open_min_t = open.min_t;
    s->open_max_t = open.max_t;
    s->open_samples = c.counts[last];
    s->has_pending = true;
    s->pending_t = c.last_t;
    s->pending_v_bits = c.last_bits;
    applied += samples;
    lo = std::min(lo, e.chunks.front().min_t);
    hi = std::max(hi, c.last_t);
  }
  samples_appended_.fetch_add(applied, std::memory_order_relaxed);
  if (applied > 0) {
    int64_t cur = min_time_.load(std::memory_order_relaxed);
    while (lo < cur && !min_time_.compare_exchange_weak(cur, lo, std::memory_order_relaxed)) {
    }
    cur = max_time_.load(std::memory_order_relaxed);
    while (hi > cur && !max_time_.compare_exchange_weak(cur, hi, std::memory_order_relaxed)) {
    }
  }
  return Status::Ok();
}

Status Head::Replay(const std::string& wal_dir) {
  auto start = std::chrono::steady_clock::now();
  replaying_ = true;
  struct ReplayingGuard {
    bool* flag;
    ~ReplayingGuard() { *flag = false; }
  } replaying_guard{&replaying_};
  ReplayOptions ro;
  ro.truncate_corrupt_tail = options_.wal_repair == HeadOptions::WalRepair::kTruncate;
  ro.salvage = options_.wal_repair == HeadOptions::WalRepair::kSalvage;
  absl::flat_hash_map<uint32_t, bool> orphan_ids;
  // The reading thread checks CRCs, decodes records and creates series (in WAL order, so a
  // series exists before any sample that refers to it); workers append samples, each owning
  // the series whose id falls into its partition, so per-series order is the WAL order.
  // Auto: workers unless the log is tiny (then starting threads costs more than it saves).
  // Measured (rw_bench, 2 cores): 15 MB of WAL: 0.070 s on the reading thread, 0.057 s with
  // two workers; 150 MB: 1.46 s vs 0.88 s.
  // workers == 0: the reading thread applies samples itself.
  size_t workers = 0;
  if (options_.replay_workers >= 0) {
    workers = static_cast<size_t>(options_.replay_workers);
  } else if (DirectoryBytes(wal_dir) >= (uint64_t{4} << 20)) {
    // As many workers as cores: the reading thread is light enough to share them.
    workers = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 4);
  }
  const bool inline_apply = workers == 0;
  if (inline_apply) workers = 1;
  std::vector<ReplayQueue> queues(workers);
  std::vector<std::thread> threads;
  auto start_workers = [&] {
    for (size_t w = 0; w < workers && !inline_apply; ++w) {
      threads.emplace_back([this, &queues, w] {
        std::vector<head::SampleRecordEntry> batch;
        while (queues[w].Pop(&batch)) ApplyReplaySamples(batch);
      });
    }
  };
  start_workers();
  std::vector<std::vector<head::SampleRecordEntry>> parts(workers);
  // Hands the rest to the workers and waits until they applied everything.
  auto drain_workers = [&] {
    for (size_t w = 0; w < workers; ++w) {
      if (!parts[w].empty()) queues[w].Push(std::move(parts[w]));
      parts[w].clear();
      queues[w].Close();
    }
    if (inline_apply) {
      std::vector<head::SampleRecordEntry> rest;
      while (queues[0].Pop(&rest)) ApplyReplaySamples(rest);
    }
    for (auto& t : threads) t.join();
    threads.clear();
  };
  bool samples_since_drain = false;
  std::vector<head::SeriesRecordEntry> series_entries;
  std::vector<head::SampleRecordEntry> sample_entries;
  std::vector<head::ChunksRecordEntry> chunk_entries;
  uint64_t skipped = 0;
  auto stats = Wal::Replay(
      wal_dir,
      [&](std::string_view record) {
        if (record.empty()) return Status::Ok();  // A no-op record (written by compaction).
        auto type = head::PeekRecordType(record);
        Status s = type.status();
        if (s.ok() && *type == head::RecordType::kSeries) {
          s = head::DecodeSeriesRecord(record, &series_entries);
          for (size_t i = 0; s.ok() && i < series_entries.size(); ++i) {
            MemSeries* m = CreateWithId(series_entries[i].id, series_entries[i].labels);
            if (m == nullptr) {
              s = Status::Corruption("series record with invalid labels");
            } else {
              m->logged = true;
            }
          }
        } else if (s.ok() && *type == head::RecordType::kChunks) {
          s = head::DecodeChunksRecord(record, &chunk_entries);
          if (s.ok()) {
            // Chunks go in on this thread, after every sample logged before them.
            if (samples_since_drain) {
              drain_workers();
              queues = std::vector<ReplayQueue>(workers);
              start_workers();
              samples_since_drain = false;
            }
            s = ApplyReplayChunks(chunk_entries);
          }
        } else if (s.ok()) {
          samples_since_drain = true;
          s = head::DecodeSamplesRecord(record, &sample_entries);
          for (const auto& e : sample_entries) {
            if (!s.ok()) break;
            MemSeries* m = SeriesById(e.id);
            if (m == nullptr) {
              // Its series record was lost (salvaged damage): drop just this sample.
              ++salvage_.samples_dropped;
              orphan_ids.emplace(e.id, true);
              continue;
            }
            // Partition by the canonical id, so aliases of one series go to one worker; only
            // read the series (a cache miss) when aliases exist at all.
            head::SampleRecordEntry canonical = e;
            if (replay_has_aliases_) canonical.id = m->id();
            parts[canonical.id % workers].push_back(canonical);
          }
          for (size_t w = 0; w < workers; ++w) {
            if (inline_apply && !parts[w].empty()) {
              ApplyReplaySamples(parts[w]);
              parts[w].clear();
            } else if (parts[w].size() >= 4096 || (!parts[w].empty() && !s.ok())) {
              queues[w].Push(std::move(parts[w]));
              parts[w].clear();
            }
          }
        }
        if (!s.ok()) {
          // A record that passed its CRC but does not decode is a bug or a foreign file; skip
          // it loudly rather than refuse to start with everything else intact.
          ++skipped;
          STRATA_LOG(kError, "head")
              << "skipping undecodable WAL record" << LogKV("error", s.ToString());
        }
        return Status::Ok();
      },
      ro);
  drain_workers();
  if (!stats.ok()) return stats.status().WithContext("replaying WAL in " + wal_dir);
  replay_stats_ = *stats;
  salvage_.series_dropped = orphan_ids.size();
  salvage_.damaged_dir = replay_stats_.damaged_dir;
  for (const SalvageReport& r : replay_stats_.salvaged) {
    ++salvage_.ranges;
    salvage_.bytes += r.bytes;
    salvage_.records += r.records;
  }
  if (salvage_.ranges > 0 || salvage_.samples_dropped > 0) {
    STRATA_LOG(kWarn, "head") << "WAL salvaged: damaged ranges skipped"
                              << LogKV("ranges", salvage_.ranges)
                              << LogKV("bytes_skipped", salvage_.bytes)
                              << LogKV("records_skipped", salvage_.records)
                              << LogKV("samples_dropped", salvage_.samples_dropped)
                              << LogKV("series_dropped", salvage_.series_dropped)
                              << LogKV("damaged_copies", salvage_.damaged_dir);
  }
  if (metrics_) metrics_->SetSalvage(salvage_);
  replay_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (metrics_) {
    metrics_->replay_seconds.Set(replay_seconds_);
    metrics_->replay_records.Set(static_cast<double>(replay_stats_.records));
    metrics_->series.Set(static_cast<double>(series_->size()));
  }
  // Replay's record and batch buffers are freed now; return the heap to the kernel (the
  // server raises glibc's trim threshold for query buffers).
  malloc_trim(0);
  STRATA_LOG(kInfo, "head") << "WAL replayed" << LogKV("records", replay_stats_.records)
                            << LogKV("series", series_->size())
                            << LogKV("samples", samples_appended_.load())
                            << LogKV("skipped_records", skipped)
                            << LogKV("workers", inline_apply ? 0 : workers)
                            << LogKV("seconds", replay_seconds_);
  return Status::Ok();
}

}  // namespace strata::storage
