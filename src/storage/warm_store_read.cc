// WarmStore's read path: postings resolution per partition (Head::ResolvePostings' semantics),
// label lookups, the lazy SeriesSet and its chunk-record decoding. Every record's CRC is checked
// before use; damage is Corruption naming the key, never a crash or wrong samples.
// Layout: docs/format/warm.md.
#include <rocksdb/options.h>
#include <rocksdb/slice.h>

#include <algorithm>
#include <utility>

#include "storage/index/match_postings.h"
#include "storage/warm/keys.h"
#include "storage/warm/postings_merge.h"
#include "storage/warm/store_impl.h"
#include "storage/warm_store.h"
#include "storage/xor_chunk.h"

namespace strata::storage {

namespace {

std::string_view ToView(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

// MultiGet batch size for label lookups.
constexpr size_t kLabelsBatch = 1024;

std::vector<uint64_t> ToIds(const Roaring& bitmap) {
  std::vector<uint64_t> ids;
  ids.reserve(bitmap.cardinality());
  for (uint32_t id : bitmap) ids.push_back(id);
  return ids;
}

// The SeriesSet of Select: labels are loaded up front (to sort), samples on demand.
// REQUIRES: the WarmStore outlives the set. Confined to one thread.
class WarmSeriesSet final : public SeriesSet {
 public:
  struct Entry {
    model::Labels labels;
    uint64_t id = 0;
    std::vector<int64_t> parts;  // Partitions whose postings hold the series, ascending.
  };

  WarmSeriesSet(const WarmStore::Impl* impl, std::vector<Entry> entries, int64_t start, int64_t end,
                std::shared_ptr<const rocksdb::Snapshot> snapshot)
      : impl_(impl),
        entries_(std::move(entries)),
        start_(start),
        end_(end),
        snapshot_(std::move(snapshot)) {}

  bool Next() override {
    if (next_ >= entries_.size()) return false;
    cur_ = next_++;
    return true;
  }
  const model::Labels& labels() const override { return entries_[cur_].labels; }
  Status ReadSamples(std::vector<model::Sample>* out) override {
    const Entry& e = entries_[cur_];
    // As of Select: a warm-to-cold move may drop the partition before this read, after the
    // cold tier's part of the same query was selected without the new block.
    return impl_->ReadSeriesSamples(e.id, e.parts, start_, end_, snapshot_.get(), out);
  }
  Status status() const override { return Status::Ok(); }

 private:
  const WarmStore::Impl* impl_;
  std::vector<Entry> entries_;
  int64_t start_;
  int64_t end_;
  std::shared_ptr<const rocksdb::Snapshot> snapshot_;
  size_t next_ = 0;
  size_t cur_ = 0;
};

// A partition lies inside [mint, maxt]: every series in its postings has data in the range.
bool Covers(const WarmPartitionInfo& p, int64_t mint, int64_t maxt) {
  return mint <= p.min_t && p.max_t <= maxt;
}

}  // namespace

std::vector<WarmPartitionInfo> WarmStore::Impl::Overlapping(int64_t mint, int64_t maxt) const {
  std::vector<WarmPartitionInfo> out;
  MutexLock state(&state_mu_);
  for (const auto& [start, info] : partitions_) {
    if (info.max_t >= mint && info.min_t <= maxt) out.push_back(info);
  }
  return out;
}

Result<Roaring> WarmStore::Impl::GetPostings(int64_t part, std::string_view name,
                                             std::string_view value) const {
  const std::string key = warm::PostingsKey(part, name, value);
  rocksdb::PinnableSlice v;
  rocksdb::Status rs = db_->Get(rocksdb::ReadOptions(), cf(warm::kPostingsCf), key, &v);
  Roaring out;
  if (rs.IsNotFound()) return out;
  if (!rs.ok()) return warm::FromRocks(rs, dir_, "read postings");
  if (!warm::DeserializeBitmap(ToView(v), &out)) {
    return Status::Corruption("warm store " + dir_ + ": malformed postings in partition " +
                              std::to_string(part));
  }
  return out;
}

Result<Roaring> WarmStore::Impl::UnionPostingsWhere(
    int64_t part, std::string_view name, const std::function<bool(std::string_view)>& pred) const {
  const std::string prefix = warm::PostingsNamePrefix(part, name);
  // The prefix ends in 0x00, so its successor always exists.
  const std::string upper = warm::PrefixSuccessor(prefix);
  const rocksdb::Slice upper_s(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_s;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(warm::kPostingsCf)));
  Roaring out;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    std::string_view key = ToView(it->key());
    if (!key.starts_with(prefix)) break;
    if (!pred(key.substr(prefix.size()))) continue;
    Roaring b;
    if (!warm::DeserializeBitmap(ToView(it->value()), &b)) {
      return Status::Corruption("warm store " + dir_ + ": malformed postings in partition " +
                                std::to_string(part));
    }
    out |= b;
  }
  if (!it->status().ok()) return warm::FromRocks(it->status(), dir_, "scan postings");
  return out;
}

