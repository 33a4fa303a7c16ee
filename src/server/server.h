// Server: the assembled Strata process minus flag parsing. It owns the data directory lock, the
// metrics registry, the route table and the HTTP server. Open() does the fallible set-up,
// Start() begins serving, Stop() shuts down gracefully. Thread-safe for Stop() from a signal
// thread while serving.
#pragma once

#include <prometheus/registry.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/file_lock.h"
#include "base/result.h"
#include "compaction/compactor.h"
#include "ingest/ingest_pipeline.h"
#include "ingest/otlp_receiver.h"
#include "ingest/remote_write.h"
#include "query/engine.h"
#include "rules/manager.h"
#include "rules/notifier.h"
#include "rules/sample_sink.h"
#include "server/api.h"
#include "server/federate.h"
#include "server/http_server.h"
#include "server/otlp_grpc_server.h"
#include "server/query_api.h"
#include "server/router.h"
#include "server/rules_api.h"
#include "server/status_api.h"
#include "server/web_config_watcher.h"
#include "server/web_ui.h"
#include "storage/cold_store.h"
#include "storage/data_dir.h"
#include "storage/head.h"
#include "storage/merge_querier.h"
#include "storage/metadata_store.h"
#include "storage/warm_store.h"

namespace strata::server {

struct ServerOptions {
  HttpServerOptions http;
  // Where all persistent state lives; created if missing. Default: ./data
  std::string data_dir = "./data";
  storage::HeadOptions head;
  // The warm tier under <data_dir>/warm.
  storage::WarmOptions warm;
  // The cold tier: blocks in <data_dir>/cold or the object store of --storage.cold.url.
  storage::ColdConfig cold;
  // Moves and retention; chunk_range_ms follows head.chunk_range_ms.
  compaction::CompactorOptions compaction;
  // Serve /api/v1/admin/* (the TSDB snapshot), as Prometheus' --web.enable-admin-api.
  // Default: false (the endpoints answer 503 "admin APIs disabled").
  bool enable_admin_api = false;
  // Run the compactor in the background. Default: true.
  bool enable_compaction = true;
  query::EngineOptions engine;
  ingest::RemoteWriteOptions remote_write;
  // Label and request limits of every ingest protocol (--ingest.max-*; all off by default).
  ingest::IngestLimits ingest_limits;
  // OTLP/HTTP (POST /v1/metrics, /api/v1/otlp/v1/metrics) and OTLP/gRPC (off by default).
  ingest::OtlpOptions otlp;
  OtlpGrpcOptions otlp_grpc;
  // Rule files and their evaluation (issue 11); group.default_interval_ms also becomes the
  // engine's default subquery step.
  rules::ManagerOptions rules;
  // Alertmanagers to notify; none: alerts are evaluated but not sent.
  rules::NotifierOptions notifier;
  // Serve POST/PUT /-/reload and /-/quit (Prometheus' --web.enable-lifecycle); else they answer
  // 403. Default: false.
  bool enable_lifecycle = false;
  // Called by POST/PUT /-/quit (with enable_lifecycle) after the reply is queued; the process
  // then shuts down as on SIGTERM. Unset: /-/quit answers 501.
  std::function<void()> request_shutdown;
  // Prometheus' web configuration file (--web.config.file): TLS, basic auth and headers of the
  // HTTP and OTLP/gRPC listeners, re-read every second. Empty: plain HTTP, no authentication.
  std::string web_config_file;
  // Reported by /api/v1/status/buildinfo and strata_build_info.
  std::string version = "0.0.0";
  // What /api/v1/status/flags reports: every command-line flag, given or defaulted, by name
  // without dashes; and the retention as /api/v1/status/runtimeinfo prints it.
  std::vector<std::pair<std::string, std::string>> flags;
  std::string storage_retention = "15d";

  Status Validate() const;
};

class Server {
 public:
  // Creates and locks the data directory and prepares the HTTP server. Unavailable when another
  // process holds the directory; IOError when it cannot be created.
  static Result<std::unique_ptr<Server>> Open(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts listening at once (/-/healthy answers 200, /-/ready and the data endpoints 503
  // while the WAL replays), then replays the WAL into the head, opens the warm tier, starts
  // the compactor, then serves everything.
  // Returns the replay's error (Corruption when the WAL cannot be recovered); the server is
  // then stopped.
  Status Start();
  void Stop();
  uint16_t port() const { return http_->port(); }
  // The OTLP/gRPC port, 0 when off. REQUIRES: Start() returned OK.
  uint16_t otlp_grpc_port() const { return otlp_grpc_ ? otlp_grpc_->port() : 0; }
  prometheus::Registry& registry() { return *registry_; }
  // Reloads the rule files (SIGHUP, POST /-/reload). On error the old rules keep running and
  // the error (every file:line problem) is returned. REQUIRES: Start() returned OK.
  Status ReloadRules();

 private:
  explicit Server(ServerOptions options);
  void AddBootRoutes();
  void AddRoutes();
  Status StartRules();
  void ServeMetrics(HttpResponse* res);
  void HandleSnapshot(const HttpRequest& req, HttpResponse* res);
  void HandleWrite(const HttpRequest& req, HttpResponse* res);
  void HandleOtlp(const HttpRequest& req, HttpResponse* res);

  ServerOptions options_;
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<WebConfigWatcher> web_;  // Outlives the listeners; null without a web config.
  storage::DataDirState dir_state_ = storage::DataDirState::kNew;  // Until the marker is written.
  std::shared_ptr<prometheus::Registry> registry_;
  // Collected next to registry_ at scrape time (prometheus-cpp 1.0 registries cannot hold them).
  std::vector<std::shared_ptr<prometheus::Collectable>> collectors_;
  std::unique_ptr<storage::Head> head_;
  std::unique_ptr<storage::WarmStore> warm_;
  std::unique_ptr<storage::ColdStore> cold_;
  std::unique_ptr<storage::MergeQuerier> querier_;  // Head, then warm.
  std::unique_ptr<compaction::Compactor> compactor_;
  storage::MetadataStore metadata_;
  std::unique_ptr<ingest::IngestPipeline> ingest_;  // Shared by every ingest protocol.
  std::unique_ptr<ingest::RemoteWriteReceiver> remote_write_;
  std::unique_ptr<ingest::OtlpReceiver> otlp_;
  std::unique_ptr<OtlpGrpcServer> otlp_grpc_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<query::Engine> engine_;
  std::unique_ptr<QueryApi> query_api_;
  std::unique_ptr<FederateApi> federate_api_;
  std::unique_ptr<rules::IngestSink> rule_sink_;
  std::unique_ptr<rules::Notifier> notifier_;
  std::unique_ptr<rules::RuleManager> rules_;
  std::unique_ptr<RulesApi> rules_api_;
  std::unique_ptr<StatusApi> status_api_;
  WebUi web_ui_;
  int64_t start_time_ms_ = 0;
  // The last rule-file load: its outcome and time (ms), for /api/v1/status/runtimeinfo.
  std::atomic<bool> config_ok_{true};
  std::atomic<int64_t> config_time_ms_{0};
  Router boot_router_;  // While the WAL replays.
  Router router_;
  std::unique_ptr<HttpServer> http_;
  std::atomic<bool> ready_{false};
  // Warm-tier gauges, refreshed at scrape time from WarmStore::Stats().
  struct WarmMetrics;
  std::unique_ptr<WarmMetrics> warm_metrics_;
  void UpdateWarmMetrics();
  struct ColdMetrics;
  std::unique_ptr<ColdMetrics> cold_metrics_;
  void UpdateColdMetrics();
};

}  // namespace strata::server
