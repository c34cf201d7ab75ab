// The RTL units of rtl/units, run as Verilator models, checked bit for bit against the one
// numeric library (einfuse/einsum/numeric.hpp): the RTL must reproduce add_fp32_hw,
// mac_bf16_fp32, mul_fp32_hw and max_hw exactly, NaN bits and zero signs included.
//
// The units are combinational (STAGES = 0): each vector is set on the inputs, eval() is
// called and the output read back, no clock. Vectors mix random bit patterns with corner
// classes (docs/rtl.md lists them); coverage counters computed from the reference results
// assert that each class (ties, flushes, overflows, cancellations, NaNs) really occurred.
#include <catch2/catch.hpp>

#include <verilated.h>

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "Vbf16_mac.h"
#include "Vbf16_mul.h"
#include "Vfp32_add.h"
#include "Vfp32_add_stages2.h"
#include "Vfp32_max.h"
#include "einfuse/einsum/numeric.hpp"
#include "rtl_test_support.hpp"
#if EINFUSE_RTL_TRACE
#include <verilated_fst_c.h>
#endif

namespace num = einfuse::einsum::numeric;
using num::fp32_bits;
using num::fp32_from_bits;

namespace {

using einfuse::rtl_test::hex32;
using einfuse::rtl_test::Mismatches;
using einfuse::rtl_test::Rng;
using einfuse::rtl_test::seconds_since;

// fp32 corner patterns: zeros, infinities, NaNs with payloads (quiet and signalling, both
// signs), subnormals, the flush boundary, the overflow boundary, ones and their neighbours.
constexpr std::array<std::uint32_t, 30> kFp32Specials = {
    0x00000000, 0x80000000, 0x7F800000, 0xFF800000,              // +-0, +-inf
    0x7FC00000, 0xFFC00000, 0x7FC00001, 0x7F800001, 0xFFBFFFFF,  // NaNs
    0x7FFFFFFF, 0xFF800001,                                      // NaNs
    0x00000001, 0x80000001, 0x007FFFFF, 0x807FFFFF, 0x00400000,  // subnormals
    0x00800000, 0x80800000, 0x00800001, 0x80800001, 0x01000000,  // 2^-126 and up
    0x7F7FFFFF, 0xFF7FFFFF, 0x7F7FFFFE, 0x7F000000, 0xFF000000,  // near FLT_MAX
    0x3F800000, 0xBF800000, 0x3F7FFFFF, 0x33800000,              // 1, -1, 1-2^-24, 2^-24
};

// bf16 corner patterns.
constexpr std::array<std::uint16_t, 22> kBf16Specials = {
    0x0000, 0x8000, 0x7F80, 0xFF80,                  // +-0, +-inf
    0x7FC0, 0xFFC0, 0x7FC1, 0x7F81, 0xFFFF,          // NaNs (quiet, payload, signalling)
    0x0001, 0x807F, 0x0040,                          // subnormals
    0x0080, 0x8080, 0x0081, 0x7F7F, 0xFF7F, 0x7F00,  // min normal, max finite
    0x3F80, 0xBF80, 0x3FFF, 0x4000,                  // 1, -1, ~2, 2
};

std::uint32_t make_fp32(std::uint32_t sign, std::uint32_t exp, std::uint32_t frac) {
  return (sign << 31) | ((exp & 0xFFu) << 23) | (frac & 0x7FFFFFu);
}

// A random exponent, biased towards the extremes a quarter of the time.
std::uint32_t random_exp(Rng& r) {
  switch (r.below(8)) {
    case 0: return r.below(6);          // zero/subnormal field and the flush boundary
    case 1: return 249 + r.below(7);    // overflow boundary and inf/NaN field
    default: return r.below(256);
  }
}

// A fraction with random low bits cleared: makes exact ties in the aligned sum likely.
std::uint32_t random_frac(Rng& r) {
  const std::uint32_t f = r.u32() & 0x7FFFFFu;
  switch (r.below(4)) {
    case 0: return f & ~((1u << r.below(24)) - 1u);
    case 1: return r.coin() ? 0u : 0x7FFFFFu;
    default: return f;
  }
}

// Coverage of the adder's interesting cases, computed from the inputs and the reference.
struct AddCoverage {
  std::uint64_t ties = 0, flushes = 0, overflows = 0, cancellations = 0, nans = 0, infs = 0,
                daz = 0;
  void count(std::uint32_t a, std::uint32_t b, std::uint32_t ref) {
    const float fa = num::flush_subnormal(fp32_from_bits(a));
    const float fb = num::flush_subnormal(fp32_from_bits(b));
    if (fp32_bits(fa) != a || fp32_bits(fb) != b) ++daz;
    if (std::isnan(fp32_from_bits(ref))) { ++nans; return; }
    if (std::isnan(fa) || std::isnan(fb) || std::isinf(fa) || std::isinf(fb)) { ++infs; return; }
    if (std::isinf(fp32_from_bits(ref))) ++overflows;
    const double exact = static_cast<double>(fa) + static_cast<double>(fb);
    if (exact == 0.0 && fa != 0.0f) ++cancellations;
    if ((ref & 0x7FFFFFFFu) == 0 && exact != 0.0) ++flushes;
    // The double sum is exact when the exponents differ by at most 28; then a tie is a
    // remainder of exactly half an fp32 ulp (29 dropped bits = 1 followed by zeros).
    const int ea = static_cast<int>((fp32_bits(fa) >> 23) & 0xFF);
    const int eb = static_cast<int>((fp32_bits(fb) >> 23) & 0xFF);
    if (exact != 0.0 && ea != 0 && eb != 0 && std::abs(ea - eb) <= 28 &&
        (std::bit_cast<std::uint64_t>(exact) & ((1ull << 29) - 1)) == (1ull << 28))
      ++ties;
  }
};

// Next adder vector of corner class `cls` (0..6); see docs/rtl.md.
void adder_vector(Rng& r, int cls, std::uint32_t& a, std::uint32_t& b) {
  switch (cls) {
    case 0:  // random bit patterns
      a = r.u32();
      b = r.u32();
      break;
    case 1: {  // exponents within 27 of each other: every alignment, ties, carries
      a = make_fp32(r.coin(), random_exp(r), random_frac(r));
      const int eb = static_cast<int>((a >> 23) & 0xFF) + static_cast<int>(r.below(55)) - 27;
      b = make_fp32(r.coin(), static_cast<std::uint32_t>(std::clamp(eb, 0, 255)), random_frac(r));
      break;
    }
    case 2: {  // cancellation a + (-a) and near-cancellation (a few ulps, or exponent +-1)
      a = make_fp32(r.coin(), r.below(4) == 0 ? 1 + r.below(30) : 1 + r.below(254), r.u32());
      b = a ^ 0x80000000u;
      switch (r.below(4)) {
        case 0: break;  // exact cancellation
        case 1: b = (b & 0x80000000u) | ((b & 0x7FFFFFFFu) + r.below(9) - 4u); break;
        case 2: b = (b & 0xFF800000u) | (r.u32() & 0x7FFFFFu); break;  // same exponent
        default: b = make_fp32(b >> 31, ((b >> 23) & 0xFF) + r.below(3) - 1u, r.u32()); break;
      }
      break;
    }
    case 3:  // a corner pattern against a random or corner pattern
      a = kFp32Specials[r.below(kFp32Specials.size())];
      b = r.coin() ? kFp32Specials[r.below(kFp32Specials.size())] : r.u32();
      if (r.coin()) std::swap(a, b);
      break;
    case 4: {  // exponent extremes: both near the flush boundary or both near overflow
      const bool low = r.coin();
      const auto e = [&] { return low ? r.below(5) : 250 + r.below(5); };
      a = make_fp32(r.coin(), e(), random_frac(r));
      b = make_fp32(r.coin(), e(), random_frac(r));
      break;
    }
    default: {  // round-to-even ties: b is half an ulp of a (times a short significand)
      const std::uint32_t ea = 25 + r.below(229);
      a = make_fp32(r.coin(), ea, r.u32());
      const std::uint32_t k = 23 + r.below(3);  // 23, 24, 25: above, at, below the guard bit
      b = make_fp32(r.coin(), ea - k, r.coin() ? 0u : (r.u32() & 0x7F0000u));
      break;
    }
  }
}

}  // namespace

