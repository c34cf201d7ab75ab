// Pe2dArray / Pe1dArray: one array of the arch executing its commands in program order
// (docs/sim.md). One thread per array, a few events per command.
#pragma once

#include <string>

#include "sim_state.hpp"

namespace einfuse::sim::detail {

class ArrayUnit : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(ArrayUnit);
  ArrayUnit(sc_core::sc_module_name n, RunState& s, std::size_t unit);
  CommandQueue queue;

 private:
  void run();
  /// Busy cycles and the cycles after its end at which the result is visible, by op timing.
  void op_time(const isa::Command& c, u64& busy, u64& drain) const;
  void account(const isa::Command& c, u64 start, u64 end, u64 busy);
  RunState& s_;
  std::size_t unit_;
  std::string label_;
};

}  // namespace einfuse::sim::detail
