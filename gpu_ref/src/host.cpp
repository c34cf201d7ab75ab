#include "einfuse/gpu_ref/host.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "einfuse/einsum/numeric.hpp"

namespace einfuse::gpu_ref {
namespace {

namespace ref = einsum::reference;

std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b, const char* what) {
  std::uint64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) throw std::overflow_error(std::string(what) + ": count overflows 64 bits");
  return r;
}
std::uint64_t checked_add(std::uint64_t a, std::uint64_t b, const char* what) {
  std::uint64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) throw std::overflow_error(std::string(what) + ": count overflows 64 bits");
  return r;
}
std::uint64_t u64(std::int64_t x) { return static_cast<std::uint64_t>(x); }

double round_bf16(double x) { return einsum::numeric::round_to(einsum::DType::bf16, x); }
double round_fp32(double x) { return einsum::numeric::round_to(einsum::DType::fp32, x); }

}  // namespace

const char* algo_name(Algo a) { return a == Algo::naive ? "naive" : "flash"; }
const char* precision_name(Precision p) { return p == Precision::bf16 ? "bf16" : "fp32"; }

ref::Mask AttentionProblem::mask() const {
  if (window) return ref::window_mask(dims.p, dims.m, *window);
  if (causal) return ref::causal_mask(dims.p, dims.m);
  return {};
}

void AttentionProblem::validate() const {
  const auto& d = dims;
  if (d.batch <= 0 || d.heads <= 0 || d.kv_heads <= 0 || d.e <= 0 || d.f <= 0 || d.p <= 0 || d.m <= 0) {
    throw std::invalid_argument("gpu attention: every size must be positive (" + describe() + ")");
  }
  if (d.heads % d.kv_heads != 0) {
    throw std::invalid_argument("gpu attention: kv_heads must divide heads (" + describe() + ")");
  }
  if (d.e != d.f) throw std::invalid_argument("gpu attention: the kernels need E = F (" + describe() + ")");
  if (d.e != 64 && d.e != 128) {
    throw std::invalid_argument("gpu attention: head dim must be 64 or 128 (" + describe() + ")");
  }
  if (window && *window < 1) throw std::invalid_argument("gpu attention: window W must be >= 1");
}

std::string AttentionProblem::describe() const {
  const auto& d = dims;
  std::string s = "B=" + std::to_string(d.batch) + " H=" + std::to_string(d.heads) + " G=" + std::to_string(d.kv_heads) +
                   " P=" + std::to_string(d.p) + " M=" + std::to_string(d.m);
  s += d.e == d.f ? " E=F=" + std::to_string(d.e) : " E=" + std::to_string(d.e) + " F=" + std::to_string(d.f);
  if (window) {
    s += " window W=" + std::to_string(*window);
  } else if (causal) {
    s += " causal";
  }
  return s;
}

std::uint64_t visible_pairs(std::int64_t P, std::int64_t M, bool causal, std::optional<std::int64_t> window) {
  if (P <= 0 || M <= 0) throw std::invalid_argument("visible_pairs: P and M must be positive");
  if (!causal && !window) return checked_mul(u64(P), u64(M), "visible_pairs");
  std::uint64_t total = 0;
  // Query p sits at key position a = p + M - P (bottom-right); it sees m in [lo, a] ∩ [0, M).
  for (std::int64_t p = 0; p < P; ++p) {
    const std::int64_t a = p + M - P;
    if (a < 0) continue;
    const std::int64_t hi = std::min(a, M - 1);
    const std::int64_t lo = window ? std::max<std::int64_t>(0, a - *window + 1) : 0;
    if (hi >= lo) total = checked_add(total, u64(hi - lo + 1), "visible_pairs");
  }
  return total;
}

std::uint64_t attention_flops(const AttentionProblem& problem) {
  const auto& d = problem.dims;
  const std::uint64_t per_pair =
      checked_mul(checked_mul(2, checked_add(u64(d.e), u64(d.f), "flops"), "flops"),
                  checked_mul(u64(d.batch), u64(d.heads), "flops"), "flops");
  if (problem.window) return checked_mul(per_pair, visible_pairs(d.p, d.m, true, problem.window), "flops");
  const std::uint64_t full = checked_mul(per_pair, checked_mul(u64(d.p), u64(d.m), "flops"), "flops");
  return problem.causal ? full / 2 : full;
}

std::uint64_t bytes_per_element(Precision precision) { return precision == Precision::bf16 ? 2 : 4; }

std::uint64_t decode_kv_bytes(const ref::AttentionDims& d, Precision precision) {
  const std::uint64_t elems = checked_mul(checked_mul(u64(d.batch), u64(d.kv_heads), "kv bytes"),
                                          checked_mul(u64(d.m), checked_add(u64(d.e), u64(d.f), "kv bytes"), "kv bytes"),
                                          "kv bytes");
  return checked_mul(elems, bytes_per_element(precision), "kv bytes");
}

double tflops_per_second(std::uint64_t flops, double seconds) {
  return seconds > 0 ? static_cast<double>(flops) / seconds / 1e12 : 0.0;
}
double gigabytes_per_second(std::uint64_t bytes, double seconds) {
  return seconds > 0 ? static_cast<double>(bytes) / seconds / 1e9 : 0.0;
}

