// The query benchmark's report: per query the servers' timings and answers (QueryReport), as
// the Markdown tables and the one JSON line query_bench_driver query prints (scripts parse
// both: tools/bench/*.sh). Server 0 is Strata, 1 Prometheus, 2... Strata variants. Pure
// functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/lib/query_result.h"

namespace strata::bench {

struct QueryReport {
  std::string expr;
  // Per server (Strata, Prometheus, then the variants).
  std::vector<std::vector<double>> ms;
  std::vector<std::vector<double>> cpu_ms;  // Server CPU per timed run, request + pause.
  std::vector<QueryResult> first;           // The first answer of each server (compared).
  Comparison cmp;                           // Strata vs Prometheus, within QueryOptions::tol.
  bool compared = false;
  // Variant k (server 2 + k) vs Strata and vs Prometheus, within variant_tol; empty if either
  // side failed.
  std::vector<std::optional<Comparison>> vs_strata;
  std::vector<std::optional<Comparison>> vs_prometheus;
};

// What the report says about how it was measured, and the aims it checks.
struct ReportSettings {
  Tolerance tol;                    // Strata vs Prometheus.
  Tolerance variant_tol{0.05, 0};   // Variants vs both.
  double aim_speedup = 0;           // Aim for Strata / variant time, at least (0: none).
  double aim_prometheus_ratio = 0;  // Aim for variant / Prometheus time, at most (0: none).
  int warmup = 1;
  int runs = 5;
  int pause_ms = 200;
  int64_t start_s = 0;
  int64_t end_s = 0;
  int64_t step_s = 60;
  bool cpu = false;  // Add the server CPU table (QueryReport::cpu_ms holds values).
};

// The Markdown report (without the ingest check): the two-way table, or with variants the
// variant table; the CPU table; result sizes, every run and the first differences. `servers`
// names the servers. Sets *met and *timed (queries meeting the aims, queries timed).
std::string MarkdownReport(const std::vector<std::string>& servers,
                           const std::vector<QueryReport>& reports, const ReportSettings& o,
                           int* met, int* timed);

// The final JSON line, {"tool":"query_bench","phase":"query",...}, with its newline.
std::string JsonReport(const std::vector<std::string>& servers,
                       const std::vector<QueryReport>& reports, bool all_ok, int met, int timed);

// Median (NaN for none) and mean (NaN for none).
double Median(std::vector<double> v);
double Mean(const std::vector<double>& v);
// Milliseconds with 3 significant digits or so ("n/a" for NaN).
std::string Ms(double v);
// a / b with two decimals, "n/a" if either is NaN or b <= 0.
std::string Ratio(double a, double b);
// A relative difference: "0", "inf" or %.2g.
std::string RelText(double r);
// `s` as Markdown inline code with '|' escaped (for table cells).
std::string MdCode(const std::string& s);
// The resolutions named by annotations such as "data at 5m resolution used for [t1, t2]": the
// word before each " resolution", each once, comma-separated; "-" if none.
std::string Resolutions(const std::vector<std::string>& infos);
// %.6g, "null" for NaN, 1e308 for infinities.
std::string JsonNumber(double v);

}  // namespace strata::bench
