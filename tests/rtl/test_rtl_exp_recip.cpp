// The exp and reciprocal units (rtl/units/fp32_exp.v, fp32_recip.v) and their shared fp32
// multiplier (fp32_mul.v), run as Verilator models and checked bit for bit against the one
// numeric library: exp_hw, recip_hw and mul_fp32_hw (einfuse/einsum/numeric.hpp), NaN bits
// and zero signs included. Also: the generated Verilog tables (fp32_exp_table.vh,
// fp32_recip_table.vh) equal the text generated now from exp_unit_constants() and
// recip_unit_constants(), so the RTL constants are the C++ constants.
//
// Vectors: every bf16 pattern (65,536, as fp32), fp32 corner patterns, >= 2M random fp32 bit
// patterns, plus classes aimed at each unit's boundaries (docs/rtl.md). Combinational
// (STAGES = 0): set the input, eval(), read the output; no clock.
#include <catch2/catch.hpp>

#include <verilated.h>

#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "Vfp32_exp.h"
#include "Vfp32_mul.h"
#include "Vfp32_recip.h"
#include "einfuse/einsum/numeric.hpp"
#include "rtl_test_support.hpp"
#include "rtl_unit_tables.hpp"

namespace num = einfuse::einsum::numeric;
using num::fp32_bits;
using num::fp32_from_bits;

namespace {

using einfuse::rtl_test::hex32;
using einfuse::rtl_test::Mismatches;
using einfuse::rtl_test::Rng;
using einfuse::rtl_test::seconds_since;

constexpr std::array<std::uint32_t, 40> kSpecials = {
    0x00000000, 0x80000000, 0x7F800000, 0xFF800000,              // +-0, +-inf
    0x7FC00000, 0xFFC00000, 0x7FC00001, 0x7F800001, 0xFFBFFFFF,  // NaNs (quiet, payloads,
    0x7FFFFFFF, 0xFF800001, 0x7FA00000,                          //   signalling, both signs)
    0x00000001, 0x80000001, 0x007FFFFF, 0x807FFFFF, 0x00400000,  // subnormals
    0x00800000, 0x80800000, 0x00800001, 0x80800001, 0x01000000,  // 2^-126 and up
    0x7F7FFFFF, 0xFF7FFFFF, 0x7F7FFFFE, 0x7F000000, 0xFF000000,  // near FLT_MAX
    0x3F800000, 0xBF800000, 0x3F7FFFFF, 0x33800000, 0xB3800000,  // 1, -1, 1-2^-24, +-2^-24
    0x42B17217, 0x42B17218, 0xC2CFF1B5, 0xC2CFF1B4,              // exp: t = 128, t = -150
    0xC2AEAC50, 0xC2AEAC4F, 0x7E800000, 0xFE800000,              // exp flush; recip flush
};

// Random fp32 in [lo, hi) by value, and its bits +- a few ulps (boundary classes).
std::uint32_t near(Rng& rng, std::uint32_t bits) { return bits + rng.below(129) - 64; }

std::filesystem::path unit_dir() {
  // Not __FILE__: ccache's base_dir makes it relative to the build folder.
  return std::filesystem::path(EINFUSE_SOURCE_DIR) / "rtl" / "units";
}

void check_table_file(const std::string& name, const std::string& generated) {
  const std::filesystem::path path = unit_dir() / name;
  if (const char* regen = std::getenv("EINFUSE_RTL_REGEN_TABLES"); regen != nullptr && std::string(regen) == "1") {
    std::ofstream(path, std::ios::binary) << generated;
    WARN("rewrote " << path.string());
  }
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  INFO(path.string() << " differs from the text generated from the numeric library; "
                        "regenerate with EINFUSE_RTL_REGEN_TABLES=1");
  CHECK(ss.str() == generated);
}

}  // namespace

