// Integer evaluation of index expressions and predicates over an assignment of index
// variables, and extraction of affine forms. Shared by the point counter (masks), the
// interpreter (index arithmetic) and anything else that needs the integer semantics of
// docs/language.md: `/` is floor division, `%` the matching floor modulo (the result has
// the divisor's sign), comparisons and logic give 0 or 1.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "einfuse/einsum/cascade.hpp"
#include "einfuse/einsum/shape.hpp"

namespace einfuse::einsum {

/// Floor division and modulo (b != 0): floor_div(-1, 4) == -1, floor_mod(-1, 4) == 3.
std::int64_t floor_div(std::int64_t a, std::int64_t b);
std::int64_t floor_mod(std::int64_t a, std::int64_t b);

/// Evaluates an integer expression. `var_values` is indexed by RankId (the variable of
/// rank r has value var_values[r]); only the entries of variables the expression uses
/// are read. Sizes and parameters come from `shape`. Throws CascadeError (at the
/// expression) on a tensor read, a real-valued operation (exp, recip, sqrt, a non-integer
/// literal), division or modulo by zero, and signed 64-bit overflow.
std::int64_t eval_index(const Cascade& c, const BoundShape& shape, const Expr& e,
                        std::span<const std::int64_t> var_values);

/// constant + sum of coeff * variable, with distinct variables and non-zero coefficients
/// kept sorted by RankId.
struct AffineForm {
  std::int64_t constant = 0;
  std::vector<std::pair<RankId, std::int64_t>> terms;

  std::int64_t coeff(RankId var) const;
  bool is_constant() const { return terms.empty(); }
};

/// The affine form of an integer expression, or nullopt when it is not affine: a tensor
/// read, a product of two variable terms, `/` or `%` whose result is not affine (floor
/// division is affine only when every coefficient of the dividend is a multiple of a
/// constant divisor), max/min/clamp/select/comparisons of variables, or a coefficient that
/// overflows 64 bits. Sizes and parameters are folded to constants.
std::optional<AffineForm> to_affine(const Cascade& c, const BoundShape& shape, const Expr& e);

}  // namespace einfuse::einsum
