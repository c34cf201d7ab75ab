// TileExecution: the interpreter run a tile at a time, in a schedule's order, gives the same
// bits as interpret() (hardware numerics), with split reductions carried between tiles; and
// reduction_order_problem() names a tiling that would sum in another order.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "einfuse/einsum/interpreter.hpp"
#include "einfuse/einsum/parser.hpp"
#include "einfuse/einsum/tile_execution.hpp"

using namespace einfuse::einsum;

namespace {

bool same_bits(const DenseTensor& a, const DenseTensor& b) {
  return a.data.size() == b.data.size() && std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(double)) == 0;
}

std::vector<IndexRange> whole(const Cascade& c, const BoundShape& s) {
  std::vector<IndexRange> box;
  for (std::size_t v = 0; v < c.ranks.size(); ++v) box.push_back({0, s.rank_extent[v]});
  return box;
}

RankId var(const Cascade& c, const char* name) { return *c.find_var(name); }
EinsumId einsum_of(const Cascade& c, const char* label) {
  for (std::size_t e = 0; e < c.einsums.size(); ++e)
    if (c.einsums[e].label == label) return static_cast<EinsumId>(e);
  FAIL("no Einsum " << label);
  return -1;
}

}  // namespace

TEST_CASE("tile execution: the 3-pass cascade tiled over P and M equals interpret() bit for bit", "[interpreter][tile]") {
  const Cascade c = parse_cascade_file(EINFUSE_SOURCE_DIR "/workloads/attention/softmax_3pass.ein");
  const BoundShape s = bind_shape(c, {{"P", 48}, {"M", 96}});
  RunOptions o;
  o.numerics = Numerics::hardware;
  const TensorMap inputs = random_inputs(c, s, 7, o);
  const TensorMap expect = interpret(c, s, inputs, o);
  TileExecution x(c, s, inputs, o);
  const RankId p = var(c, "p"), m = var(c, "m");
  const std::int64_t pb = 16, mb = 32, pt = 48 / pb, mt = 96 / mb;
  // Per query block, three passes over the key blocks: QK and GM; SN and SD; A and AV. GM,
  // SD and AV reduce over m, so their running values cross the key blocks.
  const std::vector<std::vector<const char*>> passes = {{"QK", "GM"}, {"SN", "SD"}, {"A", "AV"}};
  for (std::int64_t i = 0; i < pt; ++i)
    for (const auto& pass : passes)
      for (std::int64_t j = 0; j < mt; ++j)
        for (const char* label : pass) {
          std::vector<IndexRange> box = whole(c, s);
          box[static_cast<std::size_t>(p)] = {i * pb, (i + 1) * pb};
          box[static_cast<std::size_t>(m)] = {j * mb, (j + 1) * mb};
          const EinsumId e = einsum_of(c, label);
          const Einsum& ein = c.einsums[static_cast<std::size_t>(e)];
          const bool reduces_m = std::find(ein.inner_vars.begin(), ein.inner_vars.end(), m) != ein.inner_vars.end() ||
                                 std::find(ein.outer_vars.begin(), ein.outer_vars.end(), m) != ein.outer_vars.end();
          x.run(e, box, !reduces_m || j == 0, !reduces_m || j == mt - 1);
        }
  const TensorMap got = x.results();
  CHECK(same_bits(got.at("AV"), expect.at("AV")));
}

