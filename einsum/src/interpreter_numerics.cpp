// The arithmetic of the interpreter's numerics modes, element-wise over arrays.
// The mode is dispatched once per array, not per element, so the fp64 loops stay plain
// (and vectorisable) while emulated and hardware modes call the numeric library.
#include <cmath>
#include <vector>

#include "interpreter_internal.hpp"

#include "einfuse/einsum/numeric.hpp"

// The hardware units (numeric.hpp) work on fp32 values. In hardware mode every value that
// reaches a unit is already fp32-representable (reads of wider tensors, literals and
// converted integers are rounded to fp32 first), so the conversions below are exact; they
// use the library's correctly rounded conversion anyway, so nothing depends on that.
namespace einfuse::einsum::detail {
namespace {

float f32(double x) { return numeric::to_fp32(x); }
double hw_add(double a, double b) { return numeric::add_fp32_hw(f32(a), f32(b)); }
double hw_mul(double a, double b) { return numeric::mul_fp32_hw(f32(a), f32(b)); }
double hw_div(double a, double b) { return numeric::div_hw(f32(a), f32(b)); }
double hw_max(double a, double b) { return numeric::max_hw(f32(a), f32(b)); }
// exp_mac_sequence_hw has 2^16 inputs (a bf16): its results, computed once, make exp on the
// MAC a lookup, which a softmax tile does once per score.
float exp_mac(double x) {
  static const std::vector<float> results = [] {
    std::vector<float> r(std::size_t{1} << 16);
    for (std::size_t b = 0; b < r.size(); ++b)
      r[b] = numeric::exp_mac_sequence_hw(numeric::Bf16{static_cast<std::uint16_t>(b)});
    return r;
  }();
  return results[numeric::to_bf16(x).bits];
}
// The comparator computes max; min is max of the negations (DAZ and NaN as max_hw, the
// canonical NaN kept positive).
double hw_min(double a, double b) {
  const float r = numeric::max_hw(-f32(a), -f32(b));
  return r != r ? static_cast<double>(r) : -static_cast<double>(r);
}

}  // namespace
}  // namespace einfuse::einsum::detail

