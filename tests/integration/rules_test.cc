// The rule evaluator in the real `strata` binary: a rule file, data by remote write, recording
// output through /api/v1/query, /api/v1/rules and /api/v1/alerts, reloads by SIGHUP and
// POST /-/reload (with a bad file keeping the old rules), and a bad file at start-up.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "testutil/http_client.h"
#include "testutil/process.h"
#include "testutil/prometheus.h"
#include "testutil/remote_write.h"

namespace strata {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testutil::HttpDo;
using testutil::HttpGet;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream(path) << content;
}

constexpr const char* kRules = R"(groups:
  - name: seeds
    interval: 1s
    rules:
      - record: job:m:sum
        expr: sum by (job) (m)
      - record: job:m:sum_x2
        expr: job:m:sum * 2
      - alert: MHigh
        expr: m > 5
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.job }} is at {{ $value }}"
)";

std::string Metric(const std::string& exposition, const std::string& name) {
  auto v = testutil::SumOfMetric(exposition, name);
  return v ? std::to_string(static_cast<int>(*v)) : "absent";
}

class RulesServerTest : public ::testing::Test {
 protected:
  void StartWith(std::vector<std::string> extra) {
    rules_ = tmp_.path() + "/rules";
    std::filesystem::create_directories(rules_);
    WriteFile(rules_ + "/a.yml", kRules);
    std::vector<std::string> args = {
        "--rules.file", rules_ + "/*.yml",    "--rules.evaluation-interval",
        "1s",           "--web.external-url", "http://strata.example:9090/"};
    args.insert(args.end(), extra.begin(), extra.end());
    ASSERT_TRUE(server_.Start(tmp_.path() + "/data", args)) << server_.Log();
    port_ = server_.port();
    const int64_t now = NowMs();
    auto w = HttpDo(
        port_, "POST", "/api/v1/write",
        testutil::SnappyWriteRequest({{{{"__name__", "m"}, {"i", "1"}, {"job", "a"}}, {{now, 7}}},
                                      {{{"__name__", "m"}, {"i", "2"}, {"job", "a"}}, {{now, 3}}}}),
        testutil::RemoteWriteHeaders());
    ASSERT_EQ(w.status, 204) << w.body;
  }
  std::string Query(const std::string& q) {
    return HttpGet(port_, "/api/v1/query?query=" + testutil::UrlEncode(q)).body;
  }
  bool Eventually(const std::function<bool()>& cond) {
    return testutil::WaitFor(cond, std::chrono::seconds(30));
  }

  testutil::TempDir tmp_;
  testutil::StrataServer server_;
  std::string rules_;
  uint16_t port_ = 0;
};

