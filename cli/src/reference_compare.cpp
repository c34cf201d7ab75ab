#include "reference_compare.hpp"

#include <cmath>

#include "einfuse/einsum/reference_attention.hpp"

namespace einfuse::cli {
namespace {

[[noreturn]] void unfit(const LoadedCascade& lc, const std::string& why) {
  throw einsum::CascadeError(lc.cascade.source.get(), {}, "--compare: " + why,
                             "a cascade with inputs Q, K, V, one output, and ranks B, H (or G), E, F, P, M "
                             "as in workloads/attention");
}

}  // namespace

CompareResult compare_with_reference(const LoadedCascade& lc, const einsum::TensorMap& inputs,
                                     const einsum::TensorMap& outputs, const std::string& kind) {
  namespace ref = einsum::reference;
  for (const char* name : {"Q", "K", "V"}) {
    if (!inputs.count(name)) unfit(lc, std::string("no input tensor ") + name);
  }
  if (outputs.size() != 1) unfit(lc, "the cascade has " + std::to_string(outputs.size()) + " outputs");
  for (const char* name : {"E", "F", "P", "M"}) {
    if (!lc.cascade.find_rank(name)) unfit(lc, std::string("no rank ") + name);
  }
  const ref::AttentionDims d = ref::dims_of(lc.cascade, lc.shape);
  const auto& out = outputs.begin()->second;
  if (out.data.size() != d.out_size() || inputs.at("Q").data.size() != d.q_size() ||
      inputs.at("K").data.size() != d.k_size() || inputs.at("V").data.size() != d.v_size()) {
    unfit(lc, "tensor sizes do not match [B][H][E][P], [B][G][E][M], [B][G][F][M] -> [B][H][F][P]");
  }
  ref::Mask mask;
  if (kind == "causal-attention") {
    mask = ref::causal_mask(d.p, d.m);
  } else if (kind == "window-attention") {
    auto w = lc.cascade.find_param("W");
    if (!w) unfit(lc, "window-attention needs a parameter W");
    mask = ref::window_mask(d.p, d.m, lc.shape.param_value[static_cast<std::size_t>(*w)]);
  }
  const std::vector<double> expected =
      ref::attention(d, inputs.at("Q").data, inputs.at("K").data, inputs.at("V").data, mask);
  CompareResult r;
  for (double x : expected) r.reference_max_abs = std::max(r.reference_max_abs, std::abs(x));
  r.max_abs_error = ref::max_abs_error(out.data, expected);
  r.max_rel_error = r.reference_max_abs > 0 ? r.max_abs_error / r.reference_max_abs : r.max_abs_error;
  return r;
}

}  // namespace einfuse::cli
