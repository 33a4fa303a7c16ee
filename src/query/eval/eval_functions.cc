// Function calls: windowing for range-vector functions, element-wise functions, and the
// functions that need the whole vector or special inputs (absent, timestamp, sort*,
// label_replace, label_join, histogram_quantile, scalar, vector, time).
#include <absl/container/flat_hash_map.h>
#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numbers>

#include "model/validation.h"
#include "query/eval/evaluator.h"
#include "query/funcs/function_impls.h"

namespace strata::query::eval {
namespace {

// The first k in [from, limit) with !keep_going(pts[k].t), or limit, for a `keep_going` that
// holds up to some point of the sorted times and not after it. Gallops (1, 2, 4, ... ahead)
// and then bisects, so a window's edge moves past many points in a few comparisons, and past
// one or two in one or two.
template <typename Pred>
size_t GallopWhile(const std::vector<FPoint>& pts, size_t from, size_t limit, Pred keep_going) {
  if (from >= limit || !keep_going(pts[from].t)) return from;
  // keep_going holds at lo; find hi > lo where it fails (or limit).
  size_t lo = from, step = 1;
  size_t hi = limit;
  while (lo + step < limit) {
    if (!keep_going(pts[lo + step].t)) {
      hi = lo + step;
      break;
    }
    lo += step;
    step *= 2;
  }
  // keep_going(pts[lo]) holds, and it fails at hi (or hi == limit).
  while (hi - lo > 1) {
    const size_t mid = lo + (hi - lo) / 2;
    if (keep_going(pts[mid].t)) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return hi;
}

const Expr& Unparen(const Expr& e) {
  const Expr* p = &e;
  while (p->kind() == ExprKind::kParen) p = p->As<ParenExpr>().expr.get();
  return *p;
}

// Labels for absent()/absent_over_time(): the equality matchers of a selector argument.
model::Labels AbsentLabels(const Expr& arg) {
  const Expr& e = Unparen(arg);
  const model::Matchers* ms = nullptr;
  if (e.kind() == ExprKind::kVectorSelector) {
    ms = &e.As<VectorSelector>().matchers;
  } else if (e.kind() == ExprKind::kMatrixSelector) {
    ms = &e.As<MatrixSelector>().selector->matchers;
  } else {
    return {};
  }
  model::LabelsBuilder b;
  absl::flat_hash_map<std::string, bool> has;
  for (const auto& m : *ms) {
    if (m.name() == model::kMetricNameLabel) continue;
    if (m.type() == model::MatchType::kEqual && !has[m.name()]) {
      b.Set(m.name(), m.value());
      has[m.name()] = true;
    } else {
      b.Del(m.name());
    }
  }
  return b.Build();
}

// Natural ordering of label values (digit runs compare numerically), as sort_by_label uses.
bool NatLess(std::string_view a, std::string_view b) {
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    bool da = is_digit(a[i]), db = is_digit(b[j]);
    size_t ie = i, je = j;
    while (ie < a.size() && is_digit(a[ie]) == da) ++ie;
    while (je < b.size() && is_digit(b[je]) == db) ++je;
    std::string_view ca = a.substr(i, ie - i), cb = b.substr(j, je - j);
    if (da && db) {
      std::string_view ta = ca, tb = cb;
      while (ta.size() > 1 && ta[0] == '0') ta.remove_prefix(1);
      while (tb.size() > 1 && tb[0] == '0') tb.remove_prefix(1);
      if (ta.size() != tb.size()) return ta.size() < tb.size();
      if (ta != tb) return ta < tb;
    } else if (ca != cb) {
      return ca < cb;
    }
    i = ie;
    j = je;
  }
  return (a.size() - i) < (b.size() - j);
}

// Go regexp's Expand for label_replace: $1, ${1}, $name, ${name}, $$.
std::string ExpandTemplate(const RE2& re, std::string_view tmpl,
                           const std::vector<re2::StringPiece>& groups) {
  const auto& named = re.NamedCapturingGroups();
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    char c = tmpl[i];
    if (c != '$' || i + 1 >= tmpl.size()) {
      out.push_back(c);
      continue;
    }
    if (tmpl[i + 1] == '$') {
      out.push_back('$');
      ++i;
      continue;
    }
    std::string name;
    size_t next = i + 1;
    auto is_name_char = [](char ch) {
      return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
             ch == '_';
    };
    if (tmpl[next] == '{') {
      size_t close = tmpl.find('}', next);
      if (close == std::string_view::npos) {
        out.push_back(c);
        continue;
      }
      name = std::string(tmpl.substr(next + 1, close - next - 1));
      bool valid = !name.empty() && std::all_of(name.begin(), name.end(), is_name_char);
      if (!valid) {
        out.push_back(c);
        continue;
      }
      next = close + 1;
    } else {
      size_t e = next;
      while (e < tmpl.size() && is_name_char(tmpl[e])) ++e;
      if (e == next) {
        out.push_back(c);
        continue;
      }
      name = std::string(tmpl.substr(next, e - next));
      next = e;
    }
    i = next - 1;
    int index = -1;
    if (std::all_of(name.begin(), name.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      if (name.size() < 9) index = std::atoi(name.c_str());
    } else {
      auto it = named.find(name);
      if (it != named.end()) index = it->second;
    }
    if (index >= 0 && static_cast<size_t>(index) < groups.size() &&
        groups[index].data() != nullptr) {
      out.append(groups[index].data(), groups[index].size());
    }
  }
  return out;
}

}  // namespace

Result<StepValue> Evaluator::EvalCall(const Call& c) {
  const std::string_view name = c.func->name;
  StepValue out;
  out.type = ValueType::kVector;

  if (name == "time") {
    out.type = ValueType::kScalar;
    out.scalar.resize(steps_);
    for (size_t i = 0; i < steps_; ++i) out.scalar[i] = static_cast<double>(StepTime(i)) / 1000.0;
    return out;
  }
  if (name == "pi") {
    out.type = ValueType::kScalar;
    out.scalar.assign(steps_, std::numbers::pi);
    return out;
  }
  if (name == "vector") {
    STRATA_ASSIGN_OR_RETURN(std::vector<double> v, EvalScalarArg(*c.args[0]));
    Series s;
    for (size_t i = 0; i < steps_; ++i) s.points.push_back({StepTime(i), v[i]});
    out.series.push_back(std::move(s));
    return out;
  }
  if (name == "scalar") {
    STRATA_ASSIGN_OR_RETURN(StepValue v, Eval(*c.args[0]));
    out.type = ValueType::kScalar;
    out.scalar.assign(steps_, std::nan(""));
    std::vector<int> count(steps_, 0);
    for (const auto& s : v.series) {
      for (const auto& p : s.points) {
        size_t i = StepIndex(p.t);
        if (++count[i] == 1) {
          out.scalar[i] = p.v;
        } else {
          out.scalar[i] = std::nan("");
        }
      }
    }
    return out;
  }
  if (name == "absent") {
    STRATA_ASSIGN_OR_RETURN(StepValue v, Eval(*c.args[0]));
    std::vector<bool> present(steps_, false);
    for (const auto& s : v.series) {
      for (const auto& p : s.points) present[StepIndex(p.t)] = true;
    }
    Series s{AbsentLabels(*c.args[0]), {}};
    for (size_t i = 0; i < steps_; ++i) {
      if (!present[i]) s.points.push_back({StepTime(i), 1});
    }
    if (!s.points.empty()) out.series.push_back(std::move(s));
    return out;
  }
  if (name == "absent_over_time") return EvalAbsentOverTime(c);
  if (name == "timestamp") return EvalTimestamp(c);
  if (name == "label_replace") return EvalLabelReplace(c);
  if (name == "label_join") return EvalLabelJoin(c);
  if (name == "histogram_quantile") return EvalHistogramQuantile(c);
  if (name.starts_with("histogram_")) {
    // Native-histogram functions ignore float samples; Strata stores floats only.
    STRATA_ASSIGN_OR_RETURN(StepValue ignored, Eval(*c.args.back()));
    return out;
  }
  if (name == "sort" || name == "sort_desc" || name == "sort_by_label" ||
      name == "sort_by_label_desc") {
    STRATA_ASSIGN_OR_RETURN(StepValue v, Eval(*c.args[0]));
    if (steps_ != 1) return v;  // Range results are ordered by labels anyway.
    bool desc = name.ends_with("_desc");
    auto value_of = [](const Series& s) { return s.points.empty() ? 0.0 : s.points[0].v; };
    // NaN sorts last either way.
    std::stable_sort(v.series.begin(), v.series.end(), [&](const Series& a, const Series& b) {
      double x = value_of(a), y = value_of(b);
      if (std::isnan(x)) return false;
      if (std::isnan(y)) return true;
      return desc ? x > y : x < y;
    });
    if (name.starts_with("sort_by_label")) {
      std::vector<std::string> labels;
      for (size_t i = 1; i < c.args.size(); ++i) {
        STRATA_ASSIGN_OR_RETURN(std::string l, EvalStringArg(*c.args[i]));
        labels.push_back(std::move(l));
      }
      std::stable_sort(v.series.begin(), v.series.end(), [&](const Series& a, const Series& b) {
        for (const auto& l : labels) {
          std::string_view x = a.labels.Get(l), y = b.labels.Get(l);
          if (x == y) continue;
          return desc ? NatLess(y, x) : NatLess(x, y);
        }
        return false;
      });
    }
    return v;
  }

  // Range-vector functions.
  if (const funcs::RangeFunction* rf = funcs::LookupRangeFunction(name)) {
    return EvalRangeFunctionCall(c, rf->matrix_arg);
  }

  // Element-wise functions of an instant vector (date functions default to vector(time())).
  if (const funcs::ElementFunction* ef = funcs::LookupElementFunction(name)) {
    StepValue v;
    if (c.args.empty()) {
      v.type = ValueType::kVector;
      Series s;
      for (size_t i = 0; i < steps_; ++i) {
        s.points.push_back({StepTime(i), static_cast<double>(StepTime(i)) / 1000.0});
      }
      v.series.push_back(std::move(s));
    } else {
      STRATA_ASSIGN_OR_RETURN(v, Eval(*c.args[0]));
    }
    std::vector<std::vector<double>> extra;
    for (size_t i = 1; i < c.args.size(); ++i) {
      STRATA_ASSIGN_OR_RETURN(std::vector<double> a, EvalScalarArg(*c.args[i]));
      extra.push_back(std::move(a));
    }
    std::vector<double> args(extra.size());
    for (auto& s : v.series) {
      std::vector<FPoint> kept;
      kept.reserve(s.points.size());
      for (auto& p : s.points) {
        size_t step = StepIndex(p.t);
        for (size_t k = 0; k < extra.size(); ++k) args[k] = extra[k][step];
        // clamp with max < min yields nothing.
        if (name == "clamp" && funcs::ClampArgsEmpty(args)) continue;
        kept.push_back({p.t, ef->fn(p.v, args)});
      }
      s.points = std::move(kept);
    }
    std::erase_if(v.series, [](const Series& s) { return s.points.empty(); });
    if (ef->drops_metric_name) {
      STRATA_ASSIGN_OR_RETURN(v.series, DropMetricNames(std::move(v.series)));
    }
    return v;
  }
  return Status::NotSupported("function \"" + std::string(name) + "\" is not supported");
}

Result<StepValue> Evaluator::EvalRangeFunctionCall(const Call& c, int matrix_arg) {
  const std::string_view name = c.func->name;
  const funcs::RangeFunction* rf = funcs::LookupRangeFunction(name);
  STRATA_ASSIGN_OR_RETURN(RangeInput in, LoadRange(*c.args[static_cast<size_t>(matrix_arg)], name));
  std::vector<std::vector<double>> scalar_args;
  for (size_t i = 0; i < c.args.size(); ++i) {
    if (static_cast<int>(i) == matrix_arg) continue;
    STRATA_ASSIGN_OR_RETURN(std::vector<double> a, EvalScalarArg(*c.args[i]));
    scalar_args.push_back(std::move(a));
  }
  // Prometheus rejects bad holt_winters factors only when the function runs on data.
  const bool holt_winters = name == "holt_winters";
  // rate and increase slide over the series' counter resets, found once per series, instead of
  // scanning every window for them (a 1d range at a 1h step would read each sample 24 times).
  const bool counter_rate = name == "rate" || name == "increase";
  std::vector<uint32_t> resets;      // Indices k of the series with pts[k].v < pts[k - 1].v.
  std::vector<uint32_t> in_window;   // Those in the current window, relative to it.
  std::vector<uint64_t> raw_before;  // Weighted series: raw samples before point k (prefix sum).
  // min/max_over_time slide a monotone queue over the series instead of scanning each window.
  const bool extremum = name == "min_over_time" || name == "max_over_time";
  funcs::SlidingExtremum sliding(name == "max_over_time");
  StepValue out;
  out.type = ValueType::kVector;
  MatrixBuilder builder;
  std::vector<double> args(scalar_args.size());
  StepLoad load(steps_);
  RawSeries s;
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(bool more, NextRange(&in, &s));
    if (!more) break;
    const auto& pts = s.points;
    if (pts.empty()) continue;
    // Downsampled points stand for counts[k] raw samples each: rate() extrapolates with the
    // raw sampling interval, from the raw samples between a window's first and last point.
    const bool weighted_rate = counter_rate && s.counts.size() == pts.size();
    if (counter_rate) {
      if (pts.size() > UINT32_MAX) return Status::ResourceExhausted("too many samples in a series");
      // Branch-free: every k is written, and kept only when it is a reset.
      resets.resize(pts.size());
      size_t n_resets = 0;
      for (size_t k = 1; k < pts.size(); ++k) {
        resets[n_resets] = static_cast<uint32_t>(k);
        n_resets += pts[k].v < pts[k - 1].v ? 1 : 0;
      }
      resets.resize(n_resets);
      if (weighted_rate) {
        raw_before.resize(pts.size() + 1);
        raw_before[0] = 0;
        for (size_t k = 0; k < pts.size(); ++k) raw_before[k + 1] = raw_before[k] + s.counts[k];
      }
    }
    sliding.Reset();
    size_t r_lo = 0, r_hi = 0;  // resets[r_lo, r_hi): those with lo < k < hi.
    size_t lo = 0, hi = 0;
    size_t out_idx = SIZE_MAX;
    for (size_t i = 0; i < steps_; ++i) {
      int64_t t = StepTime(i);
      int64_t ref = RefTime(t, in.at, in.offset_ms);
      hi = GallopWhile(pts, hi, pts.size(), [ref](int64_t pt) { return pt <= ref; });
      const int64_t from = ref - in.range_ms;
      lo = GallopWhile(pts, lo, hi, [from](int64_t pt) { return pt < from; });
      if (lo >= hi) continue;
      STRATA_RETURN_IF_ERROR(load.Add(i, static_cast<int64_t>(hi - lo), *this));
      for (size_t k = 0; k < scalar_args.size(); ++k) args[k] = scalar_args[k][i];
      if (holt_winters) STRATA_RETURN_IF_ERROR(funcs::ValidateHoltWintersArgs(args[0], args[1]));
      int64_t fn_t = rf->t_is_step_time ? t : ref;
      std::optional<double> v;
      if (!s.counts.empty() && (name == "count_over_time" || name == "avg_over_time")) {
        // Downsampled windows: each point is the sum of counts[i] raw samples.
        double n = 0, sum = 0;
        for (size_t k = lo; k < hi; ++k) {
          n += s.counts[k];
          sum += pts[k].v;
        }
        v = name == "count_over_time" ? n : sum / n;
      } else if (extremum) {
        v = sliding.Value(pts, lo, hi);
      } else if (counter_rate) {
        while (r_hi < resets.size() && resets[r_hi] < hi) ++r_hi;
        while (r_lo < r_hi && resets[r_lo] <= lo) ++r_lo;
        in_window.clear();
        for (size_t k = r_lo; k < r_hi; ++k) {
          in_window.push_back(resets[k] - static_cast<uint32_t>(lo));
        }
        funcs::RawSampling raw;
        if (weighted_rate) {
          // Raw intervals from the window's first point to its last: what every later point
          // stands for. The series sampled across the range's start (end) when the point before
          // (after) the window is no farther, per raw sample it stands for, than 1.1 raw
          // intervals: as rate() itself judges a gap.
          raw.intervals = static_cast<double>(raw_before[hi] - raw_before[lo + 1]);
          const double avg_ms =
              static_cast<double>(pts[hi - 1].t - pts[lo].t) / std::max(raw.intervals, 1.0);
          auto adjacent = [&](size_t a, size_t b) {  // Points a < b, b standing for counts[b].
            return static_cast<double>(pts[b].t - pts[a].t) <=
                   1.1 * avg_ms * static_cast<double>(s.counts[b]);
          };
          raw.sampled_before = lo > 0 && adjacent(lo - 1, lo);
          raw.sampled_after = hi < pts.size() && adjacent(hi - 1, hi);
        }
        v = funcs::CounterRateWithResets(std::span<const FPoint>(pts.data() + lo, hi - lo),
                                         in_window, fn_t, in.range_ms, name == "rate", raw);
      } else {
        v = rf->fn(std::span<const FPoint>(pts.data() + lo, hi - lo), fn_t, in.range_ms, args);
      }
      if (!v) continue;
      if (out_idx == SIZE_MAX) {
        out_idx =
            builder.SeriesFor(rf->drops_metric_name ? s.labels.WithoutMetricName() : s.labels);
        // A hint only, so that points are not moved again and again as they come: at most a
        // point per step from here to the last whose window holds the last sample (refs
        // advance a step at a time, or not at all under @), and no more than the steps whose
        // windows the samples from here on can reach (a sparse series gets few).
        if (interval_ > 0 && !in.at.IsSet()) {
          const __int128 reach = static_cast<__int128>(pts.back().t) - ref + in.range_ms;
          const __int128 per_sample = static_cast<__int128>(in.range_ms) / interval_ + 1;
          const __int128 bound = std::min({static_cast<__int128>(steps_ - i), reach / interval_ + 1,
                                           per_sample * static_cast<__int128>(pts.size() - lo)});
          if (bound > 0) builder.Reserve(out_idx, static_cast<size_t>(bound));
        }
      }
      STRATA_RETURN_IF_ERROR(builder.Add(out_idx, t, *v));
    }
  }
  out.series = builder.Take();
  std::erase_if(out.series, [](const Series& s) { return s.points.empty(); });
  int64_t points = 0;
  for (const auto& s : out.series) points += static_cast<int64_t>(s.points.size());
  STRATA_RETURN_IF_ERROR(AddSamples(points));
  return out;
}

