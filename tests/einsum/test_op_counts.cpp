// Op counts and exact point counting (docs/op-counts.md): per-kind conventions, the
// softmax cascades against closed formulas, closed-form masks against brute force, and
// the errors (data-dependent masks, non-affine masks too large to enumerate, overflow).
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "analysis_cascades.hpp"
#include "einfuse/einsum/index_eval.hpp"
#include "einfuse/einsum/op_counts.hpp"
#include "einfuse/einsum/parser.hpp"
#include "einfuse/einsum/point_count.hpp"

using namespace einfuse::einsum;
namespace tc = einfuse::test_cascades;
using u64 = std::uint64_t;

namespace {

const EinsumOps& ops_of(const Cascade& c, const CascadeOps& ops, const char* name) {
  return ops.einsums[static_cast<std::size_t>(tc::einsum_of(c, name))];
}

// The kinds that are non-zero, with their counts.
using Kinds = std::map<std::string, u64>;

// Small masks over P x M (M = M1 x M0 with M0 = 4), one Einsum per mask shape.
const char* kMasks = R"(
rank P, M, E = 2
split M -> M1, M0 by 4
param W = 3, S = 2, BL = 2
input  X[m,p]
input  Z[e,p]
output C1[p]
output C2[p]
output C3[p]
output C4[m1,m0,p]
output C5[p]
output C6[p]
output C7[p]
output C8[p]
output C9[p]
output C10[p]
output C11[p]
output C12[p]
output C13[p]
output C14[p]
C1[p]       = X[m1*M0+m0, p]             where m1*M0+m0 <= p + (M-P)
C2[p]       = X[m, p]                    where m <= p + (M-P)
C3[p]       = X[m, p]                    where p - m < W && m <= p
C4[m1,m0,p] = X[m1*M0+m0, p]             where m1*M0+m0 <= p
C5[p]       = X[m, p]                    where m / BL <= p / BL
C6[p]       = X[m, p]                    where (m / BL) % S == p % S
C7[p]       = X[m, p]                    where m % S != 0 || m == p
C8[p]       = X[m, p]                    where m == p - 1
C9[p]       = X[m, p]                    where m != p && 2*m >= p
C10[p]      = X[m, p]                    where !(m > p + 1)
C11[p]      = X[m1*M0+m0, p]             where m1 < 2 && p >= 1
C12[p]      = X[m1*M0+m0, p]             where m1 + m0 <= p
C13[p]      = max(m1) X[m1*M0+m0, p]     where m1*M0+m0 <= p
C14[p]      = max(m) X[m,p] * Z[e,p]     where e + m <= p
)";

}  // namespace

TEST_CASE("integer index evaluation uses floor division", "[ops]") {
  CHECK(floor_div(-1, 4) == -1);
  CHECK(floor_mod(-1, 4) == 3);
  CHECK(floor_div(7, -2) == -4);
  CHECK(floor_mod(7, -2) == -1);
  CHECK(floor_div(8, 4) == 2);
  CHECK(floor_mod(-8, 4) == 0);

  const Cascade c = parse_cascade(kMasks);
  const BoundShape shape = bind_shape(c, {{"P", 8}, {"M", 16}});
  std::vector<std::int64_t> vars(c.ranks.size(), 0);
  const RankId m = *c.find_var("m");
  const RankId p = *c.find_var("p");
  const Expr& c6 = *c.einsums[static_cast<std::size_t>(tc::einsum_of(c, "C6"))].where;  // (m/2)%2 == p%2
  vars[static_cast<std::size_t>(m)] = 5;  // (5/2)%2 = 0
  vars[static_cast<std::size_t>(p)] = 4;  // 4%2 = 0
  CHECK(eval_index(c, shape, c6, vars) == 1);
  vars[static_cast<std::size_t>(p)] = 3;
  CHECK(eval_index(c, shape, c6, vars) == 0);
  // A tensor read cannot be evaluated without data.
  const Einsum& c2 = c.einsums[static_cast<std::size_t>(tc::einsum_of(c, "C2"))];
  CHECK_THROWS_AS(eval_index(c, shape, *c2.body, vars), CascadeError);
}

