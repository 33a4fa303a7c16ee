// A recursive-descent parser over the lexer's items, mirroring the grammar and the parse-time
// checks of Go's text/template/parse/parse.go (so that the same templates load or fail).
#include "rules/template/parser.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "model/quote.h"
#include "rules/template/lexer.h"
#include "rules/template/literals.h"
#include "rules/template/utf8.h"

namespace strata::rules::template_internal {
namespace {

class Parser {
 public:
  Parser(std::string_view name, std::string_view text,
         const std::function<bool(std::string_view)>& is_function, const ParseLimits& limits,
         TemplateSet* set)
      : name_(name), text_(text), is_function_(is_function), limits_(limits), set_(set) {
    items_ = Lex(text, limits.max_depth);
  }

  Status Run() {
    vars_ = {"$"};
    auto root = std::make_unique<Node>(NodeType::kList, 0);
    while (Peek().type != ItemType::kEOF && ok()) {
      if (Peek().type == ItemType::kLeftDelim) {
        size_t save = cur_;
        Next();
        if (NextNonSpace().type == ItemType::kDefine) {
          ParseDefinition();
          continue;
        }
        cur_ = save;
      }
      auto n = TextOrAction();
      if (!ok()) break;
      if (n->type == NodeType::kList && n->text == "end") {
        Errorf("unexpected {{end}}");
      } else if (n->type == NodeType::kList && n->text == "else") {
        Errorf("unexpected {{else}}");
      } else {
        root->children.push_back(std::move(n));
      }
    }
    if (ok()) Add(std::string(name_), std::move(root));
    return err_;
  }

 private:
  bool ok() const { return err_.ok(); }

  // Reading past the end keeps returning the last item (kEOF or kError); Backup still undoes
  // exactly one Next.
  // Errors name the line of the furthest item read, as Go's (its most recently lexed token).
  const Item& At(size_t i) {
    i = std::min(i, items_.size() - 1);
    if (items_[i].pos > last_pos_) last_pos_ = items_[i].pos;
    return items_[i];
  }
  const Item& Peek() { return At(cur_); }
  const Item& Next() { return At(cur_++); }
  const Item& NextNonSpace() {
    while (Peek().type == ItemType::kSpace) Next();
    return Next();
  }
  const Item& PeekNonSpace() {
    while (Peek().type == ItemType::kSpace) Next();
    return Peek();
  }
  void Backup() {
    if (cur_ > 0) --cur_;
  }

  std::nullptr_t Errorf(const std::string& msg) {
    if (ok()) {
      int line, col;
      LineAndColumn(text_, last_pos_, &line, &col);
      err_ = Status::InvalidArgument("template: " + std::string(name_) + ":" +
                                     std::to_string(line) + ": " + msg);
    }
    return nullptr;
  }
  std::nullptr_t Unexpected(const Item& item, std::string_view context) {
    if (item.type == ItemType::kError) {
      last_pos_ = item.pos;
      std::string extra;
      int line, col, aline, acol;
      LineAndColumn(text_, item.pos, &line, &col);
      LineAndColumn(text_, action_pos_, &aline, &acol);
      if (in_action_ && aline != line) {
        extra = " started at " + std::string(name_) + ":" + std::to_string(aline);
        if (!item.val.ends_with(" action")) extra = " in action" + extra;
      }
      return Errorf(item.val + extra);
    }
    return Errorf("unexpected " + ItemString(item) + " in " + std::string(context));
  }
  bool Expect(ItemType t, std::string_view context) {
    const Item& it = NextNonSpace();
    if (it.type != t) {
      Unexpected(it, context);
      return false;
    }
    return true;
  }

  void Add(const std::string& name, std::unique_ptr<Node> root) {
    auto it = set_->trees.find(name);
    if (it == set_->trees.end() || it->second->children.empty()) {
      set_->trees[name] = std::move(root);
      return;
    }
    if (!root->children.empty()) {
      // Go (parse.Tree.add) reports this with its own "template: " prefix inside ours.
      Errorf("template: multiple definition of template \"" + name + "\"");
    }
  }

