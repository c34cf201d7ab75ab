// Interpreter semantics on small hand-written cascades with hand-computed results:
// iterative ranks, masks and defaults, empty reductions, gathers, out-of-range reads,
// populate operators, splits and floor division, input checking.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "einfuse/einsum/interpreter.hpp"
#include "einfuse/einsum/parser.hpp"

using namespace einfuse::einsum;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

struct Run {
  Cascade c;
  BoundShape shape;
  TensorMap out;
};

Run run(const std::string& text, const TensorMap& inputs, const ShapeAssignment& sizes = {},
        RunOptions options = {}) {
  Run r{parse_cascade(text), {}, {}};
  r.shape = bind_shape(r.c, sizes);
  options.keep_intermediates = true;
  r.out = interpret(r.c, r.shape, inputs, options);
  return r;
}

DenseTensor tensor(std::vector<std::int64_t> extents, std::vector<double> data) {
  DenseTensor t(std::move(extents));
  REQUIRE(t.data.size() == data.size());
  t.data = std::move(data);
  return t;
}

}  // namespace

TEST_CASE("an iterative rank carries a running max slice by slice", "[interp]") {
  const char* text = R"(
rank R = 4, P = 2
input X[r,p] : fp64
output Y[p] : fp64
RM[r+1,p] = max(RM[r,p], X[r,p])   init -inf
Y[p]      = RM[R,p]
)";
  // X[r,p], r = 0..3 rows.
  const DenseTensor x = tensor({4, 2}, {1, -5, 3, -7, 2, -1, 0, -9});
  const Run r = run(text, {{"X", x}});
  const DenseTensor& rm = r.out.at("RM");
  REQUIRE(rm.extents == std::vector<std::int64_t>{5, 2});  // the iterative slot has R + 1 slices
  CHECK(rm.data == std::vector<double>{-kInf, -kInf, 1, -5, 3, -5, 3, -1, 3, -1});
  CHECK(r.out.at("Y").data == std::vector<double>{3, -1});
}

TEST_CASE("a two-Einsum iterative group finishes step r before step r+1", "[interp]") {
  // S reads A's previous slice, A reads S of the same step: A[r+1] = 2 * A[r] + X[r].
  const char* text = R"(
rank R = 3
input X[r] : fp64
output Y : fp64
S[r]   = A[r] * 2
A[r+1] = S[r] + X[r]    init 1
Y      = A[R]
)";
  const Run r = run(text, {{"X", tensor({3}, {10, 20, 30})}});
  // A: 1, 12, 44, 118
  CHECK(r.out.at("A").data == std::vector<double>{1, 12, 44, 118});
  CHECK(r.out.at("S").data == std::vector<double>{2, 24, 88});
  CHECK(r.out.at("Y").data == std::vector<double>{118});
}

TEST_CASE("masks keep defaults, empty reductions give identities", "[interp]") {
  const char* text = R"(
rank M = 3, P = 3
input S[m,p] : fp64
output O[p] : fp64
tensor T : fp64 default -inf
tensor W : fp64 default 7
T[m,p] = S[m,p] * 2     where m < p
O[p]   = max(m) T[m,p]
Z[p]   = sum(m) S[m,p]  where m < p
N[p]   = min(m) S[m,p]  where m < p
W[p]   = S[0,p]         where p > 0
)";
  // S[m,p] = 10*m + p
  const DenseTensor s = tensor({3, 3}, {0, 1, 2, 10, 11, 12, 20, 21, 22});
  const Run r = run(text, {{"S", s}});
  // Column p = 0 is fully masked: T keeps -inf, so O is -inf.
  CHECK(r.out.at("T").data == std::vector<double>{-kInf, 2, 4, -kInf, -kInf, 24, -kInf, -kInf, -kInf});
  CHECK(r.out.at("O").data == std::vector<double>{-kInf, 2, 24});
  // The mask involves the reduced m: no unmasked point gives the identity, not a default.
  CHECK(r.out.at("Z").data == std::vector<double>{0, 1, 2 + 12});
  CHECK(r.out.at("N").data == std::vector<double>{kInf, 1, 2});
  // A mask on left-side variables only: the masked coordinate keeps the default 7.
  CHECK(r.out.at("W").data == std::vector<double>{7, 1, 2});
}

TEST_CASE("a named reduction skips outer points whose inner points are all masked", "[interp]") {
  // max over m of (sum over e where e < m): at m = 0 no e survives, so m = 0 takes no
  // part (its empty sum 0 would otherwise win over negative sums).
  const char* text = R"(
rank M = 3, E = 3
input X[e] : fp64
output Y : fp64
Y = max(m) X[e] * (m + 1 - m)  where e < m
)";
  const Run r = run(text, {{"X", tensor({3}, {-1, -2, -4})}});
  CHECK(r.out.at("Y").data == std::vector<double>{-1});  // m=1: -1; m=2: -3
}

