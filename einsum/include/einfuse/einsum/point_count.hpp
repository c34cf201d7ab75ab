// Counting the unmasked points of an iteration space exactly, without visiting them.
// A `where` mask is a conjunction of constraints; affine ones (m1*M0+m0 <= p + (M-P),
// p - m < W) are counted in closed form along one variable, so a causal mask at a million
// tokens costs a million interval lengths, not 2^40 predicate evaluations. The method and
// its limits are documented in docs/op-counts.md.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "einfuse/einsum/cascade.hpp"
#include "einfuse/einsum/shape.hpp"

namespace einfuse::einsum {

/// Spaces (or the enumerated part of one) larger than this are not enumerated; a mask
/// that would need it is an error instead of a long wait.
inline constexpr std::uint64_t kEnumerationLimit = 100'000'000;

/// A space to count: the product of the extents of `vars`, restricted to the points where
/// `predicate` (an integer expression; nullptr = always true) is non-zero. Variables in
/// `projected` (a subset of `vars`) are quantified existentially: a point of the other
/// variables counts once when some assignment of the projected ones satisfies the
/// predicate (a max reduction's combine steps, one per non-empty (lhs, outer) point).
struct PointSpace {
  std::vector<RankId> vars;
  std::vector<RankId> projected;
  const Expr* predicate = nullptr;
  SourceLoc loc;  ///< where errors are reported (the Einsum)
  /// By RankId, the range each variable takes: a box of the space (one tile). Empty: every
  /// variable runs over its whole extent.
  std::vector<IndexRange> box;
};

/// The iteration space of an Einsum: its iteration variables and its `where` mask.
PointSpace iteration_space(const Einsum& e);

/// Exact count. Throws CascadeError at space.loc when the count overflows 64 bits, when
/// the predicate reads a tensor (the count would depend on data), or when a non-affine
/// part of the mask would need more than kEnumerationLimit points enumerated.
std::uint64_t count_points(const Cascade& c, const BoundShape& shape, const PointSpace& space);
std::uint64_t count_points(const Cascade& c, const BoundShape& shape, const Einsum& e);

/// Reference count by visiting every point (and evaluating the predicate with
/// eval_index); throws CascadeError when the space has more than `limit` points. For tests.
std::uint64_t count_points_brute_force(const Cascade& c, const BoundShape& shape,
                                       const PointSpace& space,
                                       std::uint64_t limit = kEnumerationLimit);
std::uint64_t count_points_brute_force(const Cascade& c, const BoundShape& shape, const Einsum& e,
                                       std::uint64_t limit = kEnumerationLimit);

}  // namespace einfuse::einsum