Result<Roaring> WarmStore::Impl::ResolveInPartition(int64_t part,
                                                    const model::Matchers& matchers) const {
  return index::MatchPostings(
      matchers,
      // MatchPostings calls these synchronously, while this function holds life_mu_.
      [&](std::string_view name, std::string_view value)
          STRATA_REQUIRES_SHARED(life_mu_) { return GetPostings(part, name, value); },
      [&](std::string_view name, const std::function<bool(std::string_view)>& pred)
          STRATA_REQUIRES_SHARED(life_mu_) { return UnionPostingsWhere(part, name, pred); });
}

Result<bool> WarmStore::Impl::HasChunkIn(rocksdb::Iterator* it, int64_t part, uint64_t id,
                                         int64_t mint, int64_t maxt) const {
  const std::string prefix = warm::ChunkSeriesPrefix(part, id);
  std::vector<warm::RecordChunk> chunks;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    std::string_view key = ToView(it->key());
    warm::ChunkKeyParts k;
    if (!key.starts_with(prefix) || !warm::ParseChunkKey(key, &k)) break;
    if (k.first_t > maxt) break;
    Status s = warm::DecodeChunkRecord(ToView(it->value()), &chunks);
    if (!s.ok()) {
      return s.WithContext("warm store " + dir_ + ": " + warm::DescribeChunkKey(key));
    }
    for (const auto& c : chunks) {
      if (c.max_t >= mint && c.min_t <= maxt) return true;
    }
  }
  if (!it->status().ok()) return warm::FromRocks(it->status(), dir_, "scan chunk records");
  return false;
}

Result<Roaring> WarmStore::Impl::FilterByTime(const WarmPartitionInfo& p, Roaring ids, int64_t mint,
                                              int64_t maxt) const {
  if (Covers(p, mint, maxt) || ids.isEmpty()) return ids;
  rocksdb::ReadOptions ro;
  ro.prefix_same_as_start = true;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(warm::kChunksCf)));
  Roaring out;
  for (uint32_t id : ids) {
    STRATA_ASSIGN_OR_RETURN(bool has, HasChunkIn(it.get(), p.start, id, mint, maxt));
    if (has) out.add(id);
  }
  return out;
}

Result<Roaring> WarmStore::Impl::MatchingIds(const model::Matchers& matchers, int64_t mint,
                                             int64_t maxt) const {
  Roaring out;
  for (const WarmPartitionInfo& p : Overlapping(mint, maxt)) {
    STRATA_ASSIGN_OR_RETURN(Roaring ids, ResolveInPartition(p.start, matchers));
    STRATA_ASSIGN_OR_RETURN(ids, FilterByTime(p, std::move(ids), mint, maxt));
    out |= ids;
  }
  return out;
}

