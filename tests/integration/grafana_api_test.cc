// Replays the HTTP calls Grafana's Prometheus data source makes from its server side (form-encoded
// POST, GET where Grafana uses GET) against the real `strata` binary loaded with a counter, a
// histogram and their metadata, and checks the answers' JSON shapes, values and error wording
// as Prometheus (web/api/v1/api.go) gives them. Each test starts its own server on port 0.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proto/remote.pb.h"
#include "testutil/http_client.h"
#include "testutil/process.h"
#include "testutil/prometheus.h"
#include "testutil/remote_write.h"

namespace strata {
namespace {

using testutil::HttpDo;
using testutil::HttpResult;
using testutil::Json;
using testutil::JsonParser;
using testutil::UrlEncode;
using Headers = std::vector<std::pair<std::string, std::string>>;
using LabelPairs = std::vector<std::pair<std::string, std::string>>;

constexpr int64_t kScrapeMs = 15'000;
constexpr int64_t kHourMs = 3'600'000;
constexpr int kSamplesPerSeries = 241;  // One hour at 15 s, both ends included.

const Headers kFormHeaders = {{"Content-Type", "application/x-www-form-urlencoded"},
                              {"Accept", "application/json"}};
const Headers kRemoteWriteHeaders = {{"Content-Type", "application/x-protobuf"},
                                     {"Content-Encoding", "snappy"},
                                     {"X-Prometheus-Remote-Write-Version", "0.1.0"}};

// One loaded series: its labels (sorted, as remote write requires) and its increase per scrape;
// sample k (0-based) has the value k * per_scrape.
struct LoadedSeries {
  LabelPairs labels;
  double per_scrape;
};

const std::vector<LoadedSeries>& Loaded() {
  static const std::vector<LoadedSeries> kSeries = {
      {{{"__name__", "http_requests_total"},
        {"code", "200"},
        {"instance", "host-a:9100"},
        {"job", "api"}},
       10},
      {{{"__name__", "http_requests_total"},
        {"code", "500"},
        {"instance", "host-a:9100"},
        {"job", "api"}},
       1},
      {{{"__name__", "http_requests_total"},
        {"code", "200"},
        {"instance", "host-b:9100"},
        {"job", "web"}},
       5},
      {{{"__name__", "http_request_duration_seconds_bucket"},
        {"instance", "host-a:9100"},
        {"job", "api"},
        {"le", "0.1"}},
       3},
      {{{"__name__", "http_request_duration_seconds_bucket"},
        {"instance", "host-a:9100"},
        {"job", "api"},
        {"le", "0.5"}},
       4},
      {{{"__name__", "http_request_duration_seconds_bucket"},
        {"instance", "host-a:9100"},
        {"job", "api"},
        {"le", "+Inf"}},
       5},
  };
  return kSeries;
}

// Milliseconds as API seconds: 1700000000000 -> "1700000000", 1700000000500 -> "1700000000.5".
std::string Secs(int64_t ms) {
  char buf[48];
  if (ms % 1000 == 0) {
    std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(ms / 1000));
    return buf;
  }
  std::snprintf(buf, sizeof(buf), "%lld.%03lld", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  return s;
}

// Milliseconds as RFC 3339 with milliseconds in UTC: "2023-11-14T22:13:20.000Z".
std::string Rfc3339(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(ms % 1000));
  return buf;
}

// A form body from (name, value) pairs, values percent-encoded; repeated names are kept.
std::string Form(const LabelPairs& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    out += UrlEncode(k) + "=" + UrlEncode(v);
  }
  return out;
}

HttpResult PostForm(uint16_t port, const std::string& path, const LabelPairs& fields) {
  return HttpDo(port, "POST", path, Form(fields), kFormHeaders);
}

HttpResult Get(uint16_t port, const std::string& path, const LabelPairs& fields) {
  return HttpDo(port, "GET", fields.empty() ? path : path + "?" + Form(fields), "",
                {{"Accept", "application/json"}});
}

std::string Describe(const HttpResult& r) {
  return "HTTP " + std::to_string(r.status) + (r.error.empty() ? "" : " (" + r.error + ")") +
         " body: " + testutil::Tail(r.body, 2000);
}

// Parses a successful answer: HTTP 200, a JSON content type, an object with "status":"success"
// and "data", and no members besides status, data and the optional warnings/infos arrays.
::testing::AssertionResult ParseSuccess(const HttpResult& r, Json* data) {
  if (r.status != 200) return ::testing::AssertionFailure() << Describe(r);
  if (r.content_type.rfind("application/json", 0) != 0) {
    return ::testing::AssertionFailure() << "Content-Type \"" << r.content_type << "\"";
  }
  Json doc;
  std::string error;
  if (!JsonParser::Parse(r.body, &doc, &error)) {
    return ::testing::AssertionFailure() << "invalid JSON (" << error << "): " << r.body;
  }
  if (!doc.is_object()) return ::testing::AssertionFailure() << "not an object: " << r.body;
  for (size_t i = 0; i < doc.keys.size(); ++i) {
    const std::string& k = doc.keys[i];
    bool optional_array = (k == "warnings" || k == "infos") && doc.items[i].is_array();
    if (k != "status" && k != "data" && !optional_array) {
      return ::testing::AssertionFailure() << "unexpected member \"" << k << "\": " << r.body;
    }
  }
  const Json* status = doc.Find("status");
  if (status == nullptr || !status->is_string() || status->text != "success") {
    return ::testing::AssertionFailure() << "status is not \"success\": " << r.body;
  }
  const Json* d = doc.Find("data");
  if (d == nullptr) return ::testing::AssertionFailure() << "no data: " << r.body;
  *data = *d;
  return ::testing::AssertionSuccess();
}

