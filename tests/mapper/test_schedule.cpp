// The Schedule (an explicit, lazily produced stream of tile operations) against the closed-form
// cost model on small shapes, for the five paper designs on the paper's 256x256 arrays and on
// 16x16 copies: what the closed form states as a sum (per-Einsum cycles, array tiles, array
// busy cycles, DRAM and buffer bytes per tensor) must come out equal op by op; the makespan of
// list scheduling the stream may only exceed the closed form's latency by pipeline fill and
// drain (docs/schedule.md has the table this test prints with EINFUSE_SCHEDULE_TABLE=1).
#include <catch2/catch.hpp>

#include "paper_fixture.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <cstdlib>
#include <string>
#include <vector>

#include "einfuse/einsum/model.hpp"
#include "einfuse/einsum/shape.hpp"
#include "einfuse/mapper/paper.hpp"
#include "einfuse/mapper/schedule.hpp"

using namespace einfuse::mapper;
using namespace einfuse::mapper::paper;

namespace {

Context& context() { return einfuse::test::paper_context(); }

// The paper's archs with every array side set to `side` (as fusemax_scaled does), so TILE and
// the spatial tiles shrink with it and small shapes still have many tiles.
Context& context_with_side(int side) {
  if (side == 256) return context();
  static std::map<int, Context> cache;
  auto it = cache.find(side);
  if (it != cache.end()) return it->second;
  Context c = context();
  for (const char* stem : {"fusemax", "flat", "unfused"}) {
    ArchSpec a = c.arch(stem);
    for (PeArray& arr : a.arrays) {
      if (arr.role == "2d") arr.rows = side;
      arr.cols = side;
    }
    a.global_buffer.row_bits = side * 16;
    c.archs[stem] = a;
  }
  return cache.emplace(side, std::move(c)).first->second;
}

einfuse::einsum::ModelSpec small_model(std::int64_t batch, std::int64_t heads, std::int64_t dim) {
  einfuse::einsum::ModelSpec m = einfuse::einsum::load_model("BERT", context().models_dir);
  m.batch = batch;
  m.heads = heads;
  m.kv_heads = heads;
  m.head_dim = m.value_dim = dim;
  return m;
}

struct Case {
  Design design;
  int side;
  std::int64_t batch, heads, dim, len;
};

std::string describe(const Case& c) {
  return std::string(design_name(c.design)) + " side=" + std::to_string(c.side) + " B=" + std::to_string(c.batch) +
         " H=" + std::to_string(c.heads) + " E=F=" + std::to_string(c.dim) + " P=M=" + std::to_string(c.len);
}

struct Compared {
  CostReport closed;
  ScheduleTotals explicit_;
  std::uint64_t op_count = 0, sweeps = 0, tile_iterations = 0;
};

Compared run(const Case& c) {
  Context& ctx = context_with_side(c.side);
  const DesignInstance d = attention_design(ctx, c.design, small_model(c.batch, c.heads, c.dim), c.len, false);
  const einfuse::einsum::Cascade& cascade = ctx.cascade(d.cascade);
  Workload w = make_workload(cascade, einfuse::einsum::bind_shape(cascade, d.shape));
  Compared r;
  r.closed = evaluate(w, d.arch, d.mapping, d.options);
  const Schedule s(std::move(w), d.arch, d.mapping);
  r.explicit_ = simulate(s);
  r.op_count = s.op_count();
  r.sweeps = s.sweeps();
  r.tile_iterations = s.tile_iterations();
  return r;
}

}  // namespace