Result<std::vector<model::Labels>> WarmStore::Impl::LoadLabels(
    std::span<const uint64_t> ids) const {
  std::vector<model::Labels> out;
  out.reserve(ids.size());
  for (size_t begin = 0; begin < ids.size(); begin += kLabelsBatch) {
    const size_t n = std::min(kLabelsBatch, ids.size() - begin);
    std::vector<std::string> keys;
    std::vector<rocksdb::Slice> slices;
    keys.reserve(n);
    slices.reserve(n);
    for (size_t i = 0; i < n; ++i) keys.push_back(warm::SeriesByIdKey(ids[begin + i]));
    for (const std::string& k : keys) slices.emplace_back(k);
    std::vector<rocksdb::ColumnFamilyHandle*> cfs(n, cf(warm::kSeriesCf));
    std::vector<std::string> values;
    std::vector<rocksdb::Status> statuses =
        db_->MultiGet(rocksdb::ReadOptions(), cfs, slices, &values);
    for (size_t i = 0; i < n; ++i) {
      const uint64_t id = ids[begin + i];
      if (statuses[i].IsNotFound()) {
        return Status::Corruption("warm store " + dir_ + ": series " + std::to_string(id) +
                                  " is in postings but has no labels");
      }
      if (!statuses[i].ok()) return warm::FromRocks(statuses[i], dir_, "read series labels");
      Result<model::Labels> labels = warm::DecodeLabels(values[i]);
      if (!labels.ok()) {
        return labels.status().WithContext("warm store " + dir_ + ": series " + std::to_string(id));
      }
      out.push_back(std::move(labels).value());
    }
  }
  return out;
}

Result<std::unique_ptr<SeriesSet>> WarmStore::Impl::Select(const model::Matchers& matchers,
                                                           const SelectHints& hints) const {
  STRATA_RETURN_IF_ERROR(CheckSelectorMatchers(matchers));
  // Before the partition list is read, so every partition listed is readable through it.
  std::shared_ptr<const rocksdb::Snapshot> snapshot = TakeSnapshot();
  ReaderLock life(&life_mu_);
  if (db_ == nullptr || snapshot == nullptr) return ClosedError();
  std::map<uint64_t, std::vector<int64_t>> parts_by_id;
  for (const WarmPartitionInfo& p : Overlapping(hints.start_ms, hints.end_ms)) {
    STRATA_ASSIGN_OR_RETURN(Roaring ids, ResolveInPartition(p.start, matchers));
    for (uint32_t id : ids) parts_by_id[id].push_back(p.start);
  }
  std::vector<uint64_t> ids;
  ids.reserve(parts_by_id.size());
  for (const auto& [id, parts] : parts_by_id) ids.push_back(id);
  STRATA_ASSIGN_OR_RETURN(std::vector<model::Labels> labels, LoadLabels(ids));
  std::vector<WarmSeriesSet::Entry> entries;
  entries.reserve(ids.size());
  size_t i = 0;
  for (auto& [id, parts] : parts_by_id) {
    entries.push_back({std::move(labels[i++]), id, std::move(parts)});
  }
  std::sort(entries.begin(), entries.end(),
            [](const WarmSeriesSet::Entry& a, const WarmSeriesSet::Entry& b) {
              return a.labels < b.labels;
            });
  return std::unique_ptr<SeriesSet>(std::make_unique<WarmSeriesSet>(
      this, std::move(entries), hints.start_ms, hints.end_ms, std::move(snapshot)));
}

std::shared_ptr<const rocksdb::Snapshot> WarmStore::Impl::TakeSnapshot() const {
  ReaderLock life(&life_mu_);
  if (db_ == nullptr) return nullptr;
  const rocksdb::Snapshot* s = db_->GetSnapshot();
  return std::shared_ptr<const rocksdb::Snapshot>(s, [this](const rocksdb::Snapshot* snap) {
    ReaderLock life(&life_mu_);
    if (db_ != nullptr) db_->ReleaseSnapshot(snap);
  });
}

