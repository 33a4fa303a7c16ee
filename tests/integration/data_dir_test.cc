// The data directory across releases and the `strata compact` command, against the real binary:
// a WAL-only directory (the first release's layout) is migrated with every sample kept, a newer
// format is refused with a clear message, `strata compact` refuses a directory a server holds
// and otherwise moves what is due, and series/label endpoints span the tiers.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "storage/head.h"
#include "testutil/http_client.h"
#include "testutil/process.h"
#include "testutil/remote_write.h"
#include "testutil/tiers.h"

namespace strata {
namespace {

using testutil::HttpDo;

constexpr int64_t kHour = 3600 * 1000;

// Writes `hours` of 15 s samples for 3 series of metric `name` through the storage library,
// leaving a WAL-only directory as the first release did.
void WriteWalOnly(const std::string& dir, const std::string& name, int hours) {
  storage::HeadOptions o;
  o.series_map_stripes = 16;
  auto head = storage::Head::Open(dir, o, nullptr);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  for (int s = 0; s < 3; ++s) {
    std::string id = std::to_string(s);
    std::vector<model::LabelView> labels = {{"__name__", name}, {"series", id}};
    std::vector<model::Sample> samples;
    for (int64_t t = 0; t < hours * kHour; t += 15000) samples.push_back({t, double(t) + s});
    std::vector<storage::SeriesInput> batch = {{labels, samples}};
    storage::AppendResult r;
    ASSERT_TRUE((*head)->Append(batch, &r).ok());
  }
  ASSERT_TRUE((*head)->Close().ok());
}

int RunCli(const std::vector<std::string>& args, std::string* log) {
  return testutil::RunStrataCli(args, log);
}

TEST(DataDirIntegrationTest, AWalOnlyDirectoryIsMigratedWithEverySample) {
  testutil::TempDir tmp;
  const std::string data = tmp.path() + "/data";
  WriteWalOnly(data, "old", 5);
  ASSERT_FALSE(std::filesystem::exists(data + "/FORMAT"));
  testutil::StrataServer server;
  ASSERT_TRUE(server.Start(data)) << server.Log();
  EXPECT_NE(server.Log().find("migrated a WAL-only data directory"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(data + "/FORMAT"));
  // The compactor moves the old hours to the warm tier; the answer stays whole.
  ASSERT_TRUE(testutil::WaitFor(
      [&] {
        auto r = HttpDo(server.port(), "GET", "/metrics");
        return r.body.find("\nstrata_compactions_total 1") != std::string::npos;
      },
      std::chrono::seconds(30)))
      << server.Log();
  auto q =
      HttpDo(server.port(), "GET",
             "/api/v1/query?query=count_over_time(old%5B1d%5D)&time=" + std::to_string(5 * 3600));
  ASSERT_EQ(q.status, 200) << q.body;
  EXPECT_NE(q.body.find("\"1200\""), std::string::npos) << q.body;
  // Series and label endpoints span the tiers: [0, 1 h] now lies in the warm tier only.
  auto series = HttpDo(server.port(), "GET", "/api/v1/series?match[]=old&start=0&end=3600");
  ASSERT_EQ(series.status, 200);
  EXPECT_NE(series.body.find("\"series\":\"2\""), std::string::npos) << series.body;
  auto values = HttpDo(server.port(), "GET", "/api/v1/label/series/values?start=0&end=3600");
  EXPECT_NE(values.body.find("[\"0\",\"1\",\"2\"]"), std::string::npos) << values.body;
  // A sample older than the moved range is out of bounds (400, named); the rest of the batch
  // is kept.
  auto w =
      HttpDo(server.port(), "POST", "/api/v1/write",
             testutil::SnappyWriteRequest({{{{"__name__", "old"}, {"series", "0"}}, {{60000, 7}}},
                                           {{{"__name__", "fresh"}}, {{5 * kHour, 1}}}}),
             testutil::RemoteWriteHeaders());
  EXPECT_EQ(w.status, 400) << w.body;
  EXPECT_NE(w.body.find("out of bounds"), std::string::npos) << w.body;
  auto fresh =
      HttpDo(server.port(), "GET", "/api/v1/query?query=fresh&time=" + std::to_string(5 * 3600));
  EXPECT_NE(fresh.body.find("\"fresh\""), std::string::npos) << fresh.body;
  EXPECT_EQ(server.process().Stop(SIGTERM), 0) << server.Log();
  auto back = testutil::ReadMetric(data, "old");
  ASSERT_EQ(back.size(), 3u);
  for (const auto& [k, v] : back) EXPECT_EQ(v.size(), 1200u) << k;
}

TEST(DataDirIntegrationTest, ANewerFormatIsRefusedWithAClearMessage) {
  testutil::TempDir tmp;
  const std::string data = tmp.path() + "/data";
  std::filesystem::create_directories(data);
  {
    std::ofstream f(data + "/FORMAT");
    f << "strata-data 9\n";
  }
  std::string log;
  int code = RunCli({"serve", "--listen", "127.0.0.1:0", "--data-dir", data}, &log);
  EXPECT_EQ(code, 1) << log;
  EXPECT_NE(log.find("format version 9"), std::string::npos) << log;
  code = RunCli({"compact", "--data-dir", data}, &log);
  EXPECT_EQ(code, 1) << log;
  EXPECT_NE(log.find("format version 9"), std::string::npos) << log;
}

TEST(DataDirIntegrationTest, BadStorageFlagsAreUsageErrors) {
  testutil::TempDir tmp;
  const std::string data = tmp.path() + "/data";
  struct Case {
    std::vector<std::string> flags;
    std::string fragment;
  };
  const std::vector<Case> cases = {
      {{"--ingest.out-of-order-window", "2h"}, "out-of-order window"},
      {{"--storage.retention", "soon"}, "--storage.retention"},
      {{"--storage.retention", "1m"}, "retention"},
      {{"--storage.retention.size", "12XB"}, "unknown unit"},
      {{"--storage.retention", "1d"}, "must be longer than --downsample.5m-after"},
      {{"--storage.retention.5m", "5d"}, "must be longer than --downsample.1h-after"},
      {{"--downsample.5m-after", "later"}, "--downsample.5m-after"},
      {{"--query.max-source-resolution", "fast"}, "use raw (or 0s), 5m, 1h or auto"},
      // Unsigned limits refuse a sign (CLI11 would read -1 as the largest value: no limit).
      {{"--storage.max-series=-1"}, "must be a non-negative integer without a sign, got -1"},
      {{"--ingest.max-samples-per-request", "+5"}, "without a sign, got +5"},
      {{"--ingest.max-label-value-length", "x"}, "--ingest.max-label-value-length"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"serve", "--listen", "127.0.0.1:0", "--data-dir", data};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    std::string log;
    EXPECT_EQ(RunCli(args, &log), 2) << c.flags[0] << ": " << log;
    EXPECT_NE(log.find(c.fragment), std::string::npos) << c.flags[0] << ": " << log;
  }
}

TEST(DataDirIntegrationTest, ACorruptWarmTierIsAStartUpError) {
  testutil::TempDir tmp;
  const std::string data = tmp.path() + "/data";
  {
    testutil::StrataServer server;
    ASSERT_TRUE(server.Start(data)) << server.Log();
    EXPECT_EQ(server.process().Stop(SIGTERM), 0);
  }
  // Damage every RocksDB file's header.
  for (const auto& e : std::filesystem::directory_iterator(data + "/warm")) {
    if (!e.is_regular_file() || e.path().filename().string().rfind("LOG", 0) == 0) continue;
    std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(0);
    f.write("\xde\xad\xbe\xef garbage garbage", 20);
  }
  std::string log;
  int code = RunCli({"serve", "--listen", "127.0.0.1:0", "--data-dir", data}, &log);
  EXPECT_EQ(code, 1) << log;
  EXPECT_NE(log.find("warm"), std::string::npos) << log;
}

TEST(DataDirIntegrationTest, CompactRefusesALockedDirectoryAndMovesWhatIsDue) {
  testutil::TempDir tmp;
  const std::string data = tmp.path() + "/data";
  WriteWalOnly(data, "cli", 8);
  {
    testutil::StrataServer server;
    ASSERT_TRUE(server.Start(data)) << server.Log();
    std::string log;
    EXPECT_EQ(RunCli({"compact", "--data-dir", data}, &log), 1) << log;
    EXPECT_NE(log.find("in use"), std::string::npos) << log;
    EXPECT_EQ(server.process().Stop(SIGTERM), 0);
  }
  testutil::TempDir tmp2;
  const std::string fresh = tmp2.path() + "/data";
  WriteWalOnly(fresh, "cli", 8);
  std::string log;
  EXPECT_EQ(RunCli({"compact", "--data-dir", fresh}, &log), 0) << log;
  // 0-6h of one warm partition go in one move (see Compactor::MoveOne).
  EXPECT_NE(log.find("moved 1 head range(s)"), std::string::npos) << log;
  // Its three records (integer values) are re-encoded as decimal groups by the move.
  EXPECT_NE(log.find("re-encoded 3 warm chunk record(s)"), std::string::npos) << log;
  EXPECT_EQ(RunCli({"compact", "--data-dir", fresh}, &log), 0) << log;
  EXPECT_NE(log.find("moved 0 head range(s)"), std::string::npos) << log;
  EXPECT_NE(log.find("re-encoded 0 warm chunk record(s)"), std::string::npos) << log;
  EXPECT_EQ(RunCli({"compact", "--bogus"}, &log), 2) << log;
  auto back = testutil::ReadMetric(fresh, "cli");
  ASSERT_EQ(back.size(), 3u);
  for (const auto& [k, v] : back) EXPECT_EQ(v.size(), static_cast<size_t>(8 * 240)) << k;
}

// A data directory given relative to the working directory (`make run` passes ./data): the
// server and the commands open it, and its cold tier (<data-dir>/cold) too.
TEST(DataDirIntegrationTest, ARelativeDataDirectoryWorks) {
  testutil::TempDir tmp;
  const std::string data = tmp.path() + "/data";
  WriteWalOnly(data, "rel", 2);
  const std::string rel = std::filesystem::relative(data, std::filesystem::current_path()).string();
  ASSERT_FALSE(rel.empty());
  ASSERT_NE(rel.front(), '/');
  {
    testutil::StrataServer server;
    ASSERT_TRUE(server.Start(rel)) << server.Log();
    auto q = HttpDo(server.port(), "GET", "/api/v1/query?query=count(rel)&time=3600");
    EXPECT_NE(q.body.find("\"3\""), std::string::npos) << q.body;
    EXPECT_EQ(server.process().Stop(SIGTERM), 0) << server.Log();
  }
  std::string log;
  EXPECT_EQ(RunCli({"compact", "--data-dir", rel}, &log), 0) << log;
  EXPECT_EQ(RunCli({"inspect", "--data-dir", rel}, &log), 0) << log;
  EXPECT_TRUE(std::filesystem::is_directory(data + "/cold")) << log;
}

// A cold block that cannot be downsampled does not stop `strata compact`: the other blocks are
// built, then the failure is printed and the exit status is 1.
TEST(DataDirIntegrationTest, CompactReportsABlockItCannotDownsampleAndBuildsTheOthers) {
  testutil::TempDir tmp;
  const std::string data = tmp.path() + "/data";
  WriteWalOnly(data, "ds", 4 * 24);
  std::string log;
  // Moves only: days 0 and 1 end 40 h before the newest sample and go cold.
  ASSERT_EQ(RunCli({"compact", "--data-dir", data, "--downsample.5m-after=0"}, &log), 0) << log;
  EXPECT_NE(log.find("moved 2 warm partition(s) to the cold tier"), std::string::npos) << log;
  // Damage one raw block's chunk file (the same size, other bytes).
  std::vector<std::filesystem::path> chunk_files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(data + "/cold")) {
    if (e.is_regular_file() && e.path().parent_path().filename() == "chunks") {
      chunk_files.push_back(e.path());
    }
  }
  ASSERT_EQ(chunk_files.size(), 2u) << log;
  std::sort(chunk_files.begin(), chunk_files.end());
  {
    std::fstream f(chunk_files[0], std::ios::in | std::ios::out | std::ios::binary);
    const auto size = static_cast<std::streamoff>(std::filesystem::file_size(chunk_files[0]));
    for (std::streamoff at = 8; at < size; at += 5) {
      f.seekp(at);
      f.put('\x5a');
    }
  }
  EXPECT_EQ(RunCli({"compact", "--data-dir", data}, &log), 1) << log;
  EXPECT_NE(log.find("built 1 downsampled block(s)"), std::string::npos) << log;
  EXPECT_NE(log.find("strata compact: Corruption: downsampling cold block"), std::string::npos)
      << log;
  EXPECT_NE(log.find("checksum mismatch"), std::string::npos) << log;
}

}  // namespace
}  // namespace strata
