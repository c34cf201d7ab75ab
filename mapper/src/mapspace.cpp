// The mapspace (mapspace.hpp; rules in docs/search.md). Everything that depends only on a
// tiling (binding choices with their cycles, residency rules, footprints, the least DRAM
// traffic) is computed once per tiling here, so a strategy's inner loop only picks indices.
// A few of the cost model's reuse rules (which ranks a tensor depends on, how often it is
// re-fetched, how many cycles an op takes) are restated here, read-only, because the bounds
// must agree with what evaluate() will charge.
#include "einfuse/mapper/mapspace.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <sstream>

#include "einfuse/einsum/footprint.hpp"
#include "einfuse/einsum/passes.hpp"

#include "integer_math.hpp"

namespace einfuse::mapper {
namespace {

using detail::u64;
using detail::u128;
using detail::idx;

// As the cost model: a loop over `rank` touches new elements of a tensor indexed by `ranks`
// when the rank, its root or one of its parts indexes it.
bool depends(const Workload& w, const std::vector<int>& ranks, int rank) {
  for (int u : ranks)
    if (u == rank || w.root[idx(u)] == rank || w.root[idx(rank)] == u) return true;
  return false;
}

// As the cost model: the ranks that index tensor t anywhere.
std::vector<int> tensor_ranks(const Workload& w, int t) {
  const WorkloadTensor& wt = w.tensors[idx(t)];
  std::vector<int> ranks = wt.ranks;
  for (int e : wt.consumers)
    for (const OperandUse& u : w.einsums[idx(e)].reads)
      if (u.tensor == t) ranks.insert(ranks.end(), u.ranks.begin(), u.ranks.end());
  if (wt.producer >= 0) {
    const WorkloadEinsum& pe = w.einsums[idx(wt.producer)];
    for (int r : pe.iteration_ranks)
      if (std::find(pe.reduced_ranks.begin(), pe.reduced_ranks.end(), r) == pe.reduced_ranks.end()) ranks.push_back(r);
  }
  return ranks;
}

// As the cost model: re-fetches across the DRAM loops of a tensor held in the buffer.
u64 refetch(const Workload& w, const std::vector<int>& ranks, const std::vector<Loop>& loops) {
  u64 factor = 1;
  bool relevant_below = false;
  for (auto it = loops.rbegin(); it != loops.rend(); ++it) {
    const int q = w.find_rank(it->rank);
    if (depends(w, ranks, q)) relevant_below = true;
    else if (relevant_below) factor *= static_cast<u64>(it->factor);
  }
  return factor;
}

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : sep) + i;
  return s;
}

bool contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

const char* overlap_policy_name(OverlapPolicy p) {
  switch (p) {
    case OverlapPolicy::pipelined: return "pipelined";
    case OverlapPolicy::layered: return "layered";
    case OverlapPolicy::layered_waiting: return "layered-waiting";
    case OverlapPolicy::serial: return "serial";
  }
  return "?";
}

const char* tensor_rule_name(TensorRule r) {
  switch (r) {
    case TensorRule::free: return "free";
    case TensorRule::reused: return "reused";
    case TensorRule::carried: return "carried";
    case TensorRule::live: return "live across passes";
  }
  return "?";
}

