// rw_loadgen: a Prometheus remote-write 1.0 load generator for end-to-end benchmarks
// (tools/bench/rw_bench.sh). The workload is fixed by the flags and --seed: node_exporter-like
// series (half counters, half gauges) scraped every --interval-ms. Each sender owns one
// keep-alive connection and a shard of the series (series i goes to sender i % senders, as
// Prometheus' queue-manager shards do), so per-series time order holds. Requests are encoded
// before the clock starts unless they would not fit in --max-preencode-mib.
// --protocol otlp-http / otlp-grpc sends the same series and samples as OTLP metrics instead
// (ExportMetricsServiceRequest: one resource per target with service.name="node" and
// service.instance.id=<instance>, counters as cumulative monotonic sums, gauges as gauges), for
// tools/bench/otlp_bench.sh.
// Output: human-readable lines, then one JSON line starting with {"tool":"rw_loadgen".
// The workload, encoders and HTTP client are tools/bench/lib; this file holds the flags, the
// encoder and sender threads, retries and the report.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench/lib/http_client.h"
#include "bench/lib/json.h"
#include "bench/lib/node_workload.h"
#include "bench/lib/otlp_encoder.h"
#include "bench/lib/remote_write_encoder.h"
#include "bench/lib/url.h"

namespace strata::tools {
namespace {

using bench::HttpClient;
using bench::HttpRequest;
using bench::HttpResponse;
using bench::JsonEscape;
using bench::NodeSeries;
using bench::NodeWorkload;
using bench::OtlpRequestBuilder;
using bench::Url;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string url = "http://127.0.0.1:9201/api/v1/write";
  int64_t series = 10000;
  int64_t samples_per_series = 120;
  int64_t batch_size = 2000;  // Samples per request; Prometheus' max_samples_per_send.
  int senders = 2;
  std::optional<int64_t> start_ms;  // Default: now - samples * interval.
  int64_t interval_ms = 15000;
  uint64_t seed = 1;
  int max_retries = 30;  // Per request; Prometheus retries forever, a benchmark must end.
  int timeout_s = 60;    // Socket send/receive timeout.
  int64_t max_preencode_mib = 4096;
  // Most sample time a shard may send ahead of the slowest other shard; -1: automatic (5 min,
  // or two requests' worth of steps if more); 0: unpaced.
  int64_t max_shard_skew_ms = -1;
  bool dry_run = false;
  int print = 0;  // With --dry-run: print this many samples of the first request.
  // remote-write, otlp-http or otlp-grpc.
  std::string protocol = "remote-write";
  // OTLP body compression: gzip (the OpenTelemetry Collector's default) or none.
  std::string otlp_compression = "gzip";
  bool otlp() const { return protocol != "remote-write"; }
};

// ---------------------------------------------------------------------------------------------
// Request queues: one per sender, filled by that sender's encoder.

struct EncodedRequest {
  std::string body;  // Snappy-compressed WriteRequest.
  int64_t samples = 0;
  size_t raw_bytes = 0;
  int64_t first_t = 0;  // Step times of its first and last samples.
  int64_t last_t = 0;
};

// Keeps the shards within a bounded distance in sample time, as Prometheus' queue manager does
// (it reads the WAL in time order and blocks while a shard's queue is full, so its shards stay
// seconds apart even when catching up). Unpaced, independent senders drift apart by hours over a
// fast backfill, and the lagging shard's samples fall behind the head's lower bound once the
// server moves the ranges the leading shard left behind. Thread-safe.
class ShardPacer {
 public:
  ShardPacer(int shards, int64_t start_ms, int64_t max_skew_ms)
      : sent_(static_cast<size_t>(shards), start_ms), max_skew_ms_(max_skew_ms) {}
  // Blocks until a request whose first sample is at `first_t` may go.
  void Wait(int shard, int64_t first_t) {
    if (max_skew_ms_ <= 0) return;
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] {
      int64_t slowest = INT64_MAX;
      for (size_t i = 0; i < sent_.size(); ++i) {
        if (static_cast<int>(i) != shard) slowest = std::min(slowest, sent_[i]);
      }
      return slowest == INT64_MAX || first_t <= slowest + max_skew_ms_;
    });
  }
  // The shard has sent (or given up on) everything up to `t`; INT64_MAX when it is done.
  void Sent(int shard, int64_t t) {
    std::lock_guard lock(mu_);
    sent_[static_cast<size_t>(shard)] = t;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int64_t> sent_;
  const int64_t max_skew_ms_;
};

