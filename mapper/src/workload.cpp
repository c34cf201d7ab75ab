// make_workload: the cascade at one shape, reduced to what the cost model needs (op counts
// translated to array ops, tensor sizes, which ranks index which operand). Done once per
// (cascade, shape), so evaluating a mapping never walks an expression tree.
#include <algorithm>
#include <string>
#include <vector>

#include "einfuse/einsum/graph.hpp"
#include "einfuse/einsum/op_counts.hpp"
#include "einfuse/mapper/cost_model.hpp"
#include "integer_math.hpp"

namespace einfuse::mapper {
namespace {

using einsum::Cascade;
using einsum::Expr;
using einsum::OpKind;

using detail::idx;

// Variables (RankIds) that appear anywhere in an expression.
void collect_vars(const Expr& e, std::vector<int>& out) {
  if (e.kind == Expr::Kind::var) {
    if (std::find(out.begin(), out.end(), e.id) == out.end()) out.push_back(e.id);
    return;
  }
  for (const Expr* a : e.args) collect_vars(*a, out);
}

// For each tensor read in `e`, the variables its index expressions use (union over all the
// places it is read).
void collect_reads(const Expr& e, std::vector<OperandUse>& reads) {
  if (e.kind == Expr::Kind::access) {
    auto it = std::find_if(reads.begin(), reads.end(), [&](const OperandUse& u) { return u.tensor == e.id; });
    if (it == reads.end()) {
      reads.push_back({e.id, {}});
      it = reads.end() - 1;
    }
    for (const Expr* a : e.args) collect_vars(*a, it->ranks);
  }
  for (const Expr* a : e.args) collect_reads(*a, reads);
}

// exp(x - y): the subtraction is the exp's range-reduction input, not an add of its own (the
// FuseMax and FLAT evaluations both charge SLN = exp(QK - RM) as one exp).
int exp_of_difference(const Expr& e) {
  int n = 0;
  if (e.kind == Expr::Kind::apply && e.op == einsum::Op::exp && !e.args.empty()) {
    const Expr& a = *e.args[0];
    if (a.kind == Expr::Kind::apply && a.op == einsum::Op::sub && a.type == einsum::ValueType::real) ++n;
  }
  for (const Expr* a : e.args) n += exp_of_difference(*a);
  return n;
}

int exp_nodes(const Expr& e) {
  int n = (e.kind == Expr::Kind::apply && e.op == einsum::Op::exp) ? 1 : 0;
  for (const Expr* a : e.args) n += exp_nodes(*a);
  return n;
}

std::uint64_t& at(std::array<std::uint64_t, kArrayOpCount>& ops, ArrayOp op) {
  return ops[static_cast<std::size_t>(op)];
}

}  // namespace

const char* array_op_name(ArrayOp op) {
  switch (op) {
    case ArrayOp::mac: return "mac";
    case ArrayOp::add: return "add";
    case ArrayOp::max: return "max";
    case ArrayOp::min: return "min";
    case ArrayOp::cmp: return "cmp";
    case ArrayOp::divide: return "divide";
    case ArrayOp::exp: return "exp";
  }
  return "?";
}

int Workload::find_rank(const std::string& name) const {
  auto it = std::find(rank_names.begin(), rank_names.end(), name);
  return it == rank_names.end() ? -1 : static_cast<int>(it - rank_names.begin());
}

int Workload::find_einsum(const std::string& name) const {
  for (std::size_t i = 0; i < einsums.size(); ++i)
    if (einsums[i].name == name) return static_cast<int>(i);
  return -1;
}

int Workload::find_tensor(const std::string& name) const {
  for (std::size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].name == name) return static_cast<int>(i);
  return -1;
}

