// What the paper's reproduction reads (paper.hpp): the FLAT dataflows, the cascades and arch
// specs loaded once (Context), and costing a design instance. The grid that runs every point
// and makes the explore rows is explore/src/paper_grid.cpp.
#include <fstream>
#include <memory>
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

}  // namespace einfuse::mapper::paper
