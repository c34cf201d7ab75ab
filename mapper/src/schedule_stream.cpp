// The lazy stream of tile operations (schedule.hpp, docs/schedule.md). Its state is loop
// counters plus, per Einsum / array / (tensor, stage), the few ids and keys a dependency or a
// fetch decision needs, so it runs in constant memory whatever the number of tiles.
//
// Walk order: sweeps (per_stage memory: one per stage, outermost), outer iterations (loops
// outside the pass-forcing loop), passes, then slots of the inner loops. A slot holds, in slot
// order, every Einsum of the sweep's pass whose lagged tile (slot - lag) exists and for which
// this tile iteration is where it runs.
#include <algorithm>
#include <vector>

#include "einfuse/mapper/schedule.hpp"

#include "integer_math.hpp"

namespace einfuse::mapper {
namespace {

using detail::u64;
using detail::u128;
using detail::idx;
using detail::ceil_div;

// The i-th of n near-equal parts of `total` (parts sum to total exactly): how a masked
// iteration space or a spilled fraction is spread over tiles.
u64 share(u64 total, u64 n, u64 i) {
  return static_cast<u64>(static_cast<u128>(total) * (i + 1) / n - static_cast<u128>(total) * i / n);
}

TileTransfer& transfer(TileOp& op, int tensor) {
  for (TileTransfer& t : op.transfers)
    if (t.tensor == tensor) return t;
  op.transfers.push_back({tensor, 0, 0, 0, 0});
  return op.transfers.back();
}

}  // namespace

Schedule::Stream::Stream(const Schedule& s) : s_(&s), done_(false) {
  const std::size_t na = s.arch_.arrays.size();
  index_.assign(s.loops_.size(), 0);
  last_of_einsum_.assign(s.einsums_.size(), -1);
  last_of_array_.assign(na, -1);
  instance_last_.assign(na, -1);
  barrier_.assign(na, -1);
  tensor_state_.assign(s.tensors_.size() * s.stages_.size(), {});
  write_events_.assign(s.tensors_.size(), 0);
  runs_.assign(s.einsums_.size(), 0);
}

void Schedule::Stream::decode(u64 outer, u64 inner) {
  const std::size_t split = s_->split_;
  for (std::size_t j = s_->loops_.size(); j-- > split;) {
    const u64 f = static_cast<u64>(s_->loops_[j].factor);
    index_[j] = static_cast<std::int64_t>(inner % f);
    inner /= f;
  }
  for (std::size_t j = split; j-- > 0;) {
    const u64 f = static_cast<u64>(s_->loops_[j].factor);
    index_[j] = static_cast<std::int64_t>(outer % f);
    outer /= f;
  }
}

u64 Schedule::Stream::key(const std::vector<int>& key_loops) const {
  u64 k = 0;
  for (int j : key_loops) k = k * static_cast<u64>(s_->loops_[idx(j)].factor) + static_cast<u64>(index_[idx(j)]);
  return k;
}

bool Schedule::Stream::next(TileOp& op) {
  const Schedule& s = *s_;
  const std::size_t groups = s.stage_major_ ? s.stages_.size() : 1;
  while (!done_) {
    if (order_pos_ < s.slot_order_.size()) {
      const int e = s.slot_order_[order_pos_++];
      const EinsumPlan& ep = s.einsums_[idx(e)];
      if ((s.stage_major_ && ep.stage != static_cast<int>(group_)) || ep.pass != pass_) continue;
      const u64 lag = static_cast<u64>(ep.lag);
      if (slot_ < lag || slot_ - lag >= s.inner_count_) continue;
      if (emit(e, slot_ - lag, op)) return true;
      continue;
    }
    order_pos_ = 0;
    if (++slot_ < s.inner_count_ + static_cast<u64>(s.max_lag_)) continue;
    slot_ = 0;
    if (++pass_ < s.passes_) continue;
    pass_ = 0;
    if (++outer_ < s.outer_count_) continue;
    outer_ = 0;
    if (++group_ < groups) continue;
    done_ = true;
  }
  return false;
}

bool Schedule::Stream::emit(int e, u64 inner, TileOp& op) {
  const Schedule& s = *s_;
  const EinsumPlan& ep = s.einsums_[idx(e)];
  const WorkloadEinsum& we = s.w_.einsums[idx(e)];
  const u64 tile = outer_ * s.inner_count_ + inner;
  if (tile != decoded_) {
    decode(outer_, inner);
    decoded_ = tile;
  }
  // An Einsum runs once across a loop it does not iterate: at its first or last index.
  for (std::size_t j = 0; j < s.loops_.size(); ++j) {
    if (ep.iterates[j] || s.loops_[j].factor == 1) continue;
    if (index_[j] != (ep.at_last[j] ? s.loops_[j].factor - 1 : 0)) return false;
  }

  const u64 word = static_cast<u64>(s.arch_.data_bytes);
  const u64 run = runs_[idx(e)]++;
  op.id = next_id_++;
  op.einsum = e;
  op.array = ep.array;
  op.stage = ep.stage;
  op.pass = ep.pass;
  op.sweep = (group_ * s.outer_count_ + outer_) * static_cast<u64>(s.passes_) + static_cast<u64>(pass_);
  op.tile = tile;
  op.loop_index = index_;

  // Compute: this tile's share of the Einsum's points and ops, over one spatial tile's PEs.
  op.points = share(we.points, ep.runs, run);
  for (std::size_t k = 0; k < kArrayOpCount; ++k) op.actions[k] = we.ops[k] ? share(we.ops[k], ep.runs, run) : 0;
  const OpTime time = s.op_time(e, op.actions, op.points);
  op.cycles = time.cycles;
  op.array_tiles = time.array_tiles;
  op.drain_cycles = time.drain_cycles;
  op.reduction_depth = ep.reduction_depth;

  // Data movement.
  op.transfers.clear();
  const int stage = ep.stage;
  const std::size_t nstages = s.stages_.size();
  for (const EinsumPlan::Read& r : ep.reads) {
    const TensorPlan& tp = s.tensors_[idx(r.tensor)];
    TileTransfer& tr = transfer(op, r.tensor);
    if (tp.residency != Residency::registers && !tp.bypass) tr.buffer_read_bytes += op.points / r.multicast * word;
    const bool from_dram = tp.homed_in_dram || tp.bypass || tp.spill_bytes > 0;
    if (!from_dram || tp.read_pass[idx(stage)] != ep.pass) continue;
    TensorStageState& st = tensor_state_[idx(r.tensor) * nstages + idx(stage)];
    const u64 k = key(tp.dram_key_loops);
    if (k == st.last_key) continue;
    st.last_key = k;
    const u64 bytes = tp.homed_in_dram || tp.bypass ? tp.fetch_tile_bytes
                                                    : share(tp.spill_bytes, tp.fetch_events, st.events++ % tp.fetch_events);
    tr.dram_read_bytes += bytes;
    if (!tp.bypass) tr.buffer_write_bytes += bytes;  // DRAM data lands in the buffer first
  }
  {
    const int t = we.output;
    const TensorPlan& tp = s.tensors_[idx(t)];
    bool finished = true, first_along_iterative = true;
    for (std::size_t j = 0; j < s.loops_.size(); ++j) {
      if (ep.completes_on_last[j] && index_[j] != s.loops_[j].factor - 1) finished = false;
      if (tp.iterative_loop_rank >= 0 && s.loops_[j].rank_id == tp.iterative_loop_rank && index_[j] != 0)
        first_along_iterative = false;
    }
    if (finished && tp.residency != Residency::registers) {
      const u64 bytes = tp.write_tile_bytes + (first_along_iterative ? tp.init_slice_bytes : 0);
      TileTransfer& tr = transfer(op, t);
      if (tp.bypass) {
        tr.dram_write_bytes += bytes;
      } else {
        tr.buffer_write_bytes += bytes;
        u64 out = 0;
        if (tp.homed_in_dram) out = bytes;
        else if (tp.spill_bytes > 0) out = share(tp.spill_bytes, tp.write_events, write_events_[idx(t)]++ % tp.write_events);
        tr.dram_write_bytes += out;
        tr.buffer_read_bytes += out;  // staged out of the buffer
      }
    }
  }
  op.dram_read_bytes = op.dram_write_bytes = op.buffer_read_bytes = op.buffer_write_bytes = 0;
  std::size_t kept = 0;
  for (const TileTransfer& tr : op.transfers) {
    if (!tr.dram_read_bytes && !tr.dram_write_bytes && !tr.buffer_read_bytes && !tr.buffer_write_bytes) continue;
    op.dram_read_bytes += tr.dram_read_bytes;
    op.dram_write_bytes += tr.dram_write_bytes;
    op.buffer_read_bytes += tr.buffer_read_bytes;
    op.buffer_write_bytes += tr.buffer_write_bytes;
    op.transfers[kept++] = tr;
  }
  op.transfers.resize(kept);

  // Dependencies.
  op.data_deps.clear();
  for (int p : ep.producers)
    if (last_of_einsum_[idx(p)] >= 0) op.data_deps.push_back(static_cast<u64>(last_of_einsum_[idx(p)]));
  if (ep.iterative && last_of_einsum_[idx(e)] >= 0) op.data_deps.push_back(static_cast<u64>(last_of_einsum_[idx(e)]));
  std::sort(op.data_deps.begin(), op.data_deps.end());
  op.data_deps.erase(std::unique(op.data_deps.begin(), op.data_deps.end()), op.data_deps.end());
  const std::size_t a = idx(ep.array);
  op.has_array_dep = last_of_array_[a] >= 0;
  op.array_dep = op.has_array_dep ? static_cast<u64>(last_of_array_[a]) : 0;
  // A new stage instance: a barrier behind the previous one when the stage index grew (the
  // next stage of a slot, or the next kernel when stage-major), or when it wrapped around to
  // the next slot without interleaving.
  if (stage != instance_stage_) {
    const bool barrier = instance_stage_ >= 0 && (stage > instance_stage_ || !s.interleave_);
    barrier_active_ = barrier;
    barrier_ = instance_last_;
    std::fill(instance_last_.begin(), instance_last_.end(), -1);
    instance_stage_ = stage;
  }
  op.barrier_deps.clear();
  if (barrier_active_ && instance_last_[a] < 0)
    for (std::int64_t id : barrier_)
      if (id >= 0) op.barrier_deps.push_back(static_cast<u64>(id));

  last_of_einsum_[idx(e)] = static_cast<std::int64_t>(op.id);
  last_of_array_[a] = static_cast<std::int64_t>(op.id);
  instance_last_[a] = static_cast<std::int64_t>(op.id);
  return true;
}

}  // namespace einfuse::mapper
