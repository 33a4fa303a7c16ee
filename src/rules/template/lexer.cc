// Follows the states of Go's text/template/parse/lex.go: text until "{{", then tokens until
// "}}", with "{{- " and " -}}" trimming the white space of the adjacent text.
#include "rules/template/lexer.h"

#include <cstdio>

#include "model/quote.h"
#include "rules/template/utf8.h"

namespace strata::rules::template_internal {
namespace {

constexpr std::string_view kLeftDelim = "{{";
constexpr std::string_view kRightDelim = "}}";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
// Go's isAlphaNumeric: '_', letters and digits. Without Unicode tables, non-ASCII runes count
// as letters unless they are spaces, format characters or Latin-1 punctuation and symbols.
bool IsAlnumRune(uint32_t r) {
  if (r < 0x80) {
    return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9');
  }
  if (r == 0xFFFD || r == 0x85 || r == 0xFEFF || r == 0x3000 || r == 0x205F) return false;
  if (r >= 0x80 && r <= 0xBF) return r == 0xAA || r == 0xB5 || r == 0xBA;
  if (r == 0xD7 || r == 0xF7) return false;
  if ((r >= 0x2000 && r <= 0x206F) || (r >= 0x2E00 && r <= 0x2E7F)) return false;
  return true;
}

// Byte length of the letter or digit at s[pos], 0 if there is none.
size_t AlnumLen(std::string_view s, size_t pos) {
  if (pos >= s.size()) return 0;
  size_t next = pos;
  return IsAlnumRune(DecodeRune(s, &next)) ? next - pos : 0;
}

std::string RuneDesc(std::string_view s, size_t pos) {
  // Go's %#U: "U+00A0", plus ' c' for printable runes.
  size_t next = pos;
  uint32_t r = DecodeRune(s, &next);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "U+%04X", r);
  std::string out = buf;
  bool printable = (r > 0x20 && r < 0x7F) ||
                   (r > 0xA0 && r != 0xAD && r != 0xFEFF && !(r >= 0x2000 && r <= 0x200F) &&
                    !(r >= 0x2028 && r <= 0x202F) && r != 0x3000);
  if (printable) {
    out += " '";
    out.append(s.substr(pos, next - pos));
    out += "'";
  }
  return out;
}

class Lexer {
 public:
  Lexer(std::string_view input, int max_paren_depth)
      : in_(input), max_paren_depth_(max_paren_depth) {}

  std::vector<Item> Run() {
    while (!done_) LexText();
    return std::move(items_);
  }

 private:
  void Emit(ItemType t) {
    items_.push_back({t, start_, std::string(in_.substr(start_, pos_ - start_))});
    start_ = pos_;
  }
  void Error(std::string msg) {
    items_.push_back({ItemType::kError, start_, std::move(msg)});
    done_ = true;
  }
  bool HasLeftTrim(size_t at) const {
    return at + 1 < in_.size() && in_[at] == '-' && IsSpace(in_[at + 1]);
  }
  // Whether a right delimiter (maybe trim-marked) starts at pos_; sets *trim.
  bool AtRightDelim(bool* trim) const {
    if (pos_ + 1 < in_.size() && IsSpace(in_[pos_]) && in_[pos_ + 1] == '-' &&
        in_.substr(pos_ + 2).starts_with(kRightDelim)) {
      *trim = true;
      return true;
    }
    *trim = false;
    return in_.substr(pos_).starts_with(kRightDelim);
  }

  void LexText() {
    size_t x = in_.find(kLeftDelim, pos_);
    if (x == std::string_view::npos) {
      pos_ = in_.size();
      if (pos_ > start_) Emit(ItemType::kText);
      items_.push_back({ItemType::kEOF, pos_, ""});
      done_ = true;
      return;
    }
    size_t text_end = x;
    bool trim = HasLeftTrim(x + kLeftDelim.size());
    if (trim) {
      while (text_end > start_ && IsSpace(in_[text_end - 1])) --text_end;
    }
    pos_ = text_end;
    if (pos_ > start_) Emit(ItemType::kText);
    pos_ = x + kLeftDelim.size();
    start_ = x;
    size_t after_marker = trim ? 2 : 0;
    if (in_.substr(pos_ + after_marker).starts_with("/*")) {
      pos_ += after_marker;
      LexComment();
      return;
    }
    Emit(ItemType::kLeftDelim);
    pos_ += after_marker;
    start_ = pos_;
    paren_depth_ = 0;
    while (!done_ && !LexInsideAction()) {
    }
  }

