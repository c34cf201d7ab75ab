// The closed-form cost model (cost_model.hpp; formulas in docs/cost-model.md). A Mapping is
// resolved once (mapping_resolve.cpp); cost_resolved() then computes everything that depends
// on its loop and spatial factors with integer arithmetic on small vectors.
#include "einfuse/mapper/cost_model.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "resolved_mapping.hpp"

namespace einfuse::mapper {
namespace detail {
namespace {

// How many times a tensor's data is fetched again: once per iteration of every loop it does
// not depend on, except a run of such loops innermost, across which the tile held below is
// simply reused (when `innermost_reuse`: the buffer holds it, or the PEs keep it stationary).
u128 refetch(const ResolvedMapping& r, u64 mask, const std::vector<ResolvedLoop>& outer,
            const std::vector<ResolvedLoop>& inner, bool innermost_reuse) {
  u128 factor = 1;
  bool relevant_below = !innermost_reuse;
  auto walk = [&](const std::vector<ResolvedLoop>& loops) {
    for (auto it = loops.rbegin(); it != loops.rend(); ++it) {
      if (mask & r.family[idx(it->rank)]) relevant_below = true;
      else if (relevant_below) factor *= static_cast<u128>(it->factor);
    }
  };
  walk(inner);
  walk(outer);
  return factor;
}

struct Scratch {
  Tiles tiles;
  std::vector<u64> cycles, tiles_done, stalls, busy, stage_compute, per_array;
  std::vector<u128> stage_bytes;
};

}  // namespace

// The cost of a resolved mapping at its current factors; nullopt when the factors do not
// divide the ranks or the tiles do not fit. `report` is filled when not null.
std::optional<CostSummary> cost_resolved(const Workload& w, const ArchSpec& arch, const ResolvedMapping& r,
                                         const CostOptions& options, CostReport* report,
                                         std::vector<MappingProblem>* problems) {
  thread_local Scratch s;
  // With a problem list, a capacity problem is reported even beside a tiling problem (every
  // reason at once); without one, stop at the first.
  const bool tiled = compute_tiles(w, r, s.tiles, problems);
  if (!tiled && !problems) return std::nullopt;
  const u64 footprint = check_capacity(w, arch, r, s.tiles, problems);
  if (!tiled || footprint == ~u64{0}) return std::nullopt;
  const Tiles& tiles = s.tiles;
  const u64 word = static_cast<u64>(arch.data_bytes);
  const std::size_t ne = w.einsums.size(), na = arch.arrays.size(), ns = r.stages.size();
  s.cycles.assign(ne, 0);
  s.tiles_done.assign(ne, 0);
  s.stalls.assign(ne, 0);
  s.busy.assign(na, 0);
  double op_pj = 0, exp_pj = 0, register_pj = 0;

  // Compute: cycles = ceil(Σ ops x cycles per op x folds / spatial tile).
  for (std::size_t e = 0; e < ne; ++e) {
    const WorkloadEinsum& we = w.einsums[e];
    const ResolvedEinsum& re = r.einsums[e];
    const PeArray& a = arch.arrays[idx(re.array)];
    u64 rows = 1, cols = 1;
    for (int q : re.row_ranks) rows *= tiles.spatial[idx(q)];
    for (int q : re.col_ranks) cols *= tiles.spatial[idx(q)];
    const u64 folds = ceil_div(rows, static_cast<u64>(a.rows)) * ceil_div(cols, static_cast<u64>(a.cols));
    u128 work = 0;
    for (std::size_t k = 0; k < kArrayOpCount; ++k) work += static_cast<u128>(we.ops[k]) * re.cycles_per_op[k];
    const u128 spatial = static_cast<u128>(rows) * cols;
    s.cycles[e] = ceil_div(work * folds, spatial);
    s.tiles_done[e] = ceil_div(static_cast<u128>(we.points) * folds, spatial);
    s.busy[idx(re.array)] += s.cycles[e];
    const double dropped = options.drop_table_exp_energy ? re.table_exp_pj : 0.0;
    op_pj += re.op_energy_pj - dropped;
    exp_pj += re.exp_energy_pj - dropped;
    // Each micro-op reads two operands from the PE's register file and writes one result.
    double reg = static_cast<double>(re.micro_ops) * r.register_pj_per_uop;
    if (options.register_energy_one_pe) reg /= static_cast<double>(a.pes());
    register_pj += reg;
  }

  // Stages, and the reduction latency a non-interleaved pipeline exposes: a stage that reads
  // the result of a spatial reduction of the stage before waits for it to drain down the
  // reduction network, once per array tile.
  s.stage_compute.assign(ns, 0);
  for (std::size_t st = 0; st < ns; ++st) {
    s.per_array.assign(na, 0);
    for (int e : r.stages[st]) s.per_array[idx(r.einsums[idx(e)].array)] += s.cycles[idx(e)];
    s.stage_compute[st] = *std::max_element(s.per_array.begin(), s.per_array.end());
  }
  if (!r.interleave) {
    for (std::size_t e = 0; e < ne; ++e) {
      const ResolvedEinsum& re = r.einsums[e];
      u64 depth = 1;
      bool spatial_reduction = false;
      for (const auto* axis : {&re.row_ranks, &re.col_ranks})
        for (int q : *axis)
          if (re.reduced_mask & bit(q)) {
            depth *= tiles.spatial[idx(q)];
            spatial_reduction = true;
          }
      const std::size_t next = static_cast<std::size_t>(re.stage) + 1;
      if (!spatial_reduction || next >= ns) continue;
      if (!(r.tensors[idx(w.einsums[e].output)].consumer_stages & bit(static_cast<int>(next)))) continue;
      s.stalls[e] = s.tiles_done[e] * depth;
      s.stage_compute[next] += s.stalls[e];
    }
  }

  // Traffic.
  s.stage_bytes.assign(ns, 0);
  u128 dram_bytes = 0;
  double buffer_read_bytes = 0, buffer_write_bytes = 0;
  if (report) report->tensors.assign(w.tensors.size(), {});
  for (std::size_t t = 0; t < w.tensors.size(); ++t) {
    const WorkloadTensor& wt = w.tensors[t];
    const ResolvedTensor& rt = r.tensors[t];
    const bool bypass = rt.residency == Residency::dram;
    const u64 bytes = wt.elements * word;
    u128 reads = 0, writes = 0;
    auto read_in_stages = [&](u128 b) {
      for (std::size_t st = 0; st < ns; ++st)
        if (rt.consumer_stages & bit(static_cast<int>(st))) {
          s.stage_bytes[st] += b;
          reads += b;
        }
    };
    auto write_in_producer_stage = [&](u128 b) {
      writes += b;
      if (wt.producer >= 0) s.stage_bytes[idx(r.einsums[idx(wt.producer)].stage)] += b;
    };
    if (rt.homed_in_dram || bypass) {
      // A bypassing tensor is fetched at every use, unless its consumer keeps it stationary
      // in the PEs across the innermost loops it does not depend on.
      const u128 again = bypass ? refetch(r, rt.rank_mask, r.dram_loops, r.buffer_loops, rt.stationary)
                               : refetch(r, rt.rank_mask, r.dram_loops, {}, true);
      // A refetch count times a size can exceed 64 bits only for an absurd mapping; the sum
      // is checked below.
      read_in_stages(again > (u128{1} << 64) ? (u128{1} << 64) : static_cast<u128>(bytes) * again);
      if (wt.producer >= 0) write_in_producer_stage(bytes);
    } else if (rt.spill > 0) {
      const u64 spilled = static_cast<u64>(std::llround(static_cast<double>(bytes) * rt.spill));
      write_in_producer_stage(spilled);
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
      const ResolvedEinsum& re = r.einsums[idx(c)];
      u64 mask = 0;
      for (const ResolvedOperand& u : re.reads)
        if (u.tensor == static_cast<int>(t)) mask = u.mask;
      // Multicast reaches at most the PEs the axis has (a folded tile is sent once per fold).
      u64 multicast = 1;
      const PeArray& arr = arch.arrays[idx(re.array)];
      for (const auto& [axis, side] : {std::pair{&re.row_ranks, arr.rows}, std::pair{&re.col_ranks, arr.cols}}) {
        u64 along = 1;
        for (int q : *axis)
          if (!(mask & r.family[idx(q)])) along *= tiles.spatial[idx(q)];
        multicast *= std::min<u64>(along, static_cast<u64>(side));
      }
      const u64 words = w.einsums[idx(c)].points / multicast;
      if (rt.residency == Residency::registers) reg_r += words;
      else if (!bypass) buf_r += static_cast<double>(words * word);
    }
    if (wt.producer >= 0) {
      if (rt.residency == Residency::registers) reg_w += wt.elements;
      else if (!bypass) buf_w += static_cast<double>(bytes);
    }
    buffer_read_bytes += buf_r;
    buffer_write_bytes += buf_w;
    if (report) {
      TensorTraffic& tt = report->tensors[t];
      tt.tensor = wt.name;
      tt.dram_read_bytes = static_cast<u64>(reads);
      tt.dram_write_bytes = static_cast<u64>(writes);
      tt.buffer_read_bytes = static_cast<u64>(buf_r);
      tt.buffer_write_bytes = static_cast<u64>(buf_w);
      tt.register_reads = reg_r;
      tt.register_writes = reg_w;
      tt.buffer_footprint_bytes =
          rt.in_place ? 0
          : rt.residency == Residency::buffer ? static_cast<u64>(std::ceil(static_cast<double>(footprint_elements(w, tiles, static_cast<int>(t), 1) * word) * (1.0 - rt.spill)))
          : rt.residency == Residency::stream ? footprint_elements(w, tiles, static_cast<int>(t), 2) * word
                                              : 0;
    }
  }
  if (dram_bytes > UINT64_MAX) {
    if (problems) problems->push_back({"tensors", "the DRAM traffic of this mapping overflows 64 bits of bytes"});
    return std::nullopt;
  }
  const double buffer_read_pj = buffer_read_bytes * r.buffer_read_pj_per_byte;
  const double buffer_write_pj = buffer_write_bytes * r.buffer_write_pj_per_byte;
  const double dram_pj = static_cast<double>(dram_bytes) * r.dram_pj_per_byte;

  // Latency.
  auto dram_time = [&](u128 b) {
    return ceil_div(b * static_cast<u64>(arch.clock_hz), static_cast<u64>(arch.dram.bandwidth_bytes_per_s));
  };
  u64 compute = 0, latency = 0;
  for (std::size_t st = 0; st < ns; ++st) {
    compute += s.stage_compute[st];
    if (r.per_stage_memory) latency += std::max(s.stage_compute[st], dram_time(s.stage_bytes[st]));
  }
  const u64 dram_cycles = dram_time(dram_bytes);
  if (!r.per_stage_memory) latency = std::max(compute, dram_cycles);
  const double energy = op_pj + register_pj + buffer_read_pj + buffer_write_pj + dram_pj;

  if (report) {
    CostReport& out = *report;
    for (std::size_t e = 0; e < ne; ++e) {
      const ResolvedEinsum& re = r.einsums[e];
      const PeArray& a = arch.arrays[idx(re.array)];
      u64 rows = 1, cols = 1;
      for (int q : re.row_ranks) rows *= tiles.spatial[idx(q)];
      for (int q : re.col_ranks) cols *= tiles.spatial[idx(q)];
      out.einsums.push_back({w.einsums[e].name, a.name,
                             std::min<u64>(rows, static_cast<u64>(a.rows)) * std::min<u64>(cols, static_cast<u64>(a.cols)),
                             s.tiles_done[e], s.cycles[e], s.stalls[e]});
    }
    for (std::size_t a = 0; a < na; ++a)
      out.arrays.push_back({arch.arrays[a].name, s.busy[a],
                            latency ? static_cast<double>(s.busy[a]) / static_cast<double>(latency) : 0.0});
    for (std::size_t st = 0; st < ns; ++st) {
      StageCost sc;
      for (int e : r.stages[st]) sc.einsums.push_back(w.einsums[idx(e)].name);
      sc.compute_cycles = s.stage_compute[st];
      sc.dram_bytes = static_cast<u64>(s.stage_bytes[st]);
      out.stages.push_back(std::move(sc));
    }
    out.compute_cycles = compute;
    out.dram_cycles = dram_cycles;
    out.latency_cycles = latency;
    out.latency_s = static_cast<double>(latency) / static_cast<double>(arch.clock_hz);
    out.dram_bytes = static_cast<u64>(dram_bytes);
    out.buffer_footprint_bytes = footprint;
    auto& by = out.energy.by_action;
    by["ops (exp excluded)"] = op_pj - exp_pj;
    by["exp"] = exp_pj;
    by["register"] = register_pj;
    by["buffer_read"] = buffer_read_pj;
    by["buffer_write"] = buffer_write_pj;
    by["dram"] = dram_pj;
    out.energy.total_pj = energy;
    out.area_um2 = array_area(arch);
  }
  return CostSummary{latency, energy, static_cast<u64>(dram_bytes)};
}

}  // namespace detail

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

namespace {

void check_names(const Workload& w, const ArchSpec& arch, const Mapping& m, std::vector<MappingProblem>& problems) {
  if (!m.cascade.empty() && m.cascade != w.cascade)
    problems.push_back({"cascade", "the mapping is for cascade '" + m.cascade + "', not '" + w.cascade + "'"});
  if (!m.arch.empty() && m.arch != arch.name)
    problems.push_back({"arch", "the mapping is for arch '" + m.arch + "', not '" + arch.name + "'"});
}

}  // namespace

std::vector<MappingProblem> validate_mapping(const Workload& workload, const ArchSpec& arch, const Mapping& mapping) {
  std::vector<MappingProblem> problems;
  check_names(workload, arch, mapping, problems);
  const detail::ResolvedMapping r = detail::resolve(workload, arch, mapping, problems);
  if (problems.empty()) detail::cost_resolved(workload, arch, r, {}, nullptr, &problems);
  return problems;
}

CostReport evaluate(const Workload& workload, const ArchSpec& arch, const Mapping& mapping, const CostOptions& options) {
  std::vector<MappingProblem> problems;
  check_names(workload, arch, mapping, problems);
  const detail::ResolvedMapping r = detail::resolve(workload, arch, mapping, problems);
  CostReport report;
  if (problems.empty()) detail::cost_resolved(workload, arch, r, options, &report, &problems);
  if (!problems.empty()) throw MappingError(mapping.name, std::move(problems));
  return report;
}

std::optional<CostSummary> evaluate_fast(const Workload& workload, const ArchSpec& arch, const Mapping& mapping,
                                         const CostOptions& options) {
  std::vector<MappingProblem> problems;
  const detail::ResolvedMapping r = detail::resolve(workload, arch, mapping, problems);
  if (!problems.empty()) return std::nullopt;
  return detail::cost_resolved(workload, arch, r, options, nullptr, nullptr);
}

// CompiledMapping: a resolved mapping whose factors the caller may change between costs.
struct CompiledMapping::Impl {
  const Workload* workload;
  const ArchSpec* arch;
  detail::ResolvedMapping resolved;
};

CompiledMapping::CompiledMapping(const Workload& workload, const ArchSpec& arch, const Mapping& mapping) {
  std::vector<MappingProblem> problems;
  check_names(workload, arch, mapping, problems);
  detail::ResolvedMapping r = detail::resolve(workload, arch, mapping, problems);
  if (!problems.empty()) throw MappingError(mapping.name, std::move(problems));
  impl_ = std::make_shared<Impl>(Impl{&workload, &arch, std::move(r)});
}

std::size_t CompiledMapping::dram_loop_count() const { return impl_->resolved.dram_loops.size(); }
std::size_t CompiledMapping::buffer_loop_count() const { return impl_->resolved.buffer_loops.size(); }

void CompiledMapping::set_dram_factor(std::size_t loop, std::int64_t factor) {
  if (factor < 1) throw std::invalid_argument("a loop factor must be positive, not " + std::to_string(factor));
  impl_->resolved.dram_loops.at(loop).factor = factor;
}

void CompiledMapping::set_buffer_factor(std::size_t loop, std::int64_t factor) {
  if (factor < 1) throw std::invalid_argument("a loop factor must be positive, not " + std::to_string(factor));
  impl_->resolved.buffer_loops.at(loop).factor = factor;
}

std::optional<CostSummary> CompiledMapping::cost(const CostOptions& options) const {
  return detail::cost_resolved(*impl_->workload, *impl_->arch, impl_->resolved, options, nullptr, nullptr);
}

}  // namespace einfuse::mapper
