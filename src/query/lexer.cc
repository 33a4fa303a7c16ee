// A direct port of Prometheus' lexer states (lexStatements, lexInsideBraces, lexString, ...):
// the scanning order matters because error texts quote exactly the bytes consumed so far
// (e.g. "bad number or duration syntax: \"0de\"" for 0deadbeef).
#include "query/lexer.h"

#include <array>
#include <cctype>
#include <utility>

#include "model/quote.h"
#include "query/internal/go_text.h"

namespace strata::query {
namespace {

constexpr std::string_view kDigits = "0123456789";
constexpr std::string_view kHexDigits = "0123456789abcdefABCDEF";

bool IsSpace(int32_t r) { return r == ' ' || r == '\t' || r == '\n' || r == '\r'; }
bool IsEndOfLine(int32_t r) { return r == '\r' || r == '\n'; }
bool IsDigit(int32_t r) { return r >= '0' && r <= '9'; }
bool IsAlpha(int32_t r) { return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'); }
bool IsAlphaNumeric(int32_t r) { return IsAlpha(r) || IsDigit(r); }

struct Keyword {
  std::string_view word;  // Lower case.
  TokenKind kind;
};

constexpr std::array<Keyword, 27> kKeywords = {{
    {"and", TokenKind::kLand},
    {"or", TokenKind::kLor},
    {"unless", TokenKind::kLunless},
    {"atan2", TokenKind::kAtan2},
    {"sum", TokenKind::kSum},
    {"avg", TokenKind::kAvg},
    {"count", TokenKind::kCount},
    {"min", TokenKind::kMin},
    {"max", TokenKind::kMax},
    {"group", TokenKind::kGroup},
    {"stddev", TokenKind::kStddev},
    {"stdvar", TokenKind::kStdvar},
    {"topk", TokenKind::kTopk},
    {"bottomk", TokenKind::kBottomk},
    {"count_values", TokenKind::kCountValues},
    {"quantile", TokenKind::kQuantile},
    {"offset", TokenKind::kOffset},
    {"by", TokenKind::kBy},
    {"without", TokenKind::kWithout},
    {"on", TokenKind::kOn},
    {"ignoring", TokenKind::kIgnoring},
    {"group_left", TokenKind::kGroupLeft},
    {"group_right", TokenKind::kGroupRight},
    {"bool", TokenKind::kBool},
    {"start", TokenKind::kStart},
    {"end", TokenKind::kEnd},
    // Special numbers.
    {"inf", TokenKind::kNumber},
}};

// Case-insensitive keyword lookup ("nan" is handled with "inf" as a number).
bool LookupKeyword(std::string_view word, TokenKind* kind) {
  if (word.size() > 12) return false;
  std::string lower(word);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "nan") {
    *kind = TokenKind::kNumber;
    return true;
  }
  for (const Keyword& k : kKeywords) {
    if (k.word == lower) {
      *kind = k.kind;
      return true;
    }
  }
  return false;
}

}  // namespace

bool IsOperatorToken(TokenKind kind) { return kind >= TokenKind::kAdd && kind <= TokenKind::kAt; }
bool IsAggregatorToken(TokenKind kind) {
  return kind >= TokenKind::kAvg && kind <= TokenKind::kTopk;
}
bool IsKeywordToken(TokenKind kind) {
  return kind >= TokenKind::kBool && kind <= TokenKind::kWithout;
}

std::string DescribeToken(const Token& token) {
  const TokenKind kind = token.kind;
  // Item.String() for the token kinds that have one.
  auto item_string = [&]() -> std::string {
    if (kind == TokenKind::kIdentifier || kind == TokenKind::kMetricIdentifier) {
      return model::Quote(token.text);
    }
    if (IsKeywordToken(kind)) return "<" + std::string(token.text) + ">";
    if (IsOperatorToken(kind)) return "<op:" + std::string(token.text) + ">";
    if (IsAggregatorToken(kind)) return "<aggr:" + std::string(token.text) + ">";
    if (token.text.size() > 10) return internal::QuoteTruncated(token.text, 10) + "...";
    return model::Quote(token.text);
  };
  switch (kind) {
    case TokenKind::kEof:
      return "end of input";
    case TokenKind::kError:
      return std::string(token.error);
    case TokenKind::kComment:
      return "comment " + item_string();
    case TokenKind::kIdentifier:
      return "identifier " + item_string();
    case TokenKind::kMetricIdentifier:
      return "metric identifier " + item_string();
    case TokenKind::kString:
      return "string " + item_string();
    case TokenKind::kNumber:
      return "number " + item_string();
    case TokenKind::kDuration:
      return "duration " + item_string();
    case TokenKind::kAt:
      // "@" has no entry in Prometheus' ItemTypeStr, so its type prints as goyacc's number.
      return "\"<Item 57398>\" " + item_string();
    default:
      break;
  }
  return item_string();
}

int32_t Lexer::NextRune() {
  if (pos_ >= input_.size()) {
    width_ = 0;
    return kEofRune;
  }
  int32_t r = internal::DecodeRune(input_.substr(pos_), &width_);
  pos_ += width_;
  return r;
}

int32_t Lexer::PeekRune() {
  int32_t r = NextRune();
  Backup();
  return r;
}

bool Lexer::Accept(std::string_view valid) {
  int32_t r = NextRune();
  if (r >= 0 && r < 0x80 && valid.find(static_cast<char>(r)) != std::string_view::npos) {
    return true;
  }
  Backup();
  return false;
}

void Lexer::AcceptRun(std::string_view valid) {
  while (Accept(valid)) {
  }
}

Token Lexer::Emit(TokenKind kind) {
  Token t;
  t.kind = kind;
  t.pos = start_;
  t.text = input_.substr(start_, pos_ - start_);
  start_ = pos_;
  if (kind == TokenKind::kEof) done_ = true;
  return t;
}

Token Lexer::Error(std::string message) {
  Token t;
  t.kind = TokenKind::kError;
  t.pos = start_;
  error_ = std::move(message);
  t.error = error_;
  done_ = true;
  return t;
}

Token Lexer::Next() {
  if (done_) {
    Token t;
    t.pos = start_;
    return t;
  }
  if (pending_duration_) {
    // Prometheus lexes the text right after '[' as a duration, whatever it is.
    pending_duration_ = false;
    return LexDuration();
  }
  return brace_open_ ? LexInsideBraces() : LexStatement();
}

void Lexer::SkipSpaces() {
  while (IsSpace(PeekRune())) NextRune();
  start_ = pos_;
}

Token Lexer::LexComment() {
  pos_ += 1;  // '#'
  int32_t r = NextRune();
  while (!IsEndOfLine(r) && r != kEofRune) r = NextRune();
  Backup();
  return Emit(TokenKind::kComment);
}

Token Lexer::LexStatement() {
  for (;;) {
    if (brace_open_) return LexInsideBraces();
    if (pos_ < input_.size() && input_[pos_] == '#') return LexComment();
    const int32_t r = NextRune();
    if (r == kEofRune) {
      if (paren_depth_ != 0) return Error("unclosed left parenthesis");
      if (bracket_open_) return Error("unclosed left bracket");
      return Emit(TokenKind::kEof);
    }
    if (IsSpace(r)) {
      SkipSpaces();
      continue;
    }
    switch (r) {
      case ',':
        return Emit(TokenKind::kComma);
      case '*':
        return Emit(TokenKind::kMul);
      case '/':
        return Emit(TokenKind::kDiv);
      case '%':
        return Emit(TokenKind::kMod);
      case '+':
        return Emit(TokenKind::kAdd);
      case '-':
        return Emit(TokenKind::kSub);
      case '^':
        return Emit(TokenKind::kPow);
      case '=': {
        int32_t t = PeekRune();
        if (t == '=') {
          NextRune();
          return Emit(TokenKind::kEqlc);
        }
        if (t == '~') return Error("unexpected character after '=': " + internal::QuoteRune(t));
        return Emit(TokenKind::kEql);
      }
      case '!': {
        int32_t t = NextRune();
        if (t == '=') return Emit(TokenKind::kNeq);
        return Error("unexpected character after '!': " + internal::QuoteRune(t));
      }
      case '<':
        if (PeekRune() == '=') {
          NextRune();
          return Emit(TokenKind::kLte);
        }
        return Emit(TokenKind::kLss);
      case '>':
        if (PeekRune() == '=') {
          NextRune();
          return Emit(TokenKind::kGte);
        }
        return Emit(TokenKind::kGtr);
      case '"':
      case '\'':
        return LexString(static_cast<char>(r));
      case '`':
        return LexRawString();
      case '(':
        ++paren_depth_;
        return Emit(TokenKind::kLeftParen);
      case ')': {
        Token t = Emit(TokenKind::kRightParen);
        if (--paren_depth_ < 0) return Error("unexpected right parenthesis ')'");
        return t;
      }
      case '{':
        brace_open_ = true;
        return Emit(TokenKind::kLeftBrace);
      case '[': {
        if (bracket_open_) return Error("unexpected left bracket '['");
        got_colon_ = false;
        Token t = Emit(TokenKind::kLeftBracket);
        SkipSpaces();
        bracket_open_ = true;
        pending_duration_ = true;
        return t;
      }
      case ']':
        if (!bracket_open_) return Error("unexpected right bracket ']'");
        bracket_open_ = false;
        return Emit(TokenKind::kRightBracket);
      case '@':
        return Emit(TokenKind::kAt);
      default:
        break;
    }
    if (IsDigit(r) || (r == '.' && IsDigit(PeekRune()))) {
      Backup();
      return LexNumberOrDuration();
    }
    if (IsAlpha(r) || r == ':') {
      if (!bracket_open_) {
        Backup();
        return LexKeywordOrIdentifier();
      }
      if (got_colon_) return Error("unexpected colon " + internal::QuoteRune(r));
      got_colon_ = true;
      return Emit(TokenKind::kColon);
    }
    return Error("unexpected character: " + internal::QuoteRune(r));
  }
}

Token Lexer::LexInsideBraces() {
  for (;;) {
    if (pos_ < input_.size() && input_[pos_] == '#') return LexComment();
    const int32_t r = NextRune();
    if (r == kEofRune) return Error("unexpected end of input inside braces");
    if (IsSpace(r)) {
      SkipSpaces();
      continue;
    }
    if (IsAlpha(r)) {
      Backup();
      return LexIdentifier();
    }
    switch (r) {
      case ',':
        return Emit(TokenKind::kComma);
      case '"':
      case '\'':
        return LexString(static_cast<char>(r));
      case '`':
        return LexRawString();
      case '=':
        if (NextRune() == '~') return Emit(TokenKind::kEqlRegex);
        Backup();
        return Emit(TokenKind::kEql);
      case '!': {
        int32_t nr = NextRune();
        if (nr == '~') return Emit(TokenKind::kNeqRegex);
        if (nr == '=') return Emit(TokenKind::kNeq);
        return Error("unexpected character after '!' inside braces: " + internal::QuoteRune(nr));
      }
      case '{':
        return Error("unexpected left brace '{'");
      case '}':
        brace_open_ = false;
        return Emit(TokenKind::kRightBrace);
      default:
        return Error("unexpected character inside braces: " + internal::QuoteRune(r));
    }
  }
}

Token Lexer::LexEscape(char quote, bool* ok) {
  *ok = false;
  int32_t ch = NextRune();
  int n = 0;
  uint32_t base = 0;
  uint32_t max = 0;
  switch (ch) {
    case 'a':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
    case 'v':
    case '\\':
      *ok = true;
      return {};
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
      n = 3, base = 8, max = 255;
      break;
    case 'x':
      ch = NextRune();
      n = 2, base = 16, max = 255;
      break;
    case 'u':
      ch = NextRune();
      n = 4, base = 16, max = 0x10FFFF;
      break;
    case 'U':
      ch = NextRune();
      n = 8, base = 16, max = 0x10FFFF;
      break;
    case kEofRune:
      return Error("escape sequence not terminated");
    default:
      if (ch == quote) {
        *ok = true;
        return {};
      }
      return Error("unknown escape sequence " + internal::FormatRuneU(ch));
  }
  uint32_t x = 0;
  while (n > 0) {
    uint32_t d = 16;
    if (ch >= '0' && ch <= '9') d = ch - '0';
    if (ch >= 'a' && ch <= 'f') d = ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') d = ch - 'A' + 10;
    if (d >= base) {
      if (ch == kEofRune) return Error("escape sequence not terminated");
      return Error("illegal character " + internal::FormatRuneU(ch) + " in escape sequence");
    }
    x = x * base + d;
    if (--n > 0) ch = NextRune();
  }
  if (x > max || (x >= 0xD800 && x < 0xE000)) {
    return Error("escape sequence is an invalid Unicode code point");
  }
  *ok = true;
  return {};
}

Token Lexer::LexString(char quote) {
  for (;;) {
    const int32_t r = NextRune();
    if (r == '\\') {
      bool ok = false;
      Token err = LexEscape(quote, &ok);
      if (!ok) return err;
      continue;
    }
    // Like Go's lexer, a literal U+FFFD is indistinguishable from an invalid byte here.
    if (r == internal::kRuneError) return Error("invalid UTF-8 rune");
    if (r == kEofRune || r == '\n') return Error("unterminated quoted string");
    if (r == quote) return Emit(TokenKind::kString);
  }
}

Token Lexer::LexRawString() {
  for (;;) {
    const int32_t r = NextRune();
    if (r == internal::kRuneError) return Error("invalid UTF-8 rune");
    if (r == kEofRune) return Error("unterminated raw string");
    if (r == '`') return Emit(TokenKind::kString);
  }
}

bool Lexer::ScanNumber() {
  std::string_view digits = kDigits;
  if (Accept("0") && Accept("xX")) digits = kHexDigits;
  AcceptRun(digits);
  if (Accept(".")) AcceptRun(digits);
  if (Accept("eE")) {
    Accept("+-");
    AcceptRun(kDigits);
  }
  // The number must not run into letters or digits (that would be a duration or garbage).
  return !IsAlphaNumeric(PeekRune());
}

bool Lexer::AcceptRemainingDuration() {
  if (!Accept("smhdwy")) return false;
  Accept("s");  // "ms"; bad pairs like "hs" are rejected when the duration is parsed.
  while (Accept(kDigits)) {
    AcceptRun(kDigits);
    if (!Accept("smhdw")) return false;  // "y" can only come first.
    Accept("s");
  }
  return !IsAlphaNumeric(NextRune());
}

Token Lexer::LexDuration() {
  if (ScanNumber()) return Error("missing unit character in duration");
  if (!AcceptRemainingDuration()) {
    return Error("bad duration syntax: " + model::Quote(input_.substr(start_, pos_ - start_)));
  }
  Backup();
  return Emit(TokenKind::kDuration);
}

Token Lexer::LexNumberOrDuration() {
  if (ScanNumber()) return Emit(TokenKind::kNumber);
  if (AcceptRemainingDuration()) {
    Backup();
    return Emit(TokenKind::kDuration);
  }
  return Error("bad number or duration syntax: " +
               model::Quote(input_.substr(start_, pos_ - start_)));
}

Token Lexer::LexKeywordOrIdentifier() {
  for (;;) {
    int32_t r = NextRune();
    if (IsAlphaNumeric(r) || r == ':') continue;
    Backup();
    break;
  }
  std::string_view word = input_.substr(start_, pos_ - start_);
  TokenKind kind;
  if (LookupKeyword(word, &kind)) return Emit(kind);
  if (word.find(':') == std::string_view::npos) return Emit(TokenKind::kIdentifier);
  return Emit(TokenKind::kMetricIdentifier);
}

Token Lexer::LexIdentifier() {
  while (IsAlphaNumeric(NextRune())) {
  }
  Backup();
  return Emit(TokenKind::kIdentifier);
}

}  // namespace strata::query
