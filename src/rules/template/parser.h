// The parse tree of a Go text/template (cf. text/template/parse/node.go) and its parser, which
// checks what Go checks at parse time: syntax, defined functions, declared variables,
// break/continue placement, duplicate definitions. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace strata::rules::template_internal {

enum class NodeType {
  kText,
  kAction,
  kIf,
  kWith,
  kRange,
  kTemplate,
  kBreak,
  kContinue,
  kList,
  kPipe,
  kCommand,
  kField,
  kVariable,
  kChain,
  kIdentifier,
  kDot,
  kNil,
  kBool,
  kNumber,
  kString,
};

struct Node {
  NodeType type;
  size_t pos = 0;  // Byte offset in the source.
  // kText: the text. kString: the unquoted value. kIdentifier: the function name.
  // kTemplate: the template name. kNumber: the source text.
  std::string text;
  std::string quoted;               // kString: the source text, quotes included.
  std::vector<std::string> idents;  // kField: {"a","b"} of .a.b; kVariable: {"$x","a"};
                                    // kChain: the fields after the operand.
  // kList: the nodes; kPipe: the commands; kCommand: the operands; kChain: {the operand}.
  std::vector<std::unique_ptr<Node>> children;
  std::unique_ptr<Node> pipe;       // kAction, kIf, kWith, kRange, kTemplate (may be null).
  std::unique_ptr<Node> list;       // kIf, kWith, kRange.
  std::unique_ptr<Node> else_list;  // kIf, kWith, kRange (may be null).
  std::vector<std::string> decl;    // kPipe: declared or assigned variables.
  bool is_assign = false;           // kPipe: `=` rather than `:=`.
  bool boolean = false;             // kBool.
  // kNumber: which representations are exact (Go's NumberNode).
  bool is_int = false, is_float = false;
  int64_t int_value = 0;
  double float_value = 0;

  Node(NodeType t, size_t p) : type(t), pos(p) {}
  // Go's node String(), used in error messages: `humanize "one"`, `.Labels.job`, `(query "x")`.
  std::string String() const;
};

// A parsed template set: the main template and those made by define/block.
struct TemplateSet {
  std::string text;  // The source, for line and column numbers.
  std::map<std::string, std::unique_ptr<Node>, std::less<>> trees;  // name -> kList.
};

struct ParseLimits {
  int max_depth = 100;  // Nesting of control structures and parentheses.
};

// Parses `text` as template `name`. `is_function` says whether an identifier names a function.
// Errors are InvalidArgument "template: NAME:LINE: message", as Go prints them.
Result<std::unique_ptr<TemplateSet>> ParseTemplate(
    std::string_view name, std::string_view text,
    const std::function<bool(std::string_view)>& is_function, const ParseLimits& limits);

// 1-based line and 0-based byte column of `pos` in `text`, as Go's ErrorContext computes them.
void LineAndColumn(std::string_view text, size_t pos, int* line, int* col);

}  // namespace strata::rules::template_internal
