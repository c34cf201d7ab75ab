// Elaborates the modules for one Program and runs them (docs/sim.md).
#include <stdexcept>

#include "modules.hpp"

namespace einfuse::sim {
namespace detail {
namespace {

using isa::StallCause;

struct Shared {
  const isa::Program* program;
  SimOptions options;
  TokenBoard tokens;
  u64 issued = 0;
  /// What holds the controller back now (the cause an idle unit is charged).
  StallCause controller_wait = StallCause::fill_drain;
};

void charge(isa::UnitActivity& u, StallCause c, u64 from) {
  const u64 now = now_cycles();
  if (now > from) u.stalls[static_cast<std::size_t>(c)] += now - from;
}

/// One array (Pe2dArray or Pe1dArray): runs its commands in program order.
class ArrayUnit : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(ArrayUnit);
  ArrayUnit(sc_core::sc_module_name n, Shared& s, isa::UnitActivity& stats, std::vector<isa::TensorCounts>& tensors,
            std::size_t depth)
      : sc_module(n), queue(depth), s_(s), stats_(stats), tensors_(tensors) {
    SC_THREAD(run);
  }
  CommandQueue queue;

 private:
  void run() {
    for (;;) {
      const u64 idle_from = now_cycles();
      while (queue.empty() && !queue.closed) sc_core::wait(queue.pushed_);
      if (queue.empty()) return;
      charge(stats_, stats_.commands == 0 ? StallCause::fill_drain : s_.controller_wait, idle_from);
      const isa::Command c = queue.pop();
      for (const isa::Wait& w : c.waits) {
        const u64 from = now_cycles();
        const bool load = s_.tokens.wait_for(w);
        charge(stats_, load ? StallCause::dram : StallCause::producer, from);
      }
      u64 busy = c.cycles, drain = c.drain_cycles;
      if (s_.options.op_timing == OpTiming::structural) {
        busy += 1;  // the operands are registered, then the op runs (docs/sim.md)
        drain = std::max(drain, c.reduction_depth);
      }
      sc_core::wait(cycles(busy));
      const u64 end = now_cycles();
      s_.tokens.set(c.id, end, end + drain);
      ++stats_.commands;
      stats_.busy_cycles += busy;
      for (std::size_t k = 0; k < stats_.actions.size(); ++k) stats_.actions[k] += c.actions[k];
      for (const isa::Operand& o : c.operands) {
        tensors_[static_cast<std::size_t>(o.tensor)].buffer_read_bytes += o.read_bytes;
        tensors_[static_cast<std::size_t>(o.tensor)].buffer_write_bytes += o.write_bytes;
      }
    }
  }
  Shared& s_;
  isa::UnitActivity& stats_;
  std::vector<isa::TensorCounts>& tensors_;
};

double energy_of(const mapper::ArchSpec& arch, const char* action) {
  auto it = arch.energy_pj.find(action);
  return it == arch.energy_pj.end() ? 0.0 : it->second;
}

// Energy from the run's action counts and the arch's per-action table, charged as the cost
// model charges it (docs/cost-model.md): each op, two register reads and a write per micro-op,
// buffer bytes per row access, DRAM bytes per access.
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

/// The DMA: takes loads and stores in program order and reserves their bytes on the channel
/// then (the ideal channel's order); a load completes when the channel has moved it, a store
/// when its data is there and the channel has moved it.
class Dma : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Dma);
  Dma(sc_core::sc_module_name n, Shared& s, DramChannel& dram, isa::UnitActivity& stats,
      std::vector<isa::TensorCounts>& tensors)
      : sc_module(n), queue(0), s_(s), dram_(dram), stats_(stats), tensors_(tensors) {
    SC_THREAD(run);
  }
  CommandQueue queue;

 private:
  void run() {
    for (;;) {
      while (queue.empty() && !queue.closed) sc_core::wait(queue.pushed_);
      if (queue.empty()) return;
      const isa::Command c = queue.pop();
      const u128 slot = dram_.reserve(c.bytes);
      ++stats_.commands;
      isa::TensorCounts& t = tensors_[static_cast<std::size_t>(c.tensor)];
      (c.kind == isa::CommandKind::load ? t.dram_read_bytes : t.dram_write_bytes) += c.bytes;
      ++t.dram_accesses;
      if (c.kind == isa::CommandKind::load) {
        const u64 done = std::max(now_cycles(), dram_.to_cycles(slot));
        s_.tokens.set(c.id, done, done, true);
        stats_.busy_cycles += dram_.to_cycles(dram_.transfer_ticks(c.bytes));
      } else {
        sc_core::sc_spawn([this, c, slot] {
          s_.tokens.wait_for(c.waits.front());
          const u128 after = dram_.ticks(now_cycles()) + dram_.transfer_ticks(c.bytes);
          const u64 done = dram_.to_cycles(std::max(after, slot));
          s_.tokens.set(c.id, done, done);
        });
        stats_.busy_cycles += dram_.to_cycles(dram_.transfer_ticks(c.bytes));
      }
    }
  }
  Shared& s_;
  DramChannel& dram_;
  isa::UnitActivity& stats_;
  std::vector<isa::TensorCounts>& tensors_;
};

