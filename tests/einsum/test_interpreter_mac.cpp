// The hardware MAC fast path (RunOptions::hardware_fast_path, docs/interpreter.md "Engines")
// gives the generic row-program path's bits: on random inputs full of NaN, infinities,
// subnormals, huge and tiny values, with masks (per lane, per reduction point, left side
// only), gathers, reads out of range, every factor shape, several lane blocks, and reductions
// split over tiles. And the MAC's datapath, which the path vectorises, is the unit
// composition add_fp32_hw(acc, mul_fp32_hw(a, b)) bit for bit.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "einfuse/einsum/interpreter.hpp"
#include "einfuse/einsum/numeric.hpp"
#include "einfuse/einsum/parser.hpp"
#include "einfuse/einsum/tile_execution.hpp"

using namespace einfuse::einsum;
namespace num = einfuse::einsum::numeric;

namespace {

bool same_bits(const DenseTensor& a, const DenseTensor& b) {
  return a.extents == b.extents && a.data.size() == b.data.size() &&
         std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(double)) == 0;
}

// A value of every class a MAC treats specially, ordinary ones most often.
double awkward_value(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double sign = rng() % 2 ? -1.0 : 1.0;
  const double frac = 1.0 + unit(rng);
  switch (rng() % 50) {
    case 0: return std::numeric_limits<double>::quiet_NaN() * sign;
    case 1: return sign * std::numeric_limits<double>::infinity();
    case 2: case 3: return sign * 0.0;
    case 4: case 5: case 6: return sign * std::ldexp(frac, -149 + static_cast<int>(rng() % 24));  // fp32/bf16 subnormal
    case 7: case 8: case 9: return sign * std::ldexp(frac, 40 + static_cast<int>(rng() % 88));   // products overflow
    case 10: case 11: case 12: return sign * std::ldexp(frac, -126 + static_cast<int>(rng() % 70));  // products underflow
    default: return sign * std::ldexp(frac, static_cast<int>(rng() % 9) - 4);
  }
}

// Inputs of every tensor: awkward reals; i32 indices in [-1, extent + 1] (so some gathers
// land out of range).
TensorMap awkward_inputs(const Cascade& c, const BoundShape& shape, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  TensorMap in;
  for (TensorId t : c.inputs()) {
    const Tensor& tensor = c.tensors[static_cast<std::size_t>(t)];
    DenseTensor d(tensor_extents(c, shape, t));
    const auto indices = static_cast<std::uint64_t>(d.extents.back() + 3);
    for (double& x : d.data)
      x = is_integer(tensor.dtype) ? static_cast<double>(static_cast<std::int64_t>(rng() % indices) - 1) : awkward_value(rng);
    in.emplace(tensor.name, std::move(d));
  }
  return in;
}

RunOptions hardware(bool fast) {
  RunOptions o;
  o.numerics = Numerics::hardware;
  o.hardware_fast_path = fast;
  o.keep_intermediates = true;
  return o;
}

EinsumId producer(const Cascade& c, const char* tensor) {
  return c.tensors[static_cast<std::size_t>(*c.find_tensor(tensor))].producer;
}