// An error answer exactly as Prometheus gives it: the HTTP status, and an object of exactly
// {"status":"error","errorType":<type>,"error":<message>}.
::testing::AssertionResult IsError(const HttpResult& r, int http_status,
                                   const std::string& error_type, const std::string& message) {
  Json doc;
  std::string error;
  if (!JsonParser::Parse(r.body, &doc, &error) || !doc.is_object()) {
    return ::testing::AssertionFailure() << "not a JSON object (" << error << "): " << Describe(r);
  }
  std::set<std::string> keys(doc.keys.begin(), doc.keys.end());
  const Json* status = doc.Find("status");
  const Json* type = doc.Find("errorType");
  const Json* msg = doc.Find("error");
  std::string got_type = type && type->is_string() ? type->text : "<missing>";
  std::string got_msg = msg && msg->is_string() ? msg->text : "<missing>";
  if (r.status != http_status || status == nullptr || status->text != "error" ||
      got_type != error_type || got_msg != message ||
      keys != std::set<std::string>{"status", "errorType", "error"}) {
    return ::testing::AssertionFailure()
           << "\n  expected: HTTP " << http_status << " errorType=" << error_type << " error=\""
           << message << "\"\n  got:      HTTP " << r.status << " errorType=" << got_type
           << " error=\"" << got_msg << "\"\n  body: " << r.body;
  }
  if (r.content_type.rfind("application/json", 0) != 0) {
    return ::testing::AssertionFailure() << "Content-Type \"" << r.content_type << "\"";
  }
  return ::testing::AssertionSuccess();
}

// A label set: an object whose members are all strings, with valid names in ascending order
// (Prometheus writes labels.Labels in order). Fills `out`.
::testing::AssertionResult IsLabelSet(const Json& m, LabelPairs* out) {
  if (!m.is_object()) return ::testing::AssertionFailure() << "metric is not an object";
  static const std::regex kName("^[a-zA-Z_][a-zA-Z0-9_]*$");
  out->clear();
  for (size_t i = 0; i < m.keys.size(); ++i) {
    if (!std::regex_match(m.keys[i], kName)) {
      return ::testing::AssertionFailure() << "bad label name \"" << m.keys[i] << "\"";
    }
    if (!m.items[i].is_string()) {
      return ::testing::AssertionFailure() << "label \"" << m.keys[i] << "\" is not a string";
    }
    if (i > 0 && !(m.keys[i - 1] < m.keys[i])) {
      return ::testing::AssertionFailure()
             << "label names not strictly ascending at \"" << m.keys[i] << "\"";
    }
    out->emplace_back(m.keys[i], m.items[i].text);
  }
  return ::testing::AssertionSuccess();
}

// Prometheus' labels.Compare: pairwise by name then value; a prefix sorts first.
int CompareLabels(const LabelPairs& a, const LabelPairs& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i].first != b[i].first) return a[i].first < b[i].first ? -1 : 1;
    if (a[i].second != b[i].second) return a[i].second < b[i].second ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

std::string LabelsText(const LabelPairs& ls) {
  std::string out = "{";
  for (const auto& [k, v] : ls) {
    if (out.size() > 1) out += ",";
    out += k + "=\"" + v + "\"";
  }
  return out + "}";
}

// A JSON number in seconds (up to 3 decimals) as milliseconds, exactly.
bool ParseTimestamp(const Json& j, int64_t* ms) {
  if (j.type != Json::Type::kNumber) return false;
  static const std::regex kTs(R"(^(-?)(\d+)(?:\.(\d{1,3}))?$)");
  std::smatch m;
  if (!std::regex_match(j.text, m, kTs)) return false;
  std::string frac = m[3].str();
  frac.resize(3, '0');
  int64_t v = std::stoll(m[2].str()) * 1000 + std::stoll(frac);
  *ms = m[1].str().empty() ? v : -v;
  return true;
}

// A sample value: a string holding a float as Prometheus prints it ("2", "0.5", "NaN", "+Inf").
bool ParseValue(const Json& j, double* v) {
  if (!j.is_string() || j.text.empty()) return false;
  if (j.text == "NaN" || j.text == "+Inf" || j.text == "-Inf") {
    *v = std::strtod(j.text.c_str(), nullptr);
    return true;
  }
  static const std::regex kFloat(R"(^-?\d+(\.\d+)?(e[-+]\d+)?$)");
  if (!std::regex_match(j.text, kFloat)) return false;
  errno = 0;
  *v = std::strtod(j.text.c_str(), nullptr);
  return errno == 0;
}

// A sample pair [<seconds number>, "<value string>"].
::testing::AssertionResult IsSamplePair(const Json& p, int64_t* t_ms, double* v) {
  if (!p.is_array() || p.items.size() != 2) {
    return ::testing::AssertionFailure() << "sample is not a 2-element array";
  }
  if (!ParseTimestamp(p.items[0], t_ms)) {
    return ::testing::AssertionFailure() << "bad timestamp \"" << p.items[0].text << "\"";
  }
  if (!ParseValue(p.items[1], v)) {
    return ::testing::AssertionFailure()
           << "bad value (must be a string) \"" << p.items[1].text << "\"";
  }
  return ::testing::AssertionSuccess();
}

struct Point {
  int64_t t_ms;
  double v;
  std::string text;  // The value as sent.
};

struct Series {
  LabelPairs labels;
  std::vector<Point> points;
};

bool SameObjectKeys(const Json& o, const std::set<std::string>& want) {
  return o.is_object() && std::set<std::string>(o.keys.begin(), o.keys.end()) == want &&
         o.keys.size() == want.size();
}

