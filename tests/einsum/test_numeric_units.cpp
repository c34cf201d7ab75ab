// Hardware unit models (numeric.hpp): special-case tables, the MAC against an independent
// formulation over a million random vectors, exp and reciprocal over every bf16 input against
// correctly rounded references, and fp32 accuracy over dense samples. The error bounds asserted
// here are the ones measured and published in docs/numerics.md; the hidden test
// "numeric accuracy report" prints that table: einsum_tests "[numeric-report]".
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>

#include "einfuse/einsum/numeric.hpp"

using namespace einfuse::einsum::numeric;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kFltMin = std::numeric_limits<float>::min();
constexpr float kFltMax = std::numeric_limits<float>::max();
constexpr std::uint32_t kCanon = kCanonicalNanBits;

std::uint32_t bits(float x) { return std::bit_cast<std::uint32_t>(x); }
float from(std::uint32_t b) { return std::bit_cast<float>(b); }
float p2(int e) { return std::ldexp(1.0f, e); }
Bf16 bf(float x) { return to_bf16(static_cast<double>(x)); }

// The references below are written without the library's unit code: host double arithmetic
// and the host's double->float conversion, then the documented DAZ/FTZ/NaN rules.
float ftz(float x) { return std::fabs(x) < kFltMin ? std::copysign(0.0f, x) : x; }

// acc + a*b: inputs DAZ, the exact product flushed below 2^-126 (the multiplier's FTZ), one
// rounding of the sum (double rounding 53 -> 24 bits is innocuous for a sum of two values of
// at most 24 significant bits), result FTZ, NaN canonical.
float mac_reference(float acc, Bf16 a, Bf16 b) {
  const double A = ftz(std::bit_cast<float>(static_cast<std::uint32_t>(a.bits) << 16));
  const double B = ftz(std::bit_cast<float>(static_cast<std::uint32_t>(b.bits) << 16));
  double p = A * B;
  if (std::isfinite(p) && std::fabs(p) < static_cast<double>(kFltMin)) p = std::copysign(0.0, p);
  if (std::isfinite(p) && std::fabs(p) > static_cast<double>(kFltMax)) p = std::copysign(static_cast<double>(kInf), p);
  const double s = static_cast<double>(ftz(acc)) + p;
  if (std::isnan(s)) return from(kCanon);
  return ftz(static_cast<float>(s));
}

// acc + p rounded once to fp32, for finite acc and p (neither subnormal): the exact sum as a
// double pair (TwoSum), rounded to odd at 53 bits, then to nearest even at 24 bits.
float fused_sum_fp32(double acc, double p) {
  double s = acc + p;
  const double bp = s - acc;
  const double err = (acc - (s - bp)) + (p - bp);  // acc + p = s + err exactly
  if (err != 0.0) {
    if ((err > 0.0) != (s > 0.0)) s = std::nextafter(s, 0.0);  // truncate toward zero
    s = std::bit_cast<double>(std::bit_cast<std::uint64_t>(s) | 1u);
  }
  return ftz(static_cast<float>(s));
}

// Round to odd from long double to double: truncate, and set the last bit when inexact. A
// further round-to-nearest-even to at most 51 bits (fp32: 24, bf16: 8) is then the correct
// rounding of the long double value itself, with no double-rounding error.
double to_double_odd(long double v) {
  double d = static_cast<double>(v);
  if (static_cast<long double>(d) == v || !std::isfinite(d)) return d;
  if (std::fabs(static_cast<long double>(d)) > std::fabs(v)) d = std::nextafter(d, 0.0);
  return std::bit_cast<double>(std::bit_cast<std::uint64_t>(d) | 1u);
}
Bf16 ftz16(Bf16 x) { return (x.bits & 0x7F80u) == 0 ? Bf16{static_cast<std::uint16_t>(x.bits & 0x8000u)} : x; }

// Correctly rounded, then flushed like the units' results.
float cr_fp32(long double v) { return ftz(to_fp32(to_double_odd(v))); }
Bf16 cr_bf16(long double v) { return ftz16(to_bf16(to_double_odd(v))); }
// True when v is within 2^-56 (relative) of a rounding boundary, so that the reference's own
// error (expl: below 2^-62) could decide it. Such an input would make the test meaningless.
bool hard_fp32(long double v) { return cr_fp32(v * (1 - 0x1p-56L)) != cr_fp32(v * (1 + 0x1p-56L)); }
bool hard_bf16(long double v) { return cr_bf16(v * (1 - 0x1p-56L)) != cr_bf16(v * (1 + 0x1p-56L)); }