// Every factor shape and mask shape the fast path has: QK (a factor per lane times one per
// reduction point), a mask of reduction and other variables only (per point), SLNV's causal
// mask (per lane and point), AV, two factors per lane with a read past the end (the default),
// a sum named as an outer reduction, two lane-independent factors, a mask of the lane only
// (the same at every point; the default kept), a factor and a mask the same at every
// reduction point (XM), a gather through an index tensor, a masked split rank,
// bf16/fp32/fp64 storage (the fp64 one read through fp32), an fp32 intermediate as a factor.
const char* kCascade = R"(
cascade mac_shapes
batch B = 2
rank E = 5, F = 3, P = 37, M = 40, Q = 4
split M -> M1, M0 by 8
input Qi[e,p] : bf16
input K[e,m]  : fp32
input V[f,m]  : fp64
input A[m,p]  : bf16 default 7
input W[m]    : bf16
input Sel[q,p] : i32
input X[p]    : bf16
output QK[m1,m0,p] : fp32
output CQK[m1,m0,p] : fp32
output SLNV[f,m1,p] : fp32
output AV[f,p] : fp32
output RR[p] : fp32
output SS[p] : fp32
output PP[f,p] : fp32
output LM[p] : fp32 default -3
output GV[f,p] : fp32
output QV[f,m1,p] : bf16
output XM[f,p] : fp32 default 5
QK[m1,m0,p]   = Qi[e,p] * K[e, m1*M0+m0]
CQK[m1,m0,p]  = Qi[e,p] * K[e, m1*M0+m0]                where e <= m0
SLNV[f,m1,p]  = A[m1*M0+m0, p] * V[f, m1*M0+m0]         where m1*M0+m0 <= p + 3
AV[f,p]       = A[m,p] * V[f,m]
RR[p]         = A[m,p] * A[m, p+1]
SS[p]         = sum(m) A[m,p] * W[m]
PP[f,p]       = W[m] * V[f,m]
LM[p]         = A[m,p] * W[m]                           where p % 3 != 0
GV[f,p]       = A[Sel[q,p], p] * V[f, Sel[q,p]]
QV[f,m1,p]    = QK[m1,m0,p] * V[f, m1*M0+m0]            where m0 != 3
XM[f,p]       = X[p] * V[f,m]                           where f != 1
)";

}  // namespace

TEST_CASE("hardware MAC datapath = add_fp32_hw(acc, mul_fp32_hw(a, b)) for every bf16 a", "[interpreter][mac][numeric]") {
  std::mt19937 rng(5);
  std::vector<std::uint16_t> bs = {0x0000, 0x8000, 0x0001, 0x807F, 0x0080, 0x3F80, 0xBF80, 0x7F7F,
                                   0xFF7F, 0x7F80, 0xFF80, 0x7FC0, 0xFFA1, 0x1F80, 0x0C00, 0x6000};
  while (bs.size() < 32) bs.push_back(static_cast<std::uint16_t>(rng()));
  const std::vector<std::uint32_t> accs = {0x00000000u, 0x80000000u, 0x00000001u, 0x3F800000u,
                                           0xC0400001u, 0x00800000u, 0x7F7FFFFFu, 0x7FC00000u};
  std::uint64_t differ = 0;
  for (std::uint32_t ab = 0; ab < 0x10000u; ++ab)
    for (std::uint16_t bb : bs)
      for (std::uint32_t acc_bits : accs) {
        const float acc = num::fp32_from_bits(acc_bits ^ (rng() & 0x7u));
        const num::Bf16 a{static_cast<std::uint16_t>(ab)}, b{bb};
        const float unit = num::add_fp32_hw(acc, num::mul_fp32_hw(num::to_float(a), num::to_float(b)));
        const float path =
            num::mac_bf16_fp32_datapath(num::flush_subnormal(acc), num::bf16_operand(a), num::bf16_operand(b));
        const float mac = num::mac_bf16_fp32(acc, a, b);
        differ += num::fp32_bits(unit) != num::fp32_bits(path) || num::fp32_bits(unit) != num::fp32_bits(mac);
      }
  CHECK(differ == 0);
}

TEST_CASE("hardware MAC fast path: which Einsums take it", "[interpreter][mac]") {
  const Cascade c = parse_cascade(kCascade);
  const BoundShape s = bind_shape(c, {});
  for (const char* t : {"QK", "CQK", "SLNV", "AV", "RR", "SS", "PP", "LM", "GV", "QV", "XM"}) {
    INFO(t);
    CHECK(hardware_fast_path_applies(c, s, producer(c, t)));
  }
  const Cascade other = parse_cascade(R"(
cascade not_mac
rank M = 65536, N = 65537, P = 16400, R = 4, S = 16
input A[m,p] : bf16
input G[s,p] : bf16
input B[m] : bf16
input C[n,p] : bf16
input D[n] : bf16
output Y[p] : fp32
output Z[p] : fp32
output T : fp32
output U[p] : fp32
output X[r,p] : fp32
Y[p] = A[m,p] * B[m]
Z[p] = C[n,p] * D[n]
T = B[m] * B[m]
U[p] = A[m,p] + B[m]
X[r+1,p] = X[r,p] * G[s,p]  init 1
)");
  const BoundShape so = bind_shape(other, {});
  CHECK(hardware_fast_path_applies(other, so, producer(other, "Y")));         // 65536 points: panels of 16 lanes
  CHECK_FALSE(hardware_fast_path_applies(other, so, producer(other, "Z")));   // one point more does not fit
  CHECK_FALSE(hardware_fast_path_applies(other, so, producer(other, "T")));   // no output lanes: folded
  CHECK_FALSE(hardware_fast_path_applies(other, so, producer(other, "U")));   // not a product
  CHECK_FALSE(hardware_fast_path_applies(other, so, producer(other, "X")));   // reads its own output
}

