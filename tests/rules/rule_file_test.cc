// Rule file loading: a good file, and each kind of error with its file:line message.
#include "rules/rule_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace strata::rules {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> Errors(std::string_view content) {
  std::vector<std::string> errors;
  auto groups = ParseRuleFile("r.yml", content, &errors);
  (void)groups;
  return errors;
}

// The single error of `content`.
std::string OneError(std::string_view content) {
  auto e = Errors(content);
  EXPECT_EQ(e.size(), 1u) << ::testing::PrintToString(e);
  return e.empty() ? "" : e[0];
}

TEST(RuleFileTest, LoadsEveryField) {
  std::vector<std::string> errors;
  auto groups = ParseRuleFile("r.yml", R"(groups:
  - name: g1
    interval: 30s
    limit: 10
    query_offset: 1m
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
        labels:
          team: a
      - alert: Down
        expr: up == 0
        for: 5m
        keep_firing_for: 2m
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.job }} down"
  - name: g2
    rules: []
)",
                              &errors);
  ASSERT_TRUE(errors.empty()) << errors[0];
  ASSERT_EQ(groups.size(), 2u);
  const GroupSpec& g = groups[0];
  EXPECT_EQ(g.name, "g1");
  EXPECT_EQ(g.file, "r.yml");
  EXPECT_EQ(g.interval_ms, 30000);
  EXPECT_EQ(g.limit, 10);
  ASSERT_TRUE(g.query_offset_ms.has_value());
  EXPECT_EQ(*g.query_offset_ms, 60000);
  ASSERT_EQ(g.rules.size(), 2u);
  EXPECT_EQ(g.rules[0].kind, RuleKind::kRecording);
  EXPECT_EQ(g.rules[0].name, "job:up:sum");
  EXPECT_EQ(g.rules[0].line, 7);
  ASSERT_EQ(g.rules[0].labels.size(), 1u);
  EXPECT_EQ(g.rules[0].labels[0].text, "a");
  EXPECT_FALSE(g.rules[0].labels[0].tmpl.has_value());
  const RuleSpec& a = g.rules[1];
  EXPECT_EQ(a.kind, RuleKind::kAlerting);
  EXPECT_EQ(a.name, "Down");
  EXPECT_EQ(a.for_ms, 300000);
  EXPECT_EQ(a.keep_firing_for_ms, 120000);
  ASSERT_EQ(a.annotations.size(), 1u);
  EXPECT_EQ(a.annotations[0].text, "{{ $labels.job }} down");
  EXPECT_TRUE(a.annotations[0].tmpl.has_value());
  EXPECT_TRUE(a.labels[0].tmpl.has_value());
  ASSERT_NE(a.expr, nullptr);
  EXPECT_EQ(groups[1].interval_ms, 0);  // The manager's default.
  EXPECT_FALSE(groups[1].query_offset_ms.has_value());
}

TEST(RuleFileTest, EmptyFileHasNoGroups) {
  EXPECT_TRUE(Errors("").empty());
  EXPECT_TRUE(Errors("groups:\n").empty());
}

TEST(RuleFileTest, UnknownFieldsAtEveryLevel) {
  EXPECT_EQ(OneError("groupz: []\n"), "r.yml:1: field \"groupz\" not found in rule file");
  EXPECT_EQ(OneError("groups:\n  - name: g\n    intervl: 1m\n"),
            "r.yml:3: group \"g\": field \"intervl\" not found in rule group");
  EXPECT_EQ(OneError("groups:\n  - name: g\n    rules:\n      - record: a\n        expr: up\n"
                     "        fro: 1m\n"),
            "r.yml:6: group \"g\", rule 1, \"a\": field \"fro\" not found in rule");
}

TEST(RuleFileTest, DuplicateAndEmptyGroupNames) {
  EXPECT_EQ(OneError("groups:\n  - name: g\n  - name: g\n"),
            "r.yml:3: groupname: \"g\" is repeated in the same file");
  EXPECT_EQ(OneError("groups:\n  - rules: []\n"), "r.yml:2: group name must not be empty");
}