Workload make_workload(const Cascade& c, const einsum::BoundShape& shape) {
  Workload w;
  w.cascade = c.name;
  if (c.ranks.size() > 64)
    throw einsum::CascadeError(c.source.get(), c.ranks[64].loc,
                               "more than 64 ranks: the cost model keeps rank sets in 64-bit masks", "at most 64 ranks");
  for (std::size_t r = 0; r < c.ranks.size(); ++r) {
    w.rank_names.push_back(c.ranks[r].name);
    w.extent.push_back(shape.rank_extent[r]);
    w.root.push_back(c.ranks[r].split_of >= 0 ? c.ranks[r].split_of : static_cast<int>(r));
  }
  for (std::size_t t = 0; t < c.tensors.size(); ++t) {
    const einsum::Tensor& tensor = c.tensors[t];
    WorkloadTensor wt;
    wt.name = tensor.name;
    wt.role = tensor.role;
    wt.ranks.assign(tensor.ranks.begin(), tensor.ranks.end());
    wt.elements = shape.elements(c, static_cast<int>(t));
    wt.producer = tensor.producer;
    w.tensors.push_back(std::move(wt));
  }
  const einsum::CascadeOps counts = einsum::count_ops(c, shape);
  for (std::size_t i = 0; i < c.einsums.size(); ++i) {
    const einsum::Einsum& e = c.einsums[i];
    const einsum::EinsumOps& n = counts.einsums[i];
    WorkloadEinsum we;
    we.name = e.label;
    we.iteration_ranks.assign(e.iteration_vars.begin(), e.iteration_vars.end());
    we.reduced_ranks.assign(e.outer_vars.begin(), e.outer_vars.end());
    we.reduced_ranks.insert(we.reduced_ranks.end(), e.inner_vars.begin(), e.inner_vars.end());
    we.points = n.points;
    we.output = e.output;

    auto& ops = we.ops;
    at(ops, ArrayOp::mac) = n.ops[OpKind::mac] + n.ops[OpKind::mul];
    at(ops, ArrayOp::add) = n.ops[OpKind::add];
    at(ops, ArrayOp::max) = n.ops[OpKind::max];
    at(ops, ArrayOp::cmp) = n.ops[OpKind::cmp] + n.ops[OpKind::select];
    at(ops, ArrayOp::divide) = n.ops[OpKind::div] + n.ops[OpKind::recip];
    at(ops, ArrayOp::exp) = n.ops[OpKind::exp];
    // exp(x - y): take the subtractions back out of the adds, in proportion to the exp
    // nodes that have one (exp counts are per evaluated point, like the adds).
    if (e.body != nullptr && n.ops[OpKind::exp] > 0) {
      const int with_sub = exp_of_difference(*e.body);
      const int all = exp_nodes(*e.body);
      if (with_sub > 0 && all > 0) {
        const std::uint64_t fused = n.ops[OpKind::exp] / static_cast<std::uint64_t>(all) *
                                    static_cast<std::uint64_t>(with_sub);
        at(ops, ArrayOp::add) -= std::min(fused, at(ops, ArrayOp::add));
      }
    }
    if (n.ops[OpKind::sqrt] > 0) we.unsupported.push_back("sqrt");
    // neg/abs are sign flips, free on any datapath.

    if (e.body != nullptr) collect_reads(*e.body, we.reads);
    if (e.where != nullptr) collect_reads(*e.where, we.reads);
    for (const OperandUse& u : we.reads) {
      auto& consumers = w.tensors[idx(u.tensor)].consumers;
      if (std::find(consumers.begin(), consumers.end(), static_cast<int>(i)) == consumers.end())
        consumers.push_back(static_cast<int>(i));
    }
    w.einsums.push_back(std::move(we));
  }
  // A running value's step rank is sequential for its whole dependency cycle: SPD[m1] needs
  // RD[m1], which needs SPD[m1-1].
  const einsum::DependencyGraph g = einsum::dependency_graph(c);
  for (const auto& members : g.components) {
    std::vector<int> steps;
    for (einsum::EinsumId e : members)
      if (c.einsums[idx(e)].step_var >= 0) steps.push_back(c.einsums[idx(e)].step_var);
    for (einsum::EinsumId e : members)
      for (int r : steps) {
        auto& seq = w.einsums[idx(e)].sequential_ranks;
        if (std::find(seq.begin(), seq.end(), r) == seq.end()) seq.push_back(r);
      }
  }
  return w;
}

}  // namespace einfuse::mapper
