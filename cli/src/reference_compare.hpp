// `einfuse run --compare KIND`: the cascade's output against a direct attention reference
// (einfuse/einsum/reference_attention.hpp) computed in fp64 on the same inputs.
#pragma once

#include <string>

#include "cli_common.hpp"
#include "einfuse/einsum/dense_tensor.hpp"

namespace einfuse::cli {

struct CompareResult {
  double max_abs_error = 0;
  double max_rel_error = 0;  ///< max |out - ref| / max |ref|
  double reference_max_abs = 0;
};

/// The cascade must have inputs Q, K, V and one output, with the ranks of
/// workloads/attention: batch B and H (or batch B with Q[h,e,p], K[g,e,m] for GQA), E, F,
/// P, M. KIND is softmax-attention, causal-attention (bottom-right aligned) or
/// window-attention (causal, parameter W). Throws CascadeError when the cascade does not fit.
CompareResult compare_with_reference(const LoadedCascade& lc, const einsum::TensorMap& inputs,
                                     const einsum::TensorMap& outputs, const std::string& kind);

}  // namespace einfuse::cli