TEST(RuleFileTest, RecordAndAlertBothOrNeither) {
  EXPECT_EQ(OneError("groups:\n  - name: g\n    rules:\n      - record: a\n        alert: b\n"
                     "        expr: up\n"),
            "r.yml:4: group \"g\", rule 1, \"b\": only one of 'record' and 'alert' must be set");
  EXPECT_EQ(OneError("groups:\n  - name: g\n    rules:\n      - expr: up\n"),
            "r.yml:4: group \"g\", rule 1, \"\": one of 'record' or 'alert' must be set");
}

TEST(RuleFileTest, ExpressionMissingOrBad) {
  EXPECT_EQ(OneError("groups:\n  - name: g\n    rules:\n      - record: a\n"),
            "r.yml:4: group \"g\", rule 1, \"a\": field 'expr' must be set in rule");
  std::string e = OneError(
      "groups:\n  - name: g\n    rules:\n      - record: a\n        expr: "
      "rate(x[5m]\n");
  EXPECT_THAT(e, HasSubstr("r.yml:5: group \"g\", rule 1, \"a\": could not parse expression: "));
  EXPECT_THAT(e, HasSubstr("parse error"));
}

TEST(RuleFileTest, RecordingRuleRestrictions) {
  const std::string head =
      "groups:\n  - name: g\n    rules:\n      - record: a\n        expr: up\n";
  EXPECT_EQ(OneError(head + "        for: 1m\n"),
            "r.yml:4: group \"g\", rule 1, \"a\": invalid field 'for' in recording rule");
  EXPECT_EQ(OneError(head + "        keep_firing_for: 1m\n"),
            "r.yml:4: group \"g\", rule 1, \"a\": invalid field 'keep_firing_for' in recording "
            "rule");
  EXPECT_EQ(OneError(head + "        annotations:\n          x: y\n"),
            "r.yml:4: group \"g\", rule 1, \"a\": invalid field 'annotations' in recording rule");
  EXPECT_EQ(OneError("groups:\n  - name: g\n    rules:\n      - record: 1bad-name\n"
                     "        expr: up\n"),
            "r.yml:4: group \"g\", rule 1, \"1bad-name\": invalid recording rule name: 1bad-name");
}

TEST(RuleFileTest, LabelAndAnnotationNames) {
  const std::string head = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n";
  EXPECT_EQ(OneError(head + "        labels:\n          bad-name: x\n"),
            "r.yml:7: group \"g\", rule 1, \"A\": invalid label name: bad-name");
  EXPECT_EQ(OneError(head + "        labels:\n          __name__: x\n"),
            "r.yml:7: group \"g\", rule 1, \"A\": invalid label name: __name__");
  EXPECT_EQ(OneError(head + "        annotations:\n          a.b: x\n"),
            "r.yml:7: group \"g\", rule 1, \"A\": invalid annotation name: a.b");
  EXPECT_EQ(OneError(head + "        labels:\n          a: x\n          a: y\n"),
            "r.yml:8: group \"g\", rule 1, \"A\": mapping key \"a\" already defined");
}

TEST(RuleFileTest, BadDurationsAndTypes) {
  EXPECT_EQ(OneError("groups:\n  - name: g\n    interval: 5 minutes\n"),
            "r.yml:3: group \"g\": field \"interval\": not a valid duration string: \"5 "
            "minutes\"");
  EXPECT_EQ(OneError("groups:\n  - name: g\n    limit: many\n"),
            "r.yml:3: group \"g\": field \"limit\": not an integer: many");
  EXPECT_EQ(OneError("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n"
                     "        for: -1m\n"),
            "r.yml:6: group \"g\", rule 1, \"A\": field \"for\": not a valid duration string: "
            "\"-1m\"");
  EXPECT_EQ(OneError("groups:\n  - name: g\n    rules:\n      - alert: [A]\n        expr: up\n"),
            "r.yml:4: group \"g\", rule 1, \"\": field \"alert\" must be a string");
  EXPECT_EQ(OneError("groups: 3\n"), "r.yml:1: field \"groups\" must be a list");
  EXPECT_EQ(OneError("- a\n- b\n"), "r.yml:1: a rule file must be a map with a \"groups\" list");
}