// Thread-safe; capacity 0 means unbounded.
class RequestQueue {
 public:
  explicit RequestQueue(size_t capacity) : capacity_(capacity) {}
  void Push(EncodedRequest r) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return capacity_ == 0 || q_.size() < capacity_; });
    q_.push_back(std::move(r));
    not_empty_.notify_all();  // Senders and WaitPrimed() both wait on it.
  }
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }
  // Blocks until a request is available; false once closed and drained.
  bool Pop(EncodedRequest* r) {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return closed_ || !q_.empty(); });
    if (q_.empty()) return false;
    *r = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return true;
  }
  // Blocks until the queue is full or closed (the encoder is ahead of the senders).
  void WaitPrimed() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return closed_ || (capacity_ != 0 && q_.size() >= capacity_); });
  }
  const EncodedRequest* Front() {
    std::lock_guard lock(mu_);
    return q_.empty() ? nullptr : &q_.front();
  }

 private:
  std::mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<EncodedRequest> q_;
  size_t capacity_;
  bool closed_ = false;
};

struct EncodeStats {
  int64_t requests = 0;
  int64_t samples = 0;
  uint64_t raw_bytes = 0;
  uint64_t compressed_bytes = 0;
};

// Encodes the samples of `shard` (series indices) in time order: at each step every series of
// the shard, cut into requests of `batch_size` samples (a request may span two steps, as a
// Prometheus shard's batches do).
void EncodeShard(const Options& o, int64_t start_ms, const std::vector<NodeSeries*>& shard,
                 RequestQueue* queue, EncodeStats* stats) {
  std::string raw;
  OtlpRequestBuilder otlp;
  int64_t in_batch = 0;
  int64_t first_t = 0, last_t = 0;
  auto flush = [&] {
    EncodedRequest r;
    r.first_t = first_t;
    r.last_t = last_t;
    if (o.otlp()) {
      raw = otlp.Take();
      if (o.otlp_compression == "gzip" && o.protocol == "otlp-http") {
        r.body = bench::GzipCompress(raw);
      } else {
        r.body = raw;  // gRPC compresses on its own (grpc-encoding), see Sender.
      }
    } else {
      r.body = bench::SnappyCompress(raw);
    }
    r.samples = in_batch;
    r.raw_bytes = raw.size();
    stats->requests++;
    stats->samples += in_batch;
    stats->raw_bytes += raw.size();
    stats->compressed_bytes += r.body.size();
    queue->Push(std::move(r));
    raw.clear();
    in_batch = 0;
  };
  for (int64_t step = 0; step < o.samples_per_series; ++step) {
    const int64_t t0 = start_ms + step * o.interval_ms;
    for (NodeSeries* s : shard) {
      if (in_batch == 0) first_t = t0;
      last_t = t0;
      if (o.otlp()) {
        s->AppendNextOtlp(&otlp, t0 + s->offset_ms());
      } else {
        s->AppendNext(&raw, t0 + s->offset_ms());
      }
      if (++in_batch == o.batch_size) flush();
    }
  }
  if (in_batch > 0) flush();
  queue->Close();
}

// Parses one request back with the generated protobuf classes: guards the hand-rolled encoder.
bool CheckRequest(const Options& o, const EncodedRequest& r, std::string* error) {
  std::string raw;
  if (o.otlp()) {
    if (o.protocol == "otlp-http" && o.otlp_compression == "gzip") {
      if (!bench::GzipUncompress(r.body, &raw)) {
        *error = "gzip round trip failed";
        return false;
      }
    } else {
      raw = r.body;
    }
    return bench::CheckOtlpRequest(raw, r.samples, error);
  }
  if (!bench::SnappyUncompress(r.body, &raw)) {
    *error = "snappy round trip failed";
    return false;
  }
  return bench::CheckWriteRequest(raw, {.series = r.samples, .one_sample_per_series = true}, error);
}