TEST_CASE("affine forms fold sizes and reject piecewise terms", "[ops]") {
  const Cascade c = parse_cascade(kMasks);
  const BoundShape shape = bind_shape(c, {{"P", 8}, {"M", 16}});
  const RankId m1 = *c.find_var("m1");
  const RankId m0 = *c.find_var("m0");
  const RankId p = *c.find_var("p");
  const Einsum& c1 = c.einsums[static_cast<std::size_t>(tc::einsum_of(c, "C1"))];
  // m1*M0 + m0 <= p + (M-P): both sides are affine; the right folds M-P = 8.
  const auto lhs = to_affine(c, shape, *c1.where->args[0]);
  const auto rhs = to_affine(c, shape, *c1.where->args[1]);
  REQUIRE(lhs);
  REQUIRE(rhs);
  CHECK(lhs->coeff(m1) == 4);
  CHECK(lhs->coeff(m0) == 1);
  CHECK(lhs->constant == 0);
  CHECK(rhs->coeff(p) == 1);
  CHECK(rhs->constant == 8);
  // m / BL is floor division by 2 of a unit coefficient: not affine.
  const Einsum& c5 = c.einsums[static_cast<std::size_t>(tc::einsum_of(c, "C5"))];
  CHECK_FALSE(to_affine(c, shape, *c5.where->args[0]));
  // The index m1*M0+m0 of X in C1's body is affine; X itself (real) is not an index.
  CHECK(to_affine(c, shape, *c1.body->args[0]));
  CHECK_FALSE(to_affine(c, shape, *c1.body));
}

TEST_CASE("closed-form point counts equal brute force on small shapes", "[ops]") {
  const Cascade c = parse_cascade(kMasks);
  int compared = 0;
  for (std::int64_t P : {1, 3, 8, 13}) {
    for (std::int64_t M : {4, 8, 20}) {
      for (std::int64_t W : {1, 3, 5}) {
        for (std::int64_t S : {1, 3}) {
          for (std::int64_t BL : {1, 2, 5}) {
            const BoundShape shape = bind_shape(c, {{"P", P}, {"M", M}, {"W", W}, {"S", S}, {"BL", BL}});
            for (const Einsum& e : c.einsums) {
              INFO(e.label << " at P=" << P << " M=" << M << " W=" << W << " S=" << S << " BL=" << BL);
              CHECK(count_points(c, shape, e) == count_points_brute_force(c, shape, e));
              // The combine steps of a max reduction: (lhs, outer) points with an inner point.
              PointSpace projected = iteration_space(e);
              projected.projected = e.inner_vars;
              CHECK(count_points(c, shape, projected) == count_points_brute_force(c, shape, projected));
              ++compared;
            }
          }
        }
      }
    }
  }
  CHECK(compared == 4 * 3 * 3 * 2 * 3 * 14);
}

// A tile of the iteration space (the SystemC level counts a tile's unmasked points to cost
// it): the closed form over a box equals brute force over the same box, and the boxes of a
// tiling add up to the whole count.
TEST_CASE("closed-form point counts over a box equal brute force, and tiles add up", "[ops]") {
  const Cascade c = parse_cascade(kMasks);
  int compared = 0;
  for (std::int64_t P : {3, 8, 13}) {
    for (std::int64_t M : {8, 20}) {
      const BoundShape shape = bind_shape(c, {{"P", P}, {"M", M}, {"W", 3}, {"S", 3}, {"BL", 2}});
      for (const Einsum& e : c.einsums) {
        // Tile every variable in blocks of 3 (the last block short) and sum the tiles.
        PointSpace space = iteration_space(e);
        space.box.assign(c.ranks.size(), IndexRange{0, 0});
        std::vector<std::int64_t> block(c.ranks.size(), 0);
        std::uint64_t total = 0;
        for (;;) {
          for (RankId r : space.vars) {
            const std::int64_t lo = block[static_cast<std::size_t>(r)] * 3;
            space.box[static_cast<std::size_t>(r)] = {lo, std::min(lo + 3, shape.extent(r))};
          }
          INFO(e.label << " at P=" << P << " M=" << M);
          const std::uint64_t n = count_points(c, shape, space);
          CHECK(n == count_points_brute_force(c, shape, space));
          total += n;
          ++compared;
          std::size_t i = 0;
          for (; i < space.vars.size(); ++i) {
            const auto r = static_cast<std::size_t>(space.vars[i]);
            if (++block[r] * 3 < shape.extent(space.vars[i])) break;
            block[r] = 0;
          }
          if (i == space.vars.size()) break;
        }
        CHECK(total == count_points(c, shape, e));
      }
    }
  }
  CHECK(compared > 1000);
}

