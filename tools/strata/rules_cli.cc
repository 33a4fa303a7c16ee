#include "rules_cli.h"

#include <cstdio>
#include <sstream>

#include "base/log.h"
#include "rule_unit_test.h"
#include "rules/rule_file.h"

namespace strata::cli {

RulesCommand::RulesCommand(CLI::App* app) {
  cmd_ = app->add_subcommand("rules", "Check rule files and run rule unit tests (as promtool)");
  cmd_->require_subcommand(1);
  check_ = cmd_->add_subcommand(
      "check", "Check rule files: YAML, names, PromQL and templates, with FILE:LINE messages");
  check_->add_option("files", check_files_, "Rule files")->required();
  test_ = cmd_->add_subcommand(
      "test",
      "Run rule unit tests in promtool's format (input_series, alert_rule_test, "
      "promql_expr_test)");
  test_->add_option("files", test_files_, "Unit-test files")->required();
}

int RulesCommand::Run() { return check_->parsed() ? Check() : Test(); }

int RulesCommand::Check() {
  bool failed = false;
  for (const std::string& file : check_files_) {
    std::printf("Checking %s\n", file.c_str());
    auto set = rules::LoadRuleFiles({file});
    if (set.ok()) {
      size_t n = 0;
      for (const auto& g : set->groups) n += g.rules.size();
      std::printf("  SUCCESS: %zu rules found\n\n", n);
      continue;
    }
    failed = true;
    std::fflush(stdout);
    std::fprintf(stderr, "  FAILED:\n%s\n\n", set.status().message().c_str());
    std::fflush(stderr);
  }
  return failed ? 1 : 0;
}

int RulesCommand::Test() {
  // The test storage is a real head; its start-up lines (info) are noise in promtool's output.
  if (GetLogLevel() < LogLevel::kWarn) SetLogLevel(LogLevel::kWarn);
  bool failed = false;
  for (const std::string& file : test_files_) {
    std::printf("Unit Testing:  %s\n", file.c_str());
    std::fflush(stdout);
    UnitTestOutcome outcome = RunRuleUnitTestFile(file);
    for (const std::string& w : outcome.warnings) std::fprintf(stderr, "%s\n", w.c_str());
    if (outcome.failures.empty()) {
      std::printf("  SUCCESS\n\n");
      continue;
    }
    failed = true;
    std::fprintf(stderr, "  FAILED:\n");
    for (const std::string& f : outcome.failures) std::fprintf(stderr, "%s\n\n", f.c_str());
    std::fflush(stderr);
    std::printf("\n");
  }
  std::fflush(stdout);
  return failed ? 1 : 0;
}

}  // namespace strata::cli
