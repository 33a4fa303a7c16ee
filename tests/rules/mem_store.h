// Test-only storage for the rule tests: an in-memory Querier that is also a SampleSink, so a
// group's output is visible to its next rule and its next evaluation. Out-of-order samples are
// refused (dropped) as the head refuses them. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "model/matcher.h"
#include "rules/sample_sink.h"
#include "storage/querier.h"

namespace strata::rules {

class MemStore final : public storage::Querier, public SampleSink {
 public:
  // False (nothing stored) for a sample not newer than the series' last.
  bool Add(const model::Labels& labels, int64_t t, double v) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& s = series_[labels];
    if (!s.empty() && s.back().timestamp_ms >= t) return false;
    s.push_back({t, v});
    return true;
  }
  Status Append(const query::Vector& samples, SinkReport* report) override {
    for (const auto& s : samples) {
      if (!Add(s.labels, s.t, s.v) && report != nullptr) {
        if (report->rejected++ == 0) report->first_problem = "out of order sample";
      }
    }
    return Status::Ok();
  }
  std::vector<model::Sample> Get(const model::Labels& labels) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = series_.find(labels);
    return it == series_.end() ? std::vector<model::Sample>{} : it->second;
  }
  // Every series whose labels contain name=value pairs of `subset`.
  std::vector<std::pair<model::Labels, std::vector<model::Sample>>> Find(
      const std::vector<model::Label>& subset) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::pair<model::Labels, std::vector<model::Sample>>> out;
    for (const auto& [l, s] : series_) {
      bool ok = true;
      for (const auto& want : subset) ok = ok && l.Get(want.name) == want.value;
      if (ok) out.emplace_back(l, s);
    }
    return out;
  }

  Result<std::unique_ptr<storage::SeriesSet>> Select(
      const model::Matchers& matchers, const storage::SelectHints& hints) const override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<storage::MaterializedSeries> out;
    for (const auto& [l, samples] : series_) {
      if (!model::MatchesLabels(matchers, l)) continue;
      storage::MaterializedSeries ms{l, {}};
      for (const auto& s : samples) {
        if (s.timestamp_ms >= hints.start_ms && s.timestamp_ms <= hints.end_ms) {
          ms.samples.push_back(s);
        }
      }
      if (!ms.samples.empty()) out.push_back(std::move(ms));
    }
    return storage::MakeMaterializedSeriesSet(std::move(out));
  }
  Result<std::vector<model::Labels>> Series(const model::Matchers& matchers, int64_t mint,
                                            int64_t maxt) const override {
    std::vector<model::Labels> out;
    for (const auto& [l, samples] : Matching({matchers}, mint, maxt)) out.push_back(l);
    return out;
  }
  Result<std::vector<std::string>> LabelNames(const std::vector<model::Matchers>& selectors,
                                              int64_t mint, int64_t maxt) const override {
    std::set<std::string> names;
    for (const auto& [l, samples] : Matching(selectors, mint, maxt)) {
      for (const auto& label : l) names.insert(label.name);
    }
    return std::vector<std::string>(names.begin(), names.end());
  }
  Result<std::vector<std::string>> LabelValues(const std::string& name,
                                               const std::vector<model::Matchers>& selectors,
                                               int64_t mint, int64_t maxt) const override {
    std::set<std::string> values;
    for (const auto& [l, samples] : Matching(selectors, mint, maxt)) {
      if (l.Has(name)) values.insert(std::string(l.Get(name)));
    }
    return std::vector<std::string>(values.begin(), values.end());
  }

 private:
  // Series matching any of `selectors` (all when empty) with a sample in [mint, maxt].
  std::vector<std::pair<model::Labels, size_t>> Matching(
      const std::vector<model::Matchers>& selectors, int64_t mint, int64_t maxt) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::pair<model::Labels, size_t>> out;
    for (const auto& [l, samples] : series_) {
      bool match = selectors.empty();
      for (const auto& m : selectors) match = match || model::MatchesLabels(m, l);
      size_t n = 0;
      for (const auto& smp : samples) n += smp.timestamp_ms >= mint && smp.timestamp_ms <= maxt;
      if (match && n > 0) out.emplace_back(l, n);
    }
    return out;
  }

  mutable std::mutex mu_;
  std::map<model::Labels, std::vector<model::Sample>> series_;
};

inline model::Labels L(std::vector<model::Label> pairs) {
  return *model::Labels::FromPairs(std::move(pairs));
}

}  // namespace strata::rules
