// Populate operators: top-k and filter make i32 index tensors.
//
// The scores (top-k) or predicate values (filter) are computed first by the dense evaluator
// over (the other left-side variables, the source variable), with a flag per point saying
// whether the point is a candidate (its `where` held). Then, per point of the other
// left-side variables:
//   topk(c -> j):   the candidates ordered by (score descending, index ascending), NaN
//                   scores after every number; the first J indices go to j = 0..J-1 and
//                   the slots beyond the candidates are padded with -1.
//   filter(m -> j): the candidates whose value is non-zero (NaN counts as non-zero, as in
//                   C), in ascending index order; the first J go to j, the rest of j is
//                   padded with -1; candidates beyond J are dropped.
#include <algorithm>
#include <cmath>

#include "interpreter_internal.hpp"

namespace einfuse::einsum::detail {
namespace {

struct Candidate {
  double score;
  std::int64_t index;
};

// (score descending, index ascending), NaN lowest: a strict weak order, so the selection
// does not depend on the sort algorithm.
bool ranks_before(const Candidate& x, const Candidate& y) {
  const bool xn = std::isnan(x.score), yn = std::isnan(y.score);
  if (xn != yn) return yn;
  if (!xn && x.score != y.score) return x.score > y.score;
  return x.index < y.index;
}

}  // namespace

void run_populate(const EinsumTask& task) {
  const Einsum& e = task.e;
  std::vector<RankId> others;
  std::size_t target_slot = 0;
  for (std::size_t s = 0; s < e.lhs_vars.size(); ++s) {
    if (e.lhs_vars[s] == e.target_var) {
      target_slot = s;
    } else {
      others.push_back(e.lhs_vars[s]);
    }
  }
  const RankId src = e.source_var;
  const auto range = [&](RankId v) { return task.ranges[uidx(v)]; };

  // Scores over (others..., src), row-major over the ranges, offsets relative to the lows.
  DenseJob job;
  job.out_vars = others;
  job.out_vars.push_back(src);
  job.out_strides.assign(job.out_vars.size(), 1);
  for (std::size_t i = job.out_vars.size(); i-- > 1;) {
    job.out_strides[i - 1] = job.out_strides[i] * range(job.out_vars[i]).size();
  }
  std::size_t count = 1;
  for (std::size_t i = 0; i < job.out_vars.size(); ++i) {
    count *= static_cast<std::size_t>(range(job.out_vars[i]).size());
    job.out_base -= range(job.out_vars[i]).lo * job.out_strides[i];
  }
  std::vector<double> scores(count, 0.0);
  std::vector<std::uint8_t> candidate(count, 0);
  job.out = scores.data();
  job.written = candidate.data();
  job.outer_vars = e.outer_vars;
  job.inner_vars = e.inner_vars;
  job.outer_op = e.outer_op;
  job.body = e.body;
  job.where = e.where;
  run_dense_job(task, job);

  DenseTensor& out = task.store.tensors[uidx(e.output)];
  const std::vector<std::int64_t>& ostride = task.store.strides[uidx(e.output)];
  const std::int64_t J = out.extents[target_slot];
  const VarRange cr = range(src);
  std::vector<Candidate> cands;
  std::vector<std::int64_t> values(task.c.ranks.size(), 0);
  for (RankId v : others) values[uidx(v)] = range(v).lo;
  std::size_t row = 0;  // index of the current point of `others` in the score buffer
  for (;;) {
    cands.clear();
    for (std::int64_t i = 0; i < cr.size(); ++i) {
      const std::size_t k = row * static_cast<std::size_t>(cr.size()) + static_cast<std::size_t>(i);
      if (!candidate[k]) continue;
      if (e.populate == Einsum::Populate::filter && scores[k] == 0.0) continue;
      cands.push_back({scores[k], cr.lo + i});
    }
    if (e.populate == Einsum::Populate::topk) {
      const auto keep = std::min<std::size_t>(cands.size(), static_cast<std::size_t>(J));
      std::partial_sort(cands.begin(), cands.begin() + static_cast<std::ptrdiff_t>(keep), cands.end(), ranks_before);
    }  // filter: candidates are already in ascending index order
    std::int64_t base = 0;
    for (std::size_t s = 0; s < e.lhs_vars.size(); ++s) {
      if (s != target_slot) base += values[uidx(e.lhs_vars[s])] * ostride[s];
    }
    for (std::int64_t j = 0; j < J; ++j) {
      const bool have = static_cast<std::size_t>(j) < cands.size();
      out.data[uidx(base + j * ostride[target_slot])] = have ? static_cast<double>(cands[uidx(j)].index) : -1.0;
    }
    ++row;
    // Advance the odometer over `others` (last fastest), matching the buffer's order.
    std::size_t i = others.size();
    for (; i-- > 0;) {
      std::int64_t& x = values[uidx(others[i])];
      if (++x < range(others[i]).hi) break;
      x = range(others[i]).lo;
    }
    if (i == static_cast<std::size_t>(-1)) break;
  }
}

}  // namespace einfuse::einsum::detail
