// Aggregation operators, step by step, with groups computed once per input series.
#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "base/float_format.h"
#include "model/validation.h"
#include "query/eval/evaluator.h"
#include "query/funcs/function_impls.h"

namespace strata::query::eval {
namespace {

// Neumaier-compensated summation step, as Prometheus' kahanSumInc.
inline void KahanInc(double inc, double* sum, double* c) {
  double t = *sum + inc;
  if (std::isinf(t)) {
    *c = 0;
  } else if (std::fabs(*sum) >= std::fabs(inc)) {
    *c += (*sum - t) + inc;
  } else {
    *c += (inc - t) + *sum;
  }
  *sum = t;
}

struct Acc {
  bool active = false;
  double value = 0;
  double kahan = 0;
  double mean = 0;
  double count = 0;
  bool incremental_mean = false;
  std::vector<double> values;                     // quantile
  std::vector<std::pair<double, size_t>> ranked;  // topk / bottomk: (value, series)
};

// Go's strconv.FormatFloat(v, 'f', -1, 64), as count_values prints values.
std::string FormatValue(double v) { return FormatFloatGo(v, 'f'); }

// NaN-aware orders for topk (NaN smallest) and bottomk (NaN largest).
bool TopkBefore(double a, double b) { return !std::isnan(a) && (std::isnan(b) || a > b); }
bool BottomkBefore(double a, double b) { return !std::isnan(a) && (std::isnan(b) || a < b); }

}  // namespace

// count_values sets the value label first and groups afterwards (so groups that become equal
// once the label is overwritten are counted together), as Prometheus does.
Result<StepValue> Evaluator::CountValues(const AggregateExpr& a, const std::string& value_label,
                                         const Matrix& series) {
  std::vector<std::string> by = a.grouping;
  if (!a.without) by.push_back(value_label);
  MatrixBuilder builder;
  StepCursor cursor(series);
  struct Group {
    model::Labels labels;
    double count;
  };
  absl::flat_hash_map<uint64_t, size_t> index;
  std::vector<Group> groups;
  for (size_t step = 0; step < steps_; ++step) {
    if ((step & 255) == 0) STRATA_RETURN_IF_ERROR(CheckDeadline());
    int64_t t = StepTime(step);
    index.clear();
    groups.clear();
    cursor.ForEachAt(t, [&](size_t i, double v) {
      model::LabelsBuilder lb(series[i].labels);
      lb.Set(value_label, FormatValue(v));
      model::Labels l = lb.Build();
      uint64_t key = a.without ? l.HashWithout(a.grouping) : l.HashFor(by);
      auto [it, fresh] = index.try_emplace(key, groups.size());
      if (fresh) {
        model::LabelsBuilder gb(l);
        if (a.without) {
          gb.Del(a.grouping);
          gb.Del(model::kMetricNameLabel);
        } else {
          gb.Keep(by);
        }
        groups.push_back(Group{gb.Build(), 0});
      }
      groups[it->second].count += 1;
    });
    for (const Group& g : groups) {
      STRATA_RETURN_IF_ERROR(builder.Add(builder.SeriesFor(g.labels), t, g.count));
    }
  }
  StepValue out;
  out.type = ValueType::kVector;
  out.series = builder.Take();
  return out;
}

Result<StepValue> Evaluator::EvalAggregate(const AggregateExpr& a) {
  std::vector<double> param;
  std::string label_param;
  if (a.op == AggregateOp::kCountValues) {
    STRATA_ASSIGN_OR_RETURN(label_param, EvalStringArg(*a.param));
    if (!model::IsValidLabelName(label_param)) {
      return Status::FailedPrecondition("invalid label name \"" + label_param + "\"");
    }
  } else if (a.param) {
    STRATA_ASSIGN_OR_RETURN(param, EvalScalarArg(*a.param));
  }
  STRATA_ASSIGN_OR_RETURN(StepValue in, Eval(*a.expr));
  const Matrix& series = in.series;
  if (a.op == AggregateOp::kCountValues) return CountValues(a, label_param, series);

  // Groups, once per series.
  std::vector<size_t> group_of(series.size());
  std::vector<model::Labels> group_labels;
  absl::flat_hash_map<uint64_t, size_t> group_index;
  const bool keeps_series = a.op == AggregateOp::kTopk || a.op == AggregateOp::kBottomk;
  for (size_t i = 0; i < series.size(); ++i) {
    const model::Labels& l = series[i].labels;
    uint64_t key = a.without ? l.HashWithout(a.grouping) : l.HashFor(a.grouping);
    auto [it, fresh] = group_index.try_emplace(key, group_labels.size());
    if (fresh) {
      model::LabelsBuilder b(l);
      if (a.without) {
        b.Del(a.grouping);
        b.Del(model::kMetricNameLabel);
      } else {
        b.Keep(a.grouping);
      }
      group_labels.push_back(b.Build());
    }
    group_of[i] = it->second;
  }

  StepValue out;
  out.type = ValueType::kVector;
  MatrixBuilder builder;
  std::vector<size_t> group_out(group_labels.size(), SIZE_MAX);
  std::vector<size_t> series_out(keeps_series ? series.size() : 0, SIZE_MAX);
  std::vector<Acc> acc(group_labels.size());
  std::vector<size_t> touched;  // Groups with data at this step, in first-seen order.
  StepCursor cursor(series);
  const bool min_or_max = a.op == AggregateOp::kMin || a.op == AggregateOp::kMax;

  for (size_t step = 0; step < steps_; ++step) {
    if ((step & 255) == 0) STRATA_RETURN_IF_ERROR(CheckDeadline());
    int64_t t = StepTime(step);
    touched.clear();
    // Per-step parameter.
    int64_t k = 0;
    double phi = 0;
    if (keeps_series) {
      double p = param[step];
      if (std::isnan(p) || p >= 9.2e18 || p <= -9.2e18) {
        return Status::FailedPrecondition("Scalar value " + FormatValue(p) + " overflows int64");
      }
      k = static_cast<int64_t>(p);
      if (k < 1) continue;
    } else if (a.op == AggregateOp::kQuantile) {
      phi = param[step];
    }
    cursor.ForEachAt(t, [&](size_t i, double v) {
      size_t g = group_of[i];
      Acc& ac = acc[g];
      if (!ac.active) {
        // Start from neutral values; the update below then takes in the first sample.
        ac = Acc();
        ac.active = true;
        if (min_or_max) ac.value = std::nan("");
        touched.push_back(g);
      }
      ac.count += 1;
      switch (a.op) {
        case AggregateOp::kSum:
          KahanInc(v, &ac.value, &ac.kahan);
          break;
        case AggregateOp::kAvg: {
          if (!ac.incremental_mean) {
            double sum = ac.value, c = ac.kahan;
            KahanInc(v, &sum, &c);
            if (!std::isinf(sum) || ac.count == 1) {
              ac.value = sum;
              ac.kahan = c;
              break;
            }
            // The sum overflowed: continue with an incremental mean.
            ac.incremental_mean = true;
            ac.mean = ac.value / (ac.count - 1);
            ac.kahan /= ac.count - 1;
          }
          if (std::isinf(ac.mean)) {
            if (std::isinf(v) && (ac.mean > 0) == (v > 0)) break;
            if (!std::isinf(v) && !std::isnan(v)) break;
          }
          double current = ac.mean + ac.kahan;
          KahanInc(v / ac.count - current / ac.count, &ac.mean, &ac.kahan);
          break;
        }
        case AggregateOp::kCount:
        case AggregateOp::kGroup:
        case AggregateOp::kCountValues:  // Handled by CountValues().
          break;
        case AggregateOp::kMin:
          if (ac.value > v || std::isnan(ac.value)) ac.value = v;
          break;
        case AggregateOp::kMax:
          if (ac.value < v || std::isnan(ac.value)) ac.value = v;
          break;
        case AggregateOp::kStddev:
        case AggregateOp::kStdvar: {
          double delta = v - ac.mean;
          ac.mean += delta / ac.count;
          ac.value += delta * (v - ac.mean);
          break;
        }
        case AggregateOp::kQuantile:
          ac.values.push_back(v);
          break;
        case AggregateOp::kTopk:
        case AggregateOp::kBottomk:
          ac.ranked.emplace_back(v, i);
          break;
      }
    });

    // Emit this step.
    for (size_t g : touched) {
      Acc& ac = acc[g];
      ac.active = false;
      double result = 0;
      switch (a.op) {
        case AggregateOp::kSum:
          result = ac.value + ac.kahan;
          break;
        case AggregateOp::kAvg:
          result = ac.incremental_mean ? ac.mean + ac.kahan : (ac.value + ac.kahan) / ac.count;
          break;
        case AggregateOp::kCount:
          result = ac.count;
          break;
        case AggregateOp::kGroup:
          result = 1;
          break;
        case AggregateOp::kMin:
        case AggregateOp::kMax:
          result = ac.value;
          break;
        case AggregateOp::kStdvar:
          result = ac.value / ac.count;
          break;
        case AggregateOp::kStddev:
          result = std::sqrt(ac.value / ac.count);
          break;
        case AggregateOp::kQuantile:
          result = funcs::Quantile(phi, &ac.values);
          break;
        case AggregateOp::kTopk:
        case AggregateOp::kBottomk: {
          auto before = a.op == AggregateOp::kTopk ? TopkBefore : BottomkBefore;
          auto cmp = [&](const std::pair<double, size_t>& x, const std::pair<double, size_t>& y) {
            return before(x.first, y.first);
          };
          size_t n = std::min(ac.ranked.size(), static_cast<size_t>(k));
          std::stable_sort(ac.ranked.begin(), ac.ranked.end(), cmp);
          for (size_t r = 0; r < n; ++r) {
            size_t si = ac.ranked[r].second;
            if (series_out[si] == SIZE_MAX) series_out[si] = builder.SeriesFor(series[si].labels);
            STRATA_RETURN_IF_ERROR(builder.Add(series_out[si], t, ac.ranked[r].first));
          }
          continue;
        }
        case AggregateOp::kCountValues:
          continue;  // Emitted below.
      }
      if (group_out[g] == SIZE_MAX) group_out[g] = builder.SeriesFor(group_labels[g]);
      STRATA_RETURN_IF_ERROR(builder.Add(group_out[g], t, result));
    }
  }
  out.series = builder.Take();
  std::erase_if(out.series, [](const Series& s) { return s.points.empty(); });
  return out;
}

}  // namespace strata::query::eval
