// The closed-form cost model (cost_model.hpp; formulas in docs/cost-model.md). A Mapping is
// first resolved against the workload and the arch into plain integers (which array, spatial
// extents, loop factors per rank, stage of every Einsum), collecting every problem on the way;
// cost() then only multiplies and adds.
#include "einfuse/mapper/cost_model.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

namespace einfuse::mapper {
namespace {

using u64 = std::uint64_t;
__extension__ typedef unsigned __int128 u128;
std::size_t idx(int i) { return static_cast<std::size_t>(i); }
std::size_t opi(ArrayOp op) { return static_cast<std::size_t>(op); }

u64 ceil_div(u128 a, u128 b) { return static_cast<u64>((a + b - 1) / b); }

struct ResolvedLoop {
  int rank = -1;
  std::int64_t factor = 1;
};

struct ResolvedEinsum {
  int array = -1;                      ///< index into arch.arrays
  std::vector<int> spatial_ranks;      ///< ranks laid across the array (rows then cols)
  u64 tile_rows = 1, tile_cols = 1;    ///< spatial extents on each axis
  u64 folds = 1;                       ///< array passes per spatial tile
  std::array<u64, kArrayOpCount> cycles_per_op{};
  int stage = 0;
  u64 reduction_depth = 0;             ///< PEs a spatial reduction runs through (0: none)
};

struct Resolved {
  std::vector<ResolvedEinsum> einsums;     ///< by workload Einsum index
  std::vector<Residency> residency;        ///< by tensor
  std::vector<double> spill;               ///< by tensor
  std::vector<bool> in_place;              ///< by tensor: shares another tensor's storage
  std::vector<bool> stationary;            ///< by tensor: held in the PEs by a binding
  std::vector<std::int64_t> dram_factor;   ///< by rank: Π of the rank's DRAM-level loops
  std::vector<std::int64_t> buffer_factor; ///< by rank: Π of its buffer-level loops
  std::vector<std::int64_t> spatial;       ///< by rank: spatial factor, 0 when not given
  std::vector<ResolvedLoop> dram_loops, buffer_loops;
  std::vector<std::vector<int>> stages;    ///< Einsum indices per stage
  bool per_stage_memory = false;
  bool interleave = true;
};

// Cycles of one op kind on an array: the op itself, else the unit that can do it (a min is a
// max unit with the comparison flipped; a compare or a select is a max unit's comparator).
// 0: the array cannot do it.
u64 op_cycles(const PeArray& a, ArrayOp op) {
  auto find = [&](const char* name) -> u64 {
    auto it = a.ops.find(name);
    return it == a.ops.end() ? 0 : static_cast<u64>(it->second);
  };
  switch (op) {
    case ArrayOp::exp: return a.exp_algorithm == "none" ? 0 : find("exp");
    case ArrayOp::min: { const u64 c = find("min"); return c ? c : find("max"); }
    case ArrayOp::cmp: { const u64 c = find("cmp"); return c ? c : find("max"); }
    default: return find(array_op_name(op));
  }
}

double op_energy(const ArchSpec& arch, const PeArray& a, ArrayOp op, const CostOptions& options) {
  auto energy = [&](const std::string& name) -> double {
    auto it = arch.energy_pj.find(name);
    return it == arch.energy_pj.end() ? 0.0 : it->second;
  };
  switch (op) {
    case ArrayOp::exp:
      if (a.exp_algorithm == "mac_sequence") {
        double e = 0;
        for (const auto& [name, count] : a.exp_sequence) e += count * energy(name);
        return e;
      }
      return options.drop_table_exp_energy ? 0.0 : energy("exp");
    case ArrayOp::min: return a.supports("min") ? energy("min") : energy("max");
    case ArrayOp::cmp: return a.supports("cmp") ? energy("cmp") : energy("max");
    default: return energy(array_op_name(op));
  }
}

// Micro-ops one op issues on the PE (register-file traffic is charged per micro-op).
u64 micro_ops(const PeArray& a, ArrayOp op) {
  if (op == ArrayOp::exp && a.exp_algorithm == "mac_sequence") {
    u64 n = 0;
    for (const auto& kv : a.exp_sequence) n += static_cast<u64>(kv.second);
    return n;
  }
  return 1;
}

std::string join(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : ", ") + i;
  return s;
}

// Does a loop or spatial factor over `rank` change which elements of a tensor indexed by
// `ranks` are touched? Split parts and their root count as the same dimension.
bool depends(const Workload& w, const std::vector<int>& ranks, int rank) {
  for (int u : ranks)
    if (u == rank || w.root[idx(u)] == rank || w.root[idx(rank)] == u) return true;
  return false;
}

// The ranks that index tensor t anywhere (slots, and every Einsum's index expressions).
std::vector<int> tensor_ranks(const Workload& w, int t) {
  std::vector<int> ranks = w.tensors[idx(t)].ranks;
  auto add_uses = [&](int e) {
    for (const OperandUse& u : w.einsums[idx(e)].reads)
      if (u.tensor == t) ranks.insert(ranks.end(), u.ranks.begin(), u.ranks.end());
  };
  for (int e : w.tensors[idx(t)].consumers) add_uses(e);
  if (w.tensors[idx(t)].producer >= 0) {
    const auto& it = w.einsums[idx(w.tensors[idx(t)].producer)].iteration_ranks;
    const auto& red = w.einsums[idx(w.tensors[idx(t)].producer)].reduced_ranks;
    for (int r : it)
      if (std::find(red.begin(), red.end(), r) == red.end()) ranks.push_back(r);
  }
  return ranks;
}

// How many times a tensor's data is fetched again: once per iteration of every loop it does
// not depend on, except (for a tensor the buffer holds) a run of such loops innermost, across
// which the held tile is simply reused.
u64 refetch(const Workload& w, const std::vector<int>& ranks, const std::vector<ResolvedLoop>& loops,
            bool innermost_reuse) {
  u64 factor = 1;
  bool relevant_below = !innermost_reuse;
  for (auto it = loops.rbegin(); it != loops.rend(); ++it) {
    if (depends(w, ranks, it->rank)) {
      relevant_below = true;
    } else if (relevant_below) {
      factor *= static_cast<u64>(it->factor);
    }
  }
  return factor;
}

// Extent of a tensor slot's rank within one tile: `level` 1 = below the DRAM loops (a buffer
// tile), 2 = below the buffer loops too. A split rank whose parts are tiled is the product
// of its parts' tiles.
u64 slot_tile(const Workload& w, const Resolved& r, int rank, int level) {
  auto tile_of = [&](int q) {
    std::int64_t f = r.dram_factor[idx(q)];
    if (level >= 2) f *= r.buffer_factor[idx(q)];
    return static_cast<u64>(w.extent[idx(q)] / f);
  };
  bool has_parts = false;
  u64 parts = 1;
  for (std::size_t q = 0; q < w.root.size(); ++q)
    if (w.root[q] == rank && static_cast<int>(q) != rank) {
      has_parts = true;
      parts *= tile_of(static_cast<int>(q));
    }
  return has_parts && r.dram_factor[idx(rank)] == 1 && r.buffer_factor[idx(rank)] == 1 ? parts : tile_of(rank);
}

u64 footprint_elements(const Workload& w, const Resolved& r, int t, int level) {
  u64 n = 1;
  for (int q : w.tensors[idx(t)].ranks) n *= slot_tile(w, r, q, level);
  return n;
}

Resolved resolve(const Workload& w, const ArchSpec& arch, const Mapping& m,
                 std::vector<MappingProblem>* problems) {
  auto problem = [&](std::string where, std::string message) {
    if (problems) problems->push_back({std::move(where), std::move(message)});
  };
  Resolved r;
  const std::size_t nranks = w.rank_names.size();
  r.dram_factor.assign(nranks, 1);
  r.buffer_factor.assign(nranks, 1);
  r.spatial.assign(nranks, 0);

  auto rank_of = [&](const std::string& name, const std::string& where) {
    const int q = w.find_rank(name);
    if (q < 0) problem(where, "'" + name + "' is not a rank of cascade " + w.cascade + " (ranks: " + join(w.rank_names) + ")");
    return q;
  };
  auto read_loops = [&](const std::vector<Loop>& loops, const char* key, std::vector<std::int64_t>& factor,
                        std::vector<ResolvedLoop>& out) {
    for (std::size_t i = 0; i < loops.size(); ++i) {
      const std::string where = std::string(key) + "[" + std::to_string(i) + "]";
      const int q = rank_of(loops[i].rank, where);
      if (q < 0) continue;
      if (loops[i].factor < 1) { problem(where, "factor must be positive"); continue; }
      factor[idx(q)] *= loops[i].factor;
      out.push_back({q, loops[i].factor});
    }
  };
  read_loops(m.dram_loops, "dram_loops", r.dram_factor, r.dram_loops);
  read_loops(m.buffer_loops, "buffer_loops", r.buffer_factor, r.buffer_loops);
  for (const SpatialFactor& s : m.spatial) {
    const int q = rank_of(s.rank, "spatial." + s.rank);
    if (q >= 0) r.spatial[idx(q)] = s.factor;
  }
  for (std::size_t q = 0; q < nranks; ++q) {
    const std::int64_t tiled = r.dram_factor[q] * r.buffer_factor[q] * std::max<std::int64_t>(1, r.spatial[q]);
    if (tiled > w.extent[q] || w.extent[q] % tiled != 0)
      problem("rank " + w.rank_names[q],
              "loop and spatial factors multiply to " + std::to_string(tiled) + ", which does not divide its extent " +
                  std::to_string(w.extent[q]));
  }

  // Bindings.
  r.einsums.assign(w.einsums.size(), {});
  std::vector<bool> bound(w.einsums.size(), false);
  for (const Binding& b : m.bindings) {
    const std::string where = "bindings[" + b.einsum + "]";
    const int e = w.find_einsum(b.einsum);
    if (e < 0) { problem(where, "'" + b.einsum + "' is not an Einsum of cascade " + w.cascade); continue; }
    if (bound[idx(e)]) { problem(where, "bound twice"); continue; }
    bound[idx(e)] = true;
    const WorkloadEinsum& we = w.einsums[idx(e)];
    ResolvedEinsum& re = r.einsums[idx(e)];
    for (std::size_t a = 0; a < arch.arrays.size(); ++a)
      if (arch.arrays[a].name == b.array) re.array = static_cast<int>(a);
    if (re.array < 0) {
      std::vector<std::string> names;
      for (const auto& a : arch.arrays) names.push_back(a.name);
      problem(where + ".array", "'" + b.array + "' is not an array of " + arch.name + " (arrays: " + join(names) + ")");
      continue;
    }
    const PeArray& array = arch.arrays[idx(re.array)];
    auto axis = [&](const std::vector<std::string>& ranks, const char* key, u64& tile) {
      for (const std::string& name : ranks) {
        const int q = rank_of(name, where + "." + key);
        if (q < 0) continue;
        if (std::find(we.iteration_ranks.begin(), we.iteration_ranks.end(), q) == we.iteration_ranks.end()) {
          problem(where + "." + key, b.einsum + " does not iterate over " + name);
          continue;
        }
        if (std::find(re.spatial_ranks.begin(), re.spatial_ranks.end(), q) != re.spatial_ranks.end()) {
          problem(where + "." + key, name + " is laid across the array twice");
          continue;
        }
        re.spatial_ranks.push_back(q);
        const u64 s = r.spatial[idx(q)] > 0 ? static_cast<u64>(r.spatial[idx(q)])
                                            : static_cast<u64>(w.extent[idx(q)] / (r.dram_factor[idx(q)] * r.buffer_factor[idx(q)]));
        tile *= s;
        if (std::find(we.reduced_ranks.begin(), we.reduced_ranks.end(), q) != we.reduced_ranks.end())
          re.reduction_depth = std::max<u64>(re.reduction_depth, 1) * s;
      }
    };
    axis(b.rows, "rows", re.tile_rows);
    axis(b.cols, "cols", re.tile_cols);
    re.folds = ceil_div(re.tile_rows, static_cast<u64>(array.rows)) * ceil_div(re.tile_cols, static_cast<u64>(array.cols));
    std::vector<std::string> missing = we.unsupported;
    for (std::size_t k = 0; k < kArrayOpCount; ++k) {
      const auto op = static_cast<ArrayOp>(k);
      re.cycles_per_op[k] = op_cycles(array, op);
      if (we.ops[k] > 0 && re.cycles_per_op[k] == 0) missing.push_back(array_op_name(op));
    }
    if (!missing.empty()) {
      std::vector<std::string> has;
      for (const auto& kv : array.ops) has.push_back(kv.first);
      problem(where + ".array", b.einsum + " needs " + join(missing) + ", which array " + array.name +
                                    " cannot execute (its ops: " + join(has) + ")");
    }
  }
  for (std::size_t e = 0; e < w.einsums.size(); ++e)
    if (!bound[e]) problem("bindings", "Einsum " + w.einsums[e].name + " is not bound to an array");

  // Tensors.
  r.residency.assign(w.tensors.size(), Residency::buffer);
  r.spill.assign(w.tensors.size(), 0.0);
  r.in_place.assign(w.tensors.size(), false);
  r.stationary.assign(w.tensors.size(), false);
  for (const Binding& b : m.bindings) {
    if (b.stationary.empty()) continue;
    const int t = w.find_tensor(b.stationary);
    const int e = w.find_einsum(b.einsum);
    const bool touches = t >= 0 && e >= 0 &&
                         (w.einsums[idx(e)].output == t ||
                          std::any_of(w.einsums[idx(e)].reads.begin(), w.einsums[idx(e)].reads.end(),
                                      [&](const OperandUse& u) { return u.tensor == t; }));
    if (!touches)
      problem("bindings[" + b.einsum + "].stationary", "'" + b.stationary + "' is not a tensor " + b.einsum + " reads or writes");
    else
      r.stationary[idx(t)] = true;
  }
  for (const TensorPlacement& p : m.tensors) {
    const std::string where = "tensors." + p.tensor;
    const int t = w.find_tensor(p.tensor);
    if (t < 0) { problem(where, "'" + p.tensor + "' is not a tensor of cascade " + w.cascade); continue; }
    const WorkloadTensor& wt = w.tensors[idx(t)];
    r.residency[idx(t)] = p.residency;
    r.spill[idx(t)] = p.spill_fraction;
    if (!p.in_place_of.empty()) {
      if (w.find_tensor(p.in_place_of) < 0 || p.in_place_of == p.tensor)
        problem(where + ".in_place_of", "'" + p.in_place_of + "' is not another tensor of cascade " + w.cascade);
      else
        r.in_place[idx(t)] = true;
    }
    if (p.spill_fraction < 0 || p.spill_fraction > 1) problem(where, "spill must be in [0, 1]");
    if (p.residency == Residency::registers) {
      if (wt.role != einsum::Tensor::Role::intermediate) {
        problem(where, p.tensor + " is an " + std::string(wt.role == einsum::Tensor::Role::input ? "input" : "output") +
                           ": its home is DRAM, it cannot live in registers");
        continue;
      }
      const int array = wt.producer >= 0 ? r.einsums[idx(wt.producer)].array : -1;
      for (int c : wt.consumers)
        if (r.einsums[idx(c)].array != array)
          problem(where, p.tensor + " is produced on one array and read by " + w.einsums[idx(c)].name +
                             " on another: it must pass through the buffer (stream)");
    }
  }

  // Stages.
  if (m.overlap.stages.empty()) {
    r.stages.assign(1, {});
    for (std::size_t e = 0; e < w.einsums.size(); ++e) r.stages[0].push_back(static_cast<int>(e));
  } else {
    std::vector<int> seen(w.einsums.size(), -1);
    for (std::size_t s = 0; s < m.overlap.stages.size(); ++s) {
      r.stages.emplace_back();
      for (const std::string& name : m.overlap.stages[s]) {
        const std::string where = "overlap.stages[" + std::to_string(s) + "]";
        const int e = w.find_einsum(name);
        if (e < 0) { problem(where, "'" + name + "' is not an Einsum of cascade " + w.cascade); continue; }
        if (seen[idx(e)] >= 0) { problem(where, name + " is already in stage " + std::to_string(seen[idx(e)])); continue; }
        seen[idx(e)] = static_cast<int>(s);
        r.einsums[idx(e)].stage = static_cast<int>(s);
        r.stages.back().push_back(e);
      }
    }
    for (std::size_t e = 0; e < w.einsums.size(); ++e)
      if (seen[e] < 0) problem("overlap.stages", "Einsum " + w.einsums[e].name + " is in no stage");
  }
  r.per_stage_memory = m.overlap.memory == Overlap::Memory::per_stage;
  r.interleave = m.overlap.interleave;
  return r;
}

// Capacity problems of a resolved mapping: buffer bytes and registers per PE.
void check_capacity(const Workload& w, const ArchSpec& arch, const Resolved& r, std::vector<MappingProblem>& problems,
                    u64* footprint_out) {
  u64 bytes = 0;
  std::vector<u64> register_words(arch.arrays.size(), 0);
  for (std::size_t t = 0; t < w.tensors.size(); ++t) {
    const int ti = static_cast<int>(t);
    if (r.in_place[t]) continue;
    // A spilled fraction lives in DRAM, not in the buffer.
    const double kept = 1.0 - r.spill[t];
    switch (r.residency[t]) {
      case Residency::buffer:
        bytes += static_cast<u64>(std::ceil(static_cast<double>(footprint_elements(w, r, ti, 1) * static_cast<u64>(arch.data_bytes)) * kept));
        break;
      case Residency::stream: bytes += footprint_elements(w, r, ti, 2) * static_cast<u64>(arch.data_bytes); break;
      case Residency::registers: {
        const int p = w.tensors[t].producer;
        if (p < 0) break;
        const ResolvedEinsum& re = r.einsums[idx(p)];
        if (re.array < 0) break;
        const PeArray& a = arch.arrays[idx(re.array)];
        const u64 pes = std::min<u64>(re.tile_rows, static_cast<u64>(a.rows)) *
                        std::min<u64>(re.tile_cols, static_cast<u64>(a.cols));
        register_words[idx(re.array)] += ceil_div(footprint_elements(w, r, ti, 2), pes);
        break;
      }
      case Residency::dram: break;
    }
  }
  if (footprint_out) *footprint_out = bytes;
  if (bytes > static_cast<u64>(arch.global_buffer.capacity_bytes))
    problems.push_back({"tensors", "the buffer-resident tiles need " + std::to_string(bytes) + " bytes; the global buffer holds " +
                                       std::to_string(arch.global_buffer.capacity_bytes)});
  for (std::size_t a = 0; a < arch.arrays.size(); ++a)
    if (register_words[a] > static_cast<u64>(arch.arrays[a].registers_per_pe))
      problems.push_back({"tensors", "register-resident tensors need " + std::to_string(register_words[a]) +
                                         " words per PE on " + arch.arrays[a].name + ", which has " +
                                         std::to_string(arch.arrays[a].registers_per_pe)});
}

// The cost of a resolved mapping. `report` is filled when not null.
CostSummary cost(const Workload& w, const ArchSpec& arch, const Resolved& r, const CostOptions& options,
                 CostReport* report) {
  const u64 bytes_per_word = static_cast<u64>(arch.data_bytes);
  const std::size_t ne = w.einsums.size();
  std::vector<u64> cycles(ne, 0), tiles(ne, 0), stalls(ne, 0);
  std::vector<u64> busy(arch.arrays.size(), 0);
  std::vector<double> register_accesses_pj(arch.arrays.size(), 0.0);
  EnergyBreakdown energy;
  auto charge = [&](const std::string& action, double pj) {
    if (report) energy.by_action[action] += pj;
    energy.total_pj += pj;
  };

  // Compute.
  for (std::size_t e = 0; e < ne; ++e) {
    const WorkloadEinsum& we = w.einsums[e];
    const ResolvedEinsum& re = r.einsums[e];
    const PeArray& a = arch.arrays[idx(re.array)];
    u128 work = 0;
    u64 uops = 0;
    for (std::size_t k = 0; k < kArrayOpCount; ++k) {
      if (we.ops[k] == 0) continue;
      work += static_cast<u128>(we.ops[k]) * re.cycles_per_op[k];
      uops += we.ops[k] * micro_ops(a, static_cast<ArrayOp>(k));
      const double pj = static_cast<double>(we.ops[k]) * op_energy(arch, a, static_cast<ArrayOp>(k), options);
      charge(k == opi(ArrayOp::exp) && a.exp_algorithm == "mac_sequence" ? "exp (mac sequence)" : array_op_name(static_cast<ArrayOp>(k)), pj);
    }
    const u128 spatial = static_cast<u128>(re.tile_rows) * re.tile_cols;
    cycles[e] = ceil_div(work * re.folds, spatial);
    tiles[e] = ceil_div(static_cast<u128>(we.points) * re.folds, spatial);
    busy[idx(re.array)] += cycles[e];
    // Each micro-op reads two operands from the PE's register file and writes one result.
    double reg_pj = static_cast<double>(uops) * (2 * arch.energy_pj.at("register_read") + arch.energy_pj.at("register_write"));
    if (options.register_energy_one_pe) reg_pj /= static_cast<double>(a.pes());
    register_accesses_pj[idx(re.array)] += reg_pj;
  }
  for (double pj : register_accesses_pj) charge("register", pj);

  // Stages and exposed reduction latency.
  std::vector<u64> stage_compute(r.stages.size(), 0);
  for (std::size_t s = 0; s < r.stages.size(); ++s) {
    std::vector<u64> per_array(arch.arrays.size(), 0);
    for (int e : r.stages[s]) per_array[idx(r.einsums[idx(e)].array)] += cycles[idx(e)];
    stage_compute[s] = *std::max_element(per_array.begin(), per_array.end());
  }
  if (!r.interleave) {
    for (std::size_t e = 0; e < ne; ++e) {
      const ResolvedEinsum& re = r.einsums[e];
      if (re.reduction_depth == 0) continue;
      const std::size_t next = static_cast<std::size_t>(re.stage) + 1;
      if (next >= r.stages.size()) continue;
      const auto& consumers = w.tensors[idx(w.einsums[e].output)].consumers;
      const bool waited = std::any_of(consumers.begin(), consumers.end(),
                                      [&](int c) { return static_cast<std::size_t>(r.einsums[idx(c)].stage) == next; });
      if (!waited) continue;
      stalls[e] = tiles[e] * re.reduction_depth;
      stage_compute[next] += stalls[e];
    }
  }

  // Traffic.
  std::vector<u64> stage_bytes(r.stages.size(), 0);
  u64 dram_bytes = 0;
  double buffer_read_bytes = 0, buffer_write_bytes = 0;
  std::vector<TensorTraffic> traffic;
  if (report) traffic.resize(w.tensors.size());
  std::vector<ResolvedLoop> all_loops = r.dram_loops;
  all_loops.insert(all_loops.end(), r.buffer_loops.begin(), r.buffer_loops.end());
  for (std::size_t t = 0; t < w.tensors.size(); ++t) {
    const WorkloadTensor& wt = w.tensors[t];
    const Residency res = r.residency[t];
    const bool homed_in_dram = wt.role != einsum::Tensor::Role::intermediate;
    const u64 bytes = wt.elements * bytes_per_word;
    u64 reads = 0, writes = 0;
    std::vector<int> consumer_stages;
    for (int c : wt.consumers) {
      const int s = r.einsums[idx(c)].stage;
      if (c != wt.producer && std::find(consumer_stages.begin(), consumer_stages.end(), s) == consumer_stages.end())
        consumer_stages.push_back(s);
    }
    auto read_in_stages = [&](u64 b) {
      for (int s : consumer_stages) { stage_bytes[idx(s)] += b; reads += b; }
    };
    const bool bypass = res == Residency::dram;
    if (homed_in_dram || bypass) {
      const std::vector<int> ranks = tensor_ranks(w, static_cast<int>(t));
      // A bypassing tensor is fetched at every use, unless its consumer keeps it stationary
      // in the PEs across the innermost loops it does not depend on.
      const u64 again = bypass ? refetch(w, ranks, all_loops, r.stationary[t]) : refetch(w, ranks, r.dram_loops, true);
      read_in_stages(bytes * again);
      if (wt.producer >= 0) {
        writes += bytes;
        stage_bytes[idx(r.einsums[idx(wt.producer)].stage)] += bytes;
      }
    } else if (r.spill[t] > 0) {
      const u64 spilled = static_cast<u64>(std::llround(static_cast<double>(bytes) * r.spill[t]));
      writes += spilled;
      if (wt.producer >= 0) stage_bytes[idx(r.einsums[idx(wt.producer)].stage)] += spilled;
      read_in_stages(spilled);
    }
    dram_bytes += reads + writes;
    // What crosses DRAM is staged in the buffer, unless the tensor bypasses it.
    double buf_r = bypass ? 0.0 : static_cast<double>(writes);
    double buf_w = bypass ? 0.0 : static_cast<double>(reads);
    u64 reg_r = 0, reg_w = 0;
    // Arrays read operands from the buffer, multicast across the PEs of every spatial rank
    // the operand does not depend on; register-resident operands are read in the PE.
    for (int c : wt.consumers) {
      const WorkloadEinsum& we = w.einsums[idx(c)];
      const ResolvedEinsum& re = r.einsums[idx(c)];
      std::vector<int> uses;
      for (const OperandUse& u : we.reads)
        if (u.tensor == static_cast<int>(t)) uses = u.ranks;
      u64 multicast = 1;
      for (int q : re.spatial_ranks)
        if (!depends(w, uses, q))
          multicast *= r.spatial[idx(q)] > 0 ? static_cast<u64>(r.spatial[idx(q)])
                                             : static_cast<u64>(w.extent[idx(q)] / (r.dram_factor[idx(q)] * r.buffer_factor[idx(q)]));
      const u64 words = we.points / multicast;
      if (res == Residency::registers) reg_r += words;
      else if (!bypass) buf_r += static_cast<double>(words * bytes_per_word);
    }
    if (wt.producer >= 0) {
      if (res == Residency::registers) reg_w += wt.elements;
      else if (!bypass) buf_w += static_cast<double>(bytes);
    }
    buffer_read_bytes += buf_r;
    buffer_write_bytes += buf_w;
    if (report) {
      TensorTraffic& tt = traffic[t];
      tt.tensor = wt.name;
      tt.dram_read_bytes = reads;
      tt.dram_write_bytes = writes;
      tt.buffer_read_bytes = static_cast<u64>(buf_r);
      tt.buffer_write_bytes = static_cast<u64>(buf_w);
      tt.register_reads = reg_r;
      tt.register_writes = reg_w;
    }
  }
  const double row_bytes = arch.global_buffer.row_bits / 8.0;
  charge("buffer_read", buffer_read_bytes / row_bytes * arch.energy_pj.at("buffer_read_row"));
  charge("buffer_write", buffer_write_bytes / row_bytes * arch.energy_pj.at("buffer_write_row"));
  charge("dram", static_cast<double>(dram_bytes) / (arch.dram.access_bits / 8.0) * arch.energy_pj.at("dram_access"));

  // Latency.
  auto dram_time = [&](u64 b) {
    return ceil_div(static_cast<u128>(b) * static_cast<u64>(arch.clock_hz), static_cast<u64>(arch.dram.bandwidth_bytes_per_s));
  };
  u64 compute = 0, latency = 0;
  for (std::size_t s = 0; s < r.stages.size(); ++s) {
    compute += stage_compute[s];
    if (r.per_stage_memory) latency += std::max(stage_compute[s], dram_time(stage_bytes[s]));
  }
  const u64 dram_cycles = dram_time(dram_bytes);
  if (!r.per_stage_memory) latency = std::max(compute, dram_cycles);

  CostSummary summary{latency, energy.total_pj, dram_bytes};
  if (!report) return summary;

  CostReport& out = *report;
  for (std::size_t e = 0; e < ne; ++e) {
    const ResolvedEinsum& re = r.einsums[e];
    const PeArray& a = arch.arrays[idx(re.array)];
    out.einsums.push_back({w.einsums[e].name, a.name,
                           std::min<u64>(re.tile_rows, static_cast<u64>(a.rows)) * std::min<u64>(re.tile_cols, static_cast<u64>(a.cols)),
                           tiles[e], cycles[e], stalls[e]});
  }
  for (std::size_t a = 0; a < arch.arrays.size(); ++a)
    out.arrays.push_back({arch.arrays[a].name, busy[a], latency ? static_cast<double>(busy[a]) / static_cast<double>(latency) : 0.0});
  for (std::size_t s = 0; s < r.stages.size(); ++s) {
    StageCost sc;
    for (int e : r.stages[s]) sc.einsums.push_back(w.einsums[idx(e)].name);
    sc.compute_cycles = stage_compute[s];
    sc.dram_bytes = stage_bytes[s];
    out.stages.push_back(std::move(sc));
  }
  out.tensors = std::move(traffic);
  out.compute_cycles = compute;
  out.dram_cycles = dram_cycles;
  out.latency_cycles = latency;
  out.latency_s = static_cast<double>(latency) / static_cast<double>(arch.clock_hz);
  out.dram_bytes = dram_bytes;
  out.energy = std::move(energy);
  out.area_um2 = array_area(arch);
  return summary;
}

}  // namespace

