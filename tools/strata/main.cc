// The `strata` command: `strata serve` runs the server; `strata compact` runs the compaction
// planner once on a stopped server's data directory; `strata backup`, `restore` and `inspect`
// (backup.h) work on data directories and backups; `strata rules check|test` (rules_cli.h) check
// rule files and run rule unit tests. Exit codes: 0 done, 1 runtime error, 2 usage
// error.
#include <malloc.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "backup.h"
#include "base/duration.h"
#include "base/file_lock.h"
#include "base/log.h"
#include "compaction/compactor.h"
#include "model/validation.h"
#include "rules_cli.h"
#include "server/server.h"
#include "storage/data_dir.h"
#include "storage/downsample.h"
#include "storage/head.h"
#include "storage/warm_store.h"
#include "storage_flags.h"

#ifndef STRATA_VERSION
#define STRATA_VERSION "0.0.0"
#endif

namespace {

struct ServeFlags {
  std::string read_timeout = "60s";
  std::string shutdown_grace = "10s";
  std::string wal_fsync = "interval";
  std::string wal_fsync_interval = "1s";
  std::string ooo_window = "0s";
  std::string lookback_delta = "5m";
  std::string query_timeout = "2m";
  std::string max_source_resolution = "auto";
  strata::cli::StorageFlags storage;
  std::string wal_repair = "salvage";
  std::string max_future = "1h";
  // Rules and alerts (issue 11).
  std::string rules_interval = "1m";
  std::string outage_tolerance = "1h";
  std::string grace_period = "10m";
  std::string resend_delay = "1m";
  std::string am_timeout = "10s";
  std::vector<std::string> external_labels;
};

// Applies the rule and notifier flags to `options`; false (after a message) on a bad value.
bool ApplyRuleFlags(const ServeFlags& flags, strata::server::ServerOptions* options) {
  struct DurationFlag {
    const char* name;
    const std::string& text;
    int64_t* out;
  };
  int64_t am_timeout = 0;
  auto& g = options->rules.group;
  for (const DurationFlag& f :
       {DurationFlag{"--rules.evaluation-interval", flags.rules_interval, &g.default_interval_ms},
        DurationFlag{"--rules.alert.for-outage-tolerance", flags.outage_tolerance,
                     &g.outage_tolerance_ms},
        DurationFlag{"--rules.alert.for-grace-period", flags.grace_period, &g.for_grace_period_ms},
        DurationFlag{"--rules.alert.resend-delay", flags.resend_delay, &g.resend_delay_ms},
        DurationFlag{"--alertmanager.timeout", flags.am_timeout, &am_timeout}}) {
    auto d = strata::ParseDurationMillis(f.text);
    if (!d.ok() || *d <= 0) {
      std::fprintf(stderr, "strata: %s: %s\n", f.name,
                   d.ok() ? "must be > 0" : d.status().message().c_str());
      return false;
    }
    *f.out = *d;
  }
  options->notifier.timeout = std::chrono::milliseconds(am_timeout);
  std::vector<strata::model::Label> pairs;
  for (const std::string& kv : flags.external_labels) {
    const size_t eq = kv.find('=');
    const std::string name = kv.substr(0, eq);
    if (eq == std::string::npos || !strata::model::IsValidLabelName(name) ||
        !strata::model::IsValidUtf8(kv.substr(eq + 1))) {
      std::fprintf(stderr, "strata: --rules.external-label: want NAME=VALUE, got \"%s\"\n",
                   kv.c_str());
      return false;
    }
    pairs.push_back({name, kv.substr(eq + 1)});
  }
  auto labels = strata::model::Labels::FromPairs(std::move(pairs));
  if (!labels.ok()) {
    std::fprintf(stderr, "strata: --rules.external-label: %s\n", labels.status().message().c_str());
    return false;
  }
  g.external_labels = *labels;
  std::string& url = g.external_url;
  if (url.empty()) {
    // Prometheus' default: http://<hostname>:<listen port>, so that alerts' generatorURL
    // links work from Alertmanager.
    char host[256] = {};
    const std::string& listen = options->http.listen_address;
    const size_t colon = listen.rfind(':');
    if (gethostname(host, sizeof(host) - 1) == 0 && colon != std::string::npos) {
      url = "http://" + std::string(host) + ":" + listen.substr(colon + 1);
    }
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (!url.empty() && !url.starts_with("http://") && !url.starts_with("https://")) {
    std::fprintf(stderr,
                 "strata: --web.external-url: want http(s)://host[:port][/path], got \"%s\"\n",
                 url.c_str());
    return false;
  }
  return true;
}

// `strata compact`: the planner of `strata serve`, once, on a stopped server's data.
int Compact(const std::string& data_dir, strata::compaction::CompactorOptions copts,
            strata::storage::HeadOptions hopts, strata::storage::WarmOptions wopts,
            strata::storage::ColdConfig cold_config) {
  auto fail = [](const std::string& what, const strata::Status& s) {
    std::fprintf(stderr, "strata compact: %s: %s\n", what.c_str(), s.ToString().c_str());
    return 1;
  };
  if (access(data_dir.c_str(), F_OK) != 0) {
    std::fprintf(stderr, "strata compact: data directory %s does not exist\n", data_dir.c_str());
    return 1;
  }
  auto lock = strata::FileLock::Acquire(data_dir + "/lock");
  if (!lock.ok()) {
    std::fprintf(stderr,
                 "strata compact: data directory %s is in use (is a strata server running on "
                 "it? stop it first): %s\n",
                 data_dir.c_str(), lock.status().ToString().c_str());
    return 1;
  }
  auto state = strata::storage::CheckDataDir(data_dir);
  if (!state.ok()) return fail("checking the data directory", state.status());
  hopts.wal.fsync = strata::storage::WalOptions::FsyncPolicy::kInterval;
  auto head = strata::storage::Head::Open(data_dir, hopts, nullptr);
  if (!head.ok()) return fail("opening the head", head.status());
  auto warm = strata::storage::WarmStore::Open(data_dir + "/warm", wopts, nullptr);
  if (!warm.ok()) return fail("opening the warm tier", warm.status());
  auto cold = strata::storage::OpenColdStore(data_dir, cold_config, nullptr);
  if (!cold.ok()) return fail("opening the cold tier", cold.status());
  if (*state != strata::storage::DataDirState::kCurrent) {
    strata::Status m = strata::storage::WriteDataDirMarker(data_dir);
    if (!m.ok()) return fail("writing the format marker", m);
  }
  (*head)->SetMinValidTime((*warm)->covered_until());
  copts.chunk_range_ms = hopts.chunk_range_ms;
  copts.wal_dir = data_dir + "/wal";
  copts.staging_dir = data_dir + "/cold-staging";
  const bool tty = isatty(STDERR_FILENO) != 0;
  strata::compaction::Compactor compactor(head->get(), warm->get(), cold->get(), copts, nullptr);
  auto report = compactor.RunOnce([&](const std::string& line) {
    if (tty) {
      std::fprintf(stderr, "\r\033[K%s", line.c_str());
      std::fflush(stderr);
    }
  });
  if (tty) std::fprintf(stderr, "\r\033[K");
  // Re-encode what the warm tier still holds as the head's Gorilla chunks (RocksDB would do it
  // in the background as data accumulates; docs/format/warm.md, record version 2).
  strata::Status reencode = report.ok() ? (*warm)->CompactChunks() : strata::Status::Ok();
  const strata::storage::WarmStats wstats = (*warm)->Stats();
  strata::Status close_head = (*head)->Close();
  strata::Status close_warm = (*warm)->Close();
  if (!report.ok()) return fail("compacting", report.status());
  if (!reencode.ok()) return fail("compacting the warm tier", reencode);
  if (!close_head.ok()) return fail("closing the head", close_head);
  if (!close_warm.ok()) return fail("closing the warm tier", close_warm);
  std::printf(
      "moved %d head range(s) to the warm tier: %llu series ranges, %llu chunks; "
      "moved %d warm partition(s) to the cold tier; built %d downsampled block(s); "
      "retention dropped %d partition(s) and %d cold block(s); "
      "re-encoded %llu warm chunk record(s), %llu -> %llu bytes\n",
      report->moves, static_cast<unsigned long long>(report->series),
      static_cast<unsigned long long>(report->chunks), report->cold_moves, report->downsampled,
      report->partitions_dropped, report->blocks_dropped,
      static_cast<unsigned long long>(wstats.transcoded_records),
      static_cast<unsigned long long>(wstats.transcoded_bytes_before),
      static_cast<unsigned long long>(wstats.transcoded_bytes_after));
  // The rest of the work is done; a block that could not be downsampled is still an error.
  for (const std::string& e : report->cold_errors) {
    std::fprintf(stderr, "strata compact: %s\n", e.c_str());
  }
  for (const std::string& e : report->downsample_errors) {
    std::fprintf(stderr, "strata compact: %s\n", e.c_str());
  }
  return report->downsample_errors.empty() && report->cold_errors.empty() ? 0 : 1;
}

int Serve(strata::server::ServerOptions options, const ServeFlags& flags) {
  const std::string& read_timeout = flags.read_timeout;
  const std::string& shutdown_grace = flags.shutdown_grace;
  using Fsync = strata::storage::WalOptions::FsyncPolicy;
  if (flags.wal_fsync == "always") {
    options.head.wal.fsync = Fsync::kAlways;
  } else if (flags.wal_fsync == "interval") {
    options.head.wal.fsync = Fsync::kInterval;
  } else if (flags.wal_fsync == "never") {
    options.head.wal.fsync = Fsync::kNever;
  } else {
    std::fprintf(stderr, "strata: --wal-fsync: want always, interval or never, got \"%s\"\n",
                 flags.wal_fsync.c_str());
    return 2;
  }
  auto fi = strata::ParseDurationMillis(flags.wal_fsync_interval);
  if (!fi.ok() || *fi <= 0) {
    std::fprintf(stderr, "strata: --wal.fsync-interval: %s\n",
                 fi.ok() ? "must be > 0" : fi.status().message().c_str());
    return 2;
  }
  options.head.wal.fsync_interval = std::chrono::milliseconds(*fi);
  struct DurationFlag {
    const char* name;
    const std::string& text;
    int64_t* out;
    bool allow_zero;
  };
  int64_t ooo = 0, lookback = 0, timeout = 0, max_future = 0;
  for (const DurationFlag& f :
       {DurationFlag{"--ingest.out-of-order-window", flags.ooo_window, &ooo, true},
        DurationFlag{"--ingest.max-future", flags.max_future, &max_future, true},
        DurationFlag{"--query.lookback-delta", flags.lookback_delta, &lookback, false},
        DurationFlag{"--query.timeout", flags.query_timeout, &timeout, false}}) {
    auto d = strata::ParseDurationMillis(f.text);
    if (!d.ok() || (*d == 0 && !f.allow_zero)) {
      std::fprintf(stderr, "strata: %s: %s\n", f.name,
                   d.ok() ? "must be > 0" : d.status().message().c_str());
      return 2;
    }
    *f.out = *d;
  }
  options.head.out_of_order_window_ms = ooo;
  options.head.max_future_ms = max_future;
  if (!flags.storage.Apply("strata", &options.warm, &options.cold, &options.compaction)) return 2;
  options.head.retention_ms = options.compaction.retention_ms;
  using Repair = strata::storage::HeadOptions::WalRepair;
  if (flags.wal_repair == "salvage") {
    options.head.wal_repair = Repair::kSalvage;
  } else if (flags.wal_repair == "truncate") {
    options.head.wal_repair = Repair::kTruncate;
  } else if (flags.wal_repair == "off") {
    options.head.wal_repair = Repair::kOff;
  } else {
    std::fprintf(stderr,
                 "strata: --storage.wal-repair: want salvage, truncate or off, got \"%s\"\n",
                 flags.wal_repair.c_str());
    return 2;
  }
  if (!ApplyRuleFlags(flags, &options)) return 2;
  if (!options.web_config_file.empty()) {
    // Checked here so that a bad file is a usage error (exit 2), as in Prometheus.
    auto web = strata::server::LoadWebState(options.web_config_file);
    if (!web.ok()) {
      std::fprintf(stderr, "strata: --web.config.file: %s\n", web.status().message().c_str());
      return 2;
    }
  }
  options.request_shutdown = [] { ::kill(::getpid(), SIGTERM); };
  if (strata::Status v = options.Validate(); !v.ok()) {
    std::fprintf(stderr, "strata: %s\n", v.message().c_str());
    return 2;
  }
  auto max_res = strata::storage::ParseMaxSourceResolution(flags.max_source_resolution);
  if (!max_res.ok()) {
    std::fprintf(stderr, "strata: --query.max-source-resolution: %s\n",
                 max_res.status().message().c_str());
    return 2;
  }
  options.engine.max_resolution_ms = *max_res;
  options.engine.lookback_delta_ms = lookback;
  options.engine.timeout = std::chrono::milliseconds(timeout);
  auto rt = strata::ParseDurationMillis(read_timeout);
  auto sg = strata::ParseDurationMillis(shutdown_grace);
  if (!rt.ok() || *rt <= 0) {
    std::fprintf(stderr, "strata: --http.read-timeout: %s\n",
                 rt.ok() ? "must be > 0" : rt.status().message().c_str());
    return 2;
  }
  if (!sg.ok()) {
    std::fprintf(stderr, "strata: --http.shutdown-grace: %s\n", sg.status().message().c_str());
    return 2;
  }
  options.http.read_timeout = std::chrono::milliseconds(*rt);
  options.http.shutdown_grace = std::chrono::milliseconds(*sg);

  // Block the stop signals in every thread (threads inherit the mask), and wait for them here.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);  // Reloads the rule files.
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto server = strata::server::Server::Open(std::move(options));
  if (!server.ok()) {
    std::fprintf(stderr, "strata: %s\n", server.status().ToString().c_str());
    return 1;
  }
  strata::Status s = (*server)->Start();
  if (!s.ok()) {
    std::fprintf(stderr, "strata: %s\n", s.ToString().c_str());
    return 1;
  }
  int sig = 0;
  while (sigwait(&stop_signals, &sig) == 0 && sig == SIGHUP) {
    strata::Status r = (*server)->ReloadRules();
    STRATA_LOG(kInfo, "main") << "SIGHUP: rule files reloaded"
                              << strata::LogKV("ok", r.ok() ? "true" : "false");
  }
  STRATA_LOG(kInfo, "main") << "shutting down" << strata::LogKV("signal", strsignal(sig));
  (*server)->Stop();
  server->reset();
  STRATA_LOG(kInfo, "main") << "bye";
  return 0;
}

}  // namespace

// Every long option of `apps` with its value as given, or its default: what
// /api/v1/status/flags reports (names without dashes, sorted as Prometheus' JSON object is).
std::vector<std::pair<std::string, std::string>> CollectFlags(
    std::initializer_list<const CLI::App*> apps) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const CLI::App* app : apps) {
    for (const CLI::Option* o : app->get_options()) {
      if (o->get_lnames().empty()) continue;
      const std::string& name = o->get_lnames()[0];
      if (name == "help" || name == "version") continue;
      std::string value;
      if (o->count() > 0) {
        for (const std::string& r : o->results()) {
          if (!value.empty()) value += ",";
          value += r;
        }
        if (o->get_type_size() == 0 && value.empty()) value = "true";
      } else {
        value = o->get_default_str();
        if (o->get_type_size() == 0 && value.empty()) value = "false";
      }
      out.emplace_back(name, std::move(value));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// CLI11 2.1 reads "-1" into an unsigned option as its largest value; refuse a sign instead.
const CLI::Validator kUnsigned(
    [](std::string& text) -> std::string {
      size_t i = text.find_first_not_of(" \t");
      if (i != std::string::npos && (text[i] == '-' || text[i] == '+')) {
        return "must be a non-negative integer without a sign, got " + text;
      }
      return std::string();
    },
    "", "unsigned");

// glibc's per-thread caches (tcache) keep up to 7 freed chunks of each small size per thread.
// Chunks kept by threads that then go idle (HTTP workers after a load, the compactor between
// moves) cannot be coalesced with their free neighbours, so the pages around them stay resident
// and malloc_trim cannot return them. With the caches off, the RSS at the end of a 48-hour load
// of 5,000 series held 13.1 MB of anonymous memory instead of 15.7 MB (means of 4 and 6 runs).
// glibc reads this setting only from GLIBC_TUNABLES when a process starts, so the command runs
// itself again, once, with it added; a tcache setting of the user's own is kept. The process keeps
// its pid. If the re-run cannot happen, the command goes on with the default.
static void DisableMallocThreadCaches(char** argv) {
  const char* env = std::getenv("GLIBC_TUNABLES");  // NOLINT(concurrency-mt-unsafe): no threads.
  const bool had = env != nullptr;
  const std::string old = had ? env : "";
  if (old.find("glibc.malloc.tcache_count") != std::string::npos) return;
  std::string tunables = old + (old.empty() ? "" : ":") + "glibc.malloc.tcache_count=0";
  if (setenv("GLIBC_TUNABLES", tunables.c_str(), 1) != 0) return;  // NOLINT(concurrency-mt-unsafe)
  execv("/proc/self/exe", argv);
  // Not reached unless exec failed: restore the environment as it was.
  if (had) {
    setenv("GLIBC_TUNABLES", old.c_str(), 1);  // NOLINT(concurrency-mt-unsafe)
  } else {
    unsetenv("GLIBC_TUNABLES");  // NOLINT(concurrency-mt-unsafe)
  }
}

int main(int argc, char** argv) {
  DisableMallocThreadCaches(argv);
  // Large buffers (queries' sample vectors) stay in the heap instead of being unmapped after
  // every query (which cost page faults on the next one). Freed memory at the top of a heap is
  // given back once it passes 1 MiB: glibc's malloc_trim, which the compactor calls after its
  // moves, cannot release the top of a thread's own arena, so with a high threshold the
  // compactor's arena kept the pages of its largest move. At the end of tier_bench's 7-day
  // load: 82 MiB RSS with a 256 MiB threshold, 63 MiB with 1 MiB; the dashboard queries over
  // the same data took as long with either (within run-to-run noise) and peaked at the same RSS.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 20);
  // glibc gives each thread that contends an arena of its own (up to 8 per core); with the HTTP
  // workers, the compactor and RocksDB's threads, freed memory scattered over many arenas kept
  // RSS high after a 3-day load (67 MiB with the default, 52 MiB with 4 arenas, measured with
  // tools/bench/tier_bench.sh's workload; ingest rate unchanged within noise).
  mallopt(M_ARENA_MAX, 4);
  CLI::App app{"Strata: a time-series database for Prometheus and OpenTelemetry data.", "strata"};
  app.set_version_flag("--version", std::string("strata ") + STRATA_VERSION);
  app.require_subcommand(1);

  std::string log_level = "info";
  app.add_option("--log.level", log_level, "Log level: debug, info, warn or error")
      ->capture_default_str();

  strata::server::ServerOptions options;
  options.version = STRATA_VERSION;
  ServeFlags flags;
  CLI::App* serve = app.add_subcommand("serve", "Run the Strata server");
  serve->add_option("--listen", options.http.listen_address, "Address to listen on (host:port)")
      ->capture_default_str();
  serve->add_option("--data-dir", options.data_dir, "Directory for all persistent data")
      ->capture_default_str();
  serve
      ->add_option("--http.io-threads", options.http.io_threads,
                   "Event-loop threads (0 = number of cores)")
      ->capture_default_str();
  serve
      ->add_option("--http.workers", options.http.worker_threads,
                   "Handler threads (0 = number of cores)")
      ->capture_default_str();
  serve
      ->add_option("--http.max-body-bytes", options.http.max_body_bytes,
                   "Largest accepted request body in bytes; larger ones get 413")
      ->capture_default_str();
  serve
      ->add_option("--http.read-timeout", flags.read_timeout,
                   "Time to read one request, and idle keep-alive timeout (duration)")
      ->capture_default_str();
  serve
      ->add_option("--http.shutdown-grace", flags.shutdown_grace,
                   "On SIGTERM, how long requests in flight may take (duration)")
      ->capture_default_str();
  serve
      ->add_option("--wal-fsync", flags.wal_fsync,
                   "WAL fsync policy: always (fsync before every acknowledgement, group "
                   "commit), interval (background fsync every --wal.fsync-interval; "
                   "acknowledged samples survive a process crash, a machine crash loses at most "
                   "one interval) or never (kernel writeback only)")
      ->capture_default_str();
  serve
      ->add_option("--wal.fsync-interval", flags.wal_fsync_interval,
                   "Time between background WAL fsyncs with --wal-fsync=interval (duration)")
      ->capture_default_str();
  serve
      ->add_option("--wal.segment-size-bytes", options.head.wal.segment_size_bytes,
                   "Target size of a WAL segment file")
      ->capture_default_str();
  serve
      ->add_option("--ingest.out-of-order-window", flags.ooo_window,
                   "Accept samples up to this much older than a series' newest sample "
                   "(duration; 0 rejects every out-of-order sample, as Prometheus does)")
      ->capture_default_str();
  serve
      ->add_option("--query.lookback-delta", flags.lookback_delta,
                   "How far back an instant selector looks for a sample (duration)")
      ->capture_default_str();
  serve
      ->add_option("--query.timeout", flags.query_timeout,
                   "Longest a query may run; also the cap for the timeout parameter (duration)")
      ->capture_default_str();
  serve
      ->add_option("--query.max-source-resolution", flags.max_source_resolution,
                   "Coarsest downsampled data a query may read unless it passes "
                   "max_source_resolution: auto (the adaptive rule), raw, 5m or 1h")
      ->capture_default_str();
  serve
      ->add_option("--query.max-samples", options.engine.max_samples,
                   "Most samples a query may load into memory")
      ->capture_default_str();
  serve
      ->add_option("--query.max-series", options.engine.max_series,
                   "Most series a query result may have (0 = unlimited)")
      ->capture_default_str();
  serve
      ->add_option("--storage.replay-workers", options.head.replay_workers,
                   "Threads applying WAL samples at start-up besides the reader (-1 = automatic: "
                   "none below 4 MiB of WAL, else cores up to 4; 0 = the reader alone)")
      ->capture_default_str();
  serve
      ->add_option("--storage.wal-tail-checkpoint-bytes", options.head.checkpoint_tail_min_bytes,
                   "Between moves, checkpoint the WAL again once the segments after the newest "
                   "checkpoint hold this many bytes and half the head's chunk bytes, so a "
                   "restart replays less sample by sample (0 = checkpoints at moves only)")
      ->check(kUnsigned)
      ->capture_default_str();
  serve
      ->add_option("--storage.head-chunks-on-disk", options.head.chunks_on_disk,
                   "Keep the head's closed chunks in scratch files under <data-dir>/chunks_head "
                   "(read back when queried or moved) instead of in memory; false keeps them in "
                   "memory")
      ->capture_default_str();
  serve
      ->add_option("--storage.postings-cache-bytes", options.head.postings_cache_bytes,
                   "Byte budget of the postings cache (0 disables it)")
      ->check(kUnsigned)
      ->capture_default_str();
  serve
      ->add_option("--storage.chunk-cache-bytes", options.head.chunk_cache_bytes,
                   "Byte budget of the decoded-chunk cache (0 disables it)")
      ->check(kUnsigned)
      ->capture_default_str();
  serve
      ->add_option("--remote-write.max-inflight-bytes", options.remote_write.max_inflight_bytes,
                   "Uncompressed remote-write bytes processed at once; past it requests get "
                   "503 + Retry-After")
      ->check(kUnsigned)
      ->capture_default_str();
  serve
      ->add_option("--remote-write.max-decoded-bytes", options.remote_write.max_decoded_bytes,
                   "Largest accepted uncompressed remote-write request")
      ->check(kUnsigned)
      ->capture_default_str();
  // OTLP (issue 10): OTLP/HTTP is always served on --listen; OTLP/gRPC only with a listen address.
  serve
      ->add_option("--otlp.grpc-listen", options.otlp_grpc.listen_address,
                   "host:port for OTLP/gRPC metrics (MetricsService/Export), e.g. "
                   "127.0.0.1:4317; empty = off")
      ->capture_default_str();
  serve
      ->add_option("--otlp.max-decoded-bytes", options.otlp.max_decoded_bytes,
                   "Largest OTLP request after gzip decompression (larger: HTTP 413, gRPC "
                   "RESOURCE_EXHAUSTED)")
      ->check(kUnsigned)
      ->capture_default_str();
  serve
      ->add_option("--otlp.promote-resource-attributes",
                   options.otlp.translate.promote_resource_attributes,
                   "Resource attributes to copy onto every series of their resource as labels "
                   "(comma-separated or repeated; the rest stay in target_info)")
      ->delimiter(',');
  serve
      ->add_option("--storage.max-series", options.head.max_series,
                   "Most series the head holds (recording-rule output included); samples of "
                   "new series past it are rejected with a 400 naming the limit, existing "
                   "series keep ingesting (0 = no limit)")
      ->check(kUnsigned)
      ->capture_default_str();
  serve
      ->add_option("--ingest.max-labels-per-series", options.ingest_limits.max_labels_per_series,
                   "Reject series with more labels than this, __name__ included (0 = no limit)")
      ->check(kUnsigned)
      ->capture_default_str();
  serve
      ->add_option("--ingest.max-label-name-length", options.ingest_limits.max_label_name_length,
                   "Reject series with a label name longer than this many bytes (0 = no limit)")
      ->check(kUnsigned)
      ->capture_default_str();
  serve
      ->add_option("--ingest.max-label-value-length", options.ingest_limits.max_label_value_length,
                   "Reject series with a label value longer than this many bytes, the metric "
                   "name included (0 = no limit)")
      ->check(kUnsigned)
      ->capture_default_str();
  serve
      ->add_option("--ingest.max-samples-per-request",
                   options.ingest_limits.max_samples_per_request,
                   "Refuse whole requests carrying more samples than this with a 400 (0 = no "
                   "limit)")
      ->check(kUnsigned)
      ->capture_default_str();
  serve
      ->add_option("--ingest.max-future", flags.max_future,
                   "Reject samples more than this after the server's clock (duration; 0 "
                   "accepts any future time)")
      ->capture_default_str();
  serve
      ->add_option("--storage.wal-repair", flags.wal_repair,
                   "What to do with a WAL damaged in the middle: salvage (skip only the "
                   "damaged pages, keep copies under <wal>/damaged-*), truncate (cut the log "
                   "there) or off (refuse to start)")
      ->capture_default_str();
  flags.storage.Register(serve);
  // Rules and alerts (issue 11): Prometheus' flag names where it has them.
  serve->add_option("--rules.file", options.rules.files,
                    "Rule file (Prometheus format); a glob; repeatable. Reloaded on SIGHUP and "
                    "POST /-/reload");
  serve
      ->add_option("--rules.evaluation-interval", flags.rules_interval,
                   "Evaluation interval of groups without one, and the default subquery step "
                   "(duration)")
      ->capture_default_str();
  serve
      ->add_option("--rules.alert.for-outage-tolerance", flags.outage_tolerance,
                   "Max time to tolerate an outage for restoring \"for\" state of alerts "
                   "(duration)")
      ->capture_default_str();
  serve
      ->add_option("--rules.alert.for-grace-period", flags.grace_period,
                   "Minimum duration between alert and restored \"for\" state; kept only for "
                   "alerts with a longer \"for\" (duration)")
      ->capture_default_str();
  serve
      ->add_option("--rules.alert.resend-delay", flags.resend_delay,
                   "Minimum time to wait before resending an alert to Alertmanager (duration)")
      ->capture_default_str();
  serve->add_option("--rules.external-label", flags.external_labels,
                    "NAME=VALUE label added to alerts sent to Alertmanager (and $externalLabels); "
                    "repeatable");
  serve->add_option("--alertmanager.url", options.notifier.alertmanager_urls,
                    "Alertmanager base URL (http://host:port); /api/v2/alerts is appended; "
                    "repeatable");
  serve
      ->add_option("--alertmanager.timeout", flags.am_timeout,
                   "Timeout of one request to an Alertmanager (duration)")
      ->capture_default_str();
  serve
      ->add_option("--alertmanager.notification-queue-capacity", options.notifier.queue_capacity,
                   "Alert notifications queued at most; older ones are dropped")
      ->capture_default_str();
  serve->add_option("--web.external-url", options.rules.group.external_url,
                    "URL under which Strata is reached (alerts' generatorURL, $externalURL)");
  serve->add_flag("--web.enable-lifecycle", options.enable_lifecycle,
                  "Serve POST /-/reload (reloads the rule files) and POST /-/quit");
  serve->add_option("--web.config.file", options.web_config_file,
                    "Prometheus web configuration file (TLS, basic auth, headers) for the HTTP "
                    "and OTLP/gRPC listeners; re-read every second");
  serve->add_flag("--web.enable-admin-api", options.enable_admin_api,
                  "Serve the admin API (POST /api/v1/admin/tsdb/snapshot, used by strata backup "
                  "--url)");

  std::string compact_dir = "./data";
  strata::cli::StorageFlags compact_storage;
  CLI::App* compact = app.add_subcommand(
      "compact", "Run the compaction planner once on a stopped server's data directory");
  compact->add_option("--data-dir", compact_dir, "The data directory")->capture_default_str();
  compact_storage.Register(compact);

  strata::cli::BackupCommand backup(&app);
  strata::cli::RestoreCommand restore(&app);
  strata::cli::InspectCommand inspect(&app);
  strata::cli::RulesCommand rules(&app);

  // CLI11 reports through exceptions; usage errors exit with 2, --help/--version with 0.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  strata::LogLevel level;
  if (!strata::ParseLogLevel(log_level, &level)) {
    std::fprintf(stderr, "strata: --log.level: want debug, info, warn or error, got \"%s\"\n",
                 log_level.c_str());
    return 2;
  }
  strata::SetLogLevel(level);

  if (serve->parsed()) {
    options.flags = CollectFlags({&app, serve});
    options.storage_retention = flags.storage.retention;
    if (flags.storage.retention_size != "0") {
      options.storage_retention += " or " + flags.storage.retention_size;
    }
    return Serve(std::move(options), flags);
  }
  if (backup.parsed()) return backup.Run();
  if (restore.parsed()) return restore.Run();
  if (inspect.parsed()) return inspect.Run();
  if (rules.parsed()) return rules.Run();
  if (compact->parsed()) {
    strata::compaction::CompactorOptions copts;
    strata::storage::WarmOptions wopts;
    strata::storage::ColdConfig cold;
    if (!compact_storage.Apply("strata compact", &wopts, &cold, &copts)) return 2;
    if (strata::Status v = copts.Validate(); !v.ok()) {
      std::fprintf(stderr, "strata compact: %s\n", v.message().c_str());
      return 2;
    }
    return Compact(compact_dir, copts, strata::storage::HeadOptions{}, wopts, cold);
  }
  return 0;
}
