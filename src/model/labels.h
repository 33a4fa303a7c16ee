// Labels: the identity of a series, an immutable list of name/value pairs sorted by name (byte
// order) with unique names and no empty values (Prometheus: an empty value means "absent").
// LabelsBuilder derives new label sets for PromQL. Labels is thread-compatible (immutable after
// construction, so sharing const references across threads is safe); LabelsBuilder is confined.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace strata::model {

// The label holding the metric name.
inline constexpr std::string_view kMetricNameLabel = "__name__";

struct Label {
  std::string name;
  std::string value;

  friend bool operator==(const Label&, const Label&) = default;
  friend std::strong_ordering operator<=>(const Label&, const Label&) = default;
};

class Labels {
 public:
  using const_iterator = std::vector<Label>::const_iterator;

  // The empty label set.
  Labels() = default;

  // Sorts `pairs` by name and drops pairs whose value is empty. Returns InvalidArgument
  // `duplicate label name "job"` if a name occurs twice (checked before empty values are
  // dropped: {a="", a="x"} is rejected too). Names are not validated here; see validation.h.
  static Result<Labels> FromPairs(std::vector<Label> pairs);

  // Like FromPairs, but requires `pairs` to be sorted already (as Prometheus remote write does)
  // instead of sorting them. Returns InvalidArgument `labels are not sorted: ...` or
  // `duplicate label name "job"`. O(n), no allocation beyond taking `pairs`.
  static Result<Labels> FromSorted(std::vector<Label> pairs);

  size_t size() const { return labels_.size(); }
  bool empty() const { return labels_.empty(); }
  const_iterator begin() const { return labels_.begin(); }
  const_iterator end() const { return labels_.end(); }
  // REQUIRES: i < size().
  const Label& operator[](size_t i) const { return labels_[i]; }

  // The value of label `name`, or "" if absent. The view borrows from *this. O(log n).
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  // The value of __name__, or "" if absent.
  std::string_view MetricName() const { return Get(kMetricNameLabel); }

  // XXH3_64bits (seed 0) of name 0xff value 0xff for each label in order. 0xff never occurs in
  // valid UTF-8, so distinct valid label sets give distinct inputs. Persisted (series ids, shard
  // placement) and stable across runs and machines: never change the function or the encoding.
  // The hash of the empty set is XXH3_64bits of no bytes. No allocation up to 1 KiB of encoding.
  uint64_t Hash() const;
  // Hash() of the subset of labels whose names are in `names`, for PromQL `by (...)`: equal to
  // Hash() of that subset as a Labels. `names` need not be sorted and may hold duplicates or
  // absent names. Cost O(size() * names.size()).
  uint64_t HashFor(std::span<const std::string> names) const;
  // Hash() of the subset of labels whose names are NOT in `names` and are not __name__, for
  // PromQL `without (...)`. Same conventions and cost as HashFor.
  uint64_t HashWithout(std::span<const std::string> names) const;

  // A copy without __name__ (what most PromQL functions and operators return).
  Labels WithoutMetricName() const;

  // Prometheus labels.String(): `{__name__="up", job="x"}`. Values are Go-quoted
  // (strconv.Quote); names are printed bare unless they fail IsValidLabelName, then quoted.
  std::string ToString() const;
  // The PromQL form, with a valid metric name outside the braces: `up{job="x"}`, `up` when it
  // is the only label, `{job="x"}` without a name, `{}` when empty. A metric name failing
  // IsValidMetricName is printed quoted first inside the braces: `{"a.b", job="x"}`.
  std::string ToPromQLString() const;

  // Approximate heap plus inline footprint in bytes, for memory accounting.
  size_t ByteSize() const;

  friend bool operator==(const Labels& a, const Labels& b) { return a.labels_ == b.labels_; }
  // Prometheus labels.Compare: pairwise by name, then by value; if one set is a prefix of the
  // other, the shorter one sorts first.
  friend std::strong_ordering operator<=>(const Labels& a, const Labels& b);

 private:
  friend class LabelsBuilder;
  // REQUIRES: `sorted` is sorted by name, unique, and holds no empty values.
  explicit Labels(std::vector<Label> sorted) : labels_(std::move(sorted)) {}

  std::vector<Label> labels_;
};

// A borrowed label pair, e.g. pointing into a decoded remote-write request.
struct LabelView {
  std::string_view name;
  std::string_view value;
};

// Labels::Hash() of the label set made of `labels`. REQUIRES: sorted by name, unique, no empty
// values (as in a valid Labels); then HashLabelViews(views of l) == l.Hash().
uint64_t HashLabelViews(std::span<const LabelView> labels);

// For unordered containers keyed by Labels.
struct LabelsHash {
  size_t operator()(const Labels& labels) const { return static_cast<size_t>(labels.Hash()); }
};

// Derives a label set from a base one (cf. Prometheus labels.Builder), e.g. for label_replace,
// aggregation `by`/`without` and dropping __name__. Every method keeps the invariants of Labels,
// so Build() cannot fail. Confined to one thread.
class LabelsBuilder {
 public:
  LabelsBuilder() = default;
  explicit LabelsBuilder(const Labels& base) : labels_(base.labels_) {}

  // Starts over from `base`.
  void Reset(const Labels& base) { labels_ = base.labels_; }

  // Sets label `name` to `value`, replacing any previous value; an empty value deletes it.
  LabelsBuilder& Set(std::string_view name, std::string_view value);
  // Deletes label `name` if present.
  LabelsBuilder& Del(std::string_view name);
  LabelsBuilder& Del(std::span<const std::string> names);
  // Deletes every label whose name is not in `names`.
  LabelsBuilder& Keep(std::span<const std::string> names);

  // The current value of `name`, or "". The view is invalidated by the next mutation.
  std::string_view Get(std::string_view name) const;

  Labels Build() const { return Labels(labels_); }

 private:
  std::vector<Label> labels_;  // Sorted by name, unique, no empty values.
};

}  // namespace strata::model
