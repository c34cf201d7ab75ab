// Tensor footprints at a bound shape, and what a multi-pass cascade must keep between its
// passes over a rank. A 1-pass mapping holds only a tile of each intermediate on chip; an
// n-pass one must buffer (or re-read, or recompute) every tensor that one pass produces
// and a later pass reads. Definitions in docs/passes.md.
#pragma once

#include <cstdint>
#include <vector>

#include "einfuse/einsum/cascade.hpp"
#include "einfuse/einsum/passes.hpp"
#include "einfuse/einsum/shape.hpp"

namespace einfuse::einsum {

struct TensorFootprint {
  TensorId tensor = -1;
  std::uint64_t elements = 0;  ///< iterative slots count their extent + 1
  std::uint64_t bytes = 0;     ///< elements * dtype_bytes(storage type)
  /// Root ranks of its slots (a split part counts as its split rank), batch ranks
  /// included, in slot order without repeats: the sizes its footprint is proportional to.
  std::vector<RankId> grows_with;
  /// Analysed root ranks r for which the tensor is live across passes: it is not an input,
  /// its producer runs in pass k >= 1 over r, and some Einsum in a pass > k reads it.
  std::vector<RankId> live_across_passes;
};

/// What must survive between the passes over one root rank.
struct RankBuffering {
  RankId rank = -1;
  int passes = 0;
  std::vector<TensorId> live;          ///< tensors live across passes over this rank
  std::uint64_t bytes_live = 0;        ///< their total bytes
  /// The part of bytes_live in tensors that grow with the rank itself: these are the
  /// O(r) buffers (QK of a 3-pass softmax); the rest are O(1) in r (GM[p]).
  std::uint64_t bytes_growing = 0;
};

struct Footprint {
  std::vector<TensorFootprint> tensors;  ///< by TensorId
  std::vector<RankBuffering> ranks;      ///< one per rank of the pass analysis, same order
  std::uint64_t input_bytes = 0;
  std::uint64_t output_bytes = 0;
  std::uint64_t intermediate_bytes = 0;  ///< every intermediate materialised in full

  const RankBuffering* find(RankId r) const;
};

/// Throws CascadeError "count overflows 64 bits" at the tensor when bytes do not fit.
Footprint analyse_footprint(const Cascade& c, const BoundShape& shape, const PassAnalysis& passes);
Footprint analyse_footprint(const Cascade& c, const BoundShape& shape);

}  // namespace einfuse::einsum
