// Resolution of expressions: names to variables, sizes, parameters and tensor reads;
// functions and operators to Ops; the integer/real type of every node.
#include <algorithm>
#include <cmath>

#include "resolver.hpp"

namespace einfuse::einsum::detail {
namespace {

std::string function_list() {
  return "one of max(a,b), min(a,b), exp(x), recip(x), sqrt(x), abs(x), neg(x), "
         "select(pred,a,b), clamp(x,lo,hi)";
}

}  // namespace

Expr* Resolver::new_expr(Expr::Kind kind, SourceLoc loc) {
  cascade_.exprs.push_back(std::make_unique<Expr>());
  Expr* e = cascade_.exprs.back().get();
  e->kind = kind;
  e->loc = loc;
  return e;
}

// Constant expressions (split factors, `let`): numbers, sizes, parameters and + - * / %.
const Expr* Resolver::constant_expr(const SyntaxExpr& s, const char* what) {
  current_ = nullptr;
  constant_context_ = what;
  const Expr* e = value_expr(s);
  constant_context_ = nullptr;
  if (e->type != ValueType::integer) fail(s.loc, std::string(what) + " must be an integer", "an integer expression of sizes and parameters");
  return e;
}

const Expr* Resolver::value_expr(const SyntaxExpr& s) {
  using SK = SyntaxExpr::Kind;
  switch (s.kind) {
    case SK::number: {
      Expr* e = new_expr(Expr::Kind::number, s.loc);
      e->value = s.value;
      e->integer = s.integer;
      e->type = s.is_integer ? ValueType::integer : ValueType::real;
      return e;
    }
    case SK::name: return name_expr(s);
    case SK::index: return access_expr(s);
    case SK::call: return call_expr(s);
    case SK::unary: {
      const Expr* a = value_expr(*s.args[0]);
      Expr* e = new_expr(Expr::Kind::apply, s.loc);
      e->op = s.name == "!" ? Op::logical_not : Op::neg;
      e->type = e->op == Op::logical_not ? ValueType::integer : a->type;
      e->args = {a};
      return e;
    }
    case SK::binary: return binary_expr(s);
  }
  fail(s.loc, "unsupported expression", "an expression");
}

const Expr* Resolver::name_expr(const SyntaxExpr& s) {
  SourceLoc loc = s.loc;
  loc.length = static_cast<std::uint32_t>(s.name.size());
  if (auto v = cascade_.find_var(s.name)) {
    if (constant_context_) {
      fail(loc, "index variable '" + s.name + "' in " + constant_context_,
           "sizes (uppercase rank names), parameters and numbers only");
    }
    Expr* e = new_expr(Expr::Kind::var, loc);
    e->id = *v;
    e->type = ValueType::integer;
    used_vars_.insert(*v);
    return e;
  }
  if (auto r = cascade_.find_rank(s.name)) {
    Expr* e = new_expr(Expr::Kind::size, loc);
    e->id = *r;
    e->type = ValueType::integer;
    return e;
  }
  if (auto p = cascade_.find_param(s.name)) {
    Expr* e = new_expr(Expr::Kind::param, loc);
    e->id = *p;
    e->type = ValueType::integer;
    return e;
  }
  if (cascade_.find_tensor(s.name)) {
    SyntaxExpr as_access = SyntaxExpr{};
    as_access.kind = SyntaxExpr::Kind::index;
    as_access.name = s.name;
    as_access.loc = s.loc;
    return access_expr(as_access);
  }
  if (kFunctions.count(s.name)) fail(loc, "function '" + s.name + "' used without arguments", "'" + s.name + "(...)'");
  fail(loc, "undefined name '" + s.name + "'",
       "an index variable (" + known_vars() + "), a rank size, a parameter or a tensor");
}

const Expr* Resolver::access_expr(const SyntaxExpr& s) {
  SourceLoc loc = s.loc;
  loc.length = static_cast<std::uint32_t>(s.name.size());
  if (constant_context_) fail(loc, "tensor read in " + std::string(constant_context_), "sizes, parameters and numbers only");
  auto id = cascade_.find_tensor(s.name);
  if (!id) {
    if (cascade_.find_rank(s.name) || cascade_.find_var(s.name) || cascade_.find_param(s.name)) {
      fail(loc, "'" + s.name + "' is not a tensor and cannot be indexed", "a tensor name before '['");
    }
    fail(loc, "undefined tensor '" + s.name + "'", "a tensor declared with 'input' or defined by an Einsum");
  }
  const Tensor& t = cascade_.tensors[static_cast<std::size_t>(*id)];
  const std::size_t nb = cascade_.batch_ranks.size();
  const std::size_t want = t.ranks.size() - nb;
  if (t.role != Tensor::Role::input && t.producer < 0) {
    fail(loc, "output '" + t.name + "' is read but never assigned", "an Einsum defining it");
  }
  if (s.args.size() != want) {
    fail(loc, "tensor '" + t.name + "' used with " + std::to_string(s.args.size()) + " indices but it has " +
                  std::to_string(want) + " " + slot_text(t.ranks),
         std::to_string(want) + " indices, one per slot " + slot_text(t.ranks));
  }
  Expr* e = new_expr(Expr::Kind::access, loc);
  e->id = *id;
  e->type = is_integer(t.dtype) ? ValueType::integer : ValueType::real;
  for (std::size_t b = 0; b < nb; ++b) {
    Expr* v = new_expr(Expr::Kind::var, loc);
    v->id = cascade_.batch_ranks[b];
    v->type = ValueType::integer;
    e->args.push_back(v);
  }
  for (std::size_t i = 0; i < s.args.size(); ++i) {
    const Expr* idx = value_expr(*s.args[i]);
    const RankId slot_rank = t.ranks[nb + i];
    if (idx->type != ValueType::integer) {
      fail(span_of(*s.args[i]), "index " + std::to_string(i + 1) + " of '" + t.name + "' is real-valued",
           "an integer index expression (a gather needs an i32 index tensor)");
    }
    if (idx->kind == Expr::Kind::var && idx->id != slot_rank) {
      const Rank& vr = cascade_.ranks[static_cast<std::size_t>(idx->id)];
      const Rank& sr = cascade_.ranks[static_cast<std::size_t>(slot_rank)];
      fail(idx->loc, "tensor '" + t.name + "' used with different ranks: slot " + std::to_string(i + 1) +
                         " is rank " + sr.name + " but '" + vr.index + "' is of rank " + vr.name,
           "'" + sr.index + "' or an index expression for rank " + sr.name);
    }
    e->args.push_back(idx);
  }
  if (current_ && *id == current_->output) own_reads_.emplace_back(e, loc);
  if (current_ && std::find(current_->reads.begin(), current_->reads.end(), *id) == current_->reads.end()) {
    current_->reads.push_back(*id);
  }
  return e;
}

const Expr* Resolver::call_expr(const SyntaxExpr& s) {
  SourceLoc loc = s.loc;
  loc.length = static_cast<std::uint32_t>(s.name.size());
  auto f = kFunctions.find(s.name);
  if (f == kFunctions.end()) {
    if (cascade_.find_tensor(s.name)) fail(loc, "tensor '" + s.name + "' is read with '(' ')'", "'" + s.name + "[...]'");
    if (s.name == "sum" || s.name == "topk" || s.name == "filter") {
      fail(loc, "'" + s.name + "(...)' is a reduction and may only open the right side", "a reduction at the start of the right side");
    }
    fail(loc, "unknown function '" + s.name + "'", function_list());
  }
  if (s.args.size() != f->second.arity) {
    std::string hint = function_list();
    if ((s.name == "max" || s.name == "min") && s.args.size() == 1) {
      hint = "'" + s.name + "(a, b)', or a reduction '" + s.name + "(m0) X[...]' opening the right side";
    }
    fail(loc, "'" + s.name + "' takes " + std::to_string(f->second.arity) + " argument(s), found " +
                  std::to_string(s.args.size()), hint);
  }
  if (constant_context_) fail(loc, "function call in " + std::string(constant_context_), "sizes, parameters, numbers and + - * / %");
  Expr* e = new_expr(Expr::Kind::apply, loc);
  e->op = f->second.op;
  for (const auto& a : s.args) e->args.push_back(value_expr(*a));
  switch (e->op) {
    case Op::exp: case Op::recip: case Op::sqrt: e->type = ValueType::real; break;
    case Op::select: e->type = join(e->args[1]->type, e->args[2]->type); break;
    default: {
      ValueType t = ValueType::integer;
      for (const Expr* a : e->args) t = join(t, a->type);
      e->type = t;
    }
  }
  return e;
}

ValueType Resolver::join(ValueType a, ValueType b) {
  return a == ValueType::real || b == ValueType::real ? ValueType::real : ValueType::integer;
}

const Expr* Resolver::binary_expr(const SyntaxExpr& s) {
  static const std::map<std::string, Op, std::less<>> ops = {
      {"+", Op::add}, {"-", Op::sub}, {"*", Op::mul}, {"/", Op::div}, {"%", Op::mod},
      {"<", Op::lt},  {"<=", Op::le}, {">", Op::gt},  {">=", Op::ge}, {"==", Op::eq},
      {"!=", Op::ne}, {"&&", Op::logical_and}, {"||", Op::logical_or}};
  const Expr* a = value_expr(*s.args[0]);
  const Expr* b = value_expr(*s.args[1]);
  Expr* e = new_expr(Expr::Kind::apply, s.loc);
  e->op = ops.at(s.name);
  e->args = {a, b};
  switch (e->op) {
    case Op::add: case Op::sub: case Op::mul: case Op::div: e->type = join(a->type, b->type); break;
    case Op::mod:
      if (a->type != ValueType::integer || b->type != ValueType::integer) {
        fail(s.loc, "'%' needs integer operands", "integer expressions on both sides of '%'");
      }
      e->type = ValueType::integer;
      break;
    default: e->type = ValueType::integer;
  }
  if (constant_context_ && e->type != ValueType::integer) fail(s.loc, std::string(constant_context_) + " must be an integer", "integer operands");
  return e;
}

}  // namespace einfuse::einsum::detail
