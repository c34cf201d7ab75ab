// The direct attention references (reference_attention.hpp) checked against hand-computed
// values and against each other, so a later disagreement with a cascade points at the
// cascade or the interpreter rather than at the reference.
#include <algorithm>
#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "einfuse/einsum/parser.hpp"
#include "einfuse/einsum/reference_attention.hpp"

namespace ref = einfuse::einsum::reference;

namespace {

std::vector<double> normal(std::size_t n, std::uint64_t seed, double scale = 1.0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> dist(0.0, scale);
  std::vector<double> out(n);
  for (double& x : out) x = dist(rng);
  return out;
}

// Round to nearest even bfloat16 (through float; fine for test data).
double round_bf16(double x) {
  const auto bits = std::bit_cast<std::uint32_t>(static_cast<float>(x));
  if (std::isnan(x)) return x;
  const std::uint32_t rounded = (bits + 0x7FFFu + ((bits >> 16) & 1u)) & 0xFFFF0000u;
  return static_cast<double>(std::bit_cast<float>(rounded));
}
double round_fp32(double x) { return static_cast<double>(static_cast<float>(x)); }

struct Problem {
  ref::AttentionDims d;
  std::vector<double> q, k, v;
};

Problem random_problem(ref::AttentionDims d, std::uint64_t seed, double scale = 1.0) {
  return {d, normal(d.q_size(), seed, scale), normal(d.k_size(), seed + 1, scale), normal(d.v_size(), seed + 2, scale)};
}

double out_at(const ref::AttentionDims& d, const std::vector<double>& out, std::int64_t b, std::int64_t h,
              std::int64_t f, std::int64_t p) {
  return out[static_cast<std::size_t>(((b * d.heads + h) * d.f + f) * d.p + p)];
}

}  // namespace

TEST_CASE("two keys, worked by hand", "[reference]") {
  // S = [0, ln 3] -> A = [1/4, 3/4]; out = 4/4 + 8*3/4 = 7.
  ref::AttentionDims d{1, 1, 1, 1, 1, 1, 2};
  const std::vector<double> q{1.0}, k{0.0, std::log(3.0)}, v{4.0, 8.0};
  CHECK(ref::attention(d, q, k, v)[0] == Approx(7.0).epsilon(1e-15));
  CHECK(ref::attention_in_precision<ref::exact>(d, q, k, v)[0] == Approx(7.0).epsilon(1e-15));
  // Causal with P = 1: bottom-right alignment lets the only query see both keys.
  CHECK(ref::attention(d, q, k, v, ref::causal_mask(1, 2))[0] == Approx(7.0).epsilon(1e-15));
  // A window of one key: only the last key.
  CHECK(ref::attention(d, q, k, v, ref::window_mask(1, 2, 1))[0] == 8.0);
}

TEST_CASE("the Eigen reference and the loop reference agree in fp64", "[reference]") {
  const Problem pr = random_problem({2, 4, 2, 16, 8, 24, 40}, 11);
  const auto masks = {ref::Mask{}, ref::causal_mask(24, 40), ref::window_mask(24, 40, 7)};
  for (const ref::Mask& mask : masks) {
    const auto a = ref::attention(pr.d, pr.q, pr.k, pr.v, mask);
    const auto b = ref::attention_in_precision<ref::exact>(pr.d, pr.q, pr.k, pr.v, mask);
    CHECK(ref::relative_error(a, b) < 1e-13);
  }
}

TEST_CASE("a window at least as long as M is the causal mask", "[reference]") {
  const Problem pr = random_problem({1, 2, 2, 8, 8, 16, 32}, 21);
  const auto causal = ref::attention(pr.d, pr.q, pr.k, pr.v, ref::causal_mask(16, 32));
  CHECK(ref::attention(pr.d, pr.q, pr.k, pr.v, ref::window_mask(16, 32, 32)) == causal);
  CHECK(ref::attention(pr.d, pr.q, pr.k, pr.v, ref::window_mask(16, 32, 1000)) == causal);
  // And a shorter window is not.
  CHECK(ref::relative_error(ref::attention(pr.d, pr.q, pr.k, pr.v, ref::window_mask(16, 32, 8)), causal) > 1e-3);
}

TEST_CASE("a window of one key returns the value at the query's own position", "[reference]") {
  const Problem pr = random_problem({1, 1, 1, 8, 4, 6, 10}, 31);
  const auto out = ref::attention(pr.d, pr.q, pr.k, pr.v, ref::window_mask(6, 10, 1));
  for (std::int64_t f = 0; f < 4; ++f) {
    for (std::int64_t p = 0; p < 6; ++p) {
      // Query p sits at key position p + (M - P) = p + 4.
      CHECK(out_at(pr.d, out, 0, 0, f, p) == pr.v[static_cast<std::size_t>(f * 10 + p + 4)]);
    }
  }
}

