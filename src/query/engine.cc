// Engine entry points and the evaluator core: selectors, subqueries, windowing, dispatch.
#include "query/engine.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>

#include "model/sample.h"
#include "query/eval/evaluator.h"
#include "query/parser.h"
#include "storage/downsample.h"

namespace strata::query {

using eval::Evaluator;
using eval::StepValue;

Result<QueryValue> Engine::InstantQuery(const storage::Querier& querier, std::string_view query,
                                        int64_t time_ms, const QueryOptions& opts) const {
  ParseOptions po;
  po.enable_experimental_functions = options_.enable_experimental_functions;
  STRATA_ASSIGN_OR_RETURN(ExprPtr expr, ParseExpr(query, po));
  return Evaluate(querier, *expr, time_ms, time_ms, 1, /*instant=*/true, opts);
}

Result<QueryValue> Engine::RangeQuery(const storage::Querier& querier, std::string_view query,
                                      int64_t start_ms, int64_t end_ms, int64_t step_ms,
                                      const QueryOptions& opts) const {
  ParseOptions po;
  po.enable_experimental_functions = options_.enable_experimental_functions;
  STRATA_ASSIGN_OR_RETURN(ExprPtr expr, ParseExpr(query, po));
  if (expr->Type() != ValueType::kScalar && expr->Type() != ValueType::kVector) {
    return Status::InvalidArgument("invalid expression type \"" +
                                   std::string(DocumentedTypeName(expr->Type())) +
                                   "\" for range query, must be Scalar or instant Vector");
  }
  return Evaluate(querier, *expr, start_ms, end_ms, step_ms, /*instant=*/false, opts);
}

namespace {

std::string Rfc3339(int64_t ms) {
  time_t secs = static_cast<time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// One info per resolution, spanning every use of it.
void AppendResolutionInfos(const std::vector<storage::ResolutionUse>& used,
                           std::vector<std::string>* infos) {
  std::map<int64_t, std::pair<int64_t, int64_t>> spans;
  for (const auto& u : used) {
    auto [it, fresh] = spans.emplace(u.resolution_ms, std::pair{u.min_t, u.max_t});
    if (!fresh) {
      it->second.first = std::min(it->second.first, u.min_t);
      it->second.second = std::max(it->second.second, u.max_t);
    }
  }
  for (const auto& [res, span] : spans) {
    infos->push_back("data at " + storage::ResolutionName(res) + " resolution used for [" +
                     Rfc3339(span.first) + ", " + Rfc3339(span.second) + "]");
  }
}

}  // namespace

Result<QueryValue> Engine::Evaluate(const storage::Querier& querier, const Expr& expr,
                                    int64_t start_ms, int64_t end_ms, int64_t step_ms, bool instant,
                                    const QueryOptions& opts) const {
  if (step_ms <= 0) return Status::InvalidArgument("step must be positive");
  if (end_ms < start_ms) return Status::InvalidArgument("end must not be before start");
  auto timeout = opts.timeout.count() > 0 ? opts.timeout : options_.timeout;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  Evaluator ev(querier, options_, start_ms, end_ms, step_ms, deadline, start_ms, end_ms);
  std::vector<storage::ResolutionUse> used;
  ev.SetResolution(
      opts.max_resolution_ms >= 0 ? opts.max_resolution_ms : options_.max_resolution_ms, &used);
  Result<StepValue> evaluated = ev.Eval(expr);
  if (opts.stats != nullptr) {
    opts.stats->total_samples = ev.total_samples();
    opts.stats->peak_samples = ev.peak_samples();
  }
  STRATA_ASSIGN_OR_RETURN(StepValue v, std::move(evaluated));
  if (opts.infos != nullptr) AppendResolutionInfos(used, opts.infos);
  if (options_.max_series > 0 && static_cast<int64_t>(v.series.size()) > options_.max_series) {
    return Status::ResourceExhausted("query result has " + std::to_string(v.series.size()) +
                                     " series, more than the limit of " +
                                     std::to_string(options_.max_series));
  }
  switch (v.type) {
    case ValueType::kScalar:
      if (instant) return QueryValue(Scalar{start_ms, v.scalar[0]});
      {
        Matrix m(1);
        m[0].points.reserve(v.scalar.size());
        for (size_t i = 0; i < v.scalar.size(); ++i) {
          m[0].points.push_back({ev.StepTime(i), v.scalar[i]});
        }
        return QueryValue(std::move(m));
      }
    case ValueType::kString:
      return QueryValue(String{start_ms, std::move(v.str)});
    case ValueType::kMatrix:
      eval::SortMatrix(&v.series);
      return QueryValue(std::move(v.series));
    case ValueType::kVector:
      if (instant) {
        Vector out;
        out.reserve(v.series.size());
        for (auto& s : v.series) {
          if (s.points.empty()) continue;
          out.push_back({std::move(s.labels), start_ms, s.points[0].v});
        }
        return QueryValue(std::move(out));
      } else {
        Matrix m;
        for (auto& s : v.series) {
          if (!s.points.empty()) m.push_back(std::move(s));
        }
        eval::SortMatrix(&m);
        return QueryValue(std::move(m));
      }
    case ValueType::kNone:
      break;
  }
  return Status::Internal("expression evaluated to no value");
}

namespace eval {

Status DuplicateLabelsetError() {
  return Status::FailedPrecondition("vector cannot contain metrics with the same labelset");
}

void SortMatrix(Matrix* m) {
  std::sort(m->begin(), m->end(),
            [](const Series& a, const Series& b) { return a.labels < b.labels; });
}

size_t MatrixBuilder::SeriesFor(const model::Labels& labels) {
  uint64_t h = labels.Hash();
  auto& bucket = by_hash_[h];
  for (size_t idx : bucket) {
    if (series_[idx].labels == labels) return idx;
  }
  bucket.push_back(series_.size());
  series_.push_back(Series{labels, {}});
  return series_.size() - 1;
}

Status MatrixBuilder::Add(size_t series, int64_t t, double v) {
  auto& pts = series_[series].points;
  if (!pts.empty() && pts.back().t == t) return DuplicateLabelsetError();
  pts.push_back({t, v});
  return Status::Ok();
}

void MatrixBuilder::Reserve(size_t series, size_t n) {
  auto& pts = series_[series].points;
  if (pts.capacity() - pts.size() < n) pts.reserve(pts.size() + n);
}

Matrix MatrixBuilder::Take() {
  by_hash_.clear();
  return std::move(series_);
}

Result<Matrix> Relabel(Matrix m,
                       const std::function<model::Labels(const model::Labels&)>& relabel) {
  MatrixBuilder b;
  for (auto& s : m) {
    size_t idx = b.SeriesFor(relabel(s.labels));
    for (const FPoint& p : s.points) STRATA_RETURN_IF_ERROR(b.Add(idx, p.t, p.v));
  }
  Matrix out = b.Take();
  // Points from several inputs may interleave; keep each series sorted by time, and reject two
  // inputs that now share a label set at the same step.
  auto by_time = [](const FPoint& a, const FPoint& b) { return a.t < b.t; };
  for (auto& s : out) {
    if (std::is_sorted(s.points.begin(), s.points.end(), by_time)) continue;
    std::sort(s.points.begin(), s.points.end(), by_time);
    for (size_t i = 1; i < s.points.size(); ++i) {
      if (s.points[i].t == s.points[i - 1].t) return DuplicateLabelsetError();
    }
  }
  return out;
}

Result<Matrix> DropMetricNames(Matrix m) {
  bool any = false;
  for (const auto& s : m) any |= s.labels.Has(model::kMetricNameLabel);
  if (!any) return m;
  return Relabel(std::move(m), [](const model::Labels& l) { return l.WithoutMetricName(); });
}

Evaluator::Evaluator(const storage::Querier& querier, const EngineOptions& options,
                     int64_t start_ms, int64_t end_ms, int64_t interval_ms,
                     std::chrono::steady_clock::time_point deadline, int64_t query_start_ms,
                     int64_t query_end_ms)
    : querier_(querier),
      options_(options),
      start_(start_ms),
      end_(end_ms),
      interval_(interval_ms),
      // Unsigned: end - start may pass int64 (end >= start, so the difference is exact).
      steps_(static_cast<size_t>((static_cast<uint64_t>(end_ms) - static_cast<uint64_t>(start_ms)) /
                                 static_cast<uint64_t>(interval_ms)) +
             1),
      deadline_(deadline),
      query_start_(query_start_ms),
      query_end_(query_end_ms) {}

Status Evaluator::CheckDeadline() const {
  if (std::chrono::steady_clock::now() > deadline_) {
    return Status::DeadlineExceeded("query timed out in expression evaluation");
  }
  return Status::Ok();
}

Status Evaluator::AddSamples(int64_t n) {
  samples_ += n;
  if (n > 0) total_samples_ += n;
  peak_samples_ = std::max(peak_samples_, samples_);
  if (samples_ > options_.max_samples) {
    return Status::ResourceExhausted(
        "query processing would load too many samples into memory in query execution");
  }
  return Status::Ok();
}

int64_t Evaluator::RefTime(int64_t t, const AtModifier& at, int64_t offset_ms) const {
  int64_t base = t;
  switch (at.kind) {
    case AtKind::kNone:
      break;
    case AtKind::kTimestamp:
      base = at.timestamp_ms;
      break;
    case AtKind::kStart:
      base = query_start_;
      break;
    case AtKind::kEnd:
      base = query_end_;
      break;
  }
  return base - offset_ms;
}

Result<std::unique_ptr<storage::SeriesSet>> Evaluator::Select(const VectorSelector& vs,
                                                              int64_t mint, int64_t maxt,
                                                              int64_t range_ms,
                                                              std::string_view func) {
  STRATA_RETURN_IF_ERROR(CheckDeadline());
  storage::SelectHints hints;
  hints.start_ms = mint;
  hints.end_ms = maxt;
  // With @ every step reads the same time: one read, as in an instant query, so the step rule
  // does not apply (the range rule still does).
  hints.step_ms = steps_ > 1 && vs.at.kind == AtKind::kNone ? interval_ : 0;
  hints.range_ms = range_ms;
  hints.func = std::string(func);
  // The selector is read at RefTime(StepTime(i)) for every step i, by EvalVectorSelector and
  // the range functions alike: at the step times shifted by the offset, or all at the @ time.
  hints.first_ref_ms = RefTime(start_, vs.at, vs.offset_ms);
  hints.ref_step_ms = steps_ > 1 && vs.at.kind == AtKind::kNone ? interval_ : 0;
  hints.ref_count = static_cast<int64_t>(steps_);
  hints.lookback_ms = range_ms == 0 ? options_.lookback_delta_ms : 0;
  // A bare range selector (`x[1h]` as a whole instant query) exports raw samples.
  hints.max_resolution_ms = range_ms > 0 && func.empty() ? 0 : max_resolution_ms_;
  std::vector<storage::ResolutionUse> used;
  hints.resolutions = &used;
  auto set = querier_.Select(vs.matchers, hints);
  last_select_resolution_ = 0;
  for (const auto& u : used) {
    last_select_resolution_ = std::max(last_select_resolution_, u.resolution_ms);
    if (resolutions_used_ != nullptr) resolutions_used_->push_back(u);
  }
  return set;
}

Result<StepValue> Evaluator::Eval(const Expr& expr) {
  STRATA_RETURN_IF_ERROR(CheckDeadline());
  switch (expr.kind()) {
    case ExprKind::kNumberLiteral: {
      StepValue v;
      v.type = ValueType::kScalar;
      v.scalar.assign(steps_, expr.As<NumberLiteral>().value);
      return v;
    }
    case ExprKind::kStringLiteral: {
      StepValue v;
      v.type = ValueType::kString;
      v.str = expr.As<StringLiteral>().value;
      return v;
    }
    case ExprKind::kParen:
      return Eval(*expr.As<ParenExpr>().expr);
    case ExprKind::kVectorSelector:
      return EvalVectorSelector(expr.As<VectorSelector>());
    case ExprKind::kMatrixSelector:
    case ExprKind::kSubquery:
      return EvalRangeInstant(expr);
    case ExprKind::kUnary:
      return EvalUnary(expr.As<UnaryExpr>());
    case ExprKind::kBinary:
      return EvalBinary(expr.As<BinaryExpr>());
    case ExprKind::kAggregate:
      return EvalAggregate(expr.As<AggregateExpr>());
    case ExprKind::kCall:
      return EvalCall(expr.As<Call>());
  }
  return Status::Internal("unknown expression kind");
}

Result<StepValue> Evaluator::EvalVectorSelector(const VectorSelector& vs, bool sample_times) {
  int64_t lookback = options_.lookback_delta_ms;
  int64_t first_ref = RefTime(start_, vs.at, vs.offset_ms);
  int64_t last_ref = RefTime(end_, vs.at, vs.offset_ms);
  STRATA_ASSIGN_OR_RETURN(
      auto set, Select(vs, std::min(first_ref, last_ref) - lookback, std::max(first_ref, last_ref),
                       0, sample_times ? "timestamp" : ""));
  // Downsampled data has a sample or two per window (the cold tier also returns the window
  // before the selected range): an instant selector reading it looks back at least one
  // window, so it never comes back empty between windows. Only there: the raw samples after
  // it (and series read raw) keep the lookback raw data has, and the cold tier ends a view
  // with a stale marker where raw data would stop answering (SelectHints::lookback_ms).
  const int64_t wide_lookback = std::max(lookback, last_select_resolution_);
  StepValue out;
  out.type = ValueType::kVector;
  std::vector<model::Sample> samples;
  while (set->Next()) {
    STRATA_RETURN_IF_ERROR(CheckDeadline());
    STRATA_RETURN_IF_ERROR(set->ReadSamples(&samples));
    // As in Prometheus, a selector counts one sample per series and step (the step values
    // below); the raw samples of one series are held only while they are turned into those.
    Series series{set->labels(), {}};
    // The series' samples up to here came from downsampled data, the rest are raw.
    const int64_t downsampled_until = set->downsampled_until();
    size_t j = 0;  // First sample with timestamp > ref (ref is non-decreasing over steps).
    for (size_t i = 0; i < steps_; ++i) {
      if ((i & 0xffff) == 0xffff) STRATA_RETURN_IF_ERROR(CheckDeadline());  // Many steps.
      int64_t t = StepTime(i);
      int64_t ref = RefTime(t, vs.at, vs.offset_ms);
      while (j < samples.size() && samples[j].timestamp_ms <= ref) ++j;
      if (j == 0) continue;
      const model::Sample& last = samples[j - 1];
      const int64_t back = last.timestamp_ms <= downsampled_until ? wide_lookback : lookback;
      if (last.timestamp_ms < ref - back || model::IsStaleNaN(last.value)) continue;
      series.points.push_back(
          {t, sample_times ? static_cast<double>(last.timestamp_ms) / 1000.0 : last.value});
    }
    STRATA_RETURN_IF_ERROR(AddSamples(static_cast<int64_t>(series.points.size())));
    if (!series.points.empty()) out.series.push_back(std::move(series));
  }
  STRATA_RETURN_IF_ERROR(set->status());
  return out;
}

Result<bool> Evaluator::NextRange(RangeInput* in, RawSeries* out) {
  if (in->set) {
    if (!in->set->Next()) {
      STRATA_RETURN_IF_ERROR(in->set->status());
      return false;
    }
    STRATA_RETURN_IF_ERROR(CheckDeadline());
    STRATA_RETURN_IF_ERROR(in->set->ReadSamples(&in->scratch));
    out->labels = in->set->labels();
    out->counts.clear();
    const std::vector<model::Sample>& in_pts = in->scratch;
    const size_t n = in_pts.size();
    const std::vector<uint32_t>& counts = in->set->counts();
    const bool weighted = counts.size() == n && n > 0;
    // Written in place, each slot kept only when its sample is not a stale marker (no branch
    // per sample; the loop also runs when the vector already has room, as between series).
    out->points.resize(n);
    if (weighted) out->counts.resize(n);
    FPoint* pts = out->points.data();
    size_t kept = 0;
    for (size_t i = 0; i < n; ++i) {
      pts[kept] = {in_pts[i].timestamp_ms, in_pts[i].value};
      if (weighted) out->counts[kept] = counts[i];
      kept += model::IsStaleNaN(in_pts[i].value) ? 0 : 1;
    }
    out->points.resize(kept);
    if (weighted) out->counts.resize(kept);
    return true;
  }
  if (in->next >= in->series.size()) return false;
  // Subquery output: already accounted as the inner evaluation's step values.
  *out = std::move(in->series[in->next++]);
  return true;
}

Result<Evaluator::RangeInput> Evaluator::LoadRange(const Expr& range_expr, std::string_view func) {
  const Expr* e = &range_expr;
  while (e->kind() == ExprKind::kParen) e = e->As<ParenExpr>().expr.get();
  RangeInput in;
  if (e->kind() == ExprKind::kMatrixSelector) {
    const auto& ms = e->As<MatrixSelector>();
    const VectorSelector& vs = *ms.selector;
    in.range_ms = ms.range_ms;
    in.offset_ms = vs.offset_ms;
    in.at = vs.at;
    int64_t first_ref = RefTime(start_, vs.at, vs.offset_ms);
    int64_t last_ref = RefTime(end_, vs.at, vs.offset_ms);
    STRATA_ASSIGN_OR_RETURN(in.set, Select(vs, std::min(first_ref, last_ref) - ms.range_ms,
                                           std::max(first_ref, last_ref), ms.range_ms, func));
    return in;
  }
  if (e->kind() != ExprKind::kSubquery) {
    return Status::Internal("range-vector argument is neither a selector nor a subquery");
  }
  const auto& sq = e->As<SubqueryExpr>();
  in.range_ms = sq.range_ms;
  in.offset_ms = sq.offset_ms;
  in.at = sq.at;
  int64_t step = sq.step_ms > 0 ? sq.step_ms : options_.default_subquery_step_ms;
  int64_t first_ref = RefTime(start_, sq.at, sq.offset_ms);
  int64_t last_ref = RefTime(end_, sq.at, sq.offset_ms);
  int64_t lo = std::min(first_ref, last_ref) - sq.range_ms;
  int64_t hi = std::max(first_ref, last_ref);
  // The first step-aligned time at or after lo (Prometheus aligns subquery steps to multiples
  // of the step so that results do not depend on the outer evaluation times).
  int64_t sub_start = step * (lo / step);
  if (sub_start < lo) sub_start += step;
  if (sub_start > hi) return in;  // No subquery step falls into any window.
  // The inner evaluation keeps values per step: a step count past the sample limit (a 10-day
  // subquery at 1 ms) would take more memory than the limit allows before the first value was
  // counted, and time past any timeout. Prometheus stops such a query at the same limit.
  if ((static_cast<__int128>(hi) - sub_start) / step + 1 > options_.max_samples) {
    return Status::ResourceExhausted(
        "query processing would load too many samples into memory in query execution");
  }
  Evaluator inner(querier_, options_, sub_start, hi, step, deadline_, query_start_, query_end_);
  inner.SetResolution(max_resolution_ms_, resolutions_used_);
  inner.samples_ = samples_;
  inner.total_samples_ = total_samples_;
  inner.peak_samples_ = peak_samples_;
  Result<StepValue> inner_result = inner.Eval(*sq.expr);
  total_samples_ = inner.total_samples_;
  peak_samples_ = inner.peak_samples_;
  STRATA_ASSIGN_OR_RETURN(StepValue v, std::move(inner_result));
  samples_ = inner.samples_;
  if (v.type == ValueType::kScalar) {
    RawSeries rs;
    for (size_t i = 0; i < v.scalar.size(); ++i) {
      rs.points.push_back({inner.StepTime(i), v.scalar[i]});
    }
    in.series.push_back(std::move(rs));
  } else {
    for (auto& s : v.series) {
      RawSeries rs{std::move(s.labels), std::move(s.points)};
      in.series.push_back(std::move(rs));
    }
  }
  // The inner evaluation already accounted its step values (now moved into `in`).
  return in;
}

// A range-vector expression is only valid as the whole expression of an instant query: its
// result is the raw samples of the window at the query time.
Result<StepValue> Evaluator::EvalRangeInstant(const Expr& range_expr) {
  STRATA_ASSIGN_OR_RETURN(RangeInput in, LoadRange(range_expr, ""));
  StepValue out;
  out.type = ValueType::kMatrix;
  int64_t ref = RefTime(start_, in.at, in.offset_ms);
  int64_t points = 0;
  RawSeries s;
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(bool more, NextRange(&in, &s));
    if (!more) break;
    Series series{std::move(s.labels), {}};
    for (const FPoint& p : s.points) {
      if (p.t >= ref - in.range_ms && p.t <= ref) series.points.push_back(p);
    }
    points += static_cast<int64_t>(series.points.size());
    if (!series.points.empty()) out.series.push_back(std::move(series));
  }
  STRATA_RETURN_IF_ERROR(AddSamples(points));
  return out;
}

Status Evaluator::StepLoad::Add(size_t step, int64_t n, const Evaluator& ev) {
  int64_t& v = per_step[step];
  v += n;
  if (n > 0) ev.total_samples_ += n;
  ev.peak_samples_ = std::max(ev.peak_samples_, ev.samples_ + v);
  if (ev.samples_ + v > ev.options_.max_samples) {
    return Status::ResourceExhausted(
        "query processing would load too many samples into memory in query execution");
  }
  return Status::Ok();
}

Result<StepValue> Evaluator::EvalUnary(const UnaryExpr& u) {
  STRATA_ASSIGN_OR_RETURN(StepValue v, Eval(*u.expr));
  if (u.op == UnaryOp::kAdd) return v;
  if (v.type == ValueType::kScalar) {
    for (double& x : v.scalar) x = -x;
    return v;
  }
  for (auto& s : v.series) {
    for (auto& p : s.points) p.v = -p.v;
  }
  STRATA_ASSIGN_OR_RETURN(v.series, DropMetricNames(std::move(v.series)));
  return v;
}

Result<std::vector<double>> Evaluator::EvalScalarArg(const Expr& e) {
  STRATA_ASSIGN_OR_RETURN(StepValue v, Eval(e));
  if (v.type != ValueType::kScalar) return Status::Internal("expected a scalar argument");
  return std::move(v.scalar);
}

Result<std::string> Evaluator::EvalStringArg(const Expr& e) {
  STRATA_ASSIGN_OR_RETURN(StepValue v, Eval(e));
  if (v.type != ValueType::kString) return Status::Internal("expected a string argument");
  return std::move(v.str);
}

}  // namespace eval
}  // namespace strata::query
