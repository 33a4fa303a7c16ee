// `strata rules check FILE...` and `strata rules test FILE...`, promtool's `check rules` and
// `test rules` (issue 11): check loads each rule file with every check of the server
// (rules::LoadRuleFiles) and prints `Checking FILE` and `  SUCCESS: N rules found` or
// `  FAILED:` with one `FILE:LINE: ...` message per problem; test runs rule unit-test files
// (rule_unit_test.h) and prints `Unit Testing:  FILE` and `  SUCCESS` or `  FAILED:` with the
// differences. Both go through every file. Exit codes: 0 all good, 1 a file failed, 2 usage
// error (CLI11 reports those before Run). Run on the main thread.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace strata::cli {

class RulesCommand {
 public:
  explicit RulesCommand(CLI::App* app);
  bool parsed() const { return cmd_->parsed(); }
  int Run();

 private:
  int Check();
  int Test();

  CLI::App* cmd_;
  CLI::App* check_;
  CLI::App* test_;
  std::vector<std::string> check_files_;
  std::vector<std::string> test_files_;
};

}  // namespace strata::cli