Status WarmStore::Impl::ReadSeriesSamples(uint64_t id, std::span<const int64_t> parts,
                                          int64_t start, int64_t end,
                                          const rocksdb::Snapshot* snapshot,
                                          std::vector<model::Sample>* out, bool fill_cache) const {
  out->clear();
  ReaderLock life(&life_mu_);
  if (db_ == nullptr) return ClosedError();
  rocksdb::ReadOptions ro;
  ro.prefix_same_as_start = true;
  ro.snapshot = snapshot;
  ro.fill_cache = fill_cache;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(warm::kChunksCf)));
  std::vector<warm::RecordChunk> chunks;
  // Whether *out is strictly increasing so far (group decoders give strictly increasing
  // samples; XOR chunks are checked here), so the usual read skips the sort below.
  bool ordered = true;
  for (int64_t part : parts) {
    const std::string prefix = warm::ChunkSeriesPrefix(part, id);
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      std::string_view key = ToView(it->key());
      warm::ChunkKeyParts k;
      if (!key.starts_with(prefix) || !warm::ParseChunkKey(key, &k)) break;
      if (k.first_t > end) break;
      auto corrupt = [&](const Status& s) {
        return s.WithContext("warm store " + dir_ + ": " + warm::DescribeChunkKey(key));
      };
      Status s = warm::DecodeChunkRecord(ToView(it->value()), &chunks);
      if (!s.ok()) return corrupt(s);
      if (chunks.front().min_t != k.first_t) {
        return corrupt(Status::Corruption("first chunk does not start at the key's time"));
      }
      for (const warm::RecordChunk& c : chunks) {
        if (c.max_t < start || c.min_t > end) continue;
        if (c.group) {
          const size_t before = out->size();
          s = block::DecodeGroupSamples(c.bytes, warm::RecordGroupRef(c), start, end, out);
          if (!s.ok()) return corrupt(s);
          if (before > 0 && out->size() > before &&
              (*out)[before].timestamp_ms <= (*out)[before - 1].timestamp_ms) {
            ordered = false;
          }
          continue;
        }
        XorIterator xi(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(c.bytes.data()),
                                                c.bytes.size()));
        if (xi.Seek(start)) {
          do {
            if (xi.t() > end) break;
            if (xi.t() < c.min_t || xi.t() > c.max_t) {
              return corrupt(Status::Corruption("sample outside its chunk's bounds"));
            }
            if (!out->empty() && xi.t() <= out->back().timestamp_ms) ordered = false;
            out->push_back({xi.t(), xi.v()});
          } while (xi.Next());
        }
        if (!xi.status().ok()) return corrupt(xi.status());
      }
    }
    if (!it->status().ok()) return warm::FromRocks(it->status(), dir_, "scan chunk records");
  }
  // Records and chunks may overlap (retried moves): order by time, keep the first of equal
  // timestamps.
  if (!ordered) SortUniqueByTime(out);
  return Status::Ok();
}

Result<std::vector<std::pair<uint64_t, model::Labels>>> WarmStore::Impl::PartitionSeries(
    int64_t part) const {
  ReaderLock life(&life_mu_);
  if (db_ == nullptr) return ClosedError();
  STRATA_ASSIGN_OR_RETURN(Roaring all, GetPostings(part, "", ""));
  std::vector<uint64_t> ids = ToIds(all);
  STRATA_ASSIGN_OR_RETURN(std::vector<model::Labels> labels, LoadLabels(ids));
  std::vector<std::pair<uint64_t, model::Labels>> out;
  out.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) out.emplace_back(ids[i], std::move(labels[i]));
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.second < b.second; });
  return out;
}

Result<std::vector<model::Sample>> WarmStore::Impl::PartitionSamples(int64_t part,
                                                                     uint64_t id) const {
  std::vector<model::Sample> out;
  const int64_t parts[] = {part};
  // A one-off scan: keep the block cache for queries.
  STRATA_RETURN_IF_ERROR(
      ReadSeriesSamples(id, parts, INT64_MIN, INT64_MAX, nullptr, &out, /*fill_cache=*/false));
  return out;
}