// A range query's data: {"resultType":"matrix","result":[{"metric":{...},"values":[...]}...]},
// every point at start + k*step within [start, end] in ascending order, no empty series, and
// the series sorted by labels without duplicates.
::testing::AssertionResult IsMatrix(const Json& data, int64_t start_ms, int64_t end_ms,
                                    int64_t step_ms, std::vector<Series>* out) {
  if (!SameObjectKeys(data, {"resultType", "result"})) {
    return ::testing::AssertionFailure() << "data members are not {resultType, result}";
  }
  const Json* type = data.Find("resultType");
  if (!type->is_string() || type->text != "matrix") {
    return ::testing::AssertionFailure() << "resultType \"" << type->text << "\", want matrix";
  }
  const Json* result = data.Find("result");
  if (!result->is_array()) return ::testing::AssertionFailure() << "result is not an array";
  out->clear();
  for (const Json& item : result->items) {
    if (!SameObjectKeys(item, {"metric", "values"})) {
      return ::testing::AssertionFailure() << "series members are not {metric, values}";
    }
    Series s;
    if (auto r = IsLabelSet(*item.Find("metric"), &s.labels); !r) return r;
    const Json* values = item.Find("values");
    if (!values->is_array() || values->items.empty()) {
      return ::testing::AssertionFailure()
             << LabelsText(s.labels) << ": values empty or not an array";
    }
    for (const Json& p : values->items) {
      Point pt{};
      if (auto r = IsSamplePair(p, &pt.t_ms, &pt.v); !r) return r << " in " << LabelsText(s.labels);
      pt.text = p.items[1].text;
      if (pt.t_ms < start_ms || pt.t_ms > end_ms || (pt.t_ms - start_ms) % step_ms != 0) {
        return ::testing::AssertionFailure() << LabelsText(s.labels) << ": timestamp " << pt.t_ms
                                             << " ms is not start + k*step within [start, end]";
      }
      if (!s.points.empty() && pt.t_ms <= s.points.back().t_ms) {
        return ::testing::AssertionFailure()
               << LabelsText(s.labels) << ": timestamps not ascending";
      }
      s.points.push_back(pt);
    }
    if (!out->empty() && CompareLabels(out->back().labels, s.labels) >= 0) {
      return ::testing::AssertionFailure()
             << "series not sorted by labels: " << LabelsText(out->back().labels) << " before "
             << LabelsText(s.labels);
    }
    out->push_back(std::move(s));
  }
  return ::testing::AssertionSuccess();
}

// An instant query's vector: {"resultType":"vector","result":[{"metric":{...},"value":[t,"v"]}]}
// with every sample at `t_ms`. Sorted by labels here, since Prometheus does not sort vectors.
::testing::AssertionResult IsVector(const Json& data, int64_t t_ms, std::vector<Series>* out) {
  if (!SameObjectKeys(data, {"resultType", "result"})) {
    return ::testing::AssertionFailure() << "data members are not {resultType, result}";
  }
  const Json* type = data.Find("resultType");
  if (!type->is_string() || type->text != "vector") {
    return ::testing::AssertionFailure() << "resultType \"" << type->text << "\", want vector";
  }
  const Json* result = data.Find("result");
  if (!result->is_array()) return ::testing::AssertionFailure() << "result is not an array";
  out->clear();
  for (const Json& item : result->items) {
    if (!SameObjectKeys(item, {"metric", "value"})) {
      return ::testing::AssertionFailure() << "sample members are not {metric, value}";
    }
    Series s;
    if (auto r = IsLabelSet(*item.Find("metric"), &s.labels); !r) return r;
    Point pt{};
    const Json& value = *item.Find("value");
    if (auto r = IsSamplePair(value, &pt.t_ms, &pt.v); !r) return r;
    pt.text = value.items[1].text;
    if (pt.t_ms != t_ms) {
      return ::testing::AssertionFailure() << "sample time " << pt.t_ms << " ms, want " << t_ms;
    }
    s.points.push_back(pt);
    out->push_back(std::move(s));
  }
  std::sort(out->begin(), out->end(),
            [](const Series& a, const Series& b) { return CompareLabels(a.labels, b.labels) < 0; });
  return ::testing::AssertionSuccess();
}

// An array of strings, sorted ascending without duplicates (label names and values).
::testing::AssertionResult IsSortedStrings(const Json& data, std::vector<std::string>* out) {
  if (!data.is_array()) return ::testing::AssertionFailure() << "data is not an array";
  out->clear();
  for (const Json& j : data.items) {
    if (!j.is_string()) return ::testing::AssertionFailure() << "element is not a string";
    if (!out->empty() && !(out->back() < j.text)) {
      return ::testing::AssertionFailure() << "not strictly ascending at \"" << j.text << "\"";
    }
    out->push_back(j.text);
  }
  return ::testing::AssertionSuccess();
}

class GrafanaApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start(tmp_.path() + "/data")) << server_.Log();
    port_ = server_.port();
    // The data ends on a whole minute at or before now, so that 60 s steps land on samples.
    int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    last_ms_ = now_ms / 60'000 * 60'000;
    first_ms_ = last_ms_ - kHourMs;

    proto::WriteRequest req;
    for (const LoadedSeries& s : Loaded()) {
      auto* ts = req.add_timeseries();
      for (const auto& [n, v] : s.labels) {
        auto* l = ts->add_labels();
        l->set_name(n);
        l->set_value(v);
      }
      for (int k = 0; k < kSamplesPerSeries; ++k) {
        auto* smp = ts->add_samples();
        smp->set_timestamp(first_ms_ + k * kScrapeMs);
        smp->set_value(k * s.per_scrape);
      }
    }
    auto* counter = req.add_metadata();
    counter->set_type(proto::MetricMetadata::COUNTER);
    counter->set_metric_family_name("http_requests_total");
    counter->set_help("Total number of HTTP requests.");
    auto* histogram = req.add_metadata();
    histogram->set_type(proto::MetricMetadata::HISTOGRAM);
    histogram->set_metric_family_name("http_request_duration_seconds");
    histogram->set_help("HTTP request latency.");
    histogram->set_unit("seconds");
    HttpResult w = HttpDo(port_, "POST", "/api/v1/write", testutil::Snappy(req.SerializeAsString()),
                          kRemoteWriteHeaders);
    ASSERT_EQ(w.status, 204) << Describe(w);
  }

  // The value of loaded series `s` at `t_ms` (a multiple of the scrape interval in range).
  double ValueAt(const LoadedSeries& s, int64_t t_ms) const {
    return static_cast<double>((t_ms - first_ms_) / kScrapeMs) * s.per_scrape;
  }

  testutil::TempDir tmp_;
  testutil::StrataServer server_;
  uint16_t port_ = 0;
  int64_t first_ms_ = 0;  // First sample of every series.
  int64_t last_ms_ = 0;   // Last sample of every series, a whole minute.
};

