// Query values: what PromQL expressions evaluate to. A Matrix is a list of series with points
// sorted by time; an instant vector is a list of samples at one timestamp. Plain values;
// thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "model/labels.h"

namespace strata::query {

struct FPoint {
  int64_t t;
  double v;
};

struct Series {
  model::Labels labels;
  std::vector<FPoint> points;
};
using Matrix = std::vector<Series>;

struct VectorSample {
  model::Labels labels;
  int64_t t;
  double v;
};
using Vector = std::vector<VectorSample>;

struct Scalar {
  int64_t t;
  double v;
};

struct String {
  int64_t t;
  std::string v;
};

// The result of a query: instant queries give Scalar, Vector or String (or Matrix for a bare
// range-vector expression); range queries give Matrix.
using QueryValue = std::variant<Scalar, Vector, Matrix, String>;

}  // namespace strata::query
