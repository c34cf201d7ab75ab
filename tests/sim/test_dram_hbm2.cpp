// The HBM2 model (docs/dram.md): single accesses whose timing can be checked by hand against
// the datasheet values, every command of a long mixed run replayed against the timing rules,
// the four reference points DRAMsim3 gives for the same HBM2 configuration (and, where
// DRAMsim3 is built in, DRAMsim3 itself on the same accesses), and the peak a long stream
// reaches against the arch's bandwidth.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "einfuse/mapper/arch_spec.hpp"
#include "einfuse/sim/dram.hpp"

#ifdef EINFUSE_HAVE_DRAMSIM3
#include <dramsim3.h>

#include <filesystem>

#include "temp_file.hpp"
#endif

using einfuse::mapper::ArchSpec;
using einfuse::sim::DramBackend;
using einfuse::sim::make_hbm2_backend;
using u64 = std::uint64_t;

namespace {

const std::string kArchDir = std::string(EINFUSE_SOURCE_DIR) + "/workloads/arch";

// DRAMsim3's configs/HBM2_8Gb_x128.ini: 8 channels of 128 bits at tCK = 1 ns (2 Gb/s per pin),
// so 256 GB/s. With a 1 GHz accelerator clock a cycle is a DRAM clock and every time in ns
// below is also a count of cycles. Timings are the defaults (arch_spec.hpp Hbm2Params):
// tRCD 14, tCL 14, tCWL 4, tRP 14, tRAS 34, tRTP 6, tWTR_L 8, tRRD_S 4, tFAW 30, tRFC 260,
// tREFI 3900, burst 2 clocks, bus turnaround 2.
ArchSpec reference_hbm2() {
  ArchSpec a;
  a.clock_hz = 1'000'000'000;
  a.dram.bandwidth_bytes_per_s = 8LL * 16 * 2'000'000'000;
  a.dram.access_bits = 64;
  a.dram.hbm2.channels = 8;
  return a;
}

// The default mapping robgbachco: 64-byte bursts, 32 per 2 KB row, then 8 channels, 4 banks,
// 4 bank groups, then the row.
u64 address(u64 row, u64 group, u64 bank, u64 channel, u64 column) {
  return ((((row * 4 + group) * 4 + bank) * 8 + channel) * 32 + column) * 64;
}

constexpr u64 kBurst = 64;
constexpr double kPeakBytesPerCycle = 256.0;  // 256 GB/s at 1 GHz
constexpr double kTolerance = 0.08;           // +-8 percentage points of DRAMsim3's numbers

/// Issues `count` 64-byte accesses at cycle 0 (a saturating stream) and returns the share of
/// the peak they reach, writes included once the controller has written them.
template <class AccessOf>
double efficiency(DramBackend& dram, u64 count, AccessOf&& access_of) {
  u64 end = 0;
  for (u64 i = 0; i < count; ++i) {
    const auto [addr, write] = access_of(i);
    end = std::max(end, dram.transfer(0, addr, kBurst, write));
  }
  end = std::max(end, dram.drain(0));
  return static_cast<double>(count * kBurst) / (static_cast<double>(end) * kPeakBytesPerCycle);
}

}  // namespace

