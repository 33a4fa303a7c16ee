// /api/v1/rules and /api/v1/alerts: Prometheus 2.53's JSON shapes, filters and bad parameters.
#include "server/rules_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "rules/mem_store.h"
#include "server/router.h"

namespace strata::server {
namespace {

using rules::L;
using ::testing::HasSubstr;

TEST(RulesApiFormatTest, GoTimeAndFloatFormats) {
  EXPECT_EQ(FormatGoTime(INT64_MIN), "0001-01-01T00:00:00Z");
  EXPECT_EQ(FormatGoTime(1'764'619'536'000), "2025-12-01T20:05:36Z");
  EXPECT_EQ(FormatGoTime(1'764'619'536'120), "2025-12-01T20:05:36.12Z");
  EXPECT_EQ(FormatGoTime(1'764'619'536'007), "2025-12-01T20:05:36.007Z");
  EXPECT_EQ(FormatFloatE(1), "1e+00");
  EXPECT_EQ(FormatFloatE(31.5), "3.15e+01");
  EXPECT_EQ(FormatFloatE(1e-7), "1e-07");
  EXPECT_EQ(FormatFloatE(0), "0e+00");
  EXPECT_EQ(FormatFloatE(std::nan("")), "NaN");
  EXPECT_EQ(FormatFloatE(-INFINITY), "-Inf");
}

class RulesApiTest : public ::testing::Test {
 protected:
  RulesApiTest() : engine_(query::EngineOptions{}) {
    std::vector<std::string> errors;
    auto groups = rules::ParseRuleFile("/etc/r.yml", R"(groups:
  - name: g
    interval: 30s
    rules:
      - record: job:up:sum
        expr: sum by(job)(up)
      - record: labelled
        expr: up
        labels: {team: a}
      - alert: Down
        expr: up == 0
        for: 1m
        keep_firing_for: 30s
        labels: {severity: page}
        annotations: {summary: "down"}
  - name: other
    rules:
      - record: x
        expr: "1"
        labels: {src: ""}
)",
                                       &errors);
    EXPECT_TRUE(errors.empty());
    rules::GroupOptions o;
    o.clock = &clock_;
    for (auto& g : groups) {
      groups_.push_back(std::make_unique<rules::RuleGroup>(std::move(g), o, false));
    }
  }
  std::vector<rules::GroupSnapshot> Snapshots() {
    std::vector<rules::GroupSnapshot> out;
    for (auto& g : groups_) {
      auto s = g->Snapshot();
      s.evaluation_seconds = 0.25;  // Wall-clock durations vary; pin them.
      for (auto& r : s.rules) r.status.evaluation_seconds = 0.125;
      out.push_back(std::move(s));
    }
    return out;
  }

