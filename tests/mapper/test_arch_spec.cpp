// Arch specs (workloads/arch/*.yaml, docs/arch-spec.md): the shipped designs carry the
// numbers of shared/reference/fusemax.md, a spec survives a dump and reload unchanged, and
// every malformed spec is rejected with the line, column and reason of its first problem.
#include <catch2/catch.hpp>

#include "expect_load_error.hpp"
#include "temp_file.hpp"
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>

#include "einfuse/mapper/arch_spec.hpp"

using namespace einfuse::mapper;

namespace {

using TempArch = einfuse::test::TempFile;
using einfuse::test::replace;

const std::string kArch = std::string(EINFUSE_SOURCE_DIR) + "/workloads/arch";

// Line numbers matter: the error tests below point into this text.
const char* const kGood =
    "name: Tiny\n"                           // 1
    "source: \"made up for a test\"\n"       // 2
    "clock_hz: 1000\n"                       // 3
    "data_bytes: 2\n"                        // 4
    "arrays:\n"                              // 5
    "  - name: a2\n"                         // 6
    "    role: 2d\n"                         // 7
    "    rows: 4\n"                          // 8
    "    cols: 4\n"                          // 9
    "    ops: {mac: 1, add: 1, exp: 3}\n"    // 10
    "    exp_algorithm: mac_sequence\n"      // 11
    "    exp_sequence: {mac: 2, add: 1}\n"   // 12
    "    registers_per_pe: 2\n"              // 13
    "  - name: a1\n"                         // 14
    "    role: 1d\n"                         // 15
    "    rows: 1\n"                          // 16
    "    cols: 4\n"                          // 17
    "    ops: {mac: 1, divide: 2}\n"         // 18
    "    exp_algorithm: none\n"              // 19
    "    registers_per_pe: 8\n"              // 20
    "global_buffer:\n"                       // 21
    "  capacity_bytes: 1024\n"               // 22
    "  row_bits: 64\n"                       // 23
    "  banks: 1\n"                           // 24
    "  ports: 1\n"                           // 25
    "dram:\n"                                // 26
    "  bandwidth_bytes_per_s: 1000000\n"     // 27
    "  access_bits: 64\n"                    // 28
    "energy_pj:\n"                           // 29
    "  mac: 1.5\n"                           // 30
    "  add: 0.5\n"                           // 31
    "  divide: 4\n"                          // 32
    "  dram_access: 10\n"                    // 33
    "  buffer_read_row: 2\n"                 // 34
    "  buffer_write_row: 2\n"                // 35
    "  register_read: 0.1\n"                 // 36
    "  register_write: 0.1\n"                // 37
    "area_um2:\n"                            // 38
    "  mac: 100\n";                          // 39

// Loads `text` from a file and checks that it fails at line:col with `fragment` in the message.
void expect_error(const std::string& text, std::uint32_t line, std::uint32_t col, const std::string& fragment) {
  TempArch a(text);
  einfuse::test::expect_load_error([&] { load_arch(a.path(), a.dir()); }, a.path(), line, col, fragment, text);
}

}  // namespace