struct Stats {
  std::uint64_t count = 0;
  std::uint64_t mismatches = 0;  ///< results that are not the correctly rounded one
  std::uint64_t max_ulp = 0;     ///< largest ulp_distance to the correctly rounded result
  float worst_x = 0.0f;
  std::uint64_t hard = 0;        ///< inputs whose reference could not decide the rounding
  void add(float x, std::uint64_t d) {
    ++count;
    if (d > 0) ++mismatches;
    if (d > max_ulp) {
      max_ulp = d;
      worst_x = x;
    }
  }
};

// exp_hw_bf16 for every bf16 input x with lo <= x <= hi.
Stats measure_exp_bf16(float lo, float hi) {
  Stats s;
  for (std::uint32_t b = 0; b < 0x10000; ++b) {
    const Bf16 x{static_cast<std::uint16_t>(b)};
    const float xf = to_float(x);
    if (!(xf >= lo && xf <= hi)) continue;
    const long double e = std::exp(static_cast<long double>(xf));
    if (hard_bf16(e)) ++s.hard;
    s.add(xf, ulp_distance(exp_hw_bf16(x), cr_bf16(e)));
  }
  return s;
}

// recip_hw_bf16 for every finite, normal bf16 input.
Stats measure_recip_bf16() {
  Stats s;
  for (std::uint32_t b = 0; b < 0x10000; ++b) {
    const Bf16 x{static_cast<std::uint16_t>(b)};
    const float xf = to_float(x);
    if (!std::isfinite(xf) || std::fabs(xf) < kFltMin) continue;
    const long double q = 1.0L / static_cast<long double>(xf);
    if (hard_bf16(q)) ++s.hard;
    s.add(xf, ulp_distance(recip_hw_bf16(x), cr_bf16(q)));
  }
  return s;
}

// exp_hw for every `stride`-th fp32 bit pattern from `first` to `last` (same sign, |first| <= |last|).
Stats measure_exp_fp32(float first, float last, std::uint32_t stride) {
  Stats s;
  for (std::uint64_t u = bits(first); u <= bits(last); u += stride) {
    const float x = from(static_cast<std::uint32_t>(u));
    const long double e = std::exp(static_cast<long double>(x));
    if (hard_fp32(e)) ++s.hard;
    s.add(x, ulp_distance(exp_hw(x), cr_fp32(e)));
  }
  return s;
}

// recip_hw for every significand m in [1, 2). The exponent is handled by exact scaling
// (checked separately), so this covers every normal input with a normal reciprocal.
Stats measure_recip_fp32() {
  Stats s;
  for (std::uint32_t f = 0; f < (1u << 23); ++f) {
    const float x = from(0x3F800000u | f);
    s.add(x, ulp_distance(recip_hw(x), to_fp32(1.0 / static_cast<double>(x))));  // a/b in double then
  }                                                                               // to fp32 rounds once
  return s;
}

// div_hw on n random pairs with a, b, a/b all well inside the normal range.
Stats measure_div_fp32(int n) {
  Stats s;
  std::mt19937 rng(2024);
  std::uniform_int_distribution<std::uint32_t> frac(0, (1u << 23) - 1);
  std::uniform_int_distribution<std::uint32_t> expo(127 - 60, 127 + 60);
  std::uniform_int_distribution<std::uint32_t> sign(0, 1);
  for (int k = 0; k < n; ++k) {
    const float a = from((sign(rng) << 31) | (expo(rng) << 23) | frac(rng));
    const float b = from((sign(rng) << 31) | (expo(rng) << 23) | frac(rng));
    s.add(b, ulp_distance(div_hw(a, b), to_fp32(static_cast<double>(a) / static_cast<double>(b))));
  }
  return s;
}

// Random bf16 with a biased exponent field in [elo, ehi].
Bf16 random_bf16(std::mt19937& rng, std::uint32_t elo, std::uint32_t ehi) {
  std::uniform_int_distribution<std::uint32_t> e(elo, ehi), f(0, 127), sg(0, 1);
  return Bf16{static_cast<std::uint16_t>((sg(rng) << 15) | (e(rng) << 7) | f(rng))};
}

}  // namespace

