// Masked tiles costed from the real mask (docs/sim.md, "Masks"): the Schedule spreads an
// Einsum's unmasked points evenly over its tiles; the hardware skips a tile whose points are
// all masked and spends on a partly masked one what its unmasked points cost.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "einfuse/einsum/cascade.hpp"
#include "einfuse/einsum/point_count.hpp"
#include "einfuse/einsum/shape.hpp"
#include "einfuse/isa/command.hpp"
#include "einfuse/mapper/schedule.hpp"

namespace einfuse::sim::detail {

class MaskedTiles {
 public:
  MaskedTiles(const mapper::Schedule& s, const einsum::Cascade& c, const einsum::BoundShape& shape);
  struct Cost {
    std::uint64_t points = 0;  ///< unmasked points in the tile
    std::uint64_t cycles = 0, drain_cycles = 0;
    std::array<std::uint64_t, mapper::kArrayOpCount> actions{};
  };
  /// The tile's cost from its unmasked points; nullopt when its Einsum has no mask (then the
  /// Program's cost is exact). Call once per array command, in each array's program order:
  /// the actions are the Einsum's op counts spread over its tiles in proportion to their
  /// unmasked points, so they sum exactly to the op counts.
  std::optional<Cost> cost(const isa::Command& c);

 private:
  struct Spread {
    bool masked = false;
    einsum::PointSpace space;
    std::uint64_t points_seen = 0;
    std::array<std::uint64_t, mapper::kArrayOpCount> emitted{};
  };
  const mapper::Schedule& s_;
  const einsum::Cascade& c_;
  const einsum::BoundShape& shape_;
  std::vector<Spread> einsums_;
};

}  // namespace einfuse::sim::detail
