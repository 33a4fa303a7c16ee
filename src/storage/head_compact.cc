// Head: the compaction protocol: raising the lower bound, collecting a range for the warm tier,
// and truncation (memory first, then the WAL checkpoint and segment deletion). Crash points
// (base/crash_point.h) name each step for the kill tests.
#include <absl/container/flat_hash_set.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>

#include "base/crash_point.h"
#include "base/log.h"
#include "storage/head.h"
#include "storage/head/head_metrics.h"
#include "storage/head/mem_series.h"
#include "storage/head/postings_index.h"
#include "storage/head/series_map.h"
#include "storage/head/symbol_table.h"
#include "storage/head/wal_records.h"
#include "storage/wal/checkpoint.h"
#include "storage/wal/layout.h"

namespace strata::storage {

using head::MemSeries;

namespace {

// Re-encodes one series' in-order samples for a checkpoint's chunks records, cutting chunks as
// Head::AppendToChunkUnlocked does. Samples that were out of order when logged (not after the
// newest before them) are left to the caller. Not movable once appending (the appender points
// into `open`).
class CheckpointChunks {
 public:
  CheckpointChunks(int max_samples, int64_t range_ms)
      : max_samples_(max_samples), range_ms_(range_ms) {}
  CheckpointChunks(const CheckpointChunks&) = delete;
  CheckpointChunks& operator=(const CheckpointChunks&) = delete;

  // False when `t` is not after the newest sample given so far (out of order).
  bool Add(int64_t t, uint64_t v_bits) {
    if (appender_.has_value()) {
      if (t <= open_max_t_) return false;
      if (open_samples_ >= max_samples_ || t >= head::ChunkRangeEnd(open_min_t_, range_ms_)) {
        Close();
      }
    } else if (!closed_.empty() && t <= closed_.back().max_t) {
      return false;
    }
    if (!appender_.has_value()) {
      open_ = XorChunk();
      auto app = XorAppender::Open(&open_);
      STRATA_CHECK(app.ok()) << app.status().ToString();
      appender_.emplace(std::move(app).value());
      open_min_t_ = t;
      open_samples_ = 0;
    }
    Status st = appender_->Append(t, std::bit_cast<double>(v_bits));
    STRATA_CHECK(st.ok()) << st.ToString();  // Increasing times; the cut leaves room.
    open_max_t_ = t;
    ++open_samples_;
    return true;
  }

  // Every chunk, the open one last, into `entry` (views into this object).
  void Fill(head::ChunksRecordEntry* entry) const {
    entry->chunks.clear();
    auto view = [](const XorChunk& c) {
      auto b = c.bytes();
      return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
    };
    for (const auto& c : closed_) entry->chunks.push_back({c.min_t, c.max_t, view(*c.mem)});
    if (appender_.has_value()) entry->chunks.push_back({open_min_t_, open_max_t_, view(open_)});
  }
  size_t bytes() const {
    size_t n = open_.size_bytes();
    for (const auto& c : closed_) n += c.mem->size_bytes();
    return n;
  }
  bool empty() const { return closed_.empty() && !appender_.has_value(); }

 private:
  void Close() {
    closed_.push_back(
        head::MemChunk{open_min_t_, open_max_t_, {}, std::make_unique<XorChunk>(std::move(open_))});
    appender_.reset();
    open_ = XorChunk();
  }

