// A recursive-descent parser equivalent to Prometheus' LALR grammar (generated_parser.y).
// Precedence climbing reproduces goyacc's conflict resolution: `[`, `offset` and `@` bind to the
// preceding primary, unary signs bind tighter than `*` but looser than `^`, `^` is right
// associative. Errors mirror goyacc's recovery: a syntax error takes the message of the innermost
// grammar rule with an `error` alternative that is active at that point (grouping labels, label
// matchers, offset, @, range/subquery brackets, aggregations), else a bare "unexpected X".
// Only the first error is reported, as Prometheus does; so parsing stops at the first error,
// taking care to peek at a lookahead token only where goyacc reads one (a lexing error in the
// lookahead comes before any error raised by a reduction that needs that lookahead).
#include "query/parser.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <utility>

#include "model/quote.h"
#include "query/internal/go_text.h"
#include "query/internal/literals.h"
#include "query/internal/parse_error.h"
#include "query/internal/type_check.h"
#include "query/lexer.h"

namespace strata::query {
namespace {

// Binary operator precedence, lowest first (yacc %left/%right order).
constexpr int kPrecOr = 1;
constexpr int kPrecAnd = 2;  // and, unless
constexpr int kPrecCmp = 3;
constexpr int kPrecAdd = 4;
constexpr int kPrecMul = 5;  // * / % atan2
constexpr int kPrecPow = 6;

int Precedence(TokenKind kind) {
  switch (kind) {
    case TokenKind::kLor:
      return kPrecOr;
    case TokenKind::kLand:
    case TokenKind::kLunless:
      return kPrecAnd;
    case TokenKind::kEqlc:
    case TokenKind::kNeq:
    case TokenKind::kLte:
    case TokenKind::kLss:
    case TokenKind::kGte:
    case TokenKind::kGtr:
      return kPrecCmp;
    case TokenKind::kAdd:
    case TokenKind::kSub:
      return kPrecAdd;
    case TokenKind::kMul:
    case TokenKind::kDiv:
    case TokenKind::kMod:
    case TokenKind::kAtan2:
      return kPrecMul;
    case TokenKind::kPow:
      return kPrecPow;
    default:
      return 0;
  }
}

BinaryOp ToBinaryOp(TokenKind kind) {
  switch (kind) {
    case TokenKind::kAdd:
      return BinaryOp::kAdd;
    case TokenKind::kSub:
      return BinaryOp::kSub;
    case TokenKind::kMul:
      return BinaryOp::kMul;
    case TokenKind::kDiv:
      return BinaryOp::kDiv;
    case TokenKind::kMod:
      return BinaryOp::kMod;
    case TokenKind::kPow:
      return BinaryOp::kPow;
    case TokenKind::kAtan2:
      return BinaryOp::kAtan2;
    case TokenKind::kEqlc:
      return BinaryOp::kEqual;
    case TokenKind::kNeq:
      return BinaryOp::kNotEqual;
    case TokenKind::kGtr:
      return BinaryOp::kGreater;
    case TokenKind::kLss:
      return BinaryOp::kLess;
    case TokenKind::kGte:
      return BinaryOp::kGreaterEqual;
    case TokenKind::kLte:
      return BinaryOp::kLessEqual;
    case TokenKind::kLand:
      return BinaryOp::kAnd;
    case TokenKind::kLor:
      return BinaryOp::kOr;
    default:
      return BinaryOp::kUnless;
  }
}

AggregateOp ToAggregateOp(TokenKind kind) {
  switch (kind) {
    case TokenKind::kSum:
      return AggregateOp::kSum;
    case TokenKind::kAvg:
      return AggregateOp::kAvg;
    case TokenKind::kCount:
      return AggregateOp::kCount;
    case TokenKind::kMin:
      return AggregateOp::kMin;
    case TokenKind::kMax:
      return AggregateOp::kMax;
    case TokenKind::kGroup:
      return AggregateOp::kGroup;
    case TokenKind::kStddev:
      return AggregateOp::kStddev;
    case TokenKind::kStdvar:
      return AggregateOp::kStdvar;
    case TokenKind::kTopk:
      return AggregateOp::kTopk;
    case TokenKind::kBottomk:
      return AggregateOp::kBottomk;
    case TokenKind::kQuantile:
      return AggregateOp::kQuantile;
    default:
      return AggregateOp::kCountValues;
  }
}

// The grammar's metric_identifier: words that may name a metric before `{` or alone.
bool IsMetricIdentifierToken(TokenKind kind) {
  switch (kind) {
    case TokenKind::kIdentifier:
    case TokenKind::kMetricIdentifier:
    case TokenKind::kBy:
    case TokenKind::kWithout:
    case TokenKind::kLand:
    case TokenKind::kLor:
    case TokenKind::kLunless:
    case TokenKind::kOffset:
    case TokenKind::kStart:
    case TokenKind::kEnd:
      return true;
    default:
      return IsAggregatorToken(kind);
  }
}

// The grammar's maybe_label: words accepted in by(...), on(...), group_left(...) lists.
bool IsMaybeLabelToken(TokenKind kind) {
  switch (kind) {
    case TokenKind::kBool:
    case TokenKind::kGroupLeft:
    case TokenKind::kGroupRight:
    case TokenKind::kIgnoring:
    case TokenKind::kOn:
    case TokenKind::kAtan2:
      return true;
    default:
      return IsMetricIdentifierToken(kind);
  }
}

// Tokens that can begin an expression.
bool CanStartExpr(TokenKind kind) {
  switch (kind) {
    case TokenKind::kNumber:
    case TokenKind::kString:
    case TokenKind::kLeftParen:
    case TokenKind::kLeftBrace:
    case TokenKind::kAdd:
    case TokenKind::kSub:
      return true;
    default:
      return IsMetricIdentifierToken(kind);
  }
}

std::optional<model::MatchType> ToMatchType(TokenKind kind) {
  switch (kind) {
    case TokenKind::kEql:
      return model::MatchType::kEqual;
    case TokenKind::kNeq:
      return model::MatchType::kNotEqual;
    case TokenKind::kEqlRegex:
      return model::MatchType::kRegexMatch;
    case TokenKind::kNeqRegex:
      return model::MatchType::kRegexNoMatch;
    default:
      return std::nullopt;
  }
}

// Prometheus isLabel: [a-zA-Z_][a-zA-Z0-9_]*.
bool IsLabel(std::string_view s) {
  auto alpha = [](char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (s.empty() || !alpha(s[0])) return false;
  return std::all_of(s.begin() + 1, s.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

// Go's %f, which spells infinities and NaN differently from printf.
std::string GoFormatF(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[512];
  std::snprintf(buf, sizeof(buf), "%f", v);
  return buf;
}

// Prometheus timestamp.FromFloatSeconds: int64(math.Round(ts * 1000)). Go's out-of-range float
// to int64 conversion yields math.MinInt64 on amd64; we do the same instead of undefined
// behaviour.
int64_t FloatSecondsToMillis(double ts) {
  const double ms = std::round(ts * 1000);
  if (!(ms >= -9223372036854775808.0 && ms < 9223372036854775808.0)) {
    return std::numeric_limits<int64_t>::min();
  }
  return static_cast<int64_t>(ms);
}

// An expression and the height of its tree (a leaf is 1).
struct Parsed {
  ExprPtr expr;
  int height = 1;
};

class Parser {
 public:
  Parser(std::string_view input, const ParseOptions& options)
      : input_(input), lexer_(input), options_(options) {}

  Result<ExprPtr> ParseTopLevelExpr();
  Result<model::Matchers> ParseTopLevelSelector();

 private:
  // Counts parser recursion; Enter() fails beyond options_.max_depth.
  class DepthScope {
   public:
    explicit DepthScope(Parser* p) : p_(p) { ++p_->depth_; }
    ~DepthScope() { --p_->depth_; }
    DepthScope(const DepthScope&) = delete;
    DepthScope& operator=(const DepthScope&) = delete;
    DepthScope(DepthScope&&) = delete;
    DepthScope& operator=(DepthScope&&) = delete;

   private:
    Parser* p_;
  };

  // Scope of an aggregation's operands, where goyacc reports syntax errors "in aggregation".
  class AggregationScope {
   public:
    explicit AggregationScope(Parser* p) : p_(p) { ++p_->aggregation_depth_; }
    ~AggregationScope() { --p_->aggregation_depth_; }
    AggregationScope(const AggregationScope&) = delete;
    AggregationScope& operator=(const AggregationScope&) = delete;
    AggregationScope(AggregationScope&&) = delete;
    AggregationScope& operator=(AggregationScope&&) = delete;

   private:
    Parser* p_;
  };

  // The lookahead token (comments skipped), lexing it if needed.
  const Token& Peek();
  // Consumes and returns the lookahead token.
  Token Take();

  // A parse error at `pos`, unless the lookahead already read is a lexing error: goyacc records
  // that one first.
  Status ErrorAt(size_t pos, std::string_view message);
  // goyacc's `unexpected(context, expected)` for the lookahead token.
  Status Unexpected(std::string_view context, std::string_view expected);
  // A syntax error caught by no local rule: "unexpected X", or "... in aggregation" inside one.
  [[gnu::noinline]] Status UnexpectedHere() {
    return Unexpected(aggregation_depth_ > 0 ? "aggregation" : "", "");
  }
  [[gnu::noinline]] Status CheckDepth(int height, size_t pos);

  Result<Parsed> ParseExpr(int min_precedence);
  // The operator token (precedence `precedence`), its modifiers and right operand of a binary
  // expression whose left operand is `lhs`.
  [[gnu::noinline]] Result<Parsed> ParseBinaryRhs(Parsed lhs, int precedence);
  // `bool`, `on(...)`/`ignoring(...)` and `group_left(...)`/`group_right(...)` after an operator.
  [[gnu::noinline]] Status ParseBinaryModifiers(BinaryExpr* bin);
  Result<Parsed> ParseUnary();
  Result<Parsed> ParsePrimary();
  [[gnu::noinline]] Result<Parsed> ParseNumberLiteral();
  [[gnu::noinline]] Result<Parsed> ParseStringLiteral();
  [[gnu::noinline]] Result<Parsed> ParseParen();
  // An identifier or aggregation keyword: a call, an aggregation or a selector.
  [[gnu::noinline]] Result<Parsed> ParseWordExpr();
  [[gnu::noinline]] Result<Parsed> ParsePostfix(Parsed p);
  [[gnu::noinline]] Result<Parsed> ParseSubqueryOrRange(Parsed p);
  [[gnu::noinline]] Status ParseOffset(Expr* e);
  [[gnu::noinline]] Status ParseAt(Expr* e);
  [[gnu::noinline]] Result<Parsed> ParseSelector(const Token* name);
  Status ParseMatchers(model::Matchers* out, size_t* end);
  [[gnu::noinline]] Result<Parsed> ParseCall(const Token& name);
  [[gnu::noinline]] Result<Parsed> ParseAggregate(const Token& op);
  // function_call_body: `(` [expr {`,` expr}] `)`. REQUIRES: Peek() is `(`.
  Result<std::vector<Parsed>> ParseCallBody();
  [[gnu::noinline]] Result<std::vector<std::string>> ParseGroupingLabels();

  Result<std::string> UnquoteToken(const Token& t);
  Result<double> NumberToken(const Token& t);
  Result<int64_t> DurationToken(const Token& t);
  Status AddOffset(Expr* e, int64_t offset_ms);
  Status SetAt(Expr* e, AtModifier at);

  std::string_view input_;
  Lexer lexer_;
  ParseOptions options_;
  Token lookahead_;
  bool have_lookahead_ = false;
  // End of the last `)`, `}`, `]`, duration or number lexed (Prometheus' lastClosing).
  size_t last_closing_ = 0;
  int aggregation_depth_ = 0;
  int depth_ = 0;
};

const Token& Parser::Peek() {
  if (!have_lookahead_) {
    do {
      lookahead_ = lexer_.Next();
    } while (lookahead_.kind == TokenKind::kComment);
    have_lookahead_ = true;
    switch (lookahead_.kind) {
      case TokenKind::kRightBrace:
      case TokenKind::kRightParen:
      case TokenKind::kRightBracket:
      case TokenKind::kDuration:
      case TokenKind::kNumber:
        last_closing_ = lookahead_.end();
        break;
      default:
        break;
    }
  }
  return lookahead_;
}

Token Parser::Take() {
  Peek();
  have_lookahead_ = false;
  return lookahead_;
}

Status Parser::ErrorAt(size_t pos, std::string_view message) {
  if (have_lookahead_ && lookahead_.kind == TokenKind::kError) {
    return internal::ParseError(input_, lookahead_.pos, lookahead_.error);
  }
  return internal::ParseError(input_, pos, message);
}

Status Parser::Unexpected(std::string_view context, std::string_view expected) {
  const Token& t = Peek();
  std::string msg = "unexpected " + DescribeToken(t);
  if (!context.empty()) {
    msg += " in ";
    msg += context;
  }
  if (!expected.empty()) {
    msg += ", expected ";
    msg += expected;
  }
  return ErrorAt(t.pos, msg);
}

Status Parser::CheckDepth(int height, size_t pos) {
  if (height <= options_.max_depth && depth_ <= options_.max_depth) return Status::Ok();
  return ErrorAt(pos,
                 "expression nesting exceeds " + std::to_string(options_.max_depth) + " levels");
}

Result<ExprPtr> Parser::ParseTopLevelExpr() {
  const Token& t = Peek();
  if (t.kind == TokenKind::kEof) return ErrorAt(0, "no expression found in input");
  STRATA_ASSIGN_OR_RETURN(Parsed p, ParseExpr(kPrecOr));
  if (Peek().kind != TokenKind::kEof) return UnexpectedHere();
  STRATA_RETURN_IF_ERROR(internal::CheckTypes(input_, p.expr.get()));
  return std::move(p.expr);
}

Result<model::Matchers> Parser::ParseTopLevelSelector() {
  const Token& t = Peek();
  std::optional<Token> name;
  if (IsMetricIdentifierToken(t.kind)) {
    name = Take();
  } else if (t.kind != TokenKind::kLeftBrace) {
    return UnexpectedHere();
  }
  STRATA_ASSIGN_OR_RETURN(Parsed p, ParseSelector(name ? &*name : nullptr));
  if (Peek().kind != TokenKind::kEof) return UnexpectedHere();
  return std::move(p.expr->As<VectorSelector>().matchers);
}

Result<Parsed> Parser::ParseExpr(int min_precedence) {
  DepthScope scope(this);
  STRATA_RETURN_IF_ERROR(CheckDepth(0, Peek().pos));
  STRATA_ASSIGN_OR_RETURN(Parsed lhs, ParseUnary());
  for (;;) {
    const int precedence = Precedence(Peek().kind);
    if (precedence == 0 || precedence < min_precedence) return lhs;
    STRATA_ASSIGN_OR_RETURN(lhs, ParseBinaryRhs(std::move(lhs), precedence));
  }
}

Result<Parsed> Parser::ParseBinaryRhs(Parsed lhs, int precedence) {
  Token op = Take();
  auto bin = std::make_unique<BinaryExpr>();
  bin->op = ToBinaryOp(op.kind);
  STRATA_RETURN_IF_ERROR(ParseBinaryModifiers(bin.get()));
  // `^` is right-associative; everything else left-associative.
  const int rhs_min = bin->op == BinaryOp::kPow ? precedence : precedence + 1;
  STRATA_ASSIGN_OR_RETURN(Parsed rhs, ParseExpr(rhs_min));
  const int height = 1 + std::max(lhs.height, rhs.height);
  bin->lhs = std::move(lhs.expr);
  bin->rhs = std::move(rhs.expr);
  STRATA_RETURN_IF_ERROR(CheckDepth(height, bin->Position().start));
  return Parsed{std::move(bin), height};
}

Status Parser::ParseBinaryModifiers(BinaryExpr* bin) {
  VectorMatching matching;
  if (Peek().kind == TokenKind::kBool) {
    Take();
    bin->return_bool = true;
  }
  TokenKind k = Peek().kind;
  if (k == TokenKind::kOn || k == TokenKind::kIgnoring) {
    Take();
    matching.on = k == TokenKind::kOn;
    STRATA_ASSIGN_OR_RETURN(matching.matching_labels, ParseGroupingLabels());
    k = Peek().kind;
    if (k == TokenKind::kGroupLeft || k == TokenKind::kGroupRight) {
      Take();
      matching.card = k == TokenKind::kGroupLeft ? VectorMatchCardinality::kManyToOne
                                                 : VectorMatchCardinality::kOneToMany;
      // The label list is optional, but goyacc only skips it when an operand follows.
      const TokenKind next = Peek().kind;
      if (next == TokenKind::kLeftParen) {
        STRATA_ASSIGN_OR_RETURN(matching.include, ParseGroupingLabels());
      } else if (!CanStartExpr(next)) {
        return Unexpected("grouping opts", "\"(\"");
      }
    }
  }
  bin->matching = std::move(matching);
  return Status::Ok();
}

Result<Parsed> Parser::ParseUnary() {
  const Token& t = Peek();
  if (t.kind != TokenKind::kAdd && t.kind != TokenKind::kSub) {
    STRATA_ASSIGN_OR_RETURN(Parsed p, ParsePrimary());
    return ParsePostfix(std::move(p));
  }
  Token op = Take();
  // The operand may only contain `^` operators: a unary sign has the precedence of `*`.
  STRATA_ASSIGN_OR_RETURN(Parsed operand, ParseExpr(kPrecPow));
  if (operand.expr->kind() == ExprKind::kNumberLiteral) {
    auto& nl = operand.expr->As<NumberLiteral>();
    if (op.kind == TokenKind::kSub) nl.value = -nl.value;
    nl.pos.start = op.pos;
    return operand;
  }
  const UnaryOp uop = op.kind == TokenKind::kSub ? UnaryOp::kSub : UnaryOp::kAdd;
  Parsed out{std::make_unique<UnaryExpr>(uop, std::move(operand.expr), op.pos), operand.height + 1};
  STRATA_RETURN_IF_ERROR(CheckDepth(out.height, op.pos));
  return out;
}

Result<Parsed> Parser::ParsePrimary() {
  // Every case lives in its own function: ParsePrimary is on the recursive path, so it keeps a
  // small stack frame.
  const TokenKind kind = Peek().kind;
  switch (kind) {
    case TokenKind::kNumber:
      return ParseNumberLiteral();
    case TokenKind::kString:
      return ParseStringLiteral();
    case TokenKind::kLeftParen:
      return ParseParen();
    case TokenKind::kLeftBrace:
      return ParseSelector(nullptr);
    default:
      break;
  }
  if (kind == TokenKind::kIdentifier || IsAggregatorToken(kind)) return ParseWordExpr();
  if (IsMetricIdentifierToken(kind)) {
    const Token name = Take();
    return ParseSelector(&name);
  }
  return UnexpectedHere();
}

Result<Parsed> Parser::ParseNumberLiteral() {
  const Token n = Take();
  STRATA_ASSIGN_OR_RETURN(double v, NumberToken(n));
  return Parsed{std::make_unique<NumberLiteral>(v, PositionRange{n.pos, n.end()})};
}

Result<Parsed> Parser::ParseStringLiteral() {
  const Token s = Take();
  STRATA_ASSIGN_OR_RETURN(std::string v, UnquoteToken(s));
  return Parsed{std::make_unique<StringLiteral>(std::move(v), PositionRange{s.pos, s.end()})};
}

Result<Parsed> Parser::ParseParen() {
  const Token lp = Take();
  STRATA_ASSIGN_OR_RETURN(Parsed inner, ParseExpr(kPrecOr));
  if (Peek().kind != TokenKind::kRightParen) return UnexpectedHere();
  const Token rp = Take();
  Parsed out{std::make_unique<ParenExpr>(std::move(inner.expr), PositionRange{lp.pos, rp.end()}),
             inner.height + 1};
  STRATA_RETURN_IF_ERROR(CheckDepth(out.height, lp.pos));
  return out;
}

Result<Parsed> Parser::ParseWordExpr() {
  const Token word = Take();
  const TokenKind next = Peek().kind;
  if (word.kind == TokenKind::kIdentifier) {
    if (next == TokenKind::kLeftParen) return ParseCall(word);
  } else if (next == TokenKind::kLeftParen || next == TokenKind::kBy ||
             next == TokenKind::kWithout) {
    return ParseAggregate(word);
  }
  return ParseSelector(&word);  // A metric, possibly named like an aggregation ("sum").
}

Result<Parsed> Parser::ParsePostfix(Parsed p) {
  for (;;) {
    switch (Peek().kind) {
      case TokenKind::kLeftBracket: {
        STRATA_ASSIGN_OR_RETURN(p, ParseSubqueryOrRange(std::move(p)));
        STRATA_RETURN_IF_ERROR(CheckDepth(p.height, p.expr->Position().start));
        break;
      }
      case TokenKind::kOffset:
        STRATA_RETURN_IF_ERROR(ParseOffset(p.expr.get()));
        break;
      case TokenKind::kAt:
        STRATA_RETURN_IF_ERROR(ParseAt(p.expr.get()));
        break;
      default:
        return p;
    }
  }
}

Result<Parsed> Parser::ParseSubqueryOrRange(Parsed p) {
  Token lb = Take();
  if (Peek().kind != TokenKind::kDuration) return Unexpected("subquery selector", "duration");
  STRATA_ASSIGN_OR_RETURN(int64_t range, DurationToken(Take()));
  const TokenKind k = Peek().kind;
  if (k == TokenKind::kRightBracket) {
    Take();
    const char* error = nullptr;
    if (p.expr->kind() != ExprKind::kVectorSelector) {
      error = "ranges only allowed for vector selectors";
    } else if (p.expr->As<VectorSelector>().offset_ms != 0) {
      error = "no offset modifiers allowed before range";
    } else if (p.expr->As<VectorSelector>().at.kind == AtKind::kTimestamp) {
      // Like Prometheus, `x @ start() [5m]` passes this check.
      error = "no @ modifiers allowed before range";
    }
    if (error != nullptr) return ErrorAt(lb.pos, error);
    auto ms = std::make_unique<MatrixSelector>();
    ms->selector.reset(&p.expr.release()->As<VectorSelector>());
    ms->range_ms = range;
    ms->end_pos = last_closing_;
    return Parsed{std::move(ms), 2};
  }
  if (k != TokenKind::kColon) return Unexpected("subquery or range", "\":\" or \"]\"");
  Take();
  int64_t step = 0;
  if (Peek().kind == TokenKind::kDuration) {
    STRATA_ASSIGN_OR_RETURN(step, DurationToken(Take()));
    if (Peek().kind != TokenKind::kRightBracket) {
      return Unexpected("subquery selector", "\"]\"");
    }
  } else if (Peek().kind != TokenKind::kRightBracket) {
    return Unexpected("subquery selector", "duration or \"]\"");
  }
  Token rb = Take();
  auto sq = std::make_unique<SubqueryExpr>();
  sq->expr = std::move(p.expr);
  sq->range_ms = range;
  sq->step_ms = step;
  sq->end_pos = rb.pos + 1;
  return Parsed{std::move(sq), p.height + 1};
}

Status Parser::ParseOffset(Expr* e) {
  Take();  // offset
  int64_t sign = 1;
  if (Peek().kind == TokenKind::kSub) {
    Take();
    sign = -1;
  }
  if (Peek().kind != TokenKind::kDuration) return Unexpected("offset", "duration");
  STRATA_ASSIGN_OR_RETURN(int64_t d, DurationToken(Take()));
  return AddOffset(e, sign * d);
}

Status Parser::ParseAt(Expr* e) {
  Take();  // @
  const TokenKind k = Peek().kind;
  if (k == TokenKind::kStart || k == TokenKind::kEnd) {
    Take();
    if (Peek().kind != TokenKind::kLeftParen) return Unexpected("@", "timestamp");
    Take();
    if (Peek().kind != TokenKind::kRightParen) return Unexpected("@", "timestamp");
    Take();
    return SetAt(e, AtModifier{k == TokenKind::kStart ? AtKind::kStart : AtKind::kEnd, 0});
  }
  double sign = 1;
  if (k == TokenKind::kAdd || k == TokenKind::kSub) {
    Take();
    if (k == TokenKind::kSub) sign = -1;
    if (Peek().kind != TokenKind::kNumber) return Unexpected("@", "timestamp");
  } else if (k != TokenKind::kNumber) {
    return Unexpected("@", "timestamp");
  }
  STRATA_ASSIGN_OR_RETURN(double ts, NumberToken(Take()));
  ts *= sign;
  if (std::isinf(ts) || std::isnan(ts) || ts >= 9223372036854775808.0 ||
      ts <= -9223372036854775808.0) {
    return ErrorAt(e->Position().start, "timestamp out of bounds for @ modifier: " + GoFormatF(ts));
  }
  return SetAt(e, AtModifier{AtKind::kTimestamp, FloatSecondsToMillis(ts)});
}

Status Parser::AddOffset(Expr* e, int64_t offset_ms) {
  int64_t* offset = nullptr;
  size_t* end = nullptr;
  switch (e->kind()) {
    case ExprKind::kVectorSelector:
      offset = &e->As<VectorSelector>().offset_ms;
      end = &e->As<VectorSelector>().pos.end;
      break;
    case ExprKind::kMatrixSelector:
      offset = &e->As<MatrixSelector>().selector->offset_ms;
      end = &e->As<MatrixSelector>().end_pos;
      break;
    case ExprKind::kSubquery:
      offset = &e->As<SubqueryExpr>().offset_ms;
      end = &e->As<SubqueryExpr>().end_pos;
      break;
    default:
      return ErrorAt(e->Position().start,
                     "offset modifier must be preceded by an instant vector selector or range "
                     "vector selector or a subquery");
  }
  if (*offset != 0) return ErrorAt(e->Position().start, "offset may not be set multiple times");
  *offset = offset_ms;
  *end = last_closing_;
  return Status::Ok();
}

Status Parser::SetAt(Expr* e, AtModifier at) {
  AtModifier* target = nullptr;
  size_t* end = nullptr;
  switch (e->kind()) {
    case ExprKind::kVectorSelector:
      target = &e->As<VectorSelector>().at;
      end = &e->As<VectorSelector>().pos.end;
      break;
    case ExprKind::kMatrixSelector:
      target = &e->As<MatrixSelector>().selector->at;
      end = &e->As<MatrixSelector>().end_pos;
      break;
    case ExprKind::kSubquery:
      target = &e->As<SubqueryExpr>().at;
      end = &e->As<SubqueryExpr>().end_pos;
      break;
    default:
      return ErrorAt(e->Position().start,
                     "@ modifier must be preceded by an instant vector selector or range vector "
                     "selector or a subquery");
  }
  if (target->IsSet()) {
    return ErrorAt(e->Position().start, "@ <timestamp> may not be set multiple times");
  }
  *target = at;
  *end = last_closing_;
  return Status::Ok();
}

Result<Parsed> Parser::ParseSelector(const Token* name) {
  auto vs = std::make_unique<VectorSelector>();
  if (name != nullptr) {
    vs->name = std::string(name->text);
    vs->pos = {name->pos, name->end()};
  }
  if (Peek().kind == TokenKind::kLeftBrace) {
    Token lb = Take();
    size_t end = 0;
    STRATA_RETURN_IF_ERROR(ParseMatchers(&vs->matchers, &end));
    vs->pos = {name != nullptr ? name->pos : lb.pos, end};
  }
  if (name != nullptr) {
    vs->matchers.push_back(model::Matcher::Equal(std::string(model::kMetricNameLabel), vs->name));
  }
  return Parsed{std::move(vs)};
}

Status Parser::ParseMatchers(model::Matchers* out, size_t* end) {
  for (;;) {
    const Token& t = Peek();
    if (t.kind == TokenKind::kRightBrace) {
      *end = Take().end();
      return Status::Ok();
    }
    if (t.kind != TokenKind::kIdentifier && t.kind != TokenKind::kString) {
      return Unexpected("label matching", "identifier or \"}\"");
    }
    Token label = Take();
    std::string name;
    if (label.kind == TokenKind::kString) {
      STRATA_ASSIGN_OR_RETURN(name, UnquoteToken(label));
    } else {
      name = std::string(label.text);
    }
    std::optional<model::MatchType> type = ToMatchType(Peek().kind);
    if (!type.has_value()) {
      if (label.kind == TokenKind::kIdentifier) {
        return Unexpected("label matching", "label matching operator");
      }
      // A lone string names the metric: {"foo"} is {__name__="foo"}.
      out->push_back(model::Matcher::Equal(std::string(model::kMetricNameLabel), name));
    } else {
      Take();
      if (Peek().kind != TokenKind::kString) return Unexpected("label matching", "string");
      Token value_token = Take();
      STRATA_ASSIGN_OR_RETURN(std::string value, UnquoteToken(value_token));
      Result<model::Matcher> m = model::Matcher::Make(*type, std::move(name), std::move(value));
      if (!m.ok()) return ErrorAt(label.pos, m.status().message());
      out->push_back(std::move(m).value());
    }
    const TokenKind k = Peek().kind;
    if (k == TokenKind::kComma) {
      Take();
      continue;
    }
    if (k == TokenKind::kRightBrace) {
      *end = Take().end();
      return Status::Ok();
    }
    return Unexpected("label matching", "\",\" or \"}\"");
  }
}

Result<std::vector<Parsed>> Parser::ParseCallBody() {
  DepthScope scope(this);
  Token lp = Take();
  STRATA_RETURN_IF_ERROR(CheckDepth(0, lp.pos));
  std::vector<Parsed> args;
  if (Peek().kind == TokenKind::kRightParen) {
    Take();
    return args;
  }
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(Parsed arg, ParseExpr(kPrecOr));
    args.push_back(std::move(arg));
    const TokenKind k = Peek().kind;
    if (k == TokenKind::kRightParen) {
      Take();
      return args;
    }
    if (k != TokenKind::kComma) return UnexpectedHere();
    Token comma = Take();
    if (!CanStartExpr(Peek().kind)) {
      return ErrorAt(comma.pos, "trailing commas not allowed in function call args");
    }
  }
}

Result<Parsed> Parser::ParseCall(const Token& name) {
  STRATA_ASSIGN_OR_RETURN(std::vector<Parsed> args, ParseCallBody());
  const Function* func = LookupFunction(name.text);
  if (func == nullptr) {
    return ErrorAt(name.pos, "unknown function with name " + model::Quote(name.text));
  }
  if (func->experimental && !options_.enable_experimental_functions) {
    return ErrorAt(name.pos, "function " + model::Quote(name.text) + " is not enabled");
  }
  auto call = std::make_unique<Call>();
  call->func = func;
  call->pos = {name.pos, last_closing_};
  int height = 1;
  for (Parsed& a : args) {
    height = std::max(height, a.height + 1);
    call->args.push_back(std::move(a.expr));
  }
  STRATA_RETURN_IF_ERROR(CheckDepth(height, name.pos));
  return Parsed{std::move(call), height};
}

Result<Parsed> Parser::ParseAggregate(const Token& op) {
  auto agg = std::make_unique<AggregateExpr>();
  agg->op = ToAggregateOp(op.kind);
  std::vector<Parsed> args;
  {
    AggregationScope scope(this);
    bool have_modifier = false;
    TokenKind k = Peek().kind;
    if (k == TokenKind::kBy || k == TokenKind::kWithout) {
      Take();
      agg->without = k == TokenKind::kWithout;
      STRATA_ASSIGN_OR_RETURN(agg->grouping, ParseGroupingLabels());
      have_modifier = true;
    }
    if (Peek().kind != TokenKind::kLeftParen) return UnexpectedHere();
    STRATA_ASSIGN_OR_RETURN(args, ParseCallBody());
    if (!have_modifier) {
      k = Peek().kind;
      if (k == TokenKind::kBy || k == TokenKind::kWithout) {
        Take();
        agg->without = k == TokenKind::kWithout;
        STRATA_ASSIGN_OR_RETURN(agg->grouping, ParseGroupingLabels());
      }
    }
  }
  agg->pos = {op.pos, last_closing_};
  if (args.empty()) return ErrorAt(op.pos, "no arguments for aggregate expression provided");
  const size_t want = AggregateOpTakesParam(agg->op) ? 2 : 1;
  if (args.size() != want) {
    return ErrorAt(op.pos,
                   "wrong number of arguments for aggregate expression provided, expected " +
                       std::to_string(want) + ", got " + std::to_string(args.size()));
  }
  int height = 1 + args.back().height;
  if (want == 2) {
    height = std::max(height, 1 + args[0].height);
    agg->param = std::move(args[0].expr);
  }
  agg->expr = std::move(args.back().expr);
  STRATA_RETURN_IF_ERROR(CheckDepth(height, op.pos));
  return Parsed{std::move(agg), height};
}

Result<std::vector<std::string>> Parser::ParseGroupingLabels() {
  if (Peek().kind != TokenKind::kLeftParen) return Unexpected("grouping opts", "\"(\"");
  Take();
  std::vector<std::string> labels;
  if (Peek().kind == TokenKind::kRightParen) {
    Take();
    return labels;
  }
  for (;;) {
    if (!IsMaybeLabelToken(Peek().kind)) return Unexpected("grouping opts", "label");
    Token label = Take();
    if (!IsLabel(label.text)) {
      return ErrorAt(label.pos,
                     "unexpected " + DescribeToken(label) + " in grouping opts, expected label");
    }
    labels.emplace_back(label.text);
    const TokenKind k = Peek().kind;
    if (k == TokenKind::kRightParen) {
      Take();
      return labels;
    }
    if (k != TokenKind::kComma) return Unexpected("grouping opts", "\",\" or \")\"");
    Take();
    if (Peek().kind == TokenKind::kRightParen) {  // A trailing comma is allowed.
      Take();
      return labels;
    }
  }
}

Result<std::string> Parser::UnquoteToken(const Token& t) {
  Result<std::string> s = internal::Unquote(t.text);
  if (!s.ok()) {
    return ErrorAt(t.pos,
                   "error unquoting string " + model::Quote(t.text) + ": " + s.status().message());
  }
  return s;
}

Result<double> Parser::NumberToken(const Token& t) {
  Result<double> v = internal::ParseNumber(t.text);
  if (!v.ok()) return ErrorAt(t.pos, "error parsing number: " + v.status().message());
  return v;
}

Result<int64_t> Parser::DurationToken(const Token& t) {
  Result<int64_t> d = internal::ParseDuration(t.text);
  if (!d.ok()) return ErrorAt(t.pos, d.status().message());
  if (*d == 0) return ErrorAt(t.pos, "duration must be greater than 0");
  return d;
}

}  // namespace

Result<ExprPtr> ParseExpr(std::string_view input, const ParseOptions& options) {
  Parser parser(input, options);
  return parser.ParseTopLevelExpr();
}

Result<model::Matchers> ParseSeriesSelector(std::string_view input) {
  Parser parser(input, ParseOptions{});
  return parser.ParseTopLevelSelector();
}

}  // namespace strata::query