TEST_CASE("FuseMax: the published hardware table", "[arch]") {
  // shared/reference/fusemax.md, "The hardware", FuseMax column, and the energy/area tables.
  const ArchSpec s = load_arch("fusemax", kArch);
  CHECK(s.name == "FuseMax");
  CHECK(s.clock_hz == 940'000'000);
  CHECK(s.data_bytes == 2);
  REQUIRE(s.arrays.size() == 2);
  const PeArray* a2 = s.find_array("2d");
  const PeArray* a1 = s.find_array("1d");
  REQUIRE(a2);
  REQUIRE(a1);
  CHECK(a2->pes() == 65536);
  CHECK(a2->ops == std::map<std::string, int>{{"mac", 1}, {"add", 1}, {"max", 1}, {"exp", 7}});
  CHECK(a2->exp_algorithm == "mac_sequence");
  CHECK(a2->exp_sequence == std::map<std::string, int>{{"mac", 6}, {"add", 1}});
  CHECK(a2->registers_per_pe == 16);
  CHECK(a1->rows == 1);
  CHECK(a1->cols == 256);
  // PRM's exp runs on the 1D array as the same 6 mac + 1 add sequence (fusemax.md).
  CHECK(a1->ops == std::map<std::string, int>{{"mac", 1}, {"add", 1}, {"max", 1}, {"divide", 1}, {"exp", 7}});
  CHECK(a1->exp_algorithm == "mac_sequence");
  CHECK(a1->exp_sequence == std::map<std::string, int>{{"mac", 6}, {"add", 1}});
  CHECK(a1->registers_per_pe == 32);
  CHECK(s.global_buffer.capacity_bytes == 16 * 1024 * 1024);
  CHECK(s.global_buffer.row_bits == 4096);
  CHECK(s.dram.bandwidth_bytes_per_s == 400LL << 30);
  CHECK(s.dram.access_bits == 64);
  CHECK(s.energy_pj.at("mac") == 17.1645);
  CHECK(s.energy_pj.at("add") == 8.3395);
  CHECK(s.energy_pj.at("max") == 0.028036);
  CHECK(s.energy_pj.at("divide") == 36.251153);
  CHECK(s.energy_pj.at("dram_access") == 249.6);
  CHECK(s.area_um2.at("mac") == 1545);
  CHECK(s.area_um2.at("max") == 49.29);
  CHECK(s.area_um2.at("divide") == 23740.94);
  CHECK(s.area_um2.at("pe2d") == 18400);
}

TEST_CASE("FLAT and unfused: the baseline hardware table", "[arch]") {
  for (const char* name : {"flat", "unfused"}) {
    INFO(name);
    const ArchSpec s = load_arch(name, kArch);
    CHECK(s.clock_hz == 940'000'000);
    const PeArray* a2 = s.find_array("2d");
    const PeArray* a1 = s.find_array("1d");
    REQUIRE(a2);
    REQUIRE(a1);
    CHECK(a2->rows == 256);
    CHECK(a2->cols == 256);
    CHECK(a2->ops == std::map<std::string, int>{{"mac", 1}, {"add", 1}});
    CHECK(a2->exp_algorithm == "none");
    CHECK(a2->registers_per_pe == 4);
    CHECK(a1->pes() == 256);
    CHECK(a1->ops ==
          std::map<std::string, int>{{"mac", 1}, {"add", 1}, {"max", 1}, {"exp", 1}, {"divide", 1}});
    CHECK(a1->exp_algorithm == "table");
    CHECK(a1->registers_per_pe == 16);
    CHECK(s.global_buffer.capacity_bytes == 32 * 1024 * 1024);
    CHECK(s.energy_pj.at("exp") == 94.6475);
    CHECK(s.energy_pj.at("dram_access") == 249.6);
    CHECK(s.area_um2.at("exp") == 8240);
  }
  // Same hardware; only the name and source differ (the dataflow is the mapping's business).
  ArchSpec flat = load_arch("flat", kArch);
  ArchSpec unfused = load_arch("unfused", kArch);
  CHECK(flat.name == "FLAT");
  CHECK(unfused.name == "Unfused");
  flat.name = unfused.name;
  flat.source = unfused.source;
  CHECK(flat == unfused);
}

TEST_CASE("a spec survives dump and reload unchanged", "[arch]") {
  for (const char* name : {"fusemax", "flat", "unfused"}) {
    INFO(name);
    const ArchSpec s = load_arch(name, kArch);
    const std::string dumped = to_yaml(s);
    INFO(dumped);
    const ArchSpec again = parse_arch(dumped, "<dump>");
    CHECK(again == s);
    CHECK(to_yaml(again) == dumped);
  }
  // Doubles that have no short decimal form and text that needs quoting survive too.
  ArchSpec s = parse_arch(kGood);
  s.energy_pj["mac"] = 0.1 + 0.2;
  s.area_um2["register"] = 1.0 / 3.0;
  s.name = "a: \"quoted\" # name";
  const ArchSpec again = parse_arch(to_yaml(s));
  CHECK(again == s);
  // And equality notices a difference anywhere.
  ArchSpec changed = again;
  changed.arrays[1].exp_sequence["mac"] = 1;
  CHECK_FALSE(changed == again);
}

