// The SystemC level (docs/sim.md): an isa::Program executed by modules named as the hardware
// blocks (Controller, Pe2dArray, Pe1dArray, Dma, DramChannel), one thread per unit, a few
// events per command, integer cycles.
//
// With `op_timing = cost_model` an array command takes the cycles the cost model states and
// its result is visible `drain` cycles later; with the `ideal` DRAM the channel moves the
// Program's bytes in program order at the arch's bandwidth without latency. Under those
// settings and unbounded queues the simulated cycles equal mapper::simulate()'s makespan
// exactly (tests/sim).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "einfuse/einsum/cascade.hpp"
#include "einfuse/einsum/dense_tensor.hpp"
#include "einfuse/einsum/shape.hpp"
#include "einfuse/isa/program.hpp"
#include "einfuse/isa/run_result.hpp"

namespace einfuse::sim {

class DramBackend;
class Observer;

enum class OpTiming : std::uint8_t {
  cost_model,  ///< an array command takes Command::cycles; result after Command::drain_cycles
  structural,  ///< + 1 cycle to register the operands; result after max(drain, reduction depth)
};

/// Structural timing: what a spatial reduction (a column's max or sum through D PEs) does to
/// its array.
enum class ReductionTiming : std::uint8_t {
  occupies_array,  ///< the chain runs in the PEs' own registers: the array is busy D - 1 more
                   ///< cycles per tile (the RTL arrays' MAX_REDUCE / SUM_REDUCE, docs/rtl-arrays.md)
  pipelined,       ///< the chain has registers of its own: the array takes the next tile at
                   ///< once and the result is visible D cycles after the tile's last value
};

enum class DramModel : std::uint8_t {
  none,   ///< infinitely fast: loads and stores take no time
  ideal,  ///< the arch's bandwidth, no latency, bytes reserved in program order
  hbm2,   ///< our HBM2 model (docs/dram.md), parameters from the arch spec
};

/// The channels between the blocks.
enum class Channels : std::uint8_t {
  unbounded,  ///< the cost model's assumptions: any number of tiles in flight, free buffer ports
  arch,       ///< the arch spec's: DMA outstanding transfers, prefetch depth and buffer space,
              ///< handoff buffers between the arrays, buffer banks and ports (docs/sim.md)
};

struct SimOptions {
  OpTiming op_timing = OpTiming::cost_model;
  ReductionTiming reduction = ReductionTiming::occupies_array;  ///< structural timing only
  DramModel dram = DramModel::ideal;
  /// Another DRAM model (e.g. a DRAMsim3 adapter): used instead of `dram` when set.
  std::shared_ptr<DramBackend> dram_backend;
  /// Commands the controller may have issued to one array and not yet started there (0: no
  /// bound). The controller issues in program order, so a full queue holds every unit back.
  std::size_t queue_depth = 0;
  Channels channels = Channels::unbounded;
  /// Commands the controller may have issued past the oldest one not yet finished (0: no
  /// bound). It bounds what a long run holds in memory (a few hundred bytes a command); the
  /// default is far beyond what any unit can run ahead, so it changes no timing in practice.
  std::size_t issue_window = std::size_t{1} << 20;
  /// With Channels::arch: the global buffer's capacity in bytes (0: the arch's), to study a
  /// smaller or larger buffer than the one the mapping was made for.
  std::uint64_t buffer_bytes = 0;
  /// Sees every slice of activity and the progress (trace writers, progress bars); not owned.
  Observer* observer = nullptr;
};

/// A run that cannot finish: every unit waits for something only another waiting unit could
/// give. what() names the cycle, the number of unfinished commands and, per unit, what it
/// waits for; `blocked` holds those lines.
class DeadlockError : public std::runtime_error {
 public:
  DeadlockError(const std::string& summary, std::vector<std::string> blocked);
  std::vector<std::string> blocked;
};

/// Timing mode: runs the Program to the end. Each call elaborates a fresh SystemC context.
/// Throws std::runtime_error when the run deadlocks, naming the blocked commands. Masked
/// points are costed as the Schedule spreads them (evenly over an Einsum's tiles).
isa::RunResult simulate(const isa::Program& program, const SimOptions& options = {});

/// Timing mode with the cascade the Program was lowered from (`shape` bound as its
/// Workload): a tile whose points are all masked is skipped, and a partly masked tile costs
/// what its unmasked points cost, counted from the mask (docs/sim.md, "Masks").
isa::RunResult simulate(const isa::Program& program, const einsum::Cascade& cascade, const einsum::BoundShape& shape,
                        const SimOptions& options = {});

struct DataRun {
  isa::RunResult result;
  einsum::TensorMap outputs;  ///< the cascade's outputs, by name
};

/// Data mode: as the timing run with the cascade, and every array command computes its
/// tile's values through the numeric library when it starts (the accelerator's units, each
/// Einsum's exp as its array computes it). The outputs are bit-identical to the
/// interpreter's hardware mode with the same arch and mapping (tests/sim). `inputs` as for
/// einsum::interpret. Throws std::invalid_argument when the mapping's tiling cannot give the
/// interpreter's values (the reasons named), einsum::CascadeError for bad inputs.
DataRun simulate_data(const isa::Program& program, const einsum::Cascade& cascade, const einsum::BoundShape& shape,
                      const einsum::TensorMap& inputs, const SimOptions& options = {});

}  // namespace einfuse::sim
