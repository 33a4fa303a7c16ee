// The cold tier against the real binary and a real S3 endpoint (testutil::S3TestEnv: s3rver
// behind a botocore-verifying, fault-injecting proxy): data older than the warm span lands in
// the bucket and is answered from it alone with ranged reads; upload faults are retried without
// loss while head and warm queries keep answering; backup to and restore from s3://; two nodes
// over one bucket (and one directory); node-id checks at start-up. Every S3 test fails when
// s3rver, node or botocore is missing unless STRATA_ALLOW_SKIP=1.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "testutil/http_client.h"
#include "testutil/process.h"
#include "testutil/remote_write.h"
#include "testutil/s3.h"

namespace strata {
namespace {

// Raw cold blocks (5m blocks of the same days may appear beside them: downsampling is on).
constexpr const char* kRawBlocks = "strata_cold_resolution_blocks{resolution=\"raw\"}";

using testutil::HttpDo;
using testutil::HttpResult;
using testutil::RwSeries;
using Env = std::vector<std::pair<std::string, std::string>>;

constexpr int kSeries = 16;
constexpr int kPerBatch = 80;  // Samples per series per request: 20 minutes at 15 s.
constexpr int64_t kStep = 15000;
constexpr int64_t kHour = 3600 * 1000;
constexpr int kBatchesPerDay = 72;
// 4.5 days: with the default 40 h warm span, days 0 and 1 (UTC partitions) go cold.
constexpr int kBatches = 4 * kBatchesPerDay + kBatchesPerDay / 2;
constexpr int64_t kColdEnd = 48 * kHour;
constexpr int64_t kLastColdT = kColdEnd - kStep;
constexpr int64_t kColdSamplesPerSeries = kColdEnd / kStep;
// Range counts are evaluated half a step off the sample grid, so they do not depend on whether
// a range includes its left end.
constexpr int64_t kHalfStep = kStep / 2;

// A gauge with three decimals that looks random (so blocks are not trivially small) and is
// exact to print and parse back.
double Value(int s, int64_t t) {
  uint64_t h = static_cast<uint64_t>(t / kStep) * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(s);
  h ^= h >> 31;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 29;
  return static_cast<double>(h % 1000000) / 1000.0;
}
int64_t LastT(int batches) { return (int64_t{batches} * kPerBatch - 1) * kStep; }

std::vector<int> AllSeries() {
  std::vector<int> all;
  for (int s = 0; s < kSeries; ++s) all.push_back(s);
  return all;
}

// Sends batches [first, last) of `series` in time order; returns how many were acknowledged
// (stops at the first failure).
int Send(uint16_t port, int first, int last, const std::vector<int>& series) {
  for (int b = first; b < last; ++b) {
    std::vector<RwSeries> batch;
    for (int s : series) {
      RwSeries rs;
      rs.labels = {{"__name__", "ct"}, {"series", std::to_string(s)}};
      for (int k = 0; k < kPerBatch; ++k) {
        int64_t t = (int64_t{b} * kPerBatch + k) * kStep;
        rs.samples.emplace_back(t, Value(s, t));
      }
      batch.push_back(std::move(rs));
    }
    auto r = HttpDo(port, "POST", "/api/v1/write", testutil::SnappyWriteRequest(batch),
                    testutil::RemoteWriteHeaders());
    if (r.status != 204) return b - first;
  }
  return last - first;
}

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string Seconds(int64_t t_ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(t_ms / 1000),
                static_cast<long long>(t_ms % 1000));
  return buf;
}

// An instant query at `t_ms`.
HttpResult Query(uint16_t port, const std::string& promql, int64_t t_ms) {
  return HttpDo(port, "GET", "/api/v1/query?query=" + UrlEncode(promql) + "&time=" + Seconds(t_ms),
                "", {}, std::chrono::seconds(60));
}

// The values of an instant-vector answer, in answer order.
std::vector<double> Values(const std::string& body) {
  std::vector<double> out;
  size_t p = 0;
  while ((p = body.find("\"value\":[", p)) != std::string::npos) {
    size_t a = body.find(",\"", p);
    size_t b = body.find('"', a + 2);
    out.push_back(std::stod(body.substr(a + 2, b - a - 2)));
    p = b;
  }
  return out;
}

// The one value `promql` answers at `t_ms`, or nullopt (with a test failure) when the query
// fails or answers another number of elements.
std::optional<double> One(uint16_t port, const std::string& promql, int64_t t_ms) {
  HttpResult r = Query(port, promql, t_ms);
  EXPECT_EQ(r.status, 200) << promql << ": " << r.body << r.error;
  if (r.status != 200) return std::nullopt;
  std::vector<double> v = Values(r.body);
  EXPECT_EQ(v.size(), 1u) << promql << ": " << r.body;
  if (v.size() != 1) return std::nullopt;
  return v[0];
}

std::string CountAll(const std::string& range) { return "sum(count_over_time(ct[" + range + "]))"; }
std::string SeriesIn(const std::string& range) {
  return "count(count_over_time(ct[" + range + "]))";
}
std::string Point(int s) { return "ct{series=\"" + std::to_string(s) + "\"}"; }

// A metric without labels, or with its labels spelled out in `name`; -1 when absent.
double Metric(uint16_t port, const std::string& name) {
  auto r = HttpDo(port, "GET", "/metrics");
  size_t p = r.body.find("\n" + name + " ");
  return p == std::string::npos ? -1.0 : std::atof(r.body.c_str() + p + name.size() + 2);
}

// Runs `strata <args>` with extra environment variables to completion; its exit code (-1 when
// it did not finish within 2 minutes) and output.
int RunCli(const std::vector<std::string>& args, const Env& env, std::string* log) {
  testutil::TempDir tmp;
  testutil::ChildProcess p;
  std::vector<std::string> argv = {testutil::StrataBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  if (!p.Start(argv, tmp.path() + "/cli.log", env)) return -1;
  int code = -1;
  if (!testutil::WaitFor([&] { return p.Exited(&code); }, std::chrono::seconds(120))) p.Kill();
  *log = testutil::ReadFile(tmp.path() + "/cli.log");
  return code;
}

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::string NodeIdOf(const std::string& data_dir) {
  std::ifstream in(data_dir + "/node-id");
  std::string id;
  std::getline(in, id);
  return id;
}

// The answers that do not depend on the warm or head tiers: every cold sample, and values at
// points in both cold days.
void ExpectColdAnswers(uint16_t port, const std::vector<int>& series) {
  EXPECT_EQ(One(port, SeriesIn("2d"), kLastColdT), static_cast<double>(series.size()));
  EXPECT_EQ(One(port, CountAll("2d"), kLastColdT),
            static_cast<double>(kColdSamplesPerSeries * series.size()));
  for (int s : {series.front(), series.back()}) {
    for (int64_t t : {int64_t{0}, kHour + 7 * kStep, 30 * kHour, kLastColdT}) {
      EXPECT_EQ(One(port, Point(s), t), Value(s, t)) << "series " << s << " at " << t;
    }
  }
}

#define START_S3_OR_FAIL(s3)                                       \
  do {                                                             \
    if (!(s3).Start()) {                                           \
      if (testutil::S3SkipAllowed()) GTEST_SKIP() << (s3).error(); \
      FAIL() << (s3).error();                                      \
    }                                                              \
  } while (0)

TEST(ColdTierTest, S3ColdBlocksAnswerAloneAfterWarmAndWalAreWipedWithRangedReads) {
  testutil::S3TestEnv s3;
  START_S3_OR_FAIL(s3);
  testutil::TempDir tmp;
  const std::string data = tmp.path() + "/data";
  // Without downsampling: this test counts the raw blocks' meta.json uploads and samples, and a
  // 5m block built before the checks (TSan's timing) would be counted too.
  const std::vector<std::string> flags = Concat(s3.Flags("cold"), {"--downsample.5m-after=0"});
  const std::vector<int> all = AllSeries();
  const int64_t last = LastT(kBatches);
  double blocks = 0;
  {
    testutil::StrataServer server;
    server.SetEnv(s3.Env());
    ASSERT_TRUE(server.Start(data, flags)) << server.Log();
    ASSERT_EQ(Send(server.port(), 0, kBatches, all), kBatches);
    ASSERT_TRUE(testutil::WaitFor([&] { return Metric(server.port(), kRawBlocks) >= 2; },
                                  std::chrono::seconds(60)))
        << server.Log();
    blocks = Metric(server.port(), kRawBlocks);
    EXPECT_EQ(blocks, 2) << "only days 0 and 1 are older than the 40 h warm span";
    // The blocks were committed in the bucket, under the prefix and this node's id.
    const std::string node = NodeIdOf(data);
    ASSERT_FALSE(node.empty());
    int metas = 0;
    for (const auto& r : s3.RequestLog()) {
      metas += r.method == "PUT" && r.outcome == "200" &&
                       r.target.rfind("/" + s3.bucket() + "/cold/" + node + "/", 0) == 0 &&
                       r.target.ends_with("/meta.json")
                   ? 1
                   : 0;
    }
    EXPECT_EQ(metas, 2) << s3.StatsJson();
    EXPECT_EQ(s3.Stat("auth_failures"), 0);
    EXPECT_EQ(Metric(server.port(), "strata_cold_own_blocks"), 2);
    EXPECT_EQ(Metric(server.port(), "strata_cold_samples"),
              static_cast<double>(kColdSamplesPerSeries * kSeries));
    // Every tier together, then the cold part.
    EXPECT_EQ(One(server.port(), CountAll("30d"), last),
              static_cast<double>(int64_t{kBatches} * kPerBatch * kSeries));
    EXPECT_EQ(One(server.port(), Point(9), last), Value(9, last));
    EXPECT_EQ(One(server.port(), Point(9), 60 * kHour), Value(9, 60 * kHour));
    ExpectColdAnswers(server.port(), all);
    EXPECT_EQ(server.process().Stop(SIGTERM), 0) << server.Log();
  }

  // Only the bucket is left (and the node id, which says whose blocks they are).
  std::filesystem::remove_all(data + "/warm");
  std::filesystem::remove_all(data + "/wal");
  ASSERT_TRUE(std::filesystem::exists(data + "/node-id"));
  // The data directory's format marker says a warm tier should be there: the server refuses to
  // start until the operator removes the marker, as its message says.
  std::string log;
  EXPECT_EQ(RunCli(Concat({"serve", "--listen", "127.0.0.1:0", "--data-dir", data}, flags),
                   s3.Env(), &log),
            1)
      << log;
  EXPECT_NE(log.find("remove " + data + "/FORMAT"), std::string::npos) << log;
  std::filesystem::remove(data + "/FORMAT");
  testutil::StrataServer server;
  server.SetEnv(s3.Env());
  ASSERT_TRUE(server.Start(data, flags)) << server.Log();
  const uint16_t port = server.port();
  EXPECT_EQ(Metric(port, kRawBlocks), blocks);
  const double block_bytes = Metric(port, "strata_cold_bytes");
  ASSERT_GT(block_bytes, 0);

  // One series over one hour of cold data, with an empty cache: ranged GETs only, a small
  // fraction of the blocks' bytes.
  auto check_ranged = [&](const std::string& what, double max_fraction) {
    int gets = 0;
    uint64_t bytes = 0;
    for (const auto& r : s3.RequestLog()) {
      if (r.method != "GET" || r.target.find('?') != std::string::npos) continue;  // Listings.
      ++gets;
      bytes += r.bytes;
      if (!r.target.ends_with("/meta.json")) {
        EXPECT_FALSE(r.range.empty()) << what << ": whole-object GET " << r.target;
      }
    }
    ::testing::Test::RecordProperty(what + "_bytes", std::to_string(bytes));
    ::testing::Test::RecordProperty("block_bytes", std::to_string(block_bytes));
    EXPECT_GT(gets, 0) << what << ": not answered from the bucket";
    EXPECT_EQ(static_cast<double>(s3.Stat("get_bytes")), static_cast<double>(bytes));
    EXPECT_LT(static_cast<double>(bytes), block_bytes * max_fraction)
        << what << ": " << bytes << " of " << block_bytes << " block bytes downloaded\n"
        << s3.StatsJson();
  };
  ASSERT_TRUE(s3.ResetProxy());
  EXPECT_EQ(One(port, "count_over_time(" + Point(5) + "[1h])", 30 * kHour + kHalfStep), 240);
  check_ranged("one_series_one_hour", 0.15);
  // Every cold sample of one series: still no block downloaded whole.
  ASSERT_TRUE(s3.ResetProxy());
  EXPECT_EQ(One(port, "count_over_time(" + Point(11) + "[2d])", kLastColdT),
            static_cast<double>(kColdSamplesPerSeries));
  check_ranged("one_series_two_days", 0.25);
  EXPECT_GT(Metric(port, "strata_cold_fetch_requests_total"), 0);

  // Cut-off and failed reads of block data are retried, never answered short.
  ASSERT_TRUE(s3.ResetProxy());
  ASSERT_TRUE(s3.InjectFaults(R"([{"kind":"truncate","count":2,"method":"GET"},)"
                              R"({"kind":"error","status":500,"count":1,"method":"GET"},)"
                              R"({"kind":"drop","count":1,"method":"GET"}])"));
  EXPECT_EQ(One(port, CountAll("2d"), kLastColdT),
            static_cast<double>(kColdSamplesPerSeries * kSeries));
  EXPECT_EQ(s3.Stat("faults_injected"), 4) << s3.StatsJson();

  // Everything cold answers as before; what was wiped is gone, nothing else is invented.
  ExpectColdAnswers(port, all);
  EXPECT_EQ(One(port, CountAll("30d"), last), static_cast<double>(kColdSamplesPerSeries * kSeries));
  auto r = Query(port, Point(9), 60 * kHour);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(Values(r.body).empty()) << r.body;
  // The answers now come from the cache: no more S3 reads of block data.
  ASSERT_TRUE(s3.ResetProxy());
  ExpectColdAnswers(port, all);
  EXPECT_EQ(s3.Stat("get_bytes"), 0) << s3.StatsJson();
  EXPECT_GT(Metric(port, "strata_cold_cache_hits_total"), 0);
  EXPECT_EQ(server.process().Stop(SIGTERM), 0) << server.Log();
}

TEST(ColdTierTest, S3FaultsDuringUploadAreRetriedNothingIsLostAndHotQueriesKeepAnswering) {
  testutil::S3TestEnv s3;
  START_S3_OR_FAIL(s3);
  testutil::TempDir tmp;
  const std::string data = tmp.path() + "/data";
  testutil::StrataServer server;
  server.SetEnv(s3.Env());
  ASSERT_TRUE(server.Start(data, s3.Flags("cold"))) << server.Log();
  const uint16_t port = server.port();
  const std::vector<int> all = AllSeries();

  // Upload faults, each S3 request taking the first that matches: a 503 storm as long as the
  // client's attempts for one request (6), so the first move fails and is retried later; then
  // dropped connections and slow answers, which the retried move rides out.
  ASSERT_TRUE(s3.InjectFaults(R"([{"kind":"error","status":503,"count":6,"method":"PUT"},)"
                              R"({"kind":"drop","count":2,"method":"PUT"},)"
                              R"({"kind":"delay","ms":1500,"count":2,"method":"PUT"}])"));
  // 3.5 days: day 0 is due to go cold (its end is 60 h before the newest sample), day 1 not.
  const int first_part = 3 * kBatchesPerDay + kBatchesPerDay / 2;
  ASSERT_EQ(Send(port, 0, first_part, all), first_part);
  ASSERT_TRUE(
      testutil::WaitFor([&] { return Metric(port, "strata_compactions_failed_total") >= 1; },
                        std::chrono::seconds(60)))
      << server.Log();
  // While the upload fails, every sample is answered from warm and head.
  EXPECT_EQ(Metric(port, "strata_cold_moves_total"), 0);
  EXPECT_EQ(One(port, CountAll("30d"), LastT(first_part)),
            static_cast<double>(int64_t{first_part} * kPerBatch * kSeries));
  EXPECT_EQ(One(port, Point(3), 12 * kHour), Value(3, 12 * kHour));
  EXPECT_EQ(One(port, Point(3), LastT(first_part)), Value(3, LastT(first_part)));
  // The move is retried (30 s after a failure) through the drops and the slow answers.
  ASSERT_TRUE(testutil::WaitFor([&] { return Metric(port, "strata_cold_moves_total") >= 1; },
                                std::chrono::seconds(90)))
      << server.Log() << s3.StatsJson();
  EXPECT_EQ(s3.Stat("faults_injected"), 10) << s3.StatsJson();
  EXPECT_GE(Metric(port, "strata_objstore_retries_total{op=\"put\"}"), 5);
  EXPECT_GT(Metric(port, "strata_objstore_request_errors_total{op=\"put\"}"), 0);
  EXPECT_EQ(Metric(port, kRawBlocks), 1);
  EXPECT_NE(server.Log().find("compaction failed, will retry"), std::string::npos);

  // An outage: every S3 request fails. Head and warm keep answering, with the right values...
  ASSERT_TRUE(s3.ResetProxy());
  ASSERT_TRUE(s3.Fail(503, 1000000));
  const double failed_before = Metric(port, "strata_compactions_failed_total");
  const int64_t t_head = LastT(first_part);
  EXPECT_EQ(One(port, Point(3), t_head), Value(3, t_head));
  EXPECT_EQ(One(port, Point(3), 30 * kHour), Value(3, 30 * kHour));  // Warm.
  EXPECT_EQ(One(port, "count_over_time(" + Point(3) + "[1h])", t_head - kHalfStep), 240);
  EXPECT_EQ(One(port, CountAll("12h"), t_head - kHalfStep), 12 * 240 * kSeries);
  // ... and writes are acknowledged: the rest of the data, which makes day 1 due too.
  ASSERT_EQ(Send(port, first_part, kBatches, all), kBatches - first_part);
  const int64_t last = LastT(kBatches);
  EXPECT_EQ(One(port, Point(4), last), Value(4, last));
  // A query that needs the cold block fails: an error, never a partial or empty answer.
  for (const std::string& q :
       {Point(3), CountAll("30d"), "count_over_time(" + Point(3) + "[1h])"}) {
    const int64_t t = q == CountAll("30d") ? last : 6 * kHour;
    HttpResult r = Query(port, q, t);
    EXPECT_EQ(r.status, 503) << q << ": " << r.body;
    EXPECT_NE(r.body.find("\"errorType\":\"unavailable\""), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("\"status\":\"error\""), std::string::npos) << q << ": " << r.body;
    EXPECT_TRUE(Values(r.body).empty()) << q << ": " << r.body;
  }
  auto range = HttpDo(port, "GET",
                      "/api/v1/query_range?query=" + UrlEncode(Point(3)) +
                          "&start=0&end=" + Seconds(40 * kHour) + "&step=600",
                      "", {}, std::chrono::seconds(60));
  EXPECT_EQ(range.status, 503) << range.body;
  // Day 1's upload fails too; its data stays in the warm tier.
  ASSERT_TRUE(testutil::WaitFor(
      [&] { return Metric(port, "strata_compactions_failed_total") > failed_before; },
      std::chrono::seconds(60)))
      << server.Log();
  EXPECT_EQ(Metric(port, kRawBlocks), 1);
  EXPECT_EQ(One(port, Point(3), 30 * kHour), Value(3, 30 * kHour));

  // S3 is back: day 1 goes cold on the next attempt and every sample is answered, once.
  ASSERT_TRUE(s3.ResetProxy());
  ASSERT_TRUE(testutil::WaitFor([&] { return Metric(port, "strata_cold_moves_total") >= 2; },
                                std::chrono::seconds(90)))
      << server.Log();
  EXPECT_EQ(Metric(port, kRawBlocks), 2);
  EXPECT_EQ(One(port, CountAll("30d"), last),
            static_cast<double>(int64_t{kBatches} * kPerBatch * kSeries));
  ExpectColdAnswers(port, all);
  EXPECT_EQ(server.process().Stop(SIGTERM), 0) << server.Log();
}

// A restart while S3 is down: the server starts and takes writes; queries after this node's
// newest cold sample (kept in <data-dir>/cold-max-time) are answered from head and warm, older
// ones fail with 503 until the store can be listed, then everything answers again.
TEST(ColdTierTest, AServerStartsWhileS3IsDownAndAnswersWhatItHoldsLocally) {
  testutil::S3TestEnv s3;
  START_S3_OR_FAIL(s3);
  testutil::TempDir tmp;
  const std::string data = tmp.path() + "/data";
  const std::vector<int> all = AllSeries();
  {
    testutil::StrataServer server;
    server.SetEnv(s3.Env());
    ASSERT_TRUE(server.Start(data, s3.Flags("cold"))) << server.Log();
    ASSERT_EQ(Send(server.port(), 0, kBatches, all), kBatches);
    ASSERT_TRUE(testutil::WaitFor([&] { return Metric(server.port(), kRawBlocks) >= 2; },
                                  std::chrono::seconds(60)))
        << server.Log();
    EXPECT_EQ(server.process().Stop(SIGTERM), 0) << server.Log();
  }
  std::ifstream recorded(data + "/cold-max-time");
  std::string line;
  ASSERT_TRUE(std::getline(recorded, line));
  EXPECT_EQ(std::stoll(line), kLastColdT);

  ASSERT_TRUE(s3.Fail(503, 1000000));
  testutil::StrataServer server;
  server.SetEnv(s3.Env());
  ASSERT_TRUE(server.Start(data, s3.Flags("cold"))) << server.Log();
  EXPECT_NE(server.Log().find("cannot list the cold tier's object store"), std::string::npos)
      << server.Log();
  const uint16_t port = server.port();
  const int64_t last = LastT(kBatches);
  EXPECT_EQ(One(port, Point(3), last), Value(3, last));
  EXPECT_EQ(One(port, Point(3), 60 * kHour), Value(3, 60 * kHour));  // Warm.
  EXPECT_EQ(Send(port, kBatches, kBatches + 3, all), 3);
  HttpResult old = Query(port, Point(3), 6 * kHour);
  EXPECT_EQ(old.status, 503) << old.body;
  EXPECT_NE(old.body.find("cannot be listed"), std::string::npos) << old.body;
  EXPECT_EQ(Query(port, CountAll("30d"), LastT(kBatches + 3)).status, 503);
  // S3 is back: the background listing (every 5 s while it has never succeeded) picks the
  // blocks up and every sample answers.
  ASSERT_TRUE(s3.ResetProxy());
  ASSERT_TRUE(
      testutil::WaitFor([&] { return Metric(port, kRawBlocks) >= 2; }, std::chrono::seconds(60)))
      << server.Log();
  EXPECT_EQ(One(port, CountAll("30d"), LastT(kBatches + 3)),
            static_cast<double>(int64_t{kBatches + 3} * kPerBatch * kSeries));
  ExpectColdAnswers(port, all);
  EXPECT_EQ(server.process().Stop(SIGTERM), 0) << server.Log();
}

// An S3 endpoint that takes requests and never answers (each attempt waits its whole 60 s
// timeout, six attempts a request): the server still starts within the first listing's wait
// (10 s), takes writes, and stops promptly on SIGTERM (its requests are interrupted).
TEST(ColdTierTest, AHangingS3HoldsUpNeitherStartNorStop) {
  testutil::S3TestEnv s3;
  START_S3_OR_FAIL(s3);
  testutil::TempDir tmp;
  ASSERT_TRUE(s3.InjectFaults(R"([{"kind":"delay","ms":600000,"count":1000}])"));
  testutil::StrataServer server;
  server.SetEnv(s3.Env());
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(server.Start(tmp.path() + "/data", s3.Flags("cold"))) << server.Log();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(45)) << server.Log();
  EXPECT_NE(server.Log().find("slow to list"), std::string::npos) << server.Log();
  EXPECT_EQ(Send(server.port(), 0, 3, AllSeries()), 3);
  const auto stop = std::chrono::steady_clock::now();
  EXPECT_EQ(server.process().Stop(SIGTERM, std::chrono::seconds(30)), 0) << server.Log();
  EXPECT_LT(std::chrono::steady_clock::now() - stop, std::chrono::seconds(20)) << server.Log();
  ASSERT_TRUE(s3.ResetProxy());
}

// The commit of a block (its meta.json PUT) reaches the bucket, but every answer to it is lost:
// the move fails without knowing, and its retry must find the committed block rather than
// upload the partition again as a second block.
TEST(ColdTierTest, Issue8LostAnswersToAnS3CommitDoNotDuplicateTheBlock) {
  testutil::S3TestEnv s3;
  START_S3_OR_FAIL(s3);
  testutil::TempDir tmp;
  const std::string data = tmp.path() + "/data";
  testutil::StrataServer server;
  server.SetEnv(s3.Env());
  ASSERT_TRUE(server.Start(data, s3.Flags("cold"))) << server.Log();
  const uint16_t port = server.port();
  ASSERT_TRUE(s3.InjectFaults(
      R"([{"kind":"lose","count":12,"method":"PUT","path_contains":"/meta.json"}])"));
  const int batches = 3 * kBatchesPerDay + kBatchesPerDay / 2;  // Day 0 goes cold.
  ASSERT_EQ(Send(port, 0, batches, AllSeries()), batches);
  ASSERT_TRUE(testutil::WaitFor([&] { return Metric(port, "strata_cold_moves_total") >= 1; },
                                std::chrono::seconds(90)))
      << server.Log() << s3.StatsJson();
  EXPECT_GE(s3.Stat("faults_injected"), 6) << s3.StatsJson();
  EXPECT_GE(Metric(port, "strata_compactions_failed_total"), 1);
  std::set<std::string> committed;
  for (const auto& r : s3.RequestLog()) {
    if (r.method == "PUT" && r.target.ends_with("/meta.json")) committed.insert(r.target);
  }
  EXPECT_EQ(committed.size(), 1u) << "day 0 committed as more than one block\n" << s3.StatsJson();
  EXPECT_EQ(Metric(port, kRawBlocks), 1);
  EXPECT_EQ(Metric(port, "strata_cold_samples"),
            static_cast<double>(kColdSamplesPerSeries / 2 * kSeries));
  EXPECT_EQ(Metric(port, "strata_cold_resolution_samples{resolution=\"raw\"}"),
            static_cast<double>(kColdSamplesPerSeries / 2 * kSeries));
  EXPECT_EQ(One(port, CountAll("30d"), LastT(batches)),
            static_cast<double>(int64_t{batches} * kPerBatch * kSeries));
  // A restart lists the bucket: still one block.
  EXPECT_EQ(server.process().Stop(SIGTERM), 0) << server.Log();
  ASSERT_TRUE(server.Start(data, s3.Flags("cold"))) << server.Log();
  EXPECT_EQ(Metric(server.port(), kRawBlocks), 1);
  EXPECT_EQ(server.process().Stop(SIGTERM), 0) << server.Log();
}

TEST(ColdTierTest, BackupToS3AndRestoreFromS3KeepEverySample) {
  testutil::S3TestEnv s3;
  START_S3_OR_FAIL(s3);
  testutil::TempDir tmp;
  const std::string data = tmp.path() + "/data";
  const std::vector<int> all = AllSeries();
  const int64_t last = LastT(kBatches);
  // The source's cold tier is in the bucket too: the backup copies its blocks from S3.
  const std::vector<std::string> source_flags = s3.Flags("cold");
  {
    testutil::StrataServer server;
    server.SetEnv(s3.Env());
    ASSERT_TRUE(server.Start(data, source_flags)) << server.Log();
    ASSERT_EQ(Send(server.port(), 0, kBatches, all), kBatches);
    ASSERT_TRUE(testutil::WaitFor([&] { return Metric(server.port(), kRawBlocks) >= 2; },
                                  std::chrono::seconds(60)))
        << server.Log();
    EXPECT_EQ(server.process().Stop(SIGTERM), 0) << server.Log();
  }
  const std::vector<std::string> s3_flags = {"--storage.cold.s3.endpoint=" + s3.endpoint(),
                                             "--storage.cold.s3.path-style"};
  const std::string target = s3.url("backup1");
  std::string log;
  // A few 503s on the way: retried.
  ASSERT_TRUE(s3.ResetProxy());
  ASSERT_TRUE(s3.Fail(503, 3, "PUT"));
  ASSERT_EQ(
      RunCli(Concat({"backup", "--data-dir", data, "--to", target}, source_flags), s3.Env(), &log),
      0)
      << log << s3.StatsJson();
  EXPECT_EQ(s3.Stat("faults_injected"), 3);
  EXPECT_GT(s3.CountRequests("GET", "/" + s3.bucket() + "/cold/"), 0);  // Cold blocks copied.
  EXPECT_EQ(s3.Stat("auth_failures"), 0);
  EXPECT_EQ(s3.CountRequests("PUT", "/" + s3.bucket() + "/backup1/manifest.json"), 1);
  EXPECT_GT(s3.CountRequests("PUT", "/" + s3.bucket() + "/backup1/blocks/"), 0);
  // Not into a non-empty prefix.
  EXPECT_EQ(
      RunCli(Concat({"backup", "--data-dir", data, "--to", target}, source_flags), s3.Env(), &log),
      1)
      << log;
  EXPECT_NE(log.find("not empty"), std::string::npos) << log;
  // A wrong secret is refused by the (verifying) endpoint: a runtime error, nothing restored.
  const std::string restored = tmp.path() + "/restored";
  Env wrong = s3.Env();
  for (auto& [k, v] : wrong) {
    if (k == "AWS_SECRET_ACCESS_KEY") v = "not-the-secret";
  }
  EXPECT_EQ(
      RunCli(Concat({"restore", "--from", target, "--data-dir", restored}, s3_flags), wrong, &log),
      1)
      << log;
  EXPECT_NE(log.find("SignatureDoesNotMatch"), std::string::npos) << log;
  EXPECT_FALSE(std::filesystem::exists(restored + "/cold"));
  std::filesystem::remove_all(restored);

  ASSERT_TRUE(s3.Fail(503, 2, "GET"));
  ASSERT_EQ(RunCli(Concat({"restore", "--from", target, "--data-dir", restored}, s3_flags),
                   s3.Env(), &log),
            0)
      << log;
  EXPECT_EQ(NodeIdOf(restored), NodeIdOf(data));
  // A server on the restored directory (local cold store) answers every sample.
  testutil::StrataServer server;
  ASSERT_TRUE(server.Start(restored)) << server.Log();
  EXPECT_EQ(One(server.port(), CountAll("30d"), last),
            static_cast<double>(int64_t{kBatches} * kPerBatch * kSeries));
  ExpectColdAnswers(server.port(), all);
  for (int64_t t : {60 * kHour, 90 * kHour, last}) {
    EXPECT_EQ(One(server.port(), Point(7), t), Value(7, t)) << t;
  }
  EXPECT_EQ(server.process().Stop(SIGTERM), 0) << server.Log();

  // Restored into an S3 cold store instead: a server with the same flags answers every sample.
  const std::string restored_s3 = tmp.path() + "/restored-s3";
  const std::vector<std::string> restored_flags = s3.Flags("restored");
  ASSERT_EQ(RunCli(Concat({"restore", "--from", target, "--data-dir", restored_s3}, restored_flags),
                   s3.Env(), &log),
            0)
      << log;
  EXPECT_GT(s3.CountRequests("PUT", "/" + s3.bucket() + "/restored/" + NodeIdOf(data) + "/"), 0);
  EXPECT_FALSE(std::filesystem::exists(restored_s3 + "/cold"));
  server.SetEnv(s3.Env());
  ASSERT_TRUE(server.Start(restored_s3, restored_flags)) << server.Log();
  EXPECT_EQ(One(server.port(), CountAll("30d"), last),
            static_cast<double>(int64_t{kBatches} * kPerBatch * kSeries));
  ExpectColdAnswers(server.port(), all);
  EXPECT_EQ(server.process().Stop(SIGTERM), 0) << server.Log();
}

// Two nodes over one object store (`store_flags`), each receiving half of the series: once both
// have cold blocks, either answers over all series for the cold range; a node without
// --storage.cold.read-all-nodes sees only its own.
void TwoNodesOverOneStore(const std::vector<std::string>& store_flags, const Env& env,
                          const std::string& tmp) {
  std::vector<int> even, odd;
  for (int s = 0; s < kSeries; ++s) (s % 2 == 0 ? even : odd).push_back(s);
  const std::vector<std::string> shared =
      Concat(store_flags, {"--storage.cold.read-all-nodes", "--storage.cold.sync-interval=1s"});
  testutil::StrataServer n1, n2;
  n1.SetEnv(env);
  n2.SetEnv(env);
  ASSERT_TRUE(n1.Start(tmp + "/n1", Concat(shared, {"--storage.cold.node-id=n1"}))) << n1.Log();
  ASSERT_TRUE(n2.Start(tmp + "/n2", Concat(shared, {"--storage.cold.node-id=n2"}))) << n2.Log();
  ASSERT_EQ(Send(n1.port(), 0, kBatches, even), kBatches);
  ASSERT_EQ(Send(n2.port(), 0, kBatches, odd), kBatches);
  for (testutil::StrataServer* n : {&n1, &n2}) {
    ASSERT_TRUE(testutil::WaitFor(
        [&] {
          return Metric(n->port(), "strata_cold_own_blocks") >= 2 &&
                 Metric(n->port(), kRawBlocks) >= 4;
        },
        std::chrono::seconds(60)))
        << n->Log();
  }
  const int64_t last = LastT(kBatches);
  for (testutil::StrataServer* n : {&n1, &n2}) {
    SCOPED_TRACE(n == &n1 ? "n1" : "n2");
    EXPECT_EQ(Metric(n->port(), kRawBlocks), 4);
    ExpectColdAnswers(n->port(), AllSeries());
    // The other node's data that is not cold yet is not seen: recent data is its own only.
    EXPECT_EQ(One(n->port(), SeriesIn("1h"), last), kSeries / 2);
  }
  EXPECT_EQ(One(n1.port(), Point(1), 30 * kHour), Value(1, 30 * kHour));  // n2's series.
  EXPECT_EQ(One(n2.port(), Point(2), 30 * kHour), Value(2, 30 * kHour));  // n1's series.

  // n2 again, without --storage.cold.read-all-nodes: only its own blocks.
  EXPECT_EQ(n2.process().Stop(SIGTERM), 0) << n2.Log();
  ASSERT_TRUE(n2.Start(tmp + "/n2", Concat(store_flags, {"--storage.cold.node-id=n2"})))
      << n2.Log();
  EXPECT_EQ(Metric(n2.port(), kRawBlocks), 2);
  ExpectColdAnswers(n2.port(), odd);
  auto r = Query(n2.port(), Point(2), 30 * kHour);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(Values(r.body).empty()) << r.body;
  EXPECT_EQ(n1.process().Stop(SIGTERM), 0) << n1.Log();
  EXPECT_EQ(n2.process().Stop(SIGTERM), 0) << n2.Log();
}

TEST(ColdTierTest, TwoNodesOverOneS3BucketAnswerForAllSeries) {
  testutil::S3TestEnv s3;
  START_S3_OR_FAIL(s3);
  testutil::TempDir tmp;
  TwoNodesOverOneStore(s3.Flags("shared"), s3.Env(), tmp.path());
  EXPECT_EQ(s3.Stat("auth_failures"), 0);
}

TEST(ColdTierTest, TwoNodesOverOneDirectoryAnswerForAllSeries) {
  testutil::TempDir tmp;
  TwoNodesOverOneStore({"--storage.cold.url=file://" + tmp.path() + "/shared"}, {}, tmp.path());
}

TEST(ColdTierTest, NodeIdOtherThanTheRecordedOneOrInvalidIsRefused) {
  testutil::TempDir tmp;
  const std::string data = tmp.path() + "/data";
  {
    testutil::StrataServer server;
    ASSERT_TRUE(server.Start(data, {"--storage.cold.node-id=n1"})) << server.Log();
    EXPECT_EQ(server.process().Stop(SIGTERM), 0) << server.Log();
  }
  EXPECT_EQ(NodeIdOf(data), "n1");
  const std::vector<std::string> serve = {"serve", "--listen", "127.0.0.1:0", "--data-dir", data};
  std::string log;
  // Another id than the one the directory's blocks were written under: a runtime error.
  EXPECT_EQ(RunCli(Concat(serve, {"--storage.cold.node-id=n2"}), {}, &log), 1) << log;
  EXPECT_NE(log.find("--storage.cold.node-id=n2 differs from n1"), std::string::npos) << log;
  EXPECT_EQ(RunCli({"compact", "--data-dir", data, "--storage.cold.node-id=n2"}, {}, &log), 1)
      << log;
  EXPECT_NE(log.find("differs from n1"), std::string::npos) << log;
  EXPECT_EQ(NodeIdOf(data), "n1");
  // An id that is not valid: a usage error, before anything is opened.
  for (const char* bad : {"N1", "-n1", "n/1", "a b"}) {
    EXPECT_EQ(RunCli(Concat(serve, {std::string("--storage.cold.node-id=") + bad}), {}, &log), 2)
        << bad << ": " << log;
    EXPECT_NE(log.find("--storage.cold.node-id"), std::string::npos) << log;
  }
  EXPECT_EQ(RunCli(Concat(serve, {"--storage.cold.node-id=" + std::string(64, 'a')}), {}, &log), 2)
      << log;
  EXPECT_EQ(NodeIdOf(data), "n1");
  // The recorded id is used without the flag, and with the same one.
  {
    testutil::StrataServer server;
    ASSERT_TRUE(server.Start(data, {"--storage.cold.node-id=n1"})) << server.Log();
    EXPECT_EQ(server.process().Stop(SIGTERM), 0) << server.Log();
    ASSERT_TRUE(server.Start(data)) << server.Log();
    EXPECT_EQ(server.process().Stop(SIGTERM), 0) << server.Log();
  }
  // A damaged node-id file: refused with a message naming it.
  {
    std::ofstream out(data + "/node-id", std::ios::trunc);
    out << "Not A Node\n";
  }
  EXPECT_EQ(RunCli(serve, {}, &log), 1) << log;
  EXPECT_NE(log.find(data + "/node-id"), std::string::npos) << log;
}

}  // namespace
}  // namespace strata