TEST_CASE("a bare arch name is found case-insensitively; an unknown one lists the known", "[arch]") {
  for (const char* name : {"FuseMax", "fusemax", "FUSEMAX"}) CHECK(load_arch(name, kArch).name == "FuseMax");
  CHECK(load_arch(kArch + "/flat.yaml", "/nonexistent").name == "FLAT");
  try {
    load_arch("tpu", kArch);
    FAIL("no error for an unknown arch");
  } catch (const CascadeError& e) {
    CHECK(e.message().find("no arch spec 'tpu'") != std::string::npos);
    CHECK(e.expected().find("fusemax") != std::string::npos);
    CHECK(e.expected().find("unfused") != std::string::npos);
  }
  CHECK_THROWS_AS(load_arch(kArch + "/missing.yaml", kArch), CascadeError);
  CHECK(std::filesystem::exists(std::filesystem::path(default_arch_dir()) / "fusemax.yaml"));
}

TEST_CASE("the example in docs/arch-spec.md is the shipped FuseMax hardware", "[arch]") {
  std::ifstream in(std::string(EINFUSE_SOURCE_DIR) + "/docs/arch-spec.md");
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto begin = doc.find("```yaml\n");
  REQUIRE(begin != std::string::npos);
  const auto end = doc.find("```", begin + 8);
  const ArchSpec example = parse_arch(doc.substr(begin + 8, end - begin - 8), "docs/arch-spec.md");
  const ArchSpec shipped = load_arch("fusemax", kArch);
  CHECK(example.arrays == shipped.arrays);
  CHECK(example.global_buffer == shipped.global_buffer);
  CHECK(example.dram == shipped.dram);
  for (const auto& [key, pj] : example.energy_pj) CHECK(shipped.energy_pj.at(key) == pj);
}

TEST_CASE("the test's own spec is well-formed", "[arch]") {
  const ArchSpec s = parse_arch(kGood, "tiny.yaml");
  CHECK(s.arrays.at(0).exp_sequence.at("mac") == 2);
  CHECK(s.area_um2.size() == 1);
  CHECK(s.find_array("3d") == nullptr);
}

TEST_CASE("malformed specs: keys", "[arch]") {
  expect_error(std::string(kGood) + "colour: red\n", 40, 1, "unknown key 'colour' in an arch spec");
  expect_error(replace(kGood, "    registers_per_pe: 2\n", "    registers_per_pe: 2\n    regs: 3\n"), 14, 5,
               "unknown key 'regs' in a PE array");
  expect_error(replace(kGood, "  banks: 1", "  bank: 1"), 24, 3, "unknown key 'bank' in global_buffer");
  expect_error(replace(kGood, "  dram_access: 10", "  dram_read: 10"), 33, 3, "unknown key 'dram_read' in energy_pj");
  expect_error(replace(kGood, "  row_bits: 64\n", ""), 22, 3, "missing key 'row_bits' in global_buffer");
  expect_error(replace(kGood, "clock_hz: 1000\n", ""), 1, 1, "missing key 'clock_hz' in an arch spec");
  expect_error(replace(kGood, "    cols: 4\n    ops: {mac: 1, divide", "    ops: {mac: 1, divide"), 14, 5,
               "missing key 'cols' in a PE array");
  expect_error(replace(kGood, "  ports: 1\n", "  ports: 1\n  banks: 2\n"), 26, 3, "key 'banks' is given twice");
  expect_error(replace(kGood, "  register_write: 0.1\n", ""), 30, 3, "missing key 'register_write' in energy_pj");
}

