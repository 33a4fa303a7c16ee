#include "storage/cold_store.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "base/coding.h"
#include "base/file_lock.h"
#include "base/log.h"
#include "storage/block/block_writer.h"
#include "storage/xor_chunk.h"

namespace strata::storage {
namespace {

using block::BlockMeta;
using block::BlockReader;
using block::GroupRef;

constexpr std::string_view kDownsampleSource = "downsample:";

bool Overlaps(const BlockMeta& m, int64_t mint, int64_t maxt) {
  return m.min_time <= maxt && m.max_time >= mint;
}

// "<node>/<id>/meta.json" -> node, id.
bool ParseMetaKey(const std::string& key, std::string* node, std::string* id) {
  size_t a = key.find('/');
  if (a == std::string::npos) return false;
  size_t b = key.find('/', a + 1);
  if (b == std::string::npos || key.substr(b + 1) != "meta.json") return false;
  *node = key.substr(0, a);
  *id = key.substr(a + 1, b - a - 1);
  return block::IsValidNodeId(*node) && block::IsValidBlockId(*id);
}

// The float columns of a downsampled group a view reads.
uint32_t ColumnsFor(AggrView view) {
  switch (view) {
    case AggrView::kLast:
      return block::kColFirst | block::kColLast;
    case AggrView::kCounter:
      return block::kColFirst | block::kColLast | block::kColInc;
    case AggrView::kMin:
      return block::kColMin;
    case AggrView::kMax:
      return block::kColMax;
    case AggrView::kSum:
      return block::kColSum;
  }
  return block::kAllColumns;
}

// A block's groups of one series in a Select's range.
struct ColdPart {
  const BlockReader* block = nullptr;
  // In the block's series entry, which the ColdSeriesSet keeps (ColdSeriesSet::entries_).
  std::span<const GroupRef> groups;
  // For a part read from hour windows standing in for a 5m block's (hour-aligned reads,
  // ColdStore::Select: a 1h block built from it, or its own hours()), the 5m block, whose
  // windows of the series are read instead when the hour windows cannot give the 5m answer
  // (HourWindowsServe); else null.
  const BlockReader* finer = nullptr;
};

// One series of a Select: its labels (those of one of its series entries) and, per block
// holding it, the groups in range.
struct ColdSeries {
  const model::Labels* labels = nullptr;
  std::vector<ColdPart> parts;

  // The samples (windows, in downsampled blocks) its parts' groups hold: a bound on what a
  // read of it gives.
  size_t StoredSamples() const {
    size_t n = 0;
    for (const ColdPart& part : parts) {
      for (const GroupRef& ref : part.groups) n += ref.samples;
    }
    return n;
  }
};

// The groups of `all` (in time order, not overlapping: DecodeSeriesEntry checks) that reach
// into [from, to]: a contiguous run.
std::span<const GroupRef> GroupsIn(std::span<const GroupRef> all, int64_t from, int64_t to) {
  auto first = std::partition_point(all.begin(), all.end(),
                                    [&](const GroupRef& g) { return g.max_time < from; });
  auto last =
      std::partition_point(first, all.end(), [&](const GroupRef& g) { return g.min_time <= to; });
  return {first, last};
}

// Whether hour windows give what the 5m windows of the same hours give to a thinned view
// whose read boundaries all lie on whole hours (a 1h window is the exact combination of its
// hour's 5m windows: the same first and last sample, count, sum, min, max and increase). They
// do not when a sample lies exactly at an hour's start, which is a read boundary and a segment
// of its own; nor, for the counter view, when a value is negative or NaN, where the 5m thinner
// keeps a segment's every point (a counter going down) and the answer depends on them.
bool HourWindowsServe(std::span<const AggrWindow> w, AggrView view) {
  for (const AggrWindow& x : w) {
    if (x.first_t % kResolution1h == 0) return false;
    if (view == AggrView::kCounter && !(x.min >= 0 && x.inc >= 0)) return false;
  }
  return true;
}

// Samples are read a window of series at a time: the groups of the next series up to
// kPrefetchBytes are fetched together, so nearby groups share a request.
constexpr uint64_t kPrefetchBytes = 8 << 20;
// A finer block's groups fetched ahead at once (ColdSeriesSet::FetchFiner).
constexpr uint64_t kFinerBatchBytes = 1 << 20;

class ColdSeriesSet final : public SeriesSet {
 public:
  // `thin`: the view may be thinned for the reads of `grid` (ThinView).
  // `matchers`: the selector's, to find a series in a finer block (ColdSeries::finer).
  // `entries`: the series entries whose labels and groups `series` points into.
  ColdSeriesSet(std::vector<std::shared_ptr<BlockReader>> pin,
                std::vector<BlockReader::Entry> entries, std::vector<ColdSeries> series,
                int64_t start, int64_t end, AggrView view, bool thin, ReadGrid grid,
                model::Matchers matchers, int64_t lookback, int64_t cover_end)
      : pin_(std::move(pin)),
        entries_(std::move(entries)),
        series_(std::move(series)),
        start_(start),
        end_(end),
        view_(view),
        thin_(thin),
        grid_(grid),
        matchers_(std::move(matchers)),
        lookback_(lookback),
        cover_end_(cover_end) {}

  const std::vector<uint32_t>& counts() const override { return counts_; }
  bool downsampled() const override { return downsampled_; }
  int64_t downsampled_until() const override { return view_until_; }

  bool Next() override {
    if (next_ >= series_.size()) return false;
    cur_ = next_++;
    return true;
  }
  const model::Labels& labels() const override { return *series_[cur_].labels; }
  Status status() const override { return Status::Ok(); }

  Status ReadSamples(std::vector<model::Sample>* out) override {
    return ReadSamplesBefore(INT64_MAX, out);
  }

