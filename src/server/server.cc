#include "server/server.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "base/clock.h"
#include "base/log.h"
#include "server/api_params.h"
#include "server/json_writer.h"
#include "server/process_metrics.h"
#include "storage/data_dir.h"
#include "storage/downsample.h"
#include "storage/snapshot.h"

namespace strata::server {

Status ServerOptions::Validate() const {
  if (data_dir.empty()) return Status::InvalidArgument("data directory must not be empty");
  STRATA_RETURN_IF_ERROR(head.Validate());
  STRATA_RETURN_IF_ERROR(warm.Validate());
  compaction::CompactorOptions c = compaction;
  c.chunk_range_ms = head.chunk_range_ms;
  STRATA_RETURN_IF_ERROR(c.Validate());
  if (warm.partition_ms % head.chunk_range_ms != 0) {
    return Status::InvalidArgument(
        "the warm partition width must be a multiple of the chunk range");
  }
  if (rules.group.default_interval_ms <= 0) {
    return Status::InvalidArgument("the rule evaluation interval must be > 0");
  }
  return http.Validate();
}

struct Server::WarmMetrics {
  explicit WarmMetrics(prometheus::Registry* r)
      : bytes(G(r, "strata_warm_bytes", "Bytes on disk of the warm tier (RocksDB files).")),
        partitions(G(r, "strata_warm_partitions", "Partitions (UTC days) in the warm tier.")),
        series(G(r, "strata_warm_series", "Series ids allocated in the warm tier.")),
        memory(prometheus::BuildGauge()
                   .Name("strata_warm_memory_bytes")
                   .Help("Memory of the warm tier's RocksDB, by part.")
                   .Register(*r)),
        covered(G(r, "strata_warm_covered_until_seconds",
                  "Everything before this time has been moved out of the head.")),
        cache_hits(prometheus::BuildCounter()
                       .Name("strata_warm_block_cache_hits_total")
                       .Help("RocksDB block cache hits of the warm tier.")
                       .Register(*r)
                       .Add({})),
        cache_misses(prometheus::BuildCounter()
                         .Name("strata_warm_block_cache_misses_total")
                         .Help("RocksDB block cache misses of the warm tier.")
                         .Register(*r)
                         .Add({})),
        transcoded(prometheus::BuildCounter()
                       .Name("strata_warm_transcoded_records_total")
                       .Help("Warm chunk records re-encoded as groups by moves and compactions.")
                       .Register(*r)
                       .Add({})),
        transcode_failures(prometheus::BuildCounter()
                               .Name("strata_warm_transcode_failures_total")
                               .Help("Re-encoded warm chunk records that did not read back "
                                     "the same samples (the original was kept).")
                               .Register(*r)
                               .Add({})),
        transcoded_bytes(
            prometheus::BuildCounter()
                .Name("strata_warm_transcoded_bytes_total")
                .Help("Bytes of the warm chunk records re-encoded by moves and compactions: "
                      "before, and after (uncompressed; RocksDB's block "
                      "compression comes on top).")
                .Register(*r)) {}
  static prometheus::Gauge& G(prometheus::Registry* r, const char* name, const char* help) {
    return prometheus::BuildGauge().Name(name).Help(help).Register(*r).Add({});
  }
  prometheus::Gauge& bytes;
  prometheus::Gauge& partitions;
  prometheus::Gauge& series;
  prometheus::Family<prometheus::Gauge>& memory;
  prometheus::Gauge& covered;
  prometheus::Counter& cache_hits;
  prometheus::Counter& cache_misses;
  prometheus::Counter& transcoded;
  prometheus::Counter& transcode_failures;
  prometheus::Family<prometheus::Counter>& transcoded_bytes;
  Mutex mu;  // Scrapes may run concurrently.
  uint64_t seen_hits STRATA_GUARDED_BY(mu) = 0;
  uint64_t seen_misses STRATA_GUARDED_BY(mu) = 0;
  uint64_t seen_transcoded STRATA_GUARDED_BY(mu) = 0;
  uint64_t seen_failures STRATA_GUARDED_BY(mu) = 0;
  uint64_t seen_before STRATA_GUARDED_BY(mu) = 0;
  uint64_t seen_after STRATA_GUARDED_BY(mu) = 0;