TEST_CASE("malformed specs: types and ranges", "[arch]") {
  expect_error(replace(kGood, "    rows: 4", "    rows: four"), 8, 11, "'rows' must be an integer, not 'four'");
  expect_error(replace(kGood, "    rows: 4", "    rows: 4.5"), 8, 11, "'rows' must be an integer");
  expect_error(replace(kGood, "global_buffer:\n  capacity_bytes: 1024\n  row_bits: 64\n  banks: 1\n  ports: 1\n",
                       "global_buffer: 5\n"),
               21, 16, "global_buffer must be a mapping");
  expect_error(replace(kGood, "  capacity_bytes: 1024", "  capacity_bytes: -1024"), 22, 19,
               "'capacity_bytes' must be positive");
  expect_error(replace(kGood, "    cols: 4\n    ops: {mac: 1, d", "    cols: 0\n    ops: {mac: 1, d"), 17, 11,
               "'cols' must be positive");
  expect_error(replace(kGood, "  mac: 1.5", "  mac: cheap"), 30, 8, "'mac' must be a number, not 'cheap'");
  expect_error(replace(kGood, "  mac: 1.5", "  mac: -1.5"), 30, 8, "'mac' must be positive");
  expect_error(replace(kGood, "  mac: 1.5", "  mac: .nan"), 30, 8, "'mac' must be a number");
  expect_error(replace(kGood, "  mac: 100", "  mac: [1, 2]"), 39, 8, "'mac' must be a number, not (a list)");
  expect_error(replace(kGood, "clock_hz: 1000", "clock_hz: 99999999999999999999"), 3, 11, "out of range");
  expect_error(replace(kGood, "    registers_per_pe: 8", "    registers_per_pe: 3000000000"), 20, 23, "out of range");
  expect_error(replace(kGood, "name: Tiny", "name: {a: 1}"), 1, 7, "'name' must be a non-empty text");
  expect_error(replace(kGood, "    role: 2d", "    role: 3d"), 7, 11, "bad value '3d' for 'role'");
  expect_error(replace(kGood, "exp_algorithm: none", "exp_algorithm: cordic"), 19, 20,
               "bad value 'cordic' for 'exp_algorithm'");
  {
    std::string no_arrays = kGood;
    const auto from = no_arrays.find("arrays:\n");
    no_arrays.replace(from, no_arrays.find("global_buffer:") - from, "arrays: []\n");
    expect_error(no_arrays, 5, 9, "non-empty list");
  }
  expect_error(replace(kGood, "  row_bits: 64", "  row_bits: 24"), 23, 13, "whole number of 2-byte elements");
}

TEST_CASE("malformed specs: arrays and ops", "[arch]") {
  expect_error(replace(kGood, "{mac: 1, divide: 2}", "{mac: 1, sqrt: 2}"), 18, 19, "unknown key 'sqrt' in the ops of array 'a1'");
  expect_error(replace(kGood, "{mac: 1, divide: 2}", "{mac: 1, divide: 0}"), 18, 27, "'divide cycles' must be positive");
  expect_error(replace(kGood, "{mac: 1, add: 1, exp: 3}", "{mac: 1, add: 1}"), 11, 20,
               "computes exp ('mac_sequence') but its ops give no cycles for exp");
  expect_error(replace(kGood, "{mac: 1, divide: 2}", "{mac: 1, divide: 2, exp: 1}"), 18, 30,
               "lists exp in its ops but exp_algorithm is 'none'");
  expect_error(replace(kGood, "{mac: 1, add: 1, exp: 3}", "{mac: 1, add: 1, exp: 4}"), 10, 32,
               "exp takes 4 cycles but its exp_sequence (1 add + 2 mac) takes 3");
  expect_error(replace(kGood, "    exp_sequence: {mac: 2, add: 1}\n", ""), 11, 20, "gives no exp_sequence");
  expect_error(replace(kGood, "{mac: 2, add: 1}", "{mac: 2, max: 1}"), 12, 28, "uses 'max', which the array does not execute");
  expect_error(replace(kGood, "exp_algorithm: mac_sequence", "exp_algorithm: table"), 12, 5,
               "gives an exp_sequence but exp_algorithm is 'table'");
  expect_error(replace(kGood, "    ops: {mac: 1, divide: 2}", "    ops: {}"), 18, 10, "lists no ops");
  expect_error(replace(kGood, "    rows: 1\n", "    rows: 2\n"), 16, 11, "has role 1d but rows = 2");
  expect_error(replace(kGood, "  - name: a1", "  - name: a2"), 14, 11, "a second array named 'a2'");
  expect_error(replace(kGood, "  divide: 4\n", ""), 30, 3, "no entry for 'divide', which array 'a1' executes");
}

