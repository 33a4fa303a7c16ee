// TLS and basic auth end to end (issue 12, point 3): certificates made with `openssl` (a CA and a
// server certificate for IP 127.0.0.1), Strata started with --web.config.file, the real
// Prometheus remote-writing over TLS with basic auth, queries over HTTPS with libcurl, plain
// HTTP sent to the TLS port, OTLP/gRPC over TLS with and without credentials, and a password
// change picked up without a restart. Everything on 127.0.0.1 with bounded waits.
#include <curl/curl.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <string>
#include <vector>

#include "testutil/certs.h"
#include "testutil/otlp.h"
#include "testutil/process.h"
#include "testutil/prometheus.h"

namespace strata {
namespace {

using testutil::ChildProcess;
using testutil::TempDir;
using testutil::WaitFor;

// bcrypt hashes (cost 5, made with Python's crypt over libxcrypt) of the two test passwords.
constexpr const char* kS3cretHash = "$2y$05$abcdefghijklmnopqrstuuLK7U1u6pVRmL7L1BBM2aS35PSZnDXlK";
constexpr const char* kN3wpassHash = "$2y$05$zyxwvutsrqponmlkjihgfeURL3wKvl2BANix5EXrcSgfrYI8mDzVW";

void WriteWebConfig(const std::string& path, const char* hash) {
  std::ofstream out(path + ".tmp", std::ios::trunc);
  // Relative paths: relative to the web config file's directory.
  out << "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
         "http_server_config:\n  headers:\n    X-Frame-Options: deny\n"
         "basic_auth_users:\n  prom: "
      << hash << "\n";
  out.close();
  std::filesystem::rename(path + ".tmp", path);  // Atomic: the poller never sees half a file.
}

struct HttpsResult {
  long status = 0;  // 0: the exchange failed (see error).
  std::string body;
  std::string headers;
  std::string error;
};

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// One HTTPS request to 127.0.0.1:`port`, verifying the server against `ca_file`.
HttpsResult Https(uint16_t port, const std::string& ca_file, const std::string& target,
                  const std::string& user = "", const std::string& password = "",
                  bool post = false) {
  HttpsResult r;
  CURL* curl = curl_easy_init();
  const std::string url = "https://127.0.0.1:" + std::to_string(port) + target;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  if (post) curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r.headers);
  const std::string userpwd = user + ":" + password;
  if (!user.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERPWD, userpwd.c_str());
  }
  CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
  } else {
    r.error = curl_easy_strerror(rc);
  }
  curl_easy_cleanup(curl);
  return r;
}

