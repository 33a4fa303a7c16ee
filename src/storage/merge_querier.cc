// MergeQuerier: k-way merge of tier SeriesSets by labels, and of samples by time.
#include "storage/merge_querier.h"

#include <algorithm>

#include "storage/downsample.h"

namespace strata::storage {

void MergeSamplesNewerWins(std::vector<model::Sample>* newer,
                           std::vector<model::Sample>* older_in) {
  std::vector<model::Sample>& older = *older_in;
  if (older.empty()) return;
  if (newer->empty()) {
    newer->swap(older);
    return;
  }
  // Fast paths: disjoint in time (the usual case: an older tier ends where a newer begins; the
  // older side, then, is usually the larger, and the newer is copied onto it).
  if (older.back().timestamp_ms < newer->front().timestamp_ms) {
    if (older.size() >= newer->size()) {
      older.insert(older.end(), newer->begin(), newer->end());
      newer->swap(older);
    } else {
      newer->insert(newer->begin(), older.begin(), older.end());
    }
    return;
  }
  if (older.front().timestamp_ms > newer->back().timestamp_ms) {
    newer->insert(newer->end(), older.begin(), older.end());
    return;
  }
  std::vector<model::Sample> out;
  out.reserve(newer->size() + older.size());
  const auto& a = *newer;
  size_t i = 0, j = 0;
  while (i < a.size() || j < older.size()) {
    if (j == older.size() || (i < a.size() && a[i].timestamp_ms <= older[j].timestamp_ms)) {
      if (j < older.size() && a[i].timestamp_ms == older[j].timestamp_ms) ++j;
      out.push_back(a[i++]);
    } else {
      out.push_back(older[j++]);
    }
  }
  *newer = std::move(out);
}

namespace {

// How a series' raw samples from the newer tiers are thinned after a downsampled view of the
// older ones (MergeQuerier::Select).
struct TailThinning {
  bool on = false;
  AggrView view = AggrView::kLast;
  ReadGrid grid;
};

class MergeSeriesSet final : public SeriesSet {
 public:
  MergeSeriesSet(std::vector<std::unique_ptr<SeriesSet>> sets, TailThinning thin)
      : sets_(std::move(sets)), active_(sets_.size(), false), thin_(thin) {
    for (size_t i = 0; i < sets_.size(); ++i) Advance(i);
  }

  bool Next() override {
    // Move past the group returned last time.
    for (size_t i : group_) Advance(i);
    group_.clear();
    if (!status_.ok()) return false;
    const model::Labels* min = nullptr;
    for (size_t i = 0; i < sets_.size(); ++i) {
      if (active_[i] && (min == nullptr || sets_[i]->labels() < *min)) min = &sets_[i]->labels();
    }
    if (min == nullptr) return false;
    for (size_t i = 0; i < sets_.size(); ++i) {
      if (active_[i] && sets_[i]->labels() == *min) group_.push_back(i);  // Newest first.
    }
    return true;
  }

  const model::Labels& labels() const override { return sets_[group_.front()]->labels(); }

