// Starts the real `strata` binary on 127.0.0.1 with an ephemeral port and talks HTTP to it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "testutil/http_client.h"
#include "testutil/process.h"

namespace strata {
namespace {

using testutil::HttpDo;
using testutil::HttpGet;

TEST(ServerProcessTest, HealthMetricsBadInputAndGracefulStop) {
  testutil::TempDir tmp;
  testutil::StrataServer server;
  ASSERT_TRUE(server.Start(tmp.path() + "/data", {"--http.max-body-bytes", "1048576"}))
      << server.Log();
  uint16_t port = server.port();

  auto healthy = HttpGet(port, "/-/healthy");
  EXPECT_EQ(healthy.status, 200);
  EXPECT_EQ(healthy.body, "Strata is Healthy.\n");
  EXPECT_TRUE(testutil::WaitFor([&] { return HttpGet(port, "/-/ready").status == 200; },
                                std::chrono::seconds(30)));

  auto metrics = HttpGet(port, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.content_type.find("text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(metrics.body.find("# TYPE strata_build_info gauge"), std::string::npos);
  EXPECT_NE(metrics.body.find("process_resident_memory_bytes"), std::string::npos);
  EXPECT_NE(metrics.body.find("strata_http_requests_total{code=\"200\",handler=\"/-/healthy\"}"),
            std::string::npos)
      << metrics.body;

  // Malformed request: clear 400, server still healthy.
  std::string out = testutil::RawExchange(port, "GARBAGE\r\n\r\n");
  EXPECT_NE(out.find("HTTP/1.1 400"), std::string::npos) << out;
  EXPECT_NE(out.find("malformed HTTP request"), std::string::npos) << out;

  // Oversized body: 413 with a reason, server still healthy.
  auto big = HttpDo(port, "POST", "/api/v1/write", std::string(2 << 20, 'x'));
  EXPECT_EQ(big.status, 413) << big.error;
  EXPECT_NE(big.body.find("request body too large"), std::string::npos);

  auto unknown = HttpGet(port, "/no/such/path");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("\"status\":\"error\""), std::string::npos);

  EXPECT_EQ(HttpGet(port, "/-/healthy").status, 200);
  metrics = HttpGet(port, "/metrics");
  EXPECT_NE(metrics.body.find("strata_http_malformed_requests_total 2"), std::string::npos)
      << metrics.body;

  EXPECT_EQ(server.process().Stop(SIGTERM), 0) << server.Log();
  EXPECT_NE(server.Log().find("msg=bye"), std::string::npos) << server.Log();
}

TEST(ServerProcessTest, SecondServerOnSameDataDirFailsClearly) {
  testutil::TempDir tmp;
  testutil::StrataServer first;
  ASSERT_TRUE(first.Start(tmp.path() + "/data")) << first.Log();
  testutil::ChildProcess second;
  std::string log = tmp.path() + "/second.log";
  ASSERT_TRUE(second.Start({testutil::StrataBinary(), "serve", "--listen", "127.0.0.1:0",
                            "--data-dir", tmp.path() + "/data"},
                           log));
  int code = -1;
  ASSERT_TRUE(testutil::WaitFor([&] { return second.Exited(&code); }, std::chrono::seconds(20)));
  EXPECT_EQ(code, 1);
  EXPECT_NE(testutil::ReadFile(log).find("held by another process"), std::string::npos);
  EXPECT_EQ(first.process().Stop(SIGINT), 0);
}

TEST(ServerProcessTest, CliVersionHelpAndBadFlags) {
  testutil::TempDir tmp;
  auto run = [&](std::vector<std::string> args, std::string* output) {
    testutil::ChildProcess p;
    std::string log = tmp.path() + "/cli.log";
    std::filesystem::remove(log);
    args.insert(args.begin(), testutil::StrataBinary());
    EXPECT_TRUE(p.Start(args, log));
    int code = -1;
    EXPECT_TRUE(testutil::WaitFor([&] { return p.Exited(&code); }, std::chrono::seconds(20)));
    *output = testutil::ReadFile(log);
    return code;
  };
  std::string out;
  EXPECT_EQ(run({"--version"}, &out), 0);
  EXPECT_NE(out.find("strata "), std::string::npos);
  EXPECT_EQ(run({"--help"}, &out), 0);
  EXPECT_NE(out.find("serve"), std::string::npos);
  EXPECT_NE(run({"serve", "--listen", "nonsense"}, &out), 0);
  EXPECT_NE(out.find("invalid listen address"), std::string::npos) << out;
  EXPECT_NE(run({"serve", "--http.read-timeout", "abc"}, &out), 0);
  EXPECT_NE(out.find("not a valid duration"), std::string::npos) << out;
  EXPECT_NE(run({"serve", "--no-such-flag"}, &out), 0);
}

// The process environment a running server started with, from /proc/<pid>/environ.
std::vector<std::string> InitialEnvironment(pid_t pid) {
  std::string raw = testutil::ReadFile("/proc/" + std::to_string(pid) + "/environ");
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t nul = raw.find('\0'); nul != std::string::npos; nul = raw.find('\0', start)) {
    out.push_back(raw.substr(start, nul - start));
    start = nul + 1;
  }
  return out;
}

// GLIBC_TUNABLES as the server's program image started with it. glibc (2.36) ends each tunable
// it parsed with a NUL in that memory, so the pieces after the first come as separate entries.
std::string Tunables(pid_t pid) {
  std::vector<std::string> env = InitialEnvironment(pid);
  for (size_t i = 0; i < env.size(); ++i) {
    if (env[i].rfind("GLIBC_TUNABLES=", 0) != 0) continue;
    std::string value = env[i].substr(15);
    while (i + 1 < env.size() && env[i + 1].rfind("glibc.", 0) == 0) value += ":" + env[++i];
    return value;
  }
  return "<unset>";
}

// strata re-executes itself once with glibc's per-thread malloc caches off (see main.cc). The
// environment in /proc/<pid>/environ is the one the current program image started with, so it
// shows that the re-exec happened, in the same process the test started; a tcache setting of the
// user's own is kept, and other tunables of the user's stay in front.
TEST(ServerProcessTest, RunsWithMallocThreadCachesOffUnlessTheUserSetsThem) {
  const char* inherited = std::getenv("GLIBC_TUNABLES");  // NOLINT(concurrency-mt-unsafe)
  const std::string base = inherited != nullptr ? inherited : "";
  struct Case {
    std::string user;  // GLIBC_TUNABLES given to the server; "" = inherited from the test.
    std::string want;
  };
  const std::string with_off =
      base.find("glibc.malloc.tcache_count") != std::string::npos
          ? base
          : base + (base.empty() ? "" : ":") + "glibc.malloc.tcache_count=0";
  for (const Case& c :
       {Case{"", with_off},
        Case{"glibc.malloc.mxfast=64", "glibc.malloc.mxfast=64:glibc.malloc.tcache_count=0"},
        Case{"glibc.malloc.tcache_count=2", "glibc.malloc.tcache_count=2"}}) {
    SCOPED_TRACE(c.user);
    testutil::TempDir tmp;
    testutil::StrataServer server;
    if (!c.user.empty()) server.SetEnv({{"GLIBC_TUNABLES", c.user}});
    ASSERT_TRUE(server.Start(tmp.path() + "/data")) << server.Log();
    EXPECT_EQ(HttpGet(server.port(), "/-/ready").status, 200);
    EXPECT_EQ(Tunables(server.process().pid()), c.want);
    EXPECT_EQ(server.process().Stop(SIGTERM), 0) << server.Log();
  }
}

}  // namespace
}  // namespace strata
