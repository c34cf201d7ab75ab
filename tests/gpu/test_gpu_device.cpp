// Every GPU kernel variant against the fp64 reference (einsum::reference::attention) by the
// 2x-naive rule, on small shapes. Without a CUDA device (or without CUDA support built) the
// test prints "SKIPPED: no CUDA device (reason)" and passes: Catch2 v2 has no skip, so the
// skip is a WARN and the test's name says it.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "einfuse/einsum/reference_attention.hpp"
#include "einfuse/gpu_ref/device.hpp"
#include "einfuse/gpu_ref/host.hpp"

using namespace einfuse::gpu_ref;
namespace ref = einfuse::einsum::reference;

namespace {

std::vector<double> values(std::size_t n, std::uint64_t seed) {
  std::vector<double> x(n);
  for (auto& v : x) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    v = static_cast<double>(seed >> 11) / 9007199254740992.0 * 2.0 - 1.0;  // [-1, 1)
  }
  return x;
}

struct Case {
  const char* name;
  ref::AttentionDims dims;
  bool causal;
  std::optional<std::int64_t> window;
};

}  // namespace

TEST_CASE("GPU kernels match the fp64 reference by the 2x-naive rule (SKIPPED without a CUDA device)", "[gpu]") {
  const DeviceStatus status = device_status();
  if (!status.usable()) {
    WARN("SKIPPED: no CUDA device (" << status.reason << ")");
    return;
  }
  INFO("device " << status.name << ", " << status.sm_count << " SMs");
  // dims: {B, H, G, E, F, P, M}. Sizes are not multiples of the tiles on purpose.
  const std::vector<Case> prefill = {
      {"d64 dense", {2, 2, 2, 64, 64, 100, 100}, false, std::nullopt},
      {"d64 causal P<M", {1, 2, 2, 64, 64, 70, 130}, true, std::nullopt},
      {"d64 causal P>M (masked rows)", {1, 1, 1, 64, 64, 90, 40}, true, std::nullopt},
      {"d64 window", {1, 2, 2, 64, 64, 150, 150}, false, 33},
      {"d128 GQA dense", {1, 4, 2, 128, 128, 37, 200}, false, std::nullopt},
      {"d128 GQA causal", {2, 4, 1, 128, 128, 129, 129}, true, std::nullopt},
      {"d128 window", {1, 1, 1, 128, 128, 80, 300}, false, 50},
  };
  const std::vector<Case> decode = {
      {"decode d64", {1, 4, 4, 64, 64, 1, 1000}, false, std::nullopt},
      {"decode d128 GQA", {2, 8, 2, 128, 128, 1, 3000}, false, std::nullopt},
      {"decode d128 window", {1, 2, 1, 128, 128, 1, 2000}, false, 700},
  };
  const std::vector<KernelChoice> prefill_kernels = {
      {Algo::naive, Precision::bf16, false, 1.0},
      {Algo::naive, Precision::fp32, false, 1.0},
      {Algo::flash, Precision::bf16, false, 1.0},
      {Algo::flash, Precision::fp32, false, 1.0},
  };
  std::vector<KernelChoice> decode_kernels = prefill_kernels;
  decode_kernels.push_back({Algo::flash, Precision::bf16, true, 1.0});
  decode_kernels.push_back({Algo::flash, Precision::fp32, true, 1.0});

  auto check = [](const Case& c, const KernelChoice& kernel) {
    AttentionProblem pr;
    pr.dims = c.dims;
    pr.causal = c.causal;
    pr.window = c.window;
    const auto q = values(pr.dims.q_size(), 11), k = values(pr.dims.k_size(), 12), v = values(pr.dims.v_size(), 13);
    INFO(c.name << ": " << pr.describe() << ", " << kernel.describe());
    const std::vector<double> out = run_attention(pr, kernel, q, k, v);
    const NaiveRuleResult r = check_two_naive(pr, kernel.precision, q, k, v, out);
    INFO("kernel error " << r.kernel_error << ", naive error " << r.naive_error << ", bound " << r.bound);
    CHECK(r.pass);
    if (kernel.precision == Precision::fp32) CHECK(r.kernel_error <= 1e-4 * std::max(1.0, r.reference_max_abs));
    // Rows that see no key are exactly 0.
    const ref::Mask mask = pr.mask();
    const auto& d = pr.dims;
    for (std::int64_t p = 0; p < d.p; ++p) {
      bool any = !mask;
      for (std::int64_t m = 0; m < d.m && !any; ++m) any = mask(p, m);
      if (any) continue;
      for (std::int64_t bh = 0; bh < d.batch * d.heads; ++bh) {
        for (std::int64_t f = 0; f < d.f; ++f) CHECK(out[static_cast<std::size_t>((bh * d.f + f) * d.p + p)] == 0.0);
      }
    }
  };
  for (const Case& c : prefill) {
    for (const KernelChoice& kernel : prefill_kernels) check(c, kernel);
  }
  for (const Case& c : decode) {
    for (const KernelChoice& kernel : decode_kernels) check(c, kernel);
  }
}

TEST_CASE("GPU timing returns the requested runs (SKIPPED without a CUDA device)", "[gpu]") {
  const DeviceStatus status = device_status();
  if (!status.usable()) {
    WARN("SKIPPED: no CUDA device (" << status.reason << ")");
    return;
  }
  AttentionProblem pr;
  pr.dims = ref::AttentionDims{1, 2, 2, 64, 64, 256, 256};
  const auto q = values(pr.dims.q_size(), 1), k = values(pr.dims.k_size(), 2), v = values(pr.dims.v_size(), 3);
  const TimingStats s = time_attention(pr, KernelChoice{}, q, k, v, TimingOptions{2, 5, 2});
  CHECK(s.runs == 5);
  CHECK(s.min > 0.0);
  CHECK(s.min <= s.median);
  CHECK(s.median <= s.max);
}
