#include "storage/block/block_reader.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "storage/index/match_postings.h"

namespace strata::storage::block {
namespace {

constexpr size_t kEntryOverhead = 96;  // Cache bookkeeping per entry, roughly.

}  // namespace

uint64_t BlockCache::BlockId(const std::string& prefix) {
  MutexLock lock(&ids_mu_);
  return ids_.try_emplace(prefix, ids_.size() + 1).first->second;
}

BlockReader::BlockReader(objstore::ObjectStore* store, BlockCache* cache, BlockMeta meta)
    : BlockReader(store, cache, std::move(meta), false) {}

BlockReader::BlockReader(objstore::ObjectStore* store, BlockCache* cache, BlockMeta meta,
                         bool hour_view)
    : store_(store),
      cache_(cache),
      meta_(std::move(meta)),
      name_(meta_.node + "/" + meta_.id),
      prefix_(BlockPrefix(meta_.node, meta_.id)),
      cache_id_(cache_->BlockId(prefix_)),
      hour_view_(hour_view) {
  if (const FileInfo* f = meta_.File("index")) index_bytes_ = f->bytes;
  for (const FileInfo& f : meta_.files) {
    // Chunk files are numbered from 1 up; a number far past the count is looked up by name.
    uint32_t n = 0;
    const std::string_view name = f.name;
    constexpr std::string_view kChunks = "chunks/";
    if (!name.starts_with(kChunks)) continue;
    const char* digits = name.data() + kChunks.size();
    auto [end, ec] = std::from_chars(digits, name.data() + name.size(), n);
    if (ec != std::errc() || end != name.data() + name.size() || n > meta_.files.size() ||
        ChunkFileName(n) != name) {
      continue;
    }
    if (chunk_bytes_.size() <= n) chunk_bytes_.resize(n + 1);
    chunk_bytes_[n] = f.bytes;
  }
  if (!hour_view && meta_.format_version >= kFormatVersion &&
      meta_.resolution_ms == kResolution5m) {
    BlockMeta hours = meta_;
    hours.resolution_ms = kResolution1h;
    hours_.reset(new BlockReader(store, cache, std::move(hours), true));
  }
}

std::optional<uint64_t> BlockReader::FileBytes(uint32_t file) const {
  if (file == BlockCacheKey::kIndexFile) return index_bytes_;
  if (file < chunk_bytes_.size()) return chunk_bytes_[file];
  const FileInfo* f = meta_.File(ChunkFileName(file));
  return f != nullptr ? std::optional<uint64_t>(f->bytes) : std::nullopt;
}

Status BlockReader::Corrupt(const std::string& what) const {
  return Status::Corruption("block " + name_ + ": " + what);
}

Status BlockReader::Missing(const std::string& file) const {
  // Retention deletes meta.json first: without it the block was deleted under the query.
  auto meta = store_->Stat(prefix_ + "meta.json");
  if (!meta.ok() && meta.status().IsNotFound()) {
    return Status::Unavailable("block " + name_ +
                               " was deleted (retention) while the query "
                               "read it; run the query again");
  }
  return Corrupt(file + " is missing from the store");
}

Result<std::vector<BlockReader::Bytes>> BlockReader::ReadRangesAs(
    uint32_t file_code, std::span<const objstore::ByteRange> ranges, bool unseal_groups, Fill fill,
    bool use_cache) const {
  auto key_of = [&](const objstore::ByteRange& r) {
    return BlockCacheKey{cache_id_, r.offset, r.length, file_code,
                         unseal_groups ? BlockCacheKey::kUnsealedGroup : BlockCacheKey::kBytes};
  };
  auto file_name = [&] {
    return file_code == BlockCacheKey::kIndexFile ? std::string("index") : ChunkFileName(file_code);
  };
  const std::optional<uint64_t> file_bytes = FileBytes(file_code);
  if (!file_bytes) return Corrupt("no file " + file_name() + " in meta.json");
  if (unseal_groups && file_code == BlockCacheKey::kIndexFile) {
    return Corrupt("a group reference names the index");
  }
  std::vector<Bytes> out(ranges.size());
  std::vector<size_t> missing;
  for (size_t i = 0; i < ranges.size(); ++i) {
    const auto& r = ranges[i];
    if (r.offset > *file_bytes || r.length > *file_bytes - r.offset) {
      return Corrupt(file_name() + ": range [" + std::to_string(r.offset) + ", +" +
                     std::to_string(r.length) + ") past the file's " + std::to_string(*file_bytes) +
                     " bytes");
    }
    if (auto hit = use_cache ? cache_->lru().Get(key_of(r)) : nullptr) {
      out[i] = std::move(hit);
    } else {
      missing.push_back(i);
    }
  }
  std::sort(missing.begin(), missing.end(),
            [&](size_t a, size_t b) { return ranges[a].offset < ranges[b].offset; });
  const std::string file = missing.empty() ? std::string() : file_name();
  size_t i = 0;
  while (i < missing.size()) {
    // One request covering missing[i..j).
    uint64_t begin = ranges[missing[i]].offset;
    uint64_t end = begin + ranges[missing[i]].length;
    size_t j = i + 1;
    while (j < missing.size()) {
      const auto& r = ranges[missing[j]];
      uint64_t new_end = std::max(end, r.offset + r.length);
      if (r.offset > end + kMergeGapBytes || new_end - begin > kMaxRequestBytes) break;
      end = new_end;
      ++j;
    }
    std::string bytes;
    if (end > begin) {
      auto got = store_->GetRange(prefix_ + file, {begin, end - begin});
      if (!got.ok()) {
        if (got.status().IsNotFound()) return Missing(file);
        return got.status().WithContext("block " + name_ + ": reading " + file);
      }
      bytes = std::move(got).value();
      cache_->requests.fetch_add(1, std::memory_order_relaxed);
      cache_->bytes_fetched.fetch_add(bytes.size(), std::memory_order_relaxed);
      if (bytes.size() != end - begin) return Corrupt(file + ": short read");
    }
    for (size_t k = i; k < j; ++k) {
      const auto& r = ranges[missing[k]];
      auto value = std::make_shared<CachedValue>();
      if (unseal_groups) {
        std::string inflated;
        std::string_view raw;
        Status s = UnsealGroup(std::string_view(bytes).substr(r.offset - begin, r.length),
                               &inflated, &raw);
        if (!s.ok()) {
          return Corrupt(file + " offset " + std::to_string(r.offset) + ": " + s.message());
        }
        if (raw.data() == inflated.data()) {
          value->bytes = std::move(inflated);
        } else {
          value->bytes.assign(raw);
        }
      } else {
        value->bytes.assign(bytes, r.offset - begin, r.length);
      }
      if (use_cache && fill == Fill::kFill) {
        cache_->lru().Put(key_of(r), value,
                          value->bytes.size() + sizeof(BlockCacheKey) + kEntryOverhead);
      }
      out[missing[k]] = std::move(value);
    }
    i = j;
  }
  return out;
}

Result<std::shared_ptr<const IndexHeader>> BlockReader::Header() const {
  const BlockCacheKey key{cache_id_, 0, 0, BlockCacheKey::kIndexFile, BlockCacheKey::kIndexHeader};
  if (auto hit = cache_->lru().Get(key)) return hit->header;
  const FileInfo* index = meta_.File("index");
  objstore::ByteRange range{0, meta_.index_header_bytes};
  auto got = store_->GetRange(prefix_ + "index", range);
  if (!got.ok()) {
    if (got.status().IsNotFound()) return Missing("index");
    return got.status().WithContext("block " + name_ + ": reading index");
  }
  cache_->requests.fetch_add(1, std::memory_order_relaxed);
  cache_->bytes_fetched.fetch_add(got->size(), std::memory_order_relaxed);
  if (got->size() != range.length) return Corrupt("index: short read");
  auto header = DecodeIndexHeader(*got, index->bytes);
  if (!header.ok()) return Corrupt(header.status().message());
  if (header->version != meta_.format_version) {
    return Corrupt("index is format version " + std::to_string(header->version) +
                   ", meta.json says " + std::to_string(meta_.format_version));
  }
  if (header->series_offsets.size() != meta_.series) {
    return Corrupt("index holds " + std::to_string(header->series_offsets.size()) +
                   " series, meta.json says " + std::to_string(meta_.series));
  }
  auto shared = std::make_shared<const IndexHeader>(std::move(header).value());
  auto value = std::make_shared<CachedValue>();
  value->header = shared;
  cache_->lru().Put(key, std::move(value), shared->ByteSize() + kEntryOverhead);
  return shared;
}

Result<std::vector<uint32_t>> BlockReader::PostingsList(const IndexHeader& h, size_t entry) const {
  const auto& e = h.postings[entry];
  objstore::ByteRange r{h.postings_start + e.offset, e.length};
  STRATA_ASSIGN_OR_RETURN(
      auto bytes, ReadRangesAs(BlockCacheKey::kIndexFile, std::span(&r, 1), false, Fill::kFill));
  auto ids = DecodePostingsList(bytes[0]->bytes, h.series_offsets.size());
  if (!ids.ok()) return Corrupt(ids.status().message());
  return ids;
}

Result<Roaring> BlockReader::Match(const model::Matchers& matchers) const {
  STRATA_ASSIGN_OR_RETURN(auto h, Header());
  auto to_bitmap = [](const std::vector<uint32_t>& ids) {
    Roaring r;
    r.addMany(ids.size(), ids.data());
    return r;
  };
  index::PostingsOf get = [&](std::string_view name, std::string_view value) -> Result<Roaring> {
    int64_t n = h->FindSymbol(name), v = h->FindSymbol(value);
    if (n < 0 || v < 0) return Roaring();
    auto [lo, hi] = h->NameRange(static_cast<uint32_t>(n));
    auto it =
        std::lower_bound(h->postings.begin() + static_cast<ptrdiff_t>(lo),
                         h->postings.begin() + static_cast<ptrdiff_t>(hi), static_cast<uint32_t>(v),
                         [](const PostingsTableEntry& e, uint32_t x) { return e.value < x; });
    if (it == h->postings.begin() + static_cast<ptrdiff_t>(hi) ||
        it->value != static_cast<uint32_t>(v)) {
      return Roaring();
    }
    STRATA_ASSIGN_OR_RETURN(auto ids,
                            PostingsList(*h, static_cast<size_t>(it - h->postings.begin())));
    return to_bitmap(ids);
  };
  index::UnionWhere union_where =
      [&](std::string_view name,
          const std::function<bool(std::string_view)>& pred) -> Result<Roaring> {
    Roaring out;
    int64_t n = h->FindSymbol(name);
    if (n < 0) return out;
    auto [lo, hi] = h->NameRange(static_cast<uint32_t>(n));
    std::vector<objstore::ByteRange> ranges;
    for (size_t i = lo; i < hi; ++i) {
      const auto& e = h->postings[i];
      if (pred(h->symbols[e.value])) ranges.push_back({h->postings_start + e.offset, e.length});
    }
    STRATA_ASSIGN_OR_RETURN(auto lists,
                            ReadRangesAs(BlockCacheKey::kIndexFile, ranges, false, Fill::kFill));
    for (const auto& bytes : lists) {
      auto ids = DecodePostingsList(bytes->bytes, h->series_offsets.size());
      if (!ids.ok()) return Corrupt(ids.status().message());
      out |= to_bitmap(*ids);
    }
    return out;
  };
  bool all_match_empty = std::all_of(matchers.begin(), matchers.end(),
                                     [](const model::Matcher& m) { return m.MatchesEmpty(); });
  if (all_match_empty) {
    // Not a valid selector; callers check first. Start from every series for safety.
    Roaring all;
    all.addRange(0, h->series_offsets.size());
    for (const auto& m : matchers) {
      STRATA_ASSIGN_OR_RETURN(Roaring excluded, union_where(m.name(), [&m](std::string_view v) {
                                return !m.Matches(v);
                              }));
      all -= excluded;
    }
    return all;
  }
  return index::MatchPostings(matchers, get, union_where);
}

Result<std::vector<BlockReader::Entry>> BlockReader::LoadEntries(std::span<const uint32_t> ids,
                                                                 Fill fill) const {
  STRATA_ASSIGN_OR_RETURN(auto h, Header());
  const uint32_t kind = hour_view_ ? BlockCacheKey::kHourSeriesEntry : BlockCacheKey::kSeriesEntry;
  std::vector<Entry> out(ids.size());
  std::vector<size_t> missing;
  std::vector<objstore::ByteRange> ranges;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] >= h->series_offsets.size()) return Corrupt("series number out of range");
    auto [b, e] = h->SeriesRange(ids[i]);
    const BlockCacheKey key{cache_id_, b, e - b, BlockCacheKey::kIndexFile, kind};
    if (auto hit = cache_->lru().Get(key)) {
      out[i] = Entry(hit, &hit->entry);
    } else {
      missing.push_back(i);
      ranges.push_back({b, e - b});
    }
  }
  if (missing.empty()) return out;
  STRATA_ASSIGN_OR_RETURN(auto bytes, ReadRangesAs(BlockCacheKey::kIndexFile, ranges, false,
                                                   Fill::kNoFill, /*use_cache=*/false));
  // A 5m block of version 2 lists a series' hour windows too, over the same time as its 5m
  // windows; no other block lists any.
  const bool hourly =
      hour_view_ || (h->version >= kFormatVersion && meta_.resolution_ms == kResolution5m);
  for (size_t k = 0; k < missing.size(); ++k) {
    auto e = DecodeSeriesEntry(bytes[k]->bytes, *h);
    if (!e.ok()) return Corrupt(e.status().message());
    for (const auto& g : e->groups) STRATA_RETURN_IF_ERROR(CheckGroupRef(*e, g));
    if (hourly != !e->hour_groups.empty() ||
        (hourly &&
         (e->groups.empty() || e->hour_groups.front().min_time != e->groups.front().min_time ||
          e->hour_groups.back().max_time != e->groups.back().max_time))) {
      return Corrupt("series " + e->labels.ToString() +
                     (hourly ? ": hour groups missing or not over its 5m groups' time"
                             : ": hour groups in a block that has none"));
    }
    for (const auto& g : e->hour_groups) STRATA_RETURN_IF_ERROR(CheckGroupRef(*e, g));
    auto value = std::make_shared<CachedValue>();
    value->entry.labels = std::move(e->labels);
    value->entry.groups = hour_view_ ? std::move(e->hour_groups) : std::move(e->groups);
    if (fill == Fill::kFill) {
      size_t charge = sizeof(CachedValue) + sizeof(BlockCacheKey) + kEntryOverhead +
                      value->entry.groups.capacity() * sizeof(GroupRef);
      for (const auto& l : value->entry.labels) {
        charge += sizeof(l) + l.name.capacity() + l.value.capacity();
      }
      cache_->lru().Put(BlockCacheKey{cache_id_, ranges[k].offset, ranges[k].length,
                                      BlockCacheKey::kIndexFile, kind},
                        value, charge);
    }
    out[missing[k]] = Entry(value, &value->entry);
  }
  return out;
}

