// Lexer: splits PromQL text into tokens with byte positions, following Prometheus v2.53
// promql/parser/lex.go state for state (keywords are case-insensitive, inside `{...}` every word
// is an identifier, right after `[` a duration is expected, `#` starts a line comment). Series
// descriptions (promtool / test-script "load" lines) are not lexed here.
// A Lexer is confined to one thread; it borrows its input, which must outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::query {

enum class TokenKind : uint8_t {
  kEof,
  kError,    // A lexing error; Token::error holds Prometheus' message.
  kComment,  // `# ...` up to (not including) the end of the line.
  kIdentifier,
  kMetricIdentifier,  // An identifier containing ':' (never inside braces).
  kNumber,            // Decimal, hex, float, or Inf/NaN in any case. Never signed.
  kString,            // Text still quoted ("...", '...' or `...`), escapes already validated.
  kDuration,          // E.g. 5m, 1h30m, 10ms (validated later by the parser).
  kLeftParen,
  kRightParen,
  kLeftBrace,
  kRightBrace,
  kLeftBracket,
  kRightBracket,
  kComma,
  kColon,  // Only inside [...]. Quirk kept from Prometheus: a letter there also lexes as kColon.
  kEql,    // `=` (matchers).
  // Operators.
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kEqlc,      // ==
  kNeq,       // !=
  kLte,       // <=
  kLss,       // <
  kGte,       // >=
  kGtr,       // >
  kEqlRegex,  // =~ (only inside braces)
  kNeqRegex,  // !~ (only inside braces)
  kLand,      // and
  kLor,       // or
  kLunless,   // unless
  kAtan2,     // atan2
  kAt,        // @
  // Aggregators.
  kAvg,
  kBottomk,
  kCount,
  kCountValues,
  kGroup,
  kMax,
  kMin,
  kQuantile,
  kStddev,
  kStdvar,
  kSum,
  kTopk,
  // Keywords.
  kBool,
  kBy,
  kGroupLeft,
  kGroupRight,
  kIgnoring,
  kOffset,
  kOn,
  kWithout,
  // @ modifier preprocessors.
  kStart,
  kEnd,
};

bool IsOperatorToken(TokenKind kind);    // kAdd..kAt
bool IsAggregatorToken(TokenKind kind);  // kAvg..kTopk
bool IsKeywordToken(TokenKind kind);     // kBool..kWithout

struct Token {
  TokenKind kind = TokenKind::kEof;
  size_t pos = 0;         // Byte offset of the token's first byte in the input.
  std::string_view text;  // The token's bytes (borrowed from the input); empty for kEof.
  // kError only: the message, e.g. `unexpected character: '.'`. Owned by the Lexer, valid as
  // long as it lives.
  std::string_view error;

  size_t end() const { return pos + text.size(); }
};

// How Prometheus names a token in "unexpected ..." parse errors (Item.desc()): `end of input`,
// `identifier "foo"`, `number "1"`, `duration "5m"`, `string "\"a\""` (texts longer than 10
// bytes are cut to 10 characters and followed by "..."), `"("`, `","`, `<op:+>`, `<aggr:sum>`,
// `<by>`.
std::string DescribeToken(const Token& token);

class Lexer {
 public:
  explicit Lexer(std::string_view input) : input_(input) {}

  // The next token, comments included. After a kEof or kError token every further call returns
  // kEof. Unlike Prometheus, which may keep scanning after some errors, lexing stops at the
  // first error: the parser reports only the first error anyway.
  Token Next();

 private:
  static constexpr int32_t kEofRune = -1;

  int32_t NextRune();  // Consumes one rune (U+FFFD for an invalid byte); kEofRune at the end.
  void Backup() { pos_ -= width_; }
  int32_t PeekRune();
  bool Accept(std::string_view valid);
  void AcceptRun(std::string_view valid);
  Token Emit(TokenKind kind);
  Token Error(std::string message);

  Token LexStatement();
  Token LexInsideBraces();
  Token LexComment();
  Token LexString(char quote);
  Token LexRawString();
  Token LexEscape(char quote, bool* ok);
  Token LexDuration();
  Token LexNumberOrDuration();
  Token LexKeywordOrIdentifier();
  Token LexIdentifier();
  bool ScanNumber();
  bool AcceptRemainingDuration();
  void SkipSpaces();

  std::string_view input_;
  std::string error_;  // The message of the error token, once there is one.
  size_t pos_ = 0;     // Next byte to read.
  size_t start_ = 0;   // Start of the token being scanned.
  size_t width_ = 0;   // Byte width of the last rune read, for Backup().
  bool done_ = false;
  int paren_depth_ = 0;
  bool brace_open_ = false;
  bool bracket_open_ = false;
  bool got_colon_ = false;         // A ':' was seen since the last '['.
  bool pending_duration_ = false;  // The previous token was '['.
};

}  // namespace strata::query
