// Host-side logic of gpu_ref (no GPU needed): counts, tiling plan, timing statistics,
// layouts and the 2x-naive rule.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "einfuse/einsum/reference_attention.hpp"
#include "einfuse/gpu_ref/device.hpp"
#include "einfuse/gpu_ref/host.hpp"

using namespace einfuse::gpu_ref;
namespace ref = einfuse::einsum::reference;

namespace {

AttentionProblem problem(std::int64_t B, std::int64_t H, std::int64_t G, std::int64_t d, std::int64_t P, std::int64_t M,
                         bool causal = false, std::optional<std::int64_t> window = std::nullopt) {
  AttentionProblem pr;
  pr.dims = ref::AttentionDims{B, H, G, d, d, P, M};
  pr.causal = causal;
  pr.window = window;
  return pr;
}

// Counts visible pairs by asking the reference mask itself.
std::uint64_t brute_pairs(std::int64_t P, std::int64_t M, bool causal, std::optional<std::int64_t> window) {
  AttentionProblem pr = problem(1, 1, 1, 64, P, M, causal, window);
  const ref::Mask mask = pr.mask();
  std::uint64_t n = 0;
  for (std::int64_t p = 0; p < P; ++p) {
    for (std::int64_t m = 0; m < M; ++m) n += (!mask || mask(p, m)) ? 1u : 0u;
  }
  return n;
}

// Deterministic values in [-2, 2) (a small LCG; the kernels' inputs come from random_inputs).
std::vector<double> values(std::size_t n, std::uint64_t seed) {
  std::vector<double> x(n);
  for (auto& v : x) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    v = static_cast<double>(seed >> 11) / 9007199254740992.0 * 4.0 - 2.0;
  }
  return x;
}

}  // namespace

TEST_CASE("FLOPs follow the FlashAttention convention", "[gpu_host]") {
  // 4 * B * P * M * H * d: B=1, P=M=1024, H=16, d=128 (the FA benchmark shape, 2048 = H*d).
  CHECK(attention_flops(problem(1, 16, 16, 128, 1024, 1024)) == 4ULL * 1024 * 1024 * 16 * 128);
  // Causal halves it, even when P != M (the convention, not the exact triangle).
  CHECK(attention_flops(problem(2, 8, 8, 64, 1024, 1024, true)) == 4ULL * 2 * 1024 * 1024 * 8 * 64 / 2);
  CHECK(attention_flops(problem(1, 1, 1, 64, 100, 300, true)) == 4ULL * 100 * 300 * 64 / 2);
  // GQA does not change the count: every query head does its own products.
  CHECK(attention_flops(problem(1, 32, 8, 128, 512, 512)) == attention_flops(problem(1, 32, 32, 128, 512, 512)));
  // A window counts the visible pairs exactly.
  CHECK(attention_flops(problem(1, 2, 2, 64, 64, 64, false, 16)) == 4ULL * 2 * 64 * brute_pairs(64, 64, true, 16));
}

TEST_CASE("visible pairs match the reference masks", "[gpu_host]") {
  for (auto [P, M] : {std::pair<std::int64_t, std::int64_t>{1, 1}, {7, 7}, {5, 13}, {13, 5}, {1, 40}, {64, 64}}) {
    CAPTURE(P, M);
    CHECK(visible_pairs(P, M, false, std::nullopt) == static_cast<std::uint64_t>(P * M));
    CHECK(visible_pairs(P, M, true, std::nullopt) == brute_pairs(P, M, true, std::nullopt));
    for (std::int64_t W : {1, 3, 8, 100}) {
      CAPTURE(W);
      CHECK(visible_pairs(P, M, true, W) == brute_pairs(P, M, true, W));
    }
  }
  // Square causal is the triangle n(n+1)/2.
  CHECK(visible_pairs(1000, 1000, true, std::nullopt) == 1000ULL * 1001 / 2);
  // P > M: the first P - M queries see nothing.
  CHECK(visible_pairs(10, 4, true, std::nullopt) == 1 + 2 + 3 + 4);
  CHECK_THROWS_AS(visible_pairs(0, 4, true, std::nullopt), std::invalid_argument);
  CHECK_THROWS_AS(visible_pairs(std::int64_t{1} << 40, std::int64_t{1} << 40, false, std::nullopt), std::overflow_error);
}

