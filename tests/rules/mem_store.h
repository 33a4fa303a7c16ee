// Test-only storage for the rule tests: an in-memory Querier that is also a SampleSink, so a
// group's output is visible to its next rule and its next evaluation. Out-of-order samples are
// refused (dropped) as the head refuses them. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <vector>

#include "model/matcher.h"
#include "rules/sample_sink.h"
#include "storage/querier.h"

namespace strata::rules {

class MemStore final : public storage::Querier, public SampleSink {
 public:
  void Add(const model::Labels& labels, int64_t t, double v) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& s = series_[labels];
    if (!s.empty() && s.back().timestamp_ms >= t) return;
    s.push_back({t, v});
  }
  Status Append(const query::Vector& samples) override {
    for (const auto& s : samples) Add(s.labels, s.t, s.v);
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
  Result<std::vector<model::Labels>> Series(const model::Matchers&, int64_t,
                                            int64_t) const override {
    return std::vector<model::Labels>{};
  }
  Result<std::vector<std::string>> LabelNames(const std::vector<model::Matchers>&, int64_t,
                                              int64_t) const override {
    return std::vector<std::string>{};
  }
  Result<std::vector<std::string>> LabelValues(const std::string&,
                                               const std::vector<model::Matchers>&, int64_t,
                                               int64_t) const override {
    return std::vector<std::string>{};
  }


 private:
  mutable std::mutex mu_;
  std::map<model::Labels, std::vector<model::Sample>> series_;
};

inline model::Labels L(std::vector<model::Label> pairs) {
  return *model::Labels::FromPairs(std::move(pairs));
}

}  // namespace strata::rules