// ---------------------------------------------------------------------------------------------
// Senders.

struct SenderStats {
  int64_t requests_ok = 0;
  int64_t requests_failed = 0;  // Gave up: 4xx other than 429, or retries exhausted.
  int64_t samples_ok = 0;
  int64_t non_2xx_responses = 0;
  int64_t retries = 0;
  int64_t connection_errors = 0;
  uint64_t bytes_sent = 0;
  std::map<int, int64_t> status_counts;
  std::vector<float> latencies_ms;  // Per request, first attempt to final answer.
  std::string first_error;
  Clock::time_point end;
};

class Sender {
 public:
  Sender(const Options& o, const Url& url, RequestQueue* queue, ShardPacer* pacer, int shard)
      : o_(o),
        url_(url),
        queue_(queue),
        pacer_(pacer),
        shard_(shard),
        http_(url, o.timeout_s, "strata-rw-loadgen/1") {}

  bool Connect(std::string* error) {
    if (o_.protocol == "otlp-grpc") {
      // One channel per sender, not shared with the others (as separate exporters would be).
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      args.SetMaxSendMessageSize(-1);
      channel_ =
          grpc::CreateCustomChannel(url_.HostPort(), grpc::InsecureChannelCredentials(), args);
      if (!channel_->WaitForConnected(std::chrono::system_clock::now() +
                                      std::chrono::seconds(o_.timeout_s))) {
        *error = "gRPC connect " + url_.HostPort() + " timed out";
        return false;
      }
      stub_ = std::make_unique<grpc::GenericStub>(channel_);
      return true;
    }
    return http_.Connect(error);
  }

  void Run(std::latch* go) {
    go->wait();
    EncodedRequest r;
    while (queue_->Pop(&r)) {
      const int64_t last_t = r.last_t;
      pacer_->Wait(shard_, r.first_t);
      Send(std::move(r));
      pacer_->Sent(shard_, last_t);
    }
    pacer_->Sent(shard_, INT64_MAX);
    stats_.end = Clock::now();
    http_.Close();
  }

  SenderStats& stats() { return stats_; }

