// Host-side logic of the GPU ground truth (pure C++, built and tested without CUDA):
// the attention problem as the kernels see it, FLOP and byte counts, the tiling plan of
// the fused kernel and of split-KV decode, timing statistics, the conversion between the
// cascades' tensor layout and the kernels', and the 2x-naive numerics rule. docs/gpu.md
// explains each convention.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "einfuse/einsum/reference_attention.hpp"

namespace einfuse::gpu_ref {

enum class Algo { naive, flash };
/// Storage precision of Q, K, V, P and the output. Accumulation is fp32 in both.
enum class Precision { bf16, fp32 };

const char* algo_name(Algo a);
const char* precision_name(Precision p);

/// One attention problem: the reference's dims plus the mask. `window` implies causal
/// (einsum::reference::window_mask: m <= p + M - P and p + M - P - m < W).
struct AttentionProblem {
  einsum::reference::AttentionDims dims;
  bool causal = false;
  std::optional<std::int64_t> window;

  bool is_causal() const { return causal || window.has_value(); }
  /// The reference mask (empty when every key is visible).
  einsum::reference::Mask mask() const;
  /// Throws std::invalid_argument unless sizes are positive, G divides H, E = F, the head
  /// dim is one the kernels support (64 or 128), and W >= 1.
  void validate() const;
  /// "B=1 H=32 G=8 P=1024 M=1024 E=F=128 causal" (for messages).
  std::string describe() const;
};

// --- counts -----------------------------------------------------------------------------

/// Exact number of (query, key) pairs the mask lets through, over one (batch, head).
/// Bottom-right alignment: query p sits at key position p + M - P. Throws on overflow.
std::uint64_t visible_pairs(std::int64_t P, std::int64_t M, bool causal, std::optional<std::int64_t> window);

/// FLOPs by the FlashAttention benchmark convention: 2·(E+F)·B·H·P·M (= 4·B·P·M·H·d with
/// E = F = d), halved when causal (the convention halves regardless of P != M). With a
/// window the convention has no rule, so the visible pairs are counted exactly:
/// 2·(E+F)·B·H·visible_pairs. Only the two matrix products count; softmax is not counted.
std::uint64_t attention_flops(const AttentionProblem& problem);

/// Bytes of K and V a decode step reads: B·G·M·(E+F)·bytes_per_element. Q and the output
/// (B·H·(E+F) elements) are left out: they are negligible against the KV cache.
std::uint64_t decode_kv_bytes(const einsum::reference::AttentionDims& dims, Precision precision);

std::uint64_t bytes_per_element(Precision precision);

/// TFLOP/s and GB/s (10^12, 10^9) from a count and a time in seconds; 0 for a time <= 0.
double tflops_per_second(std::uint64_t flops, double seconds);
double gigabytes_per_second(std::uint64_t bytes, double seconds);

// --- tiling plan --------------------------------------------------------------------------

/// Tile sizes of the fused flash kernel (gpu_ref/src/attention.cu). One thread block owns
/// block_q queries of one (batch, head) and walks the keys in tiles of block_k; each of
/// its `warps` warps owns 16 query rows (one WMMA row of fragments).
struct FlashTiling {
  int head_dim = 0;
  int block_q = 0;
  int block_k = 0;
  int warps = 0;
  int threads() const { return warps * 32; }
  /// Shared memory of one block in bytes (Q tile, K tile, V tile in the storage
  /// precision; the S/P tile in fp32 and its bf16 copy; per-row state).
  std::size_t shared_bytes(Precision precision) const;
};
/// The plan for head dim 64 or 128 (throws std::invalid_argument for any other).
/// d=64: 64 queries x 64 keys, 4 warps; d=128: 64 queries x 32 keys, 4 warps (keeps the
/// block under 48 KiB of static shared memory).
FlashTiling flash_tiling(std::int64_t head_dim);

inline constexpr int kH200SmCount = 132;      ///< SMs of an H100/H200 SXM
inline constexpr std::int64_t kMinKeysPerSplit = 256;
inline constexpr std::int64_t kMaxSplits = 128;

/// How decode (P = 1) cuts the keys: `splits` blocks per (batch, head), each reading
/// `keys_per_split` consecutive keys (the last may read fewer), merged by a log-sum-exp
/// kernel. Rule: aim for two blocks per SM, splits = ceil(2·sm_count / (B·H)), but give
/// every split at least kMinKeysPerSplit keys and use at most kMaxSplits; keys_per_split
/// is rounded up to a multiple of block_k, and splits recomputed so none is empty.
struct SplitPlan {
  std::int64_t splits = 1;
  std::int64_t keys_per_split = 0;
};
SplitPlan decode_split_plan(std::int64_t seq_k, std::int64_t batch_heads, int sm_count = kH200SmCount,
                            std::int64_t block_k = 64);

// --- timing -------------------------------------------------------------------------------

/// Statistics of timed runs, seconds. The first `warmup` samples are dropped.
struct TimingStats {
  std::size_t warmup = 0;
  std::size_t runs = 0;  ///< samples kept
  double median = 0.0;   ///< the middle sample (mean of the two middle ones for even runs)
  double min = 0.0;
  double max = 0.0;
  double mean = 0.0;
};
/// Throws std::invalid_argument when no sample is left after the warm-up.
TimingStats timing_stats(const std::vector<double>& samples, std::size_t warmup);

inline constexpr std::size_t kDefaultWarmup = 5;
inline constexpr std::size_t kDefaultTimedRuns = 20;

// --- layouts ------------------------------------------------------------------------------

/// The cascades (and einsum::reference) store Q as [B][H][E][P], K as [B][G][E][M],
/// V as [B][G][F][M] and the output as [B][H][F][P]; the kernels want the feature
/// dimension innermost: Q [B][H][P][E], K [B][G][M][E], V [B][G][M][F], out [B][H][P][F].
/// Both are the same transpose of the two innermost dimensions of each (outer, rows, cols)
/// block: transpose_inner(x, outer, rows, cols) reads x as [outer][rows][cols] and
/// returns [outer][cols][rows].
std::vector<double> transpose_inner(const std::vector<double>& x, std::int64_t outer, std::int64_t rows,
                                    std::int64_t cols);

// --- numerics rule ------------------------------------------------------------------------

/// The FlashAttention test rule: the kernel's max abs error against the fp64 reference
/// must be at most 2x the error of the same attention run naively in the target precision
/// (einsum::reference::attention_in_precision with storage = the precision, fp32
/// arithmetic), plus `floor` so that an exact naive run (error 0) does not demand an exact
/// kernel. floor = 2^-20 · max |reference|, far below any bf16 error.
struct NaiveRuleResult {
  double kernel_error = 0.0;  ///< max |kernel - fp64|
  double naive_error = 0.0;   ///< max |naive - fp64|
  double floor = 0.0;
  double bound = 0.0;         ///< 2·naive_error + floor
  double reference_max_abs = 0.0;
  bool pass = false;
};
/// q, k, v in the cascade layout, as given to the kernel (rounded to the precision, or not:
/// both runs round them the same way). kernel_out in the cascade layout [B][H][F][P].
NaiveRuleResult check_two_naive(const AttentionProblem& problem, Precision precision, const std::vector<double>& q,
                                const std::vector<double>& k, const std::vector<double>& v,
                                const std::vector<double>& kernel_out);
/// The rule alone: pass iff kernel_error <= 2·naive_error + floor (NaN never passes).
bool two_naive_rule(double kernel_error, double naive_error, double floor);

/// Values as the kernel sees them: each rounded to bf16 (or fp32), kept as double.
std::vector<double> round_to_precision(const std::vector<double>& x, Precision precision);

}  // namespace einfuse::gpu_ref
