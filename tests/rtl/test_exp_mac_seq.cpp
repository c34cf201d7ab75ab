// exp on the MAC (rtl/units/exp_mac_seq.v, run on its own bf16_mac as exp_mac_unit.v) against
// exp_mac_sequence_hw (einfuse/einsum/numeric.hpp) for every bf16 input, and the PEs' operand
// rounding fp32_to_bf16.v against to_bf16. Also: rtl/units/exp_mac_constants.vh equals the
// text generated now from exp_mac_sequence_constants(), so the RTL constants are the C++ ones.
#include <catch2/catch.hpp>

#include <verilated.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "Vexp_mac_unit.h"
#include "Vfp32_to_bf16.h"
#include "einfuse/einsum/numeric.hpp"
#include "rtl_test_support.hpp"

namespace num = einfuse::einsum::numeric;
using num::fp32_bits;
using num::fp32_from_bits;

namespace {

using einfuse::rtl_test::hex32;
using einfuse::rtl_test::Mismatches;
using einfuse::rtl_test::Rng;
using einfuse::rtl_test::seconds_since;

std::string hex16(std::uint16_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "16'h%04X", static_cast<unsigned>(v));
  return buf;
}

// rtl/units/exp_mac_constants.vh, generated from exp_mac_sequence_constants().
std::string exp_mac_constants_vh() {
  const num::ExpMacConstants& k = num::exp_mac_sequence_constants();
  std::string s =
      "// GENERATED from exp_mac_sequence_constants() (einsum/src/numeric_exp_mac.cpp) by\n"
      "// tests/rtl/test_exp_mac_seq.cpp; do not edit. Regenerate: EINFUSE_RTL_REGEN_TABLES=1\n"
      "// rtl_tests \"[exp_mac_seq]\". Included inside module exp_mac_seq. All bf16 multiplier operands.\n";
  const std::array<std::pair<const char*, num::Bf16>, 5> entries = {{{"LOG2E", k.log2e},
                                                                      {"LN2_HI", k.ln2_hi},
                                                                      {"LN2_LO", k.ln2_lo},
                                                                      {"H0", k.h[0]},
                                                                      {"H1", k.h[1]}}};
  for (const auto& [name, value] : entries)
    s += std::string("localparam [15:0] EXPMAC_") + name + " = " + hex16(value.bits) + ";\n";
  return s;
}

// The correctly rounded bf16 e^x, flushed below 2^-126 (the units' FTZ): e^x in long double
// (64-bit significand), rounded to bf16 through double. Not NaN inputs.
num::Bf16 exp_bf16_reference(num::Bf16 x) {
  const long double e = std::exp(static_cast<long double>(num::to_double(x)));
  num::Bf16 r = num::to_bf16(static_cast<double>(e));
  if ((r.bits & 0x7F80u) == 0) r.bits = 0;  // below 2^-126 after rounding: +0
  return r;
}

}  // namespace

TEST_CASE("rtl exp_mac constants equal the numeric library's", "[rtl][exp_mac_seq]") {
  const std::filesystem::path path =
      std::filesystem::path(EINFUSE_SOURCE_DIR) / "rtl" / "units" / "exp_mac_constants.vh";
  const std::string generated = exp_mac_constants_vh();
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
  // docs/numerics.md pins these values
  CHECK(generated.find("EXPMAC_LOG2E = 16'h3FB9") != std::string::npos);
  CHECK(generated.find("EXPMAC_H1 = 16'h3E2B") != std::string::npos);
}

