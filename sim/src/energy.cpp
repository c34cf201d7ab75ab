// Energy from the run's own action counts, charged as the cost model charges them
// (docs/cost-model.md): each op, two register reads and a write per micro-op, buffer bytes
// per row access, DRAM bytes per access.
#include "sim_state.hpp"

namespace einfuse::sim::detail {
namespace {

double energy_of(const mapper::ArchSpec& arch, const char* action) {
  auto it = arch.energy_pj.find(action);
  return it == arch.energy_pj.end() ? 0.0 : it->second;
}

}  // namespace

void charge_energy(const mapper::ArchSpec& arch, isa::RunResult& r) {
  double ops = 0, exp = 0, reg = 0, buf_r = 0, buf_w = 0;
  const double per_uop = 2 * energy_of(arch, "register_read") + energy_of(arch, "register_write");
  for (std::size_t a = 0; a < arch.arrays.size(); ++a)
    for (std::size_t k = 0; k < mapper::kArrayOpCount; ++k) {
      const auto op = static_cast<mapper::ArrayOp>(k);
      const double n = static_cast<double>(r.units[a].actions[k]);
      const double pj = n * mapper::array_op_energy(arch, arch.arrays[a], op);
      (op == mapper::ArrayOp::exp ? exp : ops) += pj;
      reg += static_cast<double>(r.units[a].actions[k] * mapper::array_op_micro_ops(arch.arrays[a], op)) * per_uop;
    }
  for (const isa::TensorCounts& t : r.tensors) {
    buf_r += static_cast<double>(t.buffer_read_bytes);
    buf_w += static_cast<double>(t.buffer_write_bytes);
  }
  const double row_bytes = arch.global_buffer.row_bits / 8.0;
  r.energy_pj_by_action["ops (exp excluded)"] = ops;
  r.energy_pj_by_action["exp"] = exp;
  r.energy_pj_by_action["register"] = reg;
  r.energy_pj_by_action["buffer_read"] = buf_r * energy_of(arch, "buffer_read_row") / row_bytes;
  r.energy_pj_by_action["buffer_write"] = buf_w * energy_of(arch, "buffer_write_row") / row_bytes;
  r.energy_pj_by_action["dram"] =
      static_cast<double>(r.dram_bytes) * energy_of(arch, "dram_access") / (arch.dram.access_bits / 8.0);
  r.energy_pj = 0;
  for (const auto& [action, pj] : r.energy_pj_by_action) r.energy_pj += pj;
}

}  // namespace einfuse::sim::detail
