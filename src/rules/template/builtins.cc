// Go's text/template builtins (funcs.go) over template values: comparison rules by basic kind,
// index/slice/len, the escapers and the fmt printers.
#include <cstdio>
#include <string>

#include "rules/template/funcs.h"
#include "rules/template/go_fmt.h"

namespace strata::rules::template_internal {
namespace {

enum class BasicKind { kInvalid, kBool, kInt, kFloat, kString, kOther };

BasicKind BasicKindOf(const Value& v) {
  switch (v.kind()) {
    case Kind::kInvalid:
      return BasicKind::kInvalid;
    case Kind::kBool:
      return BasicKind::kBool;
    case Kind::kInt:
      return BasicKind::kInt;
    case Kind::kFloat:
      return BasicKind::kFloat;
    case Kind::kString:
    case Kind::kHtml:
      return BasicKind::kString;
    default:
      return BasicKind::kOther;
  }
}

const char kBadComparison[] = "incompatible types for comparison";
const char kBadComparisonType[] = "invalid type for comparison";

Result<bool> Eq(const Value& a, std::span<const Value> others) {
  if (others.empty()) return Status::FailedPrecondition("missing argument for comparison");
  BasicKind k1 = BasicKindOf(a);
  for (const Value& b : others) {
    BasicKind k2 = BasicKindOf(b);
    bool truth = false;
    if (k1 != k2) {
      if (a.valid() && b.valid()) return Status::FailedPrecondition(kBadComparison);
    } else {
      switch (k1) {
        case BasicKind::kInvalid:
          truth = true;  // nil == nil.
          break;
        case BasicKind::kBool:
          truth = a.b() == b.b();
          break;
        case BasicKind::kInt:
          truth = a.i() == b.i();
          break;
        case BasicKind::kFloat:
          truth = a.f() == b.f();
          break;
        case BasicKind::kString:
          truth = a.Str() == b.Str();
          break;
        case BasicKind::kOther:
          if (a.kind() != b.kind()) {
            return Status::FailedPrecondition("non-comparable types " + GoSprintf("%s", {&a, 1}) +
                                              ": " + TypeName(a) + ", " + TypeName(b) + ": " +
                                              GoSprintf("%v", {&b, 1}));
          }
          if (a.kind() == Kind::kSample) {  // Pointers compare by identity.
            truth = std::get<std::shared_ptr<const QuerySample>>(a.v) ==
                    std::get<std::shared_ptr<const QuerySample>>(b.v);
          } else if (a.kind() == Kind::kTime) {
            truth = false;  // Two *time.Time from two calls are two pointers.
          } else {
            return Status::FailedPrecondition("non-comparable type " + GoSprintf("%s", {&b, 1}) +
                                              ": " + TypeName(b));
          }
          break;
      }
    }
    if (truth) return true;
  }
  return false;
}

Result<bool> Lt(const Value& a, const Value& b) {
  BasicKind k1 = BasicKindOf(a);
  if (k1 == BasicKind::kInvalid || k1 == BasicKind::kOther) {
    return Status::FailedPrecondition(kBadComparisonType);
  }
  BasicKind k2 = BasicKindOf(b);
  if (k2 == BasicKind::kInvalid || k2 == BasicKind::kOther) {
    return Status::FailedPrecondition(kBadComparisonType);
  }
  if (k1 != k2) return Status::FailedPrecondition(kBadComparison);
  switch (k1) {
    case BasicKind::kFloat:
      return a.f() < b.f();
    case BasicKind::kInt:
      return a.i() < b.i();
    case BasicKind::kString:
      return a.Str() < b.Str();
    default:
      return Status::FailedPrecondition(kBadComparisonType);
  }
}

Result<Value> FnEq(const CallEnv&, std::span<const Value> args) {
  STRATA_ASSIGN_OR_RETURN(bool r, Eq(args[0], args.subspan(1)));
  return Value::Bool(r);
}
Result<Value> FnNe(const CallEnv&, std::span<const Value> args) {
  STRATA_ASSIGN_OR_RETURN(bool r, Eq(args[0], args.subspan(1)));
  return Value::Bool(!r);
}
Result<Value> FnLt(const CallEnv&, std::span<const Value> args) {
  STRATA_ASSIGN_OR_RETURN(bool r, Lt(args[0], args[1]));
  return Value::Bool(r);
}
Result<bool> Le(const Value& a, const Value& b) {
  STRATA_ASSIGN_OR_RETURN(bool lt, Lt(a, b));
  if (lt) return true;
  return Eq(a, std::span<const Value>(&b, 1));
}
Result<Value> FnLe(const CallEnv&, std::span<const Value> args) {
  STRATA_ASSIGN_OR_RETURN(bool r, Le(args[0], args[1]));
  return Value::Bool(r);
}
Result<Value> FnGt(const CallEnv&, std::span<const Value> args) {
  STRATA_ASSIGN_OR_RETURN(bool r, Le(args[0], args[1]));
  return Value::Bool(!r);
}
Result<Value> FnGe(const CallEnv&, std::span<const Value> args) {
  STRATA_ASSIGN_OR_RETURN(bool r, Lt(args[0], args[1]));
  return Value::Bool(!r);
}

Result<Value> FnNot(const CallEnv&, std::span<const Value> args) {
  return Value::Bool(!IsTrue(args[0]));
}

// Go's name of the pointed-to type, for errors about indirected pointers.
std::string ElemTypeName(const Value& v) {
  std::string t = TypeName(v);
  return t[0] == '*' ? t.substr(1) : t;
}

Result<Value> FnLen(const CallEnv&, std::span<const Value> args) {
  const Value& v = args[0];
  if (!v.valid()) return Status::FailedPrecondition("len of nil pointer");
  int64_t n = Len(v);
  if (n < 0) return Status::FailedPrecondition("len of type " + ElemTypeName(v));
  return Value::Int(n);
}

// Go's indexArg: an int index within [0, cap].
Result<int64_t> IndexArg(const Value& index, int64_t cap) {
  if (index.kind() == Kind::kInvalid) {
    return Status::FailedPrecondition("cannot index slice/array with nil");
  }
  if (index.kind() != Kind::kInt) {
    return Status::FailedPrecondition("cannot index slice/array with type " + TypeName(index));
  }
  int64_t x = index.i();
  if (x < 0 || x > cap) {
    return Status::FailedPrecondition("index out of range: " + std::to_string(x));
  }
  return x;
}

Result<Value> FnIndex(const CallEnv&, std::span<const Value> args) {
  Value item = args[0];
  if (!item.valid()) return Status::FailedPrecondition("index of untyped nil");
  for (const Value& index : args.subspan(1)) {
    switch (item.kind()) {
      case Kind::kString:
      case Kind::kHtml:
      case Kind::kQueryResult: {
        int64_t len = Len(item);
        STRATA_ASSIGN_OR_RETURN(int64_t x, IndexArg(index, len));
        if (x == len) return Status::FailedPrecondition("index out of range: " + std::to_string(x));
        if (item.kind() == Kind::kQueryResult) {
          item = Value::Of(
              (*std::get<std::shared_ptr<const QueryResult>>(item.v))[static_cast<size_t>(x)]);
        } else {
          // A byte (uint8); we have only int.
          item = Value::Int(static_cast<unsigned char>(item.Str()[static_cast<size_t>(x)]));
        }
        break;
      }
      case Kind::kStrMap:
      case Kind::kAnyMap: {
        if (!index.valid()) {
          return Status::FailedPrecondition("value is nil; should be of type string");
        }
        if (index.kind() != Kind::kString) {
          return Status::FailedPrecondition("value has type " + TypeName(index) +
                                            "; should be string");
        }
        if (item.kind() == Kind::kStrMap) {
          const auto& m = *std::get<std::shared_ptr<const StrMap>>(item.v);
          auto it = m.find(index.Str());
          item = Value::String(it == m.end() ? "" : it->second);
        } else {
          const auto& m = std::get<std::shared_ptr<const AnyMap>>(item.v)->items;
          auto it = m.find(index.Str());
          item = it == m.end() ? Value() : it->second;
        }
        break;
      }
      case Kind::kInvalid:
        return Status::FailedPrecondition("index of nil pointer");
      default:
        return Status::FailedPrecondition("can't index item of type " + ElemTypeName(item));
    }
  }
  return item;
}

Result<Value> FnSlice(const CallEnv&, std::span<const Value> args) {
  const Value& item = args[0];
  auto indexes = args.subspan(1);
  if (!item.valid()) return Status::FailedPrecondition("slice of untyped nil");
  if (indexes.size() > 3) {
    return Status::FailedPrecondition("too many slice indexes: " + std::to_string(indexes.size()));
  }
  if (item.IsStringKind()) {
    if (indexes.size() == 3) return Status::FailedPrecondition("cannot 3-index slice a string");
  } else if (item.kind() != Kind::kQueryResult) {
    return Status::FailedPrecondition("can't slice item of type " + TypeName(item));
  }
  int64_t len = Len(item);
  int64_t idx[3] = {0, len, len};
  for (size_t k = 0; k < indexes.size(); ++k) {
    STRATA_ASSIGN_OR_RETURN(idx[k], IndexArg(indexes[k], len));
  }
  if (idx[0] > idx[1]) {
    return Status::FailedPrecondition("invalid slice index: " + std::to_string(idx[0]) + " > " +
                                      std::to_string(idx[1]));
  }
  if (indexes.size() == 3 && idx[1] > idx[2]) {
    return Status::FailedPrecondition("invalid slice index: " + std::to_string(idx[1]) + " > " +
                                      std::to_string(idx[2]));
  }
  auto b = static_cast<size_t>(idx[0]), e = static_cast<size_t>(idx[1]);
  if (item.kind() == Kind::kString) return Value::String(item.Str().substr(b, e - b));
  if (item.kind() == Kind::kHtml) return Value::Of(Html{item.Str().substr(b, e - b)});
  const auto& list = *std::get<std::shared_ptr<const QueryResult>>(item.v);
  return Value::Of(std::make_shared<const QueryResult>(list.begin() + static_cast<ptrdiff_t>(b),
                                                       list.begin() + static_cast<ptrdiff_t>(e)));
}

// The escapers' evalArgs: a lone string as is, otherwise fmt.Sprint of the values as actions
// print them ("<no value>", dereferenced samples).
std::string EvalArgs(std::span<const Value> args) {
  if (args.size() == 1 && args[0].kind() == Kind::kString) return args[0].Str();
  std::string out;
  bool prev_string = false;
  for (size_t k = 0; k < args.size(); ++k) {
    bool is_string = args[k].IsStringKind() || !args[k].valid();  // "<no value>" is a string.
    if (k > 0 && !is_string && !prev_string) out.push_back(' ');
    out += PrintForTemplate(args[k]);
    prev_string = is_string;
  }
  return out;
}

Result<Value> FnHtml(const CallEnv&, std::span<const Value> args) {
  std::string out;
  for (char c : EvalArgs(args)) {
    switch (c) {
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\0':
        out += "\xEF\xBF\xBD";
        break;
      default:
        out.push_back(c);
    }
  }
  return Value::String(std::move(out));
}

Result<Value> FnJs(const CallEnv&, std::span<const Value> args) {
  std::string s = EvalArgs(args);
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '\\':
        out += "\\\\";
        continue;
      case '\'':
        out += "\\'";
        continue;
      case '"':
        out += "\\\"";
        continue;
      case '<':
        out += "\\u003C";
        continue;
      case '>':
        out += "\\u003E";
        continue;
      case '&':
        out += "\\u0026";
        continue;
      case '=':
        out += "\\u003D";
        continue;
      default:
        break;
    }
    if (c < ' ') {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04X", c);
      out += buf;
    } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(s[i + 2]) == 0xA8 ||
                static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
      out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return Value::String(std::move(out));
}

}  // namespace