  Status ReadSamples(std::vector<model::Sample>* out) override {
    counts_.clear();
    STRATA_RETURN_IF_ERROR(sets_[group_[0]]->ReadSamples(out));
    bool weighted = !sets_[group_[0]]->counts().empty();
    if (weighted) counts_ = sets_[group_[0]]->counts();
    downsampled_ = sets_[group_[0]]->downsampled();
    downsampled_until_ = sets_[group_[0]]->downsampled_until();
    for (size_t k = 1; k < group_.size(); ++k) {
      SeriesSet& set = *sets_[group_[k]];
      // From the newer tiers' first sample on, an older tier's downsampled view gives way to
      // them (a retried move leaves a partition in both the warm and the cold tier for a
      // while): a view point stands for a window or a thinned segment, and must not be
      // replaced by, or interleaved with, raw samples of the same time.
      if (out->empty()) {
        STRATA_RETURN_IF_ERROR(set.ReadSamples(&scratch_));
      } else {
        STRATA_RETURN_IF_ERROR(set.ReadSamplesBefore(out->front().timestamp_ms, &scratch_));
      }
      if (!downsampled_ && set.downsampled()) {
        // *out holds the newer tiers' raw samples alone, and the view comes before them (an
        // older tier after it, whose samples could fall among them, leaves them as they are).
        if (thin_.on && out->size() > 2 && k + 1 == group_.size() &&
            (scratch_.empty() || scratch_.back().timestamp_ms < out->front().timestamp_ms) &&
            (!weighted || counts_.size() == out->size())) {
          // The counter and sum views fold points into one that stands for several samples:
          // their counts go along, 1 for each raw sample (also where the view is empty, and
          // so brings none); usual segments are thinned without writing them first
          // (ThinRawView). Thinned as the cold tier thins the view before them
          // (storage/downsample.h, ThinView: the raw samples are a view of one-sample windows,
          // and a counter segment with a reset keeps every point), so the engine evaluates a
          // downsampled answer's raw tail a segment at a time too; before the view is merged in
          // front of them, which then moves the thinned samples only.
          if (!weighted && ThinRawView(thin_.view, thin_.grid, out, &counts_)) {
            weighted = ViewHasCounts(thin_.view);
          } else {
            if (!weighted && ViewHasCounts(thin_.view)) {
              counts_.assign(out->size(), 1u);
              weighted = true;
            }
            ThinView(thin_.view, thin_.grid, out, weighted ? &counts_ : nullptr);
          }
        }
        downsampled_ = true;
      }
      downsampled_until_ = std::max(downsampled_until_, set.downsampled_until());
      if (!weighted && set.counts().empty()) {
        MergeSamplesNewerWins(out, &scratch_);
        continue;
      }
      MergeWeighted(out, set.counts(), weighted);
      weighted = true;
    }
    return Status::Ok();
  }

  const std::vector<uint32_t>& counts() const override { return counts_; }
  bool downsampled() const override { return downsampled_; }
  int64_t downsampled_until() const override { return downsampled_until_; }

  Status status() const override { return status_; }

 private:
  void Advance(size_t i) {
    active_[i] = sets_[i]->Next();
    if (!active_[i] && !sets_[i]->status().ok() && status_.ok()) status_ = sets_[i]->status();
  }

  std::vector<std::unique_ptr<SeriesSet>> sets_;
  std::vector<bool> active_;
  std::vector<size_t> group_;
  const TailThinning thin_;
  bool downsampled_ = false;
  int64_t downsampled_until_ = INT64_MIN;
  // Merges scratch_ (older, with `older_counts`, empty meaning 1 each) into *out (newer, with
  // counts_ when `have_counts`, else 1 each), newer winning at equal times.
  void MergeWeighted(std::vector<model::Sample>* out, const std::vector<uint32_t>& older_counts,
                     bool have_counts) {
    if (!have_counts) counts_.assign(out->size(), 1u);
    if (out->empty() || scratch_.empty() ||
        scratch_.back().timestamp_ms < out->front().timestamp_ms) {
      // Disjoint, the older before the newer (the usual case: a tier ends where the next
      // begins): the older samples and counts go in front.
      if (older_counts.empty()) {
        counts_.insert(counts_.begin(), scratch_.size(), 1u);
      } else {
        counts_.insert(counts_.begin(), older_counts.begin(), older_counts.end());
      }
      out->insert(out->begin(), scratch_.begin(), scratch_.end());
      return;
    }
    // Built in the members kept from the last series, so a large merge does not fault in
    // fresh pages every time.
    std::vector<model::Sample>& samples = merged_;
    std::vector<uint32_t>& counts = merged_counts_;
    samples.clear();
    counts.clear();
    samples.reserve(out->size() + scratch_.size());
    counts.reserve(out->size() + scratch_.size());
    auto newer_count = [&](size_t i) { return counts_[i]; };
    auto older_count = [&](size_t j) { return older_counts.empty() ? 1u : older_counts[j]; };
    size_t i = 0, j = 0;
    const auto& a = *out;
    while (i < a.size() || j < scratch_.size()) {
      if (j == scratch_.size() || (i < a.size() && a[i].timestamp_ms <= scratch_[j].timestamp_ms)) {
        if (j < scratch_.size() && a[i].timestamp_ms == scratch_[j].timestamp_ms) ++j;
        counts.push_back(newer_count(i));
        samples.push_back(a[i++]);
      } else {
        counts.push_back(older_count(j));
        samples.push_back(scratch_[j++]);
      }
    }
    out->swap(samples);
    counts_.swap(counts);
  }

