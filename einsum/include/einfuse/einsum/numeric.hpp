// The one numeric library that the interpreter, the SystemC models and the RTL testbenches
// share, bit for bit: the storage formats (bf16, fp16, fp32) with their rounding, and
// bit-exact models of the accelerator's arithmetic units (MAC, fp32 add/mul/max, exp,
// reciprocal, divide). docs/numerics.md gives every unit as a numbered op sequence, the
// special-case table and the measured error of each unit.
//
// Conversions (to_bf16, to_fp16, to_fp32, round_to) are IEEE 754 format conversions: round to
// nearest, ties to even, gradual underflow, overflow to infinity, NaN kept as a quiet NaN.
// They are computed with integer operations (a double that is exactly an fp32 value goes
// through float, both ways exact), so they do not depend on the host's rounding mode.
//
// The hardware units follow three rules, so that no subnormal and no NaN payload ever leaves
// a unit:
//   - subnormal inputs are read as zero of the same sign (DAZ);
//   - a result whose magnitude, after rounding to 24 significant bits as if the exponent
//     range were unbounded, is below 2^-126 is flushed to zero of the same sign (FTZ);
//   - every NaN result is the canonical NaN 0x7FC00000.
// The units assume the host runs in its default floating-point environment (round to
// nearest, no FTZ/DAZ flags) and are compiled with -ffp-contract=off.
#pragma once

#include <array>
#include <bit>
#include <cstdint>

#include "einfuse/einsum/dtype.hpp"

