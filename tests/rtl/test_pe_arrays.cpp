// The 2D and 1D PE arrays (rtl/arrays) run whole heads of the shipped 1-pass cascade
// (workloads/attention/softmax_1pass.ein, its key tile M0 cut to the array's N rows), driven
// by rtl/include/einfuse/rtl/pe_array_driver.hpp, and every tensor is compared bit for bit
// with the interpreter's hardware-numerics mode on the same inputs: QK, LM, RM, SLN, PRM, SLD,
// RD, SLNV, SPNV, RNV per tile, and 1/RD (recip_hw) and AV (fp32, and as stored in bf16) after
// the last tile, for every query block (P = several blocks of N queries).
//
// The interpreter's hardware mode computes each Einsum's exp as its array does
// (RunOptions::exp_algorithm_by_einsum, as mapper::hardware_run_options fills it from an arch
// spec): with EXP_ON_MAC = 1 (FuseMax: no exp unit in the 2D array) SLN is
// exp_mac_sequence_hw(bf16(QK - RM')), with EXP_ON_MAC = 0 the table unit exp_hw; PRM runs on
// the 1D array's table unit in both (the RTL 1D array has a table exp, while the shipped
// fusemax*.yaml say mac_sequence for it: issue #11). Every tensor is compared with the
// interpreter's. Cycle counts must equal the documented formulas (docs/rtl-arrays.md).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
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
using einfuse::rtl::Cmd1d;
using einfuse::rtl::Cmd2d;
using einfuse::rtl::HeadRecord;
using einfuse::rtl::RunRecord;
using einfuse::rtl::TileShape;
using num::fp32_bits;
using num::fp32_from_bits;

