// Rule group evaluation driven by a synthetic clock over an in-memory store: recording output,
// rule order, stale markers, the alert state machine, ALERTS / ALERTS_FOR_STATE, restore of
// `for` state, notifications, limits and the schedule's alignment.
#include "rules/rule_group.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/sample.h"
#include "rules/mem_store.h"

namespace strata::rules {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kMin = 60'000;

GroupSpec Parse(const std::string& yaml) {
  std::vector<std::string> errors;
  auto groups = ParseRuleFile("test.yml", yaml, &errors);
  EXPECT_TRUE(errors.empty()) << (errors.empty() ? "" : errors[0]);
  EXPECT_EQ(groups.size(), 1u);
  return groups.empty() ? GroupSpec{} : groups[0];
}

class RuleGroupTest : public ::testing::Test {
 protected:
  RuleGroupTest() : engine_(query::EngineOptions{}) {}

  std::unique_ptr<RuleGroup> Group(const std::string& yaml, bool restore = false) {
    GroupOptions o;
    o.clock = &clock_;
    o.external_labels = L({{"cluster", "c1"}});
    o.external_url = external_url_;
    o.resend_delay_ms = kMin;
    return std::make_unique<RuleGroup>(Parse(yaml), o, restore);
  }
  void Eval(RuleGroup* g, int64_t ts) {
    clock_.Set(ts);
    g->Eval(store_, engine_, ts, &store_, [this](std::vector<AlertNotification> a) {
      for (auto& x : a) sent_.push_back(std::move(x));
    });
  }
  // The ALERTS series of `alertname` as (alertstate -> samples).
  std::vector<std::pair<model::Labels, std::vector<model::Sample>>> Alerts(const std::string& n) {
    return store_.Find({{"__name__", "ALERTS"}, {"alertname", n}});
  }

  std::string external_url_ = "http://strata.example:9090";
  MemStore store_;
  query::Engine engine_;
  ManualClock clock_;
  std::vector<AlertNotification> sent_;
};

TEST_F(RuleGroupTest, RecordingRulesRenameAndLaterRulesSeeEarlierResults) {
  store_.Add(L({{"__name__", "x"}, {"job", "a"}}), 0, 1);
  store_.Add(L({{"__name__", "x"}, {"job", "b"}}), 0, 2);
  auto g = Group(R"(groups:
  - name: g
    rules:
      - record: job:x:sum
        expr: sum by (job) (x)
        labels: {team: t, job: ""}
      - record: total
        expr: sum(job:x:sum) * 10
)");
  Eval(g.get(), kMin);
  // The empty job label deletes job: both samples collide -> an evaluation error.
  auto st = g->rules()[0]->status();
  EXPECT_EQ(st.health, RuleHealth::kBad);
  EXPECT_THAT(st.last_error, HasSubstr("same labelset after applying rule labels"));

  auto g2 = Group(R"(groups:
  - name: g
    rules:
      - record: job:x:sum
        expr: sum by (job) (x)
        labels: {team: t}
      - record: total
        expr: sum(job:x:sum) * 10
)");
  Eval(g2.get(), kMin);
  auto a = store_.Get(L({{"__name__", "job:x:sum"}, {"job", "a"}, {"team", "t"}}));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].timestamp_ms, kMin);
  EXPECT_EQ(a[0].value, 1);
  auto total = store_.Get(L({{"__name__", "total"}}));
  ASSERT_EQ(total.size(), 1u);
  EXPECT_EQ(total[0].value, 30);  // Saw the first rule's output of the same evaluation.
  EXPECT_EQ(g2->rules()[1]->status().health, RuleHealth::kGood);
  EXPECT_EQ(g2->rules()[1]->status().last_evaluation_ms, kMin);
}

