// Binary operators: scalar/scalar, vector/scalar and vector/vector with on/ignoring,
// group_left/group_right and the set operators, following Prometheus' VectorBinop.
#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <cmath>

#include "query/eval/evaluator.h"

namespace strata::query::eval {
namespace {

struct BinResult {
  double v;
  bool keep;
};

// Prometheus vectorElemBinop for floats.
BinResult ElemBinop(BinaryOp op, double l, double r) {
  switch (op) {
    case BinaryOp::kAdd:
      return {l + r, true};
    case BinaryOp::kSub:
      return {l - r, true};
    case BinaryOp::kMul:
      return {l * r, true};
    case BinaryOp::kDiv:
      return {l / r, true};
    case BinaryOp::kPow:
      return {std::pow(l, r), true};
    case BinaryOp::kMod:
      return {std::fmod(l, r), true};
    case BinaryOp::kAtan2:
      return {std::atan2(l, r), true};
    case BinaryOp::kEqual:
      return {l, l == r};
    case BinaryOp::kNotEqual:
      return {l, l != r};
    case BinaryOp::kGreater:
      return {l, l > r};
    case BinaryOp::kLess:
      return {l, l < r};
    case BinaryOp::kGreaterEqual:
      return {l, l >= r};
    case BinaryOp::kLessEqual:
      return {l, l <= r};
    default:
      return {0, false};
  }
}

bool ShouldDropMetricName(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
    case BinaryOp::kSub:
    case BinaryOp::kMul:
    case BinaryOp::kDiv:
    case BinaryOp::kPow:
    case BinaryOp::kMod:
    case BinaryOp::kAtan2:
      return true;
    default:
      return false;
  }
}

uint64_t Signature(const model::Labels& l, const VectorMatching& m) {
  return m.on ? l.HashFor(m.matching_labels) : l.HashWithout(m.matching_labels);
}

// The labels that identify a match group, for error messages.
model::Labels GroupLabels(const model::Labels& l, const VectorMatching& m) {
  model::LabelsBuilder b(l);
  if (m.on) {
    b.Keep(m.matching_labels);
  } else {
    b.Del(m.matching_labels);
    b.Del(model::kMetricNameLabel);
  }
  return b.Build();
}

}  // namespace

Result<StepValue> Evaluator::EvalBinary(const BinaryExpr& b) {
  STRATA_ASSIGN_OR_RETURN(StepValue lhs, Eval(*b.lhs));
  STRATA_ASSIGN_OR_RETURN(StepValue rhs, Eval(*b.rhs));
  bool ls = lhs.type == ValueType::kScalar;
  bool rs = rhs.type == ValueType::kScalar;
  if (ls && rs) return ScalarScalar(b, std::move(lhs), std::move(rhs));
  if (rs) return VectorScalar(b, std::move(lhs), rhs, /*scalar_on_left=*/false);
  if (ls) return VectorScalar(b, std::move(rhs), lhs, /*scalar_on_left=*/true);
  return VectorVector(b, std::move(lhs), std::move(rhs));
}

Result<StepValue> Evaluator::ScalarScalar(const BinaryExpr& b, StepValue lhs, StepValue rhs) {
  for (size_t i = 0; i < lhs.scalar.size(); ++i) {
    BinResult r = ElemBinop(b.op, lhs.scalar[i], rhs.scalar[i]);
    if (IsComparisonOp(b.op)) {
      lhs.scalar[i] = r.keep ? 1 : 0;
    } else {
      lhs.scalar[i] = r.v;
    }
  }
  return lhs;
}

