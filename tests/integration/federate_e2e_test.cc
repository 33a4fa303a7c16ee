// /federate against the real Prometheus (`make deps` installs it). The same samples are
// remote-written to Strata and to Prometheus (its remote-write receiver); both /federate
// answers must say the same, line for line. Then a second Prometheus scrapes Strata's
// /federate with honor_labels and must hold every series with Strata's labels, values and
// timestamps.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "model/sample.h"
#include "testutil/http_client.h"
#include "testutil/process.h"
#include "testutil/prometheus.h"
#include "testutil/remote_write.h"

namespace strata {
namespace {

using testutil::HttpDo;
using testutil::RwSeries;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The lines of a federation answer with each family's series sorted (Prometheus does not
// order series within a family), so that two answers compare as text.
std::string Normalize(const std::string& body) {
  std::vector<std::string> out, family;
  auto flush = [&] {
    std::sort(family.begin(), family.end());
    out.insert(out.end(), family.begin(), family.end());
    family.clear();
  };
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("#", 0) == 0) {
      flush();
      out.push_back(line);
    } else {
      family.push_back(line);
    }
  }
  flush();
  std::string joined;
  for (const auto& l : out) joined += l + "\n";
  return joined;
}

std::vector<RwSeries> Data(int64_t now) {
  std::vector<RwSeries> data;
  auto series = [&](std::vector<std::pair<std::string, std::string>> labels,
                    std::vector<std::pair<int64_t, double>> samples) {
    data.push_back({std::move(labels), std::move(samples)});
  };
  const int64_t t0 = now - 60000;
  series({{"__name__", "fed_reqs"}, {"code", "200"}, {"instance", "a:1"}, {"job", "api"}},
         {{t0, 1}, {t0 + 15000, 1234567.5}, {t0 + 30000, 9876543210.0}});
  series({{"__name__", "fed_reqs"}, {"code", "500"}, {"instance", "a:1"}, {"job", "api"}},
         {{t0, 0.25}, {t0 + 30000, 1e-7}});
  series({{"__name__", "fed_bare"}}, {{t0 + 45000, -3.5}});
  series({{"__name__", "fed_odd"}, {"path", "a\"b\\c\nd"}}, {{t0 + 10000, 0.0001}});
  // Ended by a stale marker: absent from both answers.
  series({{"__name__", "fed_ended"}}, {{t0, 1}, {t0 + 15000, model::StaleNaN()}});
  // Older than the 5 minute lookback: absent.
  series({{"__name__", "fed_old"}}, {{now - 400000, 1}});
  return data;
}