  // Adds to `c` what the monotone `now` gained since `*seen`.
  static void Advance(prometheus::Counter& c, uint64_t now, uint64_t* seen) {
    if (now > *seen) {
      c.Increment(static_cast<double>(now - *seen));
      *seen = now;
    }
  }
};

void Server::UpdateWarmMetrics() {
  if (!warm_ || !warm_metrics_) return;
  storage::WarmStats st = warm_->Stats();
  auto& m = *warm_metrics_;
  MutexLock lock(&m.mu);
  m.bytes.Set(static_cast<double>(st.disk_bytes));
  m.partitions.Set(static_cast<double>(st.partitions.size()));
  m.series.Set(static_cast<double>(st.series));
  m.memory.Add({{"part", "block_cache"}}).Set(static_cast<double>(st.block_cache_bytes));
  m.memory.Add({{"part", "memtables"}}).Set(static_cast<double>(st.memtable_bytes));
  m.memory.Add({{"part", "table_readers"}}).Set(static_cast<double>(st.table_reader_bytes));
  if (st.covered_until != INT64_MIN) m.covered.Set(static_cast<double>(st.covered_until) / 1000.0);
  WarmMetrics::Advance(m.cache_hits, st.block_cache_hits, &m.seen_hits);
  WarmMetrics::Advance(m.cache_misses, st.block_cache_misses, &m.seen_misses);
  WarmMetrics::Advance(m.transcoded, st.transcoded_records, &m.seen_transcoded);
  WarmMetrics::Advance(m.transcode_failures, st.transcode_failures, &m.seen_failures);
  WarmMetrics::Advance(m.transcoded_bytes.Add({{"stage", "before"}}), st.transcoded_bytes_before,
                       &m.seen_before);
  WarmMetrics::Advance(m.transcoded_bytes.Add({{"stage", "after"}}), st.transcoded_bytes_after,
                       &m.seen_after);
}

struct Server::ColdMetrics {
  explicit ColdMetrics(prometheus::Registry* r)
      : blocks(WarmMetrics::G(r, "strata_cold_blocks", "Cold blocks known (all nodes read).")),
        own_blocks(
            WarmMetrics::G(r, "strata_cold_own_blocks", "Cold blocks written by this node.")),
        bytes(WarmMetrics::G(r, "strata_cold_bytes", "Bytes of the known cold blocks' files.")),
        samples(WarmMetrics::G(r, "strata_cold_samples", "Samples in the known cold blocks.")),
        cache_bytes(WarmMetrics::G(r, "strata_cold_cache_bytes",
                                   "Bytes held by the cold tier's read cache.")),
        cache_hits(C(r, "strata_cold_cache_hits_total", "Cold read cache hits.")),
        cache_misses(C(r, "strata_cold_cache_misses_total", "Cold read cache misses.")),
        fetched(C(r, "strata_cold_fetched_bytes_total",
                  "Bytes downloaded from the object store by queries (ranged GETs).")),
        requests(C(r, "strata_cold_fetch_requests_total",
                   "Ranged GETs made by queries of the cold tier.")),
        res_blocks(prometheus::BuildGauge()
                       .Name("strata_cold_resolution_blocks")
                       .Help("Cold blocks known, by resolution (raw, 5m, 1h).")
                       .Register(*r)),
        res_bytes(prometheus::BuildGauge()
                      .Name("strata_cold_resolution_bytes")
                      .Help("Bytes of the known cold blocks' files, by resolution.")
                      .Register(*r)),
        res_samples(prometheus::BuildGauge()
                        .Name("strata_cold_resolution_samples")
                        .Help("Samples in the known cold blocks, by resolution (windows for 5m "
                              "and 1h).")
                        .Register(*r)) {
    for (const char* res : {"raw", "5m", "1h"}) {
      res_blocks.Add({{"resolution", res}});
      res_bytes.Add({{"resolution", res}});
      res_samples.Add({{"resolution", res}});
    }
  }
  static prometheus::Counter& C(prometheus::Registry* r, const char* name, const char* help) {
    return prometheus::BuildCounter().Name(name).Help(help).Register(*r).Add({});
  }
  prometheus::Gauge& blocks;
  prometheus::Gauge& own_blocks;
  prometheus::Gauge& bytes;
  prometheus::Gauge& samples;
  prometheus::Gauge& cache_bytes;
  prometheus::Counter& cache_hits;
  prometheus::Counter& cache_misses;
  prometheus::Counter& fetched;
  prometheus::Counter& requests;
  prometheus::Family<prometheus::Gauge>& res_blocks;
  prometheus::Family<prometheus::Gauge>& res_bytes;
  prometheus::Family<prometheus::Gauge>& res_samples;
  Mutex mu;
  storage::ColdStats seen STRATA_GUARDED_BY(mu);
};

void Server::UpdateColdMetrics() {
  if (!cold_ || !cold_metrics_) return;
  storage::ColdStats st = cold_->Stats();
  auto& m = *cold_metrics_;
  MutexLock lock(&m.mu);
  for (int64_t res : {int64_t{0}, storage::kResolution5m, storage::kResolution1h}) {
    auto it = st.by_resolution.find(res);
    const std::string name = storage::ResolutionName(res);
    m.res_blocks.Add({{"resolution", name}})
        .Set(it == st.by_resolution.end() ? 0 : static_cast<double>(it->second.blocks));
    m.res_bytes.Add({{"resolution", name}})
        .Set(it == st.by_resolution.end() ? 0 : static_cast<double>(it->second.bytes));
    m.res_samples.Add({{"resolution", name}})
        .Set(it == st.by_resolution.end() ? 0 : static_cast<double>(it->second.samples));
  }
  m.blocks.Set(static_cast<double>(st.blocks));
  m.own_blocks.Set(static_cast<double>(st.own_blocks));
  m.bytes.Set(static_cast<double>(st.bytes));
  m.samples.Set(static_cast<double>(st.samples));
  m.cache_bytes.Set(static_cast<double>(st.cache_bytes));
  auto bump = [](prometheus::Counter& c, uint64_t now, uint64_t* seen) {
    if (now > *seen) c.Increment(static_cast<double>(now - *seen));
    *seen = std::max(*seen, now);
  };
  bump(m.cache_hits, st.cache_hits, &m.seen.cache_hits);
  bump(m.cache_misses, st.cache_misses, &m.seen.cache_misses);
  bump(m.fetched, st.bytes_fetched, &m.seen.bytes_fetched);
  bump(m.requests, st.requests, &m.seen.requests);
}

Server::Server(ServerOptions options)
    : options_(std::move(options)), registry_(std::make_shared<prometheus::Registry>()) {}

Server::~Server() { Stop(); }

Result<std::unique_ptr<Server>> Server::Open(ServerOptions options) {
  STRATA_RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<Server> server(new Server(std::move(options)));
  STRATA_RETURN_IF_ERROR(CreateDirs(server->options_.data_dir));
  STRATA_ASSIGN_OR_RETURN(server->lock_, FileLock::Acquire(server->options_.data_dir + "/lock"));
  STRATA_ASSIGN_OR_RETURN(server->dir_state_, storage::CheckDataDir(server->options_.data_dir));
  {
    // Interrupted backups and snapshots leave staging areas nothing else removes.
    STRATA_ASSIGN_OR_RETURN(auto removed,
                            storage::RemoveSnapshotLeftovers(server->options_.data_dir));
    for (const std::string& p : removed) {
      STRATA_LOG(kWarn, "server") << "removed what an interrupted backup or snapshot left"
                                  << LogKV("path", p);
    }
  }
  prometheus::BuildGauge()
      .Name("strata_build_info")
      .Help("A metric with a constant '1' value labelled by the Strata version.")
      .Register(*server->registry_)
      .Add({{"version", server->options_.version}})
      .Set(1);
  prometheus::BuildGauge()
      .Name("strata_head_max_series")
      .Help("The head's series limit (--storage.max-series); 0 = no limit.")
      .Register(*server->registry_)
      .Add({})
      .Set(static_cast<double>(server->options_.head.max_series));
  server->collectors_.push_back(std::make_shared<ProcessCollector>());
  server->AddBootRoutes();
  server->http_ = std::make_unique<HttpServer>(server->options_.http, &server->boot_router_,
                                               server->registry_.get());
  if (!server->options_.web_config_file.empty()) {
    STRATA_ASSIGN_OR_RETURN(server->web_, WebConfigWatcher::Open(server->options_.web_config_file));
    server->http_->SetWebConfig(server->web_.get());
  }
  return server;
}

void Server::ServeMetrics(HttpResponse* res) {
  if (head_ && ready_.load(std::memory_order_acquire)) {
    head_->Stats();  // Refreshes gauges.
    UpdateWarmMetrics();
    UpdateColdMetrics();
  }
  std::ostringstream out;
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  for (const auto& c : collectors_) {
    auto more = c->Collect();
    families.insert(families.end(), more.begin(), more.end());
  }
  prometheus::TextSerializer().Serialize(out, families);
  res->content_type = "text/plain; version=0.0.4; charset=utf-8";
  res->body = out.str();
}

void Server::AddBootRoutes() {
  boot_router_.Add({"GET", "HEAD"}, "/-/healthy", [](const HttpRequest&, HttpResponse* res) {
    res->content_type = "text/plain; charset=utf-8";
    res->body = "Strata is Healthy.\n";
  });
  boot_router_.Add({"GET", "HEAD"}, "/-/ready", [](const HttpRequest&, HttpResponse* res) {
    res->status = 503;
    res->content_type = "text/plain; charset=utf-8";
    res->body = "Service Unavailable\n";
  });
  boot_router_.Add({"GET"}, "/metrics",
                   [this](const HttpRequest&, HttpResponse* res) { ServeMetrics(res); });
  // Everything else waits for the replay; 503 + Retry-After makes Prometheus retry writes.
  boot_router_.AddPrefix({"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"}, "/",
                         [](const HttpRequest&, HttpResponse* res) {
                           SetJsonError(res, 503, "unavailable",
                                        "Strata is starting: replaying the write-ahead log");
                           res->SetHeader("Retry-After", "1");
                         });
}

void Server::AddRoutes() {
  router_.Add({"GET", "HEAD"}, "/-/healthy", [](const HttpRequest&, HttpResponse* res) {
    res->content_type = "text/plain; charset=utf-8";
    res->body = "Strata is Healthy.\n";
  });
  router_.Add({"GET", "HEAD"}, "/-/ready", [this](const HttpRequest&, HttpResponse* res) {
    res->content_type = "text/plain; charset=utf-8";
    if (ready_.load(std::memory_order_acquire)) {
      res->body = "Strata is Ready.\n";
    } else {
      res->status = 503;
      res->body = "Service Unavailable\n";
    }
  });
  api_->Register(&router_);
  query_api_->Register(&router_);
  federate_api_->Register(&router_);
  rules_api_->Register(&router_);
  status_api_->Register(&router_);
  web_ui_.Register(&router_);
  router_.Add({"POST", "PUT"}, "/-/reload", [this](const HttpRequest&, HttpResponse* res) {
    res->content_type = "text/plain; charset=utf-8";
    if (!options_.enable_lifecycle) {
      res->status = 403;
      res->body = "Lifecycle API is not enabled.";
      return;
    }
    Status s = ReloadRules();
    if (!s.ok()) {
      res->status = 500;
      res->body = "failed to reload config: " + s.message();
    }
  });
  router_.Add({"POST", "PUT"}, "/-/quit", [this](const HttpRequest&, HttpResponse* res) {
    res->content_type = "text/plain; charset=utf-8";
    if (!options_.enable_lifecycle) {
      res->status = 403;
      res->body = "Lifecycle API is not enabled.";
      return;
    }
    if (!options_.request_shutdown) {
      res->status = 501;
      res->body = "Quitting is not supported by this process.";
      return;
    }
    res->body = "Requesting termination... Goodbye!";
    options_.request_shutdown();
  });
  router_.Add({"POST"}, "/api/v1/write",
              [this](const HttpRequest& req, HttpResponse* res) { HandleWrite(req, res); });
  // OTLP/HTTP metrics: the OTLP default path and Prometheus 3's.
  for (const char* path : {"/v1/metrics", "/api/v1/otlp/v1/metrics"}) {
    router_.Add({"POST"}, path,
                [this](const HttpRequest& req, HttpResponse* res) { HandleOtlp(req, res); });
  }
  router_.Add({"GET"}, "/metrics",
              [this](const HttpRequest&, HttpResponse* res) { ServeMetrics(res); });
  router_.Add({"POST", "PUT"}, "/api/v1/admin/tsdb/snapshot",
              [this](const HttpRequest& req, HttpResponse* res) { HandleSnapshot(req, res); });
  // Prometheus' other admin endpoints: the same 503 when the admin API is off; Strata cannot
  // delete series, so they answer 501 when it is on.
  for (const auto& [methods, path] :
       {std::pair<std::vector<std::string>, std::string>{{"POST", "PUT", "DELETE"},
                                                         "/api/v1/admin/tsdb/delete_series"},
        {{"POST", "PUT"}, "/api/v1/admin/tsdb/clean_tombstones"}}) {
    router_.Add(methods, path, [this](const HttpRequest&, HttpResponse* res) {
      if (!options_.enable_admin_api) {
        SetJsonError(res, 503, "unavailable", "admin APIs disabled");
        return;
      }
      SetJsonError(res, 501, "unavailable", "not supported by Strata: series cannot be deleted");
    });
  }
}

void Server::HandleSnapshot(const HttpRequest& req, HttpResponse* res) {
  if (!options_.enable_admin_api) {
    SetJsonError(res, 503, "unavailable", "admin APIs disabled");
    return;
  }
  auto params = RequestParams(req);
  if (!params.ok()) {
    SetStatusError(res, params.status());
    return;
  }
  bool skip_head = false;
  if (const std::string* v = params->Get("skip_head"); v != nullptr && !v->empty()) {
    if (*v == "true" || *v == "1") {
      skip_head = true;
    } else if (*v != "false" && *v != "0") {
      SetJsonError(res, 400, "bad_data",
                   "unable to parse boolean 'skip_head' argument: invalid syntax");
      return;
    }
  }
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const std::string name = storage::NewSnapshotName(now);
  std::error_code ec;
  const std::string root = std::filesystem::absolute(options_.data_dir, ec).string();
  const std::string dir = root + "/snapshots/" + name;
  storage::objstore::ObjectStoreOptions so;
  so.url = "file://" + dir;
  auto store = storage::objstore::OpenObjectStore(so, dir, nullptr);
  if (!store.ok()) {
    SetStatusError(res, store.status());
    return;
  }
  storage::SnapshotSources sources;
  sources.head = skip_head ? nullptr : head_.get();
  sources.warm = warm_.get();
  sources.cold = cold_.get();
  sources.node = cold_->options().node_id;
  Status s = compactor_->WhilePaused([&] {
    return storage::WriteSnapshot(sources, name, store->get(), root + "/snapshot-staging-" + name)
        .status();
  });
  if (!s.ok()) {
    STRATA_LOG(kError, "server") << "snapshot failed" << LogKV("error", s.ToString());
    std::filesystem::remove_all(dir, ec);
    SetJsonError(res, 500, "internal", "create snapshot: " + s.ToString());
    return;
  }
  STRATA_LOG(kInfo, "server") << "snapshot written" << LogKV("dir", dir);
  std::string data = "{\"name\":";
  AppendJsonString(&data, name);
  data += ",\"dir\":";
  AppendJsonString(&data, dir);
  data += "}";
  SetJsonSuccess(res, data);
}

void Server::HandleWrite(const HttpRequest& req, HttpResponse* res) {
  ingest::WriteSummary summary;
  Status s = remote_write_->Write(req.Header("content-type"), req.Header("content-encoding"),
                                  req.body, &summary);
  if (s.ok()) {
    res->status = 204;
    res->content_type = "text/plain; charset=utf-8";
    return;
  }
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      SetJsonError(res, 400, "bad_data", s.message());
      return;
    case StatusCode::kNotSupported:
      SetJsonError(res, 415, "bad_data", s.message());
      return;
    case StatusCode::kResourceExhausted:
      // 503 rather than 429: Prometheus retries 5xx always, 429 only when configured to.
      SetJsonError(res, 503, "unavailable", s.message());
      res->SetHeader("Retry-After", "1");
      return;
    default:
      STRATA_LOG(kError, "ingest") << "remote write failed" << LogKV("error", s.ToString());
      SetJsonError(res, 503, "unavailable", s.ToString());
      res->SetHeader("Retry-After", "1");
      return;
  }
}

