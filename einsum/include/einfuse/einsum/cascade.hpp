// The resolved cascade: ranks, parameters, tensors and Einsums with every name bound.
// Produced by parse_cascade() (parser.hpp); immutable afterwards. Every analysis, the
// interpreter and the mapper read this and nothing else. The language itself is
// documented in docs/language.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "einfuse/einsum/diagnostics.hpp"
#include "einfuse/einsum/dtype.hpp"

namespace einfuse::einsum {

using RankId = int;    ///< index into Cascade::ranks; also the id of the rank's index variable
using ParamId = int;   ///< index into Cascade::params
using TensorId = int;  ///< index into Cascade::tensors
using EinsumId = int;  ///< index into Cascade::einsums

/// A named rank. Its index variable is the lowercase name (rank M1 -> variable m1).
struct Rank {
  enum class Kind {
    plain,       ///< declared with `rank`
    batch,       ///< declared with `batch`: carried by every tensor, never reduced
    split_part,  ///< made by `split M -> M1, M0 by 256`
  };
  std::string name;
  std::string index;  ///< the index variable's name
  Kind kind = Kind::plain;
  std::optional<std::int64_t> default_extent;  ///< `rank E = 64`
  /// For split parts: the split rank, this part's level (0 = coarsest) and the number of
  /// parts. The extent of part i (i > 0) is the i-th `by` factor; part 0 gets the rest.
  RankId split_of = -1;
  int split_level = 0;
  int split_parts = 0;
  /// For split parts other than the coarsest: the `by` factor (an integer expression of
  /// sizes and parameters), owned by Cascade::exprs.
  const struct Expr* split_factor = nullptr;
  /// For the split rank itself: its parts, coarsest first.
  std::vector<RankId> parts;
  SourceLoc loc;
};

/// A named integer parameter (`param W = 512`) or a derived one (`let R = H / G`).
struct Param {
  std::string name;
  std::optional<std::int64_t> default_value;
  struct Expr const* definition = nullptr;  ///< for `let`: owned by Cascade::exprs
  SourceLoc loc;
};

enum class Op : std::uint8_t {
  // arithmetic (integer operands give integer results; `/` is then floor division)
  add, sub, mul, div, mod, neg,
  max, min,
  // real-valued functions
  exp, recip, sqrt, abs,
  // predicates (integer 0/1)
  lt, le, gt, ge, eq, ne, logical_and, logical_or, logical_not,
  select,  ///< select(pred, a, b)
  clamp,   ///< clamp(x, lo, hi)
};
const char* op_name(Op op);

enum class ValueType : std::uint8_t { integer, real };

/// An expression node: immutable, owned by Cascade::exprs, referenced by raw pointer.
struct Expr {
  enum class Kind : std::uint8_t {
    number,  ///< literal (`value`; `integer` when integer-typed); may be ±inf
    var,     ///< index variable of rank `id`
    size,    ///< extent of rank `id` (an uppercase rank name used as a value)
    param,   ///< value of param `id`
    access,  ///< read of tensor `id` at `args` (one index per slot, batch slots included)
    apply,   ///< `op` applied to `args`
  };
  Kind kind = Kind::number;
  Op op = Op::add;
  ValueType type = ValueType::real;
  int id = -1;
  double value = 0.0;         ///< literal value (for integer literals, the double conversion)
  std::int64_t integer = 0;   ///< exact value of an integer literal (number, type integer)
  std::vector<const Expr*> args;
  SourceLoc loc;
};

/// A tensor: an input, an output, or an intermediate defined by one Einsum.
struct Tensor {
  enum class Role { input, output, intermediate };
  std::string name;
  Role role = Role::intermediate;
  std::vector<RankId> ranks;     ///< one rank per slot; batch ranks come first
  std::vector<bool> iterative;   ///< slot written at `r+1`: its extent is the rank's + 1
  DType dtype = DType::fp32;     ///< storage type
  DType acc = DType::fp32;       ///< accumulator / compute type
  double default_value = 0.0;    ///< value of absent (out-of-range or masked) coordinates
  EinsumId producer = -1;        ///< the Einsum that writes it (-1 for inputs)
  SourceLoc loc;
};

enum class ReduceOp : std::uint8_t { add, max, min };
const char* reduce_op_name(ReduceOp op);
double reduce_identity(ReduceOp op);

/// One Einsum: out[lhs] = OUTER_op over outer_vars of ( SUM over inner_vars of body ),
/// evaluated at every point of the iteration space that satisfies `where`.
/// A populate Einsum (top-k, filter) instead writes indices of `source_var` into the
/// slot of `target_var`.
struct Einsum {
  enum class Populate { none, topk, filter };
  TensorId output = -1;
  std::vector<RankId> lhs_vars;  ///< one variable per output slot (batch slots included)
  /// The iterative variable r when the output is written at r+1 (and reads itself at r);
  /// -1 otherwise.
  RankId step_var = -1;
  std::optional<double> init;  ///< value of out[..., 0, ...] for iterative Einsums

  const Expr* body = nullptr;
  const Expr* where = nullptr;  ///< mask on the iteration space, or nullptr
  ReduceOp outer_op = ReduceOp::add;
  std::vector<RankId> outer_vars;  ///< named in `max(m0) ...` / `sum(m0) ...`
  /// On the right only and not named: reduced with +. In RankId (declaration) order, which
  /// is the accumulation order of every level: the lowest-numbered variable outermost,
  /// each index ascending.
  std::vector<RankId> inner_vars;

  Populate populate = Populate::none;
  RankId source_var = -1;  ///< populate: the rank whose indices are selected
  RankId target_var = -1;  ///< populate: the output slot that receives them

  /// Every variable of the iteration space: lhs_vars (minus target_var for populate),
  /// then outer_vars, then inner_vars (plus source_var for populate).
  std::vector<RankId> iteration_vars;
  /// Tensors read anywhere in the Einsum (body, where, index expressions), each once.
  std::vector<TensorId> reads;

  std::string label;  ///< the output tensor's name, for reports
  SourceLoc loc;
  bool is_reduction() const { return !outer_vars.empty() || !inner_vars.empty(); }
};

/// A whole cascade. Ids are stable indices into the vectors.
struct Cascade {
  std::string name;
  std::shared_ptr<const SourceText> source;
  std::vector<Rank> ranks;
  std::vector<RankId> batch_ranks;
  std::vector<Param> params;
  std::vector<Tensor> tensors;
  std::vector<Einsum> einsums;
  std::vector<std::unique_ptr<Expr>> exprs;  ///< owns every Expr node

  std::optional<RankId> find_rank(std::string_view name) const;
  std::optional<RankId> find_var(std::string_view index_name) const;
  std::optional<ParamId> find_param(std::string_view name) const;
  std::optional<TensorId> find_tensor(std::string_view name) const;
  std::vector<TensorId> inputs() const;
  std::vector<TensorId> outputs() const;
  /// The split rank a rank belongs to (itself when it is not a split part).
  RankId root_rank(RankId r) const;
};

/// Renders an expression back to cascade syntax (for reports and error messages).
std::string to_string(const Cascade& c, const Expr& e);

}  // namespace einfuse::einsum
