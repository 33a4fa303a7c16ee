#include "rules/notifier.h"

#include <curl/curl.h>

#include <ctime>
#include <system_error>
#include <type_traits>

#include "base/curl_lib.h"
#include "base/log.h"
#include "ingest/proto_wire.h"
#include "rules/template.h"

namespace strata::rules {
namespace {

void AppendJson(std::string* out, std::string_view s) {
  out->push_back('"');
  ingest::wire::AppendJsonEscaped(s, out);
  out->push_back('"');
}

size_t Collect(char* data, size_t size, size_t n, void* userdata) {
  auto* body = static_cast<std::string*>(userdata);
  const size_t len = size * n;
  if (body->size() < 1024) body->append(data, std::min(len, 1024 - body->size()));
  return len;
}

bool ValidBaseUrl(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else {
    return false;
  }
  const size_t slash = rest.find('/');
  const std::string_view host = rest.substr(0, slash);
  return !host.empty() && host.find_first_of(" ?#@") == std::string_view::npos;
}

}  // namespace

std::string FormatRfc3339Millis(int64_t ms) {
  int64_t secs = ms / 1000;
  int64_t frac = ms % 1000;
  if (frac < 0) {
    frac += 1000;
    --secs;
  }
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(frac));
  return buf;
}

std::string GeneratorUrl(std::string_view external_url, std::string_view expr) {
  return std::string(external_url) + TableLinkForExpression(expr);
}

std::string EncodeAlertsV2(std::span<const NotifierAlert> alerts) {
  std::string out = "[";
  for (size_t i = 0; i < alerts.size(); ++i) {
    const NotifierAlert& a = alerts[i];
    if (i > 0) out += ',';
    out += "{\"labels\":{";
    bool first = true;
    for (const model::Label& l : a.labels) {
      if (!first) out += ',';
      first = false;
      AppendJson(&out, l.name);
      out += ':';
      AppendJson(&out, l.value);
    }
    out += "},\"annotations\":{";
    first = true;
    for (const model::Label& l : a.annotations) {
      if (!first) out += ',';
      first = false;
      AppendJson(&out, l.name);
      out += ':';
      AppendJson(&out, l.value);
    }
    out += "},\"startsAt\":";
    AppendJson(&out, FormatRfc3339Millis(a.starts_at_ms));
    out += ",\"endsAt\":";
    AppendJson(&out, FormatRfc3339Millis(a.ends_at_ms));
    out += ",\"generatorURL\":";
    AppendJson(&out, a.generator_url);
    out += '}';
  }
  out += ']';
  return out;
}

struct Notifier::Metrics {
  Metrics(prometheus::Registry* r, const std::vector<std::string>& urls)
      : sent_family(prometheus::BuildCounter()
                        .Name("prometheus_notifications_sent_total")
                        .Help("Total number of alerts sent.")
                        .Register(*r)),
        errors_family(prometheus::BuildCounter()
                          .Name("prometheus_notifications_errors_total")
                          .Help("Total number of errors sending alert notifications.")
                          .Register(*r)),
        latency_family(prometheus::BuildSummary()
                           .Name("prometheus_notifications_latency_seconds")
                           .Help("Latency quantiles for sending alert notifications.")
                           .Register(*r)),
        dropped(prometheus::BuildCounter()
                    .Name("prometheus_notifications_dropped_total")
                    .Help("Total number of alerts dropped due to errors when sending to "
                          "Alertmanager.")
                    .Register(*r)
                    .Add({})),
        queue_length(prometheus::BuildGauge()
                         .Name("prometheus_notifications_queue_length")
                         .Help("The number of alert notifications in the queue.")
                         .Register(*r)
                         .Add({})),
        queue_capacity(prometheus::BuildGauge()
                           .Name("prometheus_notifications_queue_capacity")
                           .Help("The capacity of the alert notifications queue.")
                           .Register(*r)
                           .Add({})),
        discovered(prometheus::BuildGauge()
                       .Name("prometheus_notifications_alertmanagers_discovered")
                       .Help("The number of alertmanagers discovered and active.")
                       .Register(*r)
                       .Add({})) {
    for (const std::string& u : urls) {
      sent.push_back(&sent_family.Add({{"alertmanager", u}}));
      errors.push_back(&errors_family.Add({{"alertmanager", u}}));
      latency.push_back(&latency_family.Add(
          {{"alertmanager", u}},
          prometheus::Summary::Quantiles{{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}}));
    }
    discovered.Set(static_cast<double>(urls.size()));
  }
  prometheus::Family<prometheus::Counter>& sent_family;
  prometheus::Family<prometheus::Counter>& errors_family;
  prometheus::Family<prometheus::Summary>& latency_family;
  prometheus::Counter& dropped;
  prometheus::Gauge& queue_length;
  prometheus::Gauge& queue_capacity;
  prometheus::Gauge& discovered;
  std::vector<prometheus::Counter*> sent;
  std::vector<prometheus::Counter*> errors;
  std::vector<prometheus::Summary*> latency;
};