double array_area(const ArchSpec& arch) {
  double area = 0;
  for (const PeArray& a : arch.arrays) {
    const auto pe = arch.area_um2.find(a.role == "2d" ? "pe2d" : "pe1d");
    double per_pe = 0;
    if (pe != arch.area_um2.end()) {
      per_pe = pe->second;
    } else {
      for (const auto& kv : a.ops) {
        if (kv.first == "exp" && a.exp_algorithm != "table") continue;
        const auto unit = arch.area_um2.find(kv.first);
        if (unit != arch.area_um2.end()) per_pe += unit->second;
      }
      const auto reg = arch.area_um2.find("register");
      if (reg != arch.area_um2.end()) per_pe += reg->second * a.registers_per_pe;
    }
    area += per_pe * static_cast<double>(a.pes());
  }
  return area;
}

MappingError::MappingError(std::string mapping_name, std::vector<MappingProblem> problems)
    : std::runtime_error([&] {
        std::ostringstream s;
        s << "mapping " << (mapping_name.empty() ? "(unnamed)" : "'" + mapping_name + "'") << " does not fit:";
        for (const auto& p : problems) s << "\n  " << p.where << ": " << p.message;
        return s.str();
      }()),
      problems_(std::move(problems)) {}

std::vector<MappingProblem> validate_mapping(const Workload& workload, const ArchSpec& arch, const Mapping& mapping) {
  std::vector<MappingProblem> problems;
  if (!mapping.cascade.empty() && mapping.cascade != workload.cascade)
    problems.push_back({"cascade", "the mapping is for cascade '" + mapping.cascade + "', not '" + workload.cascade + "'"});
  if (!mapping.arch.empty() && mapping.arch != arch.name)
    problems.push_back({"arch", "the mapping is for arch '" + mapping.arch + "', not '" + arch.name + "'"});
  const Resolved r = resolve(workload, arch, mapping, &problems);
  if (problems.empty()) check_capacity(workload, arch, r, problems, nullptr);
  return problems;
}

