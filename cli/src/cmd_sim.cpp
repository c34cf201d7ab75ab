// einfuse sim: runs one mapping on the SystemC model (docs/sim.md), in timing mode or on real
// data, and reports its cycles beside the closed form's, what each array did and why it
// waited, traffic and energy; data mode writes the outputs and can check them bit for bit
// against the interpreter. The design comes from FILE --arch (--mapping | --search) + shape,
// or --paper-design D.
#include <fmt/format.h>

#include <unistd.h>

#include <cstring>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "commands.hpp"
#include "einfuse/einsum/model.hpp"
#include "einfuse/isa/program.hpp"
#include "einfuse/mapper/arch_spec.hpp"
#include "einfuse/mapper/cost_model.hpp"
#include "einfuse/mapper/hardware_numerics.hpp"
#include "einfuse/mapper/mapping.hpp"
#include "einfuse/mapper/paper.hpp"
#include "einfuse/mapper/schedule.hpp"
#include "einfuse/mapper/search.hpp"
#include "einfuse/sim/layer.hpp"
#include "einfuse/sim/simulator.hpp"
#include "einfuse/sim/trace.hpp"
#include "progress.hpp"
#include "tensor_files.hpp"

namespace einfuse::cli {
namespace {

namespace paper = mapper::paper;

struct SimCommandOptions {
  std::string file, arch, mapping, paper_design;
  bool search = false;
  ShapeOptions shape;
  std::string mode = "timing";
  std::string dram = "ideal";
  std::string timing = "cost-model";
  std::string channels = "unbounded";
  std::string reduction = "occupies-array";
  std::size_t queue_depth = 0;
  std::uint64_t buffer_bytes = 0;
  std::string trace, vcd;
  std::string inputs, out;
  std::uint64_t seed = 1;
  bool check = false;
  bool all_slices = false;
  bool json = false;
};

// What the command runs: a cascade at a shape, on an arch, with a mapping.
struct Design {
  std::shared_ptr<const einsum::Cascade> cascade;
  einsum::BoundShape shape;
  mapper::ArchSpec arch;
  mapper::Mapping mapping;
  mapper::CostOptions options;
};

class BadInput : public std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

Design paper_design(const SimCommandOptions& o) {
  paper::Design design = paper::Design::fusemax;
  try {
    design = paper::parse_design(o.paper_design);
  } catch (const std::invalid_argument& e) {
    throw BadInput(std::string("--paper-design ") + e.what());
  }
  if (o.shape.model.empty() || o.shape.seq.empty()) throw BadInput("--paper-design needs --model and --seq");
  if (!o.file.empty() || !o.mapping.empty() || !o.arch.empty() || !o.shape.shape.empty() || o.search)
    throw BadInput("--paper-design takes the cascade, arch, mapping and shape from the design; give only --model and --seq");
  paper::Context ctx = paper::Context::load_default();
  const einsum::ModelSpec model = einsum::load_model(o.shape.model, ctx.models_dir);
  const paper::DesignInstance d = paper::attention_design(ctx, design, model, einsum::parse_length(o.shape.seq), false);
  ctx.cascade(d.cascade);  // loads it
  Design out{ctx.cascades.at(d.cascade), {}, d.arch, d.mapping, d.options};
  out.shape = einsum::bind_shape(*out.cascade, d.shape);
  return out;
}

Design file_design(const SimCommandOptions& o) {
  if (o.file.empty() || o.arch.empty() || o.mapping.empty() == !o.search)
    throw BadInput("give FILE --arch A and one of --mapping M.yaml or --search, or --paper-design D --model M --seq N");
  LoadedCascade lc = load_cascade(o.file, o.shape);
  Design d;
  d.arch = mapper::load_arch(o.arch, mapper::default_arch_dir());
  if (o.search) {
    const mapper::SearchResult r = mapper::search(lc.cascade, lc.shape, d.arch, {});
    if (!r.found) throw std::runtime_error("no mapping of " + lc.cascade.name + " fits " + d.arch.name + ": " + r.reason);
    d.mapping = r.mapping;
  } else {
    d.mapping = mapper::load_mapping(o.mapping);
  }
  d.cascade = std::make_shared<const einsum::Cascade>(std::move(lc.cascade));
  d.shape = std::move(lc.shape);
  return d;
}

sim::SimOptions sim_options(const SimCommandOptions& o) {
  sim::SimOptions so;
  if (o.dram == "ideal") so.dram = sim::DramModel::ideal;
  else if (o.dram == "hbm2") so.dram = sim::DramModel::hbm2;
  else if (o.dram == "none") so.dram = sim::DramModel::none;
  else throw BadInput("--dram " + o.dram + ": expected ideal, hbm2 or none");
  if (o.timing == "cost-model") so.op_timing = sim::OpTiming::cost_model;
  else if (o.timing == "structural") so.op_timing = sim::OpTiming::structural;
  else throw BadInput("--timing " + o.timing + ": expected cost-model or structural");
  if (o.reduction == "occupies-array") so.reduction = sim::ReductionTiming::occupies_array;
  else if (o.reduction == "pipelined") so.reduction = sim::ReductionTiming::pipelined;
  else throw BadInput("--reduction " + o.reduction + ": expected occupies-array or pipelined");
  if (o.channels == "unbounded") so.channels = sim::Channels::unbounded;
  else if (o.channels == "arch") so.channels = sim::Channels::arch;
  else throw BadInput("--channels " + o.channels + ": expected unbounded or arch");
  if (o.mode != "timing" && o.mode != "data") throw BadInput("--mode " + o.mode + ": expected timing or data");
  if (o.mode == "timing" && (!o.inputs.empty() || !o.out.empty() || o.check))
    throw BadInput("--inputs, --out and --check need --mode data");
  so.queue_depth = o.queue_depth;
  so.buffer_bytes = o.buffer_bytes;
  return so;
}

bool same_bits(const einsum::DenseTensor& a, const einsum::DenseTensor& b) {
  return a.data.size() == b.data.size() && std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(double)) == 0;
}

nlohmann::ordered_json stalls_json(const isa::UnitActivity& u) {
  nlohmann::ordered_json s = nlohmann::ordered_json::object();
  for (std::size_t c = 0; c < isa::kStallCauseCount; ++c) s[isa::stall_cause_name(static_cast<isa::StallCause>(c))] = u.stalls[c];
  return s;
}

double ratio(std::uint64_t a, std::uint64_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0; }

void print_table(const SimCommandOptions& o, const Design& d, const isa::RunResult& r, std::uint64_t closed_form) {
  std::cout << fmt::format("{} on {} ({}), {} mode, op timing {}, DRAM {}, channels {}\n", d.cascade->name, d.arch.name,
                           d.mapping.name, r.mode, o.timing, o.dram, o.channels);
  std::cout << fmt::format("cycles {:>14}   closed form {:>14}   ratio {:.4f}\n", r.cycles, closed_form, ratio(r.cycles, closed_form));
  std::cout << fmt::format("{:<10} {:>12} {:>7}", "array", "busy", "util");
  for (std::size_t c = 0; c < isa::kStallCauseCount; ++c)
    std::cout << fmt::format(" {:>16}", isa::stall_cause_name(static_cast<isa::StallCause>(c)));
  std::cout << "\n";
  for (std::size_t a = 0; a < d.arch.arrays.size(); ++a) {
    const isa::UnitActivity& u = r.units[a];
    std::cout << fmt::format("{:<10} {:>12} {:>7.3f}", u.name, u.busy_cycles, ratio(u.busy_cycles, r.cycles));
    for (std::uint64_t s : u.stalls) std::cout << fmt::format(" {:>16}", s);
    std::cout << "\n";
  }
}

int run_sim(const SimCommandOptions& o) {
  sim::SimOptions so;
  Design d;
  try {
    so = sim_options(o);
    d = o.paper_design.empty() ? file_design(o) : paper_design(o);
  } catch (const BadInput& e) {
    std::cerr << "einfuse sim: error: " << e.what() << "\n";
    return kBadInput;
  }
  const mapper::Workload w = mapper::make_workload(*d.cascade, d.shape);
  if (o.mode == "data") {
    // Data mode holds every tensor whole, as doubles: refuse what would not fit in memory
    // rather than thrash (data mode validates at small shapes; timing mode runs the paper's).
    double bytes = 0;
    for (const mapper::WorkloadTensor& t : w.tensors) bytes += static_cast<double>(t.elements) * sizeof(double);
    const double memory = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
    if (bytes > memory / 2) {
      std::cerr << fmt::format("einfuse sim: error: data mode would hold {:.1f} GiB of tensors ({:.1f} GiB of memory here); "
                               "give a smaller shape (--shape B=1,H=1,...) or use --mode timing\n",
                               bytes / (1 << 30), memory / (1 << 30));
      return kBadInput;
    }
  }
  mapper::CostReport cost;
  try {
    cost = mapper::evaluate(w, d.arch, d.mapping, d.options);
  } catch (const mapper::MappingError& e) {
    std::cerr << "einfuse sim: error: " << e.what() << "\n";
    return kCheckFailed;
  }
  const mapper::Schedule schedule(w, d.arch, d.mapping);
  const isa::Program program(schedule, isa::buffer_footprints(cost));

  // Observers are made before the run, so an unwritable trace path fails before it starts;
  // a run that throws leaves no trace file behind.
  sim::FanOut observers;
  if (!o.trace.empty()) observers.add(sim::make_perfetto_trace(o.trace, d.arch));
  if (!o.vcd.empty()) observers.add(sim::make_vcd_trace(o.vcd, d.arch));
  observers.add(std::make_unique<SimProgress>());
  so.observer = &observers;

  isa::RunResult r;
  std::string how = "simulated as a whole";
  einsum::TensorMap outputs, inputs;
  const einsum::RunOptions hardware = mapper::hardware_run_options(d.arch, d.mapping);
  try {
    if (o.mode == "data") {
      inputs = load_inputs(*d.cascade, d.shape, o.inputs, o.seed, hardware);
      sim::DataRun run = sim::simulate_data(program, *d.cascade, d.shape, inputs, so);
      r = std::move(run.result);
      outputs = std::move(run.outputs);
    } else {
      // A trace shows the run it was given: every slice, not two short runs.
      const bool extrapolate = !o.all_slices && o.trace.empty() && o.vcd.empty();
      sim::LayerRun layer = sim::simulate_layer(*d.cascade, d.shape, d.arch, d.mapping, d.options, so, extrapolate);
      r = std::move(layer.result);
      how = layer.note;
    }
  } catch (const sim::DeadlockError& e) {
    std::cerr << "einfuse sim: " << e.what() << "\n";
    return kCheckFailed;
  }

  // Data mode: the outputs against the interpreter's hardware mode, bit for bit.
  bool identical = true;
  if (o.check) {
    const einsum::TensorMap expect = einsum::interpret(*d.cascade, d.shape, inputs, hardware);
    for (const auto& [name, tensor] : expect) identical = identical && same_bits(outputs.at(name), tensor);
  }
  if (!o.out.empty()) write_outputs(*d.cascade, outputs, o.out);

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
    if (o.timing == "structural") j["reduction"] = o.reduction;
    j["dram"] = o.dram;
    j["channels"] = o.channels;
    j["queue_depth"] = o.queue_depth;
    j["cycles"] = r.cycles;
    j["cost_model_cycles"] = cost.latency_cycles;
    j["slices"] = r.slice_scale;
    j["extrapolated"] = r.slices_run != r.slice_scale && r.slice_scale > 1;
    j["how"] = how;
    j["commands"] = r.commands;
    j["macs"] = macs;
    nlohmann::ordered_json arrays = nlohmann::ordered_json::array();
    for (std::size_t a = 0; a < d.arch.arrays.size(); ++a)
      arrays.push_back({{"name", r.units[a].name},
                        {"busy", r.units[a].busy_cycles},
                        {"utilisation", ratio(r.units[a].busy_cycles, r.cycles)},
                        {"cost_model_utilisation", cost.arrays[a].utilisation},
                        {"stalls", stalls_json(r.units[a])}});
    j["arrays"] = arrays;
    j["dram_bytes"] = r.dram_bytes;
    j["energy_pj"] = r.energy_pj;
    if (o.check) j["bit_identical_to_interpreter"] = identical;
    j["buffer_hazards"] = r.buffer_hazards;
    if (!o.out.empty()) j["outputs_dir"] = o.out;
    j["mapping_yaml"] = mapper::to_yaml(d.mapping);
    j["run"] = nlohmann::ordered_json::parse(isa::to_json(r));
    std::cout << j.dump(2) << "\n";
  } else {
    print_table(o, d, r, cost.latency_cycles);
    std::cout << how << "\n";
    std::cout << fmt::format("MACs {}   DRAM bytes {}   energy {:.6g} pJ   commands {}\n", macs, r.dram_bytes, r.energy_pj,
                             r.commands);
    for (const auto& [name, tensor] : outputs)
      std::cout << fmt::format("output {} [{}]{}\n", name, fmt::join(tensor.extents, "x"),
                               o.check ? (identical ? ": bit-identical to the interpreter (hardware mode)"
                                                    : ": DIFFERS from the interpreter (hardware mode)")
                                       : "");
    if (!o.out.empty()) std::cout << "wrote " << outputs.size() << " output(s) to " << o.out << "\n";
    if (r.buffer_hazards > 0)
      std::cout << fmt::format("buffer hazards {} (reads that found another tile in their slot; docs/sim.md), first: {}\n",
                               r.buffer_hazards, r.hazards.front());
  }
  // --check: the values equal the interpreter's, and no read found another tile in its
  // buffer slot (on a real buffer it would have computed with the wrong data).
  return identical && !(o.check && r.buffer_hazards > 0) ? kOk : kCheckFailed;
}

}  // namespace

