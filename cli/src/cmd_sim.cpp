// einfuse sim: runs one mapping on the SystemC model (docs/sim.md) in timing mode and reports
// its cycles beside the closed form's, what each array did and why it waited, traffic and
// energy. The design comes from FILE --arch --mapping (+ shape) or --paper-design D.
#include <fmt/format.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "commands.hpp"
#include "einfuse/einsum/model.hpp"
#include "einfuse/isa/program.hpp"
#include "einfuse/mapper/arch_spec.hpp"
#include "einfuse/mapper/cost_model.hpp"
#include "einfuse/mapper/mapping.hpp"
#include "einfuse/mapper/paper.hpp"
#include "einfuse/mapper/schedule.hpp"
#include "einfuse/sim/simulator.hpp"

namespace einfuse::cli {
namespace {

namespace paper = mapper::paper;

struct SimCommandOptions {
  std::string file, arch, mapping, paper_design;
  ShapeOptions shape;
  std::string mode = "timing";
  std::string dram = "ideal";
  std::string timing = "cost-model";
  std::size_t queue_depth = 0;
  bool json = false;
};

struct Design {
  std::string cascade_name;
  std::shared_ptr<const einsum::Cascade> cascade;
  einsum::BoundShape shape;
  mapper::ArchSpec arch;
  mapper::Mapping mapping;
  mapper::CostOptions options;
};

Design paper_design(const SimCommandOptions& o) {
  paper::Design design = paper::Design::fusemax;
  try {
    design = paper::parse_design(o.paper_design);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("--paper-design ") + e.what());
  }
  if (o.shape.model.empty() || o.shape.seq.empty()) throw std::invalid_argument("--paper-design needs --model and --seq");
  paper::Context ctx = paper::Context::load_default();
  const einsum::ModelSpec model = einsum::load_model(o.shape.model, ctx.models_dir);
  const paper::DesignInstance d = paper::attention_design(ctx, design, model, einsum::parse_length(o.shape.seq), false);
  ctx.cascade(d.cascade);  // loads it
  Design out{d.cascade, ctx.cascades.at(d.cascade), {}, d.arch, d.mapping, d.options};
  out.shape = einsum::bind_shape(*out.cascade, d.shape);
  return out;
}

nlohmann::ordered_json stalls_json(const isa::UnitActivity& u) {
  nlohmann::ordered_json s = nlohmann::ordered_json::object();
  for (std::size_t c = 0; c < isa::kStallCauseCount; ++c) s[isa::stall_cause_name(static_cast<isa::StallCause>(c))] = u.stalls[c];
  return s;
}

int run_sim(const SimCommandOptions& o) {
  sim::SimOptions so;
  if (o.mode != "timing") {
    std::cerr << "einfuse sim: error: --mode " << o.mode << ": only timing mode is built so far (docs/sim.md)\n";
    return kBadInput;
  }
  if (o.dram == "ideal") so.dram = sim::DramModel::ideal;
  else if (o.dram == "none") so.dram = sim::DramModel::none;
  else {
    std::cerr << "einfuse sim: error: --dram " << o.dram << ": expected ideal or none\n";
    return kBadInput;
  }
  if (o.timing == "cost-model") so.op_timing = sim::OpTiming::cost_model;
  else if (o.timing == "structural") so.op_timing = sim::OpTiming::structural;
  else {
    std::cerr << "einfuse sim: error: --timing " << o.timing << ": expected cost-model or structural\n";
    return kBadInput;
  }
  so.queue_depth = o.queue_depth;

  Design d;
  if (!o.paper_design.empty()) {
    if (!o.file.empty() || !o.mapping.empty() || !o.arch.empty() || !o.shape.shape.empty()) {
      std::cerr << "einfuse sim: error: --paper-design takes the cascade, arch, mapping and shape from the design; "
                   "give only --model and --seq\n";
      return kBadInput;
    }
    try {
      d = paper_design(o);
    } catch (const std::invalid_argument& e) {
      std::cerr << "einfuse sim: error: " << e.what() << "\n";
      return kBadInput;
    }
  } else {
    if (o.file.empty() || o.arch.empty() || o.mapping.empty()) {
      std::cerr << "einfuse sim: error: give FILE --arch A --mapping M.yaml, or --paper-design D --model M --seq N\n";
      return kBadInput;
    }
    LoadedCascade lc = load_cascade(o.file, o.shape);
    d.cascade_name = lc.cascade.name;
    d.cascade = std::make_shared<const einsum::Cascade>(std::move(lc.cascade));
    d.shape = std::move(lc.shape);
    d.arch = mapper::load_arch(o.arch, mapper::default_arch_dir());
    d.mapping = mapper::load_mapping(o.mapping);
  }
  const mapper::Workload w = mapper::make_workload(*d.cascade, d.shape);
  mapper::CostReport cost;
  try {
    cost = mapper::evaluate(w, d.arch, d.mapping, d.options);
  } catch (const mapper::MappingError& e) {
    std::cerr << "einfuse sim: error: " << e.what() << "\n";
    return kCheckFailed;
  }
  const mapper::Schedule schedule(w, d.arch, d.mapping);
  const isa::Program program(schedule, isa::buffer_footprints(cost));
  if (isatty(STDERR_FILENO)) std::cerr << fmt::format("einfuse sim: simulating {} tile ops\n", schedule.op_count());
  const isa::RunResult r = sim::simulate(program, so);

  std::uint64_t macs = 0;
  for (const isa::UnitActivity& u : r.units) macs += u.actions[static_cast<std::size_t>(mapper::ArrayOp::mac)];
  if (o.json) {
    nlohmann::ordered_json j;
    j["mode"] = r.mode;
    j["cascade"] = w.cascade;
    j["arch"] = d.arch.name;
    j["mapping"] = d.mapping.name;
    nlohmann::ordered_json shape = nlohmann::ordered_json::object();
    for (std::size_t q = 0; q < w.rank_names.size(); ++q) shape[w.rank_names[q]] = w.extent[q];
    j["shape"] = shape;
    if (!o.shape.model.empty()) j["model"] = o.shape.model;
    j["op_timing"] = o.timing;
    j["dram"] = o.dram;
    j["queue_depth"] = o.queue_depth;
    j["cycles"] = r.cycles;
    j["cost_model_cycles"] = cost.latency_cycles;
    j["commands"] = r.commands;
    j["macs"] = macs;
    nlohmann::ordered_json arrays = nlohmann::ordered_json::array();
    for (std::size_t a = 0; a < d.arch.arrays.size(); ++a)
      arrays.push_back({{"name", r.units[a].name},
                        {"busy", r.units[a].busy_cycles},
                        {"utilisation", r.cycles ? static_cast<double>(r.units[a].busy_cycles) / static_cast<double>(r.cycles) : 0.0},
                        {"stalls", stalls_json(r.units[a])}});
    j["arrays"] = arrays;
    j["dram_bytes"] = r.dram_bytes;
    j["energy_pj"] = r.energy_pj;
    j["run"] = nlohmann::ordered_json::parse(isa::to_json(r));
    std::cout << j.dump(2) << "\n";
    return kOk;
  }
  std::cout << fmt::format("{} on {} ({}), timing mode, op timing {}, DRAM {}\n", w.cascade, d.arch.name, d.mapping.name,
                           o.timing, o.dram);
  std::cout << fmt::format("cycles {:>14}   closed form {:>14}   ratio {:.4f}\n", r.cycles, cost.latency_cycles,
                           cost.latency_cycles ? static_cast<double>(r.cycles) / static_cast<double>(cost.latency_cycles) : 0.0);
  std::cout << fmt::format("{:<10} {:>12} {:>7}", "array", "busy", "util");
  for (std::size_t c = 0; c < isa::kStallCauseCount; ++c)
    std::cout << fmt::format(" {:>16}", isa::stall_cause_name(static_cast<isa::StallCause>(c)));
  std::cout << "\n";
  for (std::size_t a = 0; a < d.arch.arrays.size(); ++a) {
    const isa::UnitActivity& u = r.units[a];
    std::cout << fmt::format("{:<10} {:>12} {:>7.3f}", u.name, u.busy_cycles,
                             r.cycles ? static_cast<double>(u.busy_cycles) / static_cast<double>(r.cycles) : 0.0);
    for (std::uint64_t s : u.stalls) std::cout << fmt::format(" {:>16}", s);
    std::cout << "\n";
  }
  std::cout << fmt::format("MACs {}   DRAM bytes {}   energy {:.6g} pJ   commands {}\n", macs, r.dram_bytes, r.energy_pj,
                           r.commands);
  return kOk;
}

}  // namespace

