// Interpreter numerics and engines: determinism, the input generator, emulated rounding,
// the hardware units, and the Eigen contraction path against the generic evaluator.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "analysis_cascades.hpp"
#include "einfuse/einsum/interpreter.hpp"
#include "einfuse/einsum/numeric.hpp"
#include "einfuse/einsum/parser.hpp"

using namespace einfuse::einsum;
namespace num = einfuse::einsum::numeric;

namespace {

// Largest relative difference, element-wise against the larger magnitude (1 for tiny
// values, so exact zeros compare absolutely).
double max_rel_diff(const DenseTensor& a, const DenseTensor& b) {
  REQUIRE(a.extents == b.extents);
  double worst = 0.0;
  for (std::size_t i = 0; i < a.data.size(); ++i) {
    const double x = a.data[i], y = b.data[i];
    if (x == y) continue;  // equal infinities included
    const double scale = std::max({std::fabs(x), std::fabs(y), 1.0});
    const double d = std::fabs(x - y) / scale;
    worst = std::max(worst, std::isnan(d) ? INFINITY : d);
  }
  return worst;
}

bool bitwise_equal(const TensorMap& a, const TensorMap& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, t] : a) {
    const DenseTensor& u = b.at(name);
    if (t.extents != u.extents || t.data.size() != u.data.size()) return false;
    if (std::memcmp(t.data.data(), u.data.data(), t.data.size() * sizeof(double)) != 0) return false;
  }
  return true;
}

struct Setup {
  Cascade c;
  BoundShape shape;
  TensorMap inputs;
};

Setup setup(const char* text, const ShapeAssignment& sizes, std::uint64_t seed = 7) {
  Setup s{parse_cascade(text), {}, {}};
  s.shape = bind_shape(s.c, sizes);
  s.inputs = random_inputs(s.c, s.shape, seed);
  return s;
}

}  // namespace

TEST_CASE("the input generator is deterministic and standard normal", "[interp]") {
  const char* text = R"(
rank N = 100000
input X[n] : fp64
output Y : fp64
Y = X[n]
)";
  const Setup s = setup(text, {}, 1);
  const std::vector<double>& x = s.inputs.at("X").data;
  CHECK(bitwise_equal(s.inputs, random_inputs(s.c, s.shape, 1)));
  CHECK(x != random_inputs(s.c, s.shape, 2).at("X").data);
  double mean = 0.0, var = 0.0;
  for (double v : x) mean += v;
  mean /= static_cast<double>(x.size());
  for (double v : x) var += (v - mean) * (v - mean);
  var /= static_cast<double>(x.size());
  // Standard errors: 1/sqrt(n) = 0.0032 for the mean, sqrt(2/n) = 0.0045 for the variance.
  CHECK(std::fabs(mean) < 0.015);
  CHECK(std::fabs(var - 1.0) < 0.02);
  // Seed 1's first draws, computed independently by the same splitmix64 + Box-Muller
  // with Python's libm log/cos/sin: the series in the generator agree to ~1 ulp, and a
  // change to the generator shows up here.
  const double want[] = {-0.028249746095854695, -1.065617648414326, -0.22791952286763478,
                         0.083094168471500696, 0.10309095168574085, -1.2696620408584176};
  for (std::size_t i = 0; i < 6; ++i) {
    INFO("draw " << i);
    CHECK(x[i] == Approx(want[i]).epsilon(0).margin(1e-14));
  }
}

TEST_CASE("two runs give the same bits", "[interp]") {
  Setup s = setup(einfuse::test_cascades::kSoftmax1Pass, {{"P", 48}, {"M", 512}});
  for (Numerics mode : {Numerics::fp64, Numerics::emulated, Numerics::hardware}) {
    RunOptions opt;
    opt.numerics = mode;
    opt.keep_intermediates = true;
    CHECK(bitwise_equal(interpret(s.c, s.shape, s.inputs, opt), interpret(s.c, s.shape, s.inputs, opt)));
  }
}