TEST_CASE("fp32 add, mul, max units: special-case table", "[numeric][units]") {
  const float sub = from(0x00000001u);  // smallest subnormal
  const float nan_payload = from(0x7FA12345u);
  // DAZ: subnormal inputs read as signed zero
  CHECK(bits(add_fp32_hw(sub, 0.0f)) == 0x00000000u);
  CHECK(bits(add_fp32_hw(-sub, -0.0f)) == 0x80000000u);
  CHECK(add_fp32_hw(from(0x007FFFFFu), 1.0f) == 1.0f);
  CHECK(bits(mul_fp32_hw(sub, 1e30f)) == 0x00000000u);
  CHECK(bits(mul_fp32_hw(-sub, 1e30f)) == 0x80000000u);
  // FTZ: subnormal results become signed zero; exact zero sums are +0
  CHECK(bits(add_fp32_hw(1.5f * kFltMin, -kFltMin)) == 0x00000000u);
  CHECK(bits(add_fp32_hw(-1.5f * kFltMin, kFltMin)) == 0x80000000u);
  CHECK(bits(mul_fp32_hw(p2(-70), p2(-60))) == 0x00000000u);
  CHECK(bits(mul_fp32_hw(-p2(-70), p2(-60))) == 0x80000000u);
  CHECK(mul_fp32_hw(p2(-63), p2(-63)) == kFltMin);
  CHECK(bits(add_fp32_hw(3.0f, -3.0f)) == 0x00000000u);
  CHECK(bits(add_fp32_hw(-0.0f, -0.0f)) == 0x80000000u);
  CHECK(bits(mul_fp32_hw(-0.0f, 5.0f)) == 0x80000000u);
  // rounding at the bottom of the normal range: 24 bits with unbounded exponent, then FTZ.
  // (1 - 2^-24) * 2^-126 exactly is below 2^-126 and has 24 bits: flushed, not rounded up.
  CHECK(bits(mul_fp32_hw(from(0x3F7FFFFFu), kFltMin)) == 0x00000000u);
  // (The host's gradual underflow would round it to the subnormal grid, a tie, up to 2^-126.)
  // (1 - 2^-26) * 2^-126 rounds up to 2^-126 at 24 bits: kept.
  CHECK(mul_fp32_hw(from(0x3F7FF800u), from(0x00800400u)) == kFltMin);
  // overflow, infinities, NaN
  CHECK(add_fp32_hw(kFltMax, kFltMax) == kInf);
  CHECK(mul_fp32_hw(-kFltMax, 2.0f) == -kInf);
  CHECK(add_fp32_hw(kInf, 1.0f) == kInf);
  CHECK(bits(add_fp32_hw(kInf, -kInf)) == kCanon);
  CHECK(bits(mul_fp32_hw(kInf, 0.0f)) == kCanon);
  CHECK(bits(mul_fp32_hw(kInf, sub)) == kCanon);  // sub reads as 0
  CHECK(bits(add_fp32_hw(nan_payload, 1.0f)) == kCanon);
  CHECK(bits(mul_fp32_hw(1.0f, -nan_payload)) == kCanon);
  // ordinary rounding: ties to even
  CHECK(add_fp32_hw(1.0f, p2(-24)) == 1.0f);
  CHECK(add_fp32_hw(from(0x3F800001u), p2(-24)) == from(0x3F800002u));
  CHECK(mul_fp32_hw(from(0x3F800001u), from(0x3F800001u)) == from(0x3F800002u));  // 1+2^-22+2^-46
  // max: NaN propagates as canonical NaN, +0 beats -0, subnormals read as zero
  CHECK(bits(max_hw(nan_payload, 1.0f)) == kCanon);
  CHECK(bits(max_hw(-kInf, -nan_payload)) == kCanon);
  CHECK(bits(max_hw(-0.0f, 0.0f)) == 0x00000000u);
  CHECK(bits(max_hw(0.0f, -0.0f)) == 0x00000000u);
  CHECK(bits(max_hw(-0.0f, -0.0f)) == 0x80000000u);
  CHECK(bits(max_hw(sub, 0.0f)) == 0x00000000u);
  CHECK(bits(max_hw(-sub, -kFltMin)) == 0x80000000u);
  CHECK(max_hw(-kInf, -3.0f) == -3.0f);
  CHECK(max_hw(kInf, kFltMax) == kInf);
}