TEST_CASE("hbm2: one access, timed by hand", "[sim][dram]") {
  const ArchSpec arch = reference_hbm2();

  SECTION("a read to a closed bank: ACT, tRCD, READ, tCL, the burst") {
    auto dram = make_hbm2_backend(arch);
    CHECK(dram->transfer(0, address(0, 0, 0, 0, 0), 64, false) == 14 + 14 + 2);
    CHECK(dram->stats().row_misses == 1);
    CHECK(dram->stats().reads == 1);
  }
  SECTION("a row hit: READ only") {
    auto dram = make_hbm2_backend(arch);
    dram->transfer(0, address(0, 0, 0, 0, 0), 64, false);
    CHECK(dram->transfer(100, address(0, 0, 0, 0, 5), 64, false) == 100 + 14 + 2);
    CHECK(dram->stats().row_hits == 1);
  }
  SECTION("a row conflict: PRE, tRP, ACT, tRCD, READ, tCL, the burst") {
    auto dram = make_hbm2_backend(arch);
    dram->transfer(0, address(0, 0, 0, 0, 0), 64, false);
    CHECK(dram->transfer(200, address(7, 0, 0, 0, 0), 64, false) == 200 + 14 + 14 + 14 + 2);
    // Right behind it, the PRE waits for tRAS after that ACT (at 214).
    CHECK(dram->transfer(200, address(3, 0, 0, 0, 0), 64, false) == 214 + 34 + 14 + 14 + 14 + 2);
    auto fresh = make_hbm2_backend(arch);
    fresh->transfer(0, address(0, 0, 0, 0, 0), 64, false);
    CHECK(fresh->transfer(0, address(1, 0, 0, 0, 0), 64, false) == 34 + 14 + 14 + 14 + 2);
    CHECK(fresh->stats().row_conflicts == 1);
  }
  SECTION("a 256-byte read is four bursts on one row, one every burst time") {
    auto dram = make_hbm2_backend(arch);
    CHECK(dram->transfer(0, address(0, 0, 0, 0, 0), 256, false) == 14 + 14 + 3 * 2 + 2);
    CHECK(dram->stats().row_hits == 3);
    CHECK(dram->stats().read_bytes == 256);
  }
  SECTION("read -> write -> read: the bus turns around twice") {
    auto dram = make_hbm2_backend(arch);
    CHECK(dram->transfer(0, address(0, 0, 0, 0, 0), 64, false) == 30);  // READ at 14
    // The write is posted: the controller has it at once and writes it when it drains.
    CHECK(dram->transfer(0, address(0, 0, 0, 0, 1), 64, true) == 0);
    // WRITE no earlier than READ + tCL + burst + turnaround - tCWL = 14 + 14 = 28; data ends
    // 28 + tCWL + burst.
    CHECK(dram->drain(0) == 28 + 4 + 2);
    // READ no earlier than WRITE + tCWL + burst + tWTR_L = 28 + 14 = 42.
    CHECK(dram->transfer(0, address(0, 0, 0, 0, 2), 64, false) == 42 + 14 + 2);
    CHECK(dram->stats().turnarounds == 2);
    CHECK(dram->stats().writes == 1);
  }
  SECTION("tFAW: the fifth ACT waits for the window of the first") {
    auto dram = make_hbm2_backend(arch);
    // ACTs at 0, 4, 8, 12 (tRRD_S apart, one per bank group), the fifth at 0 + tFAW = 30.
    for (u64 g = 0; g < 4; ++g) dram->transfer(0, address(0, g, 0, 0, 0), 64, false);
    CHECK(dram->transfer(0, address(0, 0, 1, 0, 0), 64, false) == 30 + 14 + 14 + 2);
  }
  SECTION("a refresh in the way: nothing issues for tRFC, and the open rows close") {
    auto dram = make_hbm2_backend(arch);
    CHECK(dram->transfer(100, address(0, 0, 0, 0, 0), 64, false) == 100 + 30);
    // Channel 0 refreshes at tREFI = 3900. A READ to another bank at 3895 + tRCD would be past
    // it, so the access waits for the refresh to end (3900 + tRFC).
    CHECK(dram->transfer(3895, address(0, 0, 1, 0, 0), 64, false) == 3900 + 260 + 14 + 14 + 2);
    CHECK(dram->stats().refreshes == 1);
    // The refresh closed the row the first read opened: no longer a hit.
    CHECK(dram->transfer(4200, address(0, 0, 0, 0, 1), 64, false) == 4200 + 14 + 14 + 2);
    CHECK(dram->stats().row_misses == 3);
    CHECK(dram->stats().row_hits == 0);
    // Channel 1 refreshes an eighth of tREFI later (the channels are staggered).
    CHECK(dram->transfer(4380, address(0, 0, 0, 1, 0), 64, false) == 4387 + 260 + 30);
  }
  SECTION("calls must come in time order") {
    auto dram = make_hbm2_backend(arch);
    dram->transfer(100, 0, 64, false);
    CHECK_THROWS_AS(dram->transfer(99, 64, 64, false), std::logic_error);
    ArchSpec bad = arch;
    bad.dram.hbm2.channels = 0;
    CHECK_THROWS_AS(make_hbm2_backend(bad), std::invalid_argument);
  }
  SECTION("cycles of another clock: arrival rounded up to a DRAM clock, completion to a cycle") {
    ArchSpec fast = arch;
    fast.clock_hz = 1'500'000'000;  // a cycle is 2/3 of a DRAM clock
    auto dram = make_hbm2_backend(fast);
    // Cycle 1 = 0.67 ns -> the DRAM sees it at 1 ns; data ends at 31 ns = 46.5 cycles -> 47.
    CHECK(dram->transfer(1, address(0, 0, 0, 0, 0), 64, false) == 47);
  }
}

