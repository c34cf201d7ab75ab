#include "array_unit.hpp"

#include "einfuse/sim/observer.hpp"
#include "buffer_tags.hpp"
#include "global_buffer.hpp"
#include "handoff.hpp"
#include "masked_tiles.hpp"
#include "tile_kernels.hpp"

namespace einfuse::sim::detail {

ArrayUnit::ArrayUnit(sc_core::sc_module_name n, RunState& s, std::size_t unit)
    : sc_module(n), queue(s.options.queue_depth), s_(s), unit_(unit) {
  SC_THREAD(run);
}

// docs/sim.md, "Op timing": one formula per op kind.
ArrayUnit::Cost ArrayUnit::cost(const isa::Command& c) const {
  Cost k{c.cycles, c.drain_cycles, c.actions};
  u64 array_tiles = c.array_tiles;
  if (s_.masks)
    if (const auto m = s_.masks->cost(c)) {
      if (m->points == 0) return {0, 0, m->actions};  // every point masked: the tile is skipped
      k = {m->cycles, m->drain_cycles, m->actions};
      array_tiles = s_.program->schedule().op_time(c.einsum, m->actions, m->points).array_tiles;
    }
  if (s_.options.op_timing == OpTiming::structural) {
    // A spatial reduction runs through a chain of D PEs, one hop per cycle: the values of a
    // tile enter one per cycle and the last leaves D - 1 cycles after it entered. In the
    // PEs' own registers the chain occupies the array (the RTL's MAX_REDUCE / SUM_REDUCE
    // take N cycles); with registers of its own the array goes on and the result is late.
    const bool pipelined = s_.options.reduction == ReductionTiming::pipelined;
    if (c.reduction_depth > 0 && !pipelined) k.busy += c.reduction_depth - 1;
    // exp on the PE's own MAC: the subtraction is one step of the MAC's adder before the
    // 7-step sequence (the RTL's SUB_EXP is 1 + 7 cycles), once per array tile.
    const mapper::PeArray& array = s_.program->schedule().arch().arrays[static_cast<std::size_t>(c.array)];
    if (c.opcode.op == mapper::ArrayOp::exp && array.exp_algorithm == "mac_sequence") k.busy += array_tiles;
    // The result is registered: visible the cycle after the last running one (this replaces
    // the cost model's exposed drain). The next command may start at once (the array accepts
    // it in its predecessor's last cycle).
    k.drain = pipelined && c.reduction_depth > 0 ? c.reduction_depth : 1;
  }
  return k;
}

void ArrayUnit::run() {
  isa::UnitActivity& stats = s_.result->units[unit_];
  RunState::Waiting& blocked = s_.waiting[unit_];
  for (;;) {
    const u64 idle_from = now_cycles();
    if (queue.empty()) blocked.text = "its next command";
    if (!queue.wait_nonempty()) {
      blocked.clear();
      return;
    }
    blocked.clear();
    charge(stats, stats.commands == 0 ? isa::StallCause::fill_drain : s_.controller_wait, idle_from);
    const isa::Command c = queue.pop();
    for (const isa::Wait& w : c.waits) {
      const u64 from = now_cycles();
      blocked.command = &c;
      blocked.wait = &w;
      const bool load = s_.tokens.wait_for(w, token_known_);
      charge(stats, load ? isa::StallCause::dram : isa::StallCause::producer, from);
    }
    blocked.clear();
    if (s_.handoff) {
      const u64 from = now_cycles();
      blocked.command = &c;
      s_.handoff->wait_for_room(c, blocked.text);
      blocked.clear();
      charge(stats, isa::StallCause::downstream_space, from);
    }
    const Cost k = cost(c);
    const u64 start = now_cycles();
    if (s_.kernels) s_.guarded([&] { s_.kernels->execute(c); });
    // The operands stream through the buffer's banks while the array computes.
    const u64 served = s_.buffer ? s_.buffer->serve_operands(start, c) : start;
    sc_core::wait(cycles(k.busy));
    if (served > now_cycles()) {
      const u64 from = now_cycles();
      wait_until(served);
      charge(stats, isa::StallCause::buffer_port, from);
    }
    const u64 end = now_cycles();
    if (s_.tags) s_.tags->ran(c, start, end);
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
    s_.guarded([&] { s_.options.observer->on_activity({stats.name, stats.block, &c, label_, start, end}); });
  }
}

}  // namespace einfuse::sim::detail
