// Storage formats and their rounding (numeric.hpp): one integer rounding routine for every
// binary format narrower than double, so bf16, fp16 and fp32 round by the same code and no
// result depends on the host's rounding mode.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "einfuse/einsum/numeric.hpp"

namespace einfuse::einsum::numeric {
namespace {

// An IEEE binary interchange format by its field widths.
struct Layout {
  int exp_bits;
  int frac_bits;
  constexpr int bias() const { return (1 << (exp_bits - 1)) - 1; }
  constexpr int emin() const { return 1 - bias(); }
  constexpr std::uint64_t exp_field_all_ones() const {
    return ((std::uint64_t{1} << exp_bits) - 1) << frac_bits;
  }
  constexpr std::uint64_t sign_bit() const { return std::uint64_t{1} << (exp_bits + frac_bits); }
};
constexpr Layout kBf16{8, 7};
constexpr Layout kFp16{5, 10};
constexpr Layout kFp32{8, 23};
constexpr int kDoubleFracBits = 52;

// Encodes x in layout L, rounding to nearest, ties to even, with gradual underflow.
std::uint64_t encode(double x, Layout L) {
  const auto d = std::bit_cast<std::uint64_t>(x);
  const std::uint64_t sign = (d >> 63) != 0 ? L.sign_bit() : 0;
  const int dexp = static_cast<int>((d >> kDoubleFracBits) & 0x7FF);
  const std::uint64_t dfrac = d & ((std::uint64_t{1} << kDoubleFracBits) - 1);
  if (dexp == 0x7FF) {
    if (dfrac == 0) return sign | L.exp_field_all_ones();  // infinity
    // NaN: keep the top payload bits, set the quiet bit.
    const std::uint64_t payload =
        (dfrac >> (kDoubleFracBits - L.frac_bits)) | (std::uint64_t{1} << (L.frac_bits - 1));
    return sign | L.exp_field_all_ones() | payload;
  }
  if (dexp == 0 && dfrac == 0) return sign;  // signed zero

  // |x| = sig * 2^e2 exactly.
  const std::uint64_t sig = dexp == 0 ? dfrac : (dfrac | (std::uint64_t{1} << kDoubleFracBits));
  const int e2 = (dexp == 0 ? 1 : dexp) - 1023 - kDoubleFracBits;
  const int lead = 63 - std::countl_zero(sig) + e2;  // floor(log2|x|)
  const int scale = std::max(lead, L.emin());       // exponent of the target binade (or subnormals)
  const int shift = scale - L.frac_bits - e2;       // bits of sig below the target's last place

  std::uint64_t q = 0;
  if (shift <= 0) {
    q = sig << -shift;  // exact: sig has no more bits than the target
  } else if (shift < 64) {
    q = sig >> shift;
    const std::uint64_t rem = sig & ((std::uint64_t{1} << shift) - 1);
    const std::uint64_t half = std::uint64_t{1} << (shift - 1);
    if (rem > half || (rem == half && (q & 1) != 0)) ++q;
  }  // else: |x| < 2^(scale-frac-11), far below half the last place: q = 0.

  // q carries the implicit bit for normals, so adding it to (scale - emin) << frac yields the
  // biased exponent; a carry out of the significand moves into the exponent on its own.
  const std::uint64_t magnitude = (static_cast<std::uint64_t>(scale - L.emin()) << L.frac_bits) + q;
  if (magnitude >= L.exp_field_all_ones()) return sign | L.exp_field_all_ones();  // overflow
  return sign | magnitude;
}

// Decodes an encoding of layout L exactly into a double.
double decode(std::uint64_t bits, Layout L) {
  const bool negative = (bits & L.sign_bit()) != 0;
  const std::uint64_t frac = bits & ((std::uint64_t{1} << L.frac_bits) - 1);
  const auto exp_field = static_cast<int>((bits >> L.frac_bits) & ((std::uint64_t{1} << L.exp_bits) - 1));
  if (exp_field == (1 << L.exp_bits) - 1) {
    const std::uint64_t d = (negative ? std::uint64_t{1} << 63 : 0) | (std::uint64_t{0x7FF} << kDoubleFracBits) |
                            (frac << (kDoubleFracBits - L.frac_bits));
    return std::bit_cast<double>(d);  // infinity, or NaN with its payload
  }
  if (exp_field != 0) {  // a normal number: the same exponent and fraction in double's fields
    const auto exponent = static_cast<std::uint64_t>(exp_field - L.bias() + 1023);
    return std::bit_cast<double>((negative ? std::uint64_t{1} << 63 : 0) | (exponent << kDoubleFracBits) |
                                 (frac << (kDoubleFracBits - L.frac_bits)));
  }
  const double magnitude = std::ldexp(static_cast<double>(frac), L.emin() - L.frac_bits);
  return negative ? -magnitude : magnitude;
}

// x as a float when x is exactly a finite fp32 value: both conversions are then exact, so no
// rounding mode is involved. The common case of the conversions below (a value computed in
// fp32, read back), which then need no general rounding.
bool exact_fp32(double x, float& f) {
  if (!(std::fabs(x) <= static_cast<double>(std::numeric_limits<float>::max()))) return false;  // inf, NaN, overflow
  f = static_cast<float>(x);
  return static_cast<double>(f) == x;
}

// Position of an encoding on the number line: a signed integer, consecutive values one apart,
// +0 and -0 both at 0.
std::int64_t ordinal(std::uint64_t bits, Layout L) {
  const auto magnitude = static_cast<std::int64_t>(bits & (L.sign_bit() - 1));
  return (bits & L.sign_bit()) != 0 ? -magnitude : magnitude;
}

bool is_nan(std::uint64_t bits, Layout L) {
  const std::uint64_t magnitude = bits & (L.sign_bit() - 1);
  return magnitude > L.exp_field_all_ones();
}

std::uint64_t distance(std::uint64_t a, std::uint64_t b, Layout L) {
  const bool na = is_nan(a, L);
  const bool nb = is_nan(b, L);
  if (na || nb) return na && nb ? 0 : std::numeric_limits<std::uint64_t>::max();
  const std::int64_t oa = ordinal(a, L);
  const std::int64_t ob = ordinal(b, L);
  return oa > ob ? static_cast<std::uint64_t>(oa - ob) : static_cast<std::uint64_t>(ob - oa);
}

// Round to nearest integer, ties to even, saturating to int32; NaN -> 0.
double round_to_i32(double x) {
  if (std::isnan(x)) return 0.0;
  constexpr double lo = -2147483648.0;
  constexpr double hi = 2147483647.0;
  if (x <= lo) return lo;
  if (x >= hi) return hi;
  const double fl = std::floor(x);
  const double frac = x - fl;  // exact for |x| < 2^31
  double r = fl;
  if (frac > 0.5 || (frac == 0.5 && std::fmod(fl, 2.0) != 0.0)) r = fl + 1.0;
  return r == 0.0 ? 0.0 : r;  // -0.4 rounds to +0: an integer has no signed zero
}

}  // namespace

Bf16 to_bf16(double x) {
  if (float f = 0.0f; exact_fp32(x, f)) {
    // Round the fp32 pattern's low 16 bits away, to nearest, ties to even: a carry moves into
    // the exponent (up to infinity), and the subnormal grid is the same below 2^-126.
    const std::uint32_t b = fp32_bits(f);
    return Bf16{static_cast<std::uint16_t>((b + 0x7FFFu + ((b >> 16) & 1u)) >> 16)};
  }
  return Bf16{static_cast<std::uint16_t>(encode(x, kBf16))};
}
Fp16 to_fp16(double x) { return Fp16{static_cast<std::uint16_t>(encode(x, kFp16))}; }
float to_fp32(double x) {
  if (float f = 0.0f; exact_fp32(x, f)) return f;
  return fp32_from_bits(static_cast<std::uint32_t>(encode(x, kFp32)));
}

double to_double(Bf16 x) { return decode(x.bits, kBf16); }
double to_double(Fp16 x) { return decode(x.bits, kFp16); }
float to_float(Bf16 x) { return fp32_from_bits(static_cast<std::uint32_t>(x.bits) << 16); }
float to_float(Fp16 x) {
  if (is_nan(x.bits, kFp16)) {  // rebuild the NaN bit for bit: encode() would quieten it
    const std::uint32_t sign = (x.bits & 0x8000u) != 0 ? 0x80000000u : 0u;
    return fp32_from_bits(sign | 0x7F800000u | (static_cast<std::uint32_t>(x.bits & 0x3FFu) << 13));
  }
  return fp32_from_bits(static_cast<std::uint32_t>(encode(decode(x.bits, kFp16), kFp32)));  // exact
}

double round_to(DType t, double x) {
  switch (t) {
    case DType::fp64: return x;
    case DType::fp32: return decode(fp32_bits(to_fp32(x)), kFp32);
    case DType::bf16: return decode(to_bf16(x).bits, kBf16);
    case DType::fp16: return decode(encode(x, kFp16), kFp16);
    case DType::i32: return round_to_i32(x);
  }
  return x;
}

std::uint64_t ulp_distance(float a, float b) { return distance(fp32_bits(a), fp32_bits(b), kFp32); }
std::uint64_t ulp_distance(Bf16 a, Bf16 b) { return distance(a.bits, b.bits, kBf16); }
std::uint64_t ulp_distance(Fp16 a, Fp16 b) { return distance(a.bits, b.bits, kFp16); }

}  // namespace einfuse::einsum::numeric
