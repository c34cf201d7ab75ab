#include "array_unit.hpp"

#include "einfuse/sim/observer.hpp"

namespace einfuse::sim::detail {

ArrayUnit::ArrayUnit(sc_core::sc_module_name n, RunState& s, std::size_t unit)
    : sc_module(n), queue(s.options.queue_depth), s_(s), unit_(unit) {
  SC_THREAD(run);
}

void ArrayUnit::op_time(const isa::Command& c, u64& busy, u64& drain) const {
  busy = c.cycles;
  drain = c.drain_cycles;
  if (s_.options.op_timing == OpTiming::structural) {
    busy += 1;  // the operands are registered, then the op runs (docs/sim.md)
    drain = std::max(drain, c.reduction_depth);
  }
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
    u64 busy = 0, drain = 0;
    op_time(c, busy, drain);
    const u64 start = now_cycles();
    sc_core::wait(cycles(busy));
    const u64 end = now_cycles();
    s_.tokens.set(c.id, end, end + drain);
    account(c, start, end, busy);
  }
}

void ArrayUnit::account(const isa::Command& c, u64 start, u64 end, u64 busy) {
  isa::UnitActivity& stats = s_.result->units[unit_];
  ++stats.commands;
  stats.busy_cycles += busy;
  for (std::size_t k = 0; k < stats.actions.size(); ++k) stats.actions[k] += c.actions[k];
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
