#include "tile_kernels.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "einfuse/einsum/graph.hpp"
#include "einfuse/mapper/hardware_numerics.hpp"
#include "tile_box.hpp"

namespace einfuse::sim::detail {
namespace {

bool contains(const std::vector<einsum::RankId>& v, einsum::RankId x) { return std::find(v.begin(), v.end(), x) != v.end(); }

std::vector<einsum::RankId> reduced_vars(const einsum::Einsum& e) {
  std::vector<einsum::RankId> r = e.outer_vars;
  r.insert(r.end(), e.inner_vars.begin(), e.inner_vars.end());
  if (e.populate != einsum::Einsum::Populate::none) r.push_back(e.source_var);
  return r;
}

// Every reason the values of this tiling cannot be the interpreter's, one sentence each.
std::vector<std::string> tiling_problems(const mapper::Schedule& s, const einsum::Cascade& c, const einsum::BoundShape& shape) {
  std::vector<std::string> out;
  const std::vector<mapper::ScheduleLoop>& loops = s.loops();
  const mapper::Workload& w = s.workload();
  std::vector<std::int64_t> tile(w.extent.begin(), w.extent.end());
  for (const mapper::ScheduleLoop& l : loops) tile[static_cast<std::size_t>(l.rank_id)] /= l.factor;
  for (std::size_t i = 0; i < c.einsums.size(); ++i) {
    const einsum::Einsum& e = c.einsums[i];
    std::vector<einsum::TilingLoop> reducing;
    for (const mapper::ScheduleLoop& l : loops) {
      if (l.factor <= 1) continue;
      const einsum::RankId r = l.rank_id;
      if (contains(reduced_vars(e), r)) reducing.push_back({r, l.factor});
      if (e.populate != einsum::Einsum::Populate::none && r == e.source_var)
        out.push_back(e.label + ": the loop over " + l.rank + " cuts its candidates (" + c.ranks[static_cast<std::size_t>(r)].index +
                      ") over tiles; a top-k or filter needs them in one tile");
      for (einsum::RankId v : e.iteration_vars)
        if (v != r && c.root_rank(v) == r)
          out.push_back(e.label + ": the loop over " + l.rank + " tiles its variable " + c.ranks[static_cast<std::size_t>(v)].index +
                        " through the split rank; loop over the part instead");
    }
    if (auto p = einsum::reduction_order_problem(c, shape, static_cast<einsum::EinsumId>(i), reducing)) out.push_back(*p);
  }
  return out;
}

}  // namespace

einsum::RunOptions data_mode_options(const mapper::Schedule& s) {
  einsum::RunOptions o;
  o.numerics = einsum::Numerics::hardware;
  const mapper::Workload& w = s.workload();
  for (std::size_t e = 0; e < w.einsums.size(); ++e) {
    const mapper::PeArray& a = s.arch().arrays[static_cast<std::size_t>(s.array_of(static_cast<int>(e)))];
    o.exp_algorithm_by_einsum[w.einsums[e].name] = mapper::exp_algorithm_of(a);
  }
  return o;
}

TileKernels::TileKernels(const mapper::Schedule& s, const einsum::Cascade& c, const einsum::BoundShape& shape,
                         const einsum::TensorMap& inputs)
    : s_(s), c_(c) {
  const std::vector<std::string> problems = tiling_problems(s, c, shape);
  if (!problems.empty()) {
    std::string text = "sim data mode: the mapping's tiles cannot give the interpreter's values:";
    for (const std::string& p : problems) text += "\n  " + p;
    throw std::invalid_argument(text);
  }
  exec_ = std::make_unique<einsum::TileExecution>(c, shape, inputs, data_mode_options(s));
  reducing_loops_.resize(c.einsums.size());
  cycle_of_.assign(c.einsums.size(), -1);
  std::vector<std::int64_t> tile(s.workload().extent.begin(), s.workload().extent.end());
  for (const mapper::ScheduleLoop& l : s.loops()) tile[static_cast<std::size_t>(l.rank_id)] /= l.factor;
  for (const auto& group : einsum::evaluation_order(c)) {
    einsum::RankId step = -1;
    for (einsum::EinsumId id : group) step = std::max(step, c.einsums[static_cast<std::size_t>(id)].step_var);
    if (group.size() < 2 || step < 0 || tile[static_cast<std::size_t>(step)] <= 1) continue;
    for (einsum::EinsumId id : group) cycle_of_[static_cast<std::size_t>(id)] = static_cast<int>(cycles_.size());
    cycles_.push_back({group, {}});
  }
  for (std::size_t i = 0; i < c.einsums.size(); ++i)
    for (std::size_t j = 0; j < s.loops().size(); ++j)
      if (s.loops()[j].factor > 1 && contains(reduced_vars(c.einsums[i]), s.loops()[j].rank_id)) reducing_loops_[i].push_back(j);
}

void TileKernels::execute(const isa::Command& cmd) {
  if (const int k = cycle_of_[static_cast<std::size_t>(cmd.einsum)]; k >= 0) {
    Cycle& cycle = cycles_[static_cast<std::size_t>(k)];
    if (++cycle.seen[cmd.loop_index] < cycle.members.size()) return;
    cycle.seen.erase(cmd.loop_index);
    // Every member's command of this tile has come: their boxes share the tile's indices.
    std::vector<std::vector<einsum::IndexRange>> boxes(cycle.members.size(), command_box(s_, c_, cmd));
    exec_->run_cycle(cycle.members, boxes);
    return;
  }
  bool first = true, last = true;
  for (std::size_t j : reducing_loops_[static_cast<std::size_t>(cmd.einsum)]) {
    first = first && cmd.loop_index[j] == 0;
    last = last && cmd.loop_index[j] == s_.loops()[j].factor - 1;
  }
  exec_->run(cmd.einsum, command_box(s_, c_, cmd), first, last);
}

}  // namespace einfuse::sim::detail