TEST_CASE("schedule: explicit lowering agrees with the closed form on small shapes", "[schedule]") {
  std::vector<Case> cases;
  for (Design d : all_designs()) {
    // FLAT's dataflow table starts at 512 tokens.
    for (std::int64_t len : {256, 512, 1024}) {
      if (d == Design::flat && len < 512) continue;
      cases.push_back({d, 256, 1, 1, 64, len});
      cases.push_back({d, 256, 2, 2, 64, len});
      cases.push_back({d, 16, 1, 2, 16, len});
    }
    cases.push_back({d, 16, 2, 1, 64, 1024});
  }
  const bool table = std::getenv("EINFUSE_SCHEDULE_TABLE") != nullptr;
  if (table)
    std::printf("| case | ops | Einsum cycles | busy | DRAM bytes | buffer bytes | compute: closed / explicit | latency: closed / explicit | sweep-serial | excess / bound |\n");
  for (const Case& c : cases) {
    INFO(describe(c));
    const Compared r = run(c);
    const CostReport& cf = r.closed;
    const ScheduleTotals& ex = r.explicit_;
    CHECK(ex.ops == r.op_count);

    bool cycles_equal = true, busy_equal = true, buffer_equal = true;
    for (std::size_t e = 0; e < cf.einsums.size(); ++e) {
      INFO("Einsum " << cf.einsums[e].einsum);
      CHECK(ex.einsum_cycles[e] == cf.einsums[e].cycles);
      CHECK(ex.einsum_array_tiles[e] == cf.einsums[e].array_tiles);
      cycles_equal = cycles_equal && ex.einsum_cycles[e] == cf.einsums[e].cycles;
    }
    for (std::size_t a = 0; a < cf.arrays.size(); ++a) {
      CHECK(ex.array_busy[a] == cf.arrays[a].busy_cycles);
      busy_equal = busy_equal && ex.array_busy[a] == cf.arrays[a].busy_cycles;
    }
    CHECK(ex.dram_bytes == cf.dram_bytes);
    CHECK(ex.dram_cycles == cf.dram_cycles);
    for (std::size_t t = 0; t < cf.tensors.size(); ++t) {
      INFO("tensor " << cf.tensors[t].tensor);
      CHECK(ex.tensor_dram_read[t] == cf.tensors[t].dram_read_bytes);
      CHECK(ex.tensor_dram_write[t] == cf.tensors[t].dram_write_bytes);
      CHECK(ex.tensor_buffer_read[t] == cf.tensors[t].buffer_read_bytes);
      CHECK(ex.tensor_buffer_write[t] == cf.tensors[t].buffer_write_bytes);
      buffer_equal = buffer_equal && ex.tensor_buffer_read[t] == cf.tensors[t].buffer_read_bytes &&
                     ex.tensor_buffer_write[t] == cf.tensors[t].buffer_write_bytes;
    }

    // Timing: the closed form is the steady state of the pipeline the stream describes; list
    // scheduling adds fill and drain, at most one tile iteration's serial time per sweep (and,
    // with DRAM, the first fetch and the last write). Where the closed form overlaps arrays
    // across sweeps (FLAT's max(2D, 1D) with the 2D array idle in the softmax-only pass),
    // the in-order stream cannot: there the reference is the per-sweep maximum.
    const std::uint64_t fill = r.sweeps * ex.max_tile_cycles;
    const std::uint64_t compute_ref = std::max(cf.compute_cycles, ex.sweep_serial_cycles);
    const std::uint64_t latency_ref = std::max(cf.latency_cycles, ex.sweep_serial_cycles);
    const std::uint64_t bound = fill + r.sweeps * ex.max_op_dram_cycles;
    CHECK(ex.compute_makespan_cycles >= cf.compute_cycles);
    CHECK(ex.compute_makespan_cycles <= compute_ref + fill);
    CHECK(ex.makespan_cycles >= cf.latency_cycles);
    CHECK(ex.makespan_cycles <= latency_ref + bound);
    if (table)
      std::printf("| %s | %llu | %s | %s | %s | %s | %llu / %llu | %llu / %llu | %llu | %llu / %llu |\n", describe(c).c_str(),
                  static_cast<unsigned long long>(ex.ops), cycles_equal ? "equal" : "DIFFER", busy_equal ? "equal" : "DIFFER",
                  ex.dram_bytes == cf.dram_bytes ? "equal" : "DIFFER", buffer_equal ? "equal" : "DIFFER",
                  static_cast<unsigned long long>(cf.compute_cycles),
                  static_cast<unsigned long long>(ex.compute_makespan_cycles),
                  static_cast<unsigned long long>(cf.latency_cycles), static_cast<unsigned long long>(ex.makespan_cycles),
                  static_cast<unsigned long long>(ex.sweep_serial_cycles),
                  static_cast<unsigned long long>(ex.makespan_cycles - cf.latency_cycles),
                  static_cast<unsigned long long>(bound));
  }
}

namespace {

struct Built {
  DesignInstance design;
  Workload workload;
};

Built build(Design d, int side, const einfuse::einsum::ModelSpec& m, std::int64_t len) {
  Context& ctx = context_with_side(side);
  Built b{attention_design(ctx, d, m, len, false), {}};
  const einfuse::einsum::Cascade& cascade = ctx.cascade(b.design.cascade);
  b.workload = make_workload(cascade, einfuse::einsum::bind_shape(cascade, b.design.shape));
  return b;
}

std::uint64_t per_op(const ScheduleTotals& t, const Workload& w, const char* einsum) {
  const auto e = static_cast<std::size_t>(w.find_einsum(einsum));
  return t.einsum_cycles[e] / t.einsum_ops[e];
}

}  // namespace