TEST_F(RuleGroupTest, StaleMarkerWhenASeriesDisappears) {
  const auto xa = L({{"__name__", "x"}, {"job", "a"}});
  const auto xb = L({{"__name__", "x"}, {"job", "b"}});
  store_.Add(xa, 0, 1);
  store_.Add(xb, 0, 1);
  auto g = Group("groups:\n  - name: g\n    rules:\n      - record: r\n        expr: x > 0\n");
  Eval(g.get(), kMin);
  store_.Add(xb, kMin + 1000, 0);  // b drops out of `x > 0`; a goes stale by lookback later.
  Eval(g.get(), 2 * kMin);
  auto rb = store_.Get(L({{"__name__", "r"}, {"job", "b"}}));
  ASSERT_EQ(rb.size(), 2u);
  EXPECT_EQ(rb[0].value, 1);
  EXPECT_EQ(rb[1].timestamp_ms, 2 * kMin);
  EXPECT_TRUE(model::IsStaleNaN(rb[1].value));
  auto ra = store_.Get(L({{"__name__", "r"}, {"job", "a"}}));
  ASSERT_EQ(ra.size(), 2u);
  EXPECT_FALSE(model::IsStaleNaN(ra[1].value));
  // A marker is written once: the next evaluation writes nothing for b.
  Eval(g.get(), 3 * kMin);
  EXPECT_EQ(store_.Get(L({{"__name__", "r"}, {"job", "b"}})).size(), 2u);
}

TEST_F(RuleGroupTest, QueryOffsetShiftsQueryAndOutputTimes) {
  const auto x = L({{"__name__", "x"}});
  store_.Add(x, 0, 5);
  store_.Add(x, 2 * kMin, 7);
  auto g = Group(
      "groups:\n  - name: g\n    query_offset: 1m\n    rules:\n      - record: r\n"
      "        expr: x\n");
  Eval(g.get(), 2 * kMin + 30'000);
  auto r = store_.Get(L({{"__name__", "r"}}));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].timestamp_ms, kMin + 30'000);
  EXPECT_EQ(r[0].value, 5);  // The sample at 2m is after the offset query time.
}

