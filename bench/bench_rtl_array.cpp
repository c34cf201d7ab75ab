// Speed of the 16 x 16 2D array (rtl/arrays/pe2d_array.v, exp on the MAC) under Verilator,
// one thread, against the target of 40 k simulated cycles per second (issue 5). The workload
// is the array's tile loop with random bf16 Q and K: E = 64 QK beats, LM, SLN, SLD (the
// running max fed back as RM' = LM, the 1D array left out). BM_PeArrays16 runs the 2D and 1D
// arrays together through a whole head of one query block (pe_array_driver.hpp's run_head:
// the tile loop with the V path, SLNV, RNV and AV, F = 64) for comparison. The ratio to the
// target is printed after the table. Built only with the Verilator models (rtl/CMakeLists.txt
// links them in); without them it prints that and exits.
#include <benchmark/benchmark.h>

#include "bench_reporter.hpp"

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#if __has_include("Vpe2d_array_n16.h")
#define EINFUSE_BENCH_HAVE_RTL 1
#include "Vpe1d_array_n16.h"
#include "Vpe2d_array_n16.h"
#include "einfuse/rtl/pe_array_driver.hpp"
#else
#define EINFUSE_BENCH_HAVE_RTL 0
#endif

namespace {

constexpr double kTargetCyclesPerSecond = 40'000.0;

#if EINFUSE_BENCH_HAVE_RTL
using einfuse::rtl::Cmd2d;
constexpr int kN = 16, kE = 64;

// Random bf16 values of moderate magnitude (sign, exponent 120..130, random fraction).
std::vector<std::uint16_t> random_bf16(std::size_t count, std::uint64_t seed) {
  std::vector<std::uint16_t> v(count);
  for (std::uint16_t& x : v) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    const auto r = static_cast<std::uint32_t>(seed >> 33);
    x = static_cast<std::uint16_t>(((r & 1u) << 15) | ((120u + (r >> 1) % 11u) << 7) | ((r >> 8) & 0x7Fu));
  }
  return v;
}

void BM_Pe2dArray16(benchmark::State& state) {
  einfuse::rtl::PeArrayDriver<Vpe2d_array_n16> drv(kN, true);
  const std::vector<std::uint16_t> q = random_bf16(kE * kN, 1), k = random_bf16(kE * kN, 2);
  const std::int64_t start = drv.cycle();
  for (auto _ : state) {
    for (int e = 0; e < kE; ++e)
      drv.step(e == 0 ? Cmd2d::mac_first : Cmd2d::mac, einfuse::rtl::Cmd1d::nop,
               {&q[static_cast<std::size_t>(e * kN)], &k[static_cast<std::size_t>(e * kN)]});
    for (Cmd2d c : {Cmd2d::max_reduce, Cmd2d::sub_exp, Cmd2d::sum_reduce}) {
      while (!drv.model2d().cmd_ready) drv.step(Cmd2d::nop);
      if (c == Cmd2d::sub_exp) {
        drv.step(Cmd2d::nop);  // LM visible: use it as RM'
        drv.set_rm(drv.col_out());
      }
      drv.step(c);
    }
    while (!drv.model2d().cmd_ready) drv.step(Cmd2d::nop);
    benchmark::DoNotOptimize(drv.model2d().pe_value);
  }
  state.counters["cycles_per_second"] =
      benchmark::Counter(static_cast<double>(drv.cycle() - start), benchmark::Counter::kIsRate);
}

void BM_PeArrays16(benchmark::State& state) {
  einfuse::rtl::PeArrayDriver<Vpe2d_array_n16, Vpe1d_array_n16> drv(kN, true);
  einfuse::rtl::HeadInputs in;
  in.e = kE;
  in.f = 64;
  in.p = kN;
  in.tiles = 4;
  in.q = random_bf16(static_cast<std::size_t>(kE * kN), 3);
  in.k = random_bf16(static_cast<std::size_t>(kE * kN * in.tiles), 4);
  in.v = random_bf16(static_cast<std::size_t>(in.f * kN * in.tiles), 5);
  const std::int64_t start = drv.cycle();
  for (auto _ : state) {
    const einfuse::rtl::HeadRecord run = drv.run_head(in);
    benchmark::DoNotOptimize(run.blocks.data());
  }
  state.counters["cycles_per_second"] =
      benchmark::Counter(static_cast<double>(drv.cycle() - start), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_Pe2dArray16)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_PeArrays16)->Unit(benchmark::kMillisecond)->MinTime(2.0);
#endif

}  // namespace

int main(int argc, char** argv) {
  einfuse::bench::Reporter reporter;
  if (!einfuse::bench::run_benchmarks(argc, argv, reporter)) return 1;
#if EINFUSE_BENCH_HAVE_RTL
  for (const std::string& name : reporter.names()) {
    const double rate = reporter.counter(name, "cycles_per_second");
    if (rate <= 0) continue;
    const bool both = name.find("PeArrays") != std::string::npos;
    std::printf("\n%s (%s, Verilator, 1 thread): %.0f simulated cycles/s = %.2fx the target of %.0f cycles/s",
                name.c_str(), both ? "16x16 2D + 16-PE 1D array" : "16x16 2D array", rate,
                rate / kTargetCyclesPerSecond, kTargetCyclesPerSecond);
  }
  std::printf("\n");
#else
  std::printf("bench_rtl_array: built without the Verilator models (no Verilator found); nothing to run\n");
#endif
  return 0;
}
