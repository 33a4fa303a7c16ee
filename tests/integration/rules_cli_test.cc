// `strata rules check` and `strata rules test` in the real binary: promtool's output and exit
// codes, bad input as a clear error, and the cross-check: every unit-test file under
// tests/rules/testdata/unittest/ is run by `strata rules test` and by Debian's
// `promtool test rules` (2.42), which must agree on pass/fail with the file's name (pass_* or
// fail_*). The promtool half is skipped where promtool is not installed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "testutil/process.h"

namespace strata {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testutil::RunStrataCli;

const std::string kTestData = std::string(STRATA_SOURCE_DIR) + "/tests/rules/testdata/unittest";
constexpr const char* kPromtool = "/usr/bin/promtool";

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream(path) << content;
}

// Runs a program (not strata) and returns its exit code, with its output in *log.
int RunProgram(const std::vector<std::string>& argv, std::string* log) {
  testutil::TempDir tmp;
  testutil::ChildProcess p;
  const std::string path = tmp.path() + "/out.log";
  if (!p.Start(argv, path)) return -1;
  int code = -1;
  if (!testutil::WaitFor([&] { return p.Exited(&code); }, std::chrono::seconds(120))) p.Kill();
  *log = testutil::ReadFile(path);
  return code;
}

TEST(RulesCliTest, CheckCountsTheRulesOfGoodFiles) {
  std::string log;
  const std::string rules = kTestData + "/rules.yml";
  ASSERT_EQ(RunStrataCli({"rules", "check", rules, kTestData + "/dup_rules.yml"}, &log), 0) << log;
  EXPECT_THAT(log, HasSubstr("Checking " + rules + "\n  SUCCESS: 5 rules found\n"));
  EXPECT_THAT(log, HasSubstr("  SUCCESS: 1 rules found\n"));
}