TEST_CASE("hbm2: every command of a mixed run keeps the timing rules", "[sim][dram]") {
  // The controller places commands into gaps between earlier ones; this replays what it
  // placed, in time order, against the rules as the datasheet states them (tCK = 1 ns).
  const ArchSpec arch = reference_hbm2();
  using Kind = einfuse::sim::DramCommand::Kind;
  std::vector<einfuse::sim::DramCommand> log;
  auto dram = make_hbm2_backend(arch, [&](const einfuse::sim::DramCommand& c) { log.push_back(c); });
  std::mt19937_64 rng(7);
  u64 now = 0, cursor = 0;
  for (int i = 0; i < 40000; ++i) {
    now += rng() % 24;
    const u64 pick = rng() % 10;
    if (pick < 5) {  // a sequential stream
      const u64 bytes = 64 * (1 + rng() % 16);
      dram->transfer(now, cursor, bytes, false);
      cursor += bytes;
    } else if (pick < 8) {
      dram->transfer(now, rng() % (u64{1} << 30), 64, false);
    } else {
      dram->transfer(now, rng() % (u64{1} << 24), 64 * (1 + rng() % 8), true);
    }
  }
  dram->drain(now);
  const auto& st = dram->stats();
  REQUIRE(log.size() > 50000);
  CHECK(st.row_hits > 0);
  CHECK(st.row_conflicts > 0);
  CHECK(st.turnarounds > 0);
  CHECK(st.refreshes > 0);

  const std::int64_t cl = 14, cwl = 4, rcd = 14, rp = 14, ras = 34, wr = 16, rtp = 6, rrd_s = 4, rrd_l = 6, faw = 30,
                     rfc = 260, refi = 3900, burst = 2;
  const auto column_gap = [&](const einfuse::sim::DramCommand& a, const einfuse::sim::DramCommand& b) -> std::int64_t {
    const bool same_group = a.bank_group == b.bank_group, a_write = a.kind == Kind::write, b_write = b.kind == Kind::write;
    if (a_write == b_write) return same_group ? 2 : 2;  // max(burst, tCCD_L = 2), max(burst, tCCD_S = 1)
    if (!a_write) return cl + burst + 2 - cwl;           // read data out, 2 clocks turnaround, write data in
    return cwl + burst + (same_group ? 8 : 6);           // write data in, tWTR_L / tWTR_S
  };
  std::stable_sort(log.begin(), log.end(), [](const auto& a, const auto& b) { return a.tick < b.tick; });
  int violations = 0;
  const auto expect = [&](bool ok, const char* rule, const einfuse::sim::DramCommand& c) {
    if (!ok && ++violations <= 10) {
      UNSCOPED_INFO(rule << " violated at tick " << c.tick << ", channel " << c.channel << " group " << c.bank_group
                         << " bank " << c.bank);
    }
  };
  for (int channel = 0; channel < 8; ++channel) {
    const std::int64_t phase = refi * channel / 8;  // staggered refresh (docs/dram.md)
    struct BankState {
      bool open = false;
      u64 row = 0;
      std::int64_t act = -1'000'000, pre = -1'000'000, read = -1'000'000, write = -1'000'000, seen = -1'000'000;
    };
    std::vector<BankState> banks(16);
    std::vector<einfuse::sim::DramCommand> acts, columns;
    for (const auto& c : log) {
      if (c.channel != channel) continue;
      const std::int64_t since_phase = c.tick - phase;
      expect(since_phase < refi || since_phase % refi >= rfc, "no command during a refresh", c);
      BankState& b = banks[static_cast<std::size_t>(c.bank_group * 4 + c.bank)];
      // A refresh since this bank's last command closed its row.
      const auto interval = [&](std::int64_t t) { return t < phase + refi ? 0 : (t - phase) / refi; };
      if (interval(c.tick) != interval(b.seen)) b.open = false;
      b.seen = c.tick;
      switch (c.kind) {
        case Kind::precharge:
          expect(b.open, "PRE to an open bank", c);
          expect(c.tick >= b.act + ras, "tRAS", c);
          expect(c.tick >= b.read + rtp, "tRTP", c);
          expect(c.tick >= b.write + cwl + burst + wr, "tWR", c);
          b.open = false;
          b.pre = c.tick;
          break;
        case Kind::activate:
          expect(!b.open, "ACT to a closed bank", c);
          expect(c.tick >= b.pre + rp, "tRP", c);
          b.open = true;
          b.row = c.row;
          b.act = c.tick;
          acts.push_back(c);
          break;
        case Kind::read:
        case Kind::write:
          expect(b.open && b.row == c.row, "column command to the open row", c);
          expect(c.tick >= b.act + rcd, "tRCD", c);
          (c.kind == Kind::read ? b.read : b.write) = c.tick;
          columns.push_back(c);
          break;
      }
    }
    for (std::size_t i = 0; i < acts.size(); ++i) {
      for (std::size_t j = i + 1; j < acts.size() && acts[j].tick - acts[i].tick < faw; ++j) {
        const bool same_group = acts[i].bank_group == acts[j].bank_group;
        expect(acts[j].tick - acts[i].tick >= (same_group ? rrd_l : rrd_s), "tRRD", acts[j]);
        expect(j - i < 4, "tFAW", acts[j]);
      }
    }
    for (std::size_t i = 0; i < columns.size(); ++i) {
      for (std::size_t j = i + 1; j < columns.size() && columns[j].tick - columns[i].tick < 16; ++j) {
        expect(columns[j].tick - columns[i].tick >= column_gap(columns[i], columns[j]), "column spacing", columns[j]);
      }
    }
  }
  CHECK(violations == 0);
}