TEST_CASE("integer literals beyond 2^53 count exactly", "[ops]") {
  // As doubles, 9007199254740993 rounds to 2^53 and the mask would be m < 0 (no points).
  const Cascade c = parse_cascade(R"(
rank P = 4, M = 8
input  X[m,p]
output O[p]
O[p] = X[m,p] where m < 9007199254740993 - 9007199254740992
)");
  const BoundShape shape = bind_shape(c, {});
  const Einsum& e = c.einsums.at(0);
  CHECK(count_points(c, shape, e) == 4);
  CHECK(count_points_brute_force(c, shape, e) == 4);
}

TEST_CASE("bottom-right causal and window masks match their formulas", "[ops]") {
  const Cascade c = parse_cascade(kMasks);
  auto points = [&](const char* name, std::int64_t P, std::int64_t M, std::int64_t W) {
    const BoundShape shape = bind_shape(c, {{"P", P}, {"M", M}, {"W", W}});
    return count_points(c, shape, c.einsums[static_cast<std::size_t>(tc::einsum_of(c, name))]);
  };
  // Row p sees keys 0 .. p + (M-P), clipped to [0, M): sum over p of clamp(p+M-P+1, 0, M).
  auto causal = [](std::int64_t P, std::int64_t M) {
    u64 n = 0;
    for (std::int64_t p = 0; p < P; ++p) n += static_cast<u64>(std::clamp<std::int64_t>(p + M - P + 1, 0, M));
    return n;
  };
  const std::int64_t big = std::int64_t{1} << 20;
  CHECK(points("C1", big, big, 1) == static_cast<u64>(big) * static_cast<u64>(big + 1) / 2);
  CHECK(points("C1", big / 2, big, 1) == causal(big / 2, big));
  CHECK(points("C2", 40, 16, 1) == causal(40, 16));  // P > M: the first rows see nothing
  // Window of W keys ending at p: W(W+1)/2 for the first W rows, then W per row.
  const std::int64_t W = 512;
  CHECK(points("C3", big, big, W) == static_cast<u64>(W * (W + 1) / 2 + (big - W) * W));
}

