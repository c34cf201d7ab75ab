// The FuseMax paper's evaluation (fusemax.md) as mappings of the general cost model: the five
// designs (unfused, FLAT, +Cascade, +Architecture, +Binding = FuseMax) at any model and
// length, attention and end to end, and FuseMax scaled for the Fig. 12 array-size sweep. Each
// design is a cascade, an arch spec and a Mapping built from the paper's description; the
// cost model does the rest. The grid that runs them all and makes the explore rows is
// explore/paper_grid.hpp. What is the paper's and what is ours is in
// docs/paper-reproduction.md.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "einfuse/einsum/cascade.hpp"
#include "einfuse/einsum/model.hpp"
#include "einfuse/mapper/arch_spec.hpp"
#include "einfuse/mapper/cost_model.hpp"
#include "einfuse/mapper/mapping.hpp"

namespace einfuse::mapper::paper {

/// "1K", "64K", "1M", "512": the paper's length labels (powers of two in K = 2^10, M = 2^20).
std::string length_label(std::int64_t seq_len);

enum class Design { unfused, flat, cascade, arch, fusemax };
const std::vector<Design>& all_designs();
const char* design_name(Design d);  ///< "unfused", "flat", "cascade", "arch", "fusemax"
/// The design of a name given by design_name(); throws std::invalid_argument naming the
/// expected ones ("'NAME': expected unfused, flat, cascade, arch or fusemax").
Design parse_design(const std::string& name);

/// One row of flat_dataflows.csv: the FLAT dataflow the paper uses at one (model, length).
struct FlatDataflow {
  std::string model;
  std::string seq_len;  ///< as in the file: "512", "1K", ... "1M"
  bool q_onchip = false, k_onchip = false, qk_onchip = false, a_onchip = false, v_onchip = false,
       av_onchip = false;
  std::string qk_stationarity, av_stationarity;  ///< "output" or "weight"
  std::string granularity;                       ///< "head" or "row"
  std::int64_t p1 = 0;                           ///< rows per tile (row granularity)
  double spilled = 0;                            ///< fraction of QK/A that goes to DRAM
};

/// Strict reader: throws std::runtime_error "FILE:LINE: ..." on a bad header or field.
std::vector<FlatDataflow> read_flat_dataflows(const std::string& path);

/// Where the paper's data lives (flat_dataflows.csv): workloads/paper, found like
/// default_arch_dir().
std::string default_paper_dir();

/// Everything the reproduction reads, loaded once.
struct Context {
  std::string attention_dir;  ///< workloads/attention
  std::string layers_dir;     ///< workloads/layers
  std::string arch_dir;
  std::string models_dir;
  std::vector<FlatDataflow> flat;
  std::map<std::string, std::shared_ptr<const einsum::Cascade>> cascades;  ///< by file stem
  std::map<std::string, ArchSpec> archs;                                   ///< by file stem

  static Context load_default();
  const einsum::Cascade& cascade(const std::string& stem);
  const ArchSpec& arch(const std::string& stem);
  const FlatDataflow& flat_dataflow(const std::string& model, const std::string& seq_len) const;
};

/// A design at one point, ready for the cost model.
struct DesignInstance {
  std::string cascade;  ///< file stem in workloads/attention (or workloads/layers)
  ArchSpec arch;
  einsum::ShapeAssignment shape;
  Mapping mapping;
  CostOptions options;
};

/// Builds the attention mapping of `design` for a model and length. `published` selects the
/// published model's quirks (CostOptions).
DesignInstance attention_design(Context& ctx, Design design, const einsum::ModelSpec& model, std::int64_t seq_len,
                                bool published);

/// The projections and FFN of one layer (workloads/layers/encoder_linear.ein) on the
/// design's arch: every matmul on the 2D array, DRAM tiling chosen by a small search.
DesignInstance linear_design(Context& ctx, Design design, const einsum::ModelSpec& model, std::int64_t seq_len,
                             bool published);

/// FuseMax with an N x N 2D array and an N-PE 1D array (Fig. 12): row width N x 16 bits, the
/// buffer doubled from the design's until DRAM time no longer exceeds the 1D array's busy time.
DesignInstance fusemax_scaled(Context& ctx, const einsum::ModelSpec& model, std::int64_t seq_len, int pe_dim,
                              bool published);

/// Costs an instance (parses nothing: the cascade comes from ctx).
CostReport cost_instance(Context& ctx, const DesignInstance& instance);

}  // namespace einfuse::mapper::paper
