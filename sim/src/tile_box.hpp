// The box of the iteration space an array command works on: the Schedule's tile box, with a
// split rank's variable (m) following its coarsest part's loop (m1): m1 in [a, b) is m in
// [a*M0, b*M0). A loop over a finer part (m0) leaves no contiguous range of m.
#pragma once

#include <stdexcept>
#include <vector>

#include "einfuse/einsum/cascade.hpp"
#include "einfuse/einsum/shape.hpp"
#include "einfuse/isa/command.hpp"
#include "einfuse/mapper/schedule.hpp"

namespace einfuse::sim::detail {

inline std::vector<einsum::IndexRange> command_box(const mapper::Schedule& s, const einsum::Cascade& c, const isa::Command& cmd) {
  std::vector<einsum::IndexRange> box = s.tile_box(cmd.loop_index);
  const mapper::Workload& w = s.workload();
  for (std::size_t v = 0; v < c.ranks.size(); ++v) {
    const einsum::Rank& r = c.ranks[v];
    if (r.parts.empty()) continue;
    const auto part = static_cast<std::size_t>(r.parts.front());
    if (box[part].size() == w.extent[part]) continue;
    for (std::size_t k = 1; k < r.parts.size(); ++k) {
      const auto finer = static_cast<std::size_t>(r.parts[k]);
      if (box[finer].size() != w.extent[finer])
        throw std::invalid_argument("sim: the mapping's loops cut both " + c.ranks[part].name + " and " + c.ranks[finer].name +
                                    ", which leaves no contiguous range of " + r.index);
    }
    const std::int64_t stride = w.extent[v] / w.extent[part];
    box[v] = {box[part].lo * stride, box[part].hi * stride};
  }
  return box;
}

}  // namespace einfuse::sim::detail