Notifier::Notifier(NotifierOptions options, prometheus::Registry* registry)
    : options_(std::move(options)) {
  for (const std::string& u : options_.alertmanager_urls) {
    std::string base = u;
    while (!base.empty() && base.back() == '/') base.pop_back();
    endpoints_.push_back(base + "/api/v2/alerts");
  }
  if (registry) {
    metrics_ = std::make_unique<Metrics>(registry, endpoints_);
    metrics_->queue_capacity.Set(static_cast<double>(options_.queue_capacity));
  }
}

Result<std::unique_ptr<Notifier>> Notifier::Open(NotifierOptions options,
                                                 prometheus::Registry* registry) {
  for (const std::string& u : options.alertmanager_urls) {
    if (!ValidBaseUrl(u)) {
      return Status::InvalidArgument("invalid Alertmanager URL \"" + u +
                                     "\": want http://host:port or https://host:port[/path]");
    }
  }
  if (options.queue_capacity == 0 || options.max_batch == 0 || options.max_attempts < 1) {
    return Status::InvalidArgument("notifier queue capacity, batch size and attempts must be > 0");
  }
  auto curl = LoadCurl();
  if (!curl.ok()) return curl.status().WithContext("the Alertmanager notifier needs libcurl");
  std::unique_ptr<Notifier> n(new Notifier(std::move(options), registry));
  n->curl_ = curl.value();
  return n;
}

Notifier::~Notifier() { Stop(); }

void Notifier::Start() {
  MutexLock lock(&mu_);
  if (thread_.joinable() || stop_) return;
  thread_ = std::thread([this] { Loop(); });
}

void Notifier::Stop() {
  std::thread thread;  // Joined outside mu_ (Loop takes it), and by one Stop() only.
  stopping_.store(true);
  {
    MutexLock lock(&mu_);
    stop_ = true;
    thread = std::move(thread_);
  }
  cv_.SignalAll();
  if (thread.joinable()) thread.join();
}

void Notifier::Send(std::vector<AlertNotification> alerts) {
  std::vector<NotifierAlert> out;
  out.reserve(alerts.size());
  for (AlertNotification& a : alerts) {
    NotifierAlert n;
    model::LabelsBuilder b(a.labels);
    for (const model::Label& l : options_.external_labels) {
      if (!a.labels.Has(l.name)) b.Set(l.name, l.value);
    }
    n.labels = b.Build();
    n.annotations = std::move(a.annotations);
    n.starts_at_ms = a.starts_at_ms;
    n.ends_at_ms = a.ends_at_ms;
    n.generator_url = GeneratorUrl(options_.external_url, a.expr);
    out.push_back(std::move(n));
  }
  SendRaw(std::move(out));
}

void Notifier::SendRaw(std::vector<NotifierAlert> alerts) {
  if (alerts.empty()) return;
  size_t dropped = 0;
  size_t len = 0;
  {
    MutexLock lock(&mu_);
    for (NotifierAlert& a : alerts) queue_.push_back(std::move(a));
    while (queue_.size() > options_.queue_capacity) {
      queue_.pop_front();
      ++dropped;
    }
    dropped_ += dropped;
    len = queue_.size();
  }
  if (dropped > 0) {
    STRATA_LOG(kWarn, "notifier") << "alert notification queue full, dropping alerts"
                                  << LogKV("dropped", dropped);
  }
  if (metrics_) {
    metrics_->dropped.Increment(static_cast<double>(dropped));
    metrics_->queue_length.Set(static_cast<double>(len));
  }
  cv_.SignalAll();
}

size_t Notifier::queue_length() const {
  MutexLock lock(&mu_);
  return queue_.size();
}

uint64_t Notifier::dropped() const {
  MutexLock lock(&mu_);
  return dropped_;
}