TEST_CASE("rtl exp/recip tables equal the numeric library's constants", "[rtl][fp32_exp][fp32_recip]") {
  check_table_file("fp32_exp_table.vh", einfuse::rtl_tables::exp_table_vh());
  check_table_file("fp32_recip_table.vh", einfuse::rtl_tables::recip_table_vh());
  // The generated text really carries every entry (a guard against a broken generator).
  const std::string exp_vh = einfuse::rtl_tables::exp_table_vh();
  const auto& ke = num::exp_unit_constants();
  for (float v : ke.table) CHECK(exp_vh.find(einfuse::rtl_tables::hex_literal(v)) != std::string::npos);
  const std::string recip_vh = einfuse::rtl_tables::recip_table_vh();
  for (float v : num::recip_unit_constants().seed)
    CHECK(recip_vh.find(einfuse::rtl_tables::hex_literal(v)) != std::string::npos);
}

TEST_CASE("rtl fp32_mul matches mul_fp32_hw bit for bit", "[rtl][fp32_mul]") {
  const auto ctx = std::make_unique<VerilatedContext>();
  const auto dut = std::make_unique<Vfp32_mul>(ctx.get());
  dut->clk = 0;
  dut->rst_n = 1;
  dut->in_valid = 1;
  Mismatches bad;
  std::uint64_t vectors = 0, flushes = 0, overflows = 0, ties = 0, nans = 0;
  const auto check = [&](std::uint32_t a, std::uint32_t b) {
    dut->a = a;
    dut->b = b;
    dut->eval();
    const std::uint32_t got = dut->product;
    const float fa = num::flush_subnormal(fp32_from_bits(a)), fb = num::flush_subnormal(fp32_from_bits(b));
    const std::uint32_t ref = fp32_bits(num::mul_fp32_hw(fp32_from_bits(a), fp32_from_bits(b)));
    ++vectors;
    const double exact = static_cast<double>(fa) * static_cast<double>(fb);
    if (std::isnan(fp32_from_bits(ref))) ++nans;
    else if (std::isfinite(exact) && exact != 0.0) {
      if ((ref & 0x7FFFFFFFu) == 0) ++flushes;
      if ((ref & 0x7FFFFFFFu) == 0x7F800000u) ++overflows;
      if ((std::bit_cast<std::uint64_t>(exact) & 0x1FFFFFFFull) == 0x10000000ull) ++ties;
    }
    if (got != ref || dut->out_valid != 1)
      bad.add(hex32(a) + " * " + hex32(b) + ": rtl " + hex32(got) + ", model " + hex32(ref));
  };
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint32_t a : kSpecials)
    for (std::uint32_t b : kSpecials) check(a, b);
  Rng rng{0x6D756C};
  for (int k = 0; k < 2'000'000; ++k) {
    const std::uint32_t a = rng.u32();
    switch (k % 4) {
      case 0: check(a, rng.u32()); break;
      case 1: {  // product exponent near the flush (127) or overflow (381) boundary
        const std::uint32_t ea = 1 + rng.below(254);
        const std::uint32_t target = (k & 4) ? 126 + rng.below(3) : 380 + rng.below(3);
        const std::int64_t eb = static_cast<std::int64_t>(target) - ea;
        if (eb < 1 || eb > 254) { check(a, rng.u32()); break; }
        check((a & 0x807FFFFFu) | (ea << 23), (rng.u32() & 0x807FFFFFu) | (static_cast<std::uint32_t>(eb) << 23));
        break;
      }
      case 2:  // 13 x 12 significant bits: 24- or 25-bit products, exact or ties
        check(a & 0xFFFFF800u, rng.u32() & 0xFFFFFC00u);
        break;
      default: check(kSpecials[rng.below(kSpecials.size())], a); break;
    }
  }
  std::printf("fp32_mul: %llu vectors (%llu ties, %llu flushes, %llu overflows, %llu NaN) in %.2f s\n",
              static_cast<unsigned long long>(vectors), static_cast<unsigned long long>(ties),
              static_cast<unsigned long long>(flushes), static_cast<unsigned long long>(overflows),
              static_cast<unsigned long long>(nans), seconds_since(t0));
  INFO(bad.report());
  CHECK(bad.count == 0);
  CHECK(ties >= 1000);
  CHECK(flushes >= 10000);
  CHECK(overflows >= 10000);
  CHECK(nans >= 1000);
}

