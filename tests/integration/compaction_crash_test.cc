// Crash safety of a head-to-warm move, of a WAL checkpoint between moves and of a warm-to-cold
// move, against the real binary: for each named step of a move
// (base/crash_point.h), a server armed with STRATA_CRASH_AT=<step> takes remote-write load in
// time order until its compactor reaches that step and SIGKILLs itself; a restarted server must
// then answer with every acknowledged sample exactly once.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "testutil/http_client.h"
#include "testutil/process.h"
#include "testutil/remote_write.h"
#include "testutil/tiers.h"

namespace strata {
namespace {

using testutil::HttpDo;
using testutil::RwSeries;

const std::vector<std::pair<std::string, std::string>>& kRwHeaders = testutil::RemoteWriteHeaders();

constexpr int kSeries = 20;
constexpr int kSamplesPerBatch = 20;  // Per series: 5 minutes at 15 s.
constexpr int64_t kStepMs = 15000;

double ValueAt(int series, int64_t t) { return static_cast<double>(t) / 1000.0 + series * 0.25; }

// Sends batches in time order until a request fails or `max_batches` are acknowledged.
int SendUntilFailure(uint16_t port, int first_batch, int max_batches) {
  int acked = first_batch;
  for (int b = first_batch; b < max_batches; ++b) {
    std::vector<RwSeries> batch;
    for (int s = 0; s < kSeries; ++s) {
      RwSeries rs;
      rs.labels = {{"__name__", "move_crash"}, {"series", std::to_string(s)}};
      for (int k = 0; k < kSamplesPerBatch; ++k) {
        int64_t t = (static_cast<int64_t>(b) * kSamplesPerBatch + k) * kStepMs;
        rs.samples.emplace_back(t, ValueAt(s, t));
      }
      batch.push_back(std::move(rs));
    }
    auto r = HttpDo(port, "POST", "/api/v1/write", testutil::SnappyWriteRequest(batch), kRwHeaders);
    if (r.status != 204) break;
    acked = b + 1;
  }
  return acked;
}

class MoveCrashTest : public ::testing::TestWithParam<std::string> {
 protected:
  // The tail-* steps belong to a WAL checkpoint between moves: with the smallest minimum, one
  // is due as soon as the samples logged since the last checkpoint outgrow half the head.
  bool Tail() const { return GetParam().rfind("tail-", 0) == 0; }
  std::vector<std::string> Flags() const {
    if (Tail()) return {"--storage.wal-tail-checkpoint-bytes=1"};
    return {};
  }
};

TEST_P(MoveCrashTest, EveryAcknowledgedSampleSurvivesAKillAtThisStep) {
  testutil::TempDir tmp;
  const std::string data = tmp.path() + "/data";
  int acked = 0;
  {
    testutil::StrataServer server;
    server.SetEnv({{"STRATA_CRASH_AT", GetParam()}});
    ASSERT_TRUE(server.Start(data, Flags())) << server.Log();
    // 4000 batches = 333 h of data; the first move is due after about 3 h (37 batches). For a
    // checkpoint between moves, 30 batches (2.5 h): no move is due, so the compactor's next
    // tick finds the logged samples larger than half the head and checkpoints them.
    acked = SendUntilFailure(server.port(), 0, Tail() ? 30 : 4000);
    int code = 0;
    ASSERT_TRUE(
        testutil::WaitFor([&] { return server.process().Exited(&code); }, std::chrono::seconds(60)))
        << "the server did not reach crash point " << GetParam() << ": " << server.Log();
    EXPECT_EQ(code, 128 + SIGKILL) << server.Log();
    ASSERT_NE(server.Log().find("point=" + GetParam()), std::string::npos) << server.Log();
  }
  ASSERT_GT(acked, Tail() ? 0 : 37);

  // Restart: recovers, redoes the interrupted move, and takes more data.
  testutil::StrataServer again;
  ASSERT_TRUE(again.Start(data, Flags())) << again.Log();
  int more = SendUntilFailure(again.port(), acked + 1, acked + 80);
  // The batch after `acked` may or may not have been stored before the kill; skip it and
  // continue one batch later, so later data never collides with it.
  ASSERT_EQ(more, acked + 80) << again.Log();
  // Wait for the compactor to catch up (head within 3 h of its newest sample).
  auto metric = [&](const std::string& name) {
    auto r = HttpDo(again.port(), "GET", "/metrics");
    size_t p = r.body.find("\n" + name + " ");
    return p == std::string::npos ? -1.0 : std::atof(r.body.c_str() + p + name.size() + 2);
  };
  ASSERT_TRUE(testutil::WaitFor([&] { return metric("strata_compactions_total") >= 1; },
                                std::chrono::seconds(60)))
      << again.Log();
  if (GetParam().rfind("cold-", 0) == 0) {
    // The interrupted cold move is redone (or was complete): the first partition is cold.
    ASSERT_TRUE(testutil::WaitFor([&] { return metric("strata_cold_blocks") >= 1; },
                                  std::chrono::seconds(60)))
        << again.Log();
  }
  const bool downsample = GetParam().rfind("downsample-", 0) == 0;
  if (downsample) {
    // The interrupted downsampling is redone (or was complete), once: one 5m block for each
    // raw block, never two.
    auto res = [&](const char* r) {
      return metric(std::string("strata_cold_resolution_blocks{resolution=\"") + r + "\"}");
    };
    ASSERT_TRUE(testutil::WaitFor([&] { return res("5m") >= 1 && res("5m") == res("raw"); },
                                  std::chrono::seconds(60)))
        << again.Log();
    EXPECT_EQ(res("5m"), res("raw"));
  }
  // One query over everything: each acknowledged sample exactly once.
  auto q = HttpDo(again.port(), "GET",
                  "/api/v1/query?query=sum(count_over_time(move_crash%5B30d%5D))&time=" +
                      std::to_string((acked + 80) * kSamplesPerBatch * kStepMs / 1000));
  ASSERT_EQ(q.status, 200) << q.body;
  if (downsample) {
    // The same count from 5m data where it exists: nothing lost or doubled by the windows.
    auto q5 = HttpDo(again.port(), "GET",
                     "/api/v1/query?query=sum(count_over_time(move_crash%5B30d%5D))&time=" +
                         std::to_string((acked + 80) * kSamplesPerBatch * kStepMs / 1000) +
                         "&max_source_resolution=5m");
    ASSERT_EQ(q5.status, 200) << q5.body;
    EXPECT_NE(q5.body.find("data at 5m resolution"), std::string::npos) << q5.body;
    auto value = [](const std::string& body) { return body.substr(body.rfind(",\"") + 2); };
    EXPECT_EQ(value(q5.body.substr(0, q5.body.find("]"))),
              value(q.body.substr(0, q.body.find("]"))))
        << q5.body << " vs " << q.body;
  }
  EXPECT_EQ(again.process().Stop(SIGTERM), 0) << again.Log();

  auto back = testutil::ReadMetric(data, "move_crash");
  ASSERT_EQ(back.size(), static_cast<size_t>(kSeries));
  const auto& s0 = back.begin()->second;
  size_t first_part = 0;
  while (first_part < s0.size() && s0[first_part].timestamp_ms < static_cast<int64_t>(acked + 1) *
                                                                     kSamplesPerBatch * kStepMs) {
    ++first_part;
  }
  EXPECT_TRUE(first_part == static_cast<size_t>(acked * kSamplesPerBatch) ||
              first_part == static_cast<size_t>((acked + 1) * kSamplesPerBatch))
      << first_part;
  const size_t total = first_part + static_cast<size_t>((more - acked - 1) * kSamplesPerBatch);
  EXPECT_NE(q.body.find("\"" + std::to_string(total * kSeries) + "\""), std::string::npos)
      << q.body << " want " << total * kSeries;
  for (const auto& [key, samples] : back) {
    ASSERT_EQ(samples.size(), total) << key;
    for (size_t i = 1; i < samples.size(); ++i) {
      ASSERT_LT(samples[i - 1].timestamp_ms, samples[i].timestamp_ms) << key;
    }
  }
  // The part before the kill, exactly.
  for (const auto& [key, samples] : back) {
    int s = std::atoi(key.substr(key.find("series=\"") + 8).c_str());
    for (size_t i = 0; i < first_part; ++i) {
      int64_t t = static_cast<int64_t>(i) * kStepMs;
      ASSERT_EQ(samples[i].timestamp_ms, t) << key;
      ASSERT_EQ(samples[i].value, ValueAt(s, t)) << key;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Steps, MoveCrashTest,
    ::testing::Values("compact-collected", "compact-warm-written", "compact-memory-truncated",
                      "compact-checkpoint-before-commit", "compact-checkpoint-written",
                      "compact-segments-deleted", "tail-checkpoint-before-commit",
                      "tail-checkpoint-written", "tail-segments-deleted", "cold-block-built",
                      "cold-files-uploaded", "cold-meta-written", "cold-warm-dropped",
                      "downsample-block-built", "downsample-files-uploaded",
                      "downsample-meta-written"),
    [](const ::testing::TestParamInfo<std::string>& p) {
      std::string n = p.param;
      for (char& c : n) {
        if (c == '-') c = '_';
      }
      return n;
    });

}  // namespace
}  // namespace strata
