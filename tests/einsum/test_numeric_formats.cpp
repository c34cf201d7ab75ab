// Storage formats and rounding (numeric.hpp): exhaustive round trips of every bf16 and fp16
// bit pattern, round-to-nearest-even ties, subnormals, overflow, NaN, signed zero, and
// comparisons with independent converters (the host's double->float and, where the compiler
// has it, double->_Float16).
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>

#include "einfuse/einsum/dtype.hpp"
#include "einfuse/einsum/numeric.hpp"

using namespace einfuse::einsum;
using namespace einfuse::einsum::numeric;

namespace {

double pow2(int e) { return std::ldexp(1.0, e); }
std::uint64_t dbits(double x) { return std::bit_cast<std::uint64_t>(x); }

// fp16 decoded from its fields by the textbook formula (independent of the library's decoder).
double fp16_by_formula(std::uint16_t b) {
  const int e = (b >> 10) & 0x1F;
  const int f = b & 0x3FF;
  const double sign = (b & 0x8000) != 0 ? -1.0 : 1.0;
  if (e == 0) return sign * f * pow2(-24);
  if (e == 31) return f == 0 ? sign * std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  return sign * (1.0 + f / 1024.0) * pow2(e - 15);
}

// bf16 from a float by the well-known integer trick (round to nearest even on the top half).
std::uint16_t bf16_from_float_trick(float f) {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(f);
  return static_cast<std::uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

}  // namespace

TEST_CASE("dtype names, parsing and sizes", "[numeric][dtype]") {
  const DType all[] = {DType::fp64, DType::fp32, DType::bf16, DType::fp16, DType::i32};
  const unsigned bytes[] = {8, 4, 2, 2, 4};
  for (int k = 0; k < 5; ++k) {
    CHECK(parse_dtype(dtype_name(all[k])) == all[k]);
    CHECK(dtype_bytes(all[k]) == bytes[k]);
    CHECK(is_integer(all[k]) == (all[k] == DType::i32));
  }
  CHECK(dtype_name(DType::bf16) == "bf16");
  CHECK_FALSE(parse_dtype("f32").has_value());
  CHECK_FALSE(parse_dtype("").has_value());
  CHECK_FALSE(parse_dtype("FP32").has_value());
}

TEST_CASE("bf16: every bit pattern round-trips through double", "[numeric][bf16]") {
  for (std::uint32_t b = 0; b < 0x10000; ++b) {
    const Bf16 x{static_cast<std::uint16_t>(b)};
    const float as_float = std::bit_cast<float>(b << 16);  // bf16 is the top half of an fp32
    const double d = to_double(x);
    REQUIRE(std::bit_cast<std::uint32_t>(to_float(x)) == (b << 16));
    if (std::isnan(as_float)) {
      REQUIRE(std::isnan(d));
      REQUIRE(std::signbit(d) == std::signbit(as_float));
      // back: the same NaN, quietened (payload kept, quiet bit set)
      REQUIRE(to_bf16(d).bits == (b | 0x0040u));
      continue;
    }
    REQUIRE(dbits(d) == dbits(static_cast<double>(as_float)));  // exact, signed zero included
    REQUIRE(to_bf16(d).bits == b);
  }
}

TEST_CASE("fp16: every bit pattern round-trips through double", "[numeric][fp16]") {
  for (std::uint32_t b = 0; b < 0x10000; ++b) {
    const Fp16 x{static_cast<std::uint16_t>(b)};
    const double d = to_double(x);
    const double expect = fp16_by_formula(static_cast<std::uint16_t>(b));
    if (std::isnan(expect)) {
      REQUIRE(std::isnan(d));
      REQUIRE(std::signbit(d) == ((b & 0x8000u) != 0));
      REQUIRE(to_fp16(d).bits == (b | 0x0200u));
      const std::uint32_t fb = std::bit_cast<std::uint32_t>(to_float(x));  // NaN kept bit for bit
      REQUIRE(fb == (((b & 0x8000u) << 16) | 0x7F800000u | ((b & 0x3FFu) << 13)));
      continue;
    }
    REQUIRE(dbits(d) == dbits(expect));
    REQUIRE(dbits(static_cast<double>(to_float(x))) == dbits(expect));
    REQUIRE(to_fp16(d).bits == b);
  }
}

TEST_CASE("rounding: ties go to even, one rounding straight from double", "[numeric]") {
  // bf16 (8 significant bits): spacing 2^-7 above 1.
  CHECK(to_bf16(1.0 + pow2(-8)).bits == 0x3F80);                    // tie, 1.0 is even
  CHECK(to_bf16(1.0 + 3 * pow2(-8)).bits == 0x3F82);                // tie, rounds up to even
  CHECK(to_bf16(1.0 + pow2(-8) + pow2(-40)).bits == 0x3F81);        // just above the tie
  CHECK(to_bf16(1.0 + pow2(-8) - pow2(-40)).bits == 0x3F80);        // just below
  CHECK(to_bf16(-(1.0 + 3 * pow2(-8))).bits == 0xBF82);
  // Through float, 1 + 2^-8 + 2^-40 becomes the tie 1 + 2^-8 and then 1.0: the double
  // rounding the library must not do.
  CHECK(bf16_from_float_trick(static_cast<float>(1.0 + pow2(-8) + pow2(-40))) == 0x3F80);
  // fp16 (11 bits): spacing 2^-10 above 1.
  CHECK(to_fp16(1.0 + pow2(-11)).bits == 0x3C00);
  CHECK(to_fp16(1.0 + 3 * pow2(-11)).bits == 0x3C02);
  CHECK(to_fp16(1.0 + pow2(-11) + pow2(-45)).bits == 0x3C01);
  // fp32 (24 bits)
  CHECK(to_fp32(1.0 + pow2(-24)) == 1.0f);
  CHECK(to_fp32(1.0 + 3 * pow2(-24)) == 1.0f + 2 * std::ldexp(1.0f, -23));
  CHECK(to_fp32(1.0 + pow2(-24) + pow2(-52)) == std::nextafter(1.0f, 2.0f));
  // round_to reads the rounded value back
  CHECK(round_to(DType::bf16, 1.0 + 3 * pow2(-8)) == 1.0 + pow2(-6));
  CHECK(round_to(DType::fp16, 1.0 + pow2(-11)) == 1.0);
  CHECK(round_to(DType::fp32, 0.1) == static_cast<double>(0.1f));
  CHECK(round_to(DType::fp64, 0.1) == 0.1);
}

TEST_CASE("rounding: subnormals are gradual, with ties to even", "[numeric]") {
  // bf16 smallest subnormal 2^-133, smallest normal 2^-126
  CHECK(to_bf16(pow2(-133)).bits == 0x0001);
  CHECK(to_bf16(pow2(-134)).bits == 0x0000);                  // tie between 0 and 1: even
  CHECK(to_bf16(pow2(-134) * 1.0001).bits == 0x0001);
  CHECK(to_bf16(3 * pow2(-134)).bits == 0x0002);              // tie between 1 and 2: even
  CHECK(to_bf16(pow2(-126) - pow2(-134)).bits == 0x0080);     // tie into the smallest normal
  CHECK(to_bf16(-pow2(-133)).bits == 0x8001);
  CHECK(to_double(Bf16{0x0001}) == pow2(-133));
  CHECK(to_double(Bf16{0x007F}) == 127 * pow2(-133));
  // fp16 smallest subnormal 2^-24, smallest normal 2^-14
  CHECK(to_fp16(pow2(-24)).bits == 0x0001);
  CHECK(to_fp16(pow2(-25)).bits == 0x0000);
  CHECK(to_fp16(pow2(-25) + pow2(-60)).bits == 0x0001);
  CHECK(to_fp16(3 * pow2(-25)).bits == 0x0002);
  CHECK(to_fp16(pow2(-14) - pow2(-25)).bits == 0x0400);
  CHECK(to_fp16(1023 * pow2(-24)).bits == 0x03FF);
  CHECK(to_double(Fp16{0x03FF}) == 1023 * pow2(-24));
  // fp32
  CHECK(std::bit_cast<std::uint32_t>(to_fp32(pow2(-149))) == 0x00000001u);
  CHECK(std::bit_cast<std::uint32_t>(to_fp32(pow2(-150))) == 0x00000000u);
  CHECK(std::bit_cast<std::uint32_t>(to_fp32(pow2(-150) * 1.5)) == 0x00000001u);
  // double subnormals are far below every target's range
  CHECK(to_fp32(std::numeric_limits<double>::denorm_min()) == 0.0f);
  CHECK(to_bf16(-std::numeric_limits<double>::denorm_min()).bits == 0x8000);
}

TEST_CASE("rounding: overflow to infinity, largest finite values kept", "[numeric]") {
  CHECK(to_fp16(65504.0).bits == 0x7BFF);
  CHECK(to_fp16(65519.99).bits == 0x7BFF);
  CHECK(to_fp16(65520.0).bits == 0x7C00);  // tie between 65504 and 2^16: even is infinity
  CHECK(to_fp16(-1e10).bits == 0xFC00);
  const double bf16_max = (2.0 - pow2(-7)) * pow2(127);
  CHECK(to_bf16(bf16_max).bits == 0x7F7F);
  CHECK(to_bf16(bf16_max + pow2(119) - pow2(80)).bits == 0x7F7F);
  CHECK(to_bf16(bf16_max + pow2(119)).bits == 0x7F80);
  CHECK(to_bf16(std::numeric_limits<double>::max()).bits == 0x7F80);
  CHECK(to_bf16(-std::numeric_limits<double>::infinity()).bits == 0xFF80);
  const double flt_max = static_cast<double>(std::numeric_limits<float>::max());
  CHECK(to_fp32(flt_max) == std::numeric_limits<float>::max());
  CHECK(std::isinf(to_fp32(flt_max + pow2(103))));
  CHECK(to_fp32(flt_max + pow2(103) - pow2(80)) == std::numeric_limits<float>::max());
  CHECK(std::isinf(round_to(DType::fp16, 1e6)));
}

TEST_CASE("rounding: NaN stays a quiet NaN, zero keeps its sign", "[numeric]") {
  const double qnan = std::numeric_limits<double>::quiet_NaN();
  CHECK(to_bf16(qnan).bits == 0x7FC0);
  CHECK(to_bf16(-qnan).bits == 0xFFC0);
  CHECK(to_fp16(qnan).bits == 0x7E00);
  CHECK(std::bit_cast<std::uint32_t>(to_fp32(qnan)) == 0x7FC00000u);
  // A signalling NaN whose payload lies only in bits the target drops must not become inf.
  const double snan_low = std::bit_cast<double>(std::uint64_t{0x7FF0000000000001});
  CHECK(to_bf16(snan_low).bits == 0x7FC0);
  CHECK(to_fp16(snan_low).bits == 0x7E00);
  CHECK(std::isnan(to_fp32(snan_low)));
  // payload: top bits kept
  const double payload = std::bit_cast<double>(std::uint64_t{0x7FFAA00000000000});
  CHECK(to_bf16(payload).bits == 0x7FD5);
  CHECK(std::isnan(round_to(DType::bf16, qnan)));
  // signed zero and underflow to signed zero
  CHECK(to_bf16(-0.0).bits == 0x8000);
  CHECK(to_fp16(-0.0).bits == 0x8000);
  CHECK(std::bit_cast<std::uint32_t>(to_fp32(-0.0)) == 0x80000000u);
  CHECK(to_fp16(-1e-300).bits == 0x8000);
  CHECK(std::signbit(round_to(DType::bf16, -1e-300)));
  CHECK(std::signbit(to_double(Fp16{0x8000})));
}

TEST_CASE("to_fp32 agrees with the host's double->float conversion", "[numeric]") {
  std::mt19937_64 rng(12345);
  std::uniform_int_distribution<int> exp_dist(1023 - 160, 1023 + 140);  // subnormal..overflow
  std::uniform_int_distribution<std::uint64_t> any;
  int wrong = 0;
  std::uint64_t first = 0;
  for (int k = 0; k < 1'000'000; ++k) {
    std::uint64_t u = any(rng);
    if (k % 2 == 0) u = (u & 0x800FFFFFFFFFFFFFull) | (static_cast<std::uint64_t>(exp_dist(rng)) << 52);
    if (k % 7 == 0) u &= ~((std::uint64_t{1} << 28) - 1);  // many ties and near-ties
    if (k % 7 == 1) u = (u & ~((std::uint64_t{1} << 29) - 1)) | (std::uint64_t{1} << 28);
    const double x = std::bit_cast<double>(u);
    const float mine = to_fp32(x);
    const bool same = std::isnan(x) ? std::isnan(mine)
                                    : std::bit_cast<std::uint32_t>(mine) == std::bit_cast<std::uint32_t>(static_cast<float>(x));
    if (!same && wrong++ == 0) first = u;
  }
  INFO("first differing double, bits " << std::hex << first);
  CHECK(wrong == 0);
}

TEST_CASE("to_bf16 agrees with float rounding on floats; to_fp16 with _Float16", "[numeric]") {
  std::mt19937_64 rng(777);
  std::uniform_int_distribution<std::uint32_t> any32;
  int wrong_bf16 = 0;
  for (int k = 0; k < 1'000'000; ++k) {
    std::uint32_t u = any32(rng);
    if (k % 5 == 0) u = (u & ~0xFFFFu) | 0x8000u;  // exact ties
    const float f = std::bit_cast<float>(u);
    if (!std::isnan(f) && to_bf16(static_cast<double>(f)).bits != bf16_from_float_trick(f)) ++wrong_bf16;
  }
  CHECK(wrong_bf16 == 0);
#if defined(__FLT16_MANT_DIG__)
  std::uniform_int_distribution<int> exp_dist(1023 - 30, 1023 + 17);
  std::uniform_int_distribution<std::uint64_t> any64;
  int wrong_fp16 = 0;
  double first = 0.0;
  for (int k = 0; k < 1'000'000; ++k) {
    std::uint64_t u = (any64(rng) & 0x800FFFFFFFFFFFFFull) | (static_cast<std::uint64_t>(exp_dist(rng)) << 52);
    if (k % 5 == 0) u = (u & ~((std::uint64_t{1} << 42) - 1)) | (std::uint64_t{1} << 41);  // ties
    const double x = std::bit_cast<double>(u);
    const auto h = static_cast<_Float16>(x);
    std::uint16_t hb = 0;
    std::memcpy(&hb, &h, sizeof hb);
    if (to_fp16(x).bits != hb && wrong_fp16++ == 0) first = x;
  }
  INFO("first differing double " << first);
  CHECK(wrong_fp16 == 0);
#endif
}

TEST_CASE("round_to i32: nearest, ties to even, saturating; NaN is 0", "[numeric]") {
  CHECK(round_to(DType::i32, 2.5) == 2.0);
  CHECK(round_to(DType::i32, 3.5) == 4.0);
  CHECK(round_to(DType::i32, -2.5) == -2.0);
  CHECK(round_to(DType::i32, -3.5) == -4.0);
  CHECK(round_to(DType::i32, 2.4999999) == 2.0);
  CHECK(round_to(DType::i32, -7.0) == -7.0);
  CHECK_FALSE(std::signbit(round_to(DType::i32, -0.4)));
  CHECK(round_to(DType::i32, 1e12) == 2147483647.0);
  CHECK(round_to(DType::i32, 2147483647.4) == 2147483647.0);
  CHECK(round_to(DType::i32, -1e12) == -2147483648.0);
  CHECK(round_to(DType::i32, std::numeric_limits<double>::infinity()) == 2147483647.0);
  CHECK(round_to(DType::i32, std::numeric_limits<double>::quiet_NaN()) == 0.0);
}

TEST_CASE("ulp_distance counts representable values, across zero", "[numeric]") {
  const float one = 1.0f;
  CHECK(ulp_distance(one, one) == 0);
  CHECK(ulp_distance(one, std::nextafter(one, 2.0f)) == 1);
  CHECK(ulp_distance(std::nextafter(one, 2.0f), one) == 1);
  CHECK(ulp_distance(0.0f, -0.0f) == 0);
  const float tiny = std::numeric_limits<float>::denorm_min();
  CHECK(ulp_distance(-tiny, tiny) == 2);
  CHECK(ulp_distance(std::numeric_limits<float>::max(), std::numeric_limits<float>::infinity()) == 1);
  CHECK(ulp_distance(1.0f, 2.0f) == (1u << 23));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  CHECK(ulp_distance(nan, nan) == 0);
  CHECK(ulp_distance(nan, one) == std::numeric_limits<std::uint64_t>::max());
  CHECK(ulp_distance(Bf16{0x3F80}, Bf16{0x4000}) == 128);  // 1.0 to 2.0
  CHECK(ulp_distance(Bf16{0x8001}, Bf16{0x0001}) == 2);
  CHECK(ulp_distance(Bf16{0x7FC0}, Bf16{0x3F80}) == std::numeric_limits<std::uint64_t>::max());
  CHECK(ulp_distance(Fp16{0x3C00}, Fp16{0x4000}) == 1024);
  CHECK(ulp_distance(Fp16{0xFC00}, Fp16{0x7C00}) == 2 * 0x7C00u);
}