Result<StepValue> Evaluator::EvalAbsentOverTime(const Call& c) {
  STRATA_ASSIGN_OR_RETURN(RangeInput in, LoadRange(*c.args[0], "absent_over_time"));
  std::vector<bool> present(steps_, false);
  RawSeries rs;
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(bool more, NextRange(&in, &rs));
    if (!more) break;
    const RawSeries& s = rs;
    const auto& pts = s.points;
    size_t lo = 0, hi = 0;
    for (size_t i = 0; i < steps_; ++i) {
      int64_t ref = RefTime(StepTime(i), in.at, in.offset_ms);
      while (hi < pts.size() && pts[hi].t <= ref) ++hi;
      while (lo < hi && pts[lo].t < ref - in.range_ms) ++lo;
      if (lo < hi) present[i] = true;
    }
  }
  StepValue out;
  out.type = ValueType::kVector;
  Series s{AbsentLabels(*c.args[0]), {}};
  for (size_t i = 0; i < steps_; ++i) {
    if (!present[i]) s.points.push_back({StepTime(i), 1});
  }
  if (!s.points.empty()) out.series.push_back(std::move(s));
  return out;
}

Result<StepValue> Evaluator::EvalTimestamp(const Call& c) {
  const Expr& arg = Unparen(*c.args[0]);
  StepValue out;
  out.type = ValueType::kVector;
  if (arg.kind() != ExprKind::kVectorSelector) {
    STRATA_ASSIGN_OR_RETURN(out, Eval(arg));
    for (auto& s : out.series) {
      for (auto& p : s.points) p.v = static_cast<double>(p.t) / 1000.0;
    }
    STRATA_ASSIGN_OR_RETURN(out.series, DropMetricNames(std::move(out.series)));
    return out;
  }
  // For a selector, the timestamp of the sample it picked, not the evaluation time.
  STRATA_ASSIGN_OR_RETURN(out, EvalVectorSelector(arg.As<VectorSelector>(), /*sample_times=*/true));
  STRATA_ASSIGN_OR_RETURN(out.series, DropMetricNames(std::move(out.series)));
  return out;
}

