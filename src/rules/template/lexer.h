// Lexer for Go text/template source: text, {{ }} actions with trim markers and comments, and the
// tokens inside actions, each with its byte offset. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace strata::rules::template_internal {

enum class ItemType {
  kError,  // val is the error text; ends the item list.
  kBool,
  kChar,  // A printable ASCII character outside the other tokens, e.g. ','.
  kCharConstant,
  kAssign,   // =
  kDeclare,  // :=
  kEOF,
  kField,  // .Name
  kIdentifier,
  kLeftDelim,
  kLeftParen,
  kNumber,
  kPipe,
  kRawString,
  kRightDelim,
  kRightParen,
  kSpace,
  kString,
  kText,
  kVariable,  // $ or $name
  // Keywords (after kKeyword).
  kKeyword,
  kBlock,
  kBreak,
  kContinue,
  kDot,
  kDefine,
  kElse,
  kEnd,
  kIf,
  kNil,
  kRange,
  kTemplate,
  kWith,
};

struct Item {
  ItemType type;
  size_t pos;  // Byte offset of the token in the input.
  std::string val;
};

// Go's item String() for error messages: EOF, <keyword>, "quoted" (truncated after 10 runes).
std::string ItemString(const Item& item);

// Lexes all of `input`; the last item is kEOF or kError. Nesting of parentheses is capped at
// `max_paren_depth` (a kError beyond).
std::vector<Item> Lex(std::string_view input, int max_paren_depth);

}  // namespace strata::rules::template_internal