// "Save & test": the instant query 1+1 at time 4, then buildinfo for the flavour and version.
TEST_F(GrafanaApiTest, SaveAndTestHealthCheck) {
  Json data;
  ASSERT_TRUE(
      ParseSuccess(PostForm(port_, "/api/v1/query", {{"query", "1+1"}, {"time", "4"}}), &data));
  // The exact body Grafana sends: `+` must arrive percent-encoded.
  HttpResult raw = HttpDo(port_, "POST", "/api/v1/query", "query=1%2B1&time=4", kFormHeaders);
  Json raw_data;
  ASSERT_TRUE(ParseSuccess(raw, &raw_data));
  // Grafana falls back to GET when POST is refused; the answer must be the same.
  Json get_data;
  ASSERT_TRUE(
      ParseSuccess(Get(port_, "/api/v1/query", {{"query", "1+1"}, {"time", "4"}}), &get_data));
  for (const Json* d : {&data, &raw_data, &get_data}) {
    ASSERT_TRUE(SameObjectKeys(*d, {"resultType", "result"})) << raw.body;
    EXPECT_EQ(d->Find("resultType")->text, "scalar");
    const Json& result = *d->Find("result");
    ASSERT_TRUE(result.is_array() && result.items.size() == 2) << raw.body;
    EXPECT_EQ(result.items[0].type, Json::Type::kNumber);
    EXPECT_EQ(result.items[0].text, "4");
    EXPECT_TRUE(result.items[1].is_string());
    EXPECT_EQ(result.items[1].text, "2");
  }
  // A parameter in both the URL and the form body: the body's, as Go's Request.Form gives it
  // to Prometheus.
  HttpResult both =
      HttpDo(port_, "POST", "/api/v1/query?query=1%2B2&time=5", "query=1%2B1&time=4", kFormHeaders);
  Json both_data;
  ASSERT_TRUE(ParseSuccess(both, &both_data));
  EXPECT_EQ(both_data.Find("result")->items.at(0).text, "4") << both.body;
  EXPECT_EQ(both_data.Find("result")->items.at(1).text, "2") << both.body;
  // A range whose length passes int64 milliseconds: its 19 steps, not a wrapped count.
  HttpResult wide = Get(port_, "/api/v1/query_range",
                        {{"query", "1"}, {"start", "-9e15"}, {"end", "9e15"}, {"step", "1e15"}});
  Json wide_data;
  ASSERT_TRUE(ParseSuccess(wide, &wide_data));
  ASSERT_EQ(wide_data.Find("result")->items.size(), 1u) << wide.body;
  EXPECT_EQ(wide_data.Find("result")->items[0].Find("values")->items.size(), 19u) << wide.body;

  HttpResult bi = Get(port_, "/api/v1/status/buildinfo", {});
  Json info;
  ASSERT_TRUE(ParseSuccess(bi, &info));
  ASSERT_TRUE(info.is_object()) << bi.body;
  const Json* version = info.Find("version");
  ASSERT_NE(version, nullptr) << bi.body;
  ASSERT_TRUE(version->is_string()) << bi.body;
  EXPECT_TRUE(std::regex_search(version->text, std::regex(R"(^\d+\.\d+\.\d+)"))) << version->text;
  // A non-empty "features" object makes Grafana treat the server as Mimir; Prometheus has none.
  EXPECT_EQ(info.Find("features"), nullptr) << bi.body;
  for (const char* key : {"revision", "branch", "buildUser", "buildDate", "goVersion"}) {
    const Json* v = info.Find(key);
    EXPECT_TRUE(v == nullptr || v->is_string()) << key << ": " << bi.body;
  }
}