namespace {

/// The reference traffic: 64-byte accesses, all there at cycle 0.
struct Pattern {
  const char* name;
  u64 count;
  std::function<std::pair<u64, bool>(u64)> access;  ///< i -> address, write
};

std::vector<Pattern> reference_patterns() {
  auto rng = std::make_shared<std::mt19937_64>(12345);
  const u64 n = 1 << 20;
  return {
      {"sequential 64 B reads", n, [](u64 i) { return std::pair{i * kBurst, false}; }},
      {"random 64 B reads", n / 4, [rng](u64) { return std::pair{((*rng)() % (u64{1} << 32)) & ~(kBurst - 1), false}; }},
      {"sequential, 33% writes", n, [](u64 i) { return std::pair{i * kBurst, i % 3 == 2}; }},
  };
}

/// Share of the peak `pattern` reaches on hbm2 with `arch`.
double hbm2_share(const ArchSpec& arch, const Pattern& pattern, einfuse::sim::DramStats* stats = nullptr) {
  auto dram = make_hbm2_backend(arch);
  const double share = efficiency(*dram, pattern.count, pattern.access);
  if (stats) *stats = dram->stats();
  return share;
}

ArchSpec without_refresh(ArchSpec arch) {
  arch.dram.hbm2.t_refi_ns = 1e9;
  return arch;
}

}  // namespace