  const int max_samples_;
  const int64_t range_ms_;
  std::vector<head::MemChunk> closed_;
  XorChunk open_;
  std::optional<XorAppender> appender_;
  int64_t open_min_t_ = 0;
  int64_t open_max_t_ = 0;
  int open_samples_ = 0;
};

// Chunks records of a checkpoint are cut at about this size: half a WAL page, so damage that
// a salvaging replay skips costs about what it costs in samples records (a page or two).
constexpr size_t kChunksRecordBytes = size_t{16} << 10;

}  // namespace

int64_t Head::MinTimeLowerBound() const { return min_time_.load(std::memory_order_acquire); }

int64_t Head::MinTime() const {
  int64_t lo = INT64_MAX;
  ReaderLock gc_lock(&gc_mu_);
  const uint32_t limit = series_->id_limit();
  for (uint32_t id = 0; id < limit; ++id) {
    MemSeries* s = SeriesById(id);
    if (s == nullptr || s->id() != id) continue;
    MutexLock lock(&s->mu);
    if (!s->closed.empty()) lo = std::min(lo, s->closed.front().min_t);
    if (s->appender.has_value()) lo = std::min(lo, s->open_min_t);
    if (s->ooo && !s->ooo->empty()) lo = std::min(lo, s->ooo->front().timestamp_ms);
  }
  return lo;
}
int64_t Head::MaxTime() const { return max_time_.load(std::memory_order_acquire); }

void Head::SetMinValidTime(int64_t t) {
  // Appends validate, log and publish under commit_mu_: once we hold it, none in flight can
  // still add a sample older than t.
  MutexLock lock(&commit_mu_);
  if (t > min_valid_time_.load(std::memory_order_relaxed)) {
    min_valid_time_.store(t, std::memory_order_release);
  }
}

namespace {

// Re-encodes `samples` (sorted, unique timestamps) into chunks of at most `max_samples`.
void EncodeChunks(const std::vector<model::Sample>& samples, int max_samples,
                  std::vector<WarmChunk>* out) {
  size_t i = 0;
  while (i < samples.size()) {
    XorChunk chunk;
    auto app = XorAppender::Open(&chunk);
    STRATA_CHECK(app.ok()) << app.status().ToString();
    WarmChunk wc;
    wc.min_t = samples[i].timestamp_ms;
    size_t end = std::min(samples.size(), i + static_cast<size_t>(max_samples));
    for (; i < end; ++i) {
      Status st = app->Append(samples[i].timestamp_ms, samples[i].value);
      STRATA_CHECK(st.ok()) << st.ToString();
      wc.max_t = samples[i].timestamp_ms;
    }
    auto b = chunk.bytes();
    wc.bytes.assign(reinterpret_cast<const char*>(b.data()), b.size());
    out->push_back(std::move(wc));
  }
}

}  // namespace

Result<std::vector<WarmSeriesData>> Head::CollectRange(int64_t mint, int64_t maxt) {
  std::vector<WarmSeriesData> out;
  ReaderLock gc_lock(&gc_mu_);
  const uint32_t limit = series_->id_limit();
  std::vector<model::Sample> ooo;
  for (uint32_t id = 0; id < limit; ++id) {
    MemSeries* s = SeriesById(id);
    if (s == nullptr || s->id() != id) continue;
    WarmSeriesData d;
    ooo.clear();
    {
      MutexLock lock(&s->mu);
      // No sample older than maxt can arrive any more, so an open chunk that starts before
      // maxt (and so lies wholly before it: chunks never span a chunk range) is complete.
      if (s->appender.has_value() && s->open_min_t < maxt) CloseOpenChunk(s);
      for (const auto& c : s->closed) {
        if (c.min_t < mint || c.min_t >= maxt) continue;
        WarmChunk wc{c.min_t, c.max_t, std::string()};
        STRATA_RETURN_IF_ERROR(ReadClosedChunk(c, &wc.bytes));
        d.chunks.push_back(std::move(wc));
      }
      if (s->ooo) {
        for (const auto& smp : *s->ooo) {
          if (smp.timestamp_ms >= mint && smp.timestamp_ms < maxt) ooo.push_back(smp);
        }
      }
    }
    if (!ooo.empty()) {
      // Merge the out-of-order samples in (the in-order sample wins on equal timestamps) and
      // re-encode this series' chunks of the range.
      std::vector<model::Sample> merged;
      for (const WarmChunk& c : d.chunks) {
        XorIterator it(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(c.bytes.data()),
                                                c.bytes.size()));
        while (it.Next()) merged.push_back({it.t(), it.v()});
      }
      std::vector<model::Sample> all;
      all.reserve(merged.size() + ooo.size());
      std::merge(merged.begin(), merged.end(), ooo.begin(), ooo.end(), std::back_inserter(all),
                 [](const model::Sample& a, const model::Sample& b) {
                   return a.timestamp_ms < b.timestamp_ms;
                 });
      // std::merge puts equal elements of the first range (in-order samples) first.
      all.erase(std::unique(all.begin(), all.end(),
                            [](const model::Sample& a, const model::Sample& b) {
                              return a.timestamp_ms == b.timestamp_ms;
                            }),
                all.end());
      d.chunks.clear();
      EncodeChunks(all, options_.chunk_max_samples, &d.chunks);
    }
    if (d.chunks.empty()) continue;
    d.labels = LabelsOf(*s);
    out.push_back(std::move(d));
  }
  return out;
}