 private:
  // OTLP/gRPC: a raw unary call of MetricsService/Export, retried like the HTTP path on
  // RESOURCE_EXHAUSTED/UNAVAILABLE (the OTLP exporters' retryable codes).
  void SendGrpc(EncodedRequest r) {
    const auto start = Clock::now();
    auto backoff = std::chrono::milliseconds(30);
    for (int attempt = 0;; ++attempt) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(o_.timeout_s));
      if (o_.otlp_compression == "gzip") ctx.set_compression_algorithm(GRPC_COMPRESS_GZIP);
      grpc::Slice slice(r.body);
      grpc::ByteBuffer request(&slice, 1), response;
      std::promise<grpc::Status> done;
      stub_->UnaryCall(&ctx, "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
                       grpc::StubOptions(), &request, &response,
                       [&done](grpc::Status st) { done.set_value(std::move(st)); });
      grpc::Status st = done.get_future().get();
      const int code = static_cast<int>(st.error_code());
      stats_.status_counts[code]++;
      stats_.bytes_sent += r.body.size();
      if (st.ok()) {
        if (response.Length() > 0) {  // partial_success: some points were rejected.
          stats_.requests_failed++;
          Note("OTLP partial success (points rejected)");
        } else {
          stats_.requests_ok++;
          stats_.samples_ok += r.samples;
        }
        break;
      }
      stats_.non_2xx_responses++;
      Note("gRPC " + std::to_string(code) + ": " + st.error_message().substr(0, 300));
      const bool retry = st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ||
                         st.error_code() == grpc::StatusCode::UNAVAILABLE;
      if (!retry || attempt >= o_.max_retries) {
        stats_.requests_failed++;
        break;
      }
      stats_.retries++;
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
    stats_.latencies_ms.push_back(
        std::chrono::duration<float, std::milli>(Clock::now() - start).count());
  }

  // Remote write or OTLP/HTTP, retried as Prometheus' queue manager does: on transport errors,
  // 5xx and 429 (honouring Retry-After), with exponential backoff.
  void Send(EncodedRequest r) {
    if (o_.protocol == "otlp-grpc") return SendGrpc(std::move(r));
    HttpRequest req{boost::beast::http::verb::post, url_.Target(), 11};
    req.set(boost::beast::http::field::content_type, "application/x-protobuf");
    if (o_.protocol == "otlp-http") {
      if (o_.otlp_compression == "gzip") {
        req.set(boost::beast::http::field::content_encoding, "gzip");
      }
    } else {
      req.set(boost::beast::http::field::content_encoding, "snappy");
      req.set("X-Prometheus-Remote-Write-Version", "0.1.0");
    }
    req.body() = std::move(r.body);
    const auto start = Clock::now();
    auto backoff = std::chrono::milliseconds(30);                  // Prometheus' min_backoff ...
    constexpr auto kMaxBackoff = std::chrono::milliseconds(5000);  // ... and max_backoff.
    for (int attempt = 0;; ++attempt) {
      std::optional<std::chrono::milliseconds> retry_after;
      bool retry = false;
      const HttpResponse res = http_.DoOnce(req);
      if (res.status == 0) {
        stats_.connection_errors++;
        Note(res.error);
        retry = true;
        // Reconnect now, off the backoff; a failure shows again on the next attempt.
        std::string error;
        if (!http_.Connect(&error)) Note(error);
      } else {
        const int code = res.status;
        stats_.status_counts[code]++;
        stats_.bytes_sent += req.body().size();
        if (code / 100 == 2 && o_.protocol == "otlp-http" && !res.body.empty()) {
          stats_.requests_failed++;  // partial_success: some points were rejected.
          Note("OTLP partial success: " + res.body.substr(0, 300));
          break;
        }
        if (code / 100 == 2) {
          stats_.requests_ok++;
          stats_.samples_ok += r.samples;
          break;
        }
        stats_.non_2xx_responses++;
        Note("HTTP " + std::to_string(code) + ": " + res.body.substr(0, 300));
        if (code / 100 == 5 || code == 429) {
          retry = true;
          if (res.retry_after_s) retry_after = std::chrono::seconds(*res.retry_after_s);
        }
        if (!res.keep_alive) {
          std::string error;
          if (!http_.Connect(&error)) Note(error);
        }
      }
      if (!retry || attempt >= o_.max_retries) {
        stats_.requests_failed++;
        break;
      }
      stats_.retries++;
      std::this_thread::sleep_for(retry_after.value_or(backoff));
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
    stats_.latencies_ms.push_back(
        std::chrono::duration<float, std::milli>(Clock::now() - start).count());
  }

  void Note(const std::string& error) {
    if (stats_.first_error.empty()) stats_.first_error = error;
  }

  const Options& o_;
  Url url_;
  RequestQueue* queue_;
  ShardPacer* pacer_;
  int shard_;
  HttpClient http_;  // remote-write and otlp-http.
  SenderStats stats_;
  std::shared_ptr<grpc::Channel> channel_;  // otlp-grpc only.
  std::unique_ptr<grpc::GenericStub> stub_;
};

