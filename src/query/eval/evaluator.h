// Evaluator: evaluates one PromQL expression tree over all steps of a query at once (as
// Prometheus' rangeEval does): every instant-vector node yields a Matrix whose series hold one
// point per step at which they have a value; scalars yield one value per step. Range-vector
// arguments are windowed per step. Private to query/. Confined to the calling thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "query/ast.h"
#include "query/engine.h"
#include "query/value.h"
#include "storage/querier.h"

namespace strata::query::eval {

// The value of a node over every step.
struct StepValue {
  ValueType type = ValueType::kNone;
  std::vector<double> scalar;  // kScalar: one value per step.
  Matrix series;               // kVector: points at step times. kMatrix: raw samples.
  std::string str;             // kString.
};

// Raw samples of one series for windowing: a range selector's or a subquery's output.
struct RawSeries {
  model::Labels labels;
  std::vector<FPoint> points;  // Sorted by time; stale markers removed.
  // For downsampled data read for sum/count/avg_over_time: the raw samples each point stands
  // for (its value is their sum), in step with points; empty when every point is one sample.
  std::vector<uint32_t> counts;
};

class Evaluator {
 public:
  Evaluator(const storage::Querier& querier, const EngineOptions& options, int64_t start_ms,
            int64_t end_ms, int64_t interval_ms, std::chrono::steady_clock::time_point deadline,
            int64_t query_start_ms, int64_t query_end_ms);

  Result<StepValue> Eval(const Expr& expr);

  // The query's max_source_resolution (SelectHints::max_resolution_ms) and where to record
  // the downsampled spans selectors read (may be null).
  void SetResolution(int64_t max_resolution_ms, std::vector<storage::ResolutionUse>* used) {
    max_resolution_ms_ = max_resolution_ms;
    resolutions_used_ = used;
  }

  int64_t start() const { return start_; }
  int64_t end() const { return end_; }
  int64_t interval() const { return interval_; }
  size_t steps() const { return steps_; }
  int64_t StepTime(size_t i) const {
    return static_cast<int64_t>(static_cast<uint64_t>(start_) +
                                static_cast<uint64_t>(i) * static_cast<uint64_t>(interval_));
  }
  // Step index of time t (REQUIRES: t is a step time).
  size_t StepIndex(int64_t t) const {
    return static_cast<size_t>((static_cast<uint64_t>(t) - static_cast<uint64_t>(start_)) /
                               static_cast<uint64_t>(interval_));
  }

  // Fails with DeadlineExceeded once the deadline passed.
  Status CheckDeadline() const;
  // Accounts `n` more samples held in memory; ResourceExhausted past the limit. Raw samples
  // loaded from storage are released (ReleaseSamples) once turned into step values; step
  // values stay counted until the query ends, so the count tracks memory held at once.
  Status AddSamples(int64_t n);
  void ReleaseSamples(int64_t n) { samples_ -= n; }
  int64_t total_samples() const { return total_samples_; }
  int64_t peak_samples() const { return peak_samples_; }

  // Prometheus' accounting of range windows: the samples in every series' window at one step
  // count together (plus what the query already holds), so a wide selection fails at the
  // same point as in Prometheus, while only one series' raw data is in memory here.
  struct StepLoad {
    explicit StepLoad(size_t steps) : per_step(steps, 0) {}
    // Adds n window samples at `step`; ResourceExhausted past the limit.
    Status Add(size_t step, int64_t n, const Evaluator& ev);
    std::vector<int64_t> per_step;
  };

 private:
  // With sample_times, each point's value is the picked sample's timestamp in seconds (for
  // timestamp()) instead of its value.
  Result<StepValue> EvalVectorSelector(const VectorSelector& vs, bool sample_times = false);
  Result<StepValue> EvalRangeInstant(const Expr& range_expr);
  Result<StepValue> EvalUnary(const UnaryExpr& u);
  Result<StepValue> EvalBinary(const BinaryExpr& b);
  Result<StepValue> EvalAggregate(const AggregateExpr& a);
  Result<StepValue> EvalCall(const Call& c);
  Result<StepValue> CountValues(const AggregateExpr& a, const std::string& value_label,
                                const Matrix& series);

  // Binary operator helpers (eval_binary.cc).
  Result<StepValue> ScalarScalar(const BinaryExpr& b, StepValue lhs, StepValue rhs);
  Result<StepValue> VectorScalar(const BinaryExpr& b, StepValue vec, const StepValue& scalar,
                                 bool scalar_on_left);
  Result<StepValue> VectorVector(const BinaryExpr& b, StepValue lhs, StepValue rhs);

