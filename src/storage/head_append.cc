// Head: the commit protocol: sample checks, WAL logging, publication to chunks.
#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>

#include "base/check.h"
#include "base/duration.h"
#include "base/log.h"
#include "model/quote.h"
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
// The commit protocol.

bool Head::CheckSample(MemSeries* s, int64_t t, double v, AppendResult* result, bool* ooo) {
  *ooo = false;
  uint64_t bits = std::bit_cast<uint64_t>(v);
  // Relaxed: the bound only changes under commit_mu_, which the caller holds (or replay, which
  // runs before the bound is set).
  const int64_t min_valid = min_valid_time_.load(std::memory_order_relaxed);
  if (!replaying_ && (t > max_valid_time_ || t < kMinTimestampMs)) {
    ++result->out_of_bounds;
    AddError(result,
             "out of bounds: sample timestamp " + std::to_string(t) +
                 (t < kMinTimestampMs ? " is out of the supported range"
                                      : " is too far in the future (more than --ingest.max-future "
                                        "after the server's clock)") +
                 " in series " + LabelsOf(*s).ToString());
    return false;
  }
  if (!replaying_ && options_.retention_ms > 0) {
    const int64_t newest = max_time_.load(std::memory_order_relaxed);
    if (newest != INT64_MIN &&
        static_cast<__int128>(t) < static_cast<__int128>(newest) - options_.retention_ms) {
      ++result->out_of_bounds;
      AddError(result, "out of bounds: sample timestamp " + std::to_string(t) +
                           " is older than the newest sample minus --storage.retention (" +
                           FormatDurationMillis(options_.retention_ms) +
                           "), which retention deletes, in series " + LabelsOf(*s).ToString());
      return false;
    }
  }
  if (t < min_valid) {
    ++result->out_of_bounds;
    AddError(result, "out of bounds: sample timestamp " + std::to_string(t) +
                         " is older than the head's lower bound " + std::to_string(min_valid) +
                         " (older data has been moved out of memory) in series " +
                         LabelsOf(*s).ToString());
    return false;
  }
  if (s->has_pending) {
    if (t == s->pending_t) {
      if (bits == s->pending_v_bits) {
        ++result->duplicates;
        return false;
      }
      ++result->duplicate_timestamp;
      if (result->errors.size() < AppendResult::kMaxErrors) {
        result->errors.push_back("duplicate sample for timestamp " + std::to_string(t) +
                                 " with a different value in series " + LabelsOf(*s).ToString());
      }
      return false;
    }
    if (t < s->pending_t) {
      // Replay accepts whatever was logged, whatever the window is now (the WAL is the
      // authority on what was acknowledged).
      const int64_t window = replaying_ ? INT64_MAX : options_.out_of_order_window_ms;
      if (window > 0 && (window == INT64_MAX || t >= s->pending_t - window)) {
        *ooo = true;
        return CheckOutOfOrder(s, t, bits, result);
      }
      ++result->out_of_order;
      if (result->errors.size() < AppendResult::kMaxErrors) {
        result->errors.push_back("out of order sample: timestamp " + std::to_string(t) +
                                 " is older than the newest sample " +
                                 std::to_string(s->pending_t) + " of series " +
                                 LabelsOf(*s).ToString());
      }
      return false;
    }
  }
  s->has_pending = true;
  s->pending_t = t;
  s->pending_v_bits = bits;
  return true;
}