TEST_CASE("causal rows are convex combinations; fully masked rows are zero", "[reference]") {
  // P > M: under bottom-right alignment the first P - M queries see no key.
  ref::AttentionDims d{1, 1, 1, 8, 3, 12, 8};
  const std::vector<double> q = normal(d.q_size(), 41), k = normal(d.k_size(), 42);
  const std::vector<double> ones(d.v_size(), 1.0);
  const auto out = ref::attention(d, q, k, ones, ref::causal_mask(12, 8));
  const auto loop = ref::attention_in_precision<ref::exact>(d, q, k, ones, ref::causal_mask(12, 8));
  for (std::int64_t f = 0; f < d.f; ++f) {
    for (std::int64_t p = 0; p < d.p; ++p) {
      const double want = p < 4 ? 0.0 : 1.0;
      CHECK(out_at(d, out, 0, 0, f, p) == Approx(want).margin(1e-15));
      CHECK(out_at(d, loop, 0, 0, f, p) == Approx(want).margin(1e-15));
    }
  }
  // P = M: the first query sees only key 0.
  const Problem pr = random_problem({1, 1, 1, 8, 3, 8, 8}, 43);
  const auto sq = ref::attention(pr.d, pr.q, pr.k, pr.v, ref::causal_mask(8, 8));
  for (std::int64_t f = 0; f < 3; ++f) CHECK(out_at(pr.d, sq, 0, 0, f, 0) == pr.v[static_cast<std::size_t>(f * 8)]);
}

TEST_CASE("GQA equals multi-head attention on repeated KV heads", "[reference]") {
  const ref::AttentionDims gqa{2, 6, 2, 8, 4, 5, 9};
  const Problem pr = random_problem(gqa, 51);
  // Expand K and V to one KV head per query head: head h gets KV head h / (H / G).
  ref::AttentionDims mha = gqa;
  mha.kv_heads = gqa.heads;
  std::vector<double> k(mha.k_size()), v(mha.v_size());
  for (std::int64_t b = 0; b < 2; ++b) {
    for (std::int64_t h = 0; h < 6; ++h) {
      const std::int64_t g = h / 3;
      for (std::int64_t i = 0; i < 8 * 9; ++i) k[static_cast<std::size_t>((b * 6 + h) * 72 + i)] = pr.k[static_cast<std::size_t>((b * 2 + g) * 72 + i)];
      for (std::int64_t i = 0; i < 4 * 9; ++i) v[static_cast<std::size_t>((b * 6 + h) * 36 + i)] = pr.v[static_cast<std::size_t>((b * 2 + g) * 36 + i)];
    }
  }
  CHECK(ref::attention(gqa, pr.q, pr.k, pr.v) == ref::attention(mha, pr.q, k, v));
  CHECK(ref::attention(gqa, pr.q, pr.k, pr.v, ref::causal_mask(5, 9)) == ref::attention(mha, pr.q, k, v, ref::causal_mask(5, 9)));
  // G = H is plain multi-head attention; G = 1 is multi-query attention.
  CHECK(gqa.kv_head_of(5) == 1);
  CHECK(mha.kv_head_of(5) == 5);
}

TEST_CASE("decode is the last row of causal prefill", "[reference]") {
  const ref::AttentionDims prefill{1, 2, 2, 8, 4, 16, 16};
  const Problem pr = random_problem(prefill, 61);
  const auto full = ref::attention(prefill, pr.q, pr.k, pr.v, ref::causal_mask(16, 16));
  ref::AttentionDims decode = prefill;
  decode.p = 1;
  std::vector<double> q_last(decode.q_size());
  for (std::int64_t h = 0; h < 2; ++h) {
    for (std::int64_t e = 0; e < 8; ++e) q_last[static_cast<std::size_t>(h * 8 + e)] = pr.q[static_cast<std::size_t>((h * 8 + e) * 16 + 15)];
  }
  const auto last = ref::attention(decode, q_last, pr.k, pr.v);
  CHECK(last == ref::attention(decode, q_last, pr.k, pr.v, ref::causal_mask(1, 16)));
  for (std::int64_t h = 0; h < 2; ++h) {
    for (std::int64_t f = 0; f < 4; ++f) {
      CHECK(out_at(decode, last, 0, h, f, 0) == Approx(out_at(prefill, full, 0, h, f, 15)).epsilon(1e-13));
    }
  }
}