  Status ReadSamplesBefore(int64_t limit, std::vector<model::Sample>* out) override {
    out->clear();
    counts_.clear();
    downsampled_ = false;
    view_until_ = INT64_MIN;
    // A series read before (its groups released) is fetched again.
    if (cur_ < window_first_ || cur_ >= window_end_ || window_read_[cur_ - window_first_]) {
      STRATA_RETURN_IF_ERROR(Prefetch(cur_));
    }
    window_read_[cur_ - window_first_] = true;
    const ColdSeries& s = series_[cur_];
    // The series' fetched groups, part after part; released once read.
    std::span<BlockReader::Bytes> groups(
        window_bytes_.data() + window_offsets_[cur_ - window_first_],
        window_bytes_.data() + window_offsets_[cur_ - window_first_ + 1]);
    struct Release {
      std::span<BlockReader::Bytes> g;
      ~Release() {
        for (auto& b : g) b.reset();
      }
    } release{groups};
    for (const auto& part : s.parts) {
      if (part.block->meta().resolution_ms > 0) {
        downsampled_ = true;
        return ReadView(s, groups, limit, out);
      }
    }
    // Room for every sample of the groups at once: growing a series of many days' samples
    // step by step touched about twice its pages, each a page fault when the heap had given
    // the memory of the query before back.
    out->reserve(s.StoredSamples());
    // Groups are each in strictly increasing time; when every group starts after the one
    // before ends (the usual case: blocks do not overlap), the whole is in order already.
    bool ordered = true;
    int64_t last_max = INT64_MIN;
    size_t k = 0;
    for (const ColdPart& part : s.parts) {
      for (const GroupRef& ref : part.groups) {
        if (last_max != INT64_MIN && ref.min_time <= last_max) ordered = false;
        last_max = std::max(last_max, ref.max_time);
        STRATA_RETURN_IF_ERROR(part.block->DecodeGroup(groups[k++]->bytes, ref, start_, end_, out));
      }
    }
    if (!ordered) SortUniqueByTime(out);
    return Status::Ok();
  }

 private:
  // A series with downsampled parts: every part as windows (raw samples as one-sample
  // windows), those that end before `limit`, then the view of them that the selector's
  // function reads.
  Status ReadView(const ColdSeries& s, std::span<const BlockReader::Bytes> groups, int64_t limit,
                  std::vector<model::Sample>* out) {
    std::vector<AggrWindow>& windows = windows_;
    windows.clear();
    windows.reserve(s.StoredSamples());
    std::vector<model::Sample>& raw = raw_;
    bool ordered = true;
    int64_t last_max = INT64_MIN;
    // `reach`: the resolution of the data the windows are read as, whose windows are returned
    // from one before start_ on (hour windows standing in for 5m ones reach back as far as the
    // 5m windows do).
    auto decode = [&](const BlockReader* block, std::span<const GroupRef> refs,
                      std::span<const BlockReader::Bytes> bytes, uint32_t columns,
                      int64_t reach) -> Status {
      for (size_t g = 0; g < refs.size(); ++g) {
        const GroupRef& ref = refs[g];
        if (last_max != INT64_MIN && ref.min_time <= last_max) ordered = false;
        last_max = std::max(last_max, ref.max_time);
        if (block->meta().resolution_ms > 0) {
          STRATA_RETURN_IF_ERROR(block->DecodeWindows(
              bytes[g]->bytes, ref, start_ < INT64_MIN + reach ? INT64_MIN : start_ - reach, end_,
              &windows, columns));
        } else {
          raw.clear();
          STRATA_RETURN_IF_ERROR(block->DecodeGroup(bytes[g]->bytes, ref, start_, end_, &raw));
          SamplesAsWindows(raw, &windows);
        }
      }
      return Status::Ok();
    };
    size_t next_group = 0;
    for (const ColdPart& part : s.parts) {
      const BlockReader* block = part.block;
      const std::span<const GroupRef> refs = part.groups;
      const BlockReader* finer = part.finer;
      const auto bytes = groups.subspan(next_group, refs.size());
      next_group += refs.size();
      if (finer == nullptr) {
        STRATA_RETURN_IF_ERROR(
            decode(block, refs, bytes, ColumnsFor(view_), block->meta().resolution_ms));
        continue;
      }
      // Hour windows standing in for 5m ones (the counter view checks their min too); the 5m
      // groups are fetched only for a series they cannot serve, or one a newer tier overlaps
      // (it takes windows from its first sample on, which a 5m window cuts closer).
      const size_t before = windows.size();
      const bool saved_ordered = ordered;
      const int64_t saved_last_max = last_max;
      const bool near_limit =
          limit != INT64_MAX && std::any_of(refs.begin(), refs.end(),
                                            [&](const GroupRef& r) { return r.max_time >= limit; });
      if (!near_limit) {
        const uint32_t extra = view_ == AggrView::kCounter ? uint32_t{block::kColMin} : 0u;
        STRATA_RETURN_IF_ERROR(
            decode(block, refs, bytes, ColumnsFor(view_) | extra, finer->meta().resolution_ms));
        if (HourWindowsServe(std::span(windows).subspan(before), view_)) continue;
      }
      windows.resize(before);
      ordered = saved_ordered;
      last_max = saved_last_max;
      STRATA_ASSIGN_OR_RETURN(std::optional<std::span<const GroupRef>> finer_refs,
                              FinerGroups(finer, *s.labels));
      if (!finer_refs) {
        return Status::Corruption("block " + finer->name() + ": no series " + s.labels->ToString() +
                                  " whose hour windows " +
                                  (block == finer->hours().get()
                                       ? "it holds"
                                       : "its 1h block " + block->name() + " holds"));
      }
      STRATA_ASSIGN_OR_RETURN(auto finer_bytes, FetchFiner(finer, *finer_refs));
      STRATA_RETURN_IF_ERROR(
          decode(finer, *finer_refs, finer_bytes, ColumnsFor(view_), finer->meta().resolution_ms));
    }
    // Parts come from different blocks in time order; keep the first of any that overlap (a
    // retried move's duplicate). When every group starts after the one before ends (blocks
    // do not overlap: the usual case), the windows are in order already.
    if (!ordered) {
      auto by_first = [](const AggrWindow& a, const AggrWindow& b) {
        return a.first_t < b.first_t;
      };
      std::stable_sort(windows.begin(), windows.end(), by_first);
    }
    size_t kept = 0;
    for (size_t i = 0; i < windows.size(); ++i) {
      const AggrWindow& w = windows[i];
      // A newer tier holds these samples (INT64_MAX: no newer tier).
      if (limit != INT64_MAX && w.end_t() >= limit) continue;
      if (kept > 0 && w.first_t <= windows[kept - 1].end_t()) continue;
      if (kept != i) windows[kept] = w;
      ++kept;
    }
    windows.resize(kept);
    if (view_ == AggrView::kLast && lookback_ > 0) EndWhereRawStops(&windows, limit);
    int64_t from = start_;
    if (!windows.empty()) from = std::min(from, windows.front().first_t);
    if (thin_) {
      AppendThinView(windows, view_, from, end_, grid_, out, &counts_);
    } else {
      AppendView(windows, view_, from, end_, out, &counts_);
    }
    if (!out->empty()) view_until_ = out->back().timestamp_ms;
    return Status::Ok();
  }

