// strata backup / restore / inspect against the real binary: offline and online (under load)
// backups, restore into an empty directory and a server that then answers with every sample
// acknowledged before the snapshot, refusal of non-empty targets and corrupt backups, usage
// errors.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include "testutil/http_client.h"
#include "testutil/process.h"
#include "testutil/remote_write.h"

namespace strata {
namespace {

// Raw cold blocks (5m blocks of the same days may appear beside them: downsampling is on).
constexpr const char* kRawBlocks = "strata_cold_resolution_blocks{resolution=\"raw\"}";

using testutil::HttpDo;
using testutil::RunStrataCli;
using testutil::RwSeries;

constexpr int kSeries = 10;
constexpr int kPerBatch = 40;  // Samples per series per request: 10 minutes at 15 s.
constexpr int64_t kStep = 15000;

double Value(int s, int64_t t) { return static_cast<double>(t / kStep) + s * 0.5; }

// Sends batches [first, last) in time order; returns how many were acknowledged (stops at the
// first failure).
int Send(uint16_t port, int first, int last, const std::string& name = "bk") {
  for (int b = first; b < last; ++b) {
    std::vector<RwSeries> batch;
    for (int s = 0; s < kSeries; ++s) {
      RwSeries rs;
      rs.labels = {{"__name__", name}, {"series", std::to_string(s)}};
      for (int k = 0; k < kPerBatch; ++k) {
        int64_t t = (static_cast<int64_t>(b) * kPerBatch + k) * kStep;
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

double Metric(uint16_t port, const std::string& name) {
  auto r = HttpDo(port, "GET", "/metrics");
  size_t p = r.body.find("\n" + name + " ");
  return p == std::string::npos ? -1.0 : std::atof(r.body.c_str() + p + name.size() + 2);
}

// sum(count_over_time(name[30d])) at `t_s`, as the string Prometheus prints.
std::string Count(uint16_t port, const std::string& name, int64_t t_s) {
  auto q = HttpDo(port, "GET",
                  "/api/v1/query?query=sum(count_over_time(" + name +
                      "%5B30d%5D))&time=" + std::to_string(t_s));
  EXPECT_EQ(q.status, 200) << q.body;
  size_t p = q.body.find("\"value\":[");
  if (p == std::string::npos) return "none";
  size_t a = q.body.find(",\"", p);
  size_t b = q.body.find('"', a + 2);
  return q.body.substr(a + 2, b - a - 2);
}

// 4.5 days of data: with the default 40 h warm span, the first two days go cold.
constexpr int kBatches = 4 * 144 + 72;

// Kills `strata restore` of `backup` at each of its steps (base/crash_point.h), into a fresh
// directory each time, with the default cold store and with a named one: until the same
// command is run again the directory is refused, and after that a server answers `count`
// samples at `t_s`. The last step (marker removed) leaves a whole restore.
void KillRestoreAtEachStep(const std::string& tmp, const std::string& backup, int64_t t_s,
                           const std::string& count) {
  const std::vector<std::string> steps = {"restore-marked", "restore-block-files-copied",
                                          "restore-block-restored", "restore-blocks-restored",
                                          "restore-unmarked"};
  int run = 0;
  for (bool named_store : {false, true}) {
    for (const std::string& step : steps) {
      if (named_store && step != "restore-block-restored") continue;
      SCOPED_TRACE(step + (named_store ? " (named cold store)" : ""));
      const std::string dir = tmp + "/killed" + std::to_string(run++);
      std::vector<std::string> args = {"restore", "--from", backup, "--data-dir", dir};
      std::vector<std::string> serve = {"--data-dir", dir};
      if (named_store) {
        args.push_back("--storage.cold.url=file://" + dir + "-store");
        serve.push_back("--storage.cold.url=file://" + dir + "-store");
      }
      std::string log;
      ASSERT_EQ(RunStrataCli(args, &log, std::chrono::seconds(120), {{"STRATA_CRASH_AT", step}}),
                128 + SIGKILL)
          << log;
      if (step != "restore-unmarked") {
        std::vector<std::string> cmd = {"serve", "--listen", "127.0.0.1:0"};
        cmd.insert(cmd.end(), serve.begin(), serve.end());
        EXPECT_EQ(RunStrataCli(cmd, &log), 1) << log;
        EXPECT_NE(log.find("holds an unfinished restore"), std::string::npos) << log;
        // Another backup's restore is refused; the same one finishes.
        EXPECT_EQ(RunStrataCli({"restore", "--from", tmp + "/elsewhere", "--data-dir", dir}, &log),
                  1)
            << log;
        EXPECT_NE(log.find("run that restore again"), std::string::npos) << log;
        if (step == "restore-marked") {
          // The same location now holding another backup: refused.
          const std::string marker = dir + "/RESTORE-IN-PROGRESS";
          const std::string text = testutil::ReadFile(marker);
          ASSERT_NE(text.find("\nbackup "), std::string::npos) << text;
          std::ofstream(marker) << "restore from " << backup
                                << "\nbackup 20260101T000000Z-0\ncold \n";
          EXPECT_EQ(RunStrataCli(args, &log), 1) << log;
          EXPECT_NE(log.find("was of backup 20260101T000000Z-0"), std::string::npos) << log;
          // Into another cold store than the first run's: refused (its blocks would be orphaned).
          std::ofstream(marker) << text;
          std::vector<std::string> other = args;
          other.push_back("--storage.cold.url=file://" + dir + "-elsewhere");
          EXPECT_EQ(RunStrataCli(other, &log), 1) << log;
          EXPECT_NE(log.find("into another cold store"), std::string::npos) << log;
          // The first release's marker (its one line): not resumed, whatever the backup is.
          std::ofstream(marker, std::ios::trunc) << "restore from " << backup << "\n";
          EXPECT_EQ(RunStrataCli(args, &log), 1) << log;
          EXPECT_NE(log.find("by an older release"), std::string::npos) << log;
          std::ofstream(marker, std::ios::trunc) << text;
        }
        ASSERT_EQ(RunStrataCli(args, &log), 0) << log;
        EXPECT_NE(log.find("finishing the unfinished restore"), std::string::npos) << log;
      }
      EXPECT_FALSE(std::filesystem::exists(dir + "/RESTORE-IN-PROGRESS"));
      EXPECT_FALSE(std::filesystem::exists(dir + "/restore-staging"));
      testutil::StrataServer server;
      ASSERT_TRUE(server.Start(dir, {serve.begin() + 2, serve.end()})) << server.Log();
      EXPECT_EQ(Count(server.port(), "bk", t_s), count);
    }
  }
}

TEST(BackupRestoreTest, OfflineBackupRestoresEverySampleAndInspectReportsTheTiers) {
  testutil::TempDir tmp;
  const std::string data = tmp.path() + "/data";
  {
    testutil::StrataServer server;
    ASSERT_TRUE(server.Start(data)) << server.Log();
    ASSERT_EQ(Send(server.port(), 0, kBatches), kBatches);
    ASSERT_TRUE(testutil::WaitFor([&] { return Metric(server.port(), kRawBlocks) >= 2; },
                                  std::chrono::seconds(60)))
        << server.Log();
    EXPECT_EQ(server.process().Stop(SIGTERM), 0) << server.Log();
  }
  const int64_t total = int64_t{kBatches} * kPerBatch * kSeries;
  std::string log;
  ASSERT_EQ(RunStrataCli({"inspect", "--data-dir", data, "--output", "json"}, &log), 0) << log;
  EXPECT_NE(log.find("\"samples\": " + std::to_string(total) + ", \"bytes\""), std::string::npos)
      << log;
  EXPECT_NE(log.find("\"resolution_ms\": 0"), std::string::npos) << log;
  EXPECT_NE(log.find("{\"name\": \"bk\", \"series\": 10}"), std::string::npos) << log;
  ASSERT_EQ(RunStrataCli({"inspect", "--data-dir", data}, &log), 0) << log;
  EXPECT_NE(log.find("top metrics by series"), std::string::npos) << log;
  EXPECT_NE(log.find("bytes per sample"), std::string::npos) << log;

  const std::string backup = tmp.path() + "/backup";
  ASSERT_EQ(RunStrataCli({"backup", "--data-dir", data, "--to", backup}, &log), 0) << log;
  EXPECT_TRUE(std::filesystem::exists(backup + "/manifest.json"));
  // Not into a non-empty target.
  EXPECT_EQ(RunStrataCli({"backup", "--data-dir", data, "--to", backup}, &log), 1) << log;
  EXPECT_NE(log.find("not empty"), std::string::npos) << log;

  // Another node id than the backup's blocks belong to: the server would read none of them.
  EXPECT_EQ(RunStrataCli({"restore", "--from", backup, "--data-dir", tmp.path() + "/other",
                          "--storage.cold.node-id=other1"},
                         &log),
            2)
      << log;
  EXPECT_NE(log.find("differs from the backup's node"), std::string::npos) << log;
  EXPECT_FALSE(std::filesystem::exists(tmp.path() + "/other"));

  const std::string restored = tmp.path() + "/restored";
  ASSERT_EQ(RunStrataCli({"restore", "--from", backup, "--data-dir", restored}, &log), 0) << log;
  EXPECT_FALSE(std::filesystem::exists(restored + "/RESTORE-IN-PROGRESS")) << log;
  // A named cold store that already holds the node's blocks (a live server's) is refused.
  EXPECT_EQ(RunStrataCli({"restore", "--from", backup, "--data-dir", tmp.path() + "/again",
                          "--storage.cold.url=file://" + restored + "/cold"},
                         &log),
            1)
      << log;
  EXPECT_NE(log.find("already holds blocks of node"), std::string::npos) << log;
  EXPECT_FALSE(std::filesystem::exists(tmp.path() + "/again")) << log;
  {
    // A restore that did not finish (killed, disk full) leaves its marker: nothing opens the
    // partly written directory as if it were whole.
    const std::string partial = tmp.path() + "/partial";
    std::filesystem::copy(restored, partial, std::filesystem::copy_options::recursive);
    std::ofstream(partial + "/RESTORE-IN-PROGRESS") << "restore from " << backup << "\n";
    for (const std::vector<std::string>& cmd :
         {std::vector<std::string>{"serve", "--listen", "127.0.0.1:0", "--data-dir", partial},
          std::vector<std::string>{"compact", "--data-dir", partial},
          std::vector<std::string>{"inspect", "--data-dir", partial}}) {
      EXPECT_EQ(RunStrataCli(cmd, &log), 1) << cmd[0] << ": " << log;
      EXPECT_NE(log.find("holds an unfinished restore"), std::string::npos)
          << cmd[0] << ": " << log;
    }
  }
  EXPECT_EQ(RunStrataCli({"restore", "--from", backup, "--data-dir", restored}, &log), 1) << log;
  EXPECT_NE(log.find("not empty"), std::string::npos) << log;
  KillRestoreAtEachStep(tmp.path(), backup, int64_t{kBatches} * kPerBatch * kStep / 1000,
                        std::to_string(total));
  // The original node's id goes with the data.
  std::ifstream a(data + "/node-id"), b(restored + "/node-id");
  std::string ida, idb;
  std::getline(a, ida);
  std::getline(b, idb);
  EXPECT_EQ(ida, idb);
  // A server on the restored directory answers every sample, from the cold tier alone.
  testutil::StrataServer server;
  ASSERT_TRUE(server.Start(restored)) << server.Log();
  EXPECT_EQ(Count(server.port(), "bk", int64_t{kBatches} * kPerBatch * kStep / 1000),
            std::to_string(total));
  auto q = HttpDo(server.port(), "GET",
                  "/api/v1/query?query=bk%7Bseries%3D%223%22%7D&time=" +
                      std::to_string((int64_t{kBatches} * kPerBatch - 1) * kStep / 1000));
  EXPECT_NE(q.body.find(
                "\"" +
                std::to_string(Value(3, (int64_t{kBatches} * kPerBatch - 1) * kStep)).substr(0, 6)),
            std::string::npos)
      << q.body;
  // New data goes on top.
  EXPECT_EQ(Send(server.port(), kBatches, kBatches + 10), 10);
  EXPECT_EQ(Count(server.port(), "bk", int64_t{kBatches + 10} * kPerBatch * kStep / 1000),
            std::to_string(total + 10 * kPerBatch * kSeries));
}

TEST(BackupRestoreTest, OnlineBackupUnderLoadKeepsEverySampleAcknowledgedBeforeIt) {
  testutil::TempDir tmp;
  const std::string data = tmp.path() + "/data";
  testutil::StrataServer server;
  ASSERT_TRUE(server.Start(data, {"--web.enable-admin-api"})) << server.Log();
  ASSERT_EQ(Send(server.port(), 0, kBatches), kBatches);
  ASSERT_TRUE(testutil::WaitFor([&] { return Metric(server.port(), kRawBlocks) >= 1; },
                                std::chrono::seconds(60)))
      << server.Log();
  // Keep writing another metric while the backup runs.
  std::atomic<bool> stop{false};
  std::atomic<int> live_acked{0};
  std::thread writer([&] {
    // After the "bk" data: older samples would be out of bounds by now.
    for (int b = 0; b < 2000 && !stop.load(); ++b) {
      if (Send(server.port(), kBatches + b, kBatches + b + 1, "live") != 1) break;
      live_acked.store(b + 1);
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const int live_before = live_acked.load();
  ASSERT_GT(live_before, 0);
  std::string log;
  const std::string backup = tmp.path() + "/backup";
  const int code = RunStrataCli(
      {"backup", "--url", "http://127.0.0.1:" + std::to_string(server.port()), "--to", backup},
      &log);
  stop.store(true);
  writer.join();
  ASSERT_EQ(code, 0) << log << server.Log();
  // The server's staging copy is gone.
  EXPECT_TRUE(!std::filesystem::exists(data + "/snapshots") ||
              std::filesystem::is_empty(data + "/snapshots"));
  EXPECT_EQ(server.process().Stop(SIGTERM), 0);

  const std::string restored = tmp.path() + "/restored";
  ASSERT_EQ(RunStrataCli({"restore", "--from", backup, "--data-dir", restored}, &log), 0) << log;
  testutil::StrataServer again;
  ASSERT_TRUE(again.Start(restored)) << again.Log();
  EXPECT_EQ(Count(again.port(), "bk", int64_t{kBatches} * kPerBatch * kStep / 1000),
            std::to_string(int64_t{kBatches} * kPerBatch * kSeries));
  // Every "live" batch acknowledged before the backup started is there (later ones may be).
  auto live = Count(again.port(), "live", int64_t{kBatches + 2000} * kPerBatch * kStep / 1000);
  ASSERT_NE(live, "none");
  EXPECT_GE(std::stoll(live), int64_t{live_before} * kPerBatch * kSeries) << live;
}

// A backup killed after its first block, online (the server dies inside the snapshot API) and
// offline (the CLI dies): the data directory keeps every sample, the next start removes the
// staging areas and the unfinished snapshot, and the incomplete target is refused by restore
// and by another backup.
TEST(BackupRestoreTest, AKilledBackupLosesNothingAndLeavesNothingBehind) {
  testutil::TempDir tmp;
  const std::string data = tmp.path() + "/data";
  const std::string total = std::to_string(30 * kPerBatch * kSeries);
  const int64_t t_s = int64_t{30} * kPerBatch * kStep / 1000;
  std::string log;
  {
    testutil::StrataServer server;
    server.SetEnv({{"STRATA_CRASH_AT", "snapshot-block-written"}});
    ASSERT_TRUE(server.Start(data, {"--web.enable-admin-api"})) << server.Log();
    ASSERT_EQ(Send(server.port(), 0, 30), 30);
    EXPECT_EQ(RunStrataCli({"backup", "--url", "http://127.0.0.1:" + std::to_string(server.port()),
                            "--to", tmp.path() + "/online"},
                           &log),
              1)
        << log;
    int code = 0;
    ASSERT_TRUE(testutil::WaitFor([&] { return server.process().Exited(&code); },
                                  std::chrono::seconds(20)));
    EXPECT_EQ(code, 128 + SIGKILL) << server.Log();
  }
  int left = 0;
  for (const auto& e : std::filesystem::directory_iterator(data + "/snapshots")) {
    EXPECT_FALSE(std::filesystem::exists(e.path() / "manifest.json")) << e.path();
    ++left;
  }
  EXPECT_EQ(left, 1);
  {
    testutil::StrataServer server;
    ASSERT_TRUE(server.Start(data, {"--web.enable-admin-api"})) << server.Log();
    EXPECT_NE(server.Log().find("removed what an interrupted backup or snapshot left"),
              std::string::npos)
        << server.Log();
    EXPECT_TRUE(std::filesystem::is_empty(data + "/snapshots"));
    EXPECT_EQ(Count(server.port(), "bk", t_s), total);
    // The target the killed run opened holds nothing yet: it takes a backup now.
    ASSERT_EQ(RunStrataCli({"backup", "--url", "http://127.0.0.1:" + std::to_string(server.port()),
                            "--to", tmp.path() + "/online"},
                           &log),
              0)
        << log;
    EXPECT_EQ(server.process().Stop(SIGTERM), 0) << server.Log();
  }
  const std::string offline = tmp.path() + "/offline";
  EXPECT_EQ(
      RunStrataCli({"backup", "--data-dir", data, "--to", offline}, &log, std::chrono::seconds(120),
                   {{"STRATA_CRASH_AT", "snapshot-block-written"}}),
      128 + SIGKILL)
      << log;
  EXPECT_TRUE(std::filesystem::exists(data + "/snapshot-staging"));
  EXPECT_EQ(RunStrataCli({"restore", "--from", offline, "--data-dir", tmp.path() + "/r"}, &log), 1)
      << log;
  EXPECT_NE(log.find("no manifest.json"), std::string::npos) << log;
  EXPECT_EQ(RunStrataCli({"backup", "--data-dir", data, "--to", offline}, &log), 1) << log;
  EXPECT_NE(log.find("holds an incomplete backup"), std::string::npos) << log;
  testutil::StrataServer server;
  ASSERT_TRUE(server.Start(data)) << server.Log();
  EXPECT_FALSE(std::filesystem::exists(data + "/snapshot-staging"));
  EXPECT_EQ(Count(server.port(), "bk", t_s), total);
}

TEST(BackupRestoreTest, CorruptOrIncompleteBackupsAreRefusedAndNothingIsRestored) {
  testutil::TempDir tmp;
  const std::string data = tmp.path() + "/data";
  {
    testutil::StrataServer server;
    ASSERT_TRUE(server.Start(data)) << server.Log();
    ASSERT_EQ(Send(server.port(), 0, 30), 30);
    EXPECT_EQ(server.process().Stop(SIGTERM), 0);
  }
  std::string log;
  const std::string backup = tmp.path() + "/backup";
  ASSERT_EQ(RunStrataCli({"backup", "--data-dir", data, "--to", backup}, &log), 0) << log;
  // Flip one byte in a chunk file.
  std::string chunk;
  for (const auto& e : std::filesystem::recursive_directory_iterator(backup)) {
    if (e.path().filename() == "000001") chunk = e.path().string();
  }
  ASSERT_FALSE(chunk.empty());
  {
    std::fstream f(chunk, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(20);
    char c = 0;
    f.read(&c, 1);
    c ^= 0x10;
    f.seekp(20);
    f.write(&c, 1);
  }
  const std::string restored = tmp.path() + "/restored";
  EXPECT_EQ(RunStrataCli({"restore", "--from", backup, "--data-dir", restored}, &log), 1) << log;
  EXPECT_NE(log.find("checksum mismatch"), std::string::npos) << log;
  EXPECT_NE(log.find("chunks/000001"), std::string::npos) << log;
  EXPECT_FALSE(std::filesystem::exists(restored + "/cold"));
  // Without a manifest it is not a backup.
  std::filesystem::remove(backup + "/manifest.json");
  EXPECT_EQ(RunStrataCli({"restore", "--from", backup, "--data-dir", restored}, &log), 1) << log;
  EXPECT_NE(log.find("no manifest.json"), std::string::npos) << log;
  EXPECT_EQ(
      RunStrataCli({"restore", "--from", tmp.path() + "/nothing", "--data-dir", restored}, &log), 1)
      << log;
}

TEST(BackupRestoreTest, UsageAndStateErrors) {
  testutil::TempDir tmp;
  std::string log;
  EXPECT_EQ(RunStrataCli({"backup", "--data-dir", tmp.path()}, &log), 2) << log;  // No --to.
  EXPECT_EQ(RunStrataCli({"backup", "--to", tmp.path() + "/b"}, &log), 2) << log;
  EXPECT_EQ(RunStrataCli({"backup", "--data-dir", "x", "--url", "http://127.0.0.1:1", "--to",
                          tmp.path() + "/b"},
                         &log),
            2)
      << log;
  for (const char* url : {"127.0.0.1", "http://127.0.0.1:9/x", "http://:9", "http://h:"}) {
    EXPECT_EQ(RunStrataCli({"backup", "--url", url, "--to", tmp.path() + "/bu"}, &log), 2)
        << url << ": " << log;
    EXPECT_NE(log.find("want http://HOST:PORT"), std::string::npos) << log;
    EXPECT_FALSE(std::filesystem::exists(tmp.path() + "/bu")) << url;
  }
  EXPECT_EQ(RunStrataCli({"restore", "--from", tmp.path()}, &log), 2) << log;
  EXPECT_EQ(RunStrataCli({"inspect", "--output", "yaml"}, &log), 2) << log;
  EXPECT_EQ(RunStrataCli({"inspect", "--data-dir", tmp.path() + "/none"}, &log), 1) << log;
  // A directory that is not a data directory (a mistyped path): refused, and left as it was.
  std::filesystem::create_directories(tmp.path() + "/empty");
  EXPECT_EQ(RunStrataCli(
                {"backup", "--data-dir", tmp.path() + "/empty", "--to", tmp.path() + "/b0"}, &log),
            1)
      << log;
  EXPECT_NE(log.find("is not a Strata data directory"), std::string::npos) << log;
  EXPECT_TRUE(std::filesystem::is_empty(tmp.path() + "/empty") ||
              std::filesystem::exists(tmp.path() + "/empty/lock"))
      << log;
  EXPECT_FALSE(std::filesystem::exists(tmp.path() + "/empty/wal")) << log;
  EXPECT_EQ(RunStrataCli({"backup", "--data-dir", tmp.path(), "--to", tmp.path() + "/b",
                          "--storage.cold.url", "ftp://x"},
                         &log),
            2)
      << log;
  // A running server's directory is refused offline; without the admin API, online too.
  const std::string data = tmp.path() + "/data";
  testutil::StrataServer server;
  ASSERT_TRUE(server.Start(data)) << server.Log();
  EXPECT_EQ(RunStrataCli({"backup", "--data-dir", data, "--to", tmp.path() + "/b1"}, &log), 1)
      << log;
  EXPECT_NE(log.find("in use"), std::string::npos) << log;
  EXPECT_NE(log.find("--url"), std::string::npos) << log;  // backup has an online way.
  EXPECT_EQ(RunStrataCli({"inspect", "--data-dir", data}, &log), 1) << log;
  EXPECT_NE(log.find("in use"), std::string::npos) << log;
  EXPECT_EQ(log.find("--url"), std::string::npos) << log;  // inspect has none: not suggested.
  EXPECT_EQ(RunStrataCli({"backup", "--url", "http://127.0.0.1:" + std::to_string(server.port()),
                          "--to", tmp.path() + "/b2"},
                         &log),
            1)
      << log;
  EXPECT_NE(log.find("admin APIs disabled"), std::string::npos) << log;
  auto r = HttpDo(server.port(), "POST", "/api/v1/admin/tsdb/snapshot");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("admin APIs disabled"), std::string::npos);
}

}  // namespace
}  // namespace strata
