// Exact operation counts of a cascade at a bound shape, by kind and per Einsum.
// Only real-valued work is counted (index arithmetic and masks are free); the convention
// is documented in docs/op-counts.md. Counts are uint64 and overflow is an error.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "einfuse/einsum/cascade.hpp"
#include "einfuse/einsum/shape.hpp"

namespace einfuse::einsum {

enum class OpKind : std::uint8_t {
  add,     ///< + and - (also each step of a + reduction)
  mul,     ///< *
  mac,     ///< a * b accumulated by a + reduction (QK, SLNV)
  div,     ///< /
  max,     ///< max, min, each step of a max/min reduction; clamp counts two
  exp,
  recip,
  sqrt,
  neg,     ///< unary minus, neg, abs
  cmp,     ///< comparisons of real values; top-k and filter candidates
  select,  ///< select(pred, a, b) of real values
};
inline constexpr std::size_t kOpKindCount = 11;
std::string_view op_kind_name(OpKind k);
/// Every kind, in enum order (for tables and loops).
const std::array<OpKind, kOpKindCount>& all_op_kinds();

struct OpCounts {
  std::array<std::uint64_t, kOpKindCount> count{};

  std::uint64_t operator[](OpKind k) const { return count[static_cast<std::size_t>(k)]; }
  std::uint64_t& operator[](OpKind k) { return count[static_cast<std::size_t>(k)]; }
  /// By kind name, non-zero kinds only ("mac" -> 4194304, ...).
  std::map<std::string, std::uint64_t> by_name() const;
};

struct EinsumOps {
  EinsumId einsum = -1;
  /// Unmasked points of the iteration space (the work items the body runs on).
  std::uint64_t points = 0;
  OpCounts ops;
};

struct CascadeOps {
  std::vector<EinsumOps> einsums;  ///< by EinsumId
  OpCounts total;                  ///< summed over Einsums
};

/// Counts of one Einsum. Throws CascadeError "count overflows 64 bits" at the Einsum when a
/// count does not fit, and whatever count_points() throws for its mask.
EinsumOps count_einsum_ops(const Cascade& c, const BoundShape& shape, EinsumId e);

/// Counts of every Einsum and the totals (the totals are checked against overflow too).
CascadeOps count_ops(const Cascade& c, const BoundShape& shape);

}  // namespace einfuse::einsum
