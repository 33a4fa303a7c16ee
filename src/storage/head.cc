// Head implementation: series creation and lookup, the commit protocol, WAL replay, reads.
#include "storage/head.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "base/check.h"
#include "base/log.h"
#include "storage/head/mem_series.h"
#include "storage/head/postings_index.h"
#include "storage/head/series_map.h"
#include "storage/head/symbol_table.h"
#include "storage/head/wal_records.h"

namespace strata::storage {

using head::MemSeries;
using head::SymbolPair;

struct Head::Metrics {
  explicit Metrics(prometheus::Registry* r)
      : series(prometheus::BuildGauge()
                   .Name("strata_head_series")
                   .Help("Active series in the head.")
                   .Register(*r)
                   .Add({})),
        series_created(prometheus::BuildCounter()
                           .Name("strata_head_series_created_total")
                           .Help("Series created in the head.")
                           .Register(*r)
                           .Add({})),
        samples_appended(prometheus::BuildCounter()
                             .Name("strata_head_samples_appended_total")
                             .Help("Samples stored in the head.")
                             .Register(*r)
                             .Add({})),
        memory_bytes(prometheus::BuildGauge()
                         .Name("strata_head_memory_bytes")
                         .Help("Estimated memory held by the head: chunks, series, index, "
                               "symbols.")
                         .Register(*r)
                         .Add({})),
        bytes_per_series(prometheus::BuildGauge()
                             .Name("strata_head_bytes_per_series")
                             .Help("strata_head_memory_bytes divided by active series.")
                             .Register(*r)
                             .Add({})),
        chunks(prometheus::BuildGauge()
                   .Name("strata_head_chunks")
                   .Help("Chunks in the head, open and closed.")
                   .Register(*r)
                   .Add({})),
        wal_bytes(prometheus::BuildGauge()
                      .Name("strata_wal_bytes_written")
                      .Help("Bytes written to the WAL since start-up.")
                      .Register(*r)
                      .Add({})),
        wal_fsyncs(prometheus::BuildGauge()
                       .Name("strata_wal_fsyncs")
                       .Help("WAL fsync calls since start-up.")
                       .Register(*r)
                       .Add({})),
        replay_seconds(prometheus::BuildGauge()
                           .Name("strata_wal_replay_duration_seconds")
                           .Help("Time spent replaying the WAL at start-up.")
                           .Register(*r)
                           .Add({})),
        replay_records(prometheus::BuildGauge()
                           .Name("strata_wal_replay_records")
                           .Help("WAL records replayed at start-up.")
                           .Register(*r)
                           .Add({})) {}
  prometheus::Gauge& series;
  prometheus::Counter& series_created;
  prometheus::Counter& samples_appended;
  prometheus::Gauge& memory_bytes;
  prometheus::Gauge& bytes_per_series;
  prometheus::Gauge& chunks;
  prometheus::Gauge& wal_bytes;
  prometheus::Gauge& wal_fsyncs;
  prometheus::Gauge& replay_seconds;
  prometheus::Gauge& replay_records;