Result<StepValue> Evaluator::VectorScalar(const BinaryExpr& b, StepValue vec,
                                          const StepValue& scalar, bool scalar_on_left) {
  bool comparison = IsComparisonOp(b.op);
  bool drop_name = ShouldDropMetricName(b.op) || b.return_bool;
  for (auto& s : vec.series) {
    std::vector<FPoint> kept;
    kept.reserve(s.points.size());
    for (const FPoint& p : s.points) {
      double sv = scalar.scalar[StepIndex(p.t)];
      double l = scalar_on_left ? sv : p.v;
      double r = scalar_on_left ? p.v : sv;
      BinResult res = ElemBinop(b.op, l, r);
      // In a scalar-vector comparison the output value is always the vector element's.
      if (comparison && scalar_on_left) res.v = p.v;
      if (b.return_bool) {
        res.v = res.keep ? 1 : 0;
        res.keep = true;
      }
      if (res.keep) kept.push_back({p.t, res.v});
    }
    s.points = std::move(kept);
  }
  std::erase_if(vec.series, [](const Series& s) { return s.points.empty(); });
  if (drop_name) {
    STRATA_ASSIGN_OR_RETURN(vec.series, DropMetricNames(std::move(vec.series)));
  }
  return vec;
}

Result<StepValue> Evaluator::VectorVector(const BinaryExpr& b, StepValue lhs, StepValue rhs) {
  const VectorMatching matching = b.matching.value_or(VectorMatching{});
  StepValue out;
  out.type = ValueType::kVector;
  MatrixBuilder builder;

  std::vector<uint64_t> lsig(lhs.series.size()), rsig(rhs.series.size());
  for (size_t i = 0; i < lhs.series.size(); ++i)
    lsig[i] = Signature(lhs.series[i].labels, matching);
  for (size_t i = 0; i < rhs.series.size(); ++i)
    rsig[i] = Signature(rhs.series[i].labels, matching);

  if (IsSetOp(b.op)) {
    // Output series of each input series; for rhs, index + 1 once assigned (0: not yet).
    std::vector<size_t> lidx(lhs.series.size()), ridx(rhs.series.size(), 0);
    for (size_t i = 0; i < lhs.series.size(); ++i)
      lidx[i] = builder.SeriesFor(lhs.series[i].labels);
    StepCursor lc(lhs.series), rc(rhs.series);
    absl::flat_hash_set<uint64_t> sigs;
    for (size_t step = 0; step < steps_; ++step) {
      if ((step & 1023) == 0) STRATA_RETURN_IF_ERROR(CheckDeadline());
      int64_t t = StepTime(step);
      sigs.clear();
      switch (b.op) {
        case BinaryOp::kAnd:
          rc.ForEachAt(t, [&](size_t i, double) { sigs.insert(rsig[i]); });
          if (sigs.empty()) break;
          lc.ForEachAt(t, [&](size_t i, double v) {
            if (sigs.contains(lsig[i])) builder.Add(lidx[i], t, v).IgnoreError();
          });
          break;
        case BinaryOp::kUnless:
          rc.ForEachAt(t, [&](size_t i, double) { sigs.insert(rsig[i]); });
          lc.ForEachAt(t, [&](size_t i, double v) {
            if (!sigs.contains(lsig[i])) builder.Add(lidx[i], t, v).IgnoreError();
          });
          break;
        default: {  // kOr
          Status st;
          lc.ForEachAt(t, [&](size_t i, double v) {
            sigs.insert(lsig[i]);
            if (st.ok()) st = builder.Add(lidx[i], t, v);
          });
          rc.ForEachAt(t, [&](size_t i, double v) {
            if (sigs.contains(rsig[i]) || !st.ok()) return;
            if (ridx[i] == 0) ridx[i] = builder.SeriesFor(rhs.series[i].labels) + 1;
            st = builder.Add(ridx[i] - 1, t, v);
          });
          STRATA_RETURN_IF_ERROR(st);
        }
      }
    }
    out.series = builder.Take();
    std::erase_if(out.series, [](const Series& s) { return s.points.empty(); });
    return out;
  }

  // Arithmetic and comparison operators with vector matching.
  const bool one_to_many = matching.card == VectorMatchCardinality::kOneToMany;
  const Matrix& many = one_to_many ? rhs.series : lhs.series;
  const Matrix& one = one_to_many ? lhs.series : rhs.series;
  const std::vector<uint64_t>& many_sig = one_to_many ? rsig : lsig;
  const std::vector<uint64_t>& one_sig = one_to_many ? lsig : rsig;
  const bool drop_name = ShouldDropMetricName(b.op) || b.return_bool;

  // Output series per (many index, one index) pair, computed once.
  absl::flat_hash_map<uint64_t, size_t> pair_out;
  auto result_labels = [&](const model::Labels& ml, const model::Labels& ol) {
    model::LabelsBuilder lb(ml);
    if (drop_name) lb.Del(model::kMetricNameLabel);
    if (matching.card == VectorMatchCardinality::kOneToOne) {
      if (matching.on) {
        lb.Keep(matching.matching_labels);
      } else {
        lb.Del(matching.matching_labels);
      }
    }
    for (const auto& name : matching.include) {
      std::string_view v = ol.Get(name);
      if (!v.empty()) {
        lb.Set(name, v);
      } else {
        lb.Del(name);
      }
    }
    return lb.Build();
  };

  StepCursor mc(many), oc(one);
  struct OneSample {
    size_t idx;
    double v;
  };
  absl::flat_hash_map<uint64_t, OneSample> one_at_step;
  absl::flat_hash_map<uint64_t, absl::flat_hash_set<uint64_t>> matched;
  for (size_t step = 0; step < steps_; ++step) {
    if ((step & 1023) == 0) STRATA_RETURN_IF_ERROR(CheckDeadline());
    int64_t t = StepTime(step);
    one_at_step.clear();
    matched.clear();
    Status st;
    oc.ForEachAt(t, [&](size_t i, double v) {
      if (!st.ok()) return;
      auto [it, inserted] = one_at_step.try_emplace(one_sig[i], OneSample{i, v});
      if (!inserted) {
        const model::Labels& a = one[it->second.idx].labels;
        const model::Labels& c = one[i].labels;
        st = Status::FailedPrecondition(
            "found duplicate series for the match group " + GroupLabels(c, matching).ToString() +
            " on the " + (one_to_many ? "left" : "right") + " hand side of the operation: [" +
            c.ToString() + ", " + a.ToString() +
            "];many-to-many matching not allowed: matching labels must be unique on one side");
      }
    });
    STRATA_RETURN_IF_ERROR(st);
    if (one_at_step.empty()) continue;
    mc.ForEachAt(t, [&](size_t i, double v) {
      if (!st.ok()) return;
      auto it = one_at_step.find(many_sig[i]);
      if (it == one_at_step.end()) return;
      double fl = v, fr = it->second.v;
      if (one_to_many) std::swap(fl, fr);
      BinResult r = ElemBinop(b.op, fl, fr);
      if (b.return_bool) {
        r.v = r.keep ? 1 : 0;
        r.keep = true;
      }
      if (!r.keep) return;
      uint64_t key = (static_cast<uint64_t>(i) << 32) ^ it->second.idx;
      auto [pit, fresh] = pair_out.try_emplace(key, 0);
      if (fresh)
        pit->second = builder.SeriesFor(result_labels(many[i].labels, one[it->second.idx].labels));
      size_t out_idx = pit->second;
      auto& seen = matched[many_sig[i]];
      if (matching.card == VectorMatchCardinality::kOneToOne) {
        if (!seen.empty()) {
          st = Status::FailedPrecondition(
              "multiple matches for labels: many-to-one matching must be explicit "
              "(group_left/group_right)");
          return;
        }
        seen.insert(0);
      } else if (!seen.insert(out_idx).second) {
        st = Status::FailedPrecondition(
            "multiple matches for labels: grouping labels must ensure unique matches");
        return;
      }
      st = builder.Add(out_idx, t, r.v);
    });
    STRATA_RETURN_IF_ERROR(st);
  }
  out.series = builder.Take();
  std::erase_if(out.series, [](const Series& s) { return s.points.empty(); });
  return out;
}

}  // namespace strata::query::eval
