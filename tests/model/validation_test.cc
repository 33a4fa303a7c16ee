#include "model/validation.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace strata::model {
namespace {

TEST(ValidationTest, MetricNames) {
  for (std::string_view ok :
       {"up", "a", "_", ":", "http_requests_total", "job:rate5m:sum", "A9_:", "__name__", "_1"}) {
    EXPECT_TRUE(IsValidMetricName(ok)) << ok;
  }
  for (std::string_view bad : {"", "1abc", "a-b", "a.b", "a b", "é", "a\n", "9"}) {
    EXPECT_FALSE(IsValidMetricName(bad)) << bad;
  }
}

TEST(ValidationTest, LabelNames) {
  for (std::string_view ok : {"job", "_", "__name__", "__meta_x", "A_9", "_1"}) {
    EXPECT_TRUE(IsValidLabelName(ok)) << ok;
  }
  for (std::string_view bad : {"", "1a", "a-b", "a:b", "a.b", "é", " a"}) {
    EXPECT_FALSE(IsValidLabelName(bad)) << bad;
  }
}

TEST(ValidationTest, Utf8Accepts) {
  const std::vector<std::string> ok = {
      "",
      "plain ascii that is longer than eight bytes",
      std::string("nul\0inside", 10),
      "\x7f",
      "\xc2\x80",          // U+0080, smallest 2-byte.
      "\xdf\xbf",          // U+07FF.
      "\xe0\xa0\x80",      // U+0800, smallest 3-byte.
      "\xed\x9f\xbf",      // U+D7FF, just below the surrogates.
      "\xee\x80\x80",      // U+E000, just above them.
      "\xef\xbf\xbd",      // U+FFFD.
      "\xef\xbf\xbf",      // U+FFFF (a noncharacter, still valid).
      "\xf0\x90\x80\x80",  // U+10000, smallest 4-byte.
      "\xf4\x8f\xbf\xbf",  // U+10FFFF, the largest.
      "caf\xc3\xa9 na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 after the emoji",
  };
  for (const std::string& s : ok) EXPECT_TRUE(IsValidUtf8(s)) << s;
}

TEST(ValidationTest, Utf8Rejects) {
  const std::vector<std::string> bad = {
      "\x80",  // Stray continuation byte.
      "\xbf",
      "\xc0\x80",          // Overlong NUL.
      "\xc1\xbf",          // Overlong U+007F.
      "\xe0\x80\x80",      // Overlong 3-byte.
      "\xe0\x9f\xbf",      // Overlong U+07FF.
      "\xf0\x80\x80\x80",  // Overlong 4-byte.
      "\xf0\x8f\xbf\xbf",  // Overlong U+FFFF.
      "\xed\xa0\x80",      // U+D800, a surrogate.
      "\xed\xbf\xbf",      // U+DFFF.
      "\xf4\x90\x80\x80",  // U+110000, above the maximum.
      "\xf5\x80\x80\x80",
      "\xff",
      "\xfe",
      "\xc3",          // Truncated 2-byte.
      "\xe6\x97",      // Truncated 3-byte.
      "\xf0\x9f\x98",  // Truncated 4-byte.
      "\xc3\x28",      // Bad continuation.
      "\xe2\x28\xa1",
      "\xf0\x9f\x28\x80",
      "0123456789abcdef\xc3",  // After the 8-byte ASCII fast path.
      std::string("01234567\xed\xa0\x80") + "89",
  };
  for (const std::string& s : bad) {
    std::string hex;
    for (unsigned char c : s) hex += std::to_string(c) + " ";
    EXPECT_FALSE(IsValidUtf8(s)) << hex;
  }
}

Labels L(std::vector<Label> pairs) {
  Result<Labels> r = Labels::FromPairs(std::move(pairs));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.value_or(Labels());
}

TEST(ValidationTest, ValidateLabelsForIngestAccepts) {
  EXPECT_TRUE(ValidateLabelsForIngest(L({{"__name__", "up"}})).ok());
  EXPECT_TRUE(ValidateLabelsForIngest(
                  L({{"__name__", "job:rate:sum"}, {"job", "caf\xc3\xa9"}, {"_x", "1"}}))
                  .ok());
  // Other "__" names are allowed, as in Prometheus remote write.
  EXPECT_TRUE(ValidateLabelsForIngest(L({{"__name__", "up"}, {"__tenant__", "t1"}})).ok());
}

TEST(ValidationTest, ValidateLabelsForIngestRejects) {
  struct Case {
    std::vector<Label> labels;
    std::string message;
  } cases[] = {
      {{}, "missing metric name (__name__ label)"},
      {{{"job", "x"}}, "missing metric name (__name__ label)"},
      {{{"__name__", ""}, {"job", "x"}}, "missing metric name (__name__ label)"},
      {{{"__name__", "1abc"}}, R"(invalid metric name "1abc")"},
      {{{"__name__", "a\xff"}}, R"(invalid metric name "a\xff")"},
      {{{"__name__", "up"}, {"a-b", "x"}}, R"(invalid label name "a-b")"},
      {{{"__name__", "up"}, {"", "x"}}, R"(invalid label name "")"},
      {{{"__name__", "up"}, {"job", "\xc0\x80"}}, R"(invalid UTF-8 in value of label "job")"},
      {{{"__name__", "up"}, {"job", "\xed\xa0\x80"}}, R"(invalid UTF-8 in value of label "job")"},
  };
  for (const Case& c : cases) {
    Status s = ValidateLabelsForIngest(L(c.labels));
    EXPECT_TRUE(s.IsInvalidArgument()) << c.message;
    EXPECT_EQ(s.message(), c.message);
  }
}

}  // namespace
}  // namespace strata::model