namespace {

using einfuse::rtl_test::hex32;
using einfuse::rtl_test::Mismatches;
using einfuse::rtl_test::Rng;

std::size_t z(std::int64_t i) { return static_cast<std::size_t>(i); }

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

// One run's shape: the arrays' (N, E, F, exp) and the head's query blocks and key tiles.
struct Case {
  TileShape shape;
  int blocks = 1, tiles = 1;
};

// One head of inputs and the interpreter's tensors for it.
struct Golden {
  Case k;
  einfuse::rtl::HeadInputs in;  // bf16 bits
  ein::TensorMap t;             // every tensor, hardware numerics
  // Tensor `name` at these coordinates (after the batch slots B = H = 0), as a double.
  double value(const char* name, std::initializer_list<std::int64_t> idx) const {
    std::vector<std::int64_t> full{0, 0};
    full.insert(full.end(), idx.begin(), idx.end());
    const ein::DenseTensor& d = t.at(name);
    return d.data.at(d.offset(full));
  }
  std::uint32_t at(const char* name, std::initializer_list<std::int64_t> idx) const {
    return fp32_bits(num::to_fp32(value(name, idx)));
  }
};

// Inputs: the interpreter's N(0,1) generator, rounded to bf16, Q scaled by 2^scale_log2
// (exact) to spread QK; `specials` writes +-inf and zeros into a few Q, K and V entries.
Golden golden(const ein::Cascade& c, const Case& k, std::uint64_t seed, int scale_log2, bool specials, bool exp_on_mac) {
  Golden g;
  g.k = k;
  const int n = k.shape.n, p = n * k.blocks, m = n * k.tiles;
  const ein::BoundShape shape = ein::bind_shape(c, {{"P", p}, {"M", m}, {"E", k.shape.e}, {"F", k.shape.f}});
  ein::RunOptions opt;
  opt.numerics = ein::Numerics::hardware;
  opt.keep_intermediates = true;
  if (exp_on_mac) opt.exp_algorithm_by_einsum["SLN"] = ein::ExpAlgorithm::mac_sequence;
  ein::TensorMap inputs = ein::random_inputs(c, shape, seed, opt);
  std::vector<double>& q = inputs.at("Q").data;
  std::vector<double>& kk = inputs.at("K").data;
  std::vector<double>& v = inputs.at("V").data;
  REQUIRE(q.size() == z(k.shape.e * p));
  REQUIRE(kk.size() == z(k.shape.e * m));
  REQUIRE(v.size() == z(k.shape.f * m));
  for (double& x : q) x = std::ldexp(x, scale_log2);
  if (specials) {
    Rng r{seed};
    kk[r.below(static_cast<std::uint32_t>(kk.size()))] = INFINITY;
    kk[r.below(static_cast<std::uint32_t>(kk.size()))] = -INFINITY;
    v[r.below(static_cast<std::uint32_t>(v.size()))] = INFINITY;
    for (int i = 0; i < 8; ++i) {
      q[r.below(static_cast<std::uint32_t>(q.size()))] = 0.0;
      v[r.below(static_cast<std::uint32_t>(v.size()))] = 0.0;
    }
    for (int e = 0; e < k.shape.e; ++e) kk[z(e * m + 1)] = 0.0;  // a key with QK = 0 everywhere
  }
  g.in.e = k.shape.e;
  g.in.f = k.shape.f;
  g.in.p = p;
  g.in.tiles = k.tiles;
  for (double x : q) g.in.q.push_back(num::to_bf16(x).bits);
  for (double x : kk) g.in.k.push_back(num::to_bf16(x).bits);
  for (double x : v) g.in.v.push_back(num::to_bf16(x).bits);
  g.t = ein::interpret(c, shape, inputs, opt);
  return g;
}

// Totals over the runs of one test case, for the printed summary.
struct Tally {
  std::uint64_t values = 0, v_values = 0;  // values compared; of them, SLNV, SPNV, RNV and AV
  std::uint64_t nonfinite = 0;      // of them, reference values that are inf or NaN
  std::uint64_t negative_lm = 0;    // LM < 0: every QK of the column negative (the -inf identity shows)
  std::uint64_t sln_nonzero = 0, sln_ulp_max = 0;  // EXP_ON_MAC: bf16 ulps of SLN vs the table exp's
};

// Compares one head with the golden tensors; `table` (EXP_ON_MAC only) is the same head with
// the table exp, for the printed distance between the two exps.
void compare(const Golden& g, const HeadRecord& head, const Golden* table, Mismatches& bad, Tally& tally) {
  const int n = g.k.shape.n, f = g.k.shape.f, tiles = g.k.tiles;
  const auto check = [&](const char* what, int b, int t, int i, std::uint32_t got, std::uint32_t want) {
    ++tally.values;
    tally.nonfinite += (want & 0x7F800000u) == 0x7F800000u;
    if (got != want)
      bad.add(std::string(what) + " block " + std::to_string(b) + " tile " + std::to_string(t) + " [" + std::to_string(i) +
              "]: rtl " + hex32(got) + ", reference " + hex32(want));
  };
  REQUIRE(head.blocks.size() == z(g.k.blocks));
  for (int b = 0; b < g.k.blocks; ++b) {
    const RunRecord& run = head.blocks[z(b)];
    REQUIRE(run.tiles.size() == z(tiles));
    for (int t = 0; t < tiles; ++t) {
      const einfuse::rtl::TileRecord& rec = run.tiles[z(t)];
      for (int r = 0; r < n; ++r)
        for (int c = 0; c < n; ++c) {
          const int i = r * n + c, p = b * n + c;
          check("QK", b, t, i, rec.qk[z(i)], g.at("QK", {t, r, p}));
          check("SLN", b, t, i, rec.sln[z(i)], g.at("SLN", {t, r, p}));
          if (!table) continue;
          const num::Bf16 x = num::to_bf16(fp32_from_bits(rec.sln[z(i)]));
          const num::Bf16 y = num::to_bf16(fp32_from_bits(table->at("SLN", {t, r, p})));
          const std::uint64_t ulp = num::ulp_distance(x, y);
          if (ulp != UINT64_MAX) tally.sln_ulp_max = std::max(tally.sln_ulp_max, ulp);
          tally.sln_nonzero += (y.bits & 0x7FFFu) != 0;
        }
      for (int c = 0; c < n; ++c) {
        const int p = b * n + c;
        check("LM", b, t, c, rec.lm[z(c)], g.at("LM", {t, p}));
        tally.negative_lm += (g.at("LM", {t, p}) >> 31) != 0 && g.at("LM", {t, p}) != 0x80000000u;
        check("RM", b, t, c, rec.rm[z(c)], g.at("RM", {t + 1, p}));
        check("PRM", b, t, c, rec.prm[z(c)], g.at("PRM", {t, p}));
        check("SLD", b, t, c, rec.sld[z(c)], g.at("SLD", {t, p}));
        check("RD", b, t, c, rec.rd[z(c)], g.at("RD", {t + 1, p}));
        for (int fi = 0; fi < f; ++fi) {
          const int i = fi * n + c;
          check("SLNV", b, t, i, rec.slnv[z(i)], g.at("SLNV", {fi, t, p}));
          check("SPNV", b, t, i, rec.spnv[z(i)], g.at("SPNV", {fi, t, p}));
          check("RNV", b, t, i, rec.rnv[z(i)], g.at("RNV", {fi, t + 1, p}));
          tally.v_values += 3;
        }
      }
    }
    for (int c = 0; c < n; ++c) {
      const int p = b * n + c;
      const float rd = fp32_from_bits(g.at("RD", {tiles, p}));
      check("1/RD", b, tiles, c, run.rcp[z(c)], fp32_bits(num::recip_hw(rd)));
      for (int fi = 0; fi < f; ++fi) {
        const int i = fi * n + c;
        // AV's Einsum in fp32 (its accumulator), from the interpreter's RNV and RD with its
        // divide (div_hw); then AV as the interpreter stores it (bf16)
        const float rnv = fp32_from_bits(g.at("RNV", {fi, tiles, p}));
        check("AV (fp32)", b, tiles, i, run.av[z(i)], rd == 0.0f ? 0u : fp32_bits(num::div_hw(rnv, rd)));
        // bf16 compared as the fp32 it widens to (bits << 16), so the inf / NaN tally holds
        const auto widen = [](std::uint16_t x) { return static_cast<std::uint32_t>(x) << 16; };
        check("AV (bf16)", b, tiles, i, widen(run.av_bf16[z(i)]), widen(num::to_bf16(g.value("AV", {fi, p})).bits));
        tally.v_values += 2;
      }
    }
  }
}

// Cycle checks: the head, every block and every multi-cycle command against the formulas.
void check_cycles(const HeadRecord& head, const Case& k) {
  CHECK(head.cycles == k.blocks * einfuse::rtl::block_cycles(k.shape, k.tiles));
  for (const RunRecord& run : head.blocks) {
    CHECK(run.cycles == einfuse::rtl::block_cycles(k.shape, k.tiles));
    for (const einfuse::rtl::PhaseCycles& p : run.phases) {
      INFO("command " << static_cast<int>(p.cmd));
      CHECK(p.busy == einfuse::rtl::latency_2d(p.cmd, k.shape));
    }
    CHECK(run.phases.size() == z(4 * k.tiles));
  }
}

template <class M2, class M1>
void run_case(const Case& k, int seeds, std::uint64_t seed0) {
  const TileShape& s = k.shape;
  const ein::Cascade c = sliced_cascade(s.n);
  Mismatches bad;
  Tally tally;
  std::int64_t cycles = 0;
  const char* fst = std::getenv("EINFUSE_RTL_FST");
  for (int i = 0; i < seeds; ++i) {
    const std::uint64_t seed = seed0 + static_cast<std::uint64_t>(i);
    const int scale_log2 = i % 4 - 1;  // Q x 1/2, 1, 2, 4
    const bool specials = i % 5 == 4;
    const Golden g = golden(c, k, seed, scale_log2, specials, s.exp_on_mac);
    std::optional<Golden> table;
    if (s.exp_on_mac) table = golden(c, k, seed, scale_log2, specials, false);
    einfuse::rtl::PeArrayDriver<M2, M1> drv(s.n, s.exp_on_mac, i == 0 ? fst : nullptr);
    const HeadRecord head = drv.run_head(g.in);
    compare(g, head, table ? &*table : nullptr, bad, tally);
    check_cycles(head, k);
    cycles = head.cycles;
  }
  std::printf("rtl pe arrays N=%d (%s): %d heads of P=%d queries (%d blocks) x M=%d keys (%d tiles), E=%d, F=%d: "
              "%llu values compared (%llu of SLNV, SPNV, RNV, AV), %llu mismatches\n",
              s.n, s.exp_on_mac ? "exp on the MAC" : "table exp", seeds, k.blocks * s.n, k.blocks, k.tiles * s.n, k.tiles,
              s.e, s.f, static_cast<unsigned long long>(tally.values), static_cast<unsigned long long>(tally.v_values),
              static_cast<unsigned long long>(bad.count));
  std::printf("  %lld cycles per head = %d blocks x (T*(E + F + 3N + 1 + L_SLN) + F + 3) = %d x (%d*%lld + %d) "
              "(LM %d, SLN %d, SLD %d, SLNV %d)\n",
              static_cast<long long>(cycles), k.blocks, k.blocks, k.tiles,
              static_cast<long long>(einfuse::rtl::tile_period(s)), s.f + 3, einfuse::rtl::latency_2d(Cmd2d::max_reduce, s),
              einfuse::rtl::latency_2d(Cmd2d::sub_exp, s), einfuse::rtl::latency_2d(Cmd2d::sum_reduce, s),
              einfuse::rtl::latency_2d(Cmd2d::mac_sum_stream, s));
  if (s.exp_on_mac)
    std::printf("  SLN on the MAC vs the table exp's SLN, both rounded to bf16: max %llu ulp "
                "(%llu nonzero values; the MAC sequence reads bf16(QK - RM'))\n",
                static_cast<unsigned long long>(tally.sln_ulp_max), static_cast<unsigned long long>(tally.sln_nonzero));
  std::printf("  reference values that are inf or NaN: %llu; columns with a negative max: %llu\n",
              static_cast<unsigned long long>(tally.nonfinite), static_cast<unsigned long long>(tally.negative_lm));
  INFO(bad.report());
  CHECK(bad.count == 0);
  CHECK(tally.v_values > 0);
  if (seeds >= 5) CHECK(tally.nonfinite > 0);  // the special-value runs really made infs / NaNs
  if (seeds >= 10) CHECK(tally.negative_lm > 0);
}

}  // namespace