namespace {

// Runs one single-input unit over every bf16 pattern, the corner patterns, 2M random fp32
// patterns and `extra` class vectors; returns the mismatch report.
template <class Dut>
Mismatches run_unary(Dut& dut, std::uint32_t (*ref_of)(std::uint32_t), std::uint64_t& vectors,
                     const std::function<void(std::uint32_t, std::uint32_t)>& cover,
                     const std::function<std::uint32_t(Rng&, int)>& extra, int extra_count, std::uint64_t seed,
                     std::uint32_t (*out_of)(Dut&)) {
  Mismatches bad;
  const auto check = [&](std::uint32_t x) {
    dut.x = x;
    dut.eval();
    const std::uint32_t got = out_of(dut);
    const std::uint32_t ref = ref_of(x);
    ++vectors;
    cover(x, ref);
    if (got != ref || dut.out_valid != 1) bad.add(hex32(x) + ": rtl " + hex32(got) + ", model " + hex32(ref));
  };
  for (std::uint32_t h = 0; h < 0x10000u; ++h) check(h << 16);  // every bf16, as fp32
  for (std::uint32_t s : kSpecials) check(s);
  Rng rng{seed};
  for (int k = 0; k < 2'000'000; ++k) check(rng.u32());
  for (int k = 0; k < extra_count; ++k) check(extra(rng, k));
  return bad;
}

}  // namespace

TEST_CASE("rtl fp32_exp matches exp_hw bit for bit", "[rtl][fp32_exp]") {
  const auto ctx = std::make_unique<VerilatedContext>();
  const auto dut = std::make_unique<Vfp32_exp>(ctx.get());
  dut->clk = 0;
  dut->rst_n = 1;
  dut->in_valid = 1;
  std::uint64_t vectors = 0, pipeline = 0, f_rounded_to_1 = 0, flushes = 0, overflows = 0, t_big = 0,
                t_small = 0, nans = 0;
  std::array<std::uint64_t, 64> index_hits{};
  const auto cover = [&](std::uint32_t x, std::uint32_t ref) {
    const num::ExpSteps s = num::exp_hw_steps(fp32_from_bits(x));
    if (std::isnan(fp32_from_bits(ref))) { ++nans; return; }
    if (s.special) {
      if (std::isfinite(fp32_from_bits(x))) (ref == 0x7F800000u ? t_big : t_small) += 1;
      return;
    }
    ++pipeline;
    ++index_hits[static_cast<std::size_t>(s.i)];
    if (static_cast<double>(s.n) != std::floor(static_cast<double>(s.t))) ++f_rounded_to_1;
    if (ref == 0) ++flushes;
    if (ref == 0x7F800000u) ++overflows;
  };
  // Classes: uniform over the unit's working range; around t = 128, t = -150 and the result's
  // flush boundary (x ~ -87.34); t just below 0 (the f >= 1 case); tiny |x|.
  const auto extra = [](Rng& rng, int k) -> std::uint32_t {
    switch (k % 6) {
      case 0: return fp32_bits(rng.uniform(-104.0f, 89.0f));
      case 1: return fp32_bits(rng.uniform(-1.0f, 1.0f));
      case 2: return near(rng, (k & 8) ? 0x42B17218u : 0xC2CFF1B5u);
      case 3: return near(rng, 0xC2AEAC50u);
      case 4: return 0xB2000000u | (rng.u32() & 0x01FFFFFFu);  // |x| ~ 2^-27 .. 2^-26, negative
      default: return (rng.u32() & 0x80000000u) | ((1 + rng.below(110)) << 23) | (rng.u32() & 0x7FFFFFu);
    }
  };
  const auto t0 = std::chrono::steady_clock::now();
  const Mismatches bad = run_unary<Vfp32_exp>(
      *dut, [](std::uint32_t x) { return fp32_bits(num::exp_hw(fp32_from_bits(x))); }, vectors, cover, extra,
      2'000'000, 0x657870, [](Vfp32_exp& d) { return static_cast<std::uint32_t>(d.exp_x); });
  std::printf(
      "fp32_exp: %llu vectors (%llu through the pipeline, %llu f rounded to 1, %llu flushed, %llu overflow, "
      "%llu t>=128, %llu t<=-150, %llu NaN) in %.2f s\n",
      static_cast<unsigned long long>(vectors), static_cast<unsigned long long>(pipeline),
      static_cast<unsigned long long>(f_rounded_to_1), static_cast<unsigned long long>(flushes),
      static_cast<unsigned long long>(overflows), static_cast<unsigned long long>(t_big),
      static_cast<unsigned long long>(t_small), static_cast<unsigned long long>(nans), seconds_since(t0));
  INFO(bad.report());
  CHECK(bad.count == 0);
  CHECK(vectors >= 4'000'000);
  CHECK(f_rounded_to_1 >= 100);
  CHECK(flushes >= 1000);
  CHECK(t_big >= 1000);
  CHECK(t_small >= 1000);
  CHECK(nans >= 1000);
  for (std::uint64_t h : index_hits) CHECK(h >= 100);
}

