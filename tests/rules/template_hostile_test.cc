// Hostile templates: deep nesting, huge loops, exponential growth, recursion, and random token
// soup must end in an error (or output), never a crash, a hang or unbounded memory; and one
// Template executes from many threads at once.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "rules/template.h"
#include "rules/template_test_util.h"

namespace strata::rules {
namespace {

using template_testing::DefaultContext;
using template_testing::Expand;

std::string Repeat(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

TEST(TemplateHostileTest, DeepNestingIsAParseError) {
  // At the cap: fine.
  std::string ok = Repeat("{{ if true }}", 99) + "x" + Repeat("{{ end }}", 99);
  EXPECT_EQ(Expand(ok), "x");
  for (std::string_view open :
       {"{{ if true }}", "{{ with 1 }}", "{{ range 1 }}", "{{ block \"b\" . }}"}) {
    std::string deep = Repeat(open, 10000) + Repeat("{{ end }}", 10000);
    auto t = Template::Parse("deep", deep);
    ASSERT_FALSE(t.ok()) << open;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(t.status().message(), "template: deep:1: nesting deeper than 100 levels");
  }
  std::string parens = "{{ " + Repeat("(", 100000) + "1" + Repeat(")", 100000) + " }}";
  EXPECT_EQ(Expand(parens), "ERROR: template: test:1: max expression depth exceeded");
  std::string unclosed = Repeat("{{ if true }}", 50);
  EXPECT_EQ(Expand(unclosed), "ERROR: template: test:1: unexpected EOF");
  EXPECT_EQ(Expand(Repeat("{{", 100000)), "ERROR: template: test:1: unexpected \"{\" in command");
}

TEST(TemplateHostileTest, HugeLoopsHitTheStepCap) {
  EXPECT_EQ(Expand("{{ range 1000000000 }}{{ end }}"),
            "ERROR: template: test:1:" + template_testing::Col(9) +
                ": executing \"test\" at <1000000000>: execution exceeded " +
                std::to_string(Template::kMaxSteps) + " steps");
  // Exponential fan-out through defined templates: 2^40 calls.
  std::string fan;
  for (int i = 0; i < 40; ++i) {
    fan += "{{ define \"t" + std::to_string(i) + "\" }}{{ template \"t" + std::to_string(i + 1) +
           "\" }}{{ template \"t" + std::to_string(i + 1) + "\" }}{{ end }}";
  }
  fan += "{{ define \"t40\" }}x{{ end }}{{ template \"t0\" }}";
  std::string r = Expand(fan);
  EXPECT_NE(r.find("execution exceeded"), std::string::npos) << r.substr(0, 200);
}

TEST(TemplateHostileTest, OutputAndStringsAreCapped) {
  std::string r = Expand("{{ range 3 }}{{ printf \"%1000000d\" 1 }}{{ end }}");
  EXPECT_NE(r.find("output exceeds 1048576 bytes"), std::string::npos) << r.substr(0, 200);
  r = Expand("{{ $x := \"ab\" }}{{ range 40 }}{{ $x = printf \"%s%s\" $x $x }}{{ end }}");
  EXPECT_NE(r.find("error calling printf: result exceeds 1048576 bytes"), std::string::npos)
      << r.substr(0, 200);
  r = Expand(
      "{{ $x := \"ab\" }}{{ range 40 }}{{ $x = reReplaceAll \"(.)\" \"$1$1\" $x }}"
      "{{ end }}");
  EXPECT_NE(r.find("result exceeds"), std::string::npos) << r.substr(0, 200);
  auto big = Template::Parse("big", std::string(Template::kMaxTextBytes + 1, 'x'));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kInvalidArgument);
}

TEST(TemplateHostileTest, RecursionIsCapped) {
  EXPECT_EQ(Expand("{{ define \"a\" }}{{ template \"a\" . }}{{ end }}{{ template \"a\" }}"),
            "ERROR: template: test:1:" + template_testing::Col(28) +
                ": executing \"a\" at <{{template \"a\" .}}>: exceeded maximum template depth "
                "(100)");
  // Deep nesting inside each recursion level stays within the C++ recursion cap.
  std::string body = Repeat("{{ if true }}", 99) + "{{ template \"r\" }}" + Repeat("{{ end }}", 99);
  std::string r = Expand("{{ define \"r\" }}" + body + "{{ end }}{{ template \"r\" }}");
  EXPECT_NE(r.find("ERROR:"), std::string::npos);
}

// Random soups of template tokens: parsing and executing them ends in output or an error with
// the documented codes.
TEST(TemplateHostileTest, RandomTokenSoupNeverCrashes) {
  static const char* const kTokens[] = {
      "{{",        "}}",     "{{- ",     " -}}",     "if ",
      "else ",     "end",    "range ",   "with ",    "define ",
      "template ", "block ", "break",    "continue", "(",
      ")",         " | ",    "$x",       "$",        " := ",
      " = ",       ".",      ".Labels",  ".Value",   "$labels.job",
      "$value",    "\"s\"",  "`r`",      "'c'",      "1",
      "-2",        "1.5",    "0x1F",     "nil",      "true",
      ",",         " ",      "\n",       "printf ",  "\"%d %s %v\" ",
      "humanize ", "len ",   "index ",   "slice ",   "eq ",
      "lt ",       "and ",   "or ",      "not ",     "args ",
      "query ",    "first ", "/*",       "*/",       "{{/* c */}}",
      "text",      "$y",     "@",        "\\",       "\"",
      "'",         "`",      "\xc3\xa9", "\xff"};
  uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  TemplateContext ctx = DefaultContext();
  ctx.query = [](std::string_view) -> Result<std::vector<TemplateSample>> {
    return std::vector<TemplateSample>{{template_testing::L({{"a", "b"}}), 2}};
  };
  int parsed = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string text;
    size_t n = rng() % 30;
    for (size_t k = 0; k < n; ++k) text += kTokens[rng() % std::size(kTokens)];
    auto t = Template::Parse("fuzz", text);
    if (!t.ok()) {
      ASSERT_EQ(t.status().code(), StatusCode::kInvalidArgument) << text;
      ASSERT_TRUE(t.status().message().starts_with("template: fuzz")) << text;
      continue;
    }
    ++parsed;
    auto r = t->Execute(ctx);
    if (!r.ok()) {
      ASSERT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << text;
      ASSERT_TRUE(r.status().message().starts_with("template: fuzz")) << text;
    }
  }
  EXPECT_GT(parsed, 100);  // The soup reaches the executor, not only the parser.
}

TEST(TemplateHostileTest, ConcurrentExecuteOfOneTemplate) {
  auto t = Template::Parse("t",
                           "{{ $labels.job }} {{ $value | humanize }} {{ range query \"x\" }}"
                           "{{ .Labels.a }}{{ end }} {{ printf \"%.3f\" $value }}");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  Template copy = *t;  // Copies share the parse tree.
  std::vector<std::thread> threads;
  threads.reserve(8);
  std::vector<int> bad(8, 0);
  for (int w = 0; w < 8; ++w) {
    threads.emplace_back([&, w] {
      TemplateContext ctx = DefaultContext();
      ctx.value = 1000.0 * (w + 1);
      ctx.query = [w](std::string_view) -> Result<std::vector<TemplateSample>> {
        return std::vector<TemplateSample>{{template_testing::L({{"a", std::to_string(w)}}), 1}};
      };
      std::string want = "node " + std::to_string(w + 1) + "k " + std::to_string(w) + " " +
                         std::to_string(1000 * (w + 1)) + ".000";
      for (int i = 0; i < 300; ++i) {
        auto r = (i % 2 == 0 ? *t : copy).Execute(ctx);
        if (!r.ok() || *r != want) ++bad[static_cast<size_t>(w)];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int w = 0; w < 8; ++w) EXPECT_EQ(bad[static_cast<size_t>(w)], 0) << "worker " << w;
}

}  // namespace
}  // namespace strata::rules
