// Quantile and BucketQuantile: Prometheus v2.53 promql/quantile.go (quantile, bucketQuantile,
// coalesceBuckets, ensureMonotonicAndIgnoreSmallDeltas), including Go's sort.Search probing
// order so that NaN counts give the same answer. Pure functions; thread-safe.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "query/funcs/function_impls.h"

namespace strata::query::funcs {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Relative count differences between adjacent buckets below this are floating-point noise
// (Prometheus' smallDeltaTolerance).
constexpr double kSmallDeltaTolerance = 1e-12;

// Prometheus' util/almost.Equal.
bool AlmostEqual(double a, double b, double epsilon) {
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == b) return true;
  constexpr double kMinNormal = std::numeric_limits<double>::min();
  const double abs_sum = std::fabs(a) + std::fabs(b);
  const double diff = std::fabs(a - b);
  if (a == 0 || b == 0 || abs_sum < kMinNormal) return diff < epsilon * kMinNormal;
  return diff / std::min(abs_sum, std::numeric_limits<double>::max()) < epsilon;
}

// Go's sort.Search: the smallest i in [0, n) with pred(i), or n. Probes in Go's exact order, so
// a predicate that is not monotonic (NaN counts) lands where Prometheus lands.
template <typename Pred>
size_t GoSearch(size_t n, Pred pred) {
  size_t i = 0;
  size_t j = n;
  while (i < j) {
    const size_t h = (i + j) >> 1;
    if (!pred(h)) {
      i = h + 1;
    } else {
      j = h;
    }
  }
  return i;
}

// Sorts by upper bound. Go's slices.SortFunc uses insertion sort up to 12 elements, where a NaN
// bound (which compares equal to everything) acts as a barrier; we replicate that exactly. Longer
// inputs use a stable sort with NaN last, which equals Go for NaN-free bounds.
void SortBuckets(std::vector<Bucket>* buckets) {
  std::vector<Bucket>& b = *buckets;
  if (b.size() <= 12) {
    for (size_t i = 1; i < b.size(); ++i) {
      for (size_t j = i; j > 0 && b[j].upper_bound < b[j - 1].upper_bound; --j) {
        std::swap(b[j], b[j - 1]);
      }
    }
    return;
  }
  std::stable_sort(b.begin(), b.end(), [](const Bucket& x, const Bucket& y) {
    if (std::isnan(x.upper_bound)) return false;
    if (std::isnan(y.upper_bound)) return true;
    return x.upper_bound < y.upper_bound;
  });
}

// Merges adjacent buckets with equal upper bounds. REQUIRES: sorted, non-empty.
void CoalesceBuckets(std::vector<Bucket>* buckets) {
  std::vector<Bucket>& b = *buckets;
  Bucket last = b[0];
  size_t out = 0;
  for (size_t k = 1; k < b.size(); ++k) {
    if (b[k].upper_bound == last.upper_bound) {
      last.count += b[k].count;
    } else {
      b[out++] = last;
      last = b[k];
    }
  }
  b[out] = last;
  b.resize(out + 1);
}

// Ignores numerically insignificant differences, then removes decreases (the envelope). In both
// cases `prev` stays at the last accepted count. Returns whether a decrease was removed.
bool EnsureMonotonic(std::vector<Bucket>* buckets) {
  std::vector<Bucket>& b = *buckets;
  bool forced = false;
  double prev = b[0].count;
  for (size_t k = 1; k < b.size(); ++k) {
    const double curr = b[k].count;
    if (curr == prev) continue;
    if (AlmostEqual(prev, curr, kSmallDeltaTolerance)) {
      b[k].count = prev;
      continue;
    }
    if (curr < prev) {
      b[k].count = prev;
      forced = true;
      continue;
    }
    prev = curr;
  }
  return forced;
}

}  // namespace

double Quantile(double phi, std::vector<double>* values) {
  std::vector<double>& v = *values;
  if (v.empty() || std::isnan(phi)) return kNaN;
  if (phi < 0) return -kInf;
  if (phi > 1) return kInf;
  // Prometheus' order: NaN below everything.
  std::sort(v.begin(), v.end(), [](double a, double b) {
    if (std::isnan(a)) return !std::isnan(b);
    return a < b;
  });
  const double n = static_cast<double>(v.size());
  const double rank = phi * (n - 1);
  const double lower_index = std::max(0.0, std::floor(rank));
  const double upper_index = std::min(n - 1, lower_index + 1);
  const double weight = rank - std::floor(rank);
  return v[static_cast<size_t>(lower_index)] * (1 - weight) +
         v[static_cast<size_t>(upper_index)] * weight;
}

double BucketQuantile(double phi, std::vector<Bucket>* buckets, bool* forced_monotonic) {
  if (forced_monotonic != nullptr) *forced_monotonic = false;
  if (std::isnan(phi)) return kNaN;
  if (phi < 0) return -kInf;
  if (phi > 1) return kInf;
  if (buckets->empty()) return kNaN;  // Prometheus never calls bucketQuantile without buckets.
  SortBuckets(buckets);
  if (buckets->back().upper_bound != kInf) return kNaN;
  CoalesceBuckets(buckets);
  const bool forced = EnsureMonotonic(buckets);
  const std::vector<Bucket>& b = *buckets;
  if (b.size() < 2) return kNaN;
  const double observations = b.back().count;
  if (observations == 0) return kNaN;
  if (forced_monotonic != nullptr) *forced_monotonic = forced;

  double rank = phi * observations;
  const size_t idx = GoSearch(b.size() - 1, [&](size_t k) { return b[k].count >= rank; });
  if (idx == b.size() - 1) return b[b.size() - 2].upper_bound;
  if (idx == 0 && b[0].upper_bound <= 0) return b[0].upper_bound;
  double bucket_start = 0;
  const double bucket_end = b[idx].upper_bound;
  double count = b[idx].count;
  if (idx > 0) {
    bucket_start = b[idx - 1].upper_bound;
    count -= b[idx - 1].count;
    rank -= b[idx - 1].count;
  }
  return bucket_start + (bucket_end - bucket_start) * (rank / count);
}

}  // namespace strata::query::funcs
