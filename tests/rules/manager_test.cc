// RuleManager: groups run on their own threads, reloads keep unchanged groups, restart changed
// ones with their state, stale removed ones' series and keep everything on a bad file. Waits
// are bounded polls; nothing asserts on timing.
#include "rules/manager.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "model/sample.h"
#include "rules/mem_store.h"
#include "testutil/process.h"

namespace strata::rules {
namespace {

using ::testing::HasSubstr;

bool Eventually(const std::function<bool()>& cond) {
  return testutil::WaitFor(cond, std::chrono::seconds(20));
}

double Gauge(prometheus::Registry& r, const std::string& name) {
  for (const auto& f : r.Collect()) {
    if (f.name == name && !f.metric.empty()) return f.metric[0].gauge.value;
  }
  return -1;
}

class RuleManagerTest : public ::testing::Test {
 protected:
  RuleManagerTest() : engine_(query::EngineOptions{}) {
    dir_ = std::filesystem::temp_directory_path() /
           ("strata-manager-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    // Data far in the future of the samples' lookback: the clock is the system's.
    store_.Add(L({{"__name__", "x"}}), SystemClock::Default().NowMillis(), 3);
  }
  ~RuleManagerTest() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name) << content;
  }
  std::unique_ptr<RuleManager> Manager() {
    ManagerOptions o;
    o.files = {(dir_ / "*.yml").string()};
    o.group.default_interval_ms = 50;
    return std::make_unique<RuleManager>(&store_, &engine_, &store_, nullptr, &registry_, o);
  }

  std::filesystem::path dir_;
  MemStore store_;
  query::Engine engine_;
  prometheus::Registry registry_;
};

TEST_F(RuleManagerTest, EvaluatesReloadsAndStops) {
  Write("a.yml",
        "groups:\n  - name: keep\n    rules:\n      - record: r1\n        expr: x\n"
        "  - name: change\n    rules:\n      - alert: A\n        expr: x > 1\n"
        "        for: 1h\n  - name: drop\n    rules:\n      - record: r3\n        expr: x\n");
  auto m = Manager();
  ASSERT_TRUE(m->Reload().ok());
  EXPECT_EQ(Gauge(registry_, "strata_rules_config_last_reload_successful"), 1);
  // Built outside the lambda: GCC 12 at -O2 warns (-Wmaybe-uninitialized, a false positive)
  // about the temporary strings of labels built inside it.
  const model::Labels r1_labels = L({{"__name__", "r1"}});
  const model::Labels r3_labels = L({{"__name__", "r3"}});
  ASSERT_TRUE(Eventually(
      [&] { return store_.Get(r1_labels).size() >= 2 && store_.Get(r3_labels).size() >= 2; }));
  auto before = m->Groups();
  ASSERT_EQ(before.size(), 3u);
  EXPECT_EQ(before[0].spec->name, "keep");
  ASSERT_TRUE(Eventually([&] { return !m->Groups()[1].rules[0].alerts.empty(); }));
  const int64_t active_at = m->Groups()[1].rules[0].alerts[0].active_at_ms;

  // A bad file: everything keeps running, the metric drops to 0.
  Write("b.yml", "groups:\n  - name: x\n    rules:\n      - record: bad name\n        expr: x\n");
  Status bad = m->Reload();
  EXPECT_TRUE(bad.IsInvalidArgument());
  EXPECT_THAT(bad.message(), HasSubstr("b.yml:4: group \"x\", rule 1, \"bad name\""));
  EXPECT_EQ(Gauge(registry_, "strata_rules_config_last_reload_successful"), 0);
  EXPECT_EQ(m->Groups().size(), 3u);
  std::filesystem::remove(dir_ / "b.yml");

  // keep: unchanged (the same group object); change: restarted with its alert; drop: gone,
  // its series marked stale.
  Write("a.yml",
        "groups:\n  - name: keep\n    rules:\n      - record: r1\n        expr: x\n"
        "  - name: change\n    rules:\n      - alert: A\n        expr: x > 1\n"
        "        for: 1h\n        labels: {}\n        annotations: {s: t}\n");
  ASSERT_TRUE(m->Reload().ok());
  EXPECT_EQ(Gauge(registry_, "strata_rules_config_last_reload_successful"), 1);
  auto after = m->Groups();
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0].spec.get(), before[0].spec.get());
  EXPECT_NE(after[1].spec.get(), before[1].spec.get());
  ASSERT_EQ(after[1].rules[0].alerts.size(), 1u);
  EXPECT_EQ(after[1].rules[0].alerts[0].active_at_ms, active_at);
  // Two intervals later.
  EXPECT_TRUE(Eventually([&] {
    auto r3 = store_.Get(r3_labels);
    return !r3.empty() && model::IsStaleNaN(r3.back().value);
  }));
  ASSERT_TRUE(Eventually([&] {
    auto a = m->Groups()[1].rules[0].alerts;
    return !a.empty() && a[0].annotations.size() == 1;
  }));

  m->Stop();
  const size_t n = store_.Get(L({{"__name__", "r1"}})).size();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(store_.Get(L({{"__name__", "r1"}})).size(), n);  // No evaluation after Stop.
  EXPECT_FALSE(m->Reload().ok());
}