TEST_F(RuleGroupTest, AlertGoesPendingFiringResolvedAndIsForgotten) {
  const auto up = L({{"__name__", "up"}, {"instance", "i1"}, {"job", "j"}});
  auto g = Group(R"(groups:
  - name: g
    rules:
      - alert: Down
        expr: up == 0
        for: 2m
        labels: {severity: page}
)");
  store_.Add(up, 0, 0);
  Eval(g.get(), kMin);
  auto& rule = static_cast<AlertingRule&>(*g->rules()[0]);
  ASSERT_EQ(rule.Alerts().size(), 1u);
  EXPECT_EQ(rule.Alerts()[0].state, AlertState::kPending);
  EXPECT_EQ(rule.State(), AlertState::kPending);
  const auto pending = L({{"__name__", "ALERTS"},
                          {"alertname", "Down"},
                          {"alertstate", "pending"},
                          {"instance", "i1"},
                          {"job", "j"},
                          {"severity", "page"}});
  ASSERT_EQ(store_.Get(pending).size(), 1u);
  const auto for_state = L({{"__name__", "ALERTS_FOR_STATE"},
                            {"alertname", "Down"},
                            {"instance", "i1"},
                            {"job", "j"},
                            {"severity", "page"}});
  ASSERT_EQ(store_.Get(for_state).size(), 1u);
  EXPECT_EQ(store_.Get(for_state)[0].value, 60);  // activeAt in seconds.
  EXPECT_TRUE(sent_.empty());                     // Pending alerts are not sent.

  store_.Add(up, 2 * kMin, 0);
  Eval(g.get(), 2 * kMin);
  EXPECT_EQ(rule.Alerts()[0].state, AlertState::kPending);  // Held 1m < 2m.
  store_.Add(up, 3 * kMin, 0);
  Eval(g.get(), 3 * kMin);
  EXPECT_EQ(rule.Alerts()[0].state, AlertState::kFiring);
  const auto firing = L({{"__name__", "ALERTS"},
                         {"alertname", "Down"},
                         {"alertstate", "firing"},
                         {"instance", "i1"},
                         {"job", "j"},
                         {"severity", "page"}});
  ASSERT_EQ(store_.Get(firing).size(), 1u);
  EXPECT_EQ(store_.Get(firing)[0].timestamp_ms, 3 * kMin);
  // The pending series went stale when the alert started firing.
  auto p = store_.Get(pending);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_TRUE(model::IsStaleNaN(p[2].value));
  // Firing: sent, startsAt = fired time, endsAt = now + 4 * max(resend delay, interval).
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].starts_at_ms, 3 * kMin);
  EXPECT_EQ(sent_[0].ends_at_ms, 3 * kMin + 4 * kMin);
  EXPECT_EQ(sent_[0].labels.Get("severity"), "page");
  EXPECT_EQ(sent_[0].expr, "up == 0");

  // Not re-sent before the resend delay has passed, re-sent after.
  store_.Add(up, 3 * kMin + 30'000, 0);
  Eval(g.get(), 3 * kMin + 30'000);
  EXPECT_EQ(sent_.size(), 1u);
  store_.Add(up, 4 * kMin + 30'001, 0);
  Eval(g.get(), 4 * kMin + 30'001);
  EXPECT_EQ(sent_.size(), 2u);

  // The condition ends: inactive (resolved), sent with endsAt = resolution time.
  store_.Add(up, 5 * kMin, 1);
  Eval(g.get(), 5 * kMin);
  ASSERT_EQ(rule.Alerts().size(), 1u);
  EXPECT_EQ(rule.Alerts()[0].state, AlertState::kInactive);
  EXPECT_EQ(rule.State(), AlertState::kInactive);
  ASSERT_EQ(sent_.size(), 3u);
  EXPECT_EQ(sent_[2].ends_at_ms, 5 * kMin);
  auto f = store_.Get(firing);
  EXPECT_TRUE(model::IsStaleNaN(f.back().value));
  // Kept for 15 minutes (re-sent as resolved), then forgotten.
  store_.Add(up, 20 * kMin, 1);
  Eval(g.get(), 20 * kMin);
  EXPECT_EQ(rule.Alerts().size(), 1u);
  store_.Add(up, 21 * kMin, 1);
  Eval(g.get(), 21 * kMin);
  EXPECT_TRUE(rule.Alerts().empty());
}

TEST_F(RuleGroupTest, PendingAlertThatEndsIsDroppedWithoutNotification) {
  const auto up = L({{"__name__", "up"}});
  auto g = Group(
      "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n"
      "        for: 10m\n");
  store_.Add(up, 0, 0);
  Eval(g.get(), kMin);
  store_.Add(up, 2 * kMin, 1);
  Eval(g.get(), 2 * kMin);
  EXPECT_TRUE(static_cast<AlertingRule&>(*g->rules()[0]).Alerts().empty());
  EXPECT_TRUE(sent_.empty());
}

TEST_F(RuleGroupTest, KeepFiringFor) {
  const auto up = L({{"__name__", "up"}});
  auto g = Group(
      "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n"
      "        keep_firing_for: 3m\n");
  auto& rule = static_cast<AlertingRule&>(*g->rules()[0]);
  store_.Add(up, 0, 0);
  Eval(g.get(), kMin);
  EXPECT_EQ(rule.Alerts()[0].state, AlertState::kFiring);  // for: 0 fires at once.
  store_.Add(up, 2 * kMin, 1);
  Eval(g.get(), 2 * kMin);
  ASSERT_EQ(rule.Alerts().size(), 1u);
  EXPECT_EQ(rule.Alerts()[0].state, AlertState::kFiring);
  EXPECT_EQ(rule.Alerts()[0].keep_firing_since_ms, 2 * kMin);
  store_.Add(up, 4 * kMin, 1);
  Eval(g.get(), 4 * kMin);
  EXPECT_EQ(rule.Alerts()[0].state, AlertState::kFiring);  // 2m < 3m.
  store_.Add(up, 5 * kMin, 1);
  Eval(g.get(), 5 * kMin);
  EXPECT_EQ(rule.Alerts()[0].state, AlertState::kInactive);  // 3m reached.
  EXPECT_EQ(rule.Alerts()[0].resolved_at_ms, 5 * kMin);
}

TEST_F(RuleGroupTest, LimitFailsTheRuleAndDropsItsAlerts) {
  for (int i = 0; i < 3; ++i) {
    store_.Add(L({{"__name__", "up"}, {"i", std::to_string(i)}}), 0, 0);
  }
  auto g = Group(
      "groups:\n  - name: g\n    limit: 2\n    rules:\n      - alert: A\n"
      "        expr: up == 0\n      - record: r\n        expr: up\n");
  Eval(g.get(), kMin);
  auto a = g->rules()[0]->status();
  EXPECT_EQ(a.health, RuleHealth::kBad);
  EXPECT_EQ(a.last_error, "exceeded limit of 2 with 3 alerts");
  EXPECT_TRUE(static_cast<AlertingRule&>(*g->rules()[0]).Alerts().empty());
  EXPECT_EQ(g->rules()[1]->status().last_error, "exceeded limit of 2 with 3 series");
  EXPECT_TRUE(Alerts("A").empty());
}

TEST_F(RuleGroupTest, EvaluationErrorsAreRecordedPerRule) {
  store_.Add(L({{"__name__", "x"}, {"a", "1"}}), 0, 1);
  store_.Add(L({{"__name__", "x"}, {"a", "2"}}), 0, 1);
  auto g = Group(
      "groups:\n  - name: g\n    rules:\n      - record: bad\n"
      "        expr: label_replace(x, \"a\", \"z\", \"a\", \".*\")\n"
      "      - record: good\n        expr: sum(x)\n");
  Eval(g.get(), kMin);
  EXPECT_EQ(g->rules()[0]->status().health, RuleHealth::kBad);
  EXPECT_FALSE(g->rules()[0]->status().last_error.empty());
  EXPECT_EQ(g->rules()[1]->status().health, RuleHealth::kGood);
  EXPECT_EQ(store_.Get(L({{"__name__", "good"}})).size(), 1u);
}

// Output the storage refuses makes the rule unhealthy with the reason (Prometheus' rule
// appender does the same); the next evaluation that stores everything makes it healthy again.
// A refused stale marker does not count.
TEST_F(RuleGroupTest, RefusedOutputMakesTheRuleUnhealthy) {
  store_.Add(L({{"__name__", "x"}}), 0, 1);
  const auto r = L({{"__name__", "r"}});
  store_.Add(r, 5 * kMin, 42);  // Another writer is ahead of the rule's times.
  auto g = Group("groups:\n  - name: g\n    rules:\n      - record: r\n        expr: x\n");
  Eval(g.get(), kMin);
  EXPECT_EQ(g->rules()[0]->status().health, RuleHealth::kBad);
  EXPECT_EQ(g->rules()[0]->status().last_error, "out of order sample");
  store_.Add(L({{"__name__", "x"}}), 5 * kMin, 2);
  Eval(g.get(), 6 * kMin);
  EXPECT_EQ(g->rules()[0]->status().health, RuleHealth::kGood)
      << g->rules()[0]->status().last_error;
  EXPECT_EQ(store_.Get(r).back().value, 2);
  EXPECT_TRUE(g->rules()[0]->status().last_error.empty());
  // x is gone (older than the lookback) and another writer is ahead again: the rule's stale
  // marker for r is refused, and the rule stays healthy.
  store_.Add(r, 13 * kMin, 7);
  Eval(g.get(), 12 * kMin);
  EXPECT_EQ(g->rules()[0]->status().health, RuleHealth::kGood);
  EXPECT_EQ(store_.Get(r).back().value, 7);
}

TEST_F(RuleGroupTest, TemplatesAreExpandedPerAlert) {
  store_.Add(L({{"__name__", "temp"}, {"room", "r1"}}), 0, 31.5);
  auto g = Group(R"(groups:
  - name: g
    rules:
      - alert: Hot
        expr: temp > 30
        labels:
          where: "{{ $labels.room }}"
        annotations:
          summary: "{{ $labels.room }} is {{ $value }} in {{ $externalLabels.cluster }}"
          link: "{{ $externalURL }}"
)");
  Eval(g.get(), kMin);
  auto alerts = static_cast<AlertingRule&>(*g->rules()[0]).Alerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].labels.Get("where"), "r1");
  ASSERT_EQ(alerts[0].annotations.size(), 2u);
  EXPECT_EQ(alerts[0].annotations[0].name, "link");
  EXPECT_EQ(alerts[0].annotations[0].value, "http://strata.example:9090");
  EXPECT_EQ(alerts[0].annotations[1].value, "r1 is 31.5 in c1");
}

TEST_F(RuleGroupTest, PathPrefixComesFromTheExternalUrl) {
  external_url_ = "https://example.org:8443/strata";
  store_.Add(L({{"__name__", "temp"}}), 0, 1);
  auto g = Group(
      "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: temp\n"
      "        annotations:\n          p: '{{ pathPrefix }}|{{ externalURL }}'\n");
  Eval(g.get(), kMin);
  auto alerts = static_cast<AlertingRule&>(*g->rules()[0]).Alerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].annotations[0].value, "/strata|https://example.org:8443/strata");
}

