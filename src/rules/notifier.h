// Notifier: sends alerts to Alertmanager's API v2 (POST <url>/api/v2/alerts, a JSON list of
// {labels, annotations, startsAt, endsAt, generatorURL}) as Prometheus' notifier does.
// Alerts wait in a bounded queue (when full the oldest are dropped and counted); one sender
// thread takes batches of up to 64 and posts each batch to every Alertmanager at once (one
// thread each, as Prometheus does), each within one --alertmanager.timeout including a few
// retries with doubling backoff (so a hanging Alertmanager delays neither the others' batch
// nor the next batch by more than the timeout). Stop() aborts requests under way. External labels
// are added to every alert (an alert's own label wins). Self-metrics under Prometheus' names:
// prometheus_notifications_{sent,errors}_total{alertmanager}, _dropped_total, _queue_length,
// _queue_capacity, _latency_seconds{alertmanager}, prometheus_notifications_alertmanagers_
// discovered. Thread-safe: Send() from any thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/summary.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "base/result.h"
#include "model/labels.h"
#include "rules/alerting_rule.h"

namespace strata {
struct CurlLib;  // base/curl_lib.h
}

namespace strata::rules {

struct NotifierOptions {
  // Alertmanager base URLs (--alertmanager.url), e.g. http://127.0.0.1:9093; "/api/v2/alerts"
  // is appended. Default: none (the notifier is not started).
  std::vector<std::string> alertmanager_urls;
  // Per-request timeout (--alertmanager.timeout). Default: 10 s.
  std::chrono::milliseconds timeout{10'000};
  // Queued alerts at most (--alertmanager.notification-queue-capacity). Default: 10000.
  size_t queue_capacity = 10'000;
  // Alerts per request. Default: 64 (Prometheus).
  size_t max_batch = 64;
  // Attempts per Alertmanager and batch (1 = no retry), waiting retry_backoff, then twice
  // that, ... between them, all within one `timeout` (a retry that would start after it is not
  // made). Default: 3 attempts, 500 ms. Prometheus makes one attempt and relies on the resend;
  // retries ride out a restarting Alertmanager without waiting a resend delay.
  int max_attempts = 3;
  std::chrono::milliseconds retry_backoff{500};
  // Labels added to every alert unless it has them (--rules.external-label).
  model::Labels external_labels;
  // Prefix of generatorURL (--web.external-url).
  std::string external_url;
};

// One alert on the wire.
struct NotifierAlert {
  model::Labels labels;
  std::vector<model::Label> annotations;
  int64_t starts_at_ms = 0;
  int64_t ends_at_ms = 0;
  std::string generator_url;
};

// Alertmanager v2's JSON body for `alerts` (times as RFC 3339 with milliseconds, UTC).
std::string EncodeAlertsV2(std::span<const NotifierAlert> alerts);
// RFC 3339 UTC with milliseconds: 2026-12-01T20:05:36.123Z.
std::string FormatRfc3339Millis(int64_t ms);
// Prometheus' generator link: external_url + "/graph?g0.expr=<query-escaped>&g0.tab=1".
std::string GeneratorUrl(std::string_view external_url, std::string_view expr);

class Notifier {
 public:
  // InvalidArgument for a URL that is not http(s)://host[:port][/path]. `registry` may be null.
  static Result<std::unique_ptr<Notifier>> Open(NotifierOptions options,
                                                prometheus::Registry* registry);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Starts the sender thread.
  void Start();
  // Stops the sender thread; alerts still queued are dropped. Idempotent.
  void Stop();

  // Queues notifications from the rule evaluator (adds external labels and generator URLs).
  void Send(std::vector<AlertNotification> alerts);
  // Queues alerts as they go on the wire.
  void SendRaw(std::vector<NotifierAlert> alerts);

  size_t queue_length() const;
  uint64_t dropped() const;

 private:
  struct Metrics;
  explicit Notifier(NotifierOptions options, prometheus::Registry* registry);
  void Loop();
  // Posts one batch to one Alertmanager with retries, within options_.timeout. OK or the last
  // error.
  Status PostWithRetries(size_t am, const std::string& body);
  // libcurl's progress callback: aborts the transfer once Stop() was called.
  static int AbortOnStop(void* self, int64_t, int64_t, int64_t, int64_t);

  const NotifierOptions options_;
  const CurlLib* curl_ = nullptr;       // Set by Open.
  std::vector<std::string> endpoints_;  // <url>/api/v2/alerts
  std::unique_ptr<Metrics> metrics_;
  mutable Mutex mu_;
  CondVar cv_;  // Signals queue_ and stop_ changes.
  std::deque<NotifierAlert> queue_ STRATA_GUARDED_BY(mu_);
  uint64_t dropped_ STRATA_GUARDED_BY(mu_) = 0;
  bool stop_ STRATA_GUARDED_BY(mu_) = false;
  std::atomic<bool> stopping_{false};  // stop_, for libcurl's callback (no lock there).
  std::thread thread_ STRATA_GUARDED_BY(mu_);
};

}  // namespace strata::rules