  void ParseDefinition() {
    const Item& tok = NextNonSpace();
    std::string name;
    if (!ParseTemplateName(tok, "define clause", &name)) return;
    if (!Expect(ItemType::kRightDelim, "define clause")) return;
    auto saved_vars = std::move(vars_);
    vars_ = {"$"};
    std::unique_ptr<Node> end;
    auto list = ItemList(&end);
    vars_ = std::move(saved_vars);
    if (!ok()) return;
    if (end->text != "end") {
      Errorf("unexpected {{else}} in define clause");
      return;
    }
    Add(name, std::move(list));
  }

  bool ParseTemplateName(const Item& tok, std::string_view context, std::string* name) {
    if (tok.type != ItemType::kString && tok.type != ItemType::kRawString) {
      Unexpected(tok, context);
      return false;
    }
    if (!Unquote(tok.val, name)) {
      Errorf("invalid syntax");
      return false;
    }
    return true;
  }

  // Returns the list; *end is a marker node (kList with text "end" or "else") that stopped it.
  std::unique_ptr<Node> ItemList(std::unique_ptr<Node>* end) {
    auto list = std::make_unique<Node>(NodeType::kList, Peek().pos);
    while (PeekNonSpace().type != ItemType::kEOF) {
      auto n = TextOrAction();
      if (!ok()) return nullptr;
      if (n->type == NodeType::kList && (n->text == "end" || n->text == "else")) {
        *end = std::move(n);
        return list;
      }
      list->children.push_back(std::move(n));
    }
    return Errorf("unexpected EOF");
  }

  std::unique_ptr<Node> TextOrAction() {
    const Item& tok = NextNonSpace();
    if (tok.type == ItemType::kText) {
      auto n = std::make_unique<Node>(NodeType::kText, tok.pos);
      n->text = tok.val;
      return n;
    }
    if (tok.type == ItemType::kLeftDelim) {
      bool saved = in_action_;
      size_t saved_pos = action_pos_;
      in_action_ = true;
      action_pos_ = tok.pos;
      auto n = Action();
      in_action_ = saved;
      action_pos_ = saved_pos;
      return n;
    }
    return Unexpected(tok, "input");
  }

  std::unique_ptr<Node> Marker(const char* what, size_t pos) {
    auto n = std::make_unique<Node>(NodeType::kList, pos);
    n->text = what;
    return n;
  }

  std::unique_ptr<Node> Action() {
    const Item& tok = NextNonSpace();
    switch (tok.type) {
      case ItemType::kBlock:
        return BlockControl();
      case ItemType::kBreak:
      case ItemType::kContinue: {
        bool is_break = tok.type == ItemType::kBreak;
        size_t pos = tok.pos;
        const Item& next = NextNonSpace();
        if (next.type != ItemType::kRightDelim) {
          return Unexpected(next, is_break ? "{{break}}" : "{{continue}}");
        }
        if (range_depth_ == 0) {
          return Errorf(is_break ? "{{break}} outside {{range}}"
                                 : "{{continue}} outside {{range}}");
        }
        return std::make_unique<Node>(is_break ? NodeType::kBreak : NodeType::kContinue, pos);
      }
      case ItemType::kElse: {
        const Item& peek = PeekNonSpace();
        if (peek.type == ItemType::kIf || peek.type == ItemType::kWith) {
          return Marker("else", peek.pos);
        }
        size_t pos = Peek().pos;
        if (!Expect(ItemType::kRightDelim, "else")) return nullptr;
        return Marker("else", pos);
      }
      case ItemType::kEnd: {
        size_t pos = Peek().pos;
        if (!Expect(ItemType::kRightDelim, "end")) return nullptr;
        return Marker("end", pos);
      }
      case ItemType::kIf:
        return Control(NodeType::kIf, "if");
      case ItemType::kRange:
        return Control(NodeType::kRange, "range");
      case ItemType::kWith:
        return Control(NodeType::kWith, "with");
      case ItemType::kTemplate:
        return TemplateControl();
      default:
        break;
    }
    Backup();
    size_t pos = Peek().pos;
    auto action = std::make_unique<Node>(NodeType::kAction, pos);
    action->pipe = Pipeline("command", ItemType::kRightDelim);
    if (!ok()) return nullptr;
    return action;
  }

