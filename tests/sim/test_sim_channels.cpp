// The arch's channels (docs/sim.md, "Channels"): buffer banks and ports, prefetch depth and
// space, DMA slots, handoff buffers between the arrays. Each bound only delays; with every
// bound wide open the run is the unbounded one; a buffer too small for a stage deadlocks and
// the report names the blocked commands and what they wait for.
#include <catch2/catch.hpp>

#include "paper_program.hpp"

#include <cstdio>
#include <functional>
#include <numeric>
#include <string>

#include "einfuse/isa/program.hpp"
#include "einfuse/sim/simulator.hpp"

using namespace einfuse;
using mapper::paper::Design;

namespace {

using Built = test::PaperProgram;

// A paper design at B = `batch`, H = 1, P = M = 1024 on a copy of its arch changed by `edit`.
Built build(Design design, const std::function<void(mapper::ArchSpec&)>& edit, std::int64_t batch = 2) {
  return test::paper_program(design, batch, 1, 1024, edit);
}

std::uint64_t stall(const isa::UnitActivity& u, isa::StallCause c) { return u.stalls[static_cast<std::size_t>(c)]; }

void check_accounting(const isa::RunResult& r, std::size_t arrays) {
  for (std::size_t a = 0; a < arrays; ++a) {
    const isa::UnitActivity& u = r.units[a];
    CHECK(u.busy_cycles + std::accumulate(u.stalls.begin(), u.stalls.end(), std::uint64_t{0}) == r.cycles);
  }
}

}  // namespace

TEST_CASE("sim channels: wide-open arch channels give the unbounded run", "[sim][channels]") {
  for (Design design : mapper::paper::all_designs()) {
    INFO(mapper::paper::design_name(design));
    const Built b = build(design, [](mapper::ArchSpec& a) {
      a.global_buffer.banks = 1 << 20;
      a.global_buffer.ports = 1 << 20;
      a.dma.outstanding = 1 << 20;
      a.dma.prefetch_tiles = 1 << 20;
      a.handoff.tiles = 1 << 20;
      a.global_buffer.capacity_bytes *= 1024;
    });
    sim::SimOptions o;
    const std::uint64_t unbounded = sim::simulate(*b.program, o).cycles;
    o.channels = sim::Channels::arch;
    const isa::RunResult open = sim::simulate(*b.program, o);
    CHECK(open.cycles == unbounded);
    check_accounting(open, b.schedule->arch().arrays.size());
  }
}

TEST_CASE("sim channels: each bound only delays, and its stalls are charged to its cause", "[sim][channels]") {
  for (Design design : mapper::paper::all_designs()) {
    const Built b = build(design, [](mapper::ArchSpec&) {});
    const std::size_t arrays = b.schedule->arch().arrays.size();
    sim::SimOptions o;
    const isa::RunResult unbounded = sim::simulate(*b.program, o);
    o.channels = sim::Channels::arch;
    const isa::RunResult arch = sim::simulate(*b.program, o);
    INFO(mapper::paper::design_name(design));
    CHECK(arch.cycles >= unbounded.cycles);
    check_accounting(arch, arrays);
    // The same work: busy cycles, actions and bytes do not depend on the channels.
    for (std::size_t a = 0; a < arrays; ++a) {
      CHECK(arch.units[a].busy_cycles == unbounded.units[a].busy_cycles);
      CHECK(arch.units[a].actions == unbounded.units[a].actions);
    }
    CHECK(arch.dram_bytes == unbounded.dram_bytes);
    std::uint64_t port = 0;
    for (std::size_t a = 0; a < arrays; ++a) port += stall(arch.units[a], isa::StallCause::buffer_port);
    std::printf("sim channels %-8s unbounded %8llu  arch %8llu (+%.1f%%; buffer-port stalls %llu)\n",
                mapper::paper::design_name(design), static_cast<unsigned long long>(unbounded.cycles),
                static_cast<unsigned long long>(arch.cycles),
                100.0 * (static_cast<double>(arch.cycles) / static_cast<double>(unbounded.cycles) - 1),
                static_cast<unsigned long long>(port));
  }
}

