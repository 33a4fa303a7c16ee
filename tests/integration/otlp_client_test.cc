// OTLP with a real client: the OpenTelemetry JS SDK and its OTLP metric exporters
// (tools/otel-client, pinned, installed by `make deps`) export counters, up-down counters,
// histograms and gauges to the real `strata` binary over OTLP/HTTP protobuf, OTLP/HTTP JSON and
// OTLP/gRPC, with and without gzip; PromQL then returns the expected series. A crash test
// SIGKILLs the server while the SDK exports and finds every acknowledged point after restart.
// Without node or the packages these tests fail (saying to run `make deps`), unless
// STRATA_ALLOW_SKIP=1.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>

#include "testutil/http_client.h"
#include "testutil/process.h"
#include "testutil/prometheus.h"

namespace strata {
namespace {

using testutil::HttpGet;
using testutil::Json;
using testutil::JsonParser;

// node and tools/otel-client/export.mjs with its packages, or why not.
struct OtelClient {
  std::string node;
  std::string script;
  std::string problem;
};

OtelClient FindOtelClient() {
  OtelClient c;
  const std::string dir = STRATA_OTEL_CLIENT_DIR;
  c.script = dir + "/export.mjs";
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/usr/local/bin");
  std::string d;
  while (std::getline(dirs, d, ':')) {
    if (!d.empty() && ::access((d + "/node").c_str(), X_OK) == 0) {
      c.node = d + "/node";
      break;
    }
  }
  if (c.node.empty()) {
    c.problem = "node is not installed";
  } else if (!std::filesystem::exists(dir + "/node_modules/@opentelemetry/sdk-metrics") ||
             !std::filesystem::exists(dir +
                                      "/node_modules/@opentelemetry/exporter-metrics-otlp-grpc")) {
    c.problem = "the OpenTelemetry JS packages are not installed in " + dir + "/node_modules";
  }
  return c;
}

// Fails the test (or skips it with STRATA_ALLOW_SKIP=1) when the client is missing.
#define REQUIRE_OTEL_CLIENT(client)                                                    \
  OtelClient client = FindOtelClient();                                                \
  if (!client.problem.empty()) {                                                       \
    const char* allow = std::getenv("STRATA_ALLOW_SKIP");                              \
    if (allow != nullptr && std::string(allow) == "1") GTEST_SKIP() << client.problem; \
    FAIL() << client.problem                                                           \
           << ": run `make deps` (tools/install-deps.sh installs node and "            \
              "runs npm ci in tools/otel-client)";                                     \
  }

uint16_t GrpcPort(const testutil::StrataServer& server) {
  std::smatch m;
  std::string log = server.Log();
  static const std::regex re(R"(OTLP/gRPC listening.*grpc_port=(\d+))");
  return std::regex_search(log, m, re) ? static_cast<uint16_t>(std::stoi(m[1])) : 0;
}

// Runs the exporter to completion (bounded); returns its exit code, output in *out.
int RunClient(const OtelClient& c, const std::string& log, std::vector<std::string> args,
              std::string* out) {
  testutil::ChildProcess p;
  std::vector<std::string> argv = {c.node, c.script};
  argv.insert(argv.end(), args.begin(), args.end());
  if (!p.Start(argv, log)) return -1;
  int code = -1;
  testutil::WaitFor([&] { return p.Exited(&code); }, std::chrono::seconds(120));
  if (p.running()) p.Kill();
  *out = p.Log();
  return code;
}

// One instant query; the result vector as (labels as text) -> value.
std::map<std::string, double> Query(uint16_t port, const std::string& promql) {
  std::map<std::string, double> out;
  auto r = HttpGet(port, "/api/v1/query?query=" + testutil::UrlEncode(promql));
  Json doc;
  std::string error;
  if (r.status != 200 || !JsonParser::Parse(r.body, &doc, &error)) {
    ADD_FAILURE() << promql << ": " << r.status << " " << r.body << error;
    return out;
  }
  const Json* result = doc.Find("data")->Find("result");
  for (const Json& s : result->items) {
    std::string key = "{";
    const Json* metric = s.Find("metric");
    for (size_t i = 0; i < metric->keys.size(); ++i) {
      if (i > 0) key += ", ";
      key += metric->keys[i] + "=\"" + metric->items[i].text + "\"";
    }
    key += "}";
    out[key] = std::stod(s.Find("value")->items[1].text);
  }
  return out;
}

// Prometheus' JSON lists labels sorted by name, so these keys are exact.
std::string Key(const std::vector<std::pair<std::string, std::string>>& labels) {
  std::string key = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) key += ", ";
    key += labels[i].first + "=\"" + labels[i].second + "\"";
  }
  return key + "}";
}