TEST_CASE("mac_bf16_fp32: corner classes", "[numeric][units][mac]") {
  const Bf16 one = bf(1.0f), zero = bf(0.0f), nzero = bf(-0.0f);
  CHECK(mac_bf16_fp32(1.0f, zero, one) == 1.0f);
  CHECK(bits(mac_bf16_fp32(-0.0f, zero, bf(-1.0f))) == 0x80000000u);  // -0 + -0
  CHECK(bits(mac_bf16_fp32(0.0f, nzero, one)) == 0x00000000u);        // +0 + -0
  // cancellation to an exact zero is +0
  CHECK(bits(mac_bf16_fp32(-6.0f, bf(2.0f), bf(3.0f))) == 0x00000000u);
  // one rounding: the product is exact, the sum rounds once (ties to even, sticky bits)
  CHECK(mac_bf16_fp32(1.0f, bf(p2(-12)), bf(p2(-12))) == 1.0f);                          // + 2^-24: tie
  CHECK(mac_bf16_fp32(1.0f, bf(3 * p2(-13)), bf(p2(-12))) == from(0x3F800001u));          // + 3*2^-25
  CHECK(mac_bf16_fp32(from(0x3F800001u), bf(p2(-12)), bf(p2(-12))) == from(0x3F800002u)); // tie up
  const Bf16 a = Bf16{0x3FFF}, b = Bf16{0x3FFF};  // (2 - 2^-7)^2: 16 significant bits
  CHECK(mac_bf16_fp32(0.0f, a, b) == static_cast<float>(static_cast<double>(to_float(a)) * to_float(b)));
  // infinities and NaN
  CHECK(mac_bf16_fp32(kInf, one, one) == kInf);
  CHECK(bits(mac_bf16_fp32(kInf, bf(-kInf), one)) == kCanon);
  CHECK(bits(mac_bf16_fp32(1.0f, bf(kInf), zero)) == kCanon);
  CHECK(bits(mac_bf16_fp32(1.0f, Bf16{0x7FA1}, one)) == kCanon);
  CHECK(bits(mac_bf16_fp32(from(0xFFC01234u), one, one)) == kCanon);
  // DAZ of acc and of bf16 subnormal inputs
  CHECK(bits(mac_bf16_fp32(from(0x00000001u), zero, one)) == 0x00000000u);
  CHECK(bits(mac_bf16_fp32(from(0x80000001u), nzero, one)) == 0x80000000u);
  CHECK(mac_bf16_fp32(2.0f, Bf16{0x0001}, bf(p2(100))) == 2.0f);  // 2^-133 * 2^100 reads as 0
  // FTZ of a subnormal result
  CHECK(bits(mac_bf16_fp32(1.5f * kFltMin, bf(-kFltMin), one)) == 0x00000000u);
  CHECK(bits(mac_bf16_fp32(-1.5f * kFltMin, bf(kFltMin), one)) == 0x80000000u);
  // exponent extremes: overflow of the sum
  CHECK(mac_bf16_fp32(kFltMax, Bf16{0x7F7F}, one) == kInf);
  CHECK(mac_bf16_fp32(-kFltMax, Bf16{0x7F7F}, bf(-1.0f)) == -kInf);
  // Documented: the multiplier flushes a product below 2^-126 before the add, so here the
  // MAC is not acc + a*b rounded once (that would be 2^-125).
  CHECK(mac_bf16_fp32(1.5f * kFltMin, bf(p2(-64)), bf(p2(-63))) == 1.5f * kFltMin);
  // Documented: a product above FLT_MAX is infinite before the add.
  CHECK(mac_bf16_fp32(-kFltMax, bf(p2(127)), bf(2.0f)) == kInf);
}

