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

#include "einfuse/isa/program.hpp"
#include "einfuse/isa/run_result.hpp"

namespace einfuse::sim {

class DramBackend;
class Observer;

enum class OpTiming : std::uint8_t {
  cost_model,  ///< an array command takes Command::cycles; result after Command::drain_cycles
  structural,  ///< + 1 cycle to register the operands; result after max(drain, reduction depth)
};

enum class DramModel : std::uint8_t {
  none,   ///< infinitely fast: loads and stores take no time
  ideal,  ///< the arch's bandwidth, no latency, bytes reserved in program order
  hbm2,   ///< our HBM2 model (docs/dram.md), parameters from the arch spec
};

struct SimOptions {
  OpTiming op_timing = OpTiming::cost_model;
  DramModel dram = DramModel::ideal;
  /// Another DRAM model (e.g. a DRAMsim3 adapter): used instead of `dram` when set.
  std::shared_ptr<DramBackend> dram_backend;
  /// Commands the controller may have issued to one array and not yet started there (0: no
  /// bound). The controller issues in program order, so a full queue holds every unit back.
  std::size_t queue_depth = 0;
  /// Sees every slice of activity and the progress (trace writers, progress bars); not owned.
  Observer* observer = nullptr;
};

/// Runs the Program to the end. Each call elaborates a fresh SystemC context. Throws
/// std::runtime_error when the run deadlocks, naming the blocked commands.
isa::RunResult simulate(const isa::Program& program, const SimOptions& options = {});

}  // namespace einfuse::sim
