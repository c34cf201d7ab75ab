// The 2D and 1D PE arrays (rtl/arrays) run the tile loop of the shipped 1-pass cascade
// (workloads/attention/softmax_1pass.ein, sliced to tiles of M0 = N keys and P = N queries),
// driven by rtl/include/einfuse/rtl/pe_array_driver.hpp, and every intermediate tensor is
// compared bit for bit with the interpreter's hardware-numerics mode on the same inputs:
// QK, LM, RM, SLN, PRM, SLD, RD per tile, and 1/RD (recip_hw) after the last tile.
//
// The interpreter's hardware mode computes each Einsum's exp as its array does
// (RunOptions::exp_algorithm_by_einsum, as mapper::hardware_run_options fills it from an arch
// spec): with EXP_ON_MAC = 1 (FuseMax: no exp unit in the 2D array) SLN is
// exp_mac_sequence_hw(bf16(QK - RM')), with EXP_ON_MAC = 0 the table unit exp_hw; PRM runs on
// the 1D array's table unit in both. Every tensor is compared with the interpreter's.
// Cycle counts are printed and must equal the documented formulas (docs/rtl-arrays.md).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "Vpe1d_array_n16.h"
#include "Vpe1d_array_n4.h"
#include "Vpe1d_array_n8.h"
#include "Vpe2d_array_n16.h"
#include "Vpe2d_array_n4.h"
#include "Vpe2d_array_n4_table.h"
#include "Vpe2d_array_n8.h"
#include "einfuse/einsum/interpreter.hpp"
#include "einfuse/einsum/numeric.hpp"
#include "einfuse/einsum/parser.hpp"
#include "einfuse/rtl/pe_array_driver.hpp"
#include "rtl_test_support.hpp"

namespace num = einfuse::einsum::numeric;
namespace ein = einfuse::einsum;
using einfuse::rtl::Cmd2d;
using einfuse::rtl::RunRecord;
using num::fp32_bits;
using num::fp32_from_bits;

