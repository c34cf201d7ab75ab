// A whole layer from 2 and 3 of its slices (sim/layer.hpp) against the layer simulated whole:
// exact under the cost model's timing, unbounded channels and the ideal DRAM (the run is
// periodic in the slice from the second one); with the structural timing and the arch's
// channels (the buffer banks' backlog, DMA slots) or HBM2 (refresh is periodic in time, not
// in the slice) the transient outlasts a slice, and the difference is printed and bounded.
#include <catch2/catch.hpp>

#include "paper_program.hpp"

#include <cstdio>

#include "einfuse/sim/layer.hpp"

using namespace einfuse;
using mapper::paper::Design;

TEST_CASE("sim layer: extrapolating from 2 and 3 slices equals the whole layer", "[levels][sim][layer]") {
  for (Design design : mapper::paper::all_designs()) {
    const test::PaperProgram b = test::paper_program(design, 2, 4, 1024);
    const auto& d = b.design;
    const einsum::Cascade& c = *b.cascade;
    const einsum::BoundShape& shape = b.shape;
    for (int variant = 0; variant < 3; ++variant) {
      sim::SimOptions o;
      if (variant >= 1) {
        o.op_timing = sim::OpTiming::structural;
        o.channels = sim::Channels::arch;
      }
      if (variant == 2) o.dram = sim::DramModel::hbm2;
      INFO(mapper::paper::design_name(design) << " variant " << variant);
      const sim::LayerRun whole = sim::simulate_layer(c, shape, d.arch, d.mapping, d.options, o, false);
      const sim::LayerRun fast = sim::simulate_layer(c, shape, d.arch, d.mapping, d.options, o, true);
      REQUIRE(fast.extrapolated);
      CHECK_FALSE(whole.extrapolated);
      CHECK(fast.result.slice_scale == 8);
      const isa::RunResult &a = whole.result, &b = fast.result;
      if (variant == 0) {
        CHECK(b.cycles == a.cycles);
        for (std::size_t u = 0; u < a.units.size(); ++u) {
          CHECK(b.units[u].busy_cycles == a.units[u].busy_cycles);
          CHECK(b.units[u].stalls == a.units[u].stalls);
          CHECK(b.units[u].actions == a.units[u].actions);
        }
      } else {
        const double gap = (static_cast<double>(b.cycles) - static_cast<double>(a.cycles)) / static_cast<double>(a.cycles);
        std::printf("sim layer %-8s %-33s whole %8llu, extrapolated %8llu (%+.3f%%)\n", mapper::paper::design_name(design),
                    variant == 1 ? "structural, arch channels, ideal:" : "structural, arch channels, hbm2:",
                    static_cast<unsigned long long>(a.cycles), static_cast<unsigned long long>(b.cycles), 100 * gap);
        CHECK(std::abs(gap) < 0.01);
      }
      CHECK(b.dram_bytes == a.dram_bytes);
      CHECK(b.commands == a.commands);
      // Every count extrapolated by the same linear rule: busy + stalls = cycles still holds.
      for (std::size_t u = 0; u < d.arch.arrays.size(); ++u) {
        std::uint64_t total = b.units[u].busy_cycles;
        for (std::uint64_t st : b.units[u].stalls) total += st;
        CHECK(total == b.cycles);
      }
    }
  }
}