TEST(OtlpClientTest, SdkExportsOverEveryTransportAreQueryable) {
  REQUIRE_OTEL_CLIENT(client);
  testutil::TempDir tmp;
  testutil::StrataServer server;
  ASSERT_TRUE(server.Start(tmp.path() + "/data", {"--otlp.grpc-listen", "127.0.0.1:0"}))
      << server.Log();
  const uint16_t port = server.port();
  const uint16_t grpc_port = GrpcPort(server);
  ASSERT_NE(grpc_port, 0) << server.Log();

  constexpr int kRounds = 4;
  struct Case {
    std::string transport;
    bool gzip;
  };
  for (const Case& c : {Case{"proto", false}, Case{"proto", true}, Case{"json", false},
                        Case{"json", true}, Case{"grpc", false}, Case{"grpc", true}}) {
    const std::string prefix = c.transport + (c.gzip ? "_gz" : "_plain");
    const std::string instance = "inst-" + prefix;
    const std::string endpoint = c.transport == "grpc"
                                     ? "http://127.0.0.1:" + std::to_string(grpc_port)
                                     : "http://127.0.0.1:" + std::to_string(port);
    std::vector<std::string> args = {
        "--transport",           c.transport, "--endpoint", endpoint,     "--rounds",
        std::to_string(kRounds), "--prefix",  prefix,       "--instance", instance};
    if (c.gzip) args.push_back("--gzip");
    std::string out;
    int code = RunClient(client, tmp.path() + "/" + prefix + ".log", args, &out);
    ASSERT_EQ(code, 0) << prefix << ":\n" << out << "\nserver:\n" << testutil::Tail(server.Log());
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), kRounds) << out;

    const std::pair<std::string, std::string> job = {"job", "strata-test/shop"};
    const std::pair<std::string, std::string> inst = {"instance", instance};
    auto expect_one = [&](const std::string& promql, const std::string& key, double want) {
      auto got = Query(port, promql);
      ASSERT_EQ(got.size(), 1u) << prefix << ": " << promql;
      EXPECT_EQ(got.begin()->first, key) << prefix << ": " << promql;
      EXPECT_NEAR(got.begin()->second, want, 1e-9) << prefix << ": " << promql;
    };
    const std::string n = prefix + "_";
    // Counter: +r on /a, +2 on /b per round.
    expect_one(n + "requests_total{route=\"/a\"}",
               Key({{"__name__", n + "requests_total"}, inst, job, {"route", "/a"}}),
               kRounds * (kRounds + 1) / 2);
    expect_one(n + "requests_total{route=\"/b\"}",
               Key({{"__name__", n + "requests_total"}, inst, job, {"route", "/b"}}), 2 * kRounds);
    // Up-down counter (non-monotonic sum -> gauge): +3 on odd rounds, -1 on even ones.
    expect_one(n + "queue_size", Key({{"__name__", n + "queue_size"}, inst, job}), 4);
    // Histogram: 0.05*r and 0.7 per round, buckets 0.1, 0.5, 1.
    const std::string h = n + "request_duration_seconds";
    auto bucket = [&](const std::string& le, double want) {
      expect_one(h + "_bucket{le=\"" + le + "\"}",
                 Key({{"__name__", h + "_bucket"}, inst, job, {"le", le}, {"route", "/a"}}), want);
    };
    bucket("0.1", 2);
    bucket("0.5", kRounds);
    bucket("1", 2 * kRounds);
    bucket("+Inf", 2 * kRounds);
    expect_one(h + "_count", Key({{"__name__", h + "_count"}, inst, job, {"route", "/a"}}),
               2 * kRounds);
    expect_one(h + "_sum", Key({{"__name__", h + "_sum"}, inst, job, {"route", "/a"}}),
               0.05 * kRounds * (kRounds + 1) / 2 + 0.7 * kRounds);
    // histogram_quantile works on the buckets as on Prometheus' own.
    auto q = Query(port, "histogram_quantile(0.5, " + h + "_bucket)");
    ASSERT_EQ(q.size(), 1u);
    EXPECT_GT(q.begin()->second, 0.1);
    EXPECT_LE(q.begin()->second, 1.0);
    // Gauge with unit Cel.
    expect_one(n + "temperature_celsius",
               Key({{"__name__", n + "temperature_celsius"}, inst, job, {"room", "lab"}}),
               20 + kRounds);
    // Resource attributes other than service.* land in target_info.
    expect_one("target_info{instance=\"" + instance + "\"}",
               Key({{"__name__", "target_info"}, {"deployment_environment", "test"}, inst, job}),
               1);
    // Joins on target_info work as with Prometheus.
    auto joined = Query(port, n + "temperature_celsius * on(job, instance) group_left("
                                  "deployment_environment) target_info");
    ASSERT_EQ(joined.size(), 1u);
    EXPECT_NE(joined.begin()->first.find("deployment_environment=\"test\""), std::string::npos);

    // TYPE/HELP/UNIT reach /api/v1/metadata.
    auto md = HttpGet(port, "/api/v1/metadata?metric=" + n + "requests_total");
    EXPECT_NE(md.body.find("\"type\":\"counter\""), std::string::npos) << md.body;
    EXPECT_NE(md.body.find("\"help\":\"Requests served.\""), std::string::npos) << md.body;
    md = HttpGet(port, "/api/v1/metadata?metric=" + h);
    EXPECT_NE(md.body.find("\"type\":\"histogram\""), std::string::npos) << md.body;
    EXPECT_NE(md.body.find("\"unit\":\"seconds\""), std::string::npos) << md.body;
  }
  // Every export was counted per transport.
  auto metrics = HttpGet(port, "/metrics").body;
  for (const char* protocol : {"otlp_http", "otlp_grpc"}) {
    std::regex re(std::string("strata_ingest_samples_received_total\\{protocol=\"") + protocol +
                  "\"\\} ([0-9.e+]+)");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(metrics, m, re)) << protocol;
    EXPECT_GT(std::stod(m[1]), 0) << protocol;
  }
  EXPECT_EQ(server.process().Stop(SIGTERM), 0) << server.Log();
}