Mapspace::Mapspace(const einsum::Cascade& cascade, const einsum::BoundShape& shape, const ArchSpec& arch,
                   MapspaceOptions options, CostOptions cost)
    : cascade_(&cascade), workload_(make_workload(cascade, shape)), arch_(arch), options_(std::move(options)),
      cost_(cost) {
  // An Einsum no array can execute makes the whole mapspace empty: say which op and where.
  for (const WorkloadEinsum& we : workload_.einsums) {
    if (!we.unsupported.empty()) {
      why_empty_ = we.name + " needs " + join(we.unsupported) + ", which no array of " + arch_.name + " executes";
      return;
    }
    bool some_array = false;
    std::vector<std::string> missing, lacks;
    for (const PeArray& a : arch_.arrays) {
      std::vector<std::string> no;
      for (std::size_t k = 0; k < kArrayOpCount; ++k)
        if (we.ops[k] > 0 && array_op_cycles(a, static_cast<ArrayOp>(k)) == 0) no.push_back(array_op_name(static_cast<ArrayOp>(k)));
      if (no.empty()) { some_array = true; break; }
      std::vector<std::string> has;
      for (const auto& kv : a.ops)
        if (kv.first != "exp" || a.exp_algorithm != "none") has.push_back(kv.first);
      lacks.push_back(a.name + " lacks " + join(no) + " (its ops: " + join(has) + ")");
      for (const auto& n : no)
        if (std::find(missing.begin(), missing.end(), n) == missing.end()) missing.push_back(n);
    }
    if (!some_array) {
      why_empty_ = we.name + " needs " + join(missing) + ", which no array of " + arch_.name + " executes: " + join(lacks, "; ");
      return;
    }
  }
  // Tensors the cascade's own pass analysis finds live across passes (docs/passes.md): the
  // loop-level analysis of each tiling adds to these, never removes.
  live_roots_.assign(workload_.tensors.size(), {});
  const einsum::Footprint fp = einsum::analyse_footprint(cascade, shape);
  for (std::size_t t = 0; t < fp.tensors.size() && t < live_roots_.size(); ++t) live_roots_[t] = fp.tensors[t].live_across_passes;
  // Dependency layers of one tile: an Einsum runs one layer after the latest producer it
  // reads within the tile (a running state's previous step is not a dependency).
  layer_.assign(workload_.einsums.size(), 0);
  for (std::size_t e = 0; e < workload_.einsums.size(); ++e)
    for (const OperandUse& u : workload_.einsums[e].reads) {
      const int pr = workload_.tensors[idx(u.tensor)].producer;
      if (pr >= 0 && pr < static_cast<int>(e)) layer_[e] = std::max(layer_[e], layer_[idx(pr)] + 1);
    }
  build_tilings();
  if (tilings_.empty() && why_empty_.empty())
    why_empty_ = smallest_overflow_.empty() ? "no loop nest divides the ranks of " + workload_.cascade : smallest_overflow_;
}

std::uint64_t Mapspace::dram_cycles(std::uint64_t bytes) const {
  const u128 num = static_cast<u128>(bytes) * static_cast<u64>(arch_.clock_hz);
  const u64 bw = static_cast<u64>(arch_.dram.bandwidth_bytes_per_s);
  return static_cast<u64>((num + bw - 1) / bw);
}