TEST_CASE("schedule: the timing gap to the closed form is the pipeline's fill or drain, exactly", "[schedule]") {
  for (int side : {256, 16}) {
    const auto m = small_model(2, 1, side == 256 ? 64 : 16);
    INFO("side " << side);
    {
      // FuseMax: "the 1D array is busy all the time" (fusemax.md), once the first tile's
      // QK and LM have given it something to do.
      const Built b = build(Design::fusemax, side, m, 1024);
      const Schedule s(b.workload, b.design.arch, b.design.mapping);
      const ScheduleTotals t = simulate(s);
      CHECK(t.compute_makespan_cycles == t.array_busy[1] + per_op(t, b.workload, "QK") + per_op(t, b.workload, "LM"));
    }
    {
      // +Architecture: the closed form's stage sum per tile, plus the one slot after the last
      // tile where the lagged RD and AV of that tile run.
      const Built b = build(Design::arch, side, m, 1024);
      const Schedule s(b.workload, b.design.arch, b.design.mapping);
      const ScheduleTotals t = simulate(s);
      const CostReport cf = evaluate(b.workload, b.design.arch, b.design.mapping);
      CHECK(s.lag_of(b.workload.find_einsum("RD")) == 1);
      CHECK(s.lag_of(b.workload.find_einsum("AV")) == 1);
      CHECK(s.lag_of(b.workload.find_einsum("SPNV")) == 0);  // reads RNV of the previous tile: loop-carried
      CHECK(t.compute_makespan_cycles == cf.compute_cycles + per_op(t, b.workload, "RD") + per_op(t, b.workload, "AV"));
    }
  }
}

TEST_CASE("schedule: FLAT's perfect overlap is not reachable in order when the 2D array dominates", "[schedule]") {
  // E = F = 64 on 16x16 arrays: per tile the 2D array has 64 + 64 cycles (QK, AV), the 16-PE
  // 1D array 4 x 16. The closed form takes max(2D, 1D); the stream runs the softmax-only pass
  // between QK and AV with the 2D array idle, so each sweep (head x query block) costs
  // max(QK, GM) + (SN + SD) + max(A, AV).
  const Built b = build(Design::flat, 16, small_model(2, 1, 64), 1024);
  const Schedule s(b.workload, b.design.arch, b.design.mapping);
  CHECK(s.pass_count() == 3);
  const ScheduleTotals t = simulate(s);
  const CostReport cf = evaluate(b.workload, b.design.arch, b.design.mapping);
  CHECK(cf.compute_cycles == t.array_busy[0]);                 // the 2D array's busy time
  CHECK(t.sweep_serial_cycles == cf.compute_cycles * 5 / 4);   // + the softmax pass: 1,310,720
  CHECK(t.compute_makespan_cycles >= t.sweep_serial_cycles);
  CHECK(t.compute_makespan_cycles - t.sweep_serial_cycles <= s.sweeps() * t.max_tile_cycles);  // fill per sweep
}

TEST_CASE("schedule: stream contract on a small FuseMax shape", "[schedule]") {
  const Built b = build(Design::fusemax, 16, small_model(1, 2, 16), 256);
  const Schedule s(b.workload, b.design.arch, b.design.mapping);
  const Workload& w = s.workload();
  std::vector<std::int64_t> last_of_array(b.design.arch.arrays.size(), -1);
  std::vector<int> einsum_of;  // by id: small shape, so keeping them is fine here
  std::vector<std::uint64_t> count(w.einsums.size(), 0);
  std::uint64_t n = 0;
  for (const TileOp& op : s) {
    REQUIRE(op.id == n);
    ++n;
    einsum_of.push_back(op.einsum);
    ++count[static_cast<std::size_t>(op.einsum)];
    // Arrays run in stream order.
    CHECK(op.has_array_dep == (last_of_array[static_cast<std::size_t>(op.array)] >= 0));
    if (op.has_array_dep) CHECK(op.array_dep == static_cast<std::uint64_t>(last_of_array[static_cast<std::size_t>(op.array)]));
    last_of_array[static_cast<std::size_t>(op.array)] = static_cast<std::int64_t>(op.id);
    for (std::uint64_t d : op.data_deps) CHECK(d < op.id);
    for (std::uint64_t d : op.barrier_deps) CHECK(d < op.id);
    // Data deps name producers of what the op reads (or the op's own Einsum when iterative).
    for (std::uint64_t d : op.data_deps) {
      const int p = einsum_of[d];
      const int out = w.einsums[static_cast<std::size_t>(p)].output;
      bool reads = false;
      for (const OperandUse& u : w.einsums[static_cast<std::size_t>(op.einsum)].reads) reads = reads || u.tensor == out;
      CHECK(reads);
    }
    // The loop indices name the tile.
    std::uint64_t tile = 0;
    for (std::size_t j = 0; j < s.loops().size(); ++j)
      tile = tile * static_cast<std::uint64_t>(s.loops()[j].factor) + static_cast<std::uint64_t>(op.loop_index[j]);
    CHECK(tile == op.tile);
  }
  CHECK(n == s.op_count());
  // One op per tile iteration for every Einsum but AV, which runs once per query tile, after
  // the last key tile (it reads RNV[f, M1, p]).
  const std::uint64_t query_tiles = s.tile_iterations() / static_cast<std::uint64_t>(w.extent[static_cast<std::size_t>(w.find_rank("M1"))]);
  for (std::size_t e = 0; e < w.einsums.size(); ++e)
    CHECK(count[e] == (w.einsums[e].name == "AV" ? query_tiles : s.tile_iterations()));
  // A copied stream continues on its own, identically.
  Schedule::Stream a = s.stream();
  TileOp x, y;
  for (int i = 0; i < 100; ++i) REQUIRE(a.next(x));
  Schedule::Stream c = a;
  REQUIRE(a.next(x));
  REQUIRE(c.next(y));
  CHECK(x.id == y.id);
  CHECK(x.data_deps == y.data_deps);
}