TEST_F(RulesServerTest, RecordsAlertsServesTheApiAndReloadsOnSighup) {
  StartWith({});
  // Recording output, and the second rule sees the first's result.
  ASSERT_TRUE(Eventually([&] {
    return Query("job:m:sum_x2").find(R"("metric":{"__name__":"job:m:sum_x2","job":"a"})") !=
           std::string::npos;
  })) << Query("job:m:sum_x2")
      << server_.Log();
  EXPECT_THAT(Query("job:m:sum"), HasSubstr(R"("10"])"));
  EXPECT_THAT(Query("job:m:sum_x2"), HasSubstr(R"("20"])"));
  // The alert fires (for: 0) once the rule is restored after the second evaluation.
  ASSERT_TRUE(Eventually([&] {
    return Query("ALERTS{alertstate=\"firing\"}").find("MHigh") != std::string::npos;
  })) << Query("ALERTS");
  EXPECT_THAT(Query("ALERTS_FOR_STATE"), HasSubstr(R"("alertname":"MHigh")"));
  auto alerts = HttpGet(port_, "/api/v1/alerts");
  EXPECT_EQ(alerts.status, 200);
  EXPECT_THAT(alerts.body,
              HasSubstr(R"({"labels":{"alertname":"MHigh","i":"1","job":"a","severity":"page"},)"
                        R"("annotations":{"summary":"a is at 7"},"state":"firing","activeAt":")"));
  auto rules = HttpGet(port_, "/api/v1/rules");
  EXPECT_EQ(rules.status, 200);
  EXPECT_THAT(rules.body,
              HasSubstr(R"({"name":"seeds","file":")" + rules_ +
                        R"(/a.yml","rules":[)"
                        R"j({"name":"job:m:sum","query":"sum by (job) (m)","health":"ok")j"));
  EXPECT_THAT(rules.body, HasSubstr(R"("interval":1,"limit":0,"evaluationTime":)"));
  EXPECT_THAT(HttpGet(port_, "/api/v1/rules?type=alert").body, Not(HasSubstr("job:m:sum")));
  EXPECT_EQ(HttpGet(port_, "/api/v1/rules?type=bogus").status, 400);
  // Self-metrics.
  std::string metrics = HttpGet(port_, "/metrics").body;
  EXPECT_THAT(metrics, HasSubstr("prometheus_rule_group_iterations_total{rule_group=\"" + rules_ +
                                 "/a.yml;seeds\"}"));
  EXPECT_THAT(metrics, HasSubstr("prometheus_rule_evaluations_total{rule_group="));
  EXPECT_THAT(metrics, HasSubstr("prometheus_rule_group_last_duration_seconds{rule_group="));
  EXPECT_EQ(Metric(metrics, "strata_rules_config_last_reload_successful"), "1");
  EXPECT_THAT(metrics, HasSubstr("strata_ingest_samples_received_total{protocol=\"rules\"}"));

  // Lifecycle API off: 403 as in Prometheus.
  auto reload = HttpDo(port_, "POST", "/-/reload");
  EXPECT_EQ(reload.status, 403);
  EXPECT_EQ(reload.body, "Lifecycle API is not enabled.");

  // A bad file on SIGHUP: the old rules keep running, the metric says so, the log says why.
  WriteFile(rules_ + "/b.yml",
            "groups:\n  - name: broken\n    rules:\n      - record: x\n"
            "        expr: sum(\n");
  ::kill(server_.process().pid(), SIGHUP);
  ASSERT_TRUE(Eventually([&] {
    return Metric(HttpGet(port_, "/metrics").body, "strata_rules_config_last_reload_successful") ==
           "0";
  })) << server_.Log();
  EXPECT_THAT(server_.Log(),
              HasSubstr("b.yml:5: group \\\"broken\\\", rule 1, \\\"x\\\": could not "
                        "parse expression"));
  EXPECT_THAT(HttpGet(port_, "/api/v1/rules").body, HasSubstr("\"seeds\""));
  const std::string before = Query("job:m:sum");
  // Still evaluating: the recording rule's newest sample moves on.
  ASSERT_TRUE(Eventually([&] { return Query("job:m:sum") != before; }));

  // Fixed: the new file's group appears, the old one keeps its alert.
  WriteFile(rules_ + "/b.yml",
            "groups:\n  - name: extra\n    interval: 1s\n    rules:\n"
            "      - record: m:count\n        expr: count(m)\n");
  ::kill(server_.process().pid(), SIGHUP);
  ASSERT_TRUE(Eventually([&] { return Query("m:count").find(R"("2"])") != std::string::npos; }))
      << server_.Log();
  EXPECT_EQ(Metric(HttpGet(port_, "/metrics").body, "strata_rules_config_last_reload_successful"),
            "1");
  EXPECT_THAT(HttpGet(port_, "/api/v1/alerts").body, HasSubstr("MHigh"));
  EXPECT_EQ(server_.process().Stop(), 0);
}

TEST_F(RulesServerTest, LifecycleReloadAnswersErrors) {
  StartWith({"--web.enable-lifecycle"});
  WriteFile(rules_ + "/a.yml",
            "groups:\n  - name: seeds\n    rules:\n      - alert: A\n"
            "        expr: up\n        for: soon\n");
  auto bad = HttpDo(port_, "POST", "/-/reload");
  EXPECT_EQ(bad.status, 500);
  EXPECT_THAT(bad.body, HasSubstr("a.yml:6: group \"seeds\", rule 1, \"A\": field \"for\": not a "
                                  "valid duration string: \"soon\""));
  EXPECT_THAT(HttpGet(port_, "/api/v1/rules").body, HasSubstr("job:m:sum"));
  WriteFile(rules_ + "/a.yml",
            "groups:\n  - name: seeds\n    rules:\n      - alert: A\n"
            "        expr: up\n");
  auto good = HttpDo(port_, "PUT", "/-/reload");
  EXPECT_EQ(good.status, 200) << good.body;
  auto rules = HttpGet(port_, "/api/v1/rules").body;
  EXPECT_THAT(rules, Not(HasSubstr("job:m:sum")));
  EXPECT_THAT(rules, HasSubstr(R"("name":"A","query":"up")"));
}

