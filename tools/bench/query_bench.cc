// query_bench: the driver behind tools/bench/query_bench.sh (see QUERY_BENCH.md). Subcommands:
//   load   generate a fixed, seeded dashboard workload (node_exporter-like hosts with a classic
//          latency histogram, node_uname_info and up; a few hosts reboot, with staleness markers
//          and counter resets) and remote-write the identical request stream to every --url.
//   query  run dashboard query_range queries against Strata and Prometheus, time them (median
//          of --runs), compare both answers and print a Markdown table of ratios.
// Each subcommand ends its output with one JSON line starting with {"tool":"query_bench".
// The workload, encoder, HTTP client, answer comparison and report are tools/bench/lib; this
// file holds the flags, the sender threads and the timing loop.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "bench/lib/dashboard_workload.h"
#include "bench/lib/http_client.h"
#include "bench/lib/json.h"
#include "bench/lib/query_report.h"
#include "bench/lib/query_result.h"
#include "bench/lib/remote_write_encoder.h"
#include "bench/lib/url.h"

namespace strata::tools {
namespace {

using bench::Compare;
using bench::Comparison;
using bench::FormatTime;
using bench::HttpClient;
using bench::HttpRequest;
using bench::HttpResponse;
using bench::Json;
using bench::JsonEscape;
using bench::JsonParser;
using bench::kSeriesPerHost;
using bench::Median;
using bench::Ms;
using bench::QueryReport;
using bench::QueryResult;
using bench::RelText;
using bench::Tolerance;
using bench::Url;
using bench::UrlEncode;
using Clock = std::chrono::steady_clock;

// A query answer from an HTTP response.
QueryResult ParseQueryResponse(const HttpResponse& res) {
  return bench::ParseQueryResponse(res.status, res.body, res.error);
}

// ---------------------------------------------------------------------------------------------
// Load: one encoder thread, one sender thread per URL, the same request bytes for every URL.

using Body = std::shared_ptr<const std::string>;

// Thread-safe bounded queue; Pop() returns nullptr once closed and drained.
class BodyQueue {
 public:
  void Push(Body b) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return q_.size() < kCapacity || abandoned_; });
    if (abandoned_) return;
    q_.push_back(std::move(b));
    not_empty_.notify_one();
  }
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }
  // The consumer gives up (its server failed): producers stop blocking on it.
  void Abandon() {
    std::lock_guard lock(mu_);
    abandoned_ = true;
    q_.clear();
    not_full_.notify_all();
  }
  Body Pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return closed_ || !q_.empty(); });
    if (q_.empty()) return nullptr;
    Body b = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return b;
  }

 private:
  static constexpr size_t kCapacity = 16;
  std::mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<Body> q_;
  bool closed_ = false;
  bool abandoned_ = false;
};

struct SendStats {
  int64_t requests_ok = 0;
  int64_t requests_failed = 0;
  int64_t retries = 0;
  std::string first_error;
  double elapsed_s = 0;
};

