// The seeds' alert handling through the real thing: Strata evaluates deploy/alertmanager/
// strata-alerts.yml and sends to Debian's prometheus-alertmanager 0.25 running the shipped
// deploy/alertmanager/alertmanager.yml (receivers pointed at this test's webhook receiver).
// Checked: alerts grouped by group_by into one notification, a critical alert inhibiting the
// warnings of its service, a silence created through Alertmanager's API muting a matcher,
// severities routed to different receivers, external labels and generator URLs on the way, and
// the resolved notification when the condition ends.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "testutil/http_client.h"
#include "testutil/process.h"
#include "testutil/prometheus.h"
#include "testutil/recording_http_server.h"
#include "testutil/remote_write.h"

namespace strata {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testutil::HttpDo;
using testutil::HttpGet;
using testutil::Json;

constexpr const char* kAlertmanagerBinary = "/usr/bin/prometheus-alertmanager";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

// The webhook notifications (parsed) received on `path`.
std::vector<Json> Notifications(testutil::RecordingHttpServer& hook, const std::string& path) {
  std::vector<Json> out;
  for (const auto& [line, body] : hook.requests()) {
    if (line != "POST " + path + " HTTP/1.1") continue;
    Json doc;
    std::string error;
    if (testutil::JsonParser::Parse(body, &doc, &error)) out.push_back(std::move(doc));
  }
  return out;
}

std::string Str(const Json* j) { return j && j->is_string() ? j->text : ""; }

// Alert names of one notification's alerts, with their status: "HighLatency/firing,...".
std::string Describe(const Json& n) {
  std::string out;
  const Json* alerts = n.Find("alerts");
  if (!alerts) return out;
  for (const Json& a : alerts->items) {
    const Json* labels = a.Find("labels");
    out += Str(labels ? labels->Find("alertname") : nullptr) + "/" + Str(a.Find("status")) + ",";
  }
  return out;
}

TEST(AlertmanagerE2eTest, GroupsInhibitsSilencesRoutesAndResolves) {
  ASSERT_TRUE(std::filesystem::exists(kAlertmanagerBinary))
      << kAlertmanagerBinary << " is missing: run tools/install-deps.sh";
  testutil::TempDir tmp;
  testutil::RecordingHttpServer hook({200});
  const std::string deploy = std::string(STRATA_SOURCE_DIR) + "/deploy/alertmanager";

  // Alertmanager with the shipped configuration, receivers pointed at `hook`.
  const std::string am_config = tmp.path() + "/alertmanager.yml";
  std::ofstream(am_config) << Replace(testutil::ReadFile(deploy + "/alertmanager.yml"),
                                      "http://127.0.0.1:5001", hook.url());
  testutil::ChildProcess am;
  uint16_t am_port = 0;
  for (int attempt = 0; attempt < 5 && am_port == 0; ++attempt) {
    const uint16_t port = testutil::PickFreePort();
    ASSERT_NE(port, 0);
    ASSERT_TRUE(am.Start(
        {kAlertmanagerBinary, "--config.file=" + am_config,
         "--storage.path=" + tmp.path() + "/am-data",
         "--web.listen-address=127.0.0.1:" + std::to_string(port), "--cluster.listen-address="},
        tmp.path() + "/alertmanager.log"));
    if (testutil::WaitFor([&] { return HttpGet(port, "/-/ready").status == 200; },
                          std::chrono::seconds(20))) {
      am_port = port;
    } else {
      am.Kill();
    }
  }
  ASSERT_NE(am_port, 0) << am.Log();

  // A silence for NoisyCheck, created before anything fires.
  const std::string silence =
      R"({"matchers":[{"name":"alertname","value":"NoisyCheck","isRegex":false,"isEqual":true}],)"
      R"("startsAt":")" +
      std::string("2020-01-01T00:00:00Z") +
      R"(","endsAt":"2099-01-01T00:00:00Z","createdBy":"strata-e2e","comment":"muted"})";
  auto s =
      HttpDo(am_port, "POST", "/api/v2/silences", silence, {{"Content-Type", "application/json"}});
  ASSERT_EQ(s.status, 200) << s.body;

  // Strata with the shipped rules, evaluated every second.
  const std::string rules = tmp.path() + "/strata-alerts.yml";
  std::ofstream(rules) << Replace(testutil::ReadFile(deploy + "/strata-alerts.yml"),
                                  "interval: 15s", "interval: 1s");
  testutil::StrataServer strata;
  ASSERT_TRUE(strata.Start(tmp.path() + "/data",
                           {"--rules.file", rules, "--rules.evaluation-interval", "1s",
                            "--rules.alert.resend-delay", "1s", "--alertmanager.url",
                            "http://127.0.0.1:" + std::to_string(am_port), "--rules.external-label",
                            "cluster=e2e", "--web.external-url", "http://strata.example:9090"}))
      << strata.Log();
  auto write = [&](double disk, double lat1, double lat2, double noisy) {
    const int64_t now = NowMs();
    auto w =
        HttpDo(strata.port(), "POST", "/api/v1/write",
               testutil::SnappyWriteRequest({
                   {{{"__name__", "disk_used_percent"}, {"instance", "db1"}, {"service", "db"}},
                    {{now, disk}}},
                   {{{"__name__", "latency_seconds"}, {"instance", "api1"}, {"service", "api"}},
                    {{now, lat1}}},
                   {{{"__name__", "latency_seconds"}, {"instance", "api2"}, {"service", "api"}},
                    {{now, lat2}}},
                   {{{"__name__", "noisy_check_failed"}, {"service", "noise"}}, {{now, noisy}}},
               }),
               testutil::RemoteWriteHeaders());
    return w.status;
  };
  ASSERT_EQ(write(95, 2, 3, 1), 204);

  // Critical -> pager; both HighLatency alerts -> one notification to tickets.
  const auto deadline = std::chrono::seconds(60);
  ASSERT_TRUE(testutil::WaitFor(
      [&] {
        for (const Json& n : Notifications(hook, "/pager")) {
          if (Describe(n) == "DiskFull/firing,") return true;
        }
        return false;
      },
      deadline))
      << am.Log() << strata.Log();
  ASSERT_TRUE(testutil::WaitFor(
      [&] {
        for (const Json& n : Notifications(hook, "/tickets")) {
          if (Describe(n) == "HighLatency/firing,HighLatency/firing,") return true;
        }
        return false;
      },
      deadline))
      << am.Log();
  const Json first = Notifications(hook, "/pager").front();
  const Json& alert = first.Find("alerts")->items[0];
  EXPECT_EQ(Str(alert.Find("labels")->Find("cluster")), "e2e");
  EXPECT_EQ(Str(alert.Find("labels")->Find("severity")), "critical");
  EXPECT_EQ(Str(alert.Find("annotations")->Find("summary")), "db1: disk 95% full");
  EXPECT_EQ(Str(alert.Find("generatorURL")),
            "http://strata.example:9090/graph?g0.expr=disk_used_percent+%3E+90&g0.tab=1");
  EXPECT_EQ(Str(first.Find("receiver")), "pager");

  // Alertmanager holds the inhibited and silenced alerts as suppressed.
  ASSERT_TRUE(testutil::WaitFor(
      [&] {
        auto r = HttpGet(am_port, "/api/v2/alerts");
        Json doc;
        std::string error;
        if (r.status != 200 || !testutil::JsonParser::Parse(r.body, &doc, &error)) return false;
        bool inhibited = false, silenced = false;
        for (const Json& a : doc.items) {
          const std::string name = Str(a.Find("labels")->Find("alertname"));
          const Json* st = a.Find("status");
          if (!st) continue;
          if (name == "DiskFilling" && Str(st->Find("state")) == "suppressed" &&
              !st->Find("inhibitedBy")->items.empty()) {
            inhibited = true;
          }
          if (name == "NoisyCheck" && Str(st->Find("state")) == "suppressed" &&
              !st->Find("silencedBy")->items.empty()) {
            silenced = true;
          }
        }
        return inhibited && silenced;
      },
      deadline))
      << HttpGet(am_port, "/api/v2/alerts").body;

  // The condition ends: the resolved notification arrives.
  ASSERT_EQ(write(95, 0.1, 0.2, 1), 204);
  ASSERT_TRUE(testutil::WaitFor(
      [&] {
        for (const Json& n : Notifications(hook, "/tickets")) {
          if (Str(n.Find("status")) == "resolved" &&
              Describe(n) == "HighLatency/resolved,HighLatency/resolved,") {
            return true;
          }
        }
        return false;
      },
      deadline))
      << am.Log();
  // Nothing inhibited or silenced was ever delivered.
  for (const auto& [line, body] : hook.requests()) {
    EXPECT_THAT(body, Not(HasSubstr("DiskFilling"))) << line;
    EXPECT_THAT(body, Not(HasSubstr("NoisyCheck"))) << line;
  }
  EXPECT_TRUE(Notifications(hook, "/default").empty());
  // Strata counted what it sent.
  const std::string metrics = HttpGet(strata.port(), "/metrics").body;
  EXPECT_GT(testutil::SumOfMetric(metrics, "prometheus_notifications_sent_total").value_or(0), 0);
  EXPECT_EQ(testutil::SumOfMetric(metrics, "prometheus_notifications_dropped_total").value_or(-1),
            0);
  EXPECT_EQ(testutil::SumOfMetric(metrics, "prometheus_notifications_alertmanagers_discovered")
                .value_or(0),
            1);
  EXPECT_EQ(strata.process().Stop(), 0);
  am.Stop();
}

}  // namespace
}  // namespace strata