TEST_CASE("emulated bf16 rounds every stored value and differs from fp64", "[interp]") {
  Setup s = setup(einfuse::test_cascades::kSoftmax1Pass, {{"P", 16}, {"M", 512}});
  RunOptions opt;
  opt.numerics = Numerics::emulated;
  opt.precision = DType::bf16;
  opt.keep_intermediates = true;
  const TensorMap low = interpret(s.c, s.shape, s.inputs, opt);
  RunOptions exact;
  exact.keep_intermediates = true;
  const TensorMap high = interpret(s.c, s.shape, s.inputs, exact);
  for (const auto& [name, t] : low) {
    INFO(name);
    std::size_t not_bf16 = 0;
    for (double v : t.data) not_bf16 += num::round_to(DType::bf16, v) != v && !std::isnan(v);
    CHECK(not_bf16 == 0);
  }
  CHECK(max_rel_diff(low.at("AV"), high.at("AV")) > 1e-4);
  CHECK(max_rel_diff(low.at("AV"), high.at("AV")) < 0.1);
}


TEST_CASE("emulated with fp64 precision is the generic fp64 evaluation", "[interp]") {
  Setup s = setup(einfuse::test_cascades::kSoftmax2Pass, {{"P", 16}, {"M", 512}});
  RunOptions generic;
  generic.contraction_fast_path = false;
  generic.keep_intermediates = true;
  RunOptions emulated = generic;
  emulated.numerics = Numerics::emulated;
  emulated.precision = DType::fp64;
  CHECK(bitwise_equal(interpret(s.c, s.shape, s.inputs, generic), interpret(s.c, s.shape, s.inputs, emulated)));
}

TEST_CASE("hardware mode uses the accelerator's units bit for bit", "[interp]") {
  const char* text = R"(
rank M = 200, P = 3
input X[m] : fp32
input A[m,p] : bf16
input W[m] : bf16
output Y[m] : fp32
output R[m] : fp32
output D[m] : fp32
output S[p] : fp32
Y[m] = exp(X[m] - 2)
R[m] = recip(X[m])
D[m] = X[m] / (X[m] + 3)
S[p] = A[m,p] * W[m]
)";
  Setup s = setup(text, {});
  RunOptions opt;
  opt.numerics = Numerics::hardware;
  const TensorMap out = interpret(s.c, s.shape, s.inputs, opt);
  const auto x = [&](std::size_t i) { return num::to_fp32(s.inputs.at("X").data[i]); };
  for (std::size_t i = 0; i < 200; ++i) {
    INFO("m = " << i);
    CHECK(out.at("Y").data[i] == num::exp_hw(num::add_fp32_hw(x(i), -2.0f)));
    CHECK(out.at("R").data[i] == num::recip_hw(x(i)));
    CHECK(out.at("D").data[i] == num::div_hw(x(i), num::add_fp32_hw(x(i), 3.0f)));
  }
  // The reduction is one MAC per m, in ascending m, from an fp32 zero.
  for (std::size_t p = 0; p < 3; ++p) {
    float acc = 0.0f;
    for (std::size_t m = 0; m < 200; ++m) {
      acc = num::mac_bf16_fp32(acc, num::to_bf16(s.inputs.at("A").data[m * 3 + p]),
                               num::to_bf16(s.inputs.at("W").data[m]));
    }
    CHECK(out.at("S").data[p] == acc);
  }
}

TEST_CASE("hardware mode computes exp as the Einsum's array does", "[interp]") {
  const char* text = R"(
rank M = 300
input X[m] : fp32
output Y[m] : fp32
output Z[m] : fp32
Y[m] = exp(X[m] - 1)
Z[m] = exp(X[m] - 1)
)";
  Setup s = setup(text, {});
  RunOptions opt;
  opt.numerics = Numerics::hardware;
  // Y on an array with FuseMax's 6 mac + 1 add sequence, Z on one with the table unit.
  opt.exp_algorithm_by_einsum["Y"] = ExpAlgorithm::mac_sequence;
  const TensorMap out = interpret(s.c, s.shape, s.inputs, opt);
  std::size_t differ = 0;
  for (std::size_t i = 0; i < 300; ++i) {
    INFO("m = " << i);
    const float arg = num::add_fp32_hw(num::to_fp32(s.inputs.at("X").data[i]), -1.0f);
    // The sequence's first MAC takes a bf16 operand: the argument is rounded to bf16.
    CHECK(out.at("Y").data[i] == num::exp_mac_sequence_hw(num::to_bf16(arg)));
    CHECK(out.at("Z").data[i] == num::exp_hw(arg));
    differ += out.at("Y").data[i] != out.at("Z").data[i];
  }
  CHECK(differ > 0);  // the two units are different arithmetic
  opt.exp_algorithm = ExpAlgorithm::mac_sequence;  // the default for unlisted Einsums
  CHECK(interpret(s.c, s.shape, s.inputs, opt).at("Z").data == out.at("Y").data);
}

