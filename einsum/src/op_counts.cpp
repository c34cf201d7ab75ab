// Op counts per Einsum and per kind (op_counts.hpp; convention in docs/op-counts.md).
#include "einfuse/einsum/op_counts.hpp"

#include <algorithm>

#include "einfuse/einsum/point_count.hpp"

namespace einfuse::einsum {
namespace {

std::size_t idx(int id) { return static_cast<std::size_t>(id); }

[[noreturn]] void overflow(const Cascade& c, const Einsum& e) {
  throw CascadeError(c.source.get(), e.loc, "count overflows 64 bits (op counts of " + e.label + ")",
                     "smaller sizes");
}

std::uint64_t mul_checked(const Cascade& c, const Einsum& e, std::uint64_t a, std::uint64_t b) {
  std::uint64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) overflow(c, e);
  return r;
}

void add_checked(const Cascade& c, const Einsum& e, std::uint64_t& into, std::uint64_t n) {
  if (__builtin_add_overflow(into, n, &into)) overflow(c, e);
}

bool is_comparison(Op op) {
  return op == Op::lt || op == Op::le || op == Op::gt || op == Op::ge || op == Op::eq || op == Op::ne;
}

bool has_real_operand(const Expr& e) {
  return std::any_of(e.args.begin(), e.args.end(), [](const Expr* a) { return a->type == ValueType::real; });
}

// Ops per point of one expression tree, by kind. Index expressions (tensor arguments) are
// integer-valued and free, so the walk does not descend into them.
void count_tree(const Expr& e, OpCounts& per_point, const Expr* skip) {
  if (e.kind != Expr::Kind::apply) return;
  for (const Expr* a : e.args) count_tree(*a, per_point, skip);
  if (&e == skip) return;
  const bool real = e.type == ValueType::real;
  if (is_comparison(e.op)) {
    if (has_real_operand(e)) ++per_point[OpKind::cmp];
    return;
  }
  if (!real) return;  // integer arithmetic and logic on predicates
  switch (e.op) {
    case Op::add:
    case Op::sub: ++per_point[OpKind::add]; break;
    case Op::mul: ++per_point[OpKind::mul]; break;
    case Op::div:
    case Op::mod: ++per_point[OpKind::div]; break;
    case Op::max:
    case Op::min: ++per_point[OpKind::max]; break;
    case Op::clamp: per_point[OpKind::max] += 2; break;
    case Op::exp: ++per_point[OpKind::exp]; break;
    case Op::recip: ++per_point[OpKind::recip]; break;
    case Op::sqrt: ++per_point[OpKind::sqrt]; break;
    case Op::neg:
    case Op::abs: ++per_point[OpKind::neg]; break;
    case Op::select: ++per_point[OpKind::select]; break;
    default: break;
  }
}

}  // namespace

std::string_view op_kind_name(OpKind k) {
  switch (k) {
    case OpKind::add: return "add";
    case OpKind::mul: return "mul";
    case OpKind::mac: return "mac";
    case OpKind::div: return "div";
    case OpKind::max: return "max";
    case OpKind::exp: return "exp";
    case OpKind::recip: return "recip";
    case OpKind::sqrt: return "sqrt";
    case OpKind::neg: return "neg";
    case OpKind::cmp: return "cmp";
    case OpKind::select: return "select";
  }
  return "?";
}

const std::array<OpKind, kOpKindCount>& all_op_kinds() {
  static const std::array<OpKind, kOpKindCount> kinds = {
      OpKind::add, OpKind::mul, OpKind::mac,  OpKind::div, OpKind::max,   OpKind::exp,
      OpKind::recip, OpKind::sqrt, OpKind::neg, OpKind::cmp, OpKind::select};
  return kinds;
}

std::map<std::string, std::uint64_t> OpCounts::by_name() const {
  std::map<std::string, std::uint64_t> out;
  for (OpKind k : all_op_kinds()) {
    if ((*this)[k] != 0) out.emplace(std::string(op_kind_name(k)), (*this)[k]);
  }
  return out;
}

EinsumOps count_einsum_ops(const Cascade& c, const BoundShape& shape, EinsumId id) {
  const Einsum& e = c.einsums[idx(id)];
  EinsumOps out;
  out.einsum = id;
  out.points = count_points(c, shape, e);

  const Expr& body = *e.body;
  const bool real_body = body.type == ValueType::real;
  const bool sums = real_body && e.populate == Einsum::Populate::none &&
                    (!e.inner_vars.empty() || (!e.outer_vars.empty() && e.outer_op == ReduceOp::add));
  // A + reduction of a product is one multiply-accumulate per point, not a mul and an add.
  const bool mac = sums && body.kind == Expr::Kind::apply && body.op == Op::mul;
  // A filter's test of its predicate is the candidate's one comparison.
  const bool filter_test = e.populate == Einsum::Populate::filter && body.kind == Expr::Kind::apply &&
                           is_comparison(body.op);
  OpCounts per_point;
  count_tree(body, per_point, mac || filter_test ? &body : nullptr);
  if (mac) ++per_point[OpKind::mac];
  if (sums && !mac) ++per_point[OpKind::add];
  for (OpKind k : all_op_kinds()) out.ops[k] = mul_checked(c, e, per_point[k], out.points);

  if (real_body && e.populate == Einsum::Populate::none && !e.outer_vars.empty() &&
      e.outer_op != ReduceOp::add) {
    // One combine per (lhs, outer) point that has at least one unmasked inner point.
    std::uint64_t combines = out.points;
    if (!e.inner_vars.empty()) {
      PointSpace space = iteration_space(e);
      space.projected = e.inner_vars;
      combines = count_points(c, shape, space);
    }
    add_checked(c, e, out.ops[OpKind::max], combines);
  }
  if (e.populate == Einsum::Populate::topk) {
    // Each candidate is compared once per output slot it competes for.
    const auto slots = static_cast<std::uint64_t>(shape.extent(e.target_var));
    add_checked(c, e, out.ops[OpKind::cmp], mul_checked(c, e, out.points, slots));
  } else if (e.populate == Einsum::Populate::filter) {
    add_checked(c, e, out.ops[OpKind::cmp], out.points);
  }
  return out;
}

CascadeOps count_ops(const Cascade& c, const BoundShape& shape) {
  CascadeOps out;
  for (std::size_t i = 0; i < c.einsums.size(); ++i) {
    out.einsums.push_back(count_einsum_ops(c, shape, static_cast<EinsumId>(i)));
    for (OpKind k : all_op_kinds()) {
      add_checked(c, c.einsums[i], out.total[k], out.einsums.back().ops[k]);
    }
  }
  return out;
}

}  // namespace einfuse::einsum