TEST_CASE("rtl pe arrays N=4 (exp on the MAC; E = F = N) match the interpreter's head", "[rtl][pe_arrays]") {
  run_case<Vpe2d_array_n4, Vpe1d_array_n4>({{4, 4, 4, true}, 3, 3}, 20, 100);
}

TEST_CASE("rtl pe arrays N=4 (exp on the MAC; E = 64 and F = 6) match the interpreter's head", "[rtl][pe_arrays]") {
  run_case<Vpe2d_array_n4, Vpe1d_array_n4>({{4, 64, 6, true}, 2, 2}, 5, 150);
}

TEST_CASE("rtl pe arrays N=4 (table exp) are the interpreter bit for bit", "[rtl][pe_arrays]") {
  run_case<Vpe2d_array_n4_table, Vpe1d_array_n4>({{4, 4, 4, false}, 2, 3}, 10, 200);
}

TEST_CASE("rtl pe arrays N=8 (exp on the MAC; E = F = N) match the interpreter's head", "[rtl][pe_arrays]") {
  run_case<Vpe2d_array_n8, Vpe1d_array_n8>({{8, 8, 8, true}, 2, 2}, 5, 300);
}

TEST_CASE("rtl pe arrays N=8 (exp on the MAC; E = 64 and F = 3) match the interpreter's head", "[rtl][pe_arrays]") {
  run_case<Vpe2d_array_n8, Vpe1d_array_n8>({{8, 64, 3, true}, 2, 3}, 2, 350);
}