std::size_t FlashTiling::shared_bytes(Precision precision) const {
  // Must match the layout in attention.cu (flash_wmma_kernel): the WMMA kernel is bf16;
  // the fp32 flash runs the scalar kernel, which needs one query row per warp.
  const auto q = static_cast<std::size_t>(block_q), k = static_cast<std::size_t>(block_k);
  const auto d = static_cast<std::size_t>(head_dim);
  if (precision == Precision::fp32) return static_cast<std::size_t>(warps) * d * sizeof(float);
  return q * d * 2      // Q tile, bf16
         + 2 * k * d * 2  // K and V tiles, bf16
         + q * k * 4      // scores, fp32
         + q * k * 2      // probabilities, bf16
         + q * d * 4      // output accumulator, fp32
         + 3 * q * 4;     // row max, row sum, rescale factor
}

FlashTiling flash_tiling(std::int64_t head_dim) {
  if (head_dim == 64) return FlashTiling{64, 64, 64, 4};
  if (head_dim == 128) return FlashTiling{128, 64, 32, 4};
  throw std::invalid_argument("flash_tiling: head dim must be 64 or 128, got " + std::to_string(head_dim));
}

SplitPlan decode_split_plan(std::int64_t seq_k, std::int64_t batch_heads, int sm_count, std::int64_t block_k) {
  if (seq_k <= 0 || batch_heads <= 0 || sm_count <= 0 || block_k <= 0) {
    throw std::invalid_argument("decode_split_plan: every argument must be positive");
  }
  const std::int64_t target_blocks = 2 * static_cast<std::int64_t>(sm_count);
  std::int64_t splits = (target_blocks + batch_heads - 1) / batch_heads;
  const std::int64_t by_length = (seq_k + kMinKeysPerSplit - 1) / kMinKeysPerSplit;
  splits = std::clamp<std::int64_t>(std::min({splits, by_length, kMaxSplits}), 1, kMaxSplits);
  std::int64_t per = (seq_k + splits - 1) / splits;
  per = (per + block_k - 1) / block_k * block_k;
  return SplitPlan{(seq_k + per - 1) / per, per};
}

TimingStats timing_stats(const std::vector<double>& samples, std::size_t warmup) {
  if (samples.size() <= warmup) {
    throw std::invalid_argument("timing_stats: " + std::to_string(samples.size()) + " samples leave none after " +
                                std::to_string(warmup) + " warm-up runs");
  }
  std::vector<double> kept(samples.begin() + static_cast<std::ptrdiff_t>(warmup), samples.end());
  std::sort(kept.begin(), kept.end());
  TimingStats s;
  s.warmup = warmup;
  s.runs = kept.size();
  const std::size_t n = kept.size();
  s.median = n % 2 == 1 ? kept[n / 2] : (kept[n / 2 - 1] + kept[n / 2]) / 2.0;
  s.min = kept.front();
  s.max = kept.back();
  double sum = 0.0;
  for (double x : kept) sum += x;
  s.mean = sum / static_cast<double>(n);
  return s;
}

std::vector<double> transpose_inner(const std::vector<double>& x, std::int64_t outer, std::int64_t rows,
                                    std::int64_t cols) {
  if (outer < 0 || rows < 0 || cols < 0 || x.size() != u64(outer) * u64(rows) * u64(cols)) {
    throw std::invalid_argument("transpose_inner: size does not match outer*rows*cols");
  }
  std::vector<double> y(x.size());
  const auto R = static_cast<std::size_t>(rows), C = static_cast<std::size_t>(cols);
  for (std::size_t o = 0; o < static_cast<std::size_t>(outer); ++o) {
    const std::size_t base = o * R * C;
    for (std::size_t r = 0; r < R; ++r) {
      for (std::size_t c = 0; c < C; ++c) y[base + c * R + r] = x[base + r * C + c];
    }
  }
  return y;
}

std::vector<double> round_to_precision(const std::vector<double>& x, Precision precision) {
  std::vector<double> y(x.size());
  const auto f = precision == Precision::bf16 ? round_bf16 : round_fp32;
  std::transform(x.begin(), x.end(), y.begin(), f);
  return y;
}

bool two_naive_rule(double kernel_error, double naive_error, double floor) {
  return !std::isnan(kernel_error) && kernel_error <= 2.0 * naive_error + floor;
}

NaiveRuleResult check_two_naive(const AttentionProblem& problem, Precision precision, const std::vector<double>& q,
                                const std::vector<double>& k, const std::vector<double>& v,
                                const std::vector<double>& kernel_out) {
  problem.validate();
  const auto& d = problem.dims;
  const ref::Mask mask = problem.mask();
  // Both runs see the inputs the kernel saw: rounded to the storage precision.
  const auto qr = round_to_precision(q, precision), kr = round_to_precision(k, precision);
  const auto vr = round_to_precision(v, precision);
  const std::vector<double> exact = ref::attention(d, qr, kr, vr, mask);
  const std::vector<double> naive =
      precision == Precision::bf16 ? ref::attention_in_precision<round_bf16, round_fp32>(d, qr, kr, vr, mask)
                                   : ref::attention_in_precision<round_fp32, round_fp32>(d, qr, kr, vr, mask);
  NaiveRuleResult r;
  for (double x : exact) r.reference_max_abs = std::max(r.reference_max_abs, std::abs(x));
  r.kernel_error = ref::max_abs_error(kernel_out, exact);
  r.naive_error = ref::max_abs_error(naive, exact);
  r.floor = std::ldexp(r.reference_max_abs, -20);
  r.bound = 2.0 * r.naive_error + r.floor;
  r.pass = two_naive_rule(r.kernel_error, r.naive_error, r.floor);
  return r;
}

}  // namespace einfuse::gpu_ref