void Server::HandleOtlp(const HttpRequest& req, HttpResponse* res) {
  ingest::OtlpReceiver::HttpReply reply =
      otlp_->HandleHttp(req.Header("content-type"), req.Header("content-encoding"), req.body);
  res->status = reply.status;
  res->content_type = std::move(reply.content_type);
  res->body = std::move(reply.body);
  if (reply.retry_after) res->SetHeader("Retry-After", std::to_string(ingest::kRetryAfterSeconds));
  if (reply.status == 503) {
    STRATA_LOG(kError, "ingest") << "OTLP export failed" << LogKV("code", reply.status);
  }
}

Status Server::Start() {
  start_time_ms_ = SystemClock::Default().NowMillis();
  STRATA_RETURN_IF_ERROR(http_->Start());
  if (web_) web_->Start();
  // The warm tier opens (RocksDB reads its manifest and table files) while the WAL replays.
  // So does the cold tier (listing the object store).
  Result<std::unique_ptr<storage::WarmStore>> warm = Status::Internal("warm tier not opened");
  Result<std::unique_ptr<storage::ColdStore>> cold = Status::Internal("cold tier not opened");
  std::thread warm_opener([&] {
    warm = storage::WarmStore::Open(options_.data_dir + "/warm", options_.warm, registry_.get());
    if (warm.ok()) cold = storage::OpenColdStore(options_.data_dir, options_.cold, registry_.get());
  });
  auto head = storage::Head::Open(options_.data_dir, options_.head, registry_.get());
  warm_opener.join();
  if (!head.ok()) {
    http_->Stop();
    return head.status();
  }
  head_ = std::move(head).value();
  if (!warm.ok()) {
    http_->Stop();
    return warm.status().WithContext("opening the warm tier");
  }
  warm_ = std::move(warm).value();
  warm_metrics_ = std::make_unique<WarmMetrics>(registry_.get());
  if (!cold.ok()) {
    http_->Stop();
    return cold.status().WithContext("opening the cold tier");
  }
  cold_ = std::move(cold).value();
  cold_metrics_ = std::make_unique<ColdMetrics>(registry_.get());
  // While the cold store cannot be listed, queries that start after this node's newest cold
  // sample (kept in <data-dir>/cold-max-time) are answered by the head and the warm tier alone.
  // With read-all-nodes, other nodes' cold blocks may be newer: they end at least their warm
  // span before the newest sample.
  cold_->SetLocalFloor([this] {
    const int64_t known = cold_->known_max_time();
    int64_t floor = known == INT64_MIN ? INT64_MIN : known + 1;
    if (options_.cold.cold.read_all_nodes) {
      const int64_t newest = head_->MaxTime();
      if (newest == INT64_MIN) return INT64_MAX;
      floor = std::max(floor, newest - options_.compaction.warm_span_ms);
    }
    return floor;
  });
  if (dir_state_ != storage::DataDirState::kCurrent) {
    Status m = storage::WriteDataDirMarker(options_.data_dir);
    if (!m.ok()) {
      http_->Stop();
      return m.WithContext("writing the data directory's format marker");
    }
    if (dir_state_ == storage::DataDirState::kWalOnly) {
      STRATA_LOG(kInfo, "server") << "migrated a WAL-only data directory"
                                  << LogKV("format_version", storage::kDataDirFormatVersion);
    } else if (dir_state_ == storage::DataDirState::kVersion1) {
      STRATA_LOG(kInfo, "server") << "migrated a format version 1 data directory"
                                  << LogKV("format_version", storage::kDataDirFormatVersion);
    }
    dir_state_ = storage::DataDirState::kCurrent;
  }
  // Everything before covered_until is durable in the warm tier; the head may still hold some
  // of it (a crash before the WAL checkpoint), which the next move writes again.
  head_->SetMinValidTime(warm_->covered_until());
  querier_ = std::make_unique<storage::MergeQuerier>(
      std::vector<const storage::Querier*>{head_.get(), warm_.get(), cold_.get()});
  ingest_ = std::make_unique<ingest::IngestPipeline>(
      head_.get(), &metadata_, registry_.get(),
      ingest::IngestOptions{.max_inflight_bytes = options_.remote_write.max_inflight_bytes,
                            .limits = options_.ingest_limits});
  remote_write_ =
      std::make_unique<ingest::RemoteWriteReceiver>(ingest_.get(), options_.remote_write);
  otlp_ = std::make_unique<ingest::OtlpReceiver>(ingest_.get(), options_.otlp);
  if (!options_.otlp_grpc.listen_address.empty()) {
    auto grpc = OtlpGrpcServer::Start(options_.otlp_grpc, otlp_.get(), web_.get());
    if (!grpc.ok()) {
      http_->Stop();
      return grpc.status().WithContext("starting OTLP/gRPC");
    }
    otlp_grpc_ = std::move(grpc).value();
  }
  options_.engine.default_subquery_step_ms = options_.rules.group.default_interval_ms;
  engine_ = std::make_unique<query::Engine>(options_.engine);
  query_api_ = std::make_unique<QueryApi>(querier_.get(), engine_.get());
  api_ = std::make_unique<Api>(querier_.get(), &metadata_, options_.version);
  federate_api_ = std::make_unique<FederateApi>(
      querier_.get(), options_.engine.lookback_delta_ms, options_.rules.group.external_labels, [] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
      });
  status_api_ = std::make_unique<StatusApi>(
      StatusSources{.head = head_.get(),
                    .warm = warm_.get(),
                    .cold = cold_.get(),
                    .flags = options_.flags,
                    .data_dir = options_.data_dir,
                    .storage_retention = options_.storage_retention,
                    .start_time_ms = start_time_ms_,
                    .config_status = [this] {
                      return std::pair<bool, int64_t>(config_ok_.load(), config_time_ms_.load());
                    }});
  compaction::CompactorOptions copts = options_.compaction;
  copts.chunk_range_ms = options_.head.chunk_range_ms;
  copts.wal_dir = options_.data_dir + "/wal";
  copts.staging_dir = options_.data_dir + "/cold-staging";
  compactor_ = std::make_unique<compaction::Compactor>(head_.get(), warm_.get(), cold_.get(),
                                                       std::move(copts), registry_.get());
  if (options_.enable_compaction) compactor_->Start();
  if (Status rs = StartRules(); !rs.ok()) {
    compactor_->Stop();
    http_->Stop();
    return rs;
  }
  AddRoutes();
  http_->SetRouter(&router_);
  ready_.store(true, std::memory_order_release);
  STRATA_LOG(kInfo, "server") << "ready" << LogKV("data_dir", options_.data_dir)
                              << LogKV("version", options_.version);
  return Status::Ok();
}

