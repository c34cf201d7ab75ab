// The lowering Schedule -> isa::Program, each step alone and then together, on the paper's
// designs at small shapes: what the Program moves and computes must be exactly what the
// Schedule (and so the cost model) states, every command must survive encode/decode, and the
// tokens must name only earlier commands.
#include <catch2/catch.hpp>

#include "paper_fixture.hpp"

#include <map>
#include <string>

#include "einfuse/einsum/shape.hpp"
#include "einfuse/isa/encoding.hpp"
#include "einfuse/isa/lowering.hpp"
#include "einfuse/isa/program.hpp"

using namespace einfuse;
using namespace einfuse::isa;
using mapper::paper::Design;

namespace {

struct Lowered {
  mapper::paper::DesignInstance design;
  mapper::Workload workload;
  mapper::CostReport cost;
};

Lowered build(Design d, std::int64_t batch, std::int64_t heads, std::int64_t dim, std::int64_t len) {
  auto& ctx = test::paper_context();
  einsum::ModelSpec m = test::paper_model("BERT");
  m.batch = batch;
  m.heads = m.kv_heads = heads;
  m.head_dim = m.value_dim = dim;
  Lowered l{mapper::paper::attention_design(ctx, d, m, len, false), {}, {}};
  const einsum::Cascade& c = ctx.cascade(l.design.cascade);
  l.workload = mapper::make_workload(c, einsum::bind_shape(c, l.design.shape));
  l.cost = mapper::evaluate(l.workload, l.design.arch, l.design.mapping, l.design.options);
  return l;
}

}  // namespace

TEST_CASE("isa: opcodes name the operation of the 1-pass cascade's Einsums", "[isa]") {
  const Lowered l = build(Design::fusemax, 1, 1, 64, 1024);
  const std::map<std::string, std::string> expect = {{"QK", "reduce.mac"}, {"LM", "reduce.max"}, {"SLN", "map.exp"},
                                                     {"SLD", "reduce.add"}, {"SLNV", "reduce.mac"}};
  for (const auto& [einsum, opcode] : expect) {
    const int e = l.workload.find_einsum(einsum);
    REQUIRE(e >= 0);
    CHECK(opcode_name(classify(l.workload.einsums[static_cast<std::size_t>(e)])) == opcode);
  }
  const int rm = l.workload.find_einsum("RM");
  CHECK(classify(l.workload.einsums[static_cast<std::size_t>(rm)]).form == Form::scan);
}

TEST_CASE("isa: the address map places every tensor in its own DRAM region", "[isa]") {
  const Lowered l = build(Design::fusemax, 2, 2, 64, 1024);
  const mapper::Schedule s(l.workload, l.design.arch, l.design.mapping);
  const AddressMap map(s, buffer_footprints(l.cost));
  std::uint64_t end = 0, rows = 0;
  for (std::size_t t = 0; t < l.workload.tensors.size(); ++t) {
    const TensorAddresses& a = map.tensor(static_cast<int>(t));
    INFO(l.workload.tensors[t].name);
    CHECK(a.dram_base >= end);
    CHECK(a.dram_base % 4096 == 0);
    CHECK(a.dram_bytes == l.workload.tensors[t].elements * 2);
    end = a.dram_base + a.dram_bytes;
    CHECK(a.buffer_row == rows);
    rows += a.buffer_rows;
  }
  CHECK(rows <= map.buffer_rows());
  // A buffer that cannot hold the regions is refused, naming the rows.
  std::vector<std::uint64_t> huge(l.workload.tensors.size(), 0);
  huge[0] = static_cast<std::uint64_t>(l.design.arch.global_buffer.capacity_bytes) + 1;
  CHECK_THROWS_WITH(AddressMap(s, huge), Catch::Contains("the buffer has"));
}