  std::vector<model::Sample> scratch_;
  std::vector<uint32_t> counts_;
  std::vector<model::Sample> merged_;
  std::vector<uint32_t> merged_counts_;
  Status status_;
};

template <typename T>
void SortUnique(std::vector<T>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

}  // namespace

MergeQuerier::MergeQuerier(std::vector<const Querier*> tiers) {
  for (const Querier* q : tiers) {
    if (q != nullptr) tiers_.push_back(q);
  }
}

Result<std::unique_ptr<SeriesSet>> MergeQuerier::Select(const model::Matchers& matchers,
                                                        const SelectHints& hints) const {
  STRATA_RETURN_IF_ERROR(CheckSelectorMatchers(matchers));
  if (tiers_.size() == 1) return tiers_[0]->Select(matchers, hints);
  std::vector<std::unique_ptr<SeriesSet>> sets;
  sets.reserve(tiers_.size());
  for (const Querier* q : tiers_) {
    STRATA_ASSIGN_OR_RETURN(auto set, q->Select(matchers, hints));
    sets.push_back(std::move(set));
  }
  // Where the cold tier gives a thinned view (range functions and instant selectors that may
  // read downsampled data), the raw samples after it are thinned the same way.
  TailThinning thin;
  thin.on =
      hints.ref_count > 0 && hints.max_resolution_ms > 0 && CanThinView(hints.func, hints.range_ms);
  thin.view = ViewForFunction(hints.func);
  thin.grid = ReadGridOf(hints);
  return std::unique_ptr<SeriesSet>(std::make_unique<MergeSeriesSet>(std::move(sets), thin));
}

Result<std::vector<model::Labels>> MergeQuerier::Series(const model::Matchers& matchers,
                                                        int64_t mint, int64_t maxt) const {
  std::vector<model::Labels> out;
  for (const Querier* q : tiers_) {
    STRATA_ASSIGN_OR_RETURN(auto part, q->Series(matchers, mint, maxt));
    out.insert(out.end(), std::make_move_iterator(part.begin()),
               std::make_move_iterator(part.end()));
  }
  SortUnique(&out);
  return out;
}

Result<std::vector<std::string>> MergeQuerier::LabelNames(
    const std::vector<model::Matchers>& selectors, int64_t mint, int64_t maxt) const {
  std::vector<std::string> out;
  for (const Querier* q : tiers_) {
    STRATA_ASSIGN_OR_RETURN(auto part, q->LabelNames(selectors, mint, maxt));
    out.insert(out.end(), std::make_move_iterator(part.begin()),
               std::make_move_iterator(part.end()));
  }
  SortUnique(&out);
  return out;
}

Result<std::vector<std::string>> MergeQuerier::LabelValues(
    const std::string& name, const std::vector<model::Matchers>& selectors, int64_t mint,
    int64_t maxt) const {
  std::vector<std::string> out;
  for (const Querier* q : tiers_) {
    STRATA_ASSIGN_OR_RETURN(auto part, q->LabelValues(name, selectors, mint, maxt));
    out.insert(out.end(), std::make_move_iterator(part.begin()),
               std::make_move_iterator(part.end()));
  }
  SortUnique(&out);
  return out;
}

}  // namespace strata::storage
