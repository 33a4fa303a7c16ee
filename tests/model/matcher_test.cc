#include "model/matcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <string>
#include <thread>
#include <vector>

namespace strata::model {
namespace {

using ::testing::HasSubstr;

Matcher M(MatchType type, std::string name, std::string value) {
  Result<Matcher> r = Matcher::Make(type, std::move(name), std::move(value));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Matcher::Equal("", "");
}

struct Case {
  MatchType type;
  std::string pattern;
  std::string value;
  bool want;
};

TEST(MatcherTest, Table) {
  using enum MatchType;
  const Case cases[] = {
      {kEqual, "api", "api", true},
      {kEqual, "api", "ap", false},
      {kEqual, "api", "", false},
      {kEqual, "", "", true},
      {kEqual, "", "x", false},
      {kNotEqual, "api", "api", false},
      {kNotEqual, "api", "web", true},
      {kNotEqual, "api", "", true},
      {kNotEqual, "", "", false},
      // Regexes are anchored at both ends.
      {kRegexMatch, "a", "a", true},
      {kRegexMatch, "a", "ba", false},
      {kRegexMatch, "a", "ab", false},
      {kRegexMatch, "a.", "ab", true},
      {kRegexMatch, "a.", "bab", false},
      {kRegexMatch, "b.*", "ab", false},
      {kRegexMatch, ".*b", "abc", false},
      {kRegexMatch, "[ab]+", "abba", true},
      {kRegexMatch, "[ab]+", "abca", false},
      {kRegexNoMatch, "a", "ba", true},
      {kRegexNoMatch, "a", "a", false},
      // Alternation is anchored as a whole: ^(?:a|ab)$.
      {kRegexMatch, "a|ab", "ab", true},
      {kRegexMatch, "a|b|c", "b", true},
      {kRegexMatch, "a|b|c", "d", false},
      {kRegexMatch, "a|b|c", "ab", false},
      {kRegexMatch, "a|b|c", "", false},
      {kRegexMatch, "a||b", "", true},
      {kRegexNoMatch, "a|b", "c", true},
      {kRegexNoMatch, "a|b", "a", false},
      {kRegexMatch, "foo|bar.*", "barbaz", true},
      {kRegexMatch, "foo|bar.*", "foobaz", false},
      // Empty value == absent label.
      {kRegexMatch, ".*", "", true},
      {kRegexMatch, ".*", "anything", true},
      {kRegexMatch, ".+", "", false},
      {kRegexMatch, ".+", "x", true},
      {kRegexNoMatch, ".*", "", false},
      {kRegexNoMatch, ".+", "", true},
      {kRegexMatch, "", "", true},
      {kRegexMatch, "", "a", false},
      {kRegexMatch, "a?", "", true},
      // `.` matches newline, as in Prometheus' (?s:...).
      {kRegexMatch, ".*", "a\nb", true},
      {kRegexMatch, "a.b", "a\nb", true},
      {kRegexMatch, "a.*", "a\n", true},
      {kRegexMatch, ".*b", "\nb", true},
      {kRegexMatch, ".*x.*", "\nx\n", true},
      {kRegexMatch, ".+", "\n", true},
      {kRegexMatch, "a[^x]b", "a\nb", true},
      {kRegexMatch, "(?-s:a.b)", "a\nb", false},
      // `$` is end of text only.
      {kRegexMatch, "a$", "a\n", false},
      // Fast-path shapes.
      {kRegexMatch, "api.*", "api-server", true},
      {kRegexMatch, "api.*", "xapi", false},
      {kRegexMatch, ".*server", "api-server", true},
      {kRegexMatch, ".*server", "server-api", false},
      {kRegexMatch, ".*-.*", "api-server", true},
      {kRegexMatch, ".*-.*", "api", false},
      {kRegexMatch, "10\\.0\\.0\\.1", "10.0.0.1", true},
      {kRegexMatch, "10\\.0\\.0\\.1", "10x0x0x1", false},
      {kRegexMatch, "10\\.0\\.0\\.1|10\\.0\\.0\\.2", "10.0.0.2", true},
      {kRegexMatch, "a\\|b", "a|b", true},
      {kRegexMatch, "a\\|b", "a", false},
      {kRegexMatch, "a\\\\.*", "a\\zz", true},
      {kRegexMatch, "a\\.*", "a...", true},
      {kRegexMatch, "a\\.*", "abc", false},
      {kRegexMatch, "caf\xc3\xa9|th\xc3\xa9", "th\xc3\xa9", true},
      // Case sensitivity is RE2's.
      {kRegexMatch, "(?i)API", "api", true},
      {kRegexMatch, "API", "api", false},
  };
  for (const Case& c : cases) {
    Matcher m = M(c.type, "job", c.pattern);
    EXPECT_EQ(m.Matches(c.value), c.want) << m.ToString() << " on \"" << c.value << "\"";
    EXPECT_EQ(m.MatchesEmpty(), m.Matches("")) << m.ToString();
  }
}

// Every pattern against every value, compared with Prometheus' own construction compiled by
// RE2: "^(?s:" + pattern + ")$". Catches fast paths that diverge from the regex semantics.
TEST(MatcherTest, FastPathsAgreeWithAnchoredRegex) {
  std::vector<std::string> patterns = {
      "",        "a",     "abc",     ".*",    ".+",         ".*.*",       "a.*",        ".*a",
      ".*a.*",   "a|b",   "a|",      "|a",    "a||b",       "abc|ab|a",   "a\\.b",      "a\\.*",
      "a\\\\.*", ".*\\.", ".*\\..*", "\\.*",  "a\\|b|c",    "\\(a\\)",    ".*a|b",      "a|b.*",
      ".*?a",    "a.*?",  "a.+",     ".+a",   "(a)",        "(?:a|b)",    "[a]",        "a{2}",
      "^a$",     "a$",    "^a",      "x\\-y", "x\\/y",      "x\\:y",      "x\\<y",      "x\\ y",
      "x\\,y",   "x\\#y", "x\\%y",   "x\\&y", "x\\=y",      "x\\@y",      "x\\~y",      "x\\`y",
      "x\\!y",   "x\\'y", "x\\\"y",  "x\\;y", "x\\>y",      "\\^a",       "\\$a",       "\\{a\\}",
      "\\[a\\]", "a\\*",  "a\\+",    "a\\?",  "\xc3\xa9.*", ".*\xc3\xa9", "\xc3\xa9|e",
  };
  for (char c = '!'; c <= '~'; ++c) {
    if (!std::isalnum(static_cast<unsigned char>(c))) patterns.push_back(std::string("\\") + c);
  }
  const std::vector<std::string> values = {
      "",     "a",   "b",    "c",   "ab",  "ba",   "abc",      "aa",
      "a.b",  "axb", "a...", "a.",  "a\\", "a\\z", ".",        "..",
      "x.",   "|",   "a|b",  "(a)", "a*",  "a+",   "a?",       "^a",
      "$a",   "{a}", "[a]",  "\n",  "a\n", "\na",  "\xc3\xa9", "\xc3\xa9t\xc3\xa9",
      "e",    "x-y", "x/y",  "x:y", "x<y", "x y",  "x,y",      "x#y",
      "x%y",  "x&y", "x=y",  "x@y", "x~y", "x`y",  "x!y",      "x'y",
      "x\"y", "x;y", "x>y",  "xy",
  };
  std::vector<std::string> all_values = values;
  for (char c = '!'; c <= '~'; ++c) all_values.emplace_back(1, c);
  RE2::Options options;
  options.set_log_errors(false);
  for (const std::string& p : patterns) {
    RE2 reference("^(?s:" + p + ")$", options);
    Result<Matcher> m = Matcher::Make(MatchType::kRegexMatch, "l", p);
    ASSERT_EQ(m.ok(), reference.ok()) << p << ": " << m.status().ToString();
    if (!m.ok()) continue;
    for (const std::string& v : all_values) {
      EXPECT_EQ(m->Matches(v), RE2::PartialMatch(v, reference)) << "pattern " << p << " on " << v;
    }
  }
}

TEST(MatcherTest, InvalidRegex) {
  Result<Matcher> r = Matcher::Make(MatchType::kRegexMatch, "job", "(");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument());
  EXPECT_THAT(r.status().message(), HasSubstr("invalid regular expression \"(\""));
  EXPECT_THAT(r.status().message(), HasSubstr("missing )"));
  for (std::string bad : {"a)|(b", "[a", "a**", "*", "\\q", "x{2,1}", "\xff"}) {
    EXPECT_FALSE(Matcher::Make(MatchType::kRegexNoMatch, "job", bad).ok()) << bad;
  }
  // Equality matchers never interpret the value.
  EXPECT_TRUE(Matcher::Make(MatchType::kEqual, "job", "(").ok());
  EXPECT_TRUE(Matcher::Make(MatchType::kNotEqual, "job", "\xff").ok());
}

TEST(MatcherTest, AccessorsAndToString) {
  Matcher m = M(MatchType::kRegexMatch, "job", "a.*");
  EXPECT_EQ(m.type(), MatchType::kRegexMatch);
  EXPECT_EQ(m.name(), "job");
  EXPECT_EQ(m.value(), "a.*");
  EXPECT_EQ(m.ToString(), R"(job=~"a.*")");
  EXPECT_EQ(M(MatchType::kEqual, "job", "x").ToString(), R"(job="x")");
  EXPECT_EQ(M(MatchType::kNotEqual, "job", "x").ToString(), R"(job!="x")");
  EXPECT_EQ(M(MatchType::kRegexNoMatch, "job", "a\\.b\"").ToString(), R"(job!~"a\\.b\"")");
  EXPECT_EQ(M(MatchType::kEqual, "a.b", "\n").ToString(), R"("a.b"="\n")");
  EXPECT_EQ(Matcher::Equal("a", "b"), M(MatchType::kEqual, "a", "b"));
  EXPECT_FALSE(Matcher::Equal("a", "b") == Matcher::NotEqual("a", "b"));
  EXPECT_TRUE(Matcher::Equal("a", "").MatchesEmpty());
  EXPECT_FALSE(Matcher::NotEqual("a", "").MatchesEmpty());
  EXPECT_TRUE(Matcher::NotEqual("a", "x").MatchesEmpty());
}

TEST(MatcherTest, MatchesLabels) {
  Labels ls = *Labels::FromPairs({{"__name__", "up"}, {"job", "api"}, {"zone", "eu-1"}});
  EXPECT_TRUE(MatchesLabels({}, ls));
  EXPECT_TRUE(MatchesLabels(
      {Matcher::Equal("__name__", "up"), M(MatchType::kRegexMatch, "zone", "eu-.*")}, ls));
  EXPECT_FALSE(MatchesLabels({Matcher::Equal("__name__", "up"), Matcher::Equal("job", "web")}, ls));
  // Absent labels match as "".
  EXPECT_TRUE(MatchesLabels({Matcher::Equal("missing", "")}, ls));
  EXPECT_TRUE(MatchesLabels({M(MatchType::kRegexMatch, "missing", ".*")}, ls));
  EXPECT_FALSE(MatchesLabels({M(MatchType::kRegexMatch, "missing", ".+")}, ls));
  EXPECT_FALSE(MatchesLabels({Matcher::Equal("job", "")}, ls));
}

TEST(MatcherTest, CopiesShareRegexAcrossThreads) {
  Matcher m = M(MatchType::kRegexMatch, "path", "/api/v[0-9]+/(users|orders)/[0-9]+");
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::vector<int> hits(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([copy = m, &hits, t] {
      for (int i = 0; i < 1000; ++i) {
        if (copy.Matches("/api/v" + std::to_string(i % 3) + "/users/" + std::to_string(i))) {
          ++hits[t];
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int h : hits) EXPECT_EQ(h, 1000);
  EXPECT_FALSE(m.Matches("/api/v1/users/x"));
}

TEST(MatcherTest, MatchTypeStrings) {
  EXPECT_EQ(MatchTypeToString(MatchType::kEqual), "=");
  EXPECT_EQ(MatchTypeToString(MatchType::kNotEqual), "!=");
  EXPECT_EQ(MatchTypeToString(MatchType::kRegexMatch), "=~");
  EXPECT_EQ(MatchTypeToString(MatchType::kRegexNoMatch), "!~");
}

}  // namespace
}  // namespace strata::model