TEST_CASE("dram, dma and handoff: optional keys with defaults", "[arch]") {
  // Absent: the defaults (arch_spec.hpp); the channel count derived as whole 8-channel HBM2
  // stacks at no more than 2 Gb/s per pin (docs/dram.md).
  const ArchSpec tiny = parse_arch(kGood);
  CHECK(tiny.dma.outstanding == 16);
  CHECK(tiny.dma.prefetch_tiles == 2);
  CHECK(tiny.handoff.tiles == 2);
  CHECK(tiny.dram.hbm2.channels == 8);  // 1 MB/s: one stack
  CHECK(tiny.dram.hbm2.t_rcd_ns == 14);
  CHECK(tiny.dram.hbm2.address_mapping == "robgbachco");
  const ArchSpec fusemax = load_arch("fusemax", kArch);
  CHECK(fusemax.dram.hbm2.channels == 16);  // 400 GiB/s needs 1.68 stacks at 2 Gb/s per pin
  CHECK(fusemax.dma == DmaSpec{});
  // Given: read as written, and survive a dump.
  const ArchSpec s = parse_arch(replace(kGood, "  access_bits: 64\n",
                                        "  access_bits: 64\n  channels: 12\n  t_rcd_ns: 13.5\n  row_bytes: 1024\n"
                                        "  address_mapping: rochbabgco\n  write_queue: 8\n"
                                        "dma: {outstanding: 4, prefetch_tiles: 3}\nhandoff: {tiles: 1}\n"));
  CHECK(s.dram.hbm2.channels == 12);
  CHECK(s.dram.hbm2.t_rcd_ns == 13.5);
  CHECK(s.dram.hbm2.row_bytes == 1024);
  CHECK(s.dram.hbm2.address_mapping == "rochbabgco");
  CHECK(s.dram.hbm2.write_queue == 8);
  CHECK(s.dma.outstanding == 4);
  CHECK(s.dma.prefetch_tiles == 3);
  CHECK(s.handoff.tiles == 1);
  CHECK(parse_arch(to_yaml(s)) == s);
  CHECK(parse_arch(replace(kGood, "  access_bits: 64\n", "  access_bits: 64\ndma: {}\nhandoff: {}\n")) == tiny);
}

TEST_CASE("malformed specs: dram, dma and handoff", "[arch]") {
  const auto with_dram = [](const std::string& keys) { return replace(kGood, "  access_bits: 64\n", "  access_bits: 64\n" + keys); };
  expect_error(with_dram("  tRCD: 14\n"), 29, 3, "unknown key 'tRCD' in dram");
  expect_error(with_dram("  channels: 0\n"), 29, 13, "'channels' must be positive");
  expect_error(with_dram("  t_rp_ns: fast\n"), 29, 12, "'t_rp_ns' must be a number");
  expect_error(with_dram("  t_rp_ns: -14\n"), 29, 12, "'t_rp_ns' must be positive");
  expect_error(with_dram("  t_refi_ns: 5e12\n"), 29, 14, "longer than a second");
  expect_error(with_dram("  t_refi_ns: 200\n"), 29, 14, "t_refi_ns = 200 is not longer than t_rfc_ns = 260");
  expect_error(with_dram("  t_rfc_ns: 3900\n"), 29, 13, "the channel would never leave refresh");
  expect_error(with_dram("  bus_bits: 100\n"), 29, 13, "is not whole bytes");
  expect_error(with_dram("  burst_length: 3\n"), 29, 17, "burst_length = 3 is odd");
  expect_error(with_dram("  row_bytes: 1000\n"), 29, 14, "does not hold a whole number of 64-byte bursts");
  expect_error(with_dram("  t_ccd_l_ck: 1\n  t_ccd_s_ck: 2\n"), 29, 15, "t_ccd_l_ck = 1 is shorter than t_ccd_s_ck = 2");
  expect_error(with_dram("  t_rrd_s_ns: 8\n"), 29, 15, "t_rrd_l_ns = 6 is shorter than t_rrd_s_ns = 8");
  expect_error(with_dram("  address_mapping: robgbach\n"), 29, 20, "bad address_mapping 'robgbach'");
  expect_error(with_dram("  address_mapping: bgrobachco\n"), 29, 20, "bad address_mapping 'bgrobachco'");
  expect_error(with_dram("  address_mapping: robgbgchco\n"), 29, 20, "field 'bg' is unknown or repeated");
  expect_error(with_dram("dma: {outstanding: 0}\n"), 29, 20, "'outstanding' must be positive");
  expect_error(with_dram("dma: {inflight: 2}\n"), 29, 7, "unknown key 'inflight' in dma");
  expect_error(with_dram("dma: 4\n"), 29, 6, "dma must be a mapping");
  expect_error(with_dram("handoff: {tiles: -1}\n"), 29, 18, "'tiles' must be positive");
  expect_error(with_dram("handoff: {depth: 2}\n"), 29, 11, "unknown key 'depth' in handoff");
}