void add_sim_command(CLI::App& app, std::function<int()>& action) {
  auto o = std::make_shared<SimCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "sim",
      "Run one mapping on the SystemC model of the accelerator (docs/sim.md), timing mode:\n"
      "cycles beside the closed form's, per array busy cycles and stalls by cause, DRAM bytes,\n"
      "energy. With --timing cost-model (default), --dram ideal and no queue bound the cycles\n"
      "equal the list-scheduled Schedule's; --timing structural adds the arrays' structure.\n\n"
      "Examples:\n"
      "  einfuse sim --paper-design fusemax --model BERT --seq 1K\n"
      "  einfuse sim --paper-design fusemax --model BERT --seq 1K --timing structural --json\n"
      "  einfuse sim workloads/attention/fusemax_paper.ein --arch fusemax --mapping fusemax.yaml \\\n"
      "      --model BERT --seq 1K --shape TILE=256");
  cmd->add_option("FILE", o->file, "cascade file (.ein)");
  cmd->add_option("--arch", o->arch, "arch spec: a name in workloads/arch or a .yaml path");
  cmd->add_option("--mapping", o->mapping, "mapping file (YAML, docs/mapping.md)");
  o->shape.add_to(*cmd);
  cmd->add_option("--paper-design", o->paper_design, "simulate the FuseMax paper's design (unfused, flat, cascade, arch, fusemax)");
  cmd->add_option("--mode", o->mode, "timing (data mode is not built yet)")->capture_default_str();
  cmd->add_option("--dram", o->dram, "ideal (the arch's bandwidth, no latency) or none")->capture_default_str();
  cmd->add_option("--timing", o->timing, "op timing: cost-model or structural")->capture_default_str();
  cmd->add_option("--queue-depth", o->queue_depth, "commands per array queue (0: unbounded)")->capture_default_str();
  cmd->add_flag("--json", o->json, "print the result as one JSON object");
  cmd->callback([o, &action] { action = [o] { return run_sim(*o); }; });
}

}  // namespace einfuse::cli