// As promtool: an empty duration string and one over Go's limit are errors; a null one is 0.
TEST(RuleFileTest, EmptyAndOverlongDurations) {
  const std::string head = "groups:\n  - name: g\n";
  EXPECT_THAT(
      OneError(head + "    rules:\n      - alert: A\n        expr: up\n        for: ''\n"),
      HasSubstr("r.yml:6: group \"g\", rule 1, \"A\": field \"for\": empty duration string"));
  EXPECT_THAT(OneError(head + "    interval: ''\n    rules: []\n"),
              HasSubstr("empty duration string"));
  EXPECT_THAT(
      OneError(head + "    rules:\n      - alert: A\n        expr: up\n        for: 293y\n"),
      HasSubstr("duration out of range"));
  EXPECT_THAT(OneError(head + "    interval: 100000000y\n    rules: []\n"),
              HasSubstr("duration out of range"));
  EXPECT_TRUE(Errors(head + "    interval:\n    rules:\n      - alert: A\n        expr: up\n"
                            "        for:\n")
                  .empty());
}

TEST(RuleFileTest, YamlSyntaxErrorHasALine) {
  std::string e = OneError("groups:\n  - name: g\n    rules: [\n");
  EXPECT_THAT(e, HasSubstr("r.yml:"));
  EXPECT_THAT(e, HasSubstr("yaml: "));
}

// YAML merge keys, as Go's yaml package reads them (promtool accepts these files): a rule
// built from an anchored one, explicit keys winning; merged labels; a list of merges (the
// earlier wins); a quoted "<<" is an ordinary (unknown) key.
TEST(RuleFileTest, MergeKeys) {
  std::vector<std::string> errors;
  auto groups = ParseRuleFile("r.yml",
                              "groups:\n"
                              "  - name: g\n"
                              "    rules:\n"
                              "      - &base {alert: A, expr: vector(1), for: 5m,\n"
                              "               labels: &l {severity: page, team: db}}\n"
                              "      - <<: *base\n"
                              "        alert: B\n"
                              "        labels:\n"
                              "          <<: *l\n"
                              "          team: web\n"
                              "      - <<: [{alert: C, expr: up}, {alert: D, for: 1m}]\n",
                              &errors);
  ASSERT_TRUE(errors.empty()) << ::testing::PrintToString(errors);
  ASSERT_EQ(groups.size(), 1u);
  ASSERT_EQ(groups[0].rules.size(), 3u);
  const RuleSpec& b = groups[0].rules[1];
  EXPECT_EQ(b.name, "B");
  EXPECT_EQ(b.expr_text, "vector(1)");
  EXPECT_EQ(b.for_ms, 300000);
  ASSERT_EQ(b.labels.size(), 2u);
  EXPECT_EQ(b.labels[0].name, "severity");
  EXPECT_EQ(b.labels[1].name, "team");
  EXPECT_EQ(b.labels[1].text, "web");
  // The anchored rule is unchanged.
  EXPECT_EQ(groups[0].rules[0].labels[1].text, "db");
  const RuleSpec& c = groups[0].rules[2];
  EXPECT_EQ(c.name, "C");
  EXPECT_EQ(c.for_ms, 60000);
  // A merge of something that is not a map, with its line.
  EXPECT_EQ(OneError("groups:\n  - name: g\n    rules:\n      - <<: 3\n"),
            "r.yml:4: yaml: map merge requires a map or a sequence of maps as the value");
  EXPECT_THAT(OneError("groups:\n  - name: g\n    rules:\n      - '<<': {alert: A}\n"
                       "        alert: A\n        expr: up\n"),
              HasSubstr("\"<<\" not found in rule"));
  // Aliases that expand into more nodes than the bound: an error, not a hang.
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'h'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + static_cast<char>(c - 1);
    bomb += "]\n";
  }
  EXPECT_THAT(OneError(bomb + "groups: []\n"), HasSubstr("too large"));
}

