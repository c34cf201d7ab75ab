// hardware_run_options (hardware_numerics.hpp).
#include "einfuse/mapper/hardware_numerics.hpp"

#include <stdexcept>

namespace einfuse::mapper {

einsum::ExpAlgorithm exp_algorithm_of(const PeArray& array) {
  return array.exp_algorithm == "mac_sequence" ? einsum::ExpAlgorithm::mac_sequence : einsum::ExpAlgorithm::table;
}

einsum::RunOptions hardware_run_options(const ArchSpec& arch, const Mapping& mapping) {
  einsum::RunOptions r;
  r.numerics = einsum::Numerics::hardware;
  for (const Binding& b : mapping.bindings) {
    const PeArray* array = nullptr;
    for (const PeArray& a : arch.arrays)
      if (a.name == b.array) array = &a;
    if (!array) throw std::invalid_argument("bindings[" + b.einsum + "].array: '" + b.array + "' is not an array of " + arch.name);
    r.exp_algorithm_by_einsum[b.einsum] = exp_algorithm_of(*array);
  }
  return r;
}

}  // namespace einfuse::mapper