  // Cache counters live in the caches; the metrics follow them by delta at scrape time.
  void UpdateCache(const std::string& cache, const CacheStats& now) {
    CacheStats& before = cache_seen[cache];
    auto bump = [&](prometheus::Family<prometheus::Counter>& fam, uint64_t cur, uint64_t prev) {
      if (cur > prev) fam.Add({{"cache", cache}}).Increment(static_cast<double>(cur - prev));
    };
    bump(*cache_hits, now.hits, before.hits);
    bump(*cache_misses, now.misses, before.misses);
    bump(*cache_evictions, now.evictions, before.evictions);
    cache_bytes->Add({{"cache", cache}}).Set(static_cast<double>(now.used_bytes));
    before = now;
  }
  prometheus::Family<prometheus::Counter>* cache_hits = nullptr;
  prometheus::Family<prometheus::Counter>* cache_misses = nullptr;
  prometheus::Family<prometheus::Counter>* cache_evictions = nullptr;
  prometheus::Family<prometheus::Gauge>* cache_bytes = nullptr;
  std::map<std::string, CacheStats> cache_seen;
};

Status HeadOptions::Validate() const {
  if (chunk_max_samples < 2 || chunk_max_samples > XorChunk::kMaxSamples) {
    return Status::InvalidArgument("chunk_max_samples must be in [2, 65535]");
  }
  if (chunk_range_ms <= 0) return Status::InvalidArgument("chunk_range_ms must be > 0");
  if (out_of_order_window_ms < 0) {
    return Status::InvalidArgument("out_of_order_window_ms must be >= 0");
  }
  if (replay_workers < -1) return Status::InvalidArgument("replay_workers must be >= -1");
  if (series_map_stripes <= 0 || (series_map_stripes & (series_map_stripes - 1)) != 0) {
    return Status::InvalidArgument("series_map_stripes must be a power of two");
  }
  return wal.Validate();
}

Head::Head(HeadOptions options)
    : options_(std::move(options)),
      symbols_(std::make_unique<head::SymbolTable>()),
      index_(std::make_unique<head::PostingsIndex>()),
      series_(std::make_unique<head::SeriesMap>(options_.series_map_stripes)),
      postings_cache_(options_.postings_cache_bytes),
      chunk_cache_(options_.chunk_cache_bytes) {}

Head::~Head() {
  Close().IgnoreError();  // Best effort; callers that care call Close() themselves.
}

Result<std::unique_ptr<Head>> Head::Open(const std::string& dir, HeadOptions options,
                                         prometheus::Registry* registry) {
  STRATA_RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<Head> h(new Head(std::move(options)));
  if (registry != nullptr) {
    h->metrics_ = std::make_unique<Metrics>(registry);
    h->metrics_->cache_hits = &prometheus::BuildCounter()
                                   .Name("strata_cache_hits_total")
                                   .Help("Lookups served from a cache, by cache.")
                                   .Register(*registry);
    h->metrics_->cache_misses = &prometheus::BuildCounter()
                                     .Name("strata_cache_misses_total")
                                     .Help("Lookups not found in a cache, by cache.")
                                     .Register(*registry);
    h->metrics_->cache_evictions = &prometheus::BuildCounter()
                                        .Name("strata_cache_evictions_total")
                                        .Help("Entries evicted to stay within the byte budget.")
                                        .Register(*registry);
    h->metrics_->cache_bytes = &prometheus::BuildGauge()
                                    .Name("strata_cache_bytes")
                                    .Help("Bytes charged to a cache.")
                                    .Register(*registry);
  }
  std::string wal_dir = dir + "/wal";
  STRATA_RETURN_IF_ERROR(h->Replay(wal_dir));
  STRATA_ASSIGN_OR_RETURN(h->wal_, Wal::Open(wal_dir, h->options_.wal));
  return h;
}

// ----------------------------------------------------------------------------------------------
// Series lookup and creation.

std::vector<std::pair<std::string_view, std::string_view>> Head::LabelViews(
    const MemSeries& s) const {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  out.reserve(s.labels().size());
  for (const auto& [n, v] : s.labels()) out.emplace_back(symbols_->Lookup(n), symbols_->Lookup(v));
  return out;
}

model::Labels Head::LabelsOf(const MemSeries& s) const {
  std::vector<model::Label> pairs;
  pairs.reserve(s.labels().size());
  for (const auto& [n, v] : s.labels()) {
    pairs.push_back({std::string(symbols_->Lookup(n)), std::string(symbols_->Lookup(v))});
  }
  // Stored labels came from a valid Labels, so they are sorted and unique.
  return std::move(model::Labels::FromSorted(std::move(pairs))).value();
}

MemSeries* Head::GetOrCreate(std::span<const model::LabelView> labels, bool* created) {
  return GetOrCreateWithId(labels, -1, created);
}

MemSeries* Head::GetOrCreateWithId(std::span<const model::LabelView> labels, int64_t wanted_id,
                                   bool* created) {
  uint64_t hash = model::HashLabelViews(labels);
  auto eq = [&](const MemSeries& s) {
    if (s.labels().size() != labels.size()) return false;
    for (size_t i = 0; i < labels.size(); ++i) {
      if (symbols_->Lookup(s.labels()[i].first) != labels[i].name ||
          symbols_->Lookup(s.labels()[i].second) != labels[i].value) {
        return false;
      }
    }
    return true;
  };
  auto make = [&](uint32_t id) {
    std::vector<SymbolPair> pairs;
    pairs.reserve(labels.size());
    for (const auto& l : labels) {
      pairs.emplace_back(symbols_->Intern(l.name), symbols_->Intern(l.value));
    }
    index_->Add(id, pairs);
    series_generation_.fetch_add(1, std::memory_order_release);
    return std::make_unique<MemSeries>(id, hash, std::move(pairs));
  };
  return series_->GetOrInsert(hash, eq, make, wanted_id, created);
}

MemSeries* Head::CreateWithId(
    uint32_t id, const std::vector<std::pair<std::string_view, std::string_view>>& labels) {
  // Replayed labels are validated like fresh ones: they must form a valid label set.
  std::vector<model::Label> pairs;
  pairs.reserve(labels.size());
  for (const auto& [n, v] : labels) pairs.push_back({std::string(n), std::string(v)});
  auto parsed = model::Labels::FromSorted(std::move(pairs));
  if (!parsed.ok() || parsed->size() != labels.size()) return nullptr;
  std::vector<model::LabelView> views;
  views.reserve(labels.size());
  for (const auto& [n, v] : labels) views.push_back({n, v});
  bool created = false;
  MemSeries* s = GetOrCreateWithId(views, id, &created);
  if (!created && s->id() != id) {
    series_->Alias(id, s);
    replay_has_aliases_ = true;
  }
  return s;
}

MemSeries* Head::SeriesById(uint32_t id) const { return series_->ById(id); }

// ----------------------------------------------------------------------------------------------
// The commit protocol.

bool Head::CheckSample(MemSeries* s, int64_t t, double v, AppendResult* result, bool* ooo) {
  *ooo = false;
  uint64_t bits = std::bit_cast<uint64_t>(v);
  if (s->has_pending) {
    if (t == s->pending_t) {
      if (bits == s->pending_v_bits) {
        ++result->duplicates;
        return false;
      }
      ++result->duplicate_timestamp;
      if (result->errors.size() < AppendResult::kMaxErrors) {
        result->errors.push_back("duplicate sample for timestamp " + std::to_string(t) +
                                 " with a different value in series " +
                                 LabelsOf(*s).ToString());
      }
      return false;
    }
    if (t < s->pending_t) {
      if (options_.out_of_order_window_ms > 0 &&
          t >= s->pending_t - options_.out_of_order_window_ms) {
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
  // Only out-of-order duplicates are detected; the commit lock orders all writers, so the
  // buffer cannot change between this check and AppendOutOfOrder of the same batch except by
  // this batch, which checks its own samples in order below.
  MutexLock lock(&s->mu);
  if (s->ooo) {
    auto it = std::lower_bound(s->ooo->begin(), s->ooo->end(), t,
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

void Head::AppendToChunkUnlocked(MemSeries* s, int64_t t, uint64_t v_bits) {
  bool cut = false;
  if (s->appender.has_value()) {
    int64_t range = options_.chunk_range_ms;
    // Floor division so that negative timestamps fall into the right partition.
    int64_t part = s->open_min_t / range - ((s->open_min_t % range) < 0 ? 1 : 0);
    int64_t boundary = (part + 1) * range;
    cut = s->open_samples >= options_.chunk_max_samples || t >= boundary;
  }
  if (cut) {
    auto b = s->open.bytes();
    // Re-allocate at the exact size: the open chunk's buffer grew by doubling.
    auto closed = XorChunk::FromBytes(std::string(reinterpret_cast<const char*>(b.data()), b.size()));
    STRATA_CHECK(closed.ok()) << closed.status().ToString();
    s->closed.push_back(head::MemChunk{s->open_min_t, s->open_max_t, std::move(closed).value()});
    s->appender.reset();
    chunks_cut_.fetch_add(1, std::memory_order_relaxed);
  }
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

Status Head::Append(std::span<const SeriesInput> batch, AppendResult* result) {
  // Series lookup and creation happen outside the commit lock: they only take stripe locks.
  std::vector<MemSeries*> refs;
  refs.reserve(batch.size());
  for (const SeriesInput& in : batch) {
    bool created = false;
    MemSeries* s = GetOrCreate(in.labels, &created);
    if (created) {
      ++result->series_created;
      if (metrics_) metrics_->series_created.Increment();
    }
    refs.push_back(s);
  }

  std::vector<head::SeriesRecordEntry> new_series;
  std::vector<head::SampleRecordEntry> samples;
  std::vector<bool> ooo_flags;  // Parallel to `samples` (shorter when the tail is in order).
  MutexLock lock(&commit_mu_);
  if (closed_) return Status::Unavailable("head is closed");
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

  record_buf_.clear();
  std::string series_rec;
  if (!new_series.empty()) head::EncodeSeriesRecord(new_series, &series_rec);
  head::EncodeSamplesRecord(samples, &record_buf_);
  std::string_view recs[2];
  size_t n = 0;
  if (!series_rec.empty()) recs[n++] = series_rec;
  recs[n++] = record_buf_;
  Status st = wal_->Append(std::span<const std::string_view>(recs, n));
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

Status Head::Close() {
  MutexLock lock(&commit_mu_);
  if (closed_) return Status::Ok();
  closed_ = true;
  if (wal_) return wal_->Close();
  return Status::Ok();
}

// ----------------------------------------------------------------------------------------------
// Replay.

namespace {

// A bounded queue of sample batches for one replay worker.
class ReplayQueue {
 public:
  void Push(std::vector<head::SampleRecordEntry> batch) {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [&] { return batches_.size() < kMaxBatches; });
    batches_.push_back(std::move(batch));
    not_empty_.notify_one();
  }
  // False once closed and drained.
  bool Pop(std::vector<head::SampleRecordEntry>* batch) {
    std::unique_lock<std::mutex> lock(mu_);
    not_empty_.wait(lock, [&] { return !batches_.empty() || closed_; });
    if (batches_.empty()) return false;
    *batch = std::move(batches_.front());
    batches_.pop_front();
    not_full_.notify_one();
    return true;
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }

 private:
  static constexpr size_t kMaxBatches = 64;  // Bounds replay memory.
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::deque<std::vector<head::SampleRecordEntry>> batches_;
  bool closed_ = false;
};

// Total size of the regular files under `dir` (0 if it does not exist).
uint64_t DirectoryBytes(const std::string& dir) {
  std::error_code ec;
  uint64_t total = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) total += it->file_size(size_ec);
  }
  return total;
}

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

Status Head::Replay(const std::string& wal_dir) {
  auto start = std::chrono::steady_clock::now();
  ReplayOptions ro;
  ro.truncate_corrupt_tail = options_.repair_corrupt_wal;
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
  for (size_t w = 0; w < workers && !inline_apply; ++w) {
    threads.emplace_back([this, &queues, w] {
      std::vector<head::SampleRecordEntry> batch;
      while (queues[w].Pop(&batch)) ApplyReplaySamples(batch);
    });
  }
  std::vector<std::vector<head::SampleRecordEntry>> parts(workers);
  std::vector<head::SeriesRecordEntry> series_entries;
  std::vector<head::SampleRecordEntry> sample_entries;
  uint64_t skipped = 0;
  auto stats = Wal::Replay(
      wal_dir,
      [&](std::string_view record) {
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
        } else if (s.ok()) {
          s = head::DecodeSamplesRecord(record, &sample_entries);
          for (const auto& e : sample_entries) {
            if (!s.ok()) break;
            MemSeries* m = SeriesById(e.id);
            if (m == nullptr) {
              s = Status::Corruption("sample for unknown series id " + std::to_string(e.id));
              break;
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
          STRATA_LOG(kError, "head") << "skipping undecodable WAL record"
                                     << LogKV("error", s.ToString());
        }
        return Status::Ok();
      },
      ro);
  for (size_t w = 0; w < workers; ++w) {
    if (!parts[w].empty()) queues[w].Push(std::move(parts[w]));
    queues[w].Close();
  }
  if (inline_apply) {
    std::vector<head::SampleRecordEntry> rest;
    while (queues[0].Pop(&rest)) ApplyReplaySamples(rest);
  }
  for (auto& t : threads) t.join();
  if (!stats.ok()) return stats.status().WithContext("replaying WAL in " + wal_dir);
  replay_stats_ = *stats;
  replay_seconds_ =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (metrics_) {
    metrics_->replay_seconds.Set(replay_seconds_);
    metrics_->replay_records.Set(static_cast<double>(replay_stats_.records));
    metrics_->series.Set(static_cast<double>(series_->size()));
  }
  STRATA_LOG(kInfo, "head") << "WAL replayed" << LogKV("records", replay_stats_.records)
                            << LogKV("series", series_->size())
                            << LogKV("samples", samples_appended_.load())
                            << LogKV("skipped_records", skipped)
                            << LogKV("workers", inline_apply ? 0 : workers)
                            << LogKV("seconds", replay_seconds_);
  return Status::Ok();
}

// ----------------------------------------------------------------------------------------------
// Reads.

Result<std::vector<uint32_t>> Head::SelectIds(const model::Matchers& matchers) const {
  // Read the generation before resolving: a series created meanwhile makes the entry stale.
  uint64_t generation = series_generation_.load(std::memory_order_acquire);
  std::vector<std::string> parts;
  parts.reserve(matchers.size());
  for (const auto& m : matchers) parts.push_back(m.ToString());
  std::sort(parts.begin(), parts.end());
  std::string key = std::to_string(generation);
  for (const auto& p : parts) key.append("\xff").append(p);
  if (auto cached = postings_cache_.Get(key)) return *cached;
  STRATA_ASSIGN_OR_RETURN(std::vector<uint32_t> ids, ResolvePostings(matchers));
  postings_cache_.Put(key, std::make_shared<const std::vector<uint32_t>>(ids),
                      ids.size() * sizeof(uint32_t) + key.size() + 64);
  return ids;
}

Result<std::vector<uint32_t>> Head::ResolvePostings(const model::Matchers& matchers) const {
  bool any_non_empty = false;
  for (const auto& m : matchers) any_non_empty |= !m.MatchesEmpty();
  if (!any_non_empty) {
    return Status::InvalidArgument(
        "vector selector must contain at least one non-empty matcher");
  }
  // Matchers that reject the empty value select by union of matching values; the others by
  // subtracting the non-matching values from the current candidates.
  std::vector<const model::Matcher*> ordered;
  for (const auto& m : matchers) {
    if (!m.MatchesEmpty()) ordered.push_back(&m);
  }
  for (const auto& m : matchers) {
    if (m.MatchesEmpty()) ordered.push_back(&m);
  }
  Roaring result;
  bool first = true;
  for (const model::Matcher* m : ordered) {
    uint32_t name_sym = 0;
    bool name_known = symbols_->Find(m->name(), &name_sym);
    if (!m->MatchesEmpty()) {
      Roaring part;
      if (name_known) {
        if (m->type() == model::MatchType::kEqual) {
          uint32_t value_sym = 0;
          if (symbols_->Find(m->value(), &value_sym)) part = index_->Get(name_sym, value_sym);
        } else {
          part = index_->UnionWhere(
              name_sym, [&](uint32_t v) { return m->Matches(symbols_->Lookup(v)); });
        }
      }
      if (first) {
        result = std::move(part);
        first = false;
      } else {
        result &= part;
      }
    } else if (name_known) {
      Roaring excluded = index_->UnionWhere(
          name_sym, [&](uint32_t v) { return !m->Matches(symbols_->Lookup(v)); });
      result -= excluded;
    }
    if (!first && result.isEmpty()) break;
  }
  std::vector<uint32_t> ids(result.cardinality());
  if (!ids.empty()) result.toUint32Array(ids.data());
  return ids;
}

bool Head::HasSamplesIn(MemSeries* s, int64_t mint, int64_t maxt) const {
  MutexLock lock(&s->mu);
  for (const auto& c : s->closed) {
    if (c.max_t >= mint && c.min_t <= maxt) return true;
  }
  if (s->ooo && !s->ooo->empty() && s->ooo->back().timestamp_ms >= mint &&
      s->ooo->front().timestamp_ms <= maxt) {
    return true;
  }
  return s->appender.has_value() && s->open_max_t >= mint && s->open_min_t <= maxt;
}

Result<std::vector<SeriesSamples>> Head::Select(const model::Matchers& matchers, int64_t mint,
                                                int64_t maxt) const {
  STRATA_ASSIGN_OR_RETURN(std::vector<uint32_t> ids, SelectIds(matchers));
  std::vector<SeriesSamples> out;
  for (uint32_t id : ids) {
    MemSeries* s = SeriesById(id);
    if (s == nullptr || s->id() != id) continue;
    // Under the series lock: take cached decodings of closed chunks, copy the bytes of the
    // others. Decode outside the lock. Closed chunks are immutable, so their decodings are
    // cached by (series id, chunk index).
    struct Piece {
      std::shared_ptr<const std::vector<model::Sample>> decoded;
      std::string bytes;
      uint64_t cache_key = 0;
      bool cacheable = false;
    };
    std::vector<Piece> pieces;
    std::vector<model::Sample> ooo;
    {
      MutexLock lock(&s->mu);
      if (s->ooo) {
        for (const auto& smp : *s->ooo) {
          if (smp.timestamp_ms >= mint && smp.timestamp_ms <= maxt) ooo.push_back(smp);
        }
      }
      for (size_t ci = 0; ci < s->closed.size(); ++ci) {
        const auto& c = s->closed[ci];
        if (c.max_t < mint || c.min_t > maxt) continue;
        Piece p;
        p.cache_key = (static_cast<uint64_t>(id) << 32) | static_cast<uint64_t>(ci);
        p.cacheable = true;
        p.decoded = chunk_cache_.Get(p.cache_key);
        if (!p.decoded) {
          auto b = c.chunk.bytes();
          p.bytes.assign(reinterpret_cast<const char*>(b.data()), b.size());
        }
        pieces.push_back(std::move(p));
      }
      if (s->appender.has_value() && s->open_max_t >= mint && s->open_min_t <= maxt) {
        Piece p;
        auto b = s->open.bytes();
        p.bytes.assign(reinterpret_cast<const char*>(b.data()), b.size());
        pieces.push_back(std::move(p));
      }
    }
    if (pieces.empty() && ooo.empty()) continue;
    SeriesSamples ss;
    // Upper bound of the result size, so the vector grows once.
    size_t bound = ooo.size();
    for (const Piece& p : pieces) {
      bound += p.decoded ? p.decoded->size()
                         : (p.bytes.size() >= 2 ? (static_cast<uint8_t>(p.bytes[0]) << 8 |
                                                   static_cast<uint8_t>(p.bytes[1]))
                                                : 0);
    }
    ss.samples.reserve(bound);
    for (Piece& p : pieces) {
      if (!p.decoded) {
        auto decoded = std::make_shared<std::vector<model::Sample>>();
        XorIterator it(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(p.bytes.data()),
                                                p.bytes.size()));
        while (it.Next()) decoded->push_back({it.t(), it.v()});
        if (!it.status().ok()) return it.status().WithContext("reading head chunk");
        if (p.cacheable) {
          chunk_cache_.Put(p.cache_key, decoded, decoded->size() * sizeof(model::Sample) + 64);
        }
        p.decoded = std::move(decoded);
      }
      const auto& d = *p.decoded;
      auto first = std::lower_bound(d.begin(), d.end(), mint, [](const model::Sample& a, int64_t t) {
        return a.timestamp_ms < t;
      });
      for (auto it = first; it != d.end() && it->timestamp_ms <= maxt; ++it) ss.samples.push_back(*it);
    }
    if (!ooo.empty()) {
      // Merge; on equal timestamps the in-order sample wins.
      std::vector<model::Sample> merged;
      merged.reserve(ss.samples.size() + ooo.size());
      size_t a = 0, b = 0;
      while (a < ss.samples.size() || b < ooo.size()) {
        if (b == ooo.size() ||
            (a < ss.samples.size() && ss.samples[a].timestamp_ms <= ooo[b].timestamp_ms)) {
          if (b < ooo.size() && ss.samples[a].timestamp_ms == ooo[b].timestamp_ms) ++b;
          merged.push_back(ss.samples[a++]);
        } else {
          merged.push_back(ooo[b++]);
        }
      }
      ss.samples = std::move(merged);
    }
    if (ss.samples.empty()) continue;
    ss.labels = LabelsOf(*s);
    out.push_back(std::move(ss));
  }
  std::sort(out.begin(), out.end(),
            [](const SeriesSamples& a, const SeriesSamples& b) { return a.labels < b.labels; });
  return out;
}

Result<std::vector<model::Labels>> Head::Series(const model::Matchers& matchers, int64_t mint,
                                                int64_t maxt) const {
  STRATA_ASSIGN_OR_RETURN(std::vector<uint32_t> ids, SelectIds(matchers));
  std::vector<model::Labels> out;
  for (uint32_t id : ids) {
    MemSeries* s = SeriesById(id);
    if (s == nullptr || s->id() != id || !HasSamplesIn(s, mint, maxt)) continue;
    out.push_back(LabelsOf(*s));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<std::string>> Head::LabelNames(const std::vector<model::Matchers>& selectors,
                                                  int64_t mint, int64_t maxt) const {
  std::vector<std::string> out;
  if (selectors.empty() && mint == INT64_MIN && maxt == INT64_MAX) {
    for (uint32_t n : index_->Names()) out.emplace_back(symbols_->Lookup(n));
  } else {
    absl::flat_hash_map<uint32_t, bool> seen;
    auto add_series = [&](uint32_t id) {
      MemSeries* s = SeriesById(id);
      if (s == nullptr || s->id() != id || !HasSamplesIn(s, mint, maxt)) return;
      for (const auto& [n, v] : s->labels()) seen.emplace(n, true);
    };
    if (selectors.empty()) {
      for (uint32_t id = 0; id < series_->id_limit(); ++id) add_series(id);
    } else {
      for (const auto& sel : selectors) {
        STRATA_ASSIGN_OR_RETURN(std::vector<uint32_t> ids, SelectIds(sel));
        for (uint32_t id : ids) add_series(id);
      }
    }
    for (const auto& [n, unused] : seen) out.emplace_back(symbols_->Lookup(n));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<std::string>> Head::LabelValues(const std::string& name,
                                                   const std::vector<model::Matchers>& selectors,
                                                   int64_t mint, int64_t maxt) const {
  std::vector<std::string> out;
  uint32_t name_sym = 0;
  if (!symbols_->Find(name, &name_sym)) return out;
  if (selectors.empty() && mint == INT64_MIN && maxt == INT64_MAX) {
    for (uint32_t v : index_->Values(name_sym)) out.emplace_back(symbols_->Lookup(v));
  } else {
    absl::flat_hash_map<uint32_t, bool> seen;
    auto add_series = [&](uint32_t id) {
      MemSeries* s = SeriesById(id);
      if (s == nullptr || s->id() != id || !HasSamplesIn(s, mint, maxt)) return;
      for (const auto& [n, v] : s->labels()) {
        if (n == name_sym) seen.emplace(v, true);
      }
    };
    if (selectors.empty()) {
      Roaring ids = index_->UnionWhere(name_sym, [](uint32_t) { return true; });
      for (uint32_t id : ids) add_series(id);
    } else {
      for (const auto& sel : selectors) {
        STRATA_ASSIGN_OR_RETURN(std::vector<uint32_t> ids, SelectIds(sel));
        for (uint32_t id : ids) add_series(id);
      }
    }
    for (const auto& [v, unused] : seen) out.emplace_back(symbols_->Lookup(v));
  }
  std::sort(out.begin(), out.end());
  return out;
}

HeadStats Head::Stats() const {
  HeadStats st;
  st.series = series_->size();
  st.samples_appended = samples_appended_.load(std::memory_order_relaxed);
  uint32_t limit = series_->id_limit();
  uint64_t label_bytes = 0;
  for (uint32_t id = 0; id < limit; ++id) {
    MemSeries* s = SeriesById(id);
    if (s == nullptr || s->id() != id) continue;
    label_bytes += s->labels().capacity() * sizeof(SymbolPair);
    MutexLock lock(&s->mu);
    st.chunks += s->closed.size() + (s->appender.has_value() ? 1 : 0);
    for (const auto& c : s->closed) st.chunk_bytes += c.chunk.size_bytes();
    st.chunk_bytes += s->open.size_bytes();
    st.memory_bytes += s->closed.capacity() * sizeof(head::MemChunk);
  }
  // Chunk heap blocks carry about 16 bytes of allocator overhead each.
  st.memory_bytes += st.chunk_bytes + st.chunks * 16 + label_bytes +
                     st.series * (sizeof(MemSeries) + 2 * sizeof(void*)) +
                     symbols_->MemoryBytes() + index_->MemoryBytes();
  int64_t lo = min_time_.load(std::memory_order_relaxed);
  int64_t hi = max_time_.load(std::memory_order_relaxed);
  if (lo <= hi) {
    st.min_time = lo;
    st.max_time = hi;
  }
  auto cache_stats = [](const auto& c) {
    return CacheStats{c.hits(), c.misses(), c.evictions(), c.used_bytes()};
  };
  st.postings_cache = cache_stats(postings_cache_);
  st.chunk_cache = cache_stats(chunk_cache_);
  if (metrics_) {
    metrics_->UpdateCache("postings", st.postings_cache);
    metrics_->UpdateCache("chunks", st.chunk_cache);
    metrics_->series.Set(static_cast<double>(st.series));
    metrics_->memory_bytes.Set(static_cast<double>(st.memory_bytes));
    metrics_->bytes_per_series.Set(
        st.series ? static_cast<double>(st.memory_bytes) / static_cast<double>(st.series) : 0);
    metrics_->chunks.Set(static_cast<double>(st.chunks));
    if (wal_) {
      metrics_->wal_bytes.Set(static_cast<double>(wal_->bytes_written()));
      metrics_->wal_fsyncs.Set(static_cast<double>(wal_->fsyncs()));
    }
  }
  return st;
}

}  // namespace strata::storage
