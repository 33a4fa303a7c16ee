// Every expression of the upstream PromQL conformance scripts (shared/promql-testdata/*.test,
// Prometheus v2.53.5) must parse, and must survive a print/parse round trip unchanged. The
// scripts are found through STRATA_PROMQL_TESTDATA, else ../shared/promql-testdata next to the
// repository; the test is skipped when neither exists.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "query/parser.h"
#include "query/printer.h"

namespace strata::query {
namespace {

namespace fs = std::filesystem;

fs::path TestdataDir() {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read once by the test thread; nothing sets it.
  if (const char* env = std::getenv("STRATA_PROMQL_TESTDATA"); env != nullptr && *env != '\0') {
    return env;
  }
  // This file is <repo>/tests/query/promql_testdata_test.cc.
  const fs::path repo = fs::path(__FILE__).parent_path().parent_path().parent_path();
  return repo.parent_path() / "shared" / "promql-testdata";
}

// Splits off the first whitespace-separated word of *rest.
std::string NextWord(std::string_view* rest) {
  const size_t begin = rest->find_first_not_of(" \t");
  if (begin == std::string_view::npos) {
    *rest = {};
    return "";
  }
  rest->remove_prefix(begin);
  const size_t end = std::min(rest->find_first_of(" \t"), rest->size());
  std::string word(rest->substr(0, end));
  rest->remove_prefix(end);
  return word;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The expression of an eval command: `eval[_ordered|_fail] instant at <time> <expr>` or
// `eval[_fail] range from <start> to <end> step <step> <expr>`. Empty if `line` is not one.
std::string EvalExpression(std::string_view line) {
  const std::string command = Lower(NextWord(&line));
  if (command != "eval" && command != "eval_ordered" && command != "eval_fail") return "";
  const std::string mode = NextWord(&line);
  std::vector<std::string> expect;
  if (mode == "instant") {
    expect = {"at", ""};
  } else if (mode == "range") {
    expect = {"from", "", "to", "", "step", ""};
  } else {
    return "";
  }
  for (const std::string& want : expect) {
    const std::string word = NextWord(&line);
    if (word.empty() || (!want.empty() && word != want)) return "";
  }
  const size_t begin = line.find_first_not_of(" \t");
  return begin == std::string_view::npos ? "" : std::string(line.substr(begin));
}

struct EvalLine {
  std::string file;
  int line = 0;
  std::string expr;
};

// The expressions of all eval commands in the *.test files of `dir`.
std::vector<EvalLine> ReadEvalLines(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".test") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<EvalLine> out;
  for (const fs::path& file : files) {
    std::ifstream in(file);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      const size_t first = line.find_first_not_of(" \t\r");
      if (first == std::string::npos) continue;
      const size_t last = line.find_last_not_of(" \t\r");
      const std::string trimmed = line.substr(first, last - first + 1);
      if (Lower(trimmed.substr(0, 4)) != "eval") continue;
      const std::string expr = EvalExpression(trimmed);
      EXPECT_FALSE(expr.empty()) << file << ":" << number << ": malformed eval: " << line;
      if (!expr.empty()) out.push_back({file.filename().string(), number, expr});
    }
  }
  return out;
}

TEST(PromqlTestdataTest, EveryEvalExpressionParses) {
  const fs::path dir = TestdataDir();
  if (!fs::is_directory(dir)) {
    GTEST_SKIP() << "PromQL test scripts not found at " << dir
                 << "; set STRATA_PROMQL_TESTDATA to their directory";
  }
  const std::vector<EvalLine> evals = ReadEvalLines(dir);
  // The v2.53.5 scripts hold 768 eval commands; any other copy should hold a good number too.
  EXPECT_GE(evals.size(), 700u);
  int parsed = 0;
  for (const EvalLine& e : evals) {
    SCOPED_TRACE(e.file + ":" + std::to_string(e.line) + ": " + e.expr);
    Result<ExprPtr> r = ParseExpr(e.expr);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const std::string printed = ExprToString(**r);
    Result<ExprPtr> again = ParseExpr(printed);
    ASSERT_TRUE(again.ok()) << printed << ": " << again.status().ToString();
    EXPECT_TRUE(ExprEqual(**r, **again)) << printed;
    EXPECT_EQ(ExprToString(**again), printed);
    ++parsed;
  }
  RecordProperty("parsed", parsed);
}

}  // namespace
}  // namespace strata::query
