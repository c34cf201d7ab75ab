// Minimal passes over each rank (passes.hpp; definition and worked examples in
// docs/passes.md).
#include "einfuse/einsum/passes.hpp"

#include <algorithm>

#include "einfuse/einsum/graph.hpp"

namespace einfuse::einsum {
namespace {

std::size_t idx(int id) { return static_cast<std::size_t>(id); }

bool is_part_of(const Cascade& c, RankId rank, RankId root) { return c.root_rank(rank) == root; }

bool uses_variable(const Expr& e) {
  if (e.kind == Expr::Kind::var) return true;
  return std::any_of(e.args.begin(), e.args.end(), [](const Expr* a) { return uses_variable(*a); });
}

// What one Einsum's reads of one tensor look like with respect to a root rank.
struct ReadFacts {
  bool complete = false;  ///< some read needs the whole r fiber of the tensor
  bool gathered = false;  ///< the tensor is read inside an index expression
};

// A read is complete when every slot of r is pinned to a constant final slice of an
// iterative slot (RNV[f,M1,p]); a tensor without slots of r is complete by construction
// (GM[p]), which the caller combines with `depends`. A read of an iterative slot at a
// running step (RM[j+1,p] with j not a part of r, as after a gather) is a prefix value
// that the online correction consumes within the pass, so it is never complete.
bool read_is_complete(const Cascade& c, const Expr& access, RankId root) {
  const Tensor& t = c.tensors[idx(access.id)];
  for (std::size_t s = 0; s < t.ranks.size(); ++s) {
    const bool variable = uses_variable(*access.args[s]);
    if (t.iterative[s] && variable) return false;
    if (is_part_of(c, t.ranks[s], root) && (variable || !t.iterative[s])) return false;
  }
  return true;
}

void collect_reads(const Cascade& c, const Expr& e, RankId root, bool in_index,
                   std::vector<ReadFacts>& facts) {
  if (e.kind == Expr::Kind::access) {
    ReadFacts& f = facts[idx(e.id)];
    f.complete = f.complete || read_is_complete(c, e, root);
    f.gathered = f.gathered || in_index;
    for (const Expr* a : e.args) collect_reads(c, *a, root, true, facts);
    return;
  }
  for (const Expr* a : e.args) collect_reads(c, *a, root, in_index, facts);
}

std::vector<ReadFacts> read_facts(const Cascade& c, const Einsum& e, RankId root) {
  std::vector<ReadFacts> facts(c.tensors.size());
  if (e.body) collect_reads(c, *e.body, root, false, facts);
  if (e.where) collect_reads(c, *e.where, root, false, facts);
  return facts;
}

// A tensor made by top-k or filter over r (or a part of r): gathering through it needs
// the selection finished, i.e. a barrier on r.
bool selects_over(const Cascade& c, TensorId t, RankId root) {
  const EinsumId p = c.tensors[idx(t)].producer;
  if (p < 0) return false;
  const Einsum& e = c.einsums[idx(p)];
  return e.populate != Einsum::Populate::none && is_part_of(c, e.source_var, root);
}

RankPasses analyse_rank(const Cascade& c, RankId root,
                        const std::vector<std::vector<EinsumId>>& order) {
  RankPasses rp;
  rp.rank = root;
  const std::size_t ne = c.einsums.size();
  const std::size_t nt = c.tensors.size();
  rp.traverses.resize(ne);
  rp.einsum_pass.assign(ne, 0);
  rp.depends.assign(nt, false);
  rp.tensor_pass.assign(nt, 0);
  for (std::size_t i = 0; i < ne; ++i) rp.traverses[i] = traverses(c, c.einsums[i], root);

  // Dependence on the r fiber flows forward along reads; groups come in topological
  // order, and a cyclic group is swept as often as it has members so it saturates.
  for (std::size_t t = 0; t < nt; ++t) {
    const Tensor& tensor = c.tensors[t];
    if (tensor.producer >= 0) continue;
    rp.depends[t] = std::any_of(tensor.ranks.begin(), tensor.ranks.end(),
                                [&](RankId r) { return is_part_of(c, r, root); });
  }
  for (const auto& group : order) {
    for (std::size_t sweep = 0; sweep < group.size(); ++sweep) {
      for (EinsumId id : group) {
        const Einsum& e = c.einsums[idx(id)];
        bool dep = rp.depends[idx(e.output)];
        for (TensorId t : e.reads) dep = dep || rp.depends[idx(t)];
        rp.depends[idx(e.output)] = dep;
      }
    }
  }

  // Passes. Reads inside a cyclic group are step-local (one step's slice is made and
  // consumed in the same traversal), so they never add a pass; only reads from earlier
  // groups can.
  for (const auto& group : order) {
    std::vector<std::vector<ReadFacts>> facts;
    for (EinsumId id : group) facts.push_back(read_facts(c, c.einsums[idx(id)], root));
    for (std::size_t sweep = 0; sweep < group.size(); ++sweep) {
      for (std::size_t g = 0; g < group.size(); ++g) {
        const EinsumId id = group[g];
        const Einsum& e = c.einsums[idx(id)];
        const bool trav = rp.traverses[idx(id)];
        int k = 0;
        for (TensorId t : e.reads) {
          const EinsumId producer = c.tensors[idx(t)].producer;
          const bool local = producer >= 0 && std::find(group.begin(), group.end(), producer) != group.end();
          int pass = rp.tensor_pass[idx(t)];
          if (trav && !local) {
            const ReadFacts& f = facts[g][idx(t)];
            const bool complete = rp.depends[idx(t)] && f.complete;
            const bool barrier = f.gathered && selects_over(c, t, root);
            if (complete || barrier) ++pass;
          }
          k = std::max(k, pass);
        }
        rp.einsum_pass[idx(id)] = trav ? std::max(1, k) : k;
        rp.tensor_pass[idx(e.output)] = rp.einsum_pass[idx(id)];
      }
    }
  }
  for (std::size_t i = 0; i < ne; ++i) {
    if (rp.traverses[i]) rp.passes = std::max(rp.passes, rp.einsum_pass[i]);
  }
  return rp;
}

}  // namespace

bool traverses(const Cascade& c, const Einsum& e, RankId root) {
  return std::any_of(e.iteration_vars.begin(), e.iteration_vars.end(), [&](RankId v) {
    if (v == root) return true;
    const Rank& r = c.ranks[idx(v)];
    return r.kind == Rank::Kind::split_part && r.split_of == root && r.split_level > 0;
  });
}

const RankPasses* PassAnalysis::find(RankId r) const {
  for (const auto& rp : ranks) {
    if (rp.rank == r) return &rp;
  }
  return nullptr;
}

int PassAnalysis::passes(std::string_view rank_name) const {
  const auto it = passes_by_rank.find(std::string(rank_name));
  return it == passes_by_rank.end() ? -1 : it->second;
}

PassAnalysis analyse_passes(const Cascade& c) {
  PassAnalysis out;
  out.einsum_pass.resize(c.einsums.size());
  const auto order = evaluation_order(c);
  for (std::size_t r = 0; r < c.ranks.size(); ++r) {
    const Rank& rank = c.ranks[r];
    if (rank.kind != Rank::Kind::plain) continue;
    const auto root = static_cast<RankId>(r);
    bool in_input = false;
    for (TensorId t : c.inputs()) {
      for (RankId s : c.tensors[idx(t)].ranks) in_input = in_input || is_part_of(c, s, root);
    }
    if (!in_input) continue;
    RankPasses rp = analyse_rank(c, root, order);
    out.passes_by_rank[rank.name] = rp.passes;
    for (std::size_t e = 0; e < c.einsums.size(); ++e) out.einsum_pass[e][root] = rp.einsum_pass[e];
    out.ranks.push_back(std::move(rp));
  }
  return out;
}

}  // namespace einfuse::einsum
