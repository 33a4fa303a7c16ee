// Remote write against the real `strata` binary: bad input over HTTP, and a crash test that
// SIGKILLs the server in the middle of a stream and checks every acknowledged sample survived.
#include "testutil/remote_write.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "storage/head.h"
#include "testutil/http_client.h"
#include "testutil/process.h"
#include "testutil/tiers.h"

namespace strata {
namespace {

using testutil::HttpDo;
using testutil::RwSeries;

const std::vector<std::pair<std::string, std::string>>& kRwHeaders = testutil::RemoteWriteHeaders();

testutil::HttpResult Send(uint16_t port, const std::string& body) {
  return HttpDo(port, "POST", "/api/v1/write", body, kRwHeaders);
}

// Samples stored for metric `name` in a data directory, every tier merged.
std::map<std::string, std::vector<model::Sample>> ReadBack(const std::string& data_dir,
                                                           const std::string& name) {
  return testutil::ReadMetric(data_dir, name);
}

TEST(RemoteWriteHttpTest, BadInputGetsClear4xxAndKeepsAcceptedData) {
  testutil::TempDir tmp;
  testutil::StrataServer server;
  ASSERT_TRUE(server.Start(tmp.path() + "/data")) << server.Log();
  uint16_t port = server.port();

  auto ok = Send(port, testutil::SnappyWriteRequest(
                           {{{{"__name__", "kept"}, {"job", "a"}}, {{1000, 1}, {2000, 2}}}}));
  EXPECT_EQ(ok.status, 204) << ok.body;

  struct Case {
    std::string name;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    int status;
    std::string fragment;
  };
  std::string good = testutil::SnappyWriteRequest({{{{"__name__", "x"}}, {{1, 1}}}});
  std::vector<Case> cases = {
      {"truncated snappy", good.substr(0, good.size() - 3), kRwHeaders, 400, "snappy"},
      {"garbage protobuf", testutil::Snappy("\x0a\xff\xff\xff\x0fjunk"), kRwHeaders, 400,
       "malformed protobuf"},
      {"unsorted labels",
       testutil::SnappyWriteRequest({{{{"z", "1"}, {"__name__", "x"}}, {{1, 1}}}}), kRwHeaders, 400,
       "labels are not sorted"},
      {"duplicate labels",
       testutil::SnappyWriteRequest({{{{"__name__", "x"}, {"a", "1"}, {"a", "2"}}, {{1, 1}}}}),
       kRwHeaders, 400, "duplicate label name"},
      {"empty name", testutil::SnappyWriteRequest({{{{"", "v"}, {"__name__", "x"}}, {{1, 1}}}}),
       kRwHeaders, 400, "invalid label name"},
      {"invalid name",
       testutil::SnappyWriteRequest({{{{"__name__", "x"}, {"bad-name", "v"}}, {{1, 1}}}}),
       kRwHeaders, 400, "invalid label name"},
      {"invalid utf8",
       testutil::SnappyWriteRequest({{{{"__name__", "x"}, {"a", "\xff\xfe"}}, {{1, 1}}}}),
       kRwHeaders, 400, "invalid UTF-8"},
      {"no metric name", testutil::SnappyWriteRequest({{{{"a", "b"}}, {{1, 1}}}}), kRwHeaders, 400,
       "missing metric name"},
      {"double timestamp",
       testutil::Snappy(
           std::string("\x0a\x0d\x12\x0b\x11\x00\x00\x00\x00\x00\x00\xf8\x7f\x10\x01", 15)),
       kRwHeaders, 400, "wire type"},
      {"wrong encoding",
       good,
       {{"Content-Type", "application/x-protobuf"}, {"Content-Encoding", "gzip"}},
       415,
       "Content-Encoding"},
      {"wrong type",
       good,
       {{"Content-Type", "text/plain"}, {"Content-Encoding", "snappy"}},
       415,
       "Content-Type"},
  };
  for (const auto& c : cases) {
    auto r = HttpDo(port, "POST", "/api/v1/write", c.body, c.headers);
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body << r.error;
    EXPECT_NE(r.body.find(c.fragment), std::string::npos) << c.name << ": " << r.body;
    EXPECT_NE(r.body.find("\"errorType\":\"bad_data\""), std::string::npos) << c.name;
  }
  auto get = HttpDo(port, "GET", "/api/v1/write");
  EXPECT_EQ(get.status, 405);

  // A 1 GiB body is refused from its headers alone.
  std::string raw =
      "POST /api/v1/write HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
      "Content-Encoding: snappy\r\nContent-Length: 1073741824\r\n\r\n" +
      std::string(1024, 'x');
  std::string out = testutil::RawExchange(port, raw);
  EXPECT_NE(out.find("HTTP/1.1 413"), std::string::npos) << out.substr(0, 300);

  EXPECT_EQ(HttpDo(port, "GET", "/-/healthy").status, 200);
  EXPECT_EQ(server.process().Stop(SIGTERM), 0) << server.Log();
  auto back = ReadBack(tmp.path() + "/data", "kept");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back.begin()->second.size(), 2u);
}

TEST(RemoteWriteCrashTest, EveryAcknowledgedSampleSurvivesSigkill) {
  testutil::TempDir tmp;
  std::string data = tmp.path() + "/data";
  testutil::StrataServer server;
  ASSERT_TRUE(server.Start(data)) << server.Log();
  uint16_t port = server.port();

  constexpr int kSeries = 50;
  constexpr int kSamplesPerBatch = 10;
  std::atomic<int> acked_batches{0};
  std::atomic<bool> sender_done{false};
  std::thread sender([&] {
    // Bounded: stops at the first failure (the kill) or after 100000 batches.
    for (int b = 0; b < 100000; ++b) {
      std::vector<RwSeries> batch;
      for (int s = 0; s < kSeries; ++s) {
        RwSeries rs;
        rs.labels = {{"__name__", "crash_test"}, {"series", std::to_string(s)}};
        for (int k = 0; k < kSamplesPerBatch; ++k) {
          int64_t t = (static_cast<int64_t>(b) * kSamplesPerBatch + k) * 1000;
          rs.samples.emplace_back(t, static_cast<double>(t) * 0.5 + s);
        }
        batch.push_back(std::move(rs));
      }
      auto r = Send(port, testutil::SnappyWriteRequest(batch));
      if (r.status != 204) break;
      acked_batches.store(b + 1);
    }
    sender_done = true;
  });
  // Kill while the stream is flowing: after a few hundred acknowledged batches.
  ASSERT_TRUE(testutil::WaitFor([&] { return acked_batches.load() >= 300 || sender_done.load(); },
                                std::chrono::seconds(60)));
  ASSERT_FALSE(sender_done.load()) << "sender stopped early: " << server.Log();
  EXPECT_EQ(server.process().Stop(SIGKILL), 128 + SIGKILL);
  sender.join();
  int acked = acked_batches.load();
  ASSERT_GE(acked, 300);

  // The server must start again on the same directory (torn tail or not), and stop cleanly.
  testutil::StrataServer again;
  ASSERT_TRUE(again.Start(data)) << again.Log();
  EXPECT_EQ(HttpDo(again.port(), "GET", "/-/ready").status, 200);
  EXPECT_EQ(again.process().Stop(SIGTERM), 0) << again.Log();

  auto back = ReadBack(data, "crash_test");
  ASSERT_EQ(back.size(), static_cast<size_t>(kSeries));
  for (int s = 0; s < kSeries; ++s) {
    std::string key = "{__name__=\"crash_test\", series=\"" + std::to_string(s) + "\"}";
    ASSERT_TRUE(back.count(key)) << key;
    const auto& samples = back[key];
    // Everything acknowledged is there, in order, with exact values; at most the one batch in
    // flight at the kill may also be there.
    ASSERT_GE(samples.size(), static_cast<size_t>(acked * kSamplesPerBatch)) << key;
    ASSERT_LE(samples.size(), static_cast<size_t>((acked + 1) * kSamplesPerBatch)) << key;
    for (size_t i = 0; i < samples.size(); ++i) {
      int64_t t = static_cast<int64_t>(i) * 1000;
      ASSERT_EQ(samples[i].timestamp_ms, t) << key;
      ASSERT_EQ(samples[i].value, static_cast<double>(t) * 0.5 + s) << key;
    }
  }
}

}  // namespace
}  // namespace strata
