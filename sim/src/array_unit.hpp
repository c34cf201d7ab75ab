// Pe2dArray / Pe1dArray: one array of the arch executing its commands in program order
// (docs/sim.md). One thread per array, a few events per command.
#pragma once

#include <array>
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
  /// What running a command costs: busy cycles, the cycles after its end at which the result
  /// is visible, and its actions (the Program's, or from its unmasked points).
  struct Cost {
    u64 busy = 0, drain = 0;
    std::array<u64, mapper::kArrayOpCount> actions{};
  };
  Cost cost(const isa::Command& c) const;
  void account(const isa::Command& c, const Cost& cost, u64 start, u64 end);
  RunState& s_;
  std::size_t unit_;
  sc_core::sc_event token_known_;  ///< notified when a token it waits for is set
  std::string label_;
};

}  // namespace einfuse::sim::detail
