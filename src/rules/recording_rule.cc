#include "rules/recording_rule.h"

#include <algorithm>

namespace strata::rules {

Result<query::Vector> RecordingRule::Eval(const EvalContext& ctx) {
  const int64_t t = ctx.ts_ms - ctx.query_offset_ms;
  STRATA_ASSIGN_OR_RETURN(query::Vector vec, QueryVector(ctx, *spec().expr, t));
  model::LabelsBuilder b;
  for (query::VectorSample& s : vec) {
    b.Reset(s.labels);
    b.Set(model::kMetricNameLabel, name());
    for (const TemplatedLabel& l : spec().labels) b.Set(l.name, l.text);
    s.labels = b.Build();
    s.t = t;
  }
  std::vector<const model::Labels*> sorted;
  sorted.reserve(vec.size());
  for (const query::VectorSample& s : vec) sorted.push_back(&s.labels);
  std::sort(sorted.begin(), sorted.end(),
            [](const model::Labels* a, const model::Labels* b) { return *a < *b; });
  for (size_t i = 1; i < sorted.size(); ++i) {
    if (*sorted[i - 1] == *sorted[i]) {
      return Status::FailedPrecondition(
          "vector contains metrics with the same labelset after applying rule labels");
    }
  }
  if (ctx.limit > 0 && static_cast<int64_t>(vec.size()) > ctx.limit) {
    return Status::FailedPrecondition("exceeded limit of " + std::to_string(ctx.limit) + " with " +
                                      std::to_string(vec.size()) + " series");
  }
  return vec;
}

}  // namespace strata::rules
