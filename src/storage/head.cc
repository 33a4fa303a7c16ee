// Head: options, opening, series lookup and creation, statistics, closing. The append path is
// in head_append.cc, WAL replay in head_replay.cc, reads in head_read.cc, compaction in
// head_compact.cc.
#include "storage/head.h"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <bit>
#include <cmath>

#include "base/check.h"
#include "base/crash_point.h"
#include "base/log.h"
#include "storage/head/head_metrics.h"
#include "storage/head/mem_series.h"
#include "storage/head/postings_index.h"
#include "storage/head/series_map.h"
#include "storage/head/symbol_table.h"
#include "storage/head/wal_records.h"
#include "storage/wal/layout.h"

namespace strata::storage {

using head::MemSeries;
using head::SymbolPair;

Status HeadOptions::Validate() const {
  if (chunk_max_samples < 2 || chunk_max_samples > XorChunk::kMaxSamples) {
    return Status::InvalidArgument("chunk_max_samples must be in [2, 65535]");
  }
  if (chunk_range_ms <= 0) return Status::InvalidArgument("chunk_range_ms must be > 0");
  if (out_of_order_window_ms < 0) {
    return Status::InvalidArgument("out_of_order_window_ms must be >= 0");
  }
  // After a move the head keeps at least half a chunk range behind its newest sample (it moves
  // the oldest range once it spans 1.5 ranges); a wider window would accept samples that
  // compaction has already moved out.
  if (out_of_order_window_ms > chunk_range_ms / 2) {
    return Status::InvalidArgument(
        "the out-of-order window (" + std::to_string(out_of_order_window_ms) +
        " ms) may not exceed half the head's chunk range (" + std::to_string(chunk_range_ms / 2) +
        " ms), which is what the head keeps in memory");
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
    h->metrics_->registry = registry;
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
    auto& m = *h->metrics_;
    m.min_time = &m.Gauge(registry, "strata_head_min_time_seconds",
                          "Oldest sample time in the head (approximate after a truncation).");
    m.max_time =
        &m.Gauge(registry, "strata_head_max_time_seconds", "Newest sample time in the head.");
    m.min_valid_time = &m.Gauge(registry, "strata_head_min_valid_time_seconds",
                                "Appends older than this are rejected as out of bounds.");
    m.series_removed = &m.Gauge(registry, "strata_head_series_removed_total",
                                "Series removed from the head by truncation since start-up.");
    m.chunks_removed = &m.Gauge(registry, "strata_head_chunks_removed_total",
                                "Chunks removed from the head by truncation since start-up.");
    m.longest_stall = &m.Gauge(registry, "strata_head_longest_append_stall_seconds",
                               "Longest time one append waited for the head's locks (other "
                               "appends and compaction) since start-up.");
    m.chunks_on_disk = &m.Gauge(registry, "strata_head_chunks_on_disk",
                                "Closed head chunks whose bytes are in <data-dir>/chunks_head "
                                "rather than in memory.");
    m.chunk_file_bytes = &m.Gauge(registry, "strata_head_chunk_file_bytes",
                                  "Bytes of the head's live chunk files (chunks_head).");
    m.chunk_file_errors = &m.Gauge(registry, "strata_head_chunk_file_errors_total",
                                   "Failed writes to the head's chunk files; after one, closed "
                                   "chunks stay in memory until restart.");
    h->metrics_->cache_bytes = &prometheus::BuildGauge()
                                    .Name("strata_cache_bytes")
                                    .Help("Bytes charged to a cache.")
                                    .Register(*registry);
  }
  if (h->options_.chunks_on_disk) {
    STRATA_ASSIGN_OR_RETURN(
        h->chunk_file_,
        head::ChunkFile::Open(dir + "/chunks_head", h->options_.chunk_file_segment_bytes));
  }
  std::string wal_dir = dir + "/wal";
  STRATA_RETURN_IF_ERROR(h->Replay(wal_dir));
  WalOptions wal_options = h->options_.wal;
  // A salvaged last segment is left for the rewrite below to replace.
  wal_options.last_segment_salvaged =
      h->salvage_.ranges > 0 && h->replay_stats_.last_segment >= 0 &&
      std::any_of(h->replay_stats_.salvaged.begin(), h->replay_stats_.salvaged.end(),
                  [&](const SalvageReport& r) {
                    return r.file == wal::SegmentName(h->replay_stats_.last_segment);
                  });
  STRATA_ASSIGN_OR_RETURN(h->wal_, Wal::Open(wal_dir, wal_options));
  if (h->salvage_.ranges > 0 || h->salvage_.samples_dropped > 0) {
    // Make the log consistent: a checkpoint of everything replayed (read the same salvaging
    // way, orphaned samples dropped) replaces the damaged files, so the next start is clean.
    // A crash before its rename repeats the salvage; after it, the damage is gone.
    CrashPoint("salvage-replayed");
    STRATA_RETURN_IF_ERROR(
        h->CheckpointWal(INT64_MIN, /*salvage=*/true).WithContext("rewriting a salvaged WAL"));
    STRATA_LOG(kInfo, "head") << "salvaged WAL rewritten as a checkpoint";
  }
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
  return GetOrCreateWithId(labels, -1, created, options_.max_series);
}

MemSeries* Head::GetOrCreateWithId(std::span<const model::LabelView> labels, int64_t wanted_id,
                                   bool* created, uint64_t max_series) {
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
  return series_->GetOrInsert(hash, eq, make, wanted_id, created, max_series);
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
  if (s == nullptr) return nullptr;  // The id names another label set: a bad record.
  if (!created && s->id() != id) {
    MemSeries* other = SeriesById(id);
    if (other != nullptr && other != s) return nullptr;  // Same: never let an alias steal it.
    series_->Alias(id, s);
    replay_has_aliases_ = true;
  }
  return s;
}

MemSeries* Head::SeriesById(uint32_t id) const { return series_->ById(id); }

Status Head::Close() {
  MutexLock lock(&commit_mu_);
  if (closed_) return Status::Ok();
  closed_ = true;
  if (wal_) return wal_->Close();
  return Status::Ok();
}

HeadCardinality Head::Cardinality(size_t limit) const {
  HeadCardinality out;
  absl::flat_hash_map<uint32_t, std::pair<uint64_t, uint64_t>> by_name;  // values, bytes
  std::vector<HeadCardinality::Entry> metrics, pairs;
  ReaderLock gc_lock(&gc_mu_);  // Truncation may not free symbols while we read them.
  uint32_t metric_name = UINT32_MAX;
  (void)symbols_->Find(model::kMetricNameLabel, &metric_name);
  index_->ForEach([&](uint32_t name, uint32_t value, const Roaring& postings) {
    const uint64_t n = postings.cardinality();
    if (n == 0) return;
    ++out.label_pairs;
    std::string_view v = symbols_->Lookup(value);
    auto& [values, bytes] = by_name[name];
    ++values;
    bytes += v.size() * n;
    if (name == metric_name) metrics.push_back({std::string(v), n});
    pairs.push_back({std::string(symbols_->Lookup(name)) + "=" + std::string(v), n});
  });
  std::vector<HeadCardinality::Entry> values, memory;
  for (const auto& [name, vb] : by_name) {
    std::string n(symbols_->Lookup(name));
    values.push_back({n, vb.first});
    memory.push_back({std::move(n), vb.second});
  }
  auto top = [limit](std::vector<HeadCardinality::Entry>* v) {
    auto cmp = [](const HeadCardinality::Entry& a, const HeadCardinality::Entry& b) {
      return a.value != b.value ? a.value > b.value : a.name < b.name;
    };
    size_t k = std::min(limit, v->size());
    std::partial_sort(v->begin(), v->begin() + static_cast<std::ptrdiff_t>(k), v->end(), cmp);
    v->resize(k);
  };
  top(&metrics);
  top(&values);
  top(&memory);
  top(&pairs);
  out.series_by_metric_name = std::move(metrics);
  out.values_by_label_name = std::move(values);
  out.memory_by_label_name = std::move(memory);
  out.series_by_label_pair = std::move(pairs);
  return out;
}

HeadStats Head::Stats() const {
  HeadStats st;
  ReaderLock gc_lock(&gc_mu_);
  st.series = series_->size();
  st.samples_appended = samples_appended_.load(std::memory_order_relaxed);
  uint32_t limit = series_->id_limit();
  uint64_t label_bytes = 0;
  uint64_t chunk_memory = 0;  // Chunk bytes on the heap (open chunks, closed ones not on disk).
  uint64_t heap_chunks = 0;
  for (uint32_t id = 0; id < limit; ++id) {
    MemSeries* s = SeriesById(id);
    if (s == nullptr || s->id() != id) continue;
    label_bytes += s->labels().capacity() * sizeof(SymbolPair);
    MutexLock lock(&s->mu);
    st.chunks += s->closed.size() + (s->appender.has_value() ? 1 : 0);
    uint64_t in_memory = 0;
    size_t in_memory_chunks = 0;
    for (const auto& c : s->closed) {
      st.chunk_bytes += c.size_bytes();
      if (!c.ref.on_disk()) {
        in_memory += c.mem->capacity_bytes() + sizeof(XorChunk);
        ++in_memory_chunks;
      }
    }
    st.chunk_bytes += s->open.size_bytes();
    chunk_memory += in_memory + (s->appender.has_value() ? s->open.capacity_bytes() : 0);
    // A closed chunk in memory is two heap blocks (the XorChunk and its bytes).
    heap_chunks += 2 * in_memory_chunks + (s->appender.has_value() ? 1 : 0);
    st.memory_bytes += s->closed.capacity() * sizeof(head::MemChunk);
  }
  // Chunk heap blocks carry about 16 bytes of allocator overhead each.
  st.memory_bytes += chunk_memory + heap_chunks * 16 + label_bytes +
                     st.series * (sizeof(MemSeries) + 2 * sizeof(void*)) + symbols_->MemoryBytes() +
                     index_->MemoryBytes();
  int64_t lo = min_time_.load(std::memory_order_relaxed);
  int64_t hi = max_time_.load(std::memory_order_relaxed);
  if (lo <= hi) {
    st.min_time = lo;
    st.max_time = hi;
  }
  st.min_valid_time = min_valid_time_.load(std::memory_order_relaxed);
  st.series_removed = series_removed_.load(std::memory_order_relaxed);
  st.chunks_removed = chunks_removed_.load(std::memory_order_relaxed);
  st.longest_append_stall_ns = longest_stall_ns_.load(std::memory_order_relaxed);
  st.salvage = salvage_;
  auto cache_stats = [](const auto& c) {
    return CacheStats{c.hits(), c.misses(), c.evictions(), c.used_bytes()};
  };
  if (chunk_file_ != nullptr) {
    const head::ChunkFile::Stats fs = chunk_file_->stats();
    st.chunks_on_disk = fs.live_chunks;
    st.chunk_file_bytes = fs.bytes;
    st.chunk_file_errors = fs.write_errors;
  }
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
    if (lo <= hi) {
      metrics_->min_time->Set(static_cast<double>(lo) / 1000.0);
      metrics_->max_time->Set(static_cast<double>(hi) / 1000.0);
    }
    if (st.min_valid_time != INT64_MIN) {
      metrics_->min_valid_time->Set(static_cast<double>(st.min_valid_time) / 1000.0);
    }
    metrics_->series_removed->Set(static_cast<double>(st.series_removed));
    metrics_->chunks_removed->Set(static_cast<double>(st.chunks_removed));
    metrics_->longest_stall->Set(static_cast<double>(st.longest_append_stall_ns) / 1e9);
    metrics_->chunks_on_disk->Set(static_cast<double>(st.chunks_on_disk));
    metrics_->chunk_file_bytes->Set(static_cast<double>(st.chunk_file_bytes));
    metrics_->chunk_file_errors->Set(static_cast<double>(st.chunk_file_errors));
    if (wal_) {
      metrics_->wal_bytes.Set(static_cast<double>(wal_->bytes_written()));
      metrics_->wal_fsyncs.Set(static_cast<double>(wal_->fsyncs()));
    }
  }
  return st;
}

}  // namespace strata::storage