  // An instant selector reads a window's first and last sample with a lookback of at least the
  // window (the engine widens it), which would carry a series' last value on for up to a window
  // after raw data stops answering: after its last sample, a series with no stale marker (a
  // pushed series, or one whose marker fell into the next day's block, which keeps no window
  // for it) or with a gap longer than the lookback. So where no data of the series follows a
  // window's last sample within the lookback (none in the next window, none at all while the
  // blocks read go on past that time, or none before a newer tier's first sample, `limit`),
  // the view gets a stale marker just after it, as if the raw samples had been read. The
  // marker always comes before `limit`.
  void EndWhereRawStops(std::vector<AggrWindow>* windows, int64_t limit) const {
    for (size_t i = 0; i < windows->size(); ++i) {
      AggrWindow& w = (*windows)[i];
      if (w.stale_t != 0 || w.last_t > INT64_MAX - lookback_ - 1) continue;
      const int64_t marker = w.last_t + lookback_ + 1;
      const bool nothing_follows = i + 1 < windows->size()
                                       ? marker < (*windows)[i + 1].first_t
                                       : marker <= cover_end_ || limit != INT64_MAX;
      if (nothing_follows && marker < limit) w.stale_t = marker;
    }
  }

  // The groups in [start_ - 5m, end_] of the series `labels` in `finer`, a 5m block; nullopt
  // when it does not hold the series. The selector's series of a block are looked up once, on
  // first need (a series the hour windows serve needs none).
  Result<std::optional<std::span<const GroupRef>>> FinerGroups(const BlockReader* finer,
                                                               const model::Labels& labels) {
    auto it = finer_series_.find(finer);
    if (it == finer_series_.end()) {
      STRATA_ASSIGN_OR_RETURN(Roaring ids, finer->Match(matchers_));
      std::vector<uint32_t> list(ids.begin(), ids.end());
      STRATA_ASSIGN_OR_RETURN(auto entries, finer->LoadEntries(list));
      std::sort(entries.begin(), entries.end(),
                [](const auto& x, const auto& y) { return x->labels < y->labels; });
      it = finer_series_.emplace(finer, std::move(entries)).first;
    }
    const auto& entries = it->second;
    auto e = std::lower_bound(
        entries.begin(), entries.end(), labels,
        [](const BlockReader::Entry& x, const model::Labels& l) { return x->labels < l; });
    if (e == entries.end() || (*e)->labels != labels) return std::nullopt;
    const int64_t from = start_ < INT64_MIN + kResolution5m ? INT64_MIN : start_ - kResolution5m;
    return GroupsIn((*e)->groups, from, end_);
  }

  // The groups `refs` of the current series in `finer`. The first series of a Select that
  // falls back to a finer block fetches its own groups; from the second on (data whose samples
  // lie on hour starts falls back for every series) one request also fetches those of the
  // next series of the prefetch window that hold the block, up to kFinerBatchBytes, kept
  // until the window ends.
  Result<std::vector<BlockReader::Bytes>> FetchFiner(const BlockReader* finer,
                                                     std::span<const GroupRef> refs) {
    if (auto it = finer_fetched_.find({finer, cur_}); it != finer_fetched_.end()) {
      auto bytes = std::move(it->second);
      finer_fetched_.erase(it);
      return bytes;
    }
    if (finer_fallbacks_[finer]++ == 0) return finer->FetchGroups(refs);
    std::vector<GroupRef> all(refs.begin(), refs.end());
    std::vector<std::pair<size_t, size_t>> spans = {{cur_, refs.size()}};  // Series, groups.
    uint64_t bytes = 0;
    for (const GroupRef& g : refs) bytes += g.length;
    for (size_t next_series = cur_ + 1; next_series < window_end_; ++next_series) {  // The rest.
      if (bytes >= kFinerBatchBytes) break;
      const ColdSeries& next = series_[next_series];
      if (std::none_of(next.parts.begin(), next.parts.end(),
                       [&](const ColdPart& p) { return p.finer == finer; })) {
        continue;
      }
      STRATA_ASSIGN_OR_RETURN(auto more, FinerGroups(finer, *next.labels));
      if (!more || more->empty()) continue;
      all.insert(all.end(), more->begin(), more->end());
      spans.emplace_back(next_series, more->size());
      for (const GroupRef& g : *more) bytes += g.length;
    }
    STRATA_ASSIGN_OR_RETURN(auto got, finer->FetchGroups(all));
    std::vector<BlockReader::Bytes> mine;
    size_t pos = 0;
    for (const auto& [series, n] : spans) {
      std::vector<BlockReader::Bytes> part(std::make_move_iterator(got.begin() + pos),
                                           std::make_move_iterator(got.begin() + pos + n));
      pos += n;
      if (series == cur_) {
        mine = std::move(part);
      } else {
        finer_fetched_[{finer, series}] = std::move(part);
      }
    }
    return mine;
  }

  // Fetches the groups of series [first, k) where the bytes reach kPrefetchBytes.
  Status Prefetch(size_t first) {
    finer_fetched_.clear();
    window_bytes_.clear();
    window_offsets_.assign(1, 0);
    window_first_ = first;
    uint64_t bytes = 0;
    size_t last = first;
    // Per block, the groups to read and the slot of window_bytes_ each goes to.
    std::map<const BlockReader*, std::pair<std::vector<GroupRef>, std::vector<size_t>>> by_block;
    while (last < series_.size() && (last == first || bytes < kPrefetchBytes)) {
      size_t slot = window_offsets_.back();  // The series' groups follow part after part.
      for (const ColdPart& part : series_[last].parts) {
        auto& [refs, slots] = by_block[part.block];
        for (const GroupRef& ref : part.groups) {
          refs.push_back(ref);
          slots.push_back(slot++);
          bytes += ref.length;
        }
      }
      window_offsets_.push_back(slot);
      ++last;
    }
    window_end_ = last;
    window_read_.assign(last - first, false);
    window_bytes_.resize(window_offsets_.back());
    for (auto& [block, list] : by_block) {
      STRATA_ASSIGN_OR_RETURN(auto groups, block->FetchGroups(list.first));
      for (size_t i = 0; i < groups.size(); ++i) {
        window_bytes_[list.second[i]] = std::move(groups[i]);
      }
    }
    return Status::Ok();
  }

