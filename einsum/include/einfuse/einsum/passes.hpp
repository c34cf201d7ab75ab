// Passes over a rank, in the sense of FuseMax: how many times a cascade must traverse
// the fiber of a rank (M, the key positions, for attention) because some Einsum needs a
// value that summarises the whole fiber before it can start. A 3-pass softmax traverses M
// three times, the FuseMax cascade once. The definition is in docs/passes.md.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "einfuse/einsum/cascade.hpp"

namespace einfuse::einsum {

/// The pass analysis of one root rank r (a plain rank that some input carries).
struct RankPasses {
  RankId rank = -1;
  /// The number of passes over r: the largest pass of an Einsum that traverses r
  /// (0 when no Einsum traverses it).
  int passes = 0;
  /// By EinsumId: whether the Einsum iterates r itself or a part of r finer than the
  /// coarsest (m0 traverses M; m1 alone, a summary over tiles, does not).
  std::vector<bool> traverses;
  /// By EinsumId: the pass the Einsum runs in (>= 1 when it traverses r). An Einsum that
  /// does not traverse r runs between passes and gets the pass of its latest input.
  std::vector<int> einsum_pass;
  /// By TensorId: whether the tensor's values depend on the r fiber of an input.
  std::vector<bool> depends;
  /// By TensorId: the pass of the tensor's producer (0 for inputs).
  std::vector<int> tensor_pass;
};

struct PassAnalysis {
  /// One entry per analysed root rank, in RankId order.
  std::vector<RankPasses> ranks;
  /// passes(r) by rank name, for reports.
  std::map<std::string, int> passes_by_rank;
  /// By EinsumId: the Einsum's pass for every analysed rank.
  std::vector<std::map<RankId, int>> einsum_pass;

  /// The analysis of root rank r, or nullptr when r is not analysed (a batch rank, a
  /// split part, or a rank no input carries).
  const RankPasses* find(RankId r) const;
  /// passes(r) by name; -1 when the rank is not analysed.
  int passes(std::string_view rank_name) const;
};

/// Whether Einsum e traverses root rank r (see RankPasses::traverses).
bool traverses(const Cascade& c, const Einsum& e, RankId root);

/// Runs the analysis for every root rank that appears in an input tensor.
PassAnalysis analyse_passes(const Cascade& c);

}  // namespace einfuse::einsum