CostReport evaluate(const Workload& workload, const ArchSpec& arch, const Mapping& mapping, const CostOptions& options) {
  std::vector<MappingProblem> problems;
  if (!mapping.cascade.empty() && mapping.cascade != workload.cascade)
    problems.push_back({"cascade", "the mapping is for cascade '" + mapping.cascade + "', not '" + workload.cascade + "'"});
  if (!mapping.arch.empty() && mapping.arch != arch.name)
    problems.push_back({"arch", "the mapping is for arch '" + mapping.arch + "', not '" + arch.name + "'"});
  const Resolved r = resolve(workload, arch, mapping, &problems);
  u64 footprint = 0;
  if (problems.empty()) check_capacity(workload, arch, r, problems, &footprint);
  if (!problems.empty()) throw MappingError(mapping.name, std::move(problems));
  CostReport report;
  cost(workload, arch, r, options, &report);
  report.buffer_footprint_bytes = footprint;
  for (std::size_t t = 0; t < report.tensors.size(); ++t) {
    const int ti = static_cast<int>(t);
    const Residency res = r.residency[t];
    report.tensors[t].buffer_footprint_bytes =
        res == Residency::buffer ? footprint_elements(workload, r, ti, 1) * static_cast<u64>(arch.data_bytes)
        : res == Residency::stream ? footprint_elements(workload, r, ti, 2) * static_cast<u64>(arch.data_bytes)
                                   : 0;
  }
  return report;
}

std::optional<CostSummary> evaluate_fast(const Workload& workload, const ArchSpec& arch, const Mapping& mapping,
                                         const CostOptions& options) {
  std::vector<MappingProblem> problems;
  const Resolved r = resolve(workload, arch, mapping, &problems);
  if (problems.empty()) check_capacity(workload, arch, r, problems, nullptr);
  if (!problems.empty()) return std::nullopt;
  return cost(workload, arch, r, options, nullptr);
}

}  // namespace einfuse::mapper