  std::vector<std::shared_ptr<BlockReader>> pin_;  // Keeps the blocks' readers alive.
  std::vector<BlockReader::Entry> entries_;        // What series_ points into.
  std::vector<ColdSeries> series_;
  int64_t start_;
  int64_t end_;
  AggrView view_;
  bool thin_;
  ReadGrid grid_;
  model::Matchers matchers_;
  int64_t lookback_;   // SelectHints::lookback_ms (0: no stale markers added).
  int64_t cover_end_;  // The newest time the blocks read hold.
  // FinerGroups' lookups: per finer block, the selector's series sorted by labels.
  std::map<const BlockReader*, std::vector<BlockReader::Entry>> finer_series_;
  // FetchFiner: series that fell back per finer block, and groups fetched ahead for the
  // series of the prefetch window.
  std::map<const BlockReader*, int> finer_fallbacks_;
  std::map<std::pair<const BlockReader*, size_t>, std::vector<BlockReader::Bytes>> finer_fetched_;
  std::vector<uint32_t> counts_;
  bool downsampled_ = false;
  int64_t view_until_ = INT64_MIN;
  // Scratch of ReadView, kept between series to save allocations.
  std::vector<AggrWindow> windows_;
  std::vector<model::Sample> raw_;
  size_t next_ = 0;
  size_t cur_ = 0;
  // The prefetch window, series [window_first_, window_end_): their stored groups, series
  // after series and in each part after part, series i's from window_offsets_[i -
  // window_first_] on.
  size_t window_first_ = 0;
  size_t window_end_ = 0;
  std::vector<BlockReader::Bytes> window_bytes_;
  std::vector<size_t> window_offsets_;
  std::vector<bool> window_read_;  // Per series of the window: read (its groups released).
};

}  // namespace

ColdStore::ColdStore(std::unique_ptr<objstore::ObjectStore> store, ColdOptions options)
    : store_(std::move(store)), options_(std::move(options)), cache_(options_.cache_bytes) {}

ColdStore::~ColdStore() {
  if (initial_sync_.joinable()) {
    store_->Interrupt();
    initial_sync_.join();
  }
}

Result<std::unique_ptr<ColdStore>> ColdStore::Open(std::unique_ptr<objstore::ObjectStore> store,
                                                   ColdOptions options,
                                                   prometheus::Registry* /*registry*/) {
  if (!block::IsValidNodeId(options.node_id)) {
    return Status::InvalidArgument("cold store: invalid node id \"" + options.node_id +
                                   "\" (want [a-z0-9][a-z0-9._-]{0,62})");
  }
  std::unique_ptr<ColdStore> cold(new ColdStore(std::move(store), std::move(options)));
  if (!cold->options_.state_file.empty()) {
    std::ifstream in(cold->options_.state_file);
    std::string line;
    int64_t t = 0;
    if (in && std::getline(in, line)) {
      auto r = std::from_chars(line.data(), line.data() + line.size(), t);
      if (r.ec != std::errc() || r.ptr != line.data() + line.size()) {
        return Status::Corruption(cold->options_.state_file + " does not hold a time: \"" + line +
                                  "\"");
      }
      cold->known_max_time_.store(t);
    }
  }
  // The first listing, on a thread of its own so that a slow store cannot hold up the start.
  struct Wait {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
  };
  auto wait = std::make_shared<Wait>();
  ColdStore* raw = cold.get();
  cold->initial_sync_running_.store(true);
  cold->initial_sync_ = std::thread([raw, wait] {
    if (Status s = raw->Sync(); !s.ok()) {
      STRATA_LOG(kError, "cold") << "cannot list the cold tier's object store; starting "
                                    "without its block list and retrying"
                                 << LogKV("store", raw->store_->Describe())
                                 << LogKV("error", s.ToString());
    }
    raw->initial_sync_running_.store(false);
    std::lock_guard<std::mutex> lock(wait->mu);
    wait->done = true;
    wait->cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(wait->mu);
  if (wait->cv.wait_for(lock, cold->options_.initial_sync_timeout, [&] { return wait->done; })) {
    lock.unlock();
    cold->initial_sync_.join();
  } else {
    STRATA_LOG(kWarn, "cold") << "the cold tier's object store is slow to list; starting "
                                 "without its block list while the listing goes on"
                              << LogKV("store", cold->store_->Describe())
                              << LogKV("waited_ms", cold->options_.initial_sync_timeout.count());
  }
  return cold;
}

void ColdStore::AddBlock(BlockMeta meta) {
  std::string key = meta.node + "/" + meta.id;
  auto reader = std::make_shared<BlockReader>(store_.get(), &cache_, std::move(meta));
  MutexLock lock(&mu_);
  blocks_[key] = std::move(reader);
}

int64_t ColdStore::known_max_time() const { return known_max_time_.load(); }

void ColdStore::RecordOwnMaxTime() {
  int64_t own = INT64_MIN;
  {
    MutexLock lock(&mu_);
    for (const auto& [name, b] : blocks_) {
      if (b->meta().node == options_.node_id) own = std::max(own, b->meta().max_time);
    }
  }
  if (own <= known_max_time_.load()) return;
  known_max_time_.store(own);
  if (options_.state_file.empty()) return;
  Status s = WriteFileDurably(options_.state_file, std::to_string(own) + "\n");
  if (!s.ok()) {
    STRATA_LOG(kError, "cold") << "cannot record the cold tier's newest time"
                               << LogKV("error", s.ToString());
  }
}

void ColdStore::SetLocalFloor(std::function<int64_t()> floor) {
  MutexLock lock(&sync_mu_);
  local_floor_ = std::move(floor);
}

Status ColdStore::CheckAvailable(int64_t mint) const {
  if (synced()) return Status::Ok();
  std::function<int64_t()> floor;
  {
    MutexLock lock(&sync_mu_);
    floor = local_floor_;
  }
  if (floor && mint >= floor()) return Status::Ok();
  MutexLock lock(&sync_mu_);
  return Status::Unavailable("the cold tier's object store " + store_->Describe() +
                             " cannot be listed yet, so data older than the local tiers cannot "
                             "be read (retried in the background): " +
                             last_sync_error_.ToString());
}

Status ColdStore::Sync() {
  Status s = SyncOnce();
  MutexLock lock(&sync_mu_);
  last_sync_error_ = s;
  if (s.ok()) synced_.store(true, std::memory_order_release);
  return s;
}

Status ColdStore::SyncOnce() {
  MutexLock write(&write_mu_);
  std::string prefix = options_.read_all_nodes ? "" : options_.node_id + "/";
  STRATA_ASSIGN_OR_RETURN(auto objects, store_->List(prefix));
  std::set<std::string> seen;
  std::vector<std::string> fresh;
  {
    MutexLock lock(&mu_);
    for (const auto& o : objects) {
      std::string node, id;
      if (!ParseMetaKey(o.key, &node, &id)) continue;
      std::string name = node + "/" + id;
      seen.insert(name);
      if (blocks_.find(name) == blocks_.end()) fresh.push_back(o.key);
    }
    for (auto it = blocks_.begin(); it != blocks_.end();) {
      it = seen.count(it->first) ? std::next(it) : blocks_.erase(it);
    }
  }
  std::vector<BlockMeta> found;
  for (const std::string& key : fresh) {
    auto bytes = store_->Get(key);
    if (!bytes.ok()) {
      if (bytes.status().IsNotFound()) continue;  // Deleted since the listing.
      return bytes.status().WithContext("cold store: reading " + key);
    }
    auto meta = block::DecodeMeta(*bytes);
    std::string node, id;
    ParseMetaKey(key, &node, &id);
    if (!meta.ok() || meta->node != node || meta->id != id) {
      STRATA_LOG(kError, "cold") << "skipping block " << node << "/" << id << ": "
                                 << (meta.ok() ? "meta.json names another block"
                                               : meta.status().message());
      continue;
    }
    found.push_back(std::move(meta).value());
  }
  {
    // Every new block appears at once, together with synced(): whoever sees a block listed
    // (Stats, metrics) also finds the store synced.
    MutexLock lock(&mu_);
    for (auto& m : found) {
      std::string key = m.node + "/" + m.id;
      blocks_[key] = std::make_shared<BlockReader>(store_.get(), &cache_, std::move(m));
    }
    synced_.store(true, std::memory_order_release);
  }
  RecordOwnMaxTime();
  return Status::Ok();
}

Status ColdStore::Upload(const std::string& dir, const BlockMeta& meta,
                         const std::function<Status()>& after_files) {
  if (meta.node != options_.node_id) {
    return Status::InvalidArgument("cold store: block of node " + meta.node + " uploaded by " +
                                   options_.node_id);
  }
  MutexLock write(&write_mu_);
  std::string prefix = block::BlockPrefix(meta.node, meta.id);
  for (const block::FileInfo& f : meta.files) {
    STRATA_RETURN_IF_ERROR(store_->PutFile(prefix + f.name, dir + "/" + f.name)
                               .WithContext("cold store: uploading " + prefix + f.name));
    // Read back and verify in slices so a large chunk file is never held whole.
    STRATA_ASSIGN_OR_RETURN(auto info, store_->Stat(prefix + f.name));
    if (info.size != f.bytes) {
      return Status::IOError("cold store: " + prefix + f.name + " has " +
                             std::to_string(info.size) + " bytes after upload, want " +
                             std::to_string(f.bytes));
    }
    uint32_t crc = 0;
    constexpr uint64_t kSlice = 1 << 20;
    for (uint64_t off = 0; off < f.bytes; off += kSlice) {
      uint64_t len = std::min(kSlice, f.bytes - off);
      STRATA_ASSIGN_OR_RETURN(auto part, store_->GetRange(prefix + f.name, {off, len}));
      crc = Crc32c(part, crc);
    }
    if (crc != f.crc32c) {
      return Status::IOError("cold store: " + prefix + f.name +
                             " reads back with another checksum");
    }
  }
  if (after_files) STRATA_RETURN_IF_ERROR(after_files());
  STRATA_RETURN_IF_ERROR(store_->Put(prefix + "meta.json", block::EncodeMeta(meta))
                             .WithContext("cold store: committing " + prefix));
  AddBlock(meta);
  RecordOwnMaxTime();
  return Status::Ok();
}

std::optional<BlockMeta> ColdStore::FindOwnBySource(const std::string& source) const {
  MutexLock lock(&mu_);
  for (const auto& [name, b] : blocks_) {
    if (b->meta().node == options_.node_id && b->meta().source == source) return b->meta();
  }
  return std::nullopt;
}

std::vector<BlockMeta> ColdStore::Blocks() const {
  std::vector<BlockMeta> out;
  {
    MutexLock lock(&mu_);
    for (const auto& [name, b] : blocks_) out.push_back(b->meta());
  }
  std::sort(out.begin(), out.end(), [](const BlockMeta& a, const BlockMeta& b) {
    return std::tie(a.min_time, a.node, a.id) < std::tie(b.min_time, b.node, b.id);
  });
  return out;
}

Status ColdStore::Delete(const BlockMeta& meta) {
  if (meta.node != options_.node_id) {
    return Status::InvalidArgument("cold store: node " + options_.node_id +
                                   " does not delete blocks of node " + meta.node);
  }
  MutexLock write(&write_mu_);
  std::string prefix = block::BlockPrefix(meta.node, meta.id);
  STRATA_RETURN_IF_ERROR(store_->Delete({prefix + "meta.json"}));
  {
    MutexLock lock(&mu_);
    blocks_.erase(meta.node + "/" + meta.id);
  }
  std::vector<std::string> keys;
  for (const auto& f : meta.files) keys.push_back(prefix + f.name);
  // Left-overs are partial uploads now; CollectPartialUploads removes them if this fails.
  return store_->Delete(keys);
}

Result<int> ColdStore::DropBlocksBefore(int64_t t, int64_t resolution_ms) {
  int dropped = 0;
  for (const BlockMeta& m : Blocks()) {
    if (m.node != options_.node_id || m.max_time >= t) continue;
    if (resolution_ms >= 0 && m.resolution_ms != resolution_ms) continue;
    STRATA_RETURN_IF_ERROR(Delete(m));
    ++dropped;
  }
  return dropped;
}

Result<int> ColdStore::CollectPartialUploads(int64_t now_ms) {
  MutexLock write(&write_mu_);
  STRATA_ASSIGN_OR_RETURN(auto objects, store_->List(options_.node_id + "/"));
  std::set<std::string> committed;
  for (const auto& o : objects) {
    std::string node, id;
    if (ParseMetaKey(o.key, &node, &id)) committed.insert(block::BlockPrefix(node, id));
  }
  {
    // Blocks this process knows are committed, whatever this one listing says (an eventually
    // consistent store may leave a meta.json out of it).
    MutexLock lock(&mu_);
    for (const auto& [name, b] : blocks_) {
      committed.insert(block::BlockPrefix(b->meta().node, b->meta().id));
    }
  }
  std::map<std::string, std::vector<std::string>> candidates;  // Block prefix -> keys.
  for (const auto& o : objects) {
    size_t a = o.key.find('/');
    size_t b = a == std::string::npos ? a : o.key.find('/', a + 1);
    if (b == std::string::npos) continue;
    const std::string prefix = o.key.substr(0, b + 1);
    if (committed.count(prefix)) continue;
    // An object without a modification time (a store that leaves it out) counts as new.
    if (o.last_modified_ms <= 0 || now_ms - o.last_modified_ms < options_.partial_grace_ms) {
      candidates[prefix].push_back({});  // Marks the block as not partial yet.
      continue;
    }
    candidates[prefix].push_back(o.key);
  }
  std::vector<std::string> doomed;
  for (auto& [prefix, keys] : candidates) {
    // A block with a file still in its grace period is not partial yet.
    if (std::any_of(keys.begin(), keys.end(), [](const std::string& k) { return k.empty(); })) {
      continue;
    }
    // The listing found no meta.json: ask for it directly before deleting anything.
    auto meta = store_->Stat(prefix + "meta.json");
    if (meta.ok()) continue;
    if (!meta.status().IsNotFound())
      return meta.status().WithContext("cold store: checking " + prefix);
    doomed.insert(doomed.end(), keys.begin(), keys.end());
  }
  if (!doomed.empty()) STRATA_RETURN_IF_ERROR(store_->Delete(doomed));
  return static_cast<int>(doomed.size());
}

int64_t ColdStore::max_time() const {
  MutexLock lock(&mu_);
  int64_t t = INT64_MIN;
  for (const auto& [name, b] : blocks_) t = std::max(t, b->meta().max_time);
  return t;
}

ColdStats ColdStore::Stats() const {
  ColdStats s;
  {
    MutexLock lock(&mu_);
    for (const auto& [name, b] : blocks_) {
      const BlockMeta& m = b->meta();
      s.blocks++;
      if (m.node == options_.node_id) s.own_blocks++;
      s.bytes += m.TotalBytes();
      s.series += m.series;
      s.samples += m.samples;
      auto& r = s.by_resolution[m.resolution_ms];
      r.blocks++;
      r.bytes += m.TotalBytes();
      r.samples += m.samples;
      s.min_time = std::min(s.min_time, m.min_time);
      s.max_time = std::max(s.max_time, m.max_time);
    }
  }
  s.cache_hits = cache_.lru().hits();
  s.cache_misses = cache_.lru().misses();
  s.cache_bytes = cache_.lru().used_bytes();
  s.bytes_fetched = cache_.bytes_fetched.load(std::memory_order_relaxed);
  s.requests = cache_.requests.load(std::memory_order_relaxed);
  return s;
}

std::vector<ColdStore::Pick> ColdStore::Overlapping(int64_t mint, int64_t maxt,
                                                    int64_t preferred_ms, int64_t max_ms,
                                                    bool hours_for_5m) const {
  std::vector<Pick> out;
  {
    MutexLock lock(&mu_);
    // Each chain raw -> 5m -> 1h (by the downsampled blocks' `downsample:<node>/<id>` source)
    // answers once: from its coarsest block at or below the preferred resolution, else (a finer
    // block deleted by retention) from its finest block within the cap.
    std::map<std::string_view, const std::shared_ptr<BlockReader>*> child;
    auto parent_of = [](const BlockMeta& m) -> std::string_view {
      std::string_view src = m.source;
      if (m.resolution_ms == 0 || !src.starts_with(kDownsampleSource)) return {};
      return src.substr(kDownsampleSource.size());
    };
    for (const auto& [name, b] : blocks_) {
      std::string_view parent = parent_of(b->meta());
      if (!parent.empty()) child.emplace(parent, &b);
    }
    // A 1h block names its 5m block as its source; once retention has deleted the 5m block
    // (raw data may be kept longer than 5m data), the 1h block is joined to the raw block of
    // its node and day instead, so the day is still one chain and answered once (not by both
    // the raw and the 1h block, whose windows would hide the raw samples they overlap).
    std::map<std::pair<std::string_view, int64_t>, const std::shared_ptr<BlockReader>*> raw_roots;
    for (const auto& [name, b] : blocks_) {
      if (b->meta().resolution_ms == 0 && !child.count(name)) {
        raw_roots.emplace(std::pair<std::string_view, int64_t>{b->meta().node, b->meta().min_time},
                          &b);
      }
    }
    std::map<std::string_view, const std::shared_ptr<BlockReader>*> orphan_of;  // Raw -> 1h.
    std::set<std::string_view> joined;
    for (const auto& [name, b] : blocks_) {
      std::string_view parent = parent_of(b->meta());
      if (parent.empty() || blocks_.count(std::string(parent))) continue;
      // The raw blocks of the node that begin at or before it, nearest first (a retried move
      // may have left a duplicate or two).
      const BlockMeta& m = b->meta();
      auto it = raw_roots.upper_bound({m.node, m.min_time});
      for (int tries = 0; tries < 4 && it != raw_roots.begin(); ++tries) {
        --it;
        if (it->first.first != m.node) break;
        const BlockMeta& r = (*it->second)->meta();
        if (r.min_time <= m.min_time && m.max_time <= r.max_time &&
            orphan_of.emplace((*it->second)->name(), &b).second) {
          joined.insert(name);
          break;
        }
      }
    }
    std::vector<const std::shared_ptr<BlockReader>*> chain;
    for (const auto& [name, b] : blocks_) {
      std::string_view parent = parent_of(b->meta());
      if (!parent.empty() && blocks_.count(std::string(parent))) continue;  // Not a chain's root.
      if (joined.count(name)) continue;  // Answered with its raw block.
      chain.assign(1, &b);
      if (auto o = orphan_of.find(name); o != orphan_of.end()) chain.push_back(o->second);
      for (auto it = child.find((*chain.back())->name()); it != child.end() && chain.size() < 4;
           it = child.find((*it->second)->name())) {
        chain.push_back(it->second);
      }
      size_t pick = chain.size();
      for (size_t i = 0; i < chain.size(); ++i) {
        if ((*chain[i])->meta().resolution_ms <= preferred_ms) pick = i;
      }
      for (size_t i = 0; pick == chain.size() && i < chain.size(); ++i) {
        if ((*chain[i])->meta().resolution_ms <= max_ms) pick = i;
      }
      if (pick == chain.size() || !Overlaps((*chain[pick])->meta(), mint, maxt)) continue;
      const std::shared_ptr<BlockReader>& picked = *chain[pick];
      if (hours_for_5m && picked->meta().resolution_ms == kResolution5m &&
          pick + 1 < chain.size() && (*chain[pick + 1])->meta().resolution_ms == kResolution1h) {
        out.push_back({*chain[pick + 1], picked});
      } else if (hours_for_5m && picked->hours() != nullptr) {
        out.push_back({picked->hours(), picked});  // The 5m block's own hour windows.
      } else {
        out.push_back({*chain[pick], nullptr});
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const Pick& a, const Pick& b) {
    return a.block->meta().min_time < b.block->meta().min_time;
  });
  return out;
}

namespace {

// One block's part of one series, before the series are gathered across blocks.
struct BlockItem {
  const model::Labels* labels;
  ColdPart part;
};

// The union of two label lists, each sorted and unique: sorted and unique. Linear, where
// sorting the series of every block together compared labels about log2(blocks x series)
// times as often.
std::vector<const model::Labels*> UnionByLabels(const std::vector<const model::Labels*>& a,
                                                const std::vector<const model::Labels*>& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  std::vector<const model::Labels*> out;
  out.reserve(a.size() + b.size());
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const auto order = a[i] == b[j] ? std::strong_ordering::equal : *a[i] <=> *b[j];
    if (order < 0) {
      out.push_back(a[i++]);
    } else if (order > 0) {
      out.push_back(b[j++]);
    } else {
      out.push_back(a[i++]);
      ++j;
    }
  }
  out.insert(out.end(), a.begin() + static_cast<ptrdiff_t>(i), a.end());
  out.insert(out.end(), b.begin() + static_cast<ptrdiff_t>(j), b.end());
  return out;
}

// The series of the blocks' lists (each sorted by labels; blocks in time order), each with
// its parts in block order.
std::vector<ColdSeries> GatherSeries(const std::vector<std::vector<BlockItem>>& per_block) {
  // Every block's labels merged two neighbours at a time: with the same series in every block
  // that compares each once per block; where series come and go (each block's mostly new),
  // about log2(blocks) times.
  std::vector<std::vector<const model::Labels*>> lists;
  for (const auto& items : per_block) {
    auto& list = lists.emplace_back();
    list.reserve(items.size());
    for (const BlockItem& it : items) {
      if (list.empty() || *list.back() != *it.labels) list.push_back(it.labels);
    }
  }
  while (lists.size() > 1) {
    std::vector<std::vector<const model::Labels*>> next;
    for (size_t i = 0; i + 1 < lists.size(); i += 2) {
      next.push_back(UnionByLabels(lists[i], lists[i + 1]));
    }
    if (lists.size() % 2 == 1) next.push_back(std::move(lists.back()));
    lists = std::move(next);
  }
  std::vector<ColdSeries> series(lists.empty() ? 0 : lists[0].size());
  for (size_t i = 0; i < series.size(); ++i) series[i].labels = lists[0][i];
  // Each block's items walked along the series: first to count each series' parts, then to
  // place them.
  std::vector<uint32_t> where;
  std::vector<uint32_t> counts(series.size());
  for (const auto& items : per_block) {
    size_t k = 0;
    for (const BlockItem& it : items) {
      while (series[k].labels != it.labels && (*series[k].labels <=> *it.labels) < 0) ++k;
      where.push_back(static_cast<uint32_t>(k));
      ++counts[k];
    }
  }
  for (size_t i = 0; i < series.size(); ++i) series[i].parts.reserve(counts[i]);
  size_t w = 0;
  for (const auto& items : per_block) {
    for (const BlockItem& it : items) series[where[w++]].parts.push_back(it.part);
  }
  return series;
}

}  // namespace

Result<std::unique_ptr<SeriesSet>> ColdStore::Select(const model::Matchers& matchers,
                                                     const SelectHints& hints) const {
  STRATA_RETURN_IF_ERROR(CheckSelectorMatchers(matchers));
  STRATA_RETURN_IF_ERROR(CheckAvailable(hints.start_ms));
  const int64_t preferred =
      AllowedResolution(hints.range_ms, hints.step_ms, hints.max_resolution_ms);
  // Downsampled data is returned from one window before start_ms on, so an instant selector
  // finds the window its lookback falls into.
  auto before = [&](int64_t d) {  // start_ms - d, saturating.
    return hints.start_ms < INT64_MIN + d ? INT64_MIN : hints.start_ms - d;
  };
  const int64_t reach = hints.max_resolution_ms > 0 ? kResolution1h : 0;
  const ReadGrid grid = ReadGridOf(hints);
  const bool thin = hints.ref_count > 0 && CanThinView(hints.func, hints.range_ms);
  // A thinned read whose boundaries (ref_i and ref_i - range; ref_i alone for an instant
  // selector) all lie on whole hours gets the same points from the 1h windows of an hour as
  // from its twelve 5m windows (HourWindowsServe says when not, and the 5m windows are read
  // then): where 5m data may serve it and the cap allows 1h, a 1h block, or else the 5m block's
  // own hour windows (format version 2), stands in for the 5m block. The answer, and the
  // resolution `infos` name, stay 5m.
  const bool on_hours = [&] {
    if (!thin || preferred < kResolution5m || hints.max_resolution_ms < kResolution1h) {
      return false;
    }
    return hints.range_ms >= 0 && hints.range_ms % kResolution1h == 0 &&
           hints.first_ref_ms % kResolution1h == 0 && hints.ref_step_ms >= 0 &&
           (hints.ref_count == 1 || hints.ref_step_ms % kResolution1h == 0) &&
           (hints.range_ms == 0 ||
            (hints.start_ms % kResolution1h == 0 && hints.end_ms % kResolution1h == 0));
  }();
  auto picks =
      Overlapping(before(reach), hints.end_ms, preferred, hints.max_resolution_ms, on_hours);
  std::erase_if(picks, [&](const Pick& p) {
    return p.block->meta().max_time < before(p.block->meta().resolution_ms);
  });
  // Where blocks overlap (a retried move's duplicate), the read keeps the first of any windows
  // that overlap, and an hour window would hide the other block's windows of its hour: the 5m
  // block answers then.
  for (Pick& p : picks) {
    if (p.finer == nullptr) continue;
    const BlockMeta& f = p.finer->meta();
    for (const Pick& q : picks) {
      if (&q != &p && q.block->meta().min_time <= f.max_time &&
          q.block->meta().max_time >= f.min_time) {
        p = Pick{p.finer, nullptr};
        break;
      }
    }
  }
  // Each block's series come in label order (the format numbers them so; a block's that do
  // not are sorted here), and blocks are visited in time order. Labels and groups are not
  // copied: they stay in the blocks' series entries, shared with the cache, which the series
  // set keeps.
  std::vector<std::vector<BlockItem>> per_block;
  std::vector<BlockReader::Entry> pinned;
  std::vector<std::shared_ptr<BlockReader>> blocks;
  for (const auto& [b, finer] : picks) {
    blocks.push_back(b);
    const int64_t from = before(b->meta().resolution_ms);
    STRATA_ASSIGN_OR_RETURN(Roaring ids, b->Match(matchers));
    std::vector<uint32_t> list(ids.begin(), ids.end());
    STRATA_ASSIGN_OR_RETURN(auto entries, b->LoadEntries(list));
    if (finer != nullptr) blocks.push_back(finer);  // Its series are looked up when needed.
    const BlockMeta& m = b->meta();
    if (hints.resolutions != nullptr && m.resolution_ms > 0 && !entries.empty()) {
      // The block's part of the range; a block that ends before start_ms (read for the first
      // lookback, from one window before) names what was read of it, never a backwards span.
      const int64_t hi = std::min(m.max_time, hints.end_ms);
      int64_t lo = std::max(m.min_time, hints.start_ms);
      if (lo > hi) lo = std::max(m.min_time, from);
      hints.resolutions->push_back({finer != nullptr ? kResolution5m : m.resolution_ms, lo, hi});
    }
    std::vector<BlockItem>& items = per_block.emplace_back();
    items.reserve(entries.size());
    bool ordered = true;
    for (auto& e : entries) {
      std::span<const GroupRef> groups = GroupsIn(e->groups, from, hints.end_ms);
      if (groups.empty()) continue;
      if (!items.empty() && !(*items.back().labels < e->labels)) ordered = false;
      items.push_back({&e->labels, ColdPart{b.get(), groups, finer.get()}});
      pinned.push_back(std::move(e));
    }
    if (!ordered) {  // Not written so: a series listed twice keeps both parts, in order.
      std::stable_sort(items.begin(), items.end(), [](const BlockItem& x, const BlockItem& y) {
        return *x.labels < *y.labels;
      });
    }
    if (items.empty()) per_block.pop_back();
  }
  int64_t cover_end = INT64_MIN;
  for (const auto& b : blocks) cover_end = std::max(cover_end, b->meta().max_time);
  return std::unique_ptr<SeriesSet>(std::make_unique<ColdSeriesSet>(
      std::move(blocks), std::move(pinned), GatherSeries(per_block), hints.start_ms, hints.end_ms,
      ViewForFunction(hints.func), thin, grid, matchers,
      hints.range_ms == 0 ? hints.lookback_ms : 0, cover_end));
}

Result<std::vector<model::Labels>> ColdStore::Series(const model::Matchers& matchers, int64_t mint,
                                                     int64_t maxt) const {
  STRATA_RETURN_IF_ERROR(CheckSelectorMatchers(matchers));
  STRATA_RETURN_IF_ERROR(CheckAvailable(mint));
  std::vector<model::Labels> out;
  for (const Pick& pick : Overlapping(mint, maxt, 0, INT64_MAX)) {
    const auto& b = pick.block;
    STRATA_ASSIGN_OR_RETURN(Roaring ids, b->Match(matchers));
    std::vector<uint32_t> list(ids.begin(), ids.end());
    STRATA_ASSIGN_OR_RETURN(auto entries, b->LoadEntries(list));
    for (const auto& e : entries) {
      if (!GroupsIn(e->groups, mint, maxt).empty()) out.push_back(e->labels);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<std::vector<std::string>> ColdStore::LabelNames(
    const std::vector<model::Matchers>& selectors, int64_t mint, int64_t maxt) const {
  STRATA_RETURN_IF_ERROR(CheckAvailable(mint));
  std::set<std::string> names;
  if (selectors.empty()) {
    for (const Pick& pick : Overlapping(mint, maxt, 0, INT64_MAX)) {
      const auto& b = pick.block;
      STRATA_ASSIGN_OR_RETURN(auto n, b->LabelNames());
      names.insert(n.begin(), n.end());
    }
  } else {
    for (const auto& sel : selectors) {
      STRATA_ASSIGN_OR_RETURN(auto series, Series(sel, mint, maxt));
      for (const auto& l : series) {
        for (const auto& p : l) names.insert(p.name);
      }
    }
  }
  return std::vector<std::string>(names.begin(), names.end());
}

Result<std::vector<std::string>> ColdStore::LabelValues(
    const std::string& name, const std::vector<model::Matchers>& selectors, int64_t mint,
    int64_t maxt) const {
  STRATA_RETURN_IF_ERROR(CheckAvailable(mint));
  std::set<std::string> values;
  if (selectors.empty()) {
    for (const Pick& pick : Overlapping(mint, maxt, 0, INT64_MAX)) {
      const auto& b = pick.block;
      STRATA_ASSIGN_OR_RETURN(auto v, b->LabelValues(name));
      values.insert(v.begin(), v.end());
    }
  } else {
    for (const auto& sel : selectors) {
      STRATA_ASSIGN_OR_RETURN(auto series, Series(sel, mint, maxt));
      for (const auto& l : series) {
        std::string_view v = l.Get(name);
        if (!v.empty()) values.emplace(v);
      }
    }
  }
  return std::vector<std::string>(values.begin(), values.end());
}

Result<std::string> LoadOrCreateNodeId(const std::string& data_dir, const std::string& flag) {
  const std::string path = data_dir + "/node-id";
  std::string recorded;
  {
    std::ifstream in(path);
    if (in) std::getline(in, recorded);
  }
  if (!recorded.empty() && !block::IsValidNodeId(recorded)) {
    return Status::Corruption(path + " holds an invalid node id \"" + recorded + "\"");
  }
  if (!flag.empty()) {
    if (!block::IsValidNodeId(flag)) {
      return Status::InvalidArgument("--storage.cold.node-id=" + flag +
                                     ": want 1-63 characters of [a-z0-9._-], starting with a "
                                     "letter or digit");
    }
    if (!recorded.empty() && recorded != flag) {
      return Status::InvalidArgument("--storage.cold.node-id=" + flag + " differs from " +
                                     recorded +
                                     ", the node id this data directory's cold "
                                     "blocks were written under (" +
                                     path + ")");
    }
    if (!recorded.empty()) return flag;
    recorded = flag;
  } else if (recorded.empty()) {
    std::random_device rd;
    char buf[32];
    std::snprintf(buf, sizeof buf, "node-%06x%06x", rd() & 0xffffff, rd() & 0xffffff);
    recorded = buf;
  } else {
    return recorded;
  }
  STRATA_RETURN_IF_ERROR(WriteFileDurably(path, recorded + "\n"));
  return recorded;
}

Result<block::BlockMeta> BuildBlockFromWarmPartition(const WarmStore& warm, int64_t part,
                                                     block::BlockMeta meta,
                                                     const std::string& dir) {
  STRATA_ASSIGN_OR_RETURN(auto writer, block::BlockWriter::Create(dir, meta));
  STRATA_ASSIGN_OR_RETURN(auto series, warm.PartitionSeries(part));
  if (series.empty())
    return Status::NotFound("warm partition " + std::to_string(part) + " is empty");
  for (const auto& [id, labels] : series) {
    STRATA_ASSIGN_OR_RETURN(std::vector<model::Sample> samples, warm.PartitionSamples(part, id));
    STRATA_RETURN_IF_ERROR(writer->AddSeriesSamples(labels, samples)
                               .WithContext("warm partition " + std::to_string(part)));
  }
  return writer->Finish();
}

Result<std::unique_ptr<ColdStore>> OpenColdStore(const std::string& data_dir, ColdConfig config,
                                                 prometheus::Registry* registry) {
  STRATA_ASSIGN_OR_RETURN(config.cold.node_id, LoadOrCreateNodeId(data_dir, config.cold.node_id));
  if (config.cold.state_file.empty()) config.cold.state_file = data_dir + "/cold-max-time";
  STRATA_ASSIGN_OR_RETURN(auto store,
                          objstore::OpenObjectStore(config.store, data_dir + "/cold", registry));
  return ColdStore::Open(std::move(store), std::move(config.cold), registry);
}

}  // namespace strata::storage
