// Rule semantics against Prometheus 2.42 itself: the same rule file loaded into Prometheus and
// into Strata, both fed the same samples (Prometheus scrapes a target of this test whose values
// change in 12-second phases, and remote-writes the raw scraped series, stale markers included,
// to Strata). Then the recording results and ALERTS of both must agree.
//
// How we compare despite different evaluation times: each group evaluates every second at an
// offset of its own (Prometheus' and Strata's offsets differ, and Strata sees each sample up to
// ~1 s later through remote write), so the two never write at the same timestamps. We compare
// instant queries at the 9th second of every phase, when every input has been constant for
// >= 8 s (longer than a scrape, a remote-write send, an evaluation and the alerts' `for: 2s`),
// so both servers' newest rule outputs at that time were computed from the same inputs.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "testutil/http_client.h"
#include "testutil/process.h"
#include "testutil/prometheus.h"
#include "testutil/recording_http_server.h"

namespace strata {
namespace {

using testutil::Json;

constexpr int64_t kPhaseMs = 12'000;
constexpr int kPhases = 5;

// The exposition of phase `k`: host a and b's load (b absent in the last phase).
std::string Exposition(int k) {
  static const double kA[kPhases] = {1, 5, 5, 1, 1};
  static const double kB[kPhases] = {1, 1, 5, 5, -1};
  std::string out = "# TYPE load gauge\n";
  out += "load{host=\"a\"} " + std::to_string(kA[k]) + "\n";
  if (kB[k] >= 0) out += "load{host=\"b\"} " + std::to_string(kB[k]) + "\n";
  return out;
}

constexpr const char* kRules = R"(groups:
  - name: compare
    interval: 1s
    rules:
      - record: load:sum
        expr: sum(load)
      - record: load:high
        expr: load > 3
        labels: {level: high}
      - record: load:high_count
        expr: count(load:high)
      - alert: High
        expr: load > 3
        for: 2s
        labels: {severity: warning}
        annotations: {summary: "{{ $labels.host }} at {{ $value }}"}
      - alert: BothHigh
        expr: count(load > 3) == 2
        labels: {severity: critical}
)";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A result vector as a sorted set of "labels => value" lines (labels as Prometheus prints the
// JSON object, which is sorted by name in both servers).
std::set<std::string> Normalize(const Json& result) {
  std::set<std::string> out;
  for (const Json& s : result.items) {
    std::string line;
    const Json* m = s.Find("metric");
    for (size_t i = 0; m && i < m->keys.size(); ++i) {
      line += m->keys[i] + "=" + m->items[i].text + ",";
    }
    const Json* v = s.Find("value");
    line += " => " + (v && v->items.size() == 2 ? v->items[1].text : "?");
    out.insert(line);
  }
  return out;
}

std::optional<Json> QueryStrata(uint16_t port, const std::string& expr, const std::string& time,
                                std::string* error) {
  auto r =
      testutil::HttpGet(port, "/api/v1/query?query=" + testutil::UrlEncode(expr) + "&time=" + time);
  Json doc;
  if (r.status != 200 || !testutil::JsonParser::Parse(r.body, &doc, error)) {
    *error = "HTTP " + std::to_string(r.status) + " " + r.body;
    return std::nullopt;
  }
  return *doc.Find("data")->Find("result");
}

// "group/rule/type/query/health" of every rule in a /api/v1/rules answer.
std::set<std::string> RuleList(uint16_t port) {
  auto r = testutil::HttpGet(port, "/api/v1/rules");
  Json doc;
  std::string error;
  std::set<std::string> out;
  if (r.status != 200 || !testutil::JsonParser::Parse(r.body, &doc, &error)) return out;
  for (const Json& g : doc.Find("data")->Find("groups")->items) {
    for (const Json& rule : g.Find("rules")->items) {
      out.insert(g.Find("name")->text + "/" + rule.Find("name")->text + "/" +
                 rule.Find("type")->text + "/" + rule.Find("query")->text + "/" +
                 rule.Find("health")->text);
    }
  }
  return out;
}

TEST(RulesPrometheusTest, RecordingResultsAndAlertsAgreeWithPrometheus) {
  ASSERT_TRUE(std::filesystem::exists(testutil::kPrometheusBinary))
      << testutil::kPrometheusBinary << " is missing: run tools/install-deps.sh";
  testutil::TempDir tmp;
  const std::string rules = tmp.path() + "/rules.yml";
  std::ofstream(rules) << kRules;

  // Phase 0 until the servers are up; then phases advance every kPhaseMs from t0.
  std::atomic<int64_t> t0{0};
  auto phase_at = [&](int64_t now) {
    const int64_t start = t0.load();
    if (start == 0 || now < start) return 0;
    return static_cast<int>(std::min<int64_t>((now - start) / kPhaseMs, kPhases - 1));
  };
  testutil::RecordingHttpServer target(
      {200}, [&](const std::string&) { return Exposition(phase_at(NowMs())); });

  testutil::StrataServer strata;
  ASSERT_TRUE(strata.Start(tmp.path() + "/strata",
                           {"--rules.file", rules, "--rules.evaluation-interval", "1s"}))
      << strata.Log();
  const uint16_t target_port =
      target.url().empty()
          ? 0
          : static_cast<uint16_t>(std::stoi(target.url().substr(target.url().rfind(':') + 1)));
  testutil::PrometheusServer prom;
  std::string error;
  ASSERT_TRUE(prom.Start(
      tmp.path() + "/prom",
      [&](uint16_t) {
        return "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
               "rule_files: ['" +
               rules +
               "']\n"
               "scrape_configs:\n  - job_name: target\n    static_configs: [{targets: "
               "['127.0.0.1:" +
               std::to_string(target_port) +
               "']}]\n"
               "remote_write:\n  - url: http://127.0.0.1:" +
               std::to_string(strata.port()) +
               "/api/v1/write\n    queue_config: {min_shards: 1, max_shards: 1, "
               "batch_send_deadline: 500ms, min_backoff: 50ms, max_backoff: 500ms}\n"
               "    write_relabel_configs:\n      - source_labels: [__name__]\n"
               "        regex: load\n        action: keep\n";
      },
      &error))
      << error;
  // Wait until both have the target's data, then start the phases.
  ASSERT_TRUE(testutil::WaitFor(
      [&] {
        std::string e;
        auto s = QueryStrata(strata.port(), "load:sum", std::to_string(NowMs() / 1000.0), &e);
        return prom.QueryValue("load:sum") == 2.0 && s && s->items.size() == 1;
      },
      std::chrono::seconds(60)))
      << prom.Log() << strata.Log();
  t0 = NowMs() + 1000;
  const int64_t end = t0 + kPhases * kPhaseMs;
  while (NowMs() < end + 2000) std::this_thread::sleep_for(std::chrono::milliseconds(200));

  const std::vector<std::string> queries = {"load:sum", "load:high", "load:high_count", "ALERTS",
                                            "count by (alertstate) (ALERTS)"};
  int compared_nonempty = 0;
  for (int k = 0; k < kPhases; ++k) {
    const int64_t at = t0 + k * kPhaseMs + 9000;
    char time[32];
    std::snprintf(time, sizeof(time), "%.3f", static_cast<double>(at) / 1000.0);
    for (const std::string& q : queries) {
      std::string e1, e2;
      auto p = prom.Query(q, time, &e1);
      auto s = QueryStrata(strata.port(), q, time, &e2);
      ASSERT_TRUE(p.has_value()) << e1;
      ASSERT_TRUE(s.has_value()) << e2;
      auto pn = Normalize(*p);
      auto sn = Normalize(*s);
      EXPECT_EQ(sn, pn) << "phase " << k << " query " << q << " at " << time;
      if (!pn.empty()) ++compared_nonempty;
    }
  }
  // The phases exercised something: alerts fired in phases 1-3, none in 0 and 4.
  EXPECT_GE(compared_nonempty, 15);
  std::string e;
  auto firing = prom.Query("ALERTS{alertstate=\"firing\"}",
                           std::to_string((t0 + 2 * kPhaseMs + 9000) / 1000.0), &e);
  ASSERT_TRUE(firing.has_value());
  EXPECT_EQ(firing->items.size(), 3u);  // High{a}, High{b}, BothHigh.
  EXPECT_EQ(RuleList(strata.port()), RuleList(prom.port()));
}

}  // namespace
}  // namespace strata
