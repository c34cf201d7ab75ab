// Elaborates the modules for one Program and runs them (docs/sim.md).
#include "einfuse/sim/simulator.hpp"

#include <numeric>
#include <stdexcept>

#include "array_unit.hpp"
#include "controller.hpp"
#include "dma.hpp"
#include "describe.hpp"
#include "dram_channel.hpp"
#include "buffer_tags.hpp"
#include "global_buffer.hpp"
#include "handoff.hpp"
#include "masked_tiles.hpp"
#include "tile_kernels.hpp"
#include "einfuse/sim/observer.hpp"

namespace einfuse::sim {
namespace detail {
namespace {

isa::RunResult run(const isa::Program& program, const SimOptions& options, MaskedTiles* masks, TileKernels* kernels) {
  // A fresh simulation context per run: SystemC elaborates once per context.
  sc_core::sc_curr_simcontext = new sc_core::sc_simcontext();
  sc_core::sc_default_global_context = sc_core::sc_curr_simcontext;

  const mapper::Workload& w = program.schedule().workload();
  const mapper::ArchSpec& arch = program.schedule().arch();
  isa::RunResult r;
  r.executor = "sim";
  r.mode = "timing";
  for (const mapper::PeArray& a : arch.arrays) r.units.push_back({a.name, isa::array_block(a), 0, 0, {}, {}});
  const std::size_t dma_unit = r.units.size();
  r.units.push_back({"dma", isa::Block::dma, 0, 0, {}, {}});
  r.units.push_back({"controller", isa::Block::controller, 0, 0, {}, {}});
  for (const mapper::WorkloadTensor& t : w.tensors) r.tensors.push_back({t.name, 0, 0, 0, 0, 0});

  RunState s;
  s.program = &program;
  s.options = options;
  s.result = &r;
  s.masks = masks;
  s.kernels = kernels;
  s.waiting.resize(r.units.size());
  if (kernels) r.mode = "data";
  // The buffer's space for DRAM tiles: its capacity less the intermediates' regions, which
  // they keep for the whole run (a tensor computed in place of another shares its region).
  const bool bounded = options.channels == Channels::arch;
  u64 capacity = options.buffer_bytes ? options.buffer_bytes : static_cast<u64>(arch.global_buffer.capacity_bytes);
  for (std::size_t t = 0; t < w.tensors.size(); ++t)
    if (w.tensors[t].role == einsum::Tensor::Role::intermediate && program.addresses().tensor(static_cast<int>(t)).host < 0) {
      const u64 region = program.addresses().tensor(static_cast<int>(t)).buffer_rows * program.addresses().row_bytes();
      capacity -= std::min(capacity, region);
    }
  GlobalBuffer buffer("global_buffer", program, capacity, bounded);
  BufferTags tags(program);
  s.tags = &tags;
  Handoff handoff(program, bounded);
  if (bounded) {
    s.buffer = &buffer;
    s.handoff = &handoff;
  }
  std::shared_ptr<DramBackend> backend = options.dram_backend;
  if (!backend && options.dram == DramModel::hbm2) backend = make_hbm2_backend(arch);
  DramChannel dram("dram_channel", arch, options.dram, backend);
  std::vector<std::unique_ptr<ArrayUnit>> arrays;
  std::vector<ArrayUnit*> raw;
  for (std::size_t a = 0; a < arch.arrays.size(); ++a) {
    const char* kind = isa::module_name(isa::array_block(arch.arrays[a]));
    arrays.push_back(std::make_unique<ArrayUnit>((std::string(kind) + "_" + arch.arrays[a].name).c_str(), s, a));
    raw.push_back(arrays.back().get());
  }
  Dma dma("dma", s, dram, dma_unit);
  s.tokens.on_set = [&](u64 id) {
    dma.token_set(id);
    if (s.buffer) s.buffer->command_ended(id);
    if (s.handoff) s.handoff->command_ended(id);
  };
  Controller controller("controller", s, raw, dma, dram, r.units.size() - 1);
  if (options.observer) options.observer->on_start(program.schedule().op_count());
  sc_core::sc_start();
  if (s.error) std::rethrow_exception(s.error);
  if (s.tokens.done != s.issued || !s.stream_done) {
    // Every command still held somewhere, to name the ones waited for.
    std::vector<const isa::Command*> held;
    for (const ArrayUnit* a : raw)
      for (const isa::Command& c : a->queue.items()) held.push_back(&c);
    dma.pending(held);
    for (const RunState::Waiting& unit : s.waiting)
      if (unit.command) held.push_back(unit.command);
    std::unordered_map<u64, const isa::Command*> known;
    for (const isa::Command* c : held) known.emplace(c->id, c);
    std::vector<std::string> lines;
    for (std::size_t u = 0; u < r.units.size(); ++u)
      if (const std::string line = describe_waiting(s, u, known); !line.empty()) lines.push_back(r.units[u].name + ": " + line);
    if (bounded) lines.push_back(buffer.space_report());
    throw DeadlockError("sim: deadlock at cycle " + std::to_string(now_cycles()) + ": " +
                            std::to_string(s.issued - s.tokens.done) + " issued commands never finished",
                        std::move(lines));
  }
  r.cycles = s.tokens.makespan;
  r.buffer_hazards = tags.hazards();
  r.hazards = tags.described();
  if (backend) {
    // Posted writes still in the controller reach the DRAM before the run is over.
    r.cycles = std::max(r.cycles, backend->drain(r.cycles));
    const DramStats d = backend->stats();
    r.dram_counters = {{"read_bursts", d.reads},       {"write_bursts", d.writes},       {"row_hits", d.row_hits},
                       {"row_misses", d.row_misses},   {"row_conflicts", d.row_conflicts}, {"refreshes", d.refreshes},
                       {"turnarounds", d.turnarounds}};
  }
  r.commands = r.units.back().commands;
  for (std::size_t a = 0; a < arch.arrays.size(); ++a) {
    isa::UnitActivity& u = r.units[a];
    const u64 accounted = u.busy_cycles + std::accumulate(u.stalls.begin(), u.stalls.end(), u64{0});
    if (r.cycles > accounted) u.stalls[static_cast<std::size_t>(isa::StallCause::fill_drain)] += r.cycles - accounted;
  }
  for (const isa::TensorCounts& t : r.tensors) r.dram_bytes += t.dram_read_bytes + t.dram_write_bytes;
  charge_energy(arch, r);
  if (options.observer) options.observer->on_finish(r.cycles);
  return r;
}

}  // namespace
}  // namespace detail

namespace {
std::string deadlock_text(const std::string& summary, const std::vector<std::string>& blocked) {
  std::string text = summary;
  for (const std::string& b : blocked) text += "\n  " + b;
  return text;
}
}  // namespace

DeadlockError::DeadlockError(const std::string& summary, std::vector<std::string> lines)
    : std::runtime_error(deadlock_text(summary, lines)), blocked(std::move(lines)) {}

isa::RunResult simulate(const isa::Program& program, const SimOptions& options) {
  return detail::run(program, options, nullptr, nullptr);
}

isa::RunResult simulate(const isa::Program& program, const einsum::Cascade& cascade, const einsum::BoundShape& shape,
                        const SimOptions& options) {
  detail::MaskedTiles masks(program.schedule(), cascade, shape);
  return detail::run(program, options, &masks, nullptr);
}

DataRun simulate_data(const isa::Program& program, const einsum::Cascade& cascade, const einsum::BoundShape& shape,
                      const einsum::TensorMap& inputs, const SimOptions& options) {
  detail::MaskedTiles masks(program.schedule(), cascade, shape);
  detail::TileKernels kernels(program.schedule(), cascade, shape, inputs);
  DataRun out;
  out.result = detail::run(program, options, &masks, &kernels);
  out.outputs = kernels.results();
  return out;
}

}  // namespace einfuse::sim
