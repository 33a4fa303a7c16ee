#include "ingest/otlp_translator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <random>

#include "model/labels.h"
#include "testutil/otlp.h"

namespace strata::ingest {
namespace {

namespace otlp = testutil::otlp;
using otlp::kT0Ms;
using otlp::kT0Ns;

// A translated batch, as "{labels} -> t=v" lines sorted, plus the rejections.
struct Translated {
  std::map<std::string, std::vector<model::Sample>> series;
  OtlpTranslation counts;
  IngestBatch batch;
  StringArena arena;
  Status status;
};

std::unique_ptr<Translated> Translate(const otlp::Request& req, OtlpTranslateOptions options = {}) {
  auto t = std::make_unique<Translated>();
  std::string bytes = req.SerializeAsString();
  t->status = TranslateOtlpMetrics(bytes, options, &t->arena, &t->batch, &t->counts);
  for (const auto& s : t->batch.series) {
    std::string key = "{";
    for (const auto& l : t->batch.LabelsOf(s)) {
      if (key.size() > 1) key += ", ";
      key += std::string(l.name) + "=\"" + std::string(l.value) + "\"";
    }
    key += "}";
    for (const auto& smp : t->batch.SamplesOf(s)) t->series[key].push_back(smp);
  }
  return t;
}

TEST(OtlpNameTest, MetricNamesFollowThePrometheus3Rules) {
  using K = OtlpMetricKind;
  struct Case {
    std::string name, unit;
    K kind;
    std::string want;
  } cases[] = {
      {"http.server.duration", "s", K::kHistogram, "http_server_duration_seconds"},
      {"http.server.request.duration", "ms", K::kHistogram,
       "http_server_request_duration_milliseconds"},
      {"requests", "1", K::kCounter, "requests_total"},
      {"requests.total", "", K::kCounter, "requests_total"},
      {"total.requests", "", K::kCounter, "requests_total"},
      {"memory.usage", "By", K::kGauge, "memory_usage_bytes"},
      {"cpu.utilization", "1", K::kGauge, "cpu_utilization_ratio"},
      {"ratio.of.things", "1", K::kGauge, "of_things_ratio"},
      {"system.network.io", "By/s", K::kGauge, "system_network_io_bytes_per_second"},
      {"throughput", "{packets}/s", K::kGauge, "throughput_per_second"},
      {"active", "{request}", K::kNonMonotonicSum, "active"},
      {"node_cpu_seconds_total", "s", K::kCounter, "node_cpu_seconds_total"},
      {"foo__bar...baz", "", K::kGauge, "foo_bar_baz"},
      {"2xx.count", "", K::kCounter, "_2xx_count_total"},
      {"temp", "Cel", K::kGauge, "temp_celsius"},
      {"odd", "km/h", K::kGauge, "odd_km_per_hour"},
      {"weird", "my unit", K::kGauge, "weird_my_unit"},
      {"a:b", "", K::kGauge, "a:b"},
      {"...", "", K::kGauge, ""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(OtlpMetricName(c.name, c.unit, c.kind), c.want) << c.name << " [" << c.unit << "]";
  }
  EXPECT_EQ(OtlpUnitName("By/s"), "bytes_per_second");
  EXPECT_EQ(OtlpUnitName("1"), "");
  EXPECT_EQ(OtlpUnitName("{request}"), "");
  EXPECT_EQ(OtlpUnitName("ms"), "milliseconds");
}

TEST(OtlpNameTest, LabelNamesAreSanitized) {
  EXPECT_EQ(OtlpLabelName("http.method"), "http_method");
  EXPECT_EQ(OtlpLabelName("http..method"), "http_method");
  EXPECT_EQ(OtlpLabelName("123abc"), "key_123abc");
  EXPECT_EQ(OtlpLabelName("__reserved__"), "__reserved__");
  EXPECT_EQ(OtlpLabelName("_private"), "_private");
  EXPECT_EQ(OtlpLabelName("größe"), "gr_e");
  EXPECT_EQ(OtlpLabelName("___"), "");
  EXPECT_EQ(OtlpLabelName(""), "");
  EXPECT_EQ(OtlpLabelName("ok_name"), "ok_name");
}

TEST(OtlpTranslateTest, GaugesSumsAndResourceLabels) {
  otlp::Request req;
  auto* sm = otlp::AddResource(&req, {{"service.name", "api"},
                                      {"service.namespace", "shop"},
                                      {"service.instance.id", "pod-1"},
                                      {"host.name", "node-7"},
                                      {"deployment.environment", "prod"}});
  otlp::AddGaugePoint(otlp::AddMetric(sm, "queue.length", "{item}", "Items waiting."), kT0Ns, 7,
                      {{"queue", "a"}});
  auto* c = otlp::AddMetric(sm, "http.requests", "1", "Requests served.");
  otlp::AddSumPoint(c, kT0Ns + 1500000, 12, true, {{"http.method", "GET"}});
  otlp::AddSumPoint(otlp::AddMetric(sm, "active.requests"), kT0Ns, 3, false);
  auto* i = otlp::AddMetric(sm, "int.gauge");
  i->mutable_gauge()->add_data_points()->set_time_unix_nano(kT0Ns);
  i->mutable_gauge()->mutable_data_points(0)->set_as_int(-42);
  auto t = Translate(req);
  ASSERT_TRUE(t->status.ok()) << t->status.ToString();
  EXPECT_EQ(t->counts.points, 4u);
  EXPECT_EQ(t->counts.rejected_points, 0u);
  const std::string id = "instance=\"pod-1\", job=\"shop/api\"";
  std::map<std::string, std::vector<model::Sample>> want = {
      {"{__name__=\"queue_length\", " + id + ", queue=\"a\"}", {{kT0Ms, 7}}},
      {"{__name__=\"http_requests_total\", http_method=\"GET\", " + id + "}", {{kT0Ms + 1, 12}}},
      {"{__name__=\"active_requests\", " + id + "}", {{kT0Ms, 3}}},
      {"{__name__=\"int_gauge\", " + id + "}", {{kT0Ms, -42}}},
      {"{__name__=\"target_info\", deployment_environment=\"prod\", host_name=\"node-7\", " + id +
           "}",
       {{kT0Ms + 1, 1}}},
  };
  ASSERT_EQ(t->series.size(), want.size());
  for (const auto& [k, v] : want) {
    ASSERT_TRUE(t->series.count(k)) << k;
    ASSERT_EQ(t->series[k].size(), v.size()) << k;
    EXPECT_EQ(t->series[k][0].timestamp_ms, v[0].timestamp_ms) << k;
    EXPECT_EQ(t->series[k][0].value, v[0].value) << k;
  }
  std::map<std::string, std::string> types;
  for (const auto& m : t->batch.metadata) types[std::string(m.family)] = std::string(m.type);
  EXPECT_EQ(types["http_requests_total"], "counter");
  EXPECT_EQ(types["queue_length"], "gauge");
  EXPECT_EQ(types["active_requests"], "gauge");
  EXPECT_EQ(types["target_info"], "gauge");
}

TEST(OtlpTranslateTest, NoTargetInfoWithoutOtherAttributesOrIdentity) {
  otlp::Request req;
  auto* a = otlp::AddResource(&req, {{"service.name", "only"}});
  otlp::AddGaugePoint(otlp::AddMetric(a, "g"), kT0Ns, 1);
  auto* b = otlp::AddResource(&req, {{"host.name", "x"}});  // No job or instance.
  otlp::AddGaugePoint(otlp::AddMetric(b, "h"), kT0Ns, 1);
  auto t = Translate(req);
  ASSERT_TRUE(t->status.ok());
  EXPECT_EQ(t->series.size(), 2u);
  EXPECT_TRUE(t->series.count("{__name__=\"g\", job=\"only\"}"));
  EXPECT_TRUE(t->series.count("{__name__=\"h\"}"));
}

TEST(OtlpTranslateTest, CollidingAttributesAreJoinedAndPromotionWorks) {
  otlp::Request req;
  auto* sm = otlp::AddResource(&req, {{"service.name", "svc"}, {"k8s.pod.name", "p-1"}});
  otlp::AddGaugePoint(otlp::AddMetric(sm, "g"), kT0Ns, 1,
                      {{"a.b", "2"}, {"a_b", "1"}, {"job", "overridden"}, {"le", "x"}});
  OtlpTranslateOptions options;
  options.promote_resource_attributes = {"k8s.pod.name"};
  auto t = Translate(req, options);
  ASSERT_TRUE(t->status.ok());
  // Keys sorted ("a.b" < "a_b"), values joined with ";"; job comes from service.name.
  EXPECT_TRUE(
      t->series.count("{__name__=\"g\", a_b=\"2;1\", job=\"svc\", k8s_pod_name=\"p-1\", le=\"x\"}"))
      << t->series.begin()->first;
}

TEST(OtlpTranslateTest, HistogramsAndSummaries) {
  otlp::Request req;
  auto* sm = otlp::AddResource(&req, {{"service.name", "svc"}});
  auto* h = otlp::AddMetric(sm, "rpc.duration", "ms");
  otlp::AddHistogramPoint(h, kT0Ns, {5, 10, 0.25}, {1, 2, 3, 4}, 55.5);
  // Bounds must increase: that point is rejected.
  auto* h2 = otlp::AddMetric(sm, "latency", "s");
  otlp::AddHistogramPoint(h2, kT0Ns, {0.005, 0.1}, {1, 2, 3}, 1.25, {{"route", "/"}});
  auto* s = otlp::AddMetric(sm, "gc.pause", "s");
  auto* sp = s->mutable_summary()->add_data_points();
  sp->set_time_unix_nano(kT0Ns);
  sp->set_count(10);
  sp->set_sum(2.5);
  auto* q = sp->add_quantile_values();
  q->set_quantile(0.5);
  q->set_value(0.2);
  q = sp->add_quantile_values();
  q->set_quantile(0.99);
  q->set_value(0.9);
  auto t = Translate(req);
  ASSERT_TRUE(t->status.ok()) << t->status.ToString();
  EXPECT_EQ(t->counts.points, 3u);
  EXPECT_EQ(t->counts.rejected_points, 1u);
  EXPECT_EQ(t->batch.rejected[static_cast<size_t>(RejectReason::kInvalidHistogram)], 1u);
  auto v = [&](const std::string& k) {
    EXPECT_TRUE(t->series.count(k)) << k;
    return t->series.count(k) ? t->series[k][0].value : -1;
  };
  const std::string l = "job=\"svc\", le=";
  EXPECT_EQ(v("{__name__=\"latency_seconds_bucket\", " + l + "\"0.005\", route=\"/\"}"), 1);
  EXPECT_EQ(v("{__name__=\"latency_seconds_bucket\", " + l + "\"0.1\", route=\"/\"}"), 3);
  EXPECT_EQ(v("{__name__=\"latency_seconds_bucket\", " + l + "\"+Inf\", route=\"/\"}"), 6);
  EXPECT_EQ(v("{__name__=\"latency_seconds_sum\", job=\"svc\", route=\"/\"}"), 1.25);
  EXPECT_EQ(v("{__name__=\"latency_seconds_count\", job=\"svc\", route=\"/\"}"), 6);
  EXPECT_EQ(v("{__name__=\"gc_pause_seconds\", job=\"svc\", quantile=\"0.5\"}"), 0.2);
  EXPECT_EQ(v("{__name__=\"gc_pause_seconds\", job=\"svc\", quantile=\"0.99\"}"), 0.9);
  EXPECT_EQ(v("{__name__=\"gc_pause_seconds_sum\", job=\"svc\"}"), 2.5);
  EXPECT_EQ(v("{__name__=\"gc_pause_seconds_count\", job=\"svc\"}"), 10);
  EXPECT_EQ(t->series.size(), 9u);
}

// Bounds print as Go's strconv.FormatFloat(b, 'f', -1, 64) does, as Prometheus' OTLP
// translator writes them: the shortest digits, padded with zeros (not the exact binary value
// of a large bound), never an exponent.
TEST(OtlpTranslateTest, BucketBoundsPrintAsGoDoes) {
  otlp::Request req;
  auto* sm = otlp::AddResource(&req, {{"service.name", "svc"}});
  auto* h = otlp::AddMetric(sm, "size", "By");
  otlp::AddHistogramPoint(h, kT0Ns, {1e-7, 1e23}, {1, 1, 1}, 5);
  auto t = Translate(req);
  ASSERT_TRUE(t->status.ok()) << t->status.ToString();
  for (const char* le : {"0.0000001", "100000000000000000000000", "+Inf"}) {
    const std::string k =
        std::string("{__name__=\"size_bytes_bucket\", job=\"svc\", le=\"") + le + "\"}";
    EXPECT_TRUE(t->series.count(k)) << k;
  }
}

TEST(OtlpTranslateTest, PerPointRejectionsWithReasons) {
  namespace pm = otlp::pb_metrics;
  otlp::Request req;
  auto* sm = otlp::AddResource(&req, {{"service.name", "svc"}});
  otlp::AddGaugePoint(otlp::AddMetric(sm, "kept"), kT0Ns, 1);
  otlp::AddGaugePoint(otlp::AddMetric(sm, ""), kT0Ns, 1);          // empty name
  otlp::AddGaugePoint(otlp::AddMetric(sm, "zero_time"), 0, 1);     // no timestamp
  otlp::AddGaugePoint(otlp::AddMetric(sm, "far"), UINT64_MAX, 1);  // out of range
  otlp::AddSumPoint(otlp::AddMetric(sm, "delta"), kT0Ns, 1, true, {},
                    pm::AGGREGATION_TEMPORALITY_DELTA);
  otlp::AddSumPoint(otlp::AddMetric(sm, "unspec"), kT0Ns, 1, true, {},
                    pm::AGGREGATION_TEMPORALITY_UNSPECIFIED);
  otlp::AddSumPoint(otlp::AddMetric(sm, "weird"), kT0Ns, 1, true, {},
                    static_cast<pm::AggregationTemporality>(7));
  otlp::AddHistogramPoint(otlp::AddMetric(sm, "mismatch"), kT0Ns, {1, 2}, {1, 2}, 3);
  auto* e = otlp::AddMetric(sm, "exp");
  e->mutable_exponential_histogram()->set_aggregation_temporality(
      pm::AGGREGATION_TEMPORALITY_CUMULATIVE);
  e->mutable_exponential_histogram()->add_data_points()->set_time_unix_nano(kT0Ns);
  otlp::AddGaugePoint(otlp::AddMetric(sm, "bad_key"), kT0Ns, 1,
                      {{std::string("\xff\xfe", 2), "v"}});
  otlp::AddGaugePoint(otlp::AddMetric(sm, std::string("bad\xc3", 4)), kT0Ns, 1);
  auto t = Translate(req);
  ASSERT_TRUE(t->status.ok()) << t->status.ToString();
  EXPECT_EQ(t->counts.points, 11u);
  EXPECT_EQ(t->counts.rejected_points, 10u);
  auto n = [&](RejectReason r) { return t->batch.rejected[static_cast<size_t>(r)]; };
  EXPECT_EQ(n(RejectReason::kInvalidMetric), 2u);
  EXPECT_EQ(n(RejectReason::kInvalidTimestamp), 2u);
  EXPECT_EQ(n(RejectReason::kDeltaTemporality), 1u);
  EXPECT_EQ(n(RejectReason::kInvalidTemporality), 2u);
  EXPECT_EQ(n(RejectReason::kInvalidHistogram), 1u);
  EXPECT_EQ(n(RejectReason::kExponentialHistogram), 1u);
  EXPECT_EQ(n(RejectReason::kInvalidLabels), 1u);
  EXPECT_EQ(t->series.size(), 1u);
  EXPECT_TRUE(t->series.count("{__name__=\"kept\", job=\"svc\"}"));
  std::string all;
  for (const auto& p : t->batch.problems) all += p + "\n";
  for (const char* fragment :
       {"empty metric name", "without a timestamp", "out of range", "delta temporality",
        "invalid aggregation temporality 0", "invalid aggregation temporality 7",
        "bucket counts do not match", "exponential histograms"}) {
    EXPECT_NE(all.find(fragment), std::string::npos) << fragment << "\n" << all;
  }
}

TEST(OtlpTranslateTest, NoRecordedValueBecomesStaleMarkers) {
  otlp::Request req;
  auto* sm = otlp::AddResource(&req, {});
  auto* p = otlp::AddGaugePoint(otlp::AddMetric(sm, "gone"), kT0Ns, 5);
  p->set_flags(1);
  auto* hp = otlp::AddHistogramPoint(otlp::AddMetric(sm, "h"), kT0Ns, {1}, {1, 1}, 2);
  hp->set_flags(1);
  auto t = Translate(req);
  ASSERT_TRUE(t->status.ok());
  ASSERT_EQ(t->series.size(), 5u);
  for (const auto& [k, v] : t->series) EXPECT_TRUE(model::IsStaleNaN(v[0].value)) << k;
}

TEST(OtlpTranslateTest, NonStringAttributesAreFormatted) {
  otlp::Request req;
  auto* sm = otlp::AddResource(&req, {});
  auto* p = otlp::AddGaugePoint(otlp::AddMetric(sm, "g"), kT0Ns, 1);
  auto add = [&](const std::string& k) {
    auto* kv = p->add_attributes();
    kv->set_key(k);
    return kv->mutable_value();
  };
  add("b")->set_bool_value(true);
  add("i")->set_int_value(-7);
  add("d")->set_double_value(0.25);
  add("y")->set_bytes_value("hi!");
  auto* arr = add("arr")->mutable_array_value();
  arr->add_values()->set_string_value("x");
  arr->add_values()->set_int_value(2);
  auto* kvl = add("m")->mutable_kvlist_value();
  auto* e1 = kvl->add_values();
  e1->set_key("z");
  e1->mutable_value()->set_bool_value(false);
  auto* e2 = kvl->add_values();
  e2->set_key("a");
  e2->mutable_value()->set_string_value("q");
  auto t = Translate(req);
  ASSERT_TRUE(t->status.ok()) << t->status.ToString();
  ASSERT_EQ(t->series.size(), 1u);
  EXPECT_EQ(t->series.begin()->first,
            "{__name__=\"g\", arr=\"[\"x\",2]\", b=\"true\", d=\"0.25\", i=\"-7\", "
            "m=\"{\"a\":\"q\",\"z\":false}\", y=\"aGkh\"}");
}

// Double attributes print as pdata's AsString does (Prometheus' translator uses it): Go's 'f'
// form from 1e-6 up to 1e21, the 'e' form outside with "e-7" unpadded, and its message for
// values JSON cannot hold.
TEST(OtlpTranslateTest, DoubleAttributesPrintAsPdataDoes) {
  const std::vector<std::pair<double, std::string>> cases = {
      {0.25, "0.25"},
      {-0.0000015, "-0.0000015"},
      {1e-7, "1e-7"},
      {-2.5e-300, "-2.5e-300"},
      {123456789012345680000.0, "123456789012345680000"},
      {1e21, "1e+21"},
      {std::nan(""), "json: unsupported value: NaN"},
      {-std::numeric_limits<double>::infinity(), "json: unsupported value: -Inf"}};
  for (const auto& [value, want] : cases) {
    otlp::Request req;
    auto* sm = otlp::AddResource(&req, {});
    auto* p = otlp::AddGaugePoint(otlp::AddMetric(sm, "g"), kT0Ns, 1);
    auto* kv = p->add_attributes();
    kv->set_key("d");
    kv->mutable_value()->set_double_value(value);
    auto* arr = p->add_attributes();
    arr->set_key("a");
    arr->mutable_value()->mutable_array_value()->add_values()->set_double_value(1e-7);
    auto t = Translate(req);
    ASSERT_TRUE(t->status.ok()) << t->status.ToString();
    ASSERT_EQ(t->series.size(), 1u);
    EXPECT_EQ(t->series.begin()->first, "{__name__=\"g\", a=\"[1e-7]\", d=\"" + want + "\"}")
        << value;
  }
}

TEST(OtlpTranslateTest, MalformedProtobufIsRejectedWholeAndNeverCrashes) {
  otlp::Request req;
  auto* sm = otlp::AddResource(&req, {{"service.name", "svc"}, {"host.name", "h"}});
  otlp::AddHistogramPoint(otlp::AddMetric(sm, "h", "s"), kT0Ns, {1, 2}, {1, 2, 3}, 4, {{"a", "b"}});
  otlp::AddSumPoint(otlp::AddMetric(sm, "c"), kT0Ns, 1, true, {{"x", "y"}});
  std::string bytes = req.SerializeAsString();
  // Every truncation either decodes (at a field boundary) or is InvalidArgument.
  for (size_t n = 0; n < bytes.size(); ++n) {
    StringArena arena;
    IngestBatch batch;
    OtlpTranslation counts;
    Status s =
        TranslateOtlpMetrics(std::string_view(bytes).substr(0, n), {}, &arena, &batch, &counts);
    if (!s.ok()) {
      EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
    }
  }
  // The cut inside the first (outer) message is always an error.
  StringArena arena;
  IngestBatch batch;
  OtlpTranslation counts;
  Status cut = TranslateOtlpMetrics(std::string_view(bytes).substr(0, bytes.size() - 1), {}, &arena,
                                    &batch, &counts);
  EXPECT_TRUE(cut.IsInvalidArgument());
  EXPECT_NE(cut.message().find("malformed protobuf"), std::string::npos) << cut.message();
  // Random byte flips (seeded; the seed is printed on failure) never crash.
  uint32_t seed = std::random_device{}();
  std::mt19937 rng(seed);
  for (int i = 0; i < 3000; ++i) {
    std::string flipped = bytes;
    for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k) {
      flipped[rng() % flipped.size()] = static_cast<char>(rng());
    }
    StringArena a;
    IngestBatch b;
    OtlpTranslation c;
    Status s = TranslateOtlpMetrics(flipped, {}, &a, &b, &c);
    if (!s.ok()) {
      ASSERT_TRUE(s.IsInvalidArgument()) << "seed " << seed << ": " << s.ToString();
    }
  }
  // A data point field with the wrong wire type.
  std::string wrong;
  {
    // resource_metrics { scope_metrics { metrics { gauge { data_points { time_unix_nano: varint
    // }}}}}
    std::string point = "\x18\x05";  // field 3 as a varint (must be fixed64)
    std::string gauge = "\x0a" + std::string(1, static_cast<char>(point.size())) + point;
    std::string metric = "\x0a\x01m\x2a" + std::string(1, static_cast<char>(gauge.size())) + gauge;
    std::string scope = "\x12" + std::string(1, static_cast<char>(metric.size())) + metric;
    std::string rm = "\x12" + std::string(1, static_cast<char>(scope.size())) + scope;
    wrong = "\x0a" + std::string(1, static_cast<char>(rm.size())) + rm;
  }
  IngestBatch wb;
  StringArena wa;
  Status ws = TranslateOtlpMetrics(wrong, {}, &wa, &wb, &counts);
  EXPECT_TRUE(ws.IsInvalidArgument());
  EXPECT_NE(ws.message().find("time_unix_nano"), std::string::npos) << ws.message();
}

TEST(StringArenaTest, ViewsStayValidAcrossBlocks) {
  StringArena arena;
  std::vector<std::string_view> views;
  for (int i = 0; i < 20000; ++i) views.push_back(arena.Store("value-" + std::to_string(i)));
  views.push_back(arena.Store(std::string(200000, 'x')));
  for (int i = 0; i < 20000; ++i) ASSERT_EQ(views[i], "value-" + std::to_string(i));
  EXPECT_EQ(views.back().size(), 200000u);
  arena.Reset();
  EXPECT_EQ(arena.Store("again"), "again");
}

}  // namespace
}  // namespace strata::ingest
