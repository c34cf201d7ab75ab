// A whole layer in timing mode, fast (docs/sim.md, "A whole layer"): when its (batch, head)
// slices are identical — the loops over every batch rank are the outermost DRAM loops, no
// batch rank is laid across an array, and every tensor in DRAM is indexed by every batch rank
// (so no slice reuses another's data) — the run of n slices is periodic in the slice once the
// pipeline is full. The layer is then simulated at 2 and 3 slices and every count of the
// result extrapolated linearly: X(n) = X(3) + (n - 3) (X(3) - X(2)). The result says so
// (RunResult::slices_run = 3, slice_scale = n). Otherwise the whole layer is simulated.
#pragma once

#include <cstdint>
#include <string>

#include "einfuse/einsum/cascade.hpp"
#include "einfuse/einsum/shape.hpp"
#include "einfuse/isa/run_result.hpp"
#include "einfuse/mapper/arch_spec.hpp"
#include "einfuse/mapper/cost_model.hpp"
#include "einfuse/mapper/mapping.hpp"
#include "einfuse/sim/simulator.hpp"

namespace einfuse::sim {

struct LayerRun {
  isa::RunResult result;
  std::uint64_t slices = 1;  ///< (batch, head) slices of the layer
  bool extrapolated = false;
  std::string note;          ///< how the layer was run, one sentence for reports
};

/// Simulates the cascade at `shape` with `mapping` on `arch` (timing mode, masks from the
/// cascade), extrapolating from 2 and 3 slices when that is exact (see above) and `allow`.
/// Throws what mapper::evaluate and sim::simulate throw.
LayerRun simulate_layer(const einsum::Cascade& cascade, const einsum::BoundShape& shape, const mapper::ArchSpec& arch,
                        const mapper::Mapping& mapping, const mapper::CostOptions& cost_options, const SimOptions& options,
                        bool allow_extrapolation = true);

}  // namespace einfuse::sim
