// What a simulation shows while it runs (docs/sim.md): every slice of activity a unit
// completes (an array command, a DMA transfer, a DRAM transfer), in the order they finish,
// and the progress of the controller through the Program. Trace writers (Perfetto, VCD) and
// progress bars are observers; the simulator calls them and knows nothing of files.
#pragma once

#include <cstdint>
#include <string_view>

#include "einfuse/isa/blocks.hpp"
#include "einfuse/isa/command.hpp"

namespace einfuse::sim {

/// One slice of activity of one unit: [start, end) in cycles.
struct Activity {
  std::string_view unit;     ///< the unit's name: the arch's array name, "dma", "dram_channel"
  isa::Block block = isa::Block::controller;
  const isa::Command* command = nullptr;  ///< what it executed (valid during the call only)
  std::string_view label;    ///< what the slice is called: the opcode and kernel, or the tensor
  std::uint64_t start = 0, end = 0;
};

class Observer {
 public:
  virtual ~Observer() = default;
  /// Before the run: how many array commands it will issue (one per tile op).
  virtual void on_start(std::uint64_t array_commands) { (void)array_commands; }
  /// A slice has ended. Slices of one unit arrive in order of their end.
  virtual void on_activity(const Activity& a) = 0;
  /// The controller has issued `issued` array commands by cycle `now`; called every few
  /// thousand. An exception from any call stops the run and leaves simulate() as it was.
  virtual void on_progress(std::uint64_t issued, std::uint64_t now) { (void)issued, (void)now; }
  /// The run has ended at `cycles` (not called when it throws).
  virtual void on_finish(std::uint64_t cycles) { (void)cycles; }
};

}  // namespace einfuse::sim