TEST_CASE("mac_bf16_fp32 agrees with an independent formulation on 1M random vectors", "[numeric][units][mac]") {
  std::mt19937 rng(99);
  std::uniform_int_distribution<std::uint32_t> any32;
  std::uniform_int_distribution<int> kind(0, 9), shift(-30, 30), nudge(-3, 3);
  std::uint64_t one_rounding = 0;  // vectors whose product lies in [2^-126, FLT_MAX]
  std::uint64_t disagreements = 0;
  std::string first;
  for (int k = 0; k < 1'000'000; ++k) {
    Bf16 a{}, b{};
    float acc = 0.0f;
    const int c = kind(rng);
    if (c <= 5) {  // products in range, acc near the product: rounding, sticky bits, cancellation
      a = random_bf16(rng, 64, 190);
      b = random_bf16(rng, 64, 190);
      const double p = static_cast<double>(to_float(a)) * to_float(b);
      if (c <= 1) {
        acc = static_cast<float>(-p);
        acc = from(bits(acc) + static_cast<std::uint32_t>(nudge(rng)));  // cancellation
      } else {
        acc = static_cast<float>(std::ldexp(p, shift(rng))) * (any32(rng) % 2 == 0 ? 1.0f : -1.0f);
        acc = from(bits(acc) ^ (any32(rng) & 0xFFFFu));  // random low bits
      }
    } else if (c <= 7) {  // fully random bit patterns: specials, subnormals, extremes
      a = Bf16{static_cast<std::uint16_t>(any32(rng))};
      b = Bf16{static_cast<std::uint16_t>(any32(rng))};
      acc = from(any32(rng));
    } else {  // extreme exponents: products near the underflow and overflow thresholds
      a = random_bf16(rng, c == 8 ? 1 : 190, c == 8 ? 64 : 254);
      b = random_bf16(rng, c == 8 ? 1 : 190, c == 8 ? 64 : 254);
      acc = from((any32(rng) & 0x807FFFFFu) | ((c == 8 ? 1u + any32(rng) % 8 : 246u + any32(rng) % 8) << 23));
    }
    const float hw = mac_bf16_fp32(acc, a, b);
    bool agree = bits(hw) == bits(mac_reference(acc, a, b));
    const double p = static_cast<double>(ftz(to_float(a))) * ftz(to_float(b));
    if (std::fabs(p) >= static_cast<double>(kFltMin) && std::fabs(p) <= static_cast<double>(kFltMax) && std::isfinite(acc)) {
      // Here the MAC is acc + a*b rounded once, computed a third way.
      ++one_rounding;
      agree = agree && bits(hw) == bits(fused_sum_fp32(static_cast<double>(ftz(acc)), p));
    }
    if (!agree && disagreements++ == 0) {
      first = "acc " + std::to_string(bits(acc)) + " a " + std::to_string(a.bits) + " b " + std::to_string(b.bits);
    }
  }
  INFO("first disagreement (bit patterns, decimal): " << first);
  CHECK(disagreements == 0);
  CHECK(one_rounding > 700'000);
}

TEST_CASE("unit constants: correctly rounded, and every unit pinned bit for bit", "[numeric][units][exp][recip]") {
  REQUIRE(std::numeric_limits<long double>::digits >= 64);
  const ExpUnitConstants& k = exp_unit_constants();
  CHECK(k.log2e == cr_fp32(1.0L / std::log(2.0L)));
  for (int i = 0; i < 64; ++i) {
    const long double v = std::exp2(static_cast<long double>(i) / 64);
    REQUIRE_FALSE(hard_fp32(v));
    INFO("T[" << i << "]");
    CHECK(k.table[i] == cr_fp32(v));
    CHECK(recip_unit_constants().seed[i] == cr_fp32(128.0L / (129 + 2 * i)));
  }
  // q approximates 2^r on [0, 1/64) to better than 2^-26 relative (in exact arithmetic)
  double worst = 0.0;
  for (int j = 0; j <= 4096; ++j) {
    const long double r = static_cast<long double>(j) / 4096 / 64;
    const long double q = k.coeff[0] + r * (k.coeff[1] + r * static_cast<long double>(k.coeff[2]));
    worst = std::fmax(worst, static_cast<double>(std::fabs(q / std::exp2(r) - 1)));
  }
  CHECK(worst < 0x1p-26);
  // The RTL is compared with these models bit for bit, so any change to a coefficient, a
  // table or the op order must show up here (and be carried over to the RTL). Values from
  // this implementation; docs/numerics.md lists them.
  CHECK(bits(k.coeff[0]) == 0x3F800000u);  // exactly 1, so exp(0) = T[0] * q(0) = 1
  CHECK(bits(k.coeff[1]) == 0x3F3171B5u);
  CHECK(bits(k.coeff[2]) == 0x3E773BDFu);
  // FNV-1a 64 over the fp32 results for every bf16 input (as fp32), in bit-pattern order.
  auto fnv = [](std::uint64_t h, std::uint32_t v) {
    for (int byte = 0; byte < 4; ++byte) h = (h ^ ((v >> (8 * byte)) & 0xFFu)) * 0x100000001B3ull;
    return h;
  };
  std::uint64_t exp_sum = 0xCBF29CE484222325ull, recip_sum = exp_sum;
  for (std::uint32_t b = 0; b < 0x10000; ++b) {
    exp_sum = fnv(exp_sum, bits(exp_hw(from(b << 16))));
    recip_sum = fnv(recip_sum, bits(recip_hw(from(b << 16))));
  }
  CHECK(exp_sum == 0x4A05424E8662F8FCull);
  CHECK(recip_sum == 0x977E4EB82149769Dull);
}

TEST_CASE("exp unit: special-case table", "[numeric][units][exp]") {
  CHECK(bits(exp_hw(from(0x7FA00001u))) == kCanon);
  CHECK(bits(exp_hw(from(0xFFC00000u))) == kCanon);
  CHECK(bits(exp_hw(-kInf)) == 0x00000000u);
  CHECK(exp_hw(kInf) == kInf);
  CHECK(exp_hw(0.0f) == 1.0f);
  CHECK(exp_hw(-0.0f) == 1.0f);
  CHECK(exp_hw(from(0x80000001u)) == 1.0f);  // subnormal input reads as -0
  CHECK(exp_hw(-p2(-30)) == 1.0f);           // t + 1 rounds to 1: n and f carry
  CHECK(exp_hw(p2(-30)) == 1.0f);
  CHECK(exp_hw(-std::nextafter(p2(-25), 0.0f)) == 1.0f);
  CHECK(exp_hw(std::nextafter(p2(-25), 0.0f)) == 1.0f);
  CHECK(exp_hw(89.0f) == kInf);
  CHECK(exp_hw(kFltMax) == kInf);
  CHECK(std::isfinite(exp_hw(88.7f)));
  CHECK(bits(exp_hw(-88.0f)) == 0x00000000u);  // exp(-88) < 2^-126: flushed
  CHECK(bits(exp_hw(-kFltMax)) == 0x00000000u);
  CHECK(exp_hw(-87.0f) >= kFltMin);
  CHECK(exp_hw(-1.0f) == cr_fp32(std::exp(-1.0L)));
  CHECK(bits(to_float(exp_hw_bf16(Bf16{0x7FC1}))) == kCanon);
  CHECK(exp_hw_bf16(bf(0.0f)) == bf(1.0f));
}

TEST_CASE("exp unit: intermediate values stay in their ranges", "[numeric][units][exp]") {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-100.0f, 90.0f);
  for (int k = 0; k < 50'000; ++k) {
    const float x = k % 2 == 0 ? dist(rng) : -std::ldexp(dist(rng) + 100.0f, -(k % 40));
    const ExpSteps s = exp_hw_steps(x);
    if (s.special) continue;
    INFO("x = " << x);
    REQUIRE(s.t == mul_fp32_hw(x, exp_unit_constants().log2e));
    REQUIRE(s.f >= 0.0f);
    REQUIRE(s.f < 1.0f);
    REQUIRE(s.i == static_cast<int>(s.f * 64.0f));
    REQUIRE(s.r >= 0.0f);
    REQUIRE(s.r < 1.0f / 64.0f);
    REQUIRE(s.m >= 1.0f);
    REQUIRE(s.m <= 2.0f);
    REQUIRE(s.result == ftz(std::ldexp(s.m, s.n)));
  }
}