// A dashboard panel: range queries as Grafana sends them (float seconds, step in seconds,
// timeout), raw and aggregated, and the same range given in RFC 3339.
TEST_F(GrafanaApiTest, PanelRangeQueriesReturnAlignedSortedMatrices) {
  const int64_t start = first_ms_ + 10 * 60'000;
  const int64_t end = last_ms_;
  const int64_t step = 60'000;
  const int64_t points = (end - start) / step + 1;

  // Raw counter: one series per loaded series, each point the sample at that step.
  {
    HttpResult r = PostForm(port_, "/api/v1/query_range",
                            {{"query", "http_requests_total"},
                             {"start", Secs(start)},
                             {"end", Secs(end)},
                             {"step", "60"},
                             {"timeout", "30s"}});
    Json data;
    ASSERT_TRUE(ParseSuccess(r, &data));
    std::vector<Series> got;
    ASSERT_TRUE(IsMatrix(data, start, end, step, &got)) << r.body.substr(0, 2000);
    std::vector<const LoadedSeries*> want;
    for (const auto& s : Loaded()) {
      if (s.labels[0].second == "http_requests_total") want.push_back(&s);
    }
    std::sort(want.begin(), want.end(), [](const LoadedSeries* a, const LoadedSeries* b) {
      return CompareLabels(a->labels, b->labels) < 0;
    });
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(LabelsText(got[i].labels), LabelsText(want[i]->labels));
      ASSERT_EQ(static_cast<int64_t>(got[i].points.size()), points) << LabelsText(got[i].labels);
      for (const Point& p : got[i].points) {
        char text[32];
        std::snprintf(text, sizeof(text), "%.0f", ValueAt(*want[i], p.t_ms));
        EXPECT_EQ(p.text, text) << LabelsText(got[i].labels) << " at " << p.t_ms;
      }
    }
  }

  // The typical panel: per-job request rate.
  std::vector<Series> by_job;
  {
    HttpResult r = PostForm(port_, "/api/v1/query_range",
                            {{"query", "sum by (job) (rate(http_requests_total[5m]))"},
                             {"start", Secs(start)},
                             {"end", Secs(end)},
                             {"step", "60"},
                             {"timeout", "30s"}});
    Json data;
    ASSERT_TRUE(ParseSuccess(r, &data));
    ASSERT_TRUE(IsMatrix(data, start, end, step, &by_job)) << r.body.substr(0, 2000);
    ASSERT_EQ(by_job.size(), 2u) << r.body.substr(0, 2000);
    EXPECT_EQ(LabelsText(by_job[0].labels), R"({job="api"})");
    EXPECT_EQ(LabelsText(by_job[1].labels), R"({job="web"})");
    const double want[] = {11.0 / 15, 5.0 / 15};
    for (size_t i = 0; i < 2; ++i) {
      ASSERT_EQ(static_cast<int64_t>(by_job[i].points.size()), points);
      for (const Point& p : by_job[i].points) {
        EXPECT_NEAR(p.v, want[i], 1e-9) << LabelsText(by_job[i].labels) << " at " << p.t_ms;
      }
    }
  }

  // The same panel with the range in RFC 3339 and the step as a duration: identical answer.
  {
    HttpResult r = PostForm(port_, "/api/v1/query_range",
                            {{"query", "sum by (job) (rate(http_requests_total[5m]))"},
                             {"start", Rfc3339(start)},
                             {"end", Rfc3339(end)},
                             {"step", "1m"}});
    Json data;
    ASSERT_TRUE(ParseSuccess(r, &data)) << Rfc3339(start);
    std::vector<Series> got;
    ASSERT_TRUE(IsMatrix(data, start, end, step, &got)) << r.body.substr(0, 2000);
    ASSERT_EQ(got.size(), by_job.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(LabelsText(got[i].labels), LabelsText(by_job[i].labels));
      ASSERT_EQ(got[i].points.size(), by_job[i].points.size());
      for (size_t k = 0; k < got[i].points.size(); ++k) {
        EXPECT_EQ(got[i].points[k].t_ms, by_job[i].points[k].t_ms);
        EXPECT_EQ(got[i].points[k].text, by_job[i].points[k].text);
      }
    }
  }

  // A heatmap/latency panel: histogram_quantile over the buckets' rates. Rank 0.5 * 5/15 falls
  // in the first bucket (3/15), so the answer is 0.1 * (1/6) / (3/15) = 1/12.
  {
    HttpResult r = PostForm(
        port_, "/api/v1/query_range",
        {{"query",
          "histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))"},
         {"start", Secs(start)},
         {"end", Secs(end)},
         {"step", "60"},
         {"timeout", "30s"}});
    Json data;
    ASSERT_TRUE(ParseSuccess(r, &data));
    std::vector<Series> got;
    ASSERT_TRUE(IsMatrix(data, start, end, step, &got)) << r.body.substr(0, 2000);
    ASSERT_EQ(got.size(), 1u) << r.body.substr(0, 2000);
    EXPECT_TRUE(got[0].labels.empty()) << LabelsText(got[0].labels);
    ASSERT_EQ(static_cast<int64_t>(got[0].points.size()), points);
    for (const Point& p : got[0].points) EXPECT_NEAR(p.v, 1.0 / 12, 1e-9) << p.t_ms;
  }

  // A range with a fractional start (Grafana's browser-side alignment can produce one): points
  // sit at start + k*step, not on whole seconds.
  {
    const int64_t fstart = start + 500;
    HttpResult r = PostForm(port_, "/api/v1/query_range",
                            {{"query", "sum(http_requests_total)"},
                             {"start", Secs(fstart)},
                             {"end", Secs(end)},
                             {"step", "60"}});
    Json data;
    ASSERT_TRUE(ParseSuccess(r, &data));
    std::vector<Series> got;
    ASSERT_TRUE(IsMatrix(data, fstart, end, step, &got)) << r.body.substr(0, 2000);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(static_cast<int64_t>(got[0].points.size()), (end - fstart) / step + 1);
  }
}

// Table panels and stat panels: instant queries via POST returning vectors.
TEST_F(GrafanaApiTest, InstantQueriesReturnVectors) {
  {
    HttpResult r = PostForm(port_, "/api/v1/query",
                            {{"query", "http_requests_total{job=\"api\"}"},
                             {"time", Secs(last_ms_)},
                             {"timeout", "30s"}});
    Json data;
    ASSERT_TRUE(ParseSuccess(r, &data));
    std::vector<Series> got;
    ASSERT_TRUE(IsVector(data, last_ms_, &got)) << r.body;
    ASSERT_EQ(got.size(), 2u) << r.body;
    EXPECT_EQ(LabelsText(got[0].labels), LabelsText(Loaded()[0].labels));
    EXPECT_EQ(LabelsText(got[1].labels), LabelsText(Loaded()[1].labels));
    EXPECT_EQ(got[0].points[0].text, "2400");
    EXPECT_EQ(got[1].points[0].text, "240");
  }
  // A fractional evaluation time: the sample time echoes it with milliseconds.
  {
    const int64_t t = last_ms_ - 30'500;
    HttpResult r =
        PostForm(port_, "/api/v1/query",
                 {{"query", "sum by (job, code) (http_requests_total)"}, {"time", Secs(t)}});
    Json data;
    ASSERT_TRUE(ParseSuccess(r, &data));
    std::vector<Series> got;
    ASSERT_TRUE(IsVector(data, t, &got)) << r.body;
    ASSERT_EQ(got.size(), 3u) << r.body;
    EXPECT_EQ(LabelsText(got[0].labels), R"({code="200",job="api"})");
    EXPECT_EQ(LabelsText(got[1].labels), R"({code="200",job="web"})");
    EXPECT_EQ(LabelsText(got[2].labels), R"({code="500",job="api"})");
    // The newest sample at or before t is number 237 (t is 30.5 s before the 240th).
    EXPECT_EQ(got[0].points[0].text, "2370");
    EXPECT_EQ(got[1].points[0].text, "1185");
    EXPECT_EQ(got[2].points[0].text, "237");
  }
  // An empty vector is still a vector with an empty result array.
  {
    HttpResult r =
        PostForm(port_, "/api/v1/query",
                 {{"query", "http_requests_total{job=\"nope\"}"}, {"time", Secs(last_ms_)}});
    Json data;
    ASSERT_TRUE(ParseSuccess(r, &data));
    std::vector<Series> got;
    ASSERT_TRUE(IsVector(data, last_ms_, &got)) << r.body;
    EXPECT_TRUE(got.empty()) << r.body;
  }
}