TEST_F(RuleGroupTest, TemplateErrorBecomesTheText) {
  store_.Add(L({{"__name__", "temp"}}), 0, 1);
  auto g = Group(R"(groups:
  - name: g
    rules:
      - alert: A
        expr: temp
        annotations:
          s: "{{ index $labels 1 2 3 }}"
)");
  Eval(g.get(), kMin);
  auto alerts = static_cast<AlertingRule&>(*g->rules()[0]).Alerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_THAT(
      alerts[0].annotations[0].value,
      StartsWith("<error expanding template: error executing template __alert_A: template: "));
  EXPECT_EQ(g->rules()[0]->status().health, RuleHealth::kGood);
}

TEST_F(RuleGroupTest, RestoreForStateAfterRestart) {
  // Before the "restart": the alert became active at t=1000s and the server went down at
  // t=1100s (the last ALERTS_FOR_STATE sample). It has `for: 30m`.
  const auto fs = L({{"__name__", "ALERTS_FOR_STATE"}, {"alertname", "A"}, {"job", "j"}});
  for (int64_t t = 1000; t <= 1100; t += 50) store_.Add(fs, t * 1000, 1000);
  const auto up = L({{"__name__", "up"}, {"job", "j"}});
  const std::string yaml =
      "groups:\n  - name: g\n    rules:\n      - alert: A\n"
      "        expr: up == 0\n        for: 30m\n";
  auto g = Group(yaml, /*restore=*/true);
  auto& rule = static_cast<AlertingRule&>(*g->rules()[0]);
  EXPECT_FALSE(rule.restored());
  const int64_t t1 = 1400 * 1000, t2 = 1460 * 1000;
  store_.Add(up, t1, 0);
  Eval(g.get(), t1);
  store_.Add(up, t2, 0);
  Eval(g.get(), t2);
  EXPECT_TRUE(Alerts("A").empty());  // Nothing written before the restore.
  g->RestoreForState(store_, t2);
  EXPECT_TRUE(rule.restored());
  // Pending for 100 s before the outage; the outage (300 s to t2) does not count: activeAt
  // moves from 1000 s to 1000 + (1460 - 1100) s.
  ASSERT_EQ(rule.Alerts().size(), 1u);
  EXPECT_EQ(rule.Alerts()[0].active_at_ms, (1000 + 1460 - 1100) * 1000);
  store_.Add(up, t2 + kMin, 0);
  Eval(g.get(), t2 + kMin);
  EXPECT_EQ(Alerts("A").size(), 1u);
  auto restored = store_.Get(fs);
  EXPECT_EQ(restored.back().value, 1000 + 1460 - 1100);

  // Almost done pending (10 s left < grace period): fires one grace period after restore.
  store_.Add(L({{"__name__", "ALERTS_FOR_STATE"}, {"alertname", "B"}, {"job", "j"}}), 5000 * 1000,
             5000 - 1790);
  auto g2 = Group(
      "groups:\n  - name: g2\n    rules:\n      - alert: B\n"
      "        expr: up == 0\n        for: 30m\n",
      true);
  store_.Add(up, 5400 * 1000, 0);
  Eval(g2.get(), 5400 * 1000);
  g2->RestoreForState(store_, 5400 * 1000);
  auto& b = static_cast<AlertingRule&>(*g2->rules()[0]);
  ASSERT_EQ(b.Alerts().size(), 1u);
  EXPECT_EQ(b.Alerts()[0].active_at_ms, (5400 + 600 - 1800) * 1000);
}

