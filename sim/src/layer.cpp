#include "einfuse/sim/layer.hpp"

#include <algorithm>
#include <numeric>

#include "einfuse/isa/program.hpp"
#include "einfuse/mapper/schedule.hpp"
#include "sim_state.hpp"

namespace einfuse::sim {
namespace {

using u64 = std::uint64_t;

isa::RunResult run_at(const einsum::Cascade& c, const einsum::BoundShape& shape, const mapper::ArchSpec& arch,
                      const mapper::Mapping& mapping, const mapper::CostOptions& cost_options, const SimOptions& options) {
  const mapper::Workload w = mapper::make_workload(c, shape);
  const mapper::CostReport cost = mapper::evaluate(w, arch, mapping, cost_options);
  const mapper::Schedule s(w, arch, mapping);
  const isa::Program p(s, isa::buffer_footprints(cost));
  return simulate(p, c, shape, options);
}

bool contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// Why the slices are not identical, or empty when they are.
std::string not_identical(const einsum::Cascade& c, const mapper::Mapping& m) {
  const std::vector<einsum::RankId>& batch = c.batch_ranks;
  std::size_t leading = 0;
  for (const mapper::Loop& l : m.dram_loops) {
    const auto r = c.find_rank(l.rank);
    if (!r || !contains(batch, *r)) break;
    ++leading;
  }
  for (const mapper::Loop& l : m.dram_loops)
    if (auto r = c.find_rank(l.rank); r && contains(batch, *r) && &l - m.dram_loops.data() >= static_cast<std::ptrdiff_t>(leading))
      return "a loop over " + l.rank + " is inside another loop";
  for (const mapper::Loop& l : m.buffer_loops)
    if (auto r = c.find_rank(l.rank); r && contains(batch, *r)) return "a buffer-level loop over " + l.rank;
  for (const mapper::SpatialFactor& s : m.spatial)
    if (auto r = c.find_rank(s.rank); r && contains(batch, *r)) return s.rank + " is laid across an array";
  for (const einsum::Tensor& t : c.tensors)
    if (t.role != einsum::Tensor::Role::intermediate)
      for (einsum::RankId b : batch)
        if (!contains(t.ranks, b)) return t.name + " is not indexed by " + c.ranks[static_cast<std::size_t>(b)].name + " (slices share it)";
  return {};
}

// The shape and mapping of `n` slices: the first batch rank long enough carries them, the
// others are 1.
bool with_slices(const einsum::Cascade& c, const einsum::BoundShape& shape, const mapper::Mapping& m, std::int64_t n,
                 einsum::BoundShape& out_shape, mapper::Mapping& out_mapping) {
  einsum::ShapeAssignment a;
  for (std::size_t r = 0; r < c.ranks.size(); ++r)
    if (c.ranks[r].kind != einsum::Rank::Kind::split_part) a[c.ranks[r].name] = shape.rank_extent[r];
  for (std::size_t p = 0; p < c.params.size(); ++p)
    if (!c.params[p].definition) a[c.params[p].name] = shape.param_value[p];
  einsum::RankId carrier = -1;
  for (einsum::RankId b : c.batch_ranks) {
    if (carrier < 0 && shape.extent(b) >= n) carrier = b;
    a[c.ranks[static_cast<std::size_t>(b)].name] = 1;
  }
  if (carrier < 0) return false;
  a[c.ranks[static_cast<std::size_t>(carrier)].name] = n;
  try {
    out_shape = einsum::bind_shape(c, a);
  } catch (const einsum::CascadeError&) {
    return false;
  }
  out_mapping = m;
  for (mapper::Loop& l : out_mapping.dram_loops)
    if (auto r = c.find_rank(l.rank); r && contains(c.batch_ranks, *r)) l.factor = *r == carrier ? n : 1;
  return true;
}

// X(n) = X(3) + (n - 3) (X(3) - X(2)), linear in the runs, so identities between counts (busy +
// stalls = cycles) hold for the extrapolation too. A count that shrinks from 2 to 3 slices (a
// fill that the next slice hides) is extrapolated downwards and stops at 0.
u64 extrapolate(u64 two, u64 three, u64 n) {
  __extension__ typedef __int128 i128;
  const i128 x = static_cast<i128>(three) + static_cast<i128>(n - 3) * (static_cast<i128>(three) - static_cast<i128>(two));
  return x <= 0 ? 0 : static_cast<u64>(x);
}

}  // namespace

LayerRun simulate_layer(const einsum::Cascade& c, const einsum::BoundShape& shape, const mapper::ArchSpec& arch,
                        const mapper::Mapping& mapping, const mapper::CostOptions& cost_options, const SimOptions& options,
                        bool allow_extrapolation) {
  LayerRun out;
  for (einsum::RankId b : c.batch_ranks) out.slices *= static_cast<u64>(shape.extent(b));
  const std::string why = not_identical(c, mapping);
  einsum::BoundShape s2, s3;
  mapper::Mapping m2, m3;
  if (!allow_extrapolation || out.slices <= 3 || !why.empty() || !with_slices(c, shape, mapping, 2, s2, m2) ||
      !with_slices(c, shape, mapping, 3, s3, m3)) {
    out.result = run_at(c, shape, arch, mapping, cost_options, options);
    out.note = "simulated all " + std::to_string(out.slices) + " (batch, head) slices" +
               (why.empty() ? std::string() : " (they are not identical: " + why + ")");
    return out;
  }
  const isa::RunResult r2 = run_at(c, s2, arch, m2, cost_options, options);
  isa::RunResult r = run_at(c, s3, arch, m3, cost_options, options);
  const u64 n = out.slices;
  auto x = [&](u64& field, u64 two) { field = extrapolate(two, field, n); };
  x(r.cycles, r2.cycles);
  x(r.commands, r2.commands);
  x(r.dram_bytes, r2.dram_bytes);
  for (std::size_t u = 0; u < r.units.size(); ++u) {
    x(r.units[u].commands, r2.units[u].commands);
    x(r.units[u].busy_cycles, r2.units[u].busy_cycles);
    for (std::size_t k = 0; k < r.units[u].stalls.size(); ++k) x(r.units[u].stalls[k], r2.units[u].stalls[k]);
    for (std::size_t k = 0; k < r.units[u].actions.size(); ++k) x(r.units[u].actions[k], r2.units[u].actions[k]);
  }
  for (std::size_t t = 0; t < r.tensors.size(); ++t) {
    isa::TensorCounts& a = r.tensors[t];
    const isa::TensorCounts& b = r2.tensors[t];
    x(a.dram_read_bytes, b.dram_read_bytes);
    x(a.dram_write_bytes, b.dram_write_bytes);
    x(a.dram_accesses, b.dram_accesses);
    x(a.buffer_read_bytes, b.buffer_read_bytes);
    x(a.buffer_write_bytes, b.buffer_write_bytes);
  }
  // As in a whole run, an array's fill and drain is what its busy cycles and other stalls
  // leave of the run. When the extrapolated cycles fall short of an array's busy cycles and
  // other stalls (a fill that shrank from 2 to 3 slices and stopped at 0), the run is at
  // least that long.
  const std::size_t fill = static_cast<std::size_t>(isa::StallCause::fill_drain);
  std::vector<u64> other(arch.arrays.size(), 0);
  for (std::size_t a = 0; a < arch.arrays.size(); ++a) {
    const isa::UnitActivity& u = r.units[a];
    other[a] = u.busy_cycles;
    for (std::size_t k = 0; k < u.stalls.size(); ++k)
      if (k != fill) other[a] += u.stalls[k];
    r.cycles = std::max(r.cycles, other[a]);
  }
  for (std::size_t a = 0; a < arch.arrays.size(); ++a) r.units[a].stalls[fill] = r.cycles - other[a];
  for (auto& [name, v] : r.dram_counters) x(v, r2.dram_counters.count(name) ? r2.dram_counters.at(name) : 0);
  detail::charge_energy(arch, r);
  r.slices_run = 3;
  r.slice_scale = n;
  out.result = std::move(r);
  out.extrapolated = true;
  out.note = "simulated 2 and 3 of the " + std::to_string(n) + " identical (batch, head) slices and extrapolated linearly";
  return out;
}

}  // namespace einfuse::sim