TEST_CASE("sim channels: one bank and port cost stalls that more ports remove", "[sim][channels]") {
  const Built narrow = build(Design::fusemax, [](mapper::ArchSpec& a) {
    a.global_buffer.banks = 1;
    a.global_buffer.ports = 1;
  });
  const Built wide = build(Design::fusemax, [](mapper::ArchSpec& a) {
    a.global_buffer.banks = 64;
    a.global_buffer.ports = 2;
  });
  sim::SimOptions o;
  o.channels = sim::Channels::arch;
  const isa::RunResult n = sim::simulate(*narrow.program, o), w = sim::simulate(*wide.program, o);
  CHECK(stall(n.units[0], isa::StallCause::buffer_port) > 0);
  CHECK(stall(w.units[0], isa::StallCause::buffer_port) < stall(n.units[0], isa::StallCause::buffer_port));
  CHECK(w.cycles < n.cycles);
}

// FLAT's 2D array (QK, AV) is eight times faster than its 1D softmax and would run ahead.
TEST_CASE("sim channels: a one-tile handoff buffer holds FLAT's 2D array back", "[sim][channels]") {
  auto open = [](mapper::ArchSpec& a) {
    a.global_buffer.banks = 1 << 10;
    a.global_buffer.ports = 1 << 10;
  };
  const Built two = build(Design::flat, [&](mapper::ArchSpec& a) {
    open(a);
    a.handoff.tiles = 64;
  });
  const Built one = build(Design::flat, [&](mapper::ArchSpec& a) {
    open(a);
    a.handoff.tiles = 1;
  });
  sim::SimOptions o;
  o.channels = sim::Channels::arch;
  const isa::RunResult wide = sim::simulate(*two.program, o), narrow = sim::simulate(*one.program, o);
  CHECK(narrow.cycles >= wide.cycles);
  CHECK(stall(narrow.units[0], isa::StallCause::downstream_space) > stall(wide.units[0], isa::StallCause::downstream_space));
  std::printf("sim channels flat handoff 64 tiles %llu cycles, 1 tile %llu (2D waiting for room %llu)\n",
              static_cast<unsigned long long>(wide.cycles), static_cast<unsigned long long>(narrow.cycles),
              static_cast<unsigned long long>(stall(narrow.units[0], isa::StallCause::downstream_space)));
}

TEST_CASE("sim channels: a buffer too small for a stage's tiles deadlocks, and the report says why", "[sim][channels]") {
  const Built b = build(Design::fusemax, [](mapper::ArchSpec&) {});
  sim::SimOptions o;
  o.channels = sim::Channels::arch;
  o.buffer_bytes = 100000;  // less than the intermediates' regions: no room for any DRAM tile
  try {
    sim::simulate(*b.program, o);
    FAIL("expected a deadlock");
  } catch (const sim::DeadlockError& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(what.find("deadlock at cycle") != std::string::npos);
    CHECK(what.find("dma: ") != std::string::npos);
    CHECK(what.find("free bytes of the global buffer for Q") != std::string::npos);
    CHECK(what.find("waits for the result of command 0 (load Q") != std::string::npos);
    CHECK(e.blocked.size() >= 3);
  }
}

// The buffer's contents (docs/sim.md): with the arch's channels every operand a command reads
// from the buffer is the tile it should be, on every paper design; with unbounded channels
// the cost model's perfect prefetch overwrites the next head's Q into slots still being read.
TEST_CASE("sim channels: the buffer holds the tile each command reads, with the arch's channels", "[sim][channels]") {
  for (Design design : mapper::paper::all_designs()) {
    const Built b = build(design, [](mapper::ArchSpec&) {});
    INFO(mapper::paper::design_name(design));
    sim::SimOptions o;
    o.channels = sim::Channels::arch;
    const isa::RunResult r = sim::simulate(*b.program, o);
    INFO((r.hazards.empty() ? std::string() : r.hazards.front()));
    CHECK(r.buffer_hazards == 0);
  }
  const Built four = build(Design::fusemax, [](mapper::ArchSpec&) {}, 4);
  const isa::RunResult unbounded = sim::simulate(*four.program, {});
  CHECK(unbounded.buffer_hazards > 0);
  REQUIRE_FALSE(unbounded.hazards.empty());
  CHECK(unbounded.hazards.front().find("read Q tile") != std::string::npos);
}
