// WAL salvage against the real binary, the black-box case: 2,000 series x 240 samples
// acknowledged, the server killed, four bytes of the fourth WAL segment overwritten; the
// restarted server keeps all but the damaged page's samples, leaves a copy of the damaged
// segment under damaged-*, reports the loss, and the next start is clean.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <tuple>

#include "testutil/http_client.h"
#include "testutil/process.h"
#include "testutil/remote_write.h"

namespace strata {
namespace {

using testutil::HttpDo;

constexpr int kSeries = 2000;
constexpr int kSamples = 240;

double CountSamples(uint16_t port) {
  auto q =
      HttpDo(port, "GET", "/api/v1/query?query=sum(count_over_time(salvage_m%5B2h%5D))&time=3600");
  size_t p = q.body.find("\"value\":[");
  if (q.status != 200 || p == std::string::npos) return -1;
  p = q.body.find(",\"", p);
  return std::atof(q.body.c_str() + p + 2);
}

std::vector<std::string> Segments(const std::string& wal) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(wal)) {
    std::string n = e.path().filename().string();
    if (n.size() == 8 && std::all_of(n.begin(), n.end(), ::isdigit)) out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Small segments, and no WAL checkpoint between moves: a tail checkpoint (the compactor checks
// every second) would delete the segments this test damages whenever the writes take longer.
const std::vector<std::string> kFlags = {"--wal.segment-size-bytes", "1048576",
                                         "--storage.wal-tail-checkpoint-bytes", "0"};

// Writes the black-box data into `data` with a real server, kills it, and overwrites four
// bytes in the middle of the fourth segment. Returns that segment's name and size.
std::pair<std::string, uintmax_t> WriteAndDamage(const std::string& data) {
  const std::vector<std::string>& flags = kFlags;
  {
    testutil::StrataServer server;
    if (!server.Start(data, flags)) {
      ADD_FAILURE() << server.Log();
      return {};
    }
    // Requests of 2,000 samples, as Prometheus sends them (max_samples_per_send).
    for (int step = 0; step < kSamples; step += 10) {
      for (int first = 0; first < kSeries; first += 200) {
        std::vector<testutil::RwSeries> batch;
        for (int s = first; s < first + 200; ++s) {
          testutil::RwSeries rs;
          rs.labels = {{"__name__", "salvage_m"}, {"series", std::to_string(s)}};
          for (int k = step; k < step + 10; ++k) rs.samples.emplace_back(k * 15000LL, s + k * 0.5);
          batch.push_back(std::move(rs));
        }
        auto r = HttpDo(server.port(), "POST", "/api/v1/write", testutil::SnappyWriteRequest(batch),
                        testutil::RemoteWriteHeaders());
        if (r.status != 204) {
          ADD_FAILURE() << r.body;
          return {};
        }
      }
    }
    EXPECT_EQ(CountSamples(server.port()), kSeries * kSamples);
    EXPECT_EQ(server.process().Stop(SIGKILL), 128 + SIGKILL);
  }
  const std::string wal = data + "/wal";
  auto segs = Segments(wal);
  if (segs.size() < 5) {
    ADD_FAILURE() << "want at least 5 segments, got " << segs.size();
    return {};
  }
  const std::string victim = wal + "/" + segs[3];
  const auto victim_size = std::filesystem::file_size(victim);
  {
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(victim_size / 2));
    f.write("\xde\xad\xbe\xef", 4);
  }
  std::cout << "WAL segments: " << segs.size() << ", damaged: " << segs[3] << "\n";
  return {segs[3], victim_size};
}

TEST(WalSalvageIntegrationTest, DamageInTheMiddleLosesOnlyTheDamagedPage) {
  testutil::TempDir tmp;
  const std::string data = tmp.path() + "/data";
  const std::string wal = data + "/wal";
  const std::vector<std::string>& flags = kFlags;
  std::vector<std::string> segs(4);
  uintmax_t victim_size = 0;
  std::tie(segs[3], victim_size) = WriteAndDamage(data);
  if (segs[3].empty()) return;  // WriteAndDamage failed an assertion.
  const std::string victim = wal + "/" + segs[3];
  {
    testutil::StrataServer server;
    ASSERT_TRUE(server.Start(data, flags)) << server.Log();
    const std::string log = server.Log();
    EXPECT_NE(log.find("salvage: skipped a damaged range"), std::string::npos) << log;
    EXPECT_NE(log.find("file=" + segs[3]), std::string::npos) << log;
    const double kept = CountSamples(server.port());
    std::cout << "salvage kept " << kept << " of " << kSeries * kSamples << " samples\n";
    EXPECT_GE(kept, 0.99 * kSeries * kSamples) << kept;
    EXPECT_LT(kept, kSeries * kSamples) << "the damaged page's samples cannot all be back";
    auto m = HttpDo(server.port(), "GET", "/metrics");
    EXPECT_NE(m.body.find("strata_wal_salvaged{what=\"ranges\"} 1"), std::string::npos);
    // The evidence: a copy of the damaged segment (the log itself no longer holds it).
    EXPECT_FALSE(std::filesystem::exists(victim));
    bool copied = false;
    for (const auto& e : std::filesystem::directory_iterator(wal)) {
      const std::string n = e.path().filename().string();
      if (n.rfind("damaged-", 0) == 0 && std::filesystem::exists(e.path() / segs[3])) {
        copied = std::filesystem::file_size(e.path() / segs[3]) == victim_size;
      }
    }
    EXPECT_TRUE(copied);
    EXPECT_EQ(server.process().Stop(SIGTERM), 0) << server.Log();
    // Again: the log is consistent now, nothing more is lost.
    testutil::StrataServer again;
    ASSERT_TRUE(again.Start(data, flags)) << again.Log();
    EXPECT_EQ(again.Log().find("salvage"), std::string::npos) << again.Log();
    EXPECT_EQ(CountSamples(again.port()), kept);
    EXPECT_EQ(again.process().Stop(SIGTERM), 0);
  }
}

class SalvageCrashTest : public ::testing::TestWithParam<std::string> {};

// A kill at each step of the salvage rewrite: the next start recovers the same samples.
TEST_P(SalvageCrashTest, AKillDuringSalvageIsHandledByTheNextStart) {
  testutil::TempDir tmp;
  const std::string data = tmp.path() + "/data";
  auto [victim, size] = WriteAndDamage(data);
  ASSERT_FALSE(victim.empty());
  {
    testutil::StrataServer server;
    server.SetEnv({{"STRATA_CRASH_AT", GetParam()}});
    server.Start(data, kFlags);  // Dies at the crash point, before or after being ready.
    int code = 0;
    ASSERT_TRUE(
        testutil::WaitFor([&] { return server.process().Exited(&code); }, std::chrono::seconds(30)))
        << server.Log();
    // (Start() may already have reaped the process, so the exit code is not always known.)
    EXPECT_NE(server.Log().find("point=" + GetParam()), std::string::npos) << server.Log();
  }
  testutil::StrataServer again;
  ASSERT_TRUE(again.Start(data, kFlags)) << again.Log();
  const double kept = CountSamples(again.port());
  EXPECT_GE(kept, 0.99 * kSeries * kSamples) << kept;
  EXPECT_LT(kept, kSeries * kSamples);
  EXPECT_EQ(again.process().Stop(SIGTERM), 0);
  testutil::StrataServer third;
  ASSERT_TRUE(third.Start(data, kFlags)) << third.Log();
  EXPECT_EQ(third.Log().find("salvage"), std::string::npos) << third.Log();
  EXPECT_EQ(CountSamples(third.port()), kept);
  EXPECT_EQ(third.process().Stop(SIGTERM), 0);
}

INSTANTIATE_TEST_SUITE_P(Steps, SalvageCrashTest,
                         ::testing::Values("salvage-replayed", "salvage-checkpoint-before-commit",
                                           "compact-checkpoint-written"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           std::string n = p.param;
                           for (char& c : n) {
                             if (c == '-') c = '_';
                           }
                           return n;
                         });

TEST(WalSalvageIntegrationTest, OffRefusesAndTruncateCuts) {
  testutil::TempDir tmp;
  const std::string data = tmp.path() + "/data";
  const std::vector<std::string> flags = {"--wal.segment-size-bytes", "65536"};
  {
    testutil::StrataServer server;
    ASSERT_TRUE(server.Start(data, flags)) << server.Log();
    for (int step = 0; step < 150; ++step) {
      std::vector<testutil::RwSeries> batch;
      for (int s = 0; s < 200; ++s) {
        batch.push_back({{{"__name__", "salvage_m"}, {"series", std::to_string(s)}},
                         {{step * 15000LL, 1.0 * step}}});
      }
      ASSERT_EQ(HttpDo(server.port(), "POST", "/api/v1/write", testutil::SnappyWriteRequest(batch),
                       testutil::RemoteWriteHeaders())
                    .status,
                204);
    }
    EXPECT_EQ(server.process().Stop(SIGKILL), 128 + SIGKILL);
  }
  auto segs = Segments(data + "/wal");
  ASSERT_GE(segs.size(), 4u);
  {
    const std::string victim = data + "/wal/" + segs[2];
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.write("\xde\xad\xbe\xef", 4);
  }
  testutil::TempDir cli;
  testutil::ChildProcess p;
  ASSERT_TRUE(p.Start({testutil::StrataBinary(), "serve", "--listen", "127.0.0.1:0", "--data-dir",
                       data, "--storage.wal-repair", "off"},
                      cli.path() + "/off.log"));
  int code = -1;
  ASSERT_TRUE(testutil::WaitFor([&] { return p.Exited(&code); }, std::chrono::seconds(30)));
  EXPECT_EQ(code, 1);
  const std::string off_log = testutil::ReadFile(cli.path() + "/off.log");
  EXPECT_NE(off_log.find("segment " + segs[2]), std::string::npos) << off_log;
  testutil::StrataServer server;
  std::vector<std::string> tflags = flags;
  tflags.insert(tflags.end(), {"--storage.wal-repair", "truncate"});
  ASSERT_TRUE(server.Start(data, tflags)) << server.Log();
  EXPECT_NE(server.Log().find("repair: cut the log at damage"), std::string::npos);
  EXPECT_EQ(Segments(data + "/wal").size(), 4u);  // Two kept, the cut one, the new one.
  EXPECT_EQ(server.process().Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace strata