// `strata serve` with a web config: learns the ports from the log and waits for /-/ready over
// HTTPS with the given credentials.
class TlsStrata {
 public:
  bool Start(const std::string& dir, const std::vector<std::string>& extra,
             const std::string& ca_file, const std::string& user, const std::string& password) {
    ca_file_ = ca_file;
    log_ = dir + "/strata.log";
    std::vector<std::string> argv = {
        testutil::StrataBinary(), "serve", "--listen", "127.0.0.1:0", "--data-dir", dir + "/data"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    if (!proc_.Start(argv, log_)) return false;
    const std::regex port_re(R"(msg=listening .*port=(\d+) tls=true)");
    bool up = WaitFor(
        [&] {
          std::smatch m;
          const std::string log = proc_.Log();
          if (std::regex_search(log, m, port_re)) port_ = static_cast<uint16_t>(std::stoi(m[1]));
          int code = 0;
          return port_ != 0 || proc_.Exited(&code);
        },
        std::chrono::seconds(60));
    if (!up || port_ == 0) return false;
    return WaitFor(
               [&] {
                 int code = 0;
                 if (proc_.Exited(&code)) return true;
                 return Https(port_, ca_file_, "/-/ready", user, password).status == 200;
               },
               std::chrono::seconds(60)) &&
           proc_.running();
  }
  uint16_t port() const { return port_; }
  std::string Log() const { return proc_.Log(); }
  ChildProcess& process() { return proc_; }

 private:
  ChildProcess proc_;
  std::string log_;
  std::string ca_file_;
  uint16_t port_ = 0;
};

std::string PrometheusConfig(uint16_t prom_port, uint16_t strata_port, const std::string& ca) {
  const std::string url = "https://127.0.0.1:" + std::to_string(strata_port) + "/api/v1/write";
  return "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
         "scrape_configs:\n  - job_name: prometheus\n"
         "    static_configs: [{targets: ['127.0.0.1:" +
         std::to_string(prom_port) +
         "']}]\n"
         "remote_write:\n"
         "  - url: " +
         url +
         "\n    name: good\n"
         "    basic_auth: {username: prom, password: s3cret}\n"
         "    tls_config: {ca_file: " +
         ca +
         "}\n"
         "    queue_config: {batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s}\n"
         "  - url: " +
         url +
         "\n    name: wrong_password\n"
         "    basic_auth: {username: prom, password: wrong}\n"
         "    tls_config: {ca_file: " +
         ca +
         "}\n"
         "    queue_config: {batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s}\n";
}

// The single value of an instant query's one-element vector result, or -1.
double QueryValue(uint16_t port, const std::string& ca, const std::string& expr,
                  const std::string& user, const std::string& password) {
  HttpsResult r =
      Https(port, ca, "/api/v1/query?query=" + testutil::UrlEncode(expr), user, password);
  if (r.status != 200) return -1;
  testutil::Json doc;
  std::string error;
  if (!testutil::JsonParser::Parse(r.body, &doc, &error)) return -1;
  const testutil::Json* data = doc.Find("data");
  const testutil::Json* result = data ? data->Find("result") : nullptr;
  if (result == nullptr || !result->is_array() || result->items.size() != 1) return -1;
  const testutil::Json* value = result->items[0].Find("value");
  if (value == nullptr || value->items.size() != 2) return -1;
  return std::strtod(value->items[1].text.c_str(), nullptr);
}

grpc::Status GrpcExport(uint16_t port, const std::string& ca_pem, const std::string& auth) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ca_pem;
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::SslCredentials(ssl));
  grpc::GenericStub stub(channel);
  testutil::otlp::Request req;
  auto* sm = testutil::otlp::AddResource(&req, {{"service.name", "tls-test"}});
  const uint64_t now_ns =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  testutil::otlp::AddGaugePoint(testutil::otlp::AddMetric(sm, "grpc_tls_gauge", "", ""), now_ns, 7);
  grpc::Slice slice(req.SerializeAsString());
  grpc::ByteBuffer request(&slice, 1), response;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  if (!auth.empty()) ctx.AddMetadata("authorization", auth);
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
                 grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) { done.set_value(std::move(s)); });
  return done.get_future().get();
}

TEST(TlsAuthTest, BadWebConfigIsAUsageError) {
  TempDir tmp;
  const std::string web = tmp.path() + "/web.yml";
  std::ofstream(web)
      << "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  ciphers: []\n";
  std::string log;
  EXPECT_EQ(testutil::RunStrataCli({"serve", "--listen", "127.0.0.1:0", "--data-dir",
                                    tmp.path() + "/data", "--web.config.file", web},
                                   &log),
            2);
  EXPECT_NE(log.find("unknown key \"ciphers\" in tls_server_config"), std::string::npos) << log;
}

