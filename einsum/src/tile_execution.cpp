// TileExecution (tile_execution.hpp): the interpreter's engine run over boxes, with the
// running values of split reductions kept between boxes.
#include "einfuse/einsum/tile_execution.hpp"

#include <algorithm>
#include <stdexcept>

#include "interpreter_internal.hpp"

namespace einfuse::einsum {

using detail::uidx;

struct TileExecution::Impl {
  Impl(const Cascade& c, const BoundShape& shape, const RunOptions& options) : x(c, shape, options) {}
  detail::Execution x;
  /// Running values of split reductions, by output tensor (allocated on first use).
  std::vector<std::vector<double>> partial;
  std::vector<std::vector<std::uint8_t>> partial_seen;
};

TileExecution::TileExecution(const Cascade& c, const BoundShape& shape, const TensorMap& inputs, const RunOptions& options) {
  RunOptions o = options;
  o.contraction_fast_path = false;  // a box is not a whole GEMM; one engine for every box
  impl_ = std::make_unique<Impl>(c, shape, o);
  impl_->x.allocate(inputs);
  impl_->partial.resize(c.tensors.size());
  impl_->partial_seen.resize(c.tensors.size());
}

TileExecution::~TileExecution() = default;

void TileExecution::run(EinsumId id, const std::vector<IndexRange>& box, bool first, bool last) {
  detail::Execution& x = impl_->x;
  const Cascade& c = x.cascade();
  const Einsum& e = c.einsums[uidx(id)];
  std::vector<detail::VarRange> ranges = x.full_ranges();
  for (RankId v : e.iteration_vars) ranges[uidx(v)] = {box[uidx(v)].lo, box[uidx(v)].hi};
  for (RankId v : e.iteration_vars)
    if (ranges[uidx(v)].size() <= 0) return;  // an empty box
  const bool split = !(first && last);
  if (split) {
    const char* what = e.populate != Einsum::Populate::none ? "a populate Einsum"
                       : e.step_var >= 0                    ? "an iterative Einsum"
                       : !e.outer_vars.empty() && !e.inner_vars.empty() ? "a sum under an outer reduction"
                                                                        : nullptr;
    if (what) throw std::invalid_argument("tile execution: " + e.label + " is " + what + "; its reduction cannot be split over tiles");
  }
  if (e.step_var >= 0) {  // the steps of a running value, in order
    const detail::VarRange steps = ranges[uidx(e.step_var)];
    for (std::int64_t r = steps.lo; r < steps.hi; ++r) {
      ranges[uidx(e.step_var)] = {r, r + 1};
      x.run_einsum(id, ranges);
    }
  } else if (!split) {
    x.run_einsum(id, ranges);
  } else {
    const detail::EinsumTask task{c, x.shape(), e, x.store(), ranges, x.numerics_of(e)};
    detail::DenseJob job = detail::einsum_job(task);
    std::vector<double>& partial = impl_->partial[uidx(e.output)];
    std::vector<std::uint8_t>& seen = impl_->partial_seen[uidx(e.output)];
    if (partial.empty()) {
      partial.assign(x.store().tensors[uidx(e.output)].data.size(), 0.0);
      seen.assign(partial.size(), 0);
    }
    job.partial = partial.data();
    job.partial_seen = seen.data();
    job.resume = !first;
    job.suspend = !last;
    detail::run_dense_job(task, job);
  }
  if (last) x.check_i32_result(e);
}

void TileExecution::run_cycle(const std::vector<EinsumId>& members, const std::vector<std::vector<IndexRange>>& boxes) {
  detail::Execution& x = impl_->x;
  const Cascade& c = x.cascade();
  RankId step = -1;
  for (EinsumId id : members) step = std::max(step, c.einsums[uidx(id)].step_var);
  if (step < 0) throw std::invalid_argument("tile execution: run_cycle needs a running value among its members");
  std::vector<std::vector<detail::VarRange>> ranges;
  for (std::size_t i = 0; i < members.size(); ++i) {
    ranges.push_back(x.full_ranges());
    for (RankId v : c.einsums[uidx(members[i])].iteration_vars)
      ranges.back()[uidx(v)] = {boxes[i][uidx(v)].lo, boxes[i][uidx(v)].hi};
  }
  const IndexRange steps = boxes.front()[uidx(step)];
  for (std::int64_t r = steps.lo; r < steps.hi; ++r)
    for (std::size_t i = 0; i < members.size(); ++i) {
      ranges[i][uidx(step)] = {r, r + 1};
      x.run_einsum(members[i], ranges[i]);
    }
  for (EinsumId id : members) x.check_i32_result(c.einsums[uidx(id)]);
}

TensorMap TileExecution::results(bool keep_intermediates) { return impl_->x.results(keep_intermediates); }

// The interpreter visits a reduction's points with the reduced variables as digits, most
// significant first: outer_vars, then inner_vars, each ascending. A walk of tiles visits
// them with the loops' block indices as the most significant digits (outermost loop first),
// then the offsets inside the box in that same variable order. Both orders agree exactly
// when the two digit sequences are the same once digits of radix 1 are dropped.
std::optional<std::string> reduction_order_problem(const Cascade& c, const BoundShape& shape, EinsumId id,
                                                   const std::vector<TilingLoop>& loops) {
  const Einsum& e = c.einsums[uidx(id)];
  std::vector<RankId> reduced = e.outer_vars;
  reduced.insert(reduced.end(), e.inner_vars.begin(), e.inner_vars.end());
  struct Digit {
    RankId var;
    int loop;  ///< -1: the offset inside the box
    bool operator==(const Digit&) const = default;
  };
  std::vector<std::int64_t> box(c.ranks.size());
  for (std::size_t v = 0; v < box.size(); ++v) box[v] = shape.rank_extent[v];
  std::vector<Digit> walk, reference;
  for (std::size_t j = 0; j < loops.size(); ++j) {
    const TilingLoop& l = loops[j];
    if (l.factor <= 1 || std::find(reduced.begin(), reduced.end(), l.var) == reduced.end()) continue;
    box[uidx(l.var)] /= l.factor;
    walk.push_back({l.var, static_cast<int>(j)});
  }
  for (RankId v : reduced)
    if (box[uidx(v)] > 1) walk.push_back({v, -1});
  for (RankId v : reduced) {
    for (std::size_t j = 0; j < loops.size(); ++j)
      if (loops[j].var == v && loops[j].factor > 1) reference.push_back({v, static_cast<int>(j)});
    if (box[uidx(v)] > 1) reference.push_back({v, -1});
  }
  if (walk == reference) return std::nullopt;
  for (std::size_t i = 0; i < walk.size(); ++i)
    if (!(walk[i] == reference[i]))
      return e.label + ": the tiles visit its reduction over " + c.ranks[uidx(walk[i].var)].index +
             " before the interpreter's order reaches it (" + c.ranks[uidx(reference[i].var)].index +
             " first), so a sum would round differently";
  return std::nullopt;
}

}  // namespace einfuse::einsum