TEST_CASE("decode bandwidth counts the bytes of K and V", "[gpu_host]") {
  // The anchor's example: 64k tokens x 2 KV heads x 128 x 2 (K, V) x 2 B = 67 MB.
  ref::AttentionDims d{1, 16, 2, 128, 128, 1, 65536};
  CHECK(decode_kv_bytes(d, Precision::bf16) == 65536ULL * 2 * 128 * 2 * 2);
  CHECK(decode_kv_bytes(d, Precision::fp32) == 2 * decode_kv_bytes(d, Precision::bf16));
  CHECK(gigabytes_per_second(4'800'000'000'000ULL, 1.0) == Approx(4800.0));  // 4.8 TB/s
  CHECK(tflops_per_second(2'000'000'000'000ULL, 2.0) == Approx(1.0));
  CHECK(tflops_per_second(1, 0.0) == 0.0);
}

TEST_CASE("flash tiling plan per head dim", "[gpu_host]") {
  const FlashTiling t64 = flash_tiling(64), t128 = flash_tiling(128);
  for (const FlashTiling& t : {t64, t128}) {
    CAPTURE(t.head_dim);
    CHECK(t.block_q == t.warps * 16);        // one 16-row WMMA strip per warp
    CHECK(t.block_k % 32 == 0);              // the softmax spreads a row over 32 lanes
    CHECK(t.head_dim % 16 == 0);
    CHECK(t.shared_bytes(Precision::bf16) <= 227 * 1024);  // H100/H200 limit per block
  }
  CHECK(t64.block_k == 64);
  CHECK(t128.block_k == 32);
  // d=64: 8K Q + 16K K/V + 16K S + 8K P + 16K O + 768 B row state.
  CHECK(t64.shared_bytes(Precision::bf16) == 8192 + 16384 + 16384 + 8192 + 16384 + 768);
  CHECK_THROWS_AS(flash_tiling(96), std::invalid_argument);
}

TEST_CASE("decode split plan covers the keys with non-empty splits", "[gpu_host]") {
  for (std::int64_t M : {1, 100, 256, 1000, 8192, 65536, 131072}) {
    for (std::int64_t bh : {1, 8, 32, 132, 264, 1000}) {
      CAPTURE(M, bh);
      const SplitPlan s = decode_split_plan(M, bh);
      CHECK(s.splits >= 1);
      CHECK(s.splits <= kMaxSplits);
      CHECK(s.keys_per_split % 64 == 0);
      CHECK(s.splits * s.keys_per_split >= M);        // every key is covered
      CHECK((s.splits - 1) * s.keys_per_split < M);   // no split is empty
      if (s.splits > 1) CHECK(s.keys_per_split >= kMinKeysPerSplit);
    }
  }
  // Enough (batch, head) pairs to fill two waves: no split.
  CHECK(decode_split_plan(131072, 264).splits == 1);
  // One head, 128K keys: 264 blocks wanted, capped at 128 splits of 1024 keys.
  CHECK(decode_split_plan(131072, 1).splits == 128);
  CHECK(decode_split_plan(131072, 1).keys_per_split == 1024);
  // 32 heads (Llama3-8B decode, B=1): ceil(264 / 32) = 9 splits.
  CHECK(decode_split_plan(65536, 32).splits == 9);
  CHECK_THROWS_AS(decode_split_plan(0, 1), std::invalid_argument);
}

TEST_CASE("timing statistics drop the warm-up and take the median", "[gpu_host]") {
  const TimingStats s = timing_stats({100.0, 50.0, 3.0, 1.0, 2.0}, 2);
  CHECK(s.warmup == 2);
  CHECK(s.runs == 3);
  CHECK(s.median == 2.0);
  CHECK(s.min == 1.0);
  CHECK(s.max == 3.0);
  CHECK(s.mean == Approx(2.0));
  CHECK(timing_stats({9.0, 4.0, 1.0, 3.0, 2.0}, 1).median == 2.5);  // even: mean of the middle two
  CHECK_THROWS_AS(timing_stats({1.0, 2.0}, 2), std::invalid_argument);
}

TEST_CASE("layout transpose round-trips", "[gpu_host]") {
  const std::vector<double> x = values(2 * 3 * 5, 7);
  const auto y = transpose_inner(x, 2, 3, 5);
  CHECK(y[1 * 15 + 4 * 3 + 2] == x[1 * 15 + 2 * 5 + 4]);  // [o][r][c] -> [o][c][r]
  CHECK(transpose_inner(y, 2, 5, 3) == x);
  CHECK_THROWS_AS(transpose_inner(x, 2, 3, 4), std::invalid_argument);
}

