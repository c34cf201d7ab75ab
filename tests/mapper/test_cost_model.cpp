// The cost model's formulas (docs/cost-model.md) on small cases computed by hand: cycles with
// folds, stages and overlap policies, the exposed reduction stall, refetch with and without
// innermost reuse and stationarity, footprints and capacity, energy by action, the published
// quirks, and every validation message.
#include <catch2/catch.hpp>

#include <string>

#include "einfuse/einsum/parser.hpp"
#include "einfuse/einsum/shape.hpp"
#include "einfuse/mapper/arch_spec.hpp"
#include "einfuse/mapper/cost_model.hpp"

using namespace einfuse::mapper;
using einfuse::einsum::bind_shape;
using einfuse::einsum::parse_cascade;

namespace {

// A 4x4 2D array (mac, add, max) and a 4-PE 1D array (add, max, divide, table exp); round
// energies so sums can be checked by hand.
const char* kTinyArch = R"(name: Tiny
source: "test"
clock_hz: 2000
data_bytes: 2
arrays:
  - {name: a2, role: 2d, rows: 4, cols: 4, ops: {mac: 1, add: 1, max: 1}, exp_algorithm: none, registers_per_pe: 2}
  - {name: a1, role: 1d, rows: 1, cols: 4, ops: {add: 1, max: 1, divide: 2, exp: 1}, exp_algorithm: table, registers_per_pe: 8}
global_buffer: {capacity_bytes: 4096, row_bits: 64, banks: 1, ports: 1}
dram: {bandwidth_bytes_per_s: 8000, access_bits: 64}
energy_pj: {mac: 2, add: 1, max: 1, divide: 4, exp: 8, dram_access: 100, buffer_read_row: 10, buffer_write_row: 20, register_read: 0.5, register_write: 1}
area_um2: {mac: 10, max: 1, divide: 20, exp: 30}
)";

// Y = X * W over k, a column max and a difference on the 2D array, a division on the 1D.
const char* kCascade = R"(
cascade tiny
rank K = 8, N = 8, P = 16
input  X[k,p] : bf16
input  W[k,n] : bf16
output Z[n,p] : bf16
Y[n,p]  = X[k,p] * W[k,n]
G[p]    = max(n) Y[n,p]
D[n,p]  = Y[n,p] - G[p]
Z[n,p]  = D[n,p] / G[p]
)";

struct Fixture {
  einfuse::einsum::Cascade cascade = parse_cascade(kCascade, "tiny.ein");
  Workload w = make_workload(cascade, bind_shape(cascade, {}));
  ArchSpec arch = parse_arch(kTinyArch, "tiny.yaml");

  // Y, G, D on the 2D array (n down the rows, p across the columns: 4x4 spatial), Z on 1D;
  // Y stays in the 2D array's registers.
  Mapping mapping() const {
    Mapping m;
    m.name = "hand";
    m.cascade = "tiny";
    m.arch = "Tiny";
    m.bindings = {{"Y", "a2", {"N"}, {"P"}, {}}, {"G", "a2", {"N"}, {"P"}, {}}, {"D", "a2", {"N"}, {"P"}, {}},
                  {"Z", "a1", {}, {"P"}, {}}};
    m.spatial = {{"N", 4}, {"P", 4}};
    m.dram_loops = {{"P", 4}};                  // 4 tiles of 4 queries
    m.buffer_loops = {{"N", 2}};                // 2 array tiles of 4 outputs each
    m.tensors = {{"Y", Residency::registers, 0, {}}};
    return m;
  }
};

const TensorTraffic& traffic(const CostReport& r, const std::string& t) {
  for (const auto& x : r.tensors)
    if (x.tensor == t) return x;
  FAIL("no tensor " << t);
  return r.tensors.front();
}