bool Head::CheckOutOfOrder(MemSeries* s, int64_t t, uint64_t v_bits, AppendResult* result) {
  // Duplicates of out-of-order and of in-order samples are detected; the commit lock orders
  // all writers, so the buffer cannot change between this check and AppendOutOfOrder of the
  // same batch except by this batch, which checks its own samples in order below.
  MutexLock lock(&s->mu);
  if (s->ooo) {
    auto it =
        std::lower_bound(s->ooo->begin(), s->ooo->end(), t,
                         [](const model::Sample& a, int64_t x) { return a.timestamp_ms < x; });
    if (it != s->ooo->end() && it->timestamp_ms == t) {
      if (std::bit_cast<uint64_t>(it->value) == v_bits) {
        ++result->duplicates;
      } else {
        ++result->duplicate_timestamp;
        if (result->errors.size() < AppendResult::kMaxErrors) {
          result->errors.push_back("duplicate out-of-order sample for timestamp " +
                                   std::to_string(t) + " with a different value");
        }
      }
      return false;
    }
  }
  // An in-order sample at t (older than the newest, so in a chunk): the same timestamp, as the
  // in-order path would see it. Reads let the in-order sample win, so accepting this one
  // would acknowledge a sample no query ever returns.
  std::optional<uint64_t> in_order;
  auto find_in = [&](std::span<const uint8_t> bytes) {
    XorIterator it(bytes);
    while (it.Next()) {
      if (it.t() >= t) {
        if (it.t() == t) in_order = std::bit_cast<uint64_t>(it.v());
        return;
      }
    }
  };
  if (s->appender.has_value() && t >= s->open_min_t && t <= s->open_max_t) {
    find_in(s->open.bytes());
  } else {
    for (size_t ci = 0; ci < s->closed.size() && !in_order; ++ci) {
      const head::MemChunk& c = s->closed[ci];
      if (t < c.min_t || t > c.max_t) continue;
      const uint64_t key =
          (static_cast<uint64_t>(s->id()) << 32) | ((s->closed_base + ci) & uint64_t{0xffffffff});
      if (auto decoded = chunk_cache_.Get(key)) {
        auto it =
            std::lower_bound(decoded->begin(), decoded->end(), t,
                             [](const model::Sample& a, int64_t x) { return a.timestamp_ms < x; });
        if (it != decoded->end() && it->timestamp_ms == t) {
          in_order = std::bit_cast<uint64_t>(it->value);
        }
      } else {
        std::string bytes;
        if (ReadClosedChunk(c, &bytes).ok()) {
          find_in(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()),
                                           bytes.size()));
        }
      }
    }
  }
  if (in_order) {
    if (*in_order == v_bits) {
      ++result->duplicates;
    } else {
      ++result->duplicate_timestamp;
      if (result->errors.size() < AppendResult::kMaxErrors) {
        result->errors.push_back("duplicate sample for timestamp " + std::to_string(t) +
                                 " with a different value in series " + LabelsOf(*s).ToString());
      }
    }
    return false;
  }
  ++result->out_of_order_accepted;
  return true;
}

void Head::AppendOutOfOrder(MemSeries* s, int64_t t, uint64_t v_bits) {
  MutexLock lock(&s->mu);
  if (!s->ooo) s->ooo = std::make_unique<std::vector<model::Sample>>();
  auto it = std::lower_bound(s->ooo->begin(), s->ooo->end(), t,
                             [](const model::Sample& a, int64_t x) { return a.timestamp_ms < x; });
  if (it != s->ooo->end() && it->timestamp_ms == t) return;  // Same batch resent it.
  s->ooo->insert(it, model::Sample{t, std::bit_cast<double>(v_bits)});
}

void Head::AppendToChunk(MemSeries* s, int64_t t, uint64_t v_bits) {
  MutexLock lock(&s->mu);
  AppendToChunkUnlocked(s, t, v_bits);
}

