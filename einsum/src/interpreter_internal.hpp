// Private interface between the interpreter's source files (interpreter*.cpp):
//   interpreter.cpp              driver: inputs, allocation, evaluation order, steps
//   interpreter_numerics.cpp     the arithmetic of each Numerics mode (numeric.hpp)
//   interpreter_vector_eval.cpp  expressions compiled to row programs over one lane variable
//   interpreter_dense.cpp        loops, masks and reductions around a row program
//   interpreter_mac.cpp          the hardware MAC fast path's panels and vectorised kernel
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
  bool mac_fast_path = true;  ///< hardware: a contraction may run on the MAC fast path (RunOptions::hardware_fast_path)
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

/// Iterates the points of a list of variables in lexicographic order (last fastest),
/// writing them into `values` (by RankId).
class Odometer {
 public:
  Odometer(std::vector<RankId> vars, const std::vector<VarRange>& ranges, std::vector<std::int64_t>& values)
      : vars_(std::move(vars)), ranges_(ranges), values_(values) {}
  void start() {
    for (RankId v : vars_) values_[uidx(v)] = ranges_[uidx(v)].lo;
  }
  bool next() {
    for (std::size_t i = vars_.size(); i-- > 0;) {
      std::int64_t& x = values_[uidx(vars_[i])];
      if (++x < ranges_[uidx(vars_[i])].hi) return true;
      x = ranges_[uidx(vars_[i])].lo;
    }
    return false;
  }

 private:
  std::vector<RankId> vars_;
  const std::vector<VarRange>& ranges_;
  std::vector<std::int64_t>& values_;
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
/// Lanes per block with which run_dense_job runs `job` (of an Einsum writing `output`) over
/// `ranges` on the hardware MAC fast path; 0 when the job takes the generic path.
std::size_t mac_path_lanes(const Cascade& c, TensorId output, const EinsumNumerics& num, const DenseJob& job,
                           const std::vector<VarRange>& ranges);

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

// --- interpreter_mac.cpp: the hardware MAC fast path -------------------------------------

/// A factor of a hardware MAC (a real expression) or its mask (an integer one) evaluated at
/// every reduction point of a block of lanes, reduction points in the interpreter's order
/// (`reduced`, last fastest): for point r, a value per lane, or one for every lane when the
/// expression does not mention the lane variable; one entry for every point when it mentions
/// no reduced variable (point_stride() 0). A factor is stored as the
/// multiplier reads it (numeric::bf16_operand of to_bf16 of the row program's value, exactly
/// what mac_step does per MAC), a mask as 0/1. The values come from a RowProgram of the
/// expression alone, so they are the generic path's. update() rebuilds the panel only when
/// the block or a variable the expression mentions has changed: a factor that does not depend
/// on an output variable is rounded once for all of that variable's outputs.
class MacPanel {
 public:
  enum class Kind : std::uint8_t { factor, mask };
  /// `lanes`: the most lanes update() is given.
  MacPanel(const EinsumTask& task, const Expr& e, Kind kind, RankId lane, std::vector<RankId> reduced, std::size_t lanes);
  ~MacPanel();
  MacPanel(const MacPanel&) = delete;
  MacPanel& operator=(const MacPanel&) = delete;

  /// Whether `e` mentions `lane` (its panel holds a value per lane).
  static bool varies_along(const Expr& e, RankId lane, std::size_t rank_count);
  /// Brings the panel up to date for lanes lane0 .. lane0+n-1 at `values` (the other
  /// variables; the reduced ones are overwritten).
  void update(std::vector<std::int64_t>& values, std::int64_t lane0, std::size_t n);
  bool per_lane() const { return per_lane_; }
  std::size_t points() const { return points_; }
  /// How far apart the entries of consecutive reduction points are, with n lanes.
  std::size_t point_stride(std::size_t n) const;
  /// The variables other than the lane and the reduced ones whose change rebuilds the panel,
  /// and the values a rebuild computes (with `lanes` lanes).
  const std::vector<RankId>& keys() const { return keys_; }
  std::size_t rebuild_size(std::size_t lanes) const { return (per_point_ ? points_ : 1) * (per_lane_ ? lanes : 1); }
  const float* factors() const { return factors_.data(); }
  const std::int32_t* mask() const { return mask_.data(); }
  /// Mask: per lane (one value when not per_lane), whether some reduction point is unmasked.
  const std::uint8_t* any() const { return any_.data(); }

 private:
  void store_row(std::size_t at, std::size_t n);

  const EinsumTask& task_;
  Kind kind_;
  std::vector<RankId> reduced_;
  bool per_lane_ = false;
  bool per_point_ = false;  ///< mentions a reduced variable
  std::size_t points_ = 1;
  std::vector<RankId> keys_;  ///< the mentioned variables that are neither lane nor reduced
  std::vector<std::int64_t> key_;
  bool built_ = false;
  std::int64_t built_lane0_ = 0;
  std::size_t built_n_ = 0;
  std::unique_ptr<RowProgram> program_;
  int reg_ = -1;
  std::vector<float> factors_;
  std::vector<std::int32_t> mask_;
  std::vector<std::uint8_t> any_;
};

/// acc[l] = mac(acc[l], a(r, l), b(r, l)) for every reduction point r in order, for lanes
/// 0..n-1 (numeric::mac_bf16_fp32_datapath; acc holds no subnormal); where `mask` is given
/// and 0 at (r, l) the lane keeps its value. Vectorised across lanes.
void mac_panels(const MacPanel& a, const MacPanel& b, const MacPanel* mask, std::size_t n, float* acc);

}  // namespace einfuse::einsum::detail