TEST_CASE("schedule: a 1M-token shape streams in constant memory", "[schedule]") {
  // BERT at 1M tokens on FuseMax: 64 x 12 x 4096^2 tile iterations, ~1.5e11 ops. Building the
  // schedule and pulling the first ops must not depend on that number.
  const auto bert = einfuse::einsum::load_model("BERT", context().models_dir);
  const Built b = build(Design::fusemax, 256, bert, 1 << 20);
  const Schedule s(b.workload, b.design.arch, b.design.mapping);
  CHECK(s.tile_iterations() == 64ull * 12 * 4096 * 4096);
  CHECK(s.op_count() > 100'000'000'000ull);
  Schedule::Stream st = s.stream();
  TileOp op;
  std::uint64_t dram = 0;
  for (int i = 0; i < 200'000; ++i) {
    REQUIRE(st.next(op));
    dram += op.dram_read_bytes;
  }
  CHECK(op.id == 199'999);
  CHECK(dram > 0);
}

TEST_CASE("schedule: mappings the lowering refuses", "[schedule]") {
  Built b = build(Design::unfused, 256, small_model(1, 1, 64), 512);
  // per_stage memory runs stage by stage over the whole nest: AV cannot come first.
  Mapping m = b.design.mapping;
  m.overlap.stages = {{"AV"}, {"QK"}, {"GM", "SN", "SD", "A"}};
  CHECK_THROWS_AS(Schedule(b.workload, b.design.arch, m), std::invalid_argument);
  // A loop over M cannot tile FuseMax's QK[m1, m0, p]: loop over the part M1 (the cost
  // model's validation refuses it already).
  {
    Built f = build(Design::fusemax, 256, small_model(1, 1, 64), 1024);
    for (Loop& l : f.design.mapping.dram_loops)
      if (l.rank == "M1") l.rank = "M";
    CHECK_THROWS_AS(Schedule(f.workload, f.design.arch, f.design.mapping), MappingError);
  }
  // What the cost model refuses, the schedule refuses the same way.
  m = b.design.mapping;
  m.bindings[0].array = "nowhere";
  CHECK_THROWS_AS(Schedule(b.workload, b.design.arch, m), MappingError);
}

TEST_CASE("schedule: spilled intermediates move the closed form's bytes", "[schedule]") {
  // FLAT's table spills nothing at these lengths; spill a quarter of the logits and weights by
  // hand: written once and read back once per consuming stage, spread evenly over the tiles.
  for (int side : {256, 16}) {
    INFO("side " << side);
    Built b = build(Design::flat, side, small_model(2, 1, 64), 1024);
    for (TensorPlacement& p : b.design.mapping.tensors)
      if (p.tensor == "QK" || p.tensor == "A") p.spill_fraction = 0.25;
    const CostReport cf = evaluate(b.workload, b.design.arch, b.design.mapping);
    const ScheduleTotals t = simulate(Schedule(b.workload, b.design.arch, b.design.mapping));
    for (const char* name : {"QK", "A"}) {
      const auto i = static_cast<std::size_t>(b.workload.find_tensor(name));
      INFO(name);
      CHECK(cf.tensors[i].dram_write_bytes > 0);
      CHECK(t.tensor_dram_write[i] == cf.tensors[i].dram_write_bytes);
      CHECK(t.tensor_dram_read[i] == cf.tensors[i].dram_read_bytes);
    }
    CHECK(t.dram_bytes == cf.dram_bytes);
  }
}