TEST_CASE("2x-naive rule on host-made outputs", "[gpu_host]") {
  CHECK(two_naive_rule(1.0, 0.5, 0.0));
  CHECK_FALSE(two_naive_rule(1.01, 0.5, 0.0));
  CHECK(two_naive_rule(1e-7, 0.0, 1e-6));
  CHECK_FALSE(two_naive_rule(std::numeric_limits<double>::quiet_NaN(), 1.0, 1.0));

  for (Precision prec : {Precision::bf16, Precision::fp32}) {
    CAPTURE(precision_name(prec));
    AttentionProblem pr = problem(1, 4, 2, 64, 8, 40, true);
    const auto& d = pr.dims;
    const auto q = values(d.q_size(), 1), k = values(d.k_size(), 2), v = values(d.v_size(), 3);
    const auto qr = round_to_precision(q, prec), kr = round_to_precision(k, prec), vr = round_to_precision(v, prec);
    const auto exact = ref::attention(d, qr, kr, vr, pr.mask());
    // The exact answer passes; so does the naive run itself (its error is <= 2x its error).
    const NaiveRuleResult good = check_two_naive(pr, prec, q, k, v, exact);
    CHECK(good.pass);
    CHECK(good.kernel_error == 0.0);
    CHECK(good.naive_error > 0.0);
    // An output off by 3x the naive error plus the floor fails.
    std::vector<double> bad = exact;
    bad[5] += 3.0 * good.naive_error + 2.0 * good.floor;
    const NaiveRuleResult r = check_two_naive(pr, prec, q, k, v, bad);
    CHECK_FALSE(r.pass);
    CHECK(r.kernel_error > r.bound);
    // A NaN never passes.
    bad[5] = std::numeric_limits<double>::quiet_NaN();
    CHECK_FALSE(check_two_naive(pr, prec, q, k, v, bad).pass);
  }
  // The bf16 naive error is far larger than the fp32 one on the same inputs.
  AttentionProblem pr = problem(1, 1, 1, 64, 4, 64);
  const auto& d = pr.dims;
  const auto q = values(d.q_size(), 4), k = values(d.k_size(), 5), v = values(d.v_size(), 6);
  const auto exact32 = ref::attention(d, round_to_precision(q, Precision::fp32), round_to_precision(k, Precision::fp32),
                                      round_to_precision(v, Precision::fp32));
  const auto exact16 = ref::attention(d, round_to_precision(q, Precision::bf16), round_to_precision(k, Precision::bf16),
                                      round_to_precision(v, Precision::bf16));
  CHECK(check_two_naive(pr, Precision::bf16, q, k, v, exact16).naive_error >
        100.0 * check_two_naive(pr, Precision::fp32, q, k, v, exact32).naive_error);
}

TEST_CASE("problem validation names the bad size", "[gpu_host]") {
  CHECK_NOTHROW(problem(1, 32, 8, 128, 1, 4096).validate());
  CHECK_THROWS_WITH(problem(1, 6, 4, 64, 1, 64).validate(), Catch::Contains("kv_heads must divide heads"));
  CHECK_THROWS_WITH(problem(1, 1, 1, 96, 1, 64).validate(), Catch::Contains("64 or 128"));
  CHECK_THROWS_AS(problem(1, 1, 1, 64, 1, 64, false, 0).validate(), std::invalid_argument);
  CHECK(problem(1, 32, 8, 128, 2, 9, false, 4).describe() == "B=1 H=32 G=8 P=2 M=9 E=F=128 window W=4");
}

TEST_CASE("kernel choice names the variant", "[gpu_host]") {
  CHECK(KernelChoice{Algo::flash, Precision::bf16, false, 1.0}.describe() == "flash bf16 wmma");
  CHECK(KernelChoice{Algo::flash, Precision::fp32, false, 1.0}.describe() == "flash fp32 scalar");
  CHECK(KernelChoice{Algo::flash, Precision::bf16, true, 1.0}.describe() == "flash bf16 scalar split-kv");
  CHECK(KernelChoice{Algo::naive, Precision::fp32, false, 1.0}.describe() == "naive fp32");
}

TEST_CASE("without CUDA support the run functions refuse with NoDeviceError", "[gpu_host]") {
  const DeviceStatus status = device_status();
  if (status.usable()) return;  // only meaningful where no device can run
  AttentionProblem pr;
  pr.dims = ref::AttentionDims{1, 1, 1, 64, 64, 4, 4};
  const std::vector<double> q(pr.dims.q_size()), k(pr.dims.k_size()), v(pr.dims.v_size());
  CHECK_FALSE(status.reason.empty());
  CHECK_THROWS_AS(run_attention(pr, KernelChoice{}, q, k, v), NoDeviceError);
}