Result<StepValue> Evaluator::EvalLabelReplace(const Call& c) {
  STRATA_ASSIGN_OR_RETURN(StepValue v, Eval(*c.args[0]));
  STRATA_ASSIGN_OR_RETURN(std::string dst, EvalStringArg(*c.args[1]));
  STRATA_ASSIGN_OR_RETURN(std::string repl, EvalStringArg(*c.args[2]));
  STRATA_ASSIGN_OR_RETURN(std::string src, EvalStringArg(*c.args[3]));
  STRATA_ASSIGN_OR_RETURN(std::string regex, EvalStringArg(*c.args[4]));
  RE2::Options ro;
  ro.set_dot_nl(true);
  ro.set_log_errors(false);
  RE2 re("^(?s:" + regex + ")$", ro);
  if (!re.ok()) {
    return Status::FailedPrecondition("invalid regular expression in label_replace(): " + regex);
  }
  if (!model::IsValidLabelName(dst)) {
    return Status::FailedPrecondition("invalid destination label name in label_replace(): " + dst);
  }
  std::vector<re2::StringPiece> groups(static_cast<size_t>(re.NumberOfCapturingGroups()) + 1);
  STRATA_ASSIGN_OR_RETURN(
      v.series, Relabel(std::move(v.series), [&](const model::Labels& l) {
        std::string_view src_val = l.Get(src);
        if (!re.Match(re2::StringPiece(src_val.data(), src_val.size()), 0, src_val.size(),
                      RE2::UNANCHORED, groups.data(), static_cast<int>(groups.size()))) {
          return l;
        }
        model::LabelsBuilder lb(l);
        lb.Set(dst, ExpandTemplate(re, repl, groups));
        return lb.Build();
      }));
  return v;
}