TEST(RulesStartupTest, BadRuleFileOrFlagsRefuseToStart) {
  testutil::TempDir tmp;
  const std::string file = tmp.path() + "/bad.yml";
  WriteFile(file, "groups:\n  - name: g\n    rules:\n      - record: 1x\n        expr: up\n");
  std::string log;
  EXPECT_EQ(testutil::RunStrataCli({"serve", "--listen", "127.0.0.1:0", "--data-dir",
                                    tmp.path() + "/data", "--rules.file", file},
                                   &log),
            1);
  EXPECT_THAT(log, HasSubstr(file + ":4: group \"g\", rule 1, \"1x\": invalid recording rule "
                                    "name: 1x"));
  EXPECT_EQ(testutil::RunStrataCli({"serve", "--listen", "127.0.0.1:0", "--data-dir",
                                    tmp.path() + "/data", "--rules.evaluation-interval", "0s"},
                                   &log),
            2);
  EXPECT_THAT(log, HasSubstr("--rules.evaluation-interval: must be > 0"));
  EXPECT_EQ(testutil::RunStrataCli({"serve", "--listen", "127.0.0.1:0", "--data-dir",
                                    tmp.path() + "/data", "--rules.external-label", "a-b=c"},
                                   &log),
            2);
  EXPECT_THAT(log, HasSubstr("--rules.external-label: want NAME=VALUE"));
  EXPECT_EQ(testutil::RunStrataCli({"serve", "--listen", "127.0.0.1:0", "--data-dir",
                                    tmp.path() + "/data", "--alertmanager.url", "am:9093"},
                                   &log),
            1);
  EXPECT_THAT(log, HasSubstr("invalid Alertmanager URL \"am:9093\""));
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

// "2026-12-01T20:05:36.123Z" (or without the fraction) -> ms; 0 when malformed.
int64_t ParseRfc3339Ms(const std::string& s) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec) != 6) {
    return 0;
  }
  if (auto dot = s.find('.'); dot != std::string::npos) {
    std::string frac = s.substr(dot + 1, s.find('Z') - dot - 1);
    while (frac.size() < 3) frac += '0';
    ms = std::atoi(frac.substr(0, 3).c_str());
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

// The activeAt of the first alert in a /api/v1/alerts answer, or 0.
int64_t FirstActiveAt(uint16_t port) {
  auto r = testutil::HttpGet(port, "/api/v1/alerts");
  testutil::Json doc;
  std::string error;
  if (r.status != 200 || !testutil::JsonParser::Parse(r.body, &doc, &error)) return 0;
  const auto& alerts = doc.Find("data")->Find("alerts")->items;
  if (alerts.empty()) return 0;
  return ParseRfc3339Ms(alerts[0].Find("activeAt")->text);
}

// After a restart the `for` state comes back from ALERTS_FOR_STATE, without the downtime:
// activeAt moves later by the outage but stays well before the restart.
TEST(RulesRestartTest, ForStateIsRestoredWithoutTheOutage) {
  testutil::TempDir tmp;
  const std::string rules = tmp.path() + "/r.yml";
  WriteFile(rules,
            "groups:\n  - name: g\n    interval: 1s\n    rules:\n      - alert: Slow\n"
            "        expr: m > 5\n        for: 1h\n");
  const std::vector<std::string> args = {"--rules.file", rules, "--rules.evaluation-interval",
                                         "1s"};
  const std::string data = tmp.path() + "/data";
  int64_t active_at = 0;
  {
    testutil::StrataServer server;
    ASSERT_TRUE(server.Start(data, args)) << server.Log();
    auto w = HttpDo(server.port(), "POST", "/api/v1/write",
                    testutil::SnappyWriteRequest({{{{"__name__", "m"}}, {{NowMs(), 7}}}}),
                    testutil::RemoteWriteHeaders());
    ASSERT_EQ(w.status, 204);
    ASSERT_TRUE(testutil::WaitFor([&] { return FirstActiveAt(server.port()) != 0; },
                                  std::chrono::seconds(30)));
    active_at = FirstActiveAt(server.port());
    // Pending for a while, with ALERTS_FOR_STATE written every second.
    std::this_thread::sleep_for(std::chrono::seconds(10));
    auto fs = HttpGet(server.port(), "/api/v1/query?query=ALERTS_FOR_STATE");
    ASSERT_THAT(fs.body, HasSubstr(R"("alertname":"Slow")"));
    EXPECT_EQ(server.process().Stop(), 0);
  }
  std::this_thread::sleep_for(std::chrono::seconds(4));  // The outage.
  testutil::StrataServer again;
  const int64_t restart = NowMs();
  ASSERT_TRUE(again.Start(data, args)) << again.Log();
  auto w = HttpDo(again.port(), "POST", "/api/v1/write",
                  testutil::SnappyWriteRequest({{{{"__name__", "m"}}, {{NowMs(), 7}}}}),
                  testutil::RemoteWriteHeaders());
  ASSERT_EQ(w.status, 204);
  // Before the restore the alert is new (active since the restart); after it, its activeAt is
  // the old one moved by the outage (>= 4 s), i.e. ~10 s before the restart.
  int64_t restored = 0;
  ASSERT_TRUE(testutil::WaitFor(
      [&] {
        restored = FirstActiveAt(again.port());
        return restored != 0 && restored < restart - 5000;
      },
      std::chrono::seconds(30)))
      << "activeAt " << restored << " restart " << restart << " first " << active_at;
  EXPECT_GE(restored, active_at + 4000);
  EXPECT_THAT(HttpGet(again.port(), "/api/v1/alerts").body, HasSubstr(R"("state":"pending")"));
}

}  // namespace
}  // namespace strata
