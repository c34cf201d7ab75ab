// Binding sizes to a cascade's ranks and parameters.
// `--shape P=4096,M=4096,E=64` or a model file give some values; declared defaults and
// splits give the rest. Extents of split parts are derived (M1 = M / 256, M0 = 256).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "einfuse/einsum/cascade.hpp"

namespace einfuse::einsum {

/// Half-open range [lo, hi) of one index variable: a tile's share of a rank.
struct IndexRange {
  std::int64_t lo = 0, hi = 0;
  std::int64_t size() const { return hi - lo; }
  bool operator==(const IndexRange& o) const { return lo == o.lo && hi == o.hi; }
};

/// Sizes given by the user, by name (rank or parameter names), before binding.
using ShapeAssignment = std::map<std::string, std::int64_t, std::less<>>;

/// Parses "P=4096,M=4K,E=64". Lengths accept K/M/G suffixes as powers of two (4K = 4096).
/// Throws CascadeError naming the column of the bad entry in the string "--shape".
ShapeAssignment parse_shape_assignment(std::string_view text);
/// Parses one length: "512", "4K", "1M" (powers of two). Throws std::invalid_argument
/// (with what was expected) on anything else; parse_shape_assignment turns that into a
/// CascadeError with the column.
std::int64_t parse_length(std::string_view text);

/// Every rank's extent and every parameter's value for one cascade.
struct BoundShape {
  std::vector<std::int64_t> rank_extent;  ///< by RankId
  std::vector<std::int64_t> param_value;  ///< by ParamId

  std::int64_t extent(RankId r) const { return rank_extent[static_cast<std::size_t>(r)]; }
  /// Extent of a tensor slot: the rank's extent, +1 for an iterative slot.
  std::int64_t slot_extent(const Cascade& c, TensorId t, std::size_t slot) const;
  /// Number of elements of a tensor (checked against overflow).
  std::uint64_t elements(const Cascade& c, TensorId t) const;
};

/// Binds sizes; throws CascadeError (naming the rank or parameter) when a size is missing,
/// not positive, not divisible by a split factor, or names nothing in the cascade.
BoundShape bind_shape(const Cascade& c, const ShapeAssignment& given);

/// Evaluates an integer expression that uses only sizes, parameters and literals.
std::int64_t eval_constant(const Cascade& c, const BoundShape& shape, const Expr& e);

}  // namespace einfuse::einsum