void Mapspace::build_tilings() {
  const Workload& w = workload_;
  const einsum::Cascade& c = *cascade_;
  int side_cols = 1, side_rows = 1;
  for (const PeArray& a : arch_.arrays) {
    side_cols = std::max(side_cols, a.cols);
    if (a.rows > 1) side_rows = std::max(side_rows, a.rows);
  }
  auto reduced_anywhere = [&](int q) {
    return std::any_of(w.einsums.begin(), w.einsums.end(), [&](const WorkloadEinsum& e) { return contains(e.reduced_ranks, q); });
  };
  auto iterated_by_all = [&](int q) {
    return std::all_of(w.einsums.begin(), w.einsums.end(), [&](const WorkloadEinsum& e) { return contains(e.iteration_ranks, q); });
  };
  auto plain = [&](int q) { return c.ranks[idx(q)].kind == einsum::Rank::Kind::plain && c.ranks[idx(q)].parts.empty(); };
  std::vector<int> output_ranks;
  for (const WorkloadTensor& t : w.tensors)
    if (t.role == einsum::Tensor::Role::output)
      for (int q : t.ranks)
        if (!contains(output_ranks, q)) output_ranks.push_back(q);

  // The tile rank (P): the largest output rank nothing reduces; its spatial factor is the
  // columns' side when that divides it, so every array tile holds a full row of queries.
  int tile = -1;
  for (int q : output_ranks)
    if (plain(q) && !reduced_anywhere(q) && w.extent[idx(q)] > 1 &&
        (tile < 0 || w.extent[idx(q)] > w.extent[idx(tile)] ||
         (w.extent[idx(q)] == w.extent[idx(tile)] && iterated_by_all(q) && !iterated_by_all(tile))))
      tile = q;
  // Outer ranks: batch ranks and output ranks every Einsum iterates (GQA's H), looped whole at
  // the DRAM level outermost: they are independent problems.
  std::vector<int> outer;
  for (int q : c.batch_ranks)
    if (w.extent[idx(q)] > 1) outer.push_back(q);
  for (int q : output_ranks)
    if (q != tile && plain(q) && !contains(outer, q) && iterated_by_all(q) && !reduced_anywhere(q) && w.extent[idx(q)] > 1)
      outer.push_back(q);
  // Sequential candidates: the step rank of every running state (M1, J) and the coarsest part
  // (or the rank itself) of every rank a pass traverses (M, or C and S of split cascades).
  std::vector<int> sequential;
  for (const einsum::Einsum& e : c.einsums)
    if (e.step_var >= 0 && !contains(sequential, e.step_var) && w.extent[idx(e.step_var)] > 1) sequential.push_back(e.step_var);
  const einsum::PassAnalysis passes = einsum::analyse_passes(c);
  for (const einsum::RankPasses& rp : passes.ranks) {
    // A rank traversed more than once, or a long reduced rank no output carries (decode's M);
    // short contracted ranks (E) and output ranks (P) are not iterated sequentially.
    if (rp.passes < 1 || contains(output_ranks, rp.rank)) continue;
    if (rp.passes < 2 && w.extent[idx(rp.rank)] <= side_rows) continue;
    const int q = c.ranks[idx(rp.rank)].parts.empty() ? rp.rank : c.ranks[idx(rp.rank)].parts.front();
    if (!contains(sequential, q) && w.extent[idx(q)] > 1) sequential.push_back(q);
  }

  std::vector<SpatialFactor> spatial;
  std::int64_t tile_tiles = 1;  // P / spatial(P): what the DRAM and buffer loops split
  if (tile >= 0) {
    const std::int64_t e = w.extent[idx(tile)];
    const std::int64_t s = e % side_cols == 0 ? side_cols : e;
    spatial.push_back({w.rank_names[idx(tile)], s});
    tile_tiles = e / s;
  }
  std::vector<Loop> outer_loops;
  for (int q : outer) outer_loops.push_back({w.rank_names[idx(q)], w.extent[idx(q)]});
  std::vector<std::int64_t> divisors;
  for (std::int64_t d = 1; d <= tile_tiles; ++d)
    if (tile_tiles % d == 0) divisors.push_back(d);

  for (std::int64_t p2 : divisors) {
    const std::int64_t p1 = tile_tiles / p2;
    std::vector<Loop> dram = outer_loops, buffer;
    if (tile >= 0 && p2 > 1) dram.push_back({w.rank_names[idx(tile)], p2});
    if (tile >= 0 && p1 > 1) buffer.push_back({w.rank_names[idx(tile)], p1});
    add_tiling(dram, buffer, spatial, -1, LoopLevel::none);
    for (int q : sequential) {
      std::vector<SpatialFactor> sp = spatial;
      std::int64_t factor = w.extent[idx(q)];
      // An unsplit rank (3-pass M) is cut into tiles of the rows' side, laid down the rows.
      if (plain(q) && factor % side_rows == 0 && side_rows > 1) {
        sp.push_back({w.rank_names[idx(q)], side_rows});
        factor /= side_rows;
      }
      if (factor <= 1) continue;
      for (LoopLevel level : {LoopLevel::dram, LoopLevel::buffer}) {
        std::vector<Loop> d = dram, b = buffer;
        (level == LoopLevel::dram ? d : b).push_back({w.rank_names[idx(q)], factor});
        add_tiling(d, b, sp, q, level);
      }
    }
  }
  // Cheapest DRAM traffic first: exhaustive search then finds a good incumbent early.
  std::stable_sort(tilings_.begin(), tilings_.end(), [](const Tiling& a, const Tiling& b) { return a.min_dram_bytes < b.min_dram_bytes; });
}

