// Commands and waits in words, for a deadlock report (docs/sim.md, "Deadlocks").
#pragma once

#include <string>
#include <unordered_map>

#include "sim_state.hpp"

namespace einfuse::sim::detail {

/// "command 57 (pe2d reduce.mac QK of tile op 12)", "command 3 (load K (32768 bytes) of tile op 1)".
std::string describe_command(const RunState& s, const isa::Command& c);

/// What unit `u` waits for, one line; empty when it is not blocked. `known` finds the
/// commands still held by a unit, to describe the one waited for.
std::string describe_waiting(const RunState& s, std::size_t u, const std::unordered_map<u64, const isa::Command*>& known);

}  // namespace einfuse::sim::detail