Result<StepValue> Evaluator::EvalLabelJoin(const Call& c) {
  STRATA_ASSIGN_OR_RETURN(StepValue v, Eval(*c.args[0]));
  STRATA_ASSIGN_OR_RETURN(std::string dst, EvalStringArg(*c.args[1]));
  STRATA_ASSIGN_OR_RETURN(std::string sep, EvalStringArg(*c.args[2]));
  std::vector<std::string> srcs;
  for (size_t i = 3; i < c.args.size(); ++i) {
    STRATA_ASSIGN_OR_RETURN(std::string s, EvalStringArg(*c.args[i]));
    if (!model::IsValidLabelName(s)) {
      return Status::FailedPrecondition("invalid source label name in label_join(): " + s);
    }
    srcs.push_back(std::move(s));
  }
  if (!model::IsValidLabelName(dst)) {
    return Status::FailedPrecondition("invalid destination label name in label_join(): " + dst);
  }
  STRATA_ASSIGN_OR_RETURN(v.series, Relabel(std::move(v.series), [&](const model::Labels& l) {
                            std::string joined;
                            for (size_t i = 0; i < srcs.size(); ++i) {
                              if (i > 0) joined += sep;
                              joined += l.Get(srcs[i]);
                            }
                            model::LabelsBuilder lb(l);
                            lb.Set(dst, joined);
                            return lb.Build();
                          }));
  return v;
}