  // Function helpers (eval_functions.cc).
  Result<StepValue> EvalRangeFunctionCall(const Call& c, int matrix_arg);
  Result<StepValue> EvalAbsentOverTime(const Call& c);
  Result<StepValue> EvalHistogramQuantile(const Call& c);
  Result<StepValue> EvalLabelReplace(const Call& c);
  Result<StepValue> EvalLabelJoin(const Call& c);
  Result<StepValue> EvalTimestamp(const Call& c);

  // The raw series of a range-vector expression (MatrixSelector or SubqueryExpr) covering
  // every window of this evaluation, one series at a time (NextRange), plus the parameters to
  // window them. A selector's series are read from storage as they are asked for, so only one
  // series' raw samples are held at once.
  struct RangeInput {
    std::unique_ptr<storage::SeriesSet> set;  // Matrix selector.
    std::vector<RawSeries> series;            // Subquery output.
    size_t next = 0;
    int64_t range_ms = 0;
    int64_t offset_ms = 0;
    AtModifier at;
    std::vector<model::Sample> scratch;
  };
  // `func`: the function the range is an argument of (a select hint), empty for none.
  Result<RangeInput> LoadRange(const Expr& range_expr, std::string_view func);
  // Moves to the next series of `in` into *out (stale markers removed). False at the end.
  Result<bool> NextRange(RangeInput* in, RawSeries* out);
  // Selects the series of a selector reading samples in [mint, maxt] (stale markers kept).
  Result<std::unique_ptr<storage::SeriesSet>> Select(const VectorSelector& vs, int64_t mint,
                                                     int64_t maxt, int64_t range_ms,
                                                     std::string_view func);
  // The reference (sample-time) instant for step time t, after @ and offset.
  int64_t RefTime(int64_t t, const AtModifier& at, int64_t offset_ms) const;

  // Evaluates a scalar-typed argument to one value per step.
  Result<std::vector<double>> EvalScalarArg(const Expr& e);
  Result<std::string> EvalStringArg(const Expr& e);

  const storage::Querier& querier_;
  const EngineOptions& options_;
  const int64_t start_;
  const int64_t end_;
  const int64_t interval_;
  const size_t steps_;
  const std::chrono::steady_clock::time_point deadline_;
  const int64_t query_start_;  // For @ start() / @ end().
  const int64_t query_end_;
  int64_t samples_ = 0;
  // For QueryStats; mutable because StepLoad::Add only reads the evaluator otherwise.
  mutable int64_t total_samples_ = 0;
  mutable int64_t peak_samples_ = 0;
  int64_t max_resolution_ms_ = INT64_MAX;
  std::vector<storage::ResolutionUse>* resolutions_used_ = nullptr;
  // The coarsest resolution the last Select read (0: raw only).
  int64_t last_select_resolution_ = 0;
};

// Builds the output of per-step operations: series keyed by labels, with a check that no two
// samples of one step share a label set (Prometheus: "vector cannot contain metrics with the
// same labelset"). Steps must be added in increasing order.
class MatrixBuilder {
 public:
  // Index of the output series with these labels (created when new).
  size_t SeriesFor(const model::Labels& labels);
  // REQUIRES: t >= every time added before for this series.
  Status Add(size_t series, int64_t t, double v);
  // Room for `n` more points of `series` (a bound the caller knows), so that adding them does
  // not move the points again and again.
  void Reserve(size_t series, size_t n);
  Matrix Take();
  size_t size() const { return series_.size(); }

 private:
  Matrix series_;
  std::unordered_map<uint64_t, std::vector<size_t>> by_hash_;
};

// Walks the points of every series of a step-aligned matrix in step order; times passed to
// ForEachAt must not decrease. Borrows the matrix.
class StepCursor {
 public:
  explicit StepCursor(const Matrix& m) : m_(m), pos_(m.size(), 0) {}
  // Calls fn(series index, value) for every series with a point at time t.
  template <typename Fn>
  void ForEachAt(int64_t t, Fn fn) {
    for (size_t i = 0; i < m_.size(); ++i) {
      const auto& pts = m_[i].points;
      size_t& p = pos_[i];
      while (p < pts.size() && pts[p].t < t) ++p;
      if (p < pts.size() && pts[p].t == t) fn(i, pts[p].v);
    }
  }

 private:
  const Matrix& m_;
  std::vector<size_t> pos_;
};

// Gives every series of `m` the labels relabel(labels), merging series that end up equal;
// FailedPrecondition "vector cannot contain metrics with the same labelset" when two of them
// have a point at the same step.
Result<Matrix> Relabel(Matrix m, const std::function<model::Labels(const model::Labels&)>& relabel);

// Drops the metric name from every series of `m`, merging nothing: callers that can produce
// duplicates use MatrixBuilder instead.
Result<Matrix> DropMetricNames(Matrix m);

// Prometheus' error for duplicate label sets in one step.
Status DuplicateLabelsetError();

// Sorts a matrix by labels (range query results).
void SortMatrix(Matrix* m);

}  // namespace strata::query::eval