Result<std::vector<SeriesEntry>> BlockReader::LoadSeries(std::span<const uint32_t> ids,
                                                         Fill fill) const {
  STRATA_ASSIGN_OR_RETURN(auto entries, LoadEntries(ids, fill));
  std::vector<SeriesEntry> out;
  out.reserve(entries.size());
  for (const Entry& e : entries) out.push_back(*e);
  return out;
}

Status BlockReader::CheckGroupRef(const SeriesEntry& e, const GroupRef& g) const {
  const std::optional<uint64_t> f = FileBytes(g.file);
  if (!f || g.file == BlockCacheKey::kIndexFile || g.offset < kFileHeaderBytes || g.offset > *f ||
      g.length > *f - g.offset) {
    return Corrupt("series " + e.labels.ToString() + ": group reference past its file");
  }
  if (g.min_time < meta_.min_time || g.max_time > meta_.max_time) {
    return Corrupt("series " + e.labels.ToString() + ": group outside the block's time");
  }
  return Status::Ok();
}

Result<std::vector<std::string>> BlockReader::LabelNames() const {
  STRATA_ASSIGN_OR_RETURN(auto h, Header());
  std::vector<std::string> out;
  for (const auto& e : h->postings) {
    if (out.empty() || out.back() != h->symbols[e.name]) out.push_back(h->symbols[e.name]);
  }
  return out;
}

