// Name resolution and semantic checks: syntax tree -> Cascade.
// Declarations are processed first (in file order), then every Einsum's left side (so
// intermediates exist before any right side reads them), then the right sides.
// Expressions are resolved in resolve_expr.cpp.
#include <algorithm>
#include <cctype>
#include <cmath>

#include "einfuse/einsum/graph.hpp"
#include "resolve.hpp"
#include "resolver.hpp"

namespace einfuse::einsum::detail {

Cascade Resolver::run() {
  for (auto& st : file_.statements) declaration(st);
  for (auto& st : file_.statements) {
    if (st.kind == Statement::Kind::einsum) einsum_lhs(st);
  }
  for (auto& st : file_.statements) {
    if (st.kind == Statement::Kind::tensor) apply_tensor_decl(st);
  }
  std::size_t index = 0;
  for (auto& st : file_.statements) {
    if (st.kind == Statement::Kind::einsum) einsum_rhs(st, cascade_.einsums[index++]);
  }
  final_checks();
  check_cycles(cascade_);
  return std::move(cascade_);
}

void Resolver::check_fresh_name(const NameRef& n, const char* what) {
  if (kKeywords.count(n.name)) {
    fail(loc_of(n), "'" + n.name + "' is a reserved word and cannot name " + what,
         "another name");
  }
  if (cascade_.find_rank(n.name) || cascade_.find_param(n.name) ||
      cascade_.find_tensor(n.name) || cascade_.find_var(n.name)) {
    fail(loc_of(n), "'" + n.name + "' is already defined", "a name not used before");
  }
}

RankId Resolver::add_rank(const NameRef& n, Rank::Kind kind, std::optional<long long> extent) {
  if (!std::isupper(static_cast<unsigned char>(n.name[0]))) {
    fail(loc_of(n), "rank name '" + n.name + "' must start with an uppercase letter",
         "a rank name like M or M1; its index variable is the lowercase name (m, m1)");
  }
  check_fresh_name(n, "a rank");
  Rank r;
  r.name = n.name;
  r.index = n.name;
  for (char& ch : r.index) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (cascade_.find_tensor(r.index) || cascade_.find_param(r.index) || kKeywords.count(r.index)) {
    fail(loc_of(n), "the index variable '" + r.index + "' of rank " + n.name +
                        " clashes with another name", "a rank whose lowercase name is free");
  }
  r.kind = kind;
  if (extent) {
    if (*extent <= 0) fail(loc_of(n), "rank " + n.name + " has a non-positive extent", "an extent >= 1");
    r.default_extent = *extent;
  }
  r.loc = loc_of(n);
  cascade_.ranks.push_back(std::move(r));
  return static_cast<RankId>(cascade_.ranks.size() - 1);
}

DType Resolver::dtype_of(const NameRef& n) {
  auto t = parse_dtype(n.name);
  if (!t) fail(loc_of(n), "unknown type '" + n.name + "'", "one of fp64, fp32, bf16, fp16, i32");
  return *t;
}

std::pair<DType, DType> Resolver::types_of(const TypeSpec& spec) {
  const DType storage = dtype_of(spec.dtype);
  DType acc = (storage == DType::bf16 || storage == DType::fp16) ? DType::fp32 : storage;
  if (spec.acc) {
    acc = dtype_of(*spec.acc);
    if (is_integer(acc) != is_integer(storage)) {
      fail(loc_of(*spec.acc), "dtype mismatch: accumulator " + spec.acc->name +
                                  " for storage " + spec.dtype.name,
           is_integer(storage) ? "i32 for an i32 tensor" : "a floating-point accumulator");
    }
    if (dtype_bytes(acc) < dtype_bytes(storage)) {
      fail(loc_of(*spec.acc), "accumulator " + spec.acc->name + " is narrower than storage " +
                                  spec.dtype.name, "an accumulator at least as wide as the storage type");
    }
  }
  return {storage, acc};
}

void Resolver::declaration(Statement& st) {
  using K = Statement::Kind;
  switch (st.kind) {
    case K::cascade:
      if (!cascade_.name.empty()) fail(st.loc, "a second 'cascade' name", "one 'cascade NAME' per file");
      cascade_.name = st.name.name;
      break;
    case K::batch:
      if (!cascade_.tensors.empty()) {
        fail(st.loc, "batch ranks must be declared before any tensor",
             "'batch' statements before 'input'/'output'");
      }
      for (auto& item : st.items) {
        cascade_.batch_ranks.push_back(add_rank(item.name, Rank::Kind::batch, item.extent));
      }
      break;
    case K::rank:
      for (auto& item : st.items) add_rank(item.name, Rank::Kind::plain, item.extent);
      break;
    case K::param:
      for (auto& item : st.items) {
        check_fresh_name(item.name, "a parameter");
        Param p;
        p.name = item.name.name;
        p.default_value = item.extent;
        p.loc = loc_of(item.name);
        cascade_.params.push_back(std::move(p));
      }
      break;
    case K::let: {
      check_fresh_name(st.name, "a parameter");
      const Expr* def = constant_expr(*st.value, "a 'let' definition");
      Param p;
      p.name = st.name.name;
      p.definition = def;
      p.loc = loc_of(st.name);
      cascade_.params.push_back(std::move(p));
      break;
    }
    case K::split: split(st); break;
    case K::input:
    case K::output: tensor_decl(st); break;
    case K::tensor: break;  // applied once intermediates exist
    case K::default_type: {
      if (default_seen_) fail(st.loc, "a second 'default' type statement", "one 'default TYPE' per file");
      default_seen_ = true;
      std::tie(default_dtype_, default_acc_) = types_of(*st.type);
      break;
    }
    case K::einsum: break;
  }
}

void Resolver::split(Statement& st) {
  auto root = cascade_.find_rank(st.name.name);
  if (!root) fail(loc_of(st.name), "undefined rank '" + st.name.name + "'", "a rank declared with 'rank' before the split");
  Rank& r = cascade_.ranks[static_cast<std::size_t>(*root)];
  if (r.kind != Rank::Kind::plain) {
    fail(loc_of(st.name), "rank " + st.name.name + " cannot be split",
         r.kind == Rank::Kind::batch ? "a plain rank (batch ranks are never split)" : "a rank that is not already a split part");
  }
  if (!r.parts.empty()) fail(loc_of(st.name), "rank " + st.name.name + " is already split", "one split per rank");
  if (st.parts.size() < 2) fail(st.loc, "a split needs at least two parts", "'split M -> M1, M0 by 256'");
  if (st.factors.size() != st.parts.size() - 1) {
    fail(st.factors.empty() ? st.loc : st.factors.front()->loc,
         "split of " + st.name.name + " into " + std::to_string(st.parts.size()) + " parts needs " +
             std::to_string(st.parts.size() - 1) + " 'by' factor(s), found " + std::to_string(st.factors.size()),
         "one factor per part after the coarsest, e.g. 'split M -> M2, M1, M0 by 16, 256'");
  }
  std::vector<RankId> parts;
  for (std::size_t i = 0; i < st.parts.size(); ++i) {
    const RankId id = add_rank(st.parts[i], Rank::Kind::split_part, std::nullopt);
    Rank& part = cascade_.ranks[static_cast<std::size_t>(id)];
    part.split_of = *root;
    part.split_level = static_cast<int>(i);
    part.split_parts = static_cast<int>(st.parts.size());
    if (i > 0) part.split_factor = constant_expr(*st.factors[i - 1], "a split factor");
    parts.push_back(id);
  }
  cascade_.ranks[static_cast<std::size_t>(*root)].parts = std::move(parts);
}

std::vector<RankId> Resolver::slot_ranks(const std::vector<NameRef>& vars, const char* where) {
  std::vector<RankId> ranks = cascade_.batch_ranks;
  std::set<std::string> seen;
  for (const auto& v : vars) {
    auto r = cascade_.find_var(v.name);
    if (!r) {
      fail(loc_of(v), "undefined index variable '" + v.name + "'",
           "the lowercase name of a declared rank (" + known_vars() + ")");
    }
    if (cascade_.ranks[static_cast<std::size_t>(*r)].kind == Rank::Kind::batch) {
      fail(loc_of(v), "batch rank variable '" + v.name + "' is implicit in " + where,
           "only the non-batch index variables; batch ranks are carried by every tensor");
    }
    if (!seen.insert(v.name).second) fail(loc_of(v), "index variable '" + v.name + "' appears twice", "distinct index variables");
    ranks.push_back(*r);
  }
  return ranks;
}

double Resolver::checked_default(const Tensor& t, const std::pair<double, SourceLoc>& value) {
  if (is_integer(t.dtype) && (!std::isfinite(value.first) || value.first != std::floor(value.first))) {
    fail(value.second, "dtype mismatch: default of i32 tensor '" + t.name + "' is not an integer",
         "an integer default, e.g. -1 for an index tensor");
  }
  return value.first;
}

void Resolver::tensor_decl(Statement& st) {
  check_fresh_name(st.name, "a tensor");
  Tensor t;
  t.name = st.name.name;
  t.role = st.kind == Statement::Kind::input ? Tensor::Role::input : Tensor::Role::output;
  t.ranks = slot_ranks(st.slots, "a tensor declaration");
  t.iterative.assign(t.ranks.size(), false);
  t.dtype = default_dtype_;
  t.acc = default_acc_;
  if (st.type) std::tie(t.dtype, t.acc) = types_of(*st.type);
  if (st.default_value) t.default_value = checked_default(t, *st.default_value);
  t.loc = loc_of(st.name);
  declared_slots_.push_back(st.has_slots);
  cascade_.tensors.push_back(std::move(t));
}

void Resolver::apply_tensor_decl(Statement& st) {
  auto id = cascade_.find_tensor(st.name.name);
  if (!id) {
    fail(loc_of(st.name), "tensor '" + st.name.name + "' is declared but never assigned",
         "an Einsum '" + st.name.name + "[...] = ...' defining it");
  }
  Tensor& t = cascade_.tensors[static_cast<std::size_t>(*id)];
  if (t.role != Tensor::Role::intermediate || tensor_decl_seen_.count(*id)) {
    fail(loc_of(st.name), "'" + st.name.name + "' is already declared", "one declaration per tensor");
  }
  tensor_decl_seen_.insert(*id);
  if (st.type) std::tie(t.dtype, t.acc) = types_of(*st.type);
  if (st.default_value) t.default_value = checked_default(t, *st.default_value);
}

std::string Resolver::known_vars() const {
  std::string out;
  for (const auto& r : cascade_.ranks) {
    if (r.kind == Rank::Kind::batch) continue;
    if (!out.empty()) out += ", ";
    out += r.index;
  }
  return out.empty() ? "none declared" : out;
}

void Resolver::einsum_lhs(Statement& st) {
  Einsum e;
  e.loc = loc_of(st.name);
  e.label = st.name.name;
  auto existing = cascade_.find_tensor(st.name.name);
  TensorId out;
  if (existing) {
    Tensor& t = cascade_.tensors[static_cast<std::size_t>(*existing)];
    if (t.role == Tensor::Role::input) {
      fail(loc_of(st.name), "input tensor '" + t.name + "' cannot be assigned",
           "a new tensor name, or declare '" + t.name + "' as 'output'");
    }
    if (t.producer >= 0) {
      const auto& prev = cascade_.einsums[static_cast<std::size_t>(t.producer)].loc;
      fail(loc_of(st.name), "tensor '" + t.name + "' is assigned twice (first at line " +
                                std::to_string(prev.line) + ")", "one Einsum per tensor");
    }
    out = *existing;
  } else {
    if (cascade_.find_rank(st.name.name) || cascade_.find_param(st.name.name) ||
        cascade_.find_var(st.name.name) || kKeywords.count(st.name.name)) {
      fail(loc_of(st.name), "'" + st.name.name + "' is not a tensor name",
           "a tensor name that is not a rank, variable, parameter or reserved word");
    }
    Tensor t;
    t.name = st.name.name;
    t.role = Tensor::Role::intermediate;
    t.dtype = default_dtype_;
    t.acc = default_acc_;
    t.loc = loc_of(st.name);
    cascade_.tensors.push_back(std::move(t));
    declared_slots_.push_back(false);
    out = static_cast<TensorId>(cascade_.tensors.size() - 1);
  }
  Tensor& t = cascade_.tensors[static_cast<std::size_t>(out)];
  std::vector<NameRef> vars;
  for (const auto& idx : st.lhs) vars.push_back(idx.var);
  std::vector<RankId> ranks = slot_ranks(vars, "the left side");
  std::vector<bool> iterative(ranks.size(), false);
  for (std::size_t i = 0; i < st.lhs.size(); ++i) {
    if (!st.lhs[i].plus_one) continue;
    if (e.step_var >= 0) {
      fail(loc_of(st.lhs[i].var), "only one left-side index may be written 'r+1'",
           "a single iterative rank per Einsum");
    }
    e.step_var = ranks[cascade_.batch_ranks.size() + i];
    iterative[cascade_.batch_ranks.size() + i] = true;
  }
  if (t.role == Tensor::Role::output && declared_slots_[static_cast<std::size_t>(out)]) {
    if (t.ranks != ranks) {
      fail(loc_of(st.name), "output '" + t.name + "' is assigned with slots " + slot_text(ranks) +
                                " but declared with " + slot_text(t.ranks),
           "the left side in the declared slot order");
    }
  }
  t.ranks = ranks;
  t.iterative = iterative;
  t.producer = static_cast<EinsumId>(cascade_.einsums.size());
  e.output = out;
  e.lhs_vars = ranks;
  if (st.init && e.step_var < 0) {
    fail(st.init->second, "'init' is only allowed on an iterative Einsum",
         "a left side with an index 'r+1', or no 'init'");
  }
  if (!st.init && e.step_var >= 0) {
    fail(loc_of(st.name), "iterative Einsum '" + t.name + "' has no 'init' value",
         "'init V' at the end of the line, giving slice 0");
  }
  if (st.init) e.init = st.init->first;
  cascade_.einsums.push_back(std::move(e));
}

std::string Resolver::slot_text(const std::vector<RankId>& ranks) const {
  std::string s = "[";
  bool first = true;
  for (std::size_t i = cascade_.batch_ranks.size(); i < ranks.size(); ++i) {
    if (!first) s += ",";
    first = false;
    s += cascade_.ranks[static_cast<std::size_t>(ranks[i])].index;
  }
  return s + "]";
}

void Resolver::einsum_rhs(Statement& st, Einsum& e) {
  current_ = &e;
  std::set<RankId> lhs(e.lhs_vars.begin(), e.lhs_vars.end());
  used_vars_.clear();
  e.body = value_expr(*st.rhs);
  std::set<RankId> body_vars = used_vars_;
  if (st.where) {
    e.where = value_expr(*st.where);
    if (e.where->type != ValueType::integer) {
      fail(span_of(*st.where), "a 'where' mask must be a predicate", "a comparison such as 'm <= p' (combined with && or ||)");
    }
  }
  Tensor& out = cascade_.tensors[static_cast<std::size_t>(e.output)];
  std::vector<RankId> named;
  if (st.reduction) {
    const std::string& kind = st.reduction->name;
    if (kind == "topk" || kind == "filter") {
      e.populate = kind == "topk" ? Einsum::Populate::topk : Einsum::Populate::filter;
      const NameRef& src = st.reduction_vars[0];
      const NameRef& dst = st.reduction_vars[1];
      const RankId s = var_of(src);
      const RankId d = var_of(dst);
      if (lhs.count(s)) fail(loc_of(src), "'" + src.name + "' is on the left side; it cannot be selected from", "a variable of the right side only");
      if (!body_vars.count(s) && !(e.where && mentions(*e.where, s))) {
        fail(loc_of(src), "'" + src.name + "' does not occur in the expression it selects from", "a variable that the expression uses");
      }
      if (!lhs.count(d)) fail(loc_of(dst), "'" + dst.name + "' is not on the left side", "the left-side slot that receives the selected indices");
      if (body_vars.count(d)) fail(loc_of(dst), "'" + dst.name + "' receives the selected indices and cannot be used in the expression", "another variable");
      if (out.role == Tensor::Role::intermediate && !tensor_decl_seen_.count(e.output)) {
        out.dtype = DType::i32;
        out.acc = DType::i32;
      }
      if (out.dtype != DType::i32) {
        fail(loc_of(st.name), "dtype mismatch: " + kind + " produces indices but '" + out.name + "' is " +
                                  std::string(dtype_name(out.dtype)), "an i32 tensor");
      }
      e.source_var = s;
      e.target_var = d;
      if (e.step_var >= 0) fail(loc_of(st.name), kind + " cannot be iterative", "a left side without 'r+1'");
    } else {
      e.outer_op = kind == "sum" ? ReduceOp::add : kind == "max" ? ReduceOp::max : ReduceOp::min;
      for (const auto& v : st.reduction_vars) {
        const RankId r = var_of(v);
        if (lhs.count(r)) fail(loc_of(v), "'" + v.name + "' is on the left side; it cannot be reduced", "a variable that appears only on the right");
        if (!body_vars.count(r)) {
          fail(loc_of(v), "reduction over '" + v.name + "', which is not in the expression",
               "a variable that the reduced expression uses");
        }
        if (std::find(named.begin(), named.end(), r) != named.end()) fail(loc_of(v), "'" + v.name + "' is reduced twice", "distinct variables");
        named.push_back(r);
      }
      e.outer_vars = named;
    }
  }
  // Iteration space: left side, then named, then the rest of the right-only variables.
  std::set<RankId> all = body_vars;
  if (e.where) {
    used_vars_.clear();
    collect_vars(*e.where);
    all.insert(used_vars_.begin(), used_vars_.end());
  }
  for (RankId r : e.lhs_vars) {
    if (e.populate != Einsum::Populate::none && r == e.target_var) continue;
    e.iteration_vars.push_back(r);
  }
  for (RankId r : named) e.iteration_vars.push_back(r);
  for (RankId r : all) {
    if (lhs.count(r) || std::find(named.begin(), named.end(), r) != named.end()) continue;
    if (e.populate != Einsum::Populate::none) {
      if (r != e.source_var) {
        fail(st.rhs->loc, "variable '" + cascade_.ranks[static_cast<std::size_t>(r)].index +
                              "' of a " + st.reduction->name + " is neither on the left side nor selected from",
             "only the selected variable may be absent from the left side");
      }
      e.iteration_vars.push_back(r);
      continue;
    }
    e.inner_vars.push_back(r);
    e.iteration_vars.push_back(r);
  }
  if (is_integer(out.dtype) && e.body->type == ValueType::real && e.populate == Einsum::Populate::none) {
    fail(span_of(*st.rhs), "dtype mismatch: '" + out.name + "' is i32 but the expression is real-valued",
         "an integer expression, or a floating-point tensor type");
  }
  check_iterative_reads(e);
  current_ = nullptr;
}

void Resolver::collect_vars(const Expr& e) {
  if (e.kind == Expr::Kind::var) used_vars_.insert(e.id);
  for (const Expr* a : e.args) collect_vars(*a);
}

RankId Resolver::var_of(const NameRef& v) {
  auto r = cascade_.find_var(v.name);
  if (!r) fail(loc_of(v), "undefined index variable '" + v.name + "'", "the lowercase name of a declared rank (" + known_vars() + ")");
  return *r;
}

// An iterative Einsum reads its own output only at the previous slice `r`, and nobody
// reads a tensor at the step slot with `r+1` unless the tensor is iterative.
void Resolver::check_iterative_reads(const Einsum& e) {
  for (const auto& [expr, loc] : own_reads_) {
    if (e.step_var < 0) {
      fail(loc, "'" + cascade_.tensors[static_cast<std::size_t>(e.output)].name +
                    "' reads itself: a dependency cycle outside an iterative rank",
           "an iterative Einsum 'X[r+1,...] = f(X[r,...])' with 'init', or another tensor");
    }
    const Tensor& t = cascade_.tensors[static_cast<std::size_t>(e.output)];
    for (std::size_t slot = 0; slot < t.ranks.size(); ++slot) {
      const Expr* idx = expr->args[slot];
      const bool is_step = t.iterative[slot];
      if (is_step) {
        if (!(idx->kind == Expr::Kind::var && idx->id == e.step_var)) {
          fail(span_of(*idx), "iterative Einsum '" + t.name + "' must read its own output at '" +
                             cascade_.ranks[static_cast<std::size_t>(e.step_var)].index + "' (the previous slice)",
               "'" + cascade_.ranks[static_cast<std::size_t>(e.step_var)].index + "' in the iterative slot");
        }
      } else if (!(idx->kind == Expr::Kind::var && idx->id == e.lhs_vars[slot])) {
        fail(span_of(*idx), "iterative Einsum '" + t.name + "' must read its own output at the same coordinates",
             "'" + cascade_.ranks[static_cast<std::size_t>(e.lhs_vars[slot])].index + "' in this slot");
      }
    }
  }
  own_reads_.clear();
}

void Resolver::final_checks() {
  if (cascade_.einsums.empty()) {
    SourceLoc loc{1, 1, 1};
    fail(loc, "empty cascade: no Einsum", "at least one Einsum 'OUT[...] = ...'");
  }
  for (const auto& t : cascade_.tensors) {
    if (t.role == Tensor::Role::output && t.producer < 0) {
      fail(t.loc, "output '" + t.name + "' is never assigned", "an Einsum '" + t.name + "[...] = ...'");
    }
  }
  if (cascade_.outputs().empty()) {
    fail(cascade_.einsums.back().loc, "the cascade declares no output",
         "an 'output NAME[...] : TYPE' declaration for the result");
  }
  if (cascade_.name.empty()) {
    std::string n = source_->name;
    const auto slash = n.find_last_of('/');
    if (slash != std::string::npos) n = n.substr(slash + 1);
    const auto dot = n.find_last_of('.');
    if (dot != std::string::npos && dot > 0) n = n.substr(0, dot);
    cascade_.name = n;
  }
}

Cascade resolve(std::shared_ptr<const SourceText> source, SyntaxFile& file) {
  return Resolver(std::move(source), file).run();
}

}  // namespace einfuse::einsum::detail
