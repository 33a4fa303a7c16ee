// Go's String() of parse nodes (text/template/parse/node.go), which execution errors quote,
// and Go's line:column of a position.
#include <string>

#include "rules/template/parser.h"

namespace strata::rules::template_internal {
namespace {

void WriteNode(const Node& n, std::string* sb);

void WritePipe(const Node& p, std::string* sb) {
  for (size_t i = 0; i < p.decl.size(); ++i) {
    if (i > 0) *sb += ", ";
    *sb += p.decl[i];
  }
  if (!p.decl.empty()) *sb += p.is_assign ? " = " : " := ";
  for (size_t i = 0; i < p.children.size(); ++i) {
    if (i > 0) *sb += " | ";
    WriteNode(*p.children[i], sb);
  }
}

void WriteNode(const Node& n, std::string* sb) {
  switch (n.type) {
    case NodeType::kText:
      *sb += n.text;
      return;
    case NodeType::kAction:
      *sb += "{{";
      WritePipe(*n.pipe, sb);
      *sb += "}}";
      return;
    case NodeType::kPipe:
      WritePipe(n, sb);
      return;
    case NodeType::kCommand:
      for (size_t i = 0; i < n.children.size(); ++i) {
        if (i > 0) sb->push_back(' ');
        if (n.children[i]->type == NodeType::kPipe) {
          sb->push_back('(');
          WritePipe(*n.children[i], sb);
          sb->push_back(')');
        } else {
          WriteNode(*n.children[i], sb);
        }
      }
      return;
    case NodeType::kField:
      for (const auto& f : n.idents) *sb += "." + f;
      return;
    case NodeType::kVariable:
      for (size_t i = 0; i < n.idents.size(); ++i) {
        if (i > 0) sb->push_back('.');
        *sb += n.idents[i];
      }
      return;
    case NodeType::kChain:
      if (n.children[0]->type == NodeType::kPipe) {
        sb->push_back('(');
        WritePipe(*n.children[0], sb);
        sb->push_back(')');
      } else {
        WriteNode(*n.children[0], sb);
      }
      for (const auto& f : n.idents) *sb += "." + f;
      return;
    case NodeType::kIdentifier:
    case NodeType::kNumber:
      *sb += n.text;
      return;
    case NodeType::kString:
      *sb += n.quoted;
      return;
    case NodeType::kDot:
      *sb += ".";
      return;
    case NodeType::kNil:
      *sb += "nil";
      return;
    case NodeType::kBool:
      *sb += n.boolean ? "true" : "false";
      return;
    case NodeType::kTemplate:
      *sb += "{{template \"" + n.text + "\"";
      if (n.pipe) {
        sb->push_back(' ');
        WritePipe(*n.pipe, sb);
      }
      *sb += "}}";
      return;
    case NodeType::kIf:
    case NodeType::kWith:
    case NodeType::kRange:
      *sb += n.type == NodeType::kIf ? "{{if " : n.type == NodeType::kWith ? "{{with " : "{{range ";
      WritePipe(*n.pipe, sb);
      *sb += "}}";
      return;
    case NodeType::kBreak:
      *sb += "{{break}}";
      return;
    case NodeType::kContinue:
      *sb += "{{continue}}";
      return;
    case NodeType::kList:
      for (const auto& c : n.children) WriteNode(*c, sb);
      return;
  }
}

}  // namespace

std::string Node::String() const {
  std::string s;
  WriteNode(*this, &s);
  return s;
}

void LineAndColumn(std::string_view text, size_t pos, int* line, int* col) {
  if (pos > text.size()) pos = text.size();
  std::string_view before = text.substr(0, pos);
  size_t nl = before.rfind('\n');
  *line = 1;
  for (char c : before) *line += c == '\n';
  *col = nl == std::string_view::npos ? static_cast<int>(pos) : static_cast<int>(pos - nl - 1);
}

}  // namespace strata::rules::template_internal
