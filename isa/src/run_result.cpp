#include "einfuse/isa/run_result.hpp"

#include <nlohmann/json.hpp>

namespace einfuse::isa {

const char* stall_cause_name(StallCause c) {
  constexpr const char* names[kStallCauseCount] = {"producer", "buffer_port", "dram", "downstream_space", "barrier",
                                                   "fill_drain"};
  return names[static_cast<std::size_t>(c)];
}

std::string to_json(const RunResult& r, int indent) {
  nlohmann::ordered_json j;
  j["executor"] = r.executor;
  j["mode"] = r.mode;
  j["cycles"] = r.cycles;
  j["commands"] = r.commands;
  j["slices_run"] = r.slices_run;
  j["slice_scale"] = r.slice_scale;
  nlohmann::ordered_json units = nlohmann::ordered_json::array();
  for (const UnitActivity& u : r.units) {
    nlohmann::ordered_json x;
    x["name"] = u.name;
    x["block"] = block_name(u.block);
    x["commands"] = u.commands;
    x["busy"] = u.busy_cycles;
    nlohmann::ordered_json stalls = nlohmann::ordered_json::object();
    for (std::size_t c = 0; c < kStallCauseCount; ++c) stalls[stall_cause_name(static_cast<StallCause>(c))] = u.stalls[c];
    x["stalls"] = stalls;
    nlohmann::ordered_json actions = nlohmann::ordered_json::object();
    for (std::size_t k = 0; k < mapper::kArrayOpCount; ++k)
      if (u.actions[k]) actions[mapper::array_op_name(static_cast<mapper::ArrayOp>(k))] = u.actions[k];
    x["actions"] = actions;
    units.push_back(x);
  }
  j["units"] = units;
  nlohmann::ordered_json tensors = nlohmann::ordered_json::array();
  for (const TensorCounts& t : r.tensors)
    tensors.push_back({{"name", t.name},
                       {"dram_read_bytes", t.dram_read_bytes},
                       {"dram_write_bytes", t.dram_write_bytes},
                       {"dram_accesses", t.dram_accesses},
                       {"buffer_read_bytes", t.buffer_read_bytes},
                       {"buffer_write_bytes", t.buffer_write_bytes}});
  j["tensors"] = tensors;
  j["dram_bytes"] = r.dram_bytes;
  j["dram_counters"] = r.dram_counters;
  j["buffer_hazards"] = r.buffer_hazards;
  j["hazards"] = r.hazards;
  j["energy_pj"] = r.energy_pj;
  j["energy_pj_by_action"] = r.energy_pj_by_action;
  return j.dump(indent);
}

}  // namespace einfuse::isa
