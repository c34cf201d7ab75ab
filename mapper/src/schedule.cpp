// Lowering a Mapping into the plan the Stream walks (schedule.hpp; contract in
// docs/schedule.md). Everything that depends only on (workload, arch, mapping) is decided here
// once: each Einsum's array, spatial tile and cycles per op, which loops it iterates, its pass
// and its lag; each tensor's DRAM fetch key and tile sizes. The stream then only counts.
//
// The rules mirror the closed form (cost_model.cpp) on purpose, but are stated per tile, not
// per tensor: a tensor is fetched when the loop indices that name its tile change; an output
// is written when its tile is finished; an op's cycles are its own ops over its own PEs.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "einfuse/mapper/schedule.hpp"

#include "integer_math.hpp"

namespace einfuse::mapper {
namespace {

using detail::u64;
using detail::u128;
using detail::idx;
using detail::ceil_div;

bool contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

// A loop over `rank` changes which elements of a tensor indexed by `ranks` are touched; split
// parts and their root count as one dimension (the cost model's rule, so reuse agrees).
bool Schedule::depends(const std::vector<int>& ranks, int rank) const {
  for (int u : ranks)
    if (u == rank || w_.root[idx(u)] == rank || w_.root[idx(rank)] == u) return true;
  return false;
}

// Extent of a tensor slot's rank in one tile: below the DRAM loops, or below every loop. A
// loop over the rank itself or over one of its split parts (K[e,m] under a loop over M1)
// divides it.
u64 Schedule::slot_tile(int rank, bool all_loops) const {
  std::int64_t f = 1;
  for (const ScheduleLoop& l : loops_) {
    if (!all_loops && !l.dram_level) continue;
    if (l.rank_id == rank || w_.root[idx(l.rank_id)] == rank) f *= l.factor;
  }
  const std::int64_t extent = w_.extent[idx(rank)];
  if (extent % f != 0)
    throw std::invalid_argument("schedule: loops over " + w_.rank_names[idx(rank)] + " multiply to " + std::to_string(f) +
                                ", which does not divide its extent " + std::to_string(extent));
  return static_cast<u64>(extent / f);
}

Schedule::Schedule(Workload workload, ArchSpec arch, const Mapping& m) : w_(std::move(workload)), arch_(std::move(arch)) {
  std::vector<MappingProblem> problems = validate_mapping(w_, arch_, m);
  if (!problems.empty()) throw MappingError(m.name, std::move(problems));
  const std::size_t ne = w_.einsums.size(), nt = w_.tensors.size();
  const u64 word = static_cast<u64>(arch_.data_bytes);

  // Loops: DRAM level outermost, then buffer level, each in the mapping's order.
  for (const Loop& l : m.dram_loops) loops_.push_back({l.rank, w_.find_rank(l.rank), l.factor, true});
  for (const Loop& l : m.buffer_loops) loops_.push_back({l.rank, w_.find_rank(l.rank), l.factor, false});
  const std::size_t nl = loops_.size();
  // A loop over a split rank's root (M) cannot say which tile of a part (M1, M0) a tensor
  // indexed by the part is in; the cost model's slot_tile has the same blind spot.
  for (const ScheduleLoop& l : loops_)
    for (const WorkloadTensor& t : w_.tensors)
      for (int q : t.ranks)
        if (l.factor > 1 && q != l.rank_id && w_.root[idx(q)] == l.rank_id)
          throw std::invalid_argument("schedule: a loop over " + l.rank + " tiles tensor " + t.name + ", which is indexed by its part " +
                                      w_.rank_names[idx(q)] + "; loop over the part instead");
  {
    u128 total = 1;
    for (const ScheduleLoop& l : loops_) total *= static_cast<u64>(l.factor);
    if (total >> 63) throw std::invalid_argument("schedule: more than 2^63 tile iterations");
  }

  // Stages, and each Einsum's place in a slot: stage first, then the stage's listing.
  if (m.overlap.stages.empty()) {
    stages_.assign(1, {});
    for (std::size_t e = 0; e < ne; ++e) stages_[0].push_back(static_cast<int>(e));
  } else {
    for (const auto& names : m.overlap.stages) {
      stages_.emplace_back();
      for (const std::string& n : names) stages_.back().push_back(w_.find_einsum(n));
    }
  }
  einsums_.assign(ne, {});
  for (std::size_t s = 0; s < stages_.size(); ++s)
    for (int e : stages_[s]) {
      einsums_[idx(e)].stage = static_cast<int>(s);
      einsums_[idx(e)].order = static_cast<int>(slot_order_.size());
      slot_order_.push_back(e);
    }
  stage_major_ = m.overlap.memory == Overlap::Memory::per_stage;
  interleave_ = m.overlap.interleave;

  // Spatial factor of a rank: the mapping's, else what one array tile leaves of it.
  auto spatial = [&](int q) -> u64 {
    for (const SpatialFactor& s : m.spatial)
      if (w_.find_rank(s.rank) == q) return static_cast<u64>(s.factor);
    return slot_tile(q, true);
  };

  // Tensors.
  tensors_.assign(nt, {});
  for (std::size_t t = 0; t < nt; ++t) {
    TensorPlan& tp = tensors_[t];
    const WorkloadTensor& wt = w_.tensors[t];
    if (const TensorPlacement* p = m.find_tensor(wt.name)) {
      tp.residency = p->residency;
      tp.spill = p->spill_fraction;
      if (!p->in_place_of.empty()) tp.in_place_host = w_.find_tensor(p->in_place_of);
    }
    tp.homed_in_dram = wt.role != einsum::Tensor::Role::intermediate;
    tp.bypass = tp.residency == Residency::dram;
    // Every rank that indexes it: slots, each consumer's index expressions, and the
    // producer's iteration ranks it keeps (the cost model's tensor_ranks).
    tp.ranks = wt.ranks;
    for (int c : wt.consumers)
      for (const OperandUse& u : w_.einsums[idx(c)].reads)
        if (u.tensor == static_cast<int>(t)) tp.ranks.insert(tp.ranks.end(), u.ranks.begin(), u.ranks.end());
    if (wt.producer >= 0) {
      const WorkloadEinsum& pe = w_.einsums[idx(wt.producer)];
      for (int r : pe.iteration_ranks)
        if (!contains(pe.reduced_ranks, r)) tp.ranks.push_back(r);
    }
  }
  for (const Binding& b : m.bindings)
    if (!b.stationary.empty()) tensors_[idx(w_.find_tensor(b.stationary))].stationary = true;

  // Einsums: array, spatial tile, cycles per op, which loops they iterate.
  for (std::size_t e = 0; e < ne; ++e) {
    const WorkloadEinsum& we = w_.einsums[e];
    EinsumPlan& ep = einsums_[e];
    const Binding& b = *m.find_binding(we.name);
    for (std::size_t a = 0; a < arch_.arrays.size(); ++a)
      if (arch_.arrays[a].name == b.array) ep.array = static_cast<int>(a);
    const PeArray& array = arch_.arrays[idx(ep.array)];
    std::vector<int> spatial_ranks;
    auto axis = [&](const std::vector<std::string>& names, u64& tile) {
      for (const std::string& n : names) {
        const int q = w_.find_rank(n);
        const u64 s = spatial(q);
        spatial_ranks.push_back(q);
        tile *= s;
        // A reduction laid across the PEs runs through a chain of s of them.
        if (contains(we.reduced_ranks, q)) ep.reduction_depth = std::max<u64>(ep.reduction_depth, 1) * s;
      }
    };
    axis(b.rows, ep.tile_rows);
    axis(b.cols, ep.tile_cols);
    ep.spatial_pes = ep.tile_rows * ep.tile_cols;
    ep.folds = ceil_div(ep.tile_rows, static_cast<u64>(array.rows)) * ceil_div(ep.tile_cols, static_cast<u64>(array.cols));
    for (std::size_t k = 0; k < kArrayOpCount; ++k) ep.cycles_per_op.push_back(array_op_cycles(array, static_cast<ArrayOp>(k)));
    ep.iterates.assign(nl, 0);
    ep.at_last.assign(nl, 0);
    ep.completes_on_last.assign(nl, 0);
    for (std::size_t j = 0; j < nl; ++j)
      ep.iterates[j] = loops_[j].factor > 1 && depends(we.iteration_ranks, loops_[j].rank_id);
    for (const OperandUse& u : we.reads) {
      // An iterative Einsum reads its own previous tile (RM[m1,p]): a buffer read like any
      // other operand, and a dependency on its own previous op rather than a producer.
      const int p = w_.tensors[idx(u.tensor)].producer;
      if (u.tensor == we.output) ep.iterative = true;
      else if (p >= 0 && !contains(ep.producers, p)) ep.producers.push_back(p);
      // Operands are read from the buffer once per PE group that shares them (multicast
      // across spatial ranks the operand does not depend on).
      u64 multicast = 1;
      for (int q : spatial_ranks)
        if (!depends(u.ranks, q)) multicast *= spatial(q);
      ep.reads.push_back({u.tensor, multicast});
    }
    // The output tile is finished at the last index of a loop it does not depend on.
    for (std::size_t j = 0; j < nl; ++j)
      ep.completes_on_last[j] = ep.iterates[j] && !depends(tensors_[idx(we.output)].ranks, loops_[j].rank_id);
  }

  // Passes: an Einsum that iterates a loop and reads a tensor reduced over that loop's rank
  // (and not indexed by it) needs the whole loop done first: the loop is traversed again.
  // Placement in loops an Einsum does not iterate: after the loop when it reads something
  // produced inside it (AV reads RNV[.., M1, ..]), else at its first iteration.
  // Cascades list producers before consumers, so one forward walk settles both.
  std::vector<char> crossing(nl, 0);
  for (std::size_t e = 0; e < ne; ++e) {
    EinsumPlan& ep = einsums_[e];
    const WorkloadEinsum& we = w_.einsums[e];
    for (const OperandUse& u : we.reads) {
      const int p = w_.tensors[idx(u.tensor)].producer;
      // A cascade reads only what earlier Einsums wrote, except an iterative tensor's previous
      // value (SPNV reads RNV[f,m1,p], written for the previous tile): a loop-carried read,
      // which neither forces a pass nor a lag.
      if (p < 0 || p >= static_cast<int>(e)) continue;
      const EinsumPlan& pp = einsums_[idx(p)];
      int pass = pp.pass;
      for (std::size_t j = 0; j < nl; ++j) {
        const int r = loops_[j].rank_id;
        if (ep.iterates[j] && pp.iterates[j] && depends(w_.einsums[idx(p)].reduced_ranks, r) && !depends(u.ranks, r)) {
          pass = pp.pass + 1;
          crossing[j] = 1;
        }
        if (!ep.iterates[j] && loops_[j].factor > 1 && (pp.iterates[j] || pp.at_last[j])) ep.at_last[j] = 1;
      }
      ep.pass = std::max(ep.pass, pass);
    }
    passes_ = std::max(passes_, ep.pass + 1);
  }
  split_ = 0;
  if (passes_ > 1)
    while (!crossing[split_]) ++split_;
  for (std::size_t j = 0; j < nl; ++j) (j < split_ ? outer_count_ : inner_count_) *= static_cast<u64>(loops_[j].factor);

  // Lag: a consumer placed before its producer in the slot (RD in FuseMax's first stage reads
  // SPD of the third) works on the previous tile: the stages form a software pipeline.
  for (std::size_t e = 0; e < ne; ++e) {
    EinsumPlan& ep = einsums_[e];
    for (int p : ep.producers) {
      const EinsumPlan& pp = einsums_[idx(p)];
      if (pp.pass != ep.pass || p > static_cast<int>(e)) continue;  // earlier pass, or loop-carried
      ep.lag = std::max(ep.lag, pp.lag + (pp.order > ep.order ? 1 : 0));
    }
    max_lag_ = std::max(max_lag_, ep.lag);
    if (stage_major_ && ep.lag > 0)
      throw std::invalid_argument("schedule: per_stage memory runs each stage over the whole nest, but " + w_.einsums[e].name +
                                  " is staged before an Einsum it reads");
  }

  // Runs, and the reduction latency a non-interleaved mapping exposes: the cost model charges
  // it when the next stage consumes the result.
  for (std::size_t e = 0; e < ne; ++e) {
    EinsumPlan& ep = einsums_[e];
    for (std::size_t j = 0; j < nl; ++j)
      if (ep.iterates[j]) ep.runs *= static_cast<u64>(loops_[j].factor);
    if (!interleave_ && ep.reduction_depth > 0)
      for (int c : w_.tensors[idx(w_.einsums[e].output)].consumers)
        if (einsums_[idx(c)].stage == ep.stage + 1) ep.drain_exposed = true;
  }

  // DRAM and buffer tiles of each tensor.
  for (std::size_t t = 0; t < nt; ++t) {
    TensorPlan& tp = tensors_[t];
    const WorkloadTensor& wt = w_.tensors[t];
    // The fetch key: a tensor the buffer holds is fetched per DRAM-level tile, and kept across
    // a run of innermost loops it does not depend on; one that bypasses the buffer is fetched
    // at every tile iteration, unless a binding keeps it stationary in the PEs.
    const bool all_loops = tp.bypass;
    const bool reuse_innermost = !tp.bypass || tp.stationary;
    std::size_t end = 0;
    for (std::size_t j = 0; j < nl; ++j) {
      if (!all_loops && !loops_[j].dram_level) continue;
      if (!reuse_innermost || (loops_[j].factor > 1 && depends(tp.ranks, loops_[j].rank_id))) end = j + 1;
    }
    tp.fetch_events = 1;
    for (std::size_t j = 0; j < end; ++j)
      if (all_loops || loops_[j].dram_level) {
        tp.dram_key_loops.push_back(static_cast<int>(j));
        tp.fetch_events *= static_cast<u64>(loops_[j].factor);
      }
    u64 fetch = word, write = word;
    std::int64_t full = 1;
    for (int q : wt.ranks) {
      fetch *= slot_tile(q, all_loops);
      write *= slot_tile(q, true);
      full *= w_.extent[idx(q)];
    }
    tp.fetch_tile_bytes = fetch;
    tp.write_tile_bytes = write;
    // An iterative tensor (RM[m1+1,p]) has one more slice than its ranks: the init value,
    // written with the first tile along that rank.
    if (wt.elements > static_cast<u64>(full)) {
      for (int q : wt.ranks)
        if (static_cast<u64>(full / w_.extent[idx(q)] * (w_.extent[idx(q)] + 1)) == wt.elements) tp.iterative_loop_rank = q;
      if (tp.iterative_loop_rank >= 0) tp.init_slice_bytes = write / slot_tile(tp.iterative_loop_rank, true);
    }
    tp.spill_bytes = static_cast<u64>(std::llround(static_cast<double>(wt.elements * word) * tp.spill));
    if (wt.producer >= 0) {
      const EinsumPlan& pp = einsums_[idx(wt.producer)];
      tp.write_events = pp.runs;
      for (std::size_t j = 0; j < nl; ++j)
        if (pp.completes_on_last[j]) tp.write_events /= static_cast<u64>(loops_[j].factor);
    }
    // Each stage that reads it from DRAM fetches it once (per fetch key), in the first pass
    // in which that stage reads it: the closed form charges one read per consuming stage.
    tp.read_pass.assign(stages_.size(), -1);
    for (int c : wt.consumers) {
      if (c == wt.producer) continue;
      int& rp = tp.read_pass[idx(einsums_[idx(c)].stage)];
      rp = rp < 0 ? einsums_[idx(c)].pass : std::min(rp, einsums_[idx(c)].pass);
    }
  }
}

u64 Schedule::op_count() const {
  u64 n = 0;
  for (const EinsumPlan& ep : einsums_) n += ep.runs;
  return n;
}

Schedule::OpTime Schedule::op_time(int einsum, const std::array<u64, kArrayOpCount>& actions, u64 points) const {
  const EinsumPlan& ep = einsums_[idx(einsum)];
  u128 work = 0;
  for (std::size_t k = 0; k < kArrayOpCount; ++k) work += static_cast<u128>(actions[k]) * ep.cycles_per_op[k];
  OpTime t;
  t.cycles = ceil_div(work * ep.folds, ep.spatial_pes);
  t.array_tiles = ceil_div(static_cast<u128>(points) * ep.folds, ep.spatial_pes);
  t.drain_cycles = ep.drain_exposed ? t.array_tiles * ep.reduction_depth : 0;
  return t;
}

std::vector<einsum::IndexRange> Schedule::tile_box(const std::vector<std::int64_t>& loop_index) const {
  std::vector<einsum::IndexRange> box;
  for (std::int64_t e : w_.extent) box.push_back({0, e});
  for (std::size_t j = 0; j < loops_.size() && j < loop_index.size(); ++j) {
    einsum::IndexRange& r = box[idx(loops_[j].rank_id)];
    const std::int64_t block = r.size() / loops_[j].factor;
    r.lo += loop_index[j] * block;
    r.hi = r.lo + block;
  }
  return box;
}

u64 Schedule::sweeps() const {
  return outer_count_ * static_cast<u64>(passes_) * (stage_major_ ? static_cast<u64>(stages_.size()) : 1);
}

}  // namespace einfuse::mapper