TEST_CASE("rtl fp32_recip matches recip_hw bit for bit", "[rtl][fp32_recip]") {
  const auto ctx = std::make_unique<VerilatedContext>();
  const auto dut = std::make_unique<Vfp32_recip>(ctx.get());
  dut->clk = 0;
  dut->rst_n = 1;
  dut->in_valid = 1;
  std::uint64_t vectors = 0, pipeline = 0, flushes = 0, nans = 0;
  std::array<std::uint64_t, 64> index_hits{};
  std::array<std::uint64_t, 256> exp_hits{};
  const auto cover = [&](std::uint32_t x, std::uint32_t ref) {
    const num::RecipSteps s = num::recip_hw_steps(fp32_from_bits(x));
    if (std::isnan(fp32_from_bits(ref))) { ++nans; return; }
    if (s.special) return;
    ++pipeline;
    ++index_hits[static_cast<std::size_t>(s.i)];
    ++exp_hits[(x >> 23) & 0xFFu];
    if ((ref & 0x7FFFFFFFu) == 0) ++flushes;
  };
  // Classes: the flush boundary (|x| near 2^126, exponent fields 252..254), significands
  // near each table-interval edge, significand 1 (powers of two) and all-ones.
  const auto extra = [](Rng& rng, int k) -> std::uint32_t {
    const std::uint32_t sign = rng.u32() & 0x80000000u;
    switch (k % 4) {
      case 0: return sign | ((252 + rng.below(3)) << 23) | (rng.u32() & 0x7FFFFFu);
      case 1: return sign | ((1 + rng.below(254)) << 23) | ((rng.below(64) << 17) + rng.below(9) - 4) % 0x800000u;
      case 2: return sign | ((1 + rng.below(254)) << 23) | (k & 8 ? 0u : 0x7FFFFFu);
      default: return sign | ((1 + rng.below(254)) << 23) | (rng.u32() & 0x7FFFFFu);
    }
  };
  const auto t0 = std::chrono::steady_clock::now();
  const Mismatches bad = run_unary<Vfp32_recip>(
      *dut, [](std::uint32_t x) { return fp32_bits(num::recip_hw(fp32_from_bits(x))); }, vectors, cover, extra,
      1'000'000, 0x726563, [](Vfp32_recip& d) { return static_cast<std::uint32_t>(d.recip); });
  std::printf("fp32_recip: %llu vectors (%llu through the pipeline, %llu flushed, %llu NaN) in %.2f s\n",
              static_cast<unsigned long long>(vectors), static_cast<unsigned long long>(pipeline),
              static_cast<unsigned long long>(flushes), static_cast<unsigned long long>(nans), seconds_since(t0));
  INFO(bad.report());
  CHECK(bad.count == 0);
  CHECK(vectors >= 3'000'000);
  CHECK(flushes >= 10000);
  CHECK(nans >= 1000);
  for (std::uint64_t h : index_hits) CHECK(h >= 1000);
  for (std::size_t e = 1; e < 255; ++e) CHECK(exp_hits[e] >= 100);
}