  void LexComment() {
    size_t close = in_.find("*/", pos_ + 2);
    if (close == std::string_view::npos) return Error("unclosed comment");
    pos_ = close + 2;
    bool trim;
    if (!AtRightDelim(&trim)) return Error("comment ends before closing delimiter");
    pos_ += (trim ? 2 : 0) + kRightDelim.size();
    if (trim) {
      while (pos_ < in_.size() && IsSpace(in_[pos_])) ++pos_;
    }
    start_ = pos_;
  }

  // One token inside an action; true when the action has ended.
  bool LexInsideAction() {
    bool trim;
    if (AtRightDelim(&trim)) {
      if (paren_depth_ != 0) {
        Error("unclosed left paren");
        return true;
      }
      if (trim) pos_ += 2;
      start_ = pos_;
      pos_ += kRightDelim.size();
      Emit(ItemType::kRightDelim);
      if (trim) {
        while (pos_ < in_.size() && IsSpace(in_[pos_])) ++pos_;
        start_ = pos_;
      }
      return true;
    }
    if (pos_ >= in_.size()) {
      Error("unclosed action");
      return true;
    }
    char c = in_[pos_];
    if (IsSpace(c)) {
      size_t n = 0;
      while (pos_ < in_.size() && IsSpace(in_[pos_])) {
        ++pos_;
        ++n;
      }
      // A space followed by "-}}" belongs to the trim marker.
      if (pos_ < in_.size() && in_[pos_] == '-' && in_.substr(pos_ + 1).starts_with(kRightDelim)) {
        --pos_;
        if (n == 1) return false;
      }
      Emit(ItemType::kSpace);
      return false;
    }
    ++pos_;
    switch (c) {
      case '=':
        Emit(ItemType::kAssign);
        return false;
      case ':':
        if (pos_ >= in_.size() || in_[pos_] != '=') {
          Error("expected :=");
          return true;
        }
        ++pos_;
        Emit(ItemType::kDeclare);
        return false;
      case '|':
        Emit(ItemType::kPipe);
        return false;
      case '"':
        return LexQuote('"', ItemType::kString, "unterminated quoted string");
      case '\'':
        return LexQuote('\'', ItemType::kCharConstant, "unterminated character constant");
      case '`': {
        size_t close = in_.find('`', pos_);
        if (close == std::string_view::npos) {
          Error("unterminated raw quoted string");
          return true;
        }
        pos_ = close + 1;
        Emit(ItemType::kRawString);
        return false;
      }
      case '$':
        return LexFieldOrVariable(ItemType::kVariable);
      case '.':
        // A '.' followed by a digit, or ending the input, starts a number (as in Go).
        if (pos_ >= in_.size() || (in_[pos_] >= '0' && in_[pos_] <= '9')) {
          --pos_;
          return LexNumber();
        }
        return LexFieldOrVariable(ItemType::kField);
      case '(':
        if (++paren_depth_ > max_paren_depth_) {
          Error("max expression depth exceeded");
          return true;
        }
        Emit(ItemType::kLeftParen);
        return false;
      case ')':
        // Go emits the parenthesis before the error, so the parser reports it first.
        Emit(ItemType::kRightParen);
        if (--paren_depth_ < 0) {
          Error("unexpected right paren U+0029 ')'");
          return true;
        }
        return false;
      default:
        break;
    }
    if (c == '+' || c == '-' || (c >= '0' && c <= '9')) {
      --pos_;
      return LexNumber();
    }
    if (AlnumLen(in_, pos_ - 1) > 0) {
      --pos_;
      return LexIdentifier();
    }
    if (static_cast<unsigned char>(c) < 0x80 && c > 0x20 && c < 0x7F) {
      Emit(ItemType::kChar);
      return false;
    }
    Error("unrecognized character in action: " + RuneDesc(in_, pos_ - 1));
    return true;
  }

  bool LexQuote(char q, ItemType t, const char* unterminated) {
    while (true) {
      if (pos_ >= in_.size() || in_[pos_] == '\n') {
        Error(unterminated);
        return true;
      }
      char c = in_[pos_++];
      if (c == '\\') {
        if (pos_ >= in_.size() || in_[pos_] == '\n') {
          Error(unterminated);
          return true;
        }
        ++pos_;
      } else if (c == q) {
        break;
      }
    }
    Emit(t);
    return false;
  }

  bool AtTerminator() const {
    if (pos_ >= in_.size()) return true;
    char c = in_[pos_];
    return IsSpace(c) || c == '.' || c == ',' || c == '|' || c == ':' || c == ')' || c == '(' ||
           c == kRightDelim[0];
  }