TEST_CASE("gathers through an index tensor; -1 and out-of-range read the default", "[interp]") {
  const char* text = R"(
rank M = 4, J = 5
input X[m] : fp64 default 0.5
input I[j] : i32
output G[j] : fp64
G[j] = X[I[j]] + 100
)";
  const Run r = run(text, {{"X", tensor({4}, {1, 2, 3, 4})}, {"I", tensor({5}, {3, -1, 0, 4, 2})}});
  CHECK(r.out.at("G").data == std::vector<double>{104, 100.5, 101, 100.5, 103});
}

TEST_CASE("affine reads outside a tensor give its default", "[interp]") {
  const char* text = R"(
rank M = 5
input X[m] : fp64 default -3
output Y[m] : fp64
output Z[m] : fp64
Y[m] = X[m + 2]
Z[m] = X[M - 1 - m] + X[m - 1]
)";
  const Run r = run(text, {{"X", tensor({5}, {1, 2, 3, 4, 5})}});
  CHECK(r.out.at("Y").data == std::vector<double>{3, 4, 5, -3, -3});
  CHECK(r.out.at("Z").data == std::vector<double>{5 - 3, 4 + 1, 3 + 2, 2 + 3, 1 + 4});
}

TEST_CASE("splits, floor division and floor modulo of negative operands", "[interp]") {
  const char* text = R"(
rank M = 6
split M -> M1, M0 by 3
input X[m] : fp64 default 100
output Y[m1,m0] : fp64
output D[m] : fp64
output R[m] : fp64
Y[m1,m0] = X[m1*M0 + m0] * 2
D[m]     = X[(m - 3) / 2]
R[m]     = X[(m - 3) % 4]
)";
  const Run r = run(text, {{"X", tensor({6}, {0, 1, 2, 3, 4, 5})}});
  CHECK(r.out.at("Y").extents == std::vector<std::int64_t>{2, 3});
  CHECK(r.out.at("Y").data == std::vector<double>{0, 2, 4, 6, 8, 10});
  // (m-3)/2 for m = 0..5: -2, -1, -1, 0, 0, 1 (floor), so the first three read the default.
  CHECK(r.out.at("D").data == std::vector<double>{100, 100, 100, 0, 0, 1});
  // (m-3)%4: 1, 2, 3, 0, 1, 2 (the divisor's sign)
  CHECK(r.out.at("R").data == std::vector<double>{1, 2, 3, 0, 1, 2});
}

TEST_CASE("top-k orders by score descending then index ascending, NaN last, pads -1", "[interp]") {
  const char* text = R"(
rank C = 5, J = 4, P = 2
input S[c,p] : fp64
output Sel[j,p] : i32
output Few[j,p] : i32
Sel[j,p] = topk(c -> j) S[c,p]
Few[j,p] = topk(c -> j) S[c,p]   where c >= 3
)";
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // column 0: 2, 5, 5, 1, 5 ; column 1: nan, 3, -inf, 3, 0
  const DenseTensor s = tensor({5, 2}, {2, nan, 5, 3, 5, -kInf, 1, 3, 5, 0});
  const Run r = run(text, {{"S", s}});
  // Sel[j,p] row-major [j][p]: col 0 -> 1, 2, 4, 0 ; col 1 -> 1, 3, 4, 2 (NaN at 0 is last)
  CHECK(r.out.at("Sel").data == std::vector<double>{1, 1, 2, 3, 4, 4, 0, 2});
  // Only c = 3, 4 are candidates: col 0 -> 4, 3 ; col 1 -> 3, 4 ; then -1.
  CHECK(r.out.at("Few").data == std::vector<double>{4, 3, 3, 4, -1, -1, -1, -1});
}

TEST_CASE("filter keeps ascending indices of non-zero values, padded with -1, truncated at J", "[interp]") {
  const char* text = R"(
rank M = 6, J = 3, P = 2
input S[m,p] : fp64
output Idx[j,p] : i32
output G[j,p] : fp64
Idx[j,p] = filter(m -> j) S[m,p] > 0
G[j,p]   = S[Idx[j,p], p]
)";
  // col 0 positive at m = 1, 4 ; col 1 positive at m = 0, 2, 3, 5 (truncated to 0, 2, 3)
  const DenseTensor s = tensor({6, 2}, {-1, 1, 2, -1, 0, 3, -2, 4, 5, -1, 0, 6});
  const Run r = run(text, {{"S", s}});
  CHECK(r.out.at("Idx").data == std::vector<double>{1, 0, 4, 2, -1, 3});
  // Gathering at -1 reads S's default 0.
  CHECK(r.out.at("G").data == std::vector<double>{2, 1, 5, 3, 0, 4});
}