void add_sim_command(CLI::App& app, std::function<int()>& action) {
  auto o = std::make_shared<SimCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "sim",
      "Run one mapping on the SystemC model of the accelerator (docs/sim.md): cycles beside the\n"
      "closed form's, per array busy cycles and stalls by cause, DRAM bytes, energy.\n\n"
      "What is modelled is chosen by flags: --timing cost-model (each tile takes the cost model's\n"
      "cycles) or structural (reduction chains, the exp sequence, result registers); --dram ideal\n"
      "(the arch's bandwidth, no latency), hbm2 (banks, rows, refresh; docs/dram.md) or none;\n"
      "--channels unbounded (the cost model's assumptions) or arch (DMA slots, prefetch depth and\n"
      "buffer space, handoff buffers, buffer banks and ports from the arch spec). With the\n"
      "defaults the cycles equal the list-scheduled Schedule's. --mode data computes every tile's\n"
      "values through the accelerator's arithmetic; --check compares them bit for bit with the\n"
      "interpreter. A run that deadlocks (a buffer too small for a stage) exits 1 and names the\n"
      "blocked commands.\n\n"
      "Examples:\n"
      "  einfuse sim --paper-design fusemax --model BERT --seq 1K\n"
      "  einfuse sim --paper-design fusemax --model BERT --seq 1K --timing structural --dram hbm2 \\\n"
      "      --channels arch --trace /tmp/fusemax.json\n"
      "  einfuse sim workloads/attention/causal_1pass.ein --arch fusemax --search --shape P=512,M=1K \\\n"
      "      --mode data --check --out /tmp/causal");
  cmd->add_option("FILE", o->file, "cascade file (.ein)");
  cmd->add_option("--arch", o->arch, "arch spec: a name in workloads/arch or a .yaml path");
  cmd->add_option("--mapping", o->mapping, "mapping file (YAML, docs/mapping.md)");
  cmd->add_flag("--search", o->search, "find the mapping with the mapper's search (latency) instead of --mapping");
  o->shape.add_to(*cmd);
  cmd->add_option("--paper-design", o->paper_design, "simulate the FuseMax paper's design (unfused, flat, cascade, arch, fusemax)");
  cmd->add_option("--mode", o->mode, "timing (no values) or data (real tensors through the numeric library)")->capture_default_str();
  cmd->add_option("--dram", o->dram, "ideal, hbm2 or none")->capture_default_str();
  cmd->add_option("--timing", o->timing, "op timing: cost-model or structural")->capture_default_str();
  cmd->add_option("--reduction", o->reduction,
                  "structural timing: a spatial reduction occupies-array (the RTL arrays' chain) or is pipelined\n"
                  "(the chain has its own registers; the result is late, the array free)")
      ->capture_default_str();
  cmd->add_option("--channels", o->channels, "unbounded or arch")->capture_default_str();
  cmd->add_option("--queue-depth", o->queue_depth, "commands per array queue (0: unbounded)")->capture_default_str();
  cmd->add_option("--buffer-bytes", o->buffer_bytes, "with --channels arch: the buffer's capacity (0: the arch's)");
  cmd->add_option("--trace", o->trace, "write a Perfetto / chrome://tracing timeline to FILE (docs/trace.md)");
  cmd->add_option("--vcd", o->vcd, "write a VCD of the arrays' activity to FILE (docs/trace.md)");
  cmd->add_option("--inputs", o->inputs, "data mode: folder with NAME.npy for every input (default: seeded random)");
  add_seed_option(*cmd, o->seed);
  cmd->add_option("--out", o->out, "data mode: folder to write NAME.npy for every output (written whole)");
  cmd->add_flag("--check", o->check,
                "data mode: compare the outputs with the interpreter's hardware mode; exit 1 if they differ or a\n"
                "read found another tile in its buffer slot (use --channels arch for a buffer that cannot overflow)");
  cmd->add_flag("--all-slices", o->all_slices,
                "timing mode: simulate every (batch, head) slice (by default identical slices are simulated at 2\n"
                "and 3 and the layer extrapolated, which is exact under the cost model's timing; docs/sim.md)");
  cmd->add_flag("--json", o->json, "print the result as one JSON object");
  cmd->callback([o, &action] { action = [o] { return run_sim(*o); }; });
}

}  // namespace einfuse::cli
