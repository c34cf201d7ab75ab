#include "masked_tiles.hpp"

#include "tile_box.hpp"

namespace einfuse::sim::detail {

MaskedTiles::MaskedTiles(const mapper::Schedule& s, const einsum::Cascade& c, const einsum::BoundShape& shape)
    : s_(s), c_(c), shape_(shape) {
  for (const einsum::Einsum& e : c.einsums) {
    Spread sp;
    sp.masked = e.where != nullptr;
    sp.space = einsum::iteration_space(e);
    einsums_.push_back(std::move(sp));
  }
}

std::optional<MaskedTiles::Cost> MaskedTiles::cost(const isa::Command& c) {
  Spread& sp = einsums_[static_cast<std::size_t>(c.einsum)];
  if (!sp.masked) return std::nullopt;
  sp.space.box = command_box(s_, c_, c);
  Cost cost;
  cost.points = einsum::count_points(c_, shape_, sp.space);
  // Bresenham over the tiles: after this one, each op count has been handed out in
  // proportion to the points seen so far (exactly the total after the last tile).
  const mapper::WorkloadEinsum& we = s_.workload().einsums[static_cast<std::size_t>(c.einsum)];
  sp.points_seen += cost.points;
  for (std::size_t k = 0; k < cost.actions.size(); ++k) {
    const unsigned __int128 due = we.points ? static_cast<unsigned __int128>(we.ops[k]) * sp.points_seen / we.points : 0;
    cost.actions[k] = static_cast<std::uint64_t>(due) - sp.emitted[k];
    sp.emitted[k] = static_cast<std::uint64_t>(due);
  }
  const mapper::Schedule::OpTime t = s_.op_time(c.einsum, cost.actions, cost.points);
  cost.cycles = t.cycles;
  cost.drain_cycles = cost.points ? t.drain_cycles : 0;
  return cost;
}

}  // namespace einfuse::sim::detail