void SendAll(const Url& url, int max_retries, int timeout_s, BodyQueue* queue, SendStats* st) {
  HttpClient client(url, timeout_s, "strata-query-bench/1");
  const auto start = Clock::now();
  auto note = [&](const std::string& e) {
    if (st->first_error.empty()) st->first_error = e;
  };
  while (Body body = queue->Pop()) {
    auto backoff = std::chrono::milliseconds(30);
    for (int attempt = 0;; ++attempt) {
      HttpRequest req{boost::beast::http::verb::post, url.BasePath(), 11};
      req.set(boost::beast::http::field::content_type, "application/x-protobuf");
      req.set(boost::beast::http::field::content_encoding, "snappy");
      req.set("X-Prometheus-Remote-Write-Version", "0.1.0");
      req.body() = *body;
      const HttpResponse res = client.Do(req);
      if (res.status / 100 == 2) {
        st->requests_ok++;
        break;
      }
      const bool retryable = res.status == 0 || res.status / 100 == 5 || res.status == 429;
      note(res.status == 0 ? res.error
                           : "HTTP " + std::to_string(res.status) + ": " + res.body.substr(0, 300));
      if (!retryable || attempt >= max_retries) {
        st->requests_failed++;
        break;
      }
      st->retries++;
      std::this_thread::sleep_for(
          res.retry_after_s ? std::chrono::milliseconds(*res.retry_after_s * 1000) : backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
    if (st->requests_failed > 0) {
      queue->Abandon();  // A lost request makes the data differ; stop loading this server.
      break;
    }
  }
  st->elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
}

struct LoadOptions {
  bench::DashboardOptions workload;
  std::vector<std::string> urls;
  int max_retries = 30;
  int timeout_s = 120;
  bool dry_run = false;
  int print = 0;
};

int RunLoad(const LoadOptions& o) {
  std::vector<Url> urls;
  for (const std::string& u : o.urls) {
    auto url = bench::ParseUrl(u);
    if (!url) {
      std::fprintf(stderr, "query_bench load: bad --url \"%s\"\n", u.c_str());
      return 2;
    }
    urls.push_back(*url);
  }
  if (urls.empty() && !o.dry_run) {
    std::fprintf(stderr, "query_bench load: need --url (or --dry-run)\n");
    return 2;
  }
  if (o.workload.from_step >= o.workload.to_step.value_or(std::numeric_limits<int64_t>::max())) {
    std::fprintf(stderr, "query_bench load: --from-step must be below --to-step\n");
    return 2;
  }
  bench::DashboardWorkload w = bench::MakeDashboardWorkload(o.workload);
  std::printf(
      "workload: %lld hosts x %d = %lld series, %lld steps of %lld ms from %lld, seed %llu, "
      "%lld rebooting hosts; sending steps [%lld, %lld)\n",
      static_cast<long long>(w.hosts), kSeriesPerHost, static_cast<long long>(w.series),
      static_cast<long long>(w.steps), static_cast<long long>(o.workload.interval_ms),
      static_cast<long long>(w.start_ms), static_cast<unsigned long long>(o.workload.seed),
      static_cast<long long>(w.rebooting_hosts), static_cast<long long>(o.workload.from_step),
      static_cast<long long>(std::min(w.steps, o.workload.to_step.value_or(w.steps))));
  std::fflush(stdout);

  std::vector<std::unique_ptr<BodyQueue>> queues;
  std::vector<BodyQueue*> queue_ptrs;
  for (size_t i = 0; i < urls.size(); ++i) {
    queues.push_back(std::make_unique<BodyQueue>());
    queue_ptrs.push_back(queues.back().get());
  }
  std::vector<SendStats> send_stats(urls.size());
  bench::DashboardEncodeStats es;
  const auto start = Clock::now();
  {
    std::vector<std::jthread> senders;
    for (size_t i = 0; i < urls.size(); ++i) {
      senders.emplace_back(SendAll, std::cref(urls[i]), o.max_retries, o.timeout_s, queues[i].get(),
                           &send_stats[i]);
    }
    bench::EncodeDashboard(
        o.workload, &w,
        [&](std::string body) {
          const Body shared = std::make_shared<const std::string>(std::move(body));
          for (BodyQueue* q : queue_ptrs) q->Push(shared);
        },
        &es);
    for (BodyQueue* q : queue_ptrs) q->Close();
  }  // Joins the senders.
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::string error;
  if (!bench::CheckWriteRequest(es.first_request_raw, {}, &error)) {
    std::fprintf(stderr, "query_bench load: internal error: encoded request is invalid: %s\n",
                 error.c_str());
    return 3;
  }
  if (o.dry_run && o.print > 0) {
    std::fputs(bench::FormatWriteRequest(es.first_request_raw, o.print).c_str(), stdout);
  }
  std::printf(
      "encoded: %lld requests, %lld samples (%lld staleness markers), %.1f MiB raw, %.1f MiB "
      "snappy\n",
      static_cast<long long>(es.requests), static_cast<long long>(es.samples),
      static_cast<long long>(es.stale_markers), static_cast<double>(es.raw_bytes) / (1 << 20),
      static_cast<double>(es.snappy_bytes) / (1 << 20));
  bool ok = true;
  std::string per_url;
  for (size_t i = 0; i < urls.size(); ++i) {
    const SendStats& s = send_stats[i];
    const bool url_ok = s.requests_failed == 0 && s.requests_ok == es.requests;
    ok = ok && url_ok;
    std::printf("sent to %s: %lld/%lld requests ok in %.1f s (%.0f samples/s), %lld retries%s%s\n",
                o.urls[i].c_str(), static_cast<long long>(s.requests_ok),
                static_cast<long long>(es.requests), s.elapsed_s,
                s.elapsed_s > 0 && url_ok ? static_cast<double>(es.samples) / s.elapsed_s : 0.0,
                static_cast<long long>(s.retries),
                s.first_error.empty() ? "" : "; first error: ", s.first_error.c_str());
    if (!per_url.empty()) per_url += ",";
    char buf[256];
    std::snprintf(buf, sizeof(buf),
                  "{\"url\":\"%s\",\"ok\":%s,\"requests_ok\":%lld,\"retries\":%lld,"
                  "\"elapsed_s\":%.3f,\"first_error\":\"",
                  JsonEscape(o.urls[i]).c_str(), url_ok ? "true" : "false",
                  static_cast<long long>(s.requests_ok), static_cast<long long>(s.retries),
                  s.elapsed_s);
    per_url += buf + JsonEscape(s.first_error) + "\"}";
  }
  std::printf(
      "{\"tool\":\"query_bench\",\"phase\":\"load\",\"ok\":%s,\"hosts\":%lld,\"series\":%lld,"
      "\"steps\":%lld,\"interval_ms\":%lld,\"start_ms\":%lld,\"first_ms\":%lld,\"last_ms\":%lld,"
      "\"samples\":%lld,\"stale_markers\":%lld,\"non_stale_samples\":%lld,\"requests\":%lld,"
      "\"rebooting_hosts\":%lld,\"from_step\":%lld,\"to_step\":%lld,\"elapsed_s\":%.3f,"
      "\"urls\":[%s]}\n",
      ok ? "true" : "false", static_cast<long long>(w.hosts), static_cast<long long>(w.series),
      static_cast<long long>(w.steps), static_cast<long long>(o.workload.interval_ms),
      static_cast<long long>(w.start_ms), static_cast<long long>(es.first_ms),
      static_cast<long long>(es.last_ms), static_cast<long long>(es.samples),
      static_cast<long long>(es.stale_markers),
      static_cast<long long>(es.samples - es.stale_markers), static_cast<long long>(es.requests),
      static_cast<long long>(w.rebooting_hosts), static_cast<long long>(o.workload.from_step),
      static_cast<long long>(std::min(w.steps, o.workload.to_step.value_or(w.steps))), elapsed,
      per_url.c_str());
  std::fflush(stdout);
  return ok ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// Query benchmark.

const char* const kDefaultQueries[] = {
    "sum by (instance) (rate(node_cpu_seconds_total[5m]))",
    "topk(5, rate(node_network_receive_bytes_total[5m]))",
    "histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
    "avg_over_time(node_memory_MemAvailable_bytes[10m])",
    "count by (job) (up)",
    "sum(rate(node_network_receive_bytes_total{device=~\"eth.*|ens.*\"}[5m]))",
    "node_memory_MemAvailable_bytes * on(instance) group_left(nodename) node_uname_info",
    "count by (job) ({__name__=~\"node_.+\"})",
};

struct QueryOptions {
  std::string strata_url;
  std::string prometheus_url;
  int64_t start_s = 0;
  int64_t end_s = 0;
  int64_t step_s = 60;
  int runs = 5;
  int warmup = 1;
  std::string queries_file;
  Tolerance tol;
  int timeout_s = 300;
  // Idle time after every request, off the clock, so that one server's background work (Go's
  // garbage collector) does not land in the other's timing on a small host.
  int pause_ms = 200;
  int64_t pids[2] = {0, 0};  // Strata, Prometheus: for CPU time per query (0: not measured).
  // Strata's name in the report, and URL parameters ("k=v") added to each of its queries.
  std::string strata_name = "Strata";
  std::vector<std::string> strata_params;
  // Further Strata targets, "NAME:k=v[&k=v...]": the same URL with these parameters (and not
  // strata_params), timed beside the others and compared with Strata and Prometheus within
  // variant_tol, reporting the largest relative difference rather than failing.
  std::vector<std::string> variants;
  Tolerance variant_tol{0.05, 0};
  double aim_speedup = 0;           // Aim for Strata / variant time, at least (0: none).
  double aim_prometheus_ratio = 0;  // Aim for variant / Prometheus time, at most (0: none).
  // Ingest check (0: skip).
  int64_t expect_series = 0;
  int64_t expect_samples = 0;  // Non-stale samples: what count_over_time sees.
  int64_t data_first_ms = 0;
  int64_t data_last_ms = 0;
  int check_timeout_s = 120;
};

struct Server {
  std::string name;
  std::unique_ptr<HttpClient> client;
  std::string params;  // Added to each query: "&k=v..." (URL-encoded), or empty.
  int64_t pid = 0;     // For CPU time (0: not measured).
};

// Appends "&k=v" for one "k=v" (URL-encoding both) to *out; false with *error if malformed.
bool AppendParam(std::string_view kv, std::string* out, std::string* error) {
  const size_t eq = kv.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    *error = "bad parameter \"" + std::string(kv) + "\": want NAME=VALUE";
    return false;
  }
  *out += "&" + UrlEncode(kv.substr(0, eq)) + "=" + UrlEncode(kv.substr(eq + 1));
  return true;
}

// "NAME:k=v[&k=v...]" -> name and "&k=v..."; false with *error if malformed.
bool ParseVariant(std::string_view spec, std::string* name, std::string* params,
                  std::string* error) {
  const size_t colon = spec.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == spec.size()) {
    *error = "bad --variant \"" + std::string(spec) + "\": want NAME:k=v[&k=v...]";
    return false;
  }
  *name = std::string(spec.substr(0, colon));
  std::string_view rest = spec.substr(colon + 1);
  while (true) {
    const size_t amp = rest.find('&');
    if (!AppendParam(rest.substr(0, amp), params, error)) return false;
    if (amp == std::string_view::npos) return true;
    rest.remove_prefix(amp + 1);
  }
}

struct Timed {
  QueryResult result;
  double ms = 0;
};

Timed TimedRangeQuery(Server& s, const std::string& expr, const QueryOptions& o) {
  const std::string target =
      "/api/v1/query_range?query=" + UrlEncode(expr) + "&start=" + std::to_string(o.start_s) +
      "&end=" + std::to_string(o.end_s) + "&step=" + std::to_string(o.step_s) + s.params;
  const auto t0 = Clock::now();
  HttpResponse res = s.client->Get(target);
  const auto t1 = Clock::now();
  Timed t;
  t.ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  t.result = ParseQueryResponse(res);
  return t;
}

QueryResult InstantQuery(Server& s, const std::string& expr, double time_s) {
  char t[64];
  std::snprintf(t, sizeof(t), "%.3f", time_s);
  return ParseQueryResponse(s.client->Get("/api/v1/query?query=" + UrlEncode(expr) +
                                          "&time=" + std::string(t) + s.params));
}

// The single value of a one-element vector result, or NaN.
double SingleValue(const QueryResult& r) {
  if (!r.ok || r.series.size() != 1 || r.series[0].v.size() != 1) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return r.series[0].v[0];
}

// The values of label __name__, or an error.
std::vector<std::string> MetricNames(HttpClient& c, std::string* error) {
  const HttpResponse res = c.Get("/api/v1/label/__name__/values");
  Json root;
  std::vector<std::string> names;
  std::string parse_error;
  if (res.status != 200 || !JsonParser::Parse(res.body, &root, &parse_error)) {
    *error = "label values: HTTP " + std::to_string(res.status) + " " + res.error + parse_error;
    return names;
  }
  const Json* data = root.Find("data");
  if (data == nullptr || data->type != Json::Type::kArray) {
    *error = "label values: no data array";
    return names;
  }
  for (const Json& v : data->items) names.push_back(v.text);
  return names;
}

struct IngestCount {
  double series = 0;
  double samples = 0;
  std::vector<std::pair<std::string, double>> per_name;  // Non-stale samples per metric name.
  std::string error;
};

// count_over_time drops __name__, so counting across names would yield duplicate label sets
// (an error); hence one query per metric name.
IngestCount CountIngested(Server& c, double eval_s, int64_t range_s) {
  IngestCount n;
  const QueryResult series = InstantQuery(c, "count({__name__=~\".+\"})", eval_s);
  n.series = SingleValue(series);
  if (!series.ok) n.error = series.error;
  std::string error;
  for (const std::string& name : MetricNames(*c.client, &error)) {
    const QueryResult r = InstantQuery(
        c, "sum(count_over_time({__name__=\"" + name + "\"}[" + std::to_string(range_s) + "s]))",
        eval_s);
    const double v = SingleValue(r);
    if (!r.ok && error.empty()) error = name + ": " + r.error;
    n.per_name.emplace_back(name, v);
    n.samples += v;
  }
  if (n.error.empty()) n.error = error;
  return n;
}

// Waits until both servers (Strata with its parameters, Prometheus: servers[0] and [1]; not the
// variants) hold the expected series and non-stale samples (bounded by check_timeout_s).
// Returns false, with a report, if they never do.
bool CheckIngest(std::vector<Server>& servers, const QueryOptions& o, std::string* report) {
  const double eval_s = static_cast<double>(o.data_last_ms) / 1000;
  const int64_t range_s = (o.data_last_ms - o.data_first_ms) / 1000 + 3600;
  const auto deadline = Clock::now() + std::chrono::seconds(o.check_timeout_s);
  bool ok = false;
  std::string lines;
  while (true) {
    ok = true;
    lines.clear();
    std::vector<IngestCount> counts;
    for (size_t k = 0; k < 2; ++k) {
      Server& s = servers[k];
      const auto t0 = Clock::now();
      counts.push_back(CountIngested(s, eval_s, range_s));
      const IngestCount& n = counts.back();
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      char buf[256];
      std::snprintf(buf, sizeof(buf),
                    "- %s: %.0f series, %.0f samples in %zu metric names (%.0f ms)", s.name.c_str(),
                    n.series, n.samples, n.per_name.size(), ms);
      lines += buf;
      if (!n.error.empty()) lines += "; error: " + n.error;
      lines += "\n";
      if (n.series != static_cast<double>(o.expect_series) ||
          (o.expect_samples > 0 && n.samples != static_cast<double>(o.expect_samples))) {
        ok = false;
      }
    }
    if (!ok && counts.size() == 2 && counts[0].per_name != counts[1].per_name) {
      for (size_t i = 0; i < std::max(counts[0].per_name.size(), counts[1].per_name.size()); ++i) {
        auto get = [&](size_t k) {
          return i < counts[k].per_name.size() ? counts[k].per_name[i]
                                               : std::pair<std::string, double>{"(none)", 0};
        };
        if (get(0) != get(1)) {
          char buf[512];
          std::snprintf(buf, sizeof(buf),
                        "- first difference: Strata %s %.0f, Prometheus %s %.0f\n",
                        get(0).first.c_str(), get(0).second, get(1).first.c_str(), get(1).second);
          lines += buf;
          break;
        }
      }
    }
    if (ok || Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  char head[512];
  std::snprintf(head, sizeof(head),
                "Ingest check (instant queries at the last sample, t=%s): expected %lld series "
                "(`count({__name__=~\".+\"})`) and %lld non-stale samples "
                "(`sum(count_over_time({__name__=\"NAME\"}[%llds]))` over every NAME):\n",
                FormatTime(o.data_last_ms).c_str(), static_cast<long long>(o.expect_series),
                static_cast<long long>(o.expect_samples), static_cast<long long>(range_s));
  *report = head + lines;
  return ok;
}

// utime + stime of a process in ms from /proc, or NaN. Resolution: one clock tick (10 ms).
double ProcCpuMs(int64_t pid) {
  if (pid <= 0) return std::numeric_limits<double>::quiet_NaN();
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return std::numeric_limits<double>::quiet_NaN();
  // After "pid (comm)": state is field 3; utime and stime are fields 14 and 15.
  const char* p = stat.c_str() + paren + 1;
  double utime = 0, stime = 0;
  for (int field = 3; field <= 15; ++field) {
    while (*p == ' ') ++p;
    if (field == 14) utime = std::strtod(p, nullptr);
    if (field == 15) stime = std::strtod(p, nullptr);
    while (*p != ' ' && *p != '\0') ++p;
  }
  static const double kTickMs = 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  return (utime + stime) * kTickMs;
}

// Times every query against every server: warmup + runs rounds, each server once per round, the
// first server rotating so that drift in host load hits all alike. Compares the first answers.
std::vector<QueryReport> TimeQueries(std::vector<Server>& servers,
                                     const std::vector<std::string>& queries,
                                     const QueryOptions& o) {
  const size_t n = servers.size();
  std::vector<QueryReport> reports;
  for (const std::string& expr : queries) {
    QueryReport rep;
    rep.expr = expr;
    rep.ms.resize(n);
    rep.cpu_ms.resize(n);
    rep.first.resize(n);
    std::fprintf(stderr, "query: %s\n", expr.c_str());
    std::vector<bool> have(n, false);
    for (int run = 0; run < o.warmup + o.runs; ++run) {
      for (size_t k = 0; k < n; ++k) {
        const size_t s = (k + static_cast<size_t>(run)) % n;
        if (have[s] && !rep.first[s].ok) continue;  // It failed once; don't time errors.
        const double cpu0 = ProcCpuMs(servers[s].pid);
        Timed t = TimedRangeQuery(servers[s], expr, o);
        std::this_thread::sleep_for(std::chrono::milliseconds(o.pause_ms));
        const double cpu = ProcCpuMs(servers[s].pid) - cpu0;
        if (!have[s]) {
          rep.first[s] = std::move(t.result);
          have[s] = true;
          if (!rep.first[s].ok) continue;
        } else if (!t.result.ok) {
          rep.first[s] = std::move(t.result);  // Report the later failure.
          continue;
        }
        if (run >= o.warmup) {
          rep.ms[s].push_back(t.ms);
          if (!std::isnan(cpu)) rep.cpu_ms[s].push_back(cpu);
        }
      }
    }
    if (rep.first[0].ok && rep.first[1].ok) {
      rep.cmp = Compare(rep.first[0], rep.first[1], o.tol, servers[0].name, servers[1].name);
      rep.compared = true;
    }
    std::string line = "  ";
    for (size_t s = 0; s < n; ++s) {
      line += (s ? ", " : "") + servers[s].name + " " + Ms(Median(rep.ms[s])) + " ms";
    }
    line += !rep.compared  ? ", not compared (error)"
            : rep.cmp.same ? ", same answer"
                           : ", DIFFERENT answers";
    for (size_t s = 2; s < n; ++s) {
      auto& vs = rep.vs_strata.emplace_back();
      auto& vp = rep.vs_prometheus.emplace_back();
      if (!rep.first[s].ok) continue;
      if (rep.first[0].ok) {
        vs = Compare(rep.first[s], rep.first[0], o.variant_tol, servers[s].name, servers[0].name);
        line += "; " + servers[s].name + " vs " + servers[0].name + ": max rel. diff " +
                RelText(vs->max_rel);
      }
      if (rep.first[1].ok) {
        vp = Compare(rep.first[s], rep.first[1], o.variant_tol, servers[s].name, servers[1].name);
        line += ", vs " + servers[1].name + " " + RelText(vp->max_rel);
      }
    }
    std::fprintf(stderr, "%s\n", line.c_str());
    reports.push_back(std::move(rep));
  }
  return reports;
}

int RunQuery(const QueryOptions& o) {
  std::vector<std::string> queries;
  if (!o.queries_file.empty()) {
    std::ifstream in(o.queries_file);
    if (!in) {
      std::fprintf(stderr, "query_bench query: cannot read %s\n", o.queries_file.c_str());
      return 2;
    }
    for (std::string line; std::getline(in, line);) {
      const size_t b = line.find_first_not_of(" \t");
      if (b == std::string::npos || line[b] == '#') continue;
      queries.push_back(line.substr(b));
    }
  } else {
    queries.assign(std::begin(kDefaultQueries), std::end(kDefaultQueries));
  }
  if (queries.empty()) {
    std::fprintf(stderr, "query_bench query: no queries\n");
    return 2;
  }
  std::vector<Server> servers;
  std::string error;
  std::string strata_params;
  for (const std::string& kv : o.strata_params) {
    if (!AppendParam(kv, &strata_params, &error)) {
      std::fprintf(stderr, "query_bench query: --param: %s\n", error.c_str());
      return 2;
    }
  }
  struct Spec {
    std::string name, url, params;
    int64_t pid;
  };
  std::vector<Spec> specs = {{o.strata_name, o.strata_url, strata_params, o.pids[0]},
                             {"Prometheus", o.prometheus_url, "", o.pids[1]}};
  for (const std::string& v : o.variants) {
    Spec spec{"", o.strata_url, "", o.pids[0]};
    if (!ParseVariant(v, &spec.name, &spec.params, &error)) {
      std::fprintf(stderr, "query_bench query: %s\n", error.c_str());
      return 2;
    }
    specs.push_back(std::move(spec));
  }
  for (Spec& spec : specs) {
    auto u = bench::ParseUrl(spec.url);
    if (!u) {
      std::fprintf(stderr, "query_bench query: bad URL \"%s\"\n", spec.url.c_str());
      return 2;
    }
    servers.push_back({std::move(spec.name),
                       std::make_unique<HttpClient>(*u, o.timeout_s, "strata-query-bench/1"),
                       std::move(spec.params), spec.pid});
  }

  bool all_ok = true;
  std::string ingest_report;
  if (o.expect_series > 0) {
    if (!CheckIngest(servers, o, &ingest_report)) {
      all_ok = false;
      ingest_report += "**Ingest check failed: the servers do not hold the expected data.**\n";
    }
    std::fputs(ingest_report.c_str(), stderr);
  }

  const std::vector<QueryReport> reports = TimeQueries(servers, queries, o);
  for (const QueryReport& r : reports) {
    for (const QueryResult& q : r.first) all_ok = all_ok && q.ok;
    all_ok = all_ok && r.compared && r.cmp.same;
  }

  // Report.
  std::vector<std::string> names;
  for (const Server& s : servers) names.push_back(s.name);
  bench::ReportSettings settings;
  settings.tol = o.tol;
  settings.variant_tol = o.variant_tol;
  settings.aim_speedup = o.aim_speedup;
  settings.aim_prometheus_ratio = o.aim_prometheus_ratio;
  settings.warmup = o.warmup;
  settings.runs = o.runs;
  settings.pause_ms = o.pause_ms;
  settings.start_s = o.start_s;
  settings.end_s = o.end_s;
  settings.step_s = o.step_s;
  settings.cpu = o.pids[0] > 0 && o.pids[1] > 0;
  int met = 0;
  int timed = 0;
  const std::string md = (ingest_report.empty() ? "" : ingest_report + "\n") +
                         bench::MarkdownReport(names, reports, settings, &met, &timed);
  std::fputs(md.c_str(), stdout);
  std::fputs(bench::JsonReport(names, reports, all_ok, met, timed).c_str(), stdout);
  std::fflush(stdout);
  return all_ok ? 0 : 1;
}

}  // namespace
}  // namespace strata::tools

int main(int argc, char** argv) {
  using strata::tools::LoadOptions;
  using strata::tools::QueryOptions;
  CLI::App app{"Strata vs Prometheus PromQL query benchmark driver", "query_bench"};
  app.require_subcommand(1);

  LoadOptions lo;
  CLI::App* load =
      app.add_subcommand("load", "Generate the workload and remote-write it to every --url");
  load->add_option("--url", lo.urls,
                   "Remote-write endpoint (repeatable): http://host:port/api/v1/write");
  load->add_option("--series", lo.workload.series, "Series, rounded to whole hosts of 100")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  load->add_option("--hours", lo.workload.hours, "Time span of the data")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  load->add_option("--interval-ms", lo.workload.interval_ms, "Scrape interval")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  load->add_option("--end-ms", lo.workload.end_ms, "End of the data (default: now)");
  load->add_option("--seed", lo.workload.seed, "Workload seed")->capture_default_str();
  load->add_option("--reboot-every", lo.workload.down_every,
                   "Host h reboots (staleness, gap, counter resets) if h % N == 7; 0: never")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  load->add_option("--window-steps", lo.workload.window_steps, "Samples per TimeSeries")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  load->add_option("--batch-samples", lo.workload.batch_samples, "Samples per request (about)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  load->add_option("--from-step", lo.workload.from_step,
                   "Send only steps >= N (values are still generated from step 0)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  load->add_option("--to-step", lo.workload.to_step, "Send only steps < N (default: all)")
      ->check(CLI::PositiveNumber);
  load->add_option("--max-retries", lo.max_retries, "Retries per request on 5xx/429/transport")
      ->capture_default_str();
  load->add_option("--timeout-s", lo.timeout_s, "Socket timeout")->capture_default_str();
  load->add_flag("--dry-run", lo.dry_run, "Encode the workload, send nothing");
  load->add_option("--print", lo.print, "With --dry-run: print this many samples");

  QueryOptions qo;
  CLI::App* query = app.add_subcommand("query", "Time and compare query_range queries");
  query->add_option("--strata", qo.strata_url, "Strata base URL, http://host:port")->required();
  query->add_option("--prometheus", qo.prometheus_url, "Prometheus base URL")->required();
  query->add_option("--start", qo.start_s, "Range start, Unix seconds")->required();
  query->add_option("--end", qo.end_s, "Range end, Unix seconds")->required();
  query->add_option("--step", qo.step_s, "Step, seconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  query->add_option("--runs", qo.runs, "Timed runs per query and server")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  query->add_option("--warmup", qo.warmup, "Untimed runs first")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  query->add_option("--queries-file", qo.queries_file,
                    "One PromQL expression per line (# comments); default: the built-in set");
  query->add_option("--rel-tol", qo.tol.rel, "Relative tolerance of value comparison")
      ->capture_default_str();
  query->add_option("--abs-tol", qo.tol.abs, "Absolute tolerance of value comparison")
      ->capture_default_str();
  query->add_option("--timeout-s", qo.timeout_s, "Socket timeout per request")
      ->capture_default_str();
  query->add_option("--pause-ms", qo.pause_ms, "Idle time after every request (not timed)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  query->add_option("--strata-pid", qo.pids[0], "Strata's pid, to report its CPU time");
  query->add_option("--prometheus-pid", qo.pids[1], "Prometheus' pid, to report its CPU time");
  query->add_option("--expect-series", qo.expect_series, "Ingest check: series (0: skip)");
  query->add_option("--expect-samples", qo.expect_samples, "Ingest check: non-stale samples");
  query->add_option("--data-first-ms", qo.data_first_ms, "First sample timestamp");
  query->add_option("--data-last-ms", qo.data_last_ms, "Last sample timestamp");
  query->add_option("--check-timeout-s", qo.check_timeout_s, "Ingest check deadline")
      ->capture_default_str();
  query->add_option("--strata-name", qo.strata_name, "Strata's name in the report")
      ->capture_default_str();
  query->add_option("--param", qo.strata_params,
                    "URL parameter NAME=VALUE added to every Strata query (repeatable), e.g. "
                    "max_source_resolution=raw");
  query->add_option("--variant", qo.variants,
                    "Also time Strata with other parameters (repeatable): \"NAME:k=v[&k=v...]\", "
                    "e.g. \"Strata auto:max_source_resolution=auto\" (without --param's); its "
                    "answers are compared with Strata's and Prometheus' within --variant-rel-tol "
                    "and the largest relative difference is reported");
  query
      ->add_option("--variant-rel-tol", qo.variant_tol.rel,
                   "Relative tolerance of a variant's answers")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  query
      ->add_option("--variant-abs-tol", qo.variant_tol.abs,
                   "Absolute tolerance of a variant's answers (smaller differences count as 0)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  query
      ->add_option("--aim-speedup", qo.aim_speedup,
                   "Aim: Strata's time / a variant's at least this (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  query
      ->add_option("--aim-prometheus-ratio", qo.aim_prometheus_ratio,
                   "Aim: a variant's time / Prometheus' at most this (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  CLI::App* list =
      app.add_subcommand("queries", "Print the built-in dashboard queries, one a line");
  CLI11_PARSE(app, argc, argv);
  if (load->parsed()) return strata::tools::RunLoad(lo);
  if (list->parsed()) {
    for (const char* q : strata::tools::kDefaultQueries) std::printf("%s\n", q);
    return 0;
  }
  return strata::tools::RunQuery(qo);
}
