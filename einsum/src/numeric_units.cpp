// Bit-exact models of the accelerator's arithmetic units (numeric.hpp, docs/numerics.md).
// Each unit is a fixed sequence of the hardware's own fp32 adds and multiplies (DAZ inputs,
// round to nearest even, FTZ results, canonical NaN), so an RTL built from the same adder and
// multiplier, the same tables and the same order reproduces these results bit for bit.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>

#include "einfuse/einsum/numeric.hpp"

namespace einfuse::einsum::numeric {
namespace {

constexpr float kFltMin = std::numeric_limits<float>::min();  // 2^-126
constexpr float kFltMax = std::numeric_limits<float>::max();
constexpr float kInf = std::numeric_limits<float>::infinity();

float canonical_nan() { return fp32_from_bits(kCanonicalNanBits); }

// Rounds an exact result held in a double (finite, and zero or a double normal, as every
// product of two fp32 values is) to 24 significant bits as if the exponent range were
// unbounded; then overflow -> inf and |r| < 2^-126 -> zero of the same sign. Integer
// rounding on the double's bits: no host rounding mode involved.
float round_fp32_ftz(double exact) {
  if (exact == 0.0) return static_cast<float>(exact);  // signed zero, exact
  constexpr int drop = 52 - 23;
  std::uint64_t keep = std::bit_cast<std::uint64_t>(exact) >> drop;  // sign, exponent, 23 bits
  const std::uint64_t rem = std::bit_cast<std::uint64_t>(exact) & ((std::uint64_t{1} << drop) - 1);
  const std::uint64_t half = std::uint64_t{1} << (drop - 1);
  if (rem > half || (rem == half && (keep & 1) != 0)) ++keep;  // a carry moves into the exponent
  const double r = std::bit_cast<double>(keep << drop);
  if (std::fabs(r) > static_cast<double>(kFltMax)) return std::copysign(kInf, static_cast<float>(r));
  if (std::fabs(r) < static_cast<double>(kFltMin)) return std::copysign(0.0f, static_cast<float>(r));
  return static_cast<float>(r);  // exact: 24 bits, normal range
}

// m * 2^n for a normal m, exactly, with FTZ below 2^-126 and inf above FLT_MAX: the units'
// exponent adjust, which never rounds.
float scale_pow2_ftz(float m, int n) {
  const double v = std::ldexp(static_cast<double>(m), n);  // exact in double for |n| < 900
  if (std::fabs(v) > static_cast<double>(kFltMax)) return std::copysign(kInf, m);
  if (std::fabs(v) < static_cast<double>(kFltMin)) return std::copysign(0.0f, m);
  return static_cast<float>(v);  // exact
}

float sub_fp32_hw(float a, float b) { return add_fp32_hw(a, -b); }

// --- constants, from IEEE basic operations only (deterministic on any IEEE-754 host) -------

// 2^(i/64) in double: the product of 2^(2^-k) for the set bits of i, each 2^(2^-k) obtained
// by k successive correctly rounded square roots of 2. Error a few ulp of double, far below
// half an fp32 ulp; tests check every entry against a long double reference.
double two_to_i_over_64(int i) {
  std::array<double, kExpTableBits + 1> root{};  // root[k] = 2^(2^-k)
  root[0] = 2.0;
  for (int k = 1; k <= kExpTableBits; ++k) root[k] = std::sqrt(root[k - 1]);
  double v = 1.0;
  for (int bit = kExpTableBits - 1; bit >= 0; --bit) {  // most significant bit first
    if ((i >> bit) & 1) v *= root[kExpTableBits - bit];
  }
  return v;
}

// 2^(s/64) for s in [0, 1] by its Taylor series in z = s*ln2/64 <= 0.011 (12 terms: the
// truncation is below 1e-30), evaluated in double.
double two_to_s_over_64(double s) {
  const double z = s * std::numbers::ln2 / 64.0;
  double e = 1.0;
  for (int k = 12; k >= 1; --k) e = 1.0 + z * e / k;
  return e;
}

// Fits q(r) = c0 + c1 r + c2 r^2 to 2^r on [0, 1/64): weighted least squares of the relative
// error over s = 64 r in (0, 1) at J midpoint nodes with the Chebyshev weight 1/sqrt(s(1-s)),
// which gives a near-minimax fit. Coefficients are rounded to fp32 one at a time, lowest
// degree first, and the remaining ones refitted after each rounding, so the rounded set is
// still a good fit. Fitting in s keeps the normal equations well conditioned;
// c_k = d_k / 64^k is exact.
std::array<float, 3> fit_exp_quadratic() {
  constexpr int J = 512;
  double d[3] = {0.0, 0.0, 0.0};  // coefficients in s
  std::array<float, 3> c{};
  for (int fixed = 0; fixed < 3; ++fixed) {
    // Unknowns d[fixed..2]; the target minus the already fixed terms on the right.
    const int n = 3 - fixed;
    double a[3][4] = {};  // augmented normal equations
    for (int j = 0; j < J; ++j) {
      const double s = (j + 0.5) / J;
      const double g = two_to_s_over_64(s);
      const double w = 1.0 / std::sqrt(s * (1.0 - s)) / (g * g);  // relative error, Chebyshev weight
      const double phi[3] = {1.0, s, s * s};
      double rhs = g;
      for (int k = 0; k < fixed; ++k) rhs -= d[k] * phi[k];
      for (int r = 0; r < n; ++r) {
        for (int col = 0; col < n; ++col) a[r][col] += w * phi[fixed + r] * phi[fixed + col];
        a[r][3] += w * phi[fixed + r] * rhs;
      }
    }
    // Gaussian elimination with partial pivoting on the n x n system, then back substitution.
    for (int p = 0; p < n; ++p) {
      int best = p;
      for (int r = p + 1; r < n; ++r) {
        if (std::fabs(a[r][p]) > std::fabs(a[best][p])) best = r;
      }
      for (int col = 0; col < 4; ++col) std::swap(a[p][col], a[best][col]);
      for (int r = p + 1; r < n; ++r) {
        const double f = a[r][p] / a[p][p];
        for (int col = p; col < n; ++col) a[r][col] -= f * a[p][col];
        a[r][3] -= f * a[p][3];
      }
    }
    double sol[3] = {0.0, 0.0, 0.0};
    for (int r = n - 1; r >= 0; --r) {
      double v = a[r][3];
      for (int col = r + 1; col < n; ++col) v -= a[r][col] * sol[col];
      sol[r] = v / a[r][r];
    }
    // Round the lowest free coefficient (in r: c_k = d_k * 64^k, exact) and keep it fixed.
    c[fixed] = to_fp32(std::ldexp(sol[0], 6 * fixed));
    d[fixed] = std::ldexp(static_cast<double>(c[fixed]), -6 * fixed);
  }
  return c;
}

ExpUnitConstants make_exp_constants() {
  ExpUnitConstants k;
  k.log2e = to_fp32(std::numbers::log2e);
  for (int i = 0; i < (1 << kExpTableBits); ++i) k.table[i] = to_fp32(two_to_i_over_64(i));
  k.coeff = fit_exp_quadratic();
  return k;
}

RecipUnitConstants make_recip_constants() {
  RecipUnitConstants k;
  constexpr int n = 1 << kRecipTableBits;
  // 1 / midpoint of [1 + i/64, 1 + (i+1)/64): equal relative error at both ends of the interval.
  for (int i = 0; i < n; ++i) k.seed[i] = to_fp32(2.0 * n / (2.0 * n + 2.0 * i + 1.0));
  return k;
}

bool is_nan_bits(std::uint32_t b) { return (b & 0x7FFFFFFFu) > 0x7F800000u; }

}  // namespace

const ExpUnitConstants& exp_unit_constants() {
  static const ExpUnitConstants k = make_exp_constants();
  return k;
}

const RecipUnitConstants& recip_unit_constants() {
  static const RecipUnitConstants k = make_recip_constants();
  return k;
}

// --- basic units ---------------------------------------------------------------------------

float add_fp32_hw(float a, float b) {
  // With both inputs normal (or zero) the exact sum is a multiple of 2^-149, so an IEEE add
  // rounds only in the normal range and flushing its result afterwards is the FTZ rule.
  const float s = flush_subnormal(a) + flush_subnormal(b);
  if (std::isnan(s)) return canonical_nan();
  return flush_subnormal(s);
}

float mul_fp32_hw(float a, float b) {
  const double p = static_cast<double>(flush_subnormal(a)) * static_cast<double>(flush_subnormal(b));  // exact
  if (std::isnan(p)) return canonical_nan();
  if (std::isinf(p)) return static_cast<float>(p);
  return round_fp32_ftz(p);
}

float max_hw(float a, float b) {
  a = flush_subnormal(a);
  b = flush_subnormal(b);
  if (std::isnan(a) || std::isnan(b)) return canonical_nan();
  if (a > b) return a;
  if (b > a) return b;
  if (a == 0.0f) return (std::signbit(a) && std::signbit(b)) ? -0.0f : 0.0f;
  return a;
}

// = add_fp32_hw(acc, mul_fp32_hw(to_float(a), to_float(b))): the datapath (numeric.hpp) says
// why. Tests check it against that composition for every bf16 a (test_interpreter_mac.cpp)
// and against two independent formulations (test_numeric_units.cpp).
float mac_bf16_fp32(float acc, Bf16 a, Bf16 b) {
  return mac_bf16_fp32_datapath(flush_subnormal(acc), bf16_operand(a), bf16_operand(b));
}

// --- exp -----------------------------------------------------------------------------------

ExpSteps exp_hw_steps(float x) {
  const ExpUnitConstants& k = exp_unit_constants();
  ExpSteps s;
  x = flush_subnormal(x);
  auto special = [&](float r) {
    s.special = true;
    s.result = r;
    return s;
  };
  if (std::isnan(x)) return special(canonical_nan());
  if (std::isinf(x)) return special(x > 0 ? kInf : 0.0f);
  s.t = mul_fp32_hw(x, k.log2e);
  // Outside (-150, 128) the pipeline below would flush to 0 or overflow anyway; deciding it
  // here keeps n a small integer.
  if (s.t >= 128.0f) return special(kInf);
  if (s.t <= -150.0f) return special(0.0f);
  s.n = static_cast<int>(std::floor(s.t));
  s.f = sub_fp32_hw(s.t, static_cast<float>(s.n));
  if (s.f >= 1.0f) {  // t in [-2^-25, 0): t + 1 rounded up to 1
    s.f = 0.0f;
    s.n += 1;
  }
  s.i = static_cast<int>(std::floor(s.f * 64.0f));                    // f*64 is exact
  s.r = sub_fp32_hw(s.f, static_cast<float>(s.i) / 64.0f);             // exact (Sterbenz)
  const float p1 = mul_fp32_hw(k.coeff[2], s.r);
  const float p2 = add_fp32_hw(p1, k.coeff[1]);
  const float p3 = mul_fp32_hw(p2, s.r);
  s.q = add_fp32_hw(p3, k.coeff[0]);
  s.m = mul_fp32_hw(k.table[s.i], s.q);
  s.result = scale_pow2_ftz(s.m, s.n);
  return s;
}

float exp_hw(float x) { return exp_hw_steps(x).result; }

Bf16 exp_hw_bf16(Bf16 x) { return to_bf16(static_cast<double>(exp_hw(to_float(x)))); }

// --- reciprocal and divide -----------------------------------------------------------------

RecipSteps recip_hw_steps(float x) {
  const RecipUnitConstants& k = recip_unit_constants();
  RecipSteps s;
  x = flush_subnormal(x);
  const std::uint32_t b = fp32_bits(x);
  const std::uint32_t sign = b & 0x80000000u;
  auto special = [&](std::uint32_t magnitude_bits) {
    s.special = true;
    s.result = fp32_from_bits(sign | magnitude_bits);
    return s;
  };
  if (is_nan_bits(b)) {
    s.special = true;
    s.result = canonical_nan();
    return s;
  }
  const std::uint32_t magnitude = b & 0x7FFFFFFFu;
  if (magnitude == 0) return special(0x7F800000u);           // 1/±0 = ±inf
  if (magnitude == 0x7F800000u) return special(0u);          // 1/±inf = ±0
  const std::uint32_t frac = b & 0x007FFFFFu;
  s.e = static_cast<int>(magnitude >> 23) - 127;
  s.m = fp32_from_bits(0x3F800000u | frac);
  s.i = static_cast<int>(frac >> (23 - kRecipTableBits));
  s.y0 = k.seed[s.i];
  auto newton = [&](float y) { return mul_fp32_hw(y, sub_fp32_hw(2.0f, mul_fp32_hw(s.m, y))); };
  s.y1 = newton(s.y0);
  s.y2 = newton(s.y1);
  const float r = scale_pow2_ftz(s.y2, -s.e);
  s.result = sign != 0 ? -r : r;
  return s;
}

float recip_hw(float x) { return recip_hw_steps(x).result; }

Bf16 recip_hw_bf16(Bf16 x) { return to_bf16(static_cast<double>(recip_hw(to_float(x)))); }

float div_hw(float a, float b) { return mul_fp32_hw(a, recip_hw(b)); }

}  // namespace einfuse::einsum::numeric
