// The paper's grid (paper_grid.hpp): every (model, length, design) point and the Fig. 12
// sweep through the cost model (the designs are mapper/paper.hpp's), and the rows that
// attention.csv, end2end.csv, einsums.csv and pareto.csv hold.
#include "einfuse/explore/paper_grid.hpp"

#include <map>
#include <string>
#include <vector>

#include "einfuse/einsum/model.hpp"

namespace einfuse::explore::paper {

using namespace mapper;
using namespace mapper::paper;

namespace {

// Busy cycles of the array with `role` in a report (0 when the arch has none).
std::uint64_t busy_of(const CostReport& r, const ArchSpec& arch, const char* role) {
  const PeArray* a = arch.find_array(role);
  if (!a) return 0;
  for (const ArrayUse& u : r.arrays)
    if (u.array == a->name) return u.busy_cycles;
  return 0;
}

DesignRow row_of(const std::string& model, const std::string& len, const char* design, const ArchSpec& arch,
                 const std::vector<const CostReport*>& parts) {
  DesignRow row{model, len, design, 0, 0, 0, 0, 0};
  std::uint64_t cycles = 0, busy2 = 0, busy1 = 0;
  for (const CostReport* r : parts) {
    cycles += r->latency_cycles;
    row.energy_pj += r->energy.total_pj;
    row.traffic_bytes += r->dram_bytes;
    busy2 += busy_of(*r, arch, "2d");
    busy1 += busy_of(*r, arch, "1d");
  }
  row.latency_s = static_cast<double>(cycles) / static_cast<double>(arch.clock_hz);
  row.util_2d = cycles ? static_cast<double>(busy2) / static_cast<double>(cycles) : 0;
  row.util_1d = cycles ? static_cast<double>(busy1) / static_cast<double>(cycles) : 0;
  return row;
}

}  // namespace

std::size_t grid_items(const Grid& g) {
  return g.models.size() * g.seq_lens.size() * g.designs.size() + g.models.size() * g.pe_dims.size();
}

ExploreRun run_grid(Context& ctx, const Grid& g, bool published, std::size_t shard_index, std::size_t shard_count,
                    const std::function<void(std::size_t, std::size_t)>& progress) {
  ExploreRun run;
  run.mode = published ? "published" : "corrected";
  const std::size_t total = grid_items(g);
  std::size_t mine = 0;
  for (std::size_t i = shard_index; i < total; i += shard_count) ++mine;
  std::size_t item = 0, done = 0;
  std::map<std::string, einsum::ModelSpec> models;
  auto model = [&](const std::string& name) -> const einsum::ModelSpec& {
    auto it = models.find(name);
    if (it == models.end()) it = models.emplace(name, einsum::load_model(name, ctx.models_dir)).first;
    return it->second;
  };
  auto take = [&] { return (item++ % shard_count) == shard_index; };
  std::map<std::string, CostReport> linear;  // by arch/model/length
  auto tick = [&] {
    ++done;
    if (progress) progress(done, mine);
  };
  for (const std::string& name : g.models)
    for (std::int64_t len : g.seq_lens)
      for (Design design : g.designs) {
        if (!take()) continue;
        const einsum::ModelSpec& m = model(name);
        const std::string label = length_label(len);
        const DesignInstance att = attention_design(ctx, design, m, len, published);
        const CostReport a = cost_instance(ctx, att);
        // The linear layers depend on the hardware only: designs sharing an arch share them.
        const std::string key = att.arch.name + "/" + name + "/" + std::to_string(len);
        auto lin = linear.find(key);
        if (lin == linear.end()) lin = linear.emplace(key, cost_instance(ctx, linear_design(ctx, design, m, len, published))).first;
        const CostReport& l = lin->second;
        run.attention.push_back(row_of(m.name, label, design_name(design), att.arch, {&a}));
        run.end2end.push_back(row_of(m.name, label, design_name(design), att.arch, {&a, &l}));
        for (const EinsumCost& e : a.einsums) {
          const PeArray* arr = nullptr;
          for (const PeArray& x : att.arch.arrays)
            if (x.name == e.array) arr = &x;
          run.einsums.push_back({m.name, label, design_name(design), e.einsum, arr ? arr->role : e.array, e.cycles});
        }
        tick();
      }
  for (const std::string& name : g.models)
    for (int side : g.pe_dims) {
      if (!take()) continue;
      const einsum::ModelSpec& m = model(name);
      const DesignInstance d = fusemax_scaled(ctx, m, g.pareto_seq_len, side, published);
      const CostReport r = cost_instance(ctx, d);
      run.pareto.push_back({m.name, side, r.latency_s, r.area_um2});
      tick();
    }
  return run;
}

std::vector<PublishedNumber> published_numbers() {
  const std::string src = "FuseMax (Nayak et al., MICRO 2024), restated in shared/reference/fusemax.md";
  return {
      {"mean attention speedup fusemax/flat", 6.7, "x", src},
      {"mean attention energy fusemax/flat", 79, "%", src},
      {"mean end2end speedup fusemax/flat", 5.3, "x", src},
      {"mean end2end energy fusemax/flat", 83, "%", src},
      {"BERT 1K fusemax 2D utilisation", 137.0 / 154.0, "", src + " (worked example: 137/154)"},
      {"BERT 1K fusemax latency", 1892352.0 / 940e6, "s", src + " (worked example: 1,892,352 cycles at 940 MHz)"},
      {"BERT 1K fusemax traffic", 402653184.0, "bytes", src + " (worked example)"},
  };
}

}  // namespace einfuse::explore::paper