double Percentile(std::vector<float>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

int Run(const Options& o) {
  const auto url = bench::ParseUrl(o.url);
  if (!url) {
    std::fprintf(stderr, "rw_loadgen: --url: want http://host:port/path, got \"%s\"\n",
                 o.url.c_str());
    return 2;
  }
  const int64_t start_ms =
      o.start_ms.value_or(std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count() -
                          o.samples_per_series * o.interval_ms);

  NodeWorkload w = bench::MakeNodeWorkload(o.series, o.interval_ms, o.seed);
  const int64_t total_samples = o.series * o.samples_per_series;
  // Snappy shrinks these requests (labels repeat) about 5x; assume 4x to be safe.
  const double est_raw =
      static_cast<double>(o.samples_per_series) *
      (static_cast<double>(w.label_bytes) + 24.0 * static_cast<double>(o.series));
  const bool preencode = est_raw / 4 <= static_cast<double>(o.max_preencode_mib) * (1 << 20);
  std::printf(
      "workload: %lld series (%lld hosts, %lld counters, %lld gauges) x %lld samples "
      "= %lld samples, interval %lld ms, start_ms %lld, seed %llu\n",
      static_cast<long long>(o.series), static_cast<long long>(w.hosts),
      static_cast<long long>(w.counters), static_cast<long long>(w.gauges),
      static_cast<long long>(o.samples_per_series), static_cast<long long>(total_samples),
      static_cast<long long>(o.interval_ms), static_cast<long long>(start_ms),
      static_cast<unsigned long long>(o.seed));

  // Shards and encoders.
  const int senders = o.senders;
  std::vector<std::vector<NodeSeries*>> shards(static_cast<size_t>(senders));
  for (size_t i = 0; i < w.series.size(); ++i) {
    shards[i % static_cast<size_t>(senders)].push_back(&w.series[i]);
  }
  std::vector<std::unique_ptr<RequestQueue>> queues;
  queues.reserve(static_cast<size_t>(senders));
  std::vector<EncodeStats> encode_stats(static_cast<size_t>(senders));
  for (int i = 0; i < senders; ++i) {
    queues.push_back(std::make_unique<RequestQueue>(preencode ? 0 : 64));
  }
  const auto encode_start = Clock::now();
  std::vector<std::jthread> encoders;
  encoders.reserve(static_cast<size_t>(senders));
  for (int i = 0; i < senders; ++i) {
    const auto k = static_cast<size_t>(i);
    encoders.emplace_back(EncodeShard, std::cref(o), start_ms, shards[k], queues[k].get(),
                          &encode_stats[k]);
  }
  if (preencode) {
    encoders.clear();  // Joins.
  } else {
    for (auto& q : queues) q->WaitPrimed();
  }
  const double encode_s = std::chrono::duration<double>(Clock::now() - encode_start).count();
  if (const EncodedRequest* first = queues[0]->Front()) {
    std::string error;
    if (!CheckRequest(o, *first, &error)) {
      std::fprintf(stderr, "rw_loadgen: internal error: encoded request is invalid: %s\n",
                   error.c_str());
      return 3;
    }
  }
  if (preencode) {
    EncodeStats e;
    for (const auto& s : encode_stats) {
      e.requests += s.requests;
      e.raw_bytes += s.raw_bytes;
      e.compressed_bytes += s.compressed_bytes;
    }
    std::printf(
        "encoded: %lld requests, %.1f MiB raw, %.1f MiB snappy, in %.2f s (before "
        "timing)\n",
        static_cast<long long>(e.requests), static_cast<double>(e.raw_bytes) / (1 << 20),
        static_cast<double>(e.compressed_bytes) / (1 << 20), encode_s);
  } else {
    std::printf("encoding concurrently with sending (estimated %.0f MiB > --max-preencode-mib)\n",
                est_raw / 4 / (1 << 20));
  }
  if (o.dry_run) {
    if (const EncodedRequest* first = queues[0]->Front(); first && o.print > 0 && !o.otlp()) {
      std::string raw;
      if (bench::SnappyUncompress(first->body, &raw)) {
        std::fputs(bench::FormatWriteRequest(raw, o.print).c_str(), stdout);
      }
    }
    return 0;
  }

  int64_t skew = o.max_shard_skew_ms;
  if (skew < 0) {
    const int64_t per_shard = std::max<int64_t>(1, o.series / senders);
    skew = std::max<int64_t>(300'000,
                             2 * ((o.batch_size + per_shard - 1) / per_shard + 1) * o.interval_ms);
  }
  ShardPacer pacer(senders, start_ms, skew);
  std::vector<std::unique_ptr<Sender>> pool;
  pool.reserve(static_cast<size_t>(senders));
  for (int i = 0; i < senders; ++i) {
    pool.push_back(
        std::make_unique<Sender>(o, *url, queues[static_cast<size_t>(i)].get(), &pacer, i));
    std::string error;
    if (!pool.back()->Connect(&error)) {
      std::fprintf(stderr, "rw_loadgen: %s\n", error.c_str());
      return 1;
    }
  }
  std::latch go(1);
  std::vector<std::jthread> threads;
  threads.reserve(pool.size());
  for (auto& s : pool) threads.emplace_back([&s, &go] { s->Run(&go); });
  const auto t0 = Clock::now();
  go.count_down();
  threads.clear();  // Joins.
  encoders.clear();
  Clock::time_point t1 = t0;
  SenderStats all;
  std::vector<float> latencies;
  for (auto& s : pool) {
    SenderStats& st = s->stats();
    t1 = std::max(t1, st.end);
    all.requests_ok += st.requests_ok;
    all.requests_failed += st.requests_failed;
    all.samples_ok += st.samples_ok;
    all.non_2xx_responses += st.non_2xx_responses;
    all.retries += st.retries;
    all.connection_errors += st.connection_errors;
    all.bytes_sent += st.bytes_sent;
    for (const auto& [code, n] : st.status_counts) all.status_counts[code] += n;
    latencies.insert(latencies.end(), st.latencies_ms.begin(), st.latencies_ms.end());
    if (all.first_error.empty()) all.first_error = st.first_error;
  }
  int64_t requests = 0;
  uint64_t raw_bytes = 0;
  for (const auto& e : encode_stats) {
    requests += e.requests;
    raw_bytes += e.raw_bytes;
  }
  const double elapsed = std::chrono::duration<double>(t1 - t0).count();
  const double rate = elapsed > 0 ? static_cast<double>(all.samples_ok) / elapsed : 0;
  const double p50 = Percentile(latencies, 0.50);
  const double p99 = Percentile(latencies, 0.99);
  const double max = latencies.empty() ? 0 : *std::max_element(latencies.begin(), latencies.end());

  std::string codes;
  for (const auto& [code, n] : all.status_counts) {
    if (!codes.empty()) codes += ",";
    codes += "\"" + std::to_string(code) + "\":" + std::to_string(n);
  }
  std::printf(
      "sent: %lld/%lld samples in %lld requests over %d connections in %.3f s = %.0f "
      "samples/s (%.1f MiB/s snappy)\n",
      static_cast<long long>(all.samples_ok), static_cast<long long>(total_samples),
      static_cast<long long>(requests), senders, elapsed, rate,
      elapsed > 0 ? static_cast<double>(all.bytes_sent) / (1 << 20) / elapsed : 0);
  std::printf("latency per request: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", p50, p99, max);
  std::printf(
      "responses: {%s}; non-2xx %lld, retries %lld, connection errors %lld, failed "
      "requests %lld\n",
      codes.c_str(), static_cast<long long>(all.non_2xx_responses),
      static_cast<long long>(all.retries), static_cast<long long>(all.connection_errors),
      static_cast<long long>(all.requests_failed));
  if (!all.first_error.empty()) std::printf("first error: %s\n", all.first_error.c_str());
  std::printf(
      "{\"tool\":\"rw_loadgen\",\"protocol\":\"%s\",\"url\":\"%s\",\"series\":%lld,\"samples_per_"
      "series\":%lld,"
      "\"batch_size\":%lld,\"senders\":%d,\"interval_ms\":%lld,\"start_ms\":%lld,\"seed\":%llu,"
      "\"counters\":%lld,\"gauges\":%lld,\"samples\":%lld,\"samples_ok\":%lld,\"requests\":%lld,"
      "\"elapsed_s\":%.6f,\"samples_per_s\":%.1f,\"raw_bytes\":%llu,\"snappy_bytes_sent\":%llu,"
      "\"preencoded\":%s,\"encode_s\":%.3f,\"latency_ms_p50\":%.3f,\"latency_ms_p99\":%.3f,"
      "\"latency_ms_max\":%.3f,\"status_counts\":{%s},\"non_2xx_responses\":%lld,"
      "\"retries\":%lld,\"connection_errors\":%lld,\"failed_requests\":%lld,"
      "\"first_error\":\"%s\"}\n",
      o.protocol.c_str(), JsonEscape(o.url).c_str(), static_cast<long long>(o.series),
      static_cast<long long>(o.samples_per_series), static_cast<long long>(o.batch_size), senders,
      static_cast<long long>(o.interval_ms), static_cast<long long>(start_ms),
      static_cast<unsigned long long>(o.seed), static_cast<long long>(w.counters),
      static_cast<long long>(w.gauges), static_cast<long long>(total_samples),
      static_cast<long long>(all.samples_ok), static_cast<long long>(requests), elapsed, rate,
      static_cast<unsigned long long>(raw_bytes), static_cast<unsigned long long>(all.bytes_sent),
      preencode ? "true" : "false", encode_s, p50, p99, max, codes.c_str(),
      static_cast<long long>(all.non_2xx_responses), static_cast<long long>(all.retries),
      static_cast<long long>(all.connection_errors), static_cast<long long>(all.requests_failed),
      JsonEscape(all.first_error).c_str());
  std::fflush(stdout);
  return all.requests_failed == 0 && all.samples_ok == total_samples ? 0 : 1;
}

int Main(int argc, char** argv) {
  Options o;
  CLI::App app{"Prometheus remote-write 1.0 load generator (node_exporter-like workload)",
               "rw_loadgen"};
  app.add_option("--url", o.url, "Remote-write endpoint, http://host:port/path")
      ->capture_default_str();
  app.add_option("--series", o.series, "Number of series")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--samples-per-series", o.samples_per_series, "Samples per series")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--batch-size", o.batch_size, "Samples per request (max_samples_per_send)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--senders", o.senders, "Concurrent keep-alive connections (shards)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--start-ms", o.start_ms,
                 "Timestamp of the first step (default: now - samples * interval)");
  app.add_option("--interval-ms", o.interval_ms, "Scrape interval")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--seed", o.seed, "Workload seed")->capture_default_str();
  app.add_option("--max-retries", o.max_retries, "Retries per request on 5xx/429/transport errors")
      ->capture_default_str();
  app.add_option("--timeout-s", o.timeout_s, "Socket send/receive timeout in seconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--max-shard-skew-ms", o.max_shard_skew_ms,
                 "Most sample time a shard may send ahead of the slowest other one, as "
                 "Prometheus' shards stay close (-1: 5 min or two requests' steps; 0: unpaced)")
      ->capture_default_str();
  app.add_option("--max-preencode-mib", o.max_preencode_mib,
                 "Encode everything before timing if it fits in this many MiB; otherwise encode "
                 "concurrently")
      ->capture_default_str();
  app.add_option("--protocol", o.protocol,
                 "remote-write, otlp-http (POST --url with an ExportMetricsServiceRequest) or "
                 "otlp-grpc (--url http://host:port of the OTLP/gRPC listener)")
      ->check(CLI::IsMember({"remote-write", "otlp-http", "otlp-grpc"}))
      ->capture_default_str();
  app.add_option("--otlp-compression", o.otlp_compression, "OTLP body compression: gzip or none")
      ->check(CLI::IsMember({"gzip", "none"}))
      ->capture_default_str();
  app.add_flag("--dry-run", o.dry_run, "Encode the workload and report its size; send nothing");
  app.add_option("--print", o.print,
                 "With --dry-run: print this many samples of the first request (text format)");
  CLI11_PARSE(app, argc, argv);
  return Run(o);
}

}  // namespace
}  // namespace strata::tools

int main(int argc, char** argv) {
  try {
    return strata::tools::Main(argc, argv);
  } catch (const std::exception& e) {  // Last resort (bad_alloc, thread creation): a bug.
    std::fprintf(stderr, "rw_loadgen: fatal: %s\n", e.what());
    return 3;
  }
}
