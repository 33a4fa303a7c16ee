// Opens a stopped server's data directory with the storage library, every tier merged (head,
// warm, and the cold tier in <data-dir>/cold), as the server's queries see it. For tests that read
// back what a real server stored.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "storage/cold_store.h"
#include "storage/head.h"
#include "storage/merge_querier.h"
#include "storage/warm_store.h"

namespace strata::testutil {

struct Tiers {
  std::unique_ptr<storage::Head> head;
  std::unique_ptr<storage::WarmStore> warm;
  std::unique_ptr<storage::ColdStore> cold;
  std::unique_ptr<storage::MergeQuerier> querier;
};

inline Tiers OpenTiers(const std::string& data_dir) {
  Tiers t;
  storage::HeadOptions o;
  o.series_map_stripes = 16;
  auto head = storage::Head::Open(data_dir, o, nullptr);
  EXPECT_TRUE(head.ok()) << head.status().ToString();
  if (!head.ok()) return t;
  auto warm = storage::WarmStore::Open(data_dir + "/warm", storage::WarmOptions{}, nullptr);
  EXPECT_TRUE(warm.ok()) << warm.status().ToString();
  if (!warm.ok()) return t;
  auto cold = storage::OpenColdStore(data_dir, storage::ColdConfig{}, nullptr);
  EXPECT_TRUE(cold.ok()) << cold.status().ToString();
  if (!cold.ok()) return t;
  t.head = std::move(head).value();
  t.warm = std::move(warm).value();
  t.cold = std::move(cold).value();
  t.querier = std::make_unique<storage::MergeQuerier>(
      std::vector<const storage::Querier*>{t.head.get(), t.warm.get(), t.cold.get()});
  return t;
}

// Samples of every series of metric `name`, keyed by the series' label string.
inline std::map<std::string, std::vector<model::Sample>> ReadMetric(const std::string& data_dir,
                                                                    const std::string& name) {
  std::map<std::string, std::vector<model::Sample>> out;
  Tiers t = OpenTiers(data_dir);
  if (!t.querier) return out;
  auto sel = storage::SelectAll(*t.querier, {model::Matcher::Equal("__name__", name)}, INT64_MIN,
                                INT64_MAX);
  EXPECT_TRUE(sel.ok()) << sel.status().ToString();
  if (!sel.ok()) return out;
  for (auto& s : *sel) out[s.labels.ToString()] = std::move(s.samples);
  return out;
}

}  // namespace strata::testutil
