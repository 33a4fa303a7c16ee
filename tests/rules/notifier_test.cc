// The Alertmanager notifier against a tiny in-test HTTP server on 127.0.0.1: the v2 body,
// external labels and generator URLs, batching, retries, errors and the bounded queue.
#include "rules/notifier.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "testutil/process.h"
#include "testutil/recording_http_server.h"

namespace strata::rules {
namespace {

using ::testing::HasSubstr;

bool Eventually(const std::function<bool()>& cond) {
  return testutil::WaitFor(cond, std::chrono::seconds(20));
}

AlertNotification Alert(const std::string& name, int i) {
  AlertNotification a;
  a.labels = *model::Labels::FromPairs({{"alertname", name}, {"i", std::to_string(i)}});
  a.annotations = {{"summary", "it \"broke\""}};
  a.starts_at_ms = 1'764'619'536'123;
  a.ends_at_ms = 1'764'619'776'123;
  a.expr = "up{job=\"a b\"} == 0";
  return a;
}

TEST(NotifierTest, FormatsAndHelpers) {
  EXPECT_EQ(FormatRfc3339Millis(1'764'619'536'123), "2025-12-01T20:05:36.123Z");
  EXPECT_EQ(FormatRfc3339Millis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(GeneratorUrl("http://h:9090", "up{job=\"a b\"} == 0"),
            "http://h:9090/graph?g0.expr=up%7Bjob%3D%22a+b%22%7D+%3D%3D+0&g0.tab=1");
  NotifierAlert a;
  a.labels = *model::Labels::FromPairs({{"alertname", "X"}});
  a.annotations = {{"s", "line\n\"q\""}};
  a.generator_url = "u";
  EXPECT_EQ(EncodeAlertsV2(std::span<const NotifierAlert>(&a, 1)),
            "[{\"labels\":{\"alertname\":\"X\"},\"annotations\":{\"s\":\"line\\n\\\"q\\\"\"},"
            "\"startsAt\":\"1970-01-01T00:00:00.000Z\",\"endsAt\":\"1970-01-01T00:00:00.000Z\","
            "\"generatorURL\":\"u\"}]");
}

TEST(NotifierTest, RejectsBadUrls) {
  for (const char* u : {"127.0.0.1:9093", "ftp://h", "http://", "http:// h"}) {
    NotifierOptions o;
    o.alertmanager_urls = {u};
    EXPECT_TRUE(Notifier::Open(o, nullptr).status().IsInvalidArgument()) << u;
  }
}

TEST(NotifierTest, PostsBatchesToEveryAlertmanagerWithExternalLabels) {
  testutil::RecordingHttpServer am1({200}), am2({200});
  prometheus::Registry registry;
  NotifierOptions o;
  o.alertmanager_urls = {am1.url(), am2.url() + "/"};
  o.external_labels = *model::Labels::FromPairs({{"cluster", "c1"}, {"i", "ignored"}});
  o.external_url = "http://strata:9090";
  auto n = Notifier::Open(o, &registry);
  ASSERT_TRUE(n.ok());
  std::vector<AlertNotification> alerts;
  for (int i = 0; i < 100; ++i) alerts.push_back(Alert("A", i));
  (*n)->Send(std::move(alerts));  // Queued before Start: batches of 64 + 36.
  (*n)->Start();
  ASSERT_TRUE(Eventually([&] { return am1.count() == 2 && am2.count() == 2; }));
  auto reqs = am1.requests();
  EXPECT_EQ(reqs[0].first, "POST /api/v2/alerts HTTP/1.1");
  EXPECT_EQ(am2.requests()[0].first, "POST /api/v2/alerts HTTP/1.1");
  const std::string& body = reqs[0].second;
  EXPECT_THAT(body, HasSubstr("{\"labels\":{\"alertname\":\"A\",\"cluster\":\"c1\",\"i\":\"0\"},"
                              "\"annotations\":{\"summary\":\"it \\\"broke\\\"\"},"
                              "\"startsAt\":\"2025-12-01T20:05:36.123Z\","
                              "\"endsAt\":\"2025-12-01T20:09:36.123Z\","
                              "\"generatorURL\":\"http://strata:9090/graph?g0.expr="));
  size_t in_first = 0, in_second = 0;
  for (size_t p = 0; (p = reqs[0].second.find("\"alertname\"", p)) != std::string::npos; ++p) {
    ++in_first;
  }
  for (size_t p = 0; (p = reqs[1].second.find("\"alertname\"", p)) != std::string::npos; ++p) {
    ++in_second;
  }
  EXPECT_EQ(in_first, 64u);
  EXPECT_EQ(in_second, 36u);
  (*n)->Stop();
  EXPECT_EQ((*n)->dropped(), 0u);
}

TEST(NotifierTest, RetriesThenCountsErrorsAndDrops) {
  testutil::RecordingHttpServer flaky({503, 200});  // One failure, then success.
  testutil::RecordingHttpServer down({500});        // Always fails.
  prometheus::Registry registry;
  NotifierOptions o;
  o.alertmanager_urls = {flaky.url()};
  o.retry_backoff = std::chrono::milliseconds(10);
  o.max_attempts = 3;
  auto n = Notifier::Open(o, &registry);
  ASSERT_TRUE(n.ok());
  (*n)->Start();
  (*n)->Send({Alert("A", 1)});
  ASSERT_TRUE(Eventually([&] { return flaky.count() == 2; }));
  (*n)->Stop();
  EXPECT_EQ((*n)->dropped(), 0u);

  NotifierOptions o2 = o;
  o2.alertmanager_urls = {down.url()};
  prometheus::Registry registry2;
  auto n2 = Notifier::Open(o2, &registry2);
  ASSERT_TRUE(n2.ok());
  (*n2)->Start();
  (*n2)->Send({Alert("A", 1), Alert("A", 2)});
  ASSERT_TRUE(Eventually([&] { return (*n2)->dropped() == 2; }));
  EXPECT_EQ(down.count(), 3u);  // Every attempt made.
  (*n2)->Stop();
  bool found_errors = false;
  for (const auto& f : registry2.Collect()) {
    if (f.name == "prometheus_notifications_errors_total") {
      ASSERT_EQ(f.metric.size(), 1u);
      EXPECT_EQ(f.metric[0].counter.value, 1);
      EXPECT_EQ(f.metric[0].label[0].value, down.url() + "/api/v2/alerts");
      found_errors = true;
    }
    if (f.name == "prometheus_notifications_dropped_total") {
      EXPECT_EQ(f.metric[0].counter.value, 2);
    }
  }
  EXPECT_TRUE(found_errors);
}

TEST(NotifierTest, UnreachableAlertmanagerIsAnErrorNotAHang) {
  // A port nobody listens on (bound, then closed).
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  NotifierOptions o;
  o.alertmanager_urls = {"http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port))};
  o.max_attempts = 2;
  o.retry_backoff = std::chrono::milliseconds(1);
  o.timeout = std::chrono::milliseconds(500);
  auto n = Notifier::Open(o, nullptr);
  ASSERT_TRUE(n.ok());
  (*n)->Start();
  (*n)->Send({Alert("A", 1)});
  EXPECT_TRUE(Eventually([&] { return (*n)->dropped() == 1; }));
}

// A listener that completes connections and never answers.
struct SilentListener {
  SilentListener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(fd, 16);
    socklen_t len = sizeof(addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
  ~SilentListener() { ::close(fd); }
  int fd;
  uint16_t port;
};

// A hanging Alertmanager (listed first) holds up neither the batch to a healthy one nor
// shutdown: batches go to every Alertmanager at once, and Stop() aborts the request under way
// long before its 60 s timeout.
TEST(NotifierTest, AHangingAlertmanagerDelaysNeitherTheOthersNorShutdown) {
  SilentListener hanging;
  testutil::RecordingHttpServer healthy({200});
  NotifierOptions o;
  o.alertmanager_urls = {"http://127.0.0.1:" + std::to_string(hanging.port), healthy.url()};
  o.timeout = std::chrono::seconds(60);
  auto n = Notifier::Open(o, nullptr);
  ASSERT_TRUE(n.ok());
  (*n)->Start();
  (*n)->Send({Alert("A", 1)});
  EXPECT_TRUE(Eventually([&] { return healthy.count() == 1; }));
  const auto start = std::chrono::steady_clock::now();
  (*n)->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

// Retries stay within one timeout: an Alertmanager that always fails gets as many attempts as
// fit, not max_attempts timeouts.
TEST(NotifierTest, RetriesStayWithinOneTimeout) {
  testutil::RecordingHttpServer down({500});
  NotifierOptions o;
  o.alertmanager_urls = {down.url()};
  o.max_attempts = 5;
  o.retry_backoff = std::chrono::milliseconds(400);  // 400 + 800 ms: the third would start late.
  o.timeout = std::chrono::milliseconds(1000);
  auto n = Notifier::Open(o, nullptr);
  ASSERT_TRUE(n.ok());
  (*n)->Start();
  (*n)->Send({Alert("A", 1)});
  ASSERT_TRUE(Eventually([&] { return (*n)->dropped() == 1; }));
  EXPECT_EQ(down.count(), 2u);
}

TEST(NotifierTest, FullQueueDropsTheOldest) {
  prometheus::Registry registry;
  NotifierOptions o;
  o.alertmanager_urls = {"http://127.0.0.1:1"};
  o.queue_capacity = 5;
  auto n = Notifier::Open(o, &registry);
  ASSERT_TRUE(n.ok());
  std::vector<AlertNotification> alerts;
  for (int i = 0; i < 8; ++i) alerts.push_back(Alert("A", i));
  (*n)->Send(std::move(alerts));  // Not started: nothing leaves the queue.
  EXPECT_EQ((*n)->queue_length(), 5u);
  EXPECT_EQ((*n)->dropped(), 3u);
  for (const auto& f : registry.Collect()) {
    if (f.name == "prometheus_notifications_queue_capacity") {
      EXPECT_EQ(f.metric[0].gauge.value, 5);
    }
    if (f.name == "prometheus_notifications_queue_length") {
      EXPECT_EQ(f.metric[0].gauge.value, 5);
    }
    if (f.name == "prometheus_notifications_alertmanagers_discovered") {
      EXPECT_EQ(f.metric[0].gauge.value, 1);
    }
  }
}

}  // namespace
}  // namespace strata::rules