TEST_CASE("malformed specs: not YAML, empty, not a mapping", "[arch]") {
  expect_error("", 1, 1, "must be a mapping");
  expect_error("# only a comment\n", 1, 1, "must be a mapping");
  expect_error("- just\n- a list\n", 1, 1, "must be a mapping");
  // A syntax error is reported where yaml-cpp detects it, which can be after the typo:
  // the unclosed '[' runs on into the next line, the unclosed quote ends at the next '"'.
  expect_error(replace(kGood, "  banks: 1", "  banks: [1"), 25, 8, "end of sequence flow not found");
  expect_error(replace(kGood, "name: Tiny", "name: \"Tiny"), 2, 10, "YAML syntax error");
  // The formatted report names file:line:col and shows the line.
  TempArch a(replace(kGood, "  capacity_bytes: 1024", "  capacity_bytes: -1024"));
  try {
    load_arch(a.path(), a.dir());
    FAIL("no error");
  } catch (const CascadeError& e) {
    const std::string what = e.what();
    CHECK(what.find(a.path() + ":22:19: error:") != std::string::npos);
    CHECK(what.find("capacity_bytes: -1024") != std::string::npos);
  }
}

// The small FuseMax designs the RTL tests run (fusemax-n8/n16.yaml) are fusemax.yaml with only
// what scales with the array side changed: a drift in any per-unit number is caught here.
TEST_CASE("fusemax-n8 and fusemax-n16 are fusemax.yaml scaled to the array side", "[arch]") {
  const ArchSpec full = load_arch("fusemax", kArch);
  for (int n : {8, 16}) {
    INFO("N = " << n);
    const ArchSpec small = load_arch("fusemax-n" + std::to_string(n), kArch);
    REQUIRE(small.arrays.size() == full.arrays.size());
    for (std::size_t a = 0; a < full.arrays.size(); ++a) {
      PeArray expect = full.arrays[a];
      if (expect.role == "2d") expect.rows = n;
      expect.cols = n;
      CHECK(small.arrays[a] == expect);
    }
    CHECK(small.global_buffer.row_bits == 16 * n);
    CHECK(small.global_buffer.banks == full.global_buffer.banks);
    CHECK(small.global_buffer.ports == full.global_buffer.ports);
    CHECK(small.dram.bandwidth_bytes_per_s == full.dram.bandwidth_bytes_per_s * n / 256);
    CHECK(small.clock_hz == full.clock_hz);
    CHECK(small.data_bytes == full.data_bytes);
    CHECK(small.dma == full.dma);
    CHECK(small.handoff == full.handoff);
    for (const auto& [key, pj] : full.energy_pj)
      if (key != "buffer_read_row" && key != "buffer_write_row") CHECK(small.energy_pj.at(key) == pj);
    CHECK(small.area_um2 == full.area_um2);
  }
}
