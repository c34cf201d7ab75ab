// The interpreter a tile at a time, for executors that run a cascade in pieces (the SystemC
// level's data mode, docs/sim.md): the tensors live here, and the executor asks for one
// Einsum over one box of its iteration space at a time, in its own order.
//
// Given the boxes of a schedule in the schedule's order, the results are bit-identical to
// interpret() with the same options when (a) every box's inputs have been computed by then
// (the schedule's dependencies), and (b) a reduction split over several boxes visits its
// points in the interpreter's order (Einsum::inner_vars / outer_vars order, each ascending):
// its running value is kept between boxes unrounded, as the hardware keeps a partial sum in
// its accumulator. reduction_order_problem() says when (b) fails for a tiling.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "einfuse/einsum/cascade.hpp"
#include "einfuse/einsum/dense_tensor.hpp"
#include "einfuse/einsum/interpreter.hpp"
#include "einfuse/einsum/shape.hpp"

namespace einfuse::einsum {

class TileExecution {
 public:
  /// Checks and rounds the inputs as interpret() does (CascadeError on a bad input).
  TileExecution(const Cascade& c, const BoundShape& shape, const TensorMap& inputs, const RunOptions& options);
  ~TileExecution();
  TileExecution(const TileExecution&) = delete;
  TileExecution& operator=(const TileExecution&) = delete;

  /// Runs Einsum `e` over `box` (by RankId; entries of variables `e` does not iterate are
  /// ignored). `first` / `last`: the box starts / completes the reduction of every output it
  /// touches; between, running values are kept aside. An iterative Einsum runs the box's
  /// steps in order. Throws std::invalid_argument for a split this cannot represent (a
  /// populate Einsum, an iterative Einsum, or inner ranks under an outer reduction split
  /// over boxes).
  void run(EinsumId e, const std::vector<IndexRange>& box, bool first, bool last);

  /// Runs the members of an iterative group of evaluation_order() (a running value whose
  /// cycle has several Einsums, RD and SPD) over their boxes, step by step: every member
  /// finishes step r before any starts step r+1, as the interpreter runs them. `boxes` by
  /// member; the boxes' reductions must be whole.
  void run_cycle(const std::vector<EinsumId>& members, const std::vector<std::vector<IndexRange>>& boxes);

  /// The outputs (every computed tensor with keep_intermediates). Call once, at the end.
  TensorMap results(bool keep_intermediates = false);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// One loop of a tiling, as an executor walks it: the variable it steps and how many
/// blocks it cuts that variable's current range into (loops over one variable nest).
struct TilingLoop {
  RankId var = -1;
  std::int64_t factor = 1;
};

/// Whether walking `loops` (outermost first; every other variable whole in each box) visits
/// the points of Einsum `e`'s reduction in the interpreter's order. Returns a sentence naming
/// the variable out of order when it does not, nullopt when it does.
std::optional<std::string> reduction_order_problem(const Cascade& c, const BoundShape& shape, EinsumId e,
                                                   const std::vector<TilingLoop>& loops);

}  // namespace einfuse::einsum
