// The five designs of the FuseMax paper as Mappings (paper.hpp; what each choice follows in
// docs/paper-reproduction.md). Every number here is a tiling or binding choice the paper
// describes; no cost is computed in this file.
#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "einfuse/einsum/shape.hpp"
#include "einfuse/mapper/paper.hpp"

namespace einfuse::mapper::paper {
namespace {

using einsum::ModelSpec;

std::int64_t largest_pow2_divisor_at_most(std::int64_t n, std::int64_t limit) {
  std::int64_t best = 1;
  for (std::int64_t d = 1; d <= n && d <= limit; d *= 2)
    if (n % d == 0) best = d;
  return best;
}

einsum::ShapeAssignment attention_shape(const ModelSpec& m, std::int64_t seq_len) {
  return {{"B", m.batch}, {"H", m.heads}, {"E", m.head_dim}, {"F", m.value_dim}, {"P", seq_len}, {"M", seq_len}};
}

Binding bind(const std::string& einsum, const std::string& array, std::vector<std::string> rows,
             std::vector<std::string> cols) {
  return {einsum, array, std::move(rows), std::move(cols), {}};
}

void place(Mapping& m, const std::string& tensor, Residency r, double spill = 0, std::string in_place_of = {}) {
  m.tensors.push_back({tensor, r, spill, std::move(in_place_of)});
}

// FuseMax's query tiling (fusemax.md): P0 = M0 = the array side; P1 the largest divisor of
// P/P0 whose Q, RM, RD, RNV rows ((E+F+2) words per query) fit in the buffer beside one K
// and one V tile.
std::int64_t fusemax_p1(const ModelSpec& m, std::int64_t seq_len, std::int64_t side, const ArchSpec& arch) {
  const std::int64_t word = arch.data_bytes;
  const std::int64_t kv_tiles = (m.head_dim + m.value_dim) * side * word;
  const std::int64_t per_query = (m.head_dim + m.value_dim + 2) * word;
  const std::int64_t room = arch.global_buffer.capacity_bytes - kv_tiles;
  const std::int64_t limit = room > 0 ? room / (per_query * side) : 0;
  return largest_pow2_divisor_at_most(seq_len / side, std::max<std::int64_t>(1, limit));
}

// The 1-pass cascade's mapping shared by +Cascade, +Architecture and FuseMax: B, H, then
// P2 tiles of P1*side queries at the DRAM level, M1 innermost (K and V stream tile by tile,
// the queries' running state stays in the buffer), P1 array tiles at the buffer level.
Mapping one_pass_tiling(const ModelSpec& m, std::int64_t seq_len, std::int64_t side, const ArchSpec& arch) {
  const std::int64_t p1 = fusemax_p1(m, seq_len, side, arch);
  Mapping map;
  map.cascade = "fusemax_paper";
  map.arch = arch.name;
  map.spatial = {{"P", side}};
  map.dram_loops = {{"B", m.batch}, {"H", m.heads}, {"P", seq_len / (side * p1)}, {"M1", seq_len / side}};
  map.buffer_loops = {{"P", p1}};
  for (const char* t : {"Q", "RM", "RD", "RNV"}) place(map, t, Residency::buffer);
  for (const char* t : {"K", "V", "LM", "PRM", "SPD", "SLD", "SPNV", "SLNV", "AV"}) place(map, t, Residency::stream);
  return map;
}

Mapping fusemax_mapping(const ModelSpec& m, std::int64_t seq_len, std::int64_t side, const ArchSpec& arch,
                        bool interleave) {
  Mapping map = one_pass_tiling(m, seq_len, side, arch);
  const std::string a2 = arch.find_array("2d")->name, a1 = arch.find_array("1d")->name;
  for (const char* e : {"QK", "LM", "SLN", "SLD", "SLNV"}) map.bindings.push_back(bind(e, a2, {"M0"}, {"P"}));
  for (const char* e : {"RM", "PRM", "SPD", "RD", "SPNV", "RNV", "AV"}) map.bindings.push_back(bind(e, a1, {}, {"P"}));
  place(map, "QK", Residency::registers);
  place(map, "SLN", Residency::registers);
  if (interleave) {
    // +Binding: 2D QK+LM || 1D RD+RNV+AV; 1D RM; 2D SLN+SLD || 1D PRM+SPD; 2D SLNV || 1D SPNV.
    map.overlap.stages = {{"QK", "LM", "RD", "RNV", "AV"}, {"RM"}, {"SLN", "SLD", "PRM", "SPD"}, {"SLNV", "SPNV"}};
    map.name = "fusemax";
  } else {
    // +Architecture: the same four stages one after another, RNV beside SPNV.
    map.overlap.stages = {{"QK", "LM", "RD", "AV"}, {"RM"}, {"SLN", "SLD", "PRM", "SPD"}, {"SLNV", "SPNV", "RNV"}};
    map.overlap.interleave = false;
    map.name = "arch";
  }
  return map;
}

// +Cascade: the 1-pass cascade on FLAT's hardware. Only the two big contractions fit FLAT's
// 2D array (mac/add); everything else is 1D work; perfect overlap of the arrays and DRAM.
Mapping cascade_mapping(const ModelSpec& m, std::int64_t seq_len, const ArchSpec& arch) {
  const std::int64_t side = arch.find_array("2d")->cols;
  Mapping map = one_pass_tiling(m, seq_len, side, arch);
  map.name = "cascade";
  const std::string a2 = arch.find_array("2d")->name, a1 = arch.find_array("1d")->name;
  for (const char* e : {"QK", "SLNV"}) map.bindings.push_back(bind(e, a2, {"M0"}, {"P"}));
  for (const char* e : {"LM", "RM", "SLN", "PRM", "SPD", "SLD", "RD", "SPNV", "RNV", "AV"})
    map.bindings.push_back(bind(e, a1, {}, {"P"}));
  place(map, "QK", Residency::stream);
  place(map, "SLN", Residency::stream);
  return map;
}

// The fastest (then least energy) of `candidates` that fits: the paper gives no tiling for the
// unfused kernels or the linear layers, so a small search picks one. Throws with `what` when
// none fits.
Mapping fastest(const Workload& w, const ArchSpec& arch, const CostOptions& options, std::vector<Mapping> candidates,
                const std::string& what) {
  std::optional<CostSummary> best;
  Mapping chosen;
  for (Mapping& map : candidates) {
    const auto cost = evaluate_fast(w, arch, map, options);
    if (cost && (!best || cost->latency_cycles < best->latency_cycles ||
                 (cost->latency_cycles == best->latency_cycles && cost->energy_pj < best->energy_pj))) {
      best = cost;
      chosen = std::move(map);
    }
  }
  if (!best) throw std::runtime_error("no " + what + " fits " + arch.name);
  return chosen;
}

// QK and AV on the 2D array (keys down the rows, queries across), the softmax on the 1D array:
// the 3-pass cascade as FLAT and the unfused baseline bind it.
Mapping three_pass_bindings(const std::string& name, const ArchSpec& arch) {
  const std::int64_t side = arch.find_array("2d")->cols;
  Mapping map;
  map.name = name;
  map.cascade = "softmax_3pass";
  map.arch = arch.name;
  map.spatial = {{"P", side}, {"M", side}};
  const std::string a2 = arch.find_array("2d")->name, a1 = arch.find_array("1d")->name;
  for (const char* e : {"QK", "AV"}) map.bindings.push_back(bind(e, a2, {"M"}, {"P"}));
  for (const char* e : {"GM", "SN", "SD", "A"}) map.bindings.push_back(bind(e, a1, {}, {"P"}));
  return map;
}

// FLAT with the dataflow flat_dataflows.csv lists for this point: a head (or a block of P1
// query rows) per buffer tile; tensors listed on chip are held in the buffer, tensors listed
// off chip bypass it; the logits (and the weights A, in place) spill the listed fraction.
Mapping flat_mapping(const ModelSpec& m, std::int64_t seq_len, const FlatDataflow& f, const ArchSpec& arch) {
  const std::int64_t side = arch.find_array("2d")->cols;
  Mapping map = three_pass_bindings("flat", arch);
  // Weight stationarity keeps K (for QK) and V (for AV) in the PEs; output stationarity the
  // result.
  map.bindings[0].stationary = f.qk_stationarity == "weight" ? "K" : "QK";
  map.bindings[1].stationary = f.av_stationarity == "weight" ? "V" : "AV";
  map.dram_loops = {{"B", m.batch}, {"H", m.heads}};
  std::int64_t rows = seq_len;
  if (f.granularity == "row") {
    rows = std::min(f.p1, seq_len);
    map.dram_loops.push_back({"P", seq_len / rows});
  }
  const Loop p_tiles{"P", rows / side}, m_tiles{"M", seq_len / side};
  map.buffer_loops = f.qk_stationarity == "weight" ? std::vector<Loop>{m_tiles, p_tiles} : std::vector<Loop>{p_tiles, m_tiles};
  auto held = [](bool onchip) { return onchip ? Residency::buffer : Residency::dram; };
  place(map, "Q", held(f.q_onchip));
  place(map, "K", held(f.k_onchip));
  place(map, "V", held(f.v_onchip));
  place(map, "AV", held(f.av_onchip));
  place(map, "QK", held(f.qk_onchip), f.qk_onchip ? f.spilled : 0);
  place(map, "A", held(f.a_onchip), f.a_onchip ? f.spilled : 0, f.a_onchip && f.qk_onchip ? "QK" : "");
  // FLAT's softmax is one operator on the 1D array: its inner tensors stream through it.
  place(map, "SN", Residency::stream);
  return map;
}

// Unfused: QK, softmax and AV as three kernels, each waiting for its own DRAM traffic; the
// logits QK and the weights A go to DRAM between kernels.
Mapping unfused_mapping(const ModelSpec& m, std::int64_t seq_len, const ArchSpec& arch, std::int64_t p_tiles,
                        std::int64_t m_tiles) {
  const std::int64_t side = arch.find_array("2d")->cols;
  Mapping map = three_pass_bindings("unfused", arch);
  map.dram_loops = {{"B", m.batch}, {"H", m.heads}, {"P", p_tiles}, {"M", m_tiles}};
  map.buffer_loops = {{"P", seq_len / (side * p_tiles)}, {"M", seq_len / (side * m_tiles)}};
  place(map, "QK", Residency::dram);
  place(map, "A", Residency::dram);
  place(map, "SN", Residency::stream);
  map.overlap.memory = Overlap::Memory::per_stage;
  map.overlap.stages = {{"QK"}, {"GM", "SN", "SD", "A"}, {"AV"}};
  return map;
}

// The layer's matmuls, output-stationary on the 2D array (output features down the rows,
// tokens across the columns); weights held in the buffer when they fit, else re-streamed
// for every token tile.
Mapping linear_mapping(const ModelSpec& m, const ArchSpec& arch, std::int64_t batch_tiles, std::int64_t token_tiles,
                       bool weights_fit) {
  const std::int64_t side = arch.find_array("2d")->cols;
  Mapping map;
  map.name = "linear";
  map.cascade = "encoder_linear";
  map.arch = arch.name;
  map.spatial = {{"P", side}};
  const std::string a2 = arch.find_array("2d")->name;
  map.bindings = {bind("QP", a2, {"H", "E"}, {"P"}), bind("KP", a2, {"H", "E"}, {"P"}),
                  bind("VP", a2, {"H", "F"}, {"P"}), bind("O", a2, {"D"}, {"P"}),
                  bind("F1", a2, {"S"}, {"P"}),      bind("Y", a2, {"D"}, {"P"})};
  map.dram_loops = {{"B", batch_tiles}, {"P", token_tiles}};
  for (const char* w : {"WQ", "WK", "WV", "WO", "W1", "W2"})
    place(map, w, weights_fit ? Residency::buffer : Residency::dram);
  (void)m;
  return map;
}

}  // namespace

const std::vector<Design>& all_designs() {
  static const std::vector<Design> d = {Design::unfused, Design::flat, Design::cascade, Design::arch, Design::fusemax};
  return d;
}

const char* design_name(Design d) {
  switch (d) {
    case Design::unfused: return "unfused";
    case Design::flat: return "flat";
    case Design::cascade: return "cascade";
    case Design::arch: return "arch";
    case Design::fusemax: return "fusemax";
  }
  return "?";
}

Design parse_design(const std::string& name) {
  for (Design d : all_designs())
    if (name == design_name(d)) return d;
  throw std::invalid_argument("'" + name + "': expected unfused, flat, cascade, arch or fusemax");
}

namespace {
const char* arch_stem(Design d) {
  switch (d) {
    case Design::unfused: return "unfused";
    case Design::flat:
    case Design::cascade: return "flat";
    default: return "fusemax";
  }
}
}  // namespace

DesignInstance attention_design(Context& ctx, Design design, const ModelSpec& model, std::int64_t seq_len,
                                bool published) {
  DesignInstance d;
  d.arch = ctx.arch(arch_stem(design));
  d.shape = attention_shape(model, seq_len);
  d.options = published ? CostOptions::published() : CostOptions{};
  const std::int64_t side = d.arch.find_array("2d")->cols;
  switch (design) {
    case Design::unfused: {
      d.cascade = "softmax_3pass";
      const einsum::Cascade& c = ctx.cascade(d.cascade);
      std::vector<Mapping> tilings;  // power-of-two DRAM tilings of P and M
      for (std::int64_t pt = 1; pt * side <= seq_len; pt *= 2)
        for (std::int64_t mt = 1; mt * side <= seq_len; mt *= 2)
          tilings.push_back(unfused_mapping(model, seq_len, d.arch, pt, mt));
      d.mapping = fastest(make_workload(c, einsum::bind_shape(c, d.shape)), d.arch, d.options, std::move(tilings),
                          "DRAM tiling of the unfused kernels");
      break;
    }
    case Design::flat:
      d.cascade = "softmax_3pass";
      d.mapping = flat_mapping(model, seq_len, ctx.flat_dataflow(model.name, length_label(seq_len)), d.arch);
      break;
    case Design::cascade:
      d.cascade = "fusemax_paper";
      d.mapping = cascade_mapping(model, seq_len, d.arch);
      d.options.drop_table_exp_energy = published;
      break;
    case Design::arch:
    case Design::fusemax:
      d.cascade = "fusemax_paper";
      d.mapping = fusemax_mapping(model, seq_len, side, d.arch, design == Design::fusemax);
      break;
  }
  if (d.cascade == "fusemax_paper") d.shape["TILE"] = side;
  d.mapping.name = std::string(design_name(design)) + " " + model.name + " " + length_label(seq_len);
  return d;
}

DesignInstance linear_design(Context& ctx, Design design, const ModelSpec& model, std::int64_t seq_len,
                             bool published) {
  DesignInstance d;
  d.arch = ctx.arch(arch_stem(design));
  d.cascade = "encoder_linear";
  d.shape = {{"B", model.batch}, {"P", seq_len},         {"D", model.d_model}, {"H", model.heads},
             {"E", model.head_dim}, {"F", model.value_dim}, {"S", model.ffn_hidden}};
  d.options = published ? CostOptions::published() : CostOptions{};
  // Power-of-two batch and token tilings, weights held in the buffer or re-streamed.
  const std::int64_t side = d.arch.find_array("2d")->cols;
  std::vector<Mapping> tilings;
  for (bool fit : {true, false})
    for (std::int64_t b = 1; b <= model.batch; b *= 2)
      for (std::int64_t p = 1; p * side <= seq_len; p *= 2)
        if (model.batch % b == 0 && seq_len % (p * side) == 0) tilings.push_back(linear_mapping(model, d.arch, b, p, fit));
  const einsum::Cascade& c = ctx.cascade(d.cascade);
  d.mapping = fastest(make_workload(c, einsum::bind_shape(c, d.shape)), d.arch, d.options, std::move(tilings),
                      "token tiling of encoder_linear (" + model.name + ")");
  d.mapping.name = std::string("linear ") + design_name(design) + " " + model.name + " " + length_label(seq_len);
  return d;
}

DesignInstance fusemax_scaled(Context& ctx, const ModelSpec& model, std::int64_t seq_len, int pe_dim, bool published) {
  DesignInstance d;
  d.arch = ctx.arch("fusemax");
  for (PeArray& a : d.arch.arrays) {
    if (a.role == "2d") a.rows = pe_dim;
    a.cols = pe_dim;
  }
  d.arch.global_buffer.row_bits = pe_dim * 16;
  d.cascade = "fusemax_paper";
  d.shape = attention_shape(model, seq_len);
  d.shape["TILE"] = pe_dim;
  d.options = published ? CostOptions::published() : CostOptions{};
  const einsum::Cascade& c = ctx.cascade(d.cascade);
  const Workload w = make_workload(c, einsum::bind_shape(c, d.shape));
  // Grow the buffer until DRAM no longer outruns the 1D array (fusemax.md, Fig. 12).
  bool converged = false;
  for (int doubling = 0; doubling < 30 && !converged; ++doubling) {
    d.mapping = fusemax_mapping(model, seq_len, pe_dim, d.arch, true);
    const CostReport r = evaluate(w, d.arch, d.mapping, d.options);
    const auto one_d = std::find_if(r.arrays.begin(), r.arrays.end(),
                                    [&](const ArrayUse& u) { return u.array == d.arch.find_array("1d")->name; });
    converged = r.dram_cycles <= one_d->busy_cycles;
    if (!converged) d.arch.global_buffer.capacity_bytes *= 2;
  }
  if (!converged)
    throw std::runtime_error("FuseMax " + std::to_string(pe_dim) + "x" + std::to_string(pe_dim) + " on " + model.name +
                             ": DRAM still outruns the 1D array with a " +
                             std::to_string(d.arch.global_buffer.capacity_bytes) + "-byte buffer");
  d.mapping.name = "fusemax " + std::to_string(pe_dim) + "x" + std::to_string(pe_dim) + " " + model.name + " " +
                   length_label(seq_len);
  return d;
}

}  // namespace einfuse::mapper::paper
