// The tree walker of Go's text/template (exec.go): pipelines feed each command's result to the
// next as its last argument, arguments are checked against the callee's parameter types, and
// errors name the node being evaluated, as Go's do.
#include "rules/template/exec.h"

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "rules/template/funcs.h"
#include "rules/template/go_fmt.h"

namespace strata::rules::template_internal {
namespace {

enum class Flow { kNormal, kBreak, kContinue };
using Args = std::span<const std::unique_ptr<Node>>;

// Methods of *time.Time that templates may call (toTime's result).
Result<Value> TimeMethod(const Time& t, std::string_view name, std::span<const Value> args) {
  int64_t ns = t.unix_nanos;
  auto floor_div = [](int64_t a, int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
  };
  if (name == "Unix") return Value::Int(floor_div(ns, 1000000000));
  if (name == "UnixMilli") return Value::Int(floor_div(ns, 1000000));
  if (name == "UnixNano") return Value::Int(ns);
  if (name == "String") return Value::String(FormatGoTime(ns));
  if (name == "UTC" || name == "Local") return Value::Of(t);
  if (name == "Format") return Value::String(FormatGoTimeLayout(ns, args[0].Str()));
  return Status::Internal("unknown method");
}

struct MethodInfo {
  std::string_view name;
  FuncInfo info;
};

const MethodInfo* FindTimeMethod(std::string_view name) {
  static const MethodInfo kMethods[] = {
      {"Unix", {"Unix", {}, false, nullptr}},
      {"UnixMilli", {"UnixMilli", {}, false, nullptr}},
      {"UnixNano", {"UnixNano", {}, false, nullptr}},
      {"String", {"String", {}, false, nullptr}},
      {"UTC", {"UTC", {}, false, nullptr}},
      {"Local", {"Local", {}, false, nullptr}},
      {"Format", {"Format", {ParamType::kString}, false, nullptr}},
  };
  for (const auto& m : kMethods) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

bool IsHexInt(const std::string& t) {
  size_t i = (!t.empty() && (t[0] == '+' || t[0] == '-')) ? 1 : 0;
  return t.size() > i + 1 && t[i] == '0' && (t[i + 1] == 'x' || t[i + 1] == 'X') &&
         t.find_first_of("pP") == std::string::npos;
}

class State {
 public:
  State(const TemplateSet& set, std::string_view parse_name, const TemplateContext& ctx,
        const ExecLimits& limits)
      : set_(set), parse_name_(parse_name), limits_(limits) {
    env_.ctx = &ctx;
  }

  Result<std::string> Run(std::string_view name, const Value& dot) {
    auto it = set_.trees.find(name);
    if (it == set_.trees.end()) {
      return Status::FailedPrecondition("template: no template \"" + std::string(name) + "\"");
    }
    stack_base_ = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
    tmpl_name_ = std::string(name);
    vars_ = {{"$", dot}};
    STRATA_ASSIGN_OR_RETURN(Flow f, Walk(dot, *it->second));
    (void)f;
    return std::move(out_);
  }

 private:
  // Out of line and cold: keeps the string temporaries of error messages out of the frames of
  // the recursive walkers.
  [[gnu::noinline, gnu::cold]] Status Errorf(const std::string& msg) const {
    if (at_ == nullptr) {
      return Status::FailedPrecondition("template: " + tmpl_name_ + ": " + msg);
    }
    int line, col;
    LineAndColumn(set_.text, at_->pos, &line, &col);
    return Status::FailedPrecondition("template: " + std::string(parse_name_) + ":" +
                                      std::to_string(line) + ":" + std::to_string(col) +
                                      ": executing \"" + tmpl_name_ + "\" at <" + at_->String() +
                                      ">: " + msg);
  }

  Status Step() {
    if (++steps_ > limits_.max_steps) {
      return Errorf("execution exceeded " + std::to_string(limits_.max_steps) + " steps");
    }
    return Status::Ok();
  }

  Status Write(std::string_view s) {
    if (out_.size() + s.size() > limits_.max_output_bytes) {
      return Errorf("output exceeds " + std::to_string(limits_.max_output_bytes) + " bytes");
    }
    out_.append(s);
    return Status::Ok();
  }

  Result<Value> VarValue(const std::string& name) {
    for (size_t i = vars_.size(); i-- > 0;) {
      if (vars_[i].first == name) return vars_[i].second;
    }
    return Errorf("undefined variable: " + name);
  }
  Status SetVar(const std::string& name, const Value& v) {
    for (size_t i = vars_.size(); i-- > 0;) {
      if (vars_[i].first == name) {
        vars_[i].second = v;
        return Status::Ok();
      }
    }
    return Errorf("undefined variable: " + name);
  }

  // Bounds the C++ recursion of Walk and EvalPipeline (template calls times nesting) by the
  // stack it uses, whatever the frame sizes of the build (sanitizers make them much larger).
  static constexpr uintptr_t kMaxStackBytes = 1 << 20;

  bool TooDeep() const {
    auto here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
    return stack_base_ > here && stack_base_ - here > kMaxStackBytes;
  }

  Result<Flow> Walk(const Value& dot, const Node& node) {
    // A list names nothing useful in an error; errors while walking it name the last node.
    if (node.type != NodeType::kList) at_ = &node;
    STRATA_RETURN_IF_ERROR(Step());
    if (TooDeep()) return Errorf("execution nested too deeply");
    return WalkNode(dot, node);
  }

  Result<Flow> WalkNode(const Value& dot, const Node& node) {
    switch (node.type) {
      case NodeType::kAction:
        return WalkAction(dot, node);
      case NodeType::kBreak:
        return Flow::kBreak;
      case NodeType::kContinue:
        return Flow::kContinue;
      case NodeType::kIf:
      case NodeType::kWith:
        return WalkIfOrWith(dot, node);
      case NodeType::kList:
        for (const auto& child : node.children) {
          STRATA_ASSIGN_OR_RETURN(Flow f, Walk(dot, *child));
          if (f != Flow::kNormal) return f;
        }
        return Flow::kNormal;
      case NodeType::kRange:
        return WalkRange(dot, node);
      case NodeType::kTemplate:
        return WalkTemplate(dot, node);
      case NodeType::kText:
        STRATA_RETURN_IF_ERROR(Write(node.text));
        return Flow::kNormal;
      default:
        return Errorf("unknown node: " + node.String());
    }
  }

  [[gnu::noinline]] Result<Flow> WalkAction(const Value& dot, const Node& node) {
    STRATA_ASSIGN_OR_RETURN(Value val, EvalPipeline(dot, *node.pipe));
    if (node.pipe->decl.empty()) {
      at_ = &node;
      STRATA_RETURN_IF_ERROR(Write(PrintForTemplate(val)));
    }
    return Flow::kNormal;
  }

  Result<Flow> WalkIfOrWith(const Value& dot, const Node& node) {
    size_t mark = vars_.size();
    STRATA_ASSIGN_OR_RETURN(Value val, EvalPipeline(dot, *node.pipe));
    Flow f = Flow::kNormal;
    if (IsTrue(val)) {
      STRATA_ASSIGN_OR_RETURN(f, Walk(node.type == NodeType::kWith ? val : dot, *node.list));
    } else if (node.else_list) {
      STRATA_ASSIGN_OR_RETURN(f, Walk(dot, *node.else_list));
    }
    vars_.resize(mark);
    return f;
  }

  [[gnu::noinline]] Result<Flow> WalkRange(const Value& dot, const Node& r) {
    at_ = &r;
    size_t mark = vars_.size();
    STRATA_ASSIGN_OR_RETURN(Value val, EvalPipeline(dot, *r.pipe));
    size_t body_mark = vars_.size();
    const auto& decl = r.pipe->decl;
    // Runs one iteration; false when the loop must stop ({{break}}).
    auto one = [&](const Value& index, const Value& elem) -> Result<bool> {
      if (!decl.empty()) {
        if (r.pipe->is_assign) {
          STRATA_RETURN_IF_ERROR(SetVar(decl[0], decl.size() > 1 ? index : elem));
        } else {
          vars_[vars_.size() - 1].second = elem;
        }
      }
      if (decl.size() > 1) {
        if (r.pipe->is_assign) {
          STRATA_RETURN_IF_ERROR(SetVar(decl[1], elem));
        } else {
          vars_[vars_.size() - 2].second = index;
        }
      }
      STRATA_ASSIGN_OR_RETURN(Flow f, Walk(elem, *r.list));
      vars_.resize(body_mark);
      return f != Flow::kBreak;
    };
    bool ran = false;
    switch (val.kind()) {
      case Kind::kQueryResult: {
        const auto& list = *std::get<std::shared_ptr<const QueryResult>>(val.v);
        for (size_t i = 0; i < list.size(); ++i) {
          ran = true;
          STRATA_ASSIGN_OR_RETURN(bool go_on,
                                  one(Value::Int(static_cast<int64_t>(i)), Value::Of(list[i])));
          if (!go_on) break;
        }
        break;
      }
      case Kind::kStrMap: {
        for (const auto& [k, v] : *std::get<std::shared_ptr<const StrMap>>(val.v)) {
          ran = true;
          STRATA_ASSIGN_OR_RETURN(bool go_on, one(Value::String(k), Value::String(v)));
          if (!go_on) break;
        }
        break;
      }
      case Kind::kAnyMap: {
        for (const auto& [k, v] : std::get<std::shared_ptr<const AnyMap>>(val.v)->items) {
          ran = true;
          STRATA_ASSIGN_OR_RETURN(bool go_on, one(Value::String(k), v));
          if (!go_on) break;
        }
        break;
      }
      case Kind::kInt: {
        if (decl.size() > 1) {
          return Errorf("can't use " + GoSprint({&val, 1}) +
                        " to iterate over more than one variable");
        }
        for (int64_t i = 0; i < val.i(); ++i) {
          ran = true;
          STRATA_ASSIGN_OR_RETURN(bool go_on, one(Value::Int(i), Value::Int(i)));
          if (!go_on) break;
        }
        break;
      }
      case Kind::kInvalid:
        break;
      default:
        return Errorf("range can't iterate over " + PrintForTemplate(val));
    }
    if (!ran && r.else_list) {
      STRATA_ASSIGN_OR_RETURN(Flow f, Walk(dot, *r.else_list));
      (void)f;
    }
    vars_.resize(mark);
    return Flow::kNormal;
  }

  [[gnu::noinline]] Result<Flow> WalkTemplate(const Value& dot, const Node& t) {
    at_ = &t;
    auto it = set_.trees.find(t.text);
    if (it == set_.trees.end()) return Errorf("template \"" + t.text + "\" not defined");
    if (depth_ >= limits_.max_template_depth) {
      return Errorf("exceeded maximum template depth (" +
                    std::to_string(limits_.max_template_depth) + ")");
    }
    Value new_dot;
    if (t.pipe) {
      STRATA_ASSIGN_OR_RETURN(new_dot, EvalPipeline(dot, *t.pipe));
    }
    auto saved_vars = std::move(vars_);
    std::string saved_name = std::move(tmpl_name_);
    vars_ = {{"$", new_dot}};
    tmpl_name_ = t.text;
    ++depth_;
    auto f = Walk(new_dot, *it->second);
    --depth_;
    if (!f.ok()) return f.status();
    vars_ = std::move(saved_vars);
    tmpl_name_ = std::move(saved_name);
    return Flow::kNormal;
  }

  Result<Value> EvalPipeline(const Value& dot, const Node& pipe) {
    at_ = &pipe;
    if (TooDeep()) return Errorf("execution nested too deeply");
    return EvalPipelineImpl(dot, pipe);
  }

  Result<Value> EvalPipelineImpl(const Value& dot, const Node& pipe) {
    Value value;
    bool has_value = false;
    for (const auto& cmd : pipe.children) {
      STRATA_ASSIGN_OR_RETURN(Value next, EvalCommand(dot, *cmd, has_value ? &value : nullptr));
      value = std::move(next);
      has_value = true;
    }
    for (const auto& var : pipe.decl) {
      if (pipe.is_assign) {
        STRATA_RETURN_IF_ERROR(SetVar(var, value));
      } else {
        vars_.emplace_back(var, value);
      }
    }
    return value;
  }

  Status NotAFunction(Args args, const Value* final) {
    if (args.size() > 1 || final != nullptr) {
      return Errorf("can't give argument to non-function " + args[0]->String());
    }
    return Status::Ok();
  }

  [[gnu::noinline]] Result<Value> EvalCommand(const Value& dot, const Node& cmd,
                                              const Value* final) {
    STRATA_RETURN_IF_ERROR(Step());
    const Node& first = *cmd.children[0];
    Args args(cmd.children);
    switch (first.type) {
      case NodeType::kField:
        return EvalFieldNode(dot, first, args, final);
      case NodeType::kChain:
        return EvalChainNode(dot, first, args, final);
      case NodeType::kIdentifier:
        return EvalFunction(dot, first, cmd, args, final);
      case NodeType::kPipe:
        STRATA_RETURN_IF_ERROR(NotAFunction(args, final));
        return EvalPipeline(dot, first);
      case NodeType::kVariable:
        return EvalVariableNode(dot, first, args, final);
      default:
        break;
    }
    at_ = &first;
    STRATA_RETURN_IF_ERROR(NotAFunction(args, final));
    switch (first.type) {
      case NodeType::kBool:
        return Value::Bool(first.boolean);
      case NodeType::kDot:
        return dot;
      case NodeType::kNil:
        return Errorf("nil is not a command");
      case NodeType::kNumber:
        return IdealConstant(first);
      case NodeType::kString:
        return Value::String(first.text);
      default:
        return Errorf("can't evaluate command " + first.String());
    }
  }

  Result<Value> IdealConstant(const Node& n) {
    at_ = &n;
    if (n.is_float && !IsHexInt(n.text) && n.text[0] != '\'' &&
        n.text.find_first_of(".eEpP") != std::string::npos) {
      return Value::Float(n.float_value);
    }
    if (n.is_int) return Value::Int(n.int_value);
    return Errorf(n.text + " overflows int");
  }

  Result<Value> EvalFieldNode(const Value& dot, const Node& field, Args args, const Value* final) {
    at_ = &field;
    return EvalFieldChain(dot, dot, field, field.idents, args, final);
  }

  Result<Value> EvalChainNode(const Value& dot, const Node& chain, Args args, const Value* final) {
    at_ = &chain;
    if (chain.children[0]->type == NodeType::kNil) {
      return Errorf("indirection through explicit nil in " + chain.String());
    }
    STRATA_ASSIGN_OR_RETURN(Value pipe, EvalArg(dot, ParamType::kAny, *chain.children[0]));
    return EvalFieldChain(dot, pipe, chain, chain.idents, args, final);
  }

  Result<Value> EvalVariableNode(const Value& dot, const Node& var, Args args, const Value* final) {
    at_ = &var;
    STRATA_ASSIGN_OR_RETURN(Value value, VarValue(var.idents[0]));
    if (var.idents.size() == 1) {
      if (!args.empty()) STRATA_RETURN_IF_ERROR(NotAFunction(args, final));
      return value;
    }
    return EvalFieldChain(dot, value, var, std::span<const std::string>(var.idents).subspan(1),
                          args, final);
  }

  Result<Value> EvalFieldChain(const Value& dot, Value receiver, const Node& node,
                               std::span<const std::string> idents, Args args, const Value* final) {
    for (size_t i = 0; i + 1 < idents.size(); ++i) {
      STRATA_ASSIGN_OR_RETURN(receiver, EvalField(dot, idents[i], node, {}, nullptr, receiver));
    }
    return EvalField(dot, idents.back(), node, args, final, receiver);
  }

  [[gnu::noinline]] Result<Value> EvalField(const Value& dot, const std::string& name,
                                            const Node& node, Args args, const Value* final,
                                            const Value& receiver) {
    if (!receiver.valid()) return Value();  // missingkey=zero: nil data yields no value.
    if (receiver.kind() == Kind::kTime) {
      if (const MethodInfo* m = FindTimeMethod(name)) {
        return EvalCall(dot, m->info, node, name, args, final, &receiver);
      }
    }
    bool has_args = args.size() > 1 || final != nullptr;
    switch (receiver.kind()) {
      case Kind::kAlertData:
      case Kind::kSample: {
        Value out;
        if (StructField(receiver, name, &out)) {
          if (has_args) return Errorf(name + " has arguments but cannot be invoked as function");
          return out;
        }
        break;
      }
      case Kind::kStrMap: {
        if (has_args) return Errorf(name + " is not a method but has arguments");
        const auto& m = *std::get<std::shared_ptr<const StrMap>>(receiver.v);
        auto it = m.find(name);
        return Value::String(it == m.end() ? "" : it->second);
      }
      case Kind::kAnyMap: {
        if (has_args) return Errorf(name + " is not a method but has arguments");
        const auto& m = std::get<std::shared_ptr<const AnyMap>>(receiver.v)->items;
        auto it = m.find(name);
        return it == m.end() ? Value() : it->second;
      }
      default:
        break;
    }
    return Errorf("can't evaluate field " + name + " in type " + TypeName(receiver));
  }

  Result<Value> EvalFunction(const Value& dot, const Node& ident, const Node& cmd, Args args,
                             const Value* final) {
    at_ = &ident;
    const FuncInfo* info = FindFunction(ident.text);
    if (info == nullptr) return Errorf("\"" + ident.text + "\" is not a defined function");
    return EvalCall(dot, *info, cmd, ident.text, args, final, nullptr);
  }

  [[gnu::noinline]] Result<Value> EvalCall(const Value& dot, const FuncInfo& info, const Node& node,
                                           const std::string& name, Args args, const Value* final,
                                           const Value* receiver) {
    Args rest = args.empty() ? args : args.subspan(1);
    size_t num_in = rest.size() + (final != nullptr ? 1 : 0);
    size_t nparams = info.params.size();
    size_t num_fixed = rest.size();
    if (info.variadic) {
      num_fixed = nparams - 1;
      if (num_in < num_fixed) {
        return Errorf("wrong number of args for " + name + ": want at least " +
                      std::to_string(num_fixed) + " got " + std::to_string(rest.size()));
      }
    } else if (num_in != nparams) {
      return Errorf("wrong number of args for " + name + ": want " + std::to_string(nparams) +
                    " got " + std::to_string(num_in));
    }
    if (info.impl == nullptr && receiver == nullptr) {  // `and` and `or` short-circuit.
      bool is_or = name == "or";
      Value v;
      for (const auto& arg : rest) {
        STRATA_ASSIGN_OR_RETURN(v, EvalArg(dot, ParamType::kValue, *arg));
        if (IsTrue(v) == is_or) return v;
      }
      if (final != nullptr) return *final;
      return v;
    }
    std::vector<Value> argv;
    if (receiver != nullptr) argv.push_back(*receiver);
    size_t i = 0;
    for (; i < num_fixed && i < rest.size(); ++i) {
      STRATA_ASSIGN_OR_RETURN(Value v, EvalArg(dot, info.params[i], *rest[i]));
      argv.push_back(std::move(v));
    }
    for (; i < rest.size(); ++i) {
      STRATA_ASSIGN_OR_RETURN(Value v, EvalArg(dot, info.params.back(), *rest[i]));
      argv.push_back(std::move(v));
    }
    if (final != nullptr) {
      ParamType t = info.params.back();
      if (info.variadic && num_in - 1 < num_fixed) t = info.params[num_in - 1];
      STRATA_ASSIGN_OR_RETURN(Value v, ValidateType(*final, t));
      argv.push_back(std::move(v));
    }
    Result<Value> result = receiver != nullptr ? TimeMethod(std::get<Time>(receiver->v), name,
                                                            std::span<const Value>(argv).subspan(1))
                                               : info.impl(env_, argv);
    if (!result.ok()) {
      at_ = &node;
      return Errorf("error calling " + name + ": " + result.status().message());
    }
    if (result->IsStringKind() && result->Str().size() > limits_.max_output_bytes) {
      at_ = &node;
      return Errorf("error calling " + name + ": result exceeds " +
                    std::to_string(limits_.max_output_bytes) + " bytes");
    }
    return result;
  }

  Result<Value> ValidateType(const Value& value, ParamType t) {
    switch (t) {
      case ParamType::kAny:
      case ParamType::kValue:
        return value;
      case ParamType::kString:
        if (value.kind() == Kind::kString) return value;
        break;
      case ParamType::kSample:
        if (value.kind() == Kind::kSample) return value;
        break;
      case ParamType::kQueryResult:
        if (!value.valid() || value.kind() == Kind::kQueryResult) return value;
        break;
    }
    if (!value.valid()) return Errorf("invalid value; expected " + std::string(ParamTypeName(t)));
    return Errorf("wrong type for value; expected " + std::string(ParamTypeName(t)) + "; got " +
                  TypeName(value));
  }

  [[gnu::noinline]] Result<Value> EvalArg(const Value& dot, ParamType t, const Node& n) {
    at_ = &n;
    switch (n.type) {
      case NodeType::kDot:
        return ValidateType(dot, t);
      case NodeType::kNil:  // Go's canBeNil: pointers, slices, interfaces and reflect.Value.
        if (t == ParamType::kString) {
          return Errorf("cannot assign nil to " + std::string(ParamTypeName(t)));
        }
        return Value();
      case NodeType::kField: {
        STRATA_ASSIGN_OR_RETURN(Value v, EvalFieldNode(dot, n, {}, nullptr));
        return ValidateType(v, t);
      }
      case NodeType::kVariable: {
        STRATA_ASSIGN_OR_RETURN(Value v, EvalVariableNode(dot, n, {}, nullptr));
        return ValidateType(v, t);
      }
      case NodeType::kPipe: {
        STRATA_ASSIGN_OR_RETURN(Value v, EvalPipeline(dot, n));
        return ValidateType(v, t);
      }
      case NodeType::kIdentifier: {
        STRATA_ASSIGN_OR_RETURN(Value v, EvalFunction(dot, n, n, {}, nullptr));
        return ValidateType(v, t);
      }
      case NodeType::kChain: {
        STRATA_ASSIGN_OR_RETURN(Value v, EvalChainNode(dot, n, {}, nullptr));
        return ValidateType(v, t);
      }
      default:
        break;
    }
    switch (t) {
      case ParamType::kString:
        if (n.type == NodeType::kString) return Value::String(n.text);
        return Errorf("expected string; found " + n.String());
      case ParamType::kAny:
      case ParamType::kValue:
        if (n.type == NodeType::kBool) return Value::Bool(n.boolean);
        if (n.type == NodeType::kNumber) return IdealConstant(n);
        if (n.type == NodeType::kString) return Value::String(n.text);
        break;
      default:
        break;
    }
    return Errorf("can't handle " + n.String() + " for arg of type " +
                  std::string(ParamTypeName(t)));
  }

  const TemplateSet& set_;
  std::string_view parse_name_;
  ExecLimits limits_;
  CallEnv env_;
  std::string tmpl_name_;
  std::vector<std::pair<std::string, Value>> vars_;
  std::string out_;
  const Node* at_ = nullptr;
  int depth_ = 0;
  uintptr_t stack_base_ = 0;
  int64_t steps_ = 0;
};

}  // namespace

Result<std::string> ExecuteTemplate(const TemplateSet& set, std::string_view name, const Value& dot,
                                    const TemplateContext& ctx, const ExecLimits& limits) {
  State state(set, name, ctx, limits);
  return state.Run(name, dot);
}

}  // namespace strata::rules::template_internal
