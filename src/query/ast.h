// The PromQL abstract syntax tree (cf. Prometheus promql/parser/ast.go): one Expr subclass per
// node kind, owned through ExprPtr = std::unique_ptr<Expr>. Evaluators switch over Expr::kind()
// and downcast with As<T>(). Every node records its byte range in the query text for error
// messages. Trees are thread-compatible: immutable once the parser returns them, so const
// access from many threads is safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/check.h"
#include "model/matcher.h"
#include "query/functions.h"
#include "query/value_type.h"

namespace strata::query {

// Byte offsets [start, end) into the parsed text.
struct PositionRange {
  size_t start = 0;
  size_t end = 0;
  friend bool operator==(const PositionRange&, const PositionRange&) = default;
};

enum class ExprKind : uint8_t {
  kNumberLiteral,
  kStringLiteral,
  kVectorSelector,
  kMatrixSelector,
  kSubquery,
  kParen,
  kUnary,
  kBinary,
  kAggregate,
  kCall,
};

class Expr {
 public:
  virtual ~Expr() = default;
  Expr(const Expr&) = delete;
  Expr& operator=(const Expr&) = delete;
  Expr(Expr&&) = delete;
  Expr& operator=(Expr&&) = delete;

  ExprKind kind() const { return kind_; }
  // The type the expression evaluates to (no deep checks: the parser did those).
  virtual ValueType Type() const = 0;
  // Where the expression sits in the query text (Prometheus PositionRange()).
  virtual PositionRange Position() const = 0;

  // Downcasts. REQUIRES: kind() == T::kKind (checked in debug builds).
  template <typename T>
  const T& As() const {
    STRATA_DCHECK(kind_ == T::kKind);
    return static_cast<const T&>(*this);
  }
  template <typename T>
  T& As() {
    STRATA_DCHECK(kind_ == T::kKind);
    return static_cast<T&>(*this);
  }

 protected:
  explicit Expr(ExprKind kind) : kind_(kind) {}

 private:
  const ExprKind kind_;
};

using ExprPtr = std::unique_ptr<Expr>;

// The `@` modifier of a selector or subquery.
enum class AtKind : uint8_t {
  kNone,
  kTimestamp,  // `@ 1609746000` (seconds in the text; stored in ms, rounded).
  kStart,      // `@ start()`: the query's start time.
  kEnd,        // `@ end()`: the query's end time.
};

struct AtModifier {
  AtKind kind = AtKind::kNone;
  int64_t timestamp_ms = 0;  // kTimestamp only.

  bool IsSet() const { return kind != AtKind::kNone; }
  friend bool operator==(const AtModifier&, const AtModifier&) = default;
};

enum class BinaryOp : uint8_t {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kAtan2,
  kEqual,         // ==
  kNotEqual,      // !=
  kGreater,       // >
  kLess,          // <
  kGreaterEqual,  // >=
  kLessEqual,     // <=
  kAnd,
  kOr,
  kUnless,
};

// "+", "==", "and", "atan2", ...
std::string_view BinaryOpString(BinaryOp op);
bool IsComparisonOp(BinaryOp op);  // == != > < >= <=
bool IsSetOp(BinaryOp op);         // and or unless

enum class UnaryOp : uint8_t { kAdd, kSub };

enum class AggregateOp : uint8_t {
  kSum,
  kAvg,
  kCount,
  kMin,
  kMax,
  kGroup,
  kStddev,
  kStdvar,
  kTopk,
  kBottomk,
  kQuantile,
  kCountValues,
};

// Lower case, as printed: "sum", "count_values", ...
std::string_view AggregateOpString(AggregateOp op);
// topk, bottomk, quantile and count_values take a parameter before the vector.
bool AggregateOpTakesParam(AggregateOp op);

enum class VectorMatchCardinality : uint8_t {
  kOneToOne,
  kManyToOne,   // group_left
  kOneToMany,   // group_right
  kManyToMany,  // and, or, unless
};

// How the two vectors of a binary operation are matched (Prometheus VectorMatching).
struct VectorMatching {
  VectorMatchCardinality card = VectorMatchCardinality::kOneToOne;
  // The labels of on(...) / ignoring(...).
  std::vector<std::string> matching_labels;
  bool on = false;  // on(...) rather than ignoring(...).
  // The labels of group_left(...) / group_right(...), copied from the "one" side.
  std::vector<std::string> include;

  friend bool operator==(const VectorMatching&, const VectorMatching&) = default;
};

class NumberLiteral final : public Expr {
 public:
  static constexpr ExprKind kKind = ExprKind::kNumberLiteral;
  NumberLiteral(double value, PositionRange pos) : Expr(kKind), value(value), pos(pos) {}
  ValueType Type() const override { return ValueType::kScalar; }
  PositionRange Position() const override { return pos; }

  double value;
  PositionRange pos;
};

class StringLiteral final : public Expr {
 public:
  static constexpr ExprKind kKind = ExprKind::kStringLiteral;
  StringLiteral(std::string value, PositionRange pos)
      : Expr(kKind), value(std::move(value)), pos(pos) {}
  ValueType Type() const override { return ValueType::kString; }
  PositionRange Position() const override { return pos; }

