// Head: reads: postings resolution, the SeriesSet over head chunks, series and label listings.
#include <algorithm>
#include <bit>
#include <cmath>

#include "base/check.h"
#include "base/log.h"
#include "storage/head.h"
#include "storage/head/head_metrics.h"
#include "storage/head/mem_series.h"
#include "storage/head/postings_index.h"
#include "storage/head/series_map.h"
#include "storage/head/symbol_table.h"
#include "storage/head/wal_records.h"
#include "storage/index/match_postings.h"

namespace strata::storage {

using head::MemSeries;
using head::SymbolPair;

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
  STRATA_RETURN_IF_ERROR(CheckSelectorMatchers(matchers));
  auto get = [&](std::string_view name, std::string_view value) -> Result<Roaring> {
    uint32_t name_sym = 0, value_sym = 0;
    if (!symbols_->Find(name, &name_sym) || !symbols_->Find(value, &value_sym)) return Roaring();
    return index_->Get(name_sym, value_sym);
  };
  auto union_where = [&](std::string_view name,
                         const std::function<bool(std::string_view)>& pred) -> Result<Roaring> {
    uint32_t name_sym = 0;
    if (!symbols_->Find(name, &name_sym)) return Roaring();
    return index_->UnionWhere(name_sym, [&](uint32_t v) { return pred(symbols_->Lookup(v)); });
  };
  STRATA_ASSIGN_OR_RETURN(Roaring result, index::MatchPostings(matchers, get, union_where));
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

namespace {

// A closed chunk's cached decoding, or a copy of a chunk's bytes to decode later.
struct ChunkPiece {
  std::shared_ptr<const std::vector<model::Sample>> decoded;
  std::string bytes;
  uint64_t cache_key = 0;
  bool cacheable = false;
};

// What Select captured of one series: compressed, so a wide selection stays small.
struct SeriesSnapshot {
  model::Labels labels;
  std::vector<ChunkPiece> pieces;
  std::vector<model::Sample> ooo;
};

using ChunkCache = LruCache<uint64_t, std::vector<model::Sample>>;

class HeadSeriesSet final : public SeriesSet {
 public:
  HeadSeriesSet(std::vector<SeriesSnapshot> series, int64_t mint, int64_t maxt, ChunkCache* cache)
      : series_(std::move(series)), mint_(mint), maxt_(maxt), cache_(cache) {}

  bool Next() override {
    if (next_ < series_.size() && next_ > 0) {
      // Free what the previous series held: a set is read once, front to back.
      SeriesSnapshot& prev = series_[next_ - 1];
      std::vector<ChunkPiece>().swap(prev.pieces);
      std::vector<model::Sample>().swap(prev.ooo);
    }
    if (next_ >= series_.size()) return false;
    cur_ = next_++;
    return true;
  }
  const model::Labels& labels() const override { return series_[cur_].labels; }
  Status ReadSamples(std::vector<model::Sample>* out) override;
  Status status() const override { return Status::Ok(); }

