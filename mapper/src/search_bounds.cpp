// The two things a strategy asks of a mapspace point on its inner loop: a lower bound of
// every completion of a partial point, and the residencies that follow from its bindings
// (Mapspace::bound and Mapspace::resolve, mapspace.hpp; docs/search.md). Kept apart from the
// mapspace's construction because these run millions of times and that runs once.
#include <algorithm>
#include <cmath>

#include "einfuse/mapper/mapspace.hpp"

#include "integer_math.hpp"

namespace einfuse::mapper {
namespace {

using detail::u64;
using detail::idx;

double dram_access_pj(const ArchSpec& arch) {
  auto it = arch.energy_pj.find("dram_access");
  return it == arch.energy_pj.end() ? 0.0 : it->second;
}

}  // namespace

Bound Mapspace::bound(const MapPoint& p, const std::vector<int>& order, std::size_t assigned) const {
  const Tiling& t = tilings_[idx(p.tiling)];
  const OverlapPolicy policy = options_.overlaps[idx(p.overlap)];
  const std::size_t na = arch_.arrays.size();
  // Per group of Einsums that share stages (all of them, one layer, or one each for serial):
  // the busiest array's assigned cycles, the slowest unassigned Einsum's best case, and the
  // whole group's best-case work spread evenly over the arrays.
  const std::size_t groups = policy == OverlapPolicy::pipelined ? 1
                             : policy == OverlapPolicy::serial  ? order.size()
                                                                : idx(*std::max_element(layer_.begin(), layer_.end())) + 1;
  std::vector<u64> per_array(groups * na, 0), total(groups, 0), biggest(groups, 0);
  double energy = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const int e = order[i];
    const std::size_t g = policy == OverlapPolicy::pipelined ? 0 : policy == OverlapPolicy::serial ? idx(e) : idx(layer_[idx(e)]);
    const auto& choices = t.bindings[idx(e)];
    if (i < assigned) {
      const BindingChoice& b = choices[idx(p.binding[idx(e)])];
      per_array[g * na + idx(b.array)] += b.cycles;
      total[g] += b.cycles;
      energy += b.energy_pj;
    } else {
      u64 c = UINT64_MAX;
      double en = INFINITY;
      for (const BindingChoice& b : choices) { c = std::min(c, b.cycles); en = std::min(en, b.energy_pj); }
      total[g] += c;
      biggest[g] = std::max(biggest[g], c);
      energy += en;
    }
  }
  u64 compute = 0;
  for (std::size_t g = 0; g < groups; ++g) {
    u64 busiest = std::max(biggest[g], (total[g] + na - 1) / na);
    for (std::size_t a = 0; a < na; ++a) busiest = std::max(busiest, per_array[g * na + a]);
    compute += busiest;
  }
  Bound b;
  b.latency_cycles = std::max(compute, dram_cycles(t.min_dram_bytes));
  b.energy_pj = energy + static_cast<double>(t.min_dram_bytes) / (arch_.dram.access_bits / 8.0) * dram_access_pj(arch_);
  return b;
}

std::optional<MapPoint> Mapspace::resolve(MapPoint p) const {
  const Workload& w = workload_;
  const Tiling& t = tilings_[idx(p.tiling)];
  const std::size_t nt = w.tensors.size();
  std::vector<u64> words(arch_.arrays.size(), 0);
  u64 bytes = 0;
  auto held = [&](Residency r, std::size_t i) {
    return r == Residency::buffer ? t.footprint_bytes[i] : r == Residency::stream ? t.stream_bytes[i] : 0;
  };
  for (std::size_t i = 0; i < nt; ++i) {
    const auto& cand = t.residencies[i];
    std::size_t c = 0;
    if (cand[0] == Residency::registers) {
      // As the cost model: the producer's array keeps the tile spread over the PEs it uses.
      const int pr = w.tensors[i].producer;
      const BindingChoice& b = t.bindings[idx(pr)][idx(p.binding[idx(pr)])];
      bool ok = std::all_of(w.tensors[i].consumers.begin(), w.tensors[i].consumers.end(), [&](int cn) {
        return t.bindings[idx(cn)][idx(p.binding[idx(cn)])].array == b.array;
      });
      const u64 elems = t.stream_bytes[i] / static_cast<u64>(arch_.data_bytes);
      const u64 need = (elems + b.pes - 1) / b.pes;
      ok = ok && words[idx(b.array)] + need <= static_cast<u64>(arch_.arrays[idx(b.array)].registers_per_pe);
      if (ok) words[idx(b.array)] += need;
      else c = 1;
    }
    p.residency[i] = static_cast<int>(c);
    bytes += held(cand[c], i);
  }
  // Over capacity: send the largest tiles that may go to DRAM there, one at a time.
  while (bytes > static_cast<u64>(arch_.global_buffer.capacity_bytes)) {
    std::size_t pick = nt;
    u64 most = 0;
    for (std::size_t i = 0; i < nt; ++i) {
      const auto& cand = t.residencies[i];
      const Residency now = cand[idx(p.residency[i])];
      if (now == Residency::dram || cand.back() != Residency::dram || held(now, i) <= most) continue;
      most = held(now, i);
      pick = i;
    }
    if (pick == nt) return std::nullopt;
    bytes -= most;
    p.residency[pick] = static_cast<int>(t.residencies[pick].size() - 1);
  }
  return p;
}

}  // namespace einfuse::mapper
