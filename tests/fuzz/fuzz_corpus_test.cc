// Replays every checked-in seed (tests/fuzz/corpus/<target>/*) through its fuzz target's entry
// function, without libFuzzer, so the normal build keeps the targets compiling and CI runs their
// properties over the seeds. A target that finds a problem aborts (FuzzFail or a sanitizer).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz/fuzz_target.h"

namespace strata::fuzz {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> CorpusFiles(const std::string& target) {
  std::vector<fs::path> files;
  fs::path dir = fs::path(STRATA_FUZZ_CORPUS_DIR) / target;
  if (!fs::is_directory(dir)) return files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class FuzzCorpusTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FuzzCorpusTest, ReplaysEverySeed) {
  const std::string& target = GetParam();
  FuzzFn fn = Registry().at(target);
  auto files = CorpusFiles(target);
  ASSERT_GE(files.size(), 3u) << "corpus/" << target << " needs seeds (tests/fuzz/README.md)";
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string bytes = ss.str();
    fn(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  }
}

std::vector<std::string> TargetNames() {
  std::vector<std::string> names;
  for (const auto& [name, fn] : Registry()) names.push_back(name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzCorpusTest, ::testing::ValuesIn(TargetNames()),
                         [](const auto& info) { return info.param; });

// Every corpus directory belongs to a registered target (a renamed target leaves no orphans).
TEST(FuzzCorpusLayoutTest, EveryCorpusHasATarget) {
  std::set<std::string> names;
  for (const auto& [name, fn] : Registry()) names.insert(name);
  EXPECT_EQ(names.size(), 10u);
  for (const auto& e : fs::directory_iterator(STRATA_FUZZ_CORPUS_DIR)) {
    if (e.is_directory()) {
      EXPECT_TRUE(names.count(e.path().filename().string())) << e.path();
    }
  }
}

}  // namespace
}  // namespace strata::fuzz
