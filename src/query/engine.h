// Engine: evaluates PromQL over a storage::Querier, as Prometheus 2.x does: instant queries at
// one time, range queries at every step of [start, end]. Lookback (default 5m), staleness
// markers, @ and offset modifiers, subqueries, every aggregation, binary operator and function
// of Prometheus 2.53 except native histograms. Thread-safe: one Engine serves concurrent
// queries; each query is evaluated by the calling thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "query/ast.h"
#include "query/value.h"
#include "storage/querier.h"

namespace strata::query {

struct EngineOptions {
  // How far back an instant selector looks for the newest sample. Default: 5 m (Prometheus).
  int64_t lookback_delta_ms = 5 * 60 * 1000;
  // Step of a subquery written without one (`x[10m:]`). Default: 1 m (Prometheus'
  // evaluation_interval default).
  int64_t default_subquery_step_ms = 60 * 1000;
  // Most samples a query may hold in memory at once (loaded from storage plus produced by
  // subqueries and range functions); past it the query fails with ResourceExhausted
  // "query processing would load too many samples into memory in query execution".
  // Default: 50,000,000 (Prometheus' --query.max-samples).
  int64_t max_samples = 50'000'000;
  // Largest number of series a result may have; past it: ResourceExhausted. 0 = unlimited.
  // Default: 0.
  int64_t max_series = 0;
  // Queries running longer fail with DeadlineExceeded. Default: 2 m (Prometheus).
  std::chrono::milliseconds timeout{120'000};
  // Accept Prometheus' experimental functions (sort_by_label, mad_over_time...). Default: true.
  bool enable_experimental_functions = true;
  // The coarsest downsampled resolution a query may read (--query.max-source-resolution):
  // 0 raw, 300000 (5m), 3600000 (1h), or INT64_MAX for auto (the adaptive rule of
  // storage/downsample.h decides per selector). Default: auto.
  int64_t max_resolution_ms = INT64_MAX;
};

// Per-query overrides and outputs.
// What a query loaded, as the sample limit counts it (Prometheus' `stats` of the query API).
struct QueryStats {
  // Every sample the query accounted for: samples in range windows at each step, raw samples
  // read, and step values produced.
  int64_t total_samples = 0;
  // The most samples held at once (what --query.max-samples limits).
  int64_t peak_samples = 0;
};

struct QueryOptions {
  std::chrono::milliseconds timeout{0};  // 0: the engine's.
  // max_source_resolution of this query (see EngineOptions); -1: the engine's.
  int64_t max_resolution_ms = -1;
  // When set, receives the query's info annotations, as Prometheus' `infos`: for each
  // resolution that answered part of the query from downsampled data, "data at 5m resolution
  // used for [<RFC 3339 start>, <end>]".
  std::vector<std::string>* infos = nullptr;
  // When set, receives what the query loaded (also when it failed).
  QueryStats* stats = nullptr;
};

class Engine {
 public:
  explicit Engine(EngineOptions options) : options_(options) {}

  // Parses and evaluates `query` at `time_ms`. Errors: InvalidArgument for parse errors (with
  // position) and invalid arguments known before evaluation; FailedPrecondition for evaluation
  // errors (duplicate output series, many-to-many matching, a bad regex in label_replace...);
  // ResourceExhausted past max_samples / max_series; DeadlineExceeded past the timeout.
  Result<QueryValue> InstantQuery(const storage::Querier& querier, std::string_view query,
                                  int64_t time_ms, const QueryOptions& opts = {}) const;

  // Evaluates at start, start+step, ..., <= end. Returns a Matrix sorted by labels.
  // REQUIRES: step_ms > 0, end_ms >= start_ms (the HTTP layer validates).
  Result<QueryValue> RangeQuery(const storage::Querier& querier, std::string_view query,
                                int64_t start_ms, int64_t end_ms, int64_t step_ms,
                                const QueryOptions& opts = {}) const;

  // Same, for an already parsed expression.
  Result<QueryValue> Evaluate(const storage::Querier& querier, const Expr& expr, int64_t start_ms,
                              int64_t end_ms, int64_t step_ms, bool instant,
                              const QueryOptions& opts = {}) const;

  const EngineOptions& options() const { return options_; }

 private:
  EngineOptions options_;
};

}  // namespace strata::query