TEST_CASE("per-kind conventions", "[ops]") {
  const Cascade c = parse_cascade(R"(
rank P = 3, M = 5, E = 2, J = 2
input  X[m,p]
input  Y[p]
input  Z[e,p]
output A1[m,p]
output A2[p]
output A3[p]
output A4[p]
output A5[m,p]
output A6[m,p]
output A7[p]
output A8[p]
output Sel[j,p] : i32
output Idx[j,p] : i32
output Blk[j,p] : i32
A1[m,p]  = select(X[m,p] > Y[p], -X[m,p], abs(X[m,p]))
A2[p]    = max(m) X[m,p] * Y[p]
A3[p]    = X[m,p] * Y[p]
A4[p]    = X[m,p] * Y[p] + Y[p]
A5[m,p]  = sqrt(recip(X[m,p])) / clamp(X[m,p], 0, 1)
A6[m,p]  = X[m,p]                  where m <= p
A7[p]    = X[m,p] * 2              where m <= p
A8[p]    = max(m) X[m,p] * Z[e,p]  where e + m <= p
Sel[j,p] = topk(m -> j) X[m,p]
Idx[j,p] = filter(m -> j) X[m,p] > 0
Blk[j,p] = filter(m -> j) m <= p
)");
  const BoundShape shape = bind_shape(c, {});
  const CascadeOps ops = count_ops(c, shape);
  // M x P = 15 points unless masked; m <= p keeps 1 + 2 + 3 = 6 of them.
  CHECK(ops_of(c, ops, "A1").ops.by_name() == Kinds{{"cmp", 15}, {"select", 15}, {"neg", 30}});
  // A max reduction does not fuse with the multiply: 15 mul and 15 combining max.
  CHECK(ops_of(c, ops, "A2").ops.by_name() == Kinds{{"mul", 15}, {"max", 15}});
  // A + reduction of a product: one mac per point.
  CHECK(ops_of(c, ops, "A3").ops.by_name() == Kinds{{"mac", 15}});
  // The top-level op is +, so the product is a mul and the reduction adds on top.
  CHECK(ops_of(c, ops, "A4").ops.by_name() == Kinds{{"mul", 15}, {"add", 30}});
  CHECK(ops_of(c, ops, "A5").ops.by_name() == Kinds{{"sqrt", 15}, {"recip", 15}, {"div", 15}, {"max", 30}});
  CHECK(ops_of(c, ops, "A6").points == 6);
  CHECK(ops_of(c, ops, "A6").ops.by_name().empty());  // a copy costs no arithmetic
  CHECK(ops_of(c, ops, "A7").ops.by_name() == Kinds{{"mac", 6}});
  // (p,m,e) with e+m <= p: 1 + 3 + 5 = 9 macs; (p,m) with some e: m <= p, 6 combines.
  CHECK(ops_of(c, ops, "A8").points == 9);
  CHECK(ops_of(c, ops, "A8").ops.by_name() == Kinds{{"mac", 9}, {"max", 6}});
  // Top-k: each of the 15 candidates is compared for each of the J = 2 output slots.
  CHECK(ops_of(c, ops, "Sel").ops.by_name() == Kinds{{"cmp", 30}});
  // Filter: one comparison per candidate, the predicate's own comparison being that one.
  CHECK(ops_of(c, ops, "Idx").ops.by_name() == Kinds{{"cmp", 15}});
  CHECK(ops_of(c, ops, "Blk").ops.by_name() == Kinds{{"cmp", 15}});
  // Totals are the sums over Einsums.
  for (OpKind k : all_op_kinds()) {
    u64 sum = 0;
    for (const auto& e : ops.einsums) sum += e.ops[k];
    CHECK(ops.total[k] == sum);
  }
}

TEST_CASE("1-pass and 3-pass softmax op counts follow the formulas", "[ops]") {
  const u64 B = 2, H = 3, P = 512, M = 2048, E = 64, F = 64, M0 = 256, M1 = M / M0;
  const u64 N = B * H;  // batch ranks multiply everything
  const ShapeAssignment sizes = {{"B", 2}, {"H", 3}, {"P", 512}, {"M", 2048}};
  SECTION("1-pass") {
    const Cascade c = parse_cascade(tc::kSoftmax1Pass);
    const CascadeOps ops = count_ops(c, bind_shape(c, sizes));
    CHECK(ops_of(c, ops, "QK").ops.by_name() == Kinds{{"mac", N * M * P * E}});
    CHECK(ops_of(c, ops, "LM").ops.by_name() == Kinds{{"max", N * M * P}});
    CHECK(ops_of(c, ops, "RM").ops.by_name() == Kinds{{"max", N * M1 * P}});
    CHECK(ops_of(c, ops, "SLN").ops.by_name() == Kinds{{"add", N * M * P}, {"exp", N * M * P}});
    CHECK(ops_of(c, ops, "PRM").ops.by_name() == Kinds{{"add", N * M1 * P}, {"exp", N * M1 * P}});
    CHECK(ops_of(c, ops, "SLD").ops.by_name() == Kinds{{"add", N * M * P}});
    CHECK(ops_of(c, ops, "RD").ops.by_name() == Kinds{{"add", N * M1 * P}, {"mul", N * M1 * P}});
    CHECK(ops_of(c, ops, "SLNV").ops.by_name() == Kinds{{"mac", N * F * M * P}});
    CHECK(ops_of(c, ops, "RNV").ops.by_name() == Kinds{{"add", N * F * M1 * P}, {"mul", N * F * M1 * P}});
    CHECK(ops_of(c, ops, "AV").ops.by_name() == Kinds{{"div", N * F * P}});
    CHECK(ops.total[OpKind::mac] == N * M * P * (E + F));
    CHECK(ops.total[OpKind::exp] == N * P * (M + M1));
  }
  SECTION("3-pass") {
    const Cascade c = parse_cascade(tc::kSoftmax3Pass);
    const CascadeOps ops = count_ops(c, bind_shape(c, sizes));
    CHECK(ops_of(c, ops, "QK").ops.by_name() == Kinds{{"mac", N * M * P * E}});
    CHECK(ops_of(c, ops, "GM").ops.by_name() == Kinds{{"max", N * M * P}});
    CHECK(ops_of(c, ops, "SN").ops.by_name() == Kinds{{"add", N * M * P}, {"exp", N * M * P}});
    CHECK(ops_of(c, ops, "SD").ops.by_name() == Kinds{{"add", N * M * P}});
    CHECK(ops_of(c, ops, "A").ops.by_name() == Kinds{{"div", N * M * P}});
    CHECK(ops_of(c, ops, "AV").ops.by_name() == Kinds{{"mac", N * F * M * P}});
  }
}