TEST_F(RuleGroupTest, RestoreSkipsShortForAndOldState) {
  const auto up = L({{"__name__", "up"}});
  store_.Add(L({{"__name__", "ALERTS_FOR_STATE"}, {"alertname", "Short"}}), 1000, 1);
  auto g = Group(
      "groups:\n  - name: g\n    rules:\n      - alert: Short\n"
      "        expr: up == 0\n        for: 5m\n",
      true);
  store_.Add(up, 10 * kMin, 0);
  Eval(g.get(), 10 * kMin);
  g->RestoreForState(store_, 10 * kMin);
  auto& rule = static_cast<AlertingRule&>(*g->rules()[0]);
  EXPECT_TRUE(rule.restored());
  EXPECT_EQ(rule.Alerts()[0].active_at_ms, 10 * kMin);  // for < grace period: not restored.
}

TEST_F(RuleGroupTest, EvalTimestampIsAlignedAndStable) {
  auto g = Group("groups:\n  - name: g\n    interval: 1m\n    rules: []\n");
  auto g_same = Group("groups:\n  - name: g\n    interval: 1m\n    rules: []\n");
  auto other = Group("groups:\n  - name: other\n    interval: 1m\n    rules: []\n");
  const int64_t off = g->OffsetMs();
  EXPECT_GE(off, 0);
  EXPECT_LT(off, kMin);
  EXPECT_EQ(off, g_same->OffsetMs());
  EXPECT_NE(off, other->OffsetMs());  // Different names spread out (not guaranteed in general).
  for (int64_t now :
       {int64_t{0}, int64_t{1}, int64_t{59'999}, int64_t{1'764'619'536'123}, int64_t{-5}}) {
    const int64_t ts = g->EvalTimestamp(now);
    EXPECT_LE(ts, now);
    EXPECT_GT(ts, now - kMin);
    EXPECT_EQ(((ts - off) % kMin + kMin) % kMin, 0) << now;
  }
  EXPECT_EQ(g->Key(), "test.yml;g");
  EXPECT_EQ(g->interval_ms(), kMin);
}

TEST_F(RuleGroupTest, CopyStateKeepsAlertsAndStalesRemovedRules) {
  const auto up = L({{"__name__", "up"}});
  store_.Add(up, 0, 0);
  auto g = Group(
      "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n"
      "      - record: gone\n        expr: up\n");
  Eval(g.get(), kMin);
  auto g2 = Group(
      "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n"
      "        annotations: {x: y}\n");
  EXPECT_FALSE(g2->SameDefinition(g->spec(), GroupOptions{}));
  g2->CopyStateFrom(*g);
  auto& a = static_cast<AlertingRule&>(*g2->rules()[0]);
  ASSERT_EQ(a.Alerts().size(), 1u);
  EXPECT_EQ(a.Alerts()[0].active_at_ms, kMin);
  store_.Add(up, 2 * kMin, 0);
  Eval(g2.get(), 2 * kMin);
  auto gone = store_.Get(L({{"__name__", "gone"}}));
  ASSERT_EQ(gone.size(), 2u);
  EXPECT_TRUE(model::IsStaleNaN(gone[1].value));
}

TEST_F(RuleGroupTest, MarkAllStaleWritesMarkersForEverySeries) {
  store_.Add(L({{"__name__", "x"}}), 0, 1);
  auto g = Group("groups:\n  - name: g\n    rules:\n      - record: r\n        expr: x\n");
  Eval(g.get(), kMin);
  g->MarkAllStale(kMin + 5, &store_);
  auto r = store_.Get(L({{"__name__", "r"}}));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(model::IsStaleNaN(r[1].value));
  EXPECT_EQ(r[1].timestamp_ms, kMin + 5);
}

TEST_F(RuleGroupTest, SameDefinitionComparesEverything) {
  const std::string y = "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: x\n";
  auto g = Group(y);
  GroupOptions o;
  o.external_labels = L({{"cluster", "c1"}});
  o.external_url = "http://strata.example:9090";
  o.resend_delay_ms = kMin;
  EXPECT_TRUE(g->SameDefinition(Parse(y), o));
  EXPECT_TRUE(g->SameDefinition(
                  Parse("groups:\n  - name: g\n    rules:\n      - record: r\n        expr: (x)\n"),
                  o) == false);
  EXPECT_FALSE(g->SameDefinition(
      Parse("groups:\n  - name: g\n    interval: 2m\n    rules:\n      - record: r\n"
            "        expr: x\n"),
      o));
}

}  // namespace
}  // namespace strata::rules