void Head::DropBefore(int64_t t) {
  std::vector<MemSeries*> emptied;
  uint64_t chunks_removed = 0;
  const uint32_t limit = series_->id_limit();
  // Only this thread (the single compaction caller) removes series, so the pointers read here
  // stay valid without the truncation lock until the exclusive section below.
  for (uint32_t id = 0; id < limit; ++id) {
    MemSeries* s = SeriesById(id);
    if (s == nullptr || s->id() != id) continue;
    MutexLock lock(&s->mu);
    size_t k = 0;
    while (k < s->closed.size() && s->closed[k].max_t < t) ++k;
    if (k > 0) {
      if (chunk_file_ != nullptr) {
        for (size_t i = 0; i < k; ++i) chunk_file_->Release(s->closed[i].ref);
      }
      s->closed.erase(s->closed.begin(), s->closed.begin() + static_cast<ptrdiff_t>(k));
      s->closed.shrink_to_fit();
      s->closed_base += k;
      chunks_removed += k;
    }
    if (s->appender.has_value() && s->open_max_t < t) {
      s->appender.reset();
      s->open = XorChunk();
      ++chunks_removed;
    }
    if (s->ooo) {
      std::erase_if(*s->ooo, [t](const model::Sample& smp) { return smp.timestamp_ms < t; });
      if (s->ooo->empty()) s->ooo.reset();
    }
    if (s->closed.empty() && !s->appender.has_value() && !s->ooo) emptied.push_back(s);
  }
  // The oldest sample left is at or after t: t stays a lower bound (MinTime() scans).
  int64_t cur = min_time_.load(std::memory_order_relaxed);
  while (cur < t && !min_time_.compare_exchange_weak(cur, t, std::memory_order_acq_rel)) {
  }
  uint64_t removed = 0;
  if (!emptied.empty()) {
    // Exclusive: no append holds a series pointer and no reader is snapshotting.
    WriterLock gc_lock(&gc_mu_);
    for (MemSeries* s : emptied) {
      {
        MutexLock lock(&s->mu);
        // A sample at or after t may have arrived since the pass above.
        if (!s->closed.empty() || s->appender.has_value() || s->ooo) continue;
      }
      index_->Remove(s->id(), s->labels());
      for (const auto& [n, v] : s->labels()) {
        symbols_->Release(n);
        symbols_->Release(v);
      }
      series_->Remove(s);
      ++removed;
    }
    if (removed > 0) series_generation_.fetch_add(1, std::memory_order_release);
  }
  chunks_removed_.fetch_add(chunks_removed, std::memory_order_relaxed);
  series_removed_.fetch_add(removed, std::memory_order_relaxed);
  STRATA_LOG(kInfo, "head") << "truncated head" << LogKV("before", t)
                            << LogKV("chunks_removed", chunks_removed)
                            << LogKV("series_removed", removed) << LogKV("series", series_->size());
}

