// Head::Metrics: the head's self-metrics (prometheus-cpp), shared by the files that implement
// Head. Private to storage.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <map>
#include <string>

#include "storage/head.h"

namespace strata::storage {

struct Head::Metrics {
  explicit Metrics(prometheus::Registry* r)
      : series(prometheus::BuildGauge()
                   .Name("strata_head_series")
                   .Help("Active series in the head.")
                   .Register(*r)
                   .Add({})),
        series_created(prometheus::BuildCounter()
                           .Name("strata_head_series_created_total")
                           .Help("Series created in the head.")
                           .Register(*r)
                           .Add({})),
        samples_appended(prometheus::BuildCounter()
                             .Name("strata_head_samples_appended_total")
                             .Help("Samples stored in the head.")
                             .Register(*r)
                             .Add({})),
        memory_bytes(prometheus::BuildGauge()
                         .Name("strata_head_memory_bytes")
                         .Help("Estimated memory held by the head: chunks, series, index, "
                               "symbols.")
                         .Register(*r)
                         .Add({})),
        bytes_per_series(prometheus::BuildGauge()
                             .Name("strata_head_bytes_per_series")
                             .Help("strata_head_memory_bytes divided by active series.")
                             .Register(*r)
                             .Add({})),
        chunks(prometheus::BuildGauge()
                   .Name("strata_head_chunks")
                   .Help("Chunks in the head, open and closed.")
                   .Register(*r)
                   .Add({})),
        wal_bytes(prometheus::BuildGauge()
                      .Name("strata_wal_bytes_written")
                      .Help("Bytes written to the WAL since start-up.")
                      .Register(*r)
                      .Add({})),
        wal_fsyncs(prometheus::BuildGauge()
                       .Name("strata_wal_fsyncs")
                       .Help("WAL fsync calls since start-up.")
                       .Register(*r)
                       .Add({})),
        replay_seconds(prometheus::BuildGauge()
                           .Name("strata_wal_replay_duration_seconds")
                           .Help("Time spent replaying the WAL at start-up.")
                           .Register(*r)
                           .Add({})),
        replay_records(prometheus::BuildGauge()
                           .Name("strata_wal_replay_records")
                           .Help("WAL records replayed at start-up.")
                           .Register(*r)
                           .Add({})) {}
  prometheus::Gauge& series;
  prometheus::Counter& series_created;
  prometheus::Counter& samples_appended;
  prometheus::Gauge& memory_bytes;
  prometheus::Gauge& bytes_per_series;
  prometheus::Gauge& chunks;
  prometheus::Gauge& wal_bytes;
  prometheus::Gauge& wal_fsyncs;
  prometheus::Gauge& replay_seconds;
  prometheus::Gauge& replay_records;

  // Set at scrape time from the head's own counters.
  prometheus::Gauge& Gauge(prometheus::Registry* r, const char* name, const char* help) {
    return prometheus::BuildGauge().Name(name).Help(help).Register(*r).Add({});
  }
  prometheus::Gauge* min_time = nullptr;
  prometheus::Gauge* max_time = nullptr;
  prometheus::Gauge* min_valid_time = nullptr;
  prometheus::Gauge* series_removed = nullptr;
  prometheus::Gauge* chunks_removed = nullptr;
  prometheus::Gauge* longest_stall = nullptr;
  prometheus::Gauge* chunks_on_disk = nullptr;
  prometheus::Gauge* chunk_file_bytes = nullptr;
  prometheus::Gauge* chunk_file_errors = nullptr;

  // What the WAL salvage at this start-up skipped (0 when the log was clean).
  void SetSalvage(const SalvageStats& st) {
    auto& fam = prometheus::BuildGauge()
                    .Name("strata_wal_salvaged")
                    .Help(
                        "What salvaging a damaged WAL skipped at start-up, by what: ranges, "
                        "bytes, records, samples_dropped, series_dropped.")
                    .Register(*registry);
    fam.Add({{"what", "ranges"}}).Set(static_cast<double>(st.ranges));
    fam.Add({{"what", "bytes"}}).Set(static_cast<double>(st.bytes));
    fam.Add({{"what", "records"}}).Set(static_cast<double>(st.records));
    fam.Add({{"what", "samples_dropped"}}).Set(static_cast<double>(st.samples_dropped));
    fam.Add({{"what", "series_dropped"}}).Set(static_cast<double>(st.series_dropped));
  }
  prometheus::Registry* registry = nullptr;

  // Cache counters live in the caches; the metrics follow them by delta at scrape time.
  void UpdateCache(const std::string& cache, const CacheStats& now) {
    CacheStats& before = cache_seen[cache];
    auto bump = [&](prometheus::Family<prometheus::Counter>& fam, uint64_t cur, uint64_t prev) {
      if (cur > prev) fam.Add({{"cache", cache}}).Increment(static_cast<double>(cur - prev));
    };
    bump(*cache_hits, now.hits, before.hits);
    bump(*cache_misses, now.misses, before.misses);
    bump(*cache_evictions, now.evictions, before.evictions);
    cache_bytes->Add({{"cache", cache}}).Set(static_cast<double>(now.used_bytes));
    before = now;
  }
  prometheus::Family<prometheus::Counter>* cache_hits = nullptr;
  prometheus::Family<prometheus::Counter>* cache_misses = nullptr;
  prometheus::Family<prometheus::Counter>* cache_evictions = nullptr;
  prometheus::Family<prometheus::Gauge>* cache_bytes = nullptr;
  std::map<std::string, CacheStats> cache_seen;
};

}  // namespace strata::storage
