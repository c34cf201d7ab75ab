// The paper's grid (paper.hpp): loading what the reproduction reads, running every (model,
// length, design) point and the Fig. 12 sweep through the cost model, and the rows that
// attention.csv, end2end.csv, einsums.csv and pareto.csv hold.
#include <cmath>
#include <map>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "einfuse/einsum/data_dir.hpp"
#include "einfuse/einsum/parser.hpp"
#include "einfuse/einsum/shape.hpp"
#include "einfuse/mapper/paper.hpp"

namespace einfuse::mapper::paper {
namespace {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream s(line);
  while (std::getline(s, field, ',')) out.push_back(field);
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

bool parse_location(const std::string& v, const std::string& where) {
  if (v == "onchip") return true;
  if (v == "offchip") return false;
  throw std::runtime_error(where + ": expected onchip or offchip, got '" + v + "'");
}

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

std::string length_label(std::int64_t n) {
  if (n >= (1 << 20) && n % (1 << 20) == 0) return std::to_string(n >> 20) + "M";
  if (n >= (1 << 10) && n % (1 << 10) == 0) return std::to_string(n >> 10) + "K";
  return std::to_string(n);
}

std::vector<FlatDataflow> read_flat_dataflows(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open (the FLAT dataflows of the paper's baseline)");
  static const char* kHeader =
      "models,seq_len,B,D,E,F,H,M,P,S,Q_loc,K_loc,QK_loc,A_loc,V_loc,AV_loc,QK_stationarity,AV_stationarity,"
      "fusion_granularity,P1,proportion_spilled";
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line != kHeader) throw std::runtime_error(path + ":1: unexpected header; expected " + std::string(kHeader));
  std::vector<FlatDataflow> rows;
  for (int n = 2; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const std::string where = path + ":" + std::to_string(n);
    const auto f = split_csv_line(line);
    if (f.size() != 21) throw std::runtime_error(where + ": expected 21 fields, got " + std::to_string(f.size()));
    FlatDataflow d;
    d.model = f[0];
    d.seq_len = f[1];
    d.q_onchip = parse_location(f[10], where + ": Q_loc");
    d.k_onchip = parse_location(f[11], where + ": K_loc");
    d.qk_onchip = parse_location(f[12], where + ": QK_loc");
    d.a_onchip = parse_location(f[13], where + ": A_loc");
    d.v_onchip = parse_location(f[14], where + ": V_loc");
    d.av_onchip = parse_location(f[15], where + ": AV_loc");
    d.qk_stationarity = f[16];
    d.av_stationarity = f[17];
    d.granularity = f[18];
    for (const std::string& s : {d.qk_stationarity, d.av_stationarity})
      if (s != "output" && s != "weight")
        throw std::runtime_error(where + ": stationarity must be output or weight, got '" + s + "'");
    if (d.granularity != "head" && d.granularity != "row")
      throw std::runtime_error(where + ": fusion_granularity must be head or row, got '" + d.granularity + "'");
    try {
      std::size_t used = 0;
      d.p1 = std::stoll(f[19], &used);
      if (used != f[19].size() || d.p1 <= 0) throw std::invalid_argument("P1");
      d.spilled = std::stod(f[20], &used);
      if (used != f[20].size() || !(d.spilled >= 0 && d.spilled <= 1)) throw std::invalid_argument("spilled");
    } catch (const std::exception&) {
      throw std::runtime_error(where + ": P1 must be a positive integer and proportion_spilled a number in [0, 1]");
    }
    rows.push_back(std::move(d));
  }
  return rows;
}

std::string default_paper_dir() { return einsum::find_workloads_dir("paper"); }

Context Context::load_default() {
  Context c;
  c.attention_dir = einsum::find_workloads_dir("attention");
  c.layers_dir = einsum::find_workloads_dir("layers");
  c.arch_dir = default_arch_dir();
  c.models_dir = einsum::default_models_dir();
  c.flat = read_flat_dataflows(default_paper_dir() + "/flat_dataflows.csv");
  return c;
}

const einsum::Cascade& Context::cascade(const std::string& stem) {
  auto it = cascades.find(stem);
  if (it == cascades.end()) {
    const std::string dir = stem == "encoder_linear" ? layers_dir : attention_dir;
    auto parsed = std::make_shared<const einsum::Cascade>(einsum::parse_cascade_file(dir + "/" + stem + ".ein"));
    it = cascades.emplace(stem, std::move(parsed)).first;
  }
  return *it->second;
}

const ArchSpec& Context::arch(const std::string& stem) {
  auto it = archs.find(stem);
  if (it == archs.end()) it = archs.emplace(stem, load_arch(stem, arch_dir)).first;
  return it->second;
}

const FlatDataflow& Context::flat_dataflow(const std::string& model, const std::string& seq_len) const {
  for (const FlatDataflow& f : flat)
    if (f.model == model && f.seq_len == seq_len) return f;
  throw std::runtime_error("flat_dataflows.csv has no FLAT dataflow for " + model + " at " + seq_len +
                           " (the paper lists BERT, TrXL, T5 and XLM from 512 to 1M)");
}

CostReport cost_instance(Context& ctx, const DesignInstance& d) {
  const einsum::Cascade& c = ctx.cascade(d.cascade);
  const Workload w = make_workload(c, einsum::bind_shape(c, d.shape));
  return evaluate(w, d.arch, d.mapping, d.options);
}

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

}  // namespace einfuse::mapper::paper