Status Head::CheckpointWal(int64_t t, bool salvage, bool tail) {
  // A salvage rewrite must cover the damaged files however recent they are: give the current
  // segment content so that a new checkpoint number exists.
  if (salvage) STRATA_RETURN_IF_ERROR(wal_->Log(std::string_view()));
  auto n = wal_->NextSegmentForCheckpoint();
  if (!n.ok()) {
    if (n.status().code() == StatusCode::kNotFound) return Status::Ok();  // Nothing logged.
    return n.status().WithContext("checkpointing the WAL");
  }
  if (*n <= last_checkpoint_) {
    // Nothing was logged since the checkpoint covering segment n (several moves in a row).
    // An empty record (a no-op for replay, docs/format/wal.md) gives the current segment
    // content, so it can be finished and a newer checkpoint written over it.
    STRATA_RETURN_IF_ERROR(wal_->Log(std::string_view()));
    n = wal_->NextSegmentForCheckpoint();
    if (!n.ok()) return n.status().WithContext("checkpointing the WAL");
  }
  STRATA_ASSIGN_OR_RETURN(auto writer, wal::CheckpointWriter::Begin(wal_->dir(), *n));
  std::vector<head::SeriesRecordEntry> series;
  std::vector<head::SampleRecordEntry> samples;
  std::vector<head::SeriesRecordEntry> kept_series;
  std::vector<head::SampleRecordEntry> kept_samples;
  std::string buf;
  uint64_t skipped = 0;
  // Format version 2: kept in-order samples become chunks records at the end (a salvage
  // rewrite keeps samples records; see docs/format/wal.md). Keyed by the id as logged. They
  // are built in memory, about as large as the head's chunks after the cut, so a head that
  // holds more (a backfill ahead of the moves) streams samples records instead.
  const bool as_chunks = !salvage && Stats().chunk_bytes <= options_.checkpoint_chunks_max_bytes;
  std::map<uint32_t, CheckpointChunks> chunked;
  std::vector<head::SampleRecordEntry> out_of_order;
  std::vector<head::ChunksRecordEntry> chunk_entries;
  // Adds a kept sample to its series' chunks, or to the out-of-order samples.
  auto keep = [&](const head::SampleRecordEntry& e) {
    auto it = chunked.try_emplace(e.id, options_.chunk_max_samples, options_.chunk_range_ms).first;
    if (!it->second.Add(e.t, e.v_bits)) out_of_order.push_back(e);
  };
  // Series ids defined so far in log order: a sample before its series record is dropped by
  // replay (an orphan of salvaged damage), so the checkpoint drops it too and the next start
  // finds nothing to salvage.
  absl::flat_hash_set<uint32_t> defined;
  Status st = Wal::ReadFinished(
      wal_->dir(), *n,
      [&](std::string_view record) -> Status {
        if (record.empty()) return Status::Ok();  // A no-op record.
        auto type = head::PeekRecordType(record);
        Status s = type.status();
        if (s.ok() && *type == head::RecordType::kSeries) {
          s = head::DecodeSeriesRecord(record, &series);
          if (s.ok()) {
            kept_series.clear();
            // Series still in memory keep their record; removed ones have no sample at or after
            // t anywhere in the log, so nothing left refers to them.
            for (const auto& e : series) {
              defined.insert(e.id);
              if (SeriesById(e.id) != nullptr) kept_series.push_back(e);
            }
            if (kept_series.empty()) return Status::Ok();
            buf.clear();
            head::EncodeSeriesRecord(kept_series, &buf);
            return writer->Add(buf);
          }
        } else if (s.ok() && *type == head::RecordType::kChunks) {
          // The previous checkpoint's chunks: their samples, in order, as if logged here.
          s = head::DecodeChunksRecord(record, &chunk_entries);
          kept_samples.clear();
          for (size_t i = 0; s.ok() && i < chunk_entries.size(); ++i) {
            const uint32_t id = chunk_entries[i].id;
            const bool live = defined.contains(id) && SeriesById(id) != nullptr;
            s = head::ForEachChunkSample(chunk_entries[i], [&](size_t, int64_t st, uint64_t v) {
              if (live && st >= t) kept_samples.push_back({id, st, v});
            });
          }
          if (s.ok()) {
            if (as_chunks) {
              for (const auto& e : kept_samples) keep(e);
              return Status::Ok();
            }
            if (kept_samples.empty()) return Status::Ok();
            buf.clear();
            head::EncodeSamplesRecord(kept_samples, &buf);
            return writer->Add(buf);
          }
        } else if (s.ok()) {
          s = head::DecodeSamplesRecord(record, &samples);
          if (s.ok()) {
            kept_samples.clear();
            for (const auto& e : samples) {
              // Samples of series no longer in memory: before t (truncation), or orphans whose
              // series record was lost to damage (salvage).
              if (e.t >= t && defined.contains(e.id) && SeriesById(e.id) != nullptr) {
                if (as_chunks) {
                  keep(e);
                } else {
                  kept_samples.push_back(e);
                }
              }
            }
            if (kept_samples.empty()) return Status::Ok();
            buf.clear();
            head::EncodeSamplesRecord(kept_samples, &buf);
            return writer->Add(buf);
          }
        }
        // Replay skips such a record too (it passed its CRC, so it is a bug or a foreign file).
        ++skipped;
        STRATA_LOG(kError, "head")
            << "checkpoint: skipping undecodable WAL record" << LogKV("error", s.ToString());
        return Status::Ok();
      },
      salvage);
  if (!st.ok()) return st.WithContext("reading the WAL for a checkpoint");
  if (as_chunks) {
    // Every series record was written above; now the chunks, then the samples that were out of
    // order when logged (replay appends those after the chunks, to the out-of-order buffer).
    std::vector<head::ChunksRecordEntry> batch;
    size_t batch_bytes = 0;
    auto flush = [&]() -> Status {
      if (batch.empty()) return Status::Ok();
      buf.clear();
      head::EncodeChunksRecord(batch, &buf);
      batch.clear();
      batch_bytes = 0;
      return writer->Add(buf);
    };
    for (const auto& [id, chunks] : chunked) {
      if (chunks.empty()) continue;
      head::ChunksRecordEntry e;
      e.id = id;
      chunks.Fill(&e);
      batch_bytes += chunks.bytes();
      batch.push_back(std::move(e));
      if (batch_bytes >= kChunksRecordBytes) STRATA_RETURN_IF_ERROR(flush());
    }
    STRATA_RETURN_IF_ERROR(flush());
    for (size_t i = 0; i < out_of_order.size(); i += 4096) {
      std::vector<head::SampleRecordEntry> part(
          out_of_order.begin() + static_cast<ptrdiff_t>(i),
          out_of_order.begin() + static_cast<ptrdiff_t>(std::min(out_of_order.size(), i + 4096)));
      buf.clear();
      head::EncodeSamplesRecord(part, &buf);
      STRATA_RETURN_IF_ERROR(writer->Add(buf));
    }
  }
  CrashPoint(salvage
                 ? "salvage-checkpoint-before-commit"
                 : (tail ? "tail-checkpoint-before-commit" : "compact-checkpoint-before-commit"));
  STRATA_RETURN_IF_ERROR(writer->Commit());
  last_checkpoint_ = *n;
  last_checkpoint_at_ = std::chrono::steady_clock::now();
  CrashPoint(tail ? "tail-checkpoint-written" : "compact-checkpoint-written");
  STRATA_RETURN_IF_ERROR(wal_->TruncateBefore(*n + 1));
  CrashPoint(tail ? "tail-segments-deleted" : "compact-segments-deleted");
  return Status::Ok();
}