// The query editor's autocomplete: metric names, label values for a metric, label names and
// series, with Grafana's parameters (start/end in seconds, limit=40000, repeated match[]).
TEST_F(GrafanaApiTest, AutocompleteLabelsSeriesAndValues) {
  const std::string start = Secs(last_ms_ - kHourMs);
  const std::string end = Secs(last_ms_);
  std::vector<std::string> got;
  {
    HttpResult r = Get(port_, "/api/v1/label/__name__/values",
                       {{"start", start}, {"end", end}, {"limit", "40000"}});
    Json data;
    ASSERT_TRUE(ParseSuccess(r, &data));
    ASSERT_TRUE(IsSortedStrings(data, &got)) << r.body;
    std::set<std::string> names(got.begin(), got.end());
    EXPECT_TRUE(names.count("http_requests_total")) << r.body;
    EXPECT_TRUE(names.count("http_request_duration_seconds_bucket")) << r.body;
  }
  {
    HttpResult r = Get(port_, "/api/v1/label/job/values",
                       {{"start", start},
                        {"end", end},
                        {"limit", "40000"},
                        {"match[]", "{__name__=\"http_requests_total\"}"}});
    Json data;
    ASSERT_TRUE(ParseSuccess(r, &data));
    ASSERT_TRUE(IsSortedStrings(data, &got)) << r.body;
    EXPECT_EQ(got, (std::vector<std::string>{"api", "web"})) << r.body;
  }
  {
    HttpResult r = Get(port_, "/api/v1/label/le/values",
                       {{"start", start},
                        {"end", end},
                        {"limit", "40000"},
                        {"match[]", "http_request_duration_seconds_bucket{job=\"api\"}"}});
    Json data;
    ASSERT_TRUE(ParseSuccess(r, &data));
    ASSERT_TRUE(IsSortedStrings(data, &got)) << r.body;
    EXPECT_EQ(got, (std::vector<std::string>{"+Inf", "0.1", "0.5"})) << r.body;
  }
  {
    HttpResult r = PostForm(port_, "/api/v1/labels",
                            {{"match[]", "http_requests_total"},
                             {"match[]", "{__name__=\"http_request_duration_seconds_bucket\"}"},
                             {"start", start},
                             {"end", end}});
    Json data;
    ASSERT_TRUE(ParseSuccess(r, &data));
    ASSERT_TRUE(IsSortedStrings(data, &got)) << r.body;
    EXPECT_EQ(got, (std::vector<std::string>{"__name__", "code", "instance", "job", "le"}))
        << r.body;
  }
  {
    HttpResult r =
        PostForm(port_, "/api/v1/labels",
                 {{"match[]", "http_requests_total{job=\"web\"}"}, {"start", start}, {"end", end}});
    Json data;
    ASSERT_TRUE(ParseSuccess(r, &data));
    ASSERT_TRUE(IsSortedStrings(data, &got)) << r.body;
    EXPECT_EQ(got, (std::vector<std::string>{"__name__", "code", "instance", "job"})) << r.body;
  }
  {
    HttpResult r = PostForm(port_, "/api/v1/series",
                            {{"match[]", "http_requests_total{job=\"api\"}"},
                             {"match[]", "http_request_duration_seconds_bucket"},
                             {"match[]", "http_requests_total{code=\"500\"}"},  // Overlaps.
                             {"start", start},
                             {"end", end}});
    Json data;
    ASSERT_TRUE(ParseSuccess(r, &data));
    ASSERT_TRUE(data.is_array()) << r.body;
    std::set<std::string> series;
    for (const Json& item : data.items) {
      LabelPairs ls;
      ASSERT_TRUE(IsLabelSet(item, &ls)) << r.body;
      EXPECT_TRUE(series.insert(LabelsText(ls)).second) << "duplicate " << LabelsText(ls);
    }
    std::set<std::string> want;
    for (const auto& s : Loaded()) {
      if (s.labels[0].second != "http_requests_total" || s.labels.back().second == "api") {
        want.insert(LabelsText(s.labels));
      }
    }
    EXPECT_EQ(series, want) << r.body;
  }
}