  rules::MemStore store_;
  query::Engine engine_;
  ManualClock clock_{1'764'619'536'000};
  std::vector<std::unique_ptr<rules::RuleGroup>> groups_;
};

TEST_F(RulesApiTest, BeforeAnyEvaluation) {
  auto s = Snapshots();
  std::string data = EncodeRuleGroups({s[1]}, {});
  EXPECT_EQ(
      data,
      R"({"groups":[{"name":"other","file":"/etc/r.yml","rules":[{"name":"x","query":"1",)"
      R"("labels":{"src":""},"health":"unknown","evaluationTime":0.125,"lastEvaluation":"0001-01-01T00:00:00Z",)"
      R"("type":"recording"}],"interval":60,"limit":0,"evaluationTime":0.25,)"
      R"("lastEvaluation":"0001-01-01T00:00:00Z"}]})");
}

TEST_F(RulesApiTest, GroupsRulesAndAlertsInPrometheusShape) {
  store_.Add(L({{"__name__", "up"}, {"job", "j"}}), 1'764'619'500'000, 0);
  const int64_t t = 1'764'619'536'000;
  groups_[0]->Eval(store_, engine_, t, &store_, {});
  clock_.Set(t + 60'000);
  groups_[0]->Eval(store_, engine_, t + 60'000, &store_, {});
  auto s = Snapshots();
  std::string data = EncodeRuleGroups({s[0]}, {});
  const std::string alert =
      R"({"labels":{"alertname":"Down","job":"j","severity":"page"},)"
      R"("annotations":{"summary":"down"},"state":"firing","activeAt":"2025-12-01T20:05:36Z",)"
      R"("value":"0e+00"})";
  EXPECT_EQ(data,
            R"({"groups":[{"name":"g","file":"/etc/r.yml","rules":[)"
            R"j({"name":"job:up:sum","query":"sum by (job) (up)","health":"ok",)j"
            R"("evaluationTime":0.125,"lastEvaluation":"2025-12-01T20:06:36Z","type":"recording"},)"
            R"({"name":"labelled","query":"up","labels":{"team":"a"},"health":"ok",)"
            R"("evaluationTime":0.125,"lastEvaluation":"2025-12-01T20:06:36Z","type":"recording"},)"
            R"({"state":"firing","name":"Down","query":"up == 0","duration":60,"keepFiringFor":30,)"
            R"("labels":{"severity":"page"},"annotations":{"summary":"down"},"alerts":[)" +
                alert +
                R"(],"health":"ok","evaluationTime":0.125,"lastEvaluation":"2025-12-01T20:06:36Z",)"
                R"("type":"alerting"}],"interval":30,"limit":0,"evaluationTime":0.25,)"
                R"("lastEvaluation":"2025-12-01T20:06:36Z"}]})");
  EXPECT_EQ(EncodeAlerts(s), R"({"alerts":[)" + alert + "]}");
}

TEST_F(RulesApiTest, Filters) {
  auto s = Snapshots();
  auto names = [&](const RulesFilter& f) {
    std::string data = EncodeRuleGroups(s, f);
    std::string out;
    for (size_t p = 0; (p = data.find("\"name\":\"", p)) != std::string::npos;) {
      p += 8;
      out += data.substr(p, data.find('"', p) - p) + ",";
    }
    return out;
  };
  EXPECT_EQ(names({}), "g,job:up:sum,labelled,Down,other,x,");
  EXPECT_EQ(names({.type = "alert"}), "g,Down,");
  EXPECT_EQ(names({.type = "record"}), "g,job:up:sum,labelled,other,x,");
  EXPECT_EQ(names({.rule_names = {"x", "Down"}}), "g,Down,other,x,");
  EXPECT_EQ(names({.rule_groups = {"other"}}), "other,x,");
  EXPECT_EQ(names({.files = {"/nope.yml"}}), "");
  EXPECT_EQ(names({.type = "alert", .rule_groups = {"other"}}), "");
}

TEST_F(RulesApiTest, HttpParametersAndErrors) {
  RulesApi api(nullptr);
  Router router;
  api.Register(&router);
  auto get = [&](const std::string& target) {
    HttpRequest req;
    req.method = "GET";
    req.target = target;
    auto q = target.find('?');
    req.path = target.substr(0, q);
    req.query = q == std::string::npos ? "" : target.substr(q + 1);
    HttpResponse res;
    router.Dispatch(req, &res);
    return res;
  };
  auto ok = get("/api/v1/rules");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, R"({"status":"success","data":{"groups":[]}})");
  EXPECT_EQ(get("/api/v1/alerts").body, R"({"status":"success","data":{"alerts":[]}})");
  EXPECT_EQ(get("/api/v1/rules?type=ALERT&rule_name[]=x").status, 200);
  auto bad = get("/api/v1/rules?type=alerts");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body, R"({"status":"error","errorType":"bad_data","error":)"
                      R"("invalid parameter \"type\": not supported value \"alerts\""})");
  auto bad_bool = get("/api/v1/rules?exclude_alerts=maybe");
  EXPECT_EQ(bad_bool.status, 400);
  EXPECT_THAT(bad_bool.body, HasSubstr("invalid parameter \\\"exclude_alerts\\\""));
  EXPECT_EQ(get("/api/v1/rules?type=%zz").status, 400);
}

}  // namespace
}  // namespace strata::server