TEST(RulesCliTest, CheckReportsEveryProblemWithFileAndLineAndGoesOn) {
  testutil::TempDir dir;
  const std::string bad = dir.path() + "/bad.yml";
  WriteFile(bad, R"(groups:
  - name: g
    rules:
      - record: job:up:sum
        expr: sum by (job) (up
      - alert: Down
        expr: up == 0
        labels:
          "bad-name": x
        annotations:
          a: "{{ nosuchfunc }}"
  - name: g
    rules: []
)");
  const std::string good = kTestData + "/rules.yml";
  std::string log;
  ASSERT_EQ(RunStrataCli({"rules", "check", bad, good}, &log), 1) << log;
  EXPECT_THAT(log, HasSubstr("Checking " + bad));
  EXPECT_THAT(log, HasSubstr("  FAILED:"));
  EXPECT_THAT(log, HasSubstr(bad + ":5: group \"g\", rule 1, \"job:up:sum\": could not parse "
                                   "expression: 1:17: parse error: unclosed left parenthesis"));
  EXPECT_THAT(log, HasSubstr(bad + ":9: group \"g\", rule 2, \"Down\": invalid label name"));
  EXPECT_THAT(log, HasSubstr(bad + ":11: "));
  EXPECT_THAT(log, HasSubstr("nosuchfunc"));
  EXPECT_THAT(log, HasSubstr(bad + ":12: "));
  // The next file is still checked.
  EXPECT_THAT(log, HasSubstr("Checking " + good + "\n  SUCCESS: 5 rules found"));
}

TEST(RulesCliTest, CheckOfAMissingOrNonYamlFileFails) {
  testutil::TempDir dir;
  const std::string junk = dir.path() + "/junk.yml";
  WriteFile(junk, "groups: [\n  {name: x, rules: [\n");
  std::string log;
  EXPECT_EQ(RunStrataCli({"rules", "check", dir.path() + "/nope.yml"}, &log), 1) << log;
  EXPECT_THAT(log, HasSubstr("nope.yml: cannot read"));
  EXPECT_EQ(RunStrataCli({"rules", "check", junk}, &log), 1) << log;
  EXPECT_THAT(log, HasSubstr(junk + ":"));
  EXPECT_THAT(log, HasSubstr("yaml"));
  // A directory opens and reads as nothing: it is an error, not "0 rules found".
  EXPECT_EQ(RunStrataCli({"rules", "check", dir.path()}, &log), 1) << log;
  EXPECT_THAT(log, HasSubstr(dir.path() + ": is a directory"));
  EXPECT_EQ(RunStrataCli({"rules", "test", dir.path()}, &log), 1) << log;
  EXPECT_THAT(log, HasSubstr(dir.path() + ": is a directory"));
}

TEST(RulesCliTest, UsageErrorsExitWith2) {
  std::string log;
  EXPECT_EQ(RunStrataCli({"rules"}, &log), 2) << log;
  EXPECT_EQ(RunStrataCli({"rules", "check"}, &log), 2) << log;
  EXPECT_THAT(log, HasSubstr("files is required"));
  EXPECT_EQ(RunStrataCli({"rules", "test"}, &log), 2) << log;
  EXPECT_EQ(RunStrataCli({"rules", "lint", "x.yml"}, &log), 2) << log;
  EXPECT_EQ(RunStrataCli({"rules", "check", "--bogus", "x.yml"}, &log), 2) << log;
}

TEST(RulesCliTest, TestPrintsSuccessOrTheDifferences) {
  std::string log;
  const std::string pass = kTestData + "/pass_alert_for_test.yml";
  ASSERT_EQ(RunStrataCli({"rules", "test", pass}, &log), 0) << log;
  EXPECT_THAT(log, HasSubstr("Unit Testing:  " + pass + "\n  SUCCESS\n"));

  const std::string fail = kTestData + "/fail_pending_not_firing_test.yml";
  ASSERT_EQ(RunStrataCli({"rules", "test", pass, fail}, &log), 1) << log;
  EXPECT_THAT(log, HasSubstr("Unit Testing:  " + fail + "\n  FAILED:\n"));
  EXPECT_THAT(log, HasSubstr("    alertname: InstanceDown, time: 3m, \n        exp:[\n"
                             "            0:\n"
                             "              Labels:{alertname=\"InstanceDown\", "
                             "instance=\"a:1\", job=\"api\", severity=\"page\"}\n"
                             "              Annotations:{summary=\"a:1 of api is down\", "
                             "value=\"0\"}\n            ], \n        got:[]"));

  const std::string wrong = kTestData + "/fail_wrong_value_test.yml";
  ASSERT_EQ(RunStrataCli({"rules", "test", wrong}, &log), 1) << log;
  EXPECT_THAT(log, HasSubstr("    expr: \"job:requests:rate1m\", time: 5m,\n"
                             "        exp: {__name__=\"job:requests:rate1m\", job=\"api\"} 4E+00\n"
                             "        got: {__name__=\"job:requests:rate1m\", job=\"api\"} 3E+00"));

  const std::string eval_error = kTestData + "/fail_eval_error_test.yml";
  ASSERT_EQ(RunStrataCli({"rules", "test", eval_error}, &log), 1) << log;
  EXPECT_THAT(log, HasSubstr("    rule: same_labels, time: 0s, err: "));
}

TEST(RulesCliTest, BadTestFilesAreClearErrorsNotCrashes) {
  testutil::TempDir dir;
  struct Case {
    std::string name, content, want;
  };
  const std::vector<Case> cases = {
      {"list.yml", "- a\n- b\n", "cannot unmarshal into main.unitTestFile"},
      {"tests_string.yml", "tests: nope\n", "tests must be a list"},
      {"interval.yml", "evaluation_interval: soon\n", "not a valid duration string"},
      {"unknown.yml", "tests:\n  - intervall: 1m\n", "field intervall not found in type"},
      {"nested.yml", std::string(5000, '[') + std::string(5000, ']') + "\n", "yaml"},
      {"huge.yml",
       "tests:\n  - input_series:\n      - series: x\n        values: '1x99999999999'\n"
       "    promql_expr_test: [{expr: x, eval_time: 1m}]\n",
       "bad item \"1x99999999999\""},
      {"bad_series.yml",
       "tests:\n  - input_series:\n      - series: 'x{a=~\"b\"}'\n        values: '1'\n",
       "only \"=\" label matchers are allowed in a metric"},
      {"no_name.yml",
       "tests:\n  - input_series:\n      - series: '{job=\"x\"}'\n        values: '1'\n",
       "input series \"{job=\"x\"}\": missing metric name"},
      {"bad_expr.yml", "tests:\n  - promql_expr_test: [{expr: 'sum(', eval_time: 1m}]\n",
       "    expr: \"sum(\", time: 1m, err: "},
      {"bad_labels.yml",
       "tests:\n  - promql_expr_test: [{expr: '1', exp_samples: [{labels: '{a=', value: 1}]}]\n",
       "err: labels \"{a=\""},
      {"quoted_value.yml",
       "tests:\n  - promql_expr_test: [{expr: '1', exp_samples: [{labels: '{}', value: \"1\"}]}]\n",
       "value: cannot unmarshal \"1\" into a float"},
      {"no_alertname.yml", "tests:\n  - alert_rule_test: [{eval_time: 1m}]\n",
       "misses required attribute alertname"},
      {"endless.yml",
       "evaluation_interval: 1ms\ntests:\n  - promql_expr_test: [{expr: '1', eval_time: 1y}]\n",
       "evaluations at evaluation_interval 1ms: at most 1000000"},
      {"repeated_order.yml", "group_eval_order: [a, a]\n",
       "group name repeated in evaluation order: a"},
  };
  for (const Case& c : cases) {
    const std::string path = dir.path() + "/" + c.name;
    WriteFile(path, c.content);
    std::string log;
    EXPECT_EQ(RunStrataCli({"rules", "test", path}, &log), 1) << c.name << "\n" << log;
    EXPECT_THAT(log, HasSubstr(c.want)) << c.name;
    EXPECT_THAT(log, HasSubstr("  FAILED:")) << c.name;
  }
  std::string log;
  EXPECT_EQ(RunStrataCli({"rules", "test", dir.path() + "/absent.yml"}, &log), 1) << log;
  EXPECT_THAT(log, HasSubstr("cannot read"));
}

// Each file under testdata/unittest/ named *_test.yml: strata and promtool agree with the
// outcome its name announces.
TEST(RulesCliTest, AgreesWithPromtoolOnPassAndFail) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(kTestData)) {
    const std::string name = e.path().filename().string();
    if (name.ends_with("_test.yml")) files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 10u);
  const bool have_promtool = std::filesystem::exists(kPromtool);
  int passing = 0;
  for (const std::string& file : files) {
    const std::string name = std::filesystem::path(file).filename().string();
    ASSERT_TRUE(name.starts_with("pass_") || name.starts_with("fail_")) << name;
    const int want = name.starts_with("pass_") ? 0 : 1;
    passing += want == 0;
    std::string log;
    EXPECT_EQ(RunStrataCli({"rules", "test", file}, &log), want) << name << "\n" << log;
    if (have_promtool) {
      EXPECT_EQ(RunProgram({kPromtool, "test", "rules", file}, &log), want)
          << "promtool on " << name << "\n"
          << log;
    }
  }
  EXPECT_GE(passing, 4);
  if (!have_promtool) GTEST_SKIP() << kPromtool << " not installed: checked strata alone";
}