TEST_CASE("hbm2: the reference points DRAMsim3 gives for HBM2", "[sim][dram]") {
  // Measured with DRAMsim3 (configs/HBM2_8Gb_x128.ini, 8 channels) on this project's machine;
  // the test below reruns DRAMsim3 where it is built in.
  const ArchSpec arch = reference_hbm2();
  const std::vector<Pattern> patterns = reference_patterns();
  const double dramsim3[] = {0.92, 0.25, 0.81};
  std::printf("hbm2 vs DRAMsim3 (HBM2, 8 channels), share of peak:\n");
  std::vector<einfuse::sim::DramStats> stats(patterns.size());
  double sequential = 0;
  for (std::size_t p = 0; p < patterns.size(); ++p) {
    const double share = hbm2_share(arch, patterns[p], &stats[p]);
    std::printf("  %-24s %5.1f%%  (DRAMsim3 %.0f%%)\n", patterns[p].name, 100 * share, 100 * dramsim3[p]);
    INFO(patterns[p].name);
    CHECK(share == Approx(dramsim3[p]).margin(kTolerance));
    if (p == 0) sequential = share;
  }
  // Refresh's share: the same sequential stream with refresh moved out of reach.
  const double refresh_overhead = 1.0 - sequential / hbm2_share(without_refresh(arch), patterns[0]);
  std::printf("  %-24s %5.1f%%  (DRAMsim3 6.7%%)\n", "refresh overhead", 100 * refresh_overhead);
  CHECK(refresh_overhead == Approx(0.067).margin(kTolerance));
  // And the counts say why: a sequential stream hits the open row, a random one never does.
  CHECK(stats[0].row_hits > 30 * (stats[0].row_misses + stats[0].row_conflicts));
  CHECK(stats[1].row_hits * 100 < stats[1].reads);
  CHECK(stats[2].writes == patterns[2].count / 3);
}

#ifdef EINFUSE_HAVE_DRAMSIM3
namespace {

/// Share of the peak `pattern` reaches on DRAMsim3 with `config`: as many requests each DRAM
/// clock as it takes, until all have come back (writes come back when taken, as in hbm2).
double dramsim3_share(const std::string& config, const Pattern& pattern) {
  u64 returned = 0;
  const auto count = [&](u64) { ++returned; };
  std::unique_ptr<dramsim3::MemorySystem> memory(
      dramsim3::GetMemorySystem(config, std::filesystem::temp_directory_path().string(), count, count));
  u64 issued = 0, clock = 0;
  while (returned < pattern.count) {
    for (; issued < pattern.count; ++issued) {
      const auto [addr, write] = pattern.access(issued);
      if (!memory->WillAcceptTransaction(addr, write)) break;
      memory->AddTransaction(addr, write);
    }
    memory->ClockTick();
    ++clock;
  }
  return static_cast<double>(pattern.count * kBurst) / (static_cast<double>(clock) * kPeakBytesPerCycle);
}

}  // namespace

