// The Controller (docs/sim.md): pulls the Program's commands in order and issues each to its
// unit; runs fences.
#pragma once

#include <string>
#include <vector>

#include "array_unit.hpp"
#include "dma.hpp"
#include "dram_channel.hpp"
#include "sim_state.hpp"

namespace einfuse::sim::detail {

class Controller : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Controller);
  Controller(sc_core::sc_module_name n, RunState& s, std::vector<ArrayUnit*> arrays, Dma& dma, DramChannel& dram,
             std::size_t unit);

 private:
  void run();
  void fence();
  void issue_compute(isa::Command c);
  RunState& s_;
  std::vector<ArrayUnit*> arrays_;
  Dma& dma_;
  DramChannel& dram_;
  std::size_t unit_;
  u64 computes_ = 0;  ///< array commands issued
};

}  // namespace einfuse::sim::detail