Result<StepValue> Evaluator::EvalHistogramQuantile(const Call& c) {
  STRATA_ASSIGN_OR_RETURN(std::vector<double> phi, EvalScalarArg(*c.args[0]));
  STRATA_ASSIGN_OR_RETURN(StepValue v, Eval(*c.args[1]));
  // Group buckets by all labels but `le` (the metric name included), once per series.
  struct Group {
    model::Labels out_labels;
    std::vector<funcs::Bucket> buckets;
  };
  std::vector<Group> groups;
  absl::flat_hash_map<uint64_t, size_t> group_index;
  std::vector<size_t> group_of(v.series.size(), SIZE_MAX);
  std::vector<double> upper(v.series.size(), 0);
  for (size_t i = 0; i < v.series.size(); ++i) {
    const model::Labels& l = v.series[i].labels;
    std::string le(l.Get("le"));
    char* end = nullptr;
    double ub = std::strtod(le.c_str(), &end);
    if (le.empty() || end != le.c_str() + le.size()) continue;  // No or malformed `le`: skip.
    static const std::vector<std::string> kLe = {"le"};
    uint64_t key =
        l.HashWithout(kLe) ^
        (l.Has(model::kMetricNameLabel) ? std::hash<std::string_view>()(l.MetricName()) : 0);
    auto [it, fresh] = group_index.try_emplace(key, groups.size());
    if (fresh) {
      model::LabelsBuilder b(l);
      b.Del("le");
      b.Del(model::kMetricNameLabel);
      groups.push_back(Group{b.Build(), {}});
    }
    group_of[i] = it->second;
    upper[i] = ub;
  }
  MatrixBuilder builder;
  std::vector<size_t> group_out(groups.size(), SIZE_MAX);
  StepCursor cursor(v.series);
  std::vector<size_t> touched;
  for (size_t step = 0; step < steps_; ++step) {
    int64_t t = StepTime(step);
    touched.clear();
    cursor.ForEachAt(t, [&](size_t i, double value) {
      if (group_of[i] == SIZE_MAX) return;
      Group& g = groups[group_of[i]];
      if (g.buckets.empty()) touched.push_back(group_of[i]);
      g.buckets.push_back({upper[i], value});
    });
    for (size_t gi : touched) {
      Group& g = groups[gi];
      double q = funcs::BucketQuantile(phi[step], &g.buckets);
      g.buckets.clear();
      if (group_out[gi] == SIZE_MAX) group_out[gi] = builder.SeriesFor(g.out_labels);
      STRATA_RETURN_IF_ERROR(builder.Add(group_out[gi], t, q));
    }
  }
  StepValue out;
  out.type = ValueType::kVector;
  out.series = builder.Take();
  return out;
}

}  // namespace strata::query::eval