Result<std::vector<std::string>> BlockReader::LabelValues(std::string_view name) const {
  STRATA_ASSIGN_OR_RETURN(auto h, Header());
  std::vector<std::string> out;
  int64_t n = h->FindSymbol(name);
  if (n < 0) return out;
  auto [lo, hi] = h->NameRange(static_cast<uint32_t>(n));
  for (size_t i = lo; i < hi; ++i) out.push_back(h->symbols[h->postings[i].value]);
  return out;
}

Result<std::vector<BlockReader::Bytes>> BlockReader::FetchGroups(std::span<const GroupRef> groups,
                                                                 Fill fill) const {
  // One ReadRangesAs call per chunk file, then back into the caller's order.
  std::map<uint32_t, std::vector<size_t>> by_file;
  for (size_t i = 0; i < groups.size(); ++i) by_file[groups[i].file].push_back(i);
  std::vector<Bytes> out(groups.size());
  for (const auto& [file, idx] : by_file) {
    std::vector<objstore::ByteRange> ranges;
    for (size_t i : idx) ranges.push_back({groups[i].offset, groups[i].length});
    STRATA_ASSIGN_OR_RETURN(auto bytes, ReadRangesAs(file, ranges, true, fill));
    for (size_t k = 0; k < idx.size(); ++k) out[idx[k]] = std::move(bytes[k]);
  }
  return out;
}

Status BlockReader::DecodeGroup(std::string_view unsealed, const GroupRef& ref, int64_t start,
                                int64_t end, std::vector<model::Sample>* out) const {
  Status s = meta_.resolution_ms == 0
                 ? DecodeUnsealedSamples(unsealed, ref, start, end, out)
                 : Status::Corruption("group: raw samples asked of a downsampled block");
  if (!s.ok()) {
    return Corrupt(ChunkFileName(ref.file) + " offset " + std::to_string(ref.offset) + ": " +
                   s.message());
  }
  return Status::Ok();
}

Status BlockReader::DecodeWindows(std::string_view unsealed, const GroupRef& ref, int64_t start,
                                  int64_t end, std::vector<AggrWindow>* out,
                                  uint32_t columns) const {
  Status s = DecodeUnsealedWindows(unsealed, ref, meta_.resolution_ms, start, end, out, columns);
  if (!s.ok()) {
    return Corrupt(ChunkFileName(ref.file) + " offset " + std::to_string(ref.offset) + ": " +
                   s.message());
  }
  return Status::Ok();
}

}  // namespace strata::storage::block
