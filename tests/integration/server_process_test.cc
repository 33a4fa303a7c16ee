// Starts the real `strata` binary on 127.0.0.1 with an ephemeral port and talks HTTP to it.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace strata