// url.QueryEscape.
std::string QueryEscape(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

namespace {

Result<Value> FnUrlquery(const CallEnv&, std::span<const Value> args) {
  return Value::String(QueryEscape(EvalArgs(args)));
}
Result<Value> FnPrint(const CallEnv&, std::span<const Value> args) {
  return Value::String(GoSprint(args));
}
Result<Value> FnPrintln(const CallEnv&, std::span<const Value> args) {
  return Value::String(GoSprintln(args));
}
Result<Value> FnPrintf(const CallEnv&, std::span<const Value> args) {
  return Value::String(GoSprintf(args[0].Str(), args.subspan(1)));
}
Result<Value> FnCall(const CallEnv&, std::span<const Value> args) {
  if (!args[0].valid()) return Status::FailedPrecondition("call of nil");
  // No template value holds a function.
  return Status::FailedPrecondition("non-function of type " + TypeName(args[0]));
}

}  // namespace

void AddGoBuiltins(std::vector<FuncInfo>* t) {
  using P = ParamType;
  t->push_back({"and", {P::kValue, P::kValue}, true, nullptr});
  t->push_back({"or", {P::kValue, P::kValue}, true, nullptr});
  t->push_back({"not", {P::kValue}, false, FnNot});
  t->push_back({"len", {P::kValue}, false, FnLen});
  t->push_back({"index", {P::kValue, P::kValue}, true, FnIndex});
  t->push_back({"slice", {P::kValue, P::kValue}, true, FnSlice});
  t->push_back({"print", {P::kAny}, true, FnPrint});
  t->push_back({"printf", {P::kString, P::kAny}, true, FnPrintf});
  t->push_back({"println", {P::kAny}, true, FnPrintln});
  t->push_back({"html", {P::kAny}, true, FnHtml});
  t->push_back({"js", {P::kAny}, true, FnJs});
  t->push_back({"urlquery", {P::kAny}, true, FnUrlquery});
  t->push_back({"eq", {P::kValue, P::kValue}, true, FnEq});
  t->push_back({"ne", {P::kValue, P::kValue}, false, FnNe});
  t->push_back({"lt", {P::kValue, P::kValue}, false, FnLt});
  t->push_back({"le", {P::kValue, P::kValue}, false, FnLe});
  t->push_back({"gt", {P::kValue, P::kValue}, false, FnGt});
  t->push_back({"ge", {P::kValue, P::kValue}, false, FnGe});
  t->push_back({"call", {P::kValue, P::kValue}, true, FnCall});
}

}  // namespace strata::rules::template_internal
