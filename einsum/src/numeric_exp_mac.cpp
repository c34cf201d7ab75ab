// exp as a sequence of 6 bf16 MACs and 1 fp32 add: the FuseMax 2D array's PE, which has no exp
// unit (numeric.hpp, docs/numerics.md "exp on the MAC"). Every multiply-accumulate is a call of
// mac_bf16_fp32, the add is add_fp32_hw, and every fp32 value that feeds a multiplier input is
// first rounded to bf16 (nearest even) where the op list says so. The rest (round t to an
// integer, n as a bf16 operand, the 2^n scaling) is integer work on exponent fields.
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>

#include "einfuse/einsum/numeric.hpp"

namespace einfuse::einsum::numeric {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr double kFltMin = 0x1p-126;
constexpr double kFltMax = static_cast<double>(std::numeric_limits<float>::max());

// |t| at or beyond this decides the result without the pipeline (0 or inf); it keeps n within
// the integers that bf16 holds exactly (|n| <= 256).
constexpr float kTLimitLow = -150.0f;
constexpr float kTLimitHigh = 192.0f;

Bf16 neg(Bf16 b) { return Bf16{static_cast<std::uint16_t>(b.bits ^ 0x8000u)}; }
Bf16 bf16_of(float v) { return to_bf16(static_cast<double>(v)); }  // fp32 -> bf16, nearest even: exact conversion

// e^r in double for |r| < 1 by its Taylor series (20 terms: truncation below 1e-19 relative).
double exp_series(double r) {
  double e = 1.0;
  for (int k = 20; k >= 1; --k) e = 1.0 + r * e / k;
  return e;
}

// Fits h(r) = (e^r - 1 - r)/r^2 ~ h0 + h1 r on [lo, hi] so that 1 + r + r^2 (h0 + h1 r) has a
// small relative error: weighted least squares on J midpoint nodes, weight 1/sqrt(s(1-s))
// (Chebyshev, s the node's position in [0, 1]: near-minimax) times 1/e^(2r) (relative error).
// h0 is rounded to bf16 first, then h1 refitted with h0 fixed and rounded.
std::array<Bf16, 2> fit_h(double lo, double hi) {
  constexpr int J = 512;
  std::array<Bf16, 2> h{};
  double fixed_h0 = 0.0;
  for (int stage = 0; stage < 2; ++stage) {
    // normal equations for the free unknowns: stage 0: (h0, h1); stage 1: h1 only
    double a00 = 0.0, a01 = 0.0, a11 = 0.0, b0 = 0.0, b1 = 0.0;
    for (int j = 0; j < J; ++j) {
      const double s = (j + 0.5) / J;
      const double r = lo + (hi - lo) * s;
      const double e = exp_series(r);
      const double w = 1.0 / std::sqrt(s * (1.0 - s)) / (e * e);
      const double phi0 = r * r, phi1 = r * r * r;  // terms of h0 and h1 in exp(r)
      double target = e - 1.0 - r;
      if (stage == 1) target -= fixed_h0 * phi0;
      a00 += w * phi0 * phi0;
      a01 += w * phi0 * phi1;
      a11 += w * phi1 * phi1;
      b0 += w * phi0 * target;
      b1 += w * phi1 * target;
    }
    if (stage == 0) {
      const double det = a00 * a11 - a01 * a01;
      h[0] = to_bf16((b0 * a11 - b1 * a01) / det);
      fixed_h0 = to_double(h[0]);
    } else {
      h[1] = to_bf16(b1 / a11);
    }
  }
  return h;
}

ExpMacConstants make_constants() {
  ExpMacConstants k;
  k.log2e = to_bf16(std::numbers::log2e);
  k.ln2_hi = to_bf16(std::numbers::ln2);
  k.ln2_lo = to_bf16(std::numbers::ln2 - to_double(k.ln2_hi));  // the difference is exact in double
  // Round-to-nearest reduction with an exact log2(e) leaves r in [-ln2/2, ln2/2]; the bf16
  // log2(e) that picks n widens it for large |x| (up to ~0.507 at x = -88), which stays within
  // the error budget (measured), so the fit covers the nominal interval.
  k.fit_lo = -std::numbers::ln2 / 2;
  k.fit_hi = std::numbers::ln2 / 2;
  k.h = fit_h(k.fit_lo, k.fit_hi);
  return k;
}

// Round a finite t with |t| < 2^23 to the nearest integer, ties to even (integer logic on the
// significand in hardware; no host rounding mode involved here).
int round_to_integer(float t) {
  const double fl = std::floor(static_cast<double>(t));
  const double d = static_cast<double>(t) - fl;  // exact, in [0, 1)
  const bool odd = std::fmod(fl, 2.0) != 0.0;
  return static_cast<int>(fl) + ((d > 0.5 || (d == 0.5 && odd)) ? 1 : 0);
}

// m * 2^n exactly (an exponent-field add), FTZ below 2^-126, inf above FLT_MAX.
float scale_pow2_ftz(float m, int n) {
  const double v = std::ldexp(static_cast<double>(m), n);
  if (std::fabs(v) > kFltMax) return std::copysign(kInf, m);
  if (std::fabs(v) < kFltMin) return std::copysign(0.0f, m);
  return static_cast<float>(v);
}

}  // namespace