TEST_CASE("batch ranks are carried by every tensor", "[interp]") {
  const char* text = R"(
batch B = 2
rank M = 3
input X[m] : fp64
output S : fp64
S = X[m]
)";
  const Run r = run(text, {{"X", tensor({2, 3}, {1, 2, 3, 10, 20, 30})}});
  CHECK(r.out.at("S").extents == std::vector<std::int64_t>{2});
  CHECK(r.out.at("S").data == std::vector<double>{6, 60});
}

TEST_CASE("inputs are checked by name and extents", "[interp]") {
  const char* text = R"(
rank M = 3, P = 2
input X[m,p] : fp64
output Y[p] : fp64
Y[p] = X[m,p]
)";
  const Cascade c = parse_cascade(text);
  const BoundShape shape = bind_shape(c, {});
  CHECK_THROWS_WITH(interpret(c, shape, {}), Catch::Contains("input 'X' was not given"));
  CHECK_THROWS_WITH(interpret(c, shape, {{"X", DenseTensor({2, 3})}}),
                    Catch::Contains("'X' has extents [2, 3]") && Catch::Contains("[3, 2]"));
  CHECK_THROWS_WITH(interpret(c, shape, {{"X", DenseTensor({3, 2})}, {"Q", DenseTensor({1})}}),
                    Catch::Contains("'Q' is not an input"));
  const Cascade g = parse_cascade("rank J = 2\ninput I[j] : i32\noutput Y[j] : i32\nY[j] = I[j] + 1\n");
  CHECK_THROWS_WITH(interpret(g, bind_shape(g, {}), {{"I", tensor({2}, {1, 2.5})}}),
                    Catch::Contains("'I' is i32 but element 1 is 2.5"));
  // Extents of 1 may be added or dropped: the row-major layout is the same.
  CHECK_NOTHROW(interpret(c, shape, {{"X", DenseTensor({1, 3, 2, 1}, 1.0)}}));
}

TEST_CASE("an i32 result outside the i32 range is an error at the Einsum", "[interp]") {
  const char* text = R"(
rank K = 2
input I[k] : i32
output O[k] : i32
output S : i32
output N : i32
O[k] = I[k] * 1000000 + 7
S = I[k] * I[k]
N = max(k) I[k] where k > 5
)";
  const Cascade c = parse_cascade(text);
  const BoundShape shape = bind_shape(c, {});
  CHECK_THROWS_WITH(interpret(c, shape, {{"I", tensor({2}, {3, 2147483647})}}),
                    Catch::Contains(":7:1: error: i32 result 'O' overflows: element 1"));
  // In range: exact; an empty max keeps its identity (-inf reads as index -1).
  const TensorMap out = interpret(c, shape, {{"I", tensor({2}, {-3, 2000})}});
  CHECK(out.at("O").data == std::vector<double>{-2999993, 2000000007});
  CHECK(out.at("S").data == std::vector<double>{4000009});
  CHECK(out.at("N").data == std::vector<double>{-kInf});
}

TEST_CASE("an integer division by zero in an index is an error at the expression", "[interp]") {
  const char* text = R"(
rank M = 3
param Z = 0
input X[m] : fp64
output Y[m] : fp64
Y[m] = X[m / (Z + Z)]
)";
  const Cascade c = parse_cascade(text);
  const BoundShape shape = bind_shape(c, {});
  CHECK_THROWS_WITH(interpret(c, shape, {{"X", DenseTensor({3})}}), Catch::Contains("division by zero"));
}

TEST_CASE("a scalar reduction folds lanes in index order", "[interp]") {
  // With a one-element left side the evaluator runs lanes over the reduced variable; the
  // emulated result must still be the left-to-right fp32 sum.
  const char* text = R"(
rank M = 3000
input X[m] : fp64
output S : fp32 acc fp32
S = X[m]
)";
  DenseTensor x({3000});
  for (std::size_t i = 0; i < x.data.size(); ++i) x.data[i] = 1.0 + 1e-3 * static_cast<double>(i % 7) + (i == 0 ? 1e8 : 0.0);
  RunOptions opt;
  opt.numerics = Numerics::emulated;
  const Run r = run(text, {{"X", x}}, {}, opt);
  float expect = 0.0f;
  for (double v : x.data) expect = expect + static_cast<float>(v);  // X is fp64: reads round to fp32
  CHECK(r.out.at("S").data[0] == static_cast<double>(expect));
}