// The one N = 16 run (integration): 16 x 16 PEs, the cascade's E = F = 64, 2 blocks x 2 tiles.
TEST_CASE("rtl pe arrays N=16 (exp on the MAC) match the interpreter's head", "[rtl][pe_arrays][integration]") {
  run_case<Vpe2d_array_n16, Vpe1d_array_n16>({{16, 64, 64, true}, 2, 2}, 2, 400);
}

// The 2D array's commands alone: cmd_ready goes low for exactly L - 1 cycles after each
// multi-cycle command, and a command presented while busy is not taken.
TEST_CASE("rtl pe2d_array command latencies", "[rtl][pe_arrays]") {
  for (bool mac : {true, false}) {
    const TileShape s{4, 64, 5, mac};
    const auto check_latencies = [&](auto& drv) {
      drv.set_rm(std::vector<std::uint32_t>(4, 0));
      drv.set_stream_len(s.f);
      for (Cmd2d c : {Cmd2d::mac_first, Cmd2d::mac, Cmd2d::max_reduce, Cmd2d::sub_exp, Cmd2d::sum_reduce,
                      Cmd2d::mac_sum_stream}) {
        INFO("command " << static_cast<int>(c) << (mac ? " (exp on MAC)" : " (table exp)"));
        REQUIRE(drv.step(c));
        int busy = 1;
        while (!drv.model2d().cmd_ready) {
          CHECK_FALSE(drv.step(Cmd2d::mac));  // presented while busy: not accepted
          ++busy;
          REQUIRE(busy < 100);
        }
        CHECK(busy == einfuse::rtl::latency_2d(c, s));
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

// AV's guard, which the heads above never reach (RD = 0 needs every SLN of a query to be 0,
// a fully masked row of the masked variants): right after INIT, RD = RNV = 0, and AV must be
// select(RD == 0, 0, ...) = +0, not RNV x recip(0) = 0 x inf = NaN.
TEST_CASE("rtl pe1d_array AV is +0 where RD = 0", "[rtl][pe_arrays]") {
  VerilatedContext ctx;
  Vpe1d_array_n4 m(&ctx);
  const auto clock = [&](Cmd1d c, int f) {
    m.cmd_valid = c != Cmd1d::nop;
    m.cmd = static_cast<std::uint8_t>(c);
    m.f_sel = static_cast<std::uint8_t>(f);
    m.clk = 0;
    m.eval();
    m.clk = 1;
    m.eval();
  };
  using einfuse::rtl::detail::get_u32;
  clock(Cmd1d::init, 0);
  clock(Cmd1d::recip, 0);
  for (int c = 0; c < 4; ++c) CHECK(get_u32(m.rcp, c) == 0x7F800000u);  // 1/+0 = +inf
  for (int f : {0, 63}) {
    clock(Cmd1d::normalize_entry, f);
    for (int c = 0; c < 4; ++c) {
      CHECK(get_u32(m.rnv, c) == 0u);  // INIT cleared every entry
      CHECK(get_u32(m.av, c) == 0u);
    }
    CHECK(m.av_bf16 == 0u);
  }
  m.final();
}