// A group renamed (or moved to another file) keeps writing its series without a gap: the old
// group's stale markers, timestamped at the reload and written two intervals later, are older
// than the new group's samples and refused.
TEST_F(RuleManagerTest, ARenamedGroupLeavesNoStaleMarker) {
  Write("a.yml", "groups:\n  - name: before\n    rules:\n      - record: rr\n        expr: x\n");
  auto m = Manager();
  ASSERT_TRUE(m->Reload().ok());
  const model::Labels rr = L({{"__name__", "rr"}});
  ASSERT_TRUE(Eventually([&] { return store_.Get(rr).size() >= 2; }));
  Write("a.yml", "groups:\n  - name: after\n    rules:\n      - record: rr\n        expr: x\n");
  ASSERT_TRUE(m->Reload().ok());
  const size_t n = store_.Get(rr).size();
  // Well past the two intervals (50 ms each) of the old group.
  ASSERT_TRUE(Eventually([&] { return store_.Get(rr).size() >= n + 8; }));
  for (const model::Sample& s : store_.Get(rr)) {
    EXPECT_FALSE(model::IsStaleNaN(s.value)) << s.timestamp_ms;
  }
  m->Stop();
}

double Counter(prometheus::Registry& r, const std::string& name) {
  for (const auto& f : r.Collect()) {
    if (f.name == name && !f.metric.empty()) return f.metric[0].counter.value;
  }
  return -1;
}

// With a synthetic clock: an evaluation that finds several intervals gone by counts them as
// missed and evaluates at the newest slot.
TEST_F(RuleManagerTest, SkippedIntervalsAreCountedAsMissed) {
  Write("a.yml",
        "groups:\n  - name: g\n    interval: 10s\n    rules:\n      - record: r\n"
        "        expr: x\n");
  ManualClock clock(SystemClock::Default().NowMillis());
  ManagerOptions o;
  o.files = {(dir_ / "*.yml").string()};
  o.group.clock = &clock;
  std::atomic<int> waits{0};
  std::atomic<int64_t> until{0};
  o.on_wait = [&](const std::string&, int64_t u) {
    until = u;
    ++waits;
  };
  RuleManager m(&store_, &engine_, &store_, nullptr, &registry_, o);
  ASSERT_TRUE(m.Reload().ok());
  auto iterations = [&] { return Counter(registry_, "prometheus_rule_group_iterations_total"); };
  // Moves the clock to the slot the group waits for, once it waits (the `n`th wait).
  auto release = [&](int n, int64_t extra) {
    ASSERT_TRUE(Eventually([&] { return waits.load() == n; }));
    clock.Set(until.load() + extra);
  };
  release(1, 0);
  ASSERT_TRUE(Eventually([&] { return iterations() == 1; }));
  release(2, 0);
  ASSERT_TRUE(Eventually([&] { return iterations() == 2; }));  // Then the restore.
  EXPECT_EQ(Counter(registry_, "prometheus_rule_group_iterations_missed_total"), 0);
  const int64_t last = store_.Get(L({{"__name__", "r"}})).back().timestamp_ms;
  release(3, 40'000);  // Four more slots pass unseen.
  ASSERT_TRUE(Eventually(
      [&] { return Counter(registry_, "prometheus_rule_group_iterations_missed_total") == 4; }));
  ASSERT_TRUE(Eventually([&] { return iterations() == 7; }));  // Missed ones are scheduled.
  auto r = store_.Get(L({{"__name__", "r"}}));
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r.back().timestamp_ms, last + 50'000);
  m.Stop();
}

TEST_F(RuleManagerTest, NoFilesIsNoGroups) {
  auto m = Manager();
  ASSERT_TRUE(m->Reload().ok());
  EXPECT_TRUE(m->Groups().empty());
}

}  // namespace
}  // namespace strata::rules