// Every bf16 pattern through the sequence: the fp32 result bit for bit, the latency (out_valid
// exactly 7 cycles after the input is taken, in_ready low in between), and the error of the
// bf16-rounded result against the correctly rounded exp (at most 1 ulp).
TEST_CASE("rtl exp_mac_unit matches exp_mac_sequence_hw for every bf16 input", "[rtl][exp_mac_seq]") {
  const auto ctx = std::make_unique<VerilatedContext>();
  const auto dut = std::make_unique<Vexp_mac_unit>(ctx.get());
  const auto tick = [&] {
    dut->clk = 0;
    dut->eval();
    dut->clk = 1;
    dut->eval();
  };
  dut->rst_n = 0;
  dut->in_valid = 0;
  tick();
  dut->rst_n = 1;
  Mismatches bad;
  std::uint64_t latency_errors = 0, max_ulp = 0, not_cr = 0, flushed = 0, overflowed = 0, nans = 0;
  std::uint64_t cycles = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint32_t bits = 0; bits < 0x10000u; ++bits) {
    const num::Bf16 x{static_cast<std::uint16_t>(bits)};
    if (dut->in_ready != 1) ++latency_errors;
    dut->x = x.bits;
    dut->in_valid = 1;
    tick();
    ++cycles;
    dut->in_valid = 0;
    int waited = 1;
    while (dut->out_valid == 0 && waited < 20) {
      if (dut->in_ready != 0) ++latency_errors;  // one exp in flight
      tick();
      ++cycles;
      ++waited;
    }
    if (waited != 7) ++latency_errors;
    const std::uint32_t got = dut->result;
    const std::uint32_t ref = fp32_bits(num::exp_mac_sequence_hw(x));
    if (got != ref)
      bad.add("x " + hex16(x.bits) + ": rtl " + hex32(got) + ", model " + hex32(ref));
    if ((bits & 0x7F80u) == 0x7F80u && (bits & 0x7Fu) != 0) {
      ++nans;
      continue;
    }
    const num::Bf16 got_bf16 = num::to_bf16(static_cast<double>(fp32_from_bits(got)));
    const std::uint64_t ulp = num::ulp_distance(got_bf16, exp_bf16_reference(x));
    max_ulp = std::max(max_ulp, ulp);
    not_cr += ulp != 0;
    flushed += got == 0;
    overflowed += got == 0x7F800000u;
  }
  const double seconds = seconds_since(t0);
  std::printf("rtl exp_mac_unit: 65536 bf16 inputs (%llu cycles) in %.2f s, %llu mismatches; "
              "bf16 result vs correctly rounded exp: max %llu ulp, %llu not correctly rounded\n",
              static_cast<unsigned long long>(cycles), seconds, static_cast<unsigned long long>(bad.count),
              static_cast<unsigned long long>(max_ulp), static_cast<unsigned long long>(not_cr));
  INFO(bad.report());
  CHECK(bad.count == 0);
  CHECK(latency_errors == 0);
  CHECK(max_ulp <= 1);
  // the special paths really ran: NaN patterns, the flush (x <= -88) and overflow (x >= 89) ranges
  CHECK(nans == 2 * 127);
  CHECK(flushed > 10'000);
  CHECK(overflowed > 10'000);
  dut->final();
}

// fp32 -> bf16 rounding of the PEs' multiplier operands: every exponent field with fractions
// aimed at the rounding (ties, just above/below, carries into the exponent, overflow to inf),
// NaNs with payloads, subnormals, plus random patterns.
TEST_CASE("rtl fp32_to_bf16 matches to_bf16", "[rtl][exp_mac_seq][fp32_to_bf16]") {
  const auto ctx = std::make_unique<VerilatedContext>();
  const auto dut = std::make_unique<Vfp32_to_bf16>(ctx.get());
  Mismatches bad;
  std::uint64_t vectors = 0, ties = 0;
  const auto check = [&](std::uint32_t v) {
    dut->v = v;
    dut->eval();
    const std::uint16_t ref = num::to_bf16(static_cast<double>(fp32_from_bits(v))).bits;
    ++vectors;
    ties += (v & 0xFFFFu) == 0x8000u;
    if (dut->bf16 != ref) bad.add(hex32(v) + ": rtl " + hex16(dut->bf16) + ", model " + hex16(ref));
  };
  constexpr std::array<std::uint32_t, 12> kLow = {0x0000, 0x0001, 0x7FFF, 0x8000, 0x8001, 0xFFFF,
                                                  0x4000, 0xC000, 0x17FFF, 0x18000, 0x18001, 0x10000};
  for (std::uint32_t sign = 0; sign < 2; ++sign)
    for (std::uint32_t e = 0; e < 256; ++e)
      for (std::uint32_t hi : {0x00u, 0x01u, 0x3Fu, 0x40u, 0x7Eu, 0x7Fu})
        for (std::uint32_t lo : kLow) check((sign << 31) | (e << 23) | (hi << 16) | lo);
  Rng rng{0xBF16};
  for (int i = 0; i < 1'000'000; ++i) check(rng.u32());
  std::printf("rtl fp32_to_bf16: %llu vectors (%llu exact ties), %llu mismatches\n",
              static_cast<unsigned long long>(vectors), static_cast<unsigned long long>(ties),
              static_cast<unsigned long long>(bad.count));
  INFO(bad.report());
  CHECK(bad.count == 0);
  CHECK(ties > 1'000);
  dut->final();
}
