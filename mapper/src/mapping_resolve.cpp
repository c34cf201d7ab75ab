// Resolving a Mapping against a Workload and an ArchSpec (resolved_mapping.hpp): names to
// indices, the arch's cycle and energy tables looked up once, and the checks a mapping must
// pass to run at all (docs/cost-model.md, "Validation").
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "resolved_mapping.hpp"

namespace einfuse::mapper::detail {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : ", ") + i;
  return s;
}

u64 mask_of(const std::vector<int>& ranks) {
  u64 m = 0;
  for (int r : ranks) m |= bit(r);
  return m;
}

}  // namespace

double energy_of(const ArchSpec& arch, const std::string& action) {
  auto it = arch.energy_pj.find(action);
  return it == arch.energy_pj.end() ? 0.0 : it->second;
}

ResolvedMapping resolve(const Workload& w, const ArchSpec& arch, const Mapping& m, std::vector<MappingProblem>& problems) {
  auto problem = [&](std::string where, std::string message) { problems.push_back({std::move(where), std::move(message)}); };
  ResolvedMapping r;
  const std::size_t problems_before = problems.size();
  // A spec built in code skips the YAML loader's checks; the model divides by these.
  if (arch.clock_hz < 1 || arch.data_bytes < 1 || arch.dram.bandwidth_bytes_per_s < 1 || arch.dram.access_bits < 1 ||
      arch.global_buffer.row_bits < 1)
    problem("arch", "clock, data bytes, DRAM bandwidth, access width and buffer row width must be positive");
  for (const PeArray& a : arch.arrays)
    if (a.rows < 1 || a.cols < 1) problem("arch", "array " + a.name + " must have at least one row and one column");
  if (w.rank_names.size() > 64) problem("cascade", "more than 64 ranks: the cost model keeps rank sets in 64-bit masks");
  if (problems.size() > problems_before) return r;
  const std::size_t nranks = w.rank_names.size();
  r.spatial.assign(nranks, 0);
  r.family.assign(nranks, 0);
  for (std::size_t q = 0; q < nranks; ++q) {
    r.family[q] |= bit(static_cast<int>(q)) | bit(w.root[q]);
    r.family[idx(w.root[q])] |= bit(static_cast<int>(q));
  }

  auto rank_of = [&](const std::string& name, const std::string& where) {
    const int q = w.find_rank(name);
    if (q < 0) problem(where, "'" + name + "' is not a rank of cascade " + w.cascade + " (ranks: " + join(w.rank_names) + ")");
    return q;
  };
  auto read_loops = [&](const std::vector<Loop>& loops, const char* key, std::vector<ResolvedLoop>& out) {
    for (std::size_t i = 0; i < loops.size(); ++i) {
      const std::string where = std::string(key) + "[" + std::to_string(i) + "]";
      const int q = rank_of(loops[i].rank, where);
      if (q < 0) continue;
      if (loops[i].factor < 1) { problem(where, "factor must be positive"); continue; }
      out.push_back({q, loops[i].factor});
    }
  };
  read_loops(m.dram_loops, "dram_loops", r.dram_loops);
  read_loops(m.buffer_loops, "buffer_loops", r.buffer_loops);
  for (const SpatialFactor& s : m.spatial) {
    const int q = rank_of(s.rank, "spatial." + s.rank);
    if (q < 0) continue;
    if (s.factor < 1) problem("spatial." + s.rank, "factor must be positive");
    r.spatial[idx(q)] = s.factor;
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
    re.reduced_mask = mask_of(we.reduced_ranks);
    re.output_mask = we.output >= 0 ? mask_of(w.tensors[idx(we.output)].ranks) : 0;
    for (const OperandUse& u : we.reads) re.reads.push_back({u.tensor, mask_of(u.ranks)});
    auto axis = [&](const std::vector<std::string>& ranks, const char* key, std::vector<int>& out) {
      for (const std::string& name : ranks) {
        const int q = rank_of(name, where + "." + key);
        if (q < 0) continue;
        if (std::find(we.iteration_ranks.begin(), we.iteration_ranks.end(), q) == we.iteration_ranks.end()) {
          problem(where + "." + key, b.einsum + " does not iterate over " + name);
          continue;
        }
        if (std::find(we.sequential_ranks.begin(), we.sequential_ranks.end(), q) != we.sequential_ranks.end()) {
          problem(where + "." + key, b.einsum + " is computed one " + name + " after another (a running value): " +
                                         name + " cannot be laid across the array");
          continue;
        }
        if (std::find(re.row_ranks.begin(), re.row_ranks.end(), q) != re.row_ranks.end() ||
            std::find(re.col_ranks.begin(), re.col_ranks.end(), q) != re.col_ranks.end()) {
          problem(where + "." + key, name + " is laid across the array twice");
          continue;
        }
        out.push_back(q);
      }
    };
    if (array.rows == 1 && !b.rows.empty())
      problem(where + ".rows", "array " + array.name + " has one row: lay ranks across its columns (cols)");
    axis(b.rows, "rows", re.row_ranks);
    axis(b.cols, "cols", re.col_ranks);
    std::vector<std::string> missing = we.unsupported;
    for (std::size_t k = 0; k < kArrayOpCount; ++k) {
      const auto op = static_cast<ArrayOp>(k);
      re.cycles_per_op[k] = array_op_cycles(array, op);
      if (we.ops[k] == 0) continue;
      if (re.cycles_per_op[k] == 0) missing.push_back(array_op_name(op));
      const double pj = static_cast<double>(we.ops[k]) * array_op_energy(arch, array, op);
      re.op_energy_pj += pj;
      if (op == ArrayOp::exp) {
        re.exp_energy_pj = pj;
        if (array.exp_algorithm == "table") re.table_exp_pj = pj;
      }
      re.micro_ops += we.ops[k] * array_op_micro_ops(array, op);
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
  r.tensors.assign(w.tensors.size(), {});
  for (std::size_t t = 0; t < w.tensors.size(); ++t) {
    const WorkloadTensor& wt = w.tensors[t];
    ResolvedTensor& rt = r.tensors[t];
    rt.homed_in_dram = wt.role != einsum::Tensor::Role::intermediate;
    // Every rank that indexes it: its slots, each reader's index expressions, and its
    // producer's non-reduced iteration ranks.
    rt.rank_mask = mask_of(wt.ranks);
    for (int c : wt.consumers)
      for (const OperandUse& u : w.einsums[idx(c)].reads)
        if (u.tensor == static_cast<int>(t)) rt.rank_mask |= mask_of(u.ranks);
    if (wt.producer >= 0) {
      const WorkloadEinsum& p = w.einsums[idx(wt.producer)];
      rt.rank_mask |= mask_of(p.iteration_ranks) & ~mask_of(p.reduced_ranks);
    }
  }
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
      r.tensors[idx(t)].stationary = true;
  }
  for (const TensorPlacement& p : m.tensors) {
    const std::string where = "tensors." + p.tensor;
    const int t = w.find_tensor(p.tensor);
    if (t < 0) { problem(where, "'" + p.tensor + "' is not a tensor of cascade " + w.cascade); continue; }
    const WorkloadTensor& wt = w.tensors[idx(t)];
    ResolvedTensor& rt = r.tensors[idx(t)];
    rt.residency = p.residency;
    rt.spill = p.spill_fraction;
    if (!p.in_place_of.empty()) {
      if (w.find_tensor(p.in_place_of) < 0 || p.in_place_of == p.tensor)
        problem(where + ".in_place_of", "'" + p.in_place_of + "' is not another tensor of cascade " + w.cascade);
      else {
        rt.in_place = true;
        rt.host = w.find_tensor(p.in_place_of);
      }
    }
    if (!(p.spill_fraction >= 0 && p.spill_fraction <= 1)) problem(where, "spill must be in [0, 1]");
    else if (p.spill_fraction > 0 && (wt.role != einsum::Tensor::Role::intermediate || p.residency != Residency::buffer))
      problem(where, "only an intermediate held in the buffer can spill (" + p.tensor + " is " +
                         (wt.role != einsum::Tensor::Role::intermediate ? std::string("homed in DRAM") : residency_name(p.residency)) + ")");
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

  // A tensor written in place of another needs a host that really holds storage in the
  // buffer; its size is checked with the capacity (check_capacity).
  for (const TensorPlacement& p : m.tensors) {
    const int t = w.find_tensor(p.tensor), host = w.find_tensor(p.in_place_of);
    if (p.in_place_of.empty() || t < 0 || host < 0 || host == t) continue;
    const ResolvedTensor& h = r.tensors[idx(host)];
    if (h.in_place || h.residency != Residency::buffer)
      problem("tensors." + p.tensor + ".in_place_of", p.in_place_of + " must be held in the buffer itself (not in place of another tensor, not " +
                                                          residency_name(h.residency) + ") to host " + p.tensor);
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
  if (r.stages.size() > 64) {
    problem("overlap.stages", "at most 64 stages");
    return r;
  }
  for (std::size_t t = 0; t < w.tensors.size(); ++t)
    for (int c : w.tensors[t].consumers)
      if (c != w.tensors[t].producer) r.tensors[t].consumer_stages |= bit(r.einsums[idx(c)].stage);
  r.per_stage_memory = m.overlap.memory == Overlap::Memory::per_stage;
  r.interleave = m.overlap.interleave;

  r.register_pj_per_uop = 2 * energy_of(arch, "register_read") + energy_of(arch, "register_write");
  const double row_bytes = arch.global_buffer.row_bits / 8.0;
  r.buffer_read_pj_per_byte = energy_of(arch, "buffer_read_row") / row_bytes;
  r.buffer_write_pj_per_byte = energy_of(arch, "buffer_write_row") / row_bytes;
  r.dram_pj_per_byte = energy_of(arch, "dram_access") / (arch.dram.access_bits / 8.0);
  return r;
}

bool compute_tiles(const Workload& w, const ResolvedMapping& r, Tiles& t, std::vector<MappingProblem>* problems) {
  const std::size_t n = w.rank_names.size();
  bool ok = true;
  auto problem = [&](std::size_t q, std::string message) {
    ok = false;
    if (problems) problems->push_back({"rank " + w.rank_names[q], std::move(message)});
  };
  // Products are formed without overflow: any factor is at most the extent (checked below),
  // so a product that would overflow is already too large.
  t.dram_factor.assign(n, 1);
  t.buffer_factor.assign(n, 1);
  std::vector<bool> overflow(n, false);
  auto multiply = [&](std::vector<std::int64_t>& into, const ResolvedLoop& l) {
    std::int64_t& f = into[idx(l.rank)];
    if (l.factor < 1 || __builtin_mul_overflow(f, l.factor, &f)) overflow[idx(l.rank)] = true;
  };
  for (const ResolvedLoop& l : r.dram_loops) multiply(t.dram_factor, l);
  for (const ResolvedLoop& l : r.buffer_loops) multiply(t.buffer_factor, l);
  t.buffer_tile.assign(n, 1);
  t.array_tile.assign(n, 1);
  t.spatial.assign(n, 1);
  for (std::size_t q = 0; q < n; ++q) {
    std::int64_t loops = 0, tiled = 0;
    if (overflow[q] || __builtin_mul_overflow(t.dram_factor[q], t.buffer_factor[q], &loops) ||
        __builtin_mul_overflow(loops, std::max<std::int64_t>(1, r.spatial[q]), &tiled) || tiled < 1 ||
        tiled > w.extent[q] || w.extent[q] % tiled != 0) {
      problem(q, overflow[q] || tiled < 1 ? "loop and spatial factors multiply to more than its extent " + std::to_string(w.extent[q])
                                          : "loop and spatial factors multiply to " + std::to_string(tiled) +
                                                ", which does not divide its extent " + std::to_string(w.extent[q]));
      t.dram_factor[q] = t.buffer_factor[q] = 1;
      continue;
    }
    t.buffer_tile[q] = static_cast<u64>(w.extent[q] / t.dram_factor[q]);
    t.array_tile[q] = static_cast<u64>(w.extent[q] / loops);
    t.spatial[q] = r.spatial[q] > 0 ? static_cast<u64>(r.spatial[q]) : t.array_tile[q];
  }
  // A rank the cascade splits is tiled through its parts (M1, M0), never itself: a loop over
  // both would tile it twice.
  for (std::size_t q = 0; q < n; ++q) {
    if (w.root[q] == static_cast<int>(q)) continue;
    const std::size_t root = idx(w.root[q]);
    if (t.dram_factor[root] != 1 || t.buffer_factor[root] != 1 || r.spatial[root] > 0) {
      problem(root, "the cascade splits " + w.rank_names[root] + " into parts (" + w.rank_names[q] +
                        ", ...): tile the parts, not " + w.rank_names[root]);
      break;
    }
  }
  // A split rank that is not tiled itself is as large as its parts' tiles together.
  for (std::size_t root = 0; root < n; ++root) {
    if (t.dram_factor[root] != 1 || t.buffer_factor[root] != 1) continue;
    bool has_parts = false;
    u64 buffer = 1, array = 1;
    for (std::size_t q = 0; q < n; ++q)
      if (q != root && idx(w.root[q]) == root) {
        has_parts = true;
        buffer *= t.buffer_tile[q];
        array *= t.array_tile[q];
      }
    if (has_parts) {
      t.buffer_tile[root] = buffer;
      t.array_tile[root] = array;
    }
  }
  return ok;
}

u64 footprint_elements(const Workload& w, const Tiles& tiles, int t, int level) {
  u64 n = 1;
  for (int q : w.tensors[idx(t)].ranks) n *= level == 1 ? tiles.buffer_tile[idx(q)] : tiles.array_tile[idx(q)];
  return n;
}

u64 check_capacity(const Workload& w, const ArchSpec& arch, const ResolvedMapping& r, const Tiles& tiles,
                   std::vector<MappingProblem>* problems) {
  const u64 word = static_cast<u64>(arch.data_bytes);
  u64 bytes = 0;
  bool fits = true;
  std::vector<u64> register_words(arch.arrays.size(), 0);
  for (std::size_t t = 0; t < w.tensors.size(); ++t) {
    const ResolvedTensor& rt = r.tensors[t];
    const int ti = static_cast<int>(t);
    if (rt.in_place) {
      // It overwrites its host element by element: it must not need more room than the host.
      if (rt.host >= 0 && footprint_elements(w, tiles, ti, 1) > footprint_elements(w, tiles, rt.host, 1)) {
        fits = false;
        if (problems)
          problems->push_back({"tensors." + w.tensors[t].name + ".in_place_of",
                               w.tensors[t].name + "'s buffer tile is larger than its host " + w.tensors[idx(rt.host)].name + "'s"});
      }
      continue;
    }
    switch (rt.residency) {
      case Residency::buffer: {
        // A spilled fraction lives in DRAM, not in the buffer.
        const double held = static_cast<double>(footprint_elements(w, tiles, ti, 1) * word) * (1.0 - rt.spill);
        bytes += static_cast<u64>(std::ceil(held));
        break;
      }
      case Residency::stream: bytes += footprint_elements(w, tiles, ti, 2) * word; break;
      case Residency::registers: {
        const int p = w.tensors[t].producer;
        if (p < 0) break;
        const ResolvedEinsum& re = r.einsums[idx(p)];
        if (re.array < 0) break;
        const PeArray& a = arch.arrays[idx(re.array)];
        u64 rows = 1, cols = 1;
        for (int q : re.row_ranks) rows *= tiles.spatial[idx(q)];
        for (int q : re.col_ranks) cols *= tiles.spatial[idx(q)];
        const u64 pes = std::min<u64>(rows, static_cast<u64>(a.rows)) * std::min<u64>(cols, static_cast<u64>(a.cols));
        register_words[idx(re.array)] += ceil_div(footprint_elements(w, tiles, ti, 2), pes);
        break;
      }
      case Residency::dram: break;
    }
  }
  if (bytes > static_cast<u64>(arch.global_buffer.capacity_bytes)) {
    fits = false;
    if (problems)
      problems->push_back({"tensors", "the buffer-resident tiles need " + std::to_string(bytes) +
                                          " bytes; the global buffer holds " + std::to_string(arch.global_buffer.capacity_bytes)});
  }
  for (std::size_t a = 0; a < arch.arrays.size(); ++a)
    if (register_words[a] > static_cast<u64>(arch.arrays[a].registers_per_pe)) {
      fits = false;
      if (problems)
        problems->push_back({"tensors", "register-resident tensors need " + std::to_string(register_words[a]) +
                                            " words per PE on " + arch.arrays[a].name + ", which has " +
                                            std::to_string(arch.arrays[a].registers_per_pe)});
    }
  return fits ? bytes : ~u64{0};
}

}  // namespace einfuse::mapper::detail

namespace einfuse::mapper {

std::uint64_t array_op_cycles(const PeArray& a, ArrayOp op) {
  auto find = [&](const char* name) -> std::uint64_t {
    auto it = a.ops.find(name);
    return it == a.ops.end() ? 0 : static_cast<std::uint64_t>(it->second);
  };
  switch (op) {
    case ArrayOp::exp: return a.exp_algorithm == "none" ? 0 : find("exp");
    case ArrayOp::min: { const std::uint64_t c = find("min"); return c ? c : find("max"); }
    case ArrayOp::cmp: { const std::uint64_t c = find("cmp"); return c ? c : find("max"); }
    default: return find(array_op_name(op));
  }
}

double array_op_energy(const ArchSpec& arch, const PeArray& a, ArrayOp op) {
  using detail::energy_of;
  switch (op) {
    case ArrayOp::exp:
      if (a.exp_algorithm == "mac_sequence") {
        double e = 0;
        for (const auto& [name, count] : a.exp_sequence) e += count * energy_of(arch, name);
        return e;
      }
      return energy_of(arch, "exp");
    case ArrayOp::min: return energy_of(arch, a.supports("min") ? "min" : "max");
    case ArrayOp::cmp: return energy_of(arch, a.supports("cmp") ? "cmp" : "max");
    default: return energy_of(arch, array_op_name(op));
  }
}

std::uint64_t array_op_micro_ops(const PeArray& a, ArrayOp op) {
  if (op == ArrayOp::exp && a.exp_algorithm == "mac_sequence") {
    std::uint64_t n = 0;
    for (const auto& kv : a.exp_sequence) n += static_cast<std::uint64_t>(kv.second);
    return n;
  }
  return 1;
}

double einsum_compute_energy(const ArchSpec& arch, const PeArray& a, const WorkloadEinsum& we, const CostOptions& o) {
  double pj = 0;
  std::uint64_t uops = 0;
  for (std::size_t k = 0; k < kArrayOpCount; ++k) {
    if (we.ops[k] == 0) continue;
    const auto op = static_cast<ArrayOp>(k);
    const bool dropped = op == ArrayOp::exp && a.exp_algorithm == "table" && o.drop_table_exp_energy;
    if (!dropped) pj += static_cast<double>(we.ops[k]) * array_op_energy(arch, a, op);
    uops += we.ops[k] * array_op_micro_ops(a, op);
  }
  double reg = static_cast<double>(uops) *
               (2 * detail::energy_of(arch, "register_read") + detail::energy_of(arch, "register_write"));
  if (o.register_energy_one_pe) reg /= static_cast<double>(a.pes());
  return pj + reg;
}

}  // namespace einfuse::mapper
