// The fidelity study's settings (fidelity.hpp), in the one order the tables keep: the ladder's
// rungs, the masking variants, the sensitivity knobs. Private to einfuse_explore.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "einfuse/mapper/arch_spec.hpp"
#include "einfuse/sim/simulator.hpp"

namespace einfuse::explore::fidelity::detail {

/// A rung of the ladder: the simulator's options with one effect more than (or one effect
/// other than) its base rung.
struct Rung {
  std::string name;  ///< the `setting` of its rows: list_schedule, structural, arch_channels, hbm2, ...
  std::string base;  ///< the rung it differs from by one effect ("" for the first: the closed form)
  std::string adds;  ///< what it changes, for the summary
  sim::SimOptions options;
};
/// The ladder (list_schedule, structural, arch_channels, hbm2, each on the one before) and
/// its two siblings with the spatial reductions pipelined instead of occupying the array
/// (structural_pipelined on structural, hbm2_pipelined on hbm2).
const std::vector<Rung>& ladder();
/// The rung every effect is on: the sensitivity sweep's base.
const Rung& top_rung();

/// The masking rows' variants: the causal cascade with its tiles costed from the real mask,
/// the same Program with masked points spread uniformly (as the Schedule and the closed form
/// spread them), and the unmasked cascade on the same mapping. A row's setting is
/// "RUNG:VARIANT".
const std::vector<std::string>& masking_variants();
std::string masking_setting(const std::string& rung, const std::string& variant);

/// One sensitivity point: FuseMax at the top rung with one knob (or a few, "generous") set.
struct Knob {
  std::string name;   ///< the `setting`: "banks=4", "buffer=1MiB", ...
  std::string group;  ///< banks, ports, prefetch, handoff, buffer, generous
  double value = 0;   ///< the knob's value (buffer in MiB), for the plots
  std::function<void(mapper::ArchSpec&, sim::SimOptions&)> apply;
  /// True when the knob leaves `arch` as it is (the point is the arch spec's own).
  std::function<bool(const mapper::ArchSpec&)> as_shipped;
};
const std::vector<Knob>& knobs();
/// Ends the note of a sensitivity row whose knob value is the arch spec's own.
inline const std::string kAsShipped = " (the arch spec's value)";

/// The position of a setting among all of the above (ladder, masking, knobs); settings the
/// study does not know come after, in an order the caller breaks by name.
std::size_t setting_rank(const std::string& setting);

}  // namespace einfuse::explore::fidelity::detail