TEST_CASE("hardware MAC fast path equals the generic path bit for bit on awkward inputs", "[interpreter][mac]") {
  const Cascade c = parse_cascade(kCascade);
  const BoundShape s = bind_shape(c, {});
  std::size_t nan = 0, finite = 0, zero = 0;
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    const TensorMap in = awkward_inputs(c, s, seed);
    const TensorMap generic = interpret(c, s, in, hardware(false));
    const TensorMap fast = interpret(c, s, in, hardware(true));
    REQUIRE(generic.size() == fast.size());
    for (const auto& [name, tensor] : generic) {
      INFO("seed " << seed << ", tensor " << name);
      CHECK(same_bits(fast.at(name), tensor));
      for (double x : tensor.data) {
        nan += std::isnan(x);
        finite += std::isfinite(x) && x != 0;
        zero += x == 0;
      }
    }
  }
  // The inputs reach every class of result.
  CHECK(nan > 100);
  CHECK(finite > 1000);
  CHECK(zero > 100);
}

TEST_CASE("hardware MAC fast path: several lane blocks, panels cut to fit, tiles with split reductions",
          "[interpreter][mac][tile]") {
  const Cascade c = parse_cascade(R"(
cascade long_rows
rank F = 2, P = 1100, M = 2000
split M -> M1, M0 by 500
input A[m,p] : bf16
input V[f,m] : bf16
output AV[f,p] : fp32
output CV[f,p] : fp32
output BV[f,m1,p] : fp32
AV[f,p] = A[m,p] * V[f,m]
BV[f,m1,p] = A[m1*M0+m0, p] * V[f, m1*M0+m0]
CV[f,p] = A[m1*M0+m0, p] * V[f, m1*M0+m0]   where m1*M0+m0 <= p + 300
)");
  const BoundShape s = bind_shape(c, {});
  const TensorMap in = awkward_inputs(c, s, 9);
  const TensorMap generic = interpret(c, s, in, hardware(false));
  const TensorMap fast = interpret(c, s, in, hardware(true));
  // 2000 points: the panels hold blocks of 524 lanes (524 + 524 + 52); 500 points: 1024 + 76.
  for (const char* t : {"AV", "CV", "BV"}) {
    INFO(t);
    CHECK(hardware_fast_path_applies(c, s, producer(c, t)));
    CHECK(same_bits(fast.at(t), generic.at(t)));
  }
  // Tiles of 300 queries and 500 keys, the key tiles in order (the reduction carried
  // between them, resumed and suspended; the causal mask leaves some tiles empty).
  for (const bool fast_tiles : {true, false}) {
    TileExecution x(c, s, in, hardware(fast_tiles));
    const auto p = static_cast<std::size_t>(*c.find_var("p"));
    const auto m = static_cast<std::size_t>(*c.find_var("m"));
    const auto m1 = static_cast<std::size_t>(*c.find_var("m1"));
    for (std::int64_t p0 = 0; p0 < 1100; p0 += 300)
      for (std::int64_t k = 0; k < 4; ++k)
        for (const char* t : {"AV", "CV"}) {
          std::vector<IndexRange> box;
          for (std::int64_t e : s.rank_extent) box.push_back({0, e});
          box[p] = {p0, std::min<std::int64_t>(p0 + 300, 1100)};
          box[m] = {k * 500, (k + 1) * 500};
          box[m1] = {k, k + 1};
          x.run(producer(c, t), box, k == 0, k == 3);
        }
    const TensorMap tiled = x.results();
    INFO("fast tiles " << fast_tiles);
    CHECK(same_bits(tiled.at("AV"), generic.at("AV")));
    CHECK(same_bits(tiled.at("CV"), generic.at("CV")));
  }
}