bool has_problem(const std::vector<MappingProblem>& ps, const std::string& where, const std::string& fragment) {
  for (const auto& p : ps)
    if (p.where == where && p.message.find(fragment) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("cycles: ops x cycles per op over the spatial tile, stages and overlap", "[cost]") {
  Fixture f;
  const CostReport r = evaluate(f.w, f.arch, f.mapping());
  // Y: 8*8*16 = 1024 macs on a 4x4 tile -> 64 cycles; G: 128 maxes -> 8; D: 128 adds -> 8;
  // Z: 128 divides of 2 cycles on 4 PEs -> 64.
  REQUIRE(r.einsums.size() == 4);
  CHECK(r.einsums[0].cycles == 64);
  CHECK(r.einsums[1].cycles == 8);
  CHECK(r.einsums[2].cycles == 8);
  CHECK(r.einsums[3].cycles == 64);
  CHECK(r.einsums[0].pes_used == 16);
  // One stage: the arrays overlap perfectly: max(80, 64).
  CHECK(r.compute_cycles == 80);
  CHECK(r.arrays[0].busy_cycles == 80);
  CHECK(r.arrays[1].busy_cycles == 64);
  // DRAM: X (16x8x2 = 256 B) and W (128 B) read once: P, the only DRAM loop, indexes X, and W
  // is reused across it because it is innermost. Z (256 B) written once.
  CHECK(traffic(r, "X").dram_read_bytes == 256);
  CHECK(traffic(r, "W").dram_read_bytes == 128);
  CHECK(traffic(r, "Z").dram_write_bytes == 256);
  CHECK(r.dram_bytes == 640);
  // 640 bytes at 8000 B/s and 2 kHz: 160 cycles > 80: memory-bound.
  CHECK(r.dram_cycles == 160);
  CHECK(r.latency_cycles == 160);
  CHECK(r.arrays[0].utilisation == Approx(80.0 / 160.0));

  SECTION("stages run one after another") {
    Mapping m = f.mapping();
    m.overlap.stages = {{"Y", "G", "D"}, {"Z"}};
    m.overlap.memory = Overlap::Memory::overlapped;
    const CostReport s = evaluate(f.w, f.arch, m);
    CHECK(s.compute_cycles == 80 + 64);
    CHECK(s.latency_cycles == 160);
  }
  SECTION("per-stage memory: each stage waits for its own traffic") {
    Mapping m = f.mapping();
    m.overlap.stages = {{"Y", "G", "D"}, {"Z"}};
    m.overlap.memory = Overlap::Memory::per_stage;
    const CostReport s = evaluate(f.w, f.arch, m);
    // Stage 0 reads X and W (384 B = 96 cycles > 80); stage 1 writes Z (256 B = 64 = 64).
    CHECK(s.stages[0].dram_bytes == 384);
    CHECK(s.stages[1].dram_bytes == 256);
    CHECK(s.latency_cycles == 96 + 64);
  }
  SECTION("without interleaving a spatial reduction's consumer in the next stage waits") {
    Mapping m = f.mapping();
    m.overlap.stages = {{"Y", "G", "D"}, {"Z"}};
    m.overlap.interleave = false;
    const CostReport s = evaluate(f.w, f.arch, m);
    // G reduces N down 4 rows and Z (next stage) reads it: 128 points / 16 = 8 array tiles x
    // depth 4 = 32 cycles. D reads G in the same stage: streamed, not charged.
    CHECK(s.einsums[1].exposed_stall == 32);
    CHECK(s.compute_cycles == 80 + 64 + 32);
  }
}

TEST_CASE("folds: a spatial tile larger than the array takes several passes", "[cost]") {
  Fixture f;
  Mapping m = f.mapping();
  m.spatial = {{"N", 8}, {"P", 4}};  // 8 rows on a 4-row array: 2 folds, same work
  m.buffer_loops.clear();
  const CostReport r = evaluate(f.w, f.arch, m);
  CHECK(r.einsums[0].cycles == 64);
  CHECK(r.einsums[0].pes_used == 16);
  m.spatial = {{"N", 2}, {"P", 4}};  // half the rows idle: twice the cycles
  m.buffer_loops = {{"N", 4}};
  CHECK(evaluate(f.w, f.arch, m).einsums[0].cycles == 128);
}

TEST_CASE("refetch: a loop the tensor does not index re-reads it unless it is innermost", "[cost]") {
  Fixture f;
  Mapping m = f.mapping();
  m.dram_loops = {{"P", 4}, {"N", 2}};  // N innermost: X (indexed by k,p) is reused across it
  m.buffer_loops.clear();
  CostReport r = evaluate(f.w, f.arch, m);
  CHECK(traffic(r, "X").dram_read_bytes == 256);
  CHECK(traffic(r, "W").dram_read_bytes == 128 * 4);  // P above N: W re-read per P tile
  m.dram_loops = {{"N", 2}, {"P", 4}};
  r = evaluate(f.w, f.arch, m);
  CHECK(traffic(r, "X").dram_read_bytes == 256 * 2);
  CHECK(traffic(r, "W").dram_read_bytes == 128);

  SECTION("a bypassing tensor is re-read at every use, unless held stationary") {
    m.dram_loops = {{"P", 4}};
    m.buffer_loops = {{"N", 2}};
    m.tensors = {{"Y", Residency::registers, 0, {}}, {"X", Residency::dram, 0, {}}};
    CHECK(traffic(evaluate(f.w, f.arch, m), "X").dram_read_bytes == 256 * 2);
    m.bindings[0].stationary = "X";
    CHECK(traffic(evaluate(f.w, f.arch, m), "X").dram_read_bytes == 256);
  }
}

TEST_CASE("footprints and capacity", "[cost]") {
  Fixture f;
  Mapping m = f.mapping();
  CostReport r = evaluate(f.w, f.arch, m);
  // Buffer tiles (P tile 4): X 8x4, W 8x8, G 4, D 8x4, Z 8x4 -> 164 words = 328 bytes.
  CHECK(traffic(r, "X").buffer_footprint_bytes == 64);
  CHECK(traffic(r, "W").buffer_footprint_bytes == 128);
  CHECK(r.buffer_footprint_bytes == 64 + 128 + 8 + 64 + 64);
  CHECK(traffic(r, "Y").buffer_footprint_bytes == 0);  // in the registers

  SECTION("the buffer") {
    ArchSpec small = f.arch;
    small.global_buffer.capacity_bytes = 200;
    const auto ps = validate_mapping(f.w, small, m);
    CHECK(has_problem(ps, "tensors", "the buffer-resident tiles need 328 bytes; the global buffer holds 200"));
    CHECK_THROWS_AS(evaluate(f.w, small, m), MappingError);
    CHECK_FALSE(evaluate_fast(f.w, small, m).has_value());
  }
  SECTION("spilled and in-place tensors take less room") {
    m.tensors.push_back({"D", Residency::buffer, 0.5, {}});
    m.tensors.push_back({"Z", Residency::buffer, 0, "X"});
    r = evaluate(f.w, f.arch, m);
    CHECK(r.buffer_footprint_bytes == 64 + 128 + 8 + 32);
    // D's spilled half goes to DRAM and back: 128 of its 256 bytes, written and read.
    CHECK(traffic(r, "D").dram_write_bytes == 128);
    CHECK(traffic(r, "D").dram_read_bytes == 128);
  }
  SECTION("only a buffer-held intermediate spills; an in-place tensor needs a real host no smaller") {
    m.tensors.push_back({"W", Residency::buffer, 0.5, {}});
    m.tensors.push_back({"G", Residency::buffer, 0, "Z"});
    m.tensors.push_back({"Z", Residency::buffer, 0, "X"});
    m.tensors.push_back({"D", Residency::buffer, 0, "G"});
    const auto ps = validate_mapping(f.w, f.arch, m);
    CHECK(has_problem(ps, "tensors.W", "only an intermediate held in the buffer can spill (W is homed in DRAM)"));
    CHECK(has_problem(ps, "tensors.G.in_place_of", "Z must be held in the buffer itself"));
  }
  SECTION("an in-place tensor larger than its host") {
    m.tensors.push_back({"D", Residency::buffer, 0, "G"});
    CHECK(has_problem(validate_mapping(f.w, f.arch, m), "tensors.D.in_place_of", "D's buffer tile is larger than its host G's"));
  }
  SECTION("the registers") {
    m.buffer_loops.clear();  // Y's array tile: 8x4 on 16 PEs = 2 words per PE: fits 2
    CHECK(validate_mapping(f.w, f.arch, m).empty());
    m.spatial = {{"N", 2}, {"P", 4}};  // 8x4 on 8 PEs = 4 words per PE
    CHECK(has_problem(validate_mapping(f.w, f.arch, m), "tensors", "need 4 words per PE on a2, which has 2"));
  }
}

TEST_CASE("energy by action, and the published register quirk", "[cost]") {
  Fixture f;
  const CostReport r = evaluate(f.w, f.arch, f.mapping());
  // Ops: 1024 mac x 2 + 128 max x 1 + 128 add x 1 + 128 divide x 4 = 2816 pJ.
  CHECK(r.energy.by_action.at("ops (exp excluded)") == Approx(2816));
  // Registers: 1408 micro-ops x (2 x 0.5 + 1) = 2816 pJ.
  CHECK(r.energy.by_action.at("register") == Approx(2816));
  // DRAM: 640 bytes = 80 accesses x 100 pJ.
  CHECK(r.energy.by_action.at("dram") == Approx(8000));
  double sum = 0;
  for (const auto& kv : r.energy.by_action) sum += kv.second;
  CHECK(r.energy.total_pj == Approx(sum));
  // The published model charges one PE's register file: Y, G, D on 16 PEs, Z on 4.
  const CostReport p = evaluate(f.w, f.arch, f.mapping(), CostOptions::published());
  CHECK(p.energy.by_action.at("register") == Approx((1024 + 128 + 128) * 2.0 / 16 + 128 * 2.0 / 4));
  // Area: 16 x (mac + max) + 4 x (max + divide + exp).
  CHECK(r.area_um2 == Approx(16 * 11 + 4 * 51));
}

TEST_CASE("validation names every problem with its key", "[cost]") {
  Fixture f;
  Mapping m = f.mapping();
  m.cascade = "other";
  m.bindings[3].array = "a3";
  m.bindings[1].rows = {"K"};
  m.dram_loops = {{"P", 3}};
  m.tensors.push_back({"Q", Residency::buffer, 0, {}});
  m.overlap.stages = {{"Y", "G", "D"}, {"G"}};
  const auto ps = validate_mapping(f.w, f.arch, m);
  CHECK(has_problem(ps, "cascade", "the mapping is for cascade 'other', not 'tiny'"));
  CHECK(has_problem(ps, "bindings[Z].array", "'a3' is not an array of Tiny (arrays: a2, a1)"));
  CHECK(has_problem(ps, "bindings[G].rows", "G does not iterate over K"));
  CHECK(has_problem(ps, "tensors.Q", "'Q' is not a tensor of cascade tiny"));
  CHECK(has_problem(ps, "overlap.stages[1]", "G is already in stage 0"));
  CHECK(has_problem(ps, "overlap.stages", "Einsum Z is in no stage"));

  Mapping ops = f.mapping();
  ops.bindings[3].array = "a2";  // Z divides: the 2D array has no divider
  ops.tensors.clear();
  CHECK(has_problem(validate_mapping(f.w, f.arch, ops), "bindings[Z].array",
                    "Z needs divide, which array a2 cannot execute (its ops: add, mac, max)"));

  Mapping regs = f.mapping();
  regs.tensors = {{"G", Residency::registers, 0, {}}, {"X", Residency::registers, 0, {}}};
  const auto rp = validate_mapping(f.w, f.arch, regs);
  CHECK(has_problem(rp, "tensors.G", "G is produced on one array and read by Z on another"));
  CHECK(has_problem(rp, "tensors.X", "X is an input: its home is DRAM"));

  Mapping div = f.mapping();
  div.dram_loops = {{"P", 3}};
  CHECK(has_problem(validate_mapping(f.w, f.arch, div), "rank P", "multiply to 12, which does not divide its extent 16"));
}

TEST_CASE("a compiled mapping recomputes everything from its factors", "[cost]") {
  Fixture f;
  CompiledMapping c(f.w, f.arch, f.mapping());
  const auto a = c.cost();
  REQUIRE(a);
  const CostReport r = evaluate(f.w, f.arch, f.mapping());
  CHECK(a->latency_cycles == r.latency_cycles);
  CHECK(a->energy_pj == Approx(r.energy.total_pj));
  CHECK(a->dram_bytes == r.dram_bytes);
  c.set_dram_factor(0, 16);  // 16 P tiles of 1 query: the 4-wide spatial P no longer divides
  CHECK_FALSE(c.cost().has_value());
  c.set_dram_factor(0, 2);
  Mapping m2 = f.mapping();
  m2.dram_loops = {{"P", 2}};
  const auto b = c.cost();
  REQUIRE(b);
  CHECK(b->latency_cycles == evaluate(f.w, f.arch, m2).latency_cycles);
  CHECK(b->energy_pj == Approx(evaluate(f.w, f.arch, m2).energy.total_pj));
}

TEST_CASE("the step rank of a running value cannot be laid across an array", "[cost]") {
  const auto c = parse_cascade(R"(
cascade running
rank P = 8, M = 16
split M -> M1, M0 by 4
input  S[m,p] : bf16
output R[m1,p] : bf16
L[m1,p]    = max(m0) S[m1*M0+m0, p]
R[m1+1,p]  = max(R[m1,p], L[m1,p])   init -inf
)", "running.ein");
  const Workload w = make_workload(c, bind_shape(c, {}));
  const ArchSpec arch = parse_arch(kTinyArch, "tiny.yaml");
  Mapping m;
  m.cascade = "running";
  m.arch = "Tiny";
  m.bindings = {{"L", "a2", {"M0"}, {"P"}, {}}, {"R", "a2", {"M1"}, {"P"}, {}}};
  m.spatial = {{"P", 4}};
  m.dram_loops = {{"P", 2}};
  CHECK(has_problem(validate_mapping(w, arch, m), "bindings[R].rows",
                    "R is computed one M1 after another (a running value): M1 cannot be laid across the array"));
  m.bindings[1].rows.clear();
  CHECK(validate_mapping(w, arch, m).empty());
}

TEST_CASE("absurd factors and layouts are problems, never a crash", "[cost]") {
  Fixture f;
  Mapping m = f.mapping();
  m.dram_loops = {{"P", std::int64_t{1} << 62}, {"P", 4}};  // the product overflows int64
  CHECK(has_problem(validate_mapping(f.w, f.arch, m), "rank P", "multiply to more than its extent 16"));
  m = f.mapping();
  m.bindings[3].rows = {"N"};  // Z on the one-row 1D array
  CHECK(has_problem(validate_mapping(f.w, f.arch, m), "bindings[Z].rows", "array a1 has one row"));
  CompiledMapping c(f.w, f.arch, f.mapping());
  CHECK_THROWS_AS(c.set_dram_factor(0, 0), std::invalid_argument);
  CHECK_THROWS_AS(c.set_buffer_factor(7, 2), std::out_of_range);
  ArchSpec broken = f.arch;
  broken.arrays[0].rows = 0;
  CHECK(has_problem(validate_mapping(f.w, broken, f.mapping()), "arch", "array a2 must have at least one row"));
}