// Grafana's limit=40000 guards against huge answers: past the limit Prometheus truncates the
// sorted list and says so in "warnings".
TEST_F(GrafanaApiTest, AutocompleteLimitTruncatesWithWarning) {
  const std::string start = Secs(last_ms_ - kHourMs);
  const std::string end = Secs(last_ms_);
  struct Case {
    std::string path;
    LabelPairs params;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"/api/v1/label/job/values",
       {{"start", start},
        {"end", end},
        {"limit", "1"},
        {"match[]", "{__name__=\"http_requests_total\"}"}},
       {"api"}},
      {"/api/v1/labels",
       {{"start", start}, {"end", end}, {"limit", "2"}, {"match[]", "http_requests_total"}},
       {"__name__", "code"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    HttpResult r = Get(port_, c.path, c.params);
    Json data;
    ASSERT_TRUE(ParseSuccess(r, &data));
    std::vector<std::string> got;
    ASSERT_TRUE(IsSortedStrings(data, &got)) << r.body;
    EXPECT_EQ(got, c.want) << r.body;
    Json doc;
    std::string error;
    ASSERT_TRUE(JsonParser::Parse(r.body, &doc, &error)) << error;
    const Json* warnings = doc.Find("warnings");
    ASSERT_NE(warnings, nullptr)
        << "expected \"warnings\":[\"results truncated due to limit\"], got: " << r.body;
    ASSERT_TRUE(warnings->is_array() && warnings->items.size() == 1) << r.body;
    EXPECT_EQ(warnings->items[0].text, "results truncated due to limit") << r.body;
  }
  // At or under the limit: the whole list and no warning.
  HttpResult r =
      Get(port_, "/api/v1/label/job/values", {{"start", start}, {"end", end}, {"limit", "2"}});
  Json data;
  ASSERT_TRUE(ParseSuccess(r, &data));
  std::vector<std::string> got;
  ASSERT_TRUE(IsSortedStrings(data, &got)) << r.body;
  EXPECT_EQ(got, (std::vector<std::string>{"api", "web"})) << r.body;
  EXPECT_EQ(r.body.find("warnings"), std::string::npos) << r.body;
}

// The metrics browser's metadata: an object keyed by metric family, each a list of
// {type, help, unit}.
TEST_F(GrafanaApiTest, MetadataIsKeyedByFamily) {
  HttpResult r = Get(port_, "/api/v1/metadata", {{"limit", "40000"}});
  Json data;
  ASSERT_TRUE(ParseSuccess(r, &data));
  ASSERT_TRUE(data.is_object()) << r.body;
  for (size_t i = 0; i < data.keys.size(); ++i) {
    const Json& list = data.items[i];
    ASSERT_TRUE(list.is_array() && !list.items.empty()) << data.keys[i] << ": " << r.body;
    for (const Json& m : list.items) {
      ASSERT_TRUE(SameObjectKeys(m, {"type", "help", "unit"})) << data.keys[i] << ": " << r.body;
      for (const Json& v : m.items) EXPECT_TRUE(v.is_string()) << data.keys[i];
    }
  }
  auto expect_family = [&](const Json& d, const std::string& family, const std::string& type,
                           const std::string& help, const std::string& unit) {
    const Json* list = d.Find(family);
    ASSERT_NE(list, nullptr) << family << " missing: " << r.body;
    ASSERT_EQ(list->items.size(), 1u) << family;
    EXPECT_EQ(list->items[0].Find("type")->text, type);
    EXPECT_EQ(list->items[0].Find("help")->text, help);
    EXPECT_EQ(list->items[0].Find("unit")->text, unit);
  };
  expect_family(data, "http_requests_total", "counter", "Total number of HTTP requests.", "");
  expect_family(data, "http_request_duration_seconds", "histogram", "HTTP request latency.",
                "seconds");

  // One metric, as the query editor asks when hovering a name.
  HttpResult one = Get(port_, "/api/v1/metadata", {{"metric", "http_requests_total"}});
  Json one_data;
  ASSERT_TRUE(ParseSuccess(one, &one_data));
  ASSERT_TRUE(one_data.is_object()) << one.body;
  EXPECT_EQ(one_data.keys, std::vector<std::string>{"http_requests_total"}) << one.body;
  expect_family(one_data, "http_requests_total", "counter", "Total number of HTTP requests.", "");

  // limit caps the number of families.
  HttpResult lim = Get(port_, "/api/v1/metadata", {{"limit", "1"}});
  Json lim_data;
  ASSERT_TRUE(ParseSuccess(lim, &lim_data));
  ASSERT_TRUE(lim_data.is_object()) << lim.body;
  EXPECT_EQ(lim_data.keys.size(), 1u) << lim.body;
}

// Grafana's exemplar probe sends start and end in milliseconds; Prometheus reads them as
// (far-future) seconds and answers 200 with an array.
TEST_F(GrafanaApiTest, ExemplarProbeAcceptsMilliseconds) {
  for (const auto& [start, end] : std::vector<std::pair<std::string, std::string>>{
           {std::to_string(last_ms_ - kHourMs), std::to_string(last_ms_)},
           {"1700000000000", "1700000003600000"},
           {Secs(last_ms_ - kHourMs), Secs(last_ms_)}}) {
    HttpResult r = PostForm(port_, "/api/v1/query_exemplars",
                            {{"query", "http_requests_total"}, {"start", start}, {"end", end}});
    Json data;
    ASSERT_TRUE(ParseSuccess(r, &data)) << start;
    ASSERT_TRUE(data.is_array()) << r.body;
    for (const Json& item : data.items) {
      EXPECT_TRUE(SameObjectKeys(item, {"seriesLabels", "exemplars"})) << r.body;
    }
  }
}

// The query editor's "Format query" button.
TEST_F(GrafanaApiTest, FormatQueryPrettyPrints) {
  HttpResult r = PostForm(port_, "/api/v1/format_query",
                          {{"query", "sum(rate(http_requests_total[5m]))by(job)"}});
  Json data;
  ASSERT_TRUE(ParseSuccess(r, &data));
  ASSERT_TRUE(data.is_string()) << r.body;
  EXPECT_EQ(data.text, "sum by (job) (rate(http_requests_total[5m]))");
}

// The alerting and recording-rules views.
TEST_F(GrafanaApiTest, RulesAndAlertsAreEmpty) {
  HttpResult rules = Get(port_, "/api/v1/rules", {});
  Json data;
  ASSERT_TRUE(ParseSuccess(rules, &data));
  ASSERT_TRUE(SameObjectKeys(data, {"groups"})) << rules.body;
  EXPECT_TRUE(data.Find("groups")->is_array() && data.Find("groups")->items.empty()) << rules.body;

  HttpResult alerts = Get(port_, "/api/v1/alerts", {});
  ASSERT_TRUE(ParseSuccess(alerts, &data));
  ASSERT_TRUE(SameObjectKeys(data, {"alerts"})) << alerts.body;
  EXPECT_TRUE(data.Find("alerts")->is_array() && data.Find("alerts")->items.empty()) << alerts.body;
}

// Errors Grafana shows to users verbatim: status code, errorType and message as Prometheus
// (web/api/v1/api.go and promql/parser) words them.
TEST_F(GrafanaApiTest, BadRequestsGetPrometheusErrors) {
  const std::string s = Secs(first_ms_);
  const std::string e = Secs(last_ms_);
  struct Case {
    std::string name;
    std::string path;
    LabelPairs form;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"malformed instant query",
       "/api/v1/query",
       {{"query", "sum(rate(http_requests_total[5m])"}, {"time", e}},
       "invalid parameter \"query\": 1:34: parse error: unclosed left parenthesis"},
      {"malformed range query",
       "/api/v1/query_range",
       {{"query", "sum(rate(http_requests_total[5m])))"}, {"start", s}, {"end", e}, {"step", "60"}},
       "invalid parameter \"query\": 1:36: parse error: unexpected right parenthesis ')'"},
      {"malformed matcher",
       "/api/v1/query",
       {{"query", "http_requests_total{job=}"}, {"time", e}},
       "invalid parameter \"query\": 1:25: parse error: unexpected \"}\" in label matching, "
       "expected string"},
      {"zero step",
       "/api/v1/query_range",
       {{"query", "http_requests_total"}, {"start", s}, {"end", e}, {"step", "0"}},
       "invalid parameter \"step\": zero or negative query resolution step widths are not "
       "accepted. Try a positive integer"},
      {"negative step",
       "/api/v1/query_range",
       {{"query", "http_requests_total"}, {"start", s}, {"end", e}, {"step", "-15"}},
       "invalid parameter \"step\": zero or negative query resolution step widths are not "
       "accepted. Try a positive integer"},
      {"start after end",
       "/api/v1/query_range",
       {{"query", "http_requests_total"}, {"start", e}, {"end", s}, {"step", "60"}},
       "invalid parameter \"end\": end timestamp must not be before start time"},
      {"11,001 points",
       "/api/v1/query_range",
       {{"query", "http_requests_total"},
        {"start", s},
        {"end", Secs(first_ms_ + 11'001'000)},
        {"step", "1"}},
       "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query "
       "resolution (?step=XX)"},
      {"negative timeout",
       "/api/v1/query_range",
       {{"query", "http_requests_total"},
        {"start", s},
        {"end", e},
        {"step", "60"},
        {"timeout", "-5s"}},
       "invalid parameter \"timeout\": cannot parse \"-5s\" to a valid duration"},
      {"garbage timeout (range)",
       "/api/v1/query_range",
       {{"query", "http_requests_total"},
        {"start", s},
        {"end", e},
        {"step", "60"},
        {"timeout", "abc"}},
       "invalid parameter \"timeout\": cannot parse \"abc\" to a valid duration"},
      {"garbage timeout (instant)",
       "/api/v1/query",
       {{"query", "http_requests_total"}, {"time", e}, {"timeout", "abc"}},
       "invalid parameter \"timeout\": cannot parse \"abc\" to a valid duration"},
      {"bad max_source_resolution (instant)",
       "/api/v1/query",
       {{"query", "http_requests_total"}, {"time", e}, {"max_source_resolution", "fast"}},
       "invalid parameter \"max_source_resolution\": \"fast\" is not a resolution: use raw "
       "(or 0s), 5m, 1h or auto"},
      {"bad max_source_resolution (range)",
       "/api/v1/query_range",
       {{"query", "http_requests_total"},
        {"start", s},
        {"end", e},
        {"step", "60"},
        {"max_source_resolution", "-1h"}},
       "invalid parameter \"max_source_resolution\": \"-1h\" is not a resolution: use raw "
       "(or 0s), 5m, 1h or auto"},
      {"garbage step",
       "/api/v1/query_range",
       {{"query", "http_requests_total"}, {"start", s}, {"end", e}, {"step", "abc"}},
       "invalid parameter \"step\": cannot parse \"abc\" to a valid duration"},
      {"garbage start",
       "/api/v1/query_range",
       {{"query", "http_requests_total"}, {"start", "yesterday"}, {"end", e}, {"step", "60"}},
       "invalid parameter \"start\": cannot parse \"yesterday\" to a valid timestamp"},
      {"unknown function",
       "/api/v1/query",
       {{"query", "foo(http_requests_total)"}, {"time", e}},
       "invalid parameter \"query\": 1:1: parse error: unknown function with name \"foo\""},
      {"unknown function (range)",
       "/api/v1/query_range",
       {{"query", "foo(http_requests_total)"}, {"start", s}, {"end", e}, {"step", "60"}},
       "invalid parameter \"query\": 1:1: parse error: unknown function with name \"foo\""},
      {"wrong argument type",
       "/api/v1/query",
       {{"query", "rate(http_requests_total)"}, {"time", e}},
       "invalid parameter \"query\": 1:6: parse error: expected type range vector in call to "
       "function \"rate\", got instant vector"},
      {"series without match[]",
       "/api/v1/series",
       {{"start", s}, {"end", e}},
       "no match[] parameter provided"},
      {"exemplars with start after end",
       "/api/v1/query_exemplars",
       {{"query", "http_requests_total"}, {"start", e}, {"end", s}},
       "end timestamp must not be before start timestamp"},
      // Prometheus prefixes query errors with `invalid parameter "query": ` on /query,
      // /query_range and /format_query, but not on /query_exemplars.
      {"malformed exemplar query",
       "/api/v1/query_exemplars",
       {{"query", "sum(rate(http_requests_total[5m])"}, {"start", s}, {"end", e}},
       "1:34: parse error: unclosed left parenthesis"},
      {"malformed query to format",
       "/api/v1/format_query",
       {{"query", "sum(rate(http_requests_total[5m])"}},
       "invalid parameter \"query\": 1:34: parse error: unclosed left parenthesis"},
      {"series with a bad match[]",
       "/api/v1/series",
       {{"match[]", "http_requests_total{"}, {"start", s}, {"end", e}},
       "invalid parameter \"match[]\": 1:21: parse error: unexpected end of input inside braces"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_TRUE(IsError(PostForm(port_, c.path, c.form), 400, "bad_data", c.message));
  }

  // The boundary: exactly 11,000 steps is allowed.
  HttpResult ok = PostForm(port_, "/api/v1/query_range",
                           {{"query", "sum(http_requests_total)"},
                            {"start", s},
                            {"end", Secs(first_ms_ + 11'000'000)},
                            {"step", "1"}});
  Json data;
  ASSERT_TRUE(ParseSuccess(ok, &data));
  std::vector<Series> got;
  EXPECT_TRUE(IsMatrix(data, first_ms_, first_ms_ + 11'000'000, 1000, &got));
}

}  // namespace
}  // namespace strata
