// The explicit executor: list scheduling of a Schedule's stream (schedule.hpp). It reads only
// what an op carries (cycles, drain, bytes, dependency ids), so it checks the stream's
// contract as much as it measures: a dependency on an op it no longer remembers is a stream
// that broke the contract, and it says so.
//
// Two clocks run side by side: one with DRAM infinitely fast (compare with the closed form's
// compute cycles) and one with DRAM at the arch's bandwidth (compare with its latency). DRAM
// time is kept in exact ticks (a cycle is BW/g ticks, a byte clock/g ticks), so the only
// rounding is the closed form's own: to whole cycles where an op starts or a region ends.
#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "einfuse/mapper/schedule.hpp"

#include "integer_math.hpp"

namespace einfuse::mapper {
namespace {

using detail::u64;
using detail::u128;
using detail::idx;

struct Times {
  u64 id = 0;
  u64 end[2] = {0, 0};    ///< [compute only, with DRAM]
  u64 ready[2] = {0, 0};  ///< end + drain
};

}  // namespace

ScheduleTotals simulate(const Schedule& schedule) {
  const Workload& w = schedule.workload();
  const ArchSpec& arch = schedule.arch();
  const std::size_t ne = w.einsums.size(), nt = w.tensors.size(), na = arch.arrays.size();
  ScheduleTotals out;
  out.einsum_cycles.assign(ne, 0);
  out.einsum_array_tiles.assign(ne, 0);
  out.einsum_ops.assign(ne, 0);
  out.array_busy.assign(na, 0);
  out.tensor_dram_read.assign(nt, 0);
  out.tensor_dram_write.assign(nt, 0);
  out.tensor_buffer_read.assign(nt, 0);
  out.tensor_buffer_write.assign(nt, 0);
  std::vector<u64> largest_op(ne, 0);

  const u64 bw = static_cast<u64>(arch.dram.bandwidth_bytes_per_s), clock = static_cast<u64>(arch.clock_hz);
  const u64 g = std::gcd(bw, clock);
  const u128 cycle_ticks = bw / g, byte_ticks = clock / g;
  auto to_cycles = [&](u128 ticks) { return static_cast<u64>((ticks + cycle_ticks - 1) / cycle_ticks); };

  // Ops a later dependency may still name: the latest of each Einsum and of each array, and
  // the last per array of the current and previous stage instance (docs/schedule.md).
  std::vector<Times> live;
  std::vector<std::int64_t> last_einsum(ne, -1), last_array(na, -1), inst_last(na, -1), prev_inst(na, -1);
  int inst_stage = -1;
  auto find = [&](u64 id) -> const Times& {
    for (const Times& t : live)
      if (t.id == id) return t;
    throw std::logic_error("schedule stream: dependency on op " + std::to_string(id) +
                           ", which is neither the latest op of an Einsum or an array nor in the previous stage instance");
  };

  u64 horizon[2] = {0, 0};       // every op, write and drain so far has finished by then
  u64 region_start[2] = {0, 0};  // per_stage memory: when the current stage's region began
  u128 region_bytes = 0;         // bytes the channel has moved in the region (with DRAM)
  int region_stage = -1;

  std::vector<u64> sweep_busy(na, 0);
  u64 sweep = 0;
  auto close_sweep = [&] {
    out.sweep_serial_cycles += *std::max_element(sweep_busy.begin(), sweep_busy.end());
    std::fill(sweep_busy.begin(), sweep_busy.end(), 0);
  };

  TileOp op;
  Schedule::Stream stream = schedule.stream();
  while (stream.next(op)) {
    if (op.id != out.ops) throw std::logic_error("schedule stream: ids are not consecutive at " + std::to_string(out.ops));
    ++out.ops;
    const std::size_t e = idx(op.einsum), a = idx(op.array);
    out.einsum_cycles[e] += op.cycles;
    out.einsum_array_tiles[e] += op.array_tiles;
    ++out.einsum_ops[e];
    out.array_busy[a] += op.cycles;
    largest_op[e] = std::max(largest_op[e], op.cycles + op.drain_cycles);
    out.max_op_dram_cycles =
        std::max(out.max_op_dram_cycles, to_cycles(static_cast<u128>(op.dram_read_bytes + op.dram_write_bytes) * byte_ticks));
    if (op.sweep != sweep) {
      close_sweep();
      sweep = op.sweep;
    }
    sweep_busy[a] += op.cycles;
    for (const TileTransfer& t : op.transfers) {
      out.tensor_dram_read[idx(t.tensor)] += t.dram_read_bytes;
      out.tensor_dram_write[idx(t.tensor)] += t.dram_write_bytes;
      out.tensor_buffer_read[idx(t.tensor)] += t.buffer_read_bytes;
      out.tensor_buffer_write[idx(t.tensor)] += t.buffer_write_bytes;
    }
    out.dram_bytes += op.dram_read_bytes + op.dram_write_bytes;
    out.buffer_read_bytes += op.buffer_read_bytes;
    out.buffer_write_bytes += op.buffer_write_bytes;

    if (schedule.per_stage_memory() && op.stage != region_stage) {
      // A stage's region starts when everything before it, DRAM included, is done.
      region_stage = op.stage;
      region_start[0] = horizon[0];
      region_start[1] = horizon[1];
      region_bytes = 0;
    }
    Times now;
    now.id = op.id;
    for (int m = 0; m < 2; ++m) {
      u64 start = region_start[m];
      for (u64 d : op.data_deps) start = std::max(start, find(d).ready[m]);
      for (u64 d : op.barrier_deps) start = std::max(start, find(d).ready[m]);
      if (op.has_array_dep) start = std::max(start, find(op.array_dep).end[m]);
      if (m == 1) {
        region_bytes += op.dram_read_bytes;
        // The channel delivers the stream's bytes in order at full bandwidth.
        if (op.dram_read_bytes > 0)
          start = std::max(start, to_cycles(static_cast<u128>(region_start[1]) * cycle_ticks + region_bytes * byte_ticks));
      }
      now.end[m] = start + op.cycles;
      now.ready[m] = now.end[m] + op.drain_cycles;
      horizon[m] = std::max(horizon[m], now.ready[m]);
      if (m == 1 && op.dram_write_bytes > 0) {
        region_bytes += op.dram_write_bytes;
        const u128 after_op = static_cast<u128>(now.end[1]) * cycle_ticks + op.dram_write_bytes * byte_ticks;
        const u128 channel = static_cast<u128>(region_start[1]) * cycle_ticks + region_bytes * byte_ticks;
        horizon[1] = std::max(horizon[1], to_cycles(std::max(after_op, channel)));
      }
    }

    // Track what later ops may name, and forget the rest: constant memory.
    if (op.stage != inst_stage) {
      prev_inst = inst_last;
      std::fill(inst_last.begin(), inst_last.end(), -1);
      inst_stage = op.stage;
    }
    last_einsum[e] = last_array[a] = inst_last[a] = static_cast<std::int64_t>(op.id);
    live.push_back(now);
    auto named = [&](u64 id) {
      auto in = [&](const std::vector<std::int64_t>& v) {
        return std::find(v.begin(), v.end(), static_cast<std::int64_t>(id)) != v.end();
      };
      return in(last_einsum) || in(last_array) || in(inst_last) || in(prev_inst);
    };
    live.erase(std::remove_if(live.begin(), live.end(), [&](const Times& t) { return !named(t.id); }), live.end());
  }
  close_sweep();
  out.compute_makespan_cycles = horizon[0];
  out.makespan_cycles = horizon[1];
  out.dram_cycles = to_cycles(static_cast<u128>(out.dram_bytes) * byte_ticks);
  for (u64 c : largest_op) out.max_tile_cycles += c;
  return out;
}

}  // namespace einfuse::mapper