Status Server::StartRules() {
  rule_sink_ = std::make_unique<rules::IngestSink>(ingest_.get());
  rules::NotifyFunc notify;
  if (!options_.notifier.alertmanager_urls.empty()) {
    rules::NotifierOptions nopts = options_.notifier;
    nopts.external_labels = options_.rules.group.external_labels;
    nopts.external_url = options_.rules.group.external_url;
    STRATA_ASSIGN_OR_RETURN(notifier_, rules::Notifier::Open(std::move(nopts), registry_.get()));
    notifier_->Start();
    notify = [n = notifier_.get()](std::vector<rules::AlertNotification> alerts) {
      n->Send(std::move(alerts));
    };
  }
  rules_ = std::make_unique<rules::RuleManager>(querier_.get(), engine_.get(), rule_sink_.get(),
                                                std::move(notify), registry_.get(), options_.rules);
  rules_api_ = std::make_unique<RulesApi>(rules_.get());
  config_time_ms_.store(SystemClock::Default().NowMillis());
  if (Status s = rules_->Reload(); !s.ok()) return s.WithContext("loading rule files");
  return Status::Ok();
}

Status Server::ReloadRules() {
  if (!rules_) return Status::FailedPrecondition("the server is not started");
  Status s = rules_->Reload();
  config_ok_.store(s.ok());
  if (s.ok()) config_time_ms_.store(SystemClock::Default().NowMillis());
  return s;
}

void Server::Stop() {
  ready_.store(false, std::memory_order_release);
  if (http_) http_->Stop();
  if (rules_) rules_->Stop();
  if (notifier_) notifier_->Stop();
  if (otlp_grpc_) otlp_grpc_->Stop();
  if (web_) web_->Stop();
  if (compactor_) compactor_->Stop();
  if (head_) {
    Status s = head_->Close();
    if (!s.ok()) STRATA_LOG(kError, "server") << "closing head" << LogKV("error", s.ToString());
  }
  if (warm_) {
    Status s = warm_->Close();
    if (!s.ok())
      STRATA_LOG(kError, "server") << "closing warm tier" << LogKV("error", s.ToString());
  }
}

}  // namespace strata::server
