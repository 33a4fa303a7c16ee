#include "server/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace strata::server {
namespace {

TEST(JsonWriterTest, WritesNestedContainersWithCommas) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("a").Int(1).Key("b").BeginArray().String("x").Bool(true).Null().EndArray();
  w.Key("c").BeginObject().EndObject().EndObject();
  EXPECT_EQ(out, R"({"a":1,"b":["x",true,null],"c":{}})");
}

TEST(JsonWriterTest, EscapesStrings) {
  std::string out;
  AppendJsonString(&out, std::string("q\"b\\n\n\t\x01", 8));
  EXPECT_EQ(out, R"("q\"b\\n\n\t\u0001")");
  out.clear();
  AppendJsonString(&out, "bad\xff utf8 \xc3\xa9");
  EXPECT_EQ(out, "\"bad\xEF\xBF\xBD utf8 \xc3\xa9\"");
}

TEST(JsonWriterTest, NonFiniteDoublesBecomeStrings) {
  std::string out;
  JsonWriter w(&out);
  w.BeginArray()
      .Double(std::numeric_limits<double>::infinity())
      .Double(-std::numeric_limits<double>::infinity())
      .Double(std::nan(""))
      .Double(0.1)
      .EndArray();
  EXPECT_EQ(out, R"(["+Inf","-Inf","NaN",0.1])");
}

}  // namespace
}  // namespace strata::server