namespace einfuse::einsum::numeric {

// --- formats ------------------------------------------------------------------------------

/// A bfloat16 value as its bit pattern (1 sign, 8 exponent, 7 fraction bits). == compares bits.
struct Bf16 {
  std::uint16_t bits = 0;
  friend bool operator==(Bf16, Bf16) = default;
};
/// An IEEE binary16 value as its bit pattern (1 sign, 5 exponent, 10 fraction bits).
struct Fp16 {
  std::uint16_t bits = 0;
  friend bool operator==(Fp16, Fp16) = default;
};

inline constexpr std::uint32_t kCanonicalNanBits = 0x7FC00000u;  ///< what every unit returns for NaN
inline constexpr std::uint16_t kBf16CanonicalNanBits = 0x7FC0u;  ///< the same NaN rounded to bf16

constexpr std::uint32_t fp32_bits(float x) { return std::bit_cast<std::uint32_t>(x); }
constexpr float fp32_from_bits(std::uint32_t b) { return std::bit_cast<float>(b); }

/// double -> format, round to nearest even in one step (never through float).
Bf16 to_bf16(double x);
Fp16 to_fp16(double x);
float to_fp32(double x);

/// format -> wider format, exact (NaNs keep sign and payload; signalling stays signalling).
double to_double(Bf16 x);
double to_double(Fp16 x);
float to_float(Bf16 x);
float to_float(Fp16 x);

/// The value of dtype t nearest to x: what the interpreter's emulated mode applies after every
/// op. fp64: x unchanged. fp32/bf16/fp16: the conversions above, read back as double.
/// i32: round to nearest integer, ties to even, saturated to [-2^31, 2^31-1]; NaN -> 0.
double round_to(DType t, double x);

/// Number of representable values between a and b, counting across zero (+0 and -0 are the
/// same point): 0 when equal, 1 for neighbours. Both NaN -> 0; exactly one NaN -> UINT64_MAX.
std::uint64_t ulp_distance(float a, float b);
std::uint64_t ulp_distance(Bf16 a, Bf16 b);
std::uint64_t ulp_distance(Fp16 a, Fp16 b);

// --- hardware unit models -----------------------------------------------------------------

/// x, with a subnormal read as zero of its sign (the units' DAZ/FTZ step). Branch-free.
constexpr float flush_subnormal(float x) {
  const std::uint32_t b = fp32_bits(x);
  return fp32_from_bits((b & 0x7F800000u) == 0 ? b & 0x80000000u : b);
}

/// fp32 adder: DAZ inputs, a + b rounded to nearest even, FTZ result, canonical NaN.
/// An exact zero sum is +0 unless both inputs are -0.
float add_fp32_hw(float a, float b);
/// fp32 multiplier: DAZ inputs, a * b rounded to nearest even, FTZ result, canonical NaN.
float mul_fp32_hw(float a, float b);
/// Comparator: DAZ inputs; NaN in either -> canonical NaN; max(-0, +0) = +0.
float max_hw(float a, float b);

/// bf16 x bf16 + fp32 MAC = add_fp32_hw(acc, mul_fp32_hw(float(a), float(b))). The product
/// has at most 16 significant bits, so it is exact unless it leaves the fp32 normal range;
/// for every product of magnitude in [2^-126, FLT_MAX] (or zero) this is acc + a*b with one
/// rounding. A product below 2^-126 is flushed to zero before the add.
float mac_bf16_fp32(float acc, Bf16 a, Bf16 b);

/// A bf16 MAC operand as the multiplier reads it: its fp32 value, a subnormal read as zero.
inline float bf16_operand(Bf16 x) { return flush_subnormal(to_float(x)); }

/// The MAC's datapath, the one definition mac_bf16_fp32 runs: = mac_bf16_fp32(acc, a, b) for
/// operands given as bf16_operand() values and an accumulator that is not subnormal (every
/// unit result and 0 qualify; flush_subnormal makes any fp32 one). Why the host's fp32 ops
/// give the unit's bits: a bf16 x bf16 product has at most 16 significant bits, so a * b is
/// exact in the normal range, is +-inf exactly where the exact product exceeds FLT_MAX, and
/// below 2^-126 never rounds up to 2^-126 (the largest 16-bit product below it is
/// 2^-126 - 2^-142), so flushing it is the multiplier's FTZ with the product's sign; the add
/// is then the only rounding, NaN (NaN operands, 0 * inf, inf - inf) leaves as the canonical
/// NaN. Inline and branch-free: a loop of it over lanes vectorises, and every op in it is a
/// single IEEE op or a bit operation, so any SIMD width gives the same bits (compiled with
/// -ffp-contract=off: a * b must not fuse with the add).
inline float mac_bf16_fp32_datapath(float acc, float a, float b) {
  const float s = acc + flush_subnormal(a * b);
  return s != s ? fp32_from_bits(kCanonicalNanBits) : flush_subnormal(s);
}

/// Exp unit (softmax): 2^n * T[i] * q(r) with t = x*log2(e), n = floor(t), f = t - n,
/// i = floor(64 f), r = f - i/64 (docs/numerics.md, "exp unit").
float exp_hw(float x);
/// round_to_bf16(exp_hw(float(x))).
Bf16 exp_hw_bf16(Bf16 x);

/// Reciprocal unit: 64-entry seed table indexed by the top 6 fraction bits, then two
/// Newton-Raphson steps y' = y*(2 - m*y) on the significand m in [1,2); exponent separately.
float recip_hw(float x);
/// round_to_bf16(recip_hw(float(x))).
Bf16 recip_hw_bf16(Bf16 x);
/// mul_fp32_hw(a, recip_hw(b)).
float div_hw(float a, float b);

inline constexpr int kExpTableBits = 6;    ///< exp table: 2^6 = 64 entries
inline constexpr int kRecipTableBits = 6;  ///< reciprocal seed table: 64 entries

/// The exp unit's constants (built once, deterministically, from IEEE basic operations only).
struct ExpUnitConstants {
  float log2e = 0.0f;                            ///< log2(e) rounded to fp32
  std::array<float, 1 << kExpTableBits> table{};  ///< T[i] = 2^(i/64) rounded to fp32
  std::array<float, 3> coeff{};                  ///< q(r) = coeff[0] + r*(coeff[1] + r*coeff[2])
};
const ExpUnitConstants& exp_unit_constants();

/// The reciprocal unit's seed table: seed[i] = 1/(1 + (i + 1/2)/64) rounded to fp32.
struct RecipUnitConstants {
  std::array<float, 1 << kRecipTableBits> seed{};
};
const RecipUnitConstants& recip_unit_constants();

/// Every intermediate value of one exp_hw evaluation, for comparing RTL step by step.
/// `special` is true when a special case decided the result and the pipeline fields are unset.
struct ExpSteps {
  bool special = false;
  float t = 0.0f;   ///< x * log2e
  int n = 0;        ///< floor(t), +1 if f rounded up to 1
  float f = 0.0f;   ///< t - n, in [0, 1)
  int i = 0;        ///< floor(64 f)
  float r = 0.0f;   ///< f - i/64, in [0, 1/64)
  float q = 0.0f;   ///< quadratic, Horner
  float m = 0.0f;   ///< T[i] * q
  float result = 0.0f;
};
ExpSteps exp_hw_steps(float x);

/// Every intermediate value of one recip_hw evaluation.
struct RecipSteps {
  bool special = false;
  float m = 0.0f;   ///< significand of |x|, in [1, 2)
  int e = 0;        ///< |x| = m * 2^e
  int i = 0;        ///< seed index: top 6 fraction bits of m
  float y0 = 0.0f;  ///< seed
  float y1 = 0.0f;  ///< after Newton step 1
  float y2 = 0.0f;  ///< after Newton step 2
  float result = 0.0f;
};
RecipSteps recip_hw_steps(float x);

// --- exp as a MAC sequence (the FuseMax 2D array's PE) ------------------------------------
//
// The 2D array has no exp unit; a PE computes exp on its own bf16 MAC (mac_bf16_fp32) and
// fp32 adder (add_fp32_hw): 6 MACs + 1 add, the cost the FuseMax evaluation charges. Cody-Waite
// range reduction in the x domain, x = n*ln2 + r, then exp(r) = (1 + r) + r*(r*(h0 + h1*r)),
// with 1 + r kept in fp32 in the last MAC's accumulator. docs/numerics.md, "exp on the MAC".

inline constexpr int kExpMacSequenceMacs = 6;  ///< mac_bf16_fp32 calls per evaluation
inline constexpr int kExpMacSequenceAdds = 1;  ///< add_fp32_hw calls per evaluation

/// The sequence's constants: every one a bf16 multiplier operand, built once at first use from
/// IEEE basic operations only. h0, h1 come from a least-squares fit computed in code.
struct ExpMacConstants {
  Bf16 log2e;   ///< log2(e) rounded to bf16 (picks n only; its error widens r, never biases it)
  Bf16 ln2_hi;  ///< ln2 rounded to bf16
  Bf16 ln2_lo;  ///< ln2 - ln2_hi rounded to bf16
  std::array<Bf16, 2> h{};  ///< (e^r - 1 - r) / r^2 ~ h[0] + h[1]*r
  double fit_lo = 0.0;      ///< the fit's interval of r: [-ln2/2, ln2/2]
  double fit_hi = 0.0;
};
const ExpMacConstants& exp_mac_sequence_constants();

/// Every intermediate of one exp_mac_sequence_hw evaluation. bf16 fields are the values rounded
/// (nearest even) at a multiplier input. `special` is true when a special case decided the result.
struct ExpMacSteps {
  bool special = false;
  float t = 0.0f;  ///< MAC 1: x * log2e_bf16 (exact)
  int n = 0;       ///< round-to-nearest-even integer of t
  float a = 0.0f;  ///< MAC 2: x - n*ln2_hi (exact)
  float r = 0.0f;  ///< MAC 3: a - n*ln2_lo
  float u = 0.0f;  ///< ADD: r + 1
  Bf16 rb;         ///< bf16(r)
  float p = 0.0f;  ///< MAC 4: h0 + rb*h1
  Bf16 pb;         ///< bf16(p)
  float g = 0.0f;  ///< MAC 5: 0 + rb*pb
  Bf16 gb;         ///< bf16(g)
  float e = 0.0f;  ///< MAC 6: u + rb*gb ~ exp(r)
  float result = 0.0f;  ///< e * 2^n (exact; FTZ below 2^-126, inf above FLT_MAX)
};
ExpMacSteps exp_mac_sequence_hw_steps(Bf16 x);
/// fp32 result of the 6-MAC + 1-add sequence.
float exp_mac_sequence_hw(Bf16 x);
/// to_bf16(exp_mac_sequence_hw(x)): within 1 bf16 ulp of the correctly rounded exp for every bf16 x.
Bf16 exp_mac_sequence_hw_bf16(Bf16 x);

}  // namespace einfuse::einsum::numeric