TEST_CASE("isa: a tile op lowers to loads, one array command and stores", "[isa]") {
  const Lowered l = build(Design::fusemax, 1, 2, 64, 1024);
  const mapper::Schedule s(l.workload, l.design.arch, l.design.mapping);
  const AddressMap map(s, buffer_footprints(l.cost));
  TokenTable tokens(l.workload.einsums.size(), l.design.arch.arrays.size());
  mapper::TileOp op;
  auto stream = s.stream();
  std::uint64_t id = 0;
  int checked = 0;
  while (stream.next(op) && checked < 200) {
    const std::vector<Command> loads = lower_loads(op, map, id);
    std::uint64_t bytes = 0;
    for (const Command& c : loads) {
      CHECK(c.kind == CommandKind::load);
      CHECK(c.unit == Block::dma);
      CHECK(c.waits.empty());
      const TensorAddresses& a = map.tensor(c.tensor);
      CHECK(c.dram_address >= a.dram_base);
      CHECK(c.dram_address < a.dram_base + a.dram_bytes);
      bytes += c.bytes;
    }
    CHECK(bytes == op.dram_read_bytes);
    Command compute = lower_compute(op, l.workload, l.design.arch, map, id + loads.size());
    CHECK(compute.cycles == op.cycles);
    CHECK(compute.einsum == op.einsum);
    CHECK(compute.operands.back().tensor == l.workload.einsums[static_cast<std::size_t>(op.einsum)].output);
    std::uint64_t rd = 0, wr = 0;
    for (const Operand& o : compute.operands) {
      rd += o.read_bytes;
      wr += o.write_bytes;
    }
    CHECK(rd == op.buffer_read_bytes);
    CHECK(wr == op.buffer_write_bytes);
    compute.waits = compute_waits(op, tokens, loads);
    for (const Wait& w : compute.waits) CHECK(w.command < compute.id);
    CHECK(compute.waits.size() >= loads.size());
    tokens.record(op, compute.id);
    const std::vector<Command> stores = lower_stores(op, map, compute.id, compute.id + 1);
    bytes = 0;
    for (const Command& c : stores) {
      CHECK(c.waits == std::vector<Wait>{{compute.id, false}});
      bytes += c.bytes;
    }
    CHECK(bytes == op.dram_write_bytes);
    id = compute.id + 1 + stores.size();
    ++checked;
  }
  CHECK(checked == 200);
  CHECK_THROWS_WITH(tokens.command_of(0), Catch::Contains("dependency on op 0"));
}

TEST_CASE("isa: a Program moves and computes exactly what the cost model states", "[isa]") {
  for (Design d : {Design::fusemax, Design::arch, Design::cascade, Design::flat, Design::unfused}) {
    const Lowered l = build(d, 2, 2, 64, 1024);
    INFO(mapper::paper::design_name(d));
    const mapper::Schedule s(l.workload, l.design.arch, l.design.mapping);
    const Program p(s, buffer_footprints(l.cost));
    const std::size_t nt = l.workload.tensors.size(), ne = l.workload.einsums.size();
    std::vector<std::uint64_t> rd(nt, 0), wr(nt, 0), busy(l.design.arch.arrays.size(), 0);
    std::vector<std::array<std::uint64_t, mapper::kArrayOpCount>> actions(ne);
    std::uint64_t computes = 0, fences = 0, expect_id = 0;
    std::vector<std::uint8_t> bytes;
    Command c;
    auto stream = p.stream();
    while (stream.next(c)) {
      REQUIRE(c.id == expect_id++);
      for (const Wait& w : c.waits) REQUIRE(w.command < c.id);
      bytes.clear();
      encode(c, bytes);
      std::size_t pos = 0;
      REQUIRE(decode(bytes, pos) == c);
      REQUIRE(pos == bytes.size());
      switch (c.kind) {
        case CommandKind::load: rd[static_cast<std::size_t>(c.tensor)] += c.bytes; break;
        case CommandKind::store: wr[static_cast<std::size_t>(c.tensor)] += c.bytes; break;
        case CommandKind::compute:
          ++computes;
          busy[static_cast<std::size_t>(c.array)] += c.cycles;
          for (std::size_t k = 0; k < mapper::kArrayOpCount; ++k) actions[static_cast<std::size_t>(c.einsum)][k] += c.actions[k];
          break;
        case CommandKind::fence: ++fences; break;
      }
    }
    CHECK(computes == s.op_count());
    CHECK(fences == (s.per_stage_memory() ? static_cast<std::uint64_t>(s.stage_count()) : 0));
    for (std::size_t t = 0; t < nt; ++t) {
      INFO(l.workload.tensors[t].name);
      CHECK(rd[t] == l.cost.tensors[t].dram_read_bytes);
      CHECK(wr[t] == l.cost.tensors[t].dram_write_bytes);
    }
    for (std::size_t a = 0; a < busy.size(); ++a) CHECK(busy[a] == l.cost.arrays[a].busy_cycles);
    for (std::size_t e = 0; e < ne; ++e) CHECK(actions[e] == l.workload.einsums[e].ops);
  }
}

TEST_CASE("isa: decode refuses truncated and malformed records, naming the offset", "[isa]") {
  Command c;
  c.id = 5;
  c.kind = CommandKind::compute;
  c.unit = Block::pe2d_array;
  c.array = 0;
  c.einsum = 1;
  c.waits = {{3, true}, {4, false}};
  c.operands = {{0, 1, 2, 3, 4}};
  std::vector<std::uint8_t> b;
  encode(c, b);
  for (std::size_t cut = 0; cut < b.size(); ++cut) {
    std::vector<std::uint8_t> t(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(cut));
    std::size_t pos = 0;
    CHECK_THROWS_WITH(decode(t, pos), Catch::Contains("isa decode") && Catch::Contains("at byte 0"));
  }
  std::vector<std::uint8_t> bad = b;
  bad[0] = 9;
  std::size_t pos = 0;
  CHECK_THROWS_WITH(decode(bad, pos), Catch::Contains("unknown kind 9"));
  bad = b;
  bad[1] = 6;
  pos = 0;
  CHECK_THROWS_WITH(decode(bad, pos), Catch::Contains("unknown block 6"));
}