  bool LexFieldOrVariable(ItemType t) {
    if (AtTerminator()) {
      Emit(t == ItemType::kVariable ? ItemType::kVariable : ItemType::kDot);
      return false;
    }
    while (size_t n = AlnumLen(in_, pos_)) pos_ += n;
    if (!AtTerminator()) {
      Error("bad character " + RuneDesc(in_, pos_));
      return true;
    }
    Emit(t);
    return false;
  }

  bool LexIdentifier() {
    while (size_t n = AlnumLen(in_, pos_)) pos_ += n;
    if (!AtTerminator()) {
      Error("bad character " + RuneDesc(in_, pos_));
      return true;
    }
    std::string_view word = in_.substr(start_, pos_ - start_);
    static constexpr std::pair<std::string_view, ItemType> kKeywords[] = {
        {"block", ItemType::kBlock},
        {"break", ItemType::kBreak},
        {"continue", ItemType::kContinue},
        {"define", ItemType::kDefine},
        {"else", ItemType::kElse},
        {"end", ItemType::kEnd},
        {"if", ItemType::kIf},
        {"range", ItemType::kRange},
        {"nil", ItemType::kNil},
        {"template", ItemType::kTemplate},
        {"with", ItemType::kWith},
    };
    for (const auto& [k, t] : kKeywords) {
      if (word == k) {
        Emit(t);
        return false;
      }
    }
    Emit(word == "true" || word == "false" ? ItemType::kBool : ItemType::kIdentifier);
    return false;
  }

  bool Accept(std::string_view valid) {
    if (pos_ < in_.size() && valid.find(in_[pos_]) != std::string_view::npos) {
      ++pos_;
      return true;
    }
    return false;
  }
  void AcceptRun(std::string_view valid) {
    while (Accept(valid)) {
    }
  }

  bool LexNumber() {
    if (!ScanNumber()) {
      Error("bad number syntax: " + model::Quote(in_.substr(start_, pos_ - start_)));
      return true;
    }
    if (pos_ < in_.size() && (in_[pos_] == '+' || in_[pos_] == '-')) {
      // A complex constant (1+2i): no spaces, ends in 'i'.
      if (!ScanNumber() || in_[pos_ - 1] != 'i') {
        Error("bad number syntax: " + model::Quote(in_.substr(start_, pos_ - start_)));
        return true;
      }
    }
    Emit(ItemType::kNumber);
    return false;
  }

  // Go's scanNumber: false (having consumed one more rune) when a letter or digit follows.
  bool ScanNumber() {
    Accept("+-");
    std::string_view digits = "0123456789_";
    if (Accept("0")) {
      if (Accept("xX")) {
        digits = "0123456789abcdefABCDEF_";
      } else if (Accept("oO")) {
        digits = "01234567_";
      } else if (Accept("bB")) {
        digits = "01_";
      }
    }
    AcceptRun(digits);
    if (Accept(".")) AcceptRun(digits);
    if (digits.size() == 11 && Accept("eE")) {
      Accept("+-");
      AcceptRun("0123456789_");
    }
    if (digits.size() == 23 && Accept("pP")) {
      Accept("+-");
      AcceptRun("0123456789_");
    }
    Accept("i");
    if (size_t n = AlnumLen(in_, pos_)) {
      pos_ += n;
      return false;
    }
    return true;
  }

  std::string_view in_;
  int max_paren_depth_;
  size_t start_ = 0;
  size_t pos_ = 0;
  int paren_depth_ = 0;
  bool done_ = false;
  std::vector<Item> items_;
};

}  // namespace

std::string ItemString(const Item& item) {
  if (item.type == ItemType::kEOF) return "EOF";
  if (item.type == ItemType::kError) return item.val;
  if (item.type > ItemType::kKeyword) return "<" + item.val + ">";
  // %.10q: at most 10 runes, then quoted, then "...".
  size_t runes = 0, i = 0;
  while (i < item.val.size() && runes < 10) {
    ++i;
    while (i < item.val.size() && (static_cast<unsigned char>(item.val[i]) & 0xC0) == 0x80) ++i;
    ++runes;
  }
  if (i < item.val.size()) return model::Quote(std::string_view(item.val).substr(0, i)) + "...";
  return model::Quote(item.val);
}

std::vector<Item> Lex(std::string_view input, int max_paren_depth) {
  return Lexer(input, max_paren_depth).Run();
}

}  // namespace strata::rules::template_internal