// `strata rules check` and `promtool check rules` agree on the rule files of the cross-check.
TEST(RulesCliTest, CheckAgreesWithPromtool) {
  for (const auto& [file, want] : std::vector<std::pair<std::string, int>>{
           {"rules.yml", 0}, {"rules_more.yml", 0}, {"dup_rules.yml", 0}, {"bad_rules.yml", 1}}) {
    std::string log;
    EXPECT_EQ(RunStrataCli({"rules", "check", kTestData + "/" + file}, &log), want) << file << "\n"
                                                                                    << log;
    if (std::filesystem::exists(kPromtool)) {
      EXPECT_EQ(RunProgram({kPromtool, "check", "rules", kTestData + "/" + file}, &log), want)
          << "promtool on " << file << "\n"
          << log;
    }
  }
  if (!std::filesystem::exists(kPromtool)) GTEST_SKIP() << kPromtool << " not installed";
}

// deploy/rules/adaptive-thresholds.yml checks clean, and its unit test (three days of a
// daily-pattern series with one anomaly: the adaptive alert fires on the anomaly only, a fixed
// threshold fires on every peak and misses it) passes in strata and in promtool.
TEST(RulesCliTest, AdaptiveThresholdRulesPassTheirTestInStrataAndPromtool) {
  const std::string deploy = std::string(STRATA_SOURCE_DIR) + "/deploy/rules";
  std::string log;
  ASSERT_EQ(RunStrataCli({"rules", "check", deploy + "/adaptive-thresholds.yml"}, &log), 0) << log;
  EXPECT_THAT(log, HasSubstr("SUCCESS: 7 rules found"));
  const std::string test = deploy + "/tests/adaptive-thresholds_test.yml";
  ASSERT_EQ(RunStrataCli({"rules", "test", test}, &log), 0) << log;
  EXPECT_THAT(log, HasSubstr("  SUCCESS"));
  if (!std::filesystem::exists(kPromtool)) GTEST_SKIP() << kPromtool << " not installed";
  EXPECT_EQ(RunProgram({kPromtool, "test", "rules", test}, &log), 0) << log;
}

}  // namespace
}  // namespace strata