TEST_CASE("a causal 1-pass cascade at a million tokens counts exactly", "[ops]") {
  const Cascade c = parse_cascade(tc::kCausal1Pass);  // H = 32, B = 1
  const u64 N = u64{1} << 20, H = 32, E = 64, F = 64, M1 = N / 256;
  const u64 tri = N * (N + 1) / 2;  // (m, p) with m <= p
  const CascadeOps ops = count_ops(c, bind_shape(c, {{"P", 1 << 20}, {"M", 1 << 20}}));
  CHECK(ops_of(c, ops, "QK").points == H * tri * E);
  CHECK(ops_of(c, ops, "QK").ops.by_name() == Kinds{{"mac", H * tri * E}});
  CHECK(ops_of(c, ops, "LM").ops.by_name() == Kinds{{"max", H * tri}});
  CHECK(ops_of(c, ops, "SLN").ops.by_name() == Kinds{{"add", H * tri}, {"exp", H * tri}});
  CHECK(ops_of(c, ops, "SLNV").ops.by_name() == Kinds{{"mac", H * tri * F}});
  CHECK(ops_of(c, ops, "RM").ops.by_name() == Kinds{{"max", H * M1 * N}});  // unmasked
  CHECK(ops.total[OpKind::mac] == H * tri * (E + F));
}

TEST_CASE("masks that cannot be counted are errors, not guesses", "[ops]") {
  SECTION("a non-affine mask too large to enumerate") {
    const Cascade c = parse_cascade(kMasks);
    const BoundShape shape = bind_shape(c, {{"P", 1 << 20}, {"M", 1 << 20}});
    const Einsum& e = c.einsums[static_cast<std::size_t>(tc::einsum_of(c, "C5"))];
    try {
      (void)count_points(c, shape, e);
      FAIL("expected an error");
    } catch (const CascadeError& err) {
      CHECK(err.message().find("cannot count the points of the mask 'where m / BL <= p / BL'") == 0);
      CHECK(err.loc().line == e.loc.line);
    }
    // The affine masks of the same cascade still count at this size.
    CHECK_NOTHROW(count_points(c, shape, c.einsums[static_cast<std::size_t>(tc::einsum_of(c, "C3"))]));
  }
  SECTION("a mask that reads a tensor") {
    const Cascade c = parse_cascade(R"(
rank P = 4, M = 4
input  X[m,p]
input  I[m,p] : i32
output O[p]
O[p] = X[m,p] where I[m,p] > 0
)");
    CHECK_THROWS_WITH(count_ops(c, bind_shape(c, {})), Catch::Contains("depends on the data"));
  }
  SECTION("a count beyond 64 bits") {
    // Each tensor has 2^44 elements, but the product's iteration space has 2^66 points.
    const Cascade c = parse_cascade(R"(
rank I = 4194304, J = 4194304, K = 4194304
input  X[i,j]
input  Y[j,k]
output O[i,k]
O[i,k] = X[i,j] * Y[j,k]
)");
    try {
      (void)count_ops(c, bind_shape(c, {}));
      FAIL("expected an overflow error");
    } catch (const CascadeError& err) {
      CHECK(err.message() == "count overflows 64 bits");
      CHECK(err.loc().line == 6);
    }
  }
}