TEST_CASE("hbm2 and DRAMsim3 on the same traffic", "[sim][dram][dramsim3]") {
  // DRAMsim3 asks for the same access again after refusing it, so both models replay one
  // list of accesses rather than drawing random addresses as they go.
  const std::string config = std::string(EINFUSE_DRAMSIM3_CONFIGS) + "/HBM2_8Gb_x128.ini";
  const ArchSpec arch = reference_hbm2();
  std::printf("hbm2 vs DRAMsim3 run here (HBM2_8Gb_x128.ini), share of peak:\n");
  double shares[2] = {0, 0};
  for (std::size_t p = 0; p < 3; ++p) {
    std::vector<Pattern> patterns = reference_patterns();
    const Pattern& pattern = patterns[p];
    std::vector<std::pair<u64, bool>> accesses(pattern.count);
    for (u64 i = 0; i < pattern.count; ++i) accesses[i] = pattern.access(i);
    const Pattern replay{pattern.name, pattern.count, [&](u64 i) { return accesses[i]; }};
    const double ours = hbm2_share(arch, replay), theirs = dramsim3_share(config, replay);
    std::printf("  %-24s hbm2 %5.1f%%  DRAMsim3 %5.1f%%\n", pattern.name, 100 * ours, 100 * theirs);
    INFO(pattern.name);
    CHECK(ours == Approx(theirs).margin(kTolerance));
    if (p == 0) shares[0] = ours, shares[1] = theirs;
  }
  // Refresh: DRAMsim3's config with tREFI out of reach.
  einfuse::test::TempFile no_refresh(einfuse::test::replace(einfuse::test::read_file(config), "tREFI = 3900",
                                                            "tREFI = 1000000000"),
                                     "hbm2_no_refresh.ini");
  const Pattern sequential = reference_patterns()[0];
  const double ours = 1 - shares[0] / hbm2_share(without_refresh(arch), sequential);
  const double theirs = 1 - shares[1] / dramsim3_share(no_refresh.path(), sequential);
  std::printf("  %-24s hbm2 %5.1f%%  DRAMsim3 %5.1f%%\n", "refresh overhead", 100 * ours, 100 * theirs);
  CHECK(ours == Approx(theirs).margin(kTolerance));
  // The adapter: one long sequential transfer, its requests overlapping.
  auto adapter = einfuse::sim::make_dramsim3_backend(arch, config);
  const u64 bytes = 64 << 20, end = adapter->transfer(0, 0, bytes, false);
  const double adapter_share = static_cast<double>(bytes) / (static_cast<double>(end) * kPeakBytesPerCycle);
  std::printf("  adapter, one 64 MiB read  DRAMsim3 %5.1f%%\n", 100 * adapter_share);
  CHECK(adapter_share == Approx(shares[1]).margin(0.02));
}
#else
TEST_CASE("the DRAMsim3 backend needs DRAMsim3", "[sim][dram]") {
  CHECK_THROWS_AS(einfuse::sim::make_dramsim3_backend(reference_hbm2(), "HBM2_8Gb_x128.ini"), std::runtime_error);
}
#endif

TEST_CASE("hbm2: a long stream approaches the arch's bandwidth and never exceeds it", "[sim][dram]") {
  ArchSpec arch = einfuse::mapper::load_arch("fusemax", kArchDir);
  REQUIRE(arch.dram.hbm2.channels == 16);  // two stacks at 1.68 Gb/s per pin (docs/dram.md)
  const double bytes_per_cycle = static_cast<double>(arch.dram.bandwidth_bytes_per_s) / static_cast<double>(arch.clock_hz);
  const u64 transfer_bytes = 1 << 20, transfers = 64;
  for (const bool refresh : {true, false}) {
    INFO("refresh " << refresh);
    if (!refresh) arch.dram.hbm2.t_refi_ns = 1e9;
    auto dram = make_hbm2_backend(arch);
    u64 end = 0;
    double least_time = 0;
    for (u64 t = 0; t < transfers; ++t) {
      end = std::max(end, dram->transfer(0, t * transfer_bytes, transfer_bytes, false));
      // At no point has the model moved more than the peak allows.
      least_time += transfer_bytes / bytes_per_cycle;
      CHECK(static_cast<double>(end) >= least_time);
    }
    const double share = static_cast<double>(transfers * transfer_bytes) / bytes_per_cycle / static_cast<double>(end);
    std::printf("hbm2 on FuseMax's 400 GiB/s, 64 MiB sequential, refresh %s: %.2f%% of peak\n", refresh ? "on" : "off",
                100 * share);
    CHECK(share <= 1.0);
    CHECK(share >= (refresh ? 0.90 : 0.99));
  }
}

TEST_CASE("hbm2: speed of the model", "[sim][dram]") {
  // Printed, not asserted (timing never decides a test): the target is >= 20 M bursts/s.
  const ArchSpec arch = einfuse::mapper::load_arch("fusemax", kArchDir);
  auto dram = make_hbm2_backend(arch);
  const u64 bursts = 1 << 22;
  const auto start = std::chrono::steady_clock::now();
  u64 end = 0;
  for (u64 t = 0; t < bursts / 1024; ++t) end = std::max(end, dram->transfer(t * 100, t * 65536, 65536, t % 4 == 3));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("hbm2 model: %.1f M bursts/s (64 KiB transfers, a quarter writes)\n", bursts / seconds / 1e6);
  CHECK(end > 0);
}
