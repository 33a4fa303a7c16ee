// ValueType: the four PromQL value types an expression can evaluate to (plus kNone for "no
// type"), with Prometheus' names for them. Pure constants; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace strata::query {

enum class ValueType : uint8_t {
  kNone,    // Not an expression value (never the type of a parsed expression).
  kScalar,  // A single float.
  kVector,  // An instant vector: one sample per series.
  kMatrix,  // A range vector: a list of samples per series.
  kString,  // A string literal.
};

// Prometheus' internal name: "none", "scalar", "vector", "matrix" or "string" (as used in the
// API's resultType and in "subquery is only allowed on instant vector, got matrix instead").
constexpr std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kNone:
      return "none";
    case ValueType::kScalar:
      return "scalar";
    case ValueType::kVector:
      return "vector";
    case ValueType::kMatrix:
      return "matrix";
    case ValueType::kString:
      return "string";
  }
  return "none";
}

// The user-facing name from the PromQL documentation (Prometheus DocumentedType): "instant
// vector" and "range vector" for vectors and matrices, ValueTypeName otherwise.
constexpr std::string_view DocumentedTypeName(ValueType type) {
  switch (type) {
    case ValueType::kVector:
      return "instant vector";
    case ValueType::kMatrix:
      return "range vector";
    default:
      return ValueTypeName(type);
  }
}

}  // namespace strata::query