  std::unique_ptr<Node> Control(NodeType type, std::string_view context) {
    if (++depth_ > limits_.max_depth) {
      return Errorf("nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
    }
    size_t vars_mark = vars_.size();
    auto node = std::make_unique<Node>(type, 0);
    node->pipe = Pipeline(context, ItemType::kRightDelim);
    if (!ok()) return nullptr;
    node->pos = node->pipe->pos;
    if (type == NodeType::kRange) ++range_depth_;
    std::unique_ptr<Node> next;
    node->list = ItemList(&next);
    if (type == NodeType::kRange) --range_depth_;
    if (!ok()) return nullptr;
    if (next->text == "else") {
      if (type == NodeType::kIf && Peek().type == ItemType::kIf) {
        Next();
        node->else_list = std::make_unique<Node>(NodeType::kList, next->pos);
        auto inner = Control(NodeType::kIf, "if");
        if (!ok()) return nullptr;
        node->else_list->children.push_back(std::move(inner));
      } else if (type == NodeType::kWith && Peek().type == ItemType::kWith) {
        Next();
        node->else_list = std::make_unique<Node>(NodeType::kList, next->pos);
        auto inner = Control(NodeType::kWith, "with");
        if (!ok()) return nullptr;
        node->else_list->children.push_back(std::move(inner));
      } else {
        std::unique_ptr<Node> end;
        node->else_list = ItemList(&end);
        if (!ok()) return nullptr;
        if (end->text != "end") return Errorf("expected end; found {{else}}");
      }
    }
    vars_.resize(vars_mark);
    --depth_;
    return node;
  }

  std::unique_ptr<Node> BlockControl() {
    if (++depth_ > limits_.max_depth) {
      return Errorf("nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
    }
    const Item& tok = NextNonSpace();
    size_t pos = tok.pos;
    std::string name;
    if (!ParseTemplateName(tok, "block clause", &name)) return nullptr;
    auto node = std::make_unique<Node>(NodeType::kTemplate, pos);
    node->text = name;
    node->pipe = Pipeline("block clause", ItemType::kRightDelim);
    if (!ok()) return nullptr;
    auto saved_vars = std::move(vars_);
    int saved_range = range_depth_;
    vars_ = {"$"};
    range_depth_ = 0;
    std::unique_ptr<Node> end;
    auto list = ItemList(&end);
    vars_ = std::move(saved_vars);
    range_depth_ = saved_range;
    if (!ok()) return nullptr;
    if (end->text != "end") return Errorf("unexpected {{else}} in block clause");
    Add(name, std::move(list));
    --depth_;
    return node;
  }

  std::unique_ptr<Node> TemplateControl() {
    const Item& tok = NextNonSpace();
    size_t pos = tok.pos;
    std::string name;
    if (!ParseTemplateName(tok, "template clause", &name)) return nullptr;
    auto node = std::make_unique<Node>(NodeType::kTemplate, pos);
    node->text = name;
    if (NextNonSpace().type != ItemType::kRightDelim) {
      Backup();
      node->pipe = Pipeline("template clause", ItemType::kRightDelim);
      if (!ok()) return nullptr;
    }
    return node;
  }

  std::unique_ptr<Node> Pipeline(std::string_view context, ItemType end) {
    auto pipe = std::make_unique<Node>(NodeType::kPipe, PeekNonSpace().pos);
    while (PeekNonSpace().type == ItemType::kVariable) {
      size_t save = cur_;
      const Item& v = Next();
      std::string var = v.val;
      const Item& next = PeekNonSpace();
      if (next.type == ItemType::kAssign || next.type == ItemType::kDeclare) {
        pipe->is_assign = next.type == ItemType::kAssign;
        NextNonSpace();
        pipe->decl.push_back(var);
        vars_.push_back(var);
        break;
      }
      if (next.type == ItemType::kChar && next.val == ",") {
        NextNonSpace();
        pipe->decl.push_back(var);
        vars_.push_back(var);
        if (context == "range" && pipe->decl.size() < 2) {
          ItemType t = PeekNonSpace().type;
          if (t == ItemType::kVariable || t == ItemType::kRightDelim ||
              t == ItemType::kRightParen) {
            continue;
          }
          return Errorf("range can only initialize variables");
        }
        return Errorf("too many declarations in " + std::string(context));
      }
      cur_ = save;
      break;
    }
    while (true) {
      const Item& tok = NextNonSpace();
      if (tok.type == end) {
        if (pipe->children.empty()) return Errorf("missing value for " + std::string(context));
        for (size_t i = 1; i < pipe->children.size(); ++i) {
          NodeType t = pipe->children[i]->children[0]->type;
          if (t == NodeType::kBool || t == NodeType::kDot || t == NodeType::kNil ||
              t == NodeType::kNumber || t == NodeType::kString) {
            return Errorf("non executable command in pipeline stage " + std::to_string(i + 1));
          }
        }
        return pipe;
      }
      switch (tok.type) {
        case ItemType::kBool:
        case ItemType::kCharConstant:
        case ItemType::kDot:
        case ItemType::kField:
        case ItemType::kIdentifier:
        case ItemType::kNumber:
        case ItemType::kNil:
        case ItemType::kRawString:
        case ItemType::kString:
        case ItemType::kVariable:
        case ItemType::kLeftParen: {
          Backup();
          auto cmd = Command();
          if (!ok()) return nullptr;
          pipe->children.push_back(std::move(cmd));
          break;
        }
        default:
          return Unexpected(tok, context);
      }
    }
  }

  std::unique_ptr<Node> Command() {
    auto cmd = std::make_unique<Node>(NodeType::kCommand, PeekNonSpace().pos);
    while (true) {
      PeekNonSpace();
      auto operand = Operand();
      if (!ok()) return nullptr;
      if (operand) cmd->children.push_back(std::move(operand));
      const Item& tok = Next();
      if (tok.type == ItemType::kSpace) continue;
      if (tok.type == ItemType::kRightDelim || tok.type == ItemType::kRightParen) {
        Backup();
      } else if (tok.type != ItemType::kPipe) {
        return Unexpected(tok, "operand");
      }
      break;
    }
    if (cmd->children.empty()) return Errorf("empty command");
    return cmd;
  }

  std::unique_ptr<Node> Operand() {
    auto node = Term();
    if (!node) return nullptr;
    if (Peek().type == ItemType::kField) {
      auto chain = std::make_unique<Node>(NodeType::kChain, Peek().pos);
      while (Peek().type == ItemType::kField) chain->idents.push_back(Next().val.substr(1));
      switch (node->type) {
        case NodeType::kField:
        case NodeType::kVariable:
          // Go positions the merged node at its first trailing field.
          for (auto& f : chain->idents) node->idents.push_back(f);
          node->pos = chain->pos;
          return node;
        case NodeType::kBool:
        case NodeType::kString:
        case NodeType::kNumber:
        case NodeType::kNil:
        case NodeType::kDot:
          return Errorf("unexpected . after term " + model::Quote(node->String()));
        default:
          chain->children.push_back(std::move(node));
          return chain;
      }
    }
    return node;
  }

  std::unique_ptr<Node> Term() {
    const Item& tok = NextNonSpace();
    switch (tok.type) {
      case ItemType::kIdentifier: {
        if (!is_function_(tok.val)) return Errorf("function \"" + tok.val + "\" not defined");
        auto n = std::make_unique<Node>(NodeType::kIdentifier, tok.pos);
        n->text = tok.val;
        return n;
      }
      case ItemType::kDot:
        return std::make_unique<Node>(NodeType::kDot, tok.pos);
      case ItemType::kNil:
        return std::make_unique<Node>(NodeType::kNil, tok.pos);
      case ItemType::kVariable: {
        auto n = std::make_unique<Node>(NodeType::kVariable, tok.pos);
        size_t start = 0;
        while (true) {
          size_t dot = tok.val.find('.', start);
          n->idents.push_back(tok.val.substr(start, dot - start));
          if (dot == std::string::npos) break;
          start = dot + 1;
        }
        for (const auto& v : vars_) {
          if (v == n->idents[0]) return n;
        }
        return Errorf("undefined variable \"" + n->idents[0] + "\"");
      }
      case ItemType::kField: {
        auto n = std::make_unique<Node>(NodeType::kField, tok.pos);
        n->idents.push_back(tok.val.substr(1));
        return n;
      }
      case ItemType::kBool: {
        auto n = std::make_unique<Node>(NodeType::kBool, tok.pos);
        n->boolean = tok.val == "true";
        return n;
      }
      case ItemType::kCharConstant:
      case ItemType::kNumber:
        return Number(tok);
      case ItemType::kLeftParen: {
        if (++depth_ > limits_.max_depth) {
          return Errorf("nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
        }
        auto p = Pipeline("parenthesized pipeline", ItemType::kRightParen);
        --depth_;
        return p;
      }
      case ItemType::kString:
      case ItemType::kRawString: {
        auto n = std::make_unique<Node>(NodeType::kString, tok.pos);
        n->quoted = tok.val;
        if (!Unquote(tok.val, &n->text)) return Errorf("invalid syntax");
        return n;
      }
      default:
        Backup();
        return nullptr;
    }
  }

  std::unique_ptr<Node> Number(const Item& tok) {
    auto n = std::make_unique<Node>(NodeType::kNumber, tok.pos);
    n->text = tok.val;
    if (tok.type == ItemType::kCharConstant) {
      std::string s;
      if (!Unquote(tok.val, &s)) return Errorf("malformed character constant: " + tok.val);
      size_t i = 0;
      uint32_t r = DecodeRune(s, &i);
      n->is_int = n->is_float = true;
      n->int_value = r;
      n->float_value = r;
      return n;
    }
    const std::string& t = tok.val;
    if (!t.empty() && t.back() == 'i') return Errorf("complex numbers are not supported: " + t);
    int64_t i;
    if (ParseGoInt(t, &i)) {
      n->is_int = n->is_float = true;
      n->int_value = i;
      n->float_value = static_cast<double>(i);
      return n;
    }
    std::string clean;
    for (char c : t) {
      if (c != '_') clean.push_back(c);
    }
    char* endp = nullptr;
    double f = std::strtod(clean.c_str(), &endp);
    bool hex = clean.find_first_of("xX") != std::string::npos;
    if (endp != clean.c_str() + clean.size() || clean.empty() ||
        (hex && clean.find_first_of("pP") == std::string::npos &&
         clean.find('.') != std::string::npos)) {
      return Errorf("illegal number syntax: \"" + t + "\"");
    }
    if (t.find_first_of(".eEpP") == std::string::npos ||
        (hex && t.find_first_of("pP") == std::string::npos)) {
      return Errorf("integer overflow: \"" + t + "\"");  // Digits only: an int too large.
    }
    if (std::isinf(f)) return Errorf("illegal number syntax: \"" + t + "\"");
    n->is_float = true;
    n->float_value = f;
    if (f >= -9.2233720368547758e18 && f < 9.2233720368547758e18 &&
        static_cast<double>(static_cast<int64_t>(f)) == f) {
      n->is_int = true;
      n->int_value = static_cast<int64_t>(f);
    }
    return n;
  }

  std::string_view name_;
  std::string_view text_;
  const std::function<bool(std::string_view)>& is_function_;
  ParseLimits limits_;
  TemplateSet* set_;
  std::vector<Item> items_;
  size_t cur_ = 0;
  size_t last_pos_ = 0;
  bool in_action_ = false;
  size_t action_pos_ = 0;
  std::vector<std::string> vars_;
  int range_depth_ = 0;
  int depth_ = 0;
  Status err_;
};

}  // namespace

Result<std::unique_ptr<TemplateSet>> ParseTemplate(
    std::string_view name, std::string_view text,
    const std::function<bool(std::string_view)>& is_function, const ParseLimits& limits) {
  auto set = std::make_unique<TemplateSet>();
  set->text = std::string(text);
  Parser parser(name, set->text, is_function, limits, set.get());
  STRATA_RETURN_IF_ERROR(parser.Run());
  return set;
}

}  // namespace strata::rules::template_internal