uint64_t Head::WalTailBytes() const {
  auto contents = wal::ListDir(wal_->dir());
  if (!contents.ok()) return 0;  // The next tick tries again.
  const int checkpoint = contents->checkpoints.empty() ? -1 : contents->checkpoints.back();
  uint64_t bytes = 0;
  for (int n : contents->segments) {
    if (n <= checkpoint) continue;
    std::error_code ec;
    const uint64_t size = std::filesystem::file_size(wal_->dir() + "/" + wal::SegmentName(n), ec);
    if (!ec) bytes += size;
  }
  return bytes;
}

Status Head::CheckpointTailIfLarge(bool* did) {
  *did = false;
  if (options_.checkpoint_tail_min_bytes == 0) return Status::Ok();
  if (last_checkpoint_at_ &&
      std::chrono::steady_clock::now() - *last_checkpoint_at_ <
          std::chrono::milliseconds(options_.checkpoint_tail_min_interval_ms)) {
    return Status::Ok();
  }
  const uint64_t tail = WalTailBytes();
  if (tail < options_.checkpoint_tail_min_bytes) return Status::Ok();
  const uint64_t chunk_bytes = Stats().chunk_bytes;
  if (tail < chunk_bytes / 2) return Status::Ok();
  const auto start = std::chrono::steady_clock::now();
  STRATA_RETURN_IF_ERROR(CheckpointWal(min_valid_time(), /*salvage=*/false, /*tail=*/true)
                             .WithContext("checkpointing the WAL's tail"));
  *did = true;
  STRATA_LOG(kInfo, "head")
      << "checkpointed the WAL tail" << LogKV("tail_bytes", tail)
      << LogKV("head_chunk_bytes", chunk_bytes)
      << LogKV("seconds",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return Status::Ok();
}

Status Head::Truncate(int64_t t) {
  DropBefore(t);
  CrashPoint("compact-memory-truncated");
  return CheckpointWal(t);
}

}  // namespace strata::storage