TEST_CASE("top-k keeping every chunk is full softmax attention", "[reference]") {
  const Problem pr = random_problem({2, 2, 2, 8, 4, 6, 32}, 71);
  const auto all = ref::topk_chunk_attention(pr.d, pr.q, pr.k, pr.v, 8, 4);
  CHECK(ref::relative_error(all.out, ref::attention(pr.d, pr.q, pr.k, pr.v)) < 1e-13);
  // Every query keeps each chunk once.
  for (std::size_t row = 0; row < 2 * 2 * 6; ++row) {  // (b, h, p)
    const std::size_t bh = row / 6, p = row % 6;
    std::vector<std::int64_t> chunks;
    for (std::size_t j = 0; j < 4; ++j) chunks.push_back(all.selected[(bh * 4 + j) * 6 + p]);
    std::sort(chunks.begin(), chunks.end());
    CHECK(chunks == std::vector<std::int64_t>{0, 1, 2, 3});
  }
}

TEST_CASE("top-k orders chunks by score descending, then index ascending", "[reference]") {
  // E = 1, Q = 1: the chunk score is the chunk's mean key. Means: 1, 3, 3, 2.
  ref::AttentionDims d{1, 1, 1, 1, 1, 1, 8};
  const std::vector<double> q{1.0};
  const std::vector<double> k{0.5, 1.5, 2.0, 4.0, 4.0, 2.0, 1.0, 3.0};
  const std::vector<double> v{10, 20, 30, 40, 50, 60, 70, 80};
  const auto top3 = ref::topk_chunk_attention(d, q, k, v, 2, 3);
  CHECK(top3.selected == std::vector<std::int64_t>{1, 2, 3});
  const auto top2 = ref::topk_chunk_attention(d, q, k, v, 2, 2);
  CHECK(top2.selected == std::vector<std::int64_t>{1, 2});
  // Attention over keys 2..5 only.
  const auto keys_2_to_5 = ref::attention(d, q, k, v, [](std::int64_t, std::int64_t m) { return m >= 2 && m <= 5; });
  CHECK(top2.out[0] == Approx(keys_2_to_5[0]).epsilon(1e-14));
}

TEST_CASE("top-k with a given selection attends to exactly those chunks", "[reference]") {
  const ref::AttentionDims d{1, 2, 1, 8, 4, 3, 24};
  const Problem pr = random_problem(d, 81);
  // Selection [H][J][P] with J = 2: head 0 keeps chunks {5, 0}, head 1 keeps {2, 3}.
  const std::vector<std::int64_t> sel{5, 5, 5, 0, 0, 0, 2, 2, 2, 3, 3, 3};
  const auto got = ref::topk_chunk_attention(d, pr.q, pr.k, pr.v, 4, 2, &sel);
  CHECK(got.selected == sel);
  for (std::int64_t h = 0; h < 2; ++h) {
    const std::int64_t a = h == 0 ? 5 : 2, b = h == 0 ? 0 : 3;
    const auto masked = ref::attention(d, pr.q, pr.k, pr.v, [&](std::int64_t, std::int64_t m) { return m / 4 == a || m / 4 == b; });
    for (std::int64_t f = 0; f < 4; ++f) {
      for (std::int64_t p = 0; p < 3; ++p) {
        CHECK(out_at(d, got.out, 0, h, f, p) == Approx(out_at(d, masked, 0, h, f, p)).epsilon(1e-13));
      }
    }
  }
  // Its own selection fed back gives its own output.
  const auto own = ref::topk_chunk_attention(d, pr.q, pr.k, pr.v, 4, 2);
  CHECK(ref::topk_chunk_attention(d, pr.q, pr.k, pr.v, 4, 2, &own.selected).out == own.out);
  CHECK_THROWS_AS(ref::topk_chunk_attention(d, pr.q, pr.k, pr.v, 5, 2), std::invalid_argument);
  CHECK_THROWS_AS(ref::topk_chunk_attention(d, pr.q, pr.k, pr.v, 4, 7), std::invalid_argument);
}