 private:
  std::vector<SeriesSnapshot> series_;
  const int64_t mint_;
  const int64_t maxt_;
  ChunkCache* cache_;
  size_t next_ = 0;
  size_t cur_ = 0;
};

Status HeadSeriesSet::ReadSamples(std::vector<model::Sample>* out) {
  out->clear();
  SeriesSnapshot& ss = series_[cur_];
  // Upper bound of the result size, so the vector grows once.
  size_t bound = ss.ooo.size();
  for (const ChunkPiece& p : ss.pieces) {
    bound += p.decoded
                 ? p.decoded->size()
                 : (p.bytes.size() >= 2
                        ? (static_cast<uint8_t>(p.bytes[0]) << 8 | static_cast<uint8_t>(p.bytes[1]))
                        : 0);
  }
  out->reserve(bound);
  for (ChunkPiece& p : ss.pieces) {
    if (!p.decoded) {
      auto decoded = std::make_shared<std::vector<model::Sample>>();
      XorIterator it(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(p.bytes.data()),
                                              p.bytes.size()));
      while (it.Next()) decoded->push_back({it.t(), it.v()});
      if (!it.status().ok()) return it.status().WithContext("reading head chunk");
      if (p.cacheable) {
        cache_->Put(p.cache_key, decoded, decoded->size() * sizeof(model::Sample) + 64);
      }
      p.decoded = std::move(decoded);
    }
    const auto& d = *p.decoded;
    auto first = std::lower_bound(d.begin(), d.end(), mint_, [](const model::Sample& a, int64_t t) {
      return a.timestamp_ms < t;
    });
    for (auto it = first; it != d.end() && it->timestamp_ms <= maxt_; ++it) out->push_back(*it);
  }
  if (!ss.ooo.empty()) {
    // Merge; on equal timestamps the in-order sample wins.
    std::vector<model::Sample> merged;
    merged.reserve(out->size() + ss.ooo.size());
    const auto& a_s = *out;
    const auto& b_s = ss.ooo;
    size_t a = 0, b = 0;
    while (a < a_s.size() || b < b_s.size()) {
      if (b == b_s.size() || (a < a_s.size() && a_s[a].timestamp_ms <= b_s[b].timestamp_ms)) {
        if (b < b_s.size() && a_s[a].timestamp_ms == b_s[b].timestamp_ms) ++b;
        merged.push_back(a_s[a++]);
      } else {
        merged.push_back(b_s[b++]);
      }
    }
    *out = std::move(merged);
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<SeriesSet>> Head::Select(const model::Matchers& matchers,
                                                const SelectHints& hints) const {
  const int64_t mint = hints.start_ms;
  const int64_t maxt = hints.end_ms;
  STRATA_ASSIGN_OR_RETURN(std::vector<uint32_t> ids, SelectIds(matchers));
  std::vector<SeriesSnapshot> out;
  ReaderLock gc_lock(&gc_mu_);
  for (uint32_t id : ids) {
    MemSeries* s = SeriesById(id);
    if (s == nullptr || s->id() != id) continue;
    // Under the series lock: take cached decodings of closed chunks, copy the bytes of the
    // others. Decoding happens when the samples are read. Closed chunks are immutable, so
    // their decodings are cached by (series id, chunk sequence number).
    SeriesSnapshot snap;
    {
      MutexLock lock(&s->mu);
      if (s->ooo) {
        for (const auto& smp : *s->ooo) {
          if (smp.timestamp_ms >= mint && smp.timestamp_ms <= maxt) snap.ooo.push_back(smp);
        }
      }
      for (size_t ci = 0; ci < s->closed.size(); ++ci) {
        const auto& c = s->closed[ci];
        if (c.max_t < mint || c.min_t > maxt) continue;
        ChunkPiece p;
        p.cache_key =
            (static_cast<uint64_t>(id) << 32) | ((s->closed_base + ci) & uint64_t{0xffffffff});
        p.cacheable = true;
        p.decoded = chunk_cache_.Get(p.cache_key);
        if (!p.decoded) STRATA_RETURN_IF_ERROR(ReadClosedChunk(c, &p.bytes));
        snap.pieces.push_back(std::move(p));
      }
      if (s->appender.has_value() && s->open_max_t >= mint && s->open_min_t <= maxt) {
        ChunkPiece p;
        auto b = s->open.bytes();
        p.bytes.assign(reinterpret_cast<const char*>(b.data()), b.size());
        snap.pieces.push_back(std::move(p));
      }
    }
    if (snap.pieces.empty() && snap.ooo.empty()) continue;
    snap.labels = LabelsOf(*s);
    out.push_back(std::move(snap));
  }
  std::sort(out.begin(), out.end(),
            [](const SeriesSnapshot& a, const SeriesSnapshot& b) { return a.labels < b.labels; });
  return std::unique_ptr<SeriesSet>(
      std::make_unique<HeadSeriesSet>(std::move(out), mint, maxt, &chunk_cache_));
}

Result<std::vector<model::Labels>> Head::Series(const model::Matchers& matchers, int64_t mint,
                                                int64_t maxt) const {
  STRATA_ASSIGN_OR_RETURN(std::vector<uint32_t> ids, SelectIds(matchers));
  std::vector<model::Labels> out;
  ReaderLock gc_lock(&gc_mu_);
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
  ReaderLock gc_lock(&gc_mu_);
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
  ReaderLock gc_lock(&gc_mu_);
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

}  // namespace strata::storage