TEST_CASE("exp_hw_bf16: every bf16 input against the correctly rounded exp", "[numeric][units][exp]") {
  REQUIRE(std::numeric_limits<long double>::digits >= 64);
  // softmax domain: correctly rounded for every input in [-87, 0] ...
  const Stats softmax = measure_exp_bf16(-87.0f, 0.0f);
  CHECK(softmax.count == 17'072);  // both zeros and the negative subnormals included
  CHECK(softmax.hard == 0);
  CHECK(softmax.mismatches == 0);
  // ... and for every x <= 0, with results below 2^-126 flushed in both
  const Stats negative = measure_exp_bf16(-kInf, 0.0f);
  CHECK(negative.hard == 0);
  CHECK(negative.mismatches == 0);
  // x > 0: the fp32 rounding of t = x*log2(e) costs 1 ulp on 2 inputs (x = 6.84375, 31.125),
  // whose exp lies within 2^-24 (relative) of a bf16 rounding boundary.
  const Stats positive = measure_exp_bf16(0.0f, kFltMax);
  CHECK(positive.hard == 0);
  CHECK(positive.max_ulp <= 1);
  CHECK(positive.mismatches <= 2);
}

TEST_CASE("exp_hw: fp32 accuracy over a dense sample", "[numeric][units][exp]") {
  REQUIRE(std::numeric_limits<long double>::digits >= 64);
  // every 1021st bit pattern: about a million inputs per range
  const Stats near_zero = measure_exp_fp32(-0.0f, -1.0f, 1021);
  const Stats softmax = measure_exp_fp32(-0.0f, -87.0f, 1021);
  const Stats positive = measure_exp_fp32(0.0f, 88.0f, 1021);
  CHECK(near_zero.hard + softmax.hard + positive.hard == 0);
  CHECK(near_zero.max_ulp <= 2);
  CHECK(softmax.max_ulp <= 61);
  CHECK(positive.max_ulp <= 60);
  // Every input near the thresholds: overflow exactly where the correctly rounded exp
  // overflows; flush exactly where it is subnormal, but for one input whose exp lies 26 ulp
  // below 2^-126 and which the unit's error lifts to 2^-126.
  int overflow_differs = 0, flush_differs = 0;
  for (std::uint32_t u = bits(88.0f); u <= bits(89.0f); ++u) {
    overflow_differs += std::isinf(exp_hw(from(u))) != std::isinf(cr_fp32(std::exp(static_cast<long double>(from(u)))));
  }
  for (std::uint32_t u = bits(-87.0f); u <= bits(-88.0f); ++u) {
    const bool zero = cr_fp32(std::exp(static_cast<long double>(from(u)))) == 0.0f;
    if ((exp_hw(from(u)) == 0.0f) != zero) {
      ++flush_differs;
      CHECK(from(u) == -0x1.5d58ap+6f);
      CHECK(exp_hw(from(u)) == kFltMin);
    }
  }
  CHECK(overflow_differs == 0);
  CHECK(flush_differs == 1);
}

TEST_CASE("recip unit: special-case table and exact powers of two", "[numeric][units][recip]") {
  CHECK(recip_hw(0.0f) == kInf);
  CHECK(recip_hw(-0.0f) == -kInf);
  CHECK(recip_hw(from(0x00000001u)) == kInf);   // subnormal reads as +0
  CHECK(recip_hw(from(0x807FFFFFu)) == -kInf);  // and as -0
  CHECK(bits(recip_hw(kInf)) == 0x00000000u);
  CHECK(bits(recip_hw(-kInf)) == 0x80000000u);
  CHECK(bits(recip_hw(from(0x7F812345u))) == kCanon);
  CHECK(bits(recip_hw(from(0xFFC00000u))) == kCanon);
  CHECK(recip_hw(kFltMin) == p2(126));
  CHECK(recip_hw(p2(126)) == kFltMin);
  CHECK(bits(recip_hw(1.5f * p2(126))) == 0x00000000u);  // 1/x < 2^-126: flushed
  CHECK(bits(recip_hw(-p2(127))) == 0x80000000u);
  CHECK(bits(recip_hw(kFltMax)) == 0x00000000u);
  for (int e = -126; e <= 126; ++e) {
    INFO("2^" << e);
    REQUIRE(recip_hw(p2(e)) == p2(-e));
    REQUIRE(recip_hw(-p2(e)) == -p2(-e));
  }
  CHECK(bits(to_float(recip_hw_bf16(Bf16{0xFF81}))) == kCanon);
  CHECK(recip_hw_bf16(bf(-4.0f)) == bf(-0.25f));
}

TEST_CASE("recip_hw_bf16: every bf16 input against the correctly rounded reciprocal", "[numeric][units][recip]") {
  const Stats s = measure_recip_bf16();
  CHECK(s.count == 65'024);  // all normal finite inputs
  CHECK(s.hard == 0);
  CHECK(s.mismatches == 0);
}

TEST_CASE("recip_hw: every fp32 significand; the exponent is exact scaling", "[numeric][units][recip]") {
  const Stats s = measure_recip_fp32();
  CHECK(s.max_ulp <= 2);
  // recip(m * 2^e) = recip(m) * 2^-e for every exponent with a normal result
  std::mt19937 rng(17);
  std::uniform_int_distribution<std::uint32_t> frac(0, (1u << 23) - 1);
  std::uniform_int_distribution<int> expo(-126, 125);
  int wrong = 0;
  for (int k = 0; k < 200'000; ++k) {
    const float m = from(0x3F800000u | frac(rng));
    const int e = expo(rng);
    const float scaled = ftz(std::ldexp(recip_hw(m), -e));
    if (bits(recip_hw(std::ldexp(m, e))) != bits(scaled)) ++wrong;
    if (bits(recip_hw(-std::ldexp(m, e))) != bits(-scaled)) ++wrong;
  }
  CHECK(wrong == 0);
}

TEST_CASE("div_hw: special cases and accuracy on random pairs", "[numeric][units][recip]") {
  CHECK(bits(div_hw(0.0f, 0.0f)) == kCanon);
  CHECK(div_hw(1.0f, 0.0f) == kInf);
  CHECK(div_hw(-1.0f, 0.0f) == -kInf);
  CHECK(div_hw(1.0f, -0.0f) == -kInf);
  CHECK(bits(div_hw(1.0f, kInf)) == 0x00000000u);
  CHECK(bits(div_hw(kInf, kInf)) == kCanon);
  CHECK(bits(div_hw(from(0x7FC00001u), 2.0f)) == kCanon);
  CHECK(div_hw(3.0f, 2.0f) == 1.5f);
  CHECK(div_hw(kFltMax, 0.5f) == kInf);
  const Stats s = measure_div_fp32(1'000'000);
  CHECK(s.max_ulp <= 3);
}

namespace {
void print_row(const char* unit, const char* inputs, const Stats& s) {
  std::printf("| %s | %s | %llu | %llu | %llu | %.9g |\n", unit, inputs, static_cast<unsigned long long>(s.count),
              static_cast<unsigned long long>(s.max_ulp), static_cast<unsigned long long>(s.mismatches),
              static_cast<double>(s.worst_x));
  std::fflush(stdout);
}
void print_header() {
  std::printf("| unit | inputs | count | max ulp | not correctly rounded | worst x |\n|---|---|---|---|---|---|\n");
}
}  // namespace

TEST_CASE("numeric accuracy report", "[.][numeric-report]") {
  // Prints the measured-error table of docs/numerics.md (a few seconds).
  print_header();
  print_row("exp_hw_bf16", "every bf16 in [-87, 0]", measure_exp_bf16(-87.0f, 0.0f));
  print_row("exp_hw_bf16", "every bf16 < -87 (FTZ)", measure_exp_bf16(-kInf, std::nextafter(-87.0f, -kInf)));
  print_row("exp_hw_bf16", "every finite bf16 > 0", measure_exp_bf16(p2(-140), kFltMax));
  print_row("recip_hw_bf16", "every normal finite bf16", measure_recip_bf16());
  print_row("exp_hw", "fp32 in [-1, 0], every 1021st", measure_exp_fp32(-0.0f, -1.0f, 1021));
  print_row("exp_hw", "fp32 in [-87, 0], every 1021st", measure_exp_fp32(-0.0f, -87.0f, 1021));
  print_row("exp_hw", "fp32 in [0, 88], every 1021st", measure_exp_fp32(0.0f, 88.0f, 1021));
  print_row("recip_hw", "every fp32 significand (every normal x with normal 1/x)", measure_recip_fp32());
  print_row("div_hw", "1M random pairs, exponents in [-60, 60]", measure_div_fp32(1'000'000));
  SUCCEED();
}

TEST_CASE("numeric exhaustive fp32 exp sweep", "[.][numeric-exhaustive]") {
  // Every fp32 input in [-87, 88]: 2.2e9 evaluations against expl, several minutes.
  print_header();
  print_row("exp_hw", "every fp32 in [-1, 0]", measure_exp_fp32(-0.0f, -1.0f, 1));
  print_row("exp_hw", "every fp32 in [-87, -1]", measure_exp_fp32(-1.0f, -87.0f, 1));
  print_row("exp_hw", "every fp32 in [0, 1]", measure_exp_fp32(0.0f, 1.0f, 1));
  print_row("exp_hw", "every fp32 in [1, 88]", measure_exp_fp32(1.0f, 88.0f, 1));
  SUCCEED();
}