TEST(OtlpClientCrashTest, EveryAcknowledgedPointSurvivesSigkill) {
  REQUIRE_OTEL_CLIENT(client);
  testutil::TempDir tmp;
  const std::string data = tmp.path() + "/data";
  testutil::StrataServer server;
  ASSERT_TRUE(server.Start(data, {"--otlp.grpc-listen", "127.0.0.1:0"})) << server.Log();
  const uint16_t grpc_port = GrpcPort(server);
  ASSERT_NE(grpc_port, 0);

  // The SDK exports over gRPC (the Collector's default transport) without pause until the
  // server dies; each acknowledged export prints its round and the points' timestamp.
  testutil::ChildProcess exporter;
  const std::string log = tmp.path() + "/exporter.log";
  ASSERT_TRUE(exporter.Start({client.node, client.script, "--transport", "grpc", "--endpoint",
                              "http://127.0.0.1:" + std::to_string(grpc_port), "--rounds", "100000",
                              "--prefix", "crash", "--stop-on-error"},
                             log));
  struct Ack {
    int round;
    int64_t time_ms;
  };
  auto acks = [&] {
    std::vector<Ack> out;
    std::string text = testutil::ReadFile(log);
    static const std::regex re(R"(\{"round":(\d+),"ok":true,"time_ms":(\d+)\}\n)");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
         ++it) {
      out.push_back({std::stoi((*it)[1]), std::stoll((*it)[2])});
    }
    return out;
  };
  int code = 0;
  ASSERT_TRUE(testutil::WaitFor([&] { return acks().size() >= 40 || exporter.Exited(&code); },
                                std::chrono::seconds(120)))
      << testutil::ReadFile(log);
  ASSERT_TRUE(exporter.running()) << "exporter stopped early:\n" << testutil::ReadFile(log);
  EXPECT_EQ(server.process().Stop(SIGKILL), 128 + SIGKILL);
  // Whatever the exporter prints from now on is a failure; stop it.
  testutil::WaitFor([&] { return exporter.Exited(&code); }, std::chrono::seconds(15));
  exporter.Kill();
  const std::vector<Ack> acked = acks();
  ASSERT_GE(acked.size(), 40u);

  testutil::StrataServer again;
  ASSERT_TRUE(again.Start(data)) << again.Log();
  const uint16_t port = again.port();
  // Every acknowledged round's counter and histogram count, at that round's timestamp.
  auto samples = [&](const std::string& selector) {
    std::map<int64_t, double> out;
    const int64_t at = acked.back().time_ms / 1000 + 2;
    auto r = HttpGet(port, "/api/v1/query?query=" + testutil::UrlEncode(selector + "[1h]") +
                               "&time=" + std::to_string(at));
    Json doc;
    std::string error;
    EXPECT_TRUE(JsonParser::Parse(r.body, &doc, &error)) << r.body;
    const Json* result = doc.Find("data") ? doc.Find("data")->Find("result") : nullptr;
    if (result == nullptr || result->items.size() != 1) {
      ADD_FAILURE() << selector << ": " << r.body;
      return out;
    }
    for (const Json& v : result->items[0].Find("values")->items) {
      int64_t t = std::llround(std::stod(v.items[0].text) * 1000);
      out[t] = std::stod(v.items[1].text);
    }
    return out;
  };
  auto counter = samples("crash_requests_total{route=\"/a\"}");
  auto count = samples("crash_request_duration_seconds_count");
  for (const Ack& a : acked) {
    ASSERT_TRUE(counter.count(a.time_ms)) << "round " << a.round << " at " << a.time_ms;
    EXPECT_EQ(counter[a.time_ms], a.round * (a.round + 1) / 2.0) << "round " << a.round;
    ASSERT_TRUE(count.count(a.time_ms)) << "round " << a.round;
    EXPECT_EQ(count[a.time_ms], 2.0 * a.round) << "round " << a.round;
  }
  // At most the export in flight at the kill is there besides the acknowledged ones.
  EXPECT_LE(counter.size(), acked.size() + 1);
  EXPECT_EQ(again.process().Stop(SIGTERM), 0) << again.Log();
}

}  // namespace
}  // namespace strata