void Notifier::Loop() {
  for (;;) {
    std::vector<NotifierAlert> batch;
    size_t left = 0;
    {
      MutexLock lock(&mu_);
      while (!stop_ && queue_.empty()) cv_.Wait(&mu_);
      if (stop_) return;
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      left = queue_.size();
    }
    if (metrics_) metrics_->queue_length.Set(static_cast<double>(left));
    if (endpoints_.empty()) continue;
    const std::string body = EncodeAlertsV2(batch);
    // Every Alertmanager at once: a slow one holds up none of the others.
    std::vector<Status> results(endpoints_.size());
    std::vector<double> seconds(endpoints_.size());
    auto post = [&](size_t i) {
      const auto start = std::chrono::steady_clock::now();
      results[i] = PostWithRetries(i, body);
      seconds[i] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    std::vector<std::thread> others;
    size_t inline_from = endpoints_.size();  // Posted on this thread when threads run out.
    for (size_t i = 1; i < endpoints_.size(); ++i) {
      try {
        others.emplace_back(post, i);
      } catch (const std::system_error&) {
        inline_from = i;
        break;
      }
    }
    post(0);
    for (size_t i = inline_from; i < endpoints_.size(); ++i) post(i);
    for (std::thread& t : others) t.join();
    size_t ok = 0;
    for (size_t i = 0; i < endpoints_.size(); ++i) {
      const Status& s = results[i];
      if (metrics_) {
        metrics_->latency[i]->Observe(seconds[i]);
        metrics_->sent[i]->Increment(static_cast<double>(batch.size()));
      }
      if (s.ok()) {
        ++ok;
      } else {
        if (metrics_) metrics_->errors[i]->Increment();
        STRATA_LOG(kError, "notifier")
            << "error sending alerts" << LogKV("alertmanager", endpoints_[i])
            << LogKV("count", batch.size()) << LogKV("error", s.message());
      }
    }
    if (ok == 0) {
      MutexLock lock(&mu_);
      dropped_ += batch.size();
      if (metrics_) metrics_->dropped.Increment(static_cast<double>(batch.size()));
    }
  }
}

static_assert(std::is_same_v<curl_off_t, int64_t>, "AbortOnStop's signature");

int Notifier::AbortOnStop(void* self, int64_t, int64_t, int64_t, int64_t) {
  return static_cast<Notifier*>(self)->stopping_.load() ? 1 : 0;
}

Status Notifier::PostWithRetries(size_t am, const std::string& body) {
  Status last;
  auto backoff = options_.retry_backoff;
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    if (attempt > 0) {
      // A retry starts only with time left for it (at least 100 ms) after the backoff.
      if (std::chrono::steady_clock::now() + backoff + std::chrono::milliseconds(100) >= deadline) {
        return last;
      }
      MutexLock lock(&mu_);
      const auto wake = std::chrono::steady_clock::now() + backoff;
      while (!stop_ && cv_.WaitUntil(&mu_, wake)) {
      }
      if (stop_) return last;
      backoff *= 2;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return last.ok() ? Status::Unavailable("timed out") : last;
    CURL* curl = curl_->easy_init();
    if (curl == nullptr) return Status::Internal("curl_easy_init failed");
    std::string response;
    curl_slist* headers = curl_->slist_append(nullptr, "Content-Type: application/json");
    curl_->easy_setopt(curl, CURLOPT_URL, endpoints_[am].c_str());
    curl_->easy_setopt(curl, CURLOPT_POST, 1L);
    curl_->easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_->easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_->easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_->easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(left.count()));
    curl_->easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_->easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &Notifier::AbortOnStop);
    curl_->easy_setopt(curl, CURLOPT_XFERINFODATA, this);
    curl_->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_->easy_setopt(curl, CURLOPT_USERAGENT, "Strata");
    curl_->easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
    curl_->easy_setopt(curl, CURLOPT_WRITEDATA, &response);
    const CURLcode rc = curl_->easy_perform(curl);
    long code = 0;
    curl_->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    curl_->slist_free_all(headers);
    curl_->easy_cleanup(curl);
    if (rc != CURLE_OK) {
      last = Status::Unavailable(std::string("POST ") + endpoints_[am] + ": " +
                                 curl_->easy_strerror(rc));
      continue;
    }
    if (code / 100 == 2) return Status::Ok();
    last = Status::Unavailable("POST " + endpoints_[am] + ": bad response status " +
                               std::to_string(code) + ": " + response);
    if (code / 100 == 4) return last;  // A client error does not get better with retries.
  }
  return last;
}

}  // namespace strata::rules
