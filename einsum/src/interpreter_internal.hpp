// Private interface between the interpreter's source files (interpreter*.cpp):
//   interpreter.cpp              driver: inputs, allocation, evaluation order, steps
//   interpreter_numerics.cpp     the arithmetic of each Numerics mode (numeric.hpp)
//   interpreter_vector_eval.cpp  expressions compiled to row programs over one lane variable
//   interpreter_dense.cpp        loops, masks and reductions around a row program
//   interpreter_contraction.cpp  the Eigen GEMM fast path (fp64)
//   interpreter_populate.cpp     top-k and filter
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "einfuse/einsum/cascade.hpp"
#include "einfuse/einsum/dense_tensor.hpp"
#include "einfuse/einsum/interpreter.hpp"
#include "einfuse/einsum/shape.hpp"

namespace einfuse::einsum::detail {

inline std::size_t uidx(std::int64_t i) { return static_cast<std::size_t>(i); }

/// Every tensor of the cascade while it runs, by TensorId.
struct TensorStore {
  std::vector<DenseTensor> tensors;
  std::vector<std::vector<std::int64_t>> strides;
  std::vector<DType> storage;  ///< effective storage dtype (precision override applied)
};

/// The arithmetic one Einsum runs with.
struct EinsumNumerics {
  Numerics mode = Numerics::fp64;
  DType acc = DType::fp64;      ///< emulated: every real result is rounded to this
  DType storage = DType::fp64;  ///< stored values are rounded to this (not in fp64 mode)
  ExpAlgorithm exp = ExpAlgorithm::table;  ///< hardware: which exp unit the Einsum's array has
  /// emulated/hardware: whether values of dtype `t` must be rounded before use.
  bool must_round_read(DType t) const;
};

// --- interpreter_numerics.cpp: element-wise arithmetic over arrays ------------------------

/// Rounds x to dtype t (fp64 and i32: unchanged).
double round_to_dtype(DType t, double x);
/// Rounds every element of `v` to t in place (nothing for fp64/i32).
void round_array(DType t, std::span<double> v);
/// NaN-propagating max/min: a NaN anywhere makes the result NaN, so bugs stay visible.
inline double nan_max(double a, double b) { return (a > b || a != a) ? a : b; }
inline double nan_min(double a, double b) { return (a < b || a != a) ? a : b; }

/// out[i] = a[i] op b[i] for the real binary ops add, sub, mul, div, max, min under the
/// numerics (emulated: rounded to acc; hardware: the fp32 units).
void real_binary(const EinsumNumerics& num, Op op, std::size_t n, double* out, const double* a,
                 const double* b);
/// Real unary ops: neg, exp, recip, sqrt, abs.
void real_unary(const EinsumNumerics& num, Op op, std::size_t n, double* out, const double* a);
/// One step of a `+` reduction: acc + x under the numerics.
double sum_step(const EinsumNumerics& num, double acc, double x);
/// max / min of two values: NaN-propagating, or the hardware comparator in hardware mode.
double max_step(const EinsumNumerics& num, double a, double b);
double min_step(const EinsumNumerics& num, double a, double b);
/// One multiply-accumulate step (hardware mode): mac_bf16_fp32(acc, a, b).
double mac_step(double acc, double a, double b);
/// Rounds a literal or converted integer to what the Einsum's arithmetic holds.
double arith_constant(const EinsumNumerics& num, double x);

// --- the iteration space of one Einsum run ----------------------------------------------

/// Half-open range of a variable's values in one run (a step fixes the step variable).
struct VarRange {
  std::int64_t lo = 0;
  std::int64_t hi = 0;
  std::int64_t size() const { return hi - lo; }
};

/// One Einsum (or one step of it) to run.
struct EinsumTask {
  const Cascade& c;
  const BoundShape& shape;
  const Einsum& e;
  TensorStore& store;
  std::vector<VarRange> ranges;  ///< by RankId
  EinsumNumerics num;
};

/// A dense reduction to run: destination[out_vars] = OUTER over outer_vars of (SUM over
/// inner_vars of body) where `where`. Einsums map to it directly; populate Einsums use it
/// to compute their scores.
struct DenseJob {
  std::vector<RankId> out_vars;
  std::vector<std::int64_t> out_strides;  ///< per out var, in elements
  std::int64_t out_base = 0;              ///< added to every destination offset
  double* out = nullptr;
  /// Optional, same offsets as `out`: set to 1 where a value was written, 0 elsewhere.
  std::uint8_t* written = nullptr;
  std::vector<RankId> outer_vars;
  std::vector<RankId> inner_vars;
  ReduceOp outer_op = ReduceOp::add;
  const Expr* body = nullptr;
  const Expr* where = nullptr;
  bool round_output = false;  ///< round written values to num.storage
  /// A reduction split over several jobs (tiles of its reduced ranks, in the order of the
  /// whole reduction): `partial` holds each output's running value (outer result, or the
  /// inner sum when there is no outer reduction) and `partial_seen` whether an unmasked
  /// point has been met, at the same offsets as `out`. `resume` starts from them instead of
  /// the identity; `suspend` leaves the result there instead of storing it. A split of the
  /// inner ranks under an outer reduction is not representable (the caller refuses it).
  double* partial = nullptr;
  std::uint8_t* partial_seen = nullptr;
  bool resume = false;
  bool suspend = false;
};

/// interpreter_dense.cpp: runs a job with the vectorised row evaluator.
void run_dense_job(const EinsumTask& task, const DenseJob& job);
/// The job of an ordinary (non-populate) Einsum writing into its output tensor.
DenseJob einsum_job(const EinsumTask& task);

/// interpreter_contraction.cpp: runs the task as Eigen GEMMs; false when it does not apply
/// (nothing is written then).
bool run_contraction(const EinsumTask& task);
/// Whether run_contraction would apply (no data needed).
bool contraction_applies(const Cascade& c, const BoundShape& shape, const Einsum& e,
                         const std::vector<VarRange>& ranges);

/// interpreter_populate.cpp: top-k and filter.
void run_populate(const EinsumTask& task);

// --- interpreter_execution.cpp: the state of one run --------------------------------------

/// Every tensor of a run and the engine that runs an Einsum over given ranges. interpret()
/// runs the whole evaluation order through it; TileExecution a tile at a time.
class Execution {
 public:
  Execution(const Cascade& c, const BoundShape& shape, const RunOptions& options);
  /// Checks the inputs and allocates every tensor (defaults, init slices, inputs rounded).
  void allocate(const TensorMap& inputs);
  /// Runs a group of evaluation_order(): each member, step by step for an iterative one.
  void run_group(const std::vector<EinsumId>& group);
  /// Runs one Einsum over `ranges` (by RankId), the whole job at once.
  void run_einsum(EinsumId id, const std::vector<VarRange>& ranges);
  /// An i32 result outside the i32 range is an error at its Einsum.
  void check_i32_result(const Einsum& e) const;
  EinsumNumerics numerics_of(const Einsum& e) const;
  std::vector<VarRange> full_ranges() const;
  /// The outputs (and intermediates when asked), moved out: call once, at the end.
  TensorMap results(bool keep_intermediates);
  TensorStore& store() { return store_; }
  const Cascade& cascade() const { return c_; }
  const BoundShape& shape() const { return shape_; }