namespace {

using einfuse::rtl_test::hex32;
using einfuse::rtl_test::Mismatches;
using einfuse::rtl_test::Rng;

constexpr int kE = 64;  // the cascade's default E

// The shipped cascade with its key tile M0 = 256 cut to the array's N rows.
ein::Cascade sliced_cascade(int n) {
  std::ifstream in(std::string(EINFUSE_SOURCE_DIR) + "/workloads/attention/softmax_1pass.ein");
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  const std::string split = "split M -> M1, M0 by 256";
  const auto at = text.find(split);
  REQUIRE(at != std::string::npos);
  text.replace(at, split.size(), "split M -> M1, M0 by " + std::to_string(n));
  return ein::parse_cascade(text, "softmax_1pass.ein (M0 = N)");
}

std::uint32_t bits_of(double v) { return fp32_bits(num::to_fp32(v)); }

// One slice of inputs and the interpreter's tensors for it.
struct Golden {
  int n = 0, tiles = 0;
  std::vector<std::uint16_t> q, k;  // bf16 bits: q[e*N + c], k[e*M + m]
  ein::TensorMap t;                 // every tensor, hardware numerics
  // fp32 bits of tensor `name` at flat index i (batch slots are 1)
  std::uint32_t at(const char* name, std::size_t i) const { return bits_of(t.at(name).data.at(i)); }
};

// Inputs: the interpreter's N(0,1) generator, rounded to bf16, Q scaled by 2^scale_log2
// (exact) to spread QK; `specials` writes +-inf and zeros into a few Q and K entries.
Golden golden(const ein::Cascade& c, int n, int tiles, std::uint64_t seed, int scale_log2, bool specials,
              bool exp_on_mac) {
  Golden g;
  g.n = n;
  g.tiles = tiles;
  const int m = n * tiles;
  const ein::BoundShape shape = ein::bind_shape(c, {{"P", n}, {"M", m}});
  ein::RunOptions opt;
  opt.numerics = ein::Numerics::hardware;
  opt.keep_intermediates = true;
  if (exp_on_mac) opt.exp_algorithm_by_einsum["SLN"] = ein::ExpAlgorithm::mac_sequence;
  ein::TensorMap inputs = ein::random_inputs(c, shape, seed, opt);
  std::vector<double>& q = inputs.at("Q").data;
  std::vector<double>& k = inputs.at("K").data;
  REQUIRE(q.size() == static_cast<std::size_t>(kE * n));
  REQUIRE(k.size() == static_cast<std::size_t>(kE * m));
  for (double& v : q) v = std::ldexp(v, scale_log2);
  if (specials) {
    Rng r{seed};
    k[r.below(static_cast<std::uint32_t>(k.size()))] = INFINITY;
    k[r.below(static_cast<std::uint32_t>(k.size()))] = -INFINITY;
    for (int i = 0; i < 8; ++i) q[r.below(static_cast<std::uint32_t>(q.size()))] = 0.0;
    for (int e = 0; e < kE; ++e) k[static_cast<std::size_t>(e * m + 1)] = 0.0;  // a key with QK = 0 everywhere
  }
  for (double v : q) g.q.push_back(num::to_bf16(v).bits);
  for (double v : k) g.k.push_back(num::to_bf16(v).bits);
  g.t = ein::interpret(c, shape, inputs, opt);
  return g;
}

// Totals over the runs of one test case, for the printed summary.
struct Tally {
  std::uint64_t values = 0;  // values compared
  std::uint64_t nonfinite = 0;      // of them, reference values that are inf or NaN
  std::uint64_t negative_lm = 0;    // LM < 0: every QK of the column negative (the -inf identity shows)
  std::uint64_t sln_nonzero = 0, sln_ulp_max = 0;  // EXP_ON_MAC: bf16 ulps of SLN vs the table exp's
};

// Compares one run with the golden tensors; `table` (EXP_ON_MAC only) is the same slice with the
// table exp, for the printed distance between the two exps.
void compare(const Golden& g, const RunRecord& run, const Golden* table, Mismatches& bad, Tally& tally) {
  const int n = g.n;
  const auto check = [&](const char* what, int t, int i, std::uint32_t got, std::uint32_t want) {
    ++tally.values;
    tally.nonfinite += (want & 0x7F800000u) == 0x7F800000u;
    if (got != want)
      bad.add(std::string(what) + " tile " + std::to_string(t) + " [" + std::to_string(i) + "]: rtl " +
              hex32(got) + ", reference " + hex32(want));
  };
  REQUIRE(run.tiles.size() == static_cast<std::size_t>(g.tiles));
  for (int t = 0; t < g.tiles; ++t) {
    const einfuse::rtl::TileRecord& rec = run.tiles[static_cast<std::size_t>(t)];
    for (int i = 0; i < n * n; ++i) {
      const std::size_t gi = static_cast<std::size_t>(t * n * n + i);
      check("QK", t, i, rec.qk[static_cast<std::size_t>(i)], g.at("QK", gi));
      check("SLN", t, i, rec.sln[static_cast<std::size_t>(i)], g.at("SLN", gi));
      if (!table) continue;
      const num::Bf16 a = num::to_bf16(fp32_from_bits(rec.sln[static_cast<std::size_t>(i)]));
      const num::Bf16 b = num::to_bf16(fp32_from_bits(table->at("SLN", gi)));
      const std::uint64_t ulp = num::ulp_distance(a, b);
      if (ulp != UINT64_MAX) tally.sln_ulp_max = std::max(tally.sln_ulp_max, ulp);
      tally.sln_nonzero += (b.bits & 0x7FFFu) != 0;
    }
    for (int c = 0; c < n; ++c) {
      const std::size_t v = static_cast<std::size_t>(t * n + c), v1 = static_cast<std::size_t>((t + 1) * n + c);
      check("LM", t, c, rec.lm[static_cast<std::size_t>(c)], g.at("LM", v));
      tally.negative_lm += (g.at("LM", v) >> 31) != 0 && g.at("LM", v) != 0x80000000u;
      check("RM", t, c, rec.rm[static_cast<std::size_t>(c)], g.at("RM", v1));
      check("PRM", t, c, rec.prm[static_cast<std::size_t>(c)], g.at("PRM", v));
      check("SLD", t, c, rec.sld[static_cast<std::size_t>(c)], g.at("SLD", v));
      check("RD", t, c, rec.rd[static_cast<std::size_t>(c)], g.at("RD", v1));
    }
  }
  for (int c = 0; c < n; ++c) {
    const std::size_t last = static_cast<std::size_t>(g.tiles * n + c);
    check("1/RD", g.tiles, c, run.rcp[static_cast<std::size_t>(c)], fp32_bits(num::recip_hw(fp32_from_bits(g.at("RD", last)))));
  }
}

// Cycle checks: the whole run and every multi-cycle command against the formulas.
void check_cycles(const RunRecord& run, int n, int tiles, bool exp_on_mac) {
  CHECK(run.cycles == einfuse::rtl::run_cycles(tiles, n, kE, exp_on_mac));
  for (const einfuse::rtl::PhaseCycles& p : run.phases) {
    INFO("command " << static_cast<int>(p.cmd));
    CHECK(p.busy == einfuse::rtl::latency_2d(p.cmd, n, exp_on_mac));
  }
  CHECK(run.phases.size() == static_cast<std::size_t>(3 * tiles));
}

template <class M2, class M1>
void run_case(int n, bool exp_on_mac, int tiles, int seeds, std::uint64_t seed0) {
  const ein::Cascade c = sliced_cascade(n);
  Mismatches bad;
  Tally tally;
  std::int64_t cycles = 0;
  const char* fst = std::getenv("EINFUSE_RTL_FST");
  for (int s = 0; s < seeds; ++s) {
    const std::uint64_t seed = seed0 + static_cast<std::uint64_t>(s);
    const int scale_log2 = static_cast<int>(s % 4) - 1;  // Q x 1/2, 1, 2, 4
    const bool specials = s % 5 == 4;
    const Golden g = golden(c, n, tiles, seed, scale_log2, specials, exp_on_mac);
    std::optional<Golden> table;
    if (exp_on_mac) table = golden(c, n, tiles, seed, scale_log2, specials, false);
    einfuse::rtl::PeArrayDriver<M2, M1> drv(n, exp_on_mac, s == 0 ? fst : nullptr);
    const RunRecord run = drv.run_tiles(g.q, g.k, kE, tiles);
    compare(g, run, table ? &*table : nullptr, bad, tally);
    check_cycles(run, n, tiles, exp_on_mac);
    cycles = run.cycles;
  }
  std::printf("rtl pe arrays N=%d (%s): %d runs x %d tiles, E=%d: %llu values (QK, LM, RM, SLN, PRM, SLD, RD, 1/RD) "
              "compared, %llu mismatches; %lld cycles per run = T*(E + 2N + 2 + %d) + 3 (LM %d, SLN %d, SLD %d)\n",
              n, exp_on_mac ? "exp on the MAC" : "table exp", seeds, tiles, kE,
              static_cast<unsigned long long>(tally.values), static_cast<unsigned long long>(bad.count),
              static_cast<long long>(cycles), einfuse::rtl::latency_2d(Cmd2d::sub_exp, n, exp_on_mac),
              einfuse::rtl::latency_2d(Cmd2d::max_reduce, n, exp_on_mac), einfuse::rtl::latency_2d(Cmd2d::sub_exp, n, exp_on_mac),
              einfuse::rtl::latency_2d(Cmd2d::sum_reduce, n, exp_on_mac));
  if (exp_on_mac)
    std::printf("  SLN on the MAC vs the table exp's SLN, both rounded to bf16: max %llu ulp "
                "(%llu nonzero values; the MAC sequence reads bf16(QK - RM'))\n",
                static_cast<unsigned long long>(tally.sln_ulp_max), static_cast<unsigned long long>(tally.sln_nonzero));
  std::printf("  reference values that are inf or NaN: %llu; columns with a negative max: %llu\n",
              static_cast<unsigned long long>(tally.nonfinite), static_cast<unsigned long long>(tally.negative_lm));
  INFO(bad.report());
  CHECK(bad.count == 0);
  CHECK(tally.values > 0);
  if (seeds >= 5) CHECK(tally.nonfinite > 0);  // the special-value runs really made infs / NaNs
  if (seeds >= 10) CHECK(tally.negative_lm > 0);
}

}  // namespace

