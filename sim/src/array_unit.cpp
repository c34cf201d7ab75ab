#include "array_unit.hpp"

#include "einfuse/sim/observer.hpp"
#include "masked_tiles.hpp"
#include "tile_kernels.hpp"

namespace einfuse::sim::detail {

ArrayUnit::ArrayUnit(sc_core::sc_module_name n, RunState& s, std::size_t unit)
    : sc_module(n), queue(s.options.queue_depth), s_(s), unit_(unit) {
  SC_THREAD(run);
}

ArrayUnit::Cost ArrayUnit::cost(const isa::Command& c) const {
  Cost k{c.cycles, c.drain_cycles, c.actions};
  if (s_.masks)
    if (const auto m = s_.masks->cost(c)) {
      if (m->points == 0) return {0, 0, m->actions};  // every point masked: the tile is skipped
      k = {m->cycles, m->drain_cycles, m->actions};
    }
  if (s_.options.op_timing == OpTiming::structural) {
    k.busy += 1;  // the operands are registered, then the op runs (docs/sim.md)
    k.drain = std::max(k.drain, c.reduction_depth);
  }
  return k;
}

void ArrayUnit::run() {
  isa::UnitActivity& stats = s_.result->units[unit_];
  for (;;) {
    const u64 idle_from = now_cycles();
    if (!queue.wait_nonempty()) return;
    charge(stats, stats.commands == 0 ? isa::StallCause::fill_drain : s_.controller_wait, idle_from);
    const isa::Command c = queue.pop();
    for (const isa::Wait& w : c.waits) {
      const u64 from = now_cycles();
      const bool load = s_.tokens.wait_for(w);
      charge(stats, load ? isa::StallCause::dram : isa::StallCause::producer, from);
    }
    const Cost k = cost(c);
    const u64 start = now_cycles();
    if (s_.kernels) s_.kernels->execute(c);
    sc_core::wait(cycles(k.busy));
    const u64 end = now_cycles();
    s_.tokens.set(c.id, end, end + k.drain);
    account(c, k, start, end);
  }
}

void ArrayUnit::account(const isa::Command& c, const Cost& cost, u64 start, u64 end) {
  isa::UnitActivity& stats = s_.result->units[unit_];
  ++stats.commands;
  stats.busy_cycles += cost.busy;
  for (std::size_t k = 0; k < stats.actions.size(); ++k) stats.actions[k] += cost.actions[k];
  for (const isa::Operand& o : c.operands) {
    isa::TensorCounts& t = s_.result->tensors[static_cast<std::size_t>(o.tensor)];
    t.buffer_read_bytes += o.read_bytes;
    t.buffer_write_bytes += o.write_bytes;
  }
  if (s_.options.observer) {
    const mapper::Workload& w = s_.program->schedule().workload();
    label_ = isa::opcode_name(c.opcode) + " " + w.einsums[static_cast<std::size_t>(c.einsum)].name;
    s_.options.observer->on_activity({stats.name, stats.block, &c, label_, start, end});
  }
}

}  // namespace einfuse::sim::detail
