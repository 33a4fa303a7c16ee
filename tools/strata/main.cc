// The `strata` command: `strata serve` runs the server; more subcommands (compact, backup,
// restore, inspect) arrive with their features.
#include <CLI/CLI.hpp>
#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "base/duration.h"
#include "base/log.h"
#include "server/server.h"

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
};

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
  int64_t ooo = 0, lookback = 0, timeout = 0;
  for (const DurationFlag& f : {DurationFlag{"--ingest.out-of-order-window", flags.ooo_window, &ooo, true},
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
  sigwait(&stop_signals, &sig);
  STRATA_LOG(kInfo, "main") << "shutting down" << strata::LogKV("signal", strsignal(sig));
  (*server)->Stop();
  server->reset();
  STRATA_LOG(kInfo, "main") << "bye";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Queries allocate and free large sample buffers; keep freed memory in the heap instead of
  // unmapping it after every query (which cost page faults on the next one), within limits.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
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
  serve->add_option("--http.io-threads", options.http.io_threads,
                    "Event-loop threads (0 = number of cores)")
      ->capture_default_str();
  serve->add_option("--http.workers", options.http.worker_threads,
                    "Handler threads (0 = number of cores)")
      ->capture_default_str();
  serve->add_option("--http.max-body-bytes", options.http.max_body_bytes,
                    "Largest accepted request body in bytes; larger ones get 413")
      ->capture_default_str();
  serve->add_option("--http.read-timeout", flags.read_timeout,
                    "Time to read one request, and idle keep-alive timeout (duration)")
      ->capture_default_str();
  serve->add_option("--http.shutdown-grace", flags.shutdown_grace,
                    "On SIGTERM, how long requests in flight may take (duration)")
      ->capture_default_str();
  serve->add_option("--wal-fsync", flags.wal_fsync,
                    "WAL fsync policy: always (fsync before every acknowledgement, group "
                    "commit), interval (background fsync every --wal.fsync-interval; "
                    "acknowledged samples survive a process crash, a machine crash loses at most "
                    "one interval) or never (kernel writeback only)")
      ->capture_default_str();
  serve->add_option("--wal.fsync-interval", flags.wal_fsync_interval,
                    "Time between background WAL fsyncs with --wal-fsync=interval (duration)")
      ->capture_default_str();
  serve->add_option("--wal.segment-size-bytes", options.head.wal.segment_size_bytes,
                    "Target size of a WAL segment file")
      ->capture_default_str();
  serve->add_option("--ingest.out-of-order-window", flags.ooo_window,
                    "Accept samples up to this much older than a series' newest sample "
                    "(duration; 0 rejects every out-of-order sample, as Prometheus does)")
      ->capture_default_str();
  serve->add_option("--query.lookback-delta", flags.lookback_delta,
                    "How far back an instant selector looks for a sample (duration)")
      ->capture_default_str();
  serve->add_option("--query.timeout", flags.query_timeout,
                    "Longest a query may run; also the cap for the timeout parameter (duration)")
      ->capture_default_str();
  serve->add_option("--query.max-samples", options.engine.max_samples,
                    "Most samples a query may load into memory")
      ->capture_default_str();
  serve->add_option("--query.max-series", options.engine.max_series,
                    "Most series a query result may have (0 = unlimited)")
      ->capture_default_str();
  serve->add_option("--storage.replay-workers", options.head.replay_workers,
                    "Threads applying WAL samples at start-up besides the reader (-1 = automatic: "
                    "none below 4 MiB of WAL, else cores up to 4; 0 = the reader alone)")
      ->capture_default_str();
  serve->add_option("--storage.postings-cache-bytes", options.head.postings_cache_bytes,
                    "Byte budget of the postings cache (0 disables it)")
      ->capture_default_str();
  serve->add_option("--storage.chunk-cache-bytes", options.head.chunk_cache_bytes,
                    "Byte budget of the decoded-chunk cache (0 disables it)")
      ->capture_default_str();
  serve->add_option("--remote-write.max-inflight-bytes", options.remote_write.max_inflight_bytes,
                    "Uncompressed remote-write bytes processed at once; past it requests get "
                    "503 + Retry-After")
      ->capture_default_str();
  serve->add_option("--remote-write.max-decoded-bytes", options.remote_write.max_decoded_bytes,
                    "Largest accepted uncompressed remote-write request")
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  strata::LogLevel level;
  if (!strata::ParseLogLevel(log_level, &level)) {
    std::fprintf(stderr, "strata: --log.level: want debug, info, warn or error, got \"%s\"\n",
                 log_level.c_str());
    return 2;
  }
  strata::SetLogLevel(level);

  if (serve->parsed()) return Serve(std::move(options), flags);
  return 0;
}