TEST_CASE("integer Einsums are exact in every mode", "[interp]") {
  // 2^24 + 1 and 2^25 + 1 are not fp32 values: they must not pass through the fp32 units.
  const char* text = R"(
rank M = 2
input X[m] : fp32
output Y[m] : i32
output S : i32
Y[m] = m * 16777217
S    = sum(m) (m + 16777216)
)";
  Setup s = setup(text, {});
  for (Numerics mode : {Numerics::fp64, Numerics::emulated, Numerics::hardware}) {
    RunOptions opt;
    opt.numerics = mode;
    const TensorMap out = interpret(s.c, s.shape, s.inputs, opt);
    CHECK(out.at("Y").data == std::vector<double>{0, 16777217});
    CHECK(out.at("S").data == std::vector<double>{33554433});
  }
}

TEST_CASE("the contraction fast path equals the generic evaluator", "[interp]") {
  const char* strided = R"(
rank I = 5, J = 6, K = 7, L = 3
split K -> K1, K0 by 7
input A[k,i,l] : fp64
input B[l,j,k] : fp64
input X[i,k1,k0] : fp64
input Wt[k0,k1] : fp64
output O[j,l,i] : fp64
output Y[i] : fp64
O[j,l,i] = A[k,i,l] * B[l,j,k]       # l batch, i rows, j columns, k contraction
Y[i]     = X[i,k1,k0] * Wt[k0,k1]    # (k1, k0) do not chain in Wt: k1 loops
)";
  struct Item {
    const char* text;
    ShapeAssignment sizes;
    std::vector<const char*> fast;  // Einsums that must take the fast path
  };
  const Item items[] = {
      {einfuse::test_cascades::kSoftmax1Pass, {{"P", 40}, {"M", 512}}, {"QK", "SLNV"}},
      {einfuse::test_cascades::kSoftmax3Pass, {{"P", 24}, {"M", 96}}, {"QK", "AV"}},
      {strided, {}, {"O", "Y"}},
  };
  for (const Item& item : items) {
    Setup s = setup(item.text, item.sizes);
    INFO(s.c.name);
    for (const char* name : item.fast) {
      const auto t = s.c.find_tensor(name);
      REQUIRE(t);
      CHECK(contraction_fast_path_applies(s.c, s.shape, s.c.tensors[static_cast<std::size_t>(*t)].producer));
    }
    RunOptions fast;
    fast.keep_intermediates = true;
    RunOptions generic = fast;
    generic.contraction_fast_path = false;
    const TensorMap a = interpret(s.c, s.shape, s.inputs, fast);
    const TensorMap b = interpret(s.c, s.shape, s.inputs, generic);
    for (const auto& [name, t] : a) {
      INFO(name);
      CHECK(max_rel_diff(t, b.at(name)) <= 1e-12);
    }
  }
  // Element-wise products and masked Einsums are not GEMMs.
  const Cascade c = parse_cascade(einfuse::test_cascades::kSoftmax1Pass);
  const BoundShape shape = bind_shape(c, {{"P", 64}, {"M", 512}});
  for (const char* name : {"LM", "SLN", "RM", "AV"}) {
    INFO(name);
    const auto t = c.find_tensor(name);
    CHECK_FALSE(contraction_fast_path_applies(c, shape, c.tensors[static_cast<std::size_t>(*t)].producer));
  }
}
