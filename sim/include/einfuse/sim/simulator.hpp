// The SystemC level (docs/sim.md): an isa::Program executed by modules named as the hardware
// blocks (Controller, Pe2dArray, Pe1dArray, Dma, DramChannel), one thread per unit, a few
// events per command, integer cycles.
//
// Timing mode only so far: commands carry no values. With `op_timing = cost_model` an array
// command takes the cycles the cost model states and its result is visible `drain` cycles
// later; with the `ideal` DRAM the channel moves the Program's bytes in program order at the
// arch's bandwidth without latency. Under those settings and unbounded queues the simulated
// cycles equal mapper::simulate()'s makespan exactly (tests/sim).
#pragma once

#include <cstddef>
#include <cstdint>

#include "einfuse/isa/program.hpp"
#include "einfuse/isa/run_result.hpp"

namespace einfuse::sim {

enum class OpTiming : std::uint8_t {
  cost_model,  ///< an array command takes Command::cycles; result after Command::drain_cycles
  structural,  ///< + 1 cycle to register the operands; result after max(drain, reduction depth)
};

enum class DramModel : std::uint8_t {
  none,   ///< infinitely fast: loads and stores take no time
  ideal,  ///< the arch's bandwidth, no latency, bytes reserved in program order
};

struct SimOptions {
  OpTiming op_timing = OpTiming::cost_model;
  DramModel dram = DramModel::ideal;
  /// Commands the controller may have issued to one array and not yet started there (0: no
  /// bound). The controller issues in program order, so a full queue holds every unit back.
  std::size_t queue_depth = 0;
};

/// Runs the Program to the end. Each call elaborates a fresh SystemC context. Throws
/// std::runtime_error when the run deadlocks, naming the blocked commands.
isa::RunResult simulate(const isa::Program& program, const SimOptions& options = {});

}  // namespace einfuse::sim
