// The golden interpreter: executes a cascade on dense tensors exactly as docs/language.md
// defines it, in fp64 or in the accelerator's numerics. Every other level (cost model,
// SystemC, RTL, GPU) is checked against its results. docs/interpreter.md has the tour.
//
// Semantics in one paragraph: an Einsum computes
//   out[lhs] = OUTER_op over outer_vars of ( SUM over inner_vars of body )
// at the points where `where` holds. Reductions visit points in lexicographic order of
// Einsum::outer_vars, then Einsum::inner_vars (each index ascending), which is the order
// the hardware accumulates in. A named-reduction point whose inner points are all masked
// does not take part; a reduction with no unmasked point gives its identity (0, -inf, +inf);
// an output coordinate whose mask is false everywhere keeps the tensor's default when the
// mask uses left-side variables only. Reads outside a tensor (index -1 from a populate
// included) give the read tensor's default value. Iterative groups (evaluation_order in
// graph.hpp) run step by step: every member finishes step r before any starts step r+1.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "einfuse/einsum/cascade.hpp"
#include "einfuse/einsum/dense_tensor.hpp"
#include "einfuse/einsum/dtype.hpp"
#include "einfuse/einsum/shape.hpp"

namespace einfuse::einsum {

enum class Numerics {
  /// Every operation in double; no rounding anywhere (the golden reference).
  fp64,
  /// Each operation computed in double and rounded to the Einsum's accumulator dtype (the
  /// output tensor's `acc`); reductions accumulate in that dtype in the hardware's order;
  /// each stored value is rounded to its tensor's storage dtype; inputs are rounded to
  /// their storage dtype on entry; literals to the accumulator dtype. Reads of a tensor
  /// stored wider than the accumulator are rounded to the accumulator on the way in.
  emulated,
  /// The accelerator's units (numeric.hpp): a body `a * b` reduced with `+` accumulates
  /// through mac_bf16_fp32 (operands rounded to bf16, fp32 accumulator); exp -> exp_hw or
  /// exp_mac_sequence_hw (RunOptions::exp_algorithm),
  /// recip -> recip_hw, `/` -> div_hw, every other add/sub/mul -> the fp32 units; max and
  /// min (maps and reductions) -> the comparator max_hw (DAZ, canonical NaN); abs, neg,
  /// select and comparisons are exact; sqrt is the correctly rounded fp32 sqrt.
  /// Stored values are rounded to their storage dtype. Declared accumulator types are
  /// ignored: the hardware accumulates in fp32. Einsums with an i32 output are exact
  /// integer arithmetic in every mode.
  hardware,
};

/// How the hardware computes exp (the arch spec's `exp_algorithm` of the array an Einsum runs
/// on): the table unit exp_hw, or the MAC sequence exp_mac_sequence_hw (6 mac + 1 add on the
/// PE's own MAC; its argument is rounded to bf16 first, as a bf16 MAC operand must be).
enum class ExpAlgorithm { table, mac_sequence };

struct RunOptions {
  Numerics numerics = Numerics::fp64;
  /// hardware: the exp of every Einsum not listed in exp_algorithm_by_einsum.
  ExpAlgorithm exp_algorithm = ExpAlgorithm::table;
  /// hardware: per Einsum (by its output tensor's name), the exp of the array it is bound to
  /// (mapper::hardware_run_options fills it from an arch spec and a mapping).
  std::map<std::string, ExpAlgorithm> exp_algorithm_by_einsum;
  /// emulated/hardware: overrides the storage dtype of every floating-point tensor
  /// (inputs, intermediates, outputs); the accumulator becomes the wider of this and fp32
  /// (bf16/fp16/fp32 -> fp32, fp64 -> fp64). i32 tensors are unaffected. Ignored in fp64.
  std::optional<DType> precision;
  /// Return every tensor the cascade computes, not only its outputs.
  bool keep_intermediates = false;
  /// fp64 only: run Einsums that are a plain contraction of two tensors (see
  /// contraction_fast_path_applies) as Eigen GEMMs. Off forces the generic evaluator for
  /// every Einsum (the tests compare the two).
  bool contraction_fast_path = true;
  /// hardware only: run an Einsum whose body is a product reduced with `+` (a contraction:
  /// QK, SLNV, AV) on the MAC fast path (docs/interpreter.md, "Engines"): its factors rounded to
  /// bf16 once per block of outputs instead of once per MAC, the MACs vectorised across
  /// outputs, each output's accumulation order unchanged, so the bits are the same. Off
  /// forces the generic row-program path (the tests compare the two bit for bit).
  bool hardware_fast_path = true;
};

/// Storage and accumulator dtype of a tensor under the options (precision override).
DType effective_storage(const Tensor& t, const RunOptions& options);
DType effective_acc(const Tensor& t, const RunOptions& options);

/// Extents of a tensor's DenseTensor: one per slot (batch first), iterative slots + 1.
std::vector<std::int64_t> tensor_extents(const Cascade& c, const BoundShape& shape, TensorId t);

/// Deterministic N(0,1) inputs for every input tensor, identical on every platform
/// (splitmix64 + Box-Muller with the generator's own log and sin/cos series in plain IEEE
/// arithmetic: no <random> distributions, no libm transcendental functions).
/// Tensors are drawn in declaration order from one stream seeded by `seed`. In emulated
/// and hardware modes the values are rounded to each input's (effective) storage dtype;
/// in fp64 they are not (interpret() rounds inputs itself in the other modes, so feeding
/// fp64 inputs to an emulated run gives the same result). i32 inputs get uniform integers
/// in [0, E) where E is the extent of the input's last slot (so gathers land in range).
TensorMap random_inputs(const Cascade& c, const BoundShape& shape, std::uint64_t seed,
                        const RunOptions& options = {});

/// Runs the cascade. `inputs` must hold every input tensor by name with the extents of
/// tensor_extents() (extents of 1 may be omitted or added: the row-major layout is the
/// same); an unknown name, a missing input or other extents is a CascadeError naming the
/// tensor. Returns the outputs (every computed tensor with keep_intermediates). Runs on
/// the calling thread only: the same inputs give the same bits. An integer division or
/// modulo by zero, or 64-bit overflow, in an index expression throws CascadeError at it.
TensorMap interpret(const Cascade& c, const BoundShape& shape, const TensorMap& inputs,
                    const RunOptions& options = {});

/// Whether Einsum `e` runs on the Eigen contraction path in fp64 mode: body is a product
/// of two tensor reads, reduced with `+` only, no mask, every index an affine function of
/// the iteration variables with non-negative strides and in range over the whole
/// iteration space, and every variable in at most one role (batch, row, column,
/// contraction) so the Einsum is a loop of GEMMs.
bool contraction_fast_path_applies(const Cascade& c, const BoundShape& shape, EinsumId e);

/// Whether interpret() in hardware mode runs Einsum `e` (a populate Einsum: its scores) on the
/// MAC fast path (RunOptions::hardware_fast_path): a product of two real expressions reduced
/// with `+` over one list of variables (inner, or the outer ones of a `sum`), with a mask or
/// without, whose output variables fill lanes (not a decode-style fold over the reduction),
/// not reading its own output, and, when a factor or the mask varies along the lanes, with at
/// most 65,536 reduction points (a panel of 16 lanes in 4 MiB). TileExecution decides per box
/// in the same way.
bool hardware_fast_path_applies(const Cascade& c, const BoundShape& shape, EinsumId e);

}  // namespace einfuse::einsum