TEST_CASE("rtl pe arrays N=4 (exp on the MAC) match the interpreter's tile loop", "[rtl][pe_arrays]") {
  run_case<Vpe2d_array_n4, Vpe1d_array_n4>(4, true, 3, 20, 100);
}

TEST_CASE("rtl pe arrays N=4 (table exp) are the interpreter bit for bit", "[rtl][pe_arrays]") {
  run_case<Vpe2d_array_n4_table, Vpe1d_array_n4>(4, false, 3, 10, 200);
}

TEST_CASE("rtl pe arrays N=8 (exp on the MAC) match the interpreter's tile loop", "[rtl][pe_arrays]") {
  run_case<Vpe2d_array_n8, Vpe1d_array_n8>(8, true, 2, 5, 300);
}

// The one N = 16 run (integration): 16 x 16 PEs, 2 tiles of 16 keys.
TEST_CASE("rtl pe arrays N=16 (exp on the MAC) match the interpreter's tile loop", "[rtl][pe_arrays][integration]") {
  run_case<Vpe2d_array_n16, Vpe1d_array_n16>(16, true, 2, 2, 400);
}

// The 2D array's commands alone: cmd_ready goes low for exactly L - 1 cycles after each
// multi-cycle command, and a command presented while busy is not taken.
TEST_CASE("rtl pe2d_array command latencies", "[rtl][pe_arrays]") {
  for (bool mac : {true, false}) {
    const auto check_latencies = [&](auto& drv) {
      drv.set_rm(std::vector<std::uint32_t>(4, 0));
      for (Cmd2d c : {Cmd2d::mac_first, Cmd2d::mac, Cmd2d::max_reduce, Cmd2d::sub_exp, Cmd2d::sum_reduce}) {
        INFO("command " << static_cast<int>(c) << (mac ? " (exp on MAC)" : " (table exp)"));
        REQUIRE(drv.step(c));
        int busy = 1;
        while (!drv.model2d().cmd_ready) {
          CHECK_FALSE(drv.step(Cmd2d::mac));  // presented while busy: not accepted
          ++busy;
          REQUIRE(busy < 100);
        }
        CHECK(busy == einfuse::rtl::latency_2d(c, 4, mac));
        drv.step(Cmd2d::nop);
      }
    };
    if (mac) {
      einfuse::rtl::PeArrayDriver<Vpe2d_array_n4> drv(4, true);
      check_latencies(drv);
    } else {
      einfuse::rtl::PeArrayDriver<Vpe2d_array_n4_table> drv(4, false);
      check_latencies(drv);
    }
  }
}
