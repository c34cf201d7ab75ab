// Data mode (docs/sim.md): an array command computes its tile's values through the numeric
// library when it runs. The tensors are held by value (einsum::TileExecution), indexed by
// coordinates, not by the Program's buffer rows: the values a tile reads are whatever its
// producers' tiles wrote by the time its tokens let it start, which is what the check against
// the interpreter tests.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "einfuse/einsum/cascade.hpp"
#include "einfuse/einsum/shape.hpp"
#include "einfuse/einsum/tile_execution.hpp"
#include "einfuse/isa/command.hpp"
#include "einfuse/mapper/schedule.hpp"

namespace einfuse::sim::detail {

class TileKernels {
 public:
  /// Throws std::invalid_argument, with every reason, when the mapping tiles the cascade in a
  /// way whose values the interpreter's order cannot give (a reduction visited out of order,
  /// a populate Einsum's candidates cut over tiles, a rank's variable tiled through another
  /// part).
  TileKernels(const mapper::Schedule& s, const einsum::Cascade& c, const einsum::BoundShape& shape,
              const einsum::TensorMap& inputs);
  /// Computes the command's tile. A running value whose cycle has several Einsums (RD and
  /// SPD: each step needs every member's previous one) and whose tile holds several steps is
  /// computed, all members step by step, when the cycle's last command of the tile runs.
  void execute(const isa::Command& cmd);
  /// The outputs, after the last command.
  einsum::TensorMap results() { return exec_->results(); }

 private:
  const mapper::Schedule& s_;
  const einsum::Cascade& c_;
  std::unique_ptr<einsum::TileExecution> exec_;
  /// By Einsum: the loops (factor > 1) over a variable it reduces; the tile starts the
  /// reduction at their first index and completes it at their last.
  std::vector<std::vector<std::size_t>> reducing_loops_;
  /// Cycles of several Einsums whose tiles hold several steps, and by Einsum its cycle (-1).
  struct Cycle {
    std::vector<einsum::EinsumId> members;
    std::map<std::vector<std::int64_t>, std::size_t> seen;  ///< commands met so far, by tile
  };
  std::vector<Cycle> cycles_;
  std::vector<int> cycle_of_;
};

/// The RunOptions data mode computes with: the accelerator's units, each Einsum's exp as its
/// array computes it (the arch's exp_algorithm), as mapper::hardware_run_options gives.
einsum::RunOptions data_mode_options(const mapper::Schedule& s);

}  // namespace einfuse::sim::detail