  std::string value;  // Unquoted, escapes resolved.
  PositionRange pos;
};

// `name{matchers} @ t offset d`.
class VectorSelector final : public Expr {
 public:
  static constexpr ExprKind kKind = ExprKind::kVectorSelector;
  VectorSelector() : Expr(kKind) {}
  ValueType Type() const override { return ValueType::kVector; }
  PositionRange Position() const override { return pos; }

  // The metric name written before the braces; "" when absent (a name given inside the braces,
  // `{__name__="x"}` or `{"x"}`, only appears among the matchers).
  std::string name;
  // Every matcher, in source order; when `name` is set, a __name__="name" matcher comes last.
  model::Matchers matchers;
  int64_t offset_ms = 0;  // `offset 5m` = 300000, `offset -5m` = -300000.
  AtModifier at;
  PositionRange pos;
};

// `selector[range]`. The selector carries the offset and @ modifiers of the whole expression.
class MatrixSelector final : public Expr {
 public:
  static constexpr ExprKind kKind = ExprKind::kMatrixSelector;
  MatrixSelector() : Expr(kKind) {}
  ValueType Type() const override { return ValueType::kMatrix; }
  PositionRange Position() const override { return {selector->Position().start, end_pos}; }

  std::unique_ptr<VectorSelector> selector;  // Never null.
  int64_t range_ms = 0;                      // > 0.
  size_t end_pos = 0;
};

// `expr[range:step] @ t offset d`.
class SubqueryExpr final : public Expr {
 public:
  static constexpr ExprKind kKind = ExprKind::kSubquery;
  SubqueryExpr() : Expr(kKind) {}
  ValueType Type() const override { return ValueType::kMatrix; }
  PositionRange Position() const override { return {expr->Position().start, end_pos}; }

  ExprPtr expr;  // Never null; an instant vector expression.
  int64_t range_ms = 0;
  int64_t step_ms = 0;  // 0: `[range:]`, the engine's default step.
  int64_t offset_ms = 0;
  AtModifier at;
  size_t end_pos = 0;
};

class ParenExpr final : public Expr {
 public:
  static constexpr ExprKind kKind = ExprKind::kParen;
  ParenExpr(ExprPtr expr, PositionRange pos) : Expr(kKind), expr(std::move(expr)), pos(pos) {}
  ValueType Type() const override { return expr->Type(); }
  PositionRange Position() const override { return pos; }

  ExprPtr expr;
  PositionRange pos;
};

// `-expr` or `+expr` where expr is not a number literal (the parser folds those).
class UnaryExpr final : public Expr {
 public:
  static constexpr ExprKind kKind = ExprKind::kUnary;
  UnaryExpr(UnaryOp op, ExprPtr expr, size_t start_pos)
      : Expr(kKind), op(op), expr(std::move(expr)), start_pos(start_pos) {}
  ValueType Type() const override { return expr->Type(); }
  PositionRange Position() const override { return {start_pos, expr->Position().end}; }

  UnaryOp op;
  ExprPtr expr;
  size_t start_pos;
};

class BinaryExpr final : public Expr {
 public:
  static constexpr ExprKind kKind = ExprKind::kBinary;
  BinaryExpr() : Expr(kKind) {}
  // Scalar when both sides are scalars, else instant vector.
  ValueType Type() const override;
  PositionRange Position() const override { return {lhs->Position().start, rhs->Position().end}; }

  BinaryOp op = BinaryOp::kAdd;
  ExprPtr lhs;
  ExprPtr rhs;
  // Present iff both sides are instant vectors. For set operators card is kManyToMany.
  std::optional<VectorMatching> matching;
  bool return_bool = false;  // `bool` modifier (comparisons only).
};

class AggregateExpr final : public Expr {
 public:
  static constexpr ExprKind kKind = ExprKind::kAggregate;
  AggregateExpr() : Expr(kKind) {}
  ValueType Type() const override { return ValueType::kVector; }
  PositionRange Position() const override { return pos; }

  AggregateOp op = AggregateOp::kSum;
  ExprPtr expr;   // The aggregated instant vector. Never null.
  ExprPtr param;  // topk/bottomk/quantile (scalar) and count_values (string); else null.
  std::vector<std::string> grouping;  // The by (...) or without (...) labels, in source order.
  bool without = false;
  PositionRange pos;
};

class Call final : public Expr {
 public:
  static constexpr ExprKind kKind = ExprKind::kCall;
  Call() : Expr(kKind) {}
  ValueType Type() const override { return func->return_type; }
  PositionRange Position() const override { return pos; }

  const Function* func = nullptr;  // Never null; points into the static function table.
  std::vector<ExprPtr> args;
  PositionRange pos;
};

// A deep copy (positions included).
ExprPtr CloneExpr(const Expr& expr);

// Whether two trees are the same expression: same kinds, operators, values (NaN equals NaN),
// matchers (in any order), modifiers and children. Positions are ignored.
bool ExprEqual(const Expr& a, const Expr& b);

}  // namespace strata::query