 private:
  bool rounds() const { return options_.numerics != Numerics::fp64; }
  [[noreturn]] void fail(SourceLoc loc, const std::string& message, const std::string& expected) const;
  void check_integers(const Tensor& tensor, const DenseTensor& given) const;

  const Cascade& c_;
  const BoundShape& shape_;
  RunOptions options_;
  TensorStore store_;
};

// --- interpreter_vector_eval.cpp: expressions over a row of lanes ------------------------

/// An expression compiled for evaluation over `n` consecutive values of one lane variable
/// (the other variables fixed). Registers are arrays of max_lanes values; a tensor row that
/// is contiguous and in range is not copied (the register points into the tensor).
class RowProgram {
 public:
  RowProgram(const Cascade& c, const BoundShape& shape, const TensorStore& store,
             const EinsumNumerics& num, RankId lane_var, std::size_t max_lanes);
  ~RowProgram();
  RowProgram(const RowProgram&) = delete;
  RowProgram& operator=(const RowProgram&) = delete;

  /// Compiles `e` as a real / integer value; returns its register.
  int compile_real(const Expr& e);
  int compile_int(const Expr& e);
  /// Runs every compiled instruction for lanes lane0 .. lane0+n-1. `vars` holds the value
  /// of every other variable, by RankId.
  void run(std::span<const std::int64_t> vars, std::int64_t lane0, std::size_t n);
  const double* real(int reg) const;
  const std::int64_t* integer(int reg) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace einfuse::einsum::detail