namespace einfuse::einsum::detail {

namespace {
// Storage formats ordered by what they can hold: a value of `inner` is exact in `outer`.
bool holds(DType outer, DType inner) {
  if (outer == inner || outer == DType::fp64 || inner == DType::i32) return true;
  return outer == DType::fp32 && (inner == DType::bf16 || inner == DType::fp16);
}
}  // namespace

bool EinsumNumerics::must_round_read(DType t) const {
  switch (mode) {
    case Numerics::fp64: return false;
    case Numerics::emulated: return !holds(acc, t);
    case Numerics::hardware: return !holds(DType::fp32, t);
  }
  return false;
}

double round_to_dtype(DType t, double x) { return numeric::round_to(t, x); }

void round_array(DType t, std::span<double> v) {
  if (t == DType::fp64 || t == DType::i32) return;
  for (double& x : v) x = numeric::round_to(t, x);
}

double arith_constant(const EinsumNumerics& num, double x) {
  switch (num.mode) {
    case Numerics::fp64: return x;
    case Numerics::emulated: return numeric::round_to(num.acc, x);
    case Numerics::hardware: return f32(x);
  }
  return x;
}

void real_binary(const EinsumNumerics& num, Op op, std::size_t n, double* out, const double* a,
                 const double* b) {
  // max/min are exact; in hardware mode they are the comparator (DAZ, canonical NaN).
  if (num.mode == Numerics::hardware && (op == Op::max || op == Op::min)) {
    for (std::size_t i = 0; i < n; ++i) out[i] = op == Op::max ? hw_max(a[i], b[i]) : hw_min(a[i], b[i]);
    return;
  }
  if (op == Op::max) {
    for (std::size_t i = 0; i < n; ++i) out[i] = nan_max(a[i], b[i]);
    return;
  }
  if (op == Op::min) {
    for (std::size_t i = 0; i < n; ++i) out[i] = nan_min(a[i], b[i]);
    return;
  }
  if (num.mode == Numerics::hardware) {
    switch (op) {
      case Op::add: for (std::size_t i = 0; i < n; ++i) out[i] = hw_add(a[i], b[i]); return;
      case Op::sub: for (std::size_t i = 0; i < n; ++i) out[i] = hw_add(a[i], -b[i]); return;
      case Op::mul: for (std::size_t i = 0; i < n; ++i) out[i] = hw_mul(a[i], b[i]); return;
      case Op::div: for (std::size_t i = 0; i < n; ++i) out[i] = hw_div(a[i], b[i]); return;
      default: break;
    }
  } else {
    switch (op) {
      case Op::add: for (std::size_t i = 0; i < n; ++i) out[i] = a[i] + b[i]; break;
      case Op::sub: for (std::size_t i = 0; i < n; ++i) out[i] = a[i] - b[i]; break;
      case Op::mul: for (std::size_t i = 0; i < n; ++i) out[i] = a[i] * b[i]; break;
      case Op::div: for (std::size_t i = 0; i < n; ++i) out[i] = a[i] / b[i]; break;
      default: return;
    }
    // Each result computed exactly-then-rounded: for + - * / one rounding from double is
    // the correctly rounded narrow result (double has more than 2p+2 bits for p <= 24).
    if (num.mode == Numerics::emulated) round_array(num.acc, std::span<double>(out, n));
  }
}

void real_unary(const EinsumNumerics& num, Op op, std::size_t n, double* out, const double* a) {
  switch (op) {
    case Op::neg: for (std::size_t i = 0; i < n; ++i) out[i] = -a[i]; return;
    case Op::abs: for (std::size_t i = 0; i < n; ++i) out[i] = std::fabs(a[i]); return;
    default: break;
  }
  if (num.mode == Numerics::hardware) {
    switch (op) {
      case Op::exp:
        if (num.exp == ExpAlgorithm::mac_sequence) {
          for (std::size_t i = 0; i < n; ++i) out[i] = exp_mac(a[i]);
        } else {
          for (std::size_t i = 0; i < n; ++i) out[i] = numeric::exp_hw(f32(a[i]));
        }
        return;
      case Op::recip: for (std::size_t i = 0; i < n; ++i) out[i] = numeric::recip_hw(f32(a[i])); return;
      // No sqrt unit is modelled: the correctly rounded fp32 square root.
      case Op::sqrt: for (std::size_t i = 0; i < n; ++i) out[i] = f32(std::sqrt(a[i])); return;
      default: return;
    }
  }
  switch (op) {
    case Op::exp: for (std::size_t i = 0; i < n; ++i) out[i] = std::exp(a[i]); break;
    case Op::recip: for (std::size_t i = 0; i < n; ++i) out[i] = 1.0 / a[i]; break;
    case Op::sqrt: for (std::size_t i = 0; i < n; ++i) out[i] = std::sqrt(a[i]); break;
    default: return;
  }
  if (num.mode == Numerics::emulated) round_array(num.acc, std::span<double>(out, n));
}

double sum_step(const EinsumNumerics& num, double acc, double x) {
  switch (num.mode) {
    case Numerics::fp64: return acc + x;
    case Numerics::emulated: return numeric::round_to(num.acc, acc + x);
    case Numerics::hardware: return hw_add(acc, x);
  }
  return acc + x;
}

double max_step(const EinsumNumerics& num, double a, double b) {
  return num.mode == Numerics::hardware ? hw_max(a, b) : nan_max(a, b);
}
double min_step(const EinsumNumerics& num, double a, double b) {
  return num.mode == Numerics::hardware ? hw_min(a, b) : nan_min(a, b);
}

double mac_step(double acc, double a, double b) {
  return numeric::mac_bf16_fp32(f32(acc), numeric::to_bf16(a), numeric::to_bf16(b));
}

}  // namespace einfuse::einsum::detail