TEST_CASE("rtl fp32_add matches add_fp32_hw bit for bit", "[rtl][fp32_add]") {
  const auto ctx = std::make_unique<VerilatedContext>();
  const auto dut = std::make_unique<Vfp32_add>(ctx.get());
  dut->clk = 0;
  dut->rst_n = 1;
  dut->in_valid = 1;
  Mismatches bad;
  AddCoverage cov;
  std::uint64_t vectors = 0;
  const auto check = [&](std::uint32_t a, std::uint32_t b) {
    dut->a = a;
    dut->b = b;
    dut->eval();
    const std::uint32_t got = dut->sum;
    const std::uint32_t ref = fp32_bits(num::add_fp32_hw(fp32_from_bits(a), fp32_from_bits(b)));
    ++vectors;
    cov.count(a, b, ref);
    if (got != ref || dut->out_valid != 1)
      bad.add(hex32(a) + " + " + hex32(b) + ": rtl " + hex32(got) + ", model " + hex32(ref));
  };
  const auto t0 = std::chrono::steady_clock::now();

  // Every pair of corner patterns, in both orders.
  for (const std::uint32_t a : kFp32Specials)
    for (const std::uint32_t b : kFp32Specials) check(a, b);

  // 10M vectors over seven classes (class 0 and 1 weighted double).
  Rng r{0x5EEDADD0ull};
  constexpr std::uint64_t kVectors = 10'000'000;
  for (std::uint64_t i = 0; i < kVectors; ++i) {
    const int cls = static_cast<int>(i % 9);
    std::uint32_t a = 0, b = 0;
    adder_vector(r, cls >= 7 ? cls - 7 : cls, a, b);
    check(a, b);
  }
  const double secs = seconds_since(t0);
  std::printf("rtl fp32_add: %llu vectors in %.2f s, %llu mismatches; coverage: ties %llu, "
              "flushes %llu, overflows %llu, cancellations %llu, NaN results %llu, inf/NaN inputs "
              "%llu, DAZ inputs %llu\n",
              static_cast<unsigned long long>(vectors), secs,
              static_cast<unsigned long long>(bad.count), static_cast<unsigned long long>(cov.ties),
              static_cast<unsigned long long>(cov.flushes),
              static_cast<unsigned long long>(cov.overflows),
              static_cast<unsigned long long>(cov.cancellations),
              static_cast<unsigned long long>(cov.nans), static_cast<unsigned long long>(cov.infs),
              static_cast<unsigned long long>(cov.daz));
  INFO(bad.report());
  CHECK(bad.count == 0);
  CHECK(vectors >= kVectors);
  CHECK(cov.ties >= 100'000);
  CHECK(cov.flushes >= 10'000);
  CHECK(cov.overflows >= 10'000);
  CHECK(cov.cancellations >= 100'000);
  CHECK(cov.nans >= 10'000);
  CHECK(cov.daz >= 100'000);
  dut->final();
}

TEST_CASE("rtl fp32_add known cases", "[rtl][fp32_add]") {
  const auto ctx = std::make_unique<VerilatedContext>();
  const auto dut = std::make_unique<Vfp32_add>(ctx.get());
  dut->in_valid = 1;
  const auto add = [&](std::uint32_t a, std::uint32_t b) {
    dut->a = a;
    dut->b = b;
    dut->eval();
    return static_cast<std::uint32_t>(dut->sum);
  };
  CHECK(add(0x80000000, 0x80000000) == 0x80000000);  // -0 + -0 = -0
  CHECK(add(0x80000000, 0x00000000) == 0x00000000);  // -0 + +0 = +0
  CHECK(add(0x3F800000, 0xBF800000) == 0x00000000);  // exact cancellation: +0
  CHECK(add(0x7F800000, 0xFF800000) == 0x7FC00000);  // inf - inf: canonical NaN
  CHECK(add(0x7F800001, 0x3F800000) == 0x7FC00000);  // signalling NaN: canonical NaN
  CHECK(add(0x00000001, 0x3F800000) == 0x3F800000);  // DAZ
  CHECK(add(0x00800001, 0x80800000) == 0x00000000);  // 2^-149 result flushed, sign +
  CHECK(add(0x80800001, 0x00800000) == 0x80000000);  // flushed with the result's sign
  CHECK(add(0x7F7FFFFF, 0x73000000) == 0x7F800000);  // FLT_MAX + half ulp: tie to inf
  CHECK(add(0x7F7FFFFF, 0x72FFFFFF) == 0x7F7FFFFF);  // just below the tie
  CHECK(add(0x3F800000, 0x33800000) == 0x3F800000);  // 1 + 2^-24: tie to even (down)
  CHECK(add(0x3F800001, 0x33800000) == 0x3F800002);  // tie to even (up)
}

TEST_CASE("rtl bf16_mul matches mul_fp32_hw on every bf16 pair class", "[rtl][bf16_mul]") {
  const auto ctx = std::make_unique<VerilatedContext>();
  const auto dut = std::make_unique<Vbf16_mul>(ctx.get());
  dut->in_valid = 1;
  Mismatches bad;
  std::uint64_t vectors = 0, flushes = 0, overflows = 0;
  const auto t0 = std::chrono::steady_clock::now();
  // Every a (all 65536 patterns) against 160 b: all bf16 specials, every exponent with a
  // random fraction and both signs, so every exponent sum (flush and overflow) occurs.
  std::vector<std::uint16_t> bs(kBf16Specials.begin(), kBf16Specials.end());
  Rng r{0xB16B00B5ull};
  for (std::uint32_t e = 0; e < 256; e += 2)
    bs.push_back(static_cast<std::uint16_t>((r.coin() << 15) | (e << 7) | r.below(128)));
  for (std::uint32_t a = 0; a < 0x10000; ++a) {
    for (const std::uint16_t b : bs) {
      dut->a = static_cast<std::uint16_t>(a);
      dut->b = b;
      dut->eval();
      const std::uint32_t got = dut->product;
      const float fa = num::to_float(num::Bf16{static_cast<std::uint16_t>(a)});
      const float fb = num::to_float(num::Bf16{b});
      const std::uint32_t ref = fp32_bits(num::mul_fp32_hw(fa, fb));
      ++vectors;
      const double exact = static_cast<double>(num::flush_subnormal(fa)) * num::flush_subnormal(fb);
      if ((ref & 0x7FFFFFFFu) == 0 && exact != 0.0 && std::isfinite(exact)) ++flushes;
      if ((ref & 0x7FFFFFFFu) == 0x7F800000u && std::isfinite(exact)) ++overflows;
      if (got != ref) bad.add(hex32(a) + " * " + hex32(b) + ": rtl " + hex32(got) + ", model " + hex32(ref));
    }
  }
  std::printf("rtl bf16_mul: %llu vectors in %.2f s, %llu mismatches; flushes %llu, overflows %llu\n",
              static_cast<unsigned long long>(vectors), seconds_since(t0),
              static_cast<unsigned long long>(bad.count), static_cast<unsigned long long>(flushes),
              static_cast<unsigned long long>(overflows));
  INFO(bad.report());
  CHECK(bad.count == 0);
  CHECK(flushes >= 10'000);
  CHECK(overflows >= 10'000);
  dut->final();
}

TEST_CASE("rtl bf16_mac matches mac_bf16_fp32 bit for bit", "[rtl][bf16_mac]") {
  const auto ctx = std::make_unique<VerilatedContext>();
  const auto dut = std::make_unique<Vbf16_mac>(ctx.get());
  dut->in_valid = 1;
  Mismatches bad;
  std::uint64_t vectors = 0, cancellations = 0, ties = 0, flushes = 0, overflows = 0, nans = 0;
  const auto check = [&](std::uint32_t acc, std::uint16_t a, std::uint16_t b) {
    dut->acc = acc;
    dut->a = a;
    dut->b = b;
    dut->eval();
    const std::uint32_t got = dut->result;
    const std::uint32_t ref =
        fp32_bits(num::mac_bf16_fp32(fp32_from_bits(acc), num::Bf16{a}, num::Bf16{b}));
    ++vectors;
    // coverage, from the flushed inputs (the product is exact in double)
    const float fc = num::flush_subnormal(fp32_from_bits(acc));
    const double p = static_cast<double>(num::flush_subnormal(num::to_float(num::Bf16{a}))) *
                     num::flush_subnormal(num::to_float(num::Bf16{b}));
    if (std::isnan(fp32_from_bits(ref))) ++nans;
    else if (std::isfinite(p) && std::isfinite(fc)) {
      const double exact = fc + p;  // exact when the exponents are close (checked for ties)
      if (exact == 0.0 && p != 0.0) ++cancellations;
      if ((ref & 0x7FFFFFFFu) == 0 && exact != 0.0) ++flushes;
      if (std::isinf(fp32_from_bits(ref))) ++overflows;
      const double fs = std::fabs(static_cast<double>(fc)), ps = std::fabs(p);
      if (fs != 0.0 && ps != 0.0 && std::max(fs, ps) < 0x1p28 * std::min(fs, ps) &&
          (std::bit_cast<std::uint64_t>(exact) & ((1ull << 29) - 1)) == (1ull << 28))
        ++ties;
    }
    if (got != ref)
      bad.add(hex32(acc) + " + " + hex32(a) + " * " + hex32(b) + ": rtl " + hex32(got) +
              ", model " + hex32(ref));
  };
  const auto t0 = std::chrono::steady_clock::now();

  // Every combination of corner patterns.
  for (const std::uint32_t acc : kFp32Specials)
    for (const std::uint16_t a : kBf16Specials)
      for (const std::uint16_t b : kBf16Specials) check(acc, a, b);

  Rng r{0x3AC3AC3Aull};
  const auto bf16 = [&](std::uint32_t exp) {
    return static_cast<std::uint16_t>((r.coin() << 15) | ((exp & 0xFF) << 7) | r.below(128));
  };
  constexpr std::uint64_t kVectors = 10'000'000;
  for (std::uint64_t i = 0; i < kVectors; ++i) {
    std::uint32_t acc = 0;
    std::uint16_t a = 0, b = 0;
    switch (i % 6) {
      case 0:  // random bit patterns
        acc = r.u32();
        a = static_cast<std::uint16_t>(r.u32());
        b = static_cast<std::uint16_t>(r.u32());
        break;
      case 1:
      case 2: {  // acc within 27 binades of a normal product: alignment, ties, cancellation
        a = bf16(1 + r.below(254));
        b = bf16(std::clamp<int>(127 + static_cast<int>(r.below(120)) - 60, 1, 254));
        const int pe = static_cast<int>((a >> 7) & 0xFF) + static_cast<int>((b >> 7) & 0xFF) - 127;
        const int ae = std::clamp(pe + static_cast<int>(r.below(55)) - 27, 0, 255);
        acc = make_fp32(r.coin(), static_cast<std::uint32_t>(ae), random_frac(r));
        break;
      }
      case 3: {  // cancellation: acc = -(a*b), exactly or a few ulps away
        a = bf16(64 + r.below(128));
        b = bf16(64 + r.below(128));
        const float p = num::to_float(num::Bf16{a}) * num::to_float(num::Bf16{b});  // exact
        acc = fp32_bits(p) ^ 0x80000000u;
        if (r.coin()) acc = (acc & 0x80000000u) | ((acc & 0x7FFFFFFFu) + r.below(9) - 4u);
        break;
      }
      case 4: {  // products at the flush boundary and at overflow, acc nearby or special
        const bool low = r.coin();
        const std::uint32_t ea = 1 + r.below(127);
        const int target = low ? static_cast<int>(r.below(5)) - 2 : 252 + static_cast<int>(r.below(5));
        const int ebi = std::clamp(target - static_cast<int>(ea) + 127, 1, 254);
        a = bf16(ea);
        b = bf16(static_cast<std::uint32_t>(ebi));
        if (r.coin()) std::swap(a, b);
        acc = r.below(4) == 0 ? kFp32Specials[r.below(kFp32Specials.size())]
                              : make_fp32(r.coin(), low ? r.below(4) : 250 + r.below(5), random_frac(r));
        break;
      }
      default:  // corner patterns against random operands
        acc = r.coin() ? kFp32Specials[r.below(kFp32Specials.size())] : r.u32();
        a = r.coin() ? kBf16Specials[r.below(kBf16Specials.size())] : static_cast<std::uint16_t>(r.u32());
        b = r.coin() ? kBf16Specials[r.below(kBf16Specials.size())] : static_cast<std::uint16_t>(r.u32());
        break;
    }
    check(acc, a, b);
  }
  std::printf("rtl bf16_mac: %llu vectors in %.2f s, %llu mismatches; coverage: ties %llu, "
              "flushes %llu, overflows %llu, cancellations %llu, NaN results %llu\n",
              static_cast<unsigned long long>(vectors), seconds_since(t0),
              static_cast<unsigned long long>(bad.count), static_cast<unsigned long long>(ties),
              static_cast<unsigned long long>(flushes), static_cast<unsigned long long>(overflows),
              static_cast<unsigned long long>(cancellations), static_cast<unsigned long long>(nans));
  INFO(bad.report());
  CHECK(bad.count == 0);
  CHECK(ties >= 10'000);
  CHECK(flushes >= 10'000);
  CHECK(overflows >= 10'000);
  CHECK(cancellations >= 100'000);
  CHECK(nans >= 10'000);
  dut->final();
}

TEST_CASE("rtl bf16_mac documented cases", "[rtl][bf16_mac]") {
  const auto ctx = std::make_unique<VerilatedContext>();
  const auto dut = std::make_unique<Vbf16_mac>(ctx.get());
  dut->in_valid = 1;
  const auto mac = [&](std::uint32_t acc, std::uint16_t a, std::uint16_t b) {
    dut->acc = acc;
    dut->a = a;
    dut->b = b;
    dut->eval();
    return static_cast<std::uint32_t>(dut->result);
  };
  // docs/numerics.md: mac(1.5 * 2^-126, 2^-64, 2^-63) = 1.5 * 2^-126 (product flushed first)
  CHECK(mac(0x00C00000, 0x1F80, 0x2000) == 0x00C00000);
  // mac(-FLT_MAX, 2^127, 2) = +inf (product overflows first)
  CHECK(mac(0xFF7FFFFF, 0x7F00, 0x4000) == 0x7F800000);
  CHECK(mac(0x80000000, 0x8000, 0x3F80) == 0x80000000);  // -0 + (-0 * 1) = -0
  CHECK(mac(0x3F800000, 0xBF80, 0x3F80) == 0x00000000);  // 1 - 1 = +0
  CHECK(mac(0x3F800000, 0x7F80, 0x0000) == 0x7FC00000);  // inf * 0: canonical NaN
}

TEST_CASE("rtl fp32_max matches max_hw over a structured exhaustive sample", "[rtl][fp32_max]") {
  const auto ctx = std::make_unique<VerilatedContext>();
  const auto dut = std::make_unique<Vfp32_max>(ctx.get());
  dut->in_valid = 1;
  Mismatches bad;
  std::uint64_t vectors = 0;
  const auto check = [&](std::uint32_t a, std::uint32_t b) {
    dut->a = a;
    dut->b = b;
    dut->eval();
    const std::uint32_t got = dut->max;
    const std::uint32_t ref = fp32_bits(num::max_hw(fp32_from_bits(a), fp32_from_bits(b)));
    ++vectors;
    if (got != ref) bad.add("max(" + hex32(a) + ", " + hex32(b) + "): rtl " + hex32(got) + ", model " + hex32(ref));
  };
  const auto t0 = std::chrono::steady_clock::now();
  // Every pair of: both signs x every exponent field (zero/subnormal, normal, inf/NaN) x six
  // fractions, plus the corner patterns: 3,102 values, 9.6M ordered pairs.
  std::vector<std::uint32_t> values(kFp32Specials.begin(), kFp32Specials.end());
  for (std::uint32_t s = 0; s < 2; ++s)
    for (std::uint32_t e = 0; e < 256; ++e)
      for (const std::uint32_t f : {0x000000u, 0x000001u, 0x2AAAAAu, 0x400000u, 0x555555u, 0x7FFFFFu})
        values.push_back(make_fp32(s, e, f));
  for (const std::uint32_t a : values)
    for (const std::uint32_t b : values) check(a, b);
  // Random pairs, and pairs that share sign and exponent (the fraction decides).
  Rng r{0x3A7C3A7Cull};
  for (int i = 0; i < 2'000'000; ++i) {
    const std::uint32_t a = r.u32();
    check(a, r.coin() ? r.u32() : (a & 0xFF800000u) | (r.u32() & 0x7FFFFFu));
  }
  std::printf("rtl fp32_max: %llu vectors in %.2f s, %llu mismatches\n",
              static_cast<unsigned long long>(vectors), seconds_since(t0),
              static_cast<unsigned long long>(bad.count));
  INFO(bad.report());
  CHECK(bad.count == 0);
  dut->final();
}

// The STAGES parameter: fp32_add verilated with STAGES = 2 gives each result, and its valid
// bit, exactly two rising edges later; reset clears the valid bits. With -DEINFUSE_RTL_TRACE=ON
// and EINFUSE_RTL_FST=<file> set in the environment this test writes an FST waveform.
TEST_CASE("rtl fp32_add with STAGES=2: latency and valid", "[rtl][fp32_add][pipeline]") {
  const auto ctx = std::make_unique<VerilatedContext>();
  const auto dut = std::make_unique<Vfp32_add_stages2>(ctx.get());
#if EINFUSE_RTL_TRACE
  std::unique_ptr<VerilatedFstC> fst;
  if (const char* path = std::getenv("EINFUSE_RTL_FST")) {
    ctx->traceEverOn(true);
    fst = std::make_unique<VerilatedFstC>();
    dut->trace(fst.get(), 99);
    fst->open(path);
  }
#endif
  const auto tick = [&] {
    dut->clk = 0;
    dut->eval();
#if EINFUSE_RTL_TRACE
    if (fst) fst->dump(ctx->time());
#endif
    ctx->timeInc(1);
    dut->clk = 1;
    dut->eval();
#if EINFUSE_RTL_TRACE
    if (fst) fst->dump(ctx->time());
#endif
    ctx->timeInc(1);
  };
  dut->rst_n = 0;
  dut->in_valid = 1;
  tick();
  tick();
  CHECK(dut->out_valid == 0);  // reset held: nothing valid comes out
  dut->rst_n = 1;
  Rng r{0x57A6E5ull};
  struct Sent { bool valid; std::uint32_t ref; };
  std::vector<Sent> sent;
  Mismatches bad;
  for (int cycle = 0; cycle < 20'000; ++cycle) {
    std::uint32_t a = 0, b = 0;
    adder_vector(r, cycle % 7, a, b);
    const bool valid = r.below(4) != 0;
    dut->a = a;
    dut->b = b;
    dut->in_valid = valid;
    sent.push_back({valid, fp32_bits(num::add_fp32_hw(fp32_from_bits(a), fp32_from_bits(b)))});
    tick();
    if (sent.size() >= 2) {
      const Sent& exp = sent[sent.size() - 2];  // what entered two edges ago
      if (dut->out_valid != exp.valid || (exp.valid && dut->sum != exp.ref))
        bad.add("cycle " + std::to_string(cycle) + ": valid " + std::to_string(dut->out_valid) +
                " sum " + hex32(dut->sum) + ", expected valid " + std::to_string(exp.valid) +
                " sum " + hex32(exp.ref));
    }
  }
  INFO(bad.report());
  CHECK(bad.count == 0);
#if EINFUSE_RTL_TRACE
  if (fst) fst->close();
#endif
  dut->final();
}