TEST_CASE("tile execution: the 1-pass cascade with a causal mask, one key tile per step, equals interpret()",
          "[interpreter][tile]") {
  const Cascade c = parse_cascade_file(EINFUSE_SOURCE_DIR "/workloads/attention/causal_1pass.ein");
  for (auto [P, M] : {std::pair<std::int64_t, std::int64_t>{96, 512}, {320, 256}}) {
    const BoundShape s = bind_shape(c, {{"P", P}, {"M", M}});
    RunOptions o;
    o.numerics = Numerics::hardware;
    const TensorMap inputs = random_inputs(c, s, 11, o);
    const TensorMap expect = interpret(c, s, inputs, o);
    TileExecution x(c, s, inputs, o);
    const RankId m1 = var(c, "m1");
    const std::int64_t steps = s.extent(m1);
    // Every Einsum of a key tile in cascade order, the tiles in order; AV after the last.
    for (std::int64_t t = 0; t < steps; ++t)
      for (std::size_t e = 0; e + 1 < c.einsums.size(); ++e) {
        std::vector<IndexRange> box = whole(c, s);
        box[static_cast<std::size_t>(m1)] = {t, t + 1};
        x.run(static_cast<EinsumId>(e), box, true, true);
      }
    x.run(einsum_of(c, "AV"), whole(c, s), true, true);
    INFO("P=" << P << " M=" << M);
    CHECK(same_bits(x.results().at("AV"), expect.at("AV")));
  }
}

TEST_CASE("tile execution: a consumer run before its producer reads defaults, and the result differs", "[interpreter][tile]") {
  // The check above could not fail if tiles were ignored: run AV before the last key tile.
  const Cascade c = parse_cascade_file(EINFUSE_SOURCE_DIR "/workloads/attention/softmax_1pass.ein");
  const BoundShape s = bind_shape(c, {{"P", 16}, {"M", 512}});
  RunOptions o;
  o.numerics = Numerics::hardware;
  const TensorMap inputs = random_inputs(c, s, 3, o);
  const TensorMap expect = interpret(c, s, inputs, o);
  TileExecution x(c, s, inputs, o);
  const RankId m1 = var(c, "m1");
  for (std::size_t e = 0; e + 1 < c.einsums.size(); ++e) {
    std::vector<IndexRange> box = whole(c, s);
    box[static_cast<std::size_t>(m1)] = {0, 1};
    x.run(static_cast<EinsumId>(e), box, true, true);
  }
  x.run(einsum_of(c, "AV"), whole(c, s), true, true);
  CHECK_FALSE(same_bits(x.results().at("AV"), expect.at("AV")));
}

TEST_CASE("tile execution: reduction order of a tiling", "[interpreter][tile]") {
  const Cascade c = parse_cascade(R"(
rank P, M, E = 8
input X[e,m,p]
output S[p]
output T[p]
output U[p]
S[p] = X[e,m,p]                # + over e, then m (RankId order: e before m? see below)
T[p] = max(m) X[e,m,p]         # max over m of (+ over e)
U[p] = max(m) X[0,m,p]
)");
  const BoundShape s = bind_shape(c, {{"P", 4}, {"M", 16}});
  const RankId e = var(c, "e"), m = var(c, "m"), p = var(c, "p");
  const EinsumId S = einsum_of(c, "S"), T = einsum_of(c, "T"), U = einsum_of(c, "U");
  // Tiling only the query rank never reorders a reduction.
  CHECK_FALSE(reduction_order_problem(c, s, S, {{p, 4}}));
  // T: max over m outside, + over e inside. Tiling m keeps the order; tiling e does not (the
  // tiles would visit every m of the first e block before the second e block).
  CHECK_FALSE(reduction_order_problem(c, s, T, {{m, 4}}));
  const auto problem = reduction_order_problem(c, s, T, {{e, 2}});
  REQUIRE(problem);
  CHECK(problem->find("T:") == 0);
  // S sums over both in RankId order; tiling the most significant one alone is fine, the
  // least significant one alone is not.
  const std::vector<RankId>& inner = c.einsums[static_cast<std::size_t>(S)].inner_vars;
  REQUIRE(inner.size() == 2);
  CHECK_FALSE(reduction_order_problem(c, s, S, {{inner[0], 2}}));
  CHECK(reduction_order_problem(c, s, S, {{inner[1], 2}}));
  // A tile of one value of the outer variable makes the inner split safe again.
  CHECK_FALSE(reduction_order_problem(c, s, S, {{inner[0], s.extent(inner[0])}, {inner[1], 2}}));
  CHECK_FALSE(reduction_order_problem(c, s, U, {{m, 16}}));
}