TEST_CASE("the naive run in bf16 is close to fp64 but not equal", "[reference]") {
  // Scores of order 1 (inputs N(0, 1/sqrt(E))), the setting of the published tolerances.
  const ref::AttentionDims d{1, 2, 2, 16, 16, 32, 64};
  const Problem pr = random_problem(d, 91, 0.5);
  std::vector<double> q = pr.q, k = pr.k, v = pr.v;
  for (auto* t : {&q, &k, &v}) {
    for (double& x : *t) x = round_bf16(x);
  }
  const auto exact = ref::attention(d, q, k, v, ref::causal_mask(32, 64));
  const auto bf16 = ref::attention_in_precision<round_bf16, round_fp32>(d, q, k, v, ref::causal_mask(32, 64));
  const auto fp32 = ref::attention_in_precision<round_fp32>(d, q, k, v, ref::causal_mask(32, 64));
  const double e_bf16 = ref::max_abs_error(bf16, exact);
  const double e_fp32 = ref::max_abs_error(fp32, exact);
  CHECK(e_bf16 > 1e-4);   // rounding to bf16 happened
  CHECK(e_bf16 < 5e-2);   // within the usual bf16 tolerance
  CHECK(e_fp32 > 0.0);
  CHECK(e_fp32 < 1e-5);   // fp32 tolerance
  CHECK(e_fp32 < e_bf16);
  CHECK(std::all_of(bf16.begin(), bf16.end(), [](double x) { return round_bf16(x) == x; }));  // stored in bf16
}

TEST_CASE("relative_error never lets a NaN pass", "[reference]") {
  CHECK(ref::relative_error({1.0, NAN}, {1.0, 2.0}) == std::numeric_limits<double>::infinity());
  CHECK(ref::relative_error({1.0, 2.5}, {1.0, 2.0}) == Approx(0.25));
  CHECK(ref::relative_error({0.0}, {0.0}) == 0.0);
  CHECK_THROWS_AS(ref::attention({1, 3, 2, 1, 1, 1, 1}, {0, 0, 0}, {0, 0}, {0, 0}), std::invalid_argument);
}

TEST_CASE("every shipped cascade has a direct reference of its output's size", "[reference]") {
  using einfuse::einsum::BoundShape;
  using einfuse::einsum::bind_shape;
  using einfuse::einsum::parse_cascade_file;
  const std::string dir = std::string(EINFUSE_SOURCE_DIR) + "/workloads/attention/";
  struct Case {
    const char* file;
    einfuse::einsum::ShapeAssignment shape;
  };
  const std::vector<Case> cases = {
      {"softmax_3pass", {{"P", 8}, {"M", 24}, {"E", 4}, {"F", 3}}},
      {"softmax_2pass", {{"P", 8}, {"M", 512}, {"E", 4}, {"F", 3}}},
      {"softmax_1pass", {{"P", 8}, {"M", 512}, {"E", 4}, {"F", 3}, {"H", 2}}},
      {"causal_1pass", {{"P", 8}, {"M", 256}, {"E", 4}, {"F", 3}}},
      {"window_1pass", {{"P", 8}, {"M", 256}, {"E", 4}, {"F", 3}, {"W", 5}}},
      {"gqa_1pass", {{"P", 4}, {"M", 256}, {"E", 4}, {"F", 3}, {"H", 4}, {"G", 2}}},
      {"decode_splitkv", {{"M", 512}, {"E", 4}, {"F", 3}}},
      {"topk_landmark", {{"P", 4}, {"M", 256}, {"E", 4}, {"F", 3}, {"J", 4}, {"L", 64}}},
  };
  for (const Case& c : cases) {
    INFO(c.file);
    const auto cascade = parse_cascade_file(dir + c.file + ".ein");
    CHECK(cascade.name == c.file);
    const BoundShape shape = bind_shape(cascade, c.shape);
    const ref::AttentionDims d = ref::dims_of(cascade, shape);
    CHECK(d.e == 4);
    CHECK(d.f == 3);
    const Problem pr = random_problem(d, 101);
    const auto out = ref::reference_for(cascade, shape, pr.q, pr.k, pr.v);
    CHECK(out.size() == d.out_size());
    CHECK(std::all_of(out.begin(), out.end(), [](double x) { return std::isfinite(x); }));
  }
  // The sizes the references read are the cascade's: GQA's G, decode's P = 1.
  const auto gqa = parse_cascade_file(dir + "gqa_1pass.ein");
  const ref::AttentionDims g = ref::dims_of(gqa, bind_shape(gqa, {{"P", 4}, {"M", 256}}));
  CHECK(g.heads == 8);
  CHECK(g.kv_heads == 2);
  const auto decode = parse_cascade_file(dir + "decode_splitkv.ein");
  CHECK(ref::dims_of(decode, bind_shape(decode, {{"M", 256}})).p == 1);
  const auto other = einfuse::einsum::parse_cascade("cascade other\nrank P, M\ninput K[m]\noutput O[m]\nO[m] = K[m]\n");
  const std::vector<double> one{1.0};
  CHECK_THROWS_WITH(ref::reference_for(other, bind_shape(other, {{"P", 1}, {"M", 1}}), one, one, one),
                    Catch::Contains("no direct reference for cascade 'other'"));
}