void Mapspace::add_tiling(std::vector<Loop> dram, std::vector<Loop> buffer, std::vector<SpatialFactor> spatial, int seq,
                          LoopLevel level) {
  const Workload& w = workload_;
  const einsum::Cascade& c = *cascade_;
  const std::size_t nr = w.rank_names.size(), ne = w.einsums.size(), nt = w.tensors.size();
  std::vector<std::int64_t> df(nr, 1), bf(nr, 1), sf(nr, 0);
  for (const Loop& l : dram) df[idx(w.find_rank(l.rank))] *= l.factor;
  for (const Loop& l : buffer) bf[idx(w.find_rank(l.rank))] *= l.factor;
  for (const SpatialFactor& s : spatial) sf[idx(w.find_rank(s.rank))] = s.factor;

  Tiling t;
  t.dram_loops = dram;
  t.buffer_loops = buffer;
  t.spatial = spatial;
  t.sequential_rank = seq;
  t.sequential_level = level;
  {
    std::ostringstream d;
    for (const Loop& l : dram) d << l.rank << "/" << l.factor << " ";
    d << "|";
    for (const Loop& l : buffer) d << " " << l.rank << "/" << l.factor;
    t.description = d.str();
  }

  // Footprints as the cost model computes them: level 1 = a DRAM tile (buffer residency),
  // level 2 = a buffer tile (stream).
  auto slot_tile = [&](int q, int lvl) {
    auto tile_of = [&](int r) { return static_cast<u64>(w.extent[idx(r)] / (df[idx(r)] * (lvl >= 2 ? bf[idx(r)] : 1))); };
    bool has_parts = false;
    u64 parts = 1;
    for (std::size_t r = 0; r < nr; ++r)
      if (w.root[r] == q && static_cast<int>(r) != q) { has_parts = true; parts *= tile_of(static_cast<int>(r)); }
    return has_parts && df[idx(q)] == 1 && bf[idx(q)] == 1 ? parts : tile_of(q);
  };
  t.footprint_bytes.assign(nt, 0);
  t.stream_bytes.assign(nt, 0);
  for (std::size_t i = 0; i < nt; ++i) {
    u64 a = 1, b = 1;
    for (int q : w.tensors[i].ranks) { a *= slot_tile(q, 1); b *= slot_tile(q, 2); }
    t.footprint_bytes[i] = a * static_cast<u64>(arch_.data_bytes);
    t.stream_bytes[i] = b * static_cast<u64>(arch_.data_bytes);
  }

  // Passes relative to the sequential loop: an Einsum inside it that reads a value complete
  // only after an earlier traversal (an accumulator such as GM[p], or something computed
  // from one) runs in a later traversal; what it reads from the earlier one is live.
  std::vector<int> pass(ne, 0), tpass(nt, 0);
  std::vector<bool> inside(ne, false), dep(nt, true), complete_after(nt, false);
  std::vector<std::vector<int>> ranks_of(nt);
  for (std::size_t i = 0; i < nt; ++i) {
    ranks_of[i] = tensor_ranks(w, static_cast<int>(i));
    if (seq >= 0) dep[i] = depends(w, ranks_of[i], seq);
  }
  if (seq >= 0) {
    for (std::size_t e = 0; e < ne; ++e) {
      const WorkloadEinsum& we = w.einsums[e];
      inside[e] = contains(we.iteration_ranks, seq);
      int k = inside[e] ? 1 : 0;
      for (const OperandUse& u : we.reads) {
        const int p = w.tensors[idx(u.tensor)].producer;
        if (p < 0 || p >= static_cast<int>(e)) continue;  // an input, or a running state's previous step
        k = std::max(k, tpass[idx(u.tensor)] + (inside[e] && complete_after[idx(u.tensor)] ? 1 : 0));
      }
      pass[e] = k;
      const int out = we.output;
      tpass[idx(out)] = k;
      complete_after[idx(out)] = inside[e] ? !dep[idx(out)] : k >= 1;
    }
  }

  // Residency rules (docs/search.md).
  const Loop* innermost = nullptr;
  for (auto it = dram.rbegin(); it != dram.rend(); ++it)
    if (it->factor > 1) { innermost = &*it; break; }
  t.rules.assign(nt, TensorRule::free);
  t.residencies.assign(nt, {});
  for (std::size_t i = 0; i < nt; ++i) {
    const WorkloadTensor& wt = w.tensors[i];
    const bool homed = wt.role != einsum::Tensor::Role::intermediate;
    TensorRule rule = TensorRule::free;
    bool read_inside = false, live = false;
    for (int e : wt.consumers) {
      if (!inside[idx(e)]) continue;
      read_inside = true;
      if (wt.producer >= 0 && e > wt.producer && (!inside[idx(wt.producer)] || pass[idx(e)] > pass[idx(wt.producer)])) live = true;
    }
    const bool iterative = wt.producer >= 0 && c.einsums[idx(wt.producer)].step_var >= 0 &&
                           c.einsums[idx(wt.producer)].step_var == seq;
    const bool accumulator = seq >= 0 && wt.producer >= 0 && inside[idx(wt.producer)] && !dep[i];
    if (seq >= 0 && wt.producer >= 0 && contains(live_roots_[i], w.root[idx(seq)]) && read_inside) live = true;
    if (seq >= 0 && dep[i] && live) rule = TensorRule::live;
    else if (iterative || accumulator) rule = TensorRule::carried;
    else if ((seq >= 0 && read_inside && !dep[i]) ||
             (homed && innermost && !depends(w, ranks_of[i], w.find_rank(innermost->rank))))
      rule = TensorRule::reused;
    t.rules[i] = rule;
    auto& res = t.residencies[i];
    switch (rule) {
      case TensorRule::live:
        // Held whole only if no DRAM loop cuts the fiber; otherwise written and re-read.
        if (level != LoopLevel::dram) res.push_back(Residency::buffer);
        res.push_back(Residency::dram);
        break;
      case TensorRule::carried:
      case TensorRule::reused:
        res.push_back(Residency::buffer);
        if (options_.allow_dram_bypass || !homed) res.push_back(Residency::dram);
        break;
      case TensorRule::free:
        if (!homed && options_.allow_registers) res.push_back(Residency::registers);
        res.push_back(Residency::stream);
        if (homed && options_.allow_dram_bypass) res.push_back(Residency::dram);
        break;
    }
  }

  // Least DRAM traffic: every input and output at the refetch of a buffered tile; every live
  // tensor forced to DRAM written once and read once.
  u64 bytes = 0, footprint = 0;
  for (std::size_t i = 0; i < nt; ++i) {
    const WorkloadTensor& wt = w.tensors[i];
    const u64 b = wt.elements * static_cast<u64>(arch_.data_bytes);
    if (wt.role != einsum::Tensor::Role::intermediate) {
      bytes += b * (wt.role == einsum::Tensor::Role::input ? refetch(w, ranks_of[i], dram) : 1);
    } else if (t.residencies[i].front() == Residency::dram) {
      bytes += 2 * b;
    }
    u64 least = UINT64_MAX;
    for (Residency r : t.residencies[i])
      least = std::min<u64>(least, r == Residency::buffer ? t.footprint_bytes[i] : r == Residency::stream ? t.stream_bytes[i] : 0);
    footprint += least;
  }
  t.min_dram_bytes = bytes;
  t.min_buffer_bytes = footprint;
  if (footprint > static_cast<u64>(arch_.global_buffer.capacity_bytes)) {
    if (smallest_overflow_.empty() || footprint < smallest_overflow_bytes_) {
      // Name the tiles that take the room, largest first.
      std::vector<std::pair<u64, std::string>> parts;
      for (std::size_t i = 0; i < nt; ++i) {
        // The tensor's least footprint over its choices: what it adds to the sum above.
        u64 b = UINT64_MAX;
        Residency at = Residency::dram;
        for (Residency r : t.residencies[i]) {
          const u64 x = r == Residency::buffer ? t.footprint_bytes[i] : r == Residency::stream ? t.stream_bytes[i] : 0;
          if (x < b) { b = x; at = r; }
        }
        if (b > 0) parts.push_back({b, w.tensors[i].name + " (" + residency_name(at) + ") " + std::to_string(b)});
      }
      std::sort(parts.rbegin(), parts.rend());
      std::vector<std::string> names;
      for (std::size_t i = 0; i < parts.size() && i < 4; ++i) names.push_back(parts[i].second);
      smallest_overflow_bytes_ = footprint;
      smallest_overflow_ = "capacity: the smallest tiles of any mapping need " + std::to_string(footprint) +
                           " bytes of buffer (" + join(names) + "); " + arch_.name + "'s global buffer holds " +
                           std::to_string(arch_.global_buffer.capacity_bytes);
    }
    return;
  }

  // Binding choices: per array able to run the Einsum, the fastest few spatial layouts.
  t.bindings.assign(ne, {});
  for (std::size_t e = 0; e < ne; ++e) {
    const WorkloadEinsum& we = w.einsums[e];
    std::vector<int> cand;
    for (int q : we.iteration_ranks) {
      if (c.ranks[idx(q)].kind == einsum::Rank::Kind::batch || contains(we.sequential_ranks, q)) continue;
      const std::int64_t ext = sf[idx(q)] > 0 ? sf[idx(q)] : w.extent[idx(q)] / (df[idx(q)] * bf[idx(q)]);
      if (ext > 1) cand.push_back(q);
    }
    // The key within a tile: the finest part of a split rank (M0 of M -> M1, M0).
    auto finest_part = [&](int q) {
      const einsum::Rank& rank = c.ranks[idx(q)];
      return rank.kind == einsum::Rank::Kind::split_part && rank.split_level == rank.split_parts - 1;
    };
    auto tile_extent = [&](int q) -> u64 {
      return static_cast<u64>(sf[idx(q)] > 0 ? sf[idx(q)] : w.extent[idx(q)] / (df[idx(q)] * bf[idx(q)]));
    };
    for (std::size_t a = 0; a < arch_.arrays.size(); ++a) {
      const PeArray& arr = arch_.arrays[a];
      u128 work = 0;
      bool ok = we.unsupported.empty();
      for (std::size_t k = 0; k < kArrayOpCount; ++k) {
        if (we.ops[k] == 0) continue;
        const u64 cyc = array_op_cycles(arr, static_cast<ArrayOp>(k));
        if (cyc == 0) ok = false;
        work += static_cast<u128>(we.ops[k]) * cyc;
      }
      if (!ok) continue;
      const double energy = einsum_compute_energy(arch_, arr, we, cost_);
      std::vector<int> row_opts = {-1}, col_opts = {-1};
      for (int q : cand) { col_opts.push_back(q); if (arr.rows > 1) row_opts.push_back(q); }
      std::vector<std::pair<std::array<u64, 3>, BindingChoice>> layouts;
      for (int r : row_opts)
        for (int cc : col_opts) {
          if (r >= 0 && r == cc) continue;
          if (r < 0 && cc < 0 && !cand.empty()) continue;
          if (options_.keys_down_rows && arr.rows > 1 && (r < 0 || !(contains(we.reduced_ranks, r) || finest_part(r))))
            continue;
          const u64 tr = r >= 0 ? tile_extent(r) : 1, tc = cc >= 0 ? tile_extent(cc) : 1;
          const u64 folds = detail::ceil_div(tr, static_cast<u64>(arr.rows)) * detail::ceil_div(tc, static_cast<u64>(arr.cols));
          const u128 sp = static_cast<u128>(tr) * tc;
          BindingChoice b;
          b.array = static_cast<int>(a);
          if (r >= 0) b.rows = {r};
          if (cc >= 0) b.cols = {cc};
          b.cycles = detail::ceil_div(work * folds, sp);
          b.pes = std::min<u64>(tr, static_cast<u64>(arr.rows)) * std::min<u64>(tc, static_cast<u64>(arr.cols));
          b.energy_pj = energy;
          // Ties: more PEs (registers fit), then the paper's habit: the query tile across the
          // columns and a reduced rank down the rows, so reductions use the column network.
          const u64 habit = (cc >= 0 && !spatial.empty() && w.rank_names[idx(cc)] == spatial.front().rank ? 0 : 2) +
                            (r < 0 || contains(we.reduced_ranks, r) || c.ranks[idx(r)].kind == einsum::Rank::Kind::split_part ? 0 : 1);
          layouts.push_back({{b.cycles, UINT64_MAX - b.pes, habit}, std::move(b)});
        }
      std::stable_sort(layouts.begin(), layouts.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
      int kept = 0;
      std::vector<std::pair<u64, u64>> seen;
      for (auto& [key, b] : layouts) {
        // A layout more than twice as slow as the array's best only ever saves registers or
        // buffer reads: not worth a branch of the search.
        if (kept >= options_.layouts_per_array || b.cycles > 2 * layouts.front().second.cycles) break;
        if (std::find(seen.begin(), seen.end(), std::pair{b.cycles, b.pes}) != seen.end()) continue;
        seen.push_back({b.cycles, b.pes});
        t.bindings[e].push_back(std::move(b));
        ++kept;
      }
    }
    std::stable_sort(t.bindings[e].begin(), t.bindings[e].end(),
                     [](const BindingChoice& x, const BindingChoice& y) { return x.cycles < y.cycles; });
  }
  tilings_.push_back(std::move(t));
}

double Mapspace::size() const {
  double n = 0;
  for (const Tiling& t : tilings_) {
    double k = static_cast<double>(options_.overlaps.size());
    for (const auto& b : t.bindings) k *= static_cast<double>(b.size());
    for (const auto& r : t.residencies) k *= static_cast<double>(r.size());
    n += k;
  }
  return n;
}

MapPoint Mapspace::first_point(int tiling) const {
  MapPoint p;
  p.tiling = tiling;
  p.binding.assign(einsum_count(), 0);
  p.residency.assign(tensor_count(), 0);
  return p;
}

Mapping Mapspace::mapping(const MapPoint& p) const {
  const Workload& w = workload_;
  const Tiling& t = tilings_[idx(p.tiling)];
  Mapping m;
  m.name = "search " + w.cascade + " on " + arch_.name;
  m.cascade = w.cascade;
  m.arch = arch_.name;
  m.spatial = t.spatial;
  m.dram_loops = t.dram_loops;
  m.buffer_loops = t.buffer_loops;
  for (std::size_t e = 0; e < w.einsums.size(); ++e) {
    const BindingChoice& b = t.bindings[e][idx(p.binding[e])];
    Binding bind{w.einsums[e].name, arch_.arrays[idx(b.array)].name, {}, {}, {}};
    for (int q : b.rows) bind.rows.push_back(w.rank_names[idx(q)]);
    for (int q : b.cols) bind.cols.push_back(w.rank_names[idx(q)]);
    m.bindings.push_back(std::move(bind));
  }
  for (std::size_t i = 0; i < w.tensors.size(); ++i)
    m.tensors.push_back({w.tensors[i].name, t.residencies[i][idx(p.residency[i])], 0.0, {}});
  const OverlapPolicy policy = options_.overlaps[idx(p.overlap)];
  if (policy == OverlapPolicy::serial) {
    for (const WorkloadEinsum& we : w.einsums) m.overlap.stages.push_back({we.name});
    m.overlap.memory = Overlap::Memory::per_stage;
  } else if (policy != OverlapPolicy::pipelined) {
    m.overlap.stages.resize(idx(*std::max_element(layer_.begin(), layer_.end())) + 1);
    for (std::size_t e = 0; e < w.einsums.size(); ++e) m.overlap.stages[idx(layer_[e])].push_back(w.einsums[e].name);
    m.overlap.interleave = policy == OverlapPolicy::layered;
  }
  return m;
}

std::optional<CostSummary> Mapspace::evaluate(const MapPoint& p) const {
  const Workload& w = workload_;
  const Tiling& t = tilings_[idx(p.tiling)];
  // Registers only between Einsums on one array: reject before building the Mapping.
  for (std::size_t i = 0; i < w.tensors.size(); ++i) {
    if (t.residencies[i][idx(p.residency[i])] != Residency::registers) continue;
    const int pr = w.tensors[i].producer;
    const int a = t.bindings[idx(pr)][idx(p.binding[idx(pr)])].array;
    for (int cns : w.tensors[i].consumers)
      if (t.bindings[idx(cns)][idx(p.binding[idx(cns)])].array != a) return std::nullopt;
  }
  return evaluate_fast(w, arch_, mapping(p), cost_);
}

}  // namespace einfuse::mapper
