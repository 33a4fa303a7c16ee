// A small synthetic load for head tests: `n` series m{s="0".."n-1"}, one sample every `step`
// ms, values that do not compress to nothing; and every sample of them read back exactly.
#pragma once

#include <gtest/gtest.h>

#include <bit>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "storage/head.h"
#include "storage/querier.h"

namespace strata::testutil {

inline void WriteSeries(storage::Head* h, int n, int64_t from, int64_t to, int64_t step = 15000) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(std::to_string(i));
  for (int64_t t = from; t < to; t += step) {
    std::vector<std::vector<model::LabelView>> views(static_cast<size_t>(n));
    std::vector<std::vector<model::Sample>> samples(static_cast<size_t>(n));
    std::vector<storage::SeriesInput> batch;
    for (int i = 0; i < n; ++i) {
      const size_t k = static_cast<size_t>(i);
      views[k] = {{"__name__", "m"}, {"s", ids[k]}};
      samples[k] = {{t, static_cast<double>((t / 1000 * 7919 + i * 104729) % 1000003) / 7.0}};
      batch.push_back({views[k], samples[k]});
    }
    storage::AppendResult r;
    ASSERT_TRUE(h->Append(batch, &r).ok());
    ASSERT_EQ(r.errors.size(), 0u) << r.errors[0];
  }
}

// labels -> (timestamp, value bits) of every sample of the series named m.
inline std::map<std::string, std::vector<std::pair<int64_t, uint64_t>>> AllSamples(
    const storage::Head& h) {
  auto all = storage::SelectAll(h, {model::Matcher::Equal("__name__", "m")}, INT64_MIN, INT64_MAX);
  EXPECT_TRUE(all.ok()) << all.status().ToString();
  std::map<std::string, std::vector<std::pair<int64_t, uint64_t>>> out;
  if (!all.ok()) return out;
  for (const auto& s : *all) {
    auto& v = out[s.labels.ToString()];
    for (const auto& smp : s.samples) {
      v.emplace_back(smp.timestamp_ms, std::bit_cast<uint64_t>(smp.value));
    }
  }
  return out;
}

}  // namespace strata::testutil