/// Issues the Program's commands in order to the units' queues; runs fences.
class Controller : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Controller);
  Controller(sc_core::sc_module_name n, Shared& s, std::vector<ArrayUnit*> arrays, Dma& dma, DramChannel& dram,
             isa::UnitActivity& stats)
      : sc_module(n), s_(s), arrays_(std::move(arrays)), dma_(dma), dram_(dram), stats_(stats) {
    SC_THREAD(run);
  }

 private:
  void run() {
    isa::Program::Stream stream = s_.program->stream();
    isa::Command c;
    while (stream.next(c)) {
      ++stats_.commands;
      if (c.kind == isa::CommandKind::fence) {
        s_.controller_wait = StallCause::barrier;
        while (s_.tokens.done < s_.issued) sc_core::wait(s_.tokens.done_event);
        const u64 horizon = std::max(now_cycles(), s_.tokens.makespan);
        if (horizon > now_cycles()) sc_core::wait(cycles(horizon - now_cycles()));
        dram_.restart(now_cycles());
        s_.controller_wait = StallCause::fill_drain;
        continue;
      }
      ++s_.issued;
      if (c.kind == isa::CommandKind::compute) {
        ArrayUnit& a = *arrays_[static_cast<std::size_t>(c.array)];
        if (a.queue.full()) {
          s_.controller_wait = StallCause::downstream_space;
          while (a.queue.full()) sc_core::wait(a.queue.popped_);
          s_.controller_wait = StallCause::fill_drain;
        }
        a.queue.push(std::move(c));
      } else {
        dma_.queue.push(std::move(c));
      }
      // Let the units see the command before the next is issued (delta cycle).
      sc_core::wait(sc_core::SC_ZERO_TIME);
    }
    for (ArrayUnit* a : arrays_) {
      a->queue.closed = true;
      a->queue.pushed_.notify(sc_core::SC_ZERO_TIME);
    }
    dma_.queue.closed = true;
    dma_.queue.pushed_.notify(sc_core::SC_ZERO_TIME);
  }
  Shared& s_;
  std::vector<ArrayUnit*> arrays_;
  Dma& dma_;
  DramChannel& dram_;
  isa::UnitActivity& stats_;
};

}  // namespace
}  // namespace detail

isa::RunResult simulate(const isa::Program& program, const SimOptions& options) {
  using namespace detail;
  // A fresh simulation context per run: SystemC elaborates once per context.
  sc_core::sc_curr_simcontext = new sc_core::sc_simcontext();
  sc_core::sc_default_global_context = sc_core::sc_curr_simcontext;

  const mapper::Workload& w = program.schedule().workload();
  const mapper::ArchSpec& arch = program.schedule().arch();
  isa::RunResult r;
  r.executor = "sim";
  r.mode = "timing";
  for (const mapper::PeArray& a : arch.arrays) r.units.push_back({a.name, isa::array_block(a), 0, 0, {}, {}});
  r.units.push_back({"dma", isa::Block::dma, 0, 0, {}, {}});
  r.units.push_back({"controller", isa::Block::controller, 0, 0, {}, {}});
  for (const mapper::WorkloadTensor& t : w.tensors) r.tensors.push_back({t.name, 0, 0, 0, 0, 0});

  Shared s{&program, options, {}, 0, isa::StallCause::fill_drain};
  DramChannel dram("dram_channel", arch, options.dram);
  std::vector<std::unique_ptr<ArrayUnit>> arrays;
  std::vector<ArrayUnit*> raw;
  for (std::size_t a = 0; a < arch.arrays.size(); ++a) {
    const char* kind = isa::module_name(isa::array_block(arch.arrays[a]));
    arrays.push_back(std::make_unique<ArrayUnit>((std::string(kind) + "_" + arch.arrays[a].name).c_str(), s, r.units[a],
                                                 r.tensors, options.queue_depth));
    raw.push_back(arrays.back().get());
  }
  Dma dma("dma", s, dram, r.units[arch.arrays.size()], r.tensors);
  Controller controller("controller", s, raw, dma, dram, r.units.back());
  sc_core::sc_start();
  if (s.tokens.done != s.issued)
    throw std::runtime_error("sim: deadlock: " + std::to_string(s.issued - s.tokens.done) + " commands never completed");
  r.cycles = s.tokens.makespan;
  r.commands = r.units.back().commands;
  for (std::size_t a = 0; a < arch.arrays.size(); ++a) {
    isa::UnitActivity& u = r.units[a];
    const u64 accounted = u.busy_cycles + std::accumulate(u.stalls.begin(), u.stalls.end(), u64{0});
    if (r.cycles > accounted) u.stalls[static_cast<std::size_t>(isa::StallCause::fill_drain)] += r.cycles - accounted;
  }
  for (const isa::TensorCounts& t : r.tensors) r.dram_bytes += t.dram_read_bytes + t.dram_write_bytes;
  charge_energy(arch, r);
  return r;
}

}  // namespace einfuse::sim