const ExpMacConstants& exp_mac_sequence_constants() {
  static const ExpMacConstants k = make_constants();
  return k;
}

ExpMacSteps exp_mac_sequence_hw_steps(Bf16 x) {
  const ExpMacConstants& k = exp_mac_sequence_constants();
  ExpMacSteps s;
  auto special = [&](float v) {
    s.special = true;
    s.result = v;
    return s;
  };
  // 0. DAZ; specials
  if ((x.bits & 0x7F80u) == 0) x.bits &= 0x8000u;  // subnormal -> signed zero
  const float xf = to_float(x);
  if (std::isnan(xf)) return special(fp32_from_bits(kCanonicalNanBits));
  if (std::isinf(xf)) return special(xf > 0 ? kInf : 0.0f);
  // 1. MAC 1: t = 0 + x*log2e (a product of two bf16: exact)
  s.t = mac_bf16_fp32(0.0f, x, k.log2e);
  if (s.t <= kTLimitLow) return special(0.0f);   // exp(x) < 2^-126 by far: FTZ
  if (s.t >= kTLimitHigh) return special(kInf);  // exp(x) > FLT_MAX by far
  // 2. n = nearest integer to t; N = n as a bf16 operand (|n| < 192: exact)
  s.n = round_to_integer(s.t);
  const Bf16 nb = to_bf16(static_cast<double>(s.n));
  // 3. MAC 2: a = x - n*ln2_hi (exact: n*ln2_hi is a multiple of 2^-8 and |a| < 1)
  s.a = mac_bf16_fp32(xf, nb, neg(k.ln2_hi));
  // 4. MAC 3: r = a - n*ln2_lo (rounded once)
  s.r = mac_bf16_fp32(s.a, nb, neg(k.ln2_lo));
  // 5. ADD: u = r + 1 (fp32: the linear part of exp(r) keeps r's full fp32 precision)
  s.u = add_fp32_hw(s.r, 1.0f);
  // 6. rb = bf16(r), the multiplier operand of MACs 4-6
  s.rb = bf16_of(s.r);
  // 7. MAC 4: p = h0 + rb*h1 ~ h(r)
  s.p = mac_bf16_fp32(to_float(k.h[0]), s.rb, k.h[1]);
  s.pb = bf16_of(s.p);
  // 8. MAC 5: g = 0 + rb*pb ~ r*h(r) (= (e^r - 1 - r)/r)
  s.g = mac_bf16_fp32(0.0f, s.rb, s.pb);
  s.gb = bf16_of(s.g);
  // 9. MAC 6: e = u + rb*gb ~ e^r
  s.e = mac_bf16_fp32(s.u, s.rb, s.gb);
  // 10. result = e * 2^n (exponent add; FTZ / overflow)
  s.result = scale_pow2_ftz(s.e, s.n);
  return s;
}

float exp_mac_sequence_hw(Bf16 x) { return exp_mac_sequence_hw_steps(x).result; }

Bf16 exp_mac_sequence_hw_bf16(Bf16 x) { return to_bf16(static_cast<double>(exp_mac_sequence_hw(x))); }

}  // namespace einfuse::einsum::numeric