TEST(RuleFileTest, TemplateThatDoesNotParse) {
  std::string e = OneError(
      "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n"
      "        annotations:\n          summary: '{{ nosuchfunc }}'\n");
  EXPECT_THAT(e, HasSubstr("r.yml:7: group \"g\", rule 1, \"A\": template in annotation "
                           "\"summary\": "));
  EXPECT_THAT(e, HasSubstr("nosuchfunc"));
}

TEST(RuleFileTest, EveryProblemIsReported) {
  auto e = Errors(
      "groups:\n  - name: g\n    rules:\n      - record: a\n        expr: up(\n"
      "      - record: b b\n        expr: up\n  - name: g\n");
  ASSERT_EQ(e.size(), 3u) << ::testing::PrintToString(e);
  EXPECT_THAT(e[0], HasSubstr("rule 1"));
  EXPECT_THAT(e[1], HasSubstr("rule 2"));
  EXPECT_THAT(e[2], HasSubstr("repeated"));
}

TEST(RuleFileTest, GarbageNeverCrashes) {
  const char* inputs[] = {"\x01\x02\xff",
                          "groups:\n  - [\n",
                          "{{{{",
                          ("groups:\n  - name: g\n"
                           "    rules:\n      - 3\n"),
                          "groups:\n  - 7\n",
                          ": :\n",
                          "groups: {a: b}",
                          "groups:\n  - name: {a: b}\n",
                          "groups:\n  - name: g\n    rules: x\n"};
  for (const char* in : inputs) {
    std::vector<std::string> errors;
    auto g = ParseRuleFile("r.yml", in, &errors);
    EXPECT_FALSE(errors.empty()) << in;
    for (const auto& msg : errors) EXPECT_THAT(msg, HasSubstr("r.yml:")) << in;
  }
  // Deep nesting is refused by yaml-cpp's depth guard, not a stack overflow.
  std::vector<std::string> errors;
  auto g = ParseRuleFile("r.yml", "groups: " + std::string(200000, '[') + "\n", &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr(": yaml: "));
}

class RuleFilesOnDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("strata-rules-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& content) {
    std::string p = (dir_ / name).string();
    std::ofstream(p) << content;
    return p;
  }
  std::filesystem::path dir_;
};

TEST_F(RuleFilesOnDisk, LoadRuleFilesJoinsEveryFilesErrors) {
  std::string good = Write("a.yml",
                           "groups:\n  - name: g\n    rules:\n      - record: a\n"
                           "        expr: up\n");
  std::string bad = Write("b.yml", "groups:\n  - name: g\n    bogus: 1\n");
  auto ok = LoadRuleFiles({good});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->groups.size(), 1u);
  auto r = LoadRuleFiles({good, bad, (dir_ / "missing.yml").string()});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument());
  EXPECT_THAT(r.status().message(), HasSubstr(bad + ":3: group \"g\": field \"bogus\""));
  EXPECT_THAT(r.status().message(), HasSubstr("missing.yml: cannot read the rule file"));
}

TEST_F(RuleFilesOnDisk, GlobsExpandSortedAndUnique) {
  Write("b.yml", "");
  Write("a.yml", "");
  Write("c.txt", "");
  auto paths = ExpandRuleFileGlobs(
      {(dir_ / "*.yml").string(), (dir_ / "a.yml").string(), (dir_ / "none-*.yml").string()});
  ASSERT_TRUE(paths.ok());
  ASSERT_EQ(paths->size(), 2u);
  EXPECT_EQ((*paths)[0], (dir_ / "a.yml").string());
  EXPECT_EQ((*paths)[1], (dir_ / "b.yml").string());
}

}  // namespace
}  // namespace strata::rules