TEST(FederateE2ETest, AnswersAsPrometheusDoesAndPrometheusFederatesFromIt) {
  testutil::TempDir tmp;
  testutil::StrataServer strata;
  ASSERT_TRUE(strata.Start(tmp.path() + "/strata", {"--rules.external-label=dc=eu"}))
      << strata.Log();
  std::string error;
  testutil::PrometheusServer source;
  ASSERT_TRUE(source.Start(
      tmp.path() + "/source", [](uint16_t) { return "global:\n  external_labels: {dc: eu}\n"; },
      &error, std::chrono::seconds(30), {"--web.enable-remote-write-receiver"}))
      << error;
  const int64_t now = NowMs();
  const std::string body = testutil::SnappyWriteRequest(Data(now));
  auto r = HttpDo(strata.port(), "POST", "/api/v1/write", body, testutil::RemoteWriteHeaders());
  ASSERT_EQ(r.status, 204) << r.body;
  r = HttpDo(source.port(), "POST", "/api/v1/write", body, testutil::RemoteWriteHeaders());
  ASSERT_EQ(r.status, 204) << r.body;

  const std::string query = "/federate?match[]=" + testutil::UrlEncode("{__name__=~\"fed_.*\"}") +
                            "&match[]=" + testutil::UrlEncode("fed_reqs{code=\"500\"}");
  auto ours = HttpDo(strata.port(), "GET", query);
  auto theirs = HttpDo(source.port(), "GET", query);
  ASSERT_EQ(ours.status, 200) << ours.body;
  ASSERT_EQ(theirs.status, 200) << theirs.body;
  EXPECT_EQ(Normalize(ours.body), Normalize(theirs.body));
  EXPECT_NE(ours.body.find("fed_reqs"), std::string::npos) << ours.body;
  EXPECT_EQ(ours.body.find("fed_ended"), std::string::npos) << ours.body;
  EXPECT_EQ(ours.body.find("fed_old"), std::string::npos) << ours.body;
  // A bad selector: 400 from both.
  const std::string bad = "/federate?match[]=" + testutil::UrlEncode("fed_reqs{");
  EXPECT_EQ(HttpDo(strata.port(), "GET", bad).status, 400);
  EXPECT_EQ(HttpDo(source.port(), "GET", bad).status, 400);

  // Prometheus federating from Strata keeps Strata's labels (honor_labels), values and
  // timestamps.
  testutil::PrometheusServer global;
  ASSERT_TRUE(global.Start(
      tmp.path() + "/global",
      [&](uint16_t) {
        return "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
               "scrape_configs:\n  - job_name: federate\n    honor_labels: true\n"
               "    metrics_path: /federate\n    params: {'match[]': ['{__name__=~\"fed_.*\"}']}\n"
               "    static_configs: [{targets: ['127.0.0.1:" +
               std::to_string(strata.port()) + "']}]\n";
      },
      &error))
      << error;
  std::string want;
  ASSERT_TRUE(testutil::WaitFor(
      [&] {
        auto v = global.QueryValue("count({__name__=~\"fed_.*\"})");
        return v && *v >= 4;
      },
      std::chrono::seconds(30)))
      << global.Log();
  const std::string t =
      std::to_string(now / 1000) + "." + std::to_string(now % 1000 + 1000).substr(1);
  // {series in the federating Prometheus, the same series in the source}.
  for (const auto& [fed, src] : std::vector<std::pair<std::string, std::string>>{
           {"fed_reqs{code=\"200\",instance=\"a:1\",job=\"api\",dc=\"eu\"}",
            "fed_reqs{code=\"200\",instance=\"a:1\",job=\"api\"}"},
           {"fed_reqs{code=\"500\",instance=\"a:1\",job=\"api\",dc=\"eu\"}",
            "fed_reqs{code=\"500\",instance=\"a:1\",job=\"api\"}"},
           {"fed_bare{dc=\"eu\",instance=\"\"}", "fed_bare"},
           {"fed_odd{dc=\"eu\",path=\"a\\\"b\\\\c\\nd\"}", "fed_odd{path=\"a\\\"b\\\\c\\nd\"}"}}) {
    SCOPED_TRACE(fed);
    for (const std::string& f : {std::string("timestamp(%)"), std::string("%")}) {
      auto wrap = [&](const std::string& e) {
        std::string x = f;
        return x.replace(x.find('%'), 1, e);
      };
      auto a = global.Query(wrap(fed), t, &error);
      auto b = source.Query(wrap(src), t, &error);
      ASSERT_TRUE(a && b) << error;
      ASSERT_EQ(a->items.size(), 1u) << global.Log();
      ASSERT_EQ(b->items.size(), 1u);
      EXPECT_EQ(a->items[0].Find("value")->items[1].text, b->items[0].Find("value")->items[1].text);
      // The source's labels plus dc, and job="federate" where the source had no job; no
      // instance where the source had none (the answer's instance="" keeps the target's out).
      if (f == "%") {
        const testutil::Json& am = *a->items[0].Find("metric");
        const testutil::Json& bm = *b->items[0].Find("metric");
        const bool had_job = bm.Find("job") != nullptr;
        EXPECT_EQ(am.items.size(), bm.items.size() + (had_job ? 1 : 2));
        EXPECT_EQ(am.Find("instance") != nullptr, bm.Find("instance") != nullptr);
        if (!had_job) {
          ASSERT_NE(am.Find("job"), nullptr);
          EXPECT_EQ(am.Find("job")->text, "federate");
        }
      }
    }
  }
  auto none = global.Query("fed_ended or fed_old", t, &error);
  ASSERT_TRUE(none) << error;
  EXPECT_TRUE(none->items.empty());
}

}  // namespace
}  // namespace strata
