// The cost report as a table and as JSON (cost_report_output.hpp).
#include "cost_report_output.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>

#include "cascade_json.hpp"

namespace einfuse::cli {

nlohmann::json cost_report_json(const Costed& c) {
  const mapper::CostReport& r = c.report;
  nlohmann::json j;
  j["cascade"] = c.cascade_name;
  j["file"] = c.cascade_file;
  j["arch"] = c.arch.name;
  j["mapping"] = c.mapping.name;
  j["mode"] = c.mode;
  j["einsums"] = nlohmann::json::array();
  for (const auto& e : r.einsums) {
    j["einsums"].push_back({{"einsum", e.einsum}, {"array", e.array}, {"pes_used", e.pes_used},
                            {"array_tiles", e.array_tiles}, {"cycles", e.cycles}, {"exposed_stall", e.exposed_stall}});
  }
  j["arrays"] = nlohmann::json::array();
  for (const auto& a : r.arrays)
    j["arrays"].push_back({{"array", a.array}, {"busy_cycles", a.busy_cycles}, {"utilisation", a.utilisation}});
  j["stages"] = nlohmann::json::array();
  for (const auto& s : r.stages)
    j["stages"].push_back({{"einsums", s.einsums}, {"compute_cycles", s.compute_cycles}, {"dram_bytes", s.dram_bytes}});
  j["tensors"] = nlohmann::json::array();
  for (const auto& t : r.tensors) {
    j["tensors"].push_back({{"tensor", t.tensor},
                            {"dram_read_bytes", t.dram_read_bytes},
                            {"dram_write_bytes", t.dram_write_bytes},
                            {"buffer_read_bytes", t.buffer_read_bytes},
                            {"buffer_write_bytes", t.buffer_write_bytes},
                            {"register_reads", t.register_reads},
                            {"register_writes", t.register_writes},
                            {"buffer_footprint_bytes", t.buffer_footprint_bytes}});
  }
  j["compute_cycles"] = r.compute_cycles;
  j["dram_cycles"] = r.dram_cycles;
  j["latency_cycles"] = r.latency_cycles;
  j["latency_s"] = r.latency_s;
  j["clock_hz"] = c.arch.clock_hz;
  j["dram_bytes"] = r.dram_bytes;
  j["buffer_footprint_bytes"] = r.buffer_footprint_bytes;
  j["buffer_capacity_bytes"] = c.arch.global_buffer.capacity_bytes;
  j["energy_pj"] = {{"total", r.energy.total_pj}, {"by_action", r.energy.by_action}};
  j["area_um2"] = r.area_um2;
  return j;
}

void print_cost_report(const Costed& c) {
  const mapper::CostReport& r = c.report;
  std::cout << fmt::format("mapping '{}': cascade {} ({}) on {}, {} cost model\n\n", c.mapping.name, c.cascade_name,
                           c.cascade_file, c.arch.name, c.mode);
  std::cout << fmt::format("{:<8} {:<8} {:>9} {:>16} {:>16} {:>14}\n", "einsum", "array", "PEs used", "array tiles",
                           "cycles", "exposed stall");
  for (const auto& e : r.einsums) {
    std::cout << fmt::format("{:<8} {:<8} {:>9} {:>16} {:>16} {:>14}\n", e.einsum, e.array, with_commas(e.pes_used),
                             with_commas(e.array_tiles), with_commas(e.cycles), with_commas(e.exposed_stall));
  }
  std::cout << fmt::format("\n{:<8} {:>16} {:>12}\n", "array", "busy cycles", "utilisation");
  for (const auto& a : r.arrays)
    std::cout << fmt::format("{:<8} {:>16} {:>11.1f}%\n", a.array, with_commas(a.busy_cycles), a.utilisation * 100);
  std::cout << fmt::format("\n{:<5} {:>16} {:>16}  {}\n", "stage", "compute cycles", "DRAM bytes", "einsums");
  for (std::size_t s = 0; s < r.stages.size(); ++s) {
    std::cout << fmt::format("{:<5} {:>16} {:>16}  {}\n", s, with_commas(r.stages[s].compute_cycles),
                             with_commas(r.stages[s].dram_bytes), fmt::join(r.stages[s].einsums, " "));
  }
  std::cout << fmt::format("\n{:<8} {:>14} {:>14} {:>16} {:>16} {:>16} {:>16} {:>14}\n", "tensor", "DRAM read B",
                           "DRAM write B", "buffer read B", "buffer write B", "reg reads", "reg writes", "footprint B");
  for (const auto& t : r.tensors) {
    std::cout << fmt::format("{:<8} {:>14} {:>14} {:>16} {:>16} {:>16} {:>16} {:>14}\n", t.tensor,
                             with_commas(t.dram_read_bytes), with_commas(t.dram_write_bytes),
                             with_commas(t.buffer_read_bytes), with_commas(t.buffer_write_bytes),
                             with_commas(t.register_reads), with_commas(t.register_writes),
                             with_commas(t.buffer_footprint_bytes));
  }
  std::cout << fmt::format("\n{:<20} {:>20} {:>7}\n", "energy by action", "pJ", "share");
  for (const auto& [action, pj] : r.energy.by_action) {
    std::cout << fmt::format("{:<20} {:>20.6g} {:>6.1f}%\n", action, pj,
                             r.energy.total_pj > 0 ? 100 * pj / r.energy.total_pj : 0.0);
  }
  std::cout << fmt::format("{:<20} {:>20.6g}\n\n", "total", r.energy.total_pj);
  std::cout << fmt::format("latency     {} cycles = {:.6g} s at {:g} MHz (compute {} cycles, DRAM {} cycles)\n",
                           with_commas(r.latency_cycles), r.latency_s, static_cast<double>(c.arch.clock_hz) / 1e6,
                           with_commas(r.compute_cycles), with_commas(r.dram_cycles));
  std::cout << fmt::format("DRAM bytes  {}\n", with_commas(r.dram_bytes));
  std::cout << fmt::format("buffer      {} of {} bytes\n", with_commas(r.buffer_footprint_bytes),
                           with_commas(static_cast<std::uint64_t>(c.arch.global_buffer.capacity_bytes)));
  std::cout << fmt::format("energy      {:.6g} pJ\n", r.energy.total_pj);
  std::cout << fmt::format("area        {:.6g} um^2 ({:.4g} mm^2)\n", r.area_um2, r.area_um2 / 1e6);
}

}  // namespace einfuse::cli
