// The interpreter's hardware-numerics mode for a mapped cascade: each Einsum computes exp the
// way the array it is bound to does (the arch spec's exp_algorithm), so the golden reference,
// the simulator and the RTL run the same arithmetic.
#pragma once

#include "einfuse/einsum/interpreter.hpp"
#include "einfuse/mapper/arch_spec.hpp"
#include "einfuse/mapper/mapping.hpp"

namespace einfuse::mapper {

/// How an array computes exp: its `mac_sequence` or, for any other exp_algorithm, the table unit.
einsum::ExpAlgorithm exp_algorithm_of(const PeArray& array);

/// RunOptions in Numerics::hardware with exp_algorithm_by_einsum filled from the mapping's
/// bindings: `mac_sequence` arrays give ExpAlgorithm::mac_sequence, `table` ones (and Einsums
/// the mapping does not bind) the table unit. Throws std::invalid_argument naming a binding
/// whose array the arch does not have.
einsum::RunOptions hardware_run_options(const ArchSpec& arch, const Mapping& mapping);

}  // namespace einfuse::mapper