Result<std::vector<model::Labels>> WarmStore::Impl::Series(const model::Matchers& matchers,
                                                           int64_t mint, int64_t maxt) const {
  STRATA_RETURN_IF_ERROR(CheckSelectorMatchers(matchers));
  ReaderLock life(&life_mu_);
  if (db_ == nullptr) return ClosedError();
  STRATA_ASSIGN_OR_RETURN(Roaring ids, MatchingIds(matchers, mint, maxt));
  STRATA_ASSIGN_OR_RETURN(std::vector<model::Labels> out, LoadLabels(ToIds(ids)));
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<std::string>> WarmStore::Impl::LabelNames(
    const std::vector<model::Matchers>& selectors, int64_t mint, int64_t maxt) const {
  for (const auto& sel : selectors) STRATA_RETURN_IF_ERROR(CheckSelectorMatchers(sel));
  ReaderLock life(&life_mu_);
  if (db_ == nullptr) return ClosedError();
  std::vector<std::string> out;
  Roaring ids;  // Series whose labels are read.
  if (selectors.empty()) {
    for (const WarmPartitionInfo& p : Overlapping(mint, maxt)) {
      if (!Covers(p, mint, maxt)) {
        STRATA_ASSIGN_OR_RETURN(Roaring all, GetPostings(p.start, "", ""));
        STRATA_ASSIGN_OR_RETURN(all, FilterByTime(p, std::move(all), mint, maxt));
        ids |= all;
        continue;
      }
      // Every name of the partition from its postings keys, seeking past the values of each.
      const std::string prefix = warm::PartitionPrefix(p.start);
      std::unique_ptr<rocksdb::Iterator> it(
          db_->NewIterator(rocksdb::ReadOptions(), cf(warm::kPostingsCf)));
      it->Seek(prefix);
      while (it->Valid()) {
        std::string_view key = ToView(it->key());
        warm::PostingsKeyParts k;
        if (!key.starts_with(prefix) || !warm::ParsePostingsKey(key, &k)) break;
        if (!k.name.empty()) out.emplace_back(k.name);
        it->Seek(warm::PrefixSuccessor(warm::PostingsNamePrefix(p.start, k.name)));
      }
      if (!it->status().ok()) return warm::FromRocks(it->status(), dir_, "scan postings");
    }
  } else {
    for (const auto& sel : selectors) {
      STRATA_ASSIGN_OR_RETURN(Roaring sel_ids, MatchingIds(sel, mint, maxt));
      ids |= sel_ids;
    }
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<model::Labels> labels, LoadLabels(ToIds(ids)));
  for (const model::Labels& ls : labels) {
    for (const auto& l : ls) out.push_back(l.name);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<std::vector<std::string>> WarmStore::Impl::LabelValues(
    const std::string& name, const std::vector<model::Matchers>& selectors, int64_t mint,
    int64_t maxt) const {
  for (const auto& sel : selectors) STRATA_RETURN_IF_ERROR(CheckSelectorMatchers(sel));
  ReaderLock life(&life_mu_);
  if (db_ == nullptr) return ClosedError();
  std::vector<std::string> out;
  if (name.empty() || name.find('\0') != std::string::npos) return out;
  if (selectors.empty()) {
    rocksdb::ReadOptions chunk_ro;
    chunk_ro.prefix_same_as_start = true;
    std::unique_ptr<rocksdb::Iterator> chunk_it(db_->NewIterator(chunk_ro, cf(warm::kChunksCf)));
    for (const WarmPartitionInfo& p : Overlapping(mint, maxt)) {
      const bool covered = Covers(p, mint, maxt);
      const std::string prefix = warm::PostingsNamePrefix(p.start, name);
      const std::string upper = warm::PrefixSuccessor(prefix);
      const rocksdb::Slice upper_s(upper);
      rocksdb::ReadOptions ro;
      ro.iterate_upper_bound = &upper_s;
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(warm::kPostingsCf)));
      for (it->Seek(prefix); it->Valid(); it->Next()) {
        std::string_view key = ToView(it->key());
        if (!key.starts_with(prefix)) break;
        std::string_view value = key.substr(prefix.size());
        if (covered) {
          out.emplace_back(value);
          continue;
        }
        // Keep the value if any of its series has data in the range.
        Roaring b;
        if (!warm::DeserializeBitmap(ToView(it->value()), &b)) {
          return Status::Corruption("warm store " + dir_ + ": malformed postings in partition " +
                                    std::to_string(p.start));
        }
        for (uint32_t id : b) {
          STRATA_ASSIGN_OR_RETURN(bool has, HasChunkIn(chunk_it.get(), p.start, id, mint, maxt));
          if (has) {
            out.emplace_back(value);
            break;
          }
        }
      }
      if (!it->status().ok()) return warm::FromRocks(it->status(), dir_, "scan postings");
    }
  } else {
    Roaring ids;
    for (const auto& sel : selectors) {
      STRATA_ASSIGN_OR_RETURN(Roaring sel_ids, MatchingIds(sel, mint, maxt));
      ids |= sel_ids;
    }
    STRATA_ASSIGN_OR_RETURN(std::vector<model::Labels> labels, LoadLabels(ToIds(ids)));
    for (const model::Labels& ls : labels) {
      std::string_view v = ls.Get(name);
      if (!v.empty()) out.emplace_back(v);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace strata::storage