void Head::AddClosedChunk(MemSeries* s, int64_t min_t, int64_t max_t,
                          std::span<const uint8_t> bytes) {
  if (chunk_file_ != nullptr) {
    Result<head::ChunkRef> ref = chunk_file_->Append(bytes);
    if (ref.ok()) {
      s->closed.push_back(head::MemChunk{min_t, max_t, *ref, nullptr});
      return;
    }
    // Logged and counted by the file; the chunk stays in memory.
  }
  // Re-allocated at the exact size (an open chunk's buffer grew by doubling).
  auto closed =
      XorChunk::FromBytes(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  STRATA_CHECK(closed.ok()) << closed.status().ToString();
  s->closed.push_back(
      head::MemChunk{min_t, max_t, {}, std::make_unique<XorChunk>(std::move(closed).value())});
}

Status Head::ReadClosedChunk(const head::MemChunk& c, std::string* out) const {
  if (!c.ref.on_disk()) {
    auto b = c.mem->bytes();
    out->append(reinterpret_cast<const char*>(b.data()), b.size());
    return Status::Ok();
  }
  if (chunk_file_ == nullptr) return Status::Internal("head: a chunk on disk without a file");
  return chunk_file_->Read(c.ref, out);
}

void Head::CloseOpenChunk(MemSeries* s) {
  AddClosedChunk(s, s->open_min_t, s->open_max_t, s->open.bytes());
  s->appender.reset();
  s->open = XorChunk();
  chunks_cut_.fetch_add(1, std::memory_order_relaxed);
}

void Head::AppendToChunkUnlocked(MemSeries* s, int64_t t, uint64_t v_bits) {
  bool cut = false;
  if (s->appender.has_value()) {
    cut = s->open_samples >= options_.chunk_max_samples ||
          t >= head::ChunkRangeEnd(s->open_min_t, options_.chunk_range_ms);
  }
  if (cut) CloseOpenChunk(s);
  if (!s->appender.has_value()) {
    s->open = XorChunk();
    auto app = XorAppender::Open(&s->open);
    STRATA_CHECK(app.ok()) << app.status().ToString();
    s->appender.emplace(std::move(app).value());
    s->open_min_t = t;
    s->open_samples = 0;
  }
  Status st = s->appender->Append(t, std::bit_cast<double>(v_bits));
  // CheckSample guarantees increasing timestamps and the cut guarantees room.
  STRATA_CHECK(st.ok()) << st.ToString();
  s->open_max_t = t;
  ++s->open_samples;
}

void Head::AddError(AppendResult* result, std::string msg) const {
  if (result->errors.size() < AppendResult::kMaxErrors) result->errors.push_back(std::move(msg));
}

Status Head::Append(std::span<const SeriesInput> batch, AppendResult* result) {
  // The newest timestamp accepted in this batch: the wall clock plus the allowed skew.
  int64_t max_valid = INT64_MAX;
  if (options_.max_future_ms > 0) {
    max_valid = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count() +
                options_.max_future_ms;
  }
  // Truncation may not free a series between its lookup and the publication of its samples.
  const auto wait_start = std::chrono::steady_clock::now();
  ReaderLock gc_lock(&gc_mu_);
  int64_t waited_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now() - wait_start)
                          .count();
  // Series lookup and creation happen outside the commit lock: they only take stripe locks.
  std::vector<MemSeries*> refs;
  refs.reserve(batch.size());
  for (const SeriesInput& in : batch) {
    bool created = false;
    MemSeries* s = GetOrCreate(in.labels, &created);
    if (s == nullptr) {  // A new series past HeadOptions::max_series.
      result->series_limit += in.samples.size();
      if (result->errors.size() < AppendResult::kMaxErrors) {
        std::string labels = "{";
        for (size_t i = 0; i < in.labels.size(); ++i) {
          if (i > 0) labels += ", ";
          labels += model::Quote(in.labels[i].name) + "=" +
                    model::Quote(in.labels[i].value.substr(0, 128));
        }
        labels += "}";
        result->errors.push_back("series limit of " + std::to_string(options_.max_series) +
                                 " reached (--storage.max-series): new series " + labels +
                                 " rejected (" + std::to_string(in.samples.size()) + " samples)");
      }
    } else if (created) {
      ++result->series_created;
      if (metrics_) metrics_->series_created.Increment();
    }
    refs.push_back(s);
  }

  std::vector<head::SeriesRecordEntry> new_series;
  std::vector<head::SampleRecordEntry> samples;
  std::vector<bool> ooo_flags;  // Parallel to `samples` (shorter when the tail is in order).
  const auto commit_wait_start = std::chrono::steady_clock::now();
  MutexLock lock(&commit_mu_);
  waited_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::steady_clock::now() - commit_wait_start)
                   .count();
  int64_t longest = longest_stall_ns_.load(std::memory_order_relaxed);
  while (waited_ns > longest &&
         !longest_stall_ns_.compare_exchange_weak(longest, waited_ns, std::memory_order_relaxed)) {
  }
  if (closed_) return Status::Unavailable("head is closed");
  max_valid_time_ = max_valid;
  // Snapshot pending state so a failed WAL write can be rolled back.
  struct Saved {
    MemSeries* s;
    bool has;
    int64_t t;
    uint64_t v;
  };
  std::vector<Saved> saved;
  saved.reserve(refs.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    MemSeries* s = refs[i];
    if (s == nullptr) continue;
    saved.push_back({s, s->has_pending, s->pending_t, s->pending_v_bits});
    size_t before = samples.size();
    for (const model::Sample& smp : batch[i].samples) {
      bool ooo = false;
      if (CheckSample(s, smp.timestamp_ms, smp.value, result, &ooo)) {
        samples.push_back({s->id(), smp.timestamp_ms, std::bit_cast<uint64_t>(smp.value)});
        if (ooo) {
          ooo_flags.resize(samples.size(), false);
          ooo_flags.back() = true;
        }
      }
    }
    // A series record goes to the WAL with the series' first logged sample, never before.
    if (!s->logged && samples.size() > before) {
      s->logged = true;
      new_series.push_back({s->id(), LabelViews(*s)});
    }
  }
  if (samples.empty()) return Status::Ok();

  // The records, each well under the WAL's record limit (64 MiB): a large request (a backfill
  // of millions of samples, which the ingest limits allow) is logged as several records in one
  // append. Series records go before the samples that use them.
  std::vector<std::string> big_records;
  std::vector<std::string_view> recs;
  {
    constexpr size_t kRecordBytes = size_t{8} << 20;
    std::vector<head::SeriesRecordEntry> part;
    size_t part_bytes = 0;
    auto flush_series = [&] {
      if (part.empty()) return;
      big_records.emplace_back();
      head::EncodeSeriesRecord(part, &big_records.back());
      part.clear();
      part_bytes = 0;
    };
    for (const auto& e : new_series) {
      size_t bytes = 24;
      for (const auto& [name, value] : e.labels) bytes += name.size() + value.size() + 20;
      if (part_bytes + bytes > kRecordBytes) flush_series();
      part_bytes += bytes;
      part.push_back(e);
    }
    flush_series();
    // A samples entry takes at most 28 bytes (two varints and 8 value bytes).
    constexpr size_t kSamplesPerRecord = kRecordBytes / 28;
    record_buf_.clear();
    if (samples.size() <= kSamplesPerRecord) {
      head::EncodeSamplesRecord(samples, &record_buf_);
    } else {
      for (size_t i = 0; i < samples.size(); i += kSamplesPerRecord) {
        std::vector<head::SampleRecordEntry> piece(
            samples.begin() + static_cast<ptrdiff_t>(i),
            samples.begin() +
                static_cast<ptrdiff_t>(std::min(samples.size(), i + kSamplesPerRecord)));
        big_records.emplace_back();
        head::EncodeSamplesRecord(piece, &big_records.back());
      }
    }
    for (const std::string& r : big_records) recs.push_back(r);
    if (!record_buf_.empty()) recs.push_back(record_buf_);
  }
  Status st = wal_->Append(recs);
  if (!st.ok()) {
    // Nothing of this batch is acknowledged: restore the pending state. Series records may or
    // may not have reached the disk; logging them again later is harmless (replay dedups).
    for (auto it = saved.rbegin(); it != saved.rend(); ++it) {
      it->s->has_pending = it->has;
      it->s->pending_t = it->t;
      it->s->pending_v_bits = it->v;
    }
    for (const auto& ns : new_series) SeriesById(ns.id)->logged = false;
    result->duplicates = 0;
    result->out_of_order_accepted = 0;
    return st.WithContext("writing WAL");
  }

  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (size_t i = 0; i < samples.size(); ++i) {
    const auto& e = samples[i];
    if (i < ooo_flags.size() && ooo_flags[i]) {
      AppendOutOfOrder(SeriesById(e.id), e.t, e.v_bits);
    } else {
      AppendToChunk(SeriesById(e.id), e.t, e.v_bits);
    }
    lo = std::min(lo, e.t);
    hi = std::max(hi, e.t);
  }
  result->accepted += samples.size();
  samples_appended_.fetch_add(samples.size(), std::memory_order_relaxed);
  if (metrics_) metrics_->samples_appended.Increment(static_cast<double>(samples.size()));
  int64_t cur = min_time_.load(std::memory_order_relaxed);
  while (lo < cur && !min_time_.compare_exchange_weak(cur, lo, std::memory_order_relaxed)) {
  }
  cur = max_time_.load(std::memory_order_relaxed);
  while (hi > cur && !max_time_.compare_exchange_weak(cur, hi, std::memory_order_relaxed)) {
  }
  return Status::Ok();
}

}  // namespace strata::storage