TEST(TlsAuthTest, PrometheusRemoteWritesOverTlsWithBasicAuth) {
  TempDir tmp;
  ASSERT_TRUE(testutil::MakeTestCertificates(tmp.path()))
      << testutil::ReadFile(tmp.path() + "/openssl.log");
  const std::string ca = tmp.path() + "/ca.crt";
  const std::string web = tmp.path() + "/web.yml";
  WriteWebConfig(web, kS3cretHash);
  TlsStrata strata;
  ASSERT_TRUE(strata.Start(tmp.path(),
                           {"--web.config.file", web, "--otlp.grpc-listen", "127.0.0.1:0"}, ca,
                           "prom", "s3cret"))
      << strata.Log();
  const uint16_t port = strata.port();

  // Authentication and headers.
  HttpsResult r = Https(port, ca, "/-/healthy");
  EXPECT_EQ(r.status, 401) << r.error;
  EXPECT_NE(r.headers.find("WWW-Authenticate: Basic"), std::string::npos) << r.headers;
  r = Https(port, ca, "/-/healthy", "prom", "wrong");
  EXPECT_EQ(r.status, 401) << r.error;
  r = Https(port, ca, "/-/healthy", "nobody", "s3cret");
  EXPECT_EQ(r.status, 401) << r.error;
  r = Https(port, ca, "/-/healthy", "prom", "s3cret");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_NE(r.headers.find("X-Frame-Options: deny"), std::string::npos) << r.headers;
  // The web UI goes through the same TLS and authentication as the API.
  for (const char* page : {"/graph", "/static/app.js"}) {
    r = Https(port, ca, page);
    EXPECT_EQ(r.status, 401) << page << " " << r.error;
    r = Https(port, ca, page, "prom", "s3cret");
    EXPECT_EQ(r.status, 200) << page << " " << r.error;
    EXPECT_FALSE(r.body.empty()) << page;
  }
  // Admin and lifecycle endpoints are off by default, answering as Prometheus does.
  r = Https(port, ca, "/api/v1/admin/tsdb/delete_series?match[]=up", "prom", "s3cret", true);
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("admin APIs disabled"), std::string::npos) << r.body;
  r = Https(port, ca, "/-/quit", "prom", "s3cret", true);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body, "Lifecycle API is not enabled.");

  // Plain HTTP to the TLS port: a plain-text 400 and a closed connection; serving goes on.
  const std::string plain =
      testutil::RawExchange(port, "GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(plain.find("400 Bad Request"), std::string::npos) << plain;
  EXPECT_NE(plain.find("HTTP request to an HTTPS server"), std::string::npos) << plain;
  const std::string garbage = testutil::RawExchange(port, std::string(300, '\x16'));
  EXPECT_EQ(garbage.find("200"), std::string::npos) << garbage;
  EXPECT_EQ(Https(port, ca, "/-/healthy", "prom", "s3cret").status, 200);

  // The real Prometheus remote-writes over TLS with basic auth; the wrong-password queue gets
  // 401s (counted by Strata).
  testutil::PrometheusServer prom;
  std::string error;
  ASSERT_TRUE(prom.Start(
      tmp.path() + "/prom",
      [&](uint16_t prom_port) { return PrometheusConfig(prom_port, port, ca); }, &error))
      << error;
  EXPECT_TRUE(WaitFor(
      [&] { return QueryValue(port, ca, "count(up{job=\"prometheus\"})", "prom", "s3cret") == 1; },
      std::chrono::seconds(60)))
      << strata.Log() << testutil::Tail(prom.Log());
  HttpsResult metrics = Https(port, ca, "/metrics", "prom", "s3cret");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_TRUE(WaitFor(
      [&] {
        auto n = testutil::SumOfMetric(Https(port, ca, "/metrics", "prom", "s3cret").body,
                                       "strata_http_unauthorized_requests_total");
        return n && *n >= 4;  // Our three 401s plus at least one from the wrong_password queue.
      },
      std::chrono::seconds(30)));
  auto plain_errors = testutil::SumOfMetric(metrics.body, "strata_http_tls_handshake_errors_total");
  ASSERT_TRUE(plain_errors.has_value());
  EXPECT_GE(*plain_errors, 2);

  // OTLP/gRPC over TLS: without credentials UNAUTHENTICATED, with them accepted.
  std::smatch m;
  const std::string log = strata.Log();
  ASSERT_TRUE(std::regex_search(log, m, std::regex(R"(grpc_port=(\d+) tls=true)"))) << log;
  const uint16_t grpc_port = static_cast<uint16_t>(std::stoi(m[1]));
  const std::string ca_pem = testutil::ReadFile(ca);
  EXPECT_EQ(GrpcExport(grpc_port, ca_pem, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(GrpcExport(grpc_port, ca_pem, "Basic cHJvbTp3cm9uZw==").error_code(),  // prom:wrong
            grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status ok = GrpcExport(grpc_port, ca_pem, "Basic cHJvbTpzM2NyZXQ=");  // prom:s3cret
  EXPECT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(QueryValue(port, ca, "grpc_tls_gauge", "prom", "s3cret"), 7);

  // A new password takes effect without a restart; the old one stops working.
  WriteWebConfig(web, kN3wpassHash);
  EXPECT_TRUE(
      WaitFor([&] { return Https(port, ca, "/-/healthy", "prom", "n3wpass").status == 200; },
              std::chrono::seconds(15)))
      << strata.Log();
  EXPECT_EQ(Https(port, ca, "/-/healthy", "prom", "s3cret").status, 401);
  EXPECT_EQ(GrpcExport(grpc_port, ca_pem, "Basic cHJvbTpzM2NyZXQ=").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // An invalid new version is logged and the current one kept.
  std::ofstream(web, std::ios::trunc) << "basic_auth_users:\n  prom: plaintext\n";
  EXPECT_TRUE(
      WaitFor([&] { return strata.Log().find("invalid web config, keeping") != std::string::npos; },
              std::chrono::seconds(15)));
  EXPECT_EQ(Https(port, ca, "/-/healthy", "prom", "n3wpass").status, 200);

  EXPECT_EQ(strata.process().Stop(SIGTERM), 0) << strata.Log();
}

}  // namespace
}  // namespace strata
